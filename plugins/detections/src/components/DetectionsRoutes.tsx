import { ReactRouterV6PageRouter } from '@backstage/frontend-adapter-react-router-v6';
import { Route, Routes } from 'react-router-dom';
import { AlertPage } from './AlertPage';
import { DashboardPage } from './DashboardPage';
import { EventPage } from './EventPage';
import { Content, Page } from '@backstage/core-components';
import { DetectionsHeader, NotFoundPanel } from './common';

function PageNotFound() {
  return (
    <Page themeId="tool">
      <DetectionsHeader title="Not found" />
      <Content>
        <NotFoundPanel what="page" />
      </Content>
    </Page>
  );
}

/** Everything under /detections. */
export function DetectionsRoutes() {
  return (
    <ReactRouterV6PageRouter>
      <Routes>
        <Route path="/" element={<DashboardPage />} />
        <Route path="/alerts/:id" element={<AlertPage />} />
        <Route path="/events/:id" element={<EventPage />} />
        <Route path="*" element={<PageNotFound />} />
      </Routes>
    </ReactRouterV6PageRouter>
  );
}

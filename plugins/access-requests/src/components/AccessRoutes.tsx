import { ReactRouterV6PageRouter } from '@backstage/frontend-adapter-react-router-v6';
import { Route, Routes } from 'react-router-dom';
import { FindResourcePage } from './FindResourcePage';
import { GrantPage } from './GrantPage';
import { ActiveAccessPage } from './ActiveAccessPage';
import { InboxPage } from './InboxPage';
import { MyAccessPage } from './MyAccessPage';
import { RequestDetailPage } from './RequestDetailPage';

/** Everything under /access. */
export function AccessRoutes() {
  return (
    <ReactRouterV6PageRouter>
      <Routes>
        <Route path="/" element={<FindResourcePage />} />
        <Route path="/requests" element={<MyAccessPage />} />
        <Route path="/requests/:id" element={<RequestDetailPage />} />
        <Route path="/grants/:id" element={<GrantPage />} />
        <Route path="/inbox" element={<InboxPage />} />
        <Route path="/active" element={<ActiveAccessPage />} />
      </Routes>
    </ReactRouterV6PageRouter>
  );
}

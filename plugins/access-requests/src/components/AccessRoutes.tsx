import { ReactRouterV6PageRouter } from '@backstage/frontend-adapter-react-router-v6';
import { Route, Routes } from 'react-router-dom';
import { FindResourcePage } from './FindResourcePage';
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
        <Route path="/inbox" element={<InboxPage />} />
      </Routes>
    </ReactRouterV6PageRouter>
  );
}

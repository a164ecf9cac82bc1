import { ReactRouterV6PageRouter } from '@backstage/frontend-adapter-react-router-v6';
import { Route, Routes } from 'react-router-dom';
import { ExceptionPage } from './ExceptionPage';
import { ExceptionsListPage } from './ExceptionsListPage';
import { RequestExceptionPage } from './RequestExceptionPage';

/** Everything under /policy-exceptions. */
export function ExceptionsRoutes() {
  return (
    <ReactRouterV6PageRouter>
      <Routes>
        <Route path="/" element={<ExceptionsListPage />} />
        <Route path="/new" element={<RequestExceptionPage />} />
        <Route path="/exceptions/:id" element={<ExceptionPage />} />
      </Routes>
    </ReactRouterV6PageRouter>
  );
}

import { ReactRouterV6PageRouter } from '@backstage/frontend-adapter-react-router-v6';
import { Route, Routes } from 'react-router-dom';
import { DashboardPage } from './DashboardPage';
import { NewScanPage } from './NewScanPage';
import { ScanPage } from './ScanPage';

/** Everything under /model-scan. */
export function ModelScanRoutes() {
  return (
    <ReactRouterV6PageRouter>
      <Routes>
        <Route path="/" element={<DashboardPage />} />
        <Route path="/new" element={<NewScanPage />} />
        <Route path="/scans/:id" element={<ScanPage />} />
      </Routes>
    </ReactRouterV6PageRouter>
  );
}

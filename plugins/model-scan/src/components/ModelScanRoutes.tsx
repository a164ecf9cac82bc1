import { ReactRouterV6PageRouter } from '@backstage/frontend-adapter-react-router-v6';
import { Route, Routes } from 'react-router-dom';
import { DashboardPage } from './DashboardPage';
import { NewScanPage } from './NewScanPage';
import { ScanPage } from './ScanPage';
import { MODEL_SCAN_APP_SUB_PATHS } from '@internal/plugin-model-scan-common';

/** Everything under /model-scan. */
export function ModelScanRoutes() {
  return (
    <ReactRouterV6PageRouter>
      <Routes>
        <Route path="/" element={<DashboardPage />} />
        <Route path={MODEL_SCAN_APP_SUB_PATHS.newScan} element={<NewScanPage />} />
        <Route path={MODEL_SCAN_APP_SUB_PATHS.scan} element={<ScanPage />} />
      </Routes>
    </ReactRouterV6PageRouter>
  );
}

import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  Acceptance,
  CreateAcceptanceResponse,
  GateDecision,
  ListScansQuery,
  Scan,
  ScanList,
  ScanStats,
} from './types';

/** Client of the model-scan backend, as used by the portal. */
export interface ModelScanApi {
  listScans(query?: ListScansQuery): Promise<ScanList>;
  getScan(id: string): Promise<Scan>;
  createScan(input: { target: string; entityRef?: string }): Promise<Scan>;
  /**
   * Uploads one file (multipart field `file`) and starts its scan.
   * `onProgress` receives the bytes sent so far and the total.
   */
  uploadScan(
    file: Blob & { name?: string },
    options?: {
      entityRef?: string;
      onProgress?: (sent: number, total: number) => void;
    },
  ): Promise<Scan>;
  rescan(id: string): Promise<Scan>;
  /** Asks the security reviewers to look at a flagged scan (its requester only), with a note. */
  requestReview(id: string, note: string): Promise<Scan>;
  /** The CycloneDX 1.6 ML-BOM of a completed scan, as a file (fetched with the user's token). */
  getBom(id: string): Promise<{ blob: Blob; fileName: string }>;
  getStats(days?: number): Promise<ScanStats>;
  acceptVerdict(input: {
    sha256: string;
    justification: string;
    expiresAt: string;
  }): Promise<CreateAcceptanceResponse>;
  listAcceptances(): Promise<{ items: Acceptance[] }>;
  gate(target: string): Promise<GateDecision>;
}

export const modelScanApiRef = createApiRef<ModelScanApi>({
  id: 'plugin.model-scan.api',
});

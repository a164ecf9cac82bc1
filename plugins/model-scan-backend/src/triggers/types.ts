import type { Scan } from '@internal/plugin-model-scan-common';

export type { Scan };

export type ScanTriggerKind =
  | 'manual'
  | 'upload'
  | 'download'
  | 'webhook'
  | 'periodic';

/** The part of the ScanService the triggers use. */
export interface ScanServiceLike {
  enqueue(req: {
    target: string;
    trigger: ScanTriggerKind;
    requestedBy: string;
    entityRef?: string;
  }): Promise<Scan>;
  scanLocalFile(input: {
    path: string;
    name: string;
    target: string;
    trigger: 'download';
    requestedBy: string;
  }): Promise<{
    scan: Scan;
    file: {
      verdict: 'safe' | 'suspicious' | 'malicious' | 'error';
      sha256: string;
      findings: unknown[];
      /** Set when a security reviewer accepted this suspicious file hash (ISO expiry). */
      acceptedUntil?: string;
    };
  }>;
  onScanCompleted(listener: (scan: Scan) => Promise<void> | void): void;
}

export interface Clock {
  now(): Date;
}

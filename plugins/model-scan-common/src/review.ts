import type { Scan, Verdict } from './types';

/** Verdicts that reach the security reviewers (notified at once; the uploader may ask for a review). */
export const REVIEWED_VERDICTS: readonly Verdict[] = ['suspicious', 'malicious'];

/** True for a completed scan whose verdict security reviewers must look at. */
export function needsSecurityReview(scan: Pick<Scan, 'status' | 'verdict'>): boolean {
  return scan.status === 'completed' && !!scan.verdict && REVIEWED_VERDICTS.includes(scan.verdict);
}

/** Why someone may not ask for a review of a scan: 403 (not theirs) or 409 (not now). */
export interface ReviewRequestRefusal {
  status: 403 | 409;
  reason: string;
}

/**
 * The rule for "Ask for review", shared by the backend (which enforces it) and the scan page
 * (which offers the action only when it holds). Only the person who requested the scan (the
 * uploader, or whoever submitted the target) may ask, once, and only for a completed scan with
 * a suspicious or malicious verdict. Reading a scan is not enough: anyone signed in may read
 * scans, and letting them ask on someone else's behalf would page the reviewers for uploads
 * that are not theirs to explain.
 */
export function reviewRequestRefusal(
  scan: Pick<Scan, 'status' | 'verdict' | 'requestedBy' | 'reviewRequest'>,
  callerRef: string,
): ReviewRequestRefusal | undefined {
  if (scan.requestedBy.toLowerCase() !== callerRef.toLowerCase()) {
    return { status: 403, reason: 'Only the person who requested this scan may ask for its review' };
  }
  if (!needsSecurityReview(scan)) {
    return { status: 409, reason: 'Only a completed scan with a suspicious or malicious verdict can be sent for review' };
  }
  if (scan.reviewRequest) {
    return { status: 409, reason: 'A review of this scan has already been requested' };
  }
  return undefined;
}

/** The part of a catalog entity the model check reads. */
export interface ModelEntityLike {
  kind: string;
  metadata: { annotations?: Record<string, string> };
  spec?: unknown;
}

/** Catalog annotation naming the registry targets of a model (comma-separated). */
export const MODEL_SOURCE_ANNOTATION = 'frontier-guard.io/model-source';

/**
 * Entities a scan may be tied to (and that get the "Model scans" tab): `Component` of type
 * `model`, `Resource` of type `weight-store`, or any entity with a model-source annotation.
 */
export function isModelEntity(entity: ModelEntityLike): boolean {
  const kind = entity.kind.toLocaleLowerCase('en-US');
  const type = String((entity.spec as { type?: unknown } | undefined)?.type ?? '').toLocaleLowerCase('en-US');
  return (
    (kind === 'component' && type === 'model') ||
    (kind === 'resource' && type === 'weight-store') ||
    !!entity.metadata.annotations?.[MODEL_SOURCE_ANNOTATION]?.trim()
  );
}

/** Where the portal serves the model-scan pages; the frontend's route refs use these sub-paths. */
export const MODEL_SCAN_APP_MOUNT_PATH = '/model-scan';
export const MODEL_SCAN_APP_SUB_PATHS = { scan: '/scans/:id', newScan: '/new' } as const;

/** The app path of one scan page (relative: the portal opens it in the same tab), e.g. for notifications. */
export function modelScanAppLink(scanId: string, mountPath: string = MODEL_SCAN_APP_MOUNT_PATH): string {
  return `${mountPath.replace(/\/+$/, '')}${MODEL_SCAN_APP_SUB_PATHS.scan.replace(':id', encodeURIComponent(scanId))}`;
}

import { Entity } from '@backstage/catalog-model';

/** Resource types whose alerts the detections name (as resourceRef). */
export const DETECTION_RESOURCE_TYPES = ['weight-store', 'cluster', 'namespace'];

/** The tab is shown on users and on weight stores, clusters and namespaces: the entities alerts are about. */
export function isDetectionsEntity(entity: Entity): boolean {
  const kind = entity.kind.toLocaleLowerCase('en-US');
  if (kind === 'user') return true;
  if (kind !== 'resource') return false;
  const type = String((entity.spec as { type?: unknown } | undefined)?.type ?? '').toLocaleLowerCase('en-US');
  return DETECTION_RESOURCE_TYPES.includes(type);
}

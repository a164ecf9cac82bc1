import { Entity } from '@backstage/catalog-model';
import { isModelEntity, MODEL_SOURCE_ANNOTATION } from '@internal/plugin-model-scan-common';

// one rule for "is this a model?" in the frontend and the backend (which checks a scan's entityRef)
export { isModelEntity, MODEL_SOURCE_ANNOTATION } from '@internal/plugin-model-scan-common';

/** The model-source targets of an entity (comma-separated annotation). */
export function modelSourceTargets(entity: Entity): string[] {
  const raw = entity.metadata.annotations?.[MODEL_SOURCE_ANNOTATION] ?? '';
  return raw
    .split(',')
    .map(t => t.trim())
    .filter(Boolean);
}

/**
 * Entities that get the "Model scans" tab: models (`Component` of type `model`, or an entity
 * naming its model sources), not weight stores. A weight store may still be the entity of a scan
 * (isModelEntity, which the backend checks); its files and their verdicts are on its Weights tab.
 */
export function hasModelScansTab(entity: Entity): boolean {
  const kind = entity.kind.toLocaleLowerCase('en-US');
  const type = String((entity.spec as { type?: unknown } | undefined)?.type ?? '').toLocaleLowerCase('en-US');
  if (kind === 'resource' && type === 'weight-store') return false;
  return isModelEntity(entity);
}

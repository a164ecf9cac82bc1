import { Entity } from '@backstage/catalog-model';
import { MODEL_SOURCE_ANNOTATION } from '@internal/plugin-model-scan-common';

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

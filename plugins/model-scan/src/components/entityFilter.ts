import { Entity } from '@backstage/catalog-model';

export const MODEL_SOURCE_ANNOTATION = 'frontier-guard.io/model-source';

/** The model-source targets of an entity (comma-separated annotation). */
export function modelSourceTargets(entity: Entity): string[] {
  const raw = entity.metadata.annotations?.[MODEL_SOURCE_ANNOTATION] ?? '';
  return raw
    .split(',')
    .map(t => t.trim())
    .filter(Boolean);
}

/** Entities that get the "Model scans" tab: models and weight stores. */
export function isModelEntity(entity: Entity): boolean {
  const kind = entity.kind.toLocaleLowerCase('en-US');
  const type = String((entity.spec as any)?.type ?? '').toLocaleLowerCase('en-US');
  return (
    (kind === 'component' && type === 'model') ||
    (kind === 'resource' && type === 'weight-store') ||
    modelSourceTargets(entity).length > 0
  );
}

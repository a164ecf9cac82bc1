import { Entity } from '@backstage/catalog-model';

export const ACCESS_POLICY_ANNOTATION = 'frontier-guard.io/access-policy';

/** Requestable resources: entities that name an access policy. */
export function isRequestableResource(entity: Entity): boolean {
  return Boolean(entity.metadata.annotations?.[ACCESS_POLICY_ANNOTATION]);
}

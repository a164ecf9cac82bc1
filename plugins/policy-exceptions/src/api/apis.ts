import { createApiRef } from '@backstage/frontend-plugin-api';
import { PolicyExceptionsClient } from '@internal/plugin-policy-exceptions-common';
import { WeightInventoryClient } from '@internal/plugin-weight-inventory-common';

/** The typed client of /api/policy-exceptions, called with the user's token (fetchApi). */
export type PolicyExceptionsApi = Pick<
  PolicyExceptionsClient,
  | 'isExcepted'
  | 'isExceptedMany'
  | 'listExceptions'
  | 'getException'
  | 'createException'
  | 'reviseException'
  | 'submit'
  | 'review'
  | 'withdraw'
  | 'revoke'
  | 'reReview'
  | 'exportActive'
  | 'exportOscal'
>;

export const policyExceptionsApiRef = createApiRef<PolicyExceptionsApi>({ id: 'plugin.policy-exceptions.api' });

/** Open posture findings of an entity (weight-inventory), to pick the finding an exception covers. */
export type PostureFindingsApi = Pick<WeightInventoryClient, 'listFindings'>;

export const postureFindingsApiRef = createApiRef<PostureFindingsApi>({ id: 'plugin.policy-exceptions.posture-findings' });

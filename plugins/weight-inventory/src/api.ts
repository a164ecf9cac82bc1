import { createApiRef } from '@backstage/frontend-plugin-api';
import { WeightInventoryClient } from '@internal/plugin-weight-inventory-common';
import { AccessRequestsClient } from '@internal/plugin-access-requests-common';
import { ModelScanClient } from '@internal/plugin-model-scan-common';
import { PolicyExceptionsClient } from '@internal/plugin-policy-exceptions-common';

/** The weight-inventory API (typed client of `/api/weight-inventory`). */
export const weightInventoryApiRef = createApiRef<WeightInventoryClient>({ id: 'plugin.weight-inventory.client' });

/**
 * Other families' APIs the entity tabs read (access grants, scan verdicts, whether a failing
 * finding is covered by a policy exception), over their typed clients.
 */
export interface LinkedApis {
  accessRequests: AccessRequestsClient;
  modelScan: ModelScanClient;
  policyExceptions: Pick<PolicyExceptionsClient, 'isExceptedMany'>;
}

export const weightInventoryLinkedApiRef = createApiRef<LinkedApis>({ id: 'plugin.weight-inventory.linked' });

import { createApiRef } from '@backstage/frontend-plugin-api';
import { WeightInventoryClient } from '@internal/plugin-weight-inventory-common';
import { AccessRequestsClient } from '@internal/plugin-access-requests-common';
import { ModelScanClient } from '@internal/plugin-model-scan-common';

/** The weight-inventory API (typed client of `/api/weight-inventory`). */
export const weightInventoryApiRef = createApiRef<WeightInventoryClient>({ id: 'plugin.weight-inventory.client' });

/** Other families' APIs the entity tabs read (access grants, scan verdicts), over their typed clients. */
export interface LinkedApis {
  accessRequests: AccessRequestsClient;
  modelScan: ModelScanClient;
}

export const weightInventoryLinkedApiRef = createApiRef<LinkedApis>({ id: 'plugin.weight-inventory.linked' });

import {
  createApiRef,
  DiscoveryApi,
  FetchApi,
} from '@backstage/frontend-plugin-api';
import { AccessRequestsClient } from '@internal/plugin-access-requests-common';

/**
 * The portal's access-requests API: the typed client of
 * @internal/plugin-access-requests-common, called with fetchApi (user token).
 */
export type AccessRequestsApi = Pick<
  AccessRequestsClient,
  | 'searchResources'
  | 'getResource'
  | 'createRequest'
  | 'listRequests'
  | 'getRequest'
  | 'review'
  | 'withdraw'
  | 'listGrants'
  | 'getGrant'
  | 'revokeGrant'
  | 'retryGrant'
  | 'renewGrant'
  | 'breakGlass'
  | 'postHocReview'
  | 'decisionTime'
>;

export const accessRequestsApiRef = createApiRef<AccessRequestsApi>({
  id: 'plugin.access-requests.api',
});

export function createAccessRequestsApi(options: {
  discoveryApi: DiscoveryApi;
  fetchApi: FetchApi;
}): AccessRequestsApi {
  return new AccessRequestsClient(options);
}

import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { WeightInventoryClient } from '@internal/plugin-weight-inventory-common';
import { PostureFinding, PostureSource } from './posture';

/**
 * Posture findings from the weight-inventory family over its API (typed client in
 * `@internal/plugin-weight-inventory-common`, this plugin's service credentials).
 * `not-applicable` findings count as not assessed.
 */
export class WeightInventoryPosture implements PostureSource {
  private readonly client: WeightInventoryClient;

  constructor(
    discovery: Pick<DiscoveryService, 'getBaseUrl'>,
    private readonly auth: Pick<AuthService, 'getOwnServiceCredentials' | 'getPluginRequestToken'>,
  ) {
    this.client = new WeightInventoryClient({ discoveryApi: discovery });
  }

  async findings(entityRef: string, controlId: string): Promise<PostureFinding[] | undefined> {
    const { token } = await this.auth.getPluginRequestToken({
      onBehalfOf: await this.auth.getOwnServiceCredentials(),
      targetPluginId: 'weight-inventory',
    });
    const { items } = await this.client.listFindings({ entityRef, controlId }, { token });
    const assessed = items.filter(f => f.status === 'pass' || f.status === 'fail');
    if (assessed.length === 0) return undefined;
    return assessed.map(f => ({
      controlId: f.controlId,
      findingKey: f.findingKey,
      status: f.status === 'fail' ? 'fail' : 'pass',
      message: f.message,
    }));
  }
}

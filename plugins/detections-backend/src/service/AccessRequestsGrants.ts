import type { AuthService, BackstageCredentials, DiscoveryService } from '@backstage/backend-plugin-api';
import { ResponseError } from '@backstage/errors';
import { parseGrantExport, type ExportedGrant } from '@internal/detection-rules';
import { AccessRequestsClient } from '@internal/plugin-access-requests-common';

/** What detections needs of the access-requests plugin. */
export interface GrantsApi {
  /**
   * Every grant (`GET /api/access-requests/grants/export`), read with the plugin's own service
   * credentials, and when access-requests made the export (its clock: whether a grant is in force
   * "now" is that plugin's answer, not ours).
   */
  exportGrants(): Promise<{ grants: ExportedGrant[]; generatedAt?: Date }>;
  /** Revokes one grant on behalf of the reviewer (access-requests checks and audits them). */
  revoke(grantId: string, reason: string, onBehalfOf: BackstageCredentials): Promise<void>;
}

/** GrantsApi over the access-requests HTTP API. */
export class AccessRequestsGrants implements GrantsApi {
  private readonly client: AccessRequestsClient;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly auth: AuthService,
  ) {
    this.client = new AccessRequestsClient({ discoveryApi: discovery });
  }

  private async token(onBehalfOf?: BackstageCredentials): Promise<string> {
    const { token } = await this.auth.getPluginRequestToken({
      onBehalfOf: onBehalfOf ?? (await this.auth.getOwnServiceCredentials()),
      targetPluginId: 'access-requests',
    });
    return token;
  }

  async exportGrants(): Promise<{ grants: ExportedGrant[]; generatedAt?: Date }> {
    const base = await this.discovery.getBaseUrl('access-requests');
    const res = await fetch(`${base}/grants/export`, { headers: { Authorization: `Bearer ${await this.token()}` } });
    if (!res.ok) throw await ResponseError.fromResponse(res);
    const body = await res.json();
    const at = typeof body?.generatedAt === 'string' ? new Date(body.generatedAt) : undefined;
    return { grants: parseGrantExport(body), generatedAt: at && Number.isFinite(at.getTime()) ? at : undefined };
  }

  async revoke(grantId: string, reason: string, onBehalfOf: BackstageCredentials): Promise<void> {
    await this.client.revokeGrant(grantId, reason, { token: await this.token(onBehalfOf) });
  }
}

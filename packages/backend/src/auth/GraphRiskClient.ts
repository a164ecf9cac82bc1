import type { TokenCredential } from '@azure/identity';
import { RiskyUserState } from './signInRisk';

/**
 * Reads a user's risk from Microsoft Graph Identity Protection
 * (GET /v1.0/identityProtection/riskyUsers/{id}; application permission IdentityRiskyUser.Read.All).
 */
export class GraphRiskClient {
  constructor(
    private readonly options: {
      credential: TokenCredential;
      /** https://graph.microsoft.com, or a national cloud / a stand-in. */
      baseUrl: string;
      timeoutMs?: number;
    },
  ) {}

  async getRiskyUser(userId: string): Promise<RiskyUserState | 'not-found'> {
    if (!/^[0-9a-fA-F-]{8,64}$/.test(userId)) {
      throw new Error(`Refusing to look up risk for malformed user id "${userId}"`);
    }
    const base = this.options.baseUrl.replace(/\/+$/, '');
    const token = await this.options.credential.getToken(`${base}/.default`);
    if (!token) throw new Error('No token for Microsoft Graph');
    const res = await fetch(
      `${base}/v1.0/identityProtection/riskyUsers/${encodeURIComponent(userId)}`,
      {
        headers: { authorization: `Bearer ${token.token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      },
    );
    if (res.status === 404) return 'not-found';
    if (!res.ok) {
      throw new Error(`Microsoft Graph answered ${res.status} for riskyUsers/${userId}`);
    }
    const body = (await res.json()) as RiskyUserState;
    return { riskLevel: body.riskLevel, riskState: body.riskState, riskDetail: body.riskDetail };
  }
}

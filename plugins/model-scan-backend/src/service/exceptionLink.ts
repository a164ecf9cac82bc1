import { AuthService, BackstageCredentials, DiscoveryService, LoggerService } from '@backstage/backend-plugin-api';
import {
  MODEL_FILES_ENTITY_REF,
  MODEL_SCAN_CONTROL_ID,
  PolicyException,
  PolicyExceptionsClient,
  modelFileSubject,
} from '@internal/plugin-policy-exceptions-common';
import { AcceptanceFacts } from '../domain/fileAllowance';

/**
 * Acceptances of suspicious verdicts are exceptions to FG-MODEL-SCAN scoped to one file hash,
 * held by the policy-exceptions plugin (issue 9). This is the model-scan side of that link:
 * - `acceptanceFacts`: which of these hashes an approved exception covers now, asked with
 *   `isExcepted` (the only way any plugin learns it); the allowance rule keeps its own checks
 *   (suspicious only, malicious never);
 * - `requestException`: an "accept" files an exception request on behalf of the reviewer; another
 *   current security reviewer approves it in policy-exceptions (no self-approval there).
 */
export interface VerdictExceptions {
  acceptanceFacts(sha256s: string[], now: Date): Promise<AcceptanceFacts[]>;
  requestException(
    input: { sha256: string; justification: string; expiresAt: string },
    onBehalfOf: BackstageCredentials,
  ): Promise<PolicyException>;
}

export class PolicyExceptionsLink implements VerdictExceptions {
  private readonly client: PolicyExceptionsClient;

  constructor(
    private readonly options: {
      discovery: Pick<DiscoveryService, 'getBaseUrl'>;
      auth: Pick<AuthService, 'getOwnServiceCredentials' | 'getPluginRequestToken'>;
      logger: LoggerService;
    },
  ) {
    this.client = new PolicyExceptionsClient({ discoveryApi: options.discovery });
  }

  private async token(onBehalfOf?: BackstageCredentials) {
    const { token } = await this.options.auth.getPluginRequestToken({
      onBehalfOf: onBehalfOf ?? (await this.options.auth.getOwnServiceCredentials()),
      targetPluginId: 'policy-exceptions',
    });
    return token;
  }

  /** Fails closed: when policy-exceptions cannot answer, no suspicious file counts as accepted. */
  async acceptanceFacts(sha256s: string[], now: Date): Promise<AcceptanceFacts[]> {
    const unique = [...new Set(sha256s.filter(Boolean))];
    if (unique.length === 0) return [];
    try {
      const token = await this.token();
      const facts: AcceptanceFacts[] = [];
      for (let i = 0; i < unique.length; i += 1000) {
        const batch = unique.slice(i, i + 1000);
        const results = await this.client.isExceptedMany(
          batch.map(sha => ({ controlId: MODEL_SCAN_CONTROL_ID, ...modelFileSubject(sha) })),
          now,
          { token },
        );
        results.forEach((r, j) => {
          if (r.excepted && r.until) {
            facts.push({ sha256: batch[j], expiresAt: new Date(r.until), scannerVersion: '', rulesetVersion: '' });
          }
        });
      }
      return facts;
    } catch (error) {
      this.options.logger.warn(`model-scan: policy-exceptions did not answer isExcepted; suspicious files stay blocked: ${(error as Error).message}`);
      return [];
    }
  }

  async requestException(
    input: { sha256: string; justification: string; expiresAt: string },
    onBehalfOf: BackstageCredentials,
  ): Promise<PolicyException> {
    const principal = onBehalfOf.principal as { userEntityRef?: string };
    const { exception } = await this.client.createException(
      {
        controlId: MODEL_SCAN_CONTROL_ID,
        scope: { entityRefs: [MODEL_FILES_ENTITY_REF], findingKey: modelFileSubject(input.sha256).findingKey },
        justification: input.justification,
        reasonCategory: 'risk-accepted',
        risk: { likelihood: 'medium', impact: 'medium' },
        compensatingControls: [
          {
            kind: 'described',
            measure: 'A security reviewer examined the suspicious findings of this exact file before asking to accept them.',
            owner: principal.userEntityRef ?? 'user:default/unknown',
            evidence: `model-scan findings of sha256 ${input.sha256}`,
            constraint: 'The model file is needed as it is; its scan raised suspicious (not malicious) findings.',
            objective: 'Only model files whose findings were reviewed are used (FG-MODEL-SCAN).',
            identifiedRisk: 'The suspicious findings of the file could hide unsafe behaviour.',
            validation: 'Review of the scan findings by the requesting security reviewer, then approval by another.',
            maintenance: 'Covers this exact hash only (any other version is scanned again) and ends at the chosen expiry.',
          },
        ],
        owner: principal.userEntityRef ?? 'user:default/unknown',
        endsAt: input.expiresAt,
      },
      { token: await this.token(onBehalfOf) },
    );
    return exception;
  }
}

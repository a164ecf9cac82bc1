import OpenAI, { AzureOpenAI } from 'openai';
import {
  DefaultAzureCredential,
  getBearerTokenProvider,
} from '@azure/identity';
import { Config } from '@backstage/config';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  analyze,
  deterministicSuggestion,
  DeterministicAnalysis,
} from './deterministic';
import { askModel, keyCandidates, LlmChoice } from './llm';
import { RoleSuggester, RoleSuggestion, SuggestionCandidate } from './types';

export const AZURE_COGNITIVE_SERVICES_SCOPE =
  'https://cognitiveservices.azure.com/.default';
const DEFAULT_TIMEOUT_MS = 10_000;

interface ModelClient {
  client: OpenAI;
  model: string;
  describe: string;
}

/**
 * The deterministic check on a model's answer: it must name one of the
 * candidates, and its privilege may not exceed the narrowest role that the
 * deterministic ranker found sufficient on the same resource.
 */
export function checkLlmChoice(
  choice: LlmChoice,
  keyed: Map<string, SuggestionCandidate>,
  analysis: DeterministicAnalysis,
):
  | { ok: true; candidate: SuggestionCandidate }
  | { ok: false; roleId: string; reason: string } {
  const candidate = keyed.get(choice.candidateId);
  if (!candidate) {
    return {
      ok: false,
      roleId: choice.candidateId,
      reason: `'${choice.candidateId}' is not one of the candidate roles`,
    };
  }
  const resource = analysis.resources.get(candidate.resourceRef)!;
  if (candidate.privilege > resource.privilegeBound) {
    return {
      ok: false,
      roleId: candidate.roleId,
      reason: `'${candidate.roleTitle}' (privilege ${candidate.privilege}) is broader than '${resource.choice.roleTitle}' (privilege ${resource.privilegeBound}), the narrowest role covering the request`,
    };
  }
  return { ok: true, candidate };
}

class DeterministicFirstRoleSuggester implements RoleSuggester {
  constructor(
    private readonly logger: LoggerService,
    private readonly model: ModelClient | undefined,
    private readonly timeoutMs: number,
  ) {}

  async suggest(input: {
    query: string;
    candidates: SuggestionCandidate[];
  }): Promise<RoleSuggestion | undefined> {
    const { query, candidates } = input;
    const analysis = analyze(query, candidates);
    if (!analysis) {
      return undefined;
    }
    const fallback = deterministicSuggestion(analysis, candidates);
    if (!this.model) {
      return fallback;
    }

    const keyed = keyCandidates(candidates);
    let choice: LlmChoice;
    try {
      choice = await askModel({
        client: this.model.client,
        model: this.model.model,
        query,
        keyed,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      this.logger.warn(
        `Role suggestion model (${
          this.model.describe
        }) failed, using the deterministic ranker: ${
          e instanceof Error ? e.message : String(e)
        }`,
      );
      return fallback;
    }

    const verdict = checkLlmChoice(
      choice,
      new Map(keyed.map(k => [k.candidateId, k.candidate])),
      analysis,
    );
    if (!verdict.ok) {
      this.logger.warn(
        `Rejected model role suggestion ${verdict.roleId}: ${verdict.reason}`,
      );
      return {
        ...fallback,
        rejectedLlmSuggestion: {
          roleId: verdict.roleId,
          reason: verdict.reason,
        },
      };
    }
    return {
      resourceRef: verdict.candidate.resourceRef,
      roleId: verdict.candidate.roleId,
      explanation: choice.explanation,
      source: 'llm',
    };
  }
}

function modelFromConfig(
  config: Config,
  timeoutMs: number,
  azureTokenProvider?: () => Promise<string>,
): ModelClient | undefined {
  const openai = config.getOptionalConfig('accessRequests.suggestion.openai');
  const azure = config.getOptionalConfig(
    'accessRequests.suggestion.azureOpenai',
  );
  if (openai && azure) {
    throw new Error(
      'Configure either accessRequests.suggestion.openai or accessRequests.suggestion.azureOpenai, not both',
    );
  }
  if (openai) {
    const baseURL = openai.getOptionalString('baseUrl');
    return {
      client: new OpenAI({
        baseURL,
        // OpenAI-compatible local servers often need no key; the SDK insists on one.
        apiKey: openai.getOptionalString('apiKey') ?? 'not-needed',
        timeout: timeoutMs,
        maxRetries: 0,
      }),
      model: openai.getString('model'),
      describe: `openai ${baseURL ?? 'api.openai.com'}`,
    };
  }
  if (azure) {
    const deployment = azure.getString('deployment');
    return {
      client: new AzureOpenAI({
        endpoint: azure.getString('endpoint'),
        deployment,
        apiVersion: azure.getString('apiVersion'),
        azureADTokenProvider:
          azureTokenProvider ??
          getBearerTokenProvider(
            new DefaultAzureCredential(),
            AZURE_COGNITIVE_SERVICES_SCOPE,
          ),
        timeout: timeoutMs,
        maxRetries: 0,
      }),
      model: deployment,
      describe: `azure-openai ${deployment}`,
    };
  }
  return undefined;
}

/**
 * Creates the role suggester from `accessRequests.suggestion`. With a model
 * configured, the model ranks the candidates and explains; its answer is
 * accepted only if it passes {@link checkLlmChoice}. Without one, or when the
 * model fails, times out or is rejected, the deterministic ranker answers.
 */
export function createRoleSuggester(opts: {
  config: Config;
  logger: LoggerService;
  /** Overrides the Entra ID token source for Azure OpenAI (default: DefaultAzureCredential). */
  azureTokenProvider?: () => Promise<string>;
}): RoleSuggester {
  const timeoutMs =
    opts.config.getOptionalNumber('accessRequests.suggestion.timeoutMs') ??
    DEFAULT_TIMEOUT_MS;
  const model = modelFromConfig(
    opts.config,
    timeoutMs,
    opts.azureTokenProvider,
  );
  opts.logger.info(
    model
      ? `Role suggestion uses ${model.describe} (model ${model.model}) with a deterministic check`
      : 'Role suggestion uses the deterministic ranker (no model configured)',
  );
  return new DeterministicFirstRoleSuggester(opts.logger, model, timeoutMs);
}

import { Config } from '@backstage/config';
import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { readSourcesConfig, SourcesConfig } from './config';
import { parseTarget } from './targets';
import { AllAddressesLookup, SsrfGuard } from './ssrf';
import { DownloadWorkspace } from './workspace';
import { HuggingFaceHubClient, resolveHuggingFace } from './huggingface';
import { MlflowRestClient } from './mlflow';
import { resolveAzureBlob } from './azure';
import { resolveHttps } from './https';
import type { ResolvedSource, SourceResolver } from './types';

export type { ResolvedFile, ResolvedSource, SourceResolver } from './types';
export { readSourcesConfig } from './config';
export type {
  SourcesConfig,
  AzureAccountConfig,
  RegistryConfig,
} from './config';
export { parseTarget, parseHfRepo, parseHfRevision } from './targets';
export type { ParsedTarget } from './targets';
export { SsrfGuard, isNonPublicAddress } from './ssrf';
export type { AllAddressesLookup } from './ssrf';
export { HuggingFaceHubClient, encodeRepoPath } from './huggingface';
export { MlflowRestClient } from './mlflow';
export { safeRelativePath } from './workspace';
export {
  httpRequest,
  downloadToFile,
  streamToFile,
  upstreamError,
} from './http';

/** MLflow / Databricks clients from config (undefined when not configured). */
export function createRegistryClients(cfg: SourcesConfig) {
  return {
    mlflow: cfg.mlflow
      ? new MlflowRestClient('mlflow', cfg.mlflow, cfg.requestTimeoutMs)
      : undefined,
    databricks: cfg.databricks
      ? new MlflowRestClient('databricks', cfg.databricks, cfg.requestTimeoutMs)
      : undefined,
  };
}

/**
 * Resolves scan targets (`https://…`, `hf://org/repo[@rev]`, Azure blob URLs,
 * `mlflow://name/version`, `databricks://name/version`) into local files under
 * `modelScan.workDir`, streaming every download and enforcing
 * `modelScan.sources.maxDownloadBytes` for the whole target.
 */
export function createSourceResolver(opts: {
  config: Config;
  logger: LoggerService;
  /** DNS lookup for the SSRF checks (tests inject one; default `dns.lookup`). */
  lookup?: AllAddressesLookup;
}): SourceResolver {
  const cfg = readSourcesConfig(opts.config);
  const guard = new SsrfGuard(cfg.allowedHosts, cfg.allowInsecureHttp, { lookup: opts.lookup });
  const hub = new HuggingFaceHubClient(cfg.huggingFace, cfg.requestTimeoutMs);
  const registries = createRegistryClients(cfg);
  const logger = opts.logger.child({ component: 'model-scan-sources' });

  return {
    async validate(target: string) {
      const parsed = parseTarget(target, cfg.azureAccounts);
      // the host name is resolved now too: private/loopback answers are a 400 at submission
      if (parsed.kind === 'https') await guard.checkUrlResolved(parsed.url);
    },
    async resolve(
      target: string,
      signal?: AbortSignal,
    ): Promise<ResolvedSource> {
      const parsed = parseTarget(target, cfg.azureAccounts);
      if (parsed.kind === 'https') guard.checkUrl(parsed.url); // refuse before creating anything
      const ws = await DownloadWorkspace.create(
        cfg.workDir,
        cfg.maxDownloadBytes,
        cfg.maxFiles,
      );
      try {
        switch (parsed.kind) {
          case 'https':
            await resolveHttps(
              parsed.url,
              ws,
              guard,
              cfg.requestTimeoutMs,
              signal,
            );
            break;
          case 'huggingface':
            await resolveHuggingFace(
              hub,
              ws,
              parsed.repo,
              parsed.revision,
              signal,
            );
            break;
          case 'azure':
            await resolveAzureBlob(parsed, ws, signal);
            break;
          case 'mlflow':
          case 'databricks': {
            const client = registries[parsed.kind];
            if (!client) {
              throw new NotFoundError(
                parsed.kind === 'mlflow'
                  ? 'No MLflow tracking server configured (modelScan.mlflow.trackingUri)'
                  : 'No Databricks workspace configured (modelScan.databricks.host)',
              );
            }
            await client.downloadModelVersion(
              parsed.name,
              parsed.version,
              ws,
              signal,
            );
            break;
          }
          default:
            break;
        }
        logger.info(
          `Resolved ${parsed.kind} target into ${ws.files.length} file(s)`,
        );
        return { files: [...ws.files], cleanup: () => ws.cleanup() };
      } catch (e) {
        await ws.cleanup();
        throw e;
      }
    },
  };
}

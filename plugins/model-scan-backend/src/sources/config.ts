import { Config } from '@backstage/config';
import path from 'node:path';

/** Azure storage account settings (`modelScan.azure.accounts[]`). */
export interface AzureAccountConfig {
  /** Account endpoint, e.g. https://acct.blob.core.windows.net or http://127.0.0.1:10000/devstoreaccount1 */
  endpoint: string;
  /** Emulator only (Azurite): shared key auth. Production accounts use Entra ID. */
  accountName?: string;
  accountKey?: string;
  /** Service principal (ClientSecretCredential); without it DefaultAzureCredential is used. */
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
}

export interface RegistryConfig {
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** MLflow basic auth (`mlflow server --app-name basic-auth`), used when no token is set. */
  username?: string;
  password?: string;
}

/** Everything the source resolver reads from config, with defaults applied. */
export interface SourcesConfig {
  workDir: string;
  maxDownloadBytes: number;
  maxFiles: number;
  allowInsecureHttp: boolean;
  allowedHosts: string[];
  requestTimeoutMs: number;
  huggingFace: RegistryConfig;
  mlflow?: RegistryConfig;
  databricks?: RegistryConfig;
  azureAccounts: AzureAccountConfig[];
}

export const DEFAULT_WORK_DIR = './data/model-scan';
export const DEFAULT_MAX_DOWNLOAD_BYTES = 50 * 1024 ** 3;
export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

export function readSourcesConfig(config: Config): SourcesConfig {
  const ms = config.getOptionalConfig('modelScan');
  const sources = ms?.getOptionalConfig('sources');
  const hf = ms?.getOptionalConfig('huggingFace');
  const mlflow = ms?.getOptionalConfig('mlflow');
  const databricks = ms?.getOptionalConfig('databricks');
  const azure = ms?.getOptionalConfig('azure');

  const mlflowUri = mlflow?.getOptionalString('trackingUri');
  const databricksHost = databricks?.getOptionalString('host');
  return {
    workDir: path.resolve(ms?.getOptionalString('workDir') ?? DEFAULT_WORK_DIR),
    maxDownloadBytes:
      sources?.getOptionalNumber('maxDownloadBytes') ??
      DEFAULT_MAX_DOWNLOAD_BYTES,
    maxFiles: sources?.getOptionalNumber('maxFiles') ?? 10000,
    allowInsecureHttp:
      sources?.getOptionalBoolean('allowInsecureHttp') ?? false,
    allowedHosts: (sources?.getOptionalStringArray('allowedHosts') ?? []).map(
      h => h.toLowerCase(),
    ),
    requestTimeoutMs: sources?.getOptionalNumber('requestTimeoutMs') ?? 60_000,
    huggingFace: {
      baseUrl: trimSlash(
        hf?.getOptionalString('endpoint') ?? DEFAULT_HF_ENDPOINT,
      ),
      token: hf?.getOptionalString('token'),
    },
    mlflow: mlflowUri
      ? {
          baseUrl: trimSlash(mlflowUri),
          token: mlflow?.getOptionalString('token'),
          username: mlflow?.getOptionalString('username'),
          password: mlflow?.getOptionalString('password'),
        }
      : undefined,
    databricks: databricksHost
      ? {
          baseUrl: trimSlash(databricksHost),
          token: databricks?.getOptionalString('token'),
        }
      : undefined,
    azureAccounts: (azure?.getOptionalConfigArray('accounts') ?? []).map(a => ({
      endpoint: trimSlash(a.getString('endpoint')),
      accountName: a.getOptionalString('accountName'),
      accountKey: a.getOptionalString('accountKey'),
      tenantId: a.getOptionalString('tenantId'),
      clientId: a.getOptionalString('clientId'),
      clientSecret: a.getOptionalString('clientSecret'),
    })),
  };
}

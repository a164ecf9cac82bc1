import { Config } from '@backstage/config';

export interface WebhookSettings {
  maxAgeSeconds: number;
  replayTtlSeconds: number;
  maxBodyBytes: number;
  mlflowSecret?: string;
  databricksSecret?: string;
  huggingFaceSecret?: string;
  /** Git refs whose updates trigger a scan (Hugging Face). */
  huggingFaceRefs: string[];
}

export interface TriggerSettings {
  webhooks: WebhookSettings;
  writeBack: { mlflow: boolean; databricks: boolean };
  hfProxy: {
    enabled: boolean;
    allowUpstreamAuthorizationHeader: boolean;
    cacheMaxBytes: number;
  };
}

export function readTriggerSettings(config: Config): TriggerSettings {
  const ms = config.getOptionalConfig('modelScan');
  const wh = ms?.getOptionalConfig('webhooks');
  const maxAge = wh?.getOptionalNumber('maxAgeSeconds') ?? 300;
  return {
    webhooks: {
      maxAgeSeconds: maxAge,
      replayTtlSeconds: Math.max(
        wh?.getOptionalNumber('replayTtlSeconds') ?? 86400,
        2 * maxAge,
      ),
      maxBodyBytes: wh?.getOptionalNumber('maxBodyBytes') ?? 1024 * 1024,
      mlflowSecret: wh?.getOptionalString('mlflow.secret'),
      databricksSecret: wh?.getOptionalString('databricks.secret'),
      huggingFaceSecret: wh?.getOptionalString('huggingface.secret'),
      huggingFaceRefs: wh?.getOptionalStringArray('huggingface.refs') ?? [
        'refs/heads/main',
      ],
    },
    writeBack: {
      mlflow: ms?.getOptionalBoolean('mlflow.writeBackVerdict') ?? true,
      databricks: ms?.getOptionalBoolean('databricks.writeBackVerdict') ?? true,
    },
    hfProxy: {
      enabled: ms?.getOptionalBoolean('huggingFace.proxy.enabled') ?? true,
      allowUpstreamAuthorizationHeader:
        ms?.getOptionalBoolean(
          'huggingFace.proxy.allowUpstreamAuthorizationHeader',
        ) ?? true,
      cacheMaxBytes:
        ms?.getOptionalNumber('huggingFace.proxy.cacheMaxBytes') ??
        100 * 1024 ** 3,
    },
  };
}

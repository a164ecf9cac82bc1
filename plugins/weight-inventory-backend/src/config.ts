/** Reads `weightInventory.*` (see config.d.ts) into typed settings. */
import type { Config } from '@backstage/config';
import { PostureConfig, resolveConfig } from '@internal/posture-checks';
import type { KubernetesClusterOptions } from './sources/kubernetes';

export interface AzureSubscriptionConfig {
  subscriptionId: string;
  credential?: { tenantId: string; clientId: string; clientSecret: string };
}

export interface WeightInventorySettings {
  posture: PostureConfig;
  demo: boolean;
  refreshOnStartup: boolean;
  azure: {
    armEndpoint?: string;
    listBlobs: boolean;
    maxMagicProbes: number;
    concurrency: number;
    subscriptions: AzureSubscriptionConfig[];
  };
  kubernetes: KubernetesClusterOptions[];
  catalogRefreshMinutes: number;
}

/** Whether the process runs as production (same rule as the backend's production guard). */
export function isProduction(config: Config, env: NodeJS.ProcessEnv = process.env): boolean {
  return config.getOptionalString('auth.environment') === 'production' || env.NODE_ENV === 'production';
}

export function readSettings(config: Config, env: NodeJS.ProcessEnv = process.env): WeightInventorySettings {
  const c = config.getOptionalConfig('weightInventory');
  let posture: PostureConfig;
  try {
    posture = resolveConfig(c?.getOptional('posture'));
  } catch (e) {
    throw new Error(`weightInventory.posture: ${(e as Error).message}`);
  }
  const demo = c?.getOptionalBoolean('demo.enabled') ?? false;
  if (demo && isProduction(config, env)) {
    throw new Error('weightInventory.demo.enabled is true in a production configuration (the inventory would show fabricated demo stores); remove it');
  }
  const azure = c?.getOptionalConfig('azure');
  const subscriptions = (azure?.getOptionalConfigArray('subscriptions') ?? []).map(s => {
    const cred = s.getOptionalConfig('credential');
    return {
      subscriptionId: s.getString('subscriptionId'),
      credential: cred ? { tenantId: cred.getString('tenantId'), clientId: cred.getString('clientId'), clientSecret: cred.getString('clientSecret') } : undefined,
    };
  });
  const clusters = (c?.getOptionalConfigArray('kubernetes.clusters') ?? []).map(k => {
    const labels = k.getOptionalConfig('labels');
    return {
      name: k.getString('name'),
      url: k.getOptionalString('url'),
      token: k.getOptionalString('token'),
      caData: k.getOptionalString('caData'),
      skipTLSVerify: k.getOptionalBoolean('skipTLSVerify'),
      labels: labels ? Object.fromEntries(labels.keys().map(key => [key, labels.getString(key)])) : undefined,
      weightVolumeLabel: k.getOptionalString('weightVolumeLabel'),
    };
  });
  return {
    posture,
    demo,
    refreshOnStartup: c?.getOptionalBoolean('refreshOnStartup') ?? true,
    azure: {
      armEndpoint: azure?.getOptionalString('armEndpoint'),
      listBlobs: azure?.getOptionalBoolean('listBlobs') ?? true,
      maxMagicProbes: azure?.getOptionalNumber('maxMagicProbes') ?? 200,
      concurrency: azure?.getOptionalNumber('concurrency') ?? 8,
      subscriptions,
    },
    kubernetes: clusters,
    catalogRefreshMinutes: c?.getOptionalNumber('catalog.refreshMinutes') ?? 5,
  };
}

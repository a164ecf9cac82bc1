import type { HumanDuration } from '@backstage/types';

export interface Config {
  /** Weight-storage inventory and posture (plugins/weight-inventory-backend). */
  weightInventory?: {
    /**
     * How often the inventory refreshes (Backstage scheduler, one replica at a time); frequency
     * and timeout as HumanDuration, ISO duration or cron. Default every 30 minutes, timeout 20.
     */
    schedule?: { frequency: HumanDuration | string | { cron: string }; timeout: HumanDuration | string; initialDelay?: HumanDuration | string };
    /** Refresh once shortly after start. Default true. */
    refreshOnStartup?: boolean;
    /**
     * Conventions of the posture checks (see plugins/posture-checks README): research namespace
     * selector, high-risk label, sandbox runtime classes, egress allowlist, weight-store tags.
     */
    posture?: {
      kubernetes?: {
        researchNamespaceSelector?: { [label: string]: string };
        excludedNamespaces?: string[];
        defaultNamespace?: string;
        highRiskLabel?: { key: string; value: string };
        sandboxes?: Array<{ runtimeClass: string; handler: string }>;
        allowedEgressCidrs?: string[];
        allowedClusterAdminSubjects?: string[];
      };
      storage?: {
        weightStoreTags?: { [tag: string]: string };
        acceptedTlsVersions?: string[];
        readLogCategories?: string[];
      };
      disabledChecks?: string[];
    };
    /** The demo source (a few fabricated stores, labelled demo). Refused when auth.environment or NODE_ENV is production. */
    demo?: { enabled?: boolean };
    azure?: {
      /** Azure Resource Manager endpoint (default https://management.azure.com). */
      armEndpoint?: string;
      /** List blobs to find weight files (default true). */
      listBlobs?: boolean;
      /** Blobs without a weight extension whose first bytes are read, per account (default 200). */
      maxMagicProbes?: number;
      /** Storage accounts read in parallel (default 8). */
      concurrency?: number;
      subscriptions?: Array<{
        subscriptionId: string;
        /** A service principal; without it DefaultAzureCredential (workload identity, managed identity, CLI). */
        credential?: {
          tenantId: string;
          clientId: string;
          /** @visibility secret */
          clientSecret: string;
        };
      }>;
    };
    kubernetes?: {
      clusters?: Array<{
        name: string;
        /** API server URL; without it the default kubeconfig / in-cluster service account. */
        url?: string;
        /** @visibility secret */
        token?: string;
        caData?: string;
        skipTLSVerify?: boolean;
        /** Labels of the cluster entity, e.g. owner. */
        labels?: { [key: string]: string };
        /** PVC label (value "true") that marks volumes holding weights. Default frontier-guard.io/holds-weights. */
        weightVolumeLabel?: string;
      }>;
    };
    catalog?: {
      /** The entity provider's refresh period in minutes (default 5). */
      refreshMinutes?: number;
      /** Access policies (catalog/policies `name`) the entities point at; a store's `access-policy` tag/label wins. */
      accessPolicies?: { weightStore?: string; kubernetesCluster?: string };
    };
  };
}

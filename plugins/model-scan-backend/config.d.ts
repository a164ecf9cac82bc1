export interface Config {
  /** Model scanning (plugin `model-scan`). */
  modelScan?: {
    /** Folder for uploads and downloaded model files. Default `./data/model-scan`. */
    workDir?: string;
    /** Largest accepted upload in bytes. Default 5 GiB. */
    maxUploadBytes?: number;
    /**
     * Allow scanning paths on the backend's own file system (targets that are not URLs).
     * Default false: users must never be able to make the server read its own files.
     */
    allowLocalPaths?: boolean;
    worker?: {
      /** Scan jobs run at the same time by one backend replica. Default 2. */
      concurrency?: number;
      /** Time limit of one file scan in seconds (the engine stops itself 10% earlier with SCAN_TIME_LIMIT; on overrun the worker is terminated). Default 600. */
      timeoutSeconds?: number;
      /** Old-generation heap limit of a scan worker thread in MB. Default 512. */
      maxOldGenerationSizeMb?: number;
      /** How often each replica polls for queued scans, in seconds. Default 3. */
      pollSeconds?: number;
      /** Lease of a claimed scan job in seconds; a job whose lease ran out is claimed again. Default 120. */
      leaseSeconds?: number;
    };
    /** ClamAV daemon; when set, every file also goes through clamd INSTREAM. */
    clamd?: {
      socket?: string;
      host?: string;
      port?: number;
    };
    acceptance?: {
      /** Longest validity of an acceptance of a suspicious verdict, in days. Default 30. */
      maxDays?: number;
    };
    /**
     * Notifications (Backstage notifications service) when a scan ends suspicious or malicious,
     * and when its requester asks for a review.
     */
    notifications?: {
      /** Group whose members are notified. Default `group:default/security-reviewers`. */
      reviewerGroup?: string;
      /** Where the app serves the model-scan pages; links are `<appMountPath>/scans/<id>`. Default `/model-scan`. */
      appMountPath?: string;
    };
    uploads?: {
      /**
       * Uploaded files older than this many days (counted from the last time the same bytes
       * were uploaded) are deleted by the hourly housekeeping task, unless a queued or running
       * scan still needs them. Scan results stay; a rescan of a deleted upload is refused
       * ("upload expired"). Must be positive. Default 30.
       */
      retentionDays?: number;
      /**
       * Where uploads are kept until retention deletes them. `local` (default): `<workDir>/uploads`
       * on the replica that received them, for a single replica. `azure-blob`: a container every
       * replica reads, so a scan queued by one replica can be run by another.
       */
      storage?: {
        type?: 'local' | 'azure-blob';
        /** Blob service endpoint, e.g. https://acct.blob.core.windows.net. */
        endpoint?: string;
        /** Container name (created when missing). */
        container?: string;
        /** Folder inside the container. Default `uploads/`. */
        prefix?: string;
        /** Emulator only (Azurite): shared key. Production uses Entra ID (DefaultAzureCredential). */
        accountName?: string;
        /** @visibility secret */
        accountKey?: string;
        /** Service principal; without it DefaultAzureCredential (managed/workload identity) is used. */
        tenantId?: string;
        clientId?: string;
        /** @visibility secret */
        clientSecret?: string;
      };
    };

    /**
     * Where file scans run. `in-process` (default): worker threads of this backend. `kubernetes`:
     * one Kubernetes Job per file (plugins/model-scan-node), reading its input from and writing its
     * result to the shared upload container (needs `uploads.storage.type: azure-blob`). A backend
     * module may instead set a runner through `modelScanRunnerExtensionPoint`.
     */
    runner?: {
      type?: 'in-process' | 'kubernetes';
      kubernetes?: {
        /** API server URL. */
        url: string;
        /** @visibility secret */
        token?: string;
        /** Service account token file (re-read for every Job), e.g. a projected token. */
        tokenFile?: string;
        /** Cluster CA (PEM or base64 PEM). */
        caData?: string;
        skipTLSVerify?: boolean;
        namespace: string;
        /** The scanner image built from deploy/model-scanner/Dockerfile. */
        image: string;
        /** Container command. Default `/nodejs/bin/node /scanner/entry.cjs job` (that image). */
        command?: string[];
        /** RuntimeClass of the scan pods, e.g. `gvisor`. */
        runtimeClassName?: string;
        /** Limits of one scan pod. Defaults 2 CPUs, 1Gi memory, 20Gi scratch. */
        cpu?: string;
        memory?: string;
        ephemeralStorage?: string;
        /** activeDeadlineSeconds of one Job. Default 900. */
        timeoutSeconds?: number;
        /** CIDRs of the blob storage endpoint: the only egress (TCP 443) the scan pod gets. */
        egressCidrs: string[];
        /** Files smaller than this are scanned in-process. Default 0 (all as Jobs). */
        minBytes?: number;
        /**
         * Origins whose files always run as Jobs, whatever their size: `remote` (downloads from
         * hf://, https://, registries), `upload`, `local`. Default none (only `minBytes` decides).
         */
        alwaysFor?: Array<'upload' | 'remote' | 'local'>;
      };
    };

    // ---- read by src/sources (remote targets) and src/triggers (webhooks, proxy, rescans)

    /** Downloads of remote targets. */
    sources?: {
      /** Largest total download of one target in bytes. Default 50 GiB. */
      maxDownloadBytes?: number;
      /** Most files of one target. Default 10000. */
      maxFiles?: number;
      /** Allow plain http:// targets. Default false. */
      allowInsecureHttp?: boolean;
      /** Hosts that may be fetched even though they resolve to private addresses (SSRF guard). */
      allowedHosts?: string[];
      /** Timeout of one upstream request in milliseconds. Default 60000. */
      requestTimeoutMs?: number;
    };
    huggingFace?: {
      /** Hub base URL. Default https://huggingface.co */
      endpoint?: string;
      /** @visibility secret */
      token?: string;
      proxy?: {
        /** Serve the Hugging Face-compatible scan-on-download proxy under /hf. Default true. */
        enabled?: boolean;
        /** Forward the client's Authorization header upstream. Default true. */
        allowUpstreamAuthorizationHeader?: boolean;
        /** Size of the proxy's file cache in bytes (least recently used evicted first). Default 100 GiB. */
        cacheMaxBytes?: number;
      };
    };
    mlflow?: {
      /** MLflow tracking server URL; enables mlflow:// targets. */
      trackingUri?: string;
      /** @visibility secret */
      token?: string;
      username?: string;
      /** @visibility secret */
      password?: string;
      /** Write the verdict back as a model-version tag. Default true. */
      writeBackVerdict?: boolean;
    };
    databricks?: {
      /** Databricks workspace URL; enables databricks:// targets. */
      host?: string;
      /** @visibility secret */
      token?: string;
      /** Write the verdict back to the model registry. Default true. */
      writeBackVerdict?: boolean;
    };
    azure?: {
      /** Storage accounts that Azure blob URLs may point at. */
      accounts?: Array<{
        endpoint: string;
        /** Emulator (Azurite) only. */
        accountName?: string;
        /** @visibility secret */
        accountKey?: string;
        tenantId?: string;
        clientId?: string;
        /** @visibility secret */
        clientSecret?: string;
      }>;
    };
    /** Registry webhooks (unauthenticated routes that verify signatures). */
    webhooks?: {
      /** Oldest accepted delivery timestamp, in seconds. Default 300. */
      maxAgeSeconds?: number;
      /**
       * How long accepted deliveries are remembered against replays (table
       * `webhook_deliveries`, shared by every replica), in seconds; at least twice
       * maxAgeSeconds. Older rows are deleted by the hourly housekeeping task. Default 86400.
       */
      replayTtlSeconds?: number;
      /** Largest accepted webhook body in bytes. Default 1 MiB. */
      maxBodyBytes?: number;
      mlflow?: {
        /** @visibility secret */
        secret?: string;
      };
      databricks?: {
        /** @visibility secret */
        secret?: string;
      };
      huggingface?: {
        /** @visibility secret */
        secret?: string;
        /** Git refs whose updates start a scan. Default ["refs/heads/main"]. */
        refs?: string[];
      };
    };
    /** Periodic rescans of every catalog model with frontier-guard.io/model-source. */
    rescan?: {
      /** Default true. */
      enabled?: boolean;
      /**
       * Default: daily, 1 hour timeout, 5 minutes initial delay. A schedule without
       * `initialDelay` gets 5 minutes too: the rescan never runs right at start-up.
       */
      schedule?: {
        frequency: { cron: string } | string | { [unit: string]: number };
        timeout: string | { [unit: string]: number };
        initialDelay?: string | { [unit: string]: number };
        scope?: 'global' | 'local';
      };
    };
  };
}

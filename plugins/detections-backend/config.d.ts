export interface Config {
  detections?: {
    /**
     * Thresholds and allowlists of the rules (`@internal/detection-rules`, same keys as its config
     * file: alertGroupWindowMinutes, weightStores, researchNamespaces, bulkRead, …). Absent keys
     * keep the engine's defaults.
     */
    rules?: { [key: string]: unknown };
    ingest?: {
      /** Largest POST /ingest body (express size). Default 10mb. */
      maxBytes?: string;
      /** Most NDJSON lines per POST /ingest. Default 50000. */
      maxLines?: number;
    };
    engine?: {
      /** Stored events of this many past hours are replayed into the engine at startup. Default 24. */
      warmupHours?: number;
      /** At most this many events are replayed at startup. Default 2000000. */
      warmupMaxEvents?: number;
    };
    retention?: {
      /** Events older than this many days are deleted. Default 90. */
      eventDays?: number;
      /** Closed alerts closed more than this many days ago are deleted. Default 365. */
      closedAlertDays?: number;
      /** How often retention runs, in minutes. Default 60. */
      frequencyMinutes?: number;
    };
    grants?: {
      /**
       * Where grants come from for "read without a grant", the principal/resource refs of alerts
       * and revoking from an alert: the access-requests plugin's API (default) or none.
       */
      source?: 'access-requests' | 'none';
      /** How often the grant export is read again, in minutes. Default 5. */
      refreshMinutes?: number;
    };
    notifications?: {
      /** Who is told about new high and critical alerts. Default group:default/security-reviewers. */
      group?: string;
    };
    /** Pull exported diagnostic logs from a storage container (absent: no pull). */
    pull?: {
      /** Default true when the block is present. */
      enabled?: boolean;
      /** e.g. https://<account>.blob.core.windows.net */
      accountUrl: string;
      /** e.g. insights-logs-storageread */
      container: string;
      /** Only blobs whose name starts with this. */
      prefix?: string;
      /** With accountKey: shared-key access (development); without: DefaultAzureCredential (workload identity). */
      accountName?: string;
      /** @visibility secret */
      accountKey?: string;
      /** Minutes between pulls. Default 5. */
      frequencyMinutes?: number;
    };
    /**
     * Run every rule's compiled KQL in a Log Analytics workspace (Microsoft Sentinel) and store
     * the rows as alerts (absent: not used). Authenticates with DefaultAzureCredential.
     */
    sentinel?: {
      /** The Log Analytics workspace id (a GUID). */
      workspaceId: string;
      /** Logs query endpoint; default the public cloud's (https://api.loganalytics.io/v1). */
      endpoint?: string;
      /** Minutes between reads; a rule's first read looks back this far (and overlapMinutes). Default 60. */
      frequencyMinutes?: number;
      /**
       * Every read of a rule starts this many minutes before where the last one ended, for rows
       * that reached the workspace after that read (ingestion latency is typically 20 s to 3 min,
       * sometimes much longer). Rows read twice are known by their keys and change nothing.
       * Default 15; 0 turns the overlap off.
       */
      overlapMinutes?: number;
      /**
       * No read goes back further than this many minutes (after an outage, or a rule whose query
       * kept failing): older unread time is left out, logged and audited (sentinel-lookback-exceeded).
       * At least frequencyMinutes + overlapMinutes. Default 1440 (24 h).
       */
      maxLookbackMinutes?: number;
    };
  };
}

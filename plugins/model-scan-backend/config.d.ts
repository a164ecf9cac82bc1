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
      /** Time limit of one file scan in seconds; on overrun the worker is terminated. Default 600. */
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
  };
}

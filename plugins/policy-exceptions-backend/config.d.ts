export interface Config {
  policyExceptions?: {
    /** The group whose CURRENT catalog members review exceptions. Default group:default/security-reviewers. */
    reviewerGroup?: string;
    /**
     * Longest window (end − start) of an exception per risk rating, in days. A riskier rating may
     * not allow longer than a milder one. Defaults: low 365, medium 180, high 90, critical 30.
     */
    maxDurationDays?: { low?: number; medium?: number; high?: number; critical?: number };
    /** Re-review cadence per risk rating, in days. Defaults: low 180, medium 90, high 30, critical 14. */
    reviewCadenceDays?: { low?: number; medium?: number; high?: number; critical?: number };
    /** Owners are notified this many days before an exception ends. Default 14. */
    expiryNoticeDays?: number;
    checks?: {
      /** How often the compensating-control check and reminders run, in minutes. Default 15. */
      frequencyMinutes?: number;
      /**
       * Where catalog compensating controls are checked: the weight-inventory plugin's posture
       * findings (default), or 'none' (every such check is recorded as unknown, never suspends).
       */
      postureSource?: 'weight-inventory' | 'none';
    };
    imports?: {
      /**
       * Copy model-scan's acceptances of suspicious verdicts (GET /api/model-scan/acceptances) into
       * exceptions to FG-MODEL-SCAN, once each, at startup and on each check run. Default true.
       */
      modelScanAcceptances?: boolean;
    };
    testing?: {
      /**
       * TEST ONLY. Registers POST /admin/clock { advanceSeconds } to move this process's clock
       * forward. The backend refuses to start with it when NODE_ENV=production. Default false.
       */
      allowClockControl?: boolean;
    };
  };
}

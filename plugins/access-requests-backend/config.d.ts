export interface Config {
  /** access-requests backend plugin (AccessManager) */
  accessRequests?: {
    /**
     * Directory with the access policy YAML files (catalog/policies). Relative paths are
     * resolved from the backend's working directory. Default: ../../catalog/policies
     */
    policyDirectory?: string;
    /** Frontend base URL used in notification links (default: app.baseUrl). */
    appBaseUrl?: string;
    /** Current group membership that gates break-glass and post-hoc reviews. */
    groups?: {
      /** default group:default/platform-admins */
      platformAdmins?: string;
      /** default group:default/security-reviewers */
      securityReviewers?: string;
    };
    expiry?: {
      /** How often the expiry task runs (Backstage scheduler, global scope). Default 1. */
      frequencyMinutes?: number;
      /** Send the holder one reminder this many minutes before a grant ends. Default 30. */
      reminderMinutesBefore?: number;
    };
    testing?: {
      /**
       * TEST ONLY. Registers POST /admin/clock { advanceSeconds } (platform admins, audited)
       * to move this process's clock forward. Never enable in production. Default false.
       */
      allowClockControl?: boolean;
    };
    /**
     * Provisioner type aliases, used only when no provisioner of the original type is
     * registered. The embedded demo maps `azure-role-assignment` and
     * `kubernetes-rolebinding` to `record-only`; production config must not.
     */
    provisionerAliases?: { [type: string]: string };
    /**
     * Provisioner settings (kubernetes, azure, ...). Documented by the provisioners module
     * (src/provisioners/README or the package README).
     * @deepVisibility secret
     */
    provisioners?: { [key: string]: unknown };
    /**
     * Role suggestion settings (openai / azureOpenai). Documented by src/suggestion.
     * @deepVisibility secret
     */
    suggestion?: { [key: string]: unknown };
  };
}

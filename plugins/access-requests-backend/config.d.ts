export interface Config {
  /** access-requests backend plugin (AccessManager) */
  accessRequests?: {
    /**
     * Directory with the access policy YAML files (catalog/policies). Relative paths are
     * resolved from the backend's working directory. Default: ../../catalog/policies
     */
    policyDirectory?: string;
    /** Frontend base URL used in notification links when absoluteNotificationLinks is on (default: app.baseUrl). */
    appBaseUrl?: string;
    /**
     * Notification links as absolute URLs (appBaseUrl + path) instead of app paths. Default
     * false: the portal opens app paths in the same tab (absolute ones open a new tab).
     */
    absoluteNotificationLinks?: boolean;
    /**
     * Where the app serves the access pages, for notification links: app base URL + these
     * paths. Give `mountPath` (default /access, the portal's access page) or single paths
     * (react-router syntax, `:id` is filled in); defaults are the portal's own route paths.
     */
    appRoutes?: {
      mountPath?: string;
      request?: string;
      grant?: string;
      myAccess?: string;
      inbox?: string;
      active?: string;
    };
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
    /** Provisioners registered by accessRequestsModuleProvisioners (src/provisioners/README.md). */
    provisioners?: {
      kubernetes?: {
        /** {{name}} / {{namespace}} of the user entity ref. Default '{{name}}' */
        userSubjectTemplate?: string;
        clusters: Array<{
          name: string;
          url: string;
          /** @visibility secret */
          serviceAccountToken?: string;
          tokenFile?: string;
          /** base64 PEM as in a kubeconfig (plain PEM accepted) */
          caData?: string;
          skipTLSVerify?: boolean;
          userSubjectTemplate?: string;
        }>;
      };
      azure?: {
        subscriptionId: string;
        tenantId?: string;
        clientId?: string;
        /** @visibility secret */
        clientSecret?: string;
        /** default https://management.azure.com */
        resourceManagerEndpoint?: string;
        authorityHost?: string;
        userPrincipals?: Array<{ userRef: string; principalId: string }>;
      };
    };
    /** Role suggestion (src/suggestion/README.md). No model configured: deterministic ranker. */
    suggestion?: {
      /** default 10000 */
      timeoutMs?: number;
      openai?: {
        baseUrl?: string;
        /** @visibility secret */
        apiKey?: string;
        model: string;
      };
      azureOpenai?: { endpoint: string; deployment: string; apiVersion: string };
    };
  };
}

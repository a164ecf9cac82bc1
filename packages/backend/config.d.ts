export interface Config {
  frontierGuard?: {
    /**
     * DASF 1: allowed client networks, enforced for every route by the root HTTP router. Refused
     * requests are written to the audit trail as one `ip-access-refused` summary event per minute.
     */
    ipAccessList?: {
      /** Set to false to switch the list off without deleting it. */
      enabled?: boolean;
      /**
       * CIDR blocks or single addresses, IPv4 or IPv6. Empty: no restriction. Include
       * 127.0.0.1/32 and ::1/128 for the backend's own plugin-to-plugin calls (startup warns if not).
       */
      allowedNetworks?: string[];
    };
    /** Risk-based verification at Microsoft (Entra ID) sign-in through Graph Identity Protection. */
    signInRisk?: {
      enabled?: boolean;
      /** Default https://graph.microsoft.com */
      graphBaseUrl?: string;
      tenantId?: string;
      clientId?: string;
      /** @visibility secret */
      clientSecret?: string;
      /** The lowest user risk level that refuses a session: "high" (default) or "medium". */
      refuseAt?: 'high' | 'medium';
      /** Refuse sign-in when the risk cannot be determined. Default true. */
      failClosed?: boolean;
      timeoutMs?: number;
    };
  };
}

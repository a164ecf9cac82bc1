export interface Config {
  /** Frontier Guard audit trail (`@internal/plugin-audit-backend`). */
  audit?: {
    /**
     * Optional key for the row hashes. When set, new rows are hashed with
     * HMAC-SHA-256 under this key instead of plain SHA-256, so someone who can write to
     * the database but does not know the key cannot rewrite the whole chain consistently.
     * Verification (endpoint and CLI) needs the same key. Keep it out of the database's
     * reach (environment variable / secret store). Changing it breaks verification of the
     * rows written under the old key.
     *
     * @visibility secret
     */
    hmacSecret?: string;
  };
}

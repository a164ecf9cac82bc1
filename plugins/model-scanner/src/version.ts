import { policyFingerprint } from './pickle/policy';
import { rules } from './rules';

export const SCANNER_NAME = 'frontier-guard-model-scanner';
export const SCANNER_VERSION = '0.3.0';
let memo: string | undefined;
/** Hash of the allowlists and rules: cached verdicts are invalid when it changes. */
export const RULESET_VERSION = /* @__PURE__ */ rulesetVersion();

/** RULESET_VERSION computed on first use (the CLI bundle does not compute it at start-up). */
export function rulesetVersion(): string {
  memo ??= computeRulesetVersion();
  return memo;
}

function computeRulesetVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  return createHash('sha256')
    .update(policyFingerprint())
    .update(
      JSON.stringify(
        Object.entries(rules).map(([k, r]) => [k, r.defaultSeverity, r.atlas]),
      ),
    )
    .digest('hex')
    .slice(0, 16);
}

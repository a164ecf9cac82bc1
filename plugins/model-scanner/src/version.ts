import { createHash } from 'node:crypto';
import { policyFingerprint } from './pickle/policy';
import { rules } from './rules';

export const SCANNER_NAME = 'frontier-guard-model-scanner';
export const SCANNER_VERSION = '0.2.0';
/** Hash of the allowlists and rules: cached verdicts are invalid when it changes. */
export const RULESET_VERSION = /* @__PURE__ */ rulesetVersion();

function rulesetVersion(): string {
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

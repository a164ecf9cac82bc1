import { Config } from '@backstage/config';
import { RiskRating } from '@internal/plugin-policy-exceptions-common';

/** Rules that come from configuration (config.d.ts: policyExceptions.*). */
export interface ExceptionSettings {
  /** Longest window (endsAt − startsAt) per risk rating, in days. */
  maxDurationDays: Record<RiskRating, number>;
  /** Re-review cadence per risk rating, in days after each approval or re-review. */
  reviewCadenceDays: Record<RiskRating, number>;
  /** The group whose CURRENT members (catalog) are the security reviewers. */
  reviewerGroup: string;
  /** Owners are told this many days before an exception ends. */
  expiryNoticeDays: number;
  /** How far in the past a requested start may be (clock skew of the form), in minutes. */
  startGraceMinutes: number;
}

export const DEFAULT_SETTINGS: ExceptionSettings = {
  maxDurationDays: { low: 365, medium: 180, high: 90, critical: 30 },
  reviewCadenceDays: { low: 180, medium: 90, high: 30, critical: 14 },
  reviewerGroup: 'group:default/security-reviewers',
  expiryNoticeDays: 14,
  startGraceMinutes: 10,
};

const RATINGS: RiskRating[] = ['low', 'medium', 'high', 'critical'];

function perRating(cfg: Config | undefined, key: string, defaults: Record<RiskRating, number>) {
  const out = { ...defaults };
  const sub = cfg?.getOptionalConfig(key);
  for (const r of RATINGS) {
    const v = sub?.getOptionalNumber(r);
    if (v !== undefined) {
      if (!Number.isInteger(v) || v < 1 || v > 3650) {
        throw new Error(`policyExceptions.${key}.${r} must be a whole number of days between 1 and 3650`);
      }
      out[r] = v;
    }
  }
  // a riskier exception never lasts longer than a milder one
  for (let i = 1; i < RATINGS.length; i++) {
    if (out[RATINGS[i]] > out[RATINGS[i - 1]]) {
      throw new Error(`policyExceptions.${key}: ${RATINGS[i]} (${out[RATINGS[i]]}) must not exceed ${RATINGS[i - 1]} (${out[RATINGS[i - 1]]})`);
    }
  }
  return out;
}

export function readSettings(cfg: Config | undefined): ExceptionSettings {
  return {
    maxDurationDays: perRating(cfg, 'maxDurationDays', DEFAULT_SETTINGS.maxDurationDays),
    reviewCadenceDays: perRating(cfg, 'reviewCadenceDays', DEFAULT_SETTINGS.reviewCadenceDays),
    reviewerGroup: (cfg?.getOptionalString('reviewerGroup') ?? DEFAULT_SETTINGS.reviewerGroup).toLocaleLowerCase('en-US'),
    expiryNoticeDays: cfg?.getOptionalNumber('expiryNoticeDays') ?? DEFAULT_SETTINGS.expiryNoticeDays,
    startGraceMinutes: DEFAULT_SETTINGS.startGraceMinutes,
  };
}

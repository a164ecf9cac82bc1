/**
 * Risk-based verification at sign-in: the rules, free of I/O.
 *
 * Entra ID Identity Protection rates a user's risk (riskyUsers: riskLevel low | medium | high |
 * hidden | none, riskState atRisk | confirmedCompromised | remediated | dismissed | none).
 * High risk, or a confirmed compromise, refuses the session; medium refuses it when configured.
 */
export type RiskLevel = 'none' | 'low' | 'medium' | 'high' | 'hidden' | 'unknownFutureValue';

export interface RiskyUserState {
  riskLevel?: string;
  riskState?: string;
  riskDetail?: string;
}

export interface SignInRiskPolicy {
  /** The lowest risk level that refuses a session. */
  refuseAt: 'medium' | 'high';
  /** Refuse when the risk cannot be determined (Graph unreachable, level hidden). */
  failClosed: boolean;
}

export type SignInRiskDecision =
  | { allowed: true; reason: string }
  | { allowed: false; reason: string };

const RESOLVED_STATES = new Set(['remediated', 'dismissed', 'none']);

export function decideSignInRisk(
  state: RiskyUserState | 'not-found' | 'unavailable',
  policy: SignInRiskPolicy,
): SignInRiskDecision {
  if (state === 'not-found') {
    return { allowed: true, reason: 'user is not listed as risky' };
  }
  if (state === 'unavailable') {
    return policy.failClosed
      ? { allowed: false, reason: 'sign-in risk could not be determined' }
      : { allowed: true, reason: 'sign-in risk could not be determined (fail open)' };
  }
  const level = (state.riskLevel ?? 'none').toLowerCase();
  const riskState = (state.riskState ?? 'none').toLowerCase();
  if (riskState === 'confirmedcompromised') {
    return { allowed: false, reason: 'account is confirmed compromised' };
  }
  if (RESOLVED_STATES.has(riskState) && riskState !== 'none') {
    return { allowed: true, reason: `risk ${riskState}` };
  }
  if (level === 'high') return { allowed: false, reason: 'user risk is high' };
  if (level === 'medium' && policy.refuseAt === 'medium') {
    return { allowed: false, reason: 'user risk is medium' };
  }
  if (level === 'hidden') {
    return policy.failClosed
      ? { allowed: false, reason: 'user risk level is hidden' }
      : { allowed: true, reason: 'user risk level is hidden (fail open)' };
  }
  return { allowed: true, reason: `user risk is ${level}` };
}

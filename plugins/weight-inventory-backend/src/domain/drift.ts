/**
 * Drift between two refreshes: which findings changed status, and which changes are drift events
 * (a check that passed and now fails). Plain functions of the previous statuses and the new
 * findings, so the rule is tested without a database.
 */
import type { FindingStatus } from '@internal/plugin-weight-inventory-common';

export interface PreviousState {
  status: FindingStatus;
  lastChangedAt: string;
}

export interface EvaluatedFinding {
  findingKey: string;
  status: FindingStatus;
}

export interface Transition<F extends EvaluatedFinding> {
  finding: F;
  from?: FindingStatus;
  to: FindingStatus;
  /** pass → fail: a drift event. */
  drift: boolean;
}

export function transitions<F extends EvaluatedFinding>(previous: Map<string, PreviousState>, current: F[]): Transition<F>[] {
  const out: Transition<F>[] = [];
  for (const f of current) {
    const prev = previous.get(f.findingKey);
    if (prev && prev.status === f.status) continue;
    out.push({ finding: f, from: prev?.status, to: f.status, drift: prev?.status === 'pass' && f.status === 'fail' });
  }
  return out;
}

/** One status per finding key: fail wins over pass, pass over not-applicable. */
export function worstByKey<F extends EvaluatedFinding>(findings: F[]): F[] {
  const rank: Record<FindingStatus, number> = { fail: 0, pass: 1, 'not-applicable': 2 };
  const map = new Map<string, F>();
  for (const f of findings) {
    const cur = map.get(f.findingKey);
    if (!cur || rank[f.status] < rank[cur.status]) map.set(f.findingKey, f);
  }
  return [...map.values()];
}

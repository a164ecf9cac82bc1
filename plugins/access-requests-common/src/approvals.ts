import { ApprovalStep, FrozenPolicy, RemainingApproval, Review } from './types';

/** The approval steps of the role a frozen policy was frozen for. */
export function approvalStepsOf(policy: FrozenPolicy): ApprovalStep[] {
  const role = policy.roles.find(r => r.id === policy.roleId);
  if (!role) {
    throw new Error(`Frozen policy ${policy.name} has no role ${policy.roleId}`);
  }
  return role.approvals;
}

/**
 * Assigns approvals to steps so that as many steps as possible are filled,
 * each person counting for at most ONE step (maximum bipartite matching with step
 * capacities). Returns, for each approving reviewer, the group they count for.
 */
export function assignApprovals(
  steps: ApprovalStep[],
  reviews: Pick<Review, 'reviewer' | 'decision' | 'eligibleGroups'>[],
): Map<string, string> {
  // one slot per needed approval
  const slots: string[] = [];
  for (const step of steps) {
    for (let i = 0; i < step.count; i++) slots.push(step.group);
  }
  const slotOwner: (string | undefined)[] = slots.map(() => undefined);
  const approvers = new Map<string, string[]>();
  for (const r of reviews) {
    if (r.decision === 'approve' && !approvers.has(r.reviewer)) {
      approvers.set(r.reviewer, r.eligibleGroups);
    }
  }
  const tryAssign = (reviewer: string, seen: Set<number>): boolean => {
    const groups = approvers.get(reviewer) ?? [];
    for (let i = 0; i < slots.length; i++) {
      if (seen.has(i) || !groups.includes(slots[i])) continue;
      seen.add(i);
      const current = slotOwner[i];
      if (current === undefined || tryAssign(current, seen)) {
        slotOwner[i] = reviewer;
        return true;
      }
    }
    return false;
  };
  for (const reviewer of approvers.keys()) {
    tryAssign(reviewer, new Set());
  }
  const result = new Map<string, string>();
  slotOwner.forEach((reviewer, i) => {
    if (reviewer) result.set(reviewer, slots[i]);
  });
  return result;
}

/**
 * How many approvals each step still needs. Approvals are counted per DISTINCT person
 * and one person fills at most one step. Steps with the same group are merged.
 */
export function remainingApprovals(
  policy: FrozenPolicy,
  reviews: Pick<Review, 'reviewer' | 'decision' | 'eligibleGroups'>[],
): RemainingApproval[] {
  const steps = mergeSteps(approvalStepsOf(policy));
  const assignment = assignApprovals(steps, reviews);
  return steps.map(step => ({
    group: step.group,
    needed: step.count,
    have: [...assignment.values()].filter(g => g === step.group).length,
  }));
}

export function mergeSteps(steps: ApprovalStep[]): ApprovalStep[] {
  const merged = new Map<string, number>();
  for (const s of steps) merged.set(s.group, (merged.get(s.group) ?? 0) + s.count);
  return [...merged.entries()].map(([group, count]) => ({ group, count }));
}

/** True when every step has all the approvals it needs. */
export function approvalsComplete(remaining: RemainingApproval[]): boolean {
  return remaining.every(r => r.have >= r.needed);
}

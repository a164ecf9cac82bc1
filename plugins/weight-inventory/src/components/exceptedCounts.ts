import { useApi, useApiHolder } from '@backstage/frontend-plugin-api';
import useAsync from 'react-use/esm/useAsync';
import type { PostureFinding } from '@internal/plugin-weight-inventory-common';
import type { IsExceptedResult } from '@internal/plugin-policy-exceptions-common';
import { weightInventoryApiRef, weightInventoryLinkedApiRef } from '../api';

/** The policy-exceptions batch limit (`POST /is-excepted` takes at most 1000 queries). */
const BATCH = 1000;

export interface ExceptedCounts {
  /** Failing findings covered by an active exception, per inventory store id. */
  byStore: Record<string, number>;
  total: number;
}

/**
 * How many failing findings an active policy exception covers, per store: the same one answer
 * (`isExceptedMany`) the Posture tab asks, so the inventory page and the home card count
 * "failing (N excepted)" consistently with it. Excepted findings still count as failing.
 */
export async function countExcepted(
  failing: PostureFinding[],
  policyExceptions: { isExceptedMany(q: Array<{ controlId: string; entityRef: string; findingKey?: string }>): Promise<IsExceptedResult[]> },
): Promise<ExceptedCounts> {
  const byStore: Record<string, number> = {};
  let total = 0;
  const open = failing.filter(f => f.status === 'fail');
  for (let i = 0; i < open.length; i += BATCH) {
    const batch = open.slice(i, i + BATCH);
    const answers = await policyExceptions.isExceptedMany(batch.map(f => ({ controlId: f.controlId, entityRef: f.entityRef, findingKey: f.findingKey })));
    for (const [j, f] of batch.entries()) {
      if (!answers[j]?.excepted) continue;
      byStore[f.storeId] = (byStore[f.storeId] ?? 0) + 1;
      total += 1;
    }
  }
  return { byStore, total };
}

/**
 * Excepted counts for the inventory page and the home card: undefined while loading, or when
 * policy-exceptions is not installed or cannot answer (the counts then read as plain failing).
 */
export function useExceptedCounts(deps: unknown[] = []): ExceptedCounts | undefined {
  const api = useApi(weightInventoryApiRef);
  const linked = useApiHolder().get(weightInventoryLinkedApiRef);
  const state = useAsync(async () => {
    if (!linked?.policyExceptions) return undefined;
    try {
      const { items } = await api.listFindings({ status: 'fail' });
      return await countExcepted(items, linked.policyExceptions);
    } catch {
      return undefined;
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, linked, ...deps]);
  return state.value;
}

/** " (2 excepted)" or "". */
export function exceptedSuffix(n: number | undefined): string {
  return n ? ` (${n} excepted)` : '';
}

import { CompensatingCheck } from '@internal/plugin-policy-exceptions-common';
import { ExceptionsService } from './ExceptionsService';
import { MODEL_SCAN_CONTROL_ID, sha256OfFindingKey } from '@internal/plugin-policy-exceptions-common';
import { PostureSource } from './posture';
import { VerdictSource } from './modelFiles';

/**
 * The scheduled check (scheduler task, scope global: one replica runs it at a time). For every live
 * exception:
 * - each catalog compensating control is looked up on each scoped entity in the posture source;
 *   a failing finding (excepted or not: a compensating control must pass, not be excepted) fails it;
 * - each scoped entity must still exist in the catalog (scope drift);
 * - a model-file exception (FG-MODEL-SCAN, one sha256) drifts when the current scanner's verdict of
 *   that file is no longer suspicious (a rescan found it malicious, or it was never scanned by the
 *   current scanner); an unreachable model-scan is no verdict and suspends nothing.
 * Any failure suspends an approved exception at once (its findings are open again on the next
 * read) and tells the owner and the reviewers. "unknown" (not assessed) never suspends.
 */
export async function runCompensatingChecks(
  service: ExceptionsService,
  posture: PostureSource,
  verdicts?: VerdictSource,
): Promise<{ checked: number; suspended: number }> {
  let checked = 0;
  let suspended = 0;
  // one lookup per entity and per (entity, control) in a run, however many exceptions share them
  const existsCache = new Map<string, Promise<boolean>>();
  const findingsCache = new Map<string, Promise<Awaited<ReturnType<PostureSource['findings']>>>>();
  const exists = (ref: string) => {
    if (!existsCache.has(ref)) existsCache.set(ref, service.directory.exists(ref));
    return existsCache.get(ref)!;
  };
  const findingsOf = (ref: string, controlId: string) => {
    const key = `${ref} ${controlId}`;
    if (!findingsCache.has(key)) findingsCache.set(key, posture.findings(ref, controlId));
    return findingsCache.get(key)!;
  };
  for (const rec of await service.liveExceptions()) {
    const now = service.now().toISOString();
    const checks: CompensatingCheck[] = [];
    const failures: string[] = [];
    const drift: string[] = [];
    for (const ref of rec.content.scope.entityRefs) {
      if (!(await exists(ref))) drift.push(`no longer in the catalog: ${ref}`);
    }
    const sha256 = rec.controlId === MODEL_SCAN_CONTROL_ID ? sha256OfFindingKey(rec.content.scope.findingKey) : undefined;
    if (sha256 && verdicts) {
      const verdict = await verdicts.verdictOf(sha256).catch(() => 'unreachable');
      if (verdict === undefined) drift.push(`the current scanner has no verdict of sha256 ${sha256} (rescan it)`);
      else if (verdict !== 'suspicious' && verdict !== 'unreachable') drift.push(`the file sha256 ${sha256} is now ${verdict}, no longer suspicious`);
    }
    for (const cc of rec.content.compensatingControls) {
      if (cc.kind !== 'catalog') continue;
      for (const ref of rec.content.scope.entityRefs) {
        let check: CompensatingCheck;
        try {
          const findings = await findingsOf(ref, cc.controlId);
          const failing = (findings ?? []).filter(f => f.status === 'fail');
          if (!findings || findings.length === 0) {
            check = { controlId: cc.controlId, entityRef: ref, status: 'unknown', detail: 'not assessed on this entity', checkedAt: now };
          } else if (failing.length > 0) {
            const detail = failing.slice(0, 5).map(f => `${f.findingKey}${f.message ? `: ${f.message}` : ''}`).join('; ');
            check = { controlId: cc.controlId, entityRef: ref, status: 'failing', detail, checkedAt: now };
            failures.push(`${cc.controlId} fails on ${ref} (${detail})`);
          } else {
            check = { controlId: cc.controlId, entityRef: ref, status: 'passing', checkedAt: now };
          }
        } catch (e) {
          check = { controlId: cc.controlId, entityRef: ref, status: 'unknown', detail: `posture source unavailable: ${(e as Error).message}`.slice(0, 500), checkedAt: now };
        }
        checks.push(check);
      }
    }
    await service.store.replaceChecks(rec.id, checks);
    checked++;
    if (rec.status !== 'approved') continue;
    if (drift.length > 0) {
      if (await service.suspend(rec.id, 'scope-drift', drift.join('; '))) suspended++;
    } else if (failures.length > 0) {
      if (await service.suspend(rec.id, 'compensating-control-failing', failures.join('; ').slice(0, 2000))) suspended++;
    }
  }
  return { checked, suspended };
}

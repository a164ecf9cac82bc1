import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { AdjustableClock } from '@internal/clock';
import { DetectionEngine, resolveConfig } from '@internal/detection-rules';
import { AlertNotifier } from '../service/AlertNotifier';
import { IngestService } from '../service/IngestService';
import { LiveGrantIndex } from '../service/liveGrants';
import { AlertTriage } from '../domain/triage';
import { DetectionsStore, type EventRow } from './DetectionsStore';
import { toStoredEvent } from '../domain/events';
import { ALICE, EVE, GiB, NOW, T0, egressDeny, hubbleDrop, iso, ndjson, podExec, signIn, weightReads } from '../__testUtils__/fixtures';

jest.setTimeout(60_000);
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

async function ingested(databaseId: any, records: unknown[]) {
  const knex = await databases.init(databaseId);
  const store = await DetectionsStore.create({ knex });
  const grants = new LiveGrantIndex();
  const service = new IngestService({
    store, grants, engine: new DetectionEngine({ config: resolveConfig({}), grants }),
    notifier: new AlertNotifier(undefined, 'group:default/security-reviewers', mockServices.logger.mock()),
    clock: new AdjustableClock({ now: () => NOW }), logger: mockServices.logger.mock(), maxLines: 10_000, warmupHours: 24, warmupMaxEvents: 1000,
  });
  if (records.length) await service.ingest(ndjson(records));
  return { knex, store, service };
}

describe.each(databases.eachSupportedId())('DetectionsStore on %p', databaseId => {
  it('pages events newest first by keyset, with filters, and gives the original only one by one', async () => {
    const { store } = await ingested(databaseId, [
      ...Array.from({ length: 7 }, (_, i) => egressDeny(iso(T0, i))),
      signIn(iso(T0, 3), EVE, 'GB'),
    ]);
    const seen: number[] = [];
    let after: [number, string] | undefined;
    for (let i = 0; i < 5; i++) {
      const page = await store.listEvents({ limit: 3, after, source: ['azure_firewall'] });
      seen.push(...page.items.map(e => e.time));
      after = page.last;
      if (!after) break;
    }
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => Date.parse(iso(T0, 6 - i))));
    const ranged = await store.listEvents({ limit: 50, from: Date.parse(iso(T0, 2)), to: Date.parse(iso(T0, 3)) });
    expect(ranged.items.map(e => e.source).sort()).toEqual(['azure_firewall', 'azure_firewall', 'entra_signin']);
    const signInRow = ranged.items.find(e => e.source === 'entra_signin')!;
    const one = await store.getEvent(signInRow.id);
    expect(one).toEqual(signInRow);
    // the original as received, which the API normalises again
    const shown = toStoredEvent(one!, true);
    expect(shown).toMatchObject({ id: signInRow.id, source: 'entra_signin', activity: 'logon', actor: { upn: EVE }, raw: { userPrincipalName: EVE } });
    expect(toStoredEvent(one!, false).raw).toBeUndefined();
    // an original no normaliser reads any more is shown from its columns
    expect(toStoredEvent({ ...one!, raw: '{"unknown":true}' }, false)).toMatchObject({ source: 'entra_signin', actor: { name: EVE, type: 'unknown' } });
    expect((await store.listEvents({ limit: 50, principal: EVE })).items).toHaveLength(1);
    expect(await store.getEvent('00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('filters and pages alerts (status, severity, entity ref, words, time) with a total count', async () => {
    const { store } = await ingested(databaseId, [
      podExec(ALICE, T0), podExec('bob@corp.example', iso(T0, 1)), podExec('carol@corp.example', iso(T0, 2)), ...weightReads(4),
    ]);
    const all = await store.listAlerts({ limit: 2 });
    expect(all.totalCount).toBeGreaterThanOrEqual(4);
    const next = await store.listAlerts({ limit: 2, after: all.last });
    expect(next.items.map(a => a.id)).not.toContain(all.items[0].id);
    expect(next.totalCount).toBe(all.totalCount);
    expect((await store.listAlerts({ limit: 50, q: 'EXEC into' })).items.map(a => a.principal).sort()).toEqual([ALICE, 'bob@corp.example', 'carol@corp.example']);
    expect((await store.listAlerts({ limit: 50, q: '100%_' })).totalCount).toBe(0);
    expect((await store.listAlerts({ limit: 50, principal: EVE, severity: ['informational'] })).totalCount).toBe(0);
    expect((await store.listAlerts({ limit: 50, from: iso(T0, 60) })).totalCount).toBe(0);
    expect((await store.listAlerts({ limit: 50, to: iso(T0, -1) })).totalCount).toBe(0);

    const exec = (await store.listAlerts({ limit: 1, principal: ALICE })).items[0];
    const t = new AlertTriage(exec, 'user:default/rita', NOW.toISOString()).close('benign_positive', 'planned maintenance');
    expect(await store.transaction(tx => store.updateTriage(exec, t.patch, t.entry, tx))).toBe(true);
    // a second writer with the old version loses
    expect(await store.transaction(tx => store.updateTriage(exec, t.patch, t.entry, tx))).toBe(false);
    expect((await store.listAlerts({ limit: 50, status: ['new', 'acknowledged'] })).items.map(a => a.id)).not.toContain(exec.id);
    expect((await store.listAlerts({ limit: 50, status: ['closed'] })).items.map(a => a.id)).toEqual([exec.id]);
    const history = await store.history([exec.id]);
    expect(history.get(exec.id)!.map(h => h.action)).toEqual(['opened', 'closed']);
  });

  it('answers the dashboard aggregates for a time range and source', async () => {
    const { store } = await ingested(databaseId, [
      signIn(T0, EVE, 'GB'), signIn(iso(T0, 1), EVE, 'GB', 50126), signIn(iso(T0, 2), ALICE, 'FR'),
      egressDeny(iso(T0, 3)), egressDeny(iso(T0, 4)), egressDeny(iso(T0, 5), 'other.example.org'), hubbleDrop(iso(T0, 6)),
      ...weightReads(4), podExec(ALICE, iso(T0, 7)),
    ]);
    const d = await store.dashboard({ from: iso(T0, -60), to: iso(T0, 120), bucket: 'hour', top: 10 });
    expect(d.totals.events).toBe(3 + 4 + 4 + 1);
    expect(d.totals.alertsOpen).toBeGreaterThanOrEqual(2);
    expect(Object.values(d.totals.alertsBySeverity).reduce((a, b) => a + b, 0)).toBe(d.totals.alertsOpen);
    expect(d.signInsByCountry).toEqual([{ country: 'GB', success: 1, failure: 1 }, { country: 'FR', success: 1, failure: 0 }]);
    expect(d.egressDeniesByDestination[0]).toEqual({ destination: 'exfil.example.net:443', count: 2 });
    expect(d.egressDeniesByDestination).toHaveLength(3);
    expect(d.weightReadsByPrincipal).toEqual([{ principal: EVE, bytes: 16 * GiB, reads: 4 }]);
    expect(d.alertsOverTime.map(b => b.bucket)).toEqual(['2026-12-07T10:00:00.000Z']);
    expect(d.openAlertsByRule.find(r => r.rule === 'k8s-exec-research-namespace')).toMatchObject({ count: 1, title: expect.stringContaining('Exec') });
    expect(d.topPrincipals.map(p => p.principal)).toContain(EVE);
    // narrowed to one source, and to a range with nothing in it
    const only = await store.dashboard({ from: iso(T0, -60), to: iso(T0, 120), source: ['entra_signin'], bucket: 'day', top: 10 });
    expect(only.totals.events).toBe(3);
    expect(only.egressDeniesByDestination).toEqual([]);
    expect(only.alertsOverTime.map(b => b.bucket)).toEqual(['2026-12-07T00:00:00.000Z']);
    const empty = await store.dashboard({ from: iso(T0, 600), to: iso(T0, 700), bucket: 'hour', top: 10 });
    expect(empty.totals).toEqual({ events: 0, alertsOpen: 0, alertsBySeverity: { informational: 0, low: 0, medium: 0, high: 0, critical: 0 } });
  });

  it('counts whole hours from roll-ups and the partial hours from events: exact at any range, re-delivery not counted twice', async () => {
    const signIns = Array.from({ length: 15 }, (_, i) => signIn(iso(T0, i * 20), EVE, 'GB'));
    const denies = Array.from({ length: 10 }, (_, i) => egressDeny(iso(T0, i * 30)));
    const { store, service } = await ingested(databaseId, [...signIns, ...denies]);
    await service.ingest(ndjson([...signIns.slice(0, 5), ...denies.slice(0, 5)]));
    const facts = async (from: string, to: string) => {
      const d = await store.dashboard({ from, to, bucket: 'hour', top: 10 });
      return [d.totals.events, d.signInsByCountry.reduce((n, c) => n + c.success, 0), d.egressDeniesByDestination.reduce((n, c) => n + c.count, 0)];
    };
    // 10:30–13:15: sign-ins 10:40 … 13:00 (8), denies 10:30 … 13:00 (6), both ends inclusive
    expect(await facts(iso(T0, 30), iso(T0, 195))).toEqual([14, 8, 6]);
    // whole hours only, one partial hour only, everything
    expect(await facts(iso(T0, 60), iso(T0, 180))).toEqual([12, 7, 5]);
    expect(await facts(iso(T0, 5), iso(T0, 50))).toEqual([3, 2, 1]);
    expect(await facts(iso(T0, -600), iso(T0, 600))).toEqual([25, 15, 10]);
    // the source filter narrows roll-ups and edges alike
    const onlyNet = await store.dashboard({ from: iso(T0, 30), to: iso(T0, 195), source: ['azure_firewall'], bucket: 'hour', top: 10 });
    expect([onlyNet.totals.events, onlyNet.signInsByCountry]).toEqual([6, []]);
  });

  it('deletes old events and old closed alerts with their history and links, keeping the rest', async () => {
    const { store } = await ingested(databaseId, [egressDeny(iso(T0, -3000)), egressDeny(T0), podExec(ALICE, T0), podExec('bob@corp.example', T0)]);
    expect(await store.deleteEventsBefore(Date.parse(iso(T0, -60)), 1)).toBe(1);
    expect((await store.listEvents({ limit: 50 })).items).toHaveLength(3);
    const [a, b] = (await store.listAlerts({ limit: 50, rule: 'k8s-exec-research-namespace' })).items;
    const close = new AlertTriage(a, 'user:default/rita', '2026-01-01T00:00:00.000Z').close('false_positive', 'old');
    await store.transaction(tx => store.updateTriage(a, close.patch, close.entry, tx));
    expect(await store.deleteClosedAlertsBefore('2026-06-01T00:00:00.000Z')).toBe(1);
    expect(await store.getAlert(a.id)).toBeUndefined();
    expect(await store.getAlert(b.id)).toBeDefined();
    expect((await store.history([a.id])).get(a.id)).toEqual([]);
    expect((await store.alertEvents(a.id, 10)).items).toEqual([]);
  });

  it('fills in the refs of alerts opened before their names could be resolved, and only those', async () => {
    const { store } = await ingested(databaseId, [podExec(ALICE, T0), podExec('bob@corp.example', T0)]);
    // both alerts are on the same pod; only alice is known
    expect(await store.fillAlertRefs(p => (p === ALICE ? 'user:default/alice' : undefined), () => 'resource:default/research-llm')).toBe(1 + 2);
    const byPrincipal = Object.fromEntries((await store.listAlerts({ limit: 10 })).items.map(a => [a.principal, [a.principalRef, a.resourceRef]]));
    expect(byPrincipal[ALICE][0]).toBe('user:default/alice');
    expect(byPrincipal['bob@corp.example'][0]).toBeUndefined();
    expect((await store.listAlerts({ limit: 10, entityRef: 'user:default/alice' })).items.map(a => a.principal)).toEqual([ALICE]);
    // a resolved ref is not overwritten
    expect(await store.fillAlertRefs(() => 'user:default/other', () => undefined)).toBe(1);
    expect((await store.listAlerts({ limit: 10, entityRef: 'user:default/alice' })).totalCount).toBe(1);
  });

  it('inserts large batches in several statements, skipping the keys already stored, and reads every column back', async () => {
    const { store } = await ingested(databaseId, []);
    const row = (i: number): EventRow => ({
      id: `0000${String(i).padStart(4, '0')}-0000-7000-8000-000000000000`,
      key: `k${i}`,
      source_id: `s${i % 7}`,
      source: i % 2 ? 'storage_blob' : 'azure_firewall',
      time: Date.parse(T0) + i,
      activity: i % 2 ? 'GetBlob' : 'deny',
      outcome: 'success',
      principal: `p${i % 3}@corp.example`,
      resource: i % 5 ? `acct/c${i % 4}` : null,
      country: i % 11 ? null : 'GB',
      bytes: i % 2 ? i * 1000 : null,
      weight_store: i % 4 === 1,
      raw: `{"n":${i},"text":"a \\"quoted\\" value, {braces}, back\\\\slash"}`,
      ingested_at: 1,
    });
    // 5,203 rows: more than one statement on both databases (500 rows on SQLite, 5,000 on PostgreSQL)
    const first = await store.transaction(tx => store.insertEvents(Array.from({ length: 5203 }, (_, i) => row(i)), tx));
    expect(first.size).toBe(5203);
    // a second delivery overlapping the first: only the new keys come back
    const again = await store.transaction(tx => store.insertEvents(Array.from({ length: 5010 }, (_, i) => row(i + 200)), tx));
    expect(again.size).toBe(7);
    expect([...again].sort()).toEqual(['k5203', 'k5204', 'k5205', 'k5206', 'k5207', 'k5208', 'k5209']);
    expect(await store.insertEvents([])).toEqual(new Set());
    // a key twice in one call: stored once, and the transaction goes on
    const [twice, after] = await store.transaction(async tx => [
      await store.insertEvents([row(9000), { ...row(9001), key: 'k9000' }, row(9002)], tx),
      await store.insertEvents([row(9003)], tx),
    ]);
    expect([[...twice].sort(), [...after]]).toEqual([['k9000', 'k9002'], ['k9003']]);
    expect((await store.getEvent(row(9000).id))?.key).toBe('k9000');
    expect(await store.getEvent(row(9001).id)).toBeUndefined();
    const back = await store.getEvent(row(5205).id);
    expect(back).toEqual({ id: row(5205).id, key: 'k5205', source: 'storage_blob', time: Date.parse(T0) + 5205, activity: 'GetBlob', outcome: 'success', principal: 'p0@corp.example', bytes: 5205000, raw: row(5205).raw });
    expect(await store.getEvent(row(10).id)).toEqual({ id: row(10).id, key: 'k10', source: 'azure_firewall', time: Date.parse(T0) + 10, activity: 'deny', outcome: 'success', principal: 'p1@corp.example', raw: row(10).raw });
    const d = await store.dashboard({ from: iso(T0, -1), to: iso(T0, 1), bucket: 'hour', top: 10 });
    expect(d.totals.events).toBe(5213);
  });

  it('stores a lone surrogate (a JSON \\ud800 escape in a record) as U+FFFD instead of failing the batch', async () => {
    const { store } = await ingested(databaseId, []);
    const id = '00000001-0000-7000-8000-000000000000';
    const inserted = await store.insertEvents([{
      id, key: 'lone', source_id: 's', source: 'entra_signin', time: Date.parse(T0), activity: 'logon', outcome: 'failure',
      principal: 'eve\ud800@corp.example', resource: null, country: null, bytes: null, weight_store: false, raw: '{"u":"\udc00"}', ingested_at: 1,
    }]);
    expect([...inserted]).toEqual(['lone']);
    expect(await store.getEvent(id)).toMatchObject({ principal: 'eve\ufffd@corp.example', raw: '{"u":"\ufffd"}' });
  });

  it('remembers blob read positions', async () => {
    const { store } = await ingested(databaseId, []);
    expect(await store.blobPosition('insights-logs', 'a.json')).toBeUndefined();
    await store.setBlobPosition('insights-logs', 'a.json', '"e1"', 10, T0);
    await store.setBlobPosition('insights-logs', 'a.json', '"e2"', 25, T0);
    expect(await store.blobPosition('insights-logs', 'a.json')).toEqual({ etag: '"e2"', offset: 25 });
  });
});

describe('migrations', () => {
  it.each(databases.eachSupportedId())('go up and down on %p', async databaseId => {
    const knex = await databases.init(databaseId);
    await DetectionsStore.create({ knex });
    const dir = require('node:path').resolve(__dirname, '../../migrations');
    await knex.migrate.rollback({ directory: dir }, true);
    expect(await knex.schema.hasTable('detection_events')).toBe(false);
    await knex.migrate.latest({ directory: dir });
    expect(await knex.schema.hasTable('detection_alerts')).toBe(true);
  });
});

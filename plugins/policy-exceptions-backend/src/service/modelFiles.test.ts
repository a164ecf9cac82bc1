import http from 'node:http';
import { AddressInfo } from 'node:net';
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { modelFileSubject } from '@internal/plugin-policy-exceptions-common';
import { AdjustableClock } from '@internal/clock';
import { ExceptionStore } from '../store/ExceptionStore';
import { ExceptionsService } from './ExceptionsService';
import { Notifier } from './Notifier';
import { ModelScanVerdicts, VerdictSource } from './modelFiles';
import { LegacyAcceptance, importModelScanAcceptances } from './importAcceptances';
import { runCompensatingChecks } from './CompensatingChecks';
import { ALICE, BOB, CAROL, DAY, ERIN, FakeDirectory, T0, content, recordingAuditor, settings } from '../__testUtils__/fixtures';

jest.setTimeout(60_000);
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const SUS = 'a'.repeat(64);
const BAD = 'b'.repeat(64);
const SAFE = 'c'.repeat(64);
const REGISTRY = 'resource:default/model-registry';

class Verdicts implements VerdictSource {
  map = new Map<string, string>([[SUS, 'suspicious'], [BAD, 'malicious'], [SAFE, 'safe']]);
  async verdictOf(sha: string) {
    return this.map.get(sha);
  }
}

async function setup(knex: any) {
  const store = await ExceptionStore.create({ knex });
  const clock = new AdjustableClock({ now: () => T0 });
  const auditor = recordingAuditor();
  const verdicts = new Verdicts();
  const service = new ExceptionsService({
    store, directory: new FakeDirectory(), notifier: new Notifier(undefined, mockServices.logger.mock()), auditor,
    logger: mockServices.logger.mock(), clock, settings, verdicts,
  });
  return { service, verdicts, clock, auditor };
}
const fileBody = (sha: string) => ({
  controlId: 'FG-MODEL-SCAN', submit: true,
  ...content({ scope: { entityRefs: [REGISTRY], findingKey: `sha256:${sha}` }, compensatingControls: [{ kind: 'catalog', controlId: 'FG-MODEL-SERVING-ISOLATION' }] }),
});

describe.each(databases.eachSupportedId())('model-file exceptions on %p', databaseId => {
  it('keep the acceptance rules: one exact hash, suspicious only, never malicious, re-checked at approval', async () => {
    const t = await setup(await databases.init(databaseId));
    await expect(t.service.create({ userRef: ALICE }, fileBody(BAD))).rejects.toThrow('a malicious verdict can never be excepted');
    await expect(t.service.create({ userRef: ALICE }, fileBody(SAFE))).rejects.toThrow('only a suspicious verdict can be excepted');
    await expect(t.service.create({ userRef: ALICE }, fileBody('d'.repeat(64)))).rejects.toThrow('scan (or rescan) the file first');
    await expect(t.service.create({ userRef: ALICE }, { ...fileBody(SUS), scope: { entityRefs: [REGISTRY] } })).rejects.toThrow('scope.findingKey');
    await expect(t.service.create({ userRef: ALICE }, { ...fileBody(SUS), scope: { entityRefs: ['resource:default/training-cluster'], findingKey: `sha256:${SUS}` } })).rejects.toThrow('scope.entityRefs');

    const e = await t.service.create({ userRef: ALICE }, fileBody(SUS));
    t.verdicts.map.set(SUS, 'malicious'); // a rescan with new rules found it malicious
    await expect(t.service.review({ userRef: BOB }, e.id, { decision: 'approve' })).rejects.toThrow('never be excepted');
    t.verdicts.map.set(SUS, 'suspicious');
    await t.service.review({ userRef: BOB }, e.id, { decision: 'approve' });
    const s = modelFileSubject(SUS);
    expect(await t.service.isExcepted('FG-MODEL-SCAN', s)).toMatchObject({ excepted: true, approvedBy: [BOB] });
    expect((await t.service.isExcepted('FG-MODEL-SCAN', modelFileSubject(BAD))).excepted).toBe(false);
  });

  it('a model-file exception is suspended when a rescan finds the file malicious', async () => {
    const t = await setup(await databases.init(databaseId));
    const e = await t.service.create({ userRef: ALICE }, fileBody(SUS));
    await t.service.review({ userRef: BOB }, e.id, { decision: 'approve' });
    const posture = { findings: async () => undefined };
    expect(await runCompensatingChecks(t.service, posture, t.verdicts)).toEqual({ checked: 1, suspended: 0 });
    // model-scan unreachable: no verdict, nothing suspended
    expect(await runCompensatingChecks(t.service, posture, { verdictOf: async () => { throw new Error('down'); } })).toEqual({ checked: 1, suspended: 0 });
    t.verdicts.map.set(SUS, 'malicious');
    expect(await runCompensatingChecks(t.service, posture, t.verdicts)).toEqual({ checked: 1, suspended: 1 });
    const d = await t.service.get(e.id);
    expect(d.exception.suspension).toMatchObject({ cause: 'scope-drift', detail: expect.stringContaining('is now malicious') });
    expect((await t.service.isExcepted('FG-MODEL-SCAN', modelFileSubject(SUS))).excepted).toBe(false);
    // the re-approval keeps the acceptance rule: a malicious file is not re-approved
    await expect(t.service.review({ userRef: CAROL }, e.id, { decision: 'approve' })).rejects.toThrow('never be excepted');
  });

  it('imports every model-scan acceptance once, as decided exceptions; nothing lost, expired ones stay expired', async () => {
    const t = await setup(await databases.init(databaseId));
    const acceptances: LegacyAcceptance[] = [
      { id: 'acc-1', sha256: SUS, justification: 'Reviewed the pickle GLOBAL findings: benign tokenizer class.', acceptedBy: 'user:default/bob', createdAt: new Date(T0.getTime() - DAY).toISOString(), expiresAt: new Date(T0.getTime() + 20 * DAY).toISOString(), scannerVersion: '1.0.0', rulesetVersion: '7' },
      { id: 'acc-2', sha256: BAD, justification: 'Old acceptance from last month, long expired now.', acceptedBy: 'user:default/carol', createdAt: new Date(T0.getTime() - 40 * DAY).toISOString(), expiresAt: new Date(T0.getTime() - 10 * DAY).toISOString(), scannerVersion: '0.9.0', rulesetVersion: '6' },
    ];
    const source = { listAcceptances: async () => acceptances };
    expect(await importModelScanAcceptances(t.service, source)).toEqual({ imported: 2, skipped: 0 });
    expect(await importModelScanAcceptances(t.service, source)).toEqual({ imported: 0, skipped: 2 });
    // two replicas at once: still one exception per acceptance
    acceptances.push({ ...acceptances[0], id: 'acc-3', sha256: SAFE });
    const both = await Promise.all([importModelScanAcceptances(t.service, source), importModelScanAcceptances(t.service, source)]);
    expect(both[0].imported + both[1].imported).toBe(1);

    const all = await t.service.list({ userRef: ERIN }, { view: 'all', controlId: 'FG-MODEL-SCAN' });
    expect(all).toHaveLength(3);
    const first = all.find(e => e.content.scope.findingKey === `sha256:${SUS}`)!;
    expect(first).toMatchObject({ status: 'approved', effectiveStatus: 'active', approvedBy: ['user:default/bob'], requester: 'user:default/bob' });
    expect(first.content.justification).toBe(acceptances[0].justification);
    expect(all.find(e => e.content.scope.findingKey === `sha256:${BAD}`)!.effectiveStatus).toBe('expired');
    expect(await t.service.isExcepted('FG-MODEL-SCAN', modelFileSubject(SUS))).toMatchObject({ excepted: true, until: acceptances[0].expiresAt });
    const details = await t.service.get(first.id);
    expect(details.history[0]).toMatchObject({ action: 'imported', detail: expect.stringContaining('acc-1') });
    expect(details.revisions[0]).toMatchObject({ outcome: 'approved', decidedBy: ['user:default/bob'] });
    expect(t.auditor.events.filter(e => e.eventId === 'exception-import' && e.outcome === 'success')).toHaveLength(3);
  });
});

describe('ModelScanVerdicts', () => {
  it('asks model-scan over HTTP with a service token; errors fail closed', async () => {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(`${req.url} ${req.headers.authorization}`);
      if (req.url === `/api/model-scan/verdicts/${SUS}`) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ sha256: SUS, verdict: 'suspicious' }));
      } else if (req.url === `/api/model-scan/verdicts/${SAFE}`) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ sha256: SAFE, verdict: null }));
      } else {
        res.statusCode = 500;
        res.end('{"error":{"name":"Error","message":"boom"}}');
      }
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/model-scan`;
      const v = new ModelScanVerdicts({ getBaseUrl: async () => base }, mockServices.auth());
      expect(await v.verdictOf(SUS)).toBe('suspicious');
      expect(await v.verdictOf(SAFE)).toBeUndefined();
      await expect(v.verdictOf(BAD)).rejects.toThrow(/answered 500/);
      expect(seen[0]).toMatch(/Bearer .+/);
    } finally {
      server.close();
    }
  });
});

import { resolveConfig } from '../config';
import { DetectionEngine, groupAlerts } from '../engine';
import { GrantIndex } from '../grants';
import { normalizeRecord } from '../sources';
import * as b from '../testing/builders';
import type { Detection } from '../types';
import { distributedSpray, passwordSpray } from './identity';

const D = '2026-11-02T08:00:00Z';
const at = (min: number) => b.iso(D, min);

function run(records: unknown[], opts: { grants?: GrantIndex; config?: unknown } = {}) {
  const engine = new DetectionEngine({ config: resolveConfig(opts.config ?? {}), grants: opts.grants, sigmaRules: [] });
  const evs = records.map(r => normalizeRecord(r)).sort((x, y) => x.time - y.time);
  const dets: Detection[] = evs.flatMap(e => engine.process(e));
  return groupAlerts(dets, { windowMinutes: 60 });
}
const rulesOf = (alerts: { rule: string }[]) => [...new Set(alerts.map(a => a.rule))].sort();

describe('atypical travel', () => {
  const london = { upn: 'alice@contoso.com', ip: '81.2.69.142', country: 'GB', city: 'London', lat: 51.5, lon: -0.12 };
  const ny = { upn: 'alice@contoso.com', ip: '8.8.4.4', country: 'US', city: 'New York', lat: 40.7, lon: -74 };
  it('fires on London then New York one hour later', () => {
    const a = run([b.graphSignIn({ time: at(0), ...london }), b.graphSignIn({ time: at(60), ...ny })]);
    expect(a).toMatchObject([{ rule: 'atypical-travel', principal: 'alice@contoso.com', count: 2 }]);
  });
  it('stays quiet on a flight (eight hours later), on failures and on the same city', () => {
    expect(run([b.graphSignIn({ time: at(0), ...london }), b.graphSignIn({ time: at(480), ...ny })])).toEqual([]);
    expect(run([b.graphSignIn({ time: at(0), ...london }), b.graphSignIn({ time: at(60), ...ny, errorCode: 50126 })])).toEqual([]);
    expect(run([b.graphSignIn({ time: at(0), ...london }), b.graphSignIn({ time: at(5), ...london, ip: '81.2.69.143' })])).toEqual([]);
  });
});

describe('risky sign-in not remediated by MFA', () => {
  const base = { upn: 'bob@contoso.com', ip: '203.0.113.5' };
  it('fires on a high-risk single-factor success', () => {
    expect(run([b.laSignIn({ time: at(0), ...base, risk: 'high', riskState: 'atRisk' })])).toMatchObject([{ rule: 'risky-signin-no-mfa', severity: 'high' }]);
  });
  it('stays quiet when MFA remediated it, when it failed, or when risk is low', () => {
    expect(run([b.laSignIn({ time: at(0), ...base, risk: 'medium', riskState: 'remediated', riskDetail: 'userPassedMFADrivenByRiskBasedPolicy', mfa: true })])).toEqual([]);
    expect(run([b.laSignIn({ time: at(0), ...base, risk: 'high', riskState: 'atRisk', errorCode: 53003 })])).toEqual([]);
    expect(run([b.laSignIn({ time: at(0), ...base, risk: 'low', riskState: 'atRisk' })])).toEqual([]);
  });
});

describe('password spray', () => {
  const spray = (n: number, ip = '198.51.100.23') =>
    Array.from({ length: n }, (_, i) => b.graphSignIn({ time: at(i * 2), upn: `user${i}@contoso.com`, ip, errorCode: 50126 }));
  it('fires on failures against many accounts from one address, high when one then succeeds', () => {
    const a = run([...spray(12), b.graphSignIn({ time: at(30), upn: 'user3@contoso.com', ip: '198.51.100.23' })]);
    expect(a).toMatchObject([{ rule: 'password-spray', principal: '198.51.100.23', severity: 'high' }]);
    expect(a[0].count).toBe(13); // 12 failures and the success
  });
  it('stays quiet on one user mistyping a password many times and on a few users behind one NAT', () => {
    const typo = Array.from({ length: 8 }, (_, i) => b.graphSignIn({ time: at(i), upn: 'carol@contoso.com', ip: '81.2.69.142', errorCode: 50126 }));
    expect(run([...typo, b.graphSignIn({ time: at(9), upn: 'carol@contoso.com', ip: '81.2.69.142' })])).toEqual([]);
    expect(run(spray(5))).toEqual([]);
  });
  it("stays quiet on an office's own staff failing once each without retrying, and still fires on strangers from that office", () => {
    const office = '81.2.69.142';
    // twelve people signed in from the office this morning; at 08:00 each fails once and goes for coffee
    const morning = Array.from({ length: 12 }, (_, i) => b.graphSignIn({ time: b.iso(D, -180 + i), upn: `user${i}@contoso.com`, ip: office }));
    expect(run([...morning, ...spray(12, office)])).toEqual([]);
    // accounts that never signed in there: a spray, even from the office address
    const strangers = Array.from({ length: 12 }, (_, i) => b.graphSignIn({ time: at(i * 2), upn: `stranger${i}@contoso.com`, ip: office, errorCode: 50126 }));
    expect(rulesOf(run([...morning, ...strangers]))).toEqual(['password-spray']);
    // successes two days before are older than knownSourceHours (24): not regular users any more
    const longAgo = morning.map((r, i) => ({ ...r, createdDateTime: b.iso(D, -48 * 60 + i) }));
    expect(rulesOf(run([...longAgo, ...spray(12, office)]))).toEqual(['password-spray']);
    // knownSourceHours 0: only successes after the failure count (the office alerts again)
    expect(rulesOf(run([...morning, ...spray(12, office)], { config: { passwordSpray: { knownSourceHours: 0 } } }))).toEqual(['password-spray']);
    // a regular user's later success is not a compromised account: no high
    const later = run([...morning, ...strangers, b.graphSignIn({ time: at(30), upn: 'user3@contoso.com', ip: office })]);
    expect(later.map(a => a.severity)).toEqual(['medium']);
  });
  it('forgets quiet sources over a week of logs (state bounded by the window, not by addresses ever seen)', () => {
    const config = resolveConfig({});
    const ctx = { config, isWeightStore: () => false, isResearchNamespace: () => false, namespaceOfIp: () => undefined, isResearchIp: () => false };
    const one = passwordSpray();
    const dist = distributedSpray();
    const feed = (ev: ReturnType<typeof normalizeRecord>) => {
      one.onEvent(ev, ctx);
      dist.onEvent(ev, ctx);
    };
    const withNet = (r: Record<string, unknown>, asn: number) => {
      const ev = normalizeRecord(r);
      ev.src = { ...ev.src!, asn };
      ev.auth = { ...ev.auth, userAgent: 'python-requests/2.31' };
      return ev;
    };
    // day 1: 3,000 addresses (of 300 networks) each fail once; then one failure an hour for a week
    for (let i = 0; i < 3000; i++) feed(withNet(b.graphSignIn({ time: b.iso(D, i / 100), upn: `u${i}@contoso.com`, ip: `203.0.${Math.floor(i / 250)}.${i % 250}`, errorCode: 50126 }), 64500 + (i % 300)));
    expect(one.stateSize!()).toBeGreaterThanOrEqual(3000);
    expect(dist.stateSize!()).toBe(300);
    for (let h = 1; h <= 7 * 24; h++) feed(withNet(b.graphSignIn({ time: b.iso(D, h * 60), upn: 'carol@contoso.com', ip: '81.2.69.142', errorCode: 50126 }), 64999));
    expect(one.stateSize!()).toBeLessThan(10);
    expect(dist.stateSize!()).toBeLessThan(10);
    // a spray after the sweeps still fires
    const later = spray(12).map(r => normalizeRecord({ ...r, createdDateTime: b.iso(String(r.createdDateTime), 7 * 24 * 60 + 30) }));
    expect(later.flatMap(ev => one.onEvent(ev, ctx) ?? []).length).toBeGreaterThan(0);
  });
});

describe('weight store rules', () => {
  const W = { account: 'frontierweights', container: 'frontier-70b' };
  const shards = (n: number, who: Partial<b.BlobOpts>, start = 0, stepMin = 1, bytes = 5 * b.GiB) =>
    Array.from({ length: n }, (_, i) => b.diagnosticBlobLog({ time: at(start + i * stepMin), ...W, blob: `model-${String(i).padStart(5, '0')}.safetensors`, bytes, ...who }));
  const mallory = { upn: 'mallory@contoso.com', objectId: 'oid-mallory', ip: '20.50.1.1' };
  const job = { objectId: 'oid-train-job', appId: 'app-train', ip: '10.244.3.4' };

  it('bulk read: fires on a person downloading 150 GiB in an hour', () => {
    const a = run(shards(30, mallory));
    expect(a).toMatchObject([{ rule: 'weight-store-bulk-read', principal: 'mallory@contoso.com', resource: 'frontierweights/frontier-70b', severity: 'high' }]);
    expect(a[0].count).toBe(30);
    expect(a[0].firstSeen).toBe(new Date(at(0)).toISOString());
  });
  it('bulk read: stays quiet on a long training job reading 600 GiB at its usual rate over 20 hours', () => {
    expect(run(shards(120, job, 0, 10))).toEqual([]);
  });
  it('bulk read: a workload reading far above what the store normally serves fires', () => {
    const normal = shards(60, job, 0, 1, 2 * b.GiB); // 120 GiB in the first hour
    const spike = shards(120, { ...job }, 180, 0.25, 3 * b.GiB); // 360 GiB in 30 minutes
    expect(rulesOf(run([...normal, ...spike]))).toEqual(['weight-store-bulk-read']);
  });
  it('bulk read: reads of a store that holds no weights stay quiet', () => {
    expect(run(shards(30, mallory).map(r => ({ ...(r as any), properties: { ...(r as any).properties, accountName: 'cilogs', objectKey: '/cilogs/builds/log.txt' }, resourceId: (r as any).resourceId.replace('frontierweights', 'cilogs') })))).toEqual([]);
  });

  const grants = new GrantIndex([
    {
      id: 'g1',
      user: { ref: 'user:default/alice', upn: 'alice@contoso.com', objectId: 'oid-alice' },
      resource: { ref: 'resource:default/frontier-70b', azureScope: `/subscriptions/${b.SUB}/resourceGroups/rg-weights/providers/Microsoft.Storage/storageAccounts/frontierweights/blobServices/default/containers/frontier-70b` },
      start: at(-60),
      end: at(120),
    },
  ]);
  it('read without grant: fires for a person with no grant, or a grant that expired or covers another container', () => {
    expect(run(shards(1, mallory), { grants })).toMatchObject([{ rule: 'weight-store-read-without-grant', principal: 'mallory@contoso.com' }]);
    expect(run(shards(1, { upn: 'alice@contoso.com', objectId: 'oid-alice' }, 200), { grants })).toMatchObject([{ rule: 'weight-store-read-without-grant' }]);
    const other = b.diagnosticBlobLog({ time: at(1), account: 'frontierweights', container: 'eval-checkpoints', blob: 'x.safetensors', bytes: 10, upn: 'alice@contoso.com', objectId: 'oid-alice' });
    expect(rulesOf(run([other], { grants }))).toEqual(['weight-store-read-without-grant']);
  });
  it('read without grant: quiet for an active grant (matched by object id too), for workloads and without a grant export', () => {
    expect(run(shards(1, { upn: 'alice@contoso.com', objectId: 'oid-alice' }), { grants })).toEqual([]);
    expect(run(shards(1, { upn: 'ALICE@contoso.com', objectId: 'oid-alice' }), { grants })).toEqual([]);
    expect(run(shards(1, job), { grants })).toEqual([]);
    expect(run(shards(1, mallory))).toEqual([]);
  });

  it('shared key / SAS / anonymous: fires on a weight store, quiet for CI using a SAS on a non-weight store', () => {
    const sas = b.diagnosticBlobLog({ time: at(0), ...W, blob: 'model.safetensors', bytes: 100, auth: 'SAS', ip: '52.1.2.3' });
    expect(run([sas])).toMatchObject([{ rule: 'weight-store-shared-key-access', principal: '52.1.2.3', severity: 'high' }]);
    const anon = b.diagnosticBlobLog({ time: at(0), ...W, blob: 'model.safetensors', bytes: 100, auth: 'Anonymous', ip: '52.1.2.3' });
    expect(run([anon])).toMatchObject([{ severity: 'critical' }]);
    const ci = b.diagnosticBlobLog({ time: at(0), account: 'cibuildartifacts', container: 'builds', blob: 'build-123.tar.gz', bytes: 100, auth: 'SAS', ip: '52.1.2.3' });
    expect(run([ci])).toEqual([]);
    const refused = b.diagnosticBlobLog({ time: at(0), ...W, blob: 'model.safetensors', auth: 'SAS', status: 403, ip: '52.1.2.3' });
    expect(run([refused])).toEqual([]);
  });

  const list = (n: number, who: Partial<b.BlobOpts>, start = 0, containers = 1) =>
    Array.from({ length: n }, (_, i) => b.diagnosticBlobLog({ time: at(start + i), account: 'frontierweights', container: `c${i % containers}`, op: 'ListBlobs', ...who }));
  it('enumeration: fires on a never-seen principal listing many containers', () => {
    expect(run([...shards(1, job, 0), ...list(20, mallory, 120, 8)])).toMatchObject([{ rule: 'storage-enumeration-new-principal', principal: 'mallory@contoso.com', severity: 'high' }]);
  });
  it('enumeration: quiet for a principal already active in the first window of the logs (it was not seen arriving)', () => {
    expect(run(list(20, job, 0, 8))).toEqual([]);
    expect(run([...shards(1, mallory, 0), ...list(20, job, 59, 8)])).toEqual([]);
    // the same listing an hour into the logs is a new principal's
    expect(rulesOf(run([...shards(1, mallory, 0), ...list(20, job, 61, 8)]))).toEqual(['storage-enumeration-new-principal']);
  });
  it('enumeration: quiet for a known principal and for a new principal listing once', () => {
    expect(run([...shards(1, job, 0), ...list(20, job, 200, 8)])).toEqual([]);
    expect(run(list(1, mallory))).toEqual([]);
  });
});

describe('cluster rules', () => {
  const exec = (o: Partial<b.AuditOpts>) => b.k8sAudit({ time: at(0), user: 'bob@contoso.com', verb: 'create', resource: 'pods', namespace: 'research-llm', name: 'trainer-0', subresource: 'exec', code: 101, ...o });
  it('exec into a research pod by a person fires once per request across audit stages', () => {
    const id = 'audit-1';
    const a = run([exec({ auditID: id, stage: 'RequestReceived' }), exec({ auditID: id, stage: 'ResponseStarted' }), exec({ auditID: id })]);
    expect(a).toMatchObject([{ rule: 'k8s-exec-research-namespace', principal: 'bob@contoso.com', count: 1, events: [id] }]);
  });
  it('exec: quiet for a service account, a non-research namespace, a refused exec, and logs', () => {
    expect(run([exec({ user: 'system:serviceaccount:ci:runner' })])).toEqual([]);
    expect(run([exec({ namespace: 'monitoring' })])).toEqual([]);
    expect(run([exec({ code: 403 })])).toEqual([]);
    expect(run([exec({ subresource: 'log', verb: 'get', code: 200 })])).toEqual([]);
  });

  const crb = (role: string, user = 'eve@contoso.com') =>
    b.k8sAudit({ time: at(0), user, verb: 'create', resource: 'clusterrolebindings', apiGroup: 'rbac.authorization.k8s.io', name: 'eve-admin', code: 201, requestObject: { kind: 'ClusterRoleBinding', roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ kind: 'User', name: user }] } });
  it('cluster-admin binding fires; a binding to view does not', () => {
    expect(run([crb('cluster-admin')])).toMatchObject([{ rule: 'k8s-cluster-admin-binding', severity: 'critical' }]);
    expect(run([crb('view')])).toEqual([]);
    expect(run([crb('cluster-admin', 'system:apiserver')])).toEqual([]);
  });

  const secrets = (o: Partial<b.AuditOpts>) => b.k8sAudit({ time: at(0), user: 'carol@contoso.com', verb: 'list', resource: 'secrets', ...o });
  it("secrets listed cluster-wide by a person fires; one namespace's secrets or a controller does not", () => {
    expect(run([secrets({})])).toMatchObject([{ rule: 'k8s-secrets-list-cluster-wide', severity: 'high' }]);
    expect(run([secrets({ code: 403 })])).toMatchObject([{ severity: 'medium' }]);
    expect(run([secrets({ namespace: 'research-llm' })])).toEqual([]);
    expect(run([secrets({ user: 'system:serviceaccount:kube-system:external-secrets' })])).toEqual([]);
  });

  const flow = (ns: string, o: Partial<Parameters<typeof b.hubbleFlow>[0]> = {}) =>
    b.hubbleFlow({ time: at(0), ns, pod: 'trainer-abc', srcIp: '10.244.1.5', dstIp: '198.51.100.7', dstName: 'paste.example.net', port: 443, verdict: 'DROPPED', ...o });
  it('egress denied from a research namespace fires (Hubble, and the firewall via the learned pod IP)', () => {
    expect(run([flow('research-llm')])).toMatchObject([{ rule: 'egress-denied-research-namespace', principal: 'research-llm', resource: '*:443', details: { destinations: ['paste.example.net:443'] } }]);
    const learned = run([flow('research-llm', { verdict: 'FORWARDED' }), b.firewallClassic({ time: at(1), src: '10.244.1.5', dst: 'paste.example.net', port: 443, action: 'Deny', app: true })]);
    expect(learned).toMatchObject([{ rule: 'egress-denied-research-namespace', resource: '*:443', details: { destinations: ['paste.example.net:443'] } }]);
    const configured = run([b.firewallStructured({ time: at(0), src: '10.30.0.9', fqdn: 'x.example', port: 443, action: 'Deny' })], { config: { researchCidrs: ['10.30.0.0/16'] } });
    expect(rulesOf(configured)).toEqual(['egress-denied-research-namespace']);
  });
  it('egress: quiet for other namespaces, allowed flows, replies, non-policy drops and allowlisted destinations', () => {
    expect(run([flow('monitoring')])).toEqual([]);
    expect(run([flow('research-llm', { verdict: 'FORWARDED' })])).toEqual([]);
    expect(run([flow('research-llm', { reply: true })])).toEqual([]);
    expect(run([flow('research-llm', { reason: 'CT_MAP_INSERTION_FAILED' })])).toEqual([]);
    expect(run([flow('research-llm')], { config: { egress: { allowDestinations: ['*.example.net'] } } })).toEqual([]);
    expect(run([b.firewallClassic({ time: at(1), src: '10.9.9.9', dst: 'paste.example.net', port: 443, action: 'Deny', app: true })])).toEqual([]);
  });
});

describe('break-glass and posture drift', () => {
  it('break-glass use fires on a granted break-glass and an emergency account sign-in; quiet on a refused one', () => {
    expect(run([b.portalAudit({ time: at(0), pluginId: 'access-requests', eventId: 'break-glass', meta: { resourceRef: 'resource:default/frontier-70b' } })])).toMatchObject([{ rule: 'break-glass-use', resource: 'resource:default/frontier-70b' }]);
    expect(run([b.portalAudit({ time: at(0), pluginId: 'access-requests', eventId: 'break-glass', status: 'failed' })])).toEqual([]);
    expect(run([b.graphSignIn({ time: at(0), upn: 'breakglass01@contoso.com', ip: '81.2.69.142' })])).toMatchObject([{ rule: 'break-glass-use', severity: 'critical' }]);
    expect(run([b.graphSignIn({ time: at(0), upn: 'breakglass01@contoso.com', ip: '81.2.69.142', errorCode: 50126 })])).toEqual([]);
  });
  it('posture drift fires when a check goes from passing to failing, not when it recovers', () => {
    expect(run([b.portalAudit({ time: at(0), pluginId: 'weight-inventory', eventId: 'posture-drift', meta: { store: 'frontierweights', check: 'public-network-access', from: 'pass', to: 'fail' } })])).toMatchObject([{ rule: 'posture-drift', resource: 'frontierweights' }]);
    expect(run([b.portalAudit({ time: at(0), pluginId: 'weight-inventory', eventId: 'posture-drift', meta: { store: 'frontierweights', from: 'fail', to: 'pass' } })])).toEqual([]);
  });
});

describe('configuration', () => {
  it('thresholds and allowlists come from config; disabled rules never fire', () => {
    const shardsOf = (n: number) => Array.from({ length: n }, (_, i) => b.diagnosticBlobLog({ time: at(i), account: 'frontierweights', container: 'x', blob: `m${i}.safetensors`, bytes: b.GiB, upn: 'm@c.com' }));
    expect(run(shardsOf(5))).toEqual([]);
    expect(rulesOf(run(shardsOf(5), { config: { bulkRead: { minBytes: 2 * b.GiB } } }))).toEqual(['weight-store-bulk-read']);
    expect(run(shardsOf(5), { config: { bulkRead: { minBytes: 2 * b.GiB, allowPrincipals: ['m@c.com'] } } })).toEqual([]);
    expect(run(shardsOf(5), { config: { bulkRead: { minBytes: 2 * b.GiB }, disabledRules: ['weight-store-bulk-read'] } })).toEqual([]);
  });
  it('refuses bad settings naming the field', () => {
    expect(() => resolveConfig({ bulkRead: { minBytes: -1 } })).toThrow(/bulkRead.minBytes/);
    expect(() => resolveConfig({ travel: { ignoreCidrs: ['nope'] } })).toThrow(/travel.ignoreCidrs\[0\]/);
    expect(() => resolveConfig({ bogus: 1 })).toThrow(/bogus: unknown setting/);
    expect(() => resolveConfig({ severityOverrides: { x: 'huge' } })).toThrow(/severityOverrides.x/);
  });
});

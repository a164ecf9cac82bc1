import { normalizeRecord, expandRecords, RecordError } from '.';
import { parseLine } from '../reader';
import * as b from '../testing/builders';

const T = '2026-11-02T08:00:00Z';

describe('source recognition and normalization', () => {
  it.each([
    ['Graph signIn', b.graphSignIn({ time: T, upn: 'Alice@Contoso.com', ip: '81.2.69.142', errorCode: 50126 })],
    ['diagnostic export', b.diagnosticSignIn({ time: T, upn: 'Alice@Contoso.com', ip: '81.2.69.142', errorCode: 50126 })],
    ['Log Analytics row', b.laSignIn({ time: T, upn: 'Alice@Contoso.com', ip: '81.2.69.142', errorCode: 50126 })],
  ])('recognises an Entra sign-in as a %s', (_shape, rec) => {
    const ev = normalizeRecord(rec);
    expect(ev.source).toBe('entra_signin');
    expect(ev.classUid).toBe(3002);
    expect(ev.outcome).toBe('failure');
    expect(ev.auth?.errorCode).toBe(50126);
    expect(ev.actor.upn).toBe('Alice@Contoso.com');
    expect(ev.src).toMatchObject({ ip: '81.2.69.142', country: 'GB', lat: 51.5072 });
    expect(ev.time).toBe(Date.parse(T));
    expect(ev.view.ResultType).toBe('50126');
    expect(ev.raw).toBe(rec);
  });

  it('reads MFA and risk from a sign-in', () => {
    const ev = normalizeRecord(b.graphSignIn({ time: T, upn: 'a@c.com', ip: '1.2.3.4', risk: 'high', riskState: 'remediated', mfa: true }));
    expect(ev.auth).toMatchObject({ mfa: true, riskLevel: 'high', riskState: 'remediated' });
    const noMfa = normalizeRecord(b.laSignIn({ time: T, upn: 'a@c.com', ip: '1.2.3.4', risk: 'medium', riskState: 'atRisk' }));
    expect(noMfa.auth).toMatchObject({ mfa: false, riskLevel: 'medium', riskState: 'atrisk' });
  });

  it('recognises risk detections (Graph and AADUserRiskEvents)', () => {
    const g = normalizeRecord(b.riskDetection({ time: T, upn: 'a@c.com', type: 'unlikelyTravel' }));
    expect(g).toMatchObject({ source: 'entra_risk', classUid: 2004, auth: { riskEventTypes: ['unlikelyTravel'] } });
    const la = normalizeRecord({ TimeGenerated: T, Type: 'AADUserRiskEvents', RiskEventType: 'leakedCredentials', RiskLevel: 'high', RiskState: 'atRisk', DetectedDateTime: T, UserPrincipalName: 'a@c.com', Location: '{"countryOrRegion":"NL"}' });
    expect(la).toMatchObject({ source: 'entra_risk', actor: { upn: 'a@c.com' }, src: { country: 'NL' } });
  });

  it.each([
    ['diagnostic export', b.diagnosticBlobLog],
    ['Log Analytics row', b.laBlobLog],
  ])('recognises StorageBlobLogs as a %s', (_s, build) => {
    const ev = normalizeRecord(build({ time: T, account: 'frontierweights', container: 'frontier-70b', blob: 'model-00001-of-00030.safetensors', bytes: 4_900_000_000, upn: 'bob@contoso.com', objectId: 'oid-bob', ip: '20.1.2.3' }));
    expect(ev).toMatchObject({
      source: 'storage_blob',
      classUid: 6003,
      activity: 'GetBlob',
      outcome: 'success',
      bytes: 4_900_000_000,
      actor: { upn: 'bob@contoso.com', uid: 'oid-bob', type: 'user' },
      src: { ip: '20.1.2.3' },
      resource: { account: 'frontierweights', container: 'frontier-70b', name: 'frontierweights/frontier-70b' },
      auth: { method: 'oauth' },
    });
    expect(ev.resource?.azureId?.toLowerCase()).toBe(
      `/subscriptions/${b.SUB}/resourcegroups/rg-weights/providers/microsoft.storage/storageaccounts/frontierweights/blobservices/default/containers/frontier-70b`,
    );
  });

  it('normalizes SAS, account key and anonymous blob access', () => {
    expect(normalizeRecord(b.diagnosticBlobLog({ time: T, account: 'a', container: 'c', auth: 'SAS', ip: '9.9.9.9' })).auth?.method).toBe('sas');
    expect(normalizeRecord({ ...b.laBlobLog({ time: T, account: 'a', container: 'c' }), AuthenticationType: 'Account Key' }).auth?.method).toBe('accountkey');
    const anon = normalizeRecord(b.diagnosticBlobLog({ time: T, account: 'a', container: 'c', auth: 'Anonymous', ip: '9.9.9.9' }));
    expect(anon.actor).toMatchObject({ type: 'anonymous' });
  });

  it('recognises Kubernetes audit events raw, from the AKS diagnostic export and the AKSAudit table', () => {
    const o = { time: T, user: 'bob@contoso.com', verb: 'create', resource: 'pods', namespace: 'research-llm', name: 'trainer-0', subresource: 'exec', code: 101 };
    const raw = normalizeRecord(b.k8sAudit(o));
    expect(raw).toMatchObject({ source: 'k8s_audit', activity: 'create', outcome: 'success', actor: { name: 'bob@contoso.com', type: 'user' }, resource: { type: 'k8s/pods', namespace: 'research-llm', subresource: 'exec' } });
    const aks = normalizeRecord(b.aksDiagnosticAudit(o));
    expect(aks.resource?.name).toBe('aks-research/research-llm/pods/exec/trainer-0'); // the resourceId's AKS-RESEARCH, lower-cased as AKSAudit writes it
    const ev = b.k8sAudit(o) as any;
    const la = normalizeRecord({ TimeGenerated: T, Type: 'AKSAudit', AuditId: ev.auditID, Verb: 'create', User: JSON.stringify(ev.user), ObjectRef: JSON.stringify(ev.objectRef), ResponseStatus: '{"code":101}', Stage: 'ResponseComplete', StageReceivedTime: T, SourceIps: '["10.0.0.1"]' });
    expect(la).toMatchObject({ source: 'k8s_audit', id: ev.auditID, resource: { namespace: 'research-llm' } });
    const sa = normalizeRecord(b.k8sAudit({ ...o, user: 'system:serviceaccount:ci:runner' }));
    expect(sa.actor.type).toBe('service');
  });

  it('parses classic Azure Firewall msg strings', () => {
    const net = normalizeRecord(b.firewallClassic({ time: T, src: '10.20.1.7', dst: '198.51.100.7', port: 443, action: 'Deny' }));
    expect(net).toMatchObject({ source: 'azure_firewall', classUid: 4001, activity: 'deny', src: { ip: '10.20.1.7', port: 51234 }, dst: { ip: '198.51.100.7', port: 443 } });
    const app = normalizeRecord(b.firewallClassic({ time: T, src: '10.20.1.7', dst: 'api.example.ai', port: 443, action: 'Deny', app: true }));
    expect(app).toMatchObject({ activity: 'deny', dst: { host: 'api.example.ai', port: 443 }, statusDetail: 'Default Action' });
    const allow = normalizeRecord(b.firewallClassic({ time: T, src: '10.20.1.7', dst: 'pypi.org', port: 443, action: 'Allow', app: true }));
    expect(allow.activity).toBe('allow');
  });

  it('reads structured AZFW records in both export shapes', () => {
    const d = normalizeRecord(b.firewallStructured({ time: T, src: '10.20.1.7', fqdn: 'huggingface.co', port: 443, action: 'Deny' }));
    expect(d).toMatchObject({ source: 'azure_firewall', activity: 'deny', dst: { host: 'huggingface.co', port: 443 } });
    const la = normalizeRecord(b.firewallStructured({ time: T, src: '10.20.1.7', dstIp: '198.51.100.7', port: 22, action: 'Deny', la: true }));
    expect(la).toMatchObject({ activity: 'deny', dst: { ip: '198.51.100.7', port: 22 } });
  });

  it('reads Hubble flows (exporter wrapper and bare flow), policy drops only as denies', () => {
    const f = b.hubbleFlow({ time: T, ns: 'research-llm', pod: 'trainer-abc', srcIp: '10.244.1.5', dstIp: '198.51.100.7', dstName: 'exfil.example.net', port: 443, verdict: 'DROPPED' });
    expect(normalizeRecord(f)).toMatchObject({ source: 'hubble', activity: 'deny', src: { namespace: 'research-llm' }, dst: { host: 'exfil.example.net' } });
    expect(normalizeRecord((f as any).flow).source).toBe('hubble');
    const other = b.hubbleFlow({ time: T, ns: 'research-llm', pod: 'p', srcIp: '10.244.1.5', dstIp: '1.1.1.1', port: 443, verdict: 'DROPPED', reason: 'CT_MAP_INSERTION_FAILED' });
    expect(normalizeRecord(other).activity).toBe('drop');
  });

  it('recognises portal audit rows and auditor log lines', () => {
    const row = normalizeRecord(b.portalAudit({ time: T, pluginId: 'access-requests', eventId: 'break-glass', meta: { resourceRef: 'resource:default/frontier-70b' } }));
    expect(row).toMatchObject({ source: 'portal_audit', activity: 'access-requests.break-glass', outcome: 'success', resource: { name: 'resource:default/frontier-70b' } });
    const line = normalizeRecord({ level: 'info', message: 'access-requests.break-glass', isAuditEvent: true, plugin: 'access-requests', eventId: 'break-glass', severityLevel: 'critical', status: 'succeeded', actor: { actorId: 'user:default/alice' }, meta: {}, timestamp: T });
    expect(line).toMatchObject({ source: 'portal_audit', actor: { name: 'user:default/alice' } });
  });

  it('expands {"records": [...]} batches and refuses what it does not know', () => {
    const recs = expandRecords({ records: [b.diagnosticBlobLog({ time: T, account: 'a', container: 'c' }), b.firewallClassic({ time: T, src: '10.0.0.1', dst: '1.1.1.1', port: 53, action: 'Allow' })] });
    expect(recs.map(r => normalizeRecord(r).source)).toEqual(['storage_blob', 'azure_firewall']);
    expect(() => normalizeRecord({ foo: 1 })).toThrow(RecordError);
    expect(() => normalizeRecord([1])).toThrow(RecordError);
    expect(() => normalizeRecord(b.graphSignIn({ time: 'yesterday', upn: 'a@b.c', ip: '1.1.1.1' }))).toThrow(/timestamp/);
  });

  it('reports a per-line error for bad lines and keeps the good records of a batch', () => {
    expect(parseLine('{"records": [1, ').errors[0]).toMatch(/not JSON/);
    const mixed = parseLine(JSON.stringify({ records: [b.laBlobLog({ time: T, account: 'a', container: 'c' }), { nope: true }] }));
    expect(mixed.events).toHaveLength(1);
    expect(mixed.errors).toHaveLength(1);
  });

  it('gives the same key to the same line and different keys to different lines', () => {
    const line = JSON.stringify(b.firewallClassic({ time: T, src: '10.0.0.1', dst: '1.1.1.1', port: 53, action: 'Allow' }));
    expect(parseLine(line).events[0].key).toBe(parseLine(line).events[0].key);
    const other = JSON.stringify(b.firewallClassic({ time: T, src: '10.0.0.2', dst: '1.1.1.1', port: 53, action: 'Allow' }));
    expect(parseLine(other).events[0].key).not.toBe(parseLine(line).events[0].key);
  });

  it('keeps only what NormalizeOptions asks for (the replay CLI) and everything by default', () => {
    const line = JSON.stringify(b.firewallClassic({ time: T, src: '10.0.0.1', dst: '1.1.1.1', port: 53, action: 'Deny' }));
    const full = parseLine(line).events[0];
    expect(full.key).toMatch(/^[0-9a-f]{64}$/);
    expect(full.view.dst_port).toBe(53);
    expect(full.raw).toEqual(JSON.parse(line));
    const lean = parseLine(line, { keys: false, views: new Set(['hubble']), raw: new Set() }).events[0];
    // no idempotency key, but the id (the content hash for firewall records) is the same
    expect(lean.key).toBe('');
    expect(lean.id).toBe(full.id);
    expect(lean.view).toEqual({});
    expect(Object.isFrozen(lean.view)).toBe(true);
    expect(lean.raw).toBeUndefined();
    // everything normalized is unchanged
    const strip = (e: typeof full) => ({ ...e, key: undefined, view: undefined, raw: undefined });
    expect(strip(lean)).toEqual(strip(full));
    const signIn = JSON.stringify(b.graphSignIn({ time: T, upn: 'a@c.com', ip: '1.2.3.4' }));
    const kept = parseLine(signIn, { keys: false, views: new Set(['entra_signin']), raw: new Set(['entra_signin']) }).events[0];
    expect(kept.view.UserPrincipalName).toBe('a@c.com');
    expect(kept.raw).toEqual(JSON.parse(signIn));
    expect(kept.id).toBe(parseLine(signIn).events[0].id);
  });
});

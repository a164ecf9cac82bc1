import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveConfig } from '../config';
import { GrantIndex, parseGrantExport } from '../grants';
import { replayFiles } from '../replay';
import type { Alert } from '../types';
import { randomUUID as uuid } from 'node:crypto';
import * as r from './realistic';

/*
 * Red-team of the built-in rules on records written from the vendors' documentation (see
 * ./realistic.ts), through the replay path the CLI takes (files on disk → reader → engine →
 * alerts). Each rule: a true positive in a shape the other tests do not use, and the issue's near
 * miss. Several of these failed before the fix named in the test.
 */
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'detections-heldout-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(lines: unknown[]): string {
  const f = path.join(dir, `f${n++}.ndjson`);
  fs.writeFileSync(f, `${lines.map(l => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`);
  return f;
}

async function replay(files: unknown[][], opts: { config?: unknown; grants?: unknown } = {}): Promise<Alert[]> {
  const res = await replayFiles(files.map(file), {
    config: resolveConfig(opts.config ?? {}),
    grants: opts.grants ? new GrantIndex(parseGrantExport(opts.grants)) : undefined,
  });
  expect(res.stats.errors).toBe(0);
  return res.alerts;
}
const only = (alerts: Alert[], rule: string) => alerts.filter(a => a.rule === rule);

/** Replays files whose whole text is given (documents rather than NDJSON lines). */
async function replayTexts(texts: string[], opts: { config?: unknown } = {}): Promise<Alert[]> {
  const files = texts.map(t => {
    const f = path.join(dir, `d${n++}.json`);
    fs.writeFileSync(f, t);
    return f;
  });
  const res = await replayFiles(files, { config: resolveConfig(opts.config ?? {}) });
  expect(res.stats.firstErrors).toEqual([]);
  return res.alerts;
}

describe('Entra sign-ins', () => {
  it('atypical travel from Log Analytics rows (JSON-text LocationDetails, 7-digit fractions, IPv6, UPN case differs)', async () => {
    const a = await replay([[r.laSignIn(0, 'Alice.Smith@contoso.com', '81.2.69.160', r.LONDON), r.laSignIn(75 * 60, 'alice.smith@contoso.com', '2a02:6b8::2:242', r.MOSCOW)]]);
    expect(only(a, 'atypical-travel')).toMatchObject([{ principal: 'alice.smith@contoso.com', count: 2 }]);
  });

  it('atypical travel when the second sign-in is written with a +03:00 offset; quiet on an 8-hour flight (Graph v1.0)', async () => {
    const moscow = { ...r.graphSignIn(70 * 60, 'carol@contoso.com', '95.173.136.70', r.MOSCOW), createdDateTime: r.atOffset(70 * 60, 3) };
    expect(only(await replay([[r.graphSignIn(0, 'carol@contoso.com', '81.2.69.162', r.LONDON), moscow]]), 'atypical-travel')).toHaveLength(1);
    const flight = await replay([[r.graphSignIn(0, 'bob@contoso.com', '81.2.69.161', r.LONDON), r.graphSignIn(8 * 3600 + 300, 'bob@contoso.com', '72.229.28.185', r.NEW_YORK)]]);
    expect(flight).toEqual([]);
  });

  it('atypical travel from rows whose times are written as the Azure portal exports them (M/D/YYYY h:mm:ss AM) and as RFC 1123 (… GMT), read as UTC (failed before: no valid timestamp)', async () => {
    const portal = (x: Record<string, unknown>, t: string) => ({ ...x, TimeGenerated: t, CreatedDateTime: t });
    const rows = [
      portal(r.laSignIn(0, 'alice.smith@contoso.com', '81.2.69.160', r.LONDON), '11/2/2026, 8:00:00.123 AM'),
      portal(r.laSignIn(75 * 60, 'alice.smith@contoso.com', '2a02:6b8::2:242', r.MOSCOW), '11/2/2026, 9:15:00.456 AM'),
    ];
    expect(only(await replay([rows]), 'atypical-travel')).toMatchObject([{ principal: 'alice.smith@contoso.com', firstSeen: '2026-11-02T08:00:00.123Z', lastSeen: '2026-11-02T09:15:00.456Z' }]);
    const graph = [
      { ...r.graphSignIn(0, 'carol@contoso.com', '81.2.69.162', r.LONDON), createdDateTime: 'Mon, 02 Nov 2026 08:00:00 GMT' },
      { ...r.graphSignIn(3600, 'carol@contoso.com', '95.173.136.70', r.MOSCOW), createdDateTime: 'Mon, 02 Nov 2026 09:00:00 GMT' },
    ];
    expect(only(await replay([graph]), 'atypical-travel')).toMatchObject([{ firstSeen: '2026-11-02T08:00:00.000Z', lastSeen: '2026-11-02T09:00:00.000Z' }]);
    // 12 hours later by the clock (PM) is a plausible flight: AM/PM is read
    const later = [rows[0], portal(rows[1], '11/2/2026, 9:15:00.456 PM')];
    expect(await replay([later])).toEqual([]);
  });

  it('risky sign-in from an Event Hub batch of diagnostic records', async () => {
    const rec = r.diagSignIn(0, 'dave@contoso.com', '185.220.101.4', { riskLevelDuringSignIn: 'high', riskLevelAggregated: 'high', riskState: 'atRisk', riskEventTypes_v2: ['anonymizedIPAddress'] });
    expect(only(await replay([[{ records: [rec] }]]), 'risky-signin-no-mfa')).toMatchObject([{ principal: 'dave@contoso.com', severity: 'high' }]);
  });

  it('stays quiet on a risky sign-in whose second factor is in authenticationDetails ("Mobile app notification") (failed before: only method names were read)', async () => {
    const rec = r.diagSignIn(0, 'erin@contoso.com', '185.220.101.5', {
      riskLevelDuringSignIn: 'medium',
      riskState: 'atRisk',
      authenticationDetails: [
        { authenticationStepDateTime: r.at(0), authenticationMethod: 'Password', succeeded: true, authenticationStepResultDetail: 'Correct password', authenticationStepRequirement: 'Primary authentication' },
        { authenticationStepDateTime: r.at(0), authenticationMethod: 'Mobile app notification', succeeded: true, authenticationStepResultDetail: 'MFA successfully completed', authenticationStepRequirement: 'Multi-factor authentication' },
      ],
    });
    expect(only(await replay([[{ records: [rec] }]]), 'risky-signin-no-mfa')).toEqual([]);
    // the same sign-in whose MFA step failed is not remediated
    const failed = structuredClone(rec);
    failed.properties.authenticationDetails[1].succeeded = false;
    expect(only(await replay([[{ records: [failed] }]]), 'risky-signin-no-mfa')).toHaveLength(1);
  });

  it('stays quiet on a risky Graph v1.0 sign-in whose Conditional Access policy enforced MFA and succeeded, in the Graph and Log Analytics shapes (failed before)', async () => {
    const policies = [
      { id: uuid(), displayName: 'Require MFA for all users', enforcedGrantControls: ['Mfa'], enforcedSessionControls: [], result: 'success' },
      { id: uuid(), displayName: 'Block legacy auth', enforcedGrantControls: ['Block'], enforcedSessionControls: [], result: 'notApplied' },
    ];
    const g = r.graphSignIn(0, 'gina@contoso.com', '185.220.101.6', r.LONDON, { riskLevelDuringSignIn: 'medium', riskLevelAggregated: 'medium', riskState: 'atRisk', appliedConditionalAccessPolicies: policies });
    const la = r.laSignIn(0, 'gina@contoso.com', '185.220.101.6', r.LONDON, { RiskLevelDuringSignIn: 'medium', RiskState: 'atRisk', ConditionalAccessStatus: 'success', ConditionalAccessPolicies: JSON.stringify(policies) });
    expect(only(await replay([[g], [la]]), 'risky-signin-no-mfa')).toEqual([]);
    // the MFA policy only reported (report-only) or failed: no MFA
    const reportOnly = policies.map(p => ({ ...p, result: p.result === 'success' ? 'reportOnlySuccess' : p.result }));
    expect(only(await replay([[{ ...g, appliedConditionalAccessPolicies: reportOnly }]]), 'risky-signin-no-mfa')).toHaveLength(1);
  });

  it('SigmaHQ "Suspicious SignIns From A Non Registered Device" fires on a Graph sign-in whose deviceDetail.trustType is null, as its KQL (isempty) does (failed before: only "" matched); not on a joined device', async () => {
    const risky = { authenticationRequirement: 'singleFactorAuthentication', riskLevelDuringSignIn: 'medium', riskState: 'atRisk' };
    const g = r.graphSignIn(0, 'hank@contoso.com', '185.220.101.8', r.LONDON, risky);
    const sigma = (a: Alert[]) => a.filter(x => x.title === 'Suspicious SignIns From A Non Registered Device');
    expect(sigma(await replay([[g]]))).toHaveLength(1);
    const { trustType: _t, ...noTrust } = g.deviceDetail;
    expect(sigma(await replay([[{ ...g, deviceDetail: noTrust }]]))).toHaveLength(1);
    expect(sigma(await replay([[{ ...g, deviceDetail: { ...g.deviceDetail, trustType: 'Azure AD joined', isManaged: true } }]]))).toEqual([]);
  });

  it('Entra risk detections (Graph, AADUserRiskEvents row, diagnostic UserRiskEvents) raise the SigmaHQ rules; a flight\'s unlikelyTravel remediated by MFA or dismissed does not (failed before)', async () => {
    const det = (riskState: string, o: Record<string, unknown> = {}) => ({
      '@odata.type': '#microsoft.graph.riskDetection', id: uuid(), requestId: uuid(), correlationId: uuid(), riskEventType: 'unlikelyTravel', riskState, riskLevel: 'medium',
      riskDetail: riskState === 'remediated' ? 'userPassedMFADrivenByRiskBasedPolicy' : riskState === 'dismissed' ? 'adminDismissedAllRiskForUser' : 'none', source: 'IdentityProtection',
      detectionTimingType: 'offline', activity: 'signin', tokenIssuerType: 'AzureAD', ipAddress: '72.229.28.185', location: r.NEW_YORK, activityDateTime: r.at(0, '.1234567'),
      detectedDateTime: r.at(1800, '.1234567'), lastUpdatedDateTime: r.at(3600), userId: uuid(), userDisplayName: 'Bob', userPrincipalName: 'bob@contoso.com', additionalInfo: '[]', ...o,
    });
    const row = { TenantId: r.TEN, TimeGenerated: r.at(1800, '.1234567'), Type: 'AADUserRiskEvents', Id: uuid(), RiskEventType: 'anonymizedIPAddress', RiskState: 'atRisk', RiskLevel: 'medium', DetectedDateTime: r.at(0), ActivityDateTime: r.at(0), IpAddress: '185.220.101.4', Location: '{"countryOrRegion":"DE"}', UserPrincipalName: 'dave@contoso.com' };
    const diag = { time: r.at(1800), category: 'UserRiskEvents', properties: { ...det('atRisk'), riskEventType: 'leakedCredentials', activity: 'user', ipAddress: null, location: null } };
    const fired = (await replay([[det('atRisk'), row, { records: [diag] }]])).map(a => a.title).sort();
    expect(fired).toEqual(['Anonymous IP Address', 'Atypical Travel', 'Azure AD Account Credential Leaked']);
    expect(await replay([[det('remediated'), det('dismissed'), det('confirmedSafe')]])).toEqual([]);
  });

  it('password spray from an IPv6 address in Event Hub batches; quiet on one user mistyping', async () => {
    const spray = Array.from({ length: 12 }, (_, i) =>
      r.diagSignIn(i * 180, `user${i}@contoso.com`, '2001:db8:85a3::8a2e:370:7334', { status: { errorCode: 50126, failureReason: 'Error validating credentials due to invalid username or password.' } }),
    );
    const a = await replay([[{ records: spray.slice(0, 6) }, { records: spray.slice(6) }]]);
    expect(only(a, 'password-spray')).toMatchObject([{ principal: '2001:db8:85a3::/64', count: 12 }]);
    const typo = Array.from({ length: 6 }, (_, i) => r.graphSignIn(i * 60, 'frank@contoso.com', '81.2.69.170', r.LONDON, { status: { errorCode: 50126, failureReason: 'Invalid username or password' } }));
    expect(await replay([[...typo, r.graphSignIn(420, 'frank@contoso.com', '81.2.69.170', r.LONDON)]])).toEqual([]);
  });

  const badPassword = { status: { errorCode: 50126, failureReason: 'Error validating credentials due to invalid username or password.' } };

  it('password spray rotating IPv6 addresses inside one /64 (one address per attempt) is one source (failed before: one address per account, quiet)', async () => {
    const spray = Array.from({ length: 12 }, (_, i) => r.diagSignIn(i * 200, `user${i}@contoso.com`, `2a0b:4340:a1:5:${((0x1000 + i * 7919) % 0xffff).toString(16)}:9c2f:3e1:${i + 1}`, badPassword));
    const a = only(await replay([[{ records: spray }]]), 'password-spray');
    expect(a).toMatchObject([{ principal: '2a0b:4340:a1:5::/64', count: 12, severity: 'medium' }]);
    // two different /64s of the same provider are two sources: six accounts each stay below the threshold
    const split = spray.map((x, i) => (i % 2 ? { ...x, properties: { ...x.properties, ipAddress: `2a0b:4340:a1:6::${i}` } } : x));
    expect(only(await replay([[{ records: split }]]), 'password-spray')).toEqual([]);
  });

  it('stays quiet on an office address where 15 people mistype (or change an expired password) within the hour and then sign in; a spray from the same address, whose accounts never succeed, fires (failed before: the typos alerted)', async () => {
    const office = '81.2.69.142';
    const morning = Array.from({ length: 15 }, (_, i) => {
      const upn = `staff${i}@contoso.com`;
      const code = i % 3 === 0 ? 50055 : 50126; // Monday: some passwords expired
      return [
        r.graphSignIn(i * 230, upn, office, r.LONDON, { status: { errorCode: code, failureReason: code === 50055 ? 'The password is expired.' : 'Invalid username or password' } }),
        r.graphSignIn(i * 230 + 40 + (i % 4) * 30, upn, office, r.LONDON),
      ];
    }).flat();
    expect(only(await replay([morning]), 'password-spray')).toEqual([]);
    // the same morning with 12 other accounts sprayed from the office address (a compromised host): they never succeed
    const spray = Array.from({ length: 12 }, (_, i) => r.graphSignIn(1800 + i * 60, `target${i}@contoso.com`, office, r.LONDON, { status: { errorCode: 50126, failureReason: 'Invalid username or password' } }));
    const mixed = [...morning, ...spray].sort((x, y) => Date.parse(x.createdDateTime) - Date.parse(y.createdDateTime));
    // (high: staff members failing while the spray runs and then signing in count as sprayed accounts that fell)
    expect(only(await replay([mixed]), 'password-spray')).toMatchObject([{ principal: office }]);
    // judged by the count alone when the ratio is switched off
    expect(only(await replay([morning], { config: { passwordSpray: { minNeverSucceededRatio: 0 } } }), 'password-spray')).toHaveLength(1);
  });

  it('a spray in which two of twelve accounts fall still fires, high on the fallen account signing in', async () => {
    const ip = '185.220.101.44';
    const spray = Array.from({ length: 12 }, (_, i) => r.graphSignIn(i * 60, `user${i}@contoso.com`, ip, r.MOSCOW, badPassword));
    const fallen = [r.graphSignIn(900, 'user2@contoso.com', ip, r.MOSCOW), r.graphSignIn(960, 'user7@contoso.com', ip, r.MOSCOW)];
    const a = only(await replay([[...spray, ...fallen]]), 'password-spray');
    expect(a).toMatchObject([{ principal: ip, severity: 'high' }]);
    expect(a[0].details).toMatchObject({ compromisedAccount: 'user7@contoso.com' });
  });

  it('distributed spray: 30 accounts failing from 24 addresses of one hosting ASN with one scripted user agent fires (failed before: no source had 10 accounts); the same ISP\'s customers mistyping with one browser and then signing in, and one office address full of typos, do not', async () => {
    const ua = 'python-requests/2.31.0';
    const spray = Array.from({ length: 30 }, (_, i) =>
      r.diagSignIn(i * 100, `user${i}@contoso.com`, `159.203.${10 + (i % 24)}.${20 + i}`, { ...badPassword, userAgent: ua, autonomousSystemNumber: 14061, location: { ...r.NEW_YORK } }),
    );
    const perIp = only(await replay([[{ records: spray }]]), 'password-spray');
    expect(perIp).toEqual([]);
    const a = only(await replay([[{ records: spray }]]), 'password-spray-distributed');
    expect(a).toMatchObject([{ principal: `AS14061 · ${ua}`, severity: 'medium' }]);
    expect(a[0].details).toMatchObject({ network: 'AS14061', accounts: 30, sources: 30 }); // the alert keeps its latest detection's details
    // the same as Log Analytics rows (AutonomousSystemNumber, UserAgent columns)
    const rows = spray.map((x, i) =>
      r.laSignIn(i * 100, `user${i}@contoso.com`, x.properties.ipAddress, r.NEW_YORK, { ResultType: '50126', Status: JSON.stringify({ errorCode: 50126 }), UserAgent: ua, AutonomousSystemNumber: '14061' }),
    );
    expect(only(await replay([rows]), 'password-spray-distributed')).toHaveLength(1);
    // Monday: 30 customers of one home ISP, one browser, mistype or change an expired password and sign in
    const chrome = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
    const monday = Array.from({ length: 30 }, (_, i) => [
      r.diagSignIn(i * 100, `staff${i}@contoso.com`, `86.${128 + (i % 24)}.4.${i + 1}`, { ...badPassword, userAgent: chrome, autonomousSystemNumber: 2856 }),
      ...(i % 8 ? [r.diagSignIn(i * 100 + 45, `staff${i}@contoso.com`, `86.${128 + (i % 24)}.4.${i + 1}`, { userAgent: chrome, autonomousSystemNumber: 2856 })] : []),
    ]).flat();
    expect(only(await replay([[{ records: monday }]]), 'password-spray-distributed')).toEqual([]);
    // one office address, 30 people failing and never succeeding within the hour: the per-address rule's business, not this one's
    const office = Array.from({ length: 30 }, (_, i) => r.diagSignIn(i * 100, `staff${i}@contoso.com`, '81.2.69.142', { ...badPassword, userAgent: chrome, autonomousSystemNumber: 2856 }));
    expect(only(await replay([[{ records: office }]]), 'password-spray-distributed')).toEqual([]);
  });

  it('service principal and managed identity sign-ins (Log Analytics and diagnostic shapes) are workloads: no travel between regions, no spray from many apps failing their secrets', async () => {
    const sp = (sec: number, name: string, ip: string, loc: typeof r.LONDON, code = 0) => ({
      TenantId: r.TEN, TimeGenerated: r.at(sec, '.1234567'), Type: 'AADServicePrincipalSignInLogs', Category: 'ServicePrincipalSignInLogs', ResultType: String(code), ResultDescription: code ? 'Invalid client secret provided.' : '',
      ServicePrincipalId: uuid(), ServicePrincipalName: name, AppId: uuid(), IPAddress: ip, LocationDetails: JSON.stringify(loc), Location: loc.countryOrRegion, ResourceDisplayName: 'Azure Storage', CorrelationId: uuid(), Id: uuid(),
    });
    const mi = (sec: number, ip: string, loc: typeof r.LONDON) => ({
      time: r.at(sec, '.5170000'), category: 'ManagedIdentitySignInLogs', resultType: '0', properties: { id: uuid(), createdDateTime: r.at(sec, '.5170000'), servicePrincipalId: uuid(), servicePrincipalName: 'mi-trainer', appId: uuid(), ipAddress: ip, location: loc, status: { errorCode: 0 }, resourceDisplayName: 'Azure Storage' },
    });
    const lines = [
      sp(0, 'ci-deployer', '20.50.2.3', r.LONDON), sp(600, 'ci-deployer', '95.173.136.70', r.MOSCOW),
      mi(0, '20.77.10.9', r.LONDON), mi(300, '52.1.2.3', r.NEW_YORK),
      ...Array.from({ length: 12 }, (_, i) => sp(900 + i * 10, `app-${i}`, '20.50.2.3', r.LONDON, 7000215)),
    ];
    expect(await replay([lines])).toEqual([]);
  });

  it('break-glass: an emergency account signs in; a portal break-glass grant; quiet when refused', async () => {
    expect(only(await replay([[r.graphSignIn(0, 'BreakGlass01@contoso.onmicrosoft.com', '81.2.69.171', r.LONDON)]]), 'break-glass-use')).toMatchObject([{ severity: 'critical' }]);
    const ok = r.portalAudit(0, 'access-requests', 'break-glass', 'succeeded', 'user:default/oncall-sre', { actor: 'user:default/oncall-sre', justification: 'SEV1', grant: { id: 'g-77', resourceRef: 'resource:default/llm-70b' } });
    expect(only(await replay([[ok]]), 'break-glass-use')).toMatchObject([{ principal: 'user:default/oncall-sre', resource: 'resource:default/llm-70b' }]);
    expect(await replay([[r.portalAudit(0, 'access-requests', 'break-glass', 'failed', 'user:default/eve', { error: 'not allowed' })]])).toEqual([]);
  });
});

describe('export wrappers', () => {
  it('a page of the portal audit API ({"items", "nextCursor"}), on one line or as a whole-file document: the initiated and succeeded rows of one break-glass give one alert (failed before: the page was unreadable)', async () => {
    const ok = r.portalAudit(5, 'access-requests', 'break-glass', 'succeeded', 'user:default/oncall-sre', { actor: 'user:default/oncall-sre', justification: 'SEV1', grant: { id: 'g-77', resourceRef: 'resource:default/llm-70b' } });
    const initiated = { ...r.portalAudit(4, 'access-requests', 'break-glass', 'succeeded', 'user:default/oncall-sre', {}), status: 'initiated', correlationId: 'c-1' };
    const page = { items: [{ ...ok, correlationId: 'c-1' }, initiated], nextCursor: { before: 700 } };
    for (const lines of [[page], [JSON.stringify(page, null, 2)]]) {
      expect(only(await replay([lines]), 'break-glass-use')).toMatchObject([{ principal: 'user:default/oncall-sre', count: 1 }]);
    }
  });

  it('a Graph page saved without @odata.context (only @odata.nextLink) (failed before)', async () => {
    const page = { value: [r.graphSignIn(0, 'BreakGlass01@contoso.onmicrosoft.com', '81.2.69.171', r.LONDON)], '@odata.nextLink': 'https://graph.microsoft.com/v1.0/auditLogs/signIns?$skiptoken=abc' };
    expect(only(await replay([[page]]), 'break-glass-use')).toHaveLength(1);
  });
});

describe('StorageBlobLogs', () => {
  const grants = {
    generatedAt: r.at(0),
    grants: [
      {
        id: 'g1',
        user: { ref: 'user:default/alice', email: 'Alice@contoso.com', objectId: r.ALICE.oid },
        resource: { ref: 'resource:default/llm-70b', azureScope: `${r.blobResourceId('stfrontierprod')}/containers/llm-70b` },
        role: 'reader', status: 'active', start: r.at(-3600), end: r.at(36_000),
      },
    ],
  };

  it('bulk read of 12 GiB in 256 MiB ranged reads (206) from Event Hub batches and from Log Analytics rows with string sizes', async () => {
    const reads = r.rangedReads(48, 50, r.ALICE);
    const batches = Array.from({ length: 6 }, (_, i) => ({ records: reads.slice(i * 8, i * 8 + 8) }));
    expect(only(await replay([batches]), 'weight-store-bulk-read')).toMatchObject([{ principal: 'alice@contoso.com', resource: 'stfrontierprod/llm-70b', count: 48 }]);
    const la = Array.from({ length: 48 }, (_, i) => ({ ...r.blobLa(i * 50, { acct: 'stfrontierprod', cont: 'llm-70b', blob: `model-${i}.safetensors`, bytes: 256 * r.MiB, status: 206, ...r.ALICE }), ResponseBodySize: String(256 * r.MiB) }));
    expect(only(await replay([la]), 'weight-store-bulk-read')).toHaveLength(1);
  });

  it('bulk read through the Data Lake endpoint (ReadFile) (failed before: only GetBlob counted)', async () => {
    const reads = r.rangedReads(48, 50, r.ALICE, { op: 'ReadFile' });
    expect(only(await replay([reads]), 'weight-store-bulk-read')).toMatchObject([{ principal: 'alice@contoso.com', count: 48 }]);
  });

  it('stays quiet on 6 GiB delivered twice (at-least-once export repeats every record) (failed before: bytes were counted twice)', async () => {
    const reads = r.rangedReads(24, 60, r.ALICE);
    expect(await replay([reads.flatMap(x => [x, x])])).toEqual([]);
    // and a duplicated 12 GiB read still counts its events once
    const big = r.rangedReads(48, 50, r.ALICE);
    expect(only(await replay([big.flatMap(x => [x, x])]), 'weight-store-bulk-read')).toMatchObject([{ count: 48 }]);
  });

  it('stays quiet on a long training job (managed identity, 60 GiB an hour for ten hours)', async () => {
    const job = Array.from({ length: 600 }, (_, i) => r.blobDiag(i * 60, { acct: 'stfrontierprod', cont: 'llm-70b', blob: `shard-${i % 30}.safetensors`, bytes: r.GiB, ...r.TRAINER_MI }));
    expect(await replay([job])).toEqual([]);
  });

  it('stays quiet on an inference fleet\'s identity reading 150 GiB an hour from the start of the logs for ten hours; the same rate starting mid-way, with no history, fires (failed before: its first hour alerted and nothing was learned)', async () => {
    const job = (startSec: number, hours: number) =>
      Array.from({ length: hours * 60 }, (_, i) => r.blobDiag(startSec + i * 60, { acct: 'stfrontierprod', cont: 'llm-70b', blob: `shard-${i % 30}.safetensors`, bytes: 2.5 * r.GiB, ...r.TRAINER_MI }));
    expect(await replay([job(0, 10)])).toEqual([]);
    const other = { oid: '5a5a5a5a-0000-4000-8000-00000000005a', appId: 'e6', ip: '10.20.4.12' };
    const late = job(3 * 3600, 2).map(x => ({ ...x, identity: { ...x.identity, requester: { ...x.identity.requester, objectId: other.oid }, authorization: [{ ...x.identity.authorization[0], principals: [{ id: other.oid, type: 'ServicePrincipal' }] }] } }));
    const calm = Array.from({ length: 120 }, (_, i) => r.blobDiag(i * 60, { acct: 'stfrontierprod', cont: 'llm-70b', blob: `shard-${i % 30}.safetensors`, bytes: 256 * r.MiB, ...r.TRAINER_MI }));
    expect(only(await replay([[...calm, ...late]]), 'weight-store-bulk-read')).toMatchObject([{ principal: other.oid }]);
  });

  it('read without a grant through ReadFile (failed before); quiet for a holder matched by object id alone (RequesterUpn empty)', async () => {
    const mallory = { upn: 'mallory@contoso.com', oid: 'dddddddd-0000-4000-8000-00000000000d', appId: 'cli', ip: '10.20.1.9' };
    const read = r.blobDiag(0, { acct: 'stfrontierprod', cont: 'llm-70b', blob: 'ckpt/model-00001-of-00006.safetensors', bytes: 4 * r.GiB, op: 'ReadFile', ...mallory });
    expect(only(await replay([[read]], { grants }), 'weight-store-read-without-grant')).toMatchObject([{ principal: 'mallory@contoso.com', resource: 'stfrontierprod/llm-70b' }]);
    const holder = { ...r.blobLa(0, { acct: 'stfrontierprod', cont: 'llm-70b', blob: 'ckpt/model-00001-of-00006.safetensors', bytes: 4 * r.GiB, ...r.ALICE }), RequesterUpn: '' };
    expect(await replay([[holder]], { grants })).toEqual([]);
  });

  it('a revocation time that cannot be read is refused naming the field (failed before: the grant stayed active for ever); a readable one ends the grant', async () => {
    expect(() => parseGrantExport({ grants: [{ ...grants.grants[0], revokedAt: 'yesterday' }] })).toThrow('grants[0].revokedAt: must be an ISO timestamp or null');
    const revoked = { grants: [{ ...grants.grants[0], status: 'revoked', revokedAt: r.atOffset(-60, 2) }] };
    const read = r.blobDiag(0, { acct: 'stfrontierprod', cont: 'llm-70b', blob: 'ckpt/model-00001-of-00006.safetensors', bytes: 4 * r.GiB, ...r.ALICE });
    expect(only(await replay([[read]], { grants: revoked }), 'weight-store-read-without-grant')).toMatchObject([{ principal: 'alice@contoso.com' }]);
  });

  it('a grant whose provisioning failed (status failed) covers no read (failed before: treated as active until its end)', async () => {
    const failed = { ...grants, grants: [{ ...grants.grants[0], status: 'failed' }] };
    const read = r.blobDiag(0, { acct: 'stfrontierprod', cont: 'llm-70b', blob: 'ckpt/model-00001-of-00006.safetensors', bytes: 4 * r.GiB, ...r.ALICE });
    expect(only(await replay([[read]], { grants: failed }), 'weight-store-read-without-grant')).toMatchObject([{ principal: 'alice@contoso.com' }]);
    expect(await replay([[read]], { grants })).toEqual([]);
  });

  it('shared key and SAS on a weight store, also when only the status message says it succeeded (failed before: "SASSuccess" read as a failure)', async () => {
    const key = r.blobDiag(0, { acct: 'stfrontierprod', cont: 'llm-70b', blob: 'model-00001-of-00006.safetensors', bytes: 4 * r.GiB, auth: 'AccountKey', ip: '52.174.10.20' });
    const sas = r.blobLa(60, { acct: 'stfrontierprod', cont: 'llm-70b', blob: 'model-00002-of-00006.safetensors', bytes: 4 * r.GiB, auth: 'SAS', ip: '20.50.2.3' });
    const a = only(await replay([[key, sas]]), 'weight-store-shared-key-access');
    expect(a.map(x => x.principal).sort()).toEqual(['20.50.2.3', '52.174.10.20']);
    const noCode: Record<string, unknown> = { ...sas, StatusText: 'SASSuccess' };
    delete noCode.StatusCode;
    expect(only(await replay([[noCode]]), 'weight-store-shared-key-access')).toHaveLength(1);
  });

  it('stays quiet on a CI pipeline using a SAS on a build-cache account', async () => {
    const ci = { auth: 'SAS' as const, ip: '20.50.2.3', acct: 'stcibuildcache' };
    const lines = [
      r.blobDiag(0, { ...ci, cont: 'pip-cache', blob: 'torch-2.3.1-cp311-cp311-linux_x86_64.whl', bytes: 700 * r.MiB }),
      r.blobDiag(30, { ...ci, cont: 'artifacts', blob: 'build-4711/app.tar.gz', bytes: 30 * r.MiB }),
      r.blobDiag(60, { ...ci, cont: 'artifacts', op: 'ListBlobs' }),
      // generic binary and data formats in a build cache (failed before: .bin/.pkl/.npz/.h5 made the container a weight store)
      r.blobDiag(90, { ...ci, cont: 'artifacts', blob: 'build-4711/firmware.bin', bytes: 30 * r.MiB }),
      r.blobDiag(95, { ...ci, cont: 'test-data', blob: 'fixtures/embeddings.npz', bytes: 3 * r.MiB }),
      r.blobDiag(96, { ...ci, cont: 'test-data', blob: 'fixtures/features.h5', bytes: 8 * r.MiB }),
      r.blobDiag(97, { ...ci, cont: 'pip-cache', blob: 'wheels-index.pkl', bytes: r.MiB }),
    ];
    expect(await replay([lines])).toEqual([]);
    // the same SAS reading a safetensors shard from that account is on weights
    const shard = r.blobDiag(120, { ...ci, cont: 'artifacts', blob: 'release/model-00001-of-00002.safetensors', bytes: 4 * r.GiB });
    expect(only(await replay([[...lines, shard]]), 'weight-store-shared-key-access')).toHaveLength(1);
  });

  it('enumeration by a new principal through Data Lake list operations (failed before); quiet on a single list', async () => {
    const sp = { oid: '7e7e7e7e-0000-4000-8000-000000000007', appId: '7a7a7a7a-0000-4000-8000-00000000007a', ip: '203.0.113.77' };
    const fss = ['llm-70b', 'llm-8b', 'evals', 'datasets', 'tokenizers'];
    // the logs start with the training job's reads; the new principal arrives two hours later
    const before = r.blobDiag(0, { acct: 'stfrontierprod', cont: 'llm-70b', blob: 'shard-0.safetensors', bytes: r.GiB, ...r.TRAINER_MI });
    const dfs = [r.blobDiag(7200, { acct: 'stfrontierprod', op: 'ListFilesystems', ...sp }), ...fss.map((c, i) => r.blobDiag(7210 + i, { acct: 'stfrontierprod', cont: c, op: 'ListFilesystemDir', ...sp }))];
    expect(only(await replay([[before, ...dfs]]), 'storage-enumeration-new-principal')).toMatchObject([{ principal: sp.oid, resource: 'stfrontierprod', count: 6 }]);
    expect(await replay([[before, r.blobDiag(7200, { acct: 'stfrontierprod', cont: 'evals', op: 'ListBlobs', ...sp })]])).toEqual([]);
  });

  it('stays quiet on a daily CI job (SAS) listing its build cache hours after the logs begin, and fires on a newcomer listing it a day later (failed before: the CI job was "never seen" on the first day)', async () => {
    const loader = r.blobDiag(0, { acct: 'stfrontierprod', cont: 'llm-70b', blob: 'shard-0.safetensors', bytes: r.GiB, ...r.TRAINER_MI });
    const ci = (startSec: number, ip: string) =>
      Array.from({ length: 20 }, (_, k) => r.blobDiag(startSec + k * 130, { acct: 'stcibuildcache', cont: ['artifacts', 'pip-cache', 'test-data', 'logs', 'junit'][k % 5], op: 'ListBlobs', auth: 'SAS', ip }));
    expect(await replay([[loader, ...ci(9 * 3600, '20.50.2.3'), ...ci(33 * 3600, '20.50.2.3')]])).toEqual([]);
    const a = await replay([[loader, ...ci(9 * 3600, '20.50.2.3'), ...ci(33 * 3600, '198.51.100.66')]]);
    expect(only(a, 'storage-enumeration-new-principal')).toMatchObject([{ principal: '198.51.100.66', resource: 'stcibuildcache', severity: 'medium' }]);
  });

  it('stays quiet on a data loader that lists its shard prefixes when the logs begin (failed before: everyone in the first hour of a file was "never seen")', async () => {
    const loader = Array.from({ length: 40 }, (_, i) => r.blobDiag(i * 30, { acct: 'stfrontierprod', cont: ['llm-70b', 'llm-8b', 'evals', 'datasets', 'tokenizers'][i % 5], op: 'ListBlobs', ...r.TRAINER_MI }));
    expect(await replay([loader])).toEqual([]);
  });
});

describe('Kubernetes audit', () => {
  const execRef = { resource: 'pods', namespace: 'research-llm', name: 'trainer-7b-0', apiVersion: 'v1', subresource: 'exec' };
  const execUri = '/api/v1/namespaces/research-llm/pods/trainer-7b-0/exec?command=%2Fbin%2Fbash&container=trainer&stdin=true&stdout=true&tty=true';

  it('exec over WebSocket (verb get) from the AKS diagnostic export: one alert, one event across both stages', async () => {
    const auditID = 'd0c5b2a4-1f3e-4c55-9a0b-7e6f5d4c3b2a';
    const started = r.aksDiag(r.k8sEvent(0, { verb: 'get', uri: execUri, objectRef: execRef, code: 101, stage: 'ResponseStarted', auditID }));
    const done = r.aksDiag(r.k8sEvent(300, { verb: 'get', uri: execUri, objectRef: execRef, code: 101, stage: 'ResponseComplete', auditID }));
    expect(only(await replay([[{ records: [started, done] }]]), 'k8s-exec-research-namespace')).toMatchObject([{ principal: 'alice@contoso.com', count: 1, events: [auditID] }]);
  });

  it('the same exec from the AKS diagnostic export (upper-case resourceId) and from an AKSAudit row (lower-case _ResourceId) is one alert (failed before: two resources)', async () => {
    const ev = r.k8sEvent(0, { verb: 'create', uri: execUri, objectRef: execRef, code: 101, stage: 'ResponseStarted' });
    const row = {
      TimeGenerated: r.at(1, '.1234567'), Level: 'Metadata', AuditId: 'e1e2e3e4-0000-4000-8000-0000000000e5', Stage: 'ResponseStarted', RequestUri: execUri, Verb: 'create',
      User: JSON.stringify(ev.user), SourceIps: '["10.240.0.4"]', UserAgent: ev.userAgent, ObjectRef: JSON.stringify(execRef), ResponseStatus: '{"code":101}',
      RequestReceivedTime: r.at(1, '.1234567'), StageReceivedTime: r.at(1, '.1234567'), Annotations: '{"authorization.k8s.io/decision":"allow"}', PodName: 'kube-apiserver-6d9c8f7b9d-x2x4l',
      _ResourceId: `/subscriptions/${r.SUB}/resourcegroups/rg-aks/providers/microsoft.containerservice/managedclusters/aks-research-weu`, Type: 'AKSAudit',
    };
    const a = only(await replay([[r.aksDiag(ev)], [row]]), 'k8s-exec-research-namespace');
    expect(a).toMatchObject([{ resource: 'aks-research-weu/research-llm/pods/exec/trainer-7b-0', count: 2 }]);
  });

  it('exec from the Log Analytics AzureDiagnostics table (AKS default mode: the event as text in log_s) (failed before: unreadable)', async () => {
    const ev = r.k8sEvent(0, { verb: 'create', uri: execUri, objectRef: execRef, code: 101, stage: 'ResponseStarted' });
    const row = {
      TenantId: r.TEN, TimeGenerated: r.at(1, '.1234567'), ResourceId: `/SUBSCRIPTIONS/${r.SUB.toUpperCase()}/RESOURCEGROUPS/RG-AKS/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/AKS-RESEARCH-WEU`,
      Category: 'kube-audit', ResourceGroup: 'RG-AKS', SubscriptionId: r.SUB, ResourceProvider: 'MICROSOFT.CONTAINERSERVICE', Resource: 'AKS-RESEARCH-WEU', ResourceType: 'MANAGEDCLUSTERS',
      OperationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read', log_s: JSON.stringify(ev), pod_s: 'kube-apiserver-6d9c8f7b9d-x2x4l', stream_s: 'stdout', SourceSystem: 'Azure', Type: 'AzureDiagnostics',
    };
    expect(only(await replay([[row]]), 'k8s-exec-research-namespace')).toMatchObject([{ principal: 'alice@contoso.com', resource: 'aks-research-weu/research-llm/pods/exec/trainer-7b-0' }]);
  });

  it('stays quiet on a CI service account exec-ing into the same pod', async () => {
    expect(await replay([[r.k8sEvent(0, { verb: 'create', uri: execUri, objectRef: execRef, code: 101, user: r.CI_SA })]])).toEqual([]);
  });

  it('a RoleBinding in one namespace to the cluster-admin ClusterRole, and a server-side apply (patch) of a ClusterRoleBinding; quiet on view', async () => {
    const rb = r.k8sEvent(0, {
      level: 'RequestResponse', verb: 'create', uri: '/apis/rbac.authorization.k8s.io/v1/namespaces/research-llm/rolebindings', code: 201,
      objectRef: { resource: 'rolebindings', namespace: 'research-llm', name: 'tmp-debug', apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' },
      requestObject: r.bindingObject('RoleBinding', 'tmp-debug', 'cluster-admin', 'research-llm'),
    });
    const ssa = r.k8sEvent(60, {
      level: 'RequestResponse', verb: 'patch', uri: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/ops-admin?fieldManager=kubectl&force=false', code: 201,
      objectRef: { resource: 'clusterrolebindings', name: 'ops-admin', apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' },
      requestObject: r.bindingObject('ClusterRoleBinding', 'ops-admin', 'cluster-admin'),
    });
    expect(only(await replay([[rb, ssa]]), 'k8s-cluster-admin-binding').map(a => a.resource).sort()).toEqual(['*/clusterrolebindings/ops-admin', 'research-llm/rolebindings/tmp-debug']);
    const view = r.k8sEvent(0, {
      level: 'RequestResponse', verb: 'create', uri: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', code: 201,
      objectRef: { resource: 'clusterrolebindings', name: 'auditors-view', apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' },
      requestObject: r.bindingObject('ClusterRoleBinding', 'auditors-view', 'view'),
    });
    expect(await replay([[view]])).toEqual([]);
  });

  it('at audit level Metadata (no roleRef logged): a person editing the built-in cluster-admin binding (failed before: only a create was judged by name); quiet on another binding', async () => {
    const ref = (name: string) => ({ resource: 'clusterrolebindings', name, apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' });
    const edit = r.k8sEvent(0, { verb: 'update', uri: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/cluster-admin', code: 200, objectRef: ref('cluster-admin') });
    expect(only(await replay([[edit]]), 'k8s-cluster-admin-binding')).toMatchObject([{ principal: 'alice@contoso.com', resource: '*/clusterrolebindings/cluster-admin' }]);
    const other = r.k8sEvent(0, { verb: 'patch', uri: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/monitoring-view', code: 200, objectRef: ref('monitoring-view') });
    expect(await replay([[other]])).toEqual([]);
  });

  it("secrets listed across all namespaces by a person; quiet on a reviewer listing one namespace's secrets and on a controller's watch", async () => {
    const all = r.k8sEvent(0, { verb: 'list', uri: '/api/v1/secrets?limit=500', objectRef: { resource: 'secrets', apiVersion: 'v1' }, code: 200 });
    expect(only(await replay([[all]]), 'k8s-secrets-list-cluster-wide')).toMatchObject([{ principal: 'alice@contoso.com', severity: 'high' }]);
    const one = r.k8sEvent(0, { verb: 'list', uri: '/api/v1/namespaces/team-a/secrets?limit=500', objectRef: { resource: 'secrets', namespace: 'team-a', apiVersion: 'v1' }, code: 200 });
    const ctrl = r.k8sEvent(0, { verb: 'watch', uri: '/api/v1/secrets?allowWatchBookmarks=true&watch=true', objectRef: { resource: 'secrets', apiVersion: 'v1' }, code: 200, user: { username: 'system:serviceaccount:cert-manager:cert-manager', groups: ['system:serviceaccounts'] } });
    expect(await replay([[one, ctrl]])).toEqual([]);
  });
});

describe('posture drift', () => {
  it('the weight inventory\'s posture-drift event (pass → fail) fires; a check that stays failing or recovers does not', async () => {
    const drift = (from: string, to: string) =>
      r.portalAudit(0, 'weight-inventory', 'posture-drift', 'succeeded', 'plugin:weight-inventory', { storeId: 'stfrontierprod', entityRef: 'resource:default/stfrontierprod', controlId: 'public-network-access', findingKey: 'k1', from, to, refreshId: 'r1', driftEventId: 'd1' });
    expect(only(await replay([[drift('pass', 'fail')]]), 'posture-drift')).toMatchObject([{ resource: 'resource:default/stfrontierprod' }]);
    expect(await replay([[drift('fail', 'fail'), drift('fail', 'pass')]])).toEqual([]);
  });
});

describe('egress denies', () => {
  it('Hubble exporter lines (IPv4 and IPv6) from research namespaces; quiet for another namespace', async () => {
    const v6 = r.hubbleFlow(10, 'ml-pipelines', { IP: { source: 'fd00:10:244:3::17', destination: '2606:4700::6812:202f', ipVersion: 'IPv6' } });
    const a = only(await replay([[r.hubbleFlow(0, 'research-llm'), v6]]), 'egress-denied-research-namespace');
    expect(a.map(x => x.principal).sort()).toEqual(['ml-pipelines', 'research-llm']);
    expect(await replay([[r.hubbleFlow(0, 'web')]])).toEqual([]);
  });

  it('Azure Firewall classic msg and structured AZFW records from a research subnet', async () => {
    const lines = [
      r.firewallClassic(0, 'AzureFirewallApplicationRule', 'HTTPS request from 10.20.4.11:44322 to huggingface.co:443. Action: Deny. No rule matched. Proceeding with default action'),
      r.firewallClassic(5, 'AzureFirewallNetworkRule', 'TCP request from 10.20.4.11:51990 to 45.33.32.156:22. Action: Deny. '),
      r.firewallStructured(10, { Protocol: 'HTTPS', SourceIp: '10.20.4.11', SourcePort: 44322, DestinationPort: 443, Fqdn: 'pastebin.com', TargetUrl: '', Action: 'Deny', ActionReason: 'Default Action' }),
    ];
    const a = only(await replay([lines], { config: { researchCidrs: ['10.20.4.0/22'] } }), 'egress-denied-research-namespace');
    expect(a.map(x => [x.resource, x.details?.destinations])).toEqual([
      ['*:443', ['huggingface.co:443', 'pastebin.com:443']],
      ['*:22', ['45.33.32.156:22']],
    ]);
    expect(await replay([lines])).toEqual([]);
  });

  it('a pod scanning 200 addresses on port 22 and a CDN answering from rotating addresses on 443 give one alert each per namespace and port, listing the destinations (failed before: one alert per address)', async () => {
    const scan = Array.from({ length: 200 }, (_, i) =>
      r.hubbleFlow(i * 3, 'research-llm', { IP: { source: '10.244.3.17', destination: `45.33.${32 + (i >> 8)}.${i % 256}`, ipVersion: 'IPv4' }, l4: { TCP: { source_port: 40000 + i, destination_port: 22, flags: { SYN: true } } } }),
    );
    const cdn = Array.from({ length: 30 }, (_, i) => r.hubbleFlow(600 + i * 60, 'research-llm', { IP: { source: '10.244.3.18', destination: `104.18.${32 + (i % 4)}.${40 + i}`, ipVersion: 'IPv4' }, source: { ID: 1235, identity: 48211, namespace: 'research-llm', labels: [], pod_name: 'trainer-7b-1' } }));
    const a = only(await replay([[...scan, ...cdn].sort((x, y) => x.time.localeCompare(y.time))]), 'egress-denied-research-namespace');
    expect(a.map(x => [x.principal, x.resource, x.count, x.details?.destinationCount]).sort()).toEqual([
      ['research-llm', '*:22', 200, 200],
      ['research-llm', '*:443', 30, 30],
    ]);
    const ssh = a.find(x => x.resource === '*:22')!;
    expect((ssh.details?.destinations as string[]).length).toBe(50);
    expect(ssh.details?.destinations).toContain('45.33.32.0:22');
    // another namespace is its own alert; denies a day apart are two alerts
    const other = r.hubbleFlow(30, 'research-vision', { IP: { source: '10.244.5.3', destination: '45.33.32.7', ipVersion: 'IPv4' }, l4: { TCP: { source_port: 40000, destination_port: 22 } } });
    const later = r.hubbleFlow(86_400, 'research-llm', { IP: { source: '10.244.3.17', destination: '45.33.40.1', ipVersion: 'IPv4' }, l4: { TCP: { source_port: 40000, destination_port: 22 } } });
    const b = only(await replay([[...scan.slice(0, 5), other, later]]), 'egress-denied-research-namespace');
    expect(b.map(x => [x.principal, x.resource, x.count])).toEqual([
      ['research-llm', '*:22', 5],
      ['research-vision', '*:22', 1],
      ['research-llm', '*:22', 1],
    ]);
  });
});

describe('Log Analytics query API output', () => {
  const execRef = { resource: 'pods', namespace: 'research-llm', name: 'trainer-7b-0', apiVersion: 'v1', subresource: 'exec' };
  const signIns = () => [r.laSignIn(0, 'alice.smith@contoso.com', '81.2.69.160', r.LONDON), r.laSignIn(75 * 60, 'alice.smith@contoso.com', '2a02:6b8::2:242', r.MOSCOW)];
  const aksRow = () => {
    const ev = r.k8sEvent(0, { verb: 'create', uri: '/api/v1/namespaces/research-llm/pods/trainer-7b-0/exec?command=sh', objectRef: execRef, code: 101, stage: 'ResponseStarted' });
    return {
      TenantId: r.TEN, TimeGenerated: r.at(1, '.1234567'), ResourceId: `/SUBSCRIPTIONS/${r.SUB.toUpperCase()}/RESOURCEGROUPS/RG-AKS/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/AKS-RESEARCH-WEU`,
      Category: 'kube-audit', OperationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read', log_s: JSON.stringify(ev), pod_s: 'kube-apiserver-6d9c8f7b9d-x2x4l', stream_s: 'stdout', SourceSystem: 'Azure',
    };
  };
  const fwRows = () =>
    [0, 20].map(s => ({
      TenantId: r.TEN, TimeGenerated: r.at(s, '.1234567'), Protocol: 'TCP', SourceIp: '10.20.4.11', SourcePort: 51990 + s, DestinationIp: '45.33.32.156', DestinationPort: 22, Action: 'Deny',
      Policy: 'fwp-hub', RuleCollectionGroup: '', RuleCollection: '', Rule: '', ActionReason: 'Default Action', _ResourceId: `/subscriptions/${r.SUB}/resourcegroups/rg-hub/providers/microsoft.network/azurefirewalls/afw-hub`,
    }));
  const blobRows = () => r.rangedReads(48, 50, r.ALICE).map((_, i) => r.blobLa(i * 50, { acct: 'stfrontierprod', cont: 'llm-70b', blob: `model-${i % 6}.safetensors`, bytes: 256 * r.MiB, status: 206, ...r.ALICE }));

  it('a query API response ({"tables": [{columns, rows}]}), pretty-printed or on one line, gives the alerts of its rows (failed before: one unreadable record)', async () => {
    const resp = r.laQueryResponse(signIns().map(x => ({ ...x })));
    expect(resp.tables[0].columns).toContainEqual({ name: 'IsInteractive', type: 'bool' });
    for (const text of [JSON.stringify(resp, null, 2), `${JSON.stringify(resp)}\n`]) {
      expect(only(await replayTexts([text]), 'atypical-travel')).toMatchObject([{ principal: 'alice.smith@contoso.com', count: 2 }]);
    }
  });

  it('rows of tables exported under their own name without a Type column are read as that table (SigninLogs, StorageBlobLogs, AzureDiagnostics, AZFWNetworkRule); several tables in one response', async () => {
    const strip = (rows: Record<string, unknown>[]) => rows.map(({ Type, ...rest }) => rest);
    const resp = {
      tables: [
        r.laQueryResponse(strip(signIns()), 'SigninLogs').tables[0],
        r.laQueryResponse(strip(blobRows()), 'StorageBlobLogs').tables[0],
        r.laQueryResponse([aksRow()], 'AzureDiagnostics').tables[0],
        r.laQueryResponse(fwRows(), 'AZFWNetworkRule').tables[0],
      ],
    };
    const a = await replayTexts([JSON.stringify(resp, null, 2)], { config: { researchCidrs: ['10.20.4.0/22'] } });
    expect(a.map(x => x.rule).sort()).toEqual(['atypical-travel', 'egress-denied-research-namespace', 'k8s-exec-research-namespace', 'weight-store-bulk-read']);
  });

  it('the array az monitor log-analytics query prints (rows with TableName), pretty-printed', async () => {
    const a = await replayTexts([JSON.stringify(r.azCliQueryOutput(signIns()), null, 2)]);
    expect(only(a, 'atypical-travel')).toHaveLength(1);
  });

  it('a response with no rows is read without errors and raises nothing; a table that is not rows is an error', async () => {
    expect(await replayTexts([JSON.stringify({ tables: [{ name: 'PrimaryResult', columns: [{ name: 'TimeGenerated', type: 'datetime' }], rows: [] }] })])).toEqual([]);
    const f = path.join(dir, `d${n++}.json`);
    fs.writeFileSync(f, JSON.stringify({ tables: 'nope' }));
    const res = await replayFiles([f], { config: resolveConfig({}) });
    expect(res.stats.errors).toBe(1);
  });
});

describe('a week in several files', () => {
  it('same alerts from one file per source and from one mixed file with lines out of order, repeated, and spread over days', async () => {
    const day = 86_400;
    const bulk = r.rangedReads(48, 50, r.ALICE).map((x, i) => ({ ...x, time: r.at(2 * day + i * 50, '.0000000') }));
    const longJob = Array.from({ length: 7 * 24 }, (_, h) => r.blobDiag(h * 3600, { acct: 'stfrontierprod', cont: 'llm-70b', blob: `shard-${h % 30}.safetensors`, bytes: 50 * r.GiB, ...r.TRAINER_MI }));
    const signIns = [
      r.graphSignIn(4 * day, 'carol@contoso.com', '81.2.69.162', r.LONDON),
      { ...r.graphSignIn(4 * day + 3600, 'carol@contoso.com', '95.173.136.70', r.MOSCOW), createdDateTime: r.atOffset(4 * day + 3600, 3) },
      r.graphSignIn(5 * day, 'bob@contoso.com', '81.2.69.161', r.LONDON),
      r.graphSignIn(5 * day + 9 * 3600, 'bob@contoso.com', '72.229.28.185', r.NEW_YORK),
    ];
    const execRef = { resource: 'pods', namespace: 'research-llm', name: 'trainer-7b-0', apiVersion: 'v1', subresource: 'exec' };
    const k8s = [1, 3, 6].map(d => r.k8sEvent(d * day, { verb: 'create', uri: '/api/v1/namespaces/research-llm/pods/trainer-7b-0/exec', objectRef: execRef, code: 101 }));
    const perSource = [[...bulk, ...longJob].sort((x, y) => Date.parse(x.time) - Date.parse(y.time)), signIns, k8s];
    const a = await replay(perSource);
    expect(a.map(x => x.rule).sort()).toEqual(['atypical-travel', 'k8s-exec-research-namespace', 'k8s-exec-research-namespace', 'k8s-exec-research-namespace', 'weight-store-bulk-read']);
    // one file: every line twice, in an order that is not time order (reverse, then interleaved)
    const mixed = [...perSource.flat()].reverse().flatMap(x => [x, x]);
    const b = await replay([mixed]);
    expect(b).toEqual(a);
  });
});

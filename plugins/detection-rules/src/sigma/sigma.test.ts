import { loadSigmaText, loadSigmaDir, shippedRulesDir } from './load';
import { SigmaError } from './ast';
import { normalizeRecord } from '../sources';
import { DetectionEngine } from '../engine';
import * as b from '../testing/builders';
import * as path from 'node:path';

const T = '2026-11-02T08:00:00Z';

function rule(detection: string, logsource = 'product: kubernetes\n  service: audit') {
  const [r] = loadSigmaText(`title: t\nlogsource:\n  ${logsource}\nlevel: medium\ndetection:\n${detection}`);
  return (rec: unknown) => {
    const ev = normalizeRecord(rec);
    return r.matches(ev.view, ev.raw);
  };
}

const ev = (o: Partial<b.AuditOpts> = {}) =>
  b.k8sAudit({ time: T, user: 'bob@contoso.com', verb: 'list', resource: 'secrets', namespace: 'research-llm', ...o });

describe('Sigma evaluation', () => {
  it('matches maps as AND, lists as OR, case-insensitively, with wildcards and escapes', () => {
    const m = rule('  sel:\n    verb: [create, LIST]\n    objectRef.resource: secr*s\n  condition: sel');
    expect(m(ev())).toBe(true);
    expect(m(ev({ verb: 'get' }))).toBe(false);
    expect(m(ev({ resource: 'configmaps' }))).toBe(false);
    const esc = rule("  sel:\n    user.username: 'a\\*b'\n  condition: sel");
    expect(esc(ev({ user: 'a*b' }))).toBe(true);
    expect(esc(ev({ user: 'axxb' }))).toBe(false);
  });

  it('supports contains / startswith / endswith / all / cased / neq / exists / null', () => {
    expect(rule('  s:\n    requestURI|contains: /secrets\n  condition: s')(ev())).toBe(true);
    expect(rule('  s:\n    requestURI|startswith: /api/v1/namespaces\n  condition: s')(ev())).toBe(true);
    expect(rule('  s:\n    requestURI|endswith: /nope\n  condition: s')(ev())).toBe(false);
    expect(rule('  s:\n    requestURI|contains|all: [/api/, research-llm]\n  condition: s')(ev())).toBe(true);
    expect(rule('  s:\n    requestURI|contains|all: [/api/, default]\n  condition: s')(ev())).toBe(false);
    expect(rule('  s:\n    verb|cased: LIST\n  condition: s')(ev())).toBe(false);
    expect(rule('  s:\n    verb|neq: list\n  condition: s')(ev())).toBe(false);
    expect(rule('  s:\n    objectRef.subresource|exists: true\n  condition: s')(ev())).toBe(false);
    expect(rule('  s:\n    objectRef.subresource|exists: true\n  condition: s')(ev({ resource: 'pods', subresource: 'exec' }))).toBe(true);
    expect(rule('  s:\n    objectRef.subresource: null\n  condition: s')(ev())).toBe(true);
  });

  it('supports numeric comparisons, cidr and fieldref', () => {
    expect(rule('  s:\n    responseStatus.code|gte: 400\n  condition: s')(ev({ code: 403 }))).toBe(true);
    expect(rule('  s:\n    responseStatus.code|gte: 400\n  condition: s')(ev({ code: 200 }))).toBe(false);
    expect(rule('  s:\n    responseStatus.code|lt: 300\n  condition: s')(ev())).toBe(true);
    expect(rule('  s:\n    sourceIPs|cidr: 10.240.0.0/16\n  condition: s')(ev())).toBe(true);
    expect(rule('  s:\n    sourceIPs|cidr: 10.0.0.0/16\n  condition: s')(ev())).toBe(false);
    const ip6 = rule('  s:\n    IPAddress|cidr: 2001:db8::/32\n  condition: s', 'product: azure\n  service: signinlogs');
    expect(ip6(b.graphSignIn({ time: T, upn: 'a@c.com', ip: '2001:db8::1' }))).toBe(true);
    expect(ip6(b.graphSignIn({ time: T, upn: 'a@c.com', ip: '2001:db9::1' }))).toBe(false);
    expect(rule('  s:\n    objectRef.namespace|fieldref: objectRef.name\n  condition: s')(ev({ name: 'research-llm' }))).toBe(true);
  });

  it('runs regular expressions on the linear-time engine and refuses backreferences', () => {
    const m = rule("  s:\n    user.username|re: '^(a+)+$'\n  condition: s");
    const evil = ev({ user: `${'a'.repeat(50_000)}!` });
    const started = Date.now();
    expect(m(evil)).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(rule("  s:\n    user.username|re|i: '^BOB@'\n  condition: s")(ev())).toBe(true);
    expect(rule("  s:\n    user.username|re: '^BOB@'\n  condition: s")(ev())).toBe(false);
    expect(() => rule("  s:\n    verb|re: '(a)\\1'\n  condition: s")).toThrow(SigmaError);
  });

  it('evaluates and / or / not / 1 of / all of / them / parentheses with the right precedence', () => {
    const d = '  sel_a:\n    verb: list\n  sel_b:\n    objectRef.resource: secrets\n  filter:\n    objectRef.namespace: kube-system\n  _helper:\n    verb: nothing\n';
    expect(rule(`${d}  condition: all of sel_* and not filter`)(ev())).toBe(true);
    expect(rule(`${d}  condition: all of sel_* and not filter`)(ev({ namespace: 'kube-system' }))).toBe(false);
    expect(rule(`${d}  condition: 1 of sel_* and filter`)(ev())).toBe(false);
    expect(rule(`${d}  condition: filter or sel_a and sel_b`)(ev())).toBe(true);
    expect(rule(`${d}  condition: (filter or sel_a) and not sel_b`)(ev())).toBe(false);
    expect(rule(`${d}  condition: all of them`)(ev())).toBe(false);
    expect(rule(`${d}  condition: 2 of them`)(ev())).toBe(true);
    expect(rule(`${d}  condition: not not sel_a`)(ev())).toBe(true);
  });

  it('matches keyword lists against the whole record', () => {
    expect(rule('  keywords:\n    - kubectl/v1.30\n  condition: keywords')(ev())).toBe(true);
    expect(rule('  keywords:\n    - helm/v3\n  condition: keywords')(ev())).toBe(false);
  });

  it('tells the engine which sources need views and raw records (keyword searches read the raw record)', () => {
    const fields = loadSigmaText('title: f\nlogsource:\n  product: azure\n  service: signinlogs\nlevel: low\ndetection:\n  s:\n    ResultType: 50126\n  condition: s');
    const keywords = loadSigmaText('title: k\nlogsource:\n  product: kubernetes\n  service: audit\nlevel: low\ndetection:\n  keywords:\n    - kubectl\n  condition: keywords');
    const needs = new DetectionEngine({ sigmaRules: [...fields, ...keywords] }).needs();
    expect([...needs.views].sort()).toEqual(['entra_signin', 'hubble', 'k8s_audit', 'portal_audit']);
    expect([...needs.raw]).toEqual(['k8s_audit']);
    expect([...new DetectionEngine({ sigmaRules: [] }).needs().raw]).toEqual([]);
  });

  it('supports base64offset and windash', () => {
    const m = rule('  s:\n    requestURI|base64offset|contains: secrets\n  condition: s');
    const encoded = Buffer.from('xx secrets yy').toString('base64');
    expect(m(ev({ name: encoded }))).toBe(true);
    expect(m(ev({ name: Buffer.from('xx nothing yy').toString('base64') }))).toBe(false);
  });

  it('refuses unsupported modifiers, unknown identifiers, aggregations and unknown logsources with a message', () => {
    expect(() => rule('  s:\n    verb|expand: x\n  condition: s')).toThrow(/unsupported modifier "expand"/);
    expect(() => rule('  s:\n    verb: x\n  condition: s and t')).toThrow(/unknown search identifier "t"/);
    expect(() => rule('  s:\n    verb: x\n  condition: s | count() > 5')).toThrow(/aggregation/);
    expect(() => rule('  s:\n    verb: x\n  condition: (s')).toThrow(/missing \)/);
    expect(() => rule('  s:\n    verb: x\n  condition: s', 'product: windows\n  service: security')).toThrow(/not one the portal ingests/);
    expect(() => loadSigmaText('title: x\nlogsource: {product: azure, service: signinlogs}\ndetection: {s: {a: 1}}\n')).toThrow(/condition is required/);
    expect(() => loadSigmaText('title: x\nlogsource: {product: azure, service: signinlogs}\nlevel: severe\ndetection: {s: {a: 1}, condition: s}\n')).toThrow(/level/);
  });

  it('maps fields per logsource: SigmaHQ sign-in rules use Log Analytics columns on every export shape', () => {
    const [r] = loadSigmaText(
      "title: t\nlogsource: {product: azure, service: signinlogs}\ndetection:\n  s:\n    Status: Success\n    AuthenticationRequirement: singleFactorAuthentication\n    DeviceDetail.trusttype: ''\n    RiskState: atRisk\n  condition: s\n",
    );
    for (const build of [b.graphSignIn, b.diagnosticSignIn, b.laSignIn]) {
      const hit = normalizeRecord(build({ time: T, upn: 'a@c.com', ip: '1.2.3.4', risk: 'high', riskState: 'atRisk' }));
      expect(r.matches(hit.view, hit.raw)).toBe(true);
      const miss = normalizeRecord(build({ time: T, upn: 'a@c.com', ip: '1.2.3.4', risk: 'high', riskState: 'atRisk', mfa: true }));
      expect(r.matches(miss.view, miss.raw)).toBe(false);
    }
  });
});

describe('shipped SigmaHQ rules', () => {
  const rules = loadSigmaDir(shippedRulesDir());
  const optional = loadSigmaDir(path.resolve(shippedRulesDir(), '..', 'sigma-optional'));
  const byTitle = (t: string) => [...rules, ...optional].find(r => r.rule.title === t)!;
  const fires = (t: string, rec: unknown) => {
    const e = normalizeRecord(rec);
    const r = byTitle(t);
    return r.sources.includes(e.source) && r.matches(e.view, e.raw);
  };

  it('load with their attribution', () => {
    expect(rules.length).toBeGreaterThanOrEqual(6);
    for (const r of rules) {
      expect(r.rule.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.rule.author ?? r.rule.references).toBeTruthy();
    }
  });

  it.each([
    ['Atypical Travel', b.riskDetection({ time: T, upn: 'a@c.com', type: 'unlikelyTravel' }), b.riskDetection({ time: T, upn: 'a@c.com', type: 'unfamiliarFeatures' })],
    ['Anonymous IP Address', b.riskDetection({ time: T, upn: 'a@c.com', type: 'anonymizedIPAddress' }), b.riskDetection({ time: T, upn: 'a@c.com', type: 'maliciousIPAddress' })],
    ['Azure AD Account Credential Leaked', b.riskDetection({ time: T, upn: 'a@c.com', type: 'leakedCredentials' }), b.riskDetection({ time: T, upn: 'a@c.com', type: 'passwordSpray' })],
    [
      'Login to Disabled Account',
      b.laSignIn({ time: T, upn: 'a@c.com', ip: '1.2.3.4', errorCode: 50057, }),
      b.laSignIn({ time: T, upn: 'a@c.com', ip: '1.2.3.4', errorCode: 50126 }),
    ],
    [
      'Suspicious SignIns From A Non Registered Device',
      b.graphSignIn({ time: T, upn: 'a@c.com', ip: '1.2.3.4', risk: 'high', riskState: 'atRisk' }),
      b.graphSignIn({ time: T, upn: 'a@c.com', ip: '1.2.3.4', risk: 'high', riskState: 'atRisk', errorCode: 50126 }),
    ],
    [
      'Kubernetes Admission Controller Modification',
      b.k8sAudit({ time: T, user: 'eve@c.com', verb: 'create', resource: 'mutatingwebhookconfigurations', apiGroup: 'admissionregistration.k8s.io', name: 'x' }),
      b.k8sAudit({ time: T, user: 'eve@c.com', verb: 'list', resource: 'mutatingwebhookconfigurations', apiGroup: 'admissionregistration.k8s.io' }),
    ],
    [
      'Potential Remote Command Execution In Pod Container',
      b.k8sAudit({ time: T, user: 'eve@c.com', verb: 'create', resource: 'pods', namespace: 'x', name: 'p', subresource: 'exec' }),
      b.k8sAudit({ time: T, user: 'eve@c.com', verb: 'create', resource: 'pods', namespace: 'x', name: 'p', subresource: 'log' }),
    ],
    ['Secrets Enumeration', ev(), ev({ verb: 'get', name: 's' })],
  ])('%s fires on a matching event and not on its near miss', (title, hit, miss) => {
    if (title === 'Login to Disabled Account') {
      (hit as any).ResultDescription = 'User account is disabled. The account has been disabled by an administrator.';
    }
    expect(fires(title, hit)).toBe(true);
    expect(fires(title, miss)).toBe(false);
  });
});

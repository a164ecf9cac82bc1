import { promises as fsp } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from './main';

const NOW = new Date('2026-12-07T12:00:00Z');

async function runCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', d => (out += d));
  stderr.on('data', d => (err += d));
  const code = await main(args, { stdout, stderr, env, now: () => NOW });
  return { code, out, err };
}

const NAMESPACE = `apiVersion: v1
kind: Namespace
metadata:
  name: research
`;
const DENY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-egress
  namespace: research
spec:
  podSelector: {}
  policyTypes: [Egress]
`;

describe('posture CLI', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'posture-cli-'));
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('fails a namespace without default-deny egress, passes once fixed', async () => {
    await fsp.writeFile(path.join(dir, 'ns.yaml'), NAMESPACE);
    const bad = await runCli([dir, '--format', 'json']);
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.out);
    const failing = report.findings.filter((f: any) => f.status === 'fail');
    expect(failing.map((f: any) => f.controlId)).toEqual(['FG-K8S-EGRESS-DENY']);
    expect(failing[0]).toMatchObject({ path: 'spec.policyTypes', findingKey: 'FG-K8S-EGRESS-DENY:k8s/Namespace/research', location: { line: 1 } });
    expect(report.checks[failing[0].checkId].remediation).toMatch(/podSelector: \{\}/);

    await fsp.writeFile(path.join(dir, 'netpol.yaml'), DENY);
    const good = await runCli([dir]);
    expect(good.code).toBe(0);
    expect(good.out).toMatch(/0 failing/);
  });

  it('reports SARIF 2.1.0 with rule, file and line', async () => {
    await fsp.writeFile(path.join(dir, 'all.yaml'), `# Source: x\n---\n${NAMESPACE}`);
    const r = await runCli([path.join(dir, 'all.yaml'), '--format', 'sarif']);
    expect(r.code).toBe(1);
    const sarif = JSON.parse(r.out);
    expect(sarif.version).toBe('2.1.0');
    const results = sarif.runs[0].results;
    expect(results).toHaveLength(1);
    expect(results[0].ruleId).toBe('FG-K8S-EGRESS-DENY');
    expect(results[0].level).toBe('error');
    expect(results[0].locations[0].physicalLocation.artifactLocation.uri).toMatch(/all\.yaml$/);
    expect(results[0].locations[0].physicalLocation.region.startLine).toBe(3);
    const rule = sarif.runs[0].tool.driver.rules[results[0].ruleIndex];
    expect(rule.id).toBe('FG-K8S-EGRESS-DENY');
    expect(rule.help.text).toMatch(/podSelector/);
  });

  it('an active exception in a policy-exceptions export covers the finding: suppression, exit 0', async () => {
    await fsp.writeFile(path.join(dir, 'ns.yaml'), NAMESPACE);
    const exportFile = path.join(dir, 'exceptions.json');
    await fsp.writeFile(exportFile, JSON.stringify({
      generatedAt: NOW.toISOString(),
      at: NOW.toISOString(),
      items: [{ id: 'EXC-7', controlId: 'FG-K8S-EGRESS-DENY', revision: 1, scope: { entityRefs: ['resource:default/cluster-training'], findingKey: 'FG-K8S-EGRESS-DENY:k8s/Namespace/research' }, startsAt: '2026-12-01T00:00:00Z', endsAt: '2027-01-31T00:00:00Z' }],
    }));
    const r = await runCli([path.join(dir, 'ns.yaml'), '--cluster', 'training', '--exceptions', exportFile, '--format', 'sarif']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out).runs[0].results[0];
    expect(result.suppressions).toEqual([{ kind: 'external', status: 'accepted', justification: 'Policy exception EXC-7', properties: { exceptionId: 'EXC-7', endsAt: '2027-01-31T00:00:00Z' } }]);
    const table = await runCli([path.join(dir, 'ns.yaml'), '--cluster', 'training', '--exceptions', exportFile]);
    expect(table.out).toMatch(/excepted .*EXC-7 until 2027-01-31/);
  });

  it('an expired exception, another control or another cluster does not cover it', async () => {
    await fsp.writeFile(path.join(dir, 'ns.yaml'), NAMESPACE);
    const file = path.join(dir, 'ex.json');
    const item = { id: 'EXC-1', controlId: 'FG-K8S-EGRESS-DENY', scope: { entityRefs: ['resource:default/cluster-training'] }, startsAt: '2026-01-01T00:00:00Z', endsAt: '2026-12-31T00:00:00Z' };
    for (const [variant, cluster] of [[{ ...item, endsAt: '2026-12-01T00:00:00Z' }, 'training'], [{ ...item, controlId: 'FG-K8S-SECCOMP' }, 'training'], [item, 'other']] as const) {
      await fsp.writeFile(file, JSON.stringify({ items: [variant] }));
      const r = await runCli([dir, '--cluster', cluster, '--exceptions', file]);
      expect(r.code).toBe(1);
    }
    // the same exception, current and on the right cluster, covers it
    await fsp.writeFile(file, JSON.stringify({ items: [item] }));
    expect((await runCli([path.join(dir, 'ns.yaml'), '--cluster', 'training', '--exceptions', file])).code).toBe(0);
  });

  it('reads exceptions from the policy-exceptions API export with the token', async () => {
    await fsp.writeFile(path.join(dir, 'ns.yaml'), NAMESPACE);
    const seen: { url?: string; auth?: string } = {};
    const server = http.createServer((req, res) => {
      seen.url = req.url;
      seen.auth = req.headers.authorization;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ generatedAt: NOW.toISOString(), at: NOW.toISOString(), items: [{ id: 'EXC-9', controlId: 'FG-K8S-EGRESS-DENY', scope: { entityRefs: ['resource:default/cluster-training'] }, startsAt: '2026-12-01T00:00:00Z', endsAt: '2027-02-01T00:00:00Z' }] }));
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const r = await runCli([path.join(dir, 'ns.yaml'), '--cluster', 'training', '--exceptions', `http://127.0.0.1:${port}/api/policy-exceptions`], { FRONTIER_GUARD_TOKEN: 'ci-token' });
      expect(r.code).toBe(0);
      expect(seen).toEqual({ url: '/api/policy-exceptions/export?format=json', auth: 'Bearer ci-token' });
    } finally {
      server.close();
    }
  });

  it('exits 2 on a malformed file, naming it, even when other files are fine', async () => {
    await fsp.writeFile(path.join(dir, 'ok.yaml'), `${NAMESPACE}---\n${DENY}`);
    await fsp.writeFile(path.join(dir, 'broken.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [oops\n');
    const r = await runCli([dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/broken\.yaml.*YAML syntax error/);
    const j = await runCli([path.join(dir, 'ok.yaml'), path.join(dir, 'missing.json')]);
    expect(j.code).toBe(2);
    expect(j.err).toMatch(/missing\.json: cannot read/);
    await fsp.writeFile(path.join(dir, 'plan.json'), '{"format_version": ');
    expect((await runCli([path.join(dir, 'plan.json')])).code).toBe(2);
  });

  it('exits 2 for a named file that is not infrastructure code, and for an empty folder', async () => {
    await fsp.writeFile(path.join(dir, 'package.json'), '{"name": "x"}');
    const r = await runCli([path.join(dir, 'package.json')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not a Kubernetes manifest/);
    const empty = await runCli([dir]);
    expect(empty.code).toBe(2);
    expect(empty.err).toMatch(/no infrastructure code found/);
  });

  it('--fail-on ignores lower severities; bad options exit 2', async () => {
    await fsp.writeFile(path.join(dir, 'ns.yaml'), `${NAMESPACE}---\n${DENY}---
apiVersion: v1
kind: Pod
metadata: { name: p, namespace: research }
spec:
  securityContext: { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }
  containers: [{ name: c, image: x, securityContext: { capabilities: { drop: [ALL] } } }]
`);
    expect((await runCli([dir])).code).toBe(1); // allowPrivilegeEscalation (medium)
    expect((await runCli([dir, '--fail-on', 'high'])).code).toBe(0);
    expect((await runCli([dir, '--fail-on', 'urgent'])).code).toBe(2);
    expect((await runCli([dir, '--format', 'xml'])).code).toBe(2);
    expect((await runCli([])).code).toBe(2);
  });

  it('applies a configuration file and refuses an invalid one', async () => {
    await fsp.writeFile(path.join(dir, 'ns.yaml'), NAMESPACE);
    await fsp.writeFile(path.join(dir, 'posture.yaml'), 'kubernetes:\n  excludedNamespaces: [research]\n');
    const r = await runCli([path.join(dir, 'ns.yaml'), '--config', path.join(dir, 'posture.yaml')]);
    expect(r.code).toBe(0);
    await fsp.writeFile(path.join(dir, 'bad.yaml'), 'kubernetes:\n  sandboxes: gvisor\n');
    const b = await runCli([path.join(dir, 'ns.yaml'), '--config', path.join(dir, 'bad.yaml')]);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/kubernetes\.sandboxes/);
  });
});

describe('posture CLI: kustomize folders', () => {
  it('applies the kustomization namespace and drops the Kustomization object', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'posture-kust-'));
    try {
      await fsp.writeFile(path.join(dir, 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: lab\nresources: [netpol.yaml]\n');
      await fsp.writeFile(path.join(dir, 'netpol.yaml'), DENY.replace('  namespace: research\n', ''));
      const r = await runCli([dir, '--format', 'json']);
      expect(r.code).toBe(0);
      const keys = JSON.parse(r.out).findings.map((f: any) => f.subject.key);
      expect(keys).toContain('k8s/Namespace/lab');
      expect(keys.some((k: string) => k.includes('Kustomization'))).toBe(false);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});

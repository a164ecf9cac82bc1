import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './testing/backendProcess';

/**
 * deploy/kubernetes against the production configuration, the README and the posture gate:
 * the ConfigMap is app-config.production.yaml verbatim, every ${VAR} the config needs reaches
 * the container, the pod runs restricted, and the portal's manifests pass its own posture CLI.
 */

const K8S_DIR = path.join(REPO_ROOT, 'deploy/kubernetes');
const manifestFiles = fs
  .readdirSync(K8S_DIR)
  .filter(f => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .map(f => path.join(K8S_DIR, f));
const objects: any[] = manifestFiles.flatMap(file =>
  parseAllDocuments(fs.readFileSync(file, 'utf8')).map(d => d.toJS()).filter(Boolean),
);
const find = (kind: string, name?: string) =>
  objects.find(o => o.kind === kind && (name === undefined || o.metadata?.name === name));

const productionConfig = fs.readFileSync(path.join(REPO_ROOT, 'app-config.production.yaml'), 'utf8');
/** Every ${VAR} / ${VAR:-default} of the production config (comment lines excluded). */
const configVars = (() => {
  const vars = new Map<string, { hasDefault: boolean }>();
  for (const line of productionConfig.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    for (const m of line.matchAll(/\$\{([A-Z0-9_]+)(:-[^}]*)?\}/g)) {
      vars.set(m[1], { hasDefault: vars.get(m[1])?.hasDefault === false ? false : Boolean(m[2]) });
    }
  }
  return vars;
})();

describe('deploy/kubernetes', () => {
  const deployment = find('Deployment', 'frontier-guard');
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];

  it('ships app-config.production.yaml verbatim in the ConfigMap, mounted over the image copy', () => {
    expect(find('ConfigMap', 'frontier-guard-config').data['app-config.production.yaml']).toBe(productionConfig);
    expect(container.volumeMounts).toContainEqual(
      expect.objectContaining({ name: 'config', mountPath: '/app/app-config.production.yaml', subPath: 'app-config.production.yaml' }),
    );
    expect(container.command).toEqual(['node', 'packages/backend', '--config', 'app-config.production.yaml']);
  });

  it('gives the container every ${VAR} the production config needs, secrets only by reference', () => {
    const env = new Map<string, any>(container.env.map((e: any) => [e.name, e]));
    for (const [name, { hasDefault }] of configVars) {
      if (hasDefault) continue;
      // TRUST_PROXY is set too; MLflow/webhook secrets are optional references.
      expect({ name, present: env.has(name) }).toEqual({ name, present: true });
    }
    expect(env.get('NODE_ENV').value).toBe('production');
    for (const secret of ['POSTGRES_PASSWORD', 'AZURE_CLIENT_SECRET', 'K8S_SERVICE_ACCOUNT_TOKEN', 'K8S_PROVISIONER_TOKEN']) {
      expect(env.get(secret).value).toBeUndefined();
      expect(env.get(secret).valueFrom.secretKeyRef.name).toBe('frontier-guard-secrets');
    }
    // Secrets are created out of band, never committed.
    expect(objects.filter(o => o.kind === 'Secret')).toEqual([]);
    expect(fs.readdirSync(path.join(REPO_ROOT, 'deploy'), { recursive: true }).join('\n')).not.toMatch(/secret.*\.ya?ml/i);
  });

  it('runs 2 replicas with health probes, resources, a PDB and no service account token', () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(container.readinessProbe.httpGet.path).toBe('/.backstage/health/v1/readiness');
    expect(container.livenessProbe.httpGet.path).toBe('/.backstage/health/v1/liveness');
    expect(container.resources.requests).toEqual(expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }));
    expect(container.resources.limits).toEqual(expect.objectContaining({ memory: expect.anything() }));
    expect(find('PodDisruptionBudget').spec.minAvailable).toBe(1);
    expect(find('ServiceAccount', 'frontier-guard').automountServiceAccountToken).toBe(false);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(find('Service', 'frontier-guard').spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(find('Ingress').spec.rules[0].http.paths[0].backend.service.name).toBe('frontier-guard');
  });

  it('runs the pod under the restricted Pod Security Standard with a read-only root file system', () => {
    expect(find('Namespace').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const tmp = container.volumeMounts.find((m: any) => m.mountPath === '/tmp');
    expect(pod.volumes.find((v: any) => v.name === tmp.name).emptyDir).toBeDefined();
  });

  it('denies all egress by default and allows DNS and port-scoped destinations only', () => {
    const policies = objects.filter(o => o.kind === 'NetworkPolicy');
    const defaultDeny = policies.find(p => Object.keys(p.spec.podSelector).length === 0);
    expect(defaultDeny.spec.policyTypes).toEqual(expect.arrayContaining(['Egress', 'Ingress']));
    expect(defaultDeny.spec.egress).toBeUndefined();
    const egress = policies.find(p => p.metadata.name === 'frontier-guard-egress').spec.egress;
    for (const rule of egress) {
      expect(rule.ports?.length).toBeGreaterThan(0);
      expect(rule.to?.length).toBeGreaterThan(0);
      // each destination is an address block narrower than the whole internet, or a namespace
      const open = rule.to.filter((to: any) => (to.ipBlock ? to.ipBlock.cidr === '0.0.0.0/0' : to.namespaceSelector === undefined));
      expect(open).toEqual([]);
    }
  });

  it("passes the portal's own posture CLI (and the CLI fails a weakened copy)", () => {
    const posture = (files: string[]) =>
      spawnSync(
        process.execPath,
        [path.join(REPO_ROOT, 'plugins/posture-checks/bin/posture'), '--config', path.join(REPO_ROOT, 'deploy/posture-config.yaml'), ...files],
        { encoding: 'utf8', cwd: REPO_ROOT, timeout: 120_000 },
      );
    // The folder as CI gives it (kustomization.yaml included: the CLI drops the Kustomization object).
    const result = posture([K8S_DIR]);
    expect({ status: result.status, out: result.stdout.slice(-2000) }).toEqual({
      status: 0,
      out: expect.stringMatching(new RegExp(`0 failing .* ${manifestFiles.length + 1} file\\(s\\)`)),
    });

    const weakened = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'fg-posture-'));
    for (const file of [...manifestFiles, path.join(K8S_DIR, 'kustomization.yaml')]) {
      const text = fs.readFileSync(file, 'utf8').replace('allowPrivilegeEscalation: false', 'allowPrivilegeEscalation: true');
      fs.writeFileSync(path.join(weakened, path.basename(file)), text);
    }
    expect(posture([weakened]).status).toBe(1);
  });
});

describe('README production section', () => {
  it('lists every ${VAR} of the production config as required or optional', () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Production'), readme.indexOf('\n## ', readme.indexOf('## Production') + 5));
    for (const name of configVars.keys()) {
      const row = section.split('\n').find(line => line.startsWith('|') && line.includes(`\`${name}\``));
      expect({ name, row: Boolean(row && /\| (required|optional)/i.test(row)) }).toEqual({ name, row: true });
    }
  });
});

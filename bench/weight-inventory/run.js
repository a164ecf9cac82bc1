#!/usr/bin/env node
/**
 * Weight-inventory benchmark (issue 8 targets: refresh < 60 s, CLI < 5 s, peak RSS < 300 MB).
 *
 * 1. Inventory refresh of 2,000 storage accounts and 200,000 blobs (100 weight files each):
 *    the real @azure/arm-storage / arm-monitor / storage-blob clients against local HTTPS
 *    servers answering like ARM and like the Blob service (List Blobs XML, 5,000 per page),
 *    evaluation with the posture engine and storage in a SQLite file (WI_BENCH_DB=postgres or
 *    both: a fresh PostgreSQL database on 127.0.0.1:5432). Closed loop: 16 accounts read in
 *    parallel, each store written as soon as it is read. Baseline (same run): the same HTTP listing
 *    with plain node:https (no SDK, no evaluation, no database).
 * 2. The posture CLI over 10,000 Kubernetes objects (100 namespaces x 100 objects, multi-doc
 *    YAML) plus 500 ARM templates (storage account + blob service + container + private
 *    endpoint + diagnostic setting, with expressions). Baseline: reading and parsing the same
 *    files without checks.
 * Each measurement runs in a fresh child process (figures: wall time, peak RSS of that process).
 * The servers run in this parent process. Usage: node bench/weight-inventory/run.js [--keep]
 * Env: WI_BENCH_ONLY=refresh|cli, WI_BENCH_DB=sqlite|postgres|both, WI_BENCH_REFRESH_FLAGS,
 * WI_BENCH_CHILD_FLAGS (extra flags for every measured process), WI_BENCH_TRACE=1 (memory/s).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const https = require('node:https');
const { execFile } = require('node:child_process');

const root = path.resolve(__dirname, '../..');
require(require.resolve('@backstage/cli/config/nodeTransform.cjs', { paths: [root] }));
// self-signed certificate for the local servers (@internal/test-stand-ins; older trees: the plugin's testUtils)
const selfSignedCert = (() => {
  try {
    return require(path.join(root, 'packages/test-stand-ins/src/tls')).selfSignedCertificateFiles;
  } catch {
    return require(path.join(root, 'plugins/weight-inventory-backend/src/testUtils/tls')).selfSignedCert;
  }
})();
const { startFakeArm } = require(path.join(root, 'plugins/weight-inventory-backend/src/testUtils/fakeArm'));

const ACCOUNTS = 2000;
const BLOBS_PER_ACCOUNT = 100;
const NAMESPACES = 100;
const OBJECTS_PER_NAMESPACE = 100;
const TEMPLATES = 500;
/**
 * Node flags of the measured refresh process (WI_BENCH_REFRESH_FLAGS overrides; '' for V8's
 * defaults): 16 MiB semi-spaces and a 192 MiB old generation. With V8's defaults the live heap
 * is the same (~50 MB after a full collection) but V8 lets the old generation fill to ~200 MB of
 * garbage before its first full collection (peak RSS ~370 MiB).
 */
const REFRESH_FLAGS = (process.env.WI_BENCH_REFRESH_FLAGS ?? '--max-semi-space-size=16 --max-old-space-size=192').split(' ').filter(Boolean);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wi-bench-'));

/** Runs child.js asynchronously (the servers in this process must keep answering). */
function child(args, env = {}, nodeFlags = []) {
  return new Promise((resolve, reject) => {
    // WI_BENCH_CHILD_FLAGS: extra node flags for the measured processes, e.g. --max-old-space-size=160
    const flags = [...nodeFlags, ...(process.env.WI_BENCH_CHILD_FLAGS ?? '').split(' ').filter(Boolean)];
    const p = execFile(process.execPath, [...flags, path.join(__dirname, 'child.js'), ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${args[0]} failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()));
    });
    p.stdin?.end();
    if (process.env.WI_BENCH_TRACE) p.stderr?.on('data', d => process.stderr.write(d));
  });
}

function startBlobServer(cert, key) {
  const lastModified = new Date('2026-12-01T10:00:00Z').toUTCString();
  const server = https.createServer({ cert, key, keepAlive: true }, (req, res) => {
    const url = new URL(req.url, 'https://x');
    const [, account, container] = url.pathname.split('/');
    if (url.searchParams.get('comp') !== 'list' || !account || !container) {
      res.writeHead(404);
      res.end();
      return;
    }
    const start = Number(url.searchParams.get('marker') || 0);
    const max = Math.min(Number(url.searchParams.get('maxresults') || 5000), 5000);
    const end = Math.min(BLOBS_PER_ACCOUNT, start + max);
    let xml = `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://127.0.0.1/${account}/" ContainerName="${container}"><MaxResults>${max}</MaxResults><Blobs>`;
    for (let i = start; i < end; i++) {
      const name = i % 10 === 0 ? `ckpt/step-${i}/optimizer.pt` : `release/model-${String(i).padStart(5, '0')}-of-00100.safetensors`;
      xml += `<Blob><Name>${name}</Name><Properties><Creation-Time>${lastModified}</Creation-Time><Last-Modified>${lastModified}</Last-Modified><Etag>0x8D${i}</Etag><Content-Length>${(i + 1) * 1048576}</Content-Length><Content-Type>application/octet-stream</Content-Type><BlobType>BlockBlob</BlobType><AccessTier>Hot</AccessTier><LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState><ServerEncrypted>true</ServerEncrypted></Properties><OrMetadata /></Blob>`;
    }
    xml += `</Blobs><NextMarker>${end < BLOBS_PER_ACCOUNT ? end : ''}</NextMarker></EnumerationResults>`;
    res.writeHead(200, { 'content-type': 'application/xml', 'x-ms-version': '2025-01-05' });
    res.end(xml);
  });
  return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function generateIac(dir) {
  const k8s = path.join(dir, 'k8s');
  const arm = path.join(dir, 'arm');
  fs.mkdirSync(k8s, { recursive: true });
  fs.mkdirSync(arm, { recursive: true });
  for (let n = 0; n < NAMESPACES; n++) {
    const ns = `research-${n}`;
    const docs = [`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n  labels: { risk: ${n % 3 === 0 ? 'high' : 'low'} }\n`];
    if (n % 2 === 0) docs.push(`apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: deny, namespace: ${ns} }\nspec: { podSelector: {}, policyTypes: [Egress] }\n`);
    docs.push(`apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: out, namespace: ${ns} }\nspec:\n  podSelector: { matchLabels: { app: web } }\n  policyTypes: [Egress]\n  egress:\n    - to: [{ ipBlock: { cidr: 10.${n % 250}.0.0/16 } }, { namespaceSelector: {} }]\n      ports: [{ port: 443 }]\n`);
    docs.push(`apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: { name: reader, namespace: ${ns} }\nrules:\n  - { apiGroups: [""], resources: [pods, configmaps], verbs: [get, list] }\n  - { apiGroups: [""], resources: [secrets], verbs: [${n % 5 === 0 ? 'list' : 'get'}] }\n`);
    docs.push(`apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: { name: reader, namespace: ${ns} }\nroleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader }\nsubjects: [{ kind: ServiceAccount, name: app, namespace: ${ns} }]\n`);
    while (docs.length < OBJECTS_PER_NAMESPACE) {
      const i = docs.length;
      const secure = i % 4 !== 0;
      docs.push(`apiVersion: apps/v1\nkind: ${i % 7 === 0 ? 'StatefulSet' : 'Deployment'}\nmetadata:\n  name: app-${i}\n  namespace: ${ns}\n  labels: { app: web }\nspec:\n  replicas: 2\n  selector: { matchLabels: { app: web } }\n  template:\n    metadata: { labels: { app: web } }\n    spec:\n${n % 3 === 0 ? '      runtimeClassName: gvisor\n' : ''}      securityContext:\n        runAsNonRoot: ${secure}\n        seccompProfile: { type: ${secure ? 'RuntimeDefault' : 'Unconfined'} }\n      initContainers:\n        - name: init\n          image: registry.internal/init:1\n          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }\n      containers:\n        - name: main\n          image: registry.internal/app:${i}\n          ports: [{ containerPort: 8080 }]\n          securityContext:\n            allowPrivilegeEscalation: ${!secure}\n            privileged: ${i % 50 === 0}\n            capabilities: { drop: [ALL] }\n          volumeMounts: [{ name: data, mountPath: /data }]\n      volumes:\n        - name: data\n${i % 25 === 0 ? '          hostPath: { path: /var/lib/data }\n' : '          persistentVolumeClaim: { claimName: data }\n'}`);
    }
    fs.writeFileSync(path.join(k8s, `${ns}.yaml`), docs.map(d => `---\n# Source: chart/templates/${ns}.yaml\n${d}`).join(''));
  }
  for (let t = 0; t < TEMPLATES; t++) {
    const template = {
      $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
      contentVersion: '1.0.0.0',
      parameters: { prefix: { type: 'string', defaultValue: `w${t}` }, tls: { type: 'string', defaultValue: t % 2 ? 'TLS1_2' : 'TLS1_0' } },
      variables: { name: "[toLower(concat(parameters('prefix'), uniqueString(resourceGroup().id)))]" },
      resources: [
        { type: 'Microsoft.Storage/storageAccounts', apiVersion: '2023-05-01', name: "[variables('name')]", location: '[resourceGroup().location]', tags: { workload: 'model-weights' },
          properties: { publicNetworkAccess: t % 3 ? 'Disabled' : 'Enabled', allowBlobPublicAccess: false, allowSharedKeyAccess: t % 4 === 0, minimumTlsVersion: "[parameters('tls')]", networkAcls: { defaultAction: 'Deny' }, encryption: { keySource: 'Microsoft.Keyvault' } },
          resources: [{ type: 'blobServices', apiVersion: '2023-05-01', name: 'default', dependsOn: ["[variables('name')]"], properties: { deleteRetentionPolicy: { enabled: true, days: 7 }, containerDeleteRetentionPolicy: { enabled: t % 5 !== 0, days: 7 } },
            resources: [{ type: 'containers', apiVersion: '2023-05-01', name: 'weights', properties: { publicAccess: 'None' } }] }] },
        { type: 'Microsoft.Network/privateEndpoints', apiVersion: '2023-04-01', name: "[format('{0}-pe', variables('name'))]", properties: { privateLinkServiceConnections: [{ name: 'blob', properties: { privateLinkServiceId: "[resourceId('Microsoft.Storage/storageAccounts', variables('name'))]", groupIds: ['blob'] } }] } },
        { type: 'Microsoft.Insights/diagnosticSettings', apiVersion: '2021-05-01-preview', name: 'reads', scope: "[format('Microsoft.Storage/storageAccounts/{0}/blobServices/default', variables('name'))]", properties: { logs: [{ categoryGroup: 'allLogs', enabled: true }] } },
      ],
    };
    fs.writeFileSync(path.join(arm, `storage-${t}.json`), JSON.stringify(template, null, 2));
  }
}

function accountsFor(blobBase) {
  return Array.from({ length: ACCOUNTS }, (_, i) => {
    const name = `bench${String(i).padStart(5, '0')}`;
    const id = `/subscriptions/bench/resourceGroups/rg-${i % 40}/providers/Microsoft.Storage/storageAccounts/${name}`;
    const good = i % 2 === 0;
    return {
      account: { id, name, type: 'Microsoft.Storage/storageAccounts', location: 'westeurope', kind: 'StorageV2', tags: { owner: 'ml-platform' },
        properties: { publicNetworkAccess: good ? 'Disabled' : 'Enabled', allowBlobPublicAccess: false, allowSharedKeyAccess: !good, minimumTlsVersion: 'TLS1_2', networkAcls: { defaultAction: good ? 'Deny' : 'Allow' }, encryption: { keySource: 'Microsoft.Keyvault' }, primaryEndpoints: { blob: `${blobBase}/${name}/` } } },
      blobService: { properties: { deleteRetentionPolicy: { enabled: true, days: 7 }, containerDeleteRetentionPolicy: { enabled: good, days: 7 } } },
      containers: [{ name: 'weights', properties: { publicAccess: 'None' } }],
      privateEndpointConnections: good ? [{ id: `${id}/privateEndpointConnections/pe`, name: 'pe', properties: { privateLinkServiceConnectionState: { status: 'Approved' } } }] : [],
      diagnosticSettings: [{ id: 'd', name: 'reads', properties: { logs: [{ categoryGroup: 'allLogs', enabled: good }] } }],
    };
  });
}

function row(label, r, target) {
  const s = (r.ms / 1000).toFixed(2);
  console.log(`${label.padEnd(58)} ${s.padStart(7)} s  peak RSS ${String(r.maxRssMiB).padStart(4)} MiB${target ? `  ${target}` : ''}`);
}

async function main() {
  console.log(`weight-inventory benchmark on ${os.cpus().length} CPU(s), Node ${process.version}, load average ${os.loadavg().map(l => l.toFixed(1)).join(' ')} (shared machine: figures vary with load)`);
  console.log(`closed loop (16 accounts in flight); refresh process flags: ${REFRESH_FLAGS.join(' ') || '(V8 defaults)'}; CLI process: --max-semi-space-size=16 (as bin/posture)`);
  const only = process.env.WI_BENCH_ONLY; // 'refresh' or 'cli': run one half only
  const tlsFiles = selfSignedCert();
  if (only !== 'cli') await refreshHalf(tlsFiles);
  if (only !== 'refresh') await cliHalf();
  console.log(`load average at the end ${os.loadavg().map(l => l.toFixed(1)).join(' ')}`);
  if (!process.argv.includes('--keep')) fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(tlsFiles.dir, { recursive: true, force: true });
}

async function refreshHalf(tlsFiles) {
  const env = { NODE_EXTRA_CA_CERTS: tlsFiles.certFile };
  const blobServer = await startBlobServer(tlsFiles.cert, tlsFiles.key);
  const blobBase = `https://127.0.0.1:${blobServer.address().port}`;
  const arm = await startFakeArm({ cert: tlsFiles.cert, key: tlsFiles.key, subscriptionId: 'bench', accounts: accountsFor(blobBase), pageSize: 1000, token: 'bench' });
  try {
    const base = await child(['list', arm.endpoint], env);
    row(`baseline: plain https listing (${base.accounts} accounts, ${base.blobs} blobs)`, base);
    // WI_BENCH_DB=sqlite (default), postgres, or both
    const dbs = (process.env.WI_BENCH_DB ?? 'sqlite') === 'both' ? ['sqlite', 'postgres'] : [process.env.WI_BENCH_DB ?? 'sqlite'];
    for (const db of dbs) {
      const target = db === 'postgres' ? 'postgres' : path.join(work, 'inventory.sqlite');
      const r = await child(['refresh', arm.endpoint, target], env, REFRESH_FLAGS);
      row(`refresh: SDKs + posture + ${db === 'postgres' ? 'PostgreSQL' : 'SQLite'} (${r.stores} stores, ${r.weightFiles} files, ${r.findings} findings)`, r,
        `[target < 60 s: ${r.ms < 60_000 ? 'MET' : 'NOT MET'}; RSS < 300 MB: ${r.maxRssMiB < 300 ? 'MET' : 'NOT MET'}; ${r.status}]`);
      if (r.errors.length) console.log(`  errors: ${r.errors.join('; ')}`);
    }
  } finally {
    await arm.close();
    blobServer.close();
  }
}

async function cliHalf() {
  const iac = path.join(work, 'iac');
  generateIac(iac);
  const parse = await child(['parse', iac]);
  row(`baseline: read + parse ${NAMESPACES * OBJECTS_PER_NAMESPACE} K8s objects + ${TEMPLATES} ARM templates`, parse);
  // bin/posture runs the CLI with 16 MiB semi-spaces (it re-executes itself with the flag)
  const cli = await child(['cli', iac], {}, ['--max-semi-space-size=16']);
  row('posture CLI (JSON report) over the same files', cli,
    `[target < 5 s: ${cli.ms < 5000 ? 'MET' : 'NOT MET'}; RSS < 300 MB: ${cli.maxRssMiB < 300 ? 'MET' : 'NOT MET'}; exit ${cli.exitCode}]`);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});

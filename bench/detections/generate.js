/**
 * The generated mixed-source log of the detections benchmarks (replay: run.js; ingest through the
 * backend: ingest.js): N events over one day in time order, in the real export shapes (record
 * builders of @internal/detection-rules, src/testing/builders.ts), from a seeded PRNG, with three
 * planted incident bursts. Needs the TypeScript transform registered (the builders are TS).
 */
const fs = require('node:fs');
const path = require('node:path');

const PLUGIN = path.resolve(__dirname, '../../plugins/detection-rules');
const b = require(path.join(PLUGIN, 'src/testing/builders'));

// deterministic PRNG (mulberry32) so every run sees the same mix
let seed = 0x5eed;
const rnd = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pickOf = a => a[Math.floor(rnd() * a.length)];

const DAY = Date.parse('2026-11-02T00:00:00Z');
const users = Array.from({ length: 400 }, (_, i) => `user${i}@contoso.com`);
const offices = [
  { ip: '81.2.69.142', country: 'GB', city: 'London', lat: 51.5, lon: -0.12 },
  { ip: '81.2.69.150', country: 'GB', city: 'London', lat: 51.5, lon: -0.12 },
  { ip: '145.1.2.3', country: 'NL', city: 'Amsterdam', lat: 52.37, lon: 4.89 },
];
const stores = [
  { account: 'stweights01', container: 'checkpoints', blob: i => `llm-7b/step-${i}/model-0000${i % 8}.safetensors` },
  { account: 'stdatasets', container: 'corpus', blob: i => `shard-${i}.jsonl` },
  { account: 'stlogs', container: 'runs', blob: i => `run-${i}/metrics.json` },
];
const namespaces = ['research-llm', 'training-vision', 'kube-system', 'web', 'ml-eval'];

function normalEvent(i, time) {
  const r = rnd();
  const upn = pickOf(users);
  if (r < 0.18) {
    const o = { time, upn, ...pickOf(offices), errorCode: rnd() < 0.03 ? 50126 : 0, mfa: rnd() < 0.7 };
    const s = rnd();
    return s < 0.4 ? b.graphSignIn(o) : s < 0.7 ? b.diagnosticSignIn(o) : b.laSignIn(o);
  }
  if (r < 0.5) {
    const st = pickOf(stores);
    const o = { time, account: st.account, container: st.container, blob: st.blob(i % 500), op: rnd() < 0.9 ? 'GetBlob' : 'PutBlob', bytes: Math.floor(rnd() * 8 * 2 ** 20), objectId: `svc-${i % 7}`, appId: 'app-train', ip: '10.1.2.3' };
    return rnd() < 0.6 ? b.diagnosticBlobLog(o) : b.laBlobLog(o);
  }
  if (r < 0.75) {
    const ns = pickOf(namespaces);
    const verbs = ['get', 'list', 'watch', 'update', 'create'];
    const o = { time, user: rnd() < 0.8 ? `system:serviceaccount:${ns}:default` : upn, groups: ['system:authenticated'], verb: pickOf(verbs), resource: pickOf(['pods', 'configmaps', 'deployments', 'services']), namespace: ns, name: `obj-${i % 100}`, code: 200 };
    return rnd() < 0.7 ? b.k8sAudit(o) : b.aksDiagnosticAudit(o);
  }
  if (r < 0.87) {
    const action = rnd() < 0.97 ? 'Allow' : 'Deny';
    return rnd() < 0.5
      ? b.firewallClassic({ time, src: '10.20.0.5', dst: '151.101.0.223', port: 443, action: 'Allow', app: true })
      : b.firewallStructured({ time, src: '10.30.1.9', fqdn: action === 'Allow' ? 'pypi.org' : undefined, dstIp: '151.101.0.223', port: 443, action: 'Allow', la: rnd() < 0.5 });
  }
  return b.hubbleFlow({ time, ns: pickOf(['web', 'kube-system', 'monitoring']), pod: `api-${i % 20}-x`, srcIp: '10.244.1.5', dstIp: '10.0.0.10', port: 53, verdict: 'FORWARDED' });
}

function planted(time) {
  const at = m => new Date(Date.parse(time) + m * 60_000).toISOString();
  const out = [];
  // password spray from one address against 15 accounts
  for (let k = 0; k < 15; k++) out.push(b.graphSignIn({ time: at(k), upn: users[k], ip: '198.51.100.23', errorCode: 50126, country: 'RU', city: 'Moscow', lat: 55.7, lon: 37.6 }));
  // bulk read of a weight store by a person (60 GiB in an hour)
  for (let k = 0; k < 60; k++) out.push(b.diagnosticBlobLog({ time: at(k), account: 'stweights01', container: 'checkpoints', blob: `llm-70b/model-${k}.safetensors`, bytes: 1 * b.GiB, upn: 'mallory@contoso.com', objectId: 'obj-mallory', ip: '203.0.113.77' }));
  // atypical travel
  out.push(b.graphSignIn({ time: at(0), upn: 'alice@contoso.com', ip: '81.2.69.142', country: 'GB', city: 'London', lat: 51.5, lon: -0.12 }));
  out.push(b.graphSignIn({ time: at(50), upn: 'alice@contoso.com', ip: '8.8.4.4', country: 'US', city: 'New York', lat: 40.7, lon: -74 }));
  // exec into a research pod, cluster-admin binding
  out.push(b.k8sAudit({ time: at(5), user: 'eve@contoso.com', verb: 'create', resource: 'pods', namespace: 'research-llm', name: 'trainer-0', subresource: 'exec' }));
  out.push(b.k8sAudit({ time: at(6), user: 'eve@contoso.com', verb: 'create', resource: 'clusterrolebindings', apiGroup: 'rbac.authorization.k8s.io', name: 'eve-admin', code: 201, requestObject: { roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: 'eve@contoso.com' }] } }));
  // egress denied from a research namespace
  for (let k = 0; k < 5; k++) out.push(b.hubbleFlow({ time: at(k), ns: 'research-llm', pod: 'trainer-0', srcIp: '10.244.3.7', dstIp: '185.199.108.133', dstName: 'paste.example', port: 443, verdict: 'DROPPED' }));
  return out;
}

/** Writes N events (NDJSON) to `file`; returns { events, bytes }. Same file for the same N. */
function generate(file, N) {
  seed = 0x5eed;
  const fd = fs.openSync(file, 'w');
  let buf = [];
  let bytes = 0;
  const plantAt = new Set([Math.floor(N * 0.25), Math.floor(N * 0.5), Math.floor(N * 0.8)]);
  let written = 0;
  for (let i = 0; written < N; i++) {
    const time = new Date(DAY + Math.floor((i / N) * 86_400_000)).toISOString();
    const recs = plantAt.has(i) ? planted(time) : [normalEvent(i, time)];
    for (const r of recs) {
      const line = JSON.stringify(r) + '\n';
      buf.push(line);
      bytes += line.length;
      written++;
    }
    if (buf.length >= 5000) {
      fs.writeSync(fd, buf.join(''));
      buf = [];
    }
  }
  fs.writeSync(fd, buf.join(''));
  fs.closeSync(fd);
  return { events: written, bytes };
}


module.exports = { generate, DAY };

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ContainerClient,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import {
  KubernetesJobScanRunner,
  jobManifests,
  scanTimeLimitSeconds,
} from './kubernetes';
import { AzureBlobJobStaging } from './staging';
import {
  AZURITE_ACCOUNT,
  AZURITE_KEY,
  kubernetesStatus as status,
  kubernetesUnauthorized,
  RecordedRequest,
  selfSignedCertificate,
  startAzurite,
  startHttpsServer,
} from '@internal/test-stand-ins';

jest.setTimeout(180_000);

const REPO = path.resolve(__dirname, '../../..');
const TOKEN = 'scan-runner-sa-token';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'model-scan-k8s-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** os.system("id"), protocol 2 */
const PAYLOAD = Buffer.from(
  '8002636f730a73797374656d0a5802000000696485522e',
  'hex',
);

/** A Job's status as the API server reports it, from its container's exit code (null: running). */
function jobStatusOf(code: number | null | undefined) {
  if (code === null || code === undefined) return { active: 1 };
  if (code === 0)
    return { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };
  return {
    failed: 1,
    conditions: [
      {
        type: 'Failed',
        status: 'True',
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit',
      },
    ],
  };
}

/**
 * The files of the model-scanner image (deploy/model-scanner/Dockerfile) laid out as in the image's
 * /scanner: its entry point, the bundled CLI and 7-Zip WASM, nothing else (no sources).
 */
function imageFiles(): string {
  const dir = fs.mkdtempSync(path.join(work, 'image-'));
  execFileSync(process.execPath, [
    path.join(REPO, 'plugins/model-scanner/scripts/build-cli.js'),
    '--quiet',
  ]);
  fs.mkdirSync(path.join(dir, 'dist-cli'));
  fs.copyFileSync(
    path.join(REPO, 'plugins/model-scanner/dist-cli/model-scan.cjs'),
    path.join(dir, 'dist-cli/model-scan.cjs'),
  );
  fs.copyFileSync(
    path.join(REPO, 'deploy/model-scanner/entry.cjs'),
    path.join(dir, 'entry.cjs'),
  );
  for (const m of ['7z-wasm', 'readline-sync'])
    fs.cpSync(
      path.join(REPO, 'node_modules', m),
      path.join(dir, 'node_modules', m),
      {
        recursive: true,
      },
    );
  return dir;
}
const image = imageFiles();

/**
 * Answers like the Kubernetes API server for Secrets, NetworkPolicies and Jobs in one namespace,
 * and acts as the kubelet: a created Job's container command runs here (the image's /scanner laid out
 * by imageFiles, /scratch a fresh folder, the environment only what the pod spec and its Secret give).
 */
function fakeCluster() {
  const objects = new Map<string, any>();
  const exits = new Map<string, number | null>();
  const ROUTES: Array<[RegExp, string]> = [
    [/^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/]+))?$/, 'secrets'],
    [
      /^\/apis\/networking\.k8s\.io\/v1\/namespaces\/([^/]+)\/networkpolicies(?:\/([^/]+))?$/,
      'networkpolicies',
    ],
    [/^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs(?:\/([^/]+))?$/, 'jobs'],
  ];
  const kubelet = (job: any) => {
    const key = `jobs/${job.metadata.namespace}/${job.metadata.name}`;
    const c = job.spec.template.spec.containers[0];
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
    };
    for (const e of c.env ?? []) env[e.name] = e.value;
    for (const from of c.envFrom ?? []) {
      const secret = objects.get(
        `secrets/${job.metadata.namespace}/${from.secretRef.name}`,
      );
      Object.assign(env, secret?.stringData ?? {});
    }
    const scratch = fs.mkdtempSync(path.join(work, 'scratch-'));
    env.TMPDIR = scratch;
    // the image: /nodejs/bin/node is Node, /scanner holds the image's files (see imageFiles)
    const [cmd, ...args] = c.command.map((a: string) =>
      a.replace(/^\/scanner\//, `${image}/`),
    );
    exits.set(key, null);
    const node = cmd === '/nodejs/bin/node' || cmd === 'node';
    const child = spawn(node ? process.execPath : cmd, args, {
      env,
      stdio: 'ignore',
    });
    // a command that cannot start is a failed container, as the kubelet reports it
    child.on('error', () => exits.set(key, 127));
    child.on('exit', code => {
      exits.set(key, code ?? 1);
      fs.rmSync(scratch, { recursive: true, force: true });
    });
  };
  const handler = (req: RecordedRequest) => {
    const refused = kubernetesUnauthorized(req, TOKEN);
    if (refused) return refused;
    const route = ROUTES.find(([re]) => re.test(req.path));
    if (!route)
      return status(
        404,
        'NotFound',
        'the server could not find the requested resource',
      );
    const [, ns, name] = req.path.match(route[0])!;
    const kind = route[1];
    if (req.method === 'POST' && !name) {
      const key = `${kind}/${ns}/${req.body.metadata.name}`;
      if (objects.has(key))
        return status(
          409,
          'AlreadyExists',
          `${kind} "${req.body.metadata.name}" already exists`,
        );
      objects.set(key, {
        ...req.body,
        metadata: { ...req.body.metadata, namespace: ns, uid: key },
      });
      if (kind === 'jobs') kubelet(objects.get(key));
      return { status: 201, body: objects.get(key) };
    }
    const key = `${kind}/${ns}/${name}`;
    const obj = objects.get(key);
    if (!obj) return status(404, 'NotFound', `${kind} "${name}" not found`);
    if (req.method === 'GET') {
      if (kind !== 'jobs') return { status: 200, body: obj };
      const jobStatus = jobStatusOf(exits.get(key));
      return { status: 200, body: { ...obj, status: jobStatus } };
    }
    if (req.method === 'DELETE') {
      objects.delete(key);
      return {
        status: 200,
        body: {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Success',
          metadata: {},
        },
      };
    }
    return status(405, 'MethodNotAllowed', 'method not allowed');
  };
  return { objects, handler };
}

describe('KubernetesJobScanRunner (real @kubernetes/client-node and @azure/storage-blob against local stand-ins)', () => {
  let azurite: Awaited<ReturnType<typeof startAzurite>>;
  let api: Awaited<ReturnType<typeof startHttpsServer>>;
  let cluster: ReturnType<typeof fakeCluster>;
  let tls: { cert: string; key: string };
  const credential = () =>
    new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);

  beforeAll(async () => {
    azurite = await startAzurite();
    tls = selfSignedCertificate();
    cluster = fakeCluster();
    api = await startHttpsServer(tls, cluster.handler);
  });
  afterAll(async () => {
    await api?.close();
    await azurite?.stop();
  });

  const runner = (
    overrides: Partial<
      ConstructorParameters<typeof KubernetesJobScanRunner>[0]
    > = {},
  ) =>
    new KubernetesJobScanRunner({
      cluster: {
        url: api.url,
        token: TOKEN,
        caData: Buffer.from(tls.cert).toString('base64'),
      },
      namespace: 'model-scans',
      image: 'registry.example/frontier-guard-model-scanner:1.0.0',
      runtimeClassName: 'gvisor',
      resources: { cpu: '1', memory: '512Mi' },
      timeoutSeconds: 120,
      egressCidrs: ['10.20.0.0/16'],
      staging: new AzureBlobJobStaging({
        endpoint: azurite.endpoint,
        container: 'scan-jobs',
        credential: credential(),
      }),
      identity: {
        scannerName: 'frontier-guard-model-scanner',
        scannerVersion: '0.2.0',
        rulesetVersion: 'test',
      },
      pollMs: 100,
      ...overrides,
    });

  const file = (name: string, data: Buffer) => {
    const p = path.join(fs.mkdtempSync(path.join(work, 'in-')), name);
    fs.writeFileSync(p, data);
    return p;
  };

  it('scans a malicious file in a Job and returns its findings; leaves nothing behind', async () => {
    const before = api.requests.length;
    const r = await runner().scanFile(file('model.pkl', PAYLOAD));
    expect(r.verdict).toBe('malicious');
    expect(r.findings.map(f => f.ruleId)).toContain('PICKLE_DANGEROUS_GLOBAL');
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
    const mine = api.requests.slice(before);
    expect(mine.filter(q => q.method === 'POST').map(q => q.body.kind)).toEqual(
      ['Secret', 'NetworkPolicy', 'Job'],
    );
    expect(mine.filter(q => q.method === 'DELETE')).toHaveLength(3);
    expect(cluster.objects.size).toBe(0);
    // the staged input and result blobs are gone
    const left: string[] = [];
    for await (const b of new ContainerClient(
      `${azurite.endpoint}/scan-jobs`,
      credential(),
    ).listBlobsFlat())
      left.push(b.name);
    expect(left).toEqual([]);
  });

  it('keeps a real benign model safe', async () => {
    const r = await runner().scanFile(
      file(
        'torch_state_dict.pt',
        fs.readFileSync(
          path.join(
            REPO,
            'plugins/model-scanner/fixtures/benign/torch_state_dict.pt',
          ),
        ),
      ),
    );
    expect({
      verdict: r.verdict,
      format: r.format,
      findings: r.findings.filter(f => f.severity !== 'none'),
    }).toEqual({
      verdict: 'safe',
      format: 'pytorch-zip',
      findings: [],
    });
  });

  it('creates a locked-down Job: gVisor, no service account token, read-only root, limits, deadline, URLs only in its Secret', async () => {
    const before = api.requests.length;
    await runner().scanFile(file('model.pkl', PAYLOAD));
    const seen = api.requests.slice(before).filter(q => q.method === 'POST');
    const [secret, policy, job] = seen.map(q => q.body);
    const pod = job.spec.template.spec;
    expect(pod).toMatchObject({
      runtimeClassName: 'gvisor',
      automountServiceAccountToken: false,
      restartPolicy: 'Never',
      securityContext: { runAsNonRoot: true },
    });
    expect(job.spec).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: 120,
    });
    const c = pod.containers[0];
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.resources.limits).toMatchObject({ cpu: '1', memory: '512Mi' });
    // the scanner stops itself (with a SCAN_TIME_LIMIT result) 12 s before the deadline
    expect(c.env).toContainEqual({
      name: 'MODEL_SCAN_TIME_LIMIT_SECONDS',
      value: '108',
    });
    expect(JSON.stringify(job)).not.toMatch(/sig=/); // SAS signatures never in the Job spec
    expect(Object.keys(secret.stringData).sort()).toEqual([
      'MODEL_SCAN_INPUT_URL',
      'MODEL_SCAN_RESULT_URL',
    ]);
    expect(secret.stringData.MODEL_SCAN_RESULT_URL).toMatch(/sig=/);
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.egress[0]).toEqual({
      to: [{ ipBlock: { cidr: '10.20.0.0/16' } }],
      ports: [{ protocol: 'TCP', port: 443 }],
    });
    const runLabel = job.metadata.labels['frontier-guard.io/model-scan-run'];
    expect(
      job.spec.template.metadata.labels['frontier-guard.io/model-scan-run'],
    ).toBe(runLabel);
    expect(policy.spec.podSelector.matchLabels).toEqual({
      'frontier-guard.io/model-scan-run': runLabel,
    });
  });

  it('gives the Job a scan-scoped credential: the result URL writes only its own blob, the input URL cannot write', async () => {
    const staging = new AzureBlobJobStaging({
      endpoint: azurite.endpoint,
      container: 'scan-jobs',
      credential: credential(),
    });
    const run = await staging.stage(
      file('x.bin', Buffer.from('abc')),
      'run-scope-test',
      new Date(Date.now() + 600_000),
    );
    try {
      const put = (url: string) =>
        fetch(url, {
          method: 'PUT',
          headers: { 'x-ms-blob-type': 'BlockBlob' },
          body: '{}',
        });
      expect((await put(run.resultUrl)).status).toBe(201);
      const other = run.resultUrl.replace('/result.json?', '/other.json?');
      expect((await put(other)).status).toBe(403);
      expect((await put(run.inputUrl)).status).toBe(403);
      expect(await (await fetch(run.inputUrl)).text()).toBe('abc');
      expect(await run.readResult()).toBe('{}');
    } finally {
      await run.cleanup();
    }
    expect(await run.readResult()).toBeUndefined();
  });

  it('reports a failed Job as an error verdict and still cleans up', async () => {
    const r = await runner({
      command: ['node', '-e', 'process.exit(3)'],
    }).scanFile(file('model.pkl', PAYLOAD));
    expect(r.verdict).toBe('error');
    expect(r.errors[0]).toMatch(/failed \(BackoffLimitExceeded/);
    expect(cluster.objects.size).toBe(0);
  });

  it('refuses to talk to an API server it cannot verify (no CA given, self-signed)', async () => {
    await expect(
      runner({ cluster: { url: api.url, token: TOKEN } }).scanFile(
        file('model.pkl', PAYLOAD),
      ),
    ).rejects.toThrow();
    expect(cluster.objects.size).toBe(0);
  });

  it('keeps 10% of the deadline (10 s to 60 s) for the result upload', () => {
    expect([5, 30, 120, 900, 3600].map(scanTimeLimitSeconds)).toEqual([
      1, 20, 108, 840, 3540,
    ]);
  });

  it('builds manifests without a RuntimeClass when none is configured', () => {
    const m = jobManifests(
      { namespace: 'n', image: 'i', egressCidrs: ['1.2.3.4/32'] },
      {
        id: 'abc',
        inputUrl: 'https://in',
        resultUrl: 'https://out',
        fileName: 'f',
      },
    );
    expect(m.job.spec!.template.spec!.runtimeClassName).toBeUndefined();
    expect(m.job.spec!.template.spec!.automountServiceAccountToken).toBe(false);
  });
});

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { classicPayload, benignOrderedDict } from '../testing/pickleBuilder';
import { BENIGN_FIXTURES as FIXTURES } from '../testing/results';

const BIN = path.resolve(__dirname, '../../bin/model-scan');

function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', d => (stdout += d));
    child.stderr.on('data', d => (stderr += d));
    child.on('error', reject);
    child.on('close', code => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function serve(
  handler: http.RequestListener,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise(r => server.close(() => r())),
  };
}

describe('model-scan CLI (spawned)', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-scan-cli-'));
    fs.writeFileSync(path.join(dir, 'evil.pkl'), classicPayload());
    fs.writeFileSync(path.join(dir, 'ok.pkl'), benignOrderedDict());
    fs.writeFileSync(
      path.join(dir, 'blob.bin'),
      Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 251)),
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('exits 0 on a folder of real benign models and prints one JSON document', async () => {
    const r = await run([FIXTURES, '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.scanner).toMatchObject({
      name: 'frontier-guard-model-scanner',
      version: expect.any(String),
    });
    expect(doc.files.length).toBe(fs.readdirSync(FIXTURES).length);
    for (const f of doc.files) {
      expect(f).toMatchObject({
        path: expect.any(String),
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        size: expect.any(Number),
        format: expect.any(String),
        verdict: 'safe',
        severity: expect.any(String),
        findings: expect.any(Array),
        errors: [],
      });
    }
  }, 60_000);

  it('exits 1 on a malicious file and prints the finding in the table', async () => {
    const r = await run([path.join(dir, 'evil.pkl')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('MALICIOUS');
    expect(r.stdout).toContain('PICKLE_DANGEROUS_GLOBAL');
    expect(r.stdout).toContain('AML.T0011.000');
  }, 30_000);

  it('applies --fail-on: suspicious files fail only when asked', async () => {
    expect((await run([path.join(dir, 'blob.bin')])).code).toBe(0);
    expect(
      (await run([path.join(dir, 'blob.bin'), '--fail-on', 'suspicious'])).code,
    ).toBe(1);
  }, 30_000);

  it('writes SARIF 2.1.0 with rules, results, locations and artifact hashes', async () => {
    const r = await run([
      path.join(dir, 'evil.pkl'),
      path.join(dir, 'ok.pkl'),
      '--format',
      'sarif',
    ]);
    expect(r.code).toBe(1);
    const sarif = JSON.parse(r.stdout);
    expect(sarif.version).toBe('2.1.0');
    const run0 = sarif.runs[0];
    expect(run0.tool.driver.rules.map((x: { id: string }) => x.id)).toContain(
      'PICKLE_DANGEROUS_GLOBAL',
    );
    expect(run0.artifacts).toHaveLength(2);
    expect(run0.artifacts[0].hashes['sha-256']).toMatch(/^[0-9a-f]{64}$/);
    const res = run0.results.find(
      (x: { ruleId: string }) => x.ruleId === 'PICKLE_DANGEROUS_GLOBAL',
    );
    expect(res.level).toBe('error');
    expect(res.locations[0].physicalLocation.artifactLocation.uri).toContain(
      'evil.pkl',
    );
    expect(res.locations[0].physicalLocation.region.byteOffset).toBe(2);
    expect(res.properties.atlas).toContain('AML.T0010.003');
  }, 30_000);

  it('supports --no-hash', async () => {
    const r = await run([
      path.join(dir, 'ok.pkl'),
      '--no-hash',
      '--format',
      'json',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).files[0].sha256).toBe('');
  }, 30_000);

  it('takes a per-file --time-limit in seconds and refuses a bad one', async () => {
    const ok = await run([
      path.join(dir, 'ok.pkl'),
      '--time-limit',
      '30',
      '--format',
      'json',
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).files[0]).toMatchObject({
      verdict: 'safe',
      findings: [],
    });
    for (const bad of ['0', '-1', 'ten', '1e3', '']) {
      const r = await run([path.join(dir, 'ok.pkl'), `--time-limit=${bad}`]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--time-limit must be a positive number');
    }
  }, 30_000);

  it('exits 2 on usage errors and unreadable inputs', async () => {
    const usage = await run(['--format', 'xml', path.join(dir, 'ok.pkl')]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--format must be');
    expect((await run([])).code).toBe(2);
    const missing = await run([path.join(dir, 'does-not-exist.pt')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('does-not-exist.pt');
    // a finding still wins over an I/O error of another input
    expect(
      (await run([path.join(dir, 'evil.pkl'), path.join(dir, 'nope.pt')])).code,
    ).toBe(1);
  }, 30_000);

  it('scans a Hugging Face repository through $HF_ENDPOINT (hub API + resolve)', async () => {
    const files: Record<string, Buffer> = {
      'config.json': Buffer.from('{"model_type": "bert"}'),
      'pytorch_model.bin': classicPayload(),
      'sub/ok.pkl': benignOrderedDict(),
    };
    const seen: string[] = [];
    const hub = await serve((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      if (req.url === '/api/models/acme/bert-tiny/revision/v1') {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            id: 'acme/bert-tiny',
            sha: 'abc123',
            siblings: Object.keys(files).map(rfilename => ({ rfilename })),
          }),
        );
        return;
      }
      const m = /^\/acme\/bert-tiny\/resolve\/abc123\/(.+)$/.exec(
        req.url ?? '',
      );
      const body = m && files[decodeURIComponent(m[1])];
      if (body) res.end(body);
      else {
        res.statusCode = 404;
        res.end('not found');
      }
    });
    try {
      const r = await run(['hf://acme/bert-tiny@v1', '--format', 'json'], {
        HF_ENDPOINT: hub.url,
        HF_TOKEN: 'hf_test',
      });
      expect(r.code).toBe(1);
      const doc = JSON.parse(r.stdout);
      const byPath = Object.fromEntries(
        doc.files.map((f: { path: string; verdict: string }) => [
          f.path,
          f.verdict,
        ]),
      );
      expect(byPath).toEqual({
        'hf://acme/bert-tiny@abc123/config.json': 'safe',
        'hf://acme/bert-tiny@abc123/pytorch_model.bin': 'malicious',
        'hf://acme/bert-tiny@abc123/sub/ok.pkl': 'safe',
      });
      expect(seen.every(s => s.endsWith('Bearer hf_test'))).toBe(true);
      const missing = await run(['hf://acme/none'], { HF_ENDPOINT: hub.url });
      expect(missing.code).toBe(2);
    } finally {
      await hub.close();
    }
  }, 60_000);

  it('classifies ONNX external data named by its sibling model in folders and hf:// repos (tensor-data, safe)', async () => {
    const formats = path.resolve(__dirname, '../../fixtures/formats');
    const files: Record<string, Buffer> = {
      'onnx/model.onnx': fs.readFileSync(
        path.join(formats, 'onnx_benign_external.onnx'),
      ),
      'onnx/onnx_benign_external.onnx.data': fs.readFileSync(
        path.join(formats, 'onnx_benign_external.onnx.data'),
      ),
    };
    const hub = await serve((req, res) => {
      if (req.url === '/api/models/acme/onnx-ext/revision/main') {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            sha: 'def456',
            siblings: Object.keys(files).map(rfilename => ({ rfilename })),
          }),
        );
        return;
      }
      const m = /^\/acme\/onnx-ext\/resolve\/def456\/(.+)$/.exec(req.url ?? '');
      const body = m && files[decodeURIComponent(m[1])];
      if (body) res.end(body);
      else {
        res.statusCode = 404;
        res.end('not found');
      }
    });
    const folder = fs.mkdtempSync(
      path.join(os.tmpdir(), 'model-scan-cli-onnx-'),
    );
    try {
      for (const [name, body] of Object.entries(files)) {
        fs.mkdirSync(path.join(folder, path.dirname(name)), {
          recursive: true,
        });
        fs.writeFileSync(path.join(folder, name), body);
      }
      const r = await run(
        [
          'hf://acme/onnx-ext',
          folder,
          '--format',
          'json',
          '--fail-on',
          'suspicious',
        ],
        { HF_ENDPOINT: hub.url },
      );
      const doc = JSON.parse(r.stdout);
      const formatOf = Object.fromEntries(
        doc.files.map(
          (f: { path: string; format: string; verdict: string }) => [
            f.path.replace(folder, '<dir>'),
            `${f.format} ${f.verdict}`,
          ],
        ),
      );
      expect(formatOf).toEqual({
        'hf://acme/onnx-ext@def456/onnx/model.onnx': 'onnx safe',
        'hf://acme/onnx-ext@def456/onnx/onnx_benign_external.onnx.data':
          'tensor-data safe',
        '<dir>/onnx/model.onnx': 'onnx safe',
        '<dir>/onnx/onnx_benign_external.onnx.data': 'tensor-data safe',
      });
      expect(r.code).toBe(0);
      // negative: the data file alone is unknown, and unknown is not safe
      const alone = await run([
        path.join(folder, 'onnx/onnx_benign_external.onnx.data'),
        '--fail-on',
        'suspicious',
      ]);
      expect(alone.code).toBe(1);
      expect(alone.stdout).toContain('UNKNOWN_FORMAT');
    } finally {
      await hub.close();
      fs.rmSync(folder, { recursive: true, force: true });
    }
  }, 60_000);

  it('gate: asks the backend and exits 0 when allowed, 1 when refused, 2 on HTTP errors', async () => {
    const calls: Array<{ url?: string; auth?: string }> = [];
    const backend = await serve((req, res) => {
      calls.push({ url: req.url, auth: req.headers.authorization });
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname !== '/api/model-scan/gate') {
        res.statusCode = 404;
        res.end();
        return;
      }
      if (req.headers.authorization !== 'Bearer tok') {
        res.statusCode = 401;
        res.end('{"error":"unauthorized"}');
        return;
      }
      const target = u.searchParams.get('target');
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          allowed: target === 'hf://acme/good@v1',
          target,
          reasons:
            target === 'hf://acme/good@v1'
              ? []
              : ['pytorch_model.bin is malicious'],
          files: [
            {
              path: 'pytorch_model.bin',
              sha256: 'ab'.repeat(32),
              verdict: target === 'hf://acme/good@v1' ? 'safe' : 'malicious',
            },
          ],
        }),
      );
    });
    try {
      const ok = await run([
        'gate',
        '--url',
        backend.url,
        '--target',
        'hf://acme/good@v1',
        '--token',
        'tok',
      ]);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('ALLOWED');
      const refused = await run(
        ['gate', '--url', backend.url, '--target', 'hf://acme/bad@v1'],
        { FRONTIER_GUARD_TOKEN: 'tok' },
      );
      expect(refused.code).toBe(1);
      expect(refused.stdout).toContain('pytorch_model.bin is malicious');
      expect(calls[1].url).toBe(
        `/api/model-scan/gate?target=${encodeURIComponent('hf://acme/bad@v1')}`,
      );
      const unauth = await run([
        'gate',
        '--url',
        backend.url,
        '--target',
        'x',
        '--token',
        'wrong',
      ]);
      expect(unauth.code).toBe(2);
      expect((await run(['gate', '--target', 'x'])).code).toBe(2);
    } finally {
      await backend.close();
    }
  }, 60_000);
});

describe('job command', () => {
  /** Serves `input` at /input and takes the result PUT to /result (a blob store's two SAS URLs). */
  async function blobStandIn(input: Buffer) {
    let result: any;
    const server = await serve((req, res) => {
      if (req.method === 'GET' && req.url === '/input') {
        res.end(input);
        return;
      }
      if (req.method === 'PUT' && req.url === '/result') {
        let body = '';
        req.on('data', d => (body += d));
        req.on('end', () => {
          result = JSON.parse(body);
          res.statusCode = 201;
          res.end();
        });
        return;
      }
      res.statusCode = 404;
      res.end();
    });
    return {
      env: {
        MODEL_SCAN_INPUT_URL: `${server.url}/input`,
        MODEL_SCAN_RESULT_URL: `${server.url}/result`,
      },
      result: () => result,
      close: server.close,
    };
  }

  it('stops at MODEL_SCAN_TIME_LIMIT_SECONDS inside a long bzip2 decode and still delivers a result', async () => {
    const blob = await blobStandIn(
      fs.readFileSync(
        path.resolve(__dirname, '../../fixtures/slow/zeros-1gib.bz2'),
      ),
    );
    try {
      const r = await run(['job'], {
        ...blob.env,
        MODEL_SCAN_FILE_NAME: 'zeros.bz2',
        MODEL_SCAN_TIME_LIMIT_SECONDS: '0.05',
      });
      expect(r.code).toBe(0);
      expect(blob.result().result).toMatchObject({
        path: 'zeros.bz2',
        format: 'bzip2',
        verdict: 'suspicious',
      });
      expect(
        blob.result().result.findings.map((f: { ruleId: string }) => f.ruleId),
      ).toContain('SCAN_TIME_LIMIT');
    } finally {
      await blob.close();
    }
  }, 30_000);

  it('refuses a malformed MODEL_SCAN_TIME_LIMIT_SECONDS before downloading anything', async () => {
    const blob = await blobStandIn(classicPayload());
    try {
      for (const bad of ['0', 'soon', '-5']) {
        const r = await run(['job'], {
          ...blob.env,
          MODEL_SCAN_TIME_LIMIT_SECONDS: bad,
        });
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(
          'MODEL_SCAN_TIME_LIMIT_SECONDS must be a positive number',
        );
      }
      expect(blob.result()).toBeUndefined();
    } finally {
      await blob.close();
    }
  }, 30_000);
});

describe('bundled CLI', () => {
  const BUNDLE = path.resolve(__dirname, '../../dist-cli/model-scan.cjs');

  it('runs the bundle, rebuilds it when a source is newer, and agrees with the sources path', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-scan-bundle-'));
    try {
      const evil = path.join(dir, 'evil.pkl.xz');
      // an xz-compressed payload exercises the lazily loaded 7-Zip WASM from the bundle
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { compress } =
        require('../testing/compressors') as typeof import('../testing/compressors');
      fs.writeFileSync(evil, await compress('xz', classicPayload()));
      // make the bundle stale: bin/model-scan must rebuild it before running
      if (fs.existsSync(BUNDLE))
        fs.utimesSync(BUNDLE, new Date(0), new Date(0));
      const bundled = await run([evil, '--format', 'json', '--no-hash']);
      expect(bundled.code).toBe(1);
      expect(fs.statSync(BUNDLE).mtimeMs).toBeGreaterThan(Date.now() - 120_000);
      expect(bundled.stderr).not.toMatch(/running from sources/);
      const fromSource = await run([evil, '--format', 'json', '--no-hash'], {
        MODEL_SCAN_FROM_SOURCE: '1',
      });
      expect(fromSource.code).toBe(1);
      const strip = (s: string) =>
        JSON.parse(s).files.map((f: { durationMs?: number }) => ({
          ...f,
          durationMs: 0,
        }));
      expect(strip(bundled.stdout)).toEqual(strip(fromSource.stdout));
      expect(strip(bundled.stdout)[0]).toMatchObject({
        verdict: 'malicious',
        format: 'xz',
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('CycloneDX output', () => {
  it('prints a CycloneDX 1.6 ML-BOM with findings as vulnerabilities', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-scan-bom-'));
    try {
      fs.writeFileSync(path.join(dir, 'evil.pkl'), classicPayload());
      fs.copyFileSync(
        path.join(FIXTURES, 'torch_state_dict.pt'),
        path.join(dir, 'ok.pt'),
      );
      const r = await run([dir, '--format', 'cyclonedx']);
      expect(r.code).toBe(1);
      const bom = JSON.parse(r.stdout);
      expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6' });
      expect(bom.components).toHaveLength(2);
      expect(bom.vulnerabilities.map((v: { id: string }) => v.id)).toContain(
        'PICKLE_DANGEROUS_GLOBAL',
      );
      const bad = await run([dir, '--format', 'spdx']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--format must be/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

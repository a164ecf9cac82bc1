import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigReader } from '@backstage/config';
import { mockServices } from '@backstage/backend-test-utils';
import {
  BlobServiceClient,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { createSourceResolver } from './index';
import { startFakeHub } from './__testUtils__/fakeHub';
import { startFakeMlflow } from './__testUtils__/fakeMlflow';
import { startServer } from './__testUtils__/servers';
import {
  AZURITE_ACCOUNT,
  AZURITE_KEY,
  startAzurite,
} from '@internal/test-stand-ins';

const SHA = 'a'.repeat(40);
let workDir: string;

beforeEach(async () => {
  workDir = await fs.promises.mkdtemp(
    path.join(os.tmpdir(), 'model-scan-src-'),
  );
});
afterEach(async () => {
  await fs.promises.rm(workDir, { recursive: true, force: true });
});

function resolver(modelScan: Record<string, unknown>) {
  return createSourceResolver({
    config: new ConfigReader({ modelScan: { workDir, ...modelScan } }),
    logger: mockServices.logger.mock(),
  });
}

async function contents(files: Array<{ name: string; path: string }>) {
  const out: Record<string, string> = {};
  for (const f of files)
    out[f.name] = await fs.promises.readFile(f.path, 'utf8');
  return out;
}

async function leftovers() {
  const dir = path.join(workDir, 'downloads');
  return fs.existsSync(dir) ? fs.promises.readdir(dir) : [];
}

describe('hf:// targets', () => {
  it('downloads every sibling pinned to the commit, sends the token to the hub but not to the CDN', async () => {
    const hub = await startFakeHub(
      {
        'org/model': {
          sha: SHA,
          files: {
            'config.json': Buffer.from('{"a":1}'),
            'weights/model.bin': Buffer.from('LFS-BYTES'),
          },
          lfs: ['weights/model.bin'],
        },
      },
      { token: 'hf_secret' },
    );
    try {
      const r = resolver({
        huggingFace: { endpoint: hub.url, token: 'hf_secret' },
      });
      const src = await r.resolve('hf://org/model@main');
      expect(await contents(src.files)).toEqual({
        'config.json': '{"a":1}',
        'weights/model.bin': 'LFS-BYTES',
      });
      for (const f of src.files)
        expect(f.path.startsWith(path.join(workDir, 'downloads'))).toBe(true);
      // files are fetched at the commit the hub reported, not at the moving branch
      expect(
        hub.seen
          .filter(s => s.url.includes('/resolve/'))
          .every(s => s.url.includes(`/resolve/${SHA}/`)),
      ).toBe(true);
      expect(hub.seen.every(s => s.authorization === 'Bearer hf_secret')).toBe(
        true,
      );
      expect(hub.cdnSeen).toHaveLength(1);
      expect(hub.cdnSeen[0].authorization).toBeUndefined();
      await src.cleanup();
      expect(await leftovers()).toEqual([]);
    } finally {
      await hub.close();
    }
  });

  it('refuses sibling names that leave the download directory and cleans up', async () => {
    for (const evil of [
      '../../etc/passwd',
      '/etc/passwd',
      'a/../../b',
      'a\\..\\b',
    ]) {
      const hub = await startFakeHub({
        'org/evil': {
          sha: SHA,
          files: { 'ok.txt': Buffer.from('x') },
          siblings: ['ok.txt', evil],
        },
      });
      try {
        const r = resolver({ huggingFace: { endpoint: hub.url } });
        await expect(r.resolve('hf://org/evil')).rejects.toMatchObject({
          name: 'InputError',
        });
        expect(await leftovers()).toEqual([]);
        expect(fs.existsSync(path.join(workDir, 'etc'))).toBe(false);
      } finally {
        await hub.close();
      }
    }
  });

  it('maps a missing repository to an error and rejects malformed repo ids', async () => {
    const hub = await startFakeHub({});
    try {
      const r = resolver({ huggingFace: { endpoint: hub.url } });
      await expect(r.resolve('hf://org/missing')).rejects.toMatchObject({
        name: 'NotAllowedError',
      });
      await expect(r.resolve('hf://../etc')).rejects.toMatchObject({
        name: 'InputError',
      });
      await expect(r.resolve('hf://a/b/c')).rejects.toMatchObject({
        name: 'InputError',
      });
      await expect(r.resolve('hf://org/m@bad rev')).rejects.toMatchObject({
        name: 'InputError',
      });
    } finally {
      await hub.close();
    }
  });
});

describe('target parsing', () => {
  it('validates targets without fetching anything', async () => {
    const r = resolver({});
    await expect(r.validate!('hf://org/model@main')).resolves.toBeUndefined();
    await expect(r.validate!('mlflow://m/3')).resolves.toBeUndefined();
    await expect(
      r.validate!('https://acct.blob.core.windows.net/weights/x/'),
    ).resolves.toBeUndefined();
    const refused = async (target: string) => {
      try {
        await r.validate!(target);
      } catch (e) {
        return (e as Error).name;
      }
      return 'accepted';
    };
    expect(await refused('https://acct.blob.core.windows.net/c1/x/')).toBe('InputError');
    expect(await refused('/etc/passwd')).toBe('InputError');
    expect(await refused('http://169.254.169.254/')).toBe('NotAllowedError');
    expect(await refused('https://10.0.0.1/m.pt')).toBe('NotAllowedError');
    // a host NAME is resolved at validation: localhost is loopback
    expect(await refused('https://localhost/m.pt')).toBe('NotAllowedError');
  });

  it('refuses local paths and unknown schemes with InputError', async () => {
    const r = resolver({});
    for (const t of [
      '/etc/passwd',
      './model.pt',
      'file:///etc/passwd',
      'ftp://x/y',
      's3://b/k',
      '',
      'mlflow://m/latest',
    ]) {
      await expect(r.resolve(t)).rejects.toMatchObject({ name: 'InputError' });
    }
  });
});

describe('https targets and the SSRF guard', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    server = await startServer((req, res) => {
      if (req.url === '/model.pt') {
        res.writeHead(200, { 'Content-Length': 5 }).end('HELLO');
      } else if (req.url === '/big-chunked') {
        res.writeHead(200);
        res.write(Buffer.alloc(600));
        res.end(Buffer.alloc(600));
      } else if (req.url === '/big') {
        res.writeHead(200, { 'Content-Length': 1200 }).end(Buffer.alloc(1200));
      } else if (req.url === '/redirect-to-ip') {
        res
          .writeHead(302, {
            Location: `http://127.0.0.1:${server.port}/model.pt`,
          })
          .end();
      } else if (req.url === '/redirect-to-name') {
        res
          .writeHead(302, {
            Location: `http://localhost:${server.port}/model.pt`,
          })
          .end();
      } else res.writeHead(404).end();
    });
  });
  afterAll(() => server.close());

  it('refuses plain http unless allowed', async () => {
    const r = resolver({ sources: { allowedHosts: ['localhost'] } });
    await expect(
      r.resolve(`http://localhost:${server.port}/model.pt`),
    ).rejects.toMatchObject({
      name: 'NotAllowedError',
      message: expect.stringContaining('plain http'),
    });
  });

  it('refuses loopback, private, link-local and mapped addresses that are not allowlisted', async () => {
    const r = resolver({ sources: { allowInsecureHttp: true } });
    for (const t of [
      `http://127.0.0.1:${server.port}/model.pt`,
      `http://localhost:${server.port}/model.pt`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.1.2.3/x',
      'http://192.168.1.1/x',
      'http://[::1]/x',
      'http://[::ffff:127.0.0.1]/x',
      'http://[::ffff:7f00:1]/x',
      'http://0.0.0.0/x',
      'https://user:pw@example.com/x',
    ]) {
      await expect(r.resolve(t)).rejects.toMatchObject({
        name: 'NotAllowedError',
      });
    }
    expect(await leftovers()).toEqual([]);
  });

  it('downloads from an allowlisted host and still refuses a redirect to a private address', async () => {
    const r = resolver({
      sources: { allowInsecureHttp: true, allowedHosts: ['localhost'] },
    });
    const src = await r.resolve(`http://localhost:${server.port}/model.pt`);
    expect(await contents(src.files)).toEqual({ 'model.pt': 'HELLO' });
    await src.cleanup();
    const viaName = await r.resolve(
      `http://localhost:${server.port}/redirect-to-name`,
    );
    expect(viaName.files).toHaveLength(1);
    await viaName.cleanup();
    await expect(
      r.resolve(`http://localhost:${server.port}/redirect-to-ip`),
    ).rejects.toMatchObject({
      name: 'NotAllowedError',
    });
  });

  it('an allowlisted CIDR range admits addresses inside it', async () => {
    const r = resolver({
      sources: { allowInsecureHttp: true, allowedHosts: ['127.0.0.0/8'] },
    });
    const src = await r.resolve(`http://127.0.0.1:${server.port}/model.pt`);
    expect(src.files.map(f => f.name)).toEqual(['model.pt']);
    await src.cleanup();
  });

  it('enforces maxDownloadBytes with and without Content-Length and leaves nothing behind', async () => {
    const r = resolver({
      sources: {
        allowInsecureHttp: true,
        allowedHosts: ['localhost'],
        maxDownloadBytes: 1000,
      },
    });
    await expect(
      r.resolve(`http://localhost:${server.port}/big`),
    ).rejects.toMatchObject({
      name: 'InputError',
      message: expect.stringContaining('maxDownloadBytes'),
    });
    await expect(
      r.resolve(`http://localhost:${server.port}/big-chunked`),
    ).rejects.toMatchObject({
      name: 'InputError',
    });
    await expect(
      r.resolve(`http://localhost:${server.port}/nothing`),
    ).rejects.toMatchObject({
      name: 'NotFoundError',
    });
    expect(await leftovers()).toEqual([]);
  });
});

describe('mlflow:// and databricks:// targets', () => {
  it('downloads a model version through the MLflow artifact proxy', async () => {
    const mlflow = await startFakeMlflow({
      token: 'mlflow-token',
      versions: [
        {
          name: 'fraud model',
          version: '3',
          source: 'models:/m-abc',
          storage_location: 'mlflow-artifacts:/1/models/m-abc/artifacts',
        },
        {
          name: 'run-model',
          version: '1',
          source: 'mlflow-artifacts:/1/run1/artifacts/model',
        },
      ],
      artifacts: {
        '1/models/m-abc/artifacts/MLmodel': Buffer.from('flavors: {}'),
        '1/models/m-abc/artifacts/data/model.pkl': Buffer.from('PICKLE'),
        '1/run1/artifacts/model/model.pt': Buffer.from('PT'),
        '1/other/secret': Buffer.from('NOT MINE'),
      },
    });
    try {
      const r = resolver({
        mlflow: { trackingUri: mlflow.url, token: 'mlflow-token' },
      });
      const src = await r.resolve('mlflow://fraud%20model/3');
      expect(await contents(src.files)).toEqual({
        MLmodel: 'flavors: {}',
        'data/model.pkl': 'PICKLE',
      });
      await src.cleanup();
      const src2 = await r.resolve('mlflow://run-model/1');
      expect(await contents(src2.files)).toEqual({ 'model.pt': 'PT' });
      await src2.cleanup();
      await expect(r.resolve('mlflow://missing/1')).rejects.toMatchObject({
        name: 'NotFoundError',
      });
    } finally {
      await mlflow.close();
    }
  });

  it('authenticates with basic auth when MLflow runs the basic-auth app', async () => {
    const mlflow = await startFakeMlflow({
      basic: { username: 'scanner', password: 'pw' },
      versions: [
        {
          name: 'm',
          version: '1',
          source: 'mlflow-artifacts:/2/r/artifacts/model',
        },
      ],
      artifacts: { '2/r/artifacts/model/model.pkl': Buffer.from('P') },
    });
    try {
      const ok = resolver({
        mlflow: {
          trackingUri: mlflow.url,
          username: 'scanner',
          password: 'pw',
        },
      });
      const src = await ok.resolve('mlflow://m/1');
      expect(await contents(src.files)).toEqual({ 'model.pkl': 'P' });
      await src.cleanup();
      const bad = resolver({
        mlflow: {
          trackingUri: mlflow.url,
          username: 'scanner',
          password: 'nope',
        },
      });
      await expect(bad.resolve('mlflow://m/1')).rejects.toMatchObject({
        name: 'NotAllowedError',
      });
    } finally {
      await mlflow.close();
    }
  });

  it('refuses artifact stores the proxy cannot reach with a clear error', async () => {
    const mlflow = await startFakeMlflow({
      versions: [{ name: 'm', version: '1', source: 's3://bucket/model' }],
      artifacts: {},
    });
    try {
      const r = resolver({ mlflow: { trackingUri: mlflow.url } });
      await expect(r.resolve('mlflow://m/1')).rejects.toMatchObject({
        name: 'NotImplementedError',
        message: expect.stringContaining('--serve-artifacts'),
      });
    } finally {
      await mlflow.close();
    }
  });

  it('downloads a Databricks model version through signed URLs without leaking the bearer token', async () => {
    const dbx = await startFakeMlflow({
      kind: 'databricks',
      token: 'dapi-token',
      versions: [
        {
          name: 'main.ml.model',
          version: '2',
          source: 'dbfs:/databricks/mlflow-registry/x/models/model',
        },
      ],
      artifacts: {
        MLmodel: Buffer.from('m'),
        'data/model.pth': Buffer.from('W'),
      },
    });
    try {
      const r = resolver({
        databricks: { host: dbx.url, token: 'dapi-token' },
      });
      const src = await r.resolve('databricks://main.ml.model/2');
      expect(await contents(src.files)).toEqual({
        MLmodel: 'm',
        'data/model.pth': 'W',
      });
      await src.cleanup();
      expect(dbx.seen.some(s => s.startsWith('GET /signed/'))).toBe(true);
    } finally {
      await dbx.close();
    }
  });

  it('says which config key is missing when no registry is configured', async () => {
    await expect(resolver({}).resolve('mlflow://m/1')).rejects.toMatchObject({
      message: expect.stringContaining('modelScan.mlflow.trackingUri'),
    });
  });
});

describe('Azure blob targets (Azurite)', () => {
  let azurite: Awaited<ReturnType<typeof startAzurite>>;
  beforeAll(async () => {
    azurite = await startAzurite();
    const service = new BlobServiceClient(
      azurite.endpoint,
      new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
    );
    const container = service.getContainerClient('weights');
    await container.create();
    for (const [name, data] of Object.entries({
      'llama/config.json': '{}',
      'llama/shards/model-00001.safetensors': 'SHARD1',
      'single.pt': 'SINGLE',
      'other/x.bin': 'OTHER',
    })) {
      await container.getBlockBlobClient(name).upload(data, data.length);
    }
  }, 60_000);
  afterAll(() => azurite?.stop());

  const azureResolver = (extra: Record<string, unknown> = {}) =>
    resolver({
      azure: {
        accounts: [
          {
            endpoint: azurite.endpoint,
            accountName: AZURITE_ACCOUNT,
            accountKey: AZURITE_KEY,
          },
        ],
      },
      ...extra,
    });

  it('downloads one blob', async () => {
    const src = await azureResolver().resolve(
      `${azurite.endpoint}/weights/single.pt`,
    );
    expect(await contents(src.files)).toEqual({ 'single.pt': 'SINGLE' });
    await src.cleanup();
  });

  it('downloads every blob under a prefix, with or without the trailing slash', async () => {
    for (const t of [
      `${azurite.endpoint}/weights/llama/`,
      `${azurite.endpoint}/weights/llama`,
    ]) {
      const src = await azureResolver().resolve(t);
      expect(await contents(src.files)).toEqual({
        'config.json': '{}',
        'shards/model-00001.safetensors': 'SHARD1',
      });
      await src.cleanup();
    }
  });

  it('reports a missing blob as NotFoundError and enforces the size limit', async () => {
    await expect(
      azureResolver().resolve(`${azurite.endpoint}/weights/nope.bin`),
    ).rejects.toMatchObject({
      name: 'NotFoundError',
    });
    await expect(
      azureResolver({ sources: { maxDownloadBytes: 3 } }).resolve(
        `${azurite.endpoint}/weights/single.pt`,
      ),
    ).rejects.toMatchObject({ name: 'InputError' });
    expect(await leftovers()).toEqual([]);
  });

  it('refuses an account key that does not match', async () => {
    const r = resolver({
      azure: {
        accounts: [
          {
            endpoint: azurite.endpoint,
            accountName: AZURITE_ACCOUNT,
            accountKey: Buffer.from('wrong').toString('base64'),
          },
        ],
      },
    });
    await expect(
      r.resolve(`${azurite.endpoint}/weights/single.pt`),
    ).rejects.toMatchObject({
      name: 'NotAllowedError',
    });
  });

  it('rejects malformed container names', async () => {
    await expect(
      azureResolver().resolve(`${azurite.endpoint}/Bad_Container/x`),
    ).rejects.toMatchObject({
      name: 'InputError',
    });
  });
});

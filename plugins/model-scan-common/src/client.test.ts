import { ModelScanClient } from './client';
import {
  createAcceptanceRequestSchema,
  createScanRequestSchema,
} from './schemas';
import { modelScanPermissions } from './permissions';

describe('ModelScanClient', () => {
  it('sends the token and JSON body, and parses the scan', async () => {
    const calls: Array<{ url: string; init: RequestInit }> = [];
    const client = new ModelScanClient({
      discoveryApi: { getBaseUrl: async () => 'http://backend/api/model-scan' },
      fetchApi: {
        fetch: (async (url: string, init: RequestInit) => {
          calls.push({ url, init });
          return new Response(JSON.stringify({ scan: { id: 's1' } }), {
            status: 202,
            headers: { 'content-type': 'application/json' },
          });
        }) as any,
      },
    });
    const scan = await client.createScan(
      { target: 'hf://org/repo' },
      { token: 'tok' },
    );
    expect(scan.id).toBe('s1');
    expect(calls[0].url).toBe('http://backend/api/model-scan/scans');
    expect((calls[0].init.headers as any).Authorization).toBe('Bearer tok');
    expect(JSON.parse(calls[0].init.body as string)).toEqual({
      target: 'hf://org/repo',
    });
  });

  it('encodes the gate target and throws ResponseError on failure', async () => {
    let seen = '';
    const client = new ModelScanClient({
      discoveryApi: { getBaseUrl: async () => 'http://b/api/model-scan' },
      fetchApi: {
        fetch: (async (url: string) => {
          seen = url;
          return new Response(
            JSON.stringify({
              error: { name: 'NotAllowedError', message: 'no' },
            }),
            { status: 403, headers: { 'content-type': 'application/json' } },
          );
        }) as any,
      },
    });
    await expect(client.getGate('hf://a/b@main')).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 403,
    });
    expect(seen).toBe(
      'http://b/api/model-scan/gate?target=hf%3A%2F%2Fa%2Fb%40main',
    );
  });
});

describe('schemas', () => {
  it('rejects a short justification and a bad hash, naming the fields', () => {
    const result = createAcceptanceRequestSchema.safeParse({
      sha256: 'xyz',
      justification: 'ok',
      expiresAt: '2026-01-01T00:00:00Z',
    });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map(i => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['sha256', 'justification']));
  });

  it('accepts only full entity refs', () => {
    expect(
      createScanRequestSchema.safeParse({
        target: 'hf://a/b',
        entityRef: 'component:default/model',
      }).success,
    ).toBe(true);
    const bad = createScanRequestSchema.safeParse({
      target: 'hf://a/b',
      entityRef: 'model',
    });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0].path).toEqual(['entityRef']);
  });

  it('requires a target', () => {
    expect(createScanRequestSchema.safeParse({ target: '  ' }).success).toBe(
      false,
    );
  });

  it('exports the five permissions by name', () => {
    expect(modelScanPermissions.map(p => p.name).sort()).toEqual([
      'model-scan.gate.read',
      'model-scan.scan.create',
      'model-scan.scan.read',
      'model-scan.scan.rescan',
      'model-scan.verdict.accept',
    ]);
  });
});

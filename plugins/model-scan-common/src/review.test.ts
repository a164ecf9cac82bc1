import { ModelScanClient } from './client';
import { isModelEntity, modelScanAppLink, needsSecurityReview, reviewRequestRefusal } from './review';
import { reviewRequestSchema } from './schemas';

const ALICE = 'user:default/alice';
const scan = (over: Record<string, unknown> = {}) => ({
  status: 'completed' as const,
  verdict: 'malicious' as const,
  requestedBy: ALICE,
  ...over,
});

describe('review rules', () => {
  it('only completed suspicious or malicious scans need a security review', () => {
    expect(needsSecurityReview(scan())).toBe(true);
    expect(needsSecurityReview(scan({ verdict: 'suspicious' }))).toBe(true);
    expect(needsSecurityReview(scan({ verdict: 'safe' }))).toBe(false);
    expect(needsSecurityReview(scan({ verdict: 'error' }))).toBe(false);
    expect(needsSecurityReview(scan({ status: 'failed' }))).toBe(false);
    expect(needsSecurityReview(scan({ status: 'running', verdict: undefined }))).toBe(false);
  });

  it('lets the requester (any spelling of their ref) ask once for a flagged scan', () => {
    expect(reviewRequestRefusal(scan(), ALICE)).toBeUndefined();
    expect(reviewRequestRefusal(scan(), 'User:default/Alice')).toBeUndefined();
  });

  it('refuses everyone else (403), safe or unfinished scans and a second request (409)', () => {
    expect(reviewRequestRefusal(scan(), 'user:default/bob')?.status).toBe(403);
    // a scan started by a webhook or a service belongs to no person
    expect(reviewRequestRefusal(scan({ requestedBy: 'plugin:model-scan' }), ALICE)?.status).toBe(403);
    expect(reviewRequestRefusal(scan({ verdict: 'safe' }), ALICE)?.status).toBe(409);
    expect(reviewRequestRefusal(scan({ status: 'queued', verdict: undefined }), ALICE)?.status).toBe(409);
    const asked = { requestedBy: ALICE, requestedAt: '2026-12-07T10:00:00.000Z', note: 'false alarm?' };
    expect(reviewRequestRefusal(scan({ reviewRequest: asked }), ALICE)).toEqual({
      status: 409,
      reason: 'A review of this scan has already been requested',
    });
  });

  it('requires a note of 10 to 2,000 characters without control characters', () => {
    expect(reviewRequestSchema.safeParse({ note: '  this is my own fine-tune  ' }).data).toEqual({
      note: 'this is my own fine-tune',
    });
    expect(reviewRequestSchema.safeParse({}).success).toBe(false);
    expect(reviewRequestSchema.safeParse({ note: 'short' }).success).toBe(false);
    expect(reviewRequestSchema.safeParse({ note: 'x'.repeat(2001) }).success).toBe(false);
    expect(reviewRequestSchema.safeParse({ note: 'please look \u0000 here' }).success).toBe(false);
  });

  it('knows model entities and builds the scan page link from the app route', () => {
    const e = (kind: string, type?: string, annotations?: Record<string, string>) => ({
      kind,
      metadata: { annotations },
      spec: type ? { type } : undefined,
    });
    expect(isModelEntity(e('Component', 'model'))).toBe(true);
    expect(isModelEntity(e('Resource', 'weight-store'))).toBe(true);
    expect(isModelEntity(e('Component', 'service', { 'frontier-guard.io/model-source': 'hf://a/b' }))).toBe(true);
    expect(isModelEntity(e('Component', 'service'))).toBe(false);
    expect(isModelEntity(e('User'))).toBe(false);
    expect(modelScanAppLink('a b/c')).toBe('/model-scan/scans/a%20b%2Fc');
    expect(modelScanAppLink('x', '/scans/')).toBe('/scans/scans/x');
  });
});

describe('ModelScanClient review and bill of materials', () => {
  const fetchOf = (response: () => Response, calls: Array<{ url: string; init: RequestInit }>) => ({
    fetch: (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return response();
    }) as any,
  });

  it('posts the note and returns the scan', async () => {
    const calls: Array<{ url: string; init: RequestInit }> = [];
    const client = new ModelScanClient({
      discoveryApi: { getBaseUrl: async () => 'http://b/api/model-scan' },
      fetchApi: fetchOf(() => new Response(JSON.stringify({ scan: { id: 's 1' } }), { status: 200 }), calls),
    });
    expect((await client.requestReview('s 1', { note: 'my own fine-tune' })).id).toBe('s 1');
    expect(calls[0].url).toBe('http://b/api/model-scan/scans/s%201/review-request');
    expect(calls[0].init.method).toBe('POST');
    expect(JSON.parse(calls[0].init.body as string)).toEqual({ note: 'my own fine-tune' });
  });

  it('downloads the BOM with the served file name, and throws on 409', async () => {
    const calls: Array<{ url: string; init: RequestInit }> = [];
    let status = 200;
    const client = new ModelScanClient({
      discoveryApi: { getBaseUrl: async () => 'http://b/api/model-scan' },
      fetchApi: fetchOf(
        () =>
          status === 200
            ? new Response('{"bomFormat":"CycloneDX"}', {
                status,
                headers: { 'content-disposition': 'attachment; filename="model-scan-s1.cdx.json"' },
              })
            : new Response(JSON.stringify({ error: { name: 'ConflictError', message: 'not completed' } }), {
                status,
                headers: { 'content-type': 'application/json' },
              }),
        calls,
      ),
    });
    const bom = await client.getBom('s1', { token: 't' });
    expect(bom.fileName).toBe('model-scan-s1.cdx.json');
    expect(JSON.parse(await bom.blob.text())).toEqual({ bomFormat: 'CycloneDX' });
    expect((calls[0].init.headers as any).Authorization).toBe('Bearer t');
    status = 409;
    await expect(client.getBom('s1')).rejects.toMatchObject({ name: 'ResponseError' });
  });
});

import { WeightInventoryClient } from './client';
import { clusterStoreId, storageStoreId, storeEntityRef } from './naming';

describe('WeightInventoryClient', () => {
  const discoveryApi = { getBaseUrl: async () => 'http://backend/api/weight-inventory' };

  it('sends the token and query, and returns the body', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const client = new WeightInventoryClient({
      discoveryApi,
      fetchApi: {
        fetch: (async (url: string, init: RequestInit) => {
          calls.push({ url, init });
          return new Response(JSON.stringify({ items: [] }), { status: 200, headers: { 'content-type': 'application/json' } });
        }) as unknown as typeof fetch,
      },
    });
    await client.listFindings({ entityRef: 'resource:default/storage-a', status: 'fail' }, { token: 't0k' });
    expect(calls[0].url).toBe('http://backend/api/weight-inventory/findings?entityRef=resource%3Adefault%2Fstorage-a&status=fail');
    expect((calls[0].init.headers as Record<string, string>).Authorization).toBe('Bearer t0k');
  });

  it('throws a ResponseError on a non-2xx answer', async () => {
    const client = new WeightInventoryClient({
      discoveryApi,
      fetchApi: { fetch: (async () => new Response(JSON.stringify({ error: { name: 'NotAllowedError', message: 'no' } }), { status: 403, headers: { 'content-type': 'application/json' } })) as unknown as typeof fetch },
    });
    await expect(client.getSummary()).rejects.toThrow(/403|no/);
  });
});

describe('store naming', () => {
  it('derives stable catalog names', () => {
    expect(storageStoreId('FGWeights01')).toBe('storage-fgweights01');
    expect(clusterStoreId('Training AKS')).toBe('cluster-training-aks');
    expect(storeEntityRef('cluster-x')).toBe('resource:default/cluster-x');
  });
});

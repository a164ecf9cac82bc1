import fs from 'node:fs';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { mockServices } from '@backstage/backend-test-utils';
import { evaluateProject } from '@internal/posture-checks';
import { AzureStorageSource } from './azure';
import { startFakeArm, staticCredential } from '../testUtils/fakeArm';
import { AZURITE_ACCOUNT, AZURITE_KEY, azuriteToken, selfSignedCertificateFiles, startAzurite, trustCertificateInThisProcess } from '@internal/test-stand-ins';

jest.setTimeout(60_000);

const SUB = '11111111-2222-3333-4444-555555555555';
const id = (rg: string, name: string) => `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/${name}`;

describe('AzureStorageSource (real @azure/arm-storage, @azure/arm-monitor, @azure/storage-blob)', () => {
  let tlsFiles: ReturnType<typeof selfSignedCertificateFiles>;
  let azurite: Awaited<ReturnType<typeof startAzurite>>;
  let arm: Awaited<ReturnType<typeof startFakeArm>>;
  const token = azuriteToken();

  beforeAll(async () => {
    tlsFiles = selfSignedCertificateFiles();
    trustCertificateInThisProcess(tlsFiles.cert);
    azurite = await startAzurite({ tls: tlsFiles, oauth: true });
    // seed blobs through the data plane (test side: shared key of the emulator)
    const seed = new BlobServiceClient(azurite.endpoint, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
    const weights = seed.getContainerClient('weights');
    await weights.create();
    const put = (name: string, data: Buffer) => weights.getBlockBlobClient(name).uploadData(data);
    const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    await put('v1/model.safetensors', Buffer.concat([len, header, Buffer.alloc(4)]));
    await put('v1/blob-without-extension', Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(60)]));
    await put('v1/README.md', Buffer.from('# not weights\n'));
    await put('v1/pytorch_model.bin', Buffer.alloc(32));

    const blobEndpoint = `${azurite.endpoint}/`;
    const secure = {
      publicNetworkAccess: 'Disabled', allowBlobPublicAccess: false, allowSharedKeyAccess: false, minimumTlsVersion: 'TLS1_2',
      networkAcls: { defaultAction: 'Deny', bypass: 'None' }, encryption: { keySource: 'Microsoft.Keyvault', keyvaultproperties: { keyname: 'k', keyvaulturi: 'https://kv.vault.azure.net/' } },
      primaryEndpoints: { blob: blobEndpoint },
    };
    const accounts = [
      {
        account: { id: id('rg-weights', 'goodweights'), name: 'goodweights', type: 'Microsoft.Storage/storageAccounts', location: 'westeurope', kind: 'StorageV2', tags: { workload: 'model-weights', owner: 'ml-platform' }, properties: secure },
        blobService: { properties: { deleteRetentionPolicy: { enabled: true, days: 7 }, containerDeleteRetentionPolicy: { enabled: true, days: 7 } } },
        containers: [{ name: 'weights', properties: { publicAccess: 'None' } }],
        privateEndpointConnections: [{ id: `${id('rg-weights', 'goodweights')}/privateEndpointConnections/pe1`, name: 'pe1', properties: { privateEndpoint: { id: '/x' }, privateLinkServiceConnectionState: { status: 'Approved' } } }],
        diagnosticSettings: [{ id: 'd1', name: 'reads', properties: { workspaceId: '/w', logs: [{ categoryGroup: 'allLogs', enabled: true }] } }],
      },
      {
        account: { id: id('rg-old', 'bareaccount'), name: 'bareaccount', type: 'Microsoft.Storage/storageAccounts', location: 'westeurope', kind: 'StorageV2', properties: {} },
        containers: [{ name: 'open', properties: { publicAccess: 'Container' } }],
      },
      ...Array.from({ length: 3 }, (_, i) => ({ account: { id: id('rg-many', `filler${i}`), name: `filler${i}`, type: 'Microsoft.Storage/storageAccounts', properties: { publicNetworkAccess: 'Disabled' } } })),
    ];
    arm = await startFakeArm({ cert: tlsFiles.cert, key: tlsFiles.key, subscriptionId: SUB, accounts, pageSize: 2, token });
  });

  afterAll(async () => {
    await arm?.close();
    await azurite?.stop();
    fs.rmSync(tlsFiles.dir, { recursive: true, force: true });
  });

  it('discovers every account across pages, reads properties through the SDKs, and evaluates them', async () => {
    const source = new AzureStorageSource({
      subscription: { subscriptionId: SUB, credential: staticCredential(token) },
      armEndpoint: arm.endpoint,
      listBlobs: true,
      maxMagicProbes: 10,
      concurrency: 2,
      logger: mockServices.logger.mock(),
    });
    const stores = await source.discover();
    expect(stores.map(s => s.name).sort()).toEqual(['bareaccount', 'filler0', 'filler1', 'filler2', 'goodweights']);
    const good = stores.find(s => s.name === 'goodweights')!;
    expect(good).toMatchObject({ id: 'storage-goodweights', resourceGroup: 'rg-weights', subscriptionId: SUB, owner: 'group:default/ml-platform', source: 'azure', demo: false });
    expect(good.error).toBeUndefined();
    const goodFindings = evaluateProject(good.project);
    expect(goodFindings.filter(f => f.status === 'fail')).toEqual([]);
    expect(goodFindings.length).toBeGreaterThanOrEqual(11);

    // weight files: by extension and by magic bytes; README and an empty .bin-named file
    const files = good.weights.map(w => [w.path, w.format, w.detectedBy]).sort();
    expect(files).toEqual([
      ['v1/blob-without-extension', 'gguf', 'magic'],
      ['v1/model.safetensors', 'safetensors', 'extension'],
      ['v1/pytorch_model.bin', 'pytorch-bin', 'extension'],
    ]);

    const bare = stores.find(s => s.name === 'bareaccount')!;
    const bareFails = new Set(evaluateProject(bare.project).filter(f => f.status === 'fail').map(f => f.controlId));
    for (const c of ['FG-STORAGE-PUBLIC-NETWORK', 'FG-STORAGE-SHARED-KEY', 'FG-STORAGE-ANONYMOUS-ACCESS', 'FG-STORAGE-MIN-TLS', 'FG-STORAGE-NETWORK-DEFAULT-DENY', 'FG-STORAGE-CMK', 'FG-STORAGE-BLOB-SOFT-DELETE', 'FG-STORAGE-READ-LOGS', 'FG-K8S-PRIVATE-LINK']) {
      expect(bareFails).toContain(c);
    }
    // the requests the SDKs made: paged list, blob service, containers, PE connections, diagnostics
    expect(arm.requests.filter(r => r.endsWith('/storageAccounts')).length).toBe(3);
    expect(arm.requests).toContain(`GET ${id('rg-weights', 'goodweights')}/blobServices/default/providers/Microsoft.Insights/diagnosticSettings`);
  });

  it('refuses a wrong token: the account list fails loudly, not silently empty', async () => {
    const source = new AzureStorageSource({
      subscription: { subscriptionId: SUB, credential: staticCredential('wrong') },
      armEndpoint: arm.endpoint,
      listBlobs: false,
      maxMagicProbes: 0,
      concurrency: 1,
      logger: mockServices.logger.mock(),
    });
    await expect(source.discover()).rejects.toThrow();
  });
});

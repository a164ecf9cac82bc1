import http from 'node:http';
import { AddressInfo } from 'node:net';
import { mockServices } from '@backstage/backend-test-utils';
import { WeightInventoryPosture } from './weightInventoryPosture';

describe('WeightInventoryPosture', () => {
  it('reads findings of one control on one entity with a service token; not-applicable is not assessed', async () => {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(`${req.url} ${req.headers.authorization ? 'token' : 'none'}`);
      const url = new URL(req.url!, 'http://x');
      res.setHeader('content-type', 'application/json');
      const control = url.searchParams.get('controlId');
      const byControl: Record<string, unknown[]> = {
        'FG-STORAGE-READ-LOGS': [{ controlId: control, findingKey: `${control}:storage-account/w1`, status: 'fail', message: 'read logging off', entityRef: url.searchParams.get('entityRef') }],
        'FG-STORAGE-CMK': [{ controlId: control, findingKey: `${control}:storage-account/w1`, status: 'not-applicable', message: '' }],
      };
      const items = byControl[control ?? ''] ?? [];
      res.end(JSON.stringify({ items }));
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/weight-inventory`;
      const posture = new WeightInventoryPosture({ getBaseUrl: async () => base }, mockServices.auth());
      expect(await posture.findings('resource:default/weights-frontier-7b', 'FG-STORAGE-READ-LOGS')).toEqual([
        { controlId: 'FG-STORAGE-READ-LOGS', findingKey: 'FG-STORAGE-READ-LOGS:storage-account/w1', status: 'fail', message: 'read logging off' },
      ]);
      expect(await posture.findings('resource:default/weights-frontier-7b', 'FG-STORAGE-CMK')).toBeUndefined();
      expect(await posture.findings('resource:default/weights-frontier-7b', 'FG-K8S-SECCOMP')).toBeUndefined();
      expect(seen[0]).toMatch(/entityRef=resource%3Adefault%2Fweights-frontier-7b/);
      expect(seen[0]).toMatch(/controlId=FG-STORAGE-READ-LOGS/);
      expect(seen.every(s => s.endsWith(' token'))).toBe(true);
    } finally {
      server.close();
    }
  });
});

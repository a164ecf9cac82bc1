import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import request from 'supertest';
import { createTriggersRouter, registerTriggerAuthPolicies } from './router';
import { FakeScanService } from './__testUtils__/harness';
import { startFakeHub } from '../sources/__testUtils__/fakeHub';

/**
 * Mounted in a real Backstage backend: webhooks are reachable without credentials (they
 * carry signatures), the Hugging Face proxy needs a Backstage token like every other route.
 */
async function backendWith(opts: {
  hubUrl: string;
  workDir: string;
  scanService: FakeScanService;
  permission?: AuthorizeResult.ALLOW | AuthorizeResult.DENY;
}) {
  const testPlugin = createBackendPlugin({
    pluginId: 'model-scan',
    register(env) {
      env.registerInit({
        deps: {
          httpRouter: coreServices.httpRouter,
          httpAuth: coreServices.httpAuth,
          permissions: coreServices.permissions,
          config: coreServices.rootConfig,
          logger: coreServices.logger,
          auditor: coreServices.auditor,
        },
        async init({
          httpRouter,
          httpAuth,
          permissions,
          config,
          logger,
          auditor,
        }) {
          registerTriggerAuthPolicies(httpRouter);
          httpRouter.use(
            await createTriggersRouter({
              scanService: opts.scanService,
              config,
              logger,
              auditor,
              httpAuth,
              permissions,
              sourceResolver: {
                resolve: async () => ({ files: [], cleanup: async () => {} }),
              },
            }),
          );
        },
      });
    },
  });
  return startTestBackend({
    features: [
      testPlugin,
      mockServices.permissions.factory({
        result: opts.permission ?? AuthorizeResult.ALLOW,
      }),
      mockServices.rootConfig.factory({
        data: {
          modelScan: {
            workDir: opts.workDir,
            huggingFace: { endpoint: opts.hubUrl },
          },
        },
      }),
    ],
  });
}

describe('trigger routes inside a Backstage backend', () => {
  it('the hub proxy refuses users without model-scan.scan.create', async () => {
    const workDir = await fs.promises.mkdtemp(
      path.join(os.tmpdir(), 'model-scan-perm-'),
    );
    const hub = await startFakeHub({
      'org/m': {
        sha: 'f'.repeat(40),
        files: { 'config.json': Buffer.from('{}') },
      },
    });
    const scanService = new FakeScanService();
    try {
      const denied = await backendWith({
        hubUrl: hub.url,
        workDir,
        scanService,
        permission: AuthorizeResult.DENY,
      });
      const res = await request(denied.server)
        .get('/api/model-scan/hf/org/m/resolve/main/config.json')
        .set(
          'Authorization',
          mockCredentials.user.header('user:default/alice'),
        );
      expect(res.status).toBe(403);
      expect(scanService.scannedFiles).toEqual([]);
      await denied.stop();
      const allowed = await backendWith({
        hubUrl: hub.url,
        workDir,
        scanService,
      });
      const ok = await request(allowed.server)
        .get('/api/model-scan/hf/org/m/resolve/main/config.json')
        .set(
          'Authorization',
          mockCredentials.user.header('user:default/alice'),
        );
      expect(ok.status).toBe(200);
      await allowed.stop();
    } finally {
      await hub.close();
      await fs.promises.rm(workDir, { recursive: true, force: true });
    }
  });

  it('webhooks are unauthenticated, the hub proxy requires credentials and records the user', async () => {
    const workDir = await fs.promises.mkdtemp(
      path.join(os.tmpdir(), 'model-scan-auth-'),
    );
    const sha = 'e'.repeat(40);
    const hub = await startFakeHub({
      'org/m': { sha, files: { 'config.json': Buffer.from('{}') } },
    });
    const scanService = new FakeScanService();
    const testPlugin = createBackendPlugin({
      pluginId: 'model-scan',
      register(env) {
        env.registerInit({
          deps: {
            httpRouter: coreServices.httpRouter,
            httpAuth: coreServices.httpAuth,
            config: coreServices.rootConfig,
            logger: coreServices.logger,
            auditor: coreServices.auditor,
          },
          async init({ httpRouter, httpAuth, config, logger, auditor }) {
            registerTriggerAuthPolicies(httpRouter);
            httpRouter.use(
              await createTriggersRouter({
                scanService,
                config,
                logger,
                auditor,
                httpAuth,
                sourceResolver: {
                  resolve: async () => ({ files: [], cleanup: async () => {} }),
                },
              }),
            );
          },
        });
      },
    });
    const { server } = await startTestBackend({
      features: [
        testPlugin,
        // requests without a token are anonymous (the mock default would be a signed-in user)
        mockServices.httpAuth.factory({
          defaultCredentials: mockCredentials.none(),
        }),
        mockServices.rootConfig.factory({
          data: {
            modelScan: {
              workDir,
              huggingFace: { endpoint: hub.url },
              webhooks: { huggingface: { secret: 'hook' } },
            },
          },
        }),
      ],
    });
    try {
      const body = JSON.stringify({
        event: { action: 'update', scope: 'repo.content' },
        repo: { type: 'model', name: 'org/m', headSha: sha },
        updatedRefs: [{ ref: 'refs/heads/main', newSha: sha }],
      });
      const hook = await request(server)
        .post('/api/model-scan/webhooks/huggingface')
        .set('Content-Type', 'application/json')
        .set('X-Webhook-Secret', 'hook')
        .send(body);
      expect(hook.status).toBe(202);
      expect(scanService.enqueued).toEqual([
        {
          target: `hf://org/m@${sha}`,
          trigger: 'webhook',
          requestedBy: 'webhook:huggingface',
        },
      ]);

      const anonymous = await request(server).get(
        '/api/model-scan/hf/org/m/resolve/main/config.json',
      );
      expect(anonymous.status).toBe(401);
      expect(scanService.scannedFiles).toEqual([]);

      const signedIn = await request(server)
        .get('/api/model-scan/hf/org/m/resolve/main/config.json')
        .set(
          'Authorization',
          mockCredentials.user.header('user:default/alice'),
        );
      expect(signedIn.status).toBe(200);
      expect(scanService.scannedFiles.map(f => f.requestedBy)).toEqual([
        'user:default/alice',
      ]);
      expect(
        crypto.createHash('sha256').update(signedIn.body).digest('hex'),
      ).toBe(crypto.createHash('sha256').update('{}').digest('hex'));
    } finally {
      await hub.close();
      await fs.promises.rm(workDir, { recursive: true, force: true });
    }
  });
});

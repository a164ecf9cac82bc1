import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  AccessProvisioner,
  accessProvisionersExtensionPoint,
} from '@internal/plugin-access-requests-node';
import { accessRequestsModuleProvisioners } from './module';

/** Stands in for the access-requests plugin: only collects what modules register. */
function collectingPlugin(collected: AccessProvisioner[]) {
  return createBackendPlugin({
    pluginId: 'access-requests',
    register(reg) {
      reg.registerExtensionPoint(accessProvisionersExtensionPoint, {
        addProvisioner: (...p) => collected.push(...p),
      });
      reg.registerInit({
        deps: { logger: coreServices.logger },
        async init() {},
      });
    },
  });
}

describe('accessRequestsModuleProvisioners', () => {
  it('registers only record-only when no provisioner is configured', async () => {
    const collected: AccessProvisioner[] = [];
    await startTestBackend({
      features: [
        collectingPlugin(collected),
        accessRequestsModuleProvisioners,
        catalogServiceMock.factory(),
        mockServices.rootConfig.factory({ data: {} }),
      ],
    });
    expect(collected.map(p => p.type)).toEqual(['record-only']);
    await expect(
      collected[0].provision({
        grantId: 'g1',
        userRef: 'user:default/alice',
        resource: {
          entityRef: 'resource:default/x',
          kind: 'Resource',
          annotations: {},
        },
        role: { id: 'r', title: 'R', allows: [], privilege: 1 },
        startsAt: '2026-01-01T00:00:00Z',
        expiresAt: '2026-01-01T01:00:00Z',
      }),
    ).resolves.toEqual({
      externalId: 'record-only:g1',
      details: { recordOnly: true },
    });
  });

  it('registers the Kubernetes and Azure provisioners from config', async () => {
    const collected: AccessProvisioner[] = [];
    await startTestBackend({
      features: [
        collectingPlugin(collected),
        accessRequestsModuleProvisioners,
        catalogServiceMock.factory(),
        mockServices.rootConfig.factory({
          data: {
            accessRequests: {
              provisioners: {
                kubernetes: {
                  clusters: [
                    {
                      name: 'gpu-east',
                      url: 'https://127.0.0.1:6443',
                      serviceAccountToken: 't',
                    },
                  ],
                },
                azure: {
                  subscriptionId: '00000000-1111-2222-3333-444444444444',
                  tenantId: 'tenant',
                  clientId: 'client',
                  clientSecret: 'secret',
                },
              },
            },
          },
        }),
      ],
    });
    expect(collected.map(p => p.type).sort()).toEqual([
      'azure-role-assignment',
      'kubernetes-rolebinding',
      'record-only',
    ]);
  });

  it('fails startup on a Kubernetes cluster without credentials', async () => {
    await expect(
      startTestBackend({
        features: [
          collectingPlugin([]),
          accessRequestsModuleProvisioners,
          catalogServiceMock.factory(),
          mockServices.rootConfig.factory({
            data: {
              accessRequests: {
                provisioners: {
                  kubernetes: {
                    clusters: [{ name: 'c', url: 'https://127.0.0.1:6443' }],
                  },
                },
              },
            },
          }),
        ],
      }),
    ).rejects.toThrow(/needs serviceAccountToken or tokenFile/);
  });
});

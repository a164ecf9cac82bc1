import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { TokenCredential } from '@azure/identity';
import { ProvisioningTarget } from '@internal/plugin-access-requests-node';
import { AzureRoleAssignmentProvisioner } from './azure';
import { createPrincipalIdResolver } from './module';
import { roleAssignmentNameForGrant, uuidV5 } from './names';
import {
  RecordedRequest,
  selfSignedCertificate,
  startHttpsServer,
} from '@internal/test-stand-ins';

const SUB = '00000000-1111-2222-3333-444444444444';
const SCOPE = `/subscriptions/${SUB}/resourceGroups/rg-weights/providers/Microsoft.Storage/storageAccounts/fgweights/blobServices/default/containers/frontier-7b`;
const READER_ID = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1`;
const ALICE_OID = 'aaaaaaaa-0000-0000-0000-00000000a11c';
const ARM_TOKEN = 'fake-arm-token';

/** Answers like Azure Resource Manager for role assignments and role definitions. */
function fakeArm() {
  const assignments = new Map<string, any>(); // key: full assignment id
  const forbiddenPrincipals = new Set<string>();
  const state = { deleteMissingStatus: 204 };
  const err = (status: number, code: string, message: string) => ({
    status,
    body: { error: { code, message } },
  });
  const handler = (req: RecordedRequest) => {
    if (req.headers.authorization !== `Bearer ${ARM_TOKEN}`) {
      return err(401, 'AuthenticationFailed', 'missing token');
    }
    if (req.query.get('api-version') !== '2022-04-01') {
      return err(400, 'InvalidApiVersionParameter', 'bad api-version');
    }
    const defs = req.path.match(
      /^(\/subscriptions\/.+)\/providers\/Microsoft\.Authorization\/roleDefinitions$/,
    );
    if (defs && req.method === 'GET') {
      const filter = req.query.get('$filter');
      const all = [
        {
          id: READER_ID,
          name: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
          type: 'Microsoft.Authorization/roleDefinitions',
          properties: {
            roleName: 'Storage Blob Data Reader',
            type: 'BuiltInRole',
          },
        },
        {
          id: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/b7e6dc6d-f1e8-4753-8033-0f276bb0955b`,
          name: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
          type: 'Microsoft.Authorization/roleDefinitions',
          properties: {
            roleName: 'Storage Blob Data Owner',
            type: 'BuiltInRole',
          },
        },
      ];
      const m = filter?.match(/^roleName eq '(.*)'$/);
      const value = m
        ? all.filter(d => d.properties.roleName === m[1].replace(/''/g, "'"))
        : all;
      return { status: 200, body: { value } };
    }
    const list = req.path.match(
      /^(\/subscriptions\/.+)\/providers\/Microsoft\.Authorization\/roleAssignments$/,
    );
    if (list && req.method === 'GET') {
      const pm = req.query.get('$filter')?.match(/^principalId eq '(.*)'$/);
      const value = [...assignments.values()].filter(
        a => !pm || a.properties.principalId === pm[1],
      );
      return { status: 200, body: { value } };
    }
    const ra = req.path.match(
      /^(\/subscriptions\/.+)\/providers\/Microsoft\.Authorization\/roleAssignments\/([^/]+)$/,
    );
    if (!ra) return err(404, 'NotFound', `no route ${req.method} ${req.path}`);
    const [, scope, name] = ra;
    const id = req.path;
    if (req.method === 'PUT') {
      const p = req.body?.properties ?? {};
      if (forbiddenPrincipals.has(p.principalId)) {
        return err(
          403,
          'AuthorizationFailed',
          `The client 'fg-provisioner' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '${scope}'`,
        );
      }
      for (const a of assignments.values()) {
        if (
          a.properties.scope === scope &&
          a.properties.principalId === p.principalId &&
          a.properties.roleDefinitionId === p.roleDefinitionId
        ) {
          return err(
            409,
            'RoleAssignmentExists',
            'The role assignment already exists.',
          );
        }
      }
      const stored = {
        id,
        name,
        type: 'Microsoft.Authorization/roleAssignments',
        properties: { ...p, scope },
      };
      assignments.set(id, stored);
      return { status: 201, body: stored };
    }
    if (req.method === 'DELETE') {
      const a = assignments.get(id);
      if (!a)
        return state.deleteMissingStatus === 204
          ? { status: 204 }
          : err(404, 'RoleAssignmentNotFound', 'not found');
      assignments.delete(id);
      return { status: 200, body: a };
    }
    return err(405, 'MethodNotAllowed', req.method);
  };
  return { assignments, forbiddenPrincipals, state, handler };
}

function target(
  overrides: Partial<ProvisioningTarget> = {},
): ProvisioningTarget {
  return {
    grantId: 'g-azure-1',
    requestId: 'r-1',
    userRef: 'user:default/alice',
    resource: {
      entityRef: 'resource:default/weights-frontier-7b',
      kind: 'Resource',
      type: 'weight-store',
      annotations: { 'frontier-guard.io/azure-scope': SCOPE },
    },
    role: {
      id: 'blob-reader',
      title: 'Storage Blob Data Reader',
      allows: ['blob:read', 'blob:list'],
      privilege: 1,
      provisioner: {
        type: 'azure-role-assignment',
        roleDefinitionName: 'Storage Blob Data Reader',
      },
    },
    startsAt: '2026-01-01T10:00:00.000Z',
    expiresAt: '2026-01-01T18:00:00.000Z',
    ...overrides,
  };
}

describe('AzureRoleAssignmentProvisioner (real @azure/arm-authorization against a local HTTPS Resource Manager)', () => {
  const tls = selfSignedCertificate();
  const arm = fakeArm();
  let server: Awaited<ReturnType<typeof startHttpsServer>>;
  let provisioner: AzureRoleAssignmentProvisioner;
  // Test-only credential: Entra ID is not reachable here; everything after the token is the real SDK pipeline.
  const credential: TokenCredential = {
    getToken: async () => ({
      token: ARM_TOKEN,
      expiresOnTimestamp: Date.now() + 3600_000,
    }),
  };
  const resolvePrincipalId = createPrincipalIdResolver({
    config: new ConfigReader({
      userPrincipals: [
        { userRef: 'user:default/alice', principalId: ALICE_OID },
      ],
    }),
    lookupAnnotation: async ref =>
      ref === 'user:default/erin'
        ? 'eeeeeeee-0000-0000-0000-00000000e41e'
        : undefined,
  });

  const makeProvisioner = () =>
    new AzureRoleAssignmentProvisioner({
      subscriptionId: SUB,
      credential,
      resourceManagerEndpoint: server.url,
      resolvePrincipalId,
      logger: mockServices.logger.mock(),
      // Trust the stand-in's self-signed CA through the SDK's own TLS option; no retries on 5xx.
      clientOptions: {
        tlsOptions: { ca: tls.cert },
        retryOptions: { maxRetries: 0 },
      },
    });

  beforeAll(async () => {
    server = await startHttpsServer(tls, arm.handler);
    provisioner = makeProvisioner();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
    arm.assignments.clear();
    arm.forbiddenPrincipals.clear();
    arm.state.deleteMissingStatus = 204;
  });

  it('resolves the role by name and PUTs a role assignment named by a UUID derived from the grant', async () => {
    const result = await provisioner.provision(target());
    const name = roleAssignmentNameForGrant('g-azure-1');
    expect(name).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(result.externalId).toBe(
      `${SCOPE}/providers/Microsoft.Authorization/roleAssignments/${name}`,
    );

    expect(server.requests.map(r => `${r.method} ${r.path}`)).toEqual([
      `GET ${SCOPE}/providers/Microsoft.Authorization/roleDefinitions`,
      `PUT ${SCOPE}/providers/Microsoft.Authorization/roleAssignments/${name}`,
    ]);
    const [list, put] = server.requests;
    expect(list.query.get('$filter')).toBe(
      "roleName eq 'Storage Blob Data Reader'",
    );
    expect(put.query.get('api-version')).toBe('2022-04-01');
    expect(put.headers.authorization).toBe(`Bearer ${ARM_TOKEN}`);
    expect(put.body).toEqual({
      properties: {
        roleDefinitionId: READER_ID,
        principalId: ALICE_OID,
        principalType: 'User',
        description:
          'Frontier Guard grant g-azure-1 for user:default/alice until 2026-01-01T18:00:00.000Z',
      },
    });
  });

  it('caches the role definition lookup and is idempotent: 409 RoleAssignmentExists counts as provisioned', async () => {
    const fresh = makeProvisioner();
    await fresh.provision(target());
    const again = await fresh.provision(target());
    expect(again.details).toMatchObject({ alreadyExisted: true });
    expect(
      server.requests.filter(r => r.path.endsWith('/roleDefinitions')),
    ).toHaveLength(1);
    expect(arm.assignments.size).toBe(1);
  });

  it('uses a role definition id from the policy without a lookup (bare GUID expanded to the subscription)', async () => {
    const t = target();
    t.role.provisioner = {
      type: 'azure-role-assignment',
      roleDefinitionId: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
    };
    await provisioner.provision(t);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0].body.properties.roleDefinitionId).toBe(
      `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/b7e6dc6d-f1e8-4753-8033-0f276bb0955b`,
    );
  });

  it('takes the principal id from the user entity annotation when config has no static mapping', async () => {
    await provisioner.provision(
      target({ grantId: 'g-erin', userRef: 'user:default/erin' }),
    );
    const put = server.requests.find(r => r.method === 'PUT')!;
    expect(put.body.properties.principalId).toBe(
      'eeeeeeee-0000-0000-0000-00000000e41e',
    );
  });

  it('a 403 from ARM makes provision throw a clear error and nothing is assigned', async () => {
    arm.forbiddenPrincipals.add(ALICE_OID);
    await expect(provisioner.provision(target())).rejects.toThrow(
      /Creating Azure role assignment for user:default\/alice at \/subscriptions\/.* failed: \(HTTP 403 AuthorizationFailed\) .*does not have authorization/,
    );
    expect(arm.assignments.size).toBe(0);
  });

  it('refuses unknown role names, users without principal id, and resources without a valid scope', async () => {
    const unknownRole = target();
    unknownRole.role.provisioner = {
      type: 'azure-role-assignment',
      roleDefinitionName: 'Owner',
    };
    await expect(provisioner.provision(unknownRole)).rejects.toThrow(
      /role definition 'Owner' not found/,
    );

    await expect(
      provisioner.provision(target({ userRef: 'user:default/mallory' })),
    ).rejects.toThrow(/No Azure principal id for user:default\/mallory/);

    const noScope = target();
    noScope.resource.annotations = {};
    await expect(provisioner.provision(noScope)).rejects.toThrow(
      /no 'frontier-guard.io\/azure-scope' annotation/,
    );

    const badScope = target();
    badScope.resource.annotations = {
      'frontier-guard.io/azure-scope': `/subscriptions/${SUB}/../../providers?x=1`,
    };
    await expect(provisioner.provision(badScope)).rejects.toThrow(
      /is not an Azure resource scope/,
    );
    expect(server.requests.filter(r => r.method === 'PUT')).toHaveLength(0);
  });

  it('deprovision DELETEs the assignment; a missing one (204 or 404) is fine', async () => {
    await provisioner.provision(target());
    await provisioner.deprovision(target());
    expect(arm.assignments.size).toBe(0);
    const del = server.requests.filter(r => r.method === 'DELETE');
    expect(del.map(r => r.path)).toEqual([
      `${SCOPE}/providers/Microsoft.Authorization/roleAssignments/${roleAssignmentNameForGrant(
        'g-azure-1',
      )}`,
    ]);
    await expect(provisioner.deprovision(target())).resolves.toBeUndefined();
    arm.state.deleteMissingStatus = 404;
    await expect(provisioner.deprovision(target())).resolves.toBeUndefined();
  });

  it('does not delete standing access it did not create', async () => {
    // alice already holds the reader role at this scope under an assignment someone else made
    const standingId = `${SCOPE}/providers/Microsoft.Authorization/roleAssignments/11111111-2222-3333-4444-555555555555`;
    arm.assignments.set(standingId, {
      id: standingId,
      name: '11111111-2222-3333-4444-555555555555',
      properties: {
        scope: SCOPE,
        principalId: ALICE_OID,
        roleDefinitionId: READER_ID,
      },
    });
    const res = await provisioner.provision(target());
    expect(res).toMatchObject({
      externalId: `standing:${standingId}`,
      details: { standingAccess: true },
    });
    await provisioner.deprovision({ ...target(), externalId: res.externalId });
    expect(arm.assignments.has(standingId)).toBe(true);
    expect(server.requests.filter(r => r.method === 'DELETE')).toHaveLength(0);
  });

  it('an overlapping grant of the same role takes over the existing Frontier Guard assignment, so the last grant removes it', async () => {
    const first = await provisioner.provision(target({ grantId: 'g-first' }));
    const second = await provisioner.provision(target({ grantId: 'g-second' }));
    expect(second.externalId).toBe(first.externalId);
    expect(second.details).toMatchObject({
      alreadyExisted: true,
      roleAssignmentName: roleAssignmentNameForGrant('g-first'),
    });
    expect(arm.assignments.size).toBe(1);
    // the backend keeps access while the second grant is active and deprovisions with its externalId
    await provisioner.deprovision({
      ...target({ grantId: 'g-second' }),
      externalId: second.externalId,
    });
    expect(arm.assignments.size).toBe(0);
    expect(
      server.requests.filter(r => r.method === 'DELETE').map(r => r.path),
    ).toEqual([first.externalId]);
  });

  it('derives name-based UUIDs per RFC 4122 (known vector)', () => {
    // uuid v5 of "www.example.com" in the DNS namespace
    expect(
      uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'),
    ).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });
});

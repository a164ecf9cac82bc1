import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { ProvisionerRegistry, builtInRecordOnlyProvisioner } from './ProvisionerRegistry';
import { CatalogDirectory, queryTerms } from './CatalogDirectory';
import { Notifier } from './Notifier';
import { ALICE, BOB, OWNERS, SEC, W7B, RecordingProvisioner, orgEntities, resourceEntities } from '../__testUtils__/fixtures';

describe('ProvisionerRegistry', () => {
  it('has the built-in record-only provisioner unless a module registered one', async () => {
    expect(new ProvisionerRegistry().get(undefined)).toBe(builtInRecordOnlyProvisioner);
    const mine = new RecordingProvisioner('record-only');
    expect(new ProvisionerRegistry([mine]).get('record-only')).toBe(mine);
  });
  it('refuses two provisioners of the same type', () => {
    expect(() => new ProvisionerRegistry([new RecordingProvisioner('x'), new RecordingProvisioner('x')])).toThrow(/already registered/);
  });
  it('aliases apply only when the original type is missing', () => {
    const azure = new RecordingProvisioner('azure-role-assignment');
    const aliased = new ProvisionerRegistry([], { 'azure-role-assignment': 'record-only' });
    expect(aliased.get('azure-role-assignment')).toBe(builtInRecordOnlyProvisioner);
    expect(new ProvisionerRegistry([azure], { 'azure-role-assignment': 'record-only' }).get('azure-role-assignment')).toBe(azure);
    expect(aliased.get('kubernetes-rolebinding')).toBeUndefined();
  });
});

describe('CatalogDirectory', () => {
  const directory = new CatalogDirectory(catalogServiceMock({ entities: [...orgEntities(), ...resourceEntities()] }), mockServices.auth());
  it('reads current group membership from the user entity', async () => {
    expect([...(await directory.currentGroups(BOB))]).toEqual([SEC]);
    expect(await directory.currentGroups(ALICE)).toContain(OWNERS);
    expect((await directory.currentGroups('user:default/nobody')).size).toBe(0);
    // a group ref is not a user
    expect((await directory.currentGroups(SEC)).size).toBe(0);
  });
  it('ranks requestable resources by free-text terms', async () => {
    const found = await directory.searchResources('I need to read the frontier 7b weights');
    expect(found[0].snapshot.entityRef).toBe(W7B);
    expect(found.every(r => r.policyName)).toBe(true);
    expect(await directory.searchResources('zzzz-nothing')).toEqual([]);
    expect(queryTerms('I need access to the 7B weights')).toEqual(['7b', 'weights']);
  });
  it('resolves the owner group and snapshot annotations', async () => {
    const r = await directory.getResource(W7B);
    expect(r).toMatchObject({ ownerRef: OWNERS, policyName: 'weights-frontier-7b', snapshot: { kind: 'Resource', type: 'weight-store' } });
    expect(r!.snapshot.annotations['frontier-guard.io/azure-scope']).toMatch(/containers\/frontier-7b$/);
  });
});

describe('CatalogDirectory display text', () => {
  it('makes bidi overrides and control characters in catalog titles and display names visible (U+FFFD)', async () => {
    const [alice, ...rest] = orgEntities();
    const hostile = {
      ...alice,
      metadata: { ...alice.metadata, title: 'x' },
      spec: { ...alice.spec, profile: { displayName: 'Alice \u202Enimda\u202C' } },
    };
    const res = resourceEntities().find(e => e.metadata.name === 'weights-frontier-7b')!;
    const hostileRes = { ...res, metadata: { ...res.metadata, title: 'Weights\u001b[2K 7B', description: 'multi\nline\u0000' } };
    const dir = new CatalogDirectory(catalogServiceMock({ entities: [hostile, ...rest, hostileRes] }), mockServices.auth());
    expect(await dir.displayName(ALICE)).toBe('Alice \ufffdnimda\ufffd');
    const r = await dir.getResource(W7B);
    expect(r!.title).toBe('Weights\ufffd[2K 7B');
    expect(r!.snapshot.title).toBe('Weights\ufffd[2K 7B');
    expect(r!.description).toBe('multi\nline\ufffd');
  });
});

describe('CatalogDirectory visibility', () => {
  it('asks with the caller credentials; reuses a positive answer per user for resourceCacheMs, never a negative one', async () => {
    let t = 0;
    const catalog = catalogServiceMock({ entities: [...orgEntities(), ...resourceEntities()] });
    const getEntityByRef = jest.spyOn(catalog, 'getEntityByRef');
    const dir = new CatalogDirectory(catalog, mockServices.auth(), { resourceCacheMs: 5000, now: () => t });
    const alice = mockCredentials.user(ALICE);
    const bob = mockCredentials.user(BOB);
    expect(await dir.isVisibleTo(W7B, alice)).toBe(true);
    expect(getEntityByRef).toHaveBeenLastCalledWith(W7B, { credentials: alice });
    expect(await dir.isVisibleTo(W7B, alice)).toBe(true);
    expect(getEntityByRef).toHaveBeenCalledTimes(1);
    expect(await dir.isVisibleTo(W7B, bob)).toBe(true); // another user: asked again
    expect(getEntityByRef).toHaveBeenCalledTimes(2);
    expect(await dir.isVisibleTo('resource:default/nope', alice)).toBe(false);
    expect(await dir.isVisibleTo('resource:default/nope', alice)).toBe(false);
    expect(getEntityByRef).toHaveBeenCalledTimes(4);
    t = 5000;
    expect(await dir.isVisibleTo(W7B, alice)).toBe(true);
    expect(getEntityByRef).toHaveBeenCalledTimes(5);
  });
});

describe('CatalogDirectory caching', () => {
  it('reuses a resource for resourceCacheMs but looks group membership up on every call', async () => {
    let t = 0;
    const catalog = catalogServiceMock({ entities: [...orgEntities(), ...resourceEntities()] });
    const getEntityByRef = jest.spyOn(catalog, 'getEntityByRef');
    const dir = new CatalogDirectory(catalog, mockServices.auth(), { resourceCacheMs: 5000, now: () => t });
    await dir.getResource(W7B);
    await dir.getResource(W7B);
    expect(getEntityByRef).toHaveBeenCalledTimes(1);
    t = 5000;
    await dir.getResource(W7B);
    expect(getEntityByRef).toHaveBeenCalledTimes(2);
    getEntityByRef.mockClear();
    await dir.currentGroups(ALICE);
    await dir.currentGroups(ALICE);
    expect(getEntityByRef).toHaveBeenCalledTimes(2);
  });
});

describe('CatalogDirectory notification recipients (usersOf)', () => {
  const g = (name: string, relations: Array<{ type: string; targetRef: string }>) => ({
    apiVersion: 'backstage.io/v1alpha1', kind: 'Group', metadata: { name, namespace: 'default' }, spec: { type: 'team', children: [] }, relations,
  });
  const entities = [
    ...orgEntities(),
    g('ml-platform', [{ type: 'hasMember', targetRef: 'user:default/pat' }, { type: 'parentOf', targetRef: 'group:default/ml-oncall' }]),
    g('ml-oncall', [{ type: 'hasMember', targetRef: 'user:default/quinn' }, { type: 'parentOf', targetRef: 'group:default/ml-platform' }]),
    { apiVersion: 'backstage.io/v1alpha1', kind: 'Resource', metadata: { name: 'bucket', namespace: 'default' }, spec: {}, relations: [{ type: 'ownedBy', targetRef: 'group:default/ml-platform' }] },
  ];

  it('resolves like the notifications backend: members, child groups (cycles included), owners, users as they are; unknown refs reach nobody', async () => {
    const dir = new CatalogDirectory(catalogServiceMock({ entities }), mockServices.auth());
    expect((await dir.usersOf([SEC])).sort()).toEqual([BOB, 'user:default/carol', 'user:default/mallory']);
    expect((await dir.usersOf(['group:default/ml-platform'])).sort()).toEqual(['user:default/pat', 'user:default/quinn']);
    expect((await dir.usersOf(['resource:default/bucket', ALICE])).sort()).toEqual([ALICE, 'user:default/pat', 'user:default/quinn']);
    expect(await dir.usersOf(['group:default/nobody'])).toEqual([]);
  });

  it('reuses a group for 5 s, then asks the catalog again (a member removed stops hearing)', async () => {
    const catalog = catalogServiceMock({ entities });
    const byRefs = jest.spyOn(catalog, 'getEntitiesByRefs');
    let t = 0;
    const dir = new CatalogDirectory(catalog, mockServices.auth(), { resourceCacheMs: 5000, now: () => t });
    await dir.usersOf([SEC]);
    t = 4999;
    await dir.usersOf([SEC]);
    expect(byRefs).toHaveBeenCalledTimes(1);
    byRefs.mockResolvedValueOnce({ items: [g('security-reviewers', [{ type: 'hasMember', targetRef: BOB }]) as any] });
    t = 5000;
    expect(await dir.usersOf([SEC])).toEqual([BOB]);
    expect(byRefs).toHaveBeenCalledTimes(2);
  });
});

describe('Notifier', () => {
  it('logs and swallows failures', async () => {
    const logger = mockServices.logger.mock();
    const n = new Notifier({ send: async () => { throw new Error('down'); } }, logger);
    await expect(n.send({ to: ALICE, title: 't' })).resolves.toBeUndefined();
    expect(logger.warn).toHaveBeenCalled();
  });

  it('dispatch does not wait for a slow send, never drops it, and drain waits for it', async () => {
    const logger = mockServices.logger.mock();
    let release!: () => void;
    const sent: string[] = [];
    const slow = {
      send: jest.fn(async (n: { payload: { title: string } }) => {
        await new Promise<void>(r => (release = r));
        sent.push(n.payload.title);
      }),
    };
    const n = new Notifier(slow as any, logger);
    n.dispatch({ to: ALICE, title: 'slow one' });
    expect(slow.send).toHaveBeenCalledTimes(1); // started at once
    expect(sent).toEqual([]); // but the caller did not wait for it
    let drained = false;
    const draining = n.drain().then(() => (drained = true));
    await new Promise(r => setImmediate(r));
    expect(drained).toBe(false);
    release();
    await draining;
    expect(sent).toEqual(['slow one']);
  });

  it('a dispatched send that fails is logged, not lost silently', async () => {
    const logger = mockServices.logger.mock();
    const n = new Notifier({ send: async () => { throw new Error('down'); } }, logger);
    n.dispatch({ to: ALICE, title: 'will fail' });
    await n.drain();
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('will fail'));
  });
});

import { Knex } from 'knex';
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';
import { AdjustableClock } from '../clock';
import { AccessStore } from '../store/AccessStore';
import { AccessRequestsService } from './AccessRequestsService';
import { CatalogDirectory } from './CatalogDirectory';
import { Notifier } from './Notifier';
import { ProvisionerRegistry } from './ProvisionerRegistry';
import { appRoutesFromConfig } from './appRoutes';
import {
  ALICE, BOB, CAROL, DAVE, ERIN, MALLORY, SEC, T0, W7B,
  RecordingProvisioner, orgEntities, recordingAuditor, resourceEntities, testPolicies,
} from '../__testUtils__/fixtures';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const DISPLAY: Record<string, string> = { alice: 'Alice Researcher', bob: 'Bob Reviewer', carol: 'Carol Reviewer', dave: 'Dave Admin' };

/**
 * A stand-in for the notifications backend's store as far as a recipient sees it: one
 * notification per (user, scope); a send with the same scope replaces the user's one and makes
 * it unread again (plugin-notifications-backend `restoreExistingNotification` sets `read: null`).
 * Groups are resolved as its default resolver does (members of the group).
 */
function inboxes(entities: Entity[]) {
  const byUser = new Map<string, Array<{ scope?: string; title: string; link?: string; read: boolean }>>();
  const members = (ref: string) =>
    ref.startsWith('user:')
      ? [ref]
      : (entities.find(e => `group:default/${e.metadata.name}` === ref)?.relations ?? []).filter(r => r.type === 'hasMember').map(r => r.targetRef);
  return {
    send: jest.fn(async (n: any) => {
      const excluded = [n.recipients.excludeEntityRef ?? []].flat();
      const users = new Set([n.recipients.entityRef].flat().flatMap(members).filter(u => !excluded.includes(u)));
      for (const u of users) {
        const list = byUser.get(u) ?? [];
        const existing = n.payload.scope ? list.find(x => x.scope === n.payload.scope) : undefined;
        if (existing) Object.assign(existing, { title: n.payload.title, link: n.payload.link, read: false });
        else list.push({ scope: n.payload.scope, title: n.payload.title, link: n.payload.link, read: false });
        byUser.set(u, list);
      }
    }),
    of: (user: string) => byUser.get(user) ?? [],
    markAllRead: (user: string) => (byUser.get(user) ?? []).forEach(x => (x.read = true)),
  };
}

async function setup(knex: Knex, options: { absolute?: boolean; resolveHere?: boolean; inbox?: boolean } = {}) {
  const clock = new AdjustableClock({ now: () => T0 });
  const logger = mockServices.logger.mock();
  const entities: Entity[] = [...orgEntities(), ...resourceEntities()].map(e =>
    e.kind === 'User' && DISPLAY[e.metadata.name]
      ? { ...e, spec: { ...e.spec, profile: { displayName: DISPLAY[e.metadata.name] } } }
      : e,
  );
  const notifications = options.inbox ? inboxes(entities) : { send: jest.fn(async (_: any) => {}) };
  const catalog = catalogServiceMock({ entities });
  const byRefs = jest.spyOn(catalog, 'getEntitiesByRefs');
  const directory = new CatalogDirectory(catalog, mockServices.auth());
  const notifier = new Notifier(notifications, logger, options.resolveHere ? { usersOf: refs => directory.usersOf(refs) } : {});
  const service = new AccessRequestsService({
    store: await AccessStore.create({ knex }),
    policies: await testPolicies(),
    directory,
    provisioners: new ProvisionerRegistry(['azure-role-assignment', 'kubernetes-rolebinding', 'record-only'].map(t => new RecordingProvisioner(t))),
    notifier,
    auditor: recordingAuditor(),
    logger,
    clock,
    appBaseUrl: 'https://portal.example/',
    appRoutes: appRoutesFromConfig(undefined),
    absoluteLinks: options.absolute,
  });
  const sent = async () => {
    await notifier.drain();
    return notifications.send.mock.calls.map(c => c[0]);
  };
  return { service, clock, sent, notifications, byRefs };
}

const as = (userRef: string) => ({ userRef });
const readerRequest = { resourceRef: W7B, roleId: 'blob-reader', durationMinutes: 60, justification: 'eval of 7b' };

describe.each(databases.eachSupportedId())('access-requests notifications on %p', databaseId => {
  let knex: Knex;
  beforeEach(async () => {
    knex = await databases.init(databaseId);
  });

  it('links to the app pages, names people by display name, and turns the review ask into "done" when decided', async () => {
    const { service, sent } = await setup(knex);
    const req = await service.createRequest(as(ALICE), readerRequest);
    let all = await sent();
    const ask = all.find(n => JSON.stringify(n.recipients.entityRef) === JSON.stringify([SEC]))!;
    expect(ask.payload.link).toBe(`/access/requests/${req.id}`);
    expect(ask.payload.title).toContain('Alice Researcher asks for');
    expect(ask.payload.title).not.toContain('user:default');
    expect(ask.payload.scope).toBe(`access-request:${req.id}`);

    await service.review(as(BOB), req.id, { decision: 'approve' });
    all = await sent();
    // bob's own ask is replaced (same scope) by a "done" one; the requester hears who approved
    const bobDone = all.find(n => n.recipients.entityRef === BOB);
    expect(bobDone.payload).toMatchObject({ scope: `access-request:${req.id}`, severity: 'low' });
    expect(bobDone.payload.title).toMatch(/^Done: you approved Alice Researcher's request/);
    expect(all.some(n => n.recipients.entityRef === ALICE && n.payload.title.startsWith('Bob Reviewer approved'))).toBe(true);

    await service.review(as(CAROL), req.id, { decision: 'deny', comment: 'No ticket for this evaluation' });
    all = await sent();
    const denied = all.filter(n => n.recipients.entityRef === ALICE).pop();
    expect(denied.payload.title).toContain('Carol Reviewer denied your request');
    expect(denied.payload.description).toBe('Reason: No ticket for this evaluation');
    expect(denied.payload.link).toBe(`/access/requests/${req.id}`);
    const groupDone = all.filter(n => JSON.stringify(n.recipients.entityRef) === JSON.stringify([SEC])).pop();
    expect(groupDone.payload).toMatchObject({ scope: `access-request:${req.id}`, severity: 'low' });
    // bob's notification already says "done" (he reviewed while it was pending): not replaced again
    expect(groupDone.recipients.excludeEntityRef).toEqual([ALICE, BOB]);
    expect(groupDone.payload.title).toMatch(/^Done: .* was denied/);
  });

  it('a withdrawn request clears the approvers\' ask; grant notifications link to the grant page', async () => {
    const { service, sent } = await setup(knex, { absolute: true });
    const req = await service.createRequest(as(ALICE), readerRequest);
    await service.withdraw(as(ALICE), req.id);
    const done = (await sent()).filter(n => n.payload.scope === `access-request:${req.id}`).pop();
    expect(done.payload.title).toMatch(/was withdrawn/);

    const grant = await service.breakGlass(as(DAVE), { resourceRef: W7B, roleId: 'blob-reader', durationMinutes: 30, justification: 'incident 42: restore eval' }, true);
    const bg = (await sent()).find(n => n.payload.severity === 'critical');
    expect(bg.payload.link).toBe(`https://portal.example/access/grants/${grant.id}`); // absolute when configured
    expect(bg.payload.title).toContain('Dave Admin took');

    await service.revokeGrant(as(BOB), grant.id, 'incident closed', true);
    const revoked = (await sent()).filter(n => n.recipients.entityRef === DAVE).pop();
    expect(revoked.payload.link).toBe(`https://portal.example/access/grants/${grant.id}`);
    expect(revoked.payload.title).toMatch(/^Bob Reviewer ended your .* access to /);
    expect(revoked.payload.description).toBe('Reason: incident closed');
  });

  it('a reviewer\'s "done" notification, once read, does not come back as unread when the request is decided', async () => {
    const { service, sent, notifications } = await setup(knex, { inbox: true });
    const inbox = notifications as ReturnType<typeof inboxes>;
    const req = await service.createRequest(as(ALICE), readerRequest);
    await sent();
    expect(inbox.of(BOB)).toEqual([expect.objectContaining({ scope: `access-request:${req.id}`, read: false })]);
    await service.review(as(BOB), req.id, { decision: 'approve' });
    await sent();
    expect(inbox.of(BOB)[0].title).toMatch(/^Done: you approved/);
    inbox.markAllRead(BOB);
    inbox.markAllRead(MALLORY); // read the ask, did not act

    await service.review(as(CAROL), req.id, { decision: 'approve' });
    await sent();
    expect(inbox.of(BOB)).toEqual([expect.objectContaining({ title: expect.stringMatching(/^Done: you approved/), read: true })]);
    // whoever had not reviewed learns there is nothing left to do (the ask must not stay as it was)
    expect(inbox.of(MALLORY)).toEqual([expect.objectContaining({ title: expect.stringMatching(/was approved\. Nothing left to do/), read: false })]);
    expect(inbox.of(CAROL)).toEqual([expect.objectContaining({ title: expect.stringMatching(/was approved\. Nothing left to do/), link: `/access/requests/${req.id}` })]);
    expect(inbox.of(ALICE).map(n => n.title)).toEqual([
      expect.stringMatching(/^Bob Reviewer approved your request/),
      expect.stringMatching(/^Carol Reviewer approved your request.*Your access is being set up/),
    ]);
  });

  it('resolving groups here: the same people, named as users, one catalog look-up for several sends', async () => {
    const viaBackend = await setup(knex, { inbox: true });
    const here = await setup(await databases.init(databaseId), { inbox: true, resolveHere: true });
    for (const { service, sent } of [viaBackend, here]) {
      const req = await service.createRequest(as(ALICE), readerRequest);
      await service.review(as(BOB), req.id, { decision: 'approve' });
      await service.review(as(CAROL), req.id, { decision: 'approve' });
      const other = await service.createRequest(as(ERIN), readerRequest);
      await service.withdraw(as(ERIN), other.id);
      await sent();
    }
    const titles = (s: typeof here, u: string) => (s.notifications as ReturnType<typeof inboxes>).of(u).map(n => [n.title.replace(/[0-9a-f-]{36}/g, ''), n.link?.replace(/[0-9a-f-]{36}/g, ''), n.read]);
    for (const u of [ALICE, ERIN, BOB, CAROL, MALLORY, DAVE]) {
      expect(titles(here, u)).toEqual(titles(viaBackend, u));
    }
    expect(titles(here, MALLORY)).toHaveLength(2); // mallory (security reviewer) heard of both requests
    const sends = here.notifications.send.mock.calls.map(c => c[0]);
    expect(sends.every(n => [n.recipients.entityRef].flat().every((r: string) => r.startsWith('user:')))).toBe(true);
    expect(sends.every(n => n.recipients.excludeEntityRef === undefined)).toBe(true);
    expect(sends[0].recipients.entityRef).toEqual([BOB, CAROL, MALLORY]);
    // the group was looked up once for the five group sends (reused for 5 s)
    expect(here.byRefs.mock.calls.filter(c => c[0].entityRefs.includes(SEC))).toHaveLength(1);
  });

  it('falls back to sending the groups as they are when the catalog cannot resolve them', async () => {
    const { service, sent, byRefs } = await setup(knex, { resolveHere: true });
    byRefs.mockRejectedValue(new Error('catalog unavailable'));
    const req = await service.createRequest(as(ALICE), readerRequest);
    const ask = (await sent()).find(n => n.payload.scope === `access-request:${req.id}`)!;
    expect(ask.recipients).toEqual({ type: 'entity', entityRef: [SEC], excludeEntityRef: ALICE });
  });
});

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
  ALICE, BOB, CAROL, DAVE, SEC, T0, W7B,
  RecordingProvisioner, orgEntities, recordingAuditor, resourceEntities, testPolicies,
} from '../__testUtils__/fixtures';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const DISPLAY: Record<string, string> = { alice: 'Alice Researcher', bob: 'Bob Reviewer', carol: 'Carol Reviewer', dave: 'Dave Admin' };

async function setup(knex: Knex, options: { absolute?: boolean } = {}) {
  const clock = new AdjustableClock({ now: () => T0 });
  const notifications = { send: jest.fn(async (_: any) => {}) };
  const logger = mockServices.logger.mock();
  const entities: Entity[] = [...orgEntities(), ...resourceEntities()].map(e =>
    e.kind === 'User' && DISPLAY[e.metadata.name]
      ? { ...e, spec: { ...e.spec, profile: { displayName: DISPLAY[e.metadata.name] } } }
      : e,
  );
  const notifier = new Notifier(notifications, logger);
  const service = new AccessRequestsService({
    store: await AccessStore.create({ knex }),
    policies: await testPolicies(),
    directory: new CatalogDirectory(catalogServiceMock({ entities }), mockServices.auth()),
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
  return { service, clock, sent };
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
});

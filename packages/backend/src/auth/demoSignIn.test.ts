import { mockServices } from '@backstage/backend-test-utils';
import { NotFoundError } from '@backstage/errors';
import { recordingAuditor } from '@internal/test-stand-ins';
import { createDemoSignInResolver, demoAuthenticator } from './demoSignIn';

describe('demo sign-in', () => {
  it('signs a demo user in as their catalog User and audits it', async () => {
    const auditor = recordingAuditor();
    const ctx = {
      signInWithCatalogUser: jest.fn(async () => ({
        token: 'backstage-token',
      })),
    } as any;
    await expect(
      createDemoSignInResolver(auditor)(
        { result: { userName: 'alice' }, profile: {} },
        ctx,
      ),
    ).resolves.toEqual({ token: 'backstage-token' });
    expect(ctx.signInWithCatalogUser).toHaveBeenCalledWith({
      entityRef: { kind: 'User', namespace: 'default', name: 'alice' },
    });
    expect(auditor.events).toEqual([
      expect.objectContaining({
        eventId: 'demo-sign-in',
        meta: { userName: 'alice' },
        outcome: 'success',
      }),
    ]);
  });

  it('refuses a user missing from the catalog and audits the failure', async () => {
    const auditor = recordingAuditor();
    const ctx = {
      signInWithCatalogUser: jest.fn(async () => {
        throw new NotFoundError('User not found');
      }),
    } as any;
    await expect(
      createDemoSignInResolver(auditor)(
        { result: { userName: 'mallory' }, profile: {} },
        ctx,
      ),
    ).rejects.toThrow('User not found');
    expect(auditor.events).toEqual([
      expect.objectContaining({
        eventId: 'demo-sign-in',
        meta: { userName: 'mallory' },
        outcome: 'fail',
        error: 'User not found',
      }),
    ]);
  });

  it('takes the profile from the catalog User, else the user name', async () => {
    const ctx = {
      findCatalogUser: jest.fn(async () => ({
        entity: {
          spec: {
            profile: {
              displayName: 'Alice Example',
              email: 'alice@example.com',
            },
          },
        },
      })),
    } as any;
    await expect(
      demoAuthenticator.defaultProfileTransform({ userName: 'alice' }, ctx),
    ).resolves.toEqual({
      profile: {
        displayName: 'Alice Example',
        email: 'alice@example.com',
        picture: undefined,
      },
    });
    const missing = {
      findCatalogUser: jest.fn(async () => {
        throw new NotFoundError('User not found');
      }),
    } as any;
    await expect(
      demoAuthenticator.defaultProfileTransform({ userName: 'erin' }, missing),
    ).resolves.toEqual({ profile: { displayName: 'erin' } });
  });

  it('refuses a name that is not a configured demo user', async () => {
    const users = demoAuthenticator.initialize({
      config: mockServices.rootConfig({ data: { users: ['alice'] } }),
    });
    const req = (name?: string) => ({ header: () => name } as any);
    await expect(
      demoAuthenticator.authenticate({ req: req('alice') }, users),
    ).resolves.toEqual({ result: { userName: 'alice' } });
    await expect(
      demoAuthenticator.authenticate({ req: req('mallory') }, users),
    ).rejects.toThrow(/not a demo user/);
    await expect(
      demoAuthenticator.authenticate({ req: req(undefined) }, users),
    ).rejects.toThrow(/needs the x-frontier-guard-demo-user header/);
  });
});

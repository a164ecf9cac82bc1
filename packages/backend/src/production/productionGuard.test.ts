import { ConfigReader } from '@backstage/config';
import { assertProductionSafe, demoOnlySettings, isDemoSignInAllowed, isProduction, unsafeProductionSettings } from './productionGuard';

const demo = {
  auth: { environment: 'development', providers: { demo: { users: ['dave'] } } },
  frontierGuard: { signIn: 'demo' },
  accessRequests: { provisionerAliases: { 'azure-role-assignment': 'record-only' } },
  catalog: { locations: [{ type: 'file', target: '../../catalog/org.yaml' }] },
};

describe('production guard', () => {
  it('allows the demo sign-in only with signIn demo, auth.environment development and NODE_ENV not production', () => {
    expect(isDemoSignInAllowed(new ConfigReader(demo), { NODE_ENV: 'development' })).toBe(true);
    expect(isDemoSignInAllowed(new ConfigReader(demo), {})).toBe(true);
    expect(isDemoSignInAllowed(new ConfigReader(demo), { NODE_ENV: 'production' })).toBe(false);
    expect(isDemoSignInAllowed(new ConfigReader({ ...demo, auth: { environment: 'production' } }), {})).toBe(false);
    expect(isDemoSignInAllowed(new ConfigReader({ ...demo, auth: {} }), {})).toBe(false);
    expect(isDemoSignInAllowed(new ConfigReader({ ...demo, frontierGuard: { signIn: 'microsoft' } }), {})).toBe(false);
  });

  it('is production with either auth.environment production or NODE_ENV=production', () => {
    expect(isProduction(new ConfigReader({ auth: { environment: 'production' } }), {})).toBe(true);
    expect(isProduction(new ConfigReader({ auth: { environment: 'development' } }), { NODE_ENV: 'production' })).toBe(true);
    expect(isProduction(new ConfigReader({ auth: { environment: 'development' } }), { NODE_ENV: 'development' })).toBe(false);
  });

  it('names every demo-only setting', () => {
    const found = demoOnlySettings(
      new ConfigReader({
        ...demo,
        auth: { environment: 'development', providers: { demo: {}, guest: {} } },
        accessRequests: { ...demo.accessRequests, testing: { allowClockControl: true } },
        policyExceptions: { testing: { allowClockControl: true } },
        weightInventory: { demo: { enabled: true } },
      }),
      { NODE_ENV: 'production' },
    ).join('\n');
    for (const setting of [
      'frontierGuard.signIn',
      'auth.providers.demo',
      'auth.providers.guest',
      'auth.environment is "development" while NODE_ENV=production',
      'provisionerAliases.azure-role-assignment',
      'accessRequests.testing.allowClockControl',
      'policyExceptions.testing.allowClockControl',
      'weightInventory.demo.enabled',
      'catalog/org.yaml',
    ]) {
      expect(found).toContain(setting);
    }
  });

  it('refuses demo settings in production and accepts them in development', () => {
    expect(() => assertProductionSafe(new ConfigReader({ ...demo, auth: { ...demo.auth, environment: 'production' } }), {})).toThrow(
      /Refusing to start: demo-only settings.*auth\.providers\.demo/,
    );
    expect(() => assertProductionSafe(new ConfigReader(demo), { NODE_ENV: 'production' })).toThrow(/frontierGuard\.signIn/);
    expect(() => assertProductionSafe(new ConfigReader(demo), { NODE_ENV: 'development' })).not.toThrow();
    expect(() =>
      assertProductionSafe(
        new ConfigReader({
          auth: { environment: 'production', providers: { microsoft: {} } },
          frontierGuard: { signIn: 'microsoft' },
          catalog: { locations: [{ type: 'file', target: './catalog-info.yaml' }] },
          permission: { enabled: true },
        }),
        { NODE_ENV: 'production' },
      ),
    ).not.toThrow();
  });
  it('refuses each new family\'s demo or test-only setting on its own in production, and not when off', () => {
    const prod = { auth: { environment: 'production' }, frontierGuard: { signIn: 'microsoft' } };
    for (const [setting, name] of [
      [{ weightInventory: { demo: { enabled: true } } }, 'weightInventory.demo.enabled'],
      [{ policyExceptions: { testing: { allowClockControl: true } } }, 'policyExceptions.testing.allowClockControl'],
    ] as const) {
      expect(() => assertProductionSafe(new ConfigReader({ ...prod, ...setting }), {})).toThrow(name);
      expect(demoOnlySettings(new ConfigReader({ ...prod, ...setting }), {})).toHaveLength(1);
    }
    const demoShipper = { backend: { auth: { externalAccess: [{ type: 'static', options: { token: 'demo-log-shipper-token-not-secret', subject: 'log-shipper' } }] } } };
    expect(() => assertProductionSafe(new ConfigReader({ ...prod, ...demoShipper }), {})).toThrow('demo log-shipper token');
    expect(demoOnlySettings(new ConfigReader({ ...prod, ...demoShipper }), {})).toHaveLength(1);
    const off = {
      weightInventory: { demo: { enabled: false } },
      policyExceptions: { testing: { allowClockControl: false } },
      // a production log shipper's own token is fine
      backend: { auth: { externalAccess: [{ type: 'static', options: { token: 'a-real-secret-from-the-vault', subject: 'log-shipper' } }] } },
    };
    expect(demoOnlySettings(new ConfigReader({ ...prod, ...off }), {})).toEqual([]);
  });

  it('refuses a production configuration that switches access control off (found by starting one: it ran, the catalog answered without credentials)', () => {
    const prod = { auth: { environment: 'production' }, frontierGuard: { signIn: 'microsoft' }, permission: { enabled: true } };
    expect(unsafeProductionSettings(new ConfigReader(prod))).toEqual([]);
    expect(() => assertProductionSafe(new ConfigReader(prod), {})).not.toThrow();
    for (const [setting, name] of [
      [{ permission: { enabled: false } }, 'permission.enabled is not true'],
      [{ permission: {} }, 'permission.enabled is not true'],
      [{ backend: { auth: { dangerouslyDisableDefaultAuthPolicy: true } } }, 'backend.auth.dangerouslyDisableDefaultAuthPolicy is true'],
    ] as const) {
      const config = new ConfigReader({ ...prod, ...setting });
      expect(() => assertProductionSafe(config, {})).toThrow(`Refusing to start: unsafe settings in a production configuration`);
      expect(() => assertProductionSafe(config, {})).toThrow(name);
      // the same settings in development (the demo, tests) are left alone
      expect(() => assertProductionSafe(new ConfigReader({ ...setting, auth: { environment: 'development' } }), { NODE_ENV: 'development' })).not.toThrow();
    }
    // demo and unsafe settings together: named together, under the demo-only heading
    expect(() => assertProductionSafe(new ConfigReader({ ...prod, ...demo, auth: { environment: 'production' }, permission: { enabled: false } }), {})).toThrow(
      /Refusing to start: demo-only settings.*frontierGuard\.signIn.*permission\.enabled is not true/,
    );
  });
});

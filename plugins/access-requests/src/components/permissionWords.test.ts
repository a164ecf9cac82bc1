import { describeAllows, describeAllowsText, describePolicyKind } from './permissionWords';

describe('describeAllows', () => {
  it('joins verbs on the same thing and keeps the exact values with each phrase', () => {
    expect(describeAllows(['pods:get', 'pods:list', 'nodes:list', 'events:list'])).toEqual([
      { text: 'Read and list pods', permissions: ['pods:get', 'pods:list'] },
      { text: 'List nodes', permissions: ['nodes:list'] },
      { text: 'List events', permissions: ['events:list'] },
    ]);
  });

  it('says what storage and registry roles allow in words', () => {
    expect(describeAllowsText(['blob:read', 'blob:list', 'blob:write', 'blob:delete'])).toBe('Read, list, change and delete files');
    expect(describeAllowsText(['models:read', 'models:list', 'models:write', 'models:transition'])).toBe(
      'Read, list and change models, move models between stages',
    );
  });

  it('gives verbs with their own shape their own phrase', () => {
    expect(describeAllowsText(['pods:get', 'pods:log', 'pods:exec', 'deployments:write'])).toBe(
      'Read pods, read pod logs, run commands in pods, change deployments',
    );
  });

  it('calls "*" full control, and "<thing>:*" full control of that thing', () => {
    expect(describeAllows(['*'])).toEqual([{ text: 'Full control (every action on everything)', permissions: ['*'] }]);
    expect(describeAllowsText(['secrets:*'])).toBe('Full control of secrets');
  });

  it('turns verbs and nouns it does not know into words, never raw keys', () => {
    expect(describeAllowsText(['models:promote'])).toBe('Promote models');
    expect(describeAllowsText(['feature_store:re-index'])).toBe('Re index feature store');
    expect(describeAllowsText(['read'])).toBe('Read');
    for (const a of describeAllows(['x-y:z_w', 'a.b:c', 'q'])) expect(a.text).not.toMatch(/[:_]/);
  });

  it('does not repeat a verb named twice and skips empty values', () => {
    expect(describeAllows(['pods:get', 'pods:read', '', ' '])).toEqual([{ text: 'Read pods', permissions: ['pods:get', 'pods:read'] }]);
    expect(describeAllowsText([])).toBe('Nothing');
  });
});

describe('describePolicyKind', () => {
  it('explains the kinds', () => {
    expect(describePolicyKind('rigid')).toMatch(/^fixed approvers/);
    expect(describePolicyKind('flexible')).toMatch(/owning team approves/);
  });
});

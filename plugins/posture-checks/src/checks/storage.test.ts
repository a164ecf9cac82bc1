import * as path from 'node:path';
import { loadProject } from '../adapters/load';
import { storageAccountFromLive } from '../adapters/live';
import { expandTemplate } from '../adapters/arm/template';
import { storageAccountsFromArm } from '../adapters/arm/storageModel';
import { storageAccountsFromTerraform, terraformResources } from '../adapters/terraform';
import { resolveConfig } from '../config';
import { evaluateProject } from '../engine';
import type { Finding, StorageAccountModel } from '../types';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures');

const STORAGE_CONTROLS = [
  'FG-STORAGE-PUBLIC-NETWORK', 'FG-K8S-PRIVATE-LINK', 'FG-STORAGE-SHARED-KEY', 'FG-STORAGE-ANONYMOUS-ACCESS', 'FG-STORAGE-MIN-TLS',
  'FG-STORAGE-NETWORK-DEFAULT-DENY', 'FG-STORAGE-CMK', 'FG-STORAGE-BLOB-SOFT-DELETE', 'FG-STORAGE-CONTAINER-SOFT-DELETE', 'FG-STORAGE-READ-LOGS',
];

function evalAccounts(accounts: StorageAccountModel[], cfg = resolveConfig({})): Finding[] {
  return evaluateProject({ storageAccounts: accounts, kubernetes: [] }, cfg);
}

function statusOf(findings: Finding[], account: string, controlId: string, subject = `storage-account/${account}`) {
  return findings.filter(f => f.controlId === controlId && f.subject.key === subject).map(f => f.status);
}

function arm(resources: unknown[], parameters: Record<string, unknown> = {}) {
  const template = { $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#', contentVersion: '1.0.0.0', parameters: { name: { type: 'string', defaultValue: 'acct1' } }, resources };
  return storageAccountsFromArm(expandTemplate(template, parameters, { file: 't.json' }));
}

describe('ARM: every storage check on compliant and insecure-default accounts', () => {
  it('passes every check on the compliant template with its parameters file', async () => {
    const { project, errors } = await loadProject([path.join(FIXTURES, 'arm', 'storage-compliant.json'), path.join(FIXTURES, 'arm', 'storage-compliant.parameters.json')]);
    expect(errors).toEqual([]);
    const findings = evalAccounts(project.storageAccounts);
    const name = project.storageAccounts[0].name;
    expect(name).toMatch(/^weights[a-z2-7]{13}$/); // parameters file value + uniqueString
    for (const c of STORAGE_CONTROLS) expect(statusOf(findings, name, c)).toEqual(['pass']);
    expect(statusOf(findings, name, 'FG-STORAGE-ANONYMOUS-ACCESS', `storage-account/${name}/container/checkpoints`)).toEqual(['pass']);
  });

  it('fails every check when every property is absent (platform defaults)', async () => {
    const { project } = await loadProject([path.join(FIXTURES, 'arm', 'storage-defaults.json')]);
    const findings = evalAccounts(project.storageAccounts);
    for (const c of STORAGE_CONTROLS) expect(statusOf(findings, 'legacyweights', c)).toEqual(['fail']);
    const pna = findings.find(f => f.controlId === 'FG-STORAGE-PUBLIC-NETWORK')!;
    expect(pna.path).toBe('properties.publicNetworkAccess');
    expect(pna.message).toMatch(/absent/);
    expect(pna.location).toMatchObject({ line: 5, pointer: 'resources[0]' });
    const container = findings.find(f => f.subject.key === 'storage-account/legacyweights/container/public-models')!;
    expect(container).toMatchObject({ status: 'fail', path: 'properties.publicAccess', location: { line: 14 } });
  });

  it('evaluates a languageVersion 2.0 Bicep template: symbolic resources, copy, existing, inner-scope module', async () => {
    const { project } = await loadProject([path.join(FIXTURES, 'arm', 'bicep-symbolic.json')]);
    expect(project.storageAccounts).toHaveLength(1);
    const a = project.storageAccounts[0];
    expect(a.name).toMatch(/^fgweights[a-z2-7]{6}$/);
    const findings = evalAccounts(project.storageAccounts);
    expect(statusOf(findings, a.name, 'FG-STORAGE-MIN-TLS')).toEqual(['fail']); // object parameter .tls
    expect(statusOf(findings, a.name, 'FG-STORAGE-CMK')).toEqual(['fail']); // if(false)
    expect(statusOf(findings, a.name, 'FG-STORAGE-ANONYMOUS-ACCESS')).toEqual(['pass']); // not(true())
    expect(statusOf(findings, a.name, 'FG-STORAGE-ANONYMOUS-ACCESS', `storage-account/${a.name}/container/release`)).toEqual(['fail']);
    expect(statusOf(findings, a.name, 'FG-STORAGE-ANONYMOUS-ACCESS', `storage-account/${a.name}/container/raw`)).toEqual(['pass']);
    expect(statusOf(findings, a.name, 'FG-STORAGE-READ-LOGS')).toEqual(['pass']); // allLogs via scope
    expect(statusOf(findings, a.name, 'FG-STORAGE-BLOB-SOFT-DELETE')).toEqual(['pass']);
    expect(statusOf(findings, a.name, 'FG-STORAGE-CONTAINER-SOFT-DELETE')).toEqual(['fail']);
    const pe = findings.find(f => f.controlId === 'FG-K8S-PRIVATE-LINK')!;
    expect(pe.status).toBe('fail'); // manual connection from the module: Pending
    expect(pe.message).toMatch(/Pending/);
  });

  it('reads top-level child resources, private endpoint connections and account-level diagnostics', () => {
    const accounts = arm([
      { type: 'Microsoft.Storage/storageAccounts', name: "[parameters('name')]", properties: { publicNetworkAccess: 'Disabled' } },
      { type: 'Microsoft.Storage/storageAccounts/privateEndpointConnections', name: "[concat(parameters('name'), '/pec1')]", properties: { privateLinkServiceConnectionState: { status: 'Approved' } } },
      { type: 'Microsoft.Storage/storageAccounts/providers/diagnosticSettings', name: "[concat(parameters('name'), '/Microsoft.Insights/acct')]", properties: { logs: [{ category: 'StorageRead', enabled: true }] } },
    ]);
    const f = evalAccounts(accounts);
    expect(statusOf(f, 'acct1', 'FG-K8S-PRIVATE-LINK')).toEqual(['pass']);
    expect(statusOf(f, 'acct1', 'FG-STORAGE-READ-LOGS')).toEqual(['fail']); // not on the blob service
    expect(statusOf(f, 'acct1', 'FG-STORAGE-PUBLIC-NETWORK')).toEqual(['pass']);
  });

  it('evaluates an outer-scope nested deployment with the parent parameters', () => {
    const accounts = arm([
      {
        type: 'Microsoft.Resources/deployments', name: 'nested', properties: {
          mode: 'Incremental',
          template: { resources: [{ type: 'Microsoft.Storage/storageAccounts', name: "[parameters('name')]", properties: { allowSharedKeyAccess: "[equals(parameters('name'), 'nope')]" } }] },
        },
      },
    ], { name: 'outer1' });
    expect(accounts.map(a => a.name)).toEqual(['outer1']);
    expect(statusOf(evalAccounts(accounts), 'outer1', 'FG-STORAGE-SHARED-KEY')).toEqual(['pass']);
  });

  it('skips resources whose condition is false and a value only known at deployment fails', () => {
    const accounts = arm([
      { condition: false, type: 'Microsoft.Storage/storageAccounts', name: 'skipped', properties: {} },
      { type: 'Microsoft.Storage/storageAccounts', name: 'deploytime', properties: { minimumTlsVersion: "[reference('x').tls]" } },
    ]);
    expect(accounts.map(a => a.name)).toEqual(['deploytime']);
    const f = evalAccounts(accounts).find(x => x.controlId === 'FG-STORAGE-MIN-TLS')!;
    expect(f.status).toBe('fail');
    expect(f.message).toMatch(/not resolvable/);
  });

  it('narrows weight stores by tag', () => {
    const accounts = arm([
      { type: 'Microsoft.Storage/storageAccounts', name: 'a', tags: { workload: 'model-weights' }, properties: {} },
      { type: 'Microsoft.Storage/storageAccounts', name: 'b', tags: { workload: 'logs' }, properties: {} },
    ]);
    const f = evalAccounts(accounts, resolveConfig({ storage: { weightStoreTags: { workload: 'model-weights' } } }));
    expect(new Set(f.map(x => x.subject.key.split('/')[1]))).toEqual(new Set(['a']));
  });
});

describe('Terraform plan: storage', () => {
  it('reads child modules, for_each containers, references, and ignores destroyed resources', async () => {
    const { project } = await loadProject([path.join(FIXTURES, 'terraform', 'plan-modules.json')]);
    expect(project.storageAccounts.map(a => a.name).sort()).toEqual(['fglegacyweights', 'fgweights01']);
    const f = evalAccounts(project.storageAccounts);
    for (const c of STORAGE_CONTROLS) expect(statusOf(f, 'fgweights01', c)).toEqual(['pass']);
    for (const c of STORAGE_CONTROLS) expect(statusOf(f, 'fglegacyweights', c)).toEqual(['fail']);
    expect(statusOf(f, 'fgweights01', 'FG-STORAGE-ANONYMOUS-ACCESS', 'storage-account/fgweights01/container/public')).toEqual(['fail']);
    const anon = f.find(x => x.controlId === 'FG-STORAGE-ANONYMOUS-ACCESS' && x.subject.key === 'storage-account/fglegacyweights')!;
    expect(anon.path).toBe('allow_blob_public_access'); // older attribute name
    expect(anon.location?.pointer).toBe('planned_values.root_module.resources[0]');
    expect(anon.location?.line).toBe(7);
  });

  it('uses resource_changes when there are no planned values, skipping deletes', () => {
    const plan = {
      format_version: '1.2',
      resource_changes: [
        { address: 'azurerm_storage_account.gone', mode: 'managed', type: 'azurerm_storage_account', name: 'gone', change: { actions: ['delete'], before: { name: 'gone' }, after: null } },
        { address: 'azurerm_storage_account.new', mode: 'managed', type: 'azurerm_storage_account', name: 'new', change: { actions: ['delete', 'create'], after: { name: 'replaced', public_network_access_enabled: false, shared_access_key_enabled: true } } },
      ],
    };
    const accounts = storageAccountsFromTerraform(plan, terraformResources(plan, 'p.json'));
    expect(accounts.map(a => a.name)).toEqual(['replaced']);
    const f = evalAccounts(accounts);
    expect(statusOf(f, 'replaced', 'FG-STORAGE-PUBLIC-NETWORK')).toEqual(['pass']);
    expect(statusOf(f, 'replaced', 'FG-STORAGE-SHARED-KEY')).toEqual(['fail']);
  });

  it('links separate network-rules, CMK, container (by name) and manual private endpoint resources', () => {
    const plan = {
      format_version: '1.2',
      planned_values: {
        root_module: {
          resources: [
            { address: 'azurerm_storage_account.a', mode: 'managed', type: 'azurerm_storage_account', name: 'a', values: { name: 'acct', id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct' } },
            { address: 'azurerm_storage_account_network_rules.a', mode: 'managed', type: 'azurerm_storage_account_network_rules', name: 'a', values: { storage_account_id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct', default_action: 'Deny' } },
            { address: 'azurerm_storage_account_customer_managed_key.a', mode: 'managed', type: 'azurerm_storage_account_customer_managed_key', name: 'a', values: { storage_account_id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct', key_name: 'k' } },
            { address: 'azurerm_storage_container.c', mode: 'managed', type: 'azurerm_storage_container', name: 'c', values: { name: 'c', storage_account_name: 'acct', container_access_type: 'container' } },
            { address: 'azurerm_private_endpoint.pe', mode: 'managed', type: 'azurerm_private_endpoint', name: 'pe', values: { private_service_connection: [{ name: 'x', is_manual_connection: true, private_connection_resource_id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct', subresource_names: ['blob'] }] } },
            { address: 'azurerm_monitor_diagnostic_setting.d', mode: 'managed', type: 'azurerm_monitor_diagnostic_setting', name: 'd', values: { name: 'd', target_resource_id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default', log: [{ category: 'StorageWrite', enabled: true }] } },
          ],
        },
      },
    };
    const f = evalAccounts(storageAccountsFromTerraform(plan, terraformResources(plan, 'p.json')));
    expect(statusOf(f, 'acct', 'FG-STORAGE-NETWORK-DEFAULT-DENY')).toEqual(['pass']);
    expect(statusOf(f, 'acct', 'FG-STORAGE-CMK')).toEqual(['pass']);
    expect(statusOf(f, 'acct', 'FG-STORAGE-ANONYMOUS-ACCESS', 'storage-account/acct/container/c')).toEqual(['fail']);
    expect(statusOf(f, 'acct', 'FG-K8S-PRIVATE-LINK')).toEqual(['fail']);
    expect(statusOf(f, 'acct', 'FG-STORAGE-READ-LOGS')).toEqual(['fail']); // write logs only
  });
});

describe('live shapes (@azure/arm-storage deserialized)', () => {
  it('maps JS names and treats null as absent', () => {
    const good = storageAccountFromLive({
      account: {
        id: '/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/live1', name: 'live1',
        publicNetworkAccess: 'Disabled', allowBlobPublicAccess: false, allowSharedKeyAccess: false, minimumTlsVersion: 'TLS1_2',
        networkRuleSet: { defaultAction: 'Deny' }, encryption: { keySource: 'Microsoft.Keyvault' },
        privateEndpointConnections: [{ name: 'p', privateLinkServiceConnectionState: { status: 'Approved' } }],
      },
      blobService: { deleteRetentionPolicy: { enabled: true }, containerDeleteRetentionPolicy: { enabled: true } },
      containers: [{ name: 'w', publicAccess: 'None' }],
      blobDiagnosticSettings: [{ name: 'd', logs: [{ categoryGroup: 'allLogs', enabled: true }] }],
    });
    expect(good).toMatchObject({ subscriptionId: 's1', resourceGroup: 'rg1' });
    const f = evalAccounts([good]);
    expect(f.filter(x => x.status === 'fail')).toEqual([]);
    const bad = storageAccountFromLive({ account: { id: '/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/live2', name: 'live2', allowSharedKeyAccess: null } });
    const g = evalAccounts([bad]);
    for (const c of STORAGE_CONTROLS) expect(statusOf(g, 'live2', c)).toEqual(['fail']);
  });
});

describe('more input shapes', () => {
  it('reads azapi_resource storage accounts and containers from a Terraform plan', async () => {
    const dir = await require('node:fs').promises.mkdtemp(require('node:path').join(require('node:os').tmpdir(), 'azapi-'));
    const plan = {
      format_version: '1.2',
      planned_values: { root_module: { resources: [
        { address: 'azapi_resource.sa', mode: 'managed', type: 'azapi_resource', name: 'sa', values: { type: 'Microsoft.Storage/storageAccounts@2023-05-01', name: 'azapiweights', body: { kind: 'StorageV2', properties: { publicNetworkAccess: 'Disabled', allowSharedKeyAccess: true } } } },
        { address: 'azapi_resource.c', mode: 'managed', type: 'azapi_resource', name: 'c', values: { type: 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01', name: 'open', parent_id: '/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/azapiweights/blobServices/default', body: JSON.stringify({ properties: { publicAccess: 'Blob' } }) } },
      ] } },
    };
    const file = require('node:path').join(dir, 'plan.json');
    await require('node:fs').promises.writeFile(file, JSON.stringify(plan));
    const { project, errors } = await loadProject([file]);
    expect(errors).toEqual([]);
    const f = evalAccounts(project.storageAccounts);
    expect(statusOf(f, 'azapiweights', 'FG-STORAGE-PUBLIC-NETWORK')).toEqual(['pass']);
    expect(statusOf(f, 'azapiweights', 'FG-STORAGE-SHARED-KEY')).toEqual(['fail']);
    expect(statusOf(f, 'azapiweights', 'FG-STORAGE-ANONYMOUS-ACCESS', 'storage-account/azapiweights/container/open')).toEqual(['fail']);
  });

  it('accepts ARM templates with comments and trailing commas, keeping line numbers', async () => {
    const dir = await require('node:fs').promises.mkdtemp(require('node:path').join(require('node:os').tmpdir(), 'jsonc-'));
    const file = require('node:path').join(dir, 'main.json');
    await require('node:fs').promises.writeFile(file, `{
  // hand-written template
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  /* accounts */
  "resources": [
    {
      "type": "Microsoft.Storage/storageAccounts",
      "name": "commented", // the name
      "properties": { "publicNetworkAccess": "Disabled", },
    },
  ],
}`);
    const { project, errors } = await loadProject([file]);
    expect(errors).toEqual([]);
    expect(project.storageAccounts[0]).toMatchObject({ name: 'commented', location: { line: 7 } });
  });
});

describe('ARM edge shapes', () => {
  it('compares enum values case-insensitively and evaluates whole-object expressions', () => {
    const template = {
      $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
      contentVersion: '1.0.0.0',
      variables: { props: { publicNetworkAccess: 'disabled', networkAcls: { defaultAction: 'deny' }, minimumTlsVersion: 'tls1_2' }, tags: { workload: 'model-weights' } },
      resources: [{ type: 'Microsoft.Storage/storageAccounts', name: 'exprprops', properties: "[variables('props')]", tags: "[variables('tags')]" }],
    };
    const accounts = storageAccountsFromArm(expandTemplate(template, {}, { file: 't.json' }));
    expect(accounts[0].tags).toEqual({ workload: 'model-weights' });
    const f = evalAccounts(accounts);
    expect(statusOf(f, 'exprprops', 'FG-STORAGE-PUBLIC-NETWORK')).toEqual(['pass']);
    expect(statusOf(f, 'exprprops', 'FG-STORAGE-NETWORK-DEFAULT-DENY')).toEqual(['pass']);
    expect(statusOf(f, 'exprprops', 'FG-STORAGE-MIN-TLS')).toEqual(['pass']);
  });
});

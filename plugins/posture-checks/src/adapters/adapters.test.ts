import { evaluateString, EvalScope } from './arm/expressions';
import { parseKubeYaml, ParseError } from './kubernetes';
import { jsonLines } from './source';
import { expandTemplate } from './arm/template';
import { UNKNOWN } from '../types';
import { cidrWithin, parseCidr } from '../checks/cidr';

const scope: EvalScope = {
  parameter: n => ({ name: 'Weights', obj: { a: { b: [1, 2, 3] } }, flag: true } as Record<string, unknown>)[n] ?? UNKNOWN,
  variable: n => ({ v: 'var' } as Record<string, unknown>)[n] ?? UNKNOWN,
  copyIndex: () => 2,
  subscriptionId: 'sub',
  resourceGroup: 'rg',
  location: 'westeurope',
  deploymentName: 'd',
};
const ev = (s: string) => evaluateString(s, scope);

describe('ARM template functions', () => {
  it.each([
    ["[concat('a', parameters('name'), 'b')]", 'aWeightsb'],
    ["[format('{0}-{1}', toLower(parameters('name')), variables('v'))]", 'weights-var'],
    ["[toUpper('x')]", 'X'],
    ["[if(parameters('flag'), 'yes', 'no')]", 'yes'],
    ["[parameters('obj').a.b[1]]", 2],
    ["[parameters('obj')['a']['b'][2]]", 3],
    ["[resourceId('Microsoft.Storage/storageAccounts', 'acct')]", '/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct'],
    ["[resourceId('other-rg', 'Microsoft.Storage/storageAccounts/blobServices', 'acct', 'default')]", '/subscriptions/sub/resourceGroups/other-rg/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default'],
    ["[subscriptionResourceId('Microsoft.Security/pricings', 'StorageAccounts')]", '/subscriptions/sub/providers/Microsoft.Security/pricings/StorageAccounts'],
    ["[extensionResourceId('/x/y', 'Microsoft.Insights/diagnosticSettings', 'd')]", '/x/y/providers/Microsoft.Insights/diagnosticSettings/d'],
    ["[equals(toLower('A'), 'a')]", true],
    ["[and(true(), not(false()))]", true],
    ["[or(false, empty(''))]", true],
    ["[length(createArray(1, 2))]", 2],
    ["[contains(createObject('k', 1), 'k')]", true],
    ["[union(createObject('a', 1), createObject('b', 2)).b]", 2],
    ["[replace('a-b', '-', '')]", 'ab'],
    ["[substring('abcdef', 1, 3)]", 'bcd'],
    ["[copyIndex(1)]", 3],
    ["[resourceGroup().name]", 'rg'],
    ["[subscription().subscriptionId]", 'sub'],
    ["[split('a/b', '/')[1]]", 'b'],
    ["[last(split('a/b/c', '/'))]", 'c'],
    ["[coalesce(null(), 'x')]", 'x'],
    ["[string(add(1, 2))]", '3'],
    ["[json('{\"x\": 1}').x]", 1],
    ['[[not an expression]', '[not an expression]'],
    ['plain', 'plain'],
    ["['it''s']", "it's"],
    ["[map(createArray(1, 2), lambda('x', mul(lambdaVariables('x'), 10)))]", [10, 20]],
    ["[filter(createArray(1, 2, 3), lambda('x', greater(lambdaVariables('x'), 1)))]", [2, 3]],
    ["[reduce(createArray(1, 2, 3), 0, lambda('acc', 'x', add(lambdaVariables('acc'), lambdaVariables('x'))))]", 6],
    ["[toObject(createArray(createObject('n', 'a', 'v', 1)), lambda('e', lambdaVariables('e').n), lambda('e', lambdaVariables('e').v))]", { a: 1 }],
    ["[tryGet(parameters('obj'), 'a', 'b')]", [1, 2, 3]],
    ["[tryGet(parameters('obj'), 'missing')]", null],
    ["[shallowMerge(createArray(createObject('a', 1), createObject('b', 2)))]", { a: 1, b: 2 }],
  ])('%s', (expr, expected) => {
    expect(ev(expr)).toEqual(expected);
  });

  it('returns UNKNOWN for deployment-time values and malformed expressions, and propagates it', () => {
    expect(ev("[reference('x').prop]")).toBe(UNKNOWN);
    expect(ev("[concat('a', listKeys('x', '1').keys[0].value)]")).toBe(UNKNOWN);
    expect(ev("[concat('a',)]")).toBe(UNKNOWN);
    expect(ev("[if(parameters('missing'), 'a', 'b')]")).toBe(UNKNOWN);
  });

  it('uniqueString is deterministic and 13 characters', () => {
    const a = ev("[uniqueString(resourceGroup().id)]");
    expect(a).toMatch(/^[a-z2-7]{13}$/);
    expect(ev("[uniqueString(resourceGroup().id)]")).toBe(a);
  });

  it('expands variable copy, property copy, user functions and nested child names', () => {
    const resources = expandTemplate({
      functions: [{ namespace: 'fg', members: { name: { parameters: [{ name: 'p', type: 'string' }], output: { type: 'string', value: "[concat('fg', parameters('p'))]" } } } }],
      parameters: { n: { type: 'int', defaultValue: 2 } },
      variables: { copy: [{ name: 'names', count: "[parameters('n')]", input: "[concat('c', copyIndex('names'))]" }] },
      resources: [{
        type: 'Microsoft.Storage/storageAccounts', name: "[fg.name('acct')]",
        properties: { copy: [{ name: 'list', count: 2, input: "[variables('names')[copyIndex('list')]]" }] },
        resources: [{ type: 'blobServices', name: 'default', properties: {} }],
      }],
    }, {}, { file: 'x.json' });
    expect(resources.map(r => [r.type, r.name])).toEqual([
      ['Microsoft.Storage/storageAccounts', 'fgacct'],
      ['Microsoft.Storage/storageAccounts/blobServices', 'fgacct/default'],
    ]);
    expect(resources[0].properties.list).toEqual(['c0', 'c1']);
    expect(resources[1].pointer).toBe('resources[0].resources[0]');
  });
});

describe('Kubernetes YAML', () => {
  it('reads multi-document Helm output, skips empty documents and keeps lines', () => {
    const text = `---
# Source: chart/templates/a.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
---
---
# Source: chart/templates/b.yaml
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Service
    metadata: { name: s }
  - apiVersion: v1
    kind: ServiceAccount
    metadata: { name: sa }
`;
    const r = parseKubeYaml(text, 'helm.yaml');
    expect(r.items.map(i => [i.object.kind, i.object.metadata.name, i.location?.line])).toEqual([
      ['ConfigMap', 'a', 3],
      ['Service', 's', 13],
      ['ServiceAccount', 'sa', 16],
    ]);
  });

  it('reads *List kinds whose items carry no kind', () => {
    const r = parseKubeYaml('apiVersion: v1\nkind: PodList\nitems:\n  - metadata: { name: p }\n    spec: { containers: [] }\n', 'l.yaml');
    expect(r.items.map(i => i.object.kind)).toEqual(['Pod']);
  });

  it('reports a syntax error with its line', () => {
    expect(() => parseKubeYaml('apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n', 'bad.yaml')).toThrow(ParseError);
    let error: unknown;
    try {
      parseKubeYaml('a: 1\nb: : :\n  - x\n', 'bad.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ParseError);
    expect((error as ParseError).line).toBeGreaterThanOrEqual(1);
  });
});

describe('JSON line lookup', () => {
  it('finds the line of nested paths, including symbolic keys and escaped strings', () => {
    const text = '{\n  "a": "x\\"y",\n  "resources": {\n    "my sa": {\n      "type": "t"\n    }\n  },\n  "list": [\n    1,\n    {"k": 2}\n  ]\n}';
    const lines = jsonLines(text, new Set(['resources["my sa"]', 'list[1]', 'a']));
    expect(lines.get('resources["my sa"]')).toBe(4);
    expect(lines.get('list[1]')).toBe(10);
    expect(lines.get('a')).toBe(2);
  });
});

describe('CIDR', () => {
  it('checks containment for IPv4 and IPv6', () => {
    expect(cidrWithin(parseCidr('10.1.0.0/16')!, parseCidr('10.0.0.0/8')!)).toBe(true);
    expect(cidrWithin(parseCidr('0.0.0.0/0')!, parseCidr('10.0.0.0/8')!)).toBe(false);
    expect(cidrWithin(parseCidr('fd00:1::/64')!, parseCidr('fd00::/8')!)).toBe(true);
    expect(cidrWithin(parseCidr('::ffff:10.0.0.1/128')!, parseCidr('::ffff:0:0/96')!)).toBe(true);
    expect(parseCidr('300.1.1.1/8')).toBeUndefined();
  });
});

import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveConfig } from './config';
import { DetectionEngine } from './engine';
import { compileSigmaToKql } from './sigma/kql';
import { loadSigmaText, loadSigmaDir, shippedRulesDir } from './sigma/load';

/** Golden files: `UPDATE_GOLDEN=1` rewrites them; review the diff like code. */
const GOLDEN = path.join(__dirname, '__golden__', 'kql');

function golden(name: string, actual: string) {
  const file = path.join(GOLDEN, `${name}.kql`);
  if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(file, `${actual}\n`);
  expect(actual).toBe(fs.readFileSync(file, 'utf8').replace(/\n$/, ''));
}

describe('KQL compilation', () => {
  const config = resolveConfig({ weightStores: [{ account: 'frontierweights', containers: ['frontier-70b'] }], researchCidrs: ['10.30.0.0/16'] });
  const engine = new DetectionEngine({ config, sigmaRules: [] });

  it.each(engine.statefulRules().map(r => [r.id, r] as const))('stateful rule %s', (id, rule) => {
    golden(id, rule.kql(config));
  });

  const sigma = [...loadSigmaDir(shippedRulesDir()), ...loadSigmaDir(path.resolve(shippedRulesDir(), '..', 'sigma-optional'))];
  it.each(sigma.map(r => [r.rule.id, r] as const))('shipped Sigma rule %s', (id, r) => {
    golden(`sigma-${id}`, compileSigmaToKql(r.rule));
  });

  it('compiles modifiers and conditions to the matching KQL operators', () => {
    const [r] = loadSigmaText(`title: modifiers
logsource: {product: kubernetes, service: audit}
detection:
  sel:
    verb: [create, update]
    objectRef.resource|startswith: secret
    requestURI|contains|all: [/api/, /namespaces/]
    user.username|endswith: '@contoso.com'
    userAgent: 'kubectl*linux*'
    responseStatus.code|gte: 400
    sourceIPs|cidr: 10.0.0.0/8
  re:
    user.username|re|i: '^admin-\\d+$'
  filter:
    objectRef.namespace: null
  condition: sel and not filter or re
`);
    golden('modifiers', compileSigmaToKql(r.rule));
  });
});

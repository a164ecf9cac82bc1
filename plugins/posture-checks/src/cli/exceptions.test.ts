import fs from 'node:fs';
import path from 'node:path';
import type { Finding } from '../types';
import { exceptionFor, parseExceptions } from './exceptions';

const finding = (over: Partial<Finding> = {}): Finding =>
  ({
    checkId: 'FG-K8S-EGRESS-DEFAULT-DENY',
    controlId: 'FG-K8S-EGRESS-DEFAULT-DENY',
    status: 'fail',
    severity: 'high',
    findingKey: 'FG-K8S-EGRESS-DEFAULT-DENY:k8s/namespace/rl-team',
    subject: { type: 'namespace', name: 'rl-team', key: 'k8s/namespace/rl-team' },
    ...over,
  }) as Finding;

const exported = (item: Record<string, unknown>) =>
  parseExceptions(
    {
      items: [
        {
          id: 'EXC-1',
          controlId: 'FG-K8S-EGRESS-DEFAULT-DENY',
          scope: { entityRefs: ['resource:default/cluster-training'], findingKey: 'FG-K8S-EGRESS-DEFAULT-DENY:k8s/namespace/rl-team' },
          startsAt: '2026-12-01T00:00:00Z',
          endsAt: '2026-12-21T00:00:00Z',
          ...item,
        },
      ],
    },
    'export.json',
  );

describe('exceptionFor (policy-exceptions export, answered by isExceptedFromExport)', () => {
  const at = new Date('2026-12-07T12:00:00Z');

  it('covers the exact finding of the scoped entity inside the window, and nothing else', () => {
    const list = exported({});
    expect(exceptionFor(finding(), list, at, 'training')?.id).toBe('EXC-1');
    // the window ended: open again
    expect(exceptionFor(finding(), list, new Date('2026-12-21T00:00:00Z'), 'training')).toBeUndefined();
    // not started yet
    expect(exceptionFor(finding(), list, new Date('2026-11-30T00:00:00Z'), 'training')).toBeUndefined();
    // another cluster (entity), another finding, another control
    expect(exceptionFor(finding(), list, at, 'other')).toBeUndefined();
    expect(exceptionFor(finding({ findingKey: 'FG-K8S-EGRESS-DEFAULT-DENY:k8s/namespace/other' }), list, at, 'training')).toBeUndefined();
    expect(exceptionFor(finding({ controlId: 'FG-K8S-PRIVILEGED', checkId: 'FG-K8S-PRIVILEGED' }), list, at, 'training')).toBeUndefined();
  });

  it('without a known cluster, only an exception narrowed to this exact finding covers it', () => {
    expect(exceptionFor(finding(), exported({}), at)?.id).toBe('EXC-1');
    expect(exceptionFor(finding(), exported({ scope: { entityRefs: ['resource:default/cluster-training'] } }), at)).toBeUndefined();
  });

  it('an entity-wide exception covers every finding of that control on the entity; a revoked status never covers', () => {
    const wide = exported({ scope: { entityRefs: ['Resource:default/Cluster-Training'] } });
    expect(exceptionFor(finding({ findingKey: 'FG-K8S-EGRESS-DEFAULT-DENY:k8s/namespace/x' }), wide, at, 'training')?.id).toBe('EXC-1');
    expect(exceptionFor(finding(), exported({ status: 'revoked' }), at, 'training')).toBeUndefined();
  });

  it('keeps no Backstage runtime import: the coverage module it uses imports only plain types', () => {
    const coverage = fs.readFileSync(require.resolve('@internal/plugin-policy-exceptions-common/coverage'), 'utf8');
    const imports = [...coverage.matchAll(/from '([^']+)'/g)].map(m => m[1]);
    expect(imports).toEqual(['./types']);
    const types = fs.readFileSync(path.join(path.dirname(require.resolve('@internal/plugin-policy-exceptions-common/coverage')), 'types.ts'), 'utf8');
    expect(types).not.toMatch(/^import /m);
    for (const file of ['exceptions.ts', 'main.ts']) {
      expect(fs.readFileSync(path.join(__dirname, file), 'utf8')).not.toMatch(/from '@backstage\//);
    }
  });
});

import { Entity } from '@backstage/catalog-model';
import { ContentInput } from '../domain/lifecycle';
import { DEFAULT_SETTINGS, ExceptionSettings } from '../domain/settings';
import { Directory } from '../service/Directory';
import { PostureFinding, PostureSource } from '../service/posture';

export const ALICE = 'user:default/alice'; // researcher, requester
export const ERIN = 'user:default/erin'; // researcher, owner in some tests
export const BOB = 'user:default/bob'; // security reviewer
export const CAROL = 'user:default/carol'; // security reviewer
export const MALLORY = 'user:default/mallory'; // security reviewer who also requests / owns
export const DAVE = 'user:default/dave'; // platform admin, not a reviewer
export const SEC = 'group:default/security-reviewers';
export const CLUSTER = 'resource:default/training-cluster';
export const SANDBOX = 'resource:default/research-sandbox-namespace';
export const EGRESS = 'FG-K8S-EGRESS-DENY';
export const FINDING = 'FG-K8S-EGRESS-DENY:k8s/rl-team/egress/data.example.org';

export const settings: ExceptionSettings = { ...DEFAULT_SETTINGS };

export const T0 = new Date('2026-12-07T10:00:00.000Z');
export const DAY = 86_400_000;

export function content(over: Partial<ContentInput> = {}): ContentInput {
  return {
    scope: { entityRefs: [CLUSTER], findingKey: FINDING },
    justification: 'The RL team needs the public dataset mirror for the benchmark run.',
    reasonCategory: 'operational-requirement',
    risk: { likelihood: 'medium', impact: 'medium' },
    compensatingControls: [{ kind: 'catalog', controlId: 'FG-WEIGHTS-DETECTIVE' }],
    owner: ERIN,
    endsAt: new Date(T0.getTime() + 14 * DAY).toISOString(),
    ...over,
  };
}

/** Membership as the catalog would say it now; tests change it to model a removal. */
export class FakeDirectory implements Directory {
  members = new Map<string, Set<string>>([
    [BOB, new Set([SEC])],
    [CAROL, new Set([SEC])],
    [MALLORY, new Set([SEC])],
    [ALICE, new Set(['group:default/researchers'])],
    [ERIN, new Set(['group:default/researchers'])],
    [DAVE, new Set(['group:default/platform-admins'])],
  ]);
  entities = new Set([ALICE, ERIN, BOB, CAROL, MALLORY, DAVE, CLUSTER, SANDBOX, 'resource:default/model-registry']);
  async currentGroups(userRef: string) {
    return new Set(this.members.get(userRef) ?? []);
  }
  async exists(ref: string) {
    return this.entities.has(ref);
  }
  async displayName(ref: string) {
    return ref.split('/')[1];
  }
}

/** Findings per `${entityRef} ${controlId}`; a test sets them. */
export class FakePosture implements PostureSource {
  findingsBy = new Map<string, PostureFinding[]>();
  set(entityRef: string, controlId: string, status: PostureFinding['status'], findingKey = `${controlId}:x`) {
    this.findingsBy.set(`${entityRef} ${controlId}`, [{ controlId, findingKey, status, message: status === 'fail' ? 'check failed' : undefined }]);
  }
  async findings(entityRef: string, controlId: string) {
    return this.findingsBy.get(`${entityRef} ${controlId}`);
  }
}

// the recording auditor is shared by every backend's tests
export { recordingAuditor } from '@internal/test-stand-ins';
export type { RecordedAuditEvent } from '@internal/test-stand-ins';

const user = (name: string, groups: string[]): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name, namespace: 'default' },
  spec: { profile: { displayName: name[0].toUpperCase() + name.slice(1) }, memberOf: groups },
  relations: groups.map(g => ({ type: 'memberOf', targetRef: g })),
});
const resource = (name: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1', kind: 'Resource', metadata: { name, namespace: 'default' }, spec: { type: 'x', owner: 'group:default/frontier-research' },
});

/** Catalog entities for plugin tests (catalogServiceMock). */
export function catalogEntities(): Entity[] {
  return [
    user('alice', ['group:default/researchers']),
    user('erin', ['group:default/researchers']),
    user('bob', [SEC]),
    user('carol', [SEC]),
    user('mallory', [SEC]),
    user('dave', ['group:default/platform-admins']),
    resource('training-cluster'),
    resource('research-sandbox-namespace'),
    resource('model-registry'),
  ];
}

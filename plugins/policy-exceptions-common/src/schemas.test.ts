import { createExceptionBodySchema, describeZodError, isExceptedQuerySchema, reviewBodySchema } from './schemas';

const valid = {
  controlId: 'FG-K8S-EGRESS-DENY',
  scope: { entityRefs: ['resource:default/rl-cluster'], findingKey: 'egress:data.example.org' },
  justification: 'The RL team needs the public dataset mirror for the benchmark run.',
  reasonCategory: 'operational-requirement',
  risk: { likelihood: 'medium', impact: 'high' },
  compensatingControls: [{ kind: 'catalog', controlId: 'FG-WEIGHTS-DETECTIVE' }],
  owner: 'user:default/alice',
  endsAt: '2026-12-20T00:00:00Z',
};

function errorOf(body: unknown): string {
  const r = createExceptionBodySchema.safeParse(body);
  expect(r.success).toBe(false);
  return describeZodError((r as any).error);
}

describe('createExceptionBodySchema', () => {
  it('accepts a complete request and defaults submit to true', () => {
    const r = createExceptionBodySchema.parse(valid);
    expect(r.submit).toBe(true);
  });
  it('accepts a described measure with the PCI worksheet fields', () => {
    const measure = {
      kind: 'described', measure: 'Egress proxy logs reviewed daily', owner: 'user:default/alice',
      evidence: 'https://tickets/SEC-1', constraint: 'dataset host has no private endpoint',
      objective: 'no exfiltration', identifiedRisk: 'exfiltration to the host',
      validation: 'red team test', maintenance: 'weekly review',
    };
    expect(createExceptionBodySchema.safeParse({ ...valid, compensatingControls: [measure] }).success).toBe(true);
    expect(errorOf({ ...valid, compensatingControls: [{ ...measure, validation: '  ' }] }))
      .toContain('compensatingControls.0.validation');
  });
  it.each([
    [{ ...valid, controlId: 'FG-NOPE' }, 'controlId: not a control of the controls catalog'],
    [{ ...valid, endsAt: undefined }, 'endsAt'],
    [{ ...valid, startsAt: '2026-12-21T00:00:00Z' }, 'endsAt: must be after startsAt'],
    [{ ...valid, compensatingControls: [] }, 'compensatingControls: an exception is granted only with at least one compensating control'],
    [{ ...valid, compensatingControls: [{ kind: 'catalog', controlId: 'FG-K8S-EGRESS-DENY' }] }, 'cannot compensate for itself'],
    [{ ...valid, justification: 'short' }, 'justification: must be at least 20 characters'],
    [{ ...valid, risk: { likelihood: 'high', impact: 'high', rating: 'low' } }, 'risk.rating: is critical'],
    [{ ...valid, scope: { entityRefs: [] } }, 'scope.entityRefs: at least one entity'],
    [{ ...valid, scope: { entityRefs: ['a:b/c', 'A:b/c'] } }, 'scope.entityRefs: lists an entity twice'],
    [{ ...valid, scope: { ...valid.scope, findingKey: ' x' } }, 'scope.findingKey'],
    [{ ...valid, owner: 'resource:default/x' }, 'owner: must be a ref to a user or a group entity'],
    [{ ...valid, justification: 'The RL team needs the \u202e mirror for the run.' }, 'justification: must not contain control or formatting characters'],
    [{ ...valid, justification: 'The RL team needs the \u0000 mirror for the run.' }, 'justification: must not contain control'],
    [{ ...valid, extra: 1 }, '(body)'],
  ])('refuses bad input naming the field (%#)', (body, expected) => {
    expect(errorOf(body)).toContain(expected);
  });
});

describe('other schemas', () => {
  it('a rejection needs a reason', () => {
    expect(reviewBodySchema.safeParse({ decision: 'reject' }).success).toBe(false);
    expect(reviewBodySchema.safeParse({ decision: 'approve' }).success).toBe(true);
  });
  it('isExcepted queries need a valid entity ref and an ISO time', () => {
    expect(isExceptedQuerySchema.safeParse({ controlId: 'X', entityRef: 'resource:default/bad name' }).success).toBe(false);
    expect(isExceptedQuerySchema.safeParse({ controlId: 'X', entityRef: 'resource:default/x', at: 'yesterday' }).success).toBe(false);
  });
});

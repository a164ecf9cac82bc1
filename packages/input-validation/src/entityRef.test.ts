import { z } from 'zod';
import { checkEntityRef, describeZodError, entityRef, entityRefSchema, normalizeEntityRef } from './index';

describe('entity refs', () => {
  it('normalizes to lower-case kind:namespace/name', () => {
    expect(entityRefSchema.parse('Resource:Default/GPU-Cluster-A')).toBe('resource:default/gpu-cluster-a');
    expect(entityRefSchema.parse('component:model-x')).toBe('component:default/model-x');
    expect(entityRef({ kind: 'resource' }).parse('gpu-a')).toBe('resource:default/gpu-a');
  });

  it.each([
    ['empty', ''],
    ['no kind', 'default/name'],
    ['bad name characters', 'resource:default/na me'],
    ['slashes in the name', 'resource:default/a/b'],
    ['NUL', 'resource:default/a\u0000'],
    ['bidi override', 'resource:default/\u202ea'],
    ['too long', `resource:default/${'a'.repeat(600)}`],
    ['name too long for the catalog', `resource:default/${'a'.repeat(64)}`],
  ])('refuses %s, naming the field', (_what, raw) => {
    const parsed = z.object({ resourceRef: entityRefSchema }).safeParse({ resourceRef: raw });
    expect(parsed.success).toBe(false);
    expect(describeZodError(parsed.error!)).toMatch(/^resourceRef: /);
  });

  it('refuses other kinds when kinds are given', () => {
    const r = normalizeEntityRef('user:default/alice', { kind: ['resource', 'component'] });
    expect(r).toEqual({ ok: false, message: expect.stringContaining('a resource or a component entity') });
  });

  it('checkEntityRef looks the ref up with the caller credentials', async () => {
    const seen: Array<[string, string]> = [];
    const catalog = {
      async getEntityByRef(ref: string, { credentials }: { credentials: string }) {
        seen.push([ref, credentials]);
        return ref === 'component:default/visible' ? { kind: 'Component' } : undefined;
      },
    };
    await expect(checkEntityRef(catalog, 'Component:default/Visible', 'alice-token', { field: 'entityRef' })).resolves.toEqual({
      ok: true,
      ref: 'component:default/visible',
      entity: { kind: 'Component' },
    });
    await expect(checkEntityRef(catalog, 'component:default/hidden', 'alice-token', { field: 'entityRef' })).resolves.toEqual({
      ok: false,
      status: 404,
      message: 'entityRef: component:default/hidden does not exist in the catalog or is not visible to you',
    });
    await expect(checkEntityRef(catalog, 'not a ref', 'alice-token', { field: 'entityRef' })).resolves.toMatchObject({
      ok: false,
      status: 400,
      message: expect.stringMatching(/^entityRef: /),
    });
    await expect(checkEntityRef(catalog, 42, 'alice-token', { field: 'entityRef' })).resolves.toMatchObject({ status: 400 });
    expect(seen).toEqual([
      ['component:default/visible', 'alice-token'],
      ['component:default/hidden', 'alice-token'],
    ]);
  });
});

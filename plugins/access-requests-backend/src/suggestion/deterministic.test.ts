import {
  actionLevel,
  analyze,
  deterministicSuggestion,
  requestedLevels,
} from './deterministic';
import { candidates } from './__fixtures__';

function suggest(query: string, list = candidates) {
  const a = analyze(query, list)!;
  return deterministicSuggestion(a, list);
}

describe('deterministic role ranker', () => {
  it('classifies actions by verb, treating unknown verbs as write and wildcards as admin', () => {
    expect(actionLevel('blob:read')).toBe('read');
    expect(actionLevel('pods:list')).toBe('read');
    expect(actionLevel('blob:write')).toBe('write');
    expect(actionLevel('pods:exec')).toBe('write');
    expect(actionLevel('pods:frobnicate')).toBe('write');
    expect(actionLevel('blob:*')).toBe('admin');
    expect(actionLevel('*')).toBe('admin');
    expect(actionLevel('rbac:grant')).toBe('admin');
  });

  it('reads intent words from the query and defaults to read', () => {
    expect(requestedLevels('download the 7b weights for evals').levels).toEqual(
      ['read'],
    );
    expect(requestedLevels('upload a new checkpoint').levels).toEqual([
      'write',
    ]);
    expect(requestedLevels('read and overwrite blobs').levels).toEqual([
      'read',
      'write',
    ]);
    expect(
      requestedLevels('manage permissions on the container').levels,
    ).toEqual(['admin']);
    expect(requestedLevels('frontier 7b')).toMatchObject({
      levels: ['read'],
      defaulted: true,
    });
  });

  it('picks the narrowest role that covers a read request, not the first or broadest listed', () => {
    const s = suggest(
      'I need to download the frontier 7b weights to run evals',
    );
    expect(s).toMatchObject({
      resourceRef: 'resource:default/weights-frontier-7b',
      roleId: 'blob-reader',
      source: 'deterministic',
    });
    expect(s.explanation).toMatch(/narrowest role/);
    expect(s.explanation).toMatch(/"download"/);
    expect(s.explanation).toMatch(/Storage Blob Data Contributor/);
  });

  it('picks the write role for an upload, not the owner', () => {
    expect(
      suggest('upload a fine-tuned checkpoint to the frontier 7b weights')
        .roleId,
    ).toBe('blob-contributor');
  });

  it('picks admin only when administration is asked for', () => {
    expect(
      suggest('manage permissions of the frontier 7b weights container').roleId,
    ).toBe('blob-owner');
  });

  it('chooses the resource the text is about', () => {
    const s = suggest('see the logs of my training jobs on the GPU cluster');
    expect(s).toMatchObject({
      resourceRef: 'resource:default/ns-frontier-train',
      roleId: 'ns-viewer',
    });
    expect(suggest('exec into a pod in the training namespace').roleId).toBe(
      'ns-editor',
    );
  });

  it('says so when no role covers the request and still picks the narrowest closest one', () => {
    const readerOnly = candidates.filter(c => c.roleId === 'blob-reader');
    const s = suggest('delete old frontier 7b checkpoints', readerOnly);
    expect(s.roleId).toBe('blob-reader');
    expect(s.explanation).toMatch(/No role .* covers/);
  });

  it('returns nothing without candidates', () => {
    expect(analyze('anything', [])).toBeUndefined();
  });
});

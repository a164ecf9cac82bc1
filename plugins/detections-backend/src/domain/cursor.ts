import { InputError } from '@backstage/errors';

/** Keyset cursor: the sort key of the last row of a page, as base64url JSON. */
export function encodeCursor(key: [string | number, string]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor<T extends string | number>(cursor: string, kind: 'string' | 'number'): [T, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === kind && typeof v[1] === 'string') return v as [T, string];
  } catch {
    // fall through
  }
  throw new InputError('cursor: is not a cursor this server handed out');
}

/**
 * Deterministic JSON: object keys sorted (by UTF-16 code unit), no whitespace,
 * `undefined` members dropped, non-finite numbers rejected. Two equal values always
 * serialize to the same string, whatever order their keys were built in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) {
        throw new TypeError(`Cannot canonicalize non-finite number ${value}`);
      }
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value
          .map(v => (v === undefined ? 'null' : canonicalJson(v)))
          .join(',')}]`;
      }
      if (value instanceof Date) {
        return JSON.stringify(value.toISOString());
      }
      const obj = value as Record<string, unknown>;
      const members = Object.keys(obj)
        .filter(k => obj[k] !== undefined && typeof obj[k] !== 'function')
        .sort()
        .map(k => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`);
      return `{${members.join(',')}}`;
    }
    default:
      throw new TypeError(`Cannot canonicalize value of type ${typeof value}`);
  }
}

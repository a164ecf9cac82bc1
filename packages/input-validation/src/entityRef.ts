import { makeValidator, parseEntityRef } from '@backstage/catalog-model';
import { z } from 'zod';
import { findUnsafeCharacter } from './characters';

const validators = makeValidator();

export interface EntityRefOptions {
  /** Allowed kinds (case-insensitive). When set, a ref without a kind gets the first as default. */
  kind?: string | string[];
  /** Namespace for refs that leave it out. Default `default`. */
  defaultNamespace?: string;
}

export type EntityRefResult = { ok: true; ref: string } | { ok: false; message: string };

/**
 * Parses an entity ref as the catalog does and returns it normalized, lower-cased:
 * `kind:namespace/name`. The message names what is wrong (not the field: callers add it).
 */
export function normalizeEntityRef(raw: string, options: EntityRefOptions = {}): EntityRefResult {
  const kinds = options.kind === undefined ? [] : [options.kind].flat().map(k => k.toLocaleLowerCase('en-US'));
  if (typeof raw !== 'string' || raw.length === 0) return { ok: false, message: 'must be an entity ref' };
  if (raw.length > 512) return { ok: false, message: 'must be at most 512 characters' };
  const bad = findUnsafeCharacter(raw, { singleLine: true });
  if (bad) return { ok: false, message: `must not contain control or formatting characters: ${bad.reason}` };
  if (/\s/.test(raw)) return { ok: false, message: 'must not contain white space' };
  let parsed;
  try {
    parsed = parseEntityRef(raw, {
      defaultKind: kinds[0],
      defaultNamespace: options.defaultNamespace ?? 'default',
    });
  } catch (e) {
    return { ok: false, message: `is not a valid entity ref (${(e as Error).message})` };
  }
  if (!validators.isValidKind(parsed.kind)) return { ok: false, message: `has an invalid kind "${parsed.kind}"` };
  // Refs are case-insensitive; the namespace validator expects the lower-case form.
  if (!validators.isValidNamespace(parsed.namespace.toLocaleLowerCase('en-US'))) {
    return { ok: false, message: `has an invalid namespace "${parsed.namespace}"` };
  }
  if (!validators.isValidEntityName(parsed.name)) return { ok: false, message: `has an invalid name "${parsed.name}"` };
  const kind = parsed.kind.toLocaleLowerCase('en-US');
  if (kinds.length > 0 && !kinds.includes(kind)) {
    return { ok: false, message: `must be a ref to ${kinds.map(k => `a ${k}`).join(' or ')} entity, not a ${kind}` };
  }
  return {
    ok: true,
    ref: `${kind}:${parsed.namespace.toLocaleLowerCase('en-US')}/${parsed.name.toLocaleLowerCase('en-US')}`,
  };
}

/** Zod schema for an entity ref from a client; output is the normalized lower-case ref. */
export function entityRef(options: EntityRefOptions = {}) {
  return z.string().transform((raw, ctx) => {
    const result = normalizeEntityRef(raw, options);
    if (!result.ok) {
      ctx.addIssue({ code: 'custom', message: result.message });
      return z.NEVER;
    }
    return result.ref;
  });
}

/** Any kind; output `kind:namespace/name`, lower case. */
export const entityRefSchema = entityRef();

/** What {@link checkEntityRef} needs from the catalog (the catalog service fits). */
export interface EntityLookup<TCredentials> {
  getEntityByRef(ref: string, options: { credentials: TCredentials }): Promise<unknown | undefined>;
}

export type EntityRefCheck<TEntity> =
  | { ok: true; ref: string; entity: TEntity }
  | { ok: false; status: 400 | 404; message: string };

/**
 * Validates a client's entity ref and checks that it names an existing catalog entity that the
 * caller may see: the lookup runs with the caller's own credentials, so an entity hidden from them
 * by the catalog's permission rules is "not found", exactly like a missing one. `message` starts
 * with the field name: `entityRef: ...`.
 */
export async function checkEntityRef<TCredentials, TEntity = unknown>(
  catalog: EntityLookup<TCredentials>,
  raw: unknown,
  credentials: TCredentials,
  options: EntityRefOptions & { field: string },
): Promise<EntityRefCheck<TEntity>> {
  if (typeof raw !== 'string') return { ok: false, status: 400, message: `${options.field}: must be an entity ref` };
  const normalized = normalizeEntityRef(raw, options);
  if (!normalized.ok) return { ok: false, status: 400, message: `${options.field}: ${normalized.message}` };
  const entity = await catalog.getEntityByRef(normalized.ref, { credentials });
  if (!entity) {
    return {
      ok: false,
      status: 404,
      message: `${options.field}: ${normalized.ref} does not exist in the catalog or is not visible to you`,
    };
  }
  return { ok: true, ref: normalized.ref, entity: entity as TEntity };
}

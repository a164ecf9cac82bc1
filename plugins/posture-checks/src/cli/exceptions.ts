/**
 * Policy exceptions for the CI gate, from the policy-exceptions plugin: its JSON export
 * (`GET /api/policy-exceptions/export?format=json`, or a file saved from it:
 * `{"generatedAt", "at", "items": [{"id", "controlId", "scope": {"entityRefs": [...],
 * "findingKey"?}, "startsAt", "endsAt", ...}]}`), or a hand-written file
 * `{"exceptions": [{"id", "controlId", "subject", "startsAt"?, "endsAt"?, "status"?}]}` where
 * `subject` is a finding's subject key or finding key (`*` matches any run of characters).
 * An exception covers a finding when its control matches, its window contains "now", and its
 * scope names the finding's catalog entity (`resource:default/storage-<account>`,
 * `resource:default/cluster-<kubernetes.cluster>`), narrowed to the finding key when it has one.
 */
import { promises as fsp } from 'node:fs';
import type { Finding } from '../types';
import { clusterStoreId, storageStoreId, storeEntityRef } from '../naming';
// The package's pure `./coverage` entry point only (it imports nothing but its own plain types), not the package
// index, which pulls @backstage/errors and the permission framework: the CLI keeps no Backstage
// runtime import (tested in exceptions.test.ts).
import { isExceptedFromExport } from '@internal/plugin-policy-exceptions-common/coverage';

export interface PolicyException {
  id: string;
  controlId: string;
  /** Catalog entities the exception covers (policy-exceptions export). */
  entityRefs?: string[];
  /** Narrows the exception to one finding (`<controlId>:<subjectKey>`). */
  findingKey?: string;
  /** Subject key pattern (hand-written file). */
  subject?: string;
  status?: string;
  startsAt?: string;
  endsAt?: string;
  title?: string;
}

export class ExceptionsError extends Error {}

const ACTIVE = new Set(['active', 'approved', 'granted']);

function parseDate(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw new ExceptionsError(`${field} must be an ISO date`);
  return v;
}

export function parseExceptions(doc: unknown, source: string): PolicyException[] {
  const d = doc as any;
  let list: unknown = doc;
  if (!Array.isArray(doc)) list = d && typeof d === 'object' ? d.items ?? d.exceptions : undefined;
  if (!Array.isArray(list)) throw new ExceptionsError(`${source}: expected a policy-exceptions export {"items": [...]} or {"exceptions": [...]}`);
  return list.map((e: any, i: number) => {
    const at = `${source}: ${Array.isArray(d?.items) ? 'items' : 'exceptions'}[${i}]`;
    if (!e || typeof e !== 'object') throw new ExceptionsError(`${at} must be an object`);
    const { id, controlId } = e;
    if (typeof id !== 'string' || !id) throw new ExceptionsError(`${at}.id must be a non-empty string`);
    if (typeof controlId !== 'string' || !controlId) throw new ExceptionsError(`${at}.controlId must be a non-empty string`);
    const out: PolicyException = {
      id,
      controlId,
      status: typeof e.status === 'string' ? e.status : undefined,
      startsAt: parseDate(e.startsAt, `${at}.startsAt`),
      endsAt: parseDate(e.endsAt ?? e.expiresAt, `${at}.endsAt`),
      title: [e.title, e.justification].find((t): t is string => typeof t === 'string'),
    };
    if (e.scope !== undefined) {
      const refs = e.scope?.entityRefs;
      if (!Array.isArray(refs) || refs.some((r: unknown) => typeof r !== 'string')) throw new ExceptionsError(`${at}.scope.entityRefs must be a list of entity refs`);
      out.entityRefs = refs;
      if (e.scope.findingKey !== undefined) {
        if (typeof e.scope.findingKey !== 'string') throw new ExceptionsError(`${at}.scope.findingKey must be a string`);
        out.findingKey = e.scope.findingKey;
      }
    } else {
      const subject = e.subject ?? e.findingKey;
      if (typeof subject !== 'string' || !subject) throw new ExceptionsError(`${at} needs scope.entityRefs or subject`);
      out.subject = subject;
    }
    return out;
  });
}

/** The catalog entity a finding belongs to, as the weight-inventory entity provider names it. */
export function entityRefOf(f: Finding, cluster?: string): string | undefined {
  if (f.subject.type === 'storage-account') return storeEntityRef(storageStoreId(f.subject.name));
  if (f.subject.type === 'storage-container' && f.subject.account) return storeEntityRef(storageStoreId(f.subject.account));
  if (cluster && f.subject.key.startsWith('k8s/')) return storeEntityRef(clusterStoreId(cluster));
  return undefined;
}

function glob(pattern: string, text: string): boolean {
  if (!pattern.includes('*')) return pattern === text;
  const re = new RegExp(`^${pattern.split('*').map(p => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(text);
}

export function isActive(e: PolicyException, now: Date): boolean {
  if (e.status !== undefined && !ACTIVE.has(e.status.toLowerCase())) return false;
  if (e.startsAt && Date.parse(e.startsAt) > now.getTime()) return false;
  if (e.endsAt && Date.parse(e.endsAt) <= now.getTime()) return false;
  return true;
}

/**
 * The active exception that covers a finding, if any. Exceptions from the policy-exceptions
 * export are matched by its own function (`isExceptedFromExport`, the same answer as the API's
 * `isExcepted`), asked for the finding's control id and, when they differ, its check id.
 * Hand-written `subject` patterns keep their glob match.
 */
export function exceptionFor(f: Finding, exceptions: PolicyException[], now: Date, cluster?: string): PolicyException | undefined {
  const ref = entityRefOf(f, cluster);
  const controls = f.checkId && f.checkId !== f.controlId ? [f.controlId, f.checkId] : [f.controlId];
  const fromExport = exceptions.filter(e => e.subject === undefined && (e.status === undefined || ACTIVE.has(e.status.toLowerCase())));
  const items = fromExport.map(e => ({
    id: e.id,
    controlId: e.controlId,
    // Without a known entity (manifests with no kubernetes.cluster configured) only an exception
    // narrowed to this exact finding covers it: it is asked for with the exception's own entity.
    scope: { entityRefs: e.entityRefs ?? [], findingKey: e.findingKey },
    startsAt: e.startsAt ?? '0000-01-01T00:00:00Z',
    endsAt: e.endsAt ?? '9999-12-31T00:00:00Z',
    owner: '',
  }));
  const covering: PolicyException[] = [];
  for (const controlId of controls) {
    const narrowed = items.filter(i => i.scope.findingKey === f.findingKey);
    const asks = ref ? [{ entityRef: ref, among: items }] : narrowed.flatMap(i => i.scope.entityRefs.slice(0, 1).map(entityRef => ({ entityRef, among: narrowed })));
    for (const { entityRef, among } of asks) {
      const r = isExceptedFromExport({ items: among }, controlId, { entityRef, findingKey: f.findingKey }, now);
      const e = r.excepted ? fromExport.find(x => x.id === r.exceptionId) : undefined;
      if (e) covering.push(e);
    }
  }
  for (const e of exceptions) {
    if (e.subject === undefined || !isActive(e, now) || !controls.includes(e.controlId)) continue;
    if (glob(e.subject, f.subject.key) || glob(e.subject, f.findingKey)) covering.push(e);
  }
  // Among several, name the one that lasts longest.
  return covering.sort((a, b) => Date.parse(b.endsAt ?? '9999-12-31') - Date.parse(a.endsAt ?? '9999-12-31'))[0];
}

/**
 * Reads exceptions from a file path or from the policy-exceptions API: a URL ending in
 * `/export` (query allowed) is used as is, any other URL is the plugin's base URL
 * (e.g. `https://portal/api/policy-exceptions`) and `/export?format=json` is appended.
 * The Bearer token comes from FRONTIER_GUARD_TOKEN.
 */
export async function loadExceptions(source: string, env: NodeJS.ProcessEnv, fetchImpl: typeof fetch = fetch): Promise<PolicyException[]> {
  if (/^https?:\/\//i.test(source)) {
    const u = new URL(source);
    if (!/\/export\/?$/.test(u.pathname)) {
      u.pathname = `${u.pathname.replace(/\/+$/, '')}/export`;
      u.searchParams.set('format', 'json');
    }
    const url = u.toString();
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (env.FRONTIER_GUARD_TOKEN) headers.Authorization = `Bearer ${env.FRONTIER_GUARD_TOKEN}`;
    let res: Response;
    try {
      res = await fetchImpl(url, { headers });
    } catch (e) {
      throw new ExceptionsError(`${url}: ${(e as Error).message}`);
    }
    if (!res.ok) throw new ExceptionsError(`${url}: HTTP ${res.status}`);
    let doc: unknown;
    try {
      doc = await res.json();
    } catch {
      throw new ExceptionsError(`${url}: response is not JSON`);
    }
    return parseExceptions(doc, url);
  }
  let text: string;
  try {
    text = await fsp.readFile(source, 'utf8');
  } catch (e) {
    throw new ExceptionsError(`${source}: cannot read: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ExceptionsError(`${source}: malformed JSON: ${(e as Error).message}`);
  }
  return parseExceptions(doc, source);
}

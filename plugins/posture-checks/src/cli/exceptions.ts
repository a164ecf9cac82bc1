/**
 * Policy exceptions for the CI gate: from a file exported by the policy-exceptions plugin or from
 * its API. Format (JSON): `{"exceptions": [{"id", "controlId", "subject", "status", "startsAt",
 * "endsAt", "title"}]}` (a bare array is accepted too). `subject` is a finding's subject key
 * (e.g. `k8s/Namespace/research`, `storage-account/weights01`) or its finding key, `*` matching any
 * run of characters. Only exceptions whose status is active/approved (or absent) and whose window
 * contains "now" cover a finding.
 */
import { promises as fsp } from 'node:fs';
import type { Finding } from '../types';

export interface PolicyException {
  id: string;
  controlId: string;
  subject: string;
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
  const list = Array.isArray(doc) ? doc : doc && typeof doc === 'object' ? (doc as any).exceptions ?? (doc as any).items : undefined;
  if (!Array.isArray(list)) throw new ExceptionsError(`${source}: expected {"exceptions": [...]} or an array`);
  return list.map((e: any, i: number) => {
    const at = `${source}: exceptions[${i}]`;
    if (!e || typeof e !== 'object') throw new ExceptionsError(`${at} must be an object`);
    const id = e.id;
    const controlId = e.controlId;
    const subject = e.subject ?? e.subjectKey ?? e.findingKey ?? e.resource;
    if (typeof id !== 'string' || !id) throw new ExceptionsError(`${at}.id must be a non-empty string`);
    if (typeof controlId !== 'string' || !controlId) throw new ExceptionsError(`${at}.controlId must be a non-empty string`);
    if (typeof subject !== 'string' || !subject) throw new ExceptionsError(`${at}.subject must be a non-empty string`);
    return {
      id,
      controlId,
      subject,
      status: typeof e.status === 'string' ? e.status : undefined,
      startsAt: parseDate(e.startsAt, `${at}.startsAt`),
      endsAt: parseDate(e.endsAt ?? e.expiresAt, `${at}.endsAt`),
      title: typeof e.title === 'string' ? e.title : undefined,
    };
  });
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

/** The active exception that covers a finding, if any. */
export function exceptionFor(f: Finding, exceptions: PolicyException[], now: Date): PolicyException | undefined {
  return exceptions.find(
    e => isActive(e, now) && (e.controlId === f.controlId || e.controlId === f.checkId) && (glob(e.subject, f.subject.key) || glob(e.subject, f.findingKey)),
  );
}

/** Reads exceptions from a file path or an http(s) URL (Bearer token from FRONTIER_GUARD_TOKEN). */
export async function loadExceptions(source: string, env: NodeJS.ProcessEnv, fetchImpl: typeof fetch = fetch): Promise<PolicyException[]> {
  if (/^https?:\/\//i.test(source)) {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (env.FRONTIER_GUARD_TOKEN) headers.Authorization = `Bearer ${env.FRONTIER_GUARD_TOKEN}`;
    let res: Response;
    try {
      res = await fetchImpl(source, { headers });
    } catch (e) {
      throw new ExceptionsError(`${source}: ${(e as Error).message}`);
    }
    if (!res.ok) throw new ExceptionsError(`${source}: HTTP ${res.status}`);
    let doc: unknown;
    try {
      doc = await res.json();
    } catch {
      throw new ExceptionsError(`${source}: response is not JSON`);
    }
    return parseExceptions(doc, source);
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

/**
 * Storage-account checks (issue 8, research note detection-posture.md section 1.1). Each returns
 * pass/fail with the exact property path that decided it; an absent property is the platform's
 * default, which for every property checked here is the insecure one.
 */
import type { PostureConfig } from '../config';
import {
  CheckResult,
  Evidence,
  StorageAccountModel,
  Subject,
  UNKNOWN,
} from '../types';

export function accountSubject(a: StorageAccountModel): Subject {
  return { type: 'storage-account', key: `storage-account/${a.name}`, name: a.name };
}

function show(e: Evidence<unknown>): string {
  if (!e.present) return 'absent';
  if (e.value === UNKNOWN) return 'not resolvable before deployment';
  const raw = e.raw !== undefined ? e.raw : e.value;
  return JSON.stringify(raw);
}

/** ARM enum values compare case-insensitively (the resource provider accepts any case). */
function is(v: unknown, expected: string): boolean {
  return typeof v === 'string' && v.toLowerCase() === expected.toLowerCase();
}

function result(
  a: StorageAccountModel,
  pass: boolean,
  e: Evidence<unknown>,
  passText: string,
  failText: string,
): CheckResult {
  const detail = e.present ? `${e.path} is ${show(e)}` : `${e.path} is absent (platform default)`;
  return {
    status: pass ? 'pass' : 'fail',
    subject: accountSubject(a),
    path: e.path,
    message: `${pass ? passText : failText}: ${detail}`,
    location: e.location ?? a.location,
  };
}

export function checkPublicNetworkAccess(a: StorageAccountModel): CheckResult[] {
  const e = a.publicNetworkAccess;
  return [result(a, is(e.value, 'Disabled'), e, 'Public network access is disabled', 'Public network access is enabled')];
}

export function checkSharedKeyAccess(a: StorageAccountModel): CheckResult[] {
  const e = a.allowSharedKeyAccess;
  return [result(a, e.value === false, e, 'Shared-key access is disabled', 'Shared-key (account key) access is allowed')];
}

export function checkAnonymousAccess(a: StorageAccountModel): CheckResult[] {
  const e = a.allowBlobPublicAccess;
  const out = [result(a, e.value === false, e, 'Anonymous blob access is disallowed on the account', 'Anonymous blob access is allowed on the account')];
  for (const c of a.containers) {
    const p = c.publicAccess;
    const level = p.value === undefined ? 'None' : p.value;
    const pass = typeof level === 'string' && level.toLowerCase() === 'none' || level === 'private';
    out.push({
      status: pass ? 'pass' : 'fail',
      subject: { type: 'storage-container', key: `storage-account/${a.name}/container/${c.name}`, name: c.name, account: a.name },
      path: p.path,
      message: pass
        ? `Container ${c.name} allows no anonymous access: ${p.present ? `${p.path} is ${show(p)}` : `${p.path} is absent (private)`}`
        : `Container ${c.name} allows anonymous read access: ${p.path} is ${show(p)}`,
      location: c.location ?? a.location,
    });
  }
  return out;
}

export function checkMinimumTls(a: StorageAccountModel, cfg: PostureConfig): CheckResult[] {
  const e = a.minimumTlsVersion;
  const pass = typeof e.value === 'string' && cfg.storage.acceptedTlsVersions.some(v => is(e.value, v));
  return [result(a, pass, e, 'Minimum TLS version is 1.2 or later', 'Minimum TLS version is below 1.2')];
}

export function checkNetworkDefaultDeny(a: StorageAccountModel): CheckResult[] {
  const e = a.networkDefaultAction;
  return [result(a, is(e.value, 'Deny'), e, 'Network rules deny by default', 'Network rules allow by default')];
}

export function checkCustomerManagedKey(a: StorageAccountModel): CheckResult[] {
  const e = a.keySource;
  const pass = typeof e.value === 'string' && e.value.toLowerCase() === 'microsoft.keyvault';
  return [result(a, pass, e, 'Encryption uses a customer-managed key', 'Encryption uses Microsoft-managed keys')];
}

export function checkBlobSoftDelete(a: StorageAccountModel): CheckResult[] {
  const e = a.blobSoftDelete;
  return [result(a, e.value === true, e, 'Blob soft delete is enabled', 'Blob soft delete is disabled')];
}

export function checkContainerSoftDelete(a: StorageAccountModel): CheckResult[] {
  const e = a.containerSoftDelete;
  return [result(a, e.value === true, e, 'Container soft delete is enabled', 'Container soft delete is disabled')];
}

export function checkPrivateEndpoint(a: StorageAccountModel): CheckResult[] {
  const approved = a.privateEndpointConnections.find(p => typeof p.status === 'string' && p.status.toLowerCase() === 'approved');
  if (approved) {
    return [{ status: 'pass', subject: accountSubject(a), path: approved.path, message: `Private endpoint connection ${approved.name} is Approved`, location: approved.location ?? a.location }];
  }
  const other = a.privateEndpointConnections[0];
  if (other) {
    const st = other.status === UNKNOWN ? 'not resolvable before deployment' : other.status ?? 'absent';
    return [{ status: 'fail', subject: accountSubject(a), path: other.path, message: `No approved private endpoint connection: ${other.name} is ${st}`, location: other.location ?? a.location }];
  }
  return [{ status: 'fail', subject: accountSubject(a), path: 'properties.privateEndpointConnections', message: 'No private endpoint connection to the account', location: a.location }];
}

export function checkReadLogs(a: StorageAccountModel, cfg: PostureConfig): CheckResult[] {
  const wanted = cfg.storage.readLogCategories.map(c => c.toLowerCase());
  for (const d of a.diagnosticSettings) {
    if (d.target !== 'blob' && d.target !== 'unknown') continue;
    const idx = d.logs.findIndex(l => l.enabled && [l.category, l.categoryGroup].some(c => c && wanted.includes(c.toLowerCase())));
    if (idx >= 0) {
      const l = d.logs[idx];
      return [{ status: 'pass', subject: accountSubject(a), path: `${d.path}[${idx}]`, message: `Diagnostic setting ${d.name} on the blob service ships ${l.category ?? l.categoryGroup} logs`, location: d.location ?? a.location }];
    }
  }
  const onBlob = a.diagnosticSettings.find(d => d.target === 'blob');
  if (onBlob) {
    return [{ status: 'fail', subject: accountSubject(a), path: onBlob.path, message: `Diagnostic setting ${onBlob.name} on the blob service does not enable StorageRead or allLogs`, location: onBlob.location ?? a.location }];
  }
  const elsewhere = a.diagnosticSettings[0];
  return [{
    status: 'fail',
    subject: accountSubject(a),
    path: 'blobServices/default/providers/Microsoft.Insights/diagnosticSettings',
    message: elsewhere ? `Diagnostic setting ${elsewhere.name} is not on the blob service (read logs exist only on blobServices/default)` : 'No diagnostic setting on the blob service ships read logs',
    location: a.location,
  }];
}

/** Whether the account is in scope (holds weights) under the configured tag selector. */
export function isWeightStore(a: StorageAccountModel, cfg: PostureConfig): boolean {
  return Object.entries(cfg.storage.weightStoreTags).every(([k, v]) => {
    const key = Object.keys(a.tags).find(t => t.toLowerCase() === k.toLowerCase());
    return key !== undefined && a.tags[key] === v;
  });
}

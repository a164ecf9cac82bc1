/* Records in their sources' own shapes (builders of detection-rules), and fakes for the services. */
import {
  diagnosticBlobLog,
  firewallStructured,
  graphSignIn,
  hubbleFlow,
  iso,
  k8sAudit,
} from '@internal/detection-rules/src/testing/builders';
import type { ExportedGrant } from '@internal/detection-rules';

export const T0 = '2026-12-07T10:00:00.000Z';
export const NOW = new Date('2026-12-07T12:00:00.000Z');
export const GiB = 1024 ** 3;
export const EVE = 'eve@corp.example';
export const ALICE = 'alice@corp.example';
export const REVIEWER = 'user:default/rita';
export const RESEARCHER = 'user:default/rob';
export const SCOPE = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/wacct';

export const ndjson = (records: unknown[]) => `${records.map(r => JSON.stringify(r)).join('\n')}\n`;

/** `n` reads of `GiB`-sized weight blobs by `upn` a minute apart: over 10 GiB a bulk read. */
export function weightReads(n: number, upn = EVE, start = T0, gib = 4, store = { account: 'wacct', container: 'weights' }) {
  return Array.from({ length: n }, (_, i) =>
    diagnosticBlobLog({ time: iso(start, i), ...store, blob: `llm/shard-${i}.safetensors`, op: 'GetBlob', bytes: gib * GiB, upn, correlationId: `corr-${upn}-${start}-${i}` }),
  );
}

export function podExec(user = ALICE, time = T0, namespace = 'research-llm') {
  return k8sAudit({ time, user, verb: 'create', resource: 'pods', namespace, name: 'trainer-0', subresource: 'exec' });
}

export function signIn(time: string, upn: string, country: string, errorCode = 0) {
  return graphSignIn({ time, upn, ip: '198.51.100.7', country, errorCode, mfa: true });
}

export function egressDeny(time: string, fqdn = 'exfil.example.net') {
  return firewallStructured({ time, src: '10.1.2.3', fqdn, port: 443, action: 'Deny' });
}

export function hubbleDrop(time: string) {
  return hubbleFlow({ time, ns: 'research-llm', pod: 'trainer-0', srcIp: '10.1.2.4', dstIp: '203.0.113.50', port: 443, verdict: 'DROPPED' });
}

export function grantOf(over: Partial<ExportedGrant> & { id: string }): ExportedGrant {
  return {
    user: { ref: 'user:default/eve', email: EVE, upn: EVE, objectId: 'oid-eve' },
    resource: { ref: 'resource:default/llm-weights', azureScope: `${SCOPE}/blobServices/default/containers/weights` },
    role: 'reader', status: 'active', start: '2026-12-07T08:00:00.000Z', end: '2026-12-08T08:00:00.000Z', revokedAt: null,
    ...over,
  };
}

export { iso };

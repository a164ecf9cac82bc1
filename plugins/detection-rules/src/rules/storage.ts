import { anyGlob } from '../config';
import type { Detection, DetectionEvent } from '../types';
import { kqlList, minutes, principalOf, RecentIds, SlidingWindow, type RuleContext, type StatefulRule } from './types';

const GiB = 1024 ** 3;

function storeOf(ev: DetectionEvent): string {
  return ev.resource?.name ?? 'unknown';
}

/** Reads of blob content: the Blob API's GetBlob (whole or ranged) and Data Lake's ReadFile (dfs endpoint). */
const READ_OPERATIONS = ['GetBlob', 'ReadFile'];

function isRead(ev: DetectionEvent): boolean {
  return (ev.activity === 'GetBlob' || ev.activity === 'ReadFile') && ev.outcome === 'success';
}

/** Bytes read per principal and store in a sliding window over a threshold. */
export function bulkRead(): StatefulRule {
  const windows = new Map<string, { w: SlidingWindow<{ id: string; bytes: number; t: number }>; reported: Set<string> }>();
  /** per store: the largest window a workload read without alerting, counted once that window is over */
  const normal = new Map<string, number>();
  const pending = new Map<string, Map<string, { peak: number; at: number }>>();
  let delivered: RecentIds | undefined;
  /** time of the earliest blob event seen (the logs' start, or a restart) */
  let streamStart = Infinity;
  const commit = (store: string, now: number, span: number) => {
    const p = pending.get(store);
    if (!p) return;
    for (const [k, c] of p) {
      if (c.at + span < now) {
        if (c.peak > (normal.get(store) ?? 0)) normal.set(store, c.peak);
        p.delete(k);
      }
    }
  };
  return {
    id: 'weight-store-bulk-read',
    title: 'Bulk read of a weight store',
    description:
      'One principal reads more from one weight store within an hour (configurable) than its threshold: 10 GiB for a person by default; for a workload identity, the larger of 100 GiB and 1.5 times what the store\'s normal jobs read in such a window (configured per store, or learned from its workload identities, including what they read in the first hour of the logs).',
    severity: 'high',
    sources: ['storage_blob'],
    nearMiss: 'A long training job that reads a lot over many hours at its usual rate.',
    onEvent(ev, ctx) {
      if (ev.time < streamStart) streamStart = ev.time;
      if (!isRead(ev) || !ev.bytes || !ctx.isWeightStore(ev)) return undefined;
      const cfg = ctx.config.bulkRead;
      const principal = principalOf(ev);
      if (anyGlob(cfg.allowPrincipals, principal)) return undefined;
      const store = storeOf(ev);
      const key = `${principal}\u0000${store}`;
      const span = minutes(cfg.windowMinutes);
      // a record delivered twice is one read, not twice the bytes
      if ((delivered ??= new RecentIds(span)).repeat(ev.id, ev.time)) return undefined;
      commit(store, ev.time, span);
      let s = windows.get(key);
      if (!s) windows.set(key, (s = { w: new SlidingWindow(span), reported: new Set() }));
      s.w.add(ev.time, { id: ev.id, bytes: ev.bytes, t: ev.time }, ev.bytes);
      const sum = s.w.total;
      const person = ev.actor.type === 'user';
      const configured = ctx.config.weightStores.find(w => w.account.toLowerCase() === ev.resource?.account?.toLowerCase())?.normalBytesPerWindow;
      const storeNormal = configured ?? normal.get(store) ?? 0;
      const threshold = person ? cfg.minBytes : Math.max(cfg.workloadMinBytes, cfg.multiplier * storeNormal);
      if (!person && configured === undefined && ev.time - streamStart < span) {
        // a workload already reading when the logs begin (a week's export, a restart): what the
        // store's jobs read in that first window is their normal, not a burst — learned, not judged
        if (sum > (normal.get(store) ?? 0)) normal.set(store, sum);
        return undefined;
      }
      if (sum <= threshold) {
        if (!person && configured === undefined) {
          let p = pending.get(store);
          if (!p) pending.set(store, (p = new Map()));
          const c = p.get(principal);
          if (!c || sum > c.peak) p.set(principal, { peak: sum, at: ev.time });
        }
        if (s.reported.size && s.w.entries.every(e => !s!.reported.has(e.v.id))) s.reported.clear();
        return undefined;
      }
      pending.get(store)?.delete(principal);
      const fresh = s.w.values.filter(v => !s!.reported.has(v.id));
      for (const v of fresh) s.reported.add(v.id);
      if (s.reported.size > 100_000) s.reported = new Set(s.w.values.map(v => v.id));
      return [
        {
          rule: this.id,
          title: this.title,
          severity: this.severity,
          principal,
          resource: store,
          time: ev.time,
          start: fresh.reduce((m, v) => Math.min(m, v.t), ev.time),
          eventIds: fresh.map(v => v.id),
          details: {
            bytesInWindow: sum,
            gib: Math.round((sum / GiB) * 10) / 10,
            thresholdBytes: threshold,
            windowMinutes: cfg.windowMinutes,
            principalType: ev.actor.type,
            ip: ev.src?.ip,
          },
        },
      ];
    },
    kql: cfg => `let window = ${cfg.bulkRead.windowMinutes}m;
let personBytes = ${cfg.bulkRead.minBytes};
let workloadBytes = ${cfg.bulkRead.workloadMinBytes};
StorageBlobLogs
| where OperationName in (${kqlList(READ_OPERATIONS)}) and toint(StatusCode) < 400
| extend container = tostring(split(ObjectKey, "/")[2])
| extend principal = coalesce(RequesterUpn, RequesterObjectId, RequesterAppId, tostring(split(CallerIpAddress, ":")[0]))
| summarize bytes = sum(ResponseBodySize), reads = count() by principal, isPerson = isnotempty(RequesterUpn), AccountName, container, bin(TimeGenerated, window)
| where bytes > iff(isPerson, personBytes, workloadBytes)`,
  };
}

/** A person reads a weight store without an active grant (needs the grant export / access-requests API). */
export function readWithoutGrant(): StatefulRule {
  return {
    id: 'weight-store-read-without-grant',
    title: 'Weight store read by a principal with no active grant',
    description: 'A successful read of a weight store by a person who, at that moment, holds no access grant covering that store.',
    severity: 'high',
    sources: ['storage_blob'],
    nearMiss: 'The same read by a researcher whose grant is active.',
    onEvent(ev, ctx) {
      if (!ctx.grants || ev.outcome !== 'success' || !ctx.isWeightStore(ev)) return undefined;
      if (!ctx.config.noGrant.operations.includes(ev.activity)) return undefined;
      const workload = ev.actor.type !== 'user';
      if (workload && (!ctx.config.noGrant.includeWorkloads || ev.actor.type !== 'service')) return undefined;
      if (ctx.grants.activeGrantFor(ev)) return undefined;
      return [
        {
          rule: this.id,
          title: this.title,
          severity: this.severity,
          principal: principalOf(ev),
          resource: storeOf(ev),
          time: ev.time,
          eventIds: [ev.id],
          details: { operation: ev.activity, objectKey: ev.resource?.objectKey, bytes: ev.bytes, ip: ev.src?.ip, knownToAccessRequests: ctx.grants.knows(ev) },
        },
      ];
    },
    kql: cfg => `// GrantExport: the access-requests grant export loaded as a watchlist/external table (user, upn, objectId, azureScope, status, start, end; a failed grant covers nothing)
let GrantExport = _GetWatchlist('frontier-guard-grants') | where tolower(tostring(status)) != "failed" | project upn = tolower(tostring(upn)), objectId = tostring(objectId), azureScope = tolower(tostring(azureScope)), start = todatetime(start), ['end'] = todatetime(['end']);
StorageBlobLogs
| where OperationName in (${kqlList(cfg.noGrant.operations)}) and toint(StatusCode) < 400 and isnotempty(RequesterUpn)
| extend container = tostring(split(ObjectKey, "/")[2])
| extend scope = tolower(strcat(tostring(split(_ResourceId, "/blobservices/")[0]), "/blobservices/default/containers/", container))
| extend upn = tolower(RequesterUpn)
| join kind=leftouter (GrantExport) on upn
| extend covered = isnotempty(azureScope) and (scope == azureScope or scope startswith strcat(azureScope, "/")) and TimeGenerated between (start .. ['end'])
| summarize covered = max(toint(covered)) by TimeGenerated, CorrelationId, RequesterUpn, AccountName, container, ObjectKey
| where covered == 0`,
  };
}

/** Shared key, SAS or anonymous access to a weight store. */
export function sharedKeyAccess(): StatefulRule {
  return {
    id: 'weight-store-shared-key-access',
    title: 'Shared-key, SAS or anonymous access to a weight store',
    description: 'A successful request to a weight store authenticated with an account key, a SAS or anonymously instead of Entra ID.',
    severity: 'high',
    sources: ['storage_blob'],
    nearMiss: 'A CI pipeline using a SAS on a storage account that holds no weights.',
    onEvent(ev, ctx) {
      const method = ev.auth?.method;
      if (!method || ev.outcome !== 'success') return undefined;
      const cfg = ctx.config.sharedKeyAccess;
      if (!cfg.methods.includes(method) || !ctx.isWeightStore(ev)) return undefined;
      const principal = method === 'anonymous' ? ev.src?.ip ?? 'anonymous' : ev.src?.ip ?? principalOf(ev);
      if (anyGlob(cfg.allowPrincipals, principal)) return undefined;
      return [
        {
          rule: this.id,
          title: this.title,
          severity: method === 'anonymous' ? 'critical' : this.severity,
          principal,
          resource: storeOf(ev),
          time: ev.time,
          eventIds: [ev.id],
          details: { method, operation: ev.activity, objectKey: ev.resource?.objectKey, bytes: ev.bytes },
        },
      ];
    },
    kql: cfg => `StorageBlobLogs
| where toint(StatusCode) < 400
| where AuthenticationType in~ (${kqlList(cfg.sharedKeyAccess.methods.flatMap(m => (m === 'sas' ? ['SAS', 'SAS Key'] : m === 'accountkey' ? ['AccountKey', 'Account Key'] : ['Anonymous'])))})
| extend container = tostring(split(ObjectKey, "/")[2])
| where ${weightStoreKql(cfg)}
| project TimeGenerated, AccountName, container, OperationName, AuthenticationType, CallerIpAddress, ObjectKey`,
  };
}

export function weightStoreKql(cfg: RuleContext['config']): string {
  const parts: string[] = [];
  if (cfg.weightStores.length) {
    parts.push(
      cfg.weightStores
        .map(w => (w.containers?.length ? `(AccountName =~ ${JSON.stringify(w.account)} and container in~ (${kqlList(w.containers)}))` : `AccountName =~ ${JSON.stringify(w.account)}`))
        .join(' or '),
    );
  }
  if (cfg.weightStoreNameHints.length) {
    parts.push(cfg.weightStoreNameHints.map(h => `AccountName contains ${JSON.stringify(h)} or container contains ${JSON.stringify(h)}`).join(' or '));
  }
  if (cfg.weightBlobSuffixes.length) parts.push(cfg.weightBlobSuffixes.map(s => `ObjectKey endswith ${JSON.stringify(s)}`).join(' or '));
  return parts.length ? `(${parts.join(' or ')})` : 'false';
}

/** Many list operations by a principal never seen on the account before. */
export function enumerationByNewPrincipal(): StatefulRule {
  const firstSeen = new Map<string, number>();
  const windows = new Map<string, { w: SlidingWindow<{ id: string; container?: string }>; reported: Set<string> }>();
  let delivered: RecentIds | undefined;
  /** time of the earliest blob event seen: the logs say nothing of who was active before it */
  let streamStart = Infinity;
  /** accounts with a container known to hold weights (listing such an account is listing weights) */
  const weightAccounts = new Set<string>();
  return {
    id: 'storage-enumeration-new-principal',
    title: 'Enumeration of containers and blobs by a never-seen principal',
    description: 'A principal first seen on a storage account within the last hour (configurable) lists its contents at length: at least 15 list operations, or at least 4 containers, by default. Principals already active when the logs begin are treated as known: those of the first hour on a weight store, of the first day elsewhere (configurable).',
    severity: 'medium',
    sources: ['storage_blob'],
    nearMiss: 'A known job listing its container; a new principal listing once.',
    onEvent(ev, ctx) {
      const cfg = ctx.config.enumeration;
      const principal = principalOf(ev);
      const account = ev.resource?.account?.toLowerCase() ?? 'unknown';
      const key = `${principal}\u0000${account}`;
      const span = minutes(cfg.windowMinutes);
      let first = firstSeen.get(key);
      if (first === undefined || ev.time < first) firstSeen.set(key, (first = ev.time));
      if (ev.time < streamStart) streamStart = ev.time;
      if (!weightAccounts.has(account) && ctx.isWeightStore(ev)) weightAccounts.add(account);
      if (!cfg.operations.includes(ev.activity)) return undefined;
      if (ev.time - first > span) return undefined;
      // a principal already active when the logs begin (a week's export, a restart) was not seen
      // arriving: its jobs are not "new". The baseline is the first window on a weight store, the
      // first baselineMinutes (a day: daily jobs show up) elsewhere
      const weights = weightAccounts.has(account);
      if (first - streamStart < (weights ? span : minutes(cfg.baselineMinutes))) return undefined;
      if (anyGlob(cfg.knownPrincipals, principal) || ctx.grants?.knows(ev)) return undefined;
      if ((delivered ??= new RecentIds(span)).repeat(ev.id, ev.time)) return undefined;
      let s = windows.get(key);
      if (!s) windows.set(key, (s = { w: new SlidingWindow(span), reported: new Set() }));
      s.w.add(ev.time, { id: ev.id, container: ev.resource?.container });
      const containers = new Set(s.w.values.map(v => v.container).filter(Boolean));
      if (s.w.size < cfg.minListOps && containers.size < cfg.minContainers) return undefined;
      const fresh = s.w.values.filter(v => !s!.reported.has(v.id));
      for (const v of fresh) s.reported.add(v.id);
      return [
        {
          rule: this.id,
          title: this.title,
          severity: weights ? 'high' : this.severity,
          principal,
          resource: ev.resource?.account ?? 'unknown',
          time: ev.time,
          eventIds: fresh.map(v => v.id),
          details: { listOperations: s.w.size, containers: [...containers].slice(0, 50), firstSeen: new Date(first).toISOString(), weightStore: weights },
        },
      ];
    },
    kql: cfg => `let window = ${cfg.enumeration.windowMinutes}m;
let baseline = ${cfg.enumeration.baselineMinutes}m;
let logStart = toscalar(StorageBlobLogs | summarize min(TimeGenerated));
let weightAccounts = StorageBlobLogs | extend container = tostring(split(ObjectKey, "/")[2]) | where ${weightStoreKql(cfg)} | distinct AccountName;
let firstSeen = StorageBlobLogs
| extend principal = coalesce(RequesterUpn, RequesterObjectId, RequesterAppId, tostring(split(CallerIpAddress, ":")[0]))
| summarize firstSeen = min(TimeGenerated) by principal, AccountName;
StorageBlobLogs
| where OperationName in (${kqlList(cfg.enumeration.operations)})
| extend principal = coalesce(RequesterUpn, RequesterObjectId, RequesterAppId, tostring(split(CallerIpAddress, ":")[0]))
| join kind=inner firstSeen on principal, AccountName
| where TimeGenerated - firstSeen <= window
| extend container = tostring(split(ObjectKey, "/")[2])
| where firstSeen - logStart >= iff(AccountName in (weightAccounts), window, baseline)
| summarize listOps = count(), containers = dcount(container) by principal, AccountName, firstSeen
| where listOps >= ${cfg.enumeration.minListOps} or containers >= ${cfg.enumeration.minContainers}`,
  };
}

export type { Detection };

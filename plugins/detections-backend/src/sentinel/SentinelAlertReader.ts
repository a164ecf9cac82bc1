import type { TokenCredential } from '@azure/identity';
import { LogsQueryClient, LogsQueryResultStatus, type LogsQueryClientOptions, type LogsTable } from '@azure/monitor-query-logs';
import { compileSigmaToKql, groupAlerts, type Alert, type Detection, type DetectionEngine, type Severity } from '@internal/detection-rules';
import { isAggregated, rowKey } from './rowKey';

/** One rule as run in Log Analytics: its id, title, severity and compiled KQL. */
export interface WorkspaceRule {
  id: string;
  title: string;
  severity: Severity;
  kql: string;
}

/** The compiled KQL of every rule of an engine (built-in rules with the engine's thresholds, and Sigma rules). */
export function workspaceRules(engine: DetectionEngine): WorkspaceRule[] {
  const info = new Map(engine.ruleInfo().map(r => [r.id, r]));
  return [
    ...engine.statefulRules().map(r => ({ id: r.id, title: r.title, severity: info.get(r.id)?.severity ?? r.severity, kql: r.kql(engine.config) })),
    ...engine.sigmaRules().map(r => ({ id: r.rule.id, title: r.rule.title, severity: info.get(r.rule.id)?.severity ?? r.rule.level, kql: compileSigmaToKql(r.rule) })),
  ];
}

export interface SentinelAlertReaderOptions {
  /** Log Analytics workspace id (the GUID "Workspace ID" of the workspace). */
  workspaceId: string;
  credential: TokenCredential;
  engine: DetectionEngine;
  /** Query API endpoint including the version path (default https://api.loganalytics.io/v1). */
  endpoint?: string;
  /** Extra SDK client options (TLS, retries). */
  clientOptions?: LogsQueryClientOptions;
  /** Server-side time limit per query (seconds; the API allows up to 600). */
  serverTimeoutInSeconds?: number;
}

export interface WorkspaceReadResult {
  /** Alerts in the shape of detection-rules' replay: grouped by rule, principal and resource within the alert window. */
  alerts: Alert[];
  /** Rows read per rule. */
  rows: Record<string, number>;
  /** Rules whose query failed, or returned only part of its rows, with the service's message. */
  errors: Array<{ rule: string; error: string; partial: boolean }>;
}

/** A result row as a detection, with the key that tells the same row read again (see rowKey). */
export type WorkspaceDetection = Detection & { rowKey: string };

/** The time range of a read: [from, to), or per rule [fromByRule[rule] ?? from, to). */
export interface WorkspaceRange {
  from: Date;
  to: Date;
  fromByRule?: Record<string, Date>;
}

type Row = Record<string, unknown>;

const ENTRA = 'Entra ID';

/** Resource as the engine names it for rules whose rows do not carry one. */
const FIXED_RESOURCE: Record<string, string> = {
  'atypical-travel': ENTRA,
  'risky-signin-no-mfa': ENTRA,
  'password-spray': ENTRA,
  'break-glass-use': ENTRA,
};

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length ? v : undefined;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function first(row: Row, ...cols: string[]): string | undefined {
  for (const c of cols) {
    const v = text(row[c]);
    if (v !== undefined) return v;
  }
  return undefined;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  if (typeof v === 'string' && v.startsWith('{')) {
    try {
      return obj(JSON.parse(v));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function stripPort(ip: string): string {
  const m = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(ip);
  return m ? m[1] : ip;
}

function timeOf(v: unknown): number | undefined {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}

/** The principal of a result row, chosen as the engine chooses it (UPN, Kubernetes user, requester, source address). */
function principalOfRow(row: Row): string {
  const user = obj(row.User);
  const p =
    first(row, 'principal', 'UserPrincipalName', 'user', 'RequesterUpn', 'RequesterObjectId', 'RequesterAppId') ??
    text(user?.username) ??
    first(row, 'SourceIp', 'IPAddress', 'IpAddress') ??
    (text(row.CallerIpAddress) ? stripPort(String(row.CallerIpAddress)) : undefined) ??
    'unknown';
  return p.includes('@') ? p.toLowerCase() : p;
}

function resourceOfRow(rule: string, row: Row): string {
  const fixed = FIXED_RESOURCE[rule];
  if (fixed) return fixed;
  const account = text(row.AccountName);
  if (account) {
    const container = text(row.container);
    return container && rule !== 'storage-enumeration-new-principal' ? `${account}/${container}` : account;
  }
  const destination = first(row, 'destination', 'Fqdn', 'DestinationIp');
  if (destination) {
    const port = text(row.DestinationPort);
    return port ? `${destination}:${port}` : destination;
  }
  // Kubernetes: named as the engine names it, cluster/namespace/resource[/subresource]/name
  const ref = obj(row.ObjectRef);
  if (ref || 'cluster' in row) {
    const cluster = first(row, 'cluster') ?? (text(row._ResourceId) ? /managedclusters\/([^/]+)/i.exec(String(row._ResourceId))?.[1] : undefined);
    const ns = first(row, 'ns') ?? text(ref?.namespace);
    const sub = text(ref?.subresource);
    const kind = first(row, 'resource') ?? (text(ref?.resource) && sub ? `${ref!.resource}/${sub}` : text(ref?.resource));
    const name = first(row, 'pod', 'binding') ?? text(ref?.name);
    return [cluster, ns ?? '*', kind, name].filter(Boolean).join('/') || 'cluster';
  }
  return first(row, 'resource', 'AppDisplayName', 'ResourceDisplayName') ?? rule;
}

function rowsOf(table: LogsTable): Row[] {
  const names = table.columnDescriptors.map(c => c.name ?? '');
  return table.rows.map(r => Object.fromEntries(names.map((n, i) => [n, r[i]])));
}

/**
 * Runs the compiled KQL of every rule against a Log Analytics workspace (Microsoft Sentinel) with
 * the Azure Monitor Logs query SDK and turns the rows into the Alert shape of detection-rules (the
 * replay CLI's), grouped the same way: for organisations whose logs are already in the workspace.
 */
export class SentinelAlertReader {
  private readonly client: LogsQueryClient;
  private readonly rules: WorkspaceRule[];

  constructor(private readonly opts: SentinelAlertReaderOptions) {
    this.client = new LogsQueryClient(opts.credential, {
      ...opts.clientOptions,
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    });
    this.rules = workspaceRules(opts.engine);
  }

  /** Rules that will be run, with their KQL. */
  listRules(): WorkspaceRule[] {
    return this.rules;
  }

  /** Runs every rule over [from, to) (one query each, in turn) and groups the rows into alerts. */
  async read(range: WorkspaceRange): Promise<WorkspaceReadResult> {
    const { detections, rows, errors } = await this.readDetections(range);
    const alerts = groupAlerts(detections, { windowMinutes: this.opts.engine.config.alertGroupWindowMinutes });
    return { alerts, rows, errors };
  }

  /**
   * The rows as detection-rules Detections, one per row, before grouping: for a store that groups
   * detections into its own alerts (as ingest does) instead of the replay's Alert list. Each rule
   * is queried over its own range when `fromByRule` names it (the query API's timespan, applied to
   * the tables' TimeGenerated).
   */
  async readDetections(range: WorkspaceRange): Promise<Omit<WorkspaceReadResult, 'alerts'> & { detections: WorkspaceDetection[] }> {
    const detections: WorkspaceDetection[] = [];
    const rows: Record<string, number> = {};
    const errors: WorkspaceReadResult['errors'] = [];
    for (const rule of this.rules) {
      let tables: LogsTable[];
      try {
        const startTime = range.fromByRule?.[rule.id] ?? range.from;
        const result = await this.client.queryWorkspace(this.opts.workspaceId, rule.kql, { startTime, endTime: range.to }, {
          serverTimeoutInSeconds: this.opts.serverTimeoutInSeconds ?? 180,
        });
        if (result.status === LogsQueryResultStatus.Success) tables = result.tables;
        else {
          tables = result.partialTables;
          errors.push({ rule: rule.id, error: result.partialError.message ?? result.partialError.code ?? 'partial result', partial: true });
        }
      } catch (e) {
        errors.push({ rule: rule.id, error: (e as Error).message, partial: false });
        continue;
      }
      const found = tables.flatMap(rowsOf);
      rows[rule.id] = found.length;
      const aggregated = isAggregated(rule.kql);
      for (const row of found) {
        const d = this.detection(rule, row, range.to.getTime());
        // a row without a time column is stamped with the read's end: not part of what it is about
        const timed = [row.TimeGenerated, row.last, row.firstSeen, row.first].some(v => timeOf(v) !== undefined);
        detections.push({ ...d, rowKey: rowKey(rule.id, timed ? d : { ...d, time: 0 }, aggregated ? undefined : row) });
      }
    }
    return { detections, rows, errors };
  }

  private detection(rule: WorkspaceRule, row: Row, fallbackTime: number): Detection {
    const time = timeOf(row.TimeGenerated) ?? timeOf(row.last) ?? timeOf(row.firstSeen) ?? timeOf(row.first) ?? fallbackTime;
    const start = timeOf(row.first) ?? timeOf(row.firstSeen);
    const id = first(row, 'CorrelationId', 'Id', 'AuditId');
    const details: Record<string, unknown> = { source: 'log-analytics' };
    for (const [k, v] of Object.entries(row)) if (v !== null && v !== undefined && v !== '') details[k] = v instanceof Date ? v.toISOString() : v;
    return {
      rule: rule.id,
      title: rule.title,
      severity: rule.severity,
      principal: principalOfRow(row),
      resource: resourceOfRow(rule.id, row),
      time,
      start: start !== undefined && start < time ? start : undefined,
      eventIds: id ? [id] : [],
      eventCount: typeof row.reads === 'number' ? row.reads : typeof row.attempts === 'number' ? row.attempts : typeof row.denies === 'number' ? row.denies : typeof row.listOps === 'number' ? row.listOps : 1,
      details,
    };
  }
}

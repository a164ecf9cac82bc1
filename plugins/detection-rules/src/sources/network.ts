import type { DetectionEvent } from '../types';
import { OCSF_CLASSES } from '../types';
import { cleanIp, portOf } from '../util/net';
import { getCI, isObject, num, parseTime, str } from '../util/json';
import { NO_VIEW, type RecordRef } from './record';

const CLASSIC_FW = new Set([
  'azurefirewallnetworkrule',
  'azurefirewallapplicationrule',
  'azurefirewalldnsproxy',
  'azurefirewallthreatintellog',
  'azurefirewallidpslog',
]);

interface FwRecord {
  time: unknown;
  kind: string;
  protocol?: string;
  srcIp?: string;
  srcPort?: number;
  dst?: string;
  dstPort?: number;
  fqdn?: string;
  url?: string;
  action?: string;
  reason?: string;
  policy?: string;
  ruleCollection?: string;
  rule?: string;
  resourceId?: string;
  msg?: string;
}

/** `s.split(sep)[0]` without splitting the whole rest (the separators here never match empty). */
function before(s: string, sep: string | RegExp): string {
  const i = typeof sep === 'string' ? s.indexOf(sep) : s.search(sep);
  return i < 0 ? s : s.slice(0, i);
}

/** Parses the classic `msg` string: "TCP request from A:p to B:q. Action: Deny. ..." (no regex backtracking). */
export function parseFirewallMsg(msg: string): Partial<FwRecord> {
  const out: Partial<FwRecord> = { msg };
  const m = msg.slice(0, 4096);
  const reqAt = m.indexOf(' request from ');
  if (reqAt > 0) {
    out.protocol = before(m.slice(0, reqAt), ' ');
    const rest = m.slice(reqAt + ' request from '.length);
    const toAt = rest.indexOf(' to ');
    const src = rest.slice(0, toAt >= 0 ? toAt : undefined).trim();
    out.srcIp = cleanIp(src);
    out.srcPort = portOf(src);
    if (toAt >= 0) {
      let dst = rest.slice(toAt + 4);
      const end = dst.search(/[.,]? /);
      dst = (end >= 0 ? dst.slice(0, end) : dst).replace(/\.$/, '');
      const p = portOf(dst);
      out.dstPort = p;
      const host = p !== undefined ? dst.slice(0, dst.lastIndexOf(':')) : dst;
      const ip = cleanIp(host);
      if (ip) out.dst = ip;
      else out.fqdn = host.toLowerCase();
    }
  }
  const act = m.indexOf('Action: ');
  if (act >= 0) out.action = before(m.slice(act + 8), /[.\s]/);
  const urlAt = m.indexOf('Url: ');
  if (urlAt >= 0) out.url = before(m.slice(urlAt + 5), /\. |\s/);
  if (/no rule matched/i.test(m)) out.reason = 'Default Action';
  const rc = m.indexOf('Rule Collection: ');
  if (rc >= 0) out.ruleCollection = before(m.slice(rc + 17), '.');
  const r = m.indexOf('Rule: ');
  if (r >= 0) out.rule = before(m.slice(r + 6), /\.(\s|$)/);
  return out;
}

export function asFirewall(rec: Record<string, unknown>, category: string | undefined = str(getCI(rec, 'category'))): FwRecord | undefined {
  const type = str(rec.Type);
  const kind = (category ?? type ?? '').toString();
  const lk = kind.toLowerCase();
  if (CLASSIC_FW.has(lk)) {
    const props = isObject(rec.properties) ? rec.properties : {};
    const msg = str(props.msg) ?? str(rec.msg_s) ?? str(rec.msg);
    return {
      time: rec.time ?? rec.TimeGenerated,
      kind,
      resourceId: str(rec.resourceId) ?? str(rec._ResourceId),
      ...(msg ? parseFirewallMsg(msg) : {}),
    };
  }
  if (lk.startsWith('azfw') || (!kind && 'DestinationPort' in rec && 'Action' in rec && 'SourceIp' in rec)) {
    const p = isObject(rec.properties) ? rec.properties : rec;
    const dstIp = cleanIp(p.DestinationIp ?? p.DestinationIP);
    return {
      time: rec.time ?? rec.TimeGenerated ?? p.TimeGenerated,
      kind: kind || 'AZFWNetworkRule',
      protocol: str(p.Protocol),
      srcIp: cleanIp(p.SourceIp ?? p.SourceIP),
      srcPort: num(p.SourcePort),
      dst: dstIp,
      dstPort: num(p.DestinationPort),
      fqdn: str(p.Fqdn)?.toLowerCase() ?? str(p.QueryName)?.toLowerCase(),
      url: str(p.TargetUrl),
      action: str(p.Action),
      reason: str(p.ActionReason),
      policy: str(p.Policy),
      ruleCollection: str(p.RuleCollection),
      rule: str(p.Rule),
      resourceId: str(rec.resourceId) ?? str(rec._ResourceId),
    };
  }
  return undefined;
}

export function normalizeFirewall(f: FwRecord, r: RecordRef): DetectionEvent {
  const action = f.action?.toLowerCase() ?? 'unknown';
  const deny = action === 'deny' || action === 'drop' || action === 'reject';
  const dstName = f.fqdn ?? f.dst ?? 'unknown';
  return {
    // the line's SHA-256, computed when first read (a rule reporting the event, the store), not per line
    get id() {
      return r.digest();
    },
    key: r.key(),
    source: 'azure_firewall',
    classUid: OCSF_CLASSES.network_activity.uid,
    className: OCSF_CLASSES.network_activity.name,
    activity: deny ? 'deny' : action === 'allow' ? 'allow' : action,
    time: parseTime(f.time),
    outcome: deny ? 'failure' : 'success',
    statusDetail: f.reason,
    actor: { name: f.srcIp, type: 'unknown' },
    src: { ip: f.srcIp, port: f.srcPort },
    dst: { ip: f.dst, port: f.dstPort, host: f.fqdn },
    resource: { type: 'network/destination', name: f.dstPort ? `${dstName}:${f.dstPort}` : dstName },
    view: !r.wantsView('azure_firewall') ? NO_VIEW : {
      ...f,
      src_ip: f.srcIp,
      src_port: f.srcPort,
      dst_ip: f.dst,
      dst_port: f.dstPort,
      dst_host: f.fqdn,
      action: deny ? 'deny' : action,
      blocked: deny,
      protocol: f.protocol,
      category: f.kind,
    },
    raw: r.raw('azure_firewall'),
  };
}

const POLICY_DROP = new Set(['133', '181', '189', 'policy_denied', 'policy_deny', 'auth_required']);

/** A Hubble flow from `hubble observe -o json(pb)` or the flow exporter (`{"flow": {...}}`). */
export function asHubbleFlow(rec: Record<string, unknown>): Record<string, unknown> | undefined {
  if (isObject(rec.flow) && ('verdict' in rec.flow || 'IP' in rec.flow)) {
    return { ...rec.flow, time: rec.flow.time ?? rec.time, node_name: rec.flow.node_name ?? rec.node_name };
  }
  if ('verdict' in rec && ('IP' in rec || 'l4' in rec) && ('source' in rec || 'destination' in rec)) return rec;
  return undefined;
}

function verdictName(v: unknown): string {
  const n = num(v);
  if (n !== undefined) {
    return ['VERDICT_UNKNOWN', 'FORWARDED', 'DROPPED', 'ERROR', 'AUDIT', 'REDIRECTED', 'TRACED', 'TRANSLATED'][n] ?? String(n);
  }
  return String(v ?? 'VERDICT_UNKNOWN').toUpperCase();
}

export function normalizeHubble(f: Record<string, unknown>, r: RecordRef): DetectionEvent {
  const ip = isObject(f.IP) ? f.IP : {};
  const l4 = isObject(f.l4) ? f.l4 : {};
  const l4p = (isObject(l4.TCP) ? l4.TCP : isObject(l4.UDP) ? l4.UDP : isObject(l4.SCTP) ? l4.SCTP : {}) as Record<string, unknown>;
  const proto = isObject(l4.TCP) ? 'TCP' : isObject(l4.UDP) ? 'UDP' : isObject(l4.ICMPv4) ? 'ICMP' : undefined;
  const src = isObject(f.source) ? f.source : {};
  const dst = isObject(f.destination) ? f.destination : {};
  const verdict = verdictName(f.verdict);
  const reasonRaw = f.drop_reason_desc ?? f.drop_reason;
  const reason = reasonRaw === undefined ? undefined : String(reasonRaw).toLowerCase();
  const policyDeny = verdict === 'DROPPED' && (reason === undefined || POLICY_DROP.has(reason));
  const dirRaw = f.traffic_direction;
  const direction = dirRaw === 1 ? 'INGRESS' : dirRaw === 2 ? 'EGRESS' : str(dirRaw)?.toUpperCase();
  const names = Array.isArray(f.destination_names) ? f.destination_names.map(String) : [];
  const dstIp = cleanIp(ip.destination);
  const dstPort = num(l4p.destination_port);
  const dstHost = names[0]?.replace(/\.$/, '').toLowerCase();
  const srcNs = str(src.namespace);
  const srcPod = str(src.pod_name);
  const dstName = dstHost ?? dstIp ?? 'unknown';
  const activity = policyDeny ? 'deny' : verdict === 'DROPPED' ? 'drop' : verdict === 'FORWARDED' ? 'allow' : verdict.toLowerCase();
  return {
    // as for the firewall: the line's SHA-256 on first read
    get id() {
      return r.digest();
    },
    key: r.key(),
    source: 'hubble',
    classUid: OCSF_CLASSES.network_activity.uid,
    className: OCSF_CLASSES.network_activity.name,
    activity,
    time: parseTime(f.time),
    outcome: verdict === 'FORWARDED' ? 'success' : verdict === 'DROPPED' ? 'failure' : 'unknown',
    statusCode: verdict,
    statusDetail: reason,
    actor: { name: srcNs ? `${srcNs}/${srcPod ?? '?'}` : cleanIp(ip.source), type: 'service' },
    src: { ip: cleanIp(ip.source), port: num(l4p.source_port), namespace: srcNs, pod: srcPod },
    dst: { ip: dstIp, port: dstPort, host: dstHost, namespace: str(dst.namespace), pod: str(dst.pod_name) },
    resource: { type: 'network/destination', name: dstPort ? `${dstName}:${dstPort}` : dstName },
    view: !r.wantsView('hubble') ? NO_VIEW : {
      ...f,
      src_ip: cleanIp(ip.source),
      src_port: num(l4p.source_port),
      dst_ip: dstIp,
      dst_port: dstPort,
      dst_host: dstHost,
      action: policyDeny ? 'deny' : activity,
      blocked: verdict === 'DROPPED',
      protocol: proto,
      direction,
      is_reply: f.is_reply === true,
    },
    raw: r.raw('hubble'),
  };
}

import { anyGlob } from '../config';
import type { DetectionEvent } from '../types';
import { isObject, str } from '../util/json';
import { kqlList, principalOf, SIGNIN_KQL, type StatefulRule } from './types';

function k8sFinal(ev: DetectionEvent): boolean {
  const stage = str((ev.view as any).stage);
  return stage !== 'RequestReceived';
}

function detection(rule: StatefulRule, ev: DetectionEvent, resource: string, details: Record<string, unknown>, severity = rule.severity) {
  return [{ rule: rule.id, title: rule.title, severity, principal: principalOf(ev), resource, time: ev.time, eventIds: [ev.id], details }];
}

/** `kubectl exec`/`attach` into a pod of a research namespace by a person. */
export function podExecResearch(): StatefulRule {
  return {
    id: 'k8s-exec-research-namespace',
    title: 'Exec into a pod of a research namespace by a person',
    description: 'A person (not a service account, node or system component) opens a shell in (exec) or attaches to a pod in a research namespace, and the API server allows it.',
    severity: 'high',
    sources: ['k8s_audit'],
    readsView: ['k8s_audit'],
    nearMiss: 'A CI service account exec-ing into a research pod, or a person exec-ing into a pod of a non-research namespace.',
    onEvent(ev, ctx) {
      const r = ev.resource;
      if (!r || r.type !== 'k8s/pods' || !r.subresource || !ctx.config.podExec.subresources.includes(r.subresource)) return undefined;
      if (!['create', 'get'].includes(ev.activity) || !k8sFinal(ev) || ev.outcome === 'failure') return undefined;
      if (ev.actor.type !== 'user' || anyGlob(ctx.config.podExec.allowUsers, ev.actor.name)) return undefined;
      if (!ctx.isResearchNamespace(r.namespace)) return undefined;
      return detection(this, ev, r.name, { namespace: r.namespace, subresource: r.subresource, requestURI: (ev.view as any).requestURI, sourceIp: ev.src?.ip });
    },
    kql: cfg => `AKSAudit
| where tostring(ObjectRef.resource) == "pods" and tostring(ObjectRef.subresource) in (${kqlList(cfg.podExec.subresources)})
| where Verb in ("create", "get") and Stage != "RequestReceived" and toint(ResponseStatus.code) < 400
| extend user = tostring(User.username), ns = tostring(ObjectRef.namespace)
| where user !startswith "system:"
| where ${namespaceKql(cfg.researchNamespaces)}
| project TimeGenerated, user, cluster = tolower(extract("(?i)managedclusters/([^/]+)", 1, _ResourceId)), ns, resource = strcat("pods/", tostring(ObjectRef.subresource)), pod = tostring(ObjectRef.name), RequestUri, SourceIps`,
  };
}

export function namespaceKql(patterns: string[]): string {
  if (!patterns.length) return 'false';
  return `(${patterns
    .map(p => {
      const parts = p.split('*');
      if (parts.length === 1) return `ns == ${JSON.stringify(p)}`;
      if (parts.length === 2 && !parts[1]) return `ns startswith ${JSON.stringify(parts[0])}`;
      if (parts.length === 2 && !parts[0]) return `ns endswith ${JSON.stringify(parts[1])}`;
      return `ns matches regex ${JSON.stringify(`^${parts.map(x => x.replace(/[.^$+?()[\]{}|\\]/g, '\\$&')).join('.*')}$`)}`;
    })
    .join(' or ')})`;
}

function roleRefName(ev: DetectionEvent): string | undefined {
  for (const k of ['requestObject', 'responseObject']) {
    const o = (ev.view as any)[k];
    if (isObject(o) && isObject(o.roleRef)) return str(o.roleRef.name);
  }
  return undefined;
}

/** Bindings to cluster-admin (or another configured role). */
export function clusterAdminBinding(): StatefulRule {
  return {
    id: 'k8s-cluster-admin-binding',
    title: 'Binding to cluster-admin',
    description: 'A role binding or cluster role binding to cluster-admin (or another role configured as equivalent) is created or changed by anyone other than the allowed control-plane components.',
    severity: 'critical',
    sources: ['k8s_audit'],
    readsView: ['k8s_audit'],
    nearMiss: 'A binding to the view or edit role.',
    onEvent(ev, ctx) {
      const r = ev.resource;
      if (!r || (r.type !== 'k8s/clusterrolebindings' && r.type !== 'k8s/rolebindings')) return undefined;
      if (!['create', 'update', 'patch'].includes(ev.activity) || !k8sFinal(ev) || ev.outcome === 'failure') return undefined;
      if (anyGlob(ctx.config.clusterAdmin.allowUsers, ev.actor.name)) return undefined;
      const role = roleRefName(ev);
      const roles = ctx.config.clusterAdmin.roles.map(x => x.toLowerCase());
      // without the object (audit level Metadata) the binding's name is all there is: creating one
      // named after the role, or changing one such as the built-in `cluster-admin` binding (adding a subject)
      const hit = role ? roles.includes(role.toLowerCase()) : roles.some(x => r.name.toLowerCase().includes(x));
      if (!hit) return undefined;
      const obj = (ev.view as any).requestObject;
      return detection(this, ev, r.name, { role: role ?? '(name)', subjects: isObject(obj) ? obj.subjects : undefined, verb: ev.activity });
    },
    kql: cfg => `AKSAudit
| where tostring(ObjectRef.resource) in ("clusterrolebindings", "rolebindings") and Verb in ("create", "update", "patch")
| where Stage != "RequestReceived" and toint(ResponseStatus.code) < 400
| extend role = coalesce(tostring(RequestObject.roleRef.name), tostring(ResponseObject.roleRef.name)), user = tostring(User.username)
| where role in (${kqlList(cfg.clusterAdmin.roles)}) or (isempty(role) and (${cfg.clusterAdmin.roles.map(x => `tostring(ObjectRef.name) contains ${JSON.stringify(x)}`).join(' or ') || 'false'}))
| where user !in (${kqlList(cfg.clusterAdmin.allowUsers)})
| project TimeGenerated, user, cluster = tolower(extract("(?i)managedclusters/([^/]+)", 1, _ResourceId)), resource = tostring(ObjectRef.resource), binding = tostring(ObjectRef.name), role, subjects = RequestObject.subjects`,
  };
}

/** A person lists (or watches) secrets across all namespaces. */
export function secretsListClusterWide(): StatefulRule {
  return {
    id: 'k8s-secrets-list-cluster-wide',
    title: 'Secrets listed cluster-wide by a person',
    description: 'A person lists or watches secrets without a namespace (all namespaces). High when allowed, medium when refused.',
    severity: 'high',
    sources: ['k8s_audit'],
    readsView: ['k8s_audit'],
    nearMiss: "A reviewer listing one namespace's secrets.",
    onEvent(ev, ctx) {
      const r = ev.resource;
      if (!r || r.type !== 'k8s/secrets' || r.namespace || r.subresource) return undefined;
      if (!['list', 'watch'].includes(ev.activity) || !k8sFinal(ev)) return undefined;
      if (ev.actor.type !== 'user' || anyGlob(ctx.config.secretsList.allowUsers, ev.actor.name)) return undefined;
      return detection(this, ev, r.name, { verb: ev.activity, allowed: ev.outcome !== 'failure', sourceIp: ev.src?.ip }, ev.outcome === 'failure' ? 'medium' : 'high');
    },
    kql: () => `AKSAudit
| where tostring(ObjectRef.resource) == "secrets" and isempty(tostring(ObjectRef.namespace)) and Verb in ("list", "watch")
| where Stage != "RequestReceived"
| extend user = tostring(User.username)
| where user !startswith "system:"
| project TimeGenerated, user, cluster = tolower(extract("(?i)managedclusters/([^/]+)", 1, _ResourceId)), resource = "secrets", Verb, code = toint(ResponseStatus.code), SourceIps`,
  };
}

/** At most this many destinations are listed in an egress alert's details (the count is exact). */
const MAX_LISTED_DESTINATIONS = 50;

/**
 * Egress denied from a research namespace (Hubble policy drops, Azure Firewall denies), grouped per
 * source (namespace, or research subnet address) and destination port: a scan or a CDN answering
 * from rotating addresses is one alert listing its destinations, not one alert per address.
 */
export function egressDeniedResearch(): StatefulRule {
  // destinations (and pods) of each source × port, while its denies keep coming (gaps shorter than alertGroupWindowMinutes)
  const groups = new Map<string, { last: number; destinations: Set<string>; pods: Set<string>; count: number }>();
  let sweepAt = -Infinity;
  return {
    id: 'egress-denied-research-namespace',
    title: 'Egress denied from a research namespace',
    description:
      'A Hubble policy drop of egress traffic, or an Azure Firewall deny, whose source is a research namespace (by name, researchCidrs, or pod IPs learned from Hubble), to a destination not in egress.allowDestinations. One alert per source and destination port (resource `*:<port>`), listing the destinations.',
    severity: 'medium',
    sources: ['hubble', 'azure_firewall'],
    readsView: ['hubble'],
    nearMiss: 'The same deny from a non-research namespace; an allowed flow from a research namespace.',
    onEvent(ev, ctx) {
      if (ev.activity !== 'deny') return undefined;
      const v = ev.view as any;
      if (ev.source === 'hubble' && (v.is_reply || (v.direction && v.direction !== 'EGRESS'))) return undefined;
      const learned = ev.src?.namespace ?? ctx.namespaceOfIp(ev.src?.ip);
      const ns = ctx.isResearchNamespace(learned) ? learned : ctx.isResearchIp(ev.src?.ip) ? `research subnet ${ev.src?.ip}` : undefined;
      if (!ns) return undefined;
      const dst = ev.dst?.host ?? ev.dst?.ip;
      if (anyGlob(ctx.config.egress.allowDestinations, dst)) return undefined;
      const port = ev.dst?.port;
      const resource = `*:${port ?? '*'}`;
      const gap = ctx.config.alertGroupWindowMinutes * 60_000;
      const key = `${ns}\u0000${resource}`;
      let g = groups.get(key);
      if (!g || ev.time - g.last > gap) groups.set(key, (g = { last: ev.time, destinations: new Set(), pods: new Set(), count: 0 }));
      g.last = Math.max(g.last, ev.time);
      g.count++;
      const dstLabel = dst ? (port !== undefined ? `${dst}:${port}` : dst) : (ev.resource?.name ?? 'unknown');
      g.destinations.add(dstLabel);
      if (ev.src?.pod && g.pods.size < 20) g.pods.add(ev.src.pod);
      if (ev.time - sweepAt > gap) {
        sweepAt = ev.time;
        for (const [k, x] of groups) if (ev.time - x.last > gap) groups.delete(k);
      }
      return [
        {
          rule: this.id,
          title: this.title,
          severity: this.severity,
          principal: ns!,
          resource,
          time: ev.time,
          eventIds: [ev.id],
          details: {
            namespace: ns,
            pod: ev.src?.pod,
            pods: [...g.pods],
            sourceIp: ev.src?.ip,
            port,
            destinations: [...g.destinations].slice(0, MAX_LISTED_DESTINATIONS),
            destinationCount: g.destinations.size,
            via: ev.source,
          },
        },
      ];
    },
    kql: cfg => `// Azure Firewall denies from research subnets (researchCidrs); principal and resource named as the engine names them
union AZFWNetworkRule, AZFWApplicationRule
| where Action == "Deny"
| where ${cfg.researchCidrs.length ? `ipv4_is_in_any_range(SourceIp, ${kqlList(cfg.researchCidrs)})` : 'false'}
| extend destination = strcat(coalesce(Fqdn, DestinationIp), ":", DestinationPort)
| summarize denies = count(), first = min(TimeGenerated), last = max(TimeGenerated), destinationCount = dcount(destination), destinations = make_set(destination, ${MAX_LISTED_DESTINATIONS}) by SourceIp, DestinationPort
| extend principal = strcat("research subnet ", SourceIp), resource = strcat("*:", DestinationPort)`,
  };
}

/** Break-glass use: the portal's break-glass grants and sign-ins of emergency-access accounts. */
export function breakGlassUse(): StatefulRule {
  return {
    id: 'break-glass-use',
    title: 'Break-glass access used',
    description: 'A break-glass grant succeeded in the portal, or an emergency-access account (a name containing "break-glass" or starting with "emergency", configurable) signed in successfully.',
    severity: 'high',
    sources: ['portal_audit', 'entra_signin'],
    readsView: ['portal_audit'],
    nearMiss: 'A refused break-glass request; a failed sign-in of the emergency account.',
    onEvent(ev, ctx) {
      if (ev.outcome !== 'success') return undefined;
      if (ev.source === 'portal_audit') {
        if (!/(^|\.)break-?glass$/i.test(ev.activity)) return undefined;
        const meta = (ev.view as any).meta ?? {};
        return detection(this, ev, ev.resource?.name ?? 'portal', { justification: meta.justification, grantId: meta.grantId ?? meta.grant?.id });
      }
      const upn = ev.actor.upn;
      if (!upn || !anyGlob(ctx.config.breakGlass.accounts, upn)) return undefined;
      return detection(this, ev, 'Entra ID', { account: upn, ip: ev.src?.ip, country: ev.src?.country }, 'critical');
    },
    kql: cfg => `${SIGNIN_KQL}
| where ResultType == "0"
| where ${cfg.breakGlass.accounts.map(a => `UserPrincipalName matches regex ${JSON.stringify(`(?i)^${a.split('*').map(x => x.replace(/[.^$+?()[\]{}|\\]/g, '\\$&')).join('.*')}$`)}`).join(' or ') || 'false'}
| project TimeGenerated, UserPrincipalName, IPAddress, Location, AppDisplayName`,
  };
}

const FAILING = new Set(['fail', 'failed', 'failing', 'noncompliant', 'non-compliant', 'non_compliant', 'critical', 'high', 'regressed', 'drifted']);

/** Posture drift reported by the weight inventory (portal audit events). */
export function postureDrift(): StatefulRule {
  return {
    id: 'posture-drift',
    title: 'Posture drift on a weight store or cluster',
    description: 'The weight inventory reports a posture check that passed before and fails now (portal audit event from the inventory with eventId containing "drift" or "posture", whose status moved to failing).',
    severity: 'high',
    sources: ['portal_audit'],
    readsView: ['portal_audit'],
    nearMiss: 'A posture re-check that still passes, or that moves from failing to passing.',
    onEvent(ev) {
      if (ev.source !== 'portal_audit' || ev.outcome === 'failure') return undefined;
      const v = ev.view as any;
      const eventId = String(v.eventId ?? '');
      if (!/drift|posture/i.test(eventId)) return undefined;
      const meta = isObject(v.meta) ? v.meta : {};
      const to = str(meta.to) ?? str(meta.status) ?? str(meta.result) ?? str(meta.newStatus) ?? str(meta.state);
      const from = str(meta.from) ?? str(meta.previousStatus) ?? str(meta.oldStatus);
      const now = to?.toLowerCase();
      if (!(meta.drift === true || (now && FAILING.has(now)))) return undefined;
      if (from && FAILING.has(from.toLowerCase())) return undefined;
      const resource = str(meta.store) ?? str(meta.resourceRef) ?? str(meta.entityRef) ?? str(meta.resource) ?? ev.resource?.name ?? 'inventory';
      return [
        {
          rule: this.id,
          title: this.title,
          severity: str(meta.severity) === 'critical' ? 'critical' : this.severity,
          principal: str(meta.changedBy) ?? str(v.actor) ?? 'inventory',
          resource,
          time: ev.time,
          eventIds: [ev.id],
          details: { check: meta.check ?? meta.checkId, from, to },
        },
      ];
    },
    kql: () => `FrontierGuardAudit_CL
| where pluginId_s == "weight-inventory" and eventId_s has_any ("drift", "posture")
| extend to = tolower(tostring(parse_json(meta_s).to)), from = tolower(tostring(parse_json(meta_s).from))
| where to in ("fail", "failed", "failing", "noncompliant") and from !in ("fail", "failed", "failing", "noncompliant")`,
  };
}

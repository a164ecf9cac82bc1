import { cidrs } from '../config';
import type { DetectionEvent } from '../types';
import { COUNTRY_POINTS, haversineKm } from '../util/geo';
import { ipInAny, isPrivateIp, parseIp } from '../util/net';
import { kqlList, minutes, principalOf, SIGNIN_KQL, SlidingWindow, type RuleContext, type StatefulRule } from './types';

const ENTRA = 'Entra ID';

function point(ev: DetectionEvent): { lat: number; lon: number; exact: boolean } | undefined {
  if (ev.src?.lat !== undefined && ev.src?.lon !== undefined) return { lat: ev.src.lat, lon: ev.src.lon, exact: true };
  const c = ev.src?.country && COUNTRY_POINTS[ev.src.country];
  return c ? { lat: c[0], lon: c[1], exact: false } : undefined;
}

/** Successful sign-ins of one user too far apart for the time between them. */
export function atypicalTravel(): StatefulRule {
  const last = new Map<string, DetectionEvent>();
  return {
    id: 'atypical-travel',
    title: 'Atypical travel: sign-ins too far apart for the time between them',
    description: 'Two successful sign-ins of the same user from places whose distance divided by the time between them exceeds travel.maxSpeedKmh.',
    severity: 'high',
    sources: ['entra_signin'],
    nearMiss: 'A flight: London then New York eight hours later.',
    onEvent(ev, ctx: RuleContext) {
      if (ev.outcome !== 'success' || ev.actor.type !== 'user') return undefined;
      const ip = ev.src?.ip;
      if (!ip || isPrivateIp(ip)) return undefined;
      const cfg = ctx.config.travel;
      if (ipInAny(ip, cidrs(cfg.ignoreCidrs))) return undefined;
      const here = point(ev);
      if (!here) return undefined;
      const user = principalOf(ev);
      const prev = last.get(user);
      if (!prev || prev.time <= ev.time) last.set(user, ev);
      if (!prev || prev.src?.ip === ip) return undefined;
      const there = point(prev)!;
      // centroids only say something when the countries differ
      if ((!here.exact || !there.exact) && prev.src?.country === ev.src?.country) return undefined;
      const km = haversineKm(there.lat, there.lon, here.lat, here.lon);
      if (km < cfg.minDistanceKm) return undefined;
      const hours = Math.max(Math.abs(ev.time - prev.time) / 3_600_000, 1 / 60);
      const speed = km / hours;
      if (speed <= cfg.maxSpeedKmh) return undefined;
      return [
        {
          rule: this.id,
          title: this.title,
          severity: this.severity,
          principal: user,
          resource: ENTRA,
          time: ev.time,
          start: Math.min(prev.time, ev.time),
          eventIds: [prev.id, ev.id],
          details: {
            from: { ip: prev.src?.ip, country: prev.src?.country, city: prev.src?.city, time: new Date(prev.time).toISOString() },
            to: { ip, country: ev.src?.country, city: ev.src?.city, time: new Date(ev.time).toISOString() },
            distanceKm: Math.round(km),
            speedKmh: Math.round(speed),
          },
        },
      ];
    },
    kql: cfg => `let maxSpeedKmh = ${cfg.travel.maxSpeedKmh};
let minDistanceKm = ${cfg.travel.minDistanceKm};
${SIGNIN_KQL}
| where ResultType == "0"
| extend lat = toreal(LocationDetails.geoCoordinates.latitude), lon = toreal(LocationDetails.geoCoordinates.longitude)
| where isnotnull(lat) and isnotnull(lon)
| project TimeGenerated, UserPrincipalName, IPAddress, lat, lon, Location
| sort by UserPrincipalName asc, TimeGenerated asc
| extend prevUser = prev(UserPrincipalName), prevTime = prev(TimeGenerated), prevLat = prev(lat), prevLon = prev(lon), prevIp = prev(IPAddress)
| where prevUser == UserPrincipalName and prevIp != IPAddress
| extend km = geo_distance_2points(prevLon, prevLat, lon, lat) / 1000.0
| extend hours = max_of(datetime_diff('second', TimeGenerated, prevTime) / 3600.0, 1.0 / 60)
| where km >= minDistanceKm and km / hours > maxSpeedKmh
| project TimeGenerated, UserPrincipalName, prevIp, IPAddress, km, speedKmh = km / hours`,
  };
}

/** Medium/high risk sign-in that succeeded without MFA and was not remediated. */
export function riskySignIn(): StatefulRule {
  return {
    id: 'risky-signin-no-mfa',
    title: 'Risky sign-in not remediated by MFA',
    description: 'A successful sign-in that Entra ID rated at medium or high risk (configurable), completed without multi-factor authentication, whose risk was not remediated, dismissed or confirmed safe.',
    severity: 'high',
    sources: ['entra_signin'],
    nearMiss: 'A medium-risk sign-in where the user passed MFA (riskDetail userPassedMFADrivenByRiskBasedPolicy).',
    onEvent(ev, ctx) {
      const a = ev.auth;
      if (ev.outcome !== 'success' || !a) return undefined;
      const levels = ctx.config.riskySignIn.levels;
      const level = [a.riskLevel, a.riskLevelAggregated].find(l => l && levels.includes(l));
      if (!level) return undefined;
      if (a.mfa) return undefined;
      if (['remediated', 'dismissed', 'confirmedsafe'].includes(a.riskState ?? '')) return undefined;
      return [
        {
          rule: this.id,
          title: this.title,
          severity: level === 'high' || a.riskLevel === 'high' ? 'high' : 'medium',
          principal: principalOf(ev),
          resource: ENTRA,
          time: ev.time,
          eventIds: [ev.id],
          details: { riskLevel: level, riskState: a.riskState, riskEventTypes: a.riskEventTypes, ip: ev.src?.ip, country: ev.src?.country, app: a.app },
        },
      ];
    },
    kql: cfg => `${SIGNIN_KQL}
| where ResultType == "0"
| where RiskLevelDuringSignIn in (${kqlList(cfg.riskySignIn.levels)}) or RiskLevelAggregated in (${kqlList(cfg.riskySignIn.levels)})
| where AuthenticationRequirement != "multiFactorAuthentication"
| where RiskDetail != "userPassedMFADrivenByRiskBasedPolicy"
| where RiskState !in ("remediated", "dismissed", "confirmedSafe")
| mv-apply p = ConditionalAccessPolicies on (summarize mfaByCa = countif(tostring(p.result) == "success" and tostring(p.enforcedGrantControls) has "Mfa"))
| where mfaByCa == 0
| project TimeGenerated, UserPrincipalName, IPAddress, RiskLevelDuringSignIn, RiskState, RiskEventTypes_V2, AppDisplayName`,
  };
}

const VALID_PASSWORD_CODES = new Set([50074, 50076, 50079, 500121, 50158, 53003]);

/**
 * Where failures are counted: the address for IPv4, the /64 for IPv6 (one host's or one
 * subscriber's allocation: an attacker rotating addresses inside it is one source), written as
 * Kusto's format_ipv6_mask writes it (`2a02:6b8:0:1::/64`).
 */
export function spraySource(ip: string): string {
  const p = parseIp(ip);
  if (!p || p.v4) return ip;
  const groups = [48n, 32n, 16n, 0n].map(s => Number((p.v >> (64n + s)) & 0xffffn));
  let last = 3;
  while (last >= 0 && groups[last] === 0) last--;
  return `${groups.slice(0, last + 1).map(g => g.toString(16)).join(':')}::/64`;
}

/**
 * The last successful sign-in of each account per group (a source address, a network and user
 * agent), forgetting successes older than `span` (bounded memory over a week of logs); the spray
 * rules ask how many failing accounts did not sign in successfully after failing.
 */
class LastSuccesses {
  private readonly at = new Map<string, Map<string, number>>();
  private sweptAt = -Infinity;

  constructor(private readonly span: number) {}

  record(group: string, user: string, time: number): void {
    let ok = this.at.get(group);
    if (!ok) this.at.set(group, (ok = new Map()));
    if ((ok.get(user) ?? -Infinity) < time) ok.set(user, time);
    if (time - this.sweptAt > this.span) {
      this.sweptAt = time;
      for (const [k, m] of this.at) {
        for (const [u, t] of m) if (t < time - this.span) m.delete(u);
        if (!m.size) this.at.delete(k);
      }
    }
  }

  /**
   * The accounts (each with its first failure's time) with no success from the group since
   * `knownMs` before that failure: ones that signed in there recently are its regular users.
   */
  unknownAccounts(group: string, firstFail: Map<string, number>, knownMs = 0): string[] {
    const ok = this.at.get(group);
    const unknown: string[] = [];
    for (const [u, t] of firstFail) if (!(ok && (ok.get(u) ?? -Infinity) >= t - knownMs)) unknown.push(u);
    return unknown;
  }

  neverSucceeded(group: string, firstFail: Map<string, number>): number {
    return this.unknownAccounts(group, firstFail).length;
  }
}

/**
 * Failures against many accounts from one source (address, IPv6 /64) within a window, most of
 * whose accounts did not then sign in from there: people mistyping behind an office NAT sign in
 * right after, sprayed accounts do not.
 */
export function passwordSpray(): StatefulRule {
  const perSource = new Map<string, SlidingWindow<{ user: string; id: string; time: number }>>();
  let successes: LastSuccesses | undefined;
  const fired = new Map<string, number>();
  const sprayed = new Map<string, { users: Set<string>; until: number }>();
  let sweptAt = -Infinity;
  return {
    id: 'password-spray',
    stateSize: () => perSource.size + fired.size + sprayed.size,
    title: 'Password spray: failed sign-ins against many accounts from one address',
    description:
      'Failed sign-ins (wrong password, locked or disabled account and the like) against at least 10 different accounts from one IP address (IPv6: one /64) within an hour, of which at least half (passwordSpray.minNeverSucceededRatio) are not regular users of that source: no successful sign-in from there in the 24 hours before failing (passwordSpray.knownSourceHours) nor after it (all configurable); a later successful sign-in of one of those accounts from that source raises it to high.',
    severity: 'medium',
    sources: ['entra_signin'],
    nearMiss: 'One user mistyping their password several times; many users behind one office address mistyping within the hour and then signing in.',
    onEvent(ev, ctx) {
      const ip = ev.src?.ip;
      if (!ip) return undefined;
      const cfg = ctx.config.passwordSpray;
      if (ipInAny(ip, cidrs(cfg.allowCidrs))) return undefined;
      const src = spraySource(ip);
      const user = principalOf(ev);
      const code = ev.auth?.errorCode ?? 0;
      const span = minutes(cfg.windowMinutes);
      const knownMs = cfg.knownSourceHours * 3_600_000;
      successes ??= new LastSuccesses(Math.max(span, knownMs));
      if (ev.time - sweptAt > span) {
        // forget sources quiet for two windows (a week of logs meets many failing addresses once)
        sweptAt = ev.time;
        for (const [k, w] of perSource) if (!w.size || w.entries[w.size - 1].t < ev.time - 2 * span) perSource.delete(k);
        for (const [k, t] of fired) if (t < ev.time - 2 * span) fired.delete(k);
        for (const [k, x] of sprayed) if (x.until < ev.time - span) sprayed.delete(k);
      }
      if (ev.outcome === 'success') successes.record(src, user, ev.time);
      if (ev.outcome === 'success' || VALID_PASSWORD_CODES.has(code)) {
        const s = sprayed.get(src);
        if (s && ev.time <= s.until && s.users.has(user)) {
          return [
            {
              rule: this.id,
              title: this.title,
              severity: 'high',
              principal: src,
              resource: ENTRA,
              time: ev.time,
              eventIds: [ev.id],
              details: { compromisedAccount: user, code, ...(src !== ip ? { ip } : {}) },
            },
          ];
        }
        if (ev.outcome === 'success') return undefined;
      }
      if (!cfg.errorCodes.includes(code)) return undefined;
      let w = perSource.get(src);
      if (!w) perSource.set(src, (w = new SlidingWindow(span)));
      w.add(ev.time, { user, id: ev.id, time: ev.time });
      const firstFail = new Map<string, number>();
      for (const v of w.values) if (!(firstFail.get(v.user)! <= v.time)) firstFail.set(v.user, v.time);
      const users = firstFail.size;
      if (users < cfg.minAccounts) return undefined;
      const unknown = successes.unknownAccounts(src, firstFail, knownMs);
      if (unknown.length / users < cfg.minNeverSucceededRatio) return undefined;
      const names = [...firstFail.keys()];
      // a later success raises it to high only for accounts that are not the source's regular users
      sprayed.set(src, { users: new Set(unknown), until: ev.time + span });
      const already = fired.get(src);
      const ids = already !== undefined && ev.time - already < span ? [ev.id] : w.values.map(v => v.id);
      fired.set(src, ev.time);
      return [
        {
          rule: this.id,
          title: this.title,
          severity: this.severity,
          principal: src,
          resource: ENTRA,
          time: ev.time,
          eventIds: ids,
          details: { accounts: users, windowMinutes: cfg.windowMinutes, sampleAccounts: names.slice(0, 20) },
        },
      ];
    },
    kql: cfg => `${SIGNIN_KQL}
| where ResultType in (${kqlList(cfg.passwordSpray.errorCodes.map(String))}) or ResultType == "0"
| extend principal = iff(IPAddress contains ":", format_ipv6_mask(IPAddress, 64), IPAddress)
| summarize failures = countif(ResultType != "0"), failedAt = minif(TimeGenerated, ResultType != "0") by principal, UserPrincipalName, window = bin(TimeGenerated, ${cfg.passwordSpray.windowMinutes}m)
| where failures > 0
| join kind=leftouter (${SIGNIN_KQL}
  | where ResultType == "0"
  | extend principal = iff(IPAddress contains ":", format_ipv6_mask(IPAddress, 64), IPAddress)
  | summarize lastOk = max(TimeGenerated) by principal, UserPrincipalName) on principal, UserPrincipalName
| summarize accounts = dcount(UserPrincipalName), attempts = sum(failures), neverSucceeded = countif(isnull(lastOk) or lastOk < failedAt - ${cfg.passwordSpray.knownSourceHours}h), sample = make_set(UserPrincipalName, 20) by principal, TimeGenerated = window
| where accounts >= ${cfg.passwordSpray.minAccounts} and todouble(neverSucceeded) / accounts >= ${cfg.passwordSpray.minNeverSucceededRatio}`,
  };
}

/**
 * Distributed spray: failures against many accounts from many sources (addresses, IPv6 /64s) of one
 * autonomous system — or one country when the ASN is not logged — with the same user agent within
 * a window, most of whose accounts did not then sign in from that group. One office address is one
 * source, so a NAT's typos cannot raise it; people of one ISP who mistype and then sign in do not
 * either (the share of accounts that never succeed).
 */
export function distributedSpray(): StatefulRule {
  const perGroup = new Map<string, SlidingWindow<{ user: string; source: string; id: string; time: number }>>();
  let successes: LastSuccesses | undefined;
  let sweptAt = -Infinity;
  return {
    id: 'password-spray-distributed',
    stateSize: () => perGroup.size,
    title: 'Distributed password spray: failed sign-ins against many accounts from many addresses of one network with one user agent',
    description:
      'Failed sign-ins (passwordSpray.errorCodes) against at least distributedSpray.minAccounts (20) accounts from at least minSources (5) addresses (IPv6: /64s) of one autonomous system (or country when no ASN is logged), all with the same user agent, within windowMinutes (60), of which at least minNeverSucceededRatio (0.8) did not sign in successfully from that network and agent after failing. Sign-ins without a user agent or a public address are not judged.',
    severity: 'medium',
    sources: ['entra_signin'],
    nearMiss: 'Many people of one ISP (same browser) mistyping or changing expired passwords on a Monday morning and then signing in; an office NAT (one address) full of typos.',
    onEvent(ev, ctx) {
      const ip = ev.src?.ip;
      const ua = ev.auth?.userAgent;
      if (!ip || !ua || isPrivateIp(ip) || ev.actor.type !== 'user') return undefined;
      if (ipInAny(ip, cidrs(ctx.config.passwordSpray.allowCidrs))) return undefined;
      const net = ev.src?.asn !== undefined ? `AS${ev.src.asn}` : ev.src?.country ? `country ${ev.src.country}` : undefined;
      if (!net) return undefined;
      const cfg = ctx.config.distributedSpray;
      const span = minutes(cfg.windowMinutes);
      const group = `${net} · ${ua.length > 120 ? `${ua.slice(0, 120)}…` : ua}`;
      const user = principalOf(ev);
      successes ??= new LastSuccesses(span);
      if (ev.time - sweptAt > span) {
        sweptAt = ev.time;
        for (const [k, w] of perGroup) if (!w.size || w.entries[w.size - 1].t < ev.time - 2 * span) perGroup.delete(k);
      }
      if (ev.outcome === 'success') {
        successes.record(group, user, ev.time);
        return undefined;
      }
      if (!ctx.config.passwordSpray.errorCodes.includes(ev.auth?.errorCode ?? 0)) return undefined;
      let w = perGroup.get(group);
      if (!w) perGroup.set(group, (w = new SlidingWindow(span)));
      w.add(ev.time, { user, source: spraySource(ip), id: ev.id, time: ev.time });
      const firstFail = new Map<string, number>();
      const sources = new Set<string>();
      for (const v of w.values) {
        if (!(firstFail.get(v.user)! <= v.time)) firstFail.set(v.user, v.time);
        sources.add(v.source);
      }
      if (firstFail.size < cfg.minAccounts || sources.size < cfg.minSources) return undefined;
      if (successes.neverSucceeded(group, firstFail) / firstFail.size < cfg.minNeverSucceededRatio) return undefined;
      return [
        {
          rule: this.id,
          title: this.title,
          severity: this.severity,
          principal: group,
          resource: ENTRA,
          time: ev.time,
          eventIds: [ev.id],
          details: { network: net, userAgent: ua, accounts: firstFail.size, sources: sources.size, windowMinutes: cfg.windowMinutes, sampleAccounts: [...firstFail.keys()].slice(0, 20), sampleSources: [...sources].slice(0, 20) },
        },
      ];
    },
    kql: cfg => `${SIGNIN_KQL}
| where ResultType in (${kqlList(cfg.passwordSpray.errorCodes.map(String))}) or ResultType == "0"
| where isnotempty(UserAgent) and not(coalesce(ipv4_is_private(IPAddress), false))
| extend network = iff(isnotempty(AutonomousSystemNumber), strcat("AS", AutonomousSystemNumber), strcat("country ", Location))
| extend principal = strcat(network, " · ", UserAgent), source = iff(IPAddress contains ":", format_ipv6_mask(IPAddress, 64), IPAddress)
| summarize failures = countif(ResultType != "0"), failedAt = minif(TimeGenerated, ResultType != "0"), okAt = maxif(TimeGenerated, ResultType == "0"), sources = make_set_if(source, ResultType != "0", 1000) by principal, UserPrincipalName, window = bin(TimeGenerated, ${cfg.distributedSpray.windowMinutes}m)
| where failures > 0
| summarize accounts = count(), attempts = sum(failures), neverSucceeded = countif(isnull(okAt) or okAt < failedAt), sources = array_length(make_set(sources)), sample = make_set(UserPrincipalName, 20) by principal, TimeGenerated = window
| where accounts >= ${cfg.distributedSpray.minAccounts} and sources >= ${cfg.distributedSpray.minSources} and todouble(neverSucceeded) / accounts >= ${cfg.distributedSpray.minNeverSucceededRatio}
| extend resource = "${ENTRA}"`,
  };
}

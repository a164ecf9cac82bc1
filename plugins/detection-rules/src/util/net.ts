/** IP parsing and CIDR matching for IPv4 and IPv6 (no regex on attacker input). */

/** Strips a port (`1.2.3.4:5678`, `[::1]:443`) and zone ids; returns undefined when not an IP. */
export function cleanIp(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) return undefined;
  let v = value.trim();
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    if (end < 0) return undefined;
    v = v.slice(1, end);
  } else if (v.indexOf(':') > 0 && v.indexOf(':') === v.lastIndexOf(':') && v.includes('.')) {
    v = v.slice(0, v.indexOf(':'));
  }
  const pct = v.indexOf('%');
  if (pct > 0) v = v.slice(0, pct);
  return parseIp(v) ? v.toLowerCase() : undefined;
}

/** Port from `ip:port` / `[ip]:port`. */
export function portOf(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = value.lastIndexOf(':');
  if (m < 0) return undefined;
  if (!value.startsWith('[') && value.indexOf(':') !== m) return undefined;
  const n = Number(value.slice(m + 1));
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}

type ParsedIp = { readonly v: bigint; readonly v4: boolean };
const ipCache = new Map<string, ParsedIp | null>();

/** IP as a 128-bit bigint (IPv4 mapped into ::ffff:0:0/96), or undefined. Memoised (logs repeat addresses). */
export function parseIp(ip: string): ParsedIp | undefined {
  let p = ipCache.get(ip);
  if (p === undefined) {
    if (ipCache.size >= 100_000) ipCache.clear();
    p = parseIpUncached(ip) ?? null;
    ipCache.set(ip, p);
  }
  return p ?? undefined;
}

function parseIpUncached(ip: string): ParsedIp | undefined {
  if (ip.includes('.') && !ip.includes(':')) {
    const parts = ip.split('.');
    if (parts.length !== 4) return undefined;
    let n = 0n;
    for (const p of parts) {
      if (!/^\d{1,3}$/.test(p)) return undefined;
      const x = Number(p);
      if (x > 255) return undefined;
      n = (n << 8n) | BigInt(x);
    }
    return { v: n | 0xffff00000000n, v4: true };
  }
  if (!ip.includes(':')) return undefined;
  let head = ip;
  let tailV4: bigint | undefined;
  const lastColon = ip.lastIndexOf(':');
  if (ip.slice(lastColon + 1).includes('.')) {
    const v4 = parseIpUncached(ip.slice(lastColon + 1));
    if (!v4) return undefined;
    tailV4 = v4.v & 0xffffffffn;
    head = `${ip.slice(0, lastColon + 1)}0:0`;
  }
  const dbl = head.split('::');
  if (dbl.length > 2) return undefined;
  const left = dbl[0] ? dbl[0].split(':') : [];
  const right = dbl.length === 2 && dbl[1] ? dbl[1].split(':') : [];
  const missing = 8 - left.length - right.length;
  if (dbl.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...left, ...Array(dbl.length === 2 ? missing : 0).fill('0'), ...right];
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  if (tailV4 !== undefined) n = (n & ~0xffffffffn) | tailV4;
  const v4 = n >> 32n === 0xffffn;
  return { v: n, v4 };
}

export interface Cidr {
  base: bigint;
  mask: bigint;
  text: string;
}

export function parseCidr(text: string): Cidr {
  const [ip, bitsText] = text.trim().split('/');
  const p = parseIp(ip);
  if (!p) throw new Error(`invalid CIDR ${JSON.stringify(text)}`);
  const isV4 = ip.includes('.') && !ip.includes(':');
  const maxBits = isV4 ? 32 : 128;
  const bits = bitsText === undefined ? maxBits : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > maxBits) {
    throw new Error(`invalid CIDR prefix in ${JSON.stringify(text)}`);
  }
  const total = isV4 ? bits + 96 : bits;
  const mask = total === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - total)) - 1n);
  return { base: p.v & mask, mask, text };
}

export function ipInCidr(ip: string | undefined, cidr: Cidr): boolean {
  if (!ip) return false;
  const p = parseIp(ip);
  if (!p) return false;
  return (p.v & cidr.mask) === cidr.base;
}

export function ipInAny(ip: string | undefined, cidrs: Cidr[]): boolean {
  if (!ip || !cidrs.length) return false;
  const p = parseIp(ip); // once, not once per CIDR
  if (!p) return false;
  for (const c of cidrs) if ((p.v & c.mask) === c.base) return true;
  return false;
}

const PRIVATE = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  'fc00::/7',
  'fe80::/10',
  '::1/128',
].map(parseCidr);

export function isPrivateIp(ip: string | undefined): boolean {
  return ipInAny(ip, PRIVATE);
}

/** CIDR parsing and containment for IPv4 and IPv6 (egress allowlist). */

export interface Cidr {
  v6: boolean;
  base: bigint;
  prefix: number;
}

function parseV4(addr: string): bigint | undefined {
  const parts = addr.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = (n << 8n) | BigInt(Number(p));
  }
  return n;
}

function parseV6(addr: string): bigint | undefined {
  let text = addr;
  if (text.includes('.')) {
    const lastColon = text.lastIndexOf(':');
    const v4 = lastColon >= 0 ? parseV4(text.slice(lastColon + 1)) : undefined;
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}${((v4 >> 16n) & 0xffffn).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 && missing !== 0) return undefined;
  if (missing < 0) return undefined;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return n;
}

export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (!m) return undefined;
  const v6 = m[1].includes(':');
  const base = v6 ? parseV6(m[1]) : parseV4(m[1]);
  if (base === undefined) return undefined;
  const max = v6 ? 128 : 32;
  const prefix = m[2] === undefined ? max : Number(m[2]);
  if (prefix > max) return undefined;
  return { v6, base, prefix };
}

/** Whether `inner` lies entirely inside `outer`. */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  if (inner.v6 !== outer.v6) return false;
  if (inner.prefix < outer.prefix) return false;
  const bits = BigInt(inner.v6 ? 128 : 32);
  const shift = bits - BigInt(outer.prefix);
  return inner.base >> shift === outer.base >> shift;
}

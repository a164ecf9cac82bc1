import { isIP } from 'node:net';

/**
 * An allowlist of client networks (DASF 1: IP access lists), as CIDR blocks or single
 * addresses, IPv4 and IPv6. IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) match IPv4 blocks.
 */
export class IpAccessList {
  private readonly blocks: Array<{ family: 4 | 6; base: bigint; mask: bigint; text: string }>;

  /** Throws an Error naming the bad entry when one is not an address or CIDR block. */
  constructor(networks: readonly string[]) {
    this.blocks = networks.map(parseBlock);
  }

  get size(): number {
    return this.blocks.length;
  }

  allows(address: string | undefined): boolean {
    if (!address) return false;
    const parsed = parseAddress(address);
    if (!parsed) return false;
    return this.blocks.some(
      b => b.family === parsed.family && (parsed.value & b.mask) === b.base,
    );
  }
}

function parseBlock(text: string): { family: 4 | 6; base: bigint; mask: bigint; text: string } {
  const [addr, prefixText, ...rest] = text.trim().split('/');
  const parsed = rest.length === 0 ? parseAddress(addr) : undefined;
  if (!parsed || parsed.mapped) {
    throw new Error(`Invalid network "${text}": expected an IP address or CIDR block such as 10.0.0.0/8`);
  }
  const bits = parsed.family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? String(bits)) || prefix < 0 || prefix > bits) {
    throw new Error(`Invalid network "${text}": prefix length must be 0-${bits}`);
  }
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  return { family: parsed.family, base: parsed.value & mask, mask, text };
}

function parseAddress(raw: string): { family: 4 | 6; value: bigint; mapped?: boolean } | undefined {
  const address = raw.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const kind = isIP(address);
  if (kind === 4) return { family: 4, value: ipv4ToBigInt(address) };
  if (kind !== 6) return undefined;
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped && isIP(mapped[1]) === 4) {
    return { family: 4, value: ipv4ToBigInt(mapped[1]), mapped: true };
  }
  return { family: 6, value: ipv6ToBigInt(address) };
}

function ipv4ToBigInt(address: string): bigint {
  return address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6ToBigInt(address: string): bigint {
  let text = address;
  // Embedded IPv4 tail (e.g. 64:ff9b::192.0.2.1) becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipv4ToBigInt(v4[1]);
    text = `${text.slice(0, -v4[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const headParts = head ? head.split(':') : [];
  const tailParts = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const missing = 8 - headParts.length - tailParts.length;
  const parts = tail === undefined ? headParts : [...headParts, ...Array(missing).fill('0'), ...tailParts];
  return parts.reduce((acc, part) => (acc << 16n) | BigInt(parseInt(part, 16)), 0n);
}

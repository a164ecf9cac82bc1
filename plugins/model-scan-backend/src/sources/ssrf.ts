import dns from 'node:dns';
import net from 'node:net';
import { NotAllowedError } from '@backstage/errors';

/**
 * Address ranges a user-supplied URL may never reach unless its host is allowlisted:
 * loopback, private networks, link-local (cloud metadata 169.254.169.254), CGNAT,
 * multicast, reserved and documentation ranges.
 */
const blocked = new net.BlockList();
for (const [addr, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(addr, prefix, 'ipv4');
}
for (const [addr, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(addr, prefix, 'ipv6');
}

/** True when the address is loopback, private, link-local or otherwise not public. */
export function isNonPublicAddress(address: string): boolean {
  let addr = address.replace(/^\[|\]$/g, '');
  const family = net.isIP(addr);
  if (family === 0) return true; // not an address at all: refuse
  if (family === 6) {
    // IPv4-mapped (::ffff:a.b.c.d or ::ffff:7f00:1) — judge the embedded IPv4 address
    const mapped = addr.toLowerCase().match(/^::ffff:(?:0:)?(.+)$/);
    if (mapped) {
      const tail = mapped[1];
      if (net.isIPv4(tail)) {
        addr = tail;
      } else {
        const parts = tail.split(':');
        if (parts.length === 2) {
          const hi = parseInt(parts[0], 16);
          const lo = parseInt(parts[1], 16);
          addr = `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
        }
      }
      if (net.isIPv4(addr)) return blocked.check(addr, 'ipv4');
    }
    return blocked.check(addr, 'ipv6');
  }
  return blocked.check(addr, 'ipv4');
}

/**
 * Guards user-supplied URLs against server-side request forgery. Hosts (names, IPs or
 * CIDR ranges) in `allowedHosts` may be private; everything else must resolve only to
 * public addresses. The check runs inside the socket's DNS lookup, so a name that
 * resolves differently on a second lookup (DNS rebinding) is still judged on the
 * address actually connected to.
 */
/** `dns.lookup` with `all: true`, injectable for tests (a name that resolves to 127.0.0.1). */
export type AllAddressesLookup = (
  hostname: string,
  options: { all: true },
  callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
) => void;

/** How long the submission-time DNS check waits before accepting (the connect-time check still runs). */
const SUBMISSION_LOOKUP_TIMEOUT_MS = 3000;

export class SsrfGuard {
  private readonly allowedNames = new Set<string>();
  private readonly allowedRanges = new net.BlockList();
  private readonly lookup: AllAddressesLookup;

  constructor(
    allowedHosts: string[],
    private readonly allowInsecureHttp: boolean,
    options: { lookup?: AllAddressesLookup } = {},
  ) {
    this.lookup = options.lookup ?? (dns.lookup as unknown as AllAddressesLookup);
    for (const entry of allowedHosts) {
      const [addr, prefix] = entry.split('/');
      const family = net.isIP(addr);
      if (family) {
        const type = family === 4 ? 'ipv4' : 'ipv6';
        if (prefix !== undefined) {
          this.allowedRanges.addSubnet(addr, Number(prefix), type);
        } else this.allowedRanges.addAddress(addr, type);
      } else {
        this.allowedNames.add(entry.toLowerCase());
      }
    }
  }

  private addressAllowed(address: string): boolean {
    const family = net.isIP(address);
    if (
      family &&
      this.allowedRanges.check(address, family === 4 ? 'ipv4' : 'ipv6')
    ) {
      return true;
    }
    return !isNonPublicAddress(address);
  }

  /** Throws NotAllowedError when the URL's scheme or literal address is not acceptable. */
  checkUrl(url: URL): void {
    if (url.protocol === 'http:' && !this.allowInsecureHttp) {
      throw new NotAllowedError(
        `Refusing plain http URL ${url.origin}; use https (or set modelScan.sources.allowInsecureHttp)`,
      );
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new NotAllowedError(`Refusing URL scheme ${url.protocol}`);
    }
    if (url.username || url.password) {
      throw new NotAllowedError('Refusing URL with embedded credentials');
    }
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (this.allowedNames.has(host)) return;
    if (net.isIP(host) && !this.addressAllowed(host)) {
      throw new NotAllowedError(
        `Refusing ${host}: private, loopback or link-local address (allowlist it in modelScan.sources.allowedHosts)`,
      );
    }
  }

  /**
   * `checkUrl` plus, for a host NAME, a DNS lookup now: a name that resolves to a private,
   * loopback or link-local address is refused at submission (a 400 at once instead of a failed
   * job later). A name that does not resolve (or not within 3 s) is accepted here — the job
   * fails visibly — and the connect-time `lookupFor` check still judges the address actually
   * connected to (DNS rebinding).
   */
  async checkUrlResolved(url: URL): Promise<void> {
    this.checkUrl(url);
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (net.isIP(host) || this.allowedNames.has(host)) return;
    const addresses = await new Promise<dns.LookupAddress[]>(resolve => {
      const timer = setTimeout(() => resolve([]), SUBMISSION_LOOKUP_TIMEOUT_MS);
      timer.unref?.();
      try {
        this.lookup(host, { all: true }, (err, list) => {
          clearTimeout(timer);
          resolve(err || !Array.isArray(list) ? [] : list);
        });
      } catch {
        clearTimeout(timer);
        resolve([]);
      }
    });
    const bad = addresses.find(a => !this.addressAllowed(a.address));
    if (bad) {
      throw new NotAllowedError(
        `Refusing ${host}: it resolves to the non-public address ${bad.address} (allowlist it in modelScan.sources.allowedHosts)`,
      );
    }
  }

  /** A `lookup` for http(s).request that refuses non-public answers for non-allowlisted names. */
  lookupFor(hostname: string): net.LookupFunction {
    const nameAllowed = this.allowedNames.has(hostname.toLowerCase());
    return ((name: string, options: dns.LookupOptions, callback: Function) => {
      this.lookup(name, { ...options, all: true }, (err, addresses) => {
        if (err) return callback(err);
        const list = addresses as dns.LookupAddress[];
        if (!nameAllowed) {
          const bad = list.find(a => !this.addressAllowed(a.address));
          if (bad) {
            return callback(
              new NotAllowedError(
                `Refusing ${name}: it resolves to the non-public address ${bad.address} (allowlist it in modelScan.sources.allowedHosts)`,
              ),
            );
          }
        }
        if (options.all) return callback(null, list);
        return callback(null, list[0].address, list[0].family);
      });
    }) as unknown as net.LookupFunction;
  }
}

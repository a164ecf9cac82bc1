import { SsrfGuard } from './ssrf';

/** A DNS stand-in: name → addresses (missing names fail like NXDOMAIN). */
function fakeDns(table: Record<string, string[]>) {
  const calls: string[] = [];
  const lookup = (name: string, _o: { all: true }, cb: (e: any, a: any[]) => void) => {
    calls.push(name);
    const list = table[name];
    if (!list) return cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' }), []);
    return cb(null, list.map(address => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  return { lookup, calls };
}

describe('SsrfGuard.checkUrlResolved (submission-time DNS check)', () => {
  const dns = fakeDns({
    'models.example.com': ['93.184.216.34'],
    'intranet.example.com': ['10.0.0.5'],
    'rebind.example.com': ['93.184.216.34', '127.0.0.1'],
    'metadata.example.com': ['169.254.169.254'],
    'v6loop.example.com': ['::1'],
    'allowed.internal': ['10.1.1.1'],
  });
  const guard = new SsrfGuard(['allowed.internal'], false, { lookup: dns.lookup });

  it.each(['intranet.example.com', 'rebind.example.com', 'metadata.example.com', 'v6loop.example.com'])(
    'refuses %s, which resolves to a non-public address',
    async host => {
      await expect(guard.checkUrlResolved(new URL(`https://${host}/m.bin`))).rejects.toMatchObject({
        name: 'NotAllowedError',
        message: expect.stringContaining('resolves to the non-public address'),
      });
    },
  );

  it('accepts public answers, allowlisted names and names that do not resolve (checked again at connect time)', async () => {
    await expect(guard.checkUrlResolved(new URL('https://models.example.com/m.bin'))).resolves.toBeUndefined();
    await expect(guard.checkUrlResolved(new URL('https://allowed.internal/m.bin'))).resolves.toBeUndefined();
    await expect(guard.checkUrlResolved(new URL('https://nxdomain.example.com/m.bin'))).resolves.toBeUndefined();
    expect(dns.calls).not.toContain('allowed.internal');
  });

  it('still applies the literal-address and scheme checks', async () => {
    await expect(guard.checkUrlResolved(new URL('https://127.0.0.1/m.bin'))).rejects.toMatchObject({ name: 'NotAllowedError' });
    await expect(guard.checkUrlResolved(new URL('http://models.example.com/m.bin'))).rejects.toMatchObject({ name: 'NotAllowedError' });
  });

  it('the connect-time lookup uses the same resolver and refuses a rebinding answer', async () => {
    const lookup = guard.lookupFor('rebind.example.com') as any;
    const err = await new Promise<Error | null>(resolve =>
      lookup('rebind.example.com', { all: true }, (e: Error | null) => resolve(e)),
    );
    expect(err?.message).toContain('non-public address 127.0.0.1');
  });
});

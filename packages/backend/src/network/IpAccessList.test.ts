import { IpAccessList } from './IpAccessList';

describe('IpAccessList', () => {
  const list = new IpAccessList(['10.20.0.0/16', '192.0.2.7', '2001:db8:abcd::/48', '127.0.0.1/32']);

  it('allows addresses inside the configured networks', () => {
    expect(list.allows('10.20.3.4')).toBe(true);
    expect(list.allows('192.0.2.7')).toBe(true);
    expect(list.allows('2001:db8:abcd:12::1')).toBe(true);
    expect(list.allows('127.0.0.1')).toBe(true);
  });

  it('refuses addresses outside them', () => {
    expect(list.allows('10.21.0.1')).toBe(false);
    expect(list.allows('192.0.2.8')).toBe(false);
    expect(list.allows('2001:db8:abce::1')).toBe(false);
    expect(list.allows('::1')).toBe(false);
  });

  it('treats IPv4-mapped IPv6 client addresses as IPv4', () => {
    expect(list.allows('::ffff:10.20.9.9')).toBe(true);
    expect(list.allows('::ffff:10.99.9.9')).toBe(false);
  });

  it('refuses garbage and missing addresses', () => {
    expect(list.allows(undefined)).toBe(false);
    expect(list.allows('')).toBe(false);
    expect(list.allows('10.20.0.0/16')).toBe(false);
    expect(list.allows('not-an-ip')).toBe(false);
  });

  it('supports a 0-length prefix meaning everything of that family', () => {
    const all4 = new IpAccessList(['0.0.0.0/0']);
    expect(all4.allows('8.8.8.8')).toBe(true);
    expect(all4.allows('2001:db8::1')).toBe(false);
  });

  it('rejects invalid configuration with the entry named', () => {
    expect(() => new IpAccessList(['10.0.0.0/33'])).toThrow(/10\.0\.0\.0\/33/);
    expect(() => new IpAccessList(['example.com'])).toThrow(/example\.com/);
    expect(() => new IpAccessList(['10.0.0.0/8/1'])).toThrow(/10\.0\.0\.0\/8\/1/);
    expect(() => new IpAccessList(['2001:db8::/129'])).toThrow(/prefix/);
  });
});

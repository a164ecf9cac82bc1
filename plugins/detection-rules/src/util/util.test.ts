import { createHash } from 'node:crypto';
import { getCI, parseTime, sha256 } from './json';
import { ipInAny, ipInCidr, isPrivateIp, parseCidr, parseIp } from './net';

describe('sha256', () => {
  it('gives the createHash digest of the UTF-8 text (idempotency keys must not change)', () => {
    for (const t of ['', '{"a":1}', 'Zoë — 東京 🚀', 'x'.repeat(10_000)]) {
      expect(sha256(t)).toBe(createHash('sha256').update(t, 'utf8').digest('hex'));
    }
  });
});

describe('memoised IP parsing', () => {
  it('answers the same on repeated and invalid addresses', () => {
    const cidrs = ['10.0.0.0/8', '2001:db8::/32'].map(parseCidr);
    for (let k = 0; k < 3; k++) {
      expect(ipInAny('10.1.2.3', cidrs)).toBe(true);
      expect(ipInAny('11.1.2.3', cidrs)).toBe(false);
      expect(ipInAny('2001:db8::1', cidrs)).toBe(true);
      expect(ipInAny('::ffff:10.0.0.1', cidrs)).toBe(true);
      expect(ipInAny('10.1.2.300', cidrs)).toBe(false);
      expect(ipInAny('not-an-ip', cidrs)).toBe(false);
      expect(ipInAny(undefined, cidrs)).toBe(false);
      expect(ipInAny('10.1.2.3', [])).toBe(false);
      expect(parseIp('1.2.3.999')).toBeUndefined();
      expect(isPrivateIp('192.168.1.1')).toBe(true);
      expect(isPrivateIp('8.8.8.8')).toBe(false);
      expect(ipInCidr('10.9.9.9', cidrs[0])).toBe(true);
    }
  });
});

describe('parseTime', () => {
  it('reads plain UTC timestamps digit by digit to the same value as Date.parse', () => {
    const samples = ['2026-11-02T08:00:00Z', '2026-11-02T08:00:00.5Z', '2026-11-02T08:00:00.05Z', '2026-11-02T23:59:59.999Z', '2024-02-28T00:00:00Z', '1999-12-31T23:59:59.1Z', '2026-01-01T00:00:00.000Z'];
    for (const s of samples) expect(parseTime(s)).toBe(Date.parse(s));
    // left to Date.parse: month ends, hour 24, and what Date.parse refuses
    expect(parseTime('2024-02-29T12:00:00Z')).toBe(Date.parse('2024-02-29T12:00:00Z'));
    expect(parseTime('2026-04-31T00:00:00Z')).toBe(Date.parse('2026-04-31T00:00:00Z'));
    expect(parseTime('2026-11-02T24:00:00Z')).toBe(Date.parse('2026-11-02T24:00:00Z'));
    expect(parseTime('2026-13-02T08:00:00Z')).toBeNaN();
    expect(parseTime('2026-11-02T08:60:00Z')).toBeNaN();
    expect(parseTime('2026-11-0xT08:00:00Z')).toBeNaN();
  });

  it('parses the plain UTC form and every other accepted form, and refuses the rest', () => {
    expect(parseTime('2026-11-02T08:00:00Z')).toBe(Date.UTC(2026, 10, 2, 8));
    expect(parseTime('2026-11-02T08:00:00.5Z')).toBe(Date.UTC(2026, 10, 2, 8, 0, 0, 500));
    expect(parseTime('2026-11-02T08:00:00.123Z')).toBe(Date.UTC(2026, 10, 2, 8, 0, 0, 123));
    expect(parseTime('2026-11-02T08:00:00.1234567Z')).toBe(Date.UTC(2026, 10, 2, 8, 0, 0, 123));
    expect(parseTime('2026-11-02T08:00:00.1234567')).toBe(Date.UTC(2026, 10, 2, 8, 0, 0, 123));
    expect(parseTime('2026-11-02T09:00:00+01:00')).toBe(Date.UTC(2026, 10, 2, 8));
    expect(parseTime('/Date(1793606400000)/')).toBe(1793606400000);
    expect(parseTime('1793606400')).toBe(1793606400000);
    expect(parseTime(1793606400)).toBe(1793606400000);
    expect(parseTime('2026-13-45T08:00:00Z')).toBeNaN();
    expect(parseTime('yesterday')).toBeNaN();
    expect(parseTime(undefined)).toBeNaN();
  });
});

describe('getCI', () => {
  it('finds keys whatever their case, the exact key first, and only own keys', () => {
    const o = { Category: 'a', category: 'b', TYPE: 'c', 'İd': 'd' };
    expect(getCI(o, 'category')).toBe('b');
    expect(getCI({ Category: 'a' }, 'CATEGORY')).toBe('a');
    expect(getCI(o, 'type')).toBe('c');
    expect(getCI(o, 'typ')).toBeUndefined();
    // U+0130 lower-cases to two code units: still found
    expect(getCI(o, 'i\u0307d')).toBe('d');
    expect(getCI({ 'xİİ': 1 }, 'XI\u0307I\u0307')).toBe(1);
    // a longer key never matches a shorter name, U+0130 or not
    expect(getCI({ 'İdİ': 1, categoryX: 2 }, 'id')).toBeUndefined();
    expect(getCI({ 'İdİ': 1, categoryX: 2 }, 'category')).toBeUndefined();
    expect(getCI(Object.create({ inherited: 1 }), 'Inherited')).toBeUndefined();
  });
});

describe('parseTime: portal and RFC 1123 forms', () => {
  const tz = process.env.TZ;
  // a local zone far from UTC: a time without offset must still be read as UTC
  beforeAll(() => {
    process.env.TZ = 'America/New_York';
  });
  afterAll(() => {
    process.env.TZ = tz;
  });
  it.each([
    ['11/2/2026 8:00:00 AM', '2026-11-02T08:00:00.000Z'],
    ['11/2/2026 12:00:00 AM', '2026-11-02T00:00:00.000Z'],
    ['11/2/2026 12:30:05 PM', '2026-11-02T12:30:05.000Z'],
    ['11/2/2026, 3:12:45.123 PM', '2026-11-02T15:12:45.123Z'],
    ['11/2/2026 3:12 PM', '2026-11-02T15:12:00.000Z'],
    ['12/31/2026 11:59:59 PM', '2026-12-31T23:59:59.000Z'],
    ['13/11/2026 17:05:00', '2026-11-13T17:05:00.000Z'],
    ['11/2/2026 8:00:00 AM +02:00', '2026-11-02T06:00:00.000Z'],
    ['11/2/2026 8:00:00 AM UTC', '2026-11-02T08:00:00.000Z'],
    ['Mon, 02 Nov 2026 08:00:00 GMT', '2026-11-02T08:00:00.000Z'],
    ['Mon, 2 Nov 2026 08:00:00', '2026-11-02T08:00:00.000Z'],
    ['02 Nov 2026 10:00:00 +0200', '2026-11-02T08:00:00.000Z'],
    ['2026-11-02 08:00:00', '2026-11-02T08:00:00.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(new Date(parseTime(text)).toISOString()).toBe(iso);
  });
  it.each(['2/30/2026 8:00:00 AM', '11/2/2026 13:00:00 PM', '11/2/2026 0:00:00 AM', 'Mon, 02 Foo 2026 08:00:00 GMT', '11/2/2026 8:00:00 AM +99:xx', 'yesterday'])('%s is unreadable', text => {
    expect(parseTime(text)).toBeNaN();
  });
});

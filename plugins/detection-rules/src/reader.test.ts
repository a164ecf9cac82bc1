import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as crypto from 'node:crypto';
import { newStats, parseLine, readFileEventBatches, textChunks } from './reader';
import * as b from './testing/builders';

async function* blocks(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const s of it) out.push(s);
  return out;
}

// multi-byte characters (2, 3 and 4 bytes), a BOM, CR/CRLF ends, and invalid UTF-8: a lone
// continuation byte, a truncated 3-byte sequence before a LF and before a quote, an overlong form
const SAMPLE = Buffer.concat([
  Buffer.from('\ufeff{"a":"é€😀"}\r\n{"b":"x"}\n', 'utf8'),
  Buffer.from([0x7b, 0x22, 0x63, 0x22, 0x3a, 0x22, 0x80, 0xe2, 0x82, 0x22, 0x7d, 0x0a]),
  Buffer.from([0xe2, 0x82, 0x0a, 0xc0, 0xaf, 0x0d]),
  Buffer.from('tail without a line end ü', 'utf8'),
]);

describe('textChunks', () => {
  it('decodes to the same text as the whole input at once, however the bytes arrive', async () => {
    const whole = SAMPLE.toString('utf8');
    for (let size = 1; size <= SAMPLE.length; size++) {
      const chunks = await collect(textChunks(blocks(SAMPLE, size)));
      expect(chunks.join('')).toBe(whole);
      // every chunk but the last ends at a line feed, so no character is split
      for (const c of chunks.slice(0, -1)) expect(c.endsWith('\n')).toBe(true);
    }
  });

  it('gives input without any line feed whole, at its end', async () => {
    const bytes = Buffer.from('a\rb\rc é', 'utf8');
    expect(await collect(textChunks(blocks(bytes, 2)))).toEqual(['a\rb\rc é']);
    expect(await collect(textChunks(blocks(Buffer.alloc(0), 1)))).toEqual([]);
  });
});

describe('readFileEventBatches', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'detections-reader-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads multi-byte and invalid UTF-8 across 1 MiB read blocks as decoding the whole file would, plain and gzip', async () => {
    // ~2.5 MiB of Kubernetes audit lines of varying length
    const names = ['ana-é', 'bo-€uro', 'cy-😀', 'dé-😀€é'];
    const lines: Buffer[] = [];
    for (let i = 0; i < 9000; i++) {
      const pad = 'é€😀x'.repeat(20 + ((i * 37) % 53)); // mostly multi-byte: block ends fall inside characters
      const ev = { kind: 'Event', apiVersion: 'audit.k8s.io/v1', auditID: `a-${i}`, verb: 'get', stage: 'ResponseComplete', user: { username: `${names[i % 4]}-${i}` }, objectRef: { resource: 'pods', namespace: 'ns', name: pad }, responseStatus: { code: 200 }, stageTimestamp: '2026-12-07T10:00:00Z' };
      let line = Buffer.from(JSON.stringify(ev), 'utf8');
      if (i % 1000 === 7) {
        // invalid bytes inside the user name: JSON is still valid, the decoder puts U+FFFD there
        const at = line.indexOf(`-${i}"}`); // the end of the user name (the audit id ends with '",')
        line = Buffer.concat([line.subarray(0, at), Buffer.from([0xe2, 0x82, 0x80 - 1]), line.subarray(at)]);
      }
      lines.push(line, Buffer.from(i % 3 === 0 ? '\r\n' : '\n'));
    }
    const bytes = Buffer.concat(lines);
    expect(bytes.length).toBeGreaterThan(2.5 * 2 ** 20);
    const expected = bytes
      .toString('utf8')
      .split(/\r?\n/)
      .filter(Boolean)
      .map(l => JSON.parse(l).user.username);
    expect(expected.some(n => n.includes('\ufffd'))).toBe(true);
    const plain = path.join(dir, 'audit.ndjson');
    const gz = path.join(dir, 'audit.ndjson.gz');
    fs.writeFileSync(plain, bytes);
    fs.writeFileSync(gz, zlib.gzipSync(bytes));
    for (const file of [plain, gz]) {
      const stats = newStats();
      const got: string[] = [];
      for await (const batch of readFileEventBatches(file, stats)) for (const ev of batch) got.push(ev.actor.name!);
      expect(stats).toMatchObject({ lines: 9000, events: 9000, errors: 0 });
      expect(got).toEqual(expected);
    }
  });
});

describe('event ids of firewall and Hubble lines (computed on first read)', () => {
  const T = '2026-12-07T10:00:00Z';
  const sha = (t: string) => crypto.createHash('sha256').update(t).digest('hex');
  const lines = [
    JSON.stringify(b.firewallClassic({ time: T, src: '10.0.0.1', dst: '1.1.1.1', port: 53, action: 'Deny' })),
    JSON.stringify(b.firewallStructured({ time: T, src: '10.0.0.1', fqdn: 'x.example', port: 443, action: 'Allow', la: true })),
    JSON.stringify(b.hubbleFlow({ time: T, ns: 'research-a', pod: 'p', srcIp: '10.1.0.1', dstIp: '8.8.8.8', port: 53, verdict: 'DROPPED' })),
  ];

  it('is the SHA-256 of the line, with and without idempotency keys, and survives copies and JSON', () => {
    for (const line of lines) {
      for (const opts of [undefined, { keys: false }]) {
        const ev = parseLine(line, opts).events[0];
        expect(['azure_firewall', 'hubble']).toContain(ev.source);
        expect(ev.id).toBe(sha(line));
        expect(ev.id).toBe(ev.id);
        expect({ ...ev }.id).toBe(sha(line));
        expect(JSON.parse(JSON.stringify(ev)).id).toBe(sha(line));
      }
    }
  });

  it('is the SHA-256 of each record of a multi-record line', () => {
    const recs = lines.map(l => JSON.parse(l));
    const events = parseLine(JSON.stringify({ records: recs }), { keys: false }).events;
    expect(events.map(e => e.id)).toEqual(recs.map(r => sha(JSON.stringify(r))));
    expect(new Set(events.map(e => e.id)).size).toBe(3);
  });
});

describe('hostile line shapes (parseLine never throws, never drops a line in silence)', () => {
  const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);

  it('rejects arrays nested thousands deep with a line error instead of overflowing the stack', () => {
    for (const n of [3, 3000, 50_000]) {
      const r = parseLine(nested(n));
      expect(r.events).toEqual([]);
      expect(r.errors).toEqual(['record is not a JSON object']);
    }
  });

  it('says so for an empty array, but not for an empty diagnostic export', () => {
    expect(parseLine('[]')).toEqual({ events: [], errors: ['no records: the line is an empty array'] });
    expect(parseLine('[[]]')).toEqual({ events: [], errors: ['no records: the line is an empty array'] });
    expect(parseLine('{"records":[]}')).toEqual({ events: [], errors: [] });
  });

  it('keeps the good record of a wrapper whose other record is nested too deep to hash', () => {
    const rec = b.diagnosticBlobLog({ time: '2026-12-01T00:00:00Z', account: 'a', container: 'c' });
    const good = JSON.stringify({ ...rec, correlationId: 'good' });
    const deep = `${JSON.stringify({ ...rec, correlationId: 'deep' }).slice(0, -1)},"extra":${nested(20_000)}}`;
    const r = parseLine(`{"records":[${deep},${good}]}`);
    expect(r.events).toHaveLength(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^cannot normalize: /);
  });
});

import { scanBuffer } from '../engine';
import {
  classicPayload,
  benignOrderedDict,
  pb,
} from '../testing/pickleBuilder';
import { OPCODE_NAMES } from './machine';

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OPCODES = Object.keys(OPCODE_NAMES).map(Number);

function randomPickle(rand: () => number): Buffer {
  const parts: number[] = rand() < 0.7 ? [0x80, Math.floor(rand() * 6)] : [];
  const n = Math.floor(rand() * 60);
  for (let i = 0; i < n; i++) {
    const op = OPCODES[Math.floor(rand() * OPCODES.length)];
    parts.push(op);
    const argLen = [0, 1, 2, 4, 8][Math.floor(rand() * 5)];
    for (let j = 0; j < argLen; j++)
      parts.push(
        rand() < 0.8 ? Math.floor(rand() * 8) : Math.floor(rand() * 256),
      );
    if (rand() < 0.1) parts.push(...Buffer.from('os\nsystem\n'));
  }
  parts.push(0x2e);
  return Buffer.from(parts);
}

function mutate(seed: Buffer, rand: () => number): Buffer {
  const b = Buffer.from(seed);
  const kind = Math.floor(rand() * 5);
  const pos = Math.floor(rand() * b.length);
  if (kind === 0) b[pos] = Math.floor(rand() * 256);
  else if (kind === 1)
    return Buffer.concat([
      b.subarray(0, pos),
      b.subarray(pos + 1 + Math.floor(rand() * 4)),
    ]);
  else if (kind === 2)
    return Buffer.concat([
      b.subarray(0, pos),
      Buffer.from([Math.floor(rand() * 256), 0xff, 0xff, 0xff, 0x7f]),
      b.subarray(pos),
    ]);
  else if (kind === 3) return b.subarray(0, pos);
  else
    for (let i = 0; i < 4; i++)
      b[Math.floor(rand() * b.length)] ^= 1 << Math.floor(rand() * 8);
  return b;
}

describe('pickle machine fuzzing', () => {
  it('never throws, never hangs and stays bounded on random and mutated pickles', async () => {
    const rand = prng(0x5eed);
    const seeds = [
      classicPayload(),
      benignOrderedDict(),
      pb()
        .proto(4)
        .frame(20)
        .stackGlobal('collections', 'OrderedDict')
        .emptyTuple()
        .reduce()
        .memoize()
        .stop()
        .toBuffer(),
      Buffer.from("(S'id'\nios\nsystem\np0\n0g0\n.", 'latin1'),
      pb()
        .proto(2)
        .global('pickle', 'loads')
        .bytes(classicPayload())
        .tuple1()
        .reduce()
        .stop()
        .toBuffer(),
    ];
    const started = Date.now();
    const rssBefore = process.memoryUsage().rss;
    const verdicts: Record<string, number> = {};
    for (let i = 0; i < 3000; i++) {
      const input =
        i % 2 ? randomPickle(rand) : mutate(seeds[i % seeds.length], rand);
      const r = await scanBuffer(`fuzz-${i}.pkl`, input, {
        hash: false,
        limits: { maxOpcodes: 10_000, maxMemo: 1000 },
      });
      expect(['safe', 'suspicious', 'malicious', 'error']).toContain(r.verdict);
      verdicts[r.verdict] = (verdicts[r.verdict] ?? 0) + 1;
    }
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(
      300 * 1024 * 1024,
    );
    // the corpus exercises every outcome
    expect(Object.keys(verdicts).sort()).toEqual([
      'error',
      'malicious',
      'safe',
      'suspicious',
    ]);
  }, 60_000);
});

describe('compressed container fuzzing', () => {
  it('never throws, never hangs and never calls a mutated payload container safe without cause', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { compress, sevenZipArchive, buildRar5 } =
      require('../testing/compressors') as typeof import('../testing/compressors');
    const rand = prng(0xc0de);
    const seeds: Array<[string, Buffer]> = [];
    for (const codec of ['gzip', 'bzip2', 'xz', 'lzma', 'zstd', 'lz4'] as const)
      seeds.push([codec, await compress(codec, classicPayload())]);
    seeds.push([
      '7z',
      await sevenZipArchive(
        [
          { name: 'a.pkl', data: classicPayload() },
          { name: 'b.pkl', data: benignOrderedDict() },
        ],
        ['-t7z', '-ms=on'],
      ),
    ]);
    seeds.push(['rar', buildRar5([{ name: 'a.pkl', data: classicPayload() }])]);
    const started = Date.now();
    const verdicts: Record<string, Record<string, number>> = {};
    for (const [kind, seed] of seeds) {
      for (let i = 0; i < 20; i++) {
        const input = mutate(seed, rand);
        const r = await scanBuffer(`fuzz-${i}.${kind}`, input, {
          hash: false,
          limits: { maxDecompressedBytes: 16 << 20 },
        });
        expect(['safe', 'suspicious', 'malicious', 'error']).toContain(
          r.verdict,
        );
        verdicts[kind] ??= {};
        verdicts[kind][r.verdict] = (verdicts[kind][r.verdict] ?? 0) + 1;
      }
    }
    expect(Date.now() - started).toBeLessThan(60_000);
    // mutants that keep the payload decodable are still found, for every container kind
    const total = (v: string) =>
      Object.values(verdicts).reduce((n, k) => n + (k[v] ?? 0), 0);
    for (const [kind] of seeds)
      expect({ kind, malicious: (verdicts[kind].malicious ?? 0) > 0 }).toEqual({
        kind,
        malicious: true,
      });
    expect(total('safe')).toBeLessThanOrEqual(4);
  }, 90_000);
});

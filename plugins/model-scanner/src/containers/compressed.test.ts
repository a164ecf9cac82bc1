import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { scanBuffer, scanFile } from '../engine';
import {
  benignOrderedDict,
  buildZip,
  classicPayload,
} from '../testing/pickleBuilder';
import { buildRar5, compress, sevenZipArchive } from '../testing/compressors';
import {
  benignFixture as fixture,
  expectSafe,
  rulesOf,
  torchZip,
} from '../testing/results';
import { decodeLz4Block, Lz4Decoder } from './lz4';
import { makeTempDir, TEMP_PREFIX } from './sevenZip';

/** A pickle that runs os.system and is then deliberately broken (the nullifAI technique). */
const brokenAfterPayload = () =>
  Buffer.concat([
    classicPayload().subarray(0, -1),
    Buffer.from('\xff\xfe\x00garbage', 'latin1'),
  ]);

/** Deterministic incompressible bytes. */
function noise(n: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; parts.length * 32 < n; i++)
    parts.push(createHash('sha256').update(String(i)).digest());
  return Buffer.concat(parts).subarray(0, n);
}

const CODECS = ['gzip', 'zlib', 'bzip2', 'xz', 'lzma', 'zstd', 'lz4'] as const;
const FORMAT: Record<(typeof CODECS)[number], string> = {
  gzip: 'gzip',
  zlib: 'zlib',
  bzip2: 'bzip2',
  xz: 'xz',
  lzma: 'lzma',
  zstd: 'zstd',
  lz4: 'lz4',
};

describe.each(CODECS)(
  '%s streams (joblib compressors and raw files)',
  codec => {
    it('finds a payload inside and names the format', async () => {
      const r = await scanBuffer(
        `model.joblib`,
        await compress(codec, classicPayload()),
      );
      expect(r.verdict).toBe('malicious');
      expect(r.format).toBe(FORMAT[codec]);
      expect(rulesOf(r)).toContain('PICKLE_DANGEROUS_GLOBAL');
      expect(r.errors).toEqual([]);
    });

    it('keeps real compressed joblib / torch files safe', async () => {
      for (const name of [
        'sklearn_forest.joblib',
        'torch_state_dict.pt',
        'numpy_float.npy',
      ]) {
        const r = await scanBuffer(
          `${name}.${codec}`,
          await compress(codec, fixture(name)),
        );
        expectSafe(r, name);
      }
    });

    it('reports the payload of a truncated stream and never calls a truncated benign stream safe', async () => {
      // incompressible bytes after the payload, so the first half of the stream decodes the payload
      const payload = Buffer.concat([classicPayload(), noise(300_000)]);
      const full = await compress(codec, payload);
      const cut = full.subarray(0, Math.floor(full.length / 2));
      const bad = await scanBuffer('model.pkl', cut);
      // bzip2 decodes whole 900 kB blocks: a loader sees nothing of a cut first block either
      const allowed =
        codec === 'bzip2' ? ['malicious', 'error'] : ['malicious'];
      expect(allowed).toContain(bad.verdict);
      const benign = await compress(
        codec,
        Buffer.concat([benignOrderedDict(), noise(300_000)]),
      );
      const ok = await scanBuffer(
        'model.pkl',
        benign.subarray(0, Math.floor(benign.length / 2)),
      );
      expect(ok.verdict).not.toBe('safe');
      expect(ok.verdict).not.toBe('malicious');
    });

    it('stops a decompression bomb at the byte limit', async () => {
      const bomb = await compress(codec, Buffer.alloc(8 << 20));
      const r = await scanBuffer('bomb.pkl', bomb, {
        limits: { maxDecompressedBytes: 1 << 20 },
      });
      expect(rulesOf(r)).toContain('ARCHIVE_BOMB');
      expect(r.verdict).toBe('suspicious');
    });
  },
);

describe('compression-ratio bombs', () => {
  it('stops a zstd stream that expands beyond 64 MiB at more than the ratio limit', async () => {
    const bomb = await compress('zstd', Buffer.alloc(100 << 20));
    expect(bomb.length).toBeLessThan(100_000);
    const r = await scanBuffer('bomb.pkl.zst', bomb);
    expect(rulesOf(r)).toContain('ARCHIVE_BOMB');
  }, 30_000);

  it('refuses a 7z whose declared content is a ratio bomb without extracting it', async () => {
    const bomb = await sevenZipArchive(
      [{ name: 'zeros.bin', data: Buffer.alloc(24 << 20) }],
      ['-t7z'],
    );
    const started = Date.now();
    const r = await scanBuffer('bomb.7z', bomb);
    expect(rulesOf(r)).toContain('ARCHIVE_BOMB');
    expect(r.verdict).toBe('suspicious');
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('refuses a 7z whose declared content exceeds the decompression limit', async () => {
    const a = await sevenZipArchive(
      [{ name: 'a.pkl', data: Buffer.alloc(2 << 20, 3) }],
      ['-t7z'],
    );
    const r = await scanBuffer('big.7z', a, {
      limits: { maxDecompressedBytes: 1 << 20 },
    });
    expect(rulesOf(r)).toContain('ARCHIVE_BOMB');
  });
});

describe('7z archives', () => {
  const members = async () => [
    { name: 'model/pytorch_model.bin', data: torchZip(classicPayload()) },
    { name: 'model/config.json', data: Buffer.from('{"model_type":"bert"}') },
    { name: 'README.md', data: Buffer.from('# a model\n') },
  ];

  it.each([
    ['LZMA2 solid', ['-t7z', '-m0=lzma2', '-ms=on']],
    ['LZMA non-solid', ['-t7z', '-m0=lzma', '-ms=off']],
    ['BZip2', ['-t7z', '-m0=bzip2']],
    ['Deflate', ['-t7z', '-m0=deflate']],
    ['stored', ['-t7z', '-m0=copy']],
    ['LZMA2 with the BCJ filter', ['-t7z', '-mf=BCJ', '-m0=lzma2']],
  ])('scans every member of a %s archive', async (_label, args) => {
    const r = await scanFile(
      await toFile('m.7z', await sevenZipArchive(await members(), args)),
    );
    expect(r.format).toBe('7z');
    expect(r.verdict).toBe('malicious');
    const hit = r.findings.find(f => f.ruleId === 'PICKLE_DANGEROUS_GLOBAL')!;
    expect(hit.location?.member).toBe(
      'model/pytorch_model.bin!/archive/data.pkl',
    );
    expect(r.errors).toEqual([]);
  });

  it('finds a payload in a PyTorch model whose pickle is broken after it (nullifAI)', async () => {
    const a = await sevenZipArchive(
      [{ name: 'model.pt', data: torchZip(brokenAfterPayload()) }],
      ['-t7z', '-m0=lzma2'],
    );
    const r = await scanBuffer('model.7z', a);
    expect(r.verdict).toBe('malicious');
    expect(rulesOf(r)).toEqual(
      expect.arrayContaining(['PICKLE_PAYLOAD_BEFORE_ERROR']),
    );
  });

  it('keeps real models in 7z archives safe (solid and not)', async () => {
    const files = [
      'torch_state_dict.pt',
      'sklearn_forest.joblib',
      'numpy_archive.npz',
      'torch_legacy_tar.tar',
      'torchscript_traced.pt',
    ].map(name => ({ name, data: fixture(name) }));
    for (const args of [
      ['-t7z', '-ms=on'],
      ['-t7z', '-ms=off', '-m0=lzma'],
    ]) {
      const r = await scanBuffer(
        'models.7z',
        await sevenZipArchive(files, args),
      );
      expectSafe(r, args.join(' '));
    }
  });

  it('scans archives nested in archives up to the depth limit', async () => {
    const inner = await sevenZipArchive(
      [{ name: 'evil.pkl', data: classicPayload() }],
      ['-t7z'],
    );
    const xz = await compress('xz', inner);
    const outer = await sevenZipArchive(
      [{ name: 'inner.7z.xz', data: xz }],
      ['-t7z'],
    );
    const r = await scanBuffer('outer.7z', outer);
    expect(r.verdict).toBe('malicious');
    expect(
      r.findings.find(f => f.ruleId === 'PICKLE_DANGEROUS_GLOBAL')!.location
        ?.member,
    ).toBe('inner.7z.xz!/unxz!/evil.pkl');
    const shallow = await scanBuffer('outer.7z', outer, {
      limits: { maxDepth: 1 },
    });
    expect(rulesOf(shallow)).toContain('ARCHIVE_TOO_DEEP');
    expect(shallow.verdict).not.toBe('safe');
  });

  it('flags encrypted members and encrypted member lists', async () => {
    const enc = await sevenZipArchive(
      [{ name: 'evil.pkl', data: classicPayload() }],
      ['-t7z', '-pSECRET'],
    );
    const r = await scanBuffer('enc.7z', enc);
    expect(rulesOf(r)).toContain('ARCHIVE_ENCRYPTED');
    expect(r.verdict).toBe('suspicious');
    const hidden = await sevenZipArchive(
      [{ name: 'evil.pkl', data: classicPayload() }],
      ['-t7z', '-pSECRET', '-mhe=on'],
    );
    const h = await scanBuffer('enc.7z', hidden);
    expect(rulesOf(h)).toContain('ARCHIVE_ENCRYPTED');
    expect(h.verdict).toBe('suspicious');
  });

  it('flags symbolic links and never follows them', async () => {
    const a = await sevenZipArchive(
      [{ name: 'weights.bin', symlinkTo: '/etc/passwd' }],
      ['-t7z', '-snl'],
    );
    const r = await scanBuffer('links.7z', a);
    expect(rulesOf(r)).toContain('ARCHIVE_LINK');
    expect(r.verdict).toBe('suspicious');
  });

  it('reports truncated and corrupt archives as malformed, never safe', async () => {
    const a = await sevenZipArchive(await members(), ['-t7z']);
    for (const cut of [a.subarray(0, a.length - 10), a.subarray(0, 40)]) {
      const r = await scanBuffer('cut.7z', cut);
      expect(r.verdict).not.toBe('safe');
      expect(rulesOf(r)).toContain('ARCHIVE_MALFORMED');
    }
    const flipped = Buffer.from(a);
    flipped[100] ^= 0xff;
    const f = await scanBuffer('flip.7z', flipped);
    expect(f.verdict).not.toBe('safe');
  });

  it('refuses too many members', async () => {
    const files = Array.from({ length: 6 }, (_, i) => ({
      name: `f${i}.txt`,
      data: Buffer.from(`x${i}`),
    }));
    const r = await scanBuffer(
      'many.7z',
      await sevenZipArchive(files, ['-t7z']),
      { limits: { maxMembers: 5 } },
    );
    expect(rulesOf(r)).toContain('ARCHIVE_TOO_MANY_MEMBERS');
  });
});

describe('RAR archives', () => {
  it('scans the members of a RAR5 archive', async () => {
    const r = await scanBuffer(
      'model.rar',
      buildRar5([
        { name: 'model/pytorch_model.bin', data: torchZip(classicPayload()) },
        { name: 'notes.txt', data: Buffer.from('hello\n') },
      ]),
    );
    expect(r.format).toBe('rar');
    expect(r.verdict).toBe('malicious');
    expect(
      r.findings.find(f => f.ruleId === 'PICKLE_DANGEROUS_GLOBAL')!.location
        ?.member,
    ).toBe('model/pytorch_model.bin!/archive/data.pkl');
  });

  it('keeps a benign RAR5 archive safe and flags a truncated one', async () => {
    const rar = buildRar5([
      { name: 'torch_state_dict.pt', data: fixture('torch_state_dict.pt') },
    ]);
    const r = await scanBuffer('ok.rar', rar);
    expectSafe(r);
    const cut = await scanBuffer('cut.rar', rar.subarray(0, 200));
    expect(cut.verdict).not.toBe('safe');
  });

  it('flags path traversal in member names', async () => {
    const r = await scanBuffer(
      't.rar',
      buildRar5([{ name: '../../etc/cron.d/x', data: Buffer.from('x') }]),
    );
    expect(rulesOf(r)).toContain('ARCHIVE_PATH_TRAVERSAL');
  });
});

describe('LZ4 decoder', () => {
  it('decodes overlapping matches and refuses offsets outside the window', () => {
    // literal "ab", then a match of length 8 at offset 2 ("abababab"), then 5 final literals
    const block = Buffer.from([
      0x24, 0x61, 0x62, 0x02, 0x00, 0x50, 0x63, 0x64, 0x65, 0x66, 0x67,
    ]);
    const out = Buffer.alloc(64);
    const end = decodeLz4Block(block, out, 0);
    expect(out.subarray(0, end).toString()).toBe('ababababab' + 'cdefg');
    expect(() =>
      decodeLz4Block(
        Buffer.from([0x10, 0x61, 0x05, 0x00]),
        Buffer.alloc(64),
        0,
      ),
    ).toThrow(/offset/);
    expect(() =>
      decodeLz4Block(Buffer.from([0xf0, 0xff]), Buffer.alloc(64), 0),
    ).toThrow();
  });

  it('refuses a block larger than the frame allows without buffering it', async () => {
    const frame = Buffer.concat([
      Buffer.from('04224d18', 'hex'),
      Buffer.from([0x60, 0x40, 0x82]), // 64 KiB blocks
      Buffer.from([0xff, 0xff, 0xff, 0x7f]),
    ]);
    const d = new Lz4Decoder();
    const err = await new Promise<Error | undefined>(resolve => {
      d.on('error', resolve);
      d.on('end', () => resolve(undefined));
      d.resume();
      const p = new PassThrough();
      p.pipe(d);
      p.end(frame);
    });
    expect(err?.message).toMatch(/exceeds/);
  });
});

describe('temporary files', () => {
  it('leaves nothing behind in the temporary folder (also after a truncated archive)', async () => {
    const archive = await sevenZipArchive(
      [{ name: 'a.pkl', data: classicPayload() }],
      ['-t7z'],
    );
    const xz = await compress('xz', classicPayload());
    // this process's scanner folders (other test files run in other processes)
    const mine = () =>
      fs.readdirSync(os.tmpdir()).filter(n => n.startsWith(TEMP_PREFIX));
    const before = mine();
    const probe = makeTempDir();
    expect(mine()).toContain(path.basename(probe.dir)); // the listing sees live folders
    probe.dispose();
    expect((await scanBuffer('a.7z', archive)).verdict).toBe('malicious');
    expect((await scanBuffer('a.xz', xz)).verdict).toBe('malicious');
    await scanBuffer('cut.7z', archive.subarray(0, archive.length - 5));
    expect(mine()).toEqual(before);
  });
});

const files: string[] = [];
const tmp = makeTempDir();
afterAll(() => tmp.dispose());
async function toFile(name: string, data: Buffer): Promise<string> {
  const p = path.join(tmp.dir, `${files.length}-${name}`);
  files.push(p);
  fs.writeFileSync(p, data);
  return p;
}

describe('checksums', () => {
  it('scans the data of a gzip or zlib stream whose checksum is wrong (loaders read it first)', async () => {
    for (const codec of ['gzip', 'zlib'] as const) {
      const g = Buffer.from(await compress(codec, classicPayload()));
      g[g.length - (codec === 'gzip' ? 6 : 2)] ^= 1;
      const r = await scanBuffer('m.pkl', g);
      expect({ codec, verdict: r.verdict }).toEqual({
        codec,
        verdict: 'malicious',
      });
    }
  });
});

describe('zip members compressed with bzip2, LZMA, zstd or xz (read by Python zipfile / numpy.load)', () => {
  const { execFileSync } =
    require('node:child_process') as typeof import('node:child_process');
  async function member(method: number, data: Buffer): Promise<Buffer> {
    if (method === 12) return compress('bzip2', data);
    if (method === 93) return compress('zstd', data);
    if (method === 95) return compress('xz', data);
    // zip LZMA: version 9.4, properties size 5, properties (lc=3 lp=0 pb=2, 8 MiB), raw LZMA1
    const raw = execFileSync('xz', ['--format=raw', '--lzma1=preset=6', '-c'], {
      input: data,
    });
    const dict = Buffer.alloc(4);
    dict.writeUInt32LE(8 << 20);
    return Buffer.concat([Buffer.from([9, 4, 5, 0, 0x5d]), dict, raw]);
  }

  it.each([
    [12, 'bzip2'],
    [14, 'LZMA'],
    [93, 'zstd'],
    [95, 'xz'],
  ])(
    'method %i (%s): a payload member is found, a real NumPy member stays safe',
    async method => {
      const evil = buildZip([
        {
          name: 'weights.pkl',
          data: classicPayload(),
          method,
          compressed: await member(method, classicPayload()),
        },
      ]);
      const r = await scanBuffer('arrays.npz', evil);
      expect(r.verdict).toBe('malicious');
      expect(
        r.findings.find(f => f.ruleId === 'PICKLE_DANGEROUS_GLOBAL')!.location
          ?.member,
      ).toMatch(/^weights\.pkl!\//);
      const npy = fixture('numpy_float.npy');
      const ok = buildZip([
        {
          name: 'a.npy',
          data: npy,
          method,
          compressed: await member(method, npy),
        },
      ]);
      const s = await scanBuffer('arrays.npz', ok);
      expectSafe(s);
    },
  );

  it('notes that PyTorch cannot read such a member of a torch archive, and still scans it', async () => {
    const z = buildZip([
      {
        name: 'archive/data.pkl',
        data: classicPayload(),
        method: 93,
        compressed: await member(93, classicPayload()),
      },
      { name: 'archive/version', data: Buffer.from('3\n') },
    ]);
    const r = await scanBuffer('model.pt', z);
    expect(rulesOf(r)).toEqual(
      expect.arrayContaining(['ZIP_MALFORMED', 'PICKLE_DANGEROUS_GLOBAL']),
    );
  });
});

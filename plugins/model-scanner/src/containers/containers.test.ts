import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { scanBuffer, scanFile } from '../engine';
import {
  buildNpy,
  buildTar,
  buildZip,
  classicPayload,
  benignOrderedDict,
  pb,
} from '../testing/pickleBuilder';
import {
  BENIGN_FIXTURES as FIXTURES,
  benignFixture as fixture,
  expectSafe,
  rulesOf,
  torchZip,
} from '../testing/results';

describe('real framework files stay safe', () => {
  const files = fs.readdirSync(FIXTURES);
  it('has the generated fixtures', () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
  });
  it.each(files)('%s is safe', async name => {
    const r = await scanFile(path.join(FIXTURES, name));
    expectSafe(r, name, f => f.severity !== 'none');
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
  it('detects formats by content', async () => {
    const fmt = async (n: string) =>
      (await scanFile(path.join(FIXTURES, n))).format;
    expect(await fmt('torch_state_dict.pt')).toBe('pytorch-zip');
    expect(await fmt('torch_legacy_stacked.pt')).toBe('pytorch-legacy');
    expect(await fmt('torch_legacy_tar.tar')).toBe('pytorch-tar');
    expect(await fmt('numpy_float.npy')).toBe('numpy');
    expect(await fmt('numpy_archive.npz')).toBe('numpy-npz');
    expect(await fmt('sklearn_forest.joblib')).toBe('joblib');
    expect(await fmt('sklearn_pipeline.pkl')).toBe('pickle');
  });
});

describe('PyTorch zip tricks', () => {
  it('finds a payload in data.pkl of any folder', async () => {
    const r = await scanBuffer('model.pt', torchZip(classicPayload()));
    expect(r.verdict).toBe('malicious');
    expect(r.format).toBe('pytorch-zip');
    expect(r.findings[0].location?.member).toBe('archive/data.pkl');
    const deep = buildZip([{ name: 'x/y/z/data.pkl', data: classicPayload() }]);
    expect((await scanBuffer('deep.pt', deep)).verdict).toBe('malicious');
    expect(
      (await scanBuffer('ok.pt', torchZip(benignOrderedDict()))).verdict,
    ).toBe('safe');
  });

  it('scans members by content whatever their name (storage slot, .txt)', async () => {
    const inStorage = buildZip([
      { name: 'archive/data.pkl', data: benignOrderedDict() },
      { name: 'archive/data/0', data: classicPayload() },
    ]);
    expect((await scanBuffer('m.pt', inStorage)).verdict).toBe('malicious');
    const asText = buildZip([{ name: 'readme.txt', data: classicPayload() }]);
    expect((await scanBuffer('m.zip', asText)).verdict).toBe('malicious');
  });

  it('allows TorchScript classes only inside TorchScript archives, and still finds payloads there', async () => {
    const tsPickle = pb()
      .proto(2)
      .global('__torch__', 'MyModule')
      .emptyTuple()
      .newobj()
      .stop()
      .toBuffer();
    const ts = (data: Buffer) =>
      buildZip([
        { name: 'm/data.pkl', data },
        {
          name: 'm/constants.pkl',
          data: pb().proto(2).emptyTuple().stop().toBuffer(),
        },
        {
          name: 'm/code/__torch__.py',
          data: Buffer.from('class MyModule(Module):\n  pass\n'),
        },
        { name: 'm/version', data: Buffer.from('3\n') },
      ]);
    const ok = await scanBuffer('ts.pt', ts(tsPickle));
    expect(ok).toMatchObject({ verdict: 'safe', format: 'torchscript' });
    expect((await scanBuffer('ts-evil.pt', ts(classicPayload()))).verdict).toBe(
      'malicious',
    );
    // the same __torch__ import in a plain torch.save archive is not TorchScript: Python would import it
    expect((await scanBuffer('not-ts.pt', torchZip(tsPickle))).verdict).toBe(
      'malicious',
    );
  });

  it('treats tensor storages that merely start like a pickle as data, but still finds real pickles there', async () => {
    const noise = Buffer.concat([
      Buffer.from([0x80, 0x02, 0x63]),
      Buffer.from('\xff\xfe\n\x01\x02\n\x00\x13', 'latin1'),
      Buffer.alloc(64, 0x11),
    ]);
    const z = buildZip([
      { name: 'archive/data.pkl', data: benignOrderedDict() },
      { name: 'archive/data/0', data: noise },
    ]);
    const r = await scanBuffer('noise.pt', z);
    expect({ v: r.verdict, e: r.errors, f: r.findings }).toEqual({
      v: 'safe',
      e: [],
      f: [],
    });
    const evil = buildZip([
      { name: 'archive/data.pkl', data: benignOrderedDict() },
      {
        name: 'archive/data/0',
        data: Buffer.concat([classicPayload(), Buffer.alloc(64)]),
      },
    ]);
    expect((await scanBuffer('evil-storage.pt', evil)).verdict).toBe(
      'malicious',
    );
  });

  it('reports local/central name mismatches (CVE-2025-1944) and still scans the member', async () => {
    const z = torchZip(benignOrderedDict(), [
      {
        name: 'archive/extra.pkl',
        localName: 'archive/other.pkl',
        data: classicPayload(),
      },
    ]);
    const r = await scanBuffer('mm.pt', z);
    expect(rulesOf(r)).toContain('ZIP_NAME_MISMATCH');
    expect(r.verdict).toBe('malicious');
    const benignMismatch = torchZip(benignOrderedDict(), [
      {
        name: 'archive/a.txt',
        localName: 'archive/b.txt',
        data: Buffer.from('hi'),
      },
    ]);
    expect((await scanBuffer('mm2.pt', benignMismatch)).verdict).toBe(
      'suspicious',
    );
  });

  it('reports duplicate names and scans every copy', async () => {
    const z = buildZip([
      { name: 'archive/data.pkl', data: benignOrderedDict() },
      { name: 'archive/data.pkl', data: classicPayload() },
      { name: 'archive/Data.pkl', data: benignOrderedDict() },
    ]);
    const r = await scanBuffer('dup.pt', z);
    expect(rulesOf(r)).toEqual(
      expect.arrayContaining(['ZIP_DUPLICATE_NAME', 'ZIP_CASE_DUPLICATE_NAME']),
    );
    expect(r.verdict).toBe('malicious');
  });

  it('reports odd flag bits (CVE-2025-1945) and reads the member as PyTorch does', async () => {
    for (const flags of [0x1, 0x20, 0x40]) {
      const z = buildZip([
        { name: 'archive/data.pkl', data: classicPayload(), flags },
      ]);
      const r = await scanBuffer('flags.pt', z);
      expect(rulesOf(r)).toContain('ZIP_ODD_FLAGS');
      expect(r.verdict).toBe('malicious');
    }
  });

  it('reports CRC mismatches as info (CVE-2025-10156) without hiding content', async () => {
    const bad = buildZip([
      { name: 'archive/data.pkl', data: classicPayload(), crc: 1234 },
    ]);
    const b = await scanBuffer('crc2.pt', bad);
    expect(rulesOf(b)).toContain('ZIP_CRC_MISMATCH');
    expect(b.verdict).toBe('malicious');
    const twin = buildZip([
      { name: 'archive/data.pkl', data: benignOrderedDict(), crc: 1234 },
    ]);
    const t = await scanBuffer('crc3.pt', twin);
    expect(rulesOf(t)).toContain('ZIP_CRC_MISMATCH');
    expect(t.verdict).toBe('safe');
  });

  it('inflates deflated members with limits', async () => {
    const z = buildZip([
      { name: 'archive/data.pkl', data: classicPayload(), deflate: true },
    ]);
    expect((await scanBuffer('d.pt', z)).verdict).toBe('malicious');
    const bomb = buildZip([
      { name: 'zeros.bin', data: Buffer.alloc(40 << 20), deflate: true },
    ]);
    const r = await scanBuffer('bomb.zip', bomb);
    expect(rulesOf(r)).toContain('ARCHIVE_BOMB');
    expect(r.findings.find(f => f.ruleId === 'ARCHIVE_BOMB')!.atlas).toContain(
      'AML.T0029',
    );
  });

  it('reports a deflated member that inflates beyond its declared size', async () => {
    const z = buildZip([
      {
        name: 'archive/data.pkl',
        data: Buffer.alloc(4 << 20, 0x4e),
        deflate: true,
      },
    ]);
    // lie about the uncompressed size in both headers
    const eocdOff = z.length - 22;
    const cdOff = z.readUInt32LE(eocdOff + 16);
    z.writeUInt32LE(1000, 22);
    z.writeUInt32LE(1000, cdOff + 24);
    const r = await scanBuffer('lie.pt', z);
    expect(rulesOf(r)).toContain('ARCHIVE_BOMB');
    expect(r.verdict).toBe('suspicious');
  });

  it('reports path traversal, absolute paths and symlinks', async () => {
    const z = buildZip([
      { name: '../../etc/evil.txt', data: Buffer.from('x') },
      { name: '/abs.txt', data: Buffer.from('x') },
      {
        name: 'link',
        data: Buffer.from('/etc/passwd'),
        externalAttr: (0o120777 << 16) >>> 0,
      },
    ]);
    const r = await scanBuffer('t.zip', z);
    expect(
      rulesOf(r).filter(x => x === 'ARCHIVE_PATH_TRAVERSAL').length,
    ).toBeGreaterThanOrEqual(1);
    expect(
      r.findings.filter(f => f.ruleId === 'ARCHIVE_PATH_TRAVERSAL').length,
    ).toBe(2);
    expect(rulesOf(r)).toContain('ARCHIVE_LINK');
    const twin = buildZip([
      { name: 'dir/file.txt', data: Buffer.from('hello') },
    ]);
    expect((await scanBuffer('ok.zip', twin)).verdict).toBe('safe');
  });

  it('scans a zip appended to another format (polyglot) with offsets relative to the zip start', async () => {
    const poly = Buffer.concat([
      benignOrderedDict(),
      buildZip([{ name: 'archive/data.pkl', data: classicPayload() }]),
    ]);
    const r = await scanBuffer('poly.pkl', poly);
    expect(rulesOf(r)).toContain('POLYGLOT_ZIP');
    expect(r.verdict).toBe('malicious');
    expect(r.format).toBe('pickle');
    const benignPoly = Buffer.concat([
      Buffer.from('just a readme\n'),
      buildZip([{ name: 'a.txt', data: Buffer.from('hi') }]),
    ]);
    const b = await scanBuffer('readme.txt', benignPoly);
    expect(rulesOf(b)).toContain('POLYGLOT_ZIP');
    expect(b.verdict).toBe('suspicious');
  });

  it('scans nested archives down to maxDepth', async () => {
    const inner = torchZip(classicPayload());
    const outer = buildZip([{ name: 'models/inner.pt', data: inner }]);
    const r = await scanBuffer('outer.zip', outer);
    expect(r.verdict).toBe('malicious');
    expect(
      r.findings.find(f => f.ruleId === 'PICKLE_DANGEROUS_GLOBAL')!.location
        ?.member,
    ).toBe('models/inner.pt!/archive/data.pkl');
    let deep = outer;
    for (let i = 0; i < 4; i++)
      deep = buildZip([{ name: `l${i}.zip`, data: deep }]);
    const d = await scanBuffer('deep.zip', deep, { limits: { maxDepth: 3 } });
    expect(rulesOf(d)).toContain('ARCHIVE_TOO_DEEP');
  });
});

describe('legacy PyTorch, NumPy, tar, compression and masquerading', () => {
  it('scans every stacked pickle of a legacy checkpoint, not just the magic number', async () => {
    const magic = pb()
      .proto(2)
      .raw([
        0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19,
      ])
      .stop()
      .toBuffer();
    const proto = pb().proto(2).raw([0x4d, 0xe9, 0x03]).stop().toBuffer();
    const sysInfo = pb().proto(2).emptyDict().stop().toBuffer();
    const keys = pb().proto(2).emptyList().stop().toBuffer();
    const storage = Buffer.alloc(256, 0x80);
    const evil = Buffer.concat([
      magic,
      proto,
      sysInfo,
      classicPayload(),
      keys,
      storage,
    ]);
    const r = await scanBuffer('legacy.pt', evil);
    expect(r.format).toBe('pytorch-legacy');
    expect(r.verdict).toBe('malicious');
    const twin = Buffer.concat([
      magic,
      proto,
      sysInfo,
      benignOrderedDict(),
      keys,
      storage,
    ]);
    const t = await scanBuffer('legacy-ok.pt', twin);
    expect(t.verdict).toBe('safe');
    expect(t.errors).toEqual([]);
  });

  it('scans the legacy tar format', async () => {
    const tar = buildTar([
      { name: 'sys_info', data: pb().proto(2).emptyDict().stop().toBuffer() },
      { name: 'pickle', data: classicPayload() },
      { name: 'storages', data: pb().proto(2).int(0).stop().toBuffer() },
      { name: 'tensors', data: pb().proto(2).int(0).stop().toBuffer() },
    ]);
    const r = await scanBuffer('legacy.tar', tar);
    expect(r.format).toBe('pytorch-tar');
    expect(r.verdict).toBe('malicious');
  });

  it('walks the records of legacy tar "storages" and "tensors" members (pickle + raw bytes each)', async () => {
    const u64 = (n: number) => {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(BigInt(n));
      return b;
    };
    const record = (key: string) =>
      pb()
        .proto(2)
        .str(key)
        .str('cpu')
        .global('torch', 'FloatStorage')
        .op(0x87)
        .stop()
        .toBuffer();
    const storages = (second: Buffer) =>
      Buffer.concat([
        pb().proto(2).int(2).stop().toBuffer(),
        record('0'),
        u64(3),
        Buffer.alloc(12, 0x80),
        second,
        u64(1),
        Buffer.alloc(4),
      ]);
    const tar = (st: Buffer) =>
      buildTar([
        { name: 'sys_info', data: pb().proto(2).emptyDict().stop().toBuffer() },
        { name: 'pickle', data: benignOrderedDict() },
        { name: 'storages', data: st },
        { name: 'tensors', data: pb().proto(2).int(0).stop().toBuffer() },
      ]);
    const ok = await scanBuffer('legacy-ok.tar', tar(storages(record('1'))));
    expect({ v: ok.verdict, f: ok.findings, e: ok.errors }).toEqual({
      v: 'safe',
      f: [],
      e: [],
    });
    const evil = await scanBuffer(
      'legacy-evil.tar',
      tar(storages(classicPayload())),
    );
    expect(evil.verdict).toBe('malicious');
    expect(evil.findings[0].location?.member).toBe('storages');
  });

  it('reports tar traversal and links', async () => {
    const tar = buildTar([
      { name: '../evil.sh', data: Buffer.from('echo') },
      { name: 'lnk', type: '2', linkname: '/etc/passwd' },
      { name: 'hard', type: '1', linkname: '../../x' },
    ]);
    const r = await scanBuffer('t.tar', tar);
    expect(rulesOf(r)).toEqual(
      expect.arrayContaining(['ARCHIVE_PATH_TRAVERSAL', 'ARCHIVE_LINK']),
    );
    expect(
      (
        await scanBuffer(
          'ok.tar',
          buildTar([{ name: 'a.txt', data: Buffer.from('hi') }]),
        )
      ).verdict,
    ).toBe('safe');
  });

  it('scans object arrays in .npy and .npz', async () => {
    const evil = buildNpy('|O', '(1,)', classicPayload());
    const r = await scanBuffer('x.npy', evil);
    expect(r.verdict).toBe('malicious');
    expect(rulesOf(r)).toContain('NUMPY_OBJECT_ARRAY');
    const npz = buildZip([
      { name: 'a.npy', data: buildNpy('<f4', '(2,)', Buffer.alloc(8)) },
      { name: 'b.npy', data: evil },
    ]);
    expect((await scanBuffer('x.npz', npz)).verdict).toBe('malicious');
    expect(
      (await scanBuffer('ok.npy', buildNpy('<f4', '(2,)', Buffer.alloc(8))))
        .verdict,
    ).toBe('safe');
    // a float array whose bytes happen to look like a pickle is data, not code
    expect(
      (await scanBuffer('ok2.npy', buildNpy('<u1', '(40,)', classicPayload())))
        .verdict,
    ).toBe('safe');
  });

  it('scans gzip and zlib streams', async () => {
    expect(
      (await scanBuffer('m.pkl.gz', zlib.gzipSync(classicPayload()))).verdict,
    ).toBe('malicious');
    expect(
      (await scanBuffer('m.joblib', zlib.deflateSync(classicPayload())))
        .verdict,
    ).toBe('malicious');
    expect(
      (await scanBuffer('ok.pkl.gz', zlib.gzipSync(benignOrderedDict())))
        .verdict,
    ).toBe('safe');
  });

  it('flags a pickle masquerading as safetensors (AML.T0074) and protocol 0 pickles named .bin', async () => {
    const r = await scanBuffer('model.safetensors', classicPayload());
    expect(rulesOf(r)).toContain('MASQUERADING_EXTENSION');
    expect(
      r.findings.find(f => f.ruleId === 'MASQUERADING_EXTENSION')!.atlas,
    ).toContain('AML.T0074');
    expect(r.verdict).toBe('malicious');
    const p0 = Buffer.from("cposix\nsystem\n(S'id'\ntR.", 'latin1');
    expect((await scanBuffer('pytorch_model.bin', p0)).verdict).toBe(
      'malicious',
    );
  });

  it('names a broken 7z container instead of calling it safe', async () => {
    const sevenZip = Buffer.concat([
      Buffer.from('377abcaf271c0004', 'hex'),
      Buffer.alloc(64),
    ]);
    const r = await scanBuffer('model.7z', sevenZip);
    expect(r).toMatchObject({ verdict: 'suspicious', format: '7z' });
    expect(rulesOf(r)).toContain('ARCHIVE_MALFORMED');
  });

  it('scans a malicious object array inside a joblib file and resumes after it', async () => {
    // NumpyArrayWrapper(dtype=object) followed by the inline pickle of the array, then more pickle
    const wrapperState = pb()
      .emptyDict()
      .str('dtype')
      .global('numpy', 'dtype')
      .str('O8')
      .tuple1()
      .reduce()
      .setitem()
      .str('shape')
      .int(1)
      .tuple1()
      .setitem()
      .toBuffer();
    const joblib = pb()
      .proto(2)
      .emptyDict()
      .str('arr')
      .global('joblib.numpy_pickle', 'NumpyArrayWrapper')
      .emptyTuple()
      .newobj()
      .raw(wrapperState)
      .build()
      .raw(classicPayload())
      .setitem()
      .stop()
      .toBuffer();
    const r = await scanBuffer('model.joblib', joblib);
    expect(r.verdict).toBe('malicious');
    expect(r.format).toBe('joblib');
    const benign = pb()
      .proto(2)
      .emptyDict()
      .str('arr')
      .global('joblib.numpy_pickle', 'NumpyArrayWrapper')
      .emptyTuple()
      .newobj()
      .raw(wrapperState)
      .build()
      .raw(benignOrderedDict())
      .setitem()
      .stop()
      .toBuffer();
    const b = await scanBuffer('ok.joblib', benign);
    expect({ v: b.verdict, e: b.errors }).toEqual({ v: 'safe', e: [] });
  });

  it('reports unknown content as unknown, not safe; plain text is safe', async () => {
    const u = await scanBuffer(
      'blob.bin',
      Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 7919) % 251)),
    );
    expect(u.verdict).toBe('suspicious');
    expect(rulesOf(u)).toContain('UNKNOWN_FORMAT');
    const cjk = Buffer.from('词'.repeat(3000)); // the 4 KiB window cuts a character in half
    expect((await scanBuffer('vocab.txt', cjk)).verdict).toBe('safe');
    const t = await scanBuffer(
      'README.md',
      Buffer.from('# Model card\n\nThis model is great.\n'),
    );
    expect(t).toMatchObject({ verdict: 'safe', format: 'text' });
  });

  it('scans a joblib object array written inline after its wrapper', async () => {
    const r = await scanFile(path.join(FIXTURES, 'joblib_arrays.joblib'));
    expect(r.verdict).toBe('safe');
    expect(r.format).toBe('joblib');
  });

  it('reads files of any size through random access (fixture bytes unchanged)', async () => {
    const buf = fixture('torch_state_dict.pt');
    const a = await scanBuffer('x.pt', buf);
    expect(a.verdict).toBe('safe');
  });
});

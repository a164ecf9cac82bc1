/**
 * Structurally impossible files (issue: "legitimate writers never produce them, and they exist to
 * crash or confuse loaders") are high severity, through the real engine; their consistent twins stay
 * safe.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { scanBuffer } from '../engine';
import { buildGguf } from './gguf/ggufBuilder';

const FORMATS = path.resolve(__dirname, '../../fixtures/formats');
const high = (r: { findings: Array<{ ruleId: string; severity: string }> }) =>
  r.findings
    .filter(f => f.severity === 'high' || f.severity === 'critical')
    .map(f => f.ruleId);

function safetensors(
  header: unknown,
  data: Buffer,
  lengthOverride?: bigint,
): Buffer {
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthOverride ?? BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

const TENSORS = {
  __metadata__: { format: 'pt' },
  a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
  b: { dtype: 'F32', shape: [2], data_offsets: [16, 24] },
};

describe('structurally impossible files are high severity', () => {
  it('keeps a consistent safetensors file safe', async () => {
    const r = await scanBuffer(
      'model.safetensors',
      safetensors(TENSORS, Buffer.alloc(24, 1)),
    );
    expect({
      verdict: r.verdict,
      findings: r.findings,
      format: r.format,
    }).toEqual({
      verdict: 'safe',
      findings: [],
      format: 'safetensors',
    });
    const real = await scanBuffer(
      'r.safetensors',
      fs.readFileSync(path.join(FORMATS, 'safetensors_benign.safetensors')),
    );
    expect(real.verdict).toBe('safe');
  });

  it.each([
    [
      'a header length beyond the file',
      safetensors(TENSORS, Buffer.alloc(24, 1), 1_000_000n),
      'SAFETENSORS_HEADER_TOO_LARGE',
    ],
    [
      'a header length of 2^40',
      safetensors(TENSORS, Buffer.alloc(24, 1), 1n << 40n),
      'SAFETENSORS_HEADER_TOO_LARGE',
    ],
    [
      'overlapping tensors',
      safetensors(
        { ...TENSORS, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } },
        Buffer.alloc(24, 1),
      ),
      'SAFETENSORS_OVERLAPPING_TENSORS',
    ],
    [
      'an offset beyond the data',
      safetensors(
        {
          ...TENSORS,
          b: { dtype: 'F32', shape: [2], data_offsets: [16, 4096] },
        },
        Buffer.alloc(24, 1),
      ),
      'SAFETENSORS_OFFSET_OUT_OF_BOUNDS',
    ],
  ])('safetensors: %s', async (_label, file, rule) => {
    for (const name of ['model.safetensors', 'weights.bin']) {
      const r = await scanBuffer(name, file);
      expect({ name, high: high(r) }).toEqual({
        name,
        high: expect.arrayContaining([rule]),
      });
      expect(r.verdict).toBe('suspicious');
    }
  });

  const kv: Parameters<typeof buildGguf>[0]['kv'] = [
    ['general.architecture', { type: 'string', value: 'llama' }],
  ];
  it('keeps a consistent GGUF safe', async () => {
    const ok = buildGguf({
      kv,
      tensors: [
        { name: 'a', dims: [4], type: 0, offset: 0 },
        { name: 'b', dims: [4], type: 0, offset: 32 },
      ],
      data: Buffer.alloc(64),
    });
    const r = await scanBuffer('m.gguf', ok);
    expect({ verdict: r.verdict, findings: r.findings }).toEqual({
      verdict: 'safe',
      findings: [],
    });
  });

  it.each([
    [
      'tensors sharing bytes',
      buildGguf({
        kv,
        tensors: [
          { name: 'a', dims: [8], type: 0, offset: 0 },
          { name: 'b', dims: [8], type: 0, offset: 16 },
        ],
        data: Buffer.alloc(64),
      }),
      'GGUF_TENSOR_OVERLAP',
    ],
    [
      'a tensor past the end',
      buildGguf({
        kv,
        tensors: [{ name: 'a', dims: [1 << 20], type: 0, offset: 0 }],
        data: Buffer.alloc(64),
      }),
      'GGUF_TENSOR_OUT_OF_BOUNDS',
    ],
    [
      'more dimensions than ggml has',
      buildGguf({
        kv,
        tensors: [
          {
            name: 'a',
            dims: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            type: 0,
            offset: 0,
          },
        ],
        data: Buffer.alloc(64),
      }),
      'GGUF_BAD_HEADER',
    ],
  ])('GGUF: %s', async (_label, file, rule) => {
    const r = await scanBuffer('m.gguf', file);
    expect(high(r)).toContain(rule);
  });

  it('ONNX: a length field larger than its message', async () => {
    const varint = (value: bigint) => {
      const out: number[] = [];
      let n = value;
      while (n > 127n) {
        out.push(Number(n & 127n) | 128);
        n >>= 7n;
      }
      out.push(Number(n));
      return Buffer.from(out);
    };
    // ir_version 8, then graph (field 7) with a 2^40 length
    const bad = Buffer.concat([
      Buffer.from([0x08, 0x08]),
      Buffer.from([0x3a]),
      varint(1n << 40n),
      Buffer.alloc(64),
    ]);
    const r = await scanBuffer('model.onnx', bad);
    expect(high(r)).toContain('ONNX_MALFORMED');
    const ok = await scanBuffer(
      'model.onnx',
      fs.readFileSync(path.join(FORMATS, 'onnx_benign.onnx')),
    );
    expect(ok.verdict).toBe('safe');
  });
});

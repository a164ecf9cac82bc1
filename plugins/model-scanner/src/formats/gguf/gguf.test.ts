import fs from 'fs';
import path from 'path';
import { ggufScanner } from './index';
import { buildGguf } from './ggufBuilder';
import { bufferSource, detectWith, runFormatScanner } from './harness';

const templates = path.resolve(__dirname, '../../../fixtures/formats/chat_templates');
const llama = fs.readFileSync(path.join(templates, 'llama3_1.jinja'), 'utf8');

describe('ggufScanner', () => {
  const benign = () =>
    buildGguf({
      kv: [
        ['general.architecture', { type: 'string', value: 'llama' }],
        ['general.alignment', { type: 'u32', value: 32 }],
        ['tokenizer.ggml.tokens', { type: 'array-string', value: ['<s>', '</s>', 'a', 'b'] }],
        ['tokenizer.ggml.token_type', { type: 'array-i32', value: [3, 3, 1, 1] }],
        ['tokenizer.chat_template', { type: 'string', value: llama }],
        ['tokenizer.chat_template.tool_use', { type: 'string', value: '{% for m in messages %}{{ m.content }}{% endfor %}' }],
      ],
      tensors: [
        { name: 'tok_embd.weight', dims: [4, 2], type: 0, offset: 0 },
        { name: 'blk.0.q', dims: [32], type: 8, offset: 32 },
      ],
      data: Buffer.alloc(32 + 34),
    });

  it('detects GGUF by magic and version', () => {
    expect(detectWith(ggufScanner, benign())).toBeGreaterThan(90);
    expect(detectWith(ggufScanner, Buffer.from('GGML\x03\x00\x00\x00'))).toBe(0);
  });

  it('accepts a benign model with a real chat template', async () => {
    const r = await runFormatScanner(ggufScanner, benign());
    expect(r.findings).toEqual([]);
    expect(r.errors).toEqual([]);
    expect(r.formats).toEqual(['gguf']);
  });

  it('reads v1 (32-bit lengths) and big-endian files', async () => {
    for (const opts of [{ version: 1 }, { bigEndian: true }, { version: 2 }]) {
      const buf = buildGguf({
        ...opts,
        kv: [['tokenizer.chat_template', { type: 'string', value: "{{ ().__class__.__mro__ }}" }]],
      });
      const r = await runFormatScanner(ggufScanner, buf);
      expect(r.ruleIds).toContain('GGUF_CHAT_TEMPLATE_SSTI');
    }
  });

  it('flags an SSTI chat template (CVE-2024-34359 class) in the default and named templates', async () => {
    const payload =
      "{% for x in ().__class__.__base__.__subclasses__() %}{% if \"warning\" in x.__name__ %}{{x()._module.__builtins__['__import__']('os').popen(\"id\")}}{% endif %}{% endfor %}";
    for (const key of ['tokenizer.chat_template', 'tokenizer.chat_template.rag']) {
      const r = await runFormatScanner(ggufScanner, buildGguf({ kv: [[key, { type: 'string', value: payload }]] }));
      expect(r.maxSeverity).toBe('critical');
      expect(r.findings[0].location?.path).toMatch(new RegExp(`^${key.replace(/\./g, '\\.')}:1:`));
      expect(r.findings[0].cwe).toContain('CWE-94');
    }
  });

  it('does not analyse other string keys as templates', async () => {
    const r = await runFormatScanner(
      ggufScanner,
      buildGguf({ kv: [['general.description', { type: 'string', value: '{{ x.__class__ }}' }]] }),
    );
    expect(r.findings).toEqual([]);
  });

  it('turns a 2^60 count into a finding without allocating', async () => {
    const buf = buildGguf({ kv: [['a', { type: 'u32', value: 1 }]] });
    buf.writeBigUInt64LE(1n << 60n, 16); // kv count
    const r = await runFormatScanner(ggufScanner, buf);
    expect(r.ruleIds).toEqual(['GGUF_LENGTH_OUT_OF_BOUNDS']);
  });

  it('turns an oversized string or array length into a finding, after analysing templates seen before it', async () => {
    const buf = buildGguf({
      kv: [
        ['tokenizer.chat_template', { type: 'string', value: '{{ cycler.__init__ }}' }],
        ['tokenizer.ggml.tokens', { type: 'array-string', value: ['a', 'b'] }],
      ],
    });
    const idx = buf.indexOf(Buffer.from('tokenizer.ggml.tokens')) + 'tokenizer.ggml.tokens'.length + 8;
    buf.writeBigUInt64LE(1n << 60n, idx); // array count
    const r = await runFormatScanner(ggufScanner, buf);
    expect(r.ruleIds).toEqual(expect.arrayContaining(['GGUF_LENGTH_OUT_OF_BOUNDS', 'GGUF_CHAT_TEMPLATE_SSTI']));
    const huge = buildGguf({ kv: [['general.name', { type: 'string', value: 'x' }]] });
    huge.writeBigUInt64LE(0xffffffffffffn, 24 + 8 + 'general.name'.length + 4);
    expect((await runFormatScanner(ggufScanner, huge)).ruleIds).toEqual(['GGUF_LENGTH_OUT_OF_BOUNDS']);
  });

  it('reports tensors outside the file and overlapping tensors', async () => {
    const buf = buildGguf({
      kv: [],
      tensors: [
        { name: 'a', dims: [16], type: 0, offset: 0 },
        { name: 'b', dims: [16], type: 0, offset: 32 },
        { name: 'c', dims: [1 << 20], type: 0, offset: 64 },
      ],
      data: Buffer.alloc(128),
    });
    const r = await runFormatScanner(ggufScanner, buf);
    expect(r.ruleIds).toEqual(expect.arrayContaining(['GGUF_TENSOR_OUT_OF_BOUNDS', 'GGUF_TENSOR_OVERLAP']));
  });

  it('never reads tensor data', async () => {
    const data = Buffer.alloc(8 * 1024 * 1024);
    const buf = buildGguf({ kv: [], tensors: [{ name: 'w', dims: [2 * 1024 * 1024], type: 0, offset: 0 }], data });
    const src = bufferSource(buf);
    const r = await runFormatScanner(ggufScanner, src);
    expect(r.findings).toEqual([]);
    const bytesRead = src.reads.reduce((s, [, l]) => s + l, 0);
    expect(bytesRead).toBeLessThan(256 * 1024);
  });

  it('reports unknown value types', async () => {
    const buf = buildGguf({ kv: [['x', { type: 'u32', value: 1 }]] });
    buf.writeUInt32LE(77, 24 + 8 + 1);
    expect((await runFormatScanner(ggufScanner, buf)).ruleIds).toEqual(['GGUF_BAD_HEADER']);
  });
});

describe('ggufScanner on generated files', () => {
  const fx = (n: string) => fs.readFileSync(path.resolve(__dirname, '../../../fixtures/formats', n));
  it('accepts the benign llama-style GGUF (vocab arrays, tensors, two templates)', async () => {
    const r = await runFormatScanner(ggufScanner, fx('gguf_benign_llama.gguf'));
    expect(r.findings).toEqual([]);
    expect(r.errors).toEqual([]);
  });
  it('flags the SSTI GGUF', async () => {
    const r = await runFormatScanner(ggufScanner, fx('gguf_malicious_ssti.gguf'));
    expect(r.maxSeverity).toBe('critical');
    expect(r.findings.every(f => f.location?.path?.startsWith('tokenizer.chat_template:'))).toBe(true);
  });
});

import fs from 'fs';
import path from 'path';
import { sentencePieceScanner, tokenizerConfigScanner } from './index';
import { detectWith, runFormatScanner } from '../gguf/harness';
import { parseJson } from './boundedJson';

const templates = path.resolve(__dirname, '../../../fixtures/formats/chat_templates');
const qwen = fs.readFileSync(path.join(templates, 'qwen2_5_tools.jinja'), 'utf8');
const evil = "{{ ()|attr('__cla'~'ss__')|attr('__ba'~'se__')|attr('__subcla'~'sses__')() }}";

const cfg = (o: unknown) => Buffer.from(JSON.stringify(o, null, 2));

describe('tokenizerConfigScanner', () => {
  it('detects tokenizer configs and chat templates by content, not other JSON', () => {
    expect(detectWith(tokenizerConfigScanner, cfg({ bos_token: '<s>', chat_template: qwen }), 'x.json')).toBeGreaterThan(50);
    expect(detectWith(tokenizerConfigScanner, Buffer.from(qwen), 'chat_template.jinja')).toBeGreaterThan(50);
    expect(detectWith(tokenizerConfigScanner, cfg({ architectures: ['LlamaForCausalLM'] }), 'config.json')).toBe(0);
    expect(detectWith(tokenizerConfigScanner, Buffer.from('80049500', 'hex'), 'x.jinja')).toBe(0);
  });

  it('accepts a real config with a string template and a list of named templates', async () => {
    const r = await runFormatScanner(
      tokenizerConfigScanner,
      cfg({
        add_bos_token: false,
        added_tokens_decoder: { '151643': { content: '<|endoftext|>', special: true } },
        chat_template: qwen,
        model_max_length: 131072,
        tokenizer_class: 'Qwen2Tokenizer',
      }),
    );
    expect(r.findings).toEqual([]);
    expect(r.formats).toEqual(['tokenizer-config']);
    const r2 = await runFormatScanner(
      tokenizerConfigScanner,
      cfg({ chat_template: [{ name: 'default', template: qwen }, { name: 'tool_use', template: qwen }] }),
    );
    expect(r2.findings).toEqual([]);
  });

  it('flags SSTI in a string template, in a named template, and in a standalone .jinja file', async () => {
    const a = await runFormatScanner(tokenizerConfigScanner, cfg({ chat_template: evil }));
    expect(a.maxSeverity).toBe('critical');
    expect(a.ruleIds).toContain('TOKENIZER_CHAT_TEMPLATE_SSTI');
    const b = await runFormatScanner(tokenizerConfigScanner, cfg({ chat_template: [{ name: 'default', template: qwen }, { name: 'rag', template: evil }] }));
    expect(b.maxSeverity).toBe('critical');
    expect(b.findings[0].location?.path).toMatch(/^chat_template\["rag"\]:1:/);
    const c = await runFormatScanner(tokenizerConfigScanner, Buffer.from(evil), 'chat_template.jinja');
    expect(c.maxSeverity).toBe('critical');
  });

  it('analyses every copy of a duplicated chat_template key', async () => {
    const text = `{"chat_template": ${JSON.stringify(evil)}, "chat_template": ${JSON.stringify(qwen)}}`;
    const r = await runFormatScanner(tokenizerConfigScanner, Buffer.from(text));
    expect(r.ruleIds).toEqual(expect.arrayContaining(['TOKENIZER_CONFIG_INVALID', 'TOKENIZER_CHAT_TEMPLATE_SSTI']));
    expect(r.maxSeverity).toBe('critical');
  });

  it('reports remote-code tokenizers at low severity and broken JSON as an error', async () => {
    const r = await runFormatScanner(tokenizerConfigScanner, cfg({ chat_template: qwen, auto_map: { AutoTokenizer: ['tok.T', null] } }));
    expect(r.findings.map(f => `${f.ruleId}:${f.severity}`)).toEqual(['TOKENIZER_CONFIG_REMOTE_CODE:low']);
    const e = await runFormatScanner(tokenizerConfigScanner, Buffer.from('{"chat_template": "x'));
    expect(e.errors.length).toBe(1);
  });
});

describe('bounded JSON parser', () => {
  it('matches JSON.parse and reports duplicate keys', () => {
    const text = '{"a": [1, 2.5e3, -0, true, false, null, "\\u0041\\n"], "b": {"c": {}}, "a": 3}';
    const r = parseJson(text);
    expect(JSON.parse(JSON.stringify(r.value))).toEqual(JSON.parse(text));
    expect(r.duplicateKeys).toEqual(['a']);
  });
  it('accepts NaN/Infinity like Python and refuses deep nesting', () => {
    expect(parseJson('[NaN, -Infinity]').value).toEqual([NaN, -Infinity]);
    expect(() => parseJson('['.repeat(10000) + ']'.repeat(10000))).toThrow(/too deep/);
    expect(() => parseJson('{"__proto__": 1}')).not.toThrow();
    expect(Object.getPrototypeOf(parseJson('{"__proto__": {"x": 1}}').value)).toBeNull();
  });
});

describe('sentencePieceScanner', () => {
  const spm = fs.readFileSync(path.resolve(__dirname, '../../../fixtures/formats/sentencepiece_tokenizer.model'));
  it('recognises a SentencePiece model by content and finds nothing in it', async () => {
    expect(detectWith(sentencePieceScanner, spm, 'tokenizer.model')).toBeGreaterThan(50);
    expect(detectWith(sentencePieceScanner, fs.readFileSync(path.resolve(__dirname, '../../../fixtures/formats/onnx_benign.onnx')))).toBe(0);
    const r = await runFormatScanner(sentencePieceScanner, spm, 'tokenizer.model');
    expect(r.formats).toEqual(['sentencepiece']);
    expect(r.findings).toEqual([]);
    expect(r.errors).toEqual([]);
    const broken = await runFormatScanner(sentencePieceScanner, spm.subarray(0, spm.length - 3));
    expect(broken.errors).toHaveLength(1);
  });
});

describe('tokenizerConfigScanner with a mapping of templates', () => {
  it('analyses every template of a {name: template} mapping', async () => {
    const r = await runFormatScanner(tokenizerConfigScanner, cfg({ chat_template: { default: qwen, rag: evil } }));
    expect(r.maxSeverity).toBe('critical');
    const ok = await runFormatScanner(tokenizerConfigScanner, cfg({ chat_template: { default: qwen } }));
    expect(ok.findings).toEqual([]);
  });
});

describe('blank padding cannot hide a config from detection', () => {
  it('analyses a tokenizer_config.json whose keys come after 10 kB of blanks', async () => {
    const padded = Buffer.from(`{${' '.repeat(10000)}"chat_template": ${JSON.stringify(evil)}}`);
    expect(detectWith(tokenizerConfigScanner, padded, 'tokenizer_config.json')).toBeGreaterThan(50);
    expect(detectWith(tokenizerConfigScanner, padded, 'notes.json')).toBe(0);
    const r = await runFormatScanner(tokenizerConfigScanner, padded, 'tokenizer_config.json');
    expect(r.maxSeverity).toBe('critical');
    const before = Buffer.from(`${'\n'.repeat(5000)}{"chat_template": ${JSON.stringify(evil)}}`);
    expect(detectWith(tokenizerConfigScanner, before, 'tokenizer_config.json')).toBeGreaterThan(50);
    expect((await runFormatScanner(tokenizerConfigScanner, before, 'tokenizer_config.json')).maxSeverity).toBe('critical');
  });
});

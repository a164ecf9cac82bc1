import fs from 'fs';
import path from 'path';
import { kerasConfigScanner, kerasH5Scanner, marshalStrings } from './index';
import { detectWith, runFormatScanner } from '../gguf/harness';

const fx = (n: string) => fs.readFileSync(path.resolve(__dirname, '../../../fixtures/formats', n));
const json = (o: unknown) => Buffer.from(JSON.stringify(o));
const EVIL_B64 = Buffer.from('\xe3\x00\x00\x00os\x00system\x00__import__\x00id', 'latin1').toString('base64');

const seq = (layers: unknown[]) => ({
  module: 'keras',
  class_name: 'Sequential',
  config: { name: 'seq', layers },
  registered_name: null,
});
const denseK3 = (extra: Record<string, unknown> = {}) => ({
  module: 'keras.layers',
  class_name: 'Dense',
  registered_name: null,
  config: { name: 'd', units: 2, activation: 'relu', ...extra },
});

describe('kerasH5Scanner (real files written by h5py)', () => {
  it('detects HDF5 by signature only', () => {
    expect(detectWith(kerasH5Scanner, fx('keras_benign_sequential.h5'))).toBeGreaterThan(80);
    expect(detectWith(kerasH5Scanner, Buffer.from('{"class_name": "Sequential"}'), 'x.h5')).toBe(0);
  });

  for (const f of ['keras_benign_sequential.h5', 'keras_benign_vlen_v3.h5', 'keras_benign_wrappers.h5', 'keras_benign_dense_attrs.h5']) {
    it(`${f} is safe and recognised as keras-h5`, async () => {
      const r = await runFormatScanner(kerasH5Scanner, fx(f), f);
      expect(r.findings).toEqual([]);
      expect(r.errors).toEqual([]);
      expect(r.formats).toEqual(['keras-h5']);
    });
  }

  it('finds a Lambda layer nested in TimeDistributed inside a Functional model (fixed-length attribute)', async () => {
    const r = await runFormatScanner(kerasH5Scanner, fx('keras_malicious_nested_lambda.h5'));
    const lambda = r.findings.find(f => f.ruleId === 'KERAS_LAMBDA_LAYER')!;
    expect(lambda.severity).toBe('critical');
    expect(lambda.location?.path).toBe('model_config.config.layers[2].config.layer');
    expect(lambda.atlas).toEqual(expect.arrayContaining(['AML.T0011.000', 'AML.T0018.002']));
    expect(lambda.cwe).toContain('CWE-502');
    expect(lambda.details?.dangerousNames).toEqual(expect.arrayContaining(['system', '__import__']));
  });

  it('finds a Lambda layer in a variable-length string attribute (global heap, superblock v3)', async () => {
    const r = await runFormatScanner(kerasH5Scanner, fx('keras_malicious_lambda_vlen_v3.h5'));
    expect(r.maxSeverity).toBe('critical');
    expect(r.ruleIds).toContain('KERAS_LAMBDA_LAYER');
  });

  it('finds a config placed after large data and across window boundaries', async () => {
    const cfg = Buffer.from(`model_config\u0000${JSON.stringify(seq([{ class_name: 'Lambda', config: { function: [EVIL_B64, null, null], function_type: 'lambda' } }]))}`);
    const magic = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
    const filler = Buffer.alloc(4 * 1024 * 1024 - 20, 0x7b); // many '{' but no JSON
    const r = await runFormatScanner(kerasH5Scanner, Buffer.concat([magic, filler, cfg, Buffer.alloc(100)]));
    expect(r.ruleIds).toContain('KERAS_LAMBDA_LAYER');
  });
});

describe('kerasConfigScanner', () => {
  it('detects Keras configs and metadata by content, not other JSON', () => {
    expect(detectWith(kerasConfigScanner, fx('keras_v3_benign_config.json'), 'x.zip!/config.json')).toBeGreaterThan(60);
    expect(detectWith(kerasConfigScanner, fx('keras_v3_metadata.json'), 'metadata.json')).toBeGreaterThan(0);
    expect(detectWith(kerasConfigScanner, json({ architectures: ['BertModel'], model_type: 'bert' }), 'config.json')).toBe(0);
    expect(detectWith(kerasConfigScanner, json({ chat_template: 'x' }), 'tokenizer_config.json')).toBe(0);
  });

  it('accepts real Keras 3 configs and metadata', async () => {
    for (const f of ['keras_v3_benign_config.json', 'keras_v3_metadata.json']) {
      const r = await runFormatScanner(kerasConfigScanner, fx(f));
      expect(r.findings).toEqual([]);
    }
  });

  it('flags module references outside Keras (CVE-2025-1550)', async () => {
    const r = await runFormatScanner(kerasConfigScanner, fx('keras_v3_malicious_module_config.json'));
    const f = r.findings.find(x => x.ruleId === 'KERAS_UNSAFE_MODULE')!;
    expect(f.severity).toBe('critical');
    expect(f.details).toMatchObject({ module: 'os', config: 'system' });
    const other = await runFormatScanner(kerasConfigScanner, json(seq([{ ...denseK3(), module: 'my_company.layers' }])));
    expect(other.findings.map(x => `${x.ruleId}:${x.severity}`)).toEqual(['KERAS_UNSAFE_MODULE:high']);
  });

  it('flags the get_file gadget (CVE-2025-8747) and enable_unsafe_deserialization', async () => {
    const r = await runFormatScanner(kerasConfigScanner, fx('keras_v3_malicious_get_file_config.json'));
    expect(r.ruleIds).toContain('KERAS_UNSAFE_FUNCTION');
    expect(r.maxSeverity).toBe('critical');
    const u = await runFormatScanner(
      kerasConfigScanner,
      json(seq([denseK3({ activation: { module: 'keras.config', class_name: 'function', config: 'enable_unsafe_deserialization', registered_name: null } })])),
    );
    expect(u.ruleIds).toContain('KERAS_UNSAFE_FUNCTION');
  });

  it('flags Keras 3 __lambda__ functions and Keras 2 Lambda layers at any depth', async () => {
    const k3 = seq([
      {
        module: 'keras.layers',
        class_name: 'TimeDistributed',
        registered_name: null,
        config: {
          layer: {
            module: 'keras.layers',
            class_name: 'Lambda',
            registered_name: null,
            config: { name: 'l', function: { class_name: '__lambda__', config: { code: EVIL_B64, defaults: null, closure: null } } },
          },
        },
      },
    ]);
    const r = await runFormatScanner(kerasConfigScanner, json(k3));
    expect(r.ruleIds).toContain('KERAS_LAMBDA_LAYER');
    expect(r.maxSeverity).toBe('critical');
    const k2 = { class_name: 'Model', config: { layers: [{ class_name: 'Bidirectional', config: { layer: { class_name: 'Lambda', config: { function: [EVIL_B64, null, null] } } } }] } };
    expect((await runFormatScanner(kerasConfigScanner, json(k2))).ruleIds).toContain('KERAS_LAMBDA_LAYER');
  });

  it('rates a Lambda that references a TensorFlow function below one that carries code', async () => {
    const ref = { class_name: 'Sequential', config: { layers: [{ class_name: 'Lambda', config: { function: 'relu', function_type: 'function', module: 'tensorflow.python.ops.nn_ops' } }] } };
    const r = await runFormatScanner(kerasConfigScanner, json(ref));
    expect(r.findings.map(x => `${x.ruleId}:${x.severity}`)).toEqual(['KERAS_LAMBDA_LAYER:high']);
    const bad = { class_name: 'Sequential', config: { layers: [{ class_name: 'Lambda', config: { function: 'system', function_type: 'function', module: 'os' } }] } };
    expect((await runFormatScanner(kerasConfigScanner, json(bad))).maxSeverity).toBe('critical');
  });

  it('flags TorchModuleWrapper and scans its embedded payload (CVE-2025-49655)', async () => {
    const payload = Buffer.from('80025d712e', 'hex');
    const r = await runFormatScanner(
      kerasConfigScanner,
      json(seq([{ module: 'keras.layers', class_name: 'TorchModuleWrapper', registered_name: 'keras>TorchModuleWrapper', config: { name: 't', module: payload.toString('base64') } }])),
    );
    expect(r.ruleIds).toContain('KERAS_TORCH_MODULE_WRAPPER');
    expect(r.nested).toEqual([payload]);
  });

  it('flags custom objects and vocabulary files outside the archive (CVE-2025-12058)', async () => {
    const r = await runFormatScanner(
      kerasConfigScanner,
      json(seq([
        { module: 'my_pkg', class_name: 'Custom', registered_name: 'my_pkg>Custom', config: {} },
        { module: 'keras.layers', class_name: 'StringLookup', registered_name: null, config: { vocabulary: '/etc/passwd' } },
        { module: 'keras.layers', class_name: 'StringLookup', registered_name: null, config: { vocabulary: ['a', 'b'] } },
      ])),
    );
    expect(r.ruleIds).toEqual(expect.arrayContaining(['KERAS_CUSTOM_OBJECT', 'KERAS_FILE_REFERENCE', 'KERAS_UNSAFE_MODULE']));
    expect(r.findings.filter(f => f.ruleId === 'KERAS_FILE_REFERENCE')).toHaveLength(1);
  });

  it('reports duplicate keys (parser differential) and errors on broken JSON', async () => {
    const r = await runFormatScanner(kerasConfigScanner, Buffer.from('{"class_name": "Lambda", "class_name": "Dense", "config": {}}'));
    expect(r.ruleIds).toContain('KERAS_CONFIG_INVALID');
    const e = await runFormatScanner(kerasConfigScanner, Buffer.from('{"class_name": "Dense", "config": {'));
    expect(e.errors).toHaveLength(1);
  });

  it('extracts names from marshalled code', () => {
    expect(marshalStrings(EVIL_B64).dangerous).toEqual(expect.arrayContaining(['os', 'system', '__import__']));
  });
});

describe('marshalled code outside Lambda layers', () => {
  it('flags marshalled code stored under any key (JaxLayer call_fn, custom function keys)', async () => {
    const code = Buffer.concat([Buffer.from([0xe3]), Buffer.alloc(40), Buffer.from('os\u0000system')]).toString('base64');
    const r = await runFormatScanner(kerasConfigScanner, json(seq([{ ...denseK3(), config: { name: 'j', call_fn: code } }])));
    expect(r.findings.map(f => `${f.ruleId}:${f.severity}`)).toEqual(['KERAS_LAMBDA_LAYER:critical']);
    expect(r.findings[0].location?.path).toBe('config.config.layers[0].config.call_fn');
  });
  it('does not flag ordinary base64 strings', async () => {
    const other = Buffer.from('not a code object at all, just some bytes here.').toString('base64');
    const r = await runFormatScanner(kerasConfigScanner, json(seq([{ ...denseK3(), config: { name: 'j', blob: other } }])));
    expect(r.findings).toEqual([]);
  });
});

describe('marshalled code in arrays', () => {
  it('flags marshalled code stored as [code, defaults, closure] under any key', async () => {
    const code = Buffer.concat([Buffer.from([0xe3]), Buffer.alloc(40)]).toString('base64');
    const r = await runFormatScanner(kerasConfigScanner, json(seq([{ ...denseK3(), config: { name: 'j', fn: [code, null, null] } }])));
    expect(r.ruleIds).toEqual(['KERAS_LAMBDA_LAYER']);
  });
});

describe('TensorFlow function gadgets behind an allowed module', () => {
  it('flags tf.io.write_file and tf.py_function referenced as Keras functions', async () => {
    for (const [module, fn] of [['tensorflow.io', 'write_file'], ['tensorflow', 'py_function'], ['tensorflow.python.framework.load_library', 'load_op_library']]) {
      const r = await runFormatScanner(kerasConfigScanner, json(seq([denseK3({ activation: { module, class_name: 'function', config: fn, registered_name: null } })])));
      expect({ fn, rules: r.ruleIds, sev: r.maxSeverity }).toEqual({ fn, rules: ['KERAS_UNSAFE_FUNCTION'], sev: 'critical' });
    }
    const ok = await runFormatScanner(kerasConfigScanner, json(seq([denseK3({ activation: { module: 'tensorflow.nn', class_name: 'function', config: 'gelu', registered_name: null } })])));
    expect(ok.findings).toEqual([]);
  });
});

describe('kerasH5Scanner and JSON padding', () => {
  it('finds a config whose keys are padded with lots of whitespace, also across a window boundary', async () => {
    const magic = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
    const pad = ' '.repeat(5000);
    const cfg = Buffer.from(`{${pad}"class_name":${pad}"Lambda", "config": {"function": ["${EVIL_B64}", null, null]}}`);
    for (const before of [100, 4 * 1024 * 1024 - 2000]) {
      const r = await runFormatScanner(kerasH5Scanner, Buffer.concat([magic, Buffer.alloc(before), cfg, Buffer.alloc(100)]));
      expect({ before, rules: r.ruleIds }).toEqual({ before, rules: ['KERAS_LAMBDA_LAYER'] });
    }
  });
});

describe('blank padding cannot hide a Keras config from detection', () => {
  it('analyses a config.json whose keys come after 10 kB of blanks', async () => {
    const padded = Buffer.from(`{${' '.repeat(10000)}"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {"function": ["${EVIL_B64}", null, null]}}]}}`);
    expect(detectWith(kerasConfigScanner, padded, 'config.json')).toBeGreaterThan(0);
    expect(detectWith(kerasConfigScanner, padded, 'other.json')).toBe(0);
    expect((await runFormatScanner(kerasConfigScanner, padded, 'config.json')).ruleIds).toContain('KERAS_LAMBDA_LAYER');
  });
});

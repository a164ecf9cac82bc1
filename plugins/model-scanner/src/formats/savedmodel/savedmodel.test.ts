import fs from 'fs';
import path from 'path';
import { savedModelScanner } from './index';
import { onnxScanner } from '../onnx';
import { detectWith, runFormatScanner } from '../gguf/harness';

const fx = (n: string) => fs.readFileSync(path.resolve(__dirname, '../../../fixtures/formats', n));

describe('savedModelScanner (hand-assembled SavedModel protobufs)', () => {
  it('detects SavedModels by content and does not claim ONNX', () => {
    expect(detectWith(savedModelScanner, fx('savedmodel_benign.pb'), 'x/saved_model.pb')).toBeGreaterThan(80);
    expect(detectWith(savedModelScanner, fx('savedmodel_benign.pb'), 'blob')).toBeGreaterThan(50);
    expect(detectWith(savedModelScanner, fx('onnx_benign.onnx'), 'model.onnx')).toBe(0);
    expect(detectWith(onnxScanner, fx('savedmodel_tf1_benign.pb'), 'saved_model.pb')).toBe(0);
  });

  it('accepts TF2 and TF1 SavedModels with their standard savers (SaveV2/RestoreV2)', async () => {
    for (const f of ['savedmodel_benign.pb', 'savedmodel_tf1_benign.pb']) {
      const r = await runFormatScanner(savedModelScanner, fx(f));
      expect({ f, findings: r.findings }).toEqual({ f, findings: [] });
      expect(r.formats).toEqual(['tf-savedmodel']);
    }
  });

  it('flags ReadFile/WriteFile inside the serving function', async () => {
    const r = await runFormatScanner(savedModelScanner, fx('savedmodel_malicious_readfile.pb'));
    expect(r.ruleIds).toEqual(['TF_FILE_ACCESS_OP', 'TF_FILE_ACCESS_OP']);
    expect(r.findings[0].location?.path).toBe('library.__inference_serving_default_1234/ReadFile');
  });

  it('flags PyFunc as critical', async () => {
    const r = await runFormatScanner(savedModelScanner, fx('savedmodel_malicious_pyfunc.pb'));
    expect(r.findings.map(f => `${f.ruleId}:${f.severity}`)).toEqual(['TF_PYFUNC_OP:critical']);
    expect(r.findings[0].details).toMatchObject({ attributes: { token: 'pyfunc_0' } });
  });

  it('flags SaveV2 outside the saver, PrintV2 to a file, custom ops, and malformed protobufs', async () => {
    const enc = (field: number, p: Buffer | string) => {
      const b = typeof p === 'string' ? Buffer.from(p) : p;
      return Buffer.concat([Buffer.from([(field << 3) | 2, b.length]), b]);
    };
    const node = (name: string, op: string, attrs = Buffer.alloc(0)) => enc(1, Buffer.concat([enc(1, name), enc(2, op), attrs]));
    const printAttr = enc(5, Buffer.concat([enc(1, 'output_stream'), enc(2, enc(2, 'file:///tmp/leak'))]));
    const graph = Buffer.concat([node('exfil/SaveV2', 'SaveV2'), node('p', 'PrintV2', printAttr), node('c', 'Addons>Evil')]);
    const model = Buffer.concat([Buffer.from([0x08, 0x01]), enc(2, enc(2, graph))]);
    const r = await runFormatScanner(savedModelScanner, model, 'saved_model.pb');
    expect(r.ruleIds).toEqual(['TF_UNUSUAL_SAVE_RESTORE', 'TF_FILE_ACCESS_OP', 'TF_CUSTOM_OP']);
    const bad = Buffer.concat([Buffer.from([0x08, 0x01, 0x12, 0x7f]), Buffer.alloc(5)]);
    expect((await runFormatScanner(savedModelScanner, bad)).ruleIds).toEqual(['TF_SAVEDMODEL_MALFORMED']);
  });
});

describe('savedModelScanner assets', () => {
  const enc = (field: number, p: Buffer | string) => {
    const b = typeof p === 'string' ? Buffer.from(p) : p;
    return Buffer.concat([Buffer.from([(field << 3) | 2, b.length]), b]);
  };
  const withAsset = (name: string) => Buffer.concat([Buffer.from([0x08, 0x01]), enc(2, Buffer.concat([enc(2, Buffer.alloc(0)), enc(6, Buffer.concat([enc(1, enc(1, 'Const:0')), enc(2, name)]))]))]);
  it('flags asset file names outside the assets folder and accepts normal ones', async () => {
    expect((await runFormatScanner(savedModelScanner, withAsset('../../../../etc/passwd'))).ruleIds).toEqual(['TF_ASSET_PATH_TRAVERSAL']);
    expect((await runFormatScanner(savedModelScanner, withAsset('vocab.txt'))).findings).toEqual([]);
  });
});

describe('savedModelScanner on keras_metadata.pb (TF2 Keras SavedModel)', () => {
  it('detects keras_metadata.pb and accepts benign layer configs', async () => {
    expect(detectWith(savedModelScanner, fx('keras_metadata_benign.pb'), 'keras_metadata.pb')).toBeGreaterThan(80);
    const r = await runFormatScanner(savedModelScanner, fx('keras_metadata_benign.pb'));
    expect(r.findings).toEqual([]);
    expect(r.formats).toEqual(['keras-metadata']);
  });
  it('finds a Lambda layer in the Keras metadata', async () => {
    const r = await runFormatScanner(savedModelScanner, fx('keras_metadata_malicious_lambda.pb'));
    expect(r.ruleIds).toContain('KERAS_LAMBDA_LAYER');
    expect(r.maxSeverity).toBe('critical');
    expect(r.findings[0].location?.path).toMatch(/^nodes\[2\]\.metadata/);
  });
  it('finds a Lambda in SavedUserObject.metadata of the object graph', async () => {
    const enc = (field: number, p: Buffer | string) => {
      const b = typeof p === 'string' ? Buffer.from(p) : p;
      const len: number[] = [];
      let n = b.length;
      do {
        len.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
        n >>= 7;
      } while (n);
      return Buffer.concat([Buffer.from([(field << 3) | 2, ...len]), b]);
    };
    const meta = JSON.stringify({ class_name: 'Lambda', config: { function: ['4wEAAABvcwBzeXN0ZW0=', null, null] } });
    const objectGraph = enc(1, enc(4, Buffer.concat([enc(1, '_tf_keras_layer'), enc(3, meta)])));
    const model = Buffer.concat([Buffer.from([0x08, 0x01]), enc(2, Buffer.concat([enc(2, Buffer.alloc(0)), enc(7, objectGraph)]))]);
    const r = await runFormatScanner(savedModelScanner, model, 'saved_model.pb');
    expect(r.ruleIds).toContain('KERAS_LAMBDA_LAYER');
    expect(r.findings[0].location?.path).toBe('object_graph.nodes[0].user_object.metadata');
  });
});

describe('savedModelScanner claims the other files of a SavedModel folder', () => {
  it('recognises fingerprint.pb without claiming it as ONNX', async () => {
    const fp = fx('savedmodel_fingerprint.pb');
    expect(detectWith(savedModelScanner, fp, 'fingerprint.pb')).toBeGreaterThan(60);
    expect(detectWith(onnxScanner, fp, 'fingerprint.pb')).toBe(0);
    const r = await runFormatScanner(savedModelScanner, fp, 'fingerprint.pb');
    expect(r.formats).toEqual(['tf-fingerprint']);
    expect(r.findings).toEqual([]);
  });
  it('recognises a checkpoint index by its first entry and footer magic', async () => {
    const header = Buffer.from([0x00, 0x00, 0x06, 0x08, 0x01, 0x1a, 0x02, 0x08, 0x01]);
    const index = Buffer.concat([header, Buffer.alloc(60), Buffer.from('57fb808b247547db', 'hex')]);
    expect(detectWith(savedModelScanner, index, 'variables.index')).toBeGreaterThan(50);
    const r = await runFormatScanner(savedModelScanner, index, 'variables.index');
    expect(r.formats).toEqual(['tf-checkpoint-index']);
    expect(r.errors).toEqual([]);
    const bad = await runFormatScanner(savedModelScanner, Buffer.concat([header, Buffer.alloc(60)]), 'variables.index');
    expect(bad.errors).toHaveLength(1);
  });
});

describe('savedModelScanner with reordered fields', () => {
  it('detects a saved_model.pb that starts with meta_graphs and still finds PyFunc', async () => {
    const enc = (field: number, p: Buffer | string) => {
      const b = typeof p === 'string' ? Buffer.from(p) : p;
      return Buffer.concat([Buffer.from([(field << 3) | 2, b.length]), b]);
    };
    const graph = enc(1, Buffer.concat([enc(1, 'p'), enc(2, 'PyFunc')]));
    const model = Buffer.concat([enc(2, enc(2, graph)), Buffer.from([0x08, 0x01])]);
    expect(detectWith(savedModelScanner, model, 'm/saved_model.pb')).toBeGreaterThan(50);
    expect((await runFormatScanner(savedModelScanner, model, 'saved_model.pb')).ruleIds).toEqual(['TF_PYFUNC_OP']);
  });
});

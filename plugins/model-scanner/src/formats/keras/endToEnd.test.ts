/**
 * Every generated fixture through the engine's content detection (scanBuffer), with the
 * format modules of this folder set registered (the engine's registry lists them once the
 * lead merges the registration; adding them here is idempotent).
 */
import fs from 'fs';
import path from 'path';
import { formatScanners } from '../index';
import { scanBuffer } from '../../engine';
import { kerasConfigScanner, kerasH5Scanner } from '../keras';
import { savedModelScanner } from '../savedmodel';
import { onnxScanner } from '../onnx';
import { ggufScanner } from '../gguf';
import { safetensorsScanner } from '../safetensors';
import { sentencePieceScanner, tokenizerConfigScanner } from '../tokenizerConfig';

for (const s of [kerasH5Scanner, kerasConfigScanner, savedModelScanner, onnxScanner, ggufScanner, safetensorsScanner, tokenizerConfigScanner, sentencePieceScanner]) {
  if (!formatScanners.some(x => x.id === s.id)) formatScanners.push(s);
}

const dir = path.resolve(__dirname, '../../../fixtures/formats');
const expected: Record<string, [string, string]> = {
  'gguf_benign_llama.gguf': ['gguf', 'safe'],
  'gguf_malicious_ssti.gguf': ['gguf', 'malicious'],
  'keras_benign_dense_attrs.h5': ['keras-h5', 'safe'],
  'keras_benign_sequential.h5': ['keras-h5', 'safe'],
  'keras_benign_vlen_v3.h5': ['keras-h5', 'safe'],
  'keras_benign_wrappers.h5': ['keras-h5', 'safe'],
  'keras_malicious_lambda_vlen_v3.h5': ['keras-h5', 'malicious'],
  'keras_malicious_nested_lambda.h5': ['keras-h5', 'malicious'],
  'keras_metadata_benign.pb': ['keras-metadata', 'safe'],
  'keras_metadata_malicious_lambda.pb': ['keras-metadata', 'malicious'],
  'keras_v3_benign_config.json': ['keras-config', 'safe'],
  'keras_v3_malicious_get_file_config.json': ['keras-config', 'malicious'],
  'keras_v3_malicious_module_config.json': ['keras-config', 'malicious'],
  'keras_v3_metadata.json': ['keras-config', 'safe'],
  'onnx_benign.onnx': ['onnx', 'safe'],
  'onnx_benign_external.onnx': ['onnx', 'safe'],
  'onnx_malicious_external_absolute.onnx': ['onnx', 'malicious'],
  'onnx_malicious_external_traversal.onnx': ['onnx', 'malicious'],
  'onnx_malicious_pyop.onnx': ['onnx', 'malicious'],
  'onnx_suspicious_custom_domain.onnx': ['onnx', 'suspicious'],
  'safetensors_benign.safetensors': ['safetensors', 'safe'],
  'safetensors_trailing_payload.safetensors': ['safetensors', 'malicious'],
  'savedmodel_benign.pb': ['tf-savedmodel', 'safe'],
  'savedmodel_fingerprint.pb': ['tf-fingerprint', 'safe'],
  'savedmodel_malicious_pyfunc.pb': ['tf-savedmodel', 'malicious'],
  'savedmodel_malicious_readfile.pb': ['tf-savedmodel', 'malicious'],
  'savedmodel_tf1_benign.pb': ['tf-savedmodel', 'safe'],
  'sentencepiece_tokenizer.model': ['sentencepiece', 'safe'],
};

describe('format fixtures through the engine', () => {
  for (const [file, [format, verdict]] of Object.entries(expected)) {
    it(`${file} → ${format}, ${verdict}`, async () => {
      const r = await scanBuffer(file, fs.readFileSync(path.join(dir, file)));
      expect({ format: r.format, verdict: r.verdict }).toEqual({ format, verdict });
    });
  }

  it('.keras archives: config.json is analysed through the zip walker', async () => {
    const benign = await scanBuffer('model.keras', fs.readFileSync(path.join(dir, 'keras_v3_benign.keras')));
    expect(benign.verdict).toBe('safe');
    const evil = await scanBuffer('model.keras', fs.readFileSync(path.join(dir, 'keras_v3_malicious_lambda.keras')));
    expect(evil.verdict).toBe('malicious');
    const lambda = evil.findings.find(f => f.ruleId === 'KERAS_LAMBDA_LAYER')!;
    expect(lambda.location?.member).toMatch(/config\.json$/);
    expect(lambda.location?.path).toBe('config.config.layers[2]');
  });

  it('chat templates in tokenizer_config.json, whatever the file name', async () => {
    const tpl = fs.readFileSync(path.join(dir, 'chat_templates', 'qwen2_5_tools.jinja'), 'utf8');
    const ok = await scanBuffer('tokenizer_config.json', Buffer.from(JSON.stringify({ chat_template: tpl, tokenizer_class: 'Qwen2Tokenizer' })));
    expect({ format: ok.format, verdict: ok.verdict }).toEqual({ format: 'tokenizer-config', verdict: 'safe' });
    const bad = await scanBuffer('x.json', Buffer.from(JSON.stringify({ chat_template: "{{ cycler.__init__.__globals__.os.popen('id').read() }}" })));
    expect(bad.verdict).toBe('malicious');
  });
});

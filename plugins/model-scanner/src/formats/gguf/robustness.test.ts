/**
 * Robustness of every format module: truncated and byte-mutated versions of the fixtures
 * must end in findings or reported errors, never in an exception or a hang.
 */
import fs from 'fs';
import path from 'path';
import type { FormatScanner } from '../../types';
import { ggufScanner } from './index';
import { safetensorsScanner } from '../safetensors';
import { onnxScanner } from '../onnx';
import { savedModelScanner } from '../savedmodel';
import { kerasConfigScanner, kerasH5Scanner } from '../keras';
import { tokenizerConfigScanner } from '../tokenizerConfig';
import { runFormatScanner } from './harness';

const dir = path.resolve(__dirname, '../../../fixtures/formats');
const cases: Array<[FormatScanner, string]> = [
  [ggufScanner, 'gguf_benign_llama.gguf'],
  [safetensorsScanner, 'safetensors_benign.safetensors'],
  [onnxScanner, 'onnx_benign.onnx'],
  [savedModelScanner, 'savedmodel_benign.pb'],
  [kerasH5Scanner, 'keras_benign_sequential.h5'],
  [kerasConfigScanner, 'keras_v3_benign_config.json'],
  [tokenizerConfigScanner, 'keras_v3_benign_config.json'],
];

/** small deterministic PRNG so failures reproduce */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('format modules survive truncated and mutated input', () => {
  for (const [scanner, file] of cases) {
    it(`${scanner.id} on ${file}`, async () => {
      const original = fs.readFileSync(path.join(dir, file));
      const rand = prng(original.length);
      const variants: Buffer[] = [];
      for (const cut of [0, 1, 7, 8, 9, 16, 33, Math.floor(original.length / 3), original.length - 1]) variants.push(original.subarray(0, cut));
      for (let k = 0; k < 60; k++) {
        const b = Buffer.from(original);
        const n = 1 + Math.floor(rand() * 8);
        for (let j = 0; j < n; j++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
        variants.push(b);
      }
      const t0 = Date.now();
      for (const v of variants) {
        await expect(runFormatScanner(scanner, v)).resolves.toBeDefined();
      }
      expect(Date.now() - t0).toBeLessThan(20000);
    });
  }
});

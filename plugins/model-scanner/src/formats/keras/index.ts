/**
 * Keras formats: `.h5` (HDF5 with a `model_config` / `training_config` attribute) and the
 * JSON configuration of `.keras` v3 archives (`config.json`, `metadata.json`; the archive
 * itself is walked by the engine, which hands every member to content detection).
 */
import type { FormatScanContext, FormatScanner } from '../../types';
import { isJsonObject, jsonHeadShape, JsonSyntaxError, parseJson, readSmallText } from '../tokenizerConfig/boundedJson';
import { analyzeKerasConfig } from './analyzeConfig';
import { scanHdf5 } from './hdf5';

export { analyzeKerasConfig, kerasRules, marshalStrings } from './analyzeConfig';

const MAX_CONFIG = 64 * 1024 * 1024;

function detectConfig(head: Buffer, hint: { name: string; size: number }): number {
  const shape = jsonHeadShape(head);
  // a config.json padded with blanks hides its keys from any detection window: it is analysed anyway
  if (shape === 'padded') return /(?:^|[\\/!])config\.json$/.test(hint.name) ? 45 : 0;
  if (shape !== 'object') return 0;
  const text = head.toString('utf8', 0, Math.min(head.length, 4096));
  const hasClass = /"class_name"\s*:/.test(text);
  const hasConfig = /"config"\s*:/.test(text);
  if (hasClass && (hasConfig || /"(?:module|registered_name|keras_version|backend)"\s*:/.test(text))) return 65;
  if (/"keras_version"\s*:/.test(text)) return 45;
  if (/(?:^|[\\/!])config\.json$/.test(hint.name) && /"(?:layers|build_config|compile_config)"\s*:/.test(text)) return 40;
  return 0;
}

async function scanConfig(ctx: FormatScanContext): Promise<void> {
  const text = await readSmallText(ctx.source, MAX_CONFIG);
  if (text === undefined) {
    ctx.error(`Keras configuration larger than ${MAX_CONFIG} bytes; not analysed`);
    return;
  }
  let parsed;
  try {
    parsed = parseJson(text);
  } catch (e) {
    ctx.error(`Keras configuration is not valid JSON: ${e instanceof JsonSyntaxError ? e.message : String(e)}`);
    return;
  }
  if (ctx.depth === 0) ctx.setFormat('keras-config');
  else if (/(?:^|[\\/!])config\.json$/.test(ctx.source.name) && isJsonObject(parsed.value)) ctx.setFormat('keras-v3');
  const member = ctx.depth > 0 ? ctx.source.name : undefined;
  for (const d of parsed.duplicateKeys) {
    ctx.report({
      ruleId: 'KERAS_CONFIG_INVALID',
      severity: 'medium',
      message: `"${d}" is defined twice in the configuration; tools that keep the first copy see a different model from Keras, which keeps the last.`,
      location: { path: d, member },
      cwe: ['CWE-436'],
      atlas: ['AML.T0010.003'],
    });
  }
  await analyzeKerasConfig(parsed.value, r => ctx.report(r), {
    where: 'config',
    member,
    scanNested: s => ctx.scanNested(s),
    depth: ctx.depth,
    maxDepth: ctx.limits.maxDepth,
  });
}

export const kerasConfigScanner: FormatScanner = { id: 'keras-config', detect: detectConfig, scan: scanConfig };

const HDF5_MAGIC = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

function detectH5(head: Buffer): number {
  for (const off of [0, 512, 1024, 2048]) {
    if (head.length >= off + 8 && head.subarray(off, off + 8).equals(HDF5_MAGIC)) return 90;
  }
  return 0;
}

export const kerasH5Scanner: FormatScanner = { id: 'keras-h5', detect: detectH5, scan: scanHdf5 };

/**
 * Registry of the format modules detected by content (besides the engine's own pickle, zip, tar,
 * NumPy and compression handling). Each module's detect() returns a confidence; the engine runs the
 * highest one.
 */
import type { FormatScanner } from '../types';
import { ggufScanner, ggufRules } from './gguf';
import { safetensorsScanner, safetensorsRules } from './safetensors';
import { kerasH5Scanner, kerasConfigScanner } from './keras';
import { savedModelScanner, savedModelRules } from './savedmodel';
import { onnxScanner, onnxRules } from './onnx';
import {
  tokenizerConfigScanner,
  tokenizerConfigRules,
  sentencePieceScanner,
} from './tokenizerConfig';
import { chatTemplateRules } from './chatTemplate';
import { msgpackScanner, msgpackRules } from './msgpack';
import { torchScriptRules } from './torchscript';
import { hydraRules } from './hydra';

export const formatScanners: FormatScanner[] = [
  ggufScanner,
  safetensorsScanner,
  kerasH5Scanner,
  kerasConfigScanner,
  savedModelScanner,
  onnxScanner,
  tokenizerConfigScanner,
  sentencePieceScanner,
  msgpackScanner,
];

/** Plain-words explanations of the rule ids the format modules emit. */
export const formatRuleExplanations: Record<string, string> = {
  ...ggufRules,
  ...safetensorsRules,
  ...savedModelRules,
  ...onnxRules,
  ...tokenizerConfigRules,
  ...chatTemplateRules,
  ...msgpackRules,
  ...torchScriptRules,
  ...hydraRules,
};

/**
 * Registry of the format modules detected by content (besides the engine's own pickle, zip, tar,
 * NumPy and compression handling).
 */
import type { FormatScanner } from '../types';
import { ggufScanner, ggufRules } from './gguf';
import { safetensorsScanner, safetensorsRules } from './safetensors';

export const formatScanners: FormatScanner[] = [ggufScanner, safetensorsScanner];

/** Plain-words explanations of the rule ids the format modules emit. */
export const formatRuleExplanations: Record<string, string> = {
  ...ggufRules,
  ...safetensorsRules,
};

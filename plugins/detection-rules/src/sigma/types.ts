import type { Severity, SourceId } from '../types';
import type { ParsedSigmaRule } from './load';

export interface SigmaLogsource {
  category?: string;
  product?: string;
  service?: string;
}

export interface SigmaRule {
  id: string;
  title: string;
  description?: string;
  status?: string;
  level: Severity;
  author?: string;
  license?: string;
  references?: string[];
  tags?: string[];
  falsepositives?: string[];
  logsource: SigmaLogsource;
  detection: Record<string, unknown>;
  condition: string[];
  /** Where the rule came from (file path), for attribution. */
  origin?: string;
}

export interface CompiledSigmaRule {
  rule: ParsedSigmaRule;
  sources: SourceId[];
  matches(view: Record<string, unknown>, raw: unknown): boolean;
}

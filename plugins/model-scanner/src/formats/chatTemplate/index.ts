export { analyzeChatTemplate, SSTI_DUNDERS } from './analyze';
export type { TemplateAnalysisOptions } from './analyze';
export { parseTemplate, lexTemplate, decodePythonEscapes, TemplateSyntaxError } from './jinja';
export type { Expr, Tag, ParsedTemplate } from './jinja';

export const chatTemplateRules: Record<string, string> = {
  CHAT_TEMPLATE_SSTI: 'The chat template reaches Python internals (dunder attributes, os, eval, ...). Rendered by an unsandboxed Jinja environment, it runs code (CVE-2024-34359).',
  CHAT_TEMPLATE_PRIVATE_ATTRIBUTE: 'The chat template reads a private (underscore) attribute, which a chat template never needs.',
  CHAT_TEMPLATE_SUSPICIOUS_GLOBAL: 'The chat template uses a Jinja/Flask global (self, cycler, joiner, lipsum, request, config, ...) that injection payloads use as an entry point.',
  CHAT_TEMPLATE_OBFUSCATED_NAME: 'The chat template assembles a Python internal name from pieces, a filter-evasion technique.',
  CHAT_TEMPLATE_DYNAMIC_ATTRIBUTE: 'The chat template reads an attribute whose name is computed at render time.',
  CHAT_TEMPLATE_TEMPLATE_LOADING: 'The chat template includes or imports other templates.',
  CHAT_TEMPLATE_TOO_LARGE: 'The chat template is too large to analyse; real chat templates are a few kilobytes.',
  CHAT_TEMPLATE_PARSE_ERROR: 'The chat template could not be parsed; the renderer may read it differently from the scanner.',
};

/** The chat-template rules under a rule-id prefix ("GGUF" → "GGUF_CHAT_TEMPLATE_SSTI", ...). */
export function prefixedChatTemplateRules(prefix: string): Record<string, string> {
  return Object.fromEntries(Object.entries(chatTemplateRules).map(([k, v]) => [`${prefix}_${k}`, v]));
}

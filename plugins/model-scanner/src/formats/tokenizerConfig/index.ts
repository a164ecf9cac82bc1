/**
 * Hugging Face tokenizer_config.json / chat_template.json (a `chat_template` that is a string
 * or a list of {name, template}) and standalone chat_template.jinja files: every template is
 * parsed as Jinja and analysed for template injection.
 */
import type { FormatScanContext, FormatScanner } from '../../types';
import { analyzeChatTemplate } from '../chatTemplate/analyze';
import { prefixedChatTemplateRules } from '../chatTemplate';
import { isJsonObject, jsonHeadShape, JsonSyntaxError, parseJson, pathKey, readSmallText } from './boundedJson';

export const tokenizerConfigRules: Record<string, string> = {
  ...prefixedChatTemplateRules('TOKENIZER'),
  TOKENIZER_CHAT_TEMPLATE_SSTI: 'The chat template in the tokenizer configuration reaches Python internals; rendered without a sandbox it runs code (CVE-2024-34359 class).',
  TOKENIZER_CONFIG_INVALID: 'The tokenizer configuration is malformed (bad JSON, duplicate keys, chat_template of the wrong type).',
  TOKENIZER_CONFIG_REMOTE_CODE: 'The tokenizer needs trust_remote_code: loading it runs Python files from the model repository.',
};

const MAX_SIZE = 64 * 1024 * 1024;

const CONFIG_NAMES = /(?:^|[\\/!])(?:tokenizer_config|chat_template|processor_config)\.json$/;

function detect(head: Buffer, hint: { name: string; size: number }): number {
  const text = head.toString('utf8', 0, Math.min(head.length, 4096)).replace(/^\uFEFF/, '');
  const shape = jsonHeadShape(head);
  // keys pushed past the detection window by blank padding: analyse the named configs anyway
  if (shape === 'padded') return CONFIG_NAMES.test(hint.name) ? 55 : 0;
  if (shape === 'object' && CONFIG_NAMES.test(hint.name)) return /"chat_template"\s*:/.test(text) ? 70 : 55;
  if (shape === 'object') {
    if (/"chat_template"\s*:/.test(text)) return 70;
    if (/tokenizer_config\.json$/i.test(hint.name) && /"(?:tokenizer_class|added_tokens_decoder|model_max_length|bos_token|eos_token)"\s*:/.test(text)) return 60;
    if (/"added_tokens_decoder"\s*:/.test(text) || /"tokenizer_class"\s*:/.test(text)) return 50;
    return 0;
  }
  if (/\.(?:jinja2?|j2)$/i.test(hint.name) && /\{[{%]/.test(text) && !text.includes('\u0000')) return 60;
  // an unnamed Jinja chat template
  if (!text.includes('\u0000') && /\{%-?\s*(?:for|if|set)\b/.test(text) && /\bmessages?\b/.test(text)) return 20;
  return 0;
}

async function scan(ctx: FormatScanContext): Promise<void> {
  const text = await readSmallText(ctx.source, MAX_SIZE);
  if (text === undefined) {
    ctx.error(`tokenizer configuration larger than ${MAX_SIZE} bytes; not analysed`);
    return;
  }
  const member = ctx.depth > 0 ? ctx.source.name : undefined;
  const analyse = (template: string, where: string) => {
    for (const f of analyzeChatTemplate(template, { rulePrefix: 'TOKENIZER', where, member })) ctx.report(f);
  };
  if (jsonHeadShape(Buffer.from(text.slice(0, 4096))) === 'other') {
    ctx.setFormat('chat-template');
    analyse(text, 'chat_template');
    return;
  }
  ctx.setFormat('tokenizer-config');
  let parsed;
  try {
    parsed = parseJson(text);
  } catch (e) {
    ctx.error(`tokenizer configuration is not valid JSON: ${e instanceof JsonSyntaxError ? e.message : String(e)}`);
    return;
  }
  const cfg = parsed.value;
  if (!isJsonObject(cfg)) {
    ctx.error('tokenizer configuration is not a JSON object');
    return;
  }
  for (const d of parsed.duplicateKeys) {
    if (d === 'chat_template' || d.startsWith('chat_template')) {
      ctx.report({
        ruleId: 'TOKENIZER_CONFIG_INVALID',
        severity: 'high',
        message: `"${d}" is defined more than once; tools that read the first copy see a different template from the loader, which uses the last.`,
        location: { path: d, member },
        cwe: ['CWE-436'],
        atlas: ['AML.T0010.003'],
      });
    }
  }
  // every chat_template: the key itself and also duplicates within the text (parser differential)
  const tpl = cfg.chat_template;
  if (typeof tpl === 'string') analyse(tpl, 'chat_template');
  else if (Array.isArray(tpl)) {
    tpl.forEach((entry, k) => {
      if (isJsonObject(entry) && typeof entry.template === 'string') {
        analyse(entry.template, `chat_template[${typeof entry.name === 'string' ? JSON.stringify(entry.name) : k}]`);
      } else {
        ctx.report({
          ruleId: 'TOKENIZER_CONFIG_INVALID',
          severity: 'medium',
          message: `chat_template[${k}] is not a {name, template} object.`,
          location: { path: pathKey('chat_template', k), member },
          atlas: ['AML.T0010.003'],
        });
      }
    });
  } else if (isJsonObject(tpl)) {
    // not a layout transformers reads, but other tools do: analyse every string in it
    for (const [name, t] of Object.entries(tpl)) {
      if (typeof t === 'string') analyse(t, `chat_template[${JSON.stringify(name)}]`);
    }
  } else if (tpl !== undefined && tpl !== null) {
    ctx.report({
      ruleId: 'TOKENIZER_CONFIG_INVALID',
      severity: 'medium',
      message: 'chat_template is neither a string nor a list of named templates.',
      location: { path: 'chat_template', member },
      atlas: ['AML.T0010.003'],
    });
  }
  if (parsed.duplicateKeys.includes('chat_template')) {
    // analyse the earlier copies too: find every "chat_template": "<string>" in the text
    const re = /"chat_template"\s*:\s*"/g;
    let n = 0;
    for (let m = re.exec(text); m && n++ < 16; m = re.exec(text)) {
      try {
        const { value } = parseJson(text, { start: m.index + m[0].length - 1, allowTrailing: true });
        if (typeof value === 'string' && value !== tpl) analyse(value, `chat_template (copy ${n})`);
      } catch {
        /* ignore */
      }
    }
  }
  if (isJsonObject(cfg.auto_map)) {
    ctx.report({
      ruleId: 'TOKENIZER_CONFIG_REMOTE_CODE',
      severity: 'low',
      message: `auto_map points the tokenizer at code in the repository (${JSON.stringify(cfg.auto_map).slice(0, 200)}); loading it needs trust_remote_code and runs that code.`,
      location: { path: 'auto_map', member },
      cwe: ['CWE-94'],
      atlas: ['AML.T0010.003', 'AML.T0011.000'],
    });
  }
}

export { sentencePieceScanner } from './sentencepiece';

export const tokenizerConfigScanner: FormatScanner = { id: 'tokenizer-config', detect, scan };

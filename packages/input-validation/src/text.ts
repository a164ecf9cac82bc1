import { z } from 'zod';
import { findUnsafeCharacter } from './characters';

export interface TextOptions {
  /** Maximum length in UTF-16 code units (what `String.length` counts). */
  max: number;
  /** Minimum length, counted after trimming surrounding white space (so blanks do not count). */
  min?: number;
  /** Return the text trimmed of surrounding white space. */
  trim?: boolean;
}

function textSchema(opts: TextOptions, singleLine: boolean) {
  const base = opts.trim ? z.string().trim() : z.string();
  let schema = base
    .superRefine((s, ctx) => {
      const bad = findUnsafeCharacter(s, { singleLine });
      if (bad) ctx.addIssue({ code: 'custom', message: `must not contain control or formatting characters: ${bad.reason}` });
    })
    .max(opts.max, { message: `must be at most ${opts.max} characters` });
  const min = opts.min ?? 0;
  if (min > 0) {
    schema = schema.refine(s => s.trim().length >= min, {
      message: min === 1 ? 'must not be empty' : `must be at least ${min} characters (not counting surrounding spaces)`,
    });
  }
  return schema;
}

/**
 * Free text a person writes and another reads (justification, comment, reason, notes): line feeds
 * and tabs allowed, CRLF allowed; refused: NUL and other C0/C1 controls, DEL, bare CR, ANSI
 * escapes, bidirectional overrides/isolates (U+202A–U+202E, U+2066–U+2069), unpaired surrogates.
 * Zod issue paths name the field, so `field: message` is the 400 text.
 */
export function freeText(opts: TextOptions) {
  return textSchema(opts, false);
}

/** As {@link freeText}, and no line breaks or tabs either (names, titles, tickets, labels). */
export function singleLineText(opts: TextOptions) {
  return textSchema(opts, true);
}

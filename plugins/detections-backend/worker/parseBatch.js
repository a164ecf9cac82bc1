/*
 * One ingest batch's NDJSON text → normalised events (with the text each is stored as) and line
 * errors. Plain CommonJS, shared by the ingest service (in its own thread) and the parse worker
 * (worker/ingestParseWorker.js), so both give the same result.
 */
'use strict';

/** Most line errors listed in one answer (the count of rejected lines is always complete). */
const MAX_REPORTED_ERRORS = 1000;

/**
 * @param {string} text NDJSON
 * @param {(line: string, opts?: object) => { events: any[]; errors: string[] }} parseLine `@internal/detection-rules`' parseLine
 * @param {{ maxLines: number; views: ReadonlySet<string>; keepRaw: ReadonlySet<string> }} o
 *   `views`: sources normalised with their Sigma view; `keepRaw`: sources whose events keep the
 *   parsed record as `ev.raw` (the engine's keyword searches read it; others get `raw: undefined`)
 * @returns {{ tooMany: number } | { events: Array<{ ev: any; raw: string }>; rejected: Array<{ line: number; error: string }>; rejectedCount: number }}
 */
function parseBatch(text, parseLine, o) {
  const lines = text.split('\n');
  let nonEmpty = 0;
  for (const l of lines) if (l.trim()) nonEmpty++;
  if (nonEmpty > o.maxLines) return { tooMany: nonEmpty };
  const normalize = { views: o.views };
  const events = [];
  const rejected = [];
  let rejectedCount = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const r = parseLine(line, normalize);
    if (r.errors.length) {
      rejectedCount++;
      if (rejected.length < MAX_REPORTED_ERRORS) rejected.push({ line: i + 1, error: r.errors.join('; ').slice(0, 500) });
    }
    const single = r.events.length === 1;
    for (const ev of r.events) {
      // a record of a multi-record line is stored as its own JSON text
      const raw = single ? line : JSON.stringify(ev.raw);
      if (!o.keepRaw.has(ev.source)) ev.raw = undefined;
      events.push({ ev, raw });
    }
  }
  return { events, rejected, rejectedCount };
}

module.exports = { parseBatch, MAX_REPORTED_ERRORS };

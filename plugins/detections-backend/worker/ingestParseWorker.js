/*
 * Worker thread of detections ingest: parses and normalises NDJSON batches (worker/parseBatch.js)
 * while the ingest service's thread stores, runs the rules on and groups the batch before.
 *
 * Plain CommonJS so it runs without a build step (like model-scan-backend's scan worker). In the
 * repository `@internal/detection-rules` is TypeScript source; then the Backstage CLI's node
 * transform is registered first. A built package resolves to JavaScript and needs nothing.
 *
 * Messages in: { id, text, maxLines, views: string[], keepRaw: string[] }.
 * Out: { id, tooMany } | { id, events: JSON text of the events, raws: string[], rejected, rejectedCount }
 *   | { id, error }. The events travel as JSON text: parsing it costs the receiving thread about half of
 *   what structured cloning the same objects does (measured in bench/detections/README.md).
 */
'use strict';
const { parentPort } = require('node:worker_threads');
const { parseBatch } = require('./parseBatch');

function loadRules() {
  const entry = require.resolve('@internal/detection-rules');
  if (/\.[cm]?tsx?$/.test(entry)) require('@backstage/cli/config/nodeTransform.cjs');
  return require('@internal/detection-rules');
}

const { parseLine } = loadRules();
const sets = new Map();
const setOf = list => {
  const k = list.join('\u001f');
  let s = sets.get(k);
  if (!s) sets.set(k, (s = new Set(list)));
  return s;
};

parentPort.on('message', m => {
  try {
    const r = parseBatch(m.text, parseLine, { maxLines: m.maxLines, views: setOf(m.views), keepRaw: setOf(m.keepRaw) });
    if ('tooMany' in r) {
      parentPort.postMessage({ id: m.id, tooMany: r.tooMany });
      return;
    }
    const raws = new Array(r.events.length);
    const evs = new Array(r.events.length);
    for (let i = 0; i < r.events.length; i++) {
      raws[i] = r.events[i].raw;
      evs[i] = r.events[i].ev;
    }
    parentPort.postMessage({ id: m.id, events: JSON.stringify(evs), raws, rejected: r.rejected, rejectedCount: r.rejectedCount });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String((e && e.stack) || e) });
  }
});
parentPort.postMessage({ ready: true });

#!/usr/bin/env node
/*
 * Where a V8 CPU profile's time goes (for the backend profile of `run.js --backend-cpu-prof`):
 *   node bench/access-requests/profileSummary.js <file.cpuprofile> [--from=<s>] [--to=<s>]
 * --from/--to select samples by seconds since the profile started (skip start-up).
 * Prints (1) self time by package/file, (2) inclusive time of the first matching category on
 * each sample's stack (leaf first): JWT, logging, SQLite, knex, audit chain, HTTP, ...
 */
'use strict';
const fs = require('node:fs');

const file = process.argv[2];
const arg = (n, d) => {
  const hit = process.argv.find(a => a.startsWith(`--${n}=`));
  return hit ? Number(hit.slice(n.length + 3)) : d;
};
const from = arg('from', 0);
const to = arg('to', Infinity);
const p = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map(n => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const where = n => {
  const u = n.callFrame.url || '';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (m) return m[1];
  if (/\/(plugins|packages)\/([^/]+)/.test(u)) return /\/(plugins|packages)\/([^/]+)/.exec(u)[2];
  if (u.startsWith('node:')) return u;
  return n.callFrame.functionName || '(native/V8)';
};

const CATEGORIES = [
  ['gc', n => n.callFrame.functionName === '(garbage collector)'],
  ['idle', n => n.callFrame.functionName === '(idle)'],
  ['jwt (jose)', n => /node_modules\/jose\//.test(n.callFrame.url)],
  ['logging (winston/logform)', n => /node_modules\/(winston|logform|triple-beam|colors|@colors|safe-stable-stringify|fecha)/.test(n.callFrame.url)],
  ['audit chain', n => /plugins\/audit-backend/.test(n.callFrame.url)],
  ['sqlite (better-sqlite3)', n => /better-sqlite3/.test(n.callFrame.url)],
  ['pg driver', n => /node_modules\/(pg|pg-protocol|pg-pool)\//.test(n.callFrame.url)],
  ['knex', n => /node_modules\/knex\//.test(n.callFrame.url)],
  ['zod', n => /node_modules\/zod\//.test(n.callFrame.url)],
  ['catalog backend', n => /plugin-catalog-backend\//.test(n.callFrame.url)],
  ['permission backend', n => /plugin-permission-(backend|node)\//.test(n.callFrame.url)],
  ['notifications/signals/events', n => /plugin-(notifications|signals|events)-/.test(n.callFrame.url)],
  ['express/router', n => /node_modules\/(express|router|body-parser|express-promise-router|morgan|helmet|cors|compression)\//.test(n.callFrame.url)],
  ['undici/fetch', n => /undici|node-fetch|cross-fetch/.test(n.callFrame.url)],
  ['access-requests plugin', n => /plugins\/access-requests/.test(n.callFrame.url)],
  ['http/net', n => /^node:(_http|http|net|stream|internal\/streams)/.test(n.callFrame.url)],
];

const self = new Map();
const cat = new Map();
let t = p.startTime;
let total = 0;
for (let i = 0; i < p.samples.length; i++) {
  t += p.timeDeltas[i];
  const s = (t - p.startTime) / 1e6;
  if (s < from || s > to) continue;
  const dt = (p.timeDeltas[i + 1] ?? p.timeDeltas[i]) / 1000;
  const leaf = byId.get(p.samples[i]);
  total += dt;
  self.set(where(leaf), (self.get(where(leaf)) ?? 0) + dt);
  let found = 'other';
  for (let id = leaf.id; id !== undefined; id = parent.get(id)) {
    const n = byId.get(id);
    const c = CATEGORIES.find(([, f]) => f(n));
    if (c) {
      found = c[0];
      break;
    }
  }
  cat.set(found, (cat.get(found) ?? 0) + dt);
}
const show = (title, m) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    console.log(`  ${(v / 1000).toFixed(2).padStart(8)} s ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
  }
};
console.log(`${file}: ${(total / 1000).toFixed(1)} s of samples between ${from} s and ${to} s`);
show('first category on the stack (leaf first):', cat);
show('self time by package:', self);

// @ts-check
const crypto = require('node:crypto');

/**
 * Rewrites stored targets into their canonical spelling, so that scans recorded before
 * canonical targets existed are found by the gate and by lookups by target. Keep
 * `canonical` in step with canonicalTarget() in src/domain/targets.ts (a test compares them).
 *
 * @param {string} text
 */
function decodeOrKeep(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * @param {string} target
 * @returns {string}
 */
function canonical(target) {
  const t = target.trim();
  const registry = /^(mlflow|databricks):\/\/(.+)\/(\d{1,10})$/i.exec(t);
  if (registry) {
    return `${registry[1].toLowerCase()}://${encodeURIComponent(
      decodeOrKeep(registry[2]),
    )}/${registry[3]}`;
  }
  const hf = /^hf:\/\/([^@]+)(?:@(.*))?$/i.exec(t);
  if (hf) {
    const revision = hf[2] === undefined ? 'main' : decodeOrKeep(hf[2]);
    if (!revision) return t;
    return `hf://${hf[1]}@${encodeURIComponent(revision).replace(
      /%2F/gi,
      '/',
    )}`;
  }
  if (/^https?:\/\//i.test(t)) {
    try {
      return new URL(t).href;
    } catch {
      return t;
    }
  }
  return t;
}

/** @param {string} target */
function targetHash(target) {
  return crypto.createHash('sha256').update(target).digest('hex');
}

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  const scans = await knex('model_scan_scans')
    .where('target', 'like', 'mlflow://%')
    .orWhere('target', 'like', 'databricks://%')
    .orWhere('target', 'like', 'hf://%')
    .orWhere('target', 'like', 'http%')
    .orWhere('target', 'like', ' %')
    .select('id', 'target');
  for (const row of scans) {
    const target = canonical(row.target);
    if (target !== row.target) {
      await knex('model_scan_scans').where({ id: row.id }).update({ target });
    }
  }

  // one row per canonical target: the most recently recorded scan wins
  const versions = await knex('model_scan_model_versions')
    .select('target_hash', 'target', 'scan_id', 'recorded_at')
    .orderBy('recorded_at', 'asc');
  /** @type {Map<string, any>} */
  const latest = new Map();
  for (const row of versions) latest.set(canonical(row.target), row);
  for (const row of versions) {
    const target = canonical(row.target);
    const hash = targetHash(target);
    if (latest.get(target) !== row) {
      await knex('model_scan_model_versions')
        .where({ target_hash: row.target_hash })
        .delete();
    } else if (hash !== row.target_hash || target !== row.target) {
      await knex('model_scan_model_versions')
        .where({ target_hash: row.target_hash })
        .update({ target_hash: hash, target });
    }
  }
};

/**
 * Nothing to undo: canonical spellings are valid targets for the previous code too.
 *
 * @param {import('knex').Knex} _knex
 */
exports.down = async function down(_knex) {};

exports.canonical = canonical;

// @ts-check

/**
 * "Ask for review": the person who requested a suspicious or malicious scan may ask the security
 * reviewers to look at it, once, with a note. Stored on the scan row (one request per scan).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('model_scan_scans', table => {
    table.timestamp('review_requested_at', { useTz: true }).nullable().comment('When the requester asked for a security review');
    table.string('review_requested_by', 255).nullable().comment('Who asked (the scan requester)');
    table.text('review_note').nullable().comment('Their note to the reviewers');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('model_scan_scans', table => {
    table.dropColumn('review_note');
    table.dropColumn('review_requested_by');
    table.dropColumn('review_requested_at');
  });
};

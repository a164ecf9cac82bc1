/*
 * Hourly roll-ups of the events the dashboard counts, kept up to date by ingest in the same
 * transaction as the events: the dashboard sums whole hours from here and reads only the partial
 * hours at the ends of its range from detection_events, so it stays fast with millions of events.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('detection_event_rollups', table => {
    table.string('kind', 16).notNullable().comment('total | signin | deny | weight_read');
    table.bigInteger('bucket').notNullable().comment('start of the hour, epoch milliseconds');
    table.string('source', 32).notNullable();
    table.string('dim', 1024).notNullable().comment('country, destination or principal; empty for totals');
    table.string('outcome', 16).notNullable().comment('success/failure/unknown for sign-ins; empty otherwise');
    table.bigInteger('count').notNullable();
    table.bigInteger('bytes').notNullable().defaultTo(0);
    table.primary(['kind', 'bucket', 'source', 'dim', 'outcome']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('detection_event_rollups');
};

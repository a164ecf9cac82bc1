/*
 * Keys of the rows a scheduled reader stored (the Log Analytics workspace import): each run reads
 * the last minutes again for rows that reached the workspace late, and a row whose key is here
 * changes nothing (an aggregated row whose count grew adds only the growth).
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('detection_read_rows', table => {
    table.string('row_key', 64).notNullable().primary().comment('sha-256 hex of the workspace, rule and row (see src/sentinel/rowKey.ts)');
    table.bigInteger('row_time').notNullable().index('detection_read_rows_time_idx').comment('epoch milliseconds of the row (pruning)');
    table.bigInteger('counted').notNullable().comment('events of the row counted into alerts so far');
    table.string('read_at', 30).notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('detection_read_rows');
};

/*
 * How far a scheduled reader has read (the Log Analytics workspace import, per rule): rows older
 * than the mark were stored as alerts already, so reading them again changes nothing.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('detection_read_marks', table => {
    table.string('name', 512).notNullable().primary().comment('reader and what it reads, e.g. sentinel:<workspace>:<rule>');
    table.bigInteger('read_to').notNullable().comment('epoch milliseconds: rows before this were stored');
    table.string('read_at', 30).notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('detection_read_marks');
};

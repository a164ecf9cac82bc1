// @ts-check

/**
 * The append-only, hash-chained audit trail.
 *
 * Text columns hold exactly the strings that were hashed (request / meta / error are
 * canonical JSON text, occurred_at an ISO 8601 UTC string), so a row read back from either
 * SQLite or PostgreSQL re-hashes to the same value.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('audit_events', table => {
    table.comment(
      'Append-only, hash-chained audit events (never updated or deleted)',
    );
    table
      .bigInteger('seq')
      .notNullable()
      .primary()
      .comment('1, 2, 3, ... without gaps');
    table.string('id', 36).notNullable().unique().comment('uuid of this row');
    table
      .string('correlation_id', 36)
      .notNullable()
      .comment('shared by the rows of one createEvent');
    table.string('occurred_at', 32).notNullable().comment('ISO 8601 UTC');
    table.string('plugin_id', 255).notNullable();
    table.string('event_id', 255).notNullable();
    table.string('severity', 16).notNullable();
    table.string('status', 16).notNullable();
    table.text('actor').nullable();
    table.string('actor_type', 16).notNullable();
    table.text('request').nullable().comment('canonical JSON');
    table.text('meta').nullable().comment('canonical JSON');
    table.text('error').nullable().comment('canonical JSON {name,message}');
    table.string('prev_hash', 64).notNullable().unique();
    table.string('hash', 64).notNullable();
    table.string('hash_alg', 16).notNullable();
    table.index(['occurred_at'], 'audit_events_occurred_at_idx');
    table.index(['plugin_id', 'event_id'], 'audit_events_plugin_event_idx');
    table.index(['correlation_id'], 'audit_events_correlation_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('audit_events');
};

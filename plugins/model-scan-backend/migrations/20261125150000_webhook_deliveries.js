// @ts-check

/**
 * Webhook deliveries already accepted, for replay protection shared by every replica: the
 * unique key makes "first delivery wins" an atomic insert.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('webhook_deliveries', table => {
    table.comment(
      'Accepted webhook deliveries (replay protection); rows older than the replay TTL are deleted by the housekeeping task',
    );
    table.string('source', 32).notNullable();
    table
      .string('delivery_key', 128)
      .notNullable()
      .comment(
        'Delivery id, or a hash of the signature/payload when the sender gives no id',
      );
    table.timestamp('received_at', { useTz: true }).notNullable();
    table.unique(['source', 'delivery_key'], {
      indexName: 'webhook_deliveries_source_key_uniq',
    });
    table.index(['received_at'], 'webhook_deliveries_received_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('webhook_deliveries');
};

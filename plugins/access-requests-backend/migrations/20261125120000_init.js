/*
 * access-requests tables.
 * Times are ISO-8601 UTC strings (same width, so they compare correctly as text on SQLite and PostgreSQL).
 * access_request_reviews, access_grant_history and access_post_hoc_reviews are append-only:
 * the code only ever inserts into them.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('access_requests', table => {
    table.string('id', 36).primary();
    table.string('resource_ref').notNullable();
    table.string('role_id').notNullable();
    table.string('requester').notNullable();
    table.text('justification').notNullable().defaultTo('');
    table.string('ticket', 256).nullable();
    table.integer('duration_minutes').notNullable();
    table.string('status', 16).notNullable();
    table.string('created_at', 30).notNullable();
    table.string('decided_at', 30).nullable();
    table.string('expires_at', 30).notNullable().comment('decision deadline');
    table.text('policy').notNullable().comment('frozen policy JSON');
    table.text('resource').notNullable().comment('resource snapshot JSON');
    table.string('grant_id', 36).nullable();
    table.string('renews_grant_id', 36).nullable();
    table.boolean('self_service').notNullable().defaultTo(false);
    table.index(['status', 'expires_at'], 'access_requests_status_idx');
    table.index(['requester'], 'access_requests_requester_idx');
    table.index(['resource_ref'], 'access_requests_resource_idx');
  });

  await knex.schema.createTable('access_request_reviews', table => {
    table.increments('id');
    table
      .string('request_id', 36)
      .notNullable()
      .references('id')
      .inTable('access_requests')
      .onDelete('CASCADE');
    table.string('reviewer').notNullable();
    table.string('decision', 8).notNullable();
    table.text('comment').notNullable().defaultTo('');
    table.text('eligible_groups').notNullable().defaultTo('[]');
    table.string('created_at', 30).notNullable();
    // one review per person per request (the domain checks first; this is the last line of defence)
    table.unique(['request_id', 'reviewer'], { indexName: 'access_request_reviews_one_per_person' });
  });

  await knex.schema.createTable('access_grants', table => {
    table.string('id', 36).primary();
    // exactly one grant per request, even if two approvals race
    table.string('request_id', 36).nullable().unique({ indexName: 'access_grants_request_id_unique' });
    table.string('resource_ref').notNullable();
    table.string('role_id').notNullable();
    table.string('user_ref').notNullable();
    table.string('status', 16).notNullable();
    table.string('starts_at', 30).notNullable();
    table.string('expires_at', 30).notNullable();
    table.boolean('break_glass').notNullable().defaultTo(false);
    table.text('justification').nullable();
    table.string('provisioning_state', 16).notNullable();
    table.text('provisioning_error').nullable();
    table.string('external_id', 512).nullable();
    table.text('target').notNullable().comment('ProvisioningTarget JSON (resource snapshot + role)');
    table.string('reminder_sent_at', 30).nullable();
    table.index(['status', 'expires_at'], 'access_grants_status_idx');
    table.index(['user_ref', 'resource_ref', 'role_id'], 'access_grants_holder_idx');
  });

  await knex.schema.createTable('access_grant_history', table => {
    table.increments('id');
    table
      .string('grant_id', 36)
      .notNullable()
      .references('id')
      .inTable('access_grants')
      .onDelete('CASCADE');
    table.string('at', 30).notNullable();
    table.string('event', 64).notNullable();
    table.string('actor').notNullable();
    table.text('details').nullable();
    table.index(['grant_id'], 'access_grant_history_grant_idx');
  });

  await knex.schema.createTable('access_post_hoc_reviews', table => {
    table.increments('id');
    table
      .string('grant_id', 36)
      .notNullable()
      .references('id')
      .inTable('access_grants')
      .onDelete('CASCADE');
    table.string('reviewer').notNullable();
    table.string('decision', 8).notNullable();
    table.text('comment').notNullable();
    table.string('created_at', 30).notNullable();
    table.unique(['grant_id', 'reviewer'], { indexName: 'access_post_hoc_reviews_one_per_person' });
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('access_post_hoc_reviews');
  await knex.schema.dropTable('access_grant_history');
  await knex.schema.dropTable('access_grants');
  await knex.schema.dropTable('access_request_reviews');
  await knex.schema.dropTable('access_requests');
};

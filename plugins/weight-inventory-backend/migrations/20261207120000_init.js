/**
 * weight-inventory tables: refreshes, stores (current state), findings (current status and when
 * it last changed), finding history (one row per status change), drift events (pass -> fail),
 * weight files (current listing per store).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('wi_refreshes', t => {
    t.string('id', 64).primary();
    t.string('trigger', 16).notNullable();
    t.string('started_at', 32).notNullable();
    t.string('finished_at', 32);
    t.string('status', 16).notNullable();
    t.integer('stores').notNullable().defaultTo(0);
    t.integer('drift_events').notNullable().defaultTo(0);
    t.text('errors').notNullable().defaultTo('[]');
    t.string('requested_by', 255);
    t.index(['started_at']);
  });
  await knex.schema.createTable('wi_stores', t => {
    t.string('id', 128).primary();
    t.string('kind', 32).notNullable();
    t.string('name', 255).notNullable();
    t.string('source', 16).notNullable();
    t.boolean('demo').notNullable().defaultTo(false);
    t.string('subscription_id', 64);
    t.string('resource_group', 128);
    t.text('resource_id');
    t.string('owner', 255);
    t.text('tags').notNullable().defaultTo('{}');
    t.string('posture', 16).notNullable();
    t.text('failing').notNullable().defaultTo('{}');
    t.integer('passing').notNullable().defaultTo(0);
    t.integer('weight_files').notNullable().defaultTo(0);
    t.bigInteger('weight_bytes').notNullable().defaultTo(0);
    t.string('weights_last_modified', 32);
    t.string('last_refresh_at', 32);
    t.string('last_refresh_id', 64);
    t.text('last_error');
  });
  await knex.schema.createTable('wi_findings', t => {
    t.string('store_id', 128).notNullable();
    t.string('finding_key', 512).notNullable();
    t.string('control_id', 64).notNullable();
    t.string('check_id', 64).notNullable();
    t.text('title').notNullable();
    t.string('severity', 16).notNullable();
    t.string('status', 16).notNullable();
    t.string('subject_key', 512).notNullable();
    t.string('subject_type', 32).notNullable();
    t.string('subject_name', 255).notNullable();
    t.text('path').notNullable();
    t.text('message').notNullable();
    t.text('rationale').notNullable();
    t.text('remediation').notNullable();
    t.string('last_changed_at', 32).notNullable();
    t.string('last_evaluated_at', 32).notNullable();
    t.primary(['store_id', 'finding_key']);
    t.index(['control_id']);
  });
  await knex.schema.createTable('wi_finding_history', t => {
    t.bigIncrements('seq').primary();
    t.string('refresh_id', 64).notNullable();
    t.string('store_id', 128).notNullable();
    t.string('finding_key', 512).notNullable();
    t.string('status', 16).notNullable();
    t.text('message').notNullable();
    t.string('at', 32).notNullable();
    t.index(['store_id', 'finding_key']);
  });
  await knex.schema.createTable('wi_drift_events', t => {
    t.bigIncrements('seq').primary();
    t.string('id', 64).notNullable().unique();
    t.string('store_id', 128).notNullable();
    t.string('entity_ref', 255).notNullable();
    t.string('finding_key', 512).notNullable();
    t.string('control_id', 64).notNullable();
    t.string('subject_key', 512).notNullable();
    t.string('severity', 16).notNullable();
    t.string('from_status', 16).notNullable();
    t.string('to_status', 16).notNullable();
    t.text('message').notNullable();
    t.string('refresh_id', 64).notNullable();
    t.string('occurred_at', 32).notNullable();
    t.index(['occurred_at']);
    t.index(['store_id']);
  });
  await knex.schema.createTable('wi_weight_files', t => {
    t.bigIncrements('seq').primary();
    t.string('store_id', 128).notNullable();
    t.string('container', 255).notNullable();
    t.text('path').notNullable();
    t.bigInteger('bytes').notNullable();
    t.string('last_modified', 32);
    t.string('format', 32).notNullable();
    t.string('detected_by', 16).notNullable();
    t.index(['store_id']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  for (const t of ['wi_weight_files', 'wi_drift_events', 'wi_finding_history', 'wi_findings', 'wi_stores', 'wi_refreshes']) {
    await knex.schema.dropTableIfExists(t);
  }
};

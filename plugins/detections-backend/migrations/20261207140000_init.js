/*
 * detections tables.
 * Event times are epoch milliseconds (bigint): range scans over millions of rows on one index.
 * Alert times are ISO-8601 UTC strings of one width (toISOString), like the other plugins, so
 * they compare correctly as text on SQLite and PostgreSQL.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('detection_events', table => {
    table.string('id', 36).primary().comment('the portal\'s id of the stored event');
    table.string('key', 64).notNullable().unique().comment('content hash of the original record: idempotency of ingest');
    table.string('source_id', 255).notNullable().comment('the source\'s own id (signIn id, auditID, correlationId) or the hash');
    table.string('source', 32).notNullable();
    table.bigInteger('time').notNullable().comment('epoch milliseconds');
    table.string('activity', 128).notNullable();
    table.string('outcome', 16).notNullable();
    table.string('principal', 512).notNullable().comment('as the rules name it (UPN, k8s user, object id, IP)');
    table.string('resource', 1024).nullable().comment('account/container, namespace/…, or host:port of a network event');
    table.string('country', 8).nullable().comment('sign-in country (dashboard)');
    table.bigInteger('bytes').nullable();
    table.boolean('weight_store').notNullable().defaultTo(false).comment('a blob event on a weight store');
    table.text('raw').notNullable().comment('the original record as received (the API normalises it again when read)');
    table.bigInteger('ingested_at').notNullable();
    table.index(['time', 'id'], 'detection_events_time_idx');
    table.index(['source', 'time'], 'detection_events_source_time_idx');
    table.index(['principal', 'time'], 'detection_events_principal_time_idx');
    table.index(['resource', 'time'], 'detection_events_resource_time_idx');
    table.index(['source_id'], 'detection_events_source_id_idx');
  });

  await knex.schema.createTable('detection_alerts', table => {
    table.string('id', 36).primary();
    table.string('group_key', 2048).notNullable().comment('rule, principal and resource joined by U+001F');
    table.string('rule', 255).notNullable();
    table.string('title', 512).notNullable();
    table.string('severity', 16).notNullable();
    table.integer('severity_rank').notNullable().comment('0 informational … 4 critical');
    table.string('principal', 512).notNullable();
    table.string('principal_ref', 255).nullable();
    table.string('resource', 1024).notNullable();
    table.string('resource_ref', 255).nullable();
    table.string('status', 16).notNullable();
    table.string('close_reason', 32).nullable();
    table.string('assignee', 255).nullable();
    table.string('first_seen', 30).notNullable();
    table.string('last_seen', 30).notNullable();
    table.integer('count').notNullable();
    table.text('details').nullable().comment('JSON');
    table.string('created_at', 30).notNullable();
    table.string('updated_at', 30).notNullable();
    table.string('closed_at', 30).nullable();
    table.integer('version').notNullable().defaultTo(1);
    table.index(['last_seen', 'id'], 'detection_alerts_last_seen_idx');
    table.index(['group_key', 'status', 'last_seen'], 'detection_alerts_group_idx');
    table.index(['status', 'last_seen'], 'detection_alerts_status_idx');
    table.index(['principal_ref'], 'detection_alerts_principal_ref_idx');
    table.index(['resource_ref'], 'detection_alerts_resource_ref_idx');
    table.index(['first_seen'], 'detection_alerts_first_seen_idx');
  });

  await knex.schema.createTable('detection_alert_history', table => {
    table.increments('seq').primary();
    table.string('alert_id', 36).notNullable().references('id').inTable('detection_alerts').onDelete('CASCADE');
    table.string('at', 30).notNullable();
    table.string('actor', 255).notNullable();
    table.string('action', 32).notNullable();
    table.text('comment').nullable();
    table.index(['alert_id', 'seq'], 'detection_alert_history_alert_idx');
  });

  await knex.schema.createTable('detection_alert_events', table => {
    table.string('alert_id', 36).notNullable().references('id').inTable('detection_alerts').onDelete('CASCADE');
    table.string('event_ref', 255).notNullable().comment('source_id of the event (detections name events by it)');
    table.primary(['alert_id', 'event_ref']);
    table.index(['event_ref'], 'detection_alert_events_event_idx');
  });

  await knex.schema.createTable('detection_blob_cursor', table => {
    table.string('container', 255).notNullable();
    table.string('blob', 1024).notNullable();
    table.string('etag', 255).notNullable();
    table.bigInteger('offset').notNullable().defaultTo(0).comment('bytes of the blob already ingested (append blobs grow)');
    table.string('read_at', 30).notNullable();
    table.primary(['container', 'blob']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('detection_blob_cursor');
  await knex.schema.dropTable('detection_alert_events');
  await knex.schema.dropTable('detection_alert_history');
  await knex.schema.dropTable('detection_alerts');
  await knex.schema.dropTable('detection_events');
};

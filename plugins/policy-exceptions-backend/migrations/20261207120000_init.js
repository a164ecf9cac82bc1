/*
 * policy-exceptions tables.
 * Times are ISO-8601 UTC strings of one width (toISOString), so they compare correctly as text on
 * SQLite and PostgreSQL. exception_reviews and exception_history are append-only: the code only
 * ever inserts into them. exception_revisions rows are inserted and only their outcome is decided.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('exceptions', table => {
    table.string('id', 36).primary();
    table.string('control_id', 128).notNullable();
    table.string('requester').notNullable();
    table.string('owner').notNullable().comment('owner of the revision in force (or of the draft)');
    table.string('status', 16).notNullable().comment('stored status; active/expired are derived from the window');
    table.integer('revision').notNullable();
    table.integer('round').notNullable().defaultTo(1);
    table.integer('required_approvals').notNullable();
    table.text('content').notNullable().comment('ExceptionContent JSON of the revision the status applies to');
    table.text('pending_revision').nullable().comment('JSON of an edit under review while the decided revision stays in force');
    table.string('starts_at', 30).notNullable();
    table.string('ends_at', 30).notNullable();
    table.string('approved_at', 30).nullable();
    table.text('approved_by').nullable().comment('JSON array of user refs');
    table.string('last_reviewed_at', 30).nullable();
    table.string('next_review_at', 30).nullable();
    table.text('suspension').nullable().comment('JSON {cause, detail, at}');
    table.text('revoked_reason').nullable();
    table.string('created_at', 30).notNullable();
    table.string('updated_at', 30).notNullable();
    table.string('submitted_at', 30).nullable();
    table.string('expiry_notified_at', 30).nullable();
    table.string('review_due_notified_at', 30).nullable();
    table.integer('version').notNullable().defaultTo(1).comment('optimistic concurrency: every update bumps it');
    table.index(['status', 'ends_at'], 'exceptions_status_end_idx');
    table.index(['requester'], 'exceptions_requester_idx');
    table.index(['owner'], 'exceptions_owner_idx');
  });

  // The scope of the content in `exceptions` (one row per entity), for isExcepted lookups.
  await knex.schema.createTable('exception_scope', table => {
    table.string('exception_id', 36).notNullable().references('id').inTable('exceptions').onDelete('CASCADE');
    table.string('control_id', 128).notNullable();
    table.string('entity_ref').notNullable().comment('normalized, lower case');
    table.string('finding_key', 512).notNullable().defaultTo('').comment("'' = every finding of the control");
    table.primary(['exception_id', 'entity_ref']);
    table.index(['control_id', 'entity_ref', 'finding_key'], 'exception_scope_lookup_idx');
  });

  await knex.schema.createTable('exception_revisions', table => {
    table.string('exception_id', 36).notNullable().references('id').inTable('exceptions').onDelete('CASCADE');
    table.integer('revision').notNullable();
    table.text('content').notNullable();
    table.string('created_by').notNullable();
    table.string('created_at', 30).notNullable();
    table.string('outcome', 16).notNullable();
    table.string('decided_at', 30).nullable();
    table.text('decided_by').nullable().comment('JSON array');
    table.primary(['exception_id', 'revision']);
  });

  await knex.schema.createTable('exception_reviews', table => {
    table.increments('id');
    table.string('exception_id', 36).notNullable().references('id').inTable('exceptions').onDelete('CASCADE');
    table.integer('revision').notNullable();
    table.integer('round').notNullable();
    table.string('reviewer').notNullable();
    table.string('decision', 16).notNullable();
    table.text('comment').notNullable().defaultTo('');
    table.string('created_at', 30).notNullable();
    // one review per person per decision: a second concurrent review by the same person fails here
    table.unique(['exception_id', 'revision', 'round', 'reviewer'], { indexName: 'exception_reviews_once_idx' });
  });

  await knex.schema.createTable('exception_history', table => {
    table.increments('id');
    table.string('exception_id', 36).notNullable().references('id').inTable('exceptions').onDelete('CASCADE');
    table.string('at', 30).notNullable();
    table.string('actor').notNullable();
    table.string('action', 64).notNullable();
    table.integer('revision').notNullable();
    table.text('detail').nullable();
    table.index(['exception_id'], 'exception_history_exception_idx');
  });

  await knex.schema.createTable('exception_checks', table => {
    table.string('exception_id', 36).notNullable().references('id').inTable('exceptions').onDelete('CASCADE');
    table.string('control_id', 128).notNullable();
    table.string('entity_ref').notNullable();
    table.string('status', 16).notNullable();
    table.text('detail').nullable();
    table.string('checked_at', 30).notNullable();
    table.primary(['exception_id', 'control_id', 'entity_ref']);
  });

  // Imports done once (e.g. model-scan acceptances): source id -> exception id, so a restart
  // never imports the same record twice.
  await knex.schema.createTable('exception_imports', table => {
    table.string('source', 64).notNullable();
    table.string('source_id', 128).notNullable();
    table.string('exception_id', 36).notNullable();
    table.string('imported_at', 30).notNullable();
    table.primary(['source', 'source_id']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('exception_imports');
  await knex.schema.dropTable('exception_checks');
  await knex.schema.dropTable('exception_history');
  await knex.schema.dropTable('exception_reviews');
  await knex.schema.dropTable('exception_revisions');
  await knex.schema.dropTable('exception_scope');
  await knex.schema.dropTable('exceptions');
};

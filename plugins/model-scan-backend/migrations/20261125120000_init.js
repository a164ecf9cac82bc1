// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('model_scan_scans', table => {
    table.comment('Durable scan jobs: one row per scan of one target');
    table.string('id', 36).primary().notNullable();
    table.text('target').notNullable();
    table.string('trigger', 32).notNullable();
    table.string('status', 32).notNullable();
    table.string('requested_by', 512).notNullable();
    table.string('entity_ref', 512).nullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('started_at', { useTz: true }).nullable();
    table.timestamp('completed_at', { useTz: true }).nullable();
    table.string('verdict', 32).nullable();
    table.string('severity', 32).nullable();
    table.integer('files_done').notNullable().defaultTo(0);
    table.integer('files_total').notNullable().defaultTo(0);
    table.bigInteger('bytes_done').notNullable().defaultTo(0);
    table.bigInteger('bytes_total').notNullable().defaultTo(0);
    table.text('error').nullable();
    table.string('scanner_version', 128).nullable();
    table.string('ruleset_version', 128).nullable();
    table.text('upload_path').nullable().comment('Uploaded file to scan');
    table.string('upload_name', 1024).nullable();
    table.string('lease_owner', 128).nullable();
    table.timestamp('lease_expires_at', { useTz: true }).nullable();
    table.integer('attempts').notNullable().defaultTo(0);
    table.index(['status', 'created_at'], 'model_scan_scans_status_idx');
    table.index(['entity_ref'], 'model_scan_scans_entity_idx');
    table.index(['created_at'], 'model_scan_scans_created_idx');
  });

  await knex.schema.createTable('model_scan_files', table => {
    table.comment('Files of a scan, with the verdict they had when scanned');
    table.increments('id');
    table
      .string('scan_id', 36)
      .notNullable()
      .references('id')
      .inTable('model_scan_scans')
      .onDelete('CASCADE');
    table.text('path').notNullable();
    table.string('sha256', 64).notNullable();
    table.bigInteger('size').notNullable();
    table.string('format', 64).notNullable();
    table.string('verdict', 32).notNullable();
    table.string('severity', 32).notNullable();
    table.string('scanner_version', 128).notNullable();
    table.string('ruleset_version', 128).notNullable();
    table.boolean('cached').notNullable().defaultTo(false);
    table
      .text('errors_json')
      .nullable()
      .comment('Errors of a failed scan of this file (not cached)');
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.index(['scan_id'], 'model_scan_files_scan_idx');
    table.index(['sha256'], 'model_scan_files_sha_idx');
    table.index(['created_at'], 'model_scan_files_created_idx');
  });

  await knex.schema.createTable('model_scan_file_results', table => {
    table.comment(
      'Scan results per file content and scanner: an unchanged file is not rescanned until the scanner or its rules change',
    );
    table.string('sha256', 64).notNullable();
    table.string('scanner_version', 128).notNullable();
    table.string('ruleset_version', 128).notNullable();
    table.string('format', 64).notNullable();
    table.bigInteger('size').notNullable();
    table.string('verdict', 32).notNullable();
    table.string('severity', 32).notNullable();
    table.text('findings_json').notNullable();
    table.text('errors_json').notNullable();
    table.integer('duration_ms').nullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.primary(['sha256', 'scanner_version', 'ruleset_version']);
  });

  await knex.schema.createTable('model_scan_result_findings', table => {
    table.comment(
      'One row per finding and ATLAS technique of a cached result, for statistics',
    );
    table.increments('id');
    table.string('sha256', 64).notNullable();
    table.string('scanner_version', 128).notNullable();
    table.string('ruleset_version', 128).notNullable();
    table.integer('finding_index').notNullable();
    table.string('rule_id', 128).notNullable();
    table.string('severity', 32).notNullable();
    table.string('atlas_technique', 64).nullable();
    table.index(
      ['sha256', 'scanner_version', 'ruleset_version'],
      'model_scan_result_findings_key_idx',
    );
  });

  await knex.schema.createTable('model_scan_acceptances', table => {
    table.comment(
      'Security reviewers accepting a suspicious verdict for one exact file hash until an expiry',
    );
    table.string('id', 36).primary().notNullable();
    table.string('sha256', 64).notNullable();
    table.text('justification').notNullable();
    table.string('accepted_by', 512).notNullable();
    table.string('scanner_version', 128).notNullable();
    table.string('ruleset_version', 128).notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.index(['sha256'], 'model_scan_acceptances_sha_idx');
  });

  await knex.schema.createTable('model_scan_model_versions', table => {
    table.comment(
      'For each target, the latest completed scan and the hashes of its files (what the gate judges)',
    );
    table.string('target_hash', 64).primary().notNullable();
    table.text('target').notNullable();
    table
      .string('scan_id', 36)
      .notNullable()
      .references('id')
      .inTable('model_scan_scans')
      .onDelete('CASCADE');
    table.text('sha256s_json').notNullable();
    table.timestamp('recorded_at', { useTz: true }).notNullable();
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('model_scan_model_versions');
  await knex.schema.dropTable('model_scan_acceptances');
  await knex.schema.dropTable('model_scan_result_findings');
  await knex.schema.dropTable('model_scan_file_results');
  await knex.schema.dropTable('model_scan_files');
  await knex.schema.dropTable('model_scan_scans');
};

// @ts-check

/**
 * Cross-file scanning: a file that a sibling model names as raw tensor data (ONNX external data,
 * TensorFlow checkpoint shards, OpenVINO .bin) is rescanned with that hint and gets a different
 * verdict than the same bytes alone. Such hinted results are never put in the per-sha256 result
 * cache; each scan's file row records its context and, for hinted rows, the findings themselves.
 * The result cache also keeps the sibling files a model names (`references`), so a cached model
 * result still leads to the hinted rescan of its data files.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('model_scan_files', table => {
    table
      .string('context', 32)
      .notNullable()
      .defaultTo('standalone')
      .comment(
        "'standalone', or 'tensor-data' when scanned as raw tensor data named by a sibling model",
      );
    table
      .text('findings_json')
      .nullable()
      .comment('Findings of a tensor-data row (not in the result cache)');
  });
  await knex.schema.alterTable('model_scan_file_results', table => {
    table
      .text('references_json')
      .nullable()
      .comment('Sibling files this model names as raw tensor data');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('model_scan_file_results', table => {
    table.dropColumn('references_json');
  });
  await knex.schema.alterTable('model_scan_files', table => {
    table.dropColumn('findings_json');
    table.dropColumn('context');
  });
};

'use strict';
// Entry point of the model-scanner image: runs the bundled CLI (plugins/model-scanner/dist-cli/
// model-scan.cjs, built by plugins/model-scanner/scripts/build-cli.js) directly, without
// bin/model-scan's rebuild-from-sources logic (the image has no sources and no compiler).
// Arguments, output and exit codes are those of `model-scan` (0 clean, 1 at/over --fail-on, 2 error).
const { main } = require('./dist-cli/model-scan.cjs');

main(process.argv.slice(2)).then(
  code => {
    process.exitCode = code;
  },
  error => {
    process.stderr.write(`model-scan: ${error && error.message ? error.message : error}\n`);
    process.exitCode = 2;
  },
);

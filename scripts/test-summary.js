#!/usr/bin/env node
// Prints one closing line for CI, "total: N passed, N failed", from the jest and Playwright
// JSON reports written by scripts/test.sh and scripts/e2e.sh.
const fs = require('node:fs');

function read(path) {
  try {
    return JSON.parse(fs.readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

let passed = 0;
let failed = 0;
const jest = read(process.argv[2]);
if (jest) {
  passed += jest.numPassedTests;
  failed += jest.numFailedTests + (jest.numRuntimeErrorTestSuites ?? 0);
}
const e2e = read(process.argv[3]);
if (e2e && e2e.stats) {
  passed += e2e.stats.expected ?? 0;
  failed += (e2e.stats.unexpected ?? 0) + (e2e.stats.flaky ?? 0);
}
console.log(`total: ${passed} passed, ${failed} failed`);

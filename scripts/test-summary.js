#!/usr/bin/env node
// What a person reads after `npm test`: each failing test with the start of its message, suites
// that could not run, jest's warnings about leaked handles, where the details are, and one
// closing line for CI, "total: N passed, N failed".
// Arguments: jest JSON report, Playwright JSON report, then the full jest and e2e logs (optional).
const fs = require('node:fs');
const path = require('node:path');

function read(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

const stripAnsi = text => String(text).replace(/\x1b\[[0-9;]*m/g, '');
/** The first lines of a failure message, without the stack frames. */
function excerpt(message, lines = 12) {
  return stripAnsi(message)
    .split('\n')
    .filter(line => !/^\s+at /.test(line))
    .slice(0, lines)
    .map(line => `      ${line}`)
    .join('\n');
}

const root = process.cwd();
const rel = file => path.relative(root, file) || file;
const out = [];
let passed = 0;
let failed = 0;

const [jestFile, e2eFile, jestLog, e2eLog] = process.argv.slice(2);
const jest = read(jestFile);
if (jest) {
  passed += jest.numPassedTests;
  failed += jest.numFailedTests + (jest.numRuntimeErrorTestSuites ?? 0);
  for (const suite of jest.testResults ?? []) {
    const failures = (suite.assertionResults ?? []).filter(a => a.status === 'failed');
    if (failures.length === 0 && suite.status === 'failed') {
      out.push(`FAIL ${rel(suite.name)} (the suite did not run)`, excerpt(suite.message || suite.testExecError?.message || ''));
    }
    for (const failure of failures) {
      out.push(`FAIL ${rel(suite.name)} › ${failure.fullName}`, excerpt((failure.failureMessages ?? []).join('\n')));
    }
  }
} else if (jestFile) {
  out.push(`jest wrote no report (${rel(jestFile)}): see ${jestLog ? rel(jestLog) : 'its output'}`);
  failed += 1;
}

const e2e = read(e2eFile);
if (e2e && e2e.stats) {
  passed += e2e.stats.expected ?? 0;
  failed += (e2e.stats.unexpected ?? 0) + (e2e.stats.flaky ?? 0);
  const walk = (suite, titles) => {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests ?? []) {
        const results = test.results ?? [];
        const last = results[results.length - 1];
        if (test.status === 'unexpected' || test.status === 'flaky') {
          out.push(
            `FAIL (browser) ${[...titles, spec.title].filter(Boolean).join(' › ')} [${spec.file}:${spec.line}]`,
            excerpt(last?.error?.message ?? last?.errors?.[0]?.message ?? test.status),
          );
        }
      }
    }
    for (const child of suite.suites ?? []) walk(child, [...titles, child.title]);
  };
  for (const suite of e2e.suites ?? []) walk(suite, []);
}
const e2eText = readText(e2eLog);
if (e2eText) {
  // scripts/e2e.sh's own verdicts (backend errors, unclean stop) beside Playwright's.
  for (const line of stripAnsi(e2eText).split('\n')) {
    if (/^\[frontier-guard\] (the backend|backend|something)/.test(line)) out.push(line);
  }
}

const jestText = readText(jestLog);
if (jestText && /failed to exit gracefully|open handles? potentially keeping Jest from exiting/.test(jestText)) {
  out.push('warning: jest reports a worker that did not exit gracefully (a leaked handle); see the jest log');
}

if (out.length > 0) console.log(out.join('\n'));
const details = [jestLog, e2eLog].filter(f => f && fs.existsSync(f)).map(rel);
if (details.length > 0) console.log(`details: ${details.join(', ')}`);
console.log(`total: ${passed} passed, ${failed} failed`);

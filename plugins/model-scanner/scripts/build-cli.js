#!/usr/bin/env node
/**
 * Bundles the CLI (src/cli/main.ts and everything it imports) into one CommonJS file,
 * dist-cli/model-scan.cjs, with esbuild, so `bin/model-scan` starts without compiling TypeScript.
 * Run by the workspace's postinstall (yarn install) and by bin/model-scan when a source file is newer
 * than the bundle. 7-Zip WASM stays an external require (loaded lazily from node_modules).
 *
 * The postinstall never fails an install: where the sources or esbuild are absent (a production
 * install of the backend skeleton, which holds only package.json files and no dev dependencies) it
 * prints one line and builds nothing. The package.json command guards against this script itself
 * being absent.
 * Usage: node scripts/build-cli.js [--quiet] [--postinstall]
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const OUT_DIR = path.join(ROOT, 'dist-cli');
const OUT = path.join(OUT_DIR, 'model-scan.cjs');
const ENTRY = path.join(ROOT, 'src', 'cli', 'main.ts');

/** Why the bundle cannot be built here, or undefined when it can. */
function missingInput() {
  if (!fs.existsSync(ENTRY)) return 'sources absent';
  try {
    require.resolve('esbuild', { paths: [ROOT] });
  } catch {
    return 'esbuild absent';
  }
  return undefined;
}

function build(logLevel = 'error') {
  const esbuild = require(require.resolve('esbuild', { paths: [ROOT] }));
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const tmp = `${OUT}.${process.pid}.tmp`;
  esbuild.buildSync({
    entryPoints: [ENTRY],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['7z-wasm'],
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: false,
    logLevel,
    legalComments: 'none',
  });
  // atomic: a concurrent run never loads a half-written bundle
  fs.renameSync(tmp, OUT);
  return OUT;
}

/** The workspace postinstall: build when possible, otherwise one line; never throws. */
function postinstall(quiet) {
  const missing = missingInput();
  if (missing) {
    process.stdout.write(`model-scanner: CLI bundle not built (${missing}); skipped\n`);
    return undefined;
  }
  try {
    const out = build('silent');
    if (!quiet)
      process.stdout.write(`model-scanner CLI bundled: ${path.relative(process.cwd(), out)}\n`);
    return out;
  } catch (e) {
    // never fail an install: bin/model-scan rebuilds when run, or falls back to the sources
    const first = e && e.errors && e.errors[0];
    const why = first
      ? `${first.location ? `${first.location.file}:${first.location.line}: ` : ''}${first.text}`
      : String((e && e.message) || e).split('\n')[0];
    process.stdout.write(`model-scanner: CLI bundle not built (${why}); skipped\n`);
    return undefined;
  }
}

module.exports = { build, postinstall, missingInput, OUT };

if (require.main === module) {
  const quiet = process.argv.includes('--quiet');
  if (process.argv.includes('--postinstall')) postinstall(quiet);
  else {
    try {
      const out = build();
      if (!quiet)
        process.stdout.write(`model-scanner CLI bundled: ${path.relative(process.cwd(), out)}\n`);
    } catch (e) {
      process.stderr.write(`model-scanner: CLI bundle not built (${e && e.message})\n`);
      process.exitCode = 1;
    }
  }
}

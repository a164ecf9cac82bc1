#!/usr/bin/env node
/**
 * Bundles the CLI (src/cli/main.ts and everything it imports) into one CommonJS file,
 * dist-cli/model-scan.cjs, with esbuild, so `bin/model-scan` starts without compiling TypeScript.
 * Run by the workspace's postinstall (yarn install) and by bin/model-scan when a source file is newer
 * than the bundle. 7-Zip WASM stays an external require (loaded lazily from node_modules).
 * Usage: node scripts/build-cli.js [--quiet]
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const OUT_DIR = path.join(ROOT, 'dist-cli');
const OUT = path.join(OUT_DIR, 'model-scan.cjs');

function build() {
  const esbuild = require('esbuild');
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const tmp = `${OUT}.${process.pid}.tmp`;
  esbuild.buildSync({
    entryPoints: [path.join(ROOT, 'src', 'cli', 'main.ts')],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['7z-wasm'],
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: false,
    logLevel: 'error',
    legalComments: 'none',
  });
  // atomic: a concurrent run never loads a half-written bundle
  fs.renameSync(tmp, OUT);
  return OUT;
}

module.exports = { build, OUT };

if (require.main === module) {
  try {
    const out = build();
    if (!process.argv.includes('--quiet'))
      process.stdout.write(`model-scanner CLI bundled: ${path.relative(process.cwd(), out)}\n`);
  } catch (e) {
    // never fail an install: bin/model-scan falls back to the TypeScript sources
    process.stderr.write(`model-scanner: CLI bundle not built (${e && e.message}); bin/model-scan will run from sources\n`);
  }
}

#!/usr/bin/env node
// Removes the install lifecycle scripts (preinstall, install, postinstall, prepare) from every
// workspace package.json of an unpacked backend skeleton, before `yarn workspaces focus --all
// --production`. The skeleton holds only package.json files, so a workspace script (e.g. one that
// bundles a CLI from its sources) cannot run there; what it would build is in the bundle already.
// Usage: node deploy/strip-workspace-scripts.js <skeleton folder>
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(process.argv[2] ?? '.');
const LIFECYCLE = ['preinstall', 'install', 'postinstall', 'prepare'];
for (const group of ['packages', 'plugins']) {
  const dir = path.join(root, group);
  if (!fs.existsSync(dir)) continue;
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name, 'package.json');
    if (!fs.existsSync(file)) continue;
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
    const removed = LIFECYCLE.filter(script => pkg.scripts && script in pkg.scripts);
    if (removed.length === 0) continue;
    for (const script of removed) delete pkg.scripts[script];
    fs.writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
    process.stdout.write(`${group}/${name}: removed ${removed.join(', ')}\n`);
  }
}

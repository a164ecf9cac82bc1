#!/usr/bin/env node
// Writes deploy/kubernetes/configmap.yaml: app-config.production.yaml verbatim in the
// frontier-guard-config ConfigMap. Run after editing app-config.production.yaml:
//   node deploy/render-configmap.js
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');

const root = path.join(__dirname, '..');
const doc = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'frontier-guard-config', namespace: 'frontier-guard' },
  data: { 'app-config.production.yaml': fs.readFileSync(path.join(root, 'app-config.production.yaml'), 'utf8') },
};
fs.writeFileSync(
  path.join(root, 'deploy/kubernetes/configmap.yaml'),
  `# app-config.production.yaml verbatim; regenerate with: node deploy/render-configmap.js\n${YAML.stringify(doc, { lineWidth: 0 })}`,
);

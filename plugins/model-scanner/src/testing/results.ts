/**
 * Test helpers shared by the engine's test files: the benign fixtures, a PyTorch-shaped zip around a
 * pickle, and the ways tests look at a result (rule ids, findings worth a look, "benign stays safe").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileScanResult, Finding } from '../types';
import { buildZip } from './pickleBuilder';

/** The generated real-framework files (fixtures/benign, made by fixtures/generate_fixtures.py). */
// test-only helper, run from the sources by jest: __dirname is this folder
// eslint-disable-next-line no-restricted-syntax
export const BENIGN_FIXTURES = path.resolve(__dirname, '../../fixtures/benign');

export const benignFixture = (name: string) =>
  fs.readFileSync(path.join(BENIGN_FIXTURES, name));

export const rulesOf = (r: { findings: Array<{ ruleId: string }> }) =>
  r.findings.map(f => f.ruleId);

/** Findings a reviewer would have to look at (above low). */
export const worrying = (r: { findings: Finding[] }) =>
  r.findings.filter(f => f.severity !== 'none' && f.severity !== 'low');

/** A torch-like zip: archive/data.pkl, byteorder, one storage and version (plus `extra` members). */
export function torchZip(
  dataPkl: Buffer,
  extra: Parameters<typeof buildZip>[0] = [],
): Buffer {
  return buildZip([
    { name: 'archive/data.pkl', data: dataPkl },
    { name: 'archive/byteorder', data: Buffer.from('little') },
    { name: 'archive/data/0', data: Buffer.alloc(64, 7) },
    { name: 'archive/version', data: Buffer.from('3\n') },
    ...extra,
  ]);
}

/**
 * Asserts that a benign input scanned clean: verdict safe, no errors and no finding that `counts`
 * (default: above low). `name` labels the input in a failure message.
 */
export function expectSafe(
  r: FileScanResult,
  name: string = r.path,
  counts: (f: Finding) => boolean = f =>
    f.severity !== 'none' && f.severity !== 'low',
): void {
  expect({
    name,
    verdict: r.verdict,
    findings: r.findings.filter(counts),
    errors: r.errors,
  }).toEqual({ name, verdict: 'safe', findings: [], errors: [] });
}

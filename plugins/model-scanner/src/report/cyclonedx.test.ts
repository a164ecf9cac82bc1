import * as path from 'node:path';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { scanBuffer, scanFile } from '../engine';
import { classicPayload } from '../testing/pickleBuilder';
import { toCycloneDx } from './cyclonedx';

const FIXTURES = path.resolve(__dirname, '../../fixtures');

async function validate(bom: object): Promise<unknown> {
  const v = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
  return v.validate(JSON.stringify(bom));
}

describe('CycloneDX 1.6 ML-BOM', () => {
  const at = new Date('2026-12-07T10:00:00Z');

  it('lists every file with hash, format and verdict, and findings as vulnerabilities; valid against the 1.6 schema', async () => {
    const results = [
      await scanFile(path.join(FIXTURES, 'benign/torch_state_dict.pt')),
      await scanFile(path.join(FIXTURES, 'formats/gguf_benign_llama.gguf')),
      await scanBuffer('evil.pkl', classicPayload()),
    ];
    const bom = toCycloneDx(results, {
      subject: {
        name: 'hf://acme/model',
        version: '0123abcd',
        purl: 'pkg:huggingface/acme/model@0123abcd',
      },
      timestamp: at,
      displayName: r => path.basename(r.path),
    }) as any;
    expect(await validate(bom)).toBeNull();
    expect(bom).toMatchObject({
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      version: 1,
    });
    expect(bom.metadata.component).toMatchObject({
      type: 'machine-learning-model',
      name: 'hf://acme/model',
      version: '0123abcd',
    });
    expect(bom.components.map((c: any) => [c.name, c.type])).toEqual([
      ['torch_state_dict.pt', 'machine-learning-model'],
      ['gguf_benign_llama.gguf', 'machine-learning-model'],
      ['evil.pkl', 'machine-learning-model'],
    ]);
    expect(bom.components[0].hashes).toEqual([
      { alg: 'SHA-256', content: results[0].sha256 },
    ]);
    expect(bom.components[2].properties).toEqual(
      expect.arrayContaining([
        { name: 'frontier-guard:verdict', value: 'malicious' },
        { name: 'frontier-guard:pickle-import', value: 'os.system' },
      ]),
    );
    const v = bom.vulnerabilities.find(
      (x: any) => x.id === 'PICKLE_DANGEROUS_GLOBAL',
    );
    expect(v).toMatchObject({
      ratings: [{ severity: 'critical', method: 'other' }],
      cwes: [502],
      affects: [{ ref: bom.components[2]['bom-ref'] }],
    });
    expect(v.references.map((r: any) => r.id)).toEqual(
      expect.arrayContaining(['AML.T0010.003', 'AML.T0011.000']),
    );
    // benign files contribute no vulnerabilities
    expect(
      bom.vulnerabilities.every(
        (x: any) => x.affects[0].ref === bom.components[2]['bom-ref'],
      ),
    ).toBe(true);
  });

  it('is reproducible for the same scan and instant, and differs when the content does', async () => {
    const r = [await scanBuffer('evil.pkl', classicPayload())];
    const a = toCycloneDx(r, { subject: { name: 'x' }, timestamp: at }) as any;
    const b = toCycloneDx(r, { subject: { name: 'x' }, timestamp: at }) as any;
    expect(a).toEqual(b);
    expect(a.serialNumber).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    const c = toCycloneDx(
      [await scanBuffer('evil.pkl', classicPayload('posix'))],
      { subject: { name: 'x' }, timestamp: at },
    ) as any;
    expect(c.serialNumber).not.toBe(a.serialNumber);
    expect(await validate(c)).toBeNull();
  });

  it('the validator really refuses a broken BOM (so the checks above can fail)', async () => {
    const bom = toCycloneDx([], {
      subject: { name: 'x' },
      timestamp: at,
    }) as any;
    expect(await validate(bom)).toBeNull();
    bom.vulnerabilities = [{ ratings: [{ severity: 'catastrophic' }] }];
    expect(await validate(bom)).not.toBeNull();
  });
});

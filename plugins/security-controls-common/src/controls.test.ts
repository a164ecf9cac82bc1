import { securityControls, getSecurityControl, isSecurityControlId, atlasTechniqueUrl } from './controls';

describe('security controls catalog', () => {
  it('has unique ids in the FG- namespace', () => {
    const ids = securityControls.map(c => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^FG-[A-Z0-9-]+$/);
  });

  it('covers every area of the brief', () => {
    const areas = new Set(securityControls.map(c => c.area));
    for (const area of ['identity', 'kubernetes', 'secrets', 'access-management', 'ci-cd', 'flexibility', 'weight-protection', 'auditing', 'third-party-models']) {
      expect(areas).toContain(area);
    }
  });

  it('uses well-formed ATLAS, DASF and NIST references', () => {
    for (const c of securityControls) {
      for (const t of c.atlas) expect(t).toMatch(/^AML\.T\d{4}(\.\d{3})?$/);
      for (const d of c.dasf) expect(d).toBeGreaterThanOrEqual(1);
      for (const n of c.nist) expect(n).toMatch(/^(PO|PS|PW|RV)\.\d+\.\d+$/);
      expect(c.plugins.length).toBeGreaterThan(0);
    }
  });

  it('maps the model-scanning control to DASF 42 and the ML supply-chain technique', () => {
    const scan = getSecurityControl('FG-MODEL-SCAN');
    expect(scan.dasf).toContain(42);
    expect(scan.atlas).toContain('AML.T0010.003');
  });

  it('refuses an unknown control id', () => {
    expect(() => getSecurityControl('FG-NOPE')).toThrow(/Unknown security control/);
    expect(isSecurityControlId('FG-NOPE')).toBe(false);
    expect(isSecurityControlId('FG-AUDIT-TRAIL')).toBe(true);
  });

  it('links ATLAS techniques', () => {
    expect(atlasTechniqueUrl('AML.T0010.003')).toBe('https://atlas.mitre.org/techniques/AML.T0010.003');
  });
});

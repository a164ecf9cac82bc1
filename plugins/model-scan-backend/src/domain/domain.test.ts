import { ConflictError, InputError } from '@backstage/errors';
import { isFileAllowed, AcceptanceFacts } from './fileAllowance';
import { decideGate } from './gate';
import { checkAcceptanceRequest } from './acceptanceRules';
import { summarizeFiles } from './verdicts';
import { classifyTarget, parseUploadTarget, sanitizeFileName } from './targets';

const current = { scannerVersion: '1.0.0', rulesetVersion: 'r1' };
const now = new Date('2026-06-01T12:00:00Z');
const sha = (c: string) => c.repeat(64);

function file(
  verdict: any,
  extra: Partial<{
    sha256: string;
    scannerVersion: string;
    rulesetVersion: string;
  }> = {},
) {
  return { sha256: sha('a'), verdict, ...current, ...extra };
}

function acceptance(sha256: string, expiresAt: string): AcceptanceFacts {
  return { sha256, expiresAt: new Date(expiresAt), ...current };
}

describe('isFileAllowed', () => {
  it('allows a current safe verdict', () => {
    expect(isFileAllowed(file('safe'), [], now, current)).toEqual({
      allowed: true,
    });
  });

  it('refuses a safe verdict of an older scanner or ruleset: a rescan is due', () => {
    const old = isFileAllowed(
      file('safe', { scannerVersion: '0.9.0' }),
      [],
      now,
      current,
    );
    expect(old.allowed).toBe(false);
    expect(old.reason).toMatch(/rescan is due/);
    const oldRules = isFileAllowed(
      file('safe', { rulesetVersion: 'r0' }),
      [],
      now,
      current,
    );
    expect(oldRules.allowed).toBe(false);
  });

  it('never allows malicious, even with an acceptance of that hash', () => {
    const result = isFileAllowed(
      file('malicious'),
      [acceptance(sha('a'), '2026-06-10T00:00:00Z')],
      now,
      current,
    );
    expect(result.allowed).toBe(false);
    expect(result.reason).toMatch(/malicious/);
  });

  it('refuses error verdicts', () => {
    expect(isFileAllowed(file('error'), [], now, current).allowed).toBe(false);
  });

  it('allows suspicious only with a valid acceptance of that exact hash', () => {
    expect(isFileAllowed(file('suspicious'), [], now, current).allowed).toBe(
      false,
    );
    // acceptance of another hash does not count
    expect(
      isFileAllowed(
        file('suspicious'),
        [acceptance(sha('b'), '2026-06-10T00:00:00Z')],
        now,
        current,
      ).allowed,
    ).toBe(false);
    const ok = isFileAllowed(
      file('suspicious'),
      [
        acceptance(sha('a'), '2026-06-05T00:00:00Z'),
        acceptance(sha('a'), '2026-06-10T00:00:00Z'),
      ],
      now,
      current,
    );
    expect(ok.allowed).toBe(true);
    expect(ok.acceptedUntil?.toISOString()).toBe('2026-06-10T00:00:00.000Z');
  });

  it('does not count an expired acceptance', () => {
    const expired = isFileAllowed(
      file('suspicious'),
      [
        acceptance(sha('a'), '2026-06-01T11:59:59Z'),
        acceptance(sha('a'), '2026-06-01T12:00:00Z'),
      ],
      now,
      current,
    );
    expect(expired.allowed).toBe(false);
    expect(expired.reason).toMatch(/no valid acceptance/);
  });
});

describe('decideGate', () => {
  const target = 'hf://org/model@abc';
  it('refuses a target that was never scanned', () => {
    const d = decideGate({
      target,
      scan: undefined,
      acceptances: [],
      now,
      current,
    });
    expect(d.allowed).toBe(false);
    expect(d.reasons[0]).toMatch(/no completed scan/);
  });

  it('allows when every file is allowed, refuses when one is not', () => {
    const files = [
      { path: 'a.bin', ...file('safe') },
      { path: 'b.bin', ...file('suspicious', { sha256: sha('b') }) },
    ];
    const scan = { scanId: 's1', status: 'completed' as const, files };
    const refused = decideGate({ target, scan, acceptances: [], now, current });
    expect(refused.allowed).toBe(false);
    expect(refused.reasons).toEqual([
      expect.stringMatching(/^b\.bin: .*suspicious/),
    ]);

    const allowed = decideGate({
      target,
      scan,
      acceptances: [acceptance(sha('b'), '2026-06-02T00:00:00Z')],
      now,
      current,
    });
    expect(allowed.allowed).toBe(true);
    expect(allowed.files[1].acceptedUntil).toBe('2026-06-02T00:00:00.000Z');
  });

  it('refuses a scan with no files', () => {
    const d = decideGate({
      target,
      scan: { scanId: 's', status: 'completed', files: [] },
      acceptances: [],
      now,
      current,
    });
    expect(d.allowed).toBe(false);
  });
});

describe('checkAcceptanceRequest', () => {
  const base = {
    sha256: sha('a'),
    currentVerdict: 'suspicious' as const,
    expiresAt: new Date('2026-06-15T00:00:00Z'),
    now,
    maxDays: 30,
  };

  it('accepts a suspicious verdict with an expiry within the limit', () => {
    expect(() => checkAcceptanceRequest(base)).not.toThrow();
  });

  it('refuses to accept a malicious verdict', () => {
    expect(() =>
      checkAcceptanceRequest({ ...base, currentVerdict: 'malicious' }),
    ).toThrow(ConflictError);
    expect(() =>
      checkAcceptanceRequest({ ...base, currentVerdict: 'malicious' }),
    ).toThrow(/can never be accepted/);
  });

  it('refuses safe, error and unknown verdicts', () => {
    for (const v of ['safe', 'error', undefined] as const) {
      expect(() =>
        checkAcceptanceRequest({ ...base, currentVerdict: v }),
      ).toThrow(ConflictError);
    }
  });

  it('refuses expiries in the past or beyond the maximum', () => {
    expect(() =>
      checkAcceptanceRequest({
        ...base,
        expiresAt: new Date('2026-06-01T11:00:00Z'),
      }),
    ).toThrow(InputError);
    expect(() =>
      checkAcceptanceRequest({
        ...base,
        expiresAt: new Date('2026-07-02T12:00:01Z'),
      }),
    ).toThrow(/at most 30 days/);
  });
});

describe('verdicts and targets', () => {
  it('summarizes to the worst verdict; findings outrank errors', () => {
    expect(
      summarizeFiles([
        { verdict: 'error', severity: 'none' },
        { verdict: 'suspicious', severity: 'medium' },
        { verdict: 'safe', severity: 'none' },
      ]),
    ).toEqual({ verdict: 'suspicious', severity: 'medium' });
    expect(
      summarizeFiles([
        { verdict: 'error', severity: 'none' },
        { verdict: 'safe', severity: 'none' },
      ]).verdict,
    ).toBe('error');
  });

  it('classifies targets', () => {
    expect(classifyTarget('/etc/passwd')).toBe('local');
    expect(classifyTarget('file:///etc/passwd')).toBe('local');
    expect(classifyTarget('hf://org/repo')).toBe('remote');
    expect(classifyTarget(`upload://${sha('c')}/x.pt`)).toBe('upload');
    expect(parseUploadTarget(`upload://${sha('c')}/x.pt`)).toEqual({
      sha256: sha('c'),
      fileName: 'x.pt',
    });
    expect(parseUploadTarget('upload://nothex/x.pt')).toBeUndefined();
    expect(sanitizeFileName('../../etc/pass wd')).toBe('pass_wd');
    expect(sanitizeFileName('..')).toBe('_');
    expect(sanitizeFileName('.bashrc')).toBe('_bashrc');
  });
});

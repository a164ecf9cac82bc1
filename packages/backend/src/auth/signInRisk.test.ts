import { decideSignInRisk } from './signInRisk';

const strict = { refuseAt: 'medium' as const, failClosed: true };
const lenient = { refuseAt: 'high' as const, failClosed: false };

describe('decideSignInRisk', () => {
  it('refuses high risk under every policy', () => {
    expect(decideSignInRisk({ riskLevel: 'high', riskState: 'atRisk' }, lenient).allowed).toBe(false);
    expect(decideSignInRisk({ riskLevel: 'high', riskState: 'atRisk' }, strict).allowed).toBe(false);
  });

  it('refuses medium risk only when configured to', () => {
    expect(decideSignInRisk({ riskLevel: 'medium', riskState: 'atRisk' }, strict).allowed).toBe(false);
    expect(decideSignInRisk({ riskLevel: 'medium', riskState: 'atRisk' }, lenient).allowed).toBe(true);
  });

  it('refuses a confirmed compromise whatever the level', () => {
    expect(decideSignInRisk({ riskLevel: 'low', riskState: 'confirmedCompromised' }, lenient).allowed).toBe(false);
  });

  it('allows once the risk was remediated or dismissed', () => {
    expect(decideSignInRisk({ riskLevel: 'high', riskState: 'remediated' }, strict).allowed).toBe(true);
    expect(decideSignInRisk({ riskLevel: 'high', riskState: 'dismissed' }, strict).allowed).toBe(true);
  });

  it('allows low risk and users that are not risky', () => {
    expect(decideSignInRisk({ riskLevel: 'low', riskState: 'atRisk' }, strict).allowed).toBe(true);
    expect(decideSignInRisk('not-found', strict).allowed).toBe(true);
  });

  it('fails closed or open on an unknown risk as configured', () => {
    expect(decideSignInRisk('unavailable', strict).allowed).toBe(false);
    expect(decideSignInRisk('unavailable', lenient).allowed).toBe(true);
    expect(decideSignInRisk({ riskLevel: 'hidden', riskState: 'atRisk' }, strict).allowed).toBe(false);
  });
});

import { isGrantActive } from './grants';
import { Grant } from './types';

const base: Pick<Grant, 'status' | 'startsAt' | 'expiresAt' | 'provisioning'> = {
  status: 'active',
  startsAt: '2026-01-01T10:00:00.000Z',
  expiresAt: '2026-01-01T12:00:00.000Z',
  provisioning: { state: 'provisioned' },
};
const at = (s: string) => new Date(s);

describe('isGrantActive', () => {
  it('is active inside the window', () => {
    expect(isGrantActive(base, at('2026-01-01T10:00:00.000Z'))).toBe(true);
    expect(isGrantActive(base, at('2026-01-01T11:59:59.999Z'))).toBe(true);
  });
  it('is not active before start or at/after expiry even if the stored status says active', () => {
    expect(isGrantActive(base, at('2026-01-01T09:59:59.999Z'))).toBe(false);
    expect(isGrantActive(base, at('2026-01-01T12:00:00.000Z'))).toBe(false);
  });
  it.each(['revoked', 'failed', 'expired'] as const)('is never active when %s', status => {
    expect(isGrantActive({ ...base, status }, at('2026-01-01T11:00:00.000Z'))).toBe(false);
  });
  it.each(['pending', 'failed', 'deprovisioned'] as const)('is not active when provisioning is %s', state => {
    expect(isGrantActive({ ...base, provisioning: { state } }, at('2026-01-01T11:00:00.000Z'))).toBe(false);
  });
  it('is not active with unparsable times', () => {
    expect(isGrantActive({ ...base, expiresAt: 'nope' }, at('2026-01-01T11:00:00.000Z'))).toBe(false);
  });
});

import { AdjustableClock, Clock } from './clock';

describe('AdjustableClock', () => {
  const base: Clock = { now: () => new Date('2026-01-01T00:00:00Z') };

  it('reads its base clock until moved', () => {
    const clock = new AdjustableClock(base);
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(clock.offsetSeconds).toBe(0);
  });

  it('moves forward by seconds and to a given time', () => {
    const clock = new AdjustableClock(base);
    expect(clock.advance(90).toISOString()).toBe('2026-01-01T00:01:30.000Z');
    expect(clock.offsetSeconds).toBe(90);
    clock.set(new Date('2026-03-01T12:00:00Z'));
    expect(clock.now().toISOString()).toBe('2026-03-01T12:00:00.000Z');
  });
});

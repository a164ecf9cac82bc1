import { timeOrderedUuid } from './ids';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('timeOrderedUuid', () => {
  it('is a version-7 UUID that sorts by time, and by issue order within one millisecond', () => {
    const ms = Date.parse('2026-12-07T10:00:00Z');
    const ids = [timeOrderedUuid(ms), timeOrderedUuid(ms), timeOrderedUuid(ms + 1), timeOrderedUuid(ms + 86_400_000)];
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(4);
    expect([...ids].sort()).toEqual(ids.slice(0, 2).sort().concat(ids.slice(2)));
    expect(ids[2] > ids[0] && ids[2] > ids[1]).toBe(true);
  });
  it('never repeats in a large batch', () => {
    const ids = Array.from({ length: 50_000 }, () => timeOrderedUuid(0));
    expect(new Set(ids).size).toBe(50_000);
  });
});

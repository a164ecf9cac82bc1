/** Time is an input: every rule asks a Clock, tests inject one. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * A clock that can be moved forward. Only used when
 * `accessRequests.testing.allowClockControl: true` (browser tests), and in unit tests.
 * The offset lives in this process's memory.
 */
export class AdjustableClock implements Clock {
  private offsetMs = 0;
  constructor(private readonly base: Clock = systemClock) {}
  now(): Date {
    return new Date(this.base.now().getTime() + this.offsetMs);
  }
  advance(seconds: number): Date {
    this.offsetMs += seconds * 1000;
    return this.now();
  }
  get offsetSeconds(): number {
    return this.offsetMs / 1000;
  }
}

/** Time is an input: every rule asks a Clock, tests inject one. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * A clock that can be moved. Used in unit tests, and by a backend only when its
 * `<plugin>.testing.allowClockControl` is true (browser tests; the backend's production guard
 * refuses that setting in production). The offset lives in this process's memory.
 */
export class AdjustableClock implements Clock {
  private offsetMs = 0;
  constructor(private readonly base: Clock = systemClock) {}
  now(): Date {
    return new Date(this.base.now().getTime() + this.offsetMs);
  }
  /** Moves the clock forward by `seconds`; returns the new time. */
  advance(seconds: number): Date {
    this.offsetMs += seconds * 1000;
    return this.now();
  }
  /** Makes the clock read `at` now (it keeps running from there). */
  set(at: Date): void {
    this.offsetMs = at.getTime() - this.base.now().getTime();
  }
  get offsetSeconds(): number {
    return this.offsetMs / 1000;
  }
}

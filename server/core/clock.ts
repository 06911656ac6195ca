/** Time is injected: the engine runs on a wall clock live, and on a simulated clock in backtests. */
export interface Clock {
  /** Milliseconds since the Unix epoch (UTC). */
  now(): number;
}

/** A clock that moves only when told: tests and the backtest's simulated time. */
export class ManualClock implements Clock {
  constructor(private current = 0) {}
  now(): number {
    return this.current;
  }
  set(ms: number): void {
    if (ms < this.current) throw new RangeError(`clock cannot go back from ${this.current} to ${ms}`);
    this.current = ms;
  }
  advance(ms: number): void {
    if (ms < 0) throw new RangeError("clock cannot go back");
    this.current += ms;
  }
}

/** An opaque handle from Timers.setTimeout (Node's Timeout object, a fake's number). */
export type TimerHandle = unknown;

/**
 * One-shot timers, injected like the clock: the runtime wires Node's in once, tests fire them by hand. The one
 * timer vocabulary of the engine, the resilience layer, the venues and the feeds; a user that never cancels a
 * timer asks only for `Pick<Timers, "setTimeout">`.
 */
export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** Start of the UTC day containing `ms`. */
export function utcDayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/**
 * Deterministic timers (core/clock.ts Timers) for tests: timers fire only when the test moves time, in due order
 * (ties in the order they were set), and the ManualClock reads each timer's due time as it fires.
 */
import { type ManualClock } from "../../server/core/clock";
import { type Timers, type TimerHandle } from "../../server/core/clock";

interface FakeTimer {
  id: number;
  due: number;
  fn: () => void;
}

export class FakeScheduler implements Timers {
  private timers: FakeTimer[] = [];
  private nextId = 1;
  /** Every delay asked for, in order (backoff tests read it). */
  readonly requested: number[] = [];

  /**
   * @param lateBy how many ms after its due time each timer really fires (simulates a busy event
   *   loop; default 0). Called once per timer when it is set.
   */
  constructor(
    readonly clock: ManualClock,
    private readonly lateBy: () => number = () => 0,
  ) {}

  setTimeout(fn: () => void, ms: number): TimerHandle {
    this.requested.push(ms);
    const due = this.clock.now() + Math.max(0, ms) + Math.max(0, this.lateBy());
    const timer: FakeTimer = { id: this.nextId++, due, fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  get pending(): number {
    return this.timers.length;
  }

  /** Due time of the next timer, or undefined when none is set. */
  nextDue(): number | undefined {
    return this.next()?.due;
  }

  /** Moves the clock to the next timer's due time and fires it. False when no timer is set. */
  runNext(): boolean {
    const timer = this.next();
    if (!timer) return false;
    this.timers = this.timers.filter((t) => t !== timer);
    if (timer.due > this.clock.now()) this.clock.set(timer.due);
    timer.fn();
    return true;
  }

  /** Moves the clock forward by `ms`, firing every timer that falls due on the way (including ones set meanwhile). */
  advance(ms: number): void {
    const target = this.clock.now() + ms;
    for (let timer = this.next(); timer && timer.due <= target; timer = this.next()) this.runNext();
    if (target > this.clock.now()) this.clock.set(target);
  }

  private next(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const timer of this.timers) if (!best || timer.due < best.due) best = timer;
    return best;
  }
}

/** Test support: timers fired by hand (the emergency stop's confirmation wait, the engine's scheduled work). */
import type { Timers } from "../server/core/clock";

export class ManualTimers implements Timers {
  private next = 1;
  readonly pending = new Map<number, () => void>();
  setTimeout(fn: () => void): unknown {
    const id = this.next++;
    this.pending.set(id, fn);
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Runs every pending callback once, then lets the work they started settle (one turn of the event loop). */
  async fireAll(): Promise<void> {
    const fns = [...this.pending.values()];
    this.pending.clear();
    for (const fn of fns) fn();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/**
 * Node's timers for the feeds. Timers (core/clock.ts) are injected like the clock: production passes `systemScheduler`, tests a
 * `FakeScheduler` (test/replay/fake-scheduler.ts) that moves a ManualClock and fires timers in order.
 */
import type { Timers } from "../../core/clock";

/** Node's timers. Handles are unref'd so a feed alone never keeps the process alive. */
export const systemScheduler: Timers = {
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, Math.max(0, ms));
    handle.unref?.();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/**
 * Timers are injected like the clock: production passes `systemScheduler` (Node's timers), tests a
 * `FakeScheduler` (test/replay/fake-scheduler.ts) that moves a ManualClock and fires timers in order.
 */
export type TimerHandle = unknown;

export interface Scheduler {
  /** Runs `fn` once, about `ms` milliseconds from now. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Node's timers. Handles are unref'd so a feed alone never keeps the process alive. */
export const systemScheduler: Scheduler = {
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, Math.max(0, ms));
    handle.unref?.();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

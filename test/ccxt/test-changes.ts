/**
 * Test support: wait on what a test can observe instead of the wall clock. Every place where the state a test looks
 * at can change (an event sink, a fake server's handlers, injected timers, a status callback) calls `notify`, and
 * `until` re-checks its condition then. No deadline of its own: on a busy machine a slow step is slow, not a
 * failure (the test runner's timeout is the backstop, and `waiting` says what was awaited when it fires).
 */
export class Changes {
  private readonly waiters = new Set<() => void>();
  /** What the pending `until` waits for (for the message of a test that timed out), or null. */
  waiting: string | null = null;

  readonly notify = (): void => {
    for (const check of [...this.waiters]) check();
  };

  until(condition: () => boolean, what: string): Promise<void> {
    if (condition()) return Promise.resolve();
    this.waiting = what;
    return new Promise((resolve) => {
      const check = () => {
        if (!condition()) return;
        this.waiters.delete(check);
        this.waiting = null;
        resolve();
      };
      this.waiters.add(check);
    });
  }
}

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

  /** Resolves once `probe` gives something truthy (a condition, or the value a test waits for), with what it gave. */
  until<T>(probe: () => T | null | undefined | false, what: string): Promise<T> {
    const first = probe();
    if (first) return Promise.resolve(first);
    this.waiting = what;
    return new Promise((resolve) => {
      const check = () => {
        const value = probe();
        if (!value) return;
        this.waiters.delete(check);
        this.waiting = null;
        resolve(value);
      };
      this.waiters.add(check);
    });
  }
}

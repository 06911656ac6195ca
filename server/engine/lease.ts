/**
 * The engine lease as the runtime holds it (DESIGN.md invariant 1: a process that loses its lease stops trading).
 *
 * - Heartbeats start the moment the lease is taken, not after the start's reconciliation: reading a slow
 *   exchange can take longer than the stale window, and another process would then take the database over
 *   while this one goes on starting.
 * - A heartbeat that fails — the lease row names someone else, or the database cannot be written — calls
 *   `onLost` once, at once (the runtime latches the engine: no command, no venue call), and beats no more.
 * - The store fences every write by the lease as well (SqliteStore), so even a write racing the heartbeat's
 *   verdict cannot land: this is the early, loud half of the same rule.
 */
import type { LeaseResult, Store } from "../db/store";

export interface IntervalTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const systemIntervals: IntervalTimers = {
  setInterval: (fn, ms) => {
    const handle = setInterval(fn, ms);
    handle.unref?.();
    return handle;
  },
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
};

export interface LeaseOptions {
  ownerId: string;
  pid: number;
  host: string;
  /** A lease whose heartbeat is older than this may be taken over by another process. */
  staleAfterMs: number;
  /** How often the heartbeat runs; well under `staleAfterMs`. */
  heartbeatMs: number;
  now: () => number;
  timers?: IntervalTimers;
  /** Called once when the lease is lost (the reason in words). */
  onLost: (reason: string) => void;
}

export class LeaseKeeper {
  private timer: unknown = null;
  private lostReason: string | null = null;
  private released = false;

  private constructor(
    private readonly store: Store,
    private readonly options: LeaseOptions,
    private readonly timers: IntervalTimers,
  ) {}

  /** Takes the lease and starts its heartbeat at once; or says who holds it. */
  static acquire(store: Store, options: LeaseOptions): { ok: true; keeper: LeaseKeeper } | Extract<LeaseResult, { ok: false }> {
    const lease = store.acquireLease({
      ownerId: options.ownerId,
      pid: options.pid,
      host: options.host,
      now: options.now(),
      staleAfterMs: options.staleAfterMs,
    });
    if (!lease.ok) return lease;
    const keeper = new LeaseKeeper(store, options, options.timers ?? systemIntervals);
    keeper.timer = keeper.timers.setInterval(() => keeper.beat(), options.heartbeatMs);
    return { ok: true, keeper };
  }

  /** One heartbeat; false (and `onLost`, once) when the lease is no longer this process's. */
  beat(): boolean {
    if (this.lostReason !== null || this.released) return false;
    let held: boolean;
    let why = "another process took the engine lease over";
    try {
      held = this.store.heartbeat(this.options.ownerId, this.options.now());
    } catch (e) {
      held = false;
      why = `the lease heartbeat could not be written (${e instanceof Error ? e.message : String(e)})`;
    }
    if (!held) this.lose(why);
    return held;
  }

  get lost(): string | null {
    return this.lostReason;
  }

  /** Stops the heartbeat and gives the lease up (when it is still ours). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.timers.clearInterval(this.timer);
    if (this.lostReason === null) this.store.releaseLease(this.options.ownerId);
  }

  private lose(reason: string): void {
    this.lostReason = reason;
    this.timers.clearInterval(this.timer);
    this.options.onLost(reason);
  }
}

/**
 * The SQLite durability the runtime opens its store with: LIVE trades real money, so a commit must survive power
 * loss too (FULL: the WAL is fsynced on every commit); replay and paper keep NORMAL (survives a process crash).
 */
export function synchronousFor(mode: string): "FULL" | "NORMAL" {
  return mode === "live" ? "FULL" : "NORMAL";
}

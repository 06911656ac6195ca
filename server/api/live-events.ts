/**
 * The live-events stream (overview.live over SSE), bounded on every side:
 *
 * - Connections: at most `maxPerUser` open streams per user (tabs) and `maxTotal` in the process; more are refused
 *   with a sentence before anything is subscribed.
 * - Queue: each stream buffers at most `maxQueue` events for a slow reader. On overflow the buffer is dropped and
 *   the reader gets one `resync` (the client refetches everything) followed by newer events.
 * - Session: the stream ends (UNAUTHORIZED) as soon as its session ends — sign-out, disable, password change or
 *   reset announce it (sessions.ts) — and every `recheckMs` it re-reads the session (expiry, a database edit).
 */
import { tracked, TRPCError } from "@trpc/server";
import type { EventBus } from "../engine/bus";
import type { DomainEvent } from "../engine/types";
import { onSessionsEnded, type SessionsEnded } from "../auth/sessions";

export interface LiveLimits {
  maxQueue: number;
  maxPerUser: number;
  maxTotal: number;
  /** How often an idle stream re-reads its session. */
  recheckMs: number;
}

export const DEFAULT_LIVE_LIMITS: LiveLimits = { maxQueue: 1000, maxPerUser: 10, maxTotal: 100, recheckMs: 60_000 };

/** A timer that can be cancelled; tests drive it by hand. */
export interface LiveTimers {
  after(ms: number, fn: () => void): () => void;
}

export const realLiveTimers: LiveTimers = {
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

/** Open streams per user and in total. */
export class LiveConnections {
  private readonly perUser = new Map<string, number>();
  private total = 0;

  get open(): number {
    return this.total;
  }

  /** A release function, or the sentence that refuses the connection. */
  acquire(userId: string, limits: Pick<LiveLimits, "maxPerUser" | "maxTotal">): { ok: true; release: () => void } | { ok: false; message: string } {
    const mine = this.perUser.get(userId) ?? 0;
    if (mine >= limits.maxPerUser) return { ok: false, message: `You already have ${mine} live connections open; close a tab and reload.` };
    if (this.total >= limits.maxTotal) return { ok: false, message: "The server has too many live connections open; try again in a minute." };
    this.perUser.set(userId, mine + 1);
    this.total++;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        const n = (this.perUser.get(userId) ?? 1) - 1;
        if (n <= 0) this.perUser.delete(userId);
        else this.perUser.set(userId, n);
      },
    };
  }
}

const globalForLive = globalThis as unknown as { bastionLiveConnections?: LiveConnections };

export function liveConnections(): LiveConnections {
  globalForLive.bastionLiveConnections ??= new LiveConnections();
  return globalForLive.bastionLiveConnections;
}

export interface LiveStreamOptions<T> {
  bus: Pick<EventBus, "subscribe" | "since" | "lastSeq">;
  lastEventId?: string | null;
  signal?: AbortSignal;
  /** Whose stream this is; `sessionId` null (a server-side caller) skips the session checks. */
  user: { id: string };
  sessionId: string | null;
  stillValid: () => Promise<boolean>;
  toLive: (event: DomainEvent) => T;
  limits?: Partial<LiveLimits>;
  timers?: LiveTimers;
  connections?: LiveConnections;
}

export type LiveMessage<T> = T | { type: "resync" } | { type: "hello"; seq: number };

function sessionEnded(): TRPCError {
  return new TRPCError({ code: "UNAUTHORIZED", message: "Your session has ended; sign in again." });
}

export async function* liveEventStream<T>(opts: LiveStreamOptions<T>) {
  const limits = { ...DEFAULT_LIVE_LIMITS, ...opts.limits };
  const timers = opts.timers ?? realLiveTimers;
  const { bus, signal } = opts;
  const slot = (opts.connections ?? liveConnections()).acquire(opts.user.id, limits);
  if (!slot.ok) throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: slot.message });

  const queue: { seq: number; event: DomainEvent }[] = [];
  /** The seq of the last event dropped by an overflow (0: none pending). */
  let droppedThrough = 0;
  let recheckDue = false;
  let wake: (() => void) | null = null;
  const unsubscribe = bus.subscribe((event, seq) => {
    if (queue.length >= limits.maxQueue) {
      droppedThrough = seq;
      queue.length = 0;
    } else {
      queue.push({ seq, event });
    }
    wake?.();
  });
  const stopListening = onSessionsEnded((ended: SessionsEnded) => {
    if (opts.sessionId === null) return;
    if ("sessionId" in ended ? ended.sessionId === opts.sessionId : ended.userId === opts.user.id) {
      recheckDue = true;
      wake?.();
    }
  });
  let cancelRecheck = () => {};
  const scheduleRecheck = () => {
    cancelRecheck = timers.after(limits.recheckMs, () => {
      recheckDue = true;
      wake?.();
    });
  };
  if (opts.sessionId !== null) scheduleRecheck();

  try {
    const last = opts.lastEventId ? Number(opts.lastEventId) : null;
    if (last !== null && Number.isFinite(last)) {
      const missed = bus.since(last);
      if (missed === null) yield tracked(String(bus.lastSeq), { type: "resync" } as LiveMessage<T>);
      else for (const m of missed) if (!queue.some((q) => q.seq === m.seq)) queue.unshift(m);
      queue.sort((a, b) => a.seq - b.seq);
    } else {
      yield tracked(String(bus.lastSeq), { type: "hello", seq: bus.lastSeq } as LiveMessage<T>);
    }
    while (!signal?.aborted) {
      if (recheckDue) {
        recheckDue = false;
        if (!(await opts.stillValid())) throw sessionEnded();
        scheduleRecheck();
        continue;
      }
      if (droppedThrough > 0) {
        const through = droppedThrough;
        droppedThrough = 0;
        yield tracked(String(through), { type: "resync" } as LiveMessage<T>);
        continue;
      }
      const next = queue.shift();
      if (next) {
        yield tracked(String(next.seq), opts.toLive(next.event) as LiveMessage<T>);
        continue;
      }
      // Sleep until an event arrives, the session is to be checked, or the client leaves.
      await new Promise<void>((resolve) => {
        const done = () => {
          signal?.removeEventListener("abort", done);
          wake = null;
          resolve();
        };
        wake = done;
        signal?.addEventListener("abort", done, { once: true });
        if (queue.length > 0 || recheckDue || droppedThrough > 0 || signal?.aborted) done();
      });
    }
  } finally {
    cancelRecheck();
    stopListening();
    unsubscribe();
    slot.release();
  }
}

/**
 * The lock book: which symbols, strategies (or the whole desk) may not open new positions, by which rule, since
 * when and until when. Pure: the time is passed in, ids come from an injected generator, and the whole book is a
 * JSON snapshot the engine persists, so a lock survives a restart.
 *
 * - A lock blocks new entries only; exits, reduce-only orders and cancels are never locked.
 * - A LOCK_SYMBOL firing locks its symbol (or, for a strategy failure, its strategy) for `lockMinutes`;
 *   PAUSE_ENTRIES locks the desk until a person lifts it. The HALT actions are the engine's emergency stop,
 *   not locks.
 * - A second lock on the same scope by the same rule extends the first (the later `until` wins) instead of piling up.
 * - A lock ends when its `until` passes (`expire(now)`, reported once) or when an admin lifts it with a reason;
 *   both are kept in the history (the audit row itself is the engine's, in the same transaction).
 */
import { z } from "zod";
import { type IdGenerator } from "../ids";
import { type Result, err, ok } from "../errors";
import { PROTECTION_RULES, type ProtectionFiring, type ProtectionRule, type ProtectionScope, scopeKey, scopeLabel } from "./types";

/** Locks a person set by hand carry this rule. */
export const MANUAL_LOCK_RULE = "MANUAL";
export type LockRule = ProtectionRule | typeof MANUAL_LOCK_RULE;

export type LockScope = Exclude<ProtectionScope, { kind: "venue" }>;

export interface ProtectionLock {
  id: string;
  rule: LockRule;
  scope: LockScope;
  /** Epoch ms the lock started. */
  since: number;
  /** Epoch ms it ends by itself; null: until a person lifts it. */
  until: number | null;
  reason: string;
}

export type LockHistoryEntry =
  | { kind: "LOCKED"; at: number; lock: ProtectionLock }
  | { kind: "EXTENDED"; at: number; lock: ProtectionLock }
  | { kind: "EXPIRED"; at: number; lock: ProtectionLock }
  | { kind: "LIFTED"; at: number; lock: ProtectionLock; by: string; reason: string };

export type LockLiftRefusal = "LOCK_NOT_FOUND" | "LIFT_USER_REQUIRED" | "LIFT_REASON_REQUIRED";

/** What a new-entry check asks about: the order's symbol and the strategy it belongs to. */
export interface EntryQuery {
  symbol?: string;
  strategy?: string;
}

/** How many history entries the book keeps (oldest dropped first). */
export const LOCK_HISTORY_LIMIT = 200;
export const LOCK_BOOK_SNAPSHOT_VERSION = 1;

const epochMs = z.number().int().nonnegative();
const lockScopeSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("symbol"), symbol: z.string().min(1) }),
  z.object({ kind: z.literal("strategy"), strategy: z.string().min(1) }),
  z.object({ kind: z.literal("desk") }),
]);
const lockSchema = z.object({
  id: z.string().min(1),
  rule: z.enum([...PROTECTION_RULES, MANUAL_LOCK_RULE]),
  scope: lockScopeSchema,
  since: epochMs,
  until: epochMs.nullable(),
  reason: z.string(),
});
const historySchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("LOCKED"), at: epochMs, lock: lockSchema }),
  z.object({ kind: z.literal("EXTENDED"), at: epochMs, lock: lockSchema }),
  z.object({ kind: z.literal("EXPIRED"), at: epochMs, lock: lockSchema }),
  z.object({ kind: z.literal("LIFTED"), at: epochMs, lock: lockSchema, by: z.string(), reason: z.string() }),
]);
export const lockBookSnapshotSchema = z.object({
  version: z.literal(LOCK_BOOK_SNAPSHOT_VERSION),
  locks: z.array(lockSchema),
  history: z.array(historySchema),
});
export type LockBookSnapshot = z.output<typeof lockBookSnapshotSchema>;

function isActive(lock: ProtectionLock, now: number): boolean {
  return lock.since <= now && (lock.until === null || now < lock.until);
}

function copy(lock: ProtectionLock): ProtectionLock {
  return { ...lock, scope: { ...lock.scope } };
}

export class LockBook {
  private locks: ProtectionLock[] = [];
  private entries: LockHistoryEntry[] = [];

  constructor(private readonly ids: IdGenerator) {}

  /** A book from a persisted snapshot; a snapshot that does not parse is refused with the reason. */
  static restore(snapshot: unknown, ids: IdGenerator): Result<LockBook, "BAD_LOCK_SNAPSHOT"> {
    const parsed = lockBookSnapshotSchema.safeParse(snapshot);
    if (!parsed.success) return err("BAD_LOCK_SNAPSHOT", `The saved protection locks cannot be read: ${parsed.error.issues.map((i) => i.message).join(" ")}`);
    const book = new LockBook(ids);
    book.locks = parsed.data.locks.map(copy);
    book.entries = parsed.data.history.map((entry) => ({ ...entry, lock: copy(entry.lock) }));
    return ok(book);
  }

  snapshot(): LockBookSnapshot {
    return {
      version: LOCK_BOOK_SNAPSHOT_VERSION,
      locks: this.locks.map(copy),
      history: this.entries.map((entry) => ({ ...entry, lock: copy(entry.lock) })),
    };
  }

  /** Locks a scope. The same rule on the same scope extends the active lock rather than adding a second one. */
  lock(request: { rule: LockRule; scope: LockScope; since: number; until: number | null; reason: string }): ProtectionLock {
    const key = scopeKey(request.scope);
    const existing = this.locks.find((lock) => lock.rule === request.rule && scopeKey(lock.scope) === key && isActive(lock, request.since));
    if (existing) {
      const until = existing.until === null || request.until === null ? null : Math.max(existing.until, request.until);
      if (until !== existing.until) {
        existing.until = until;
        existing.reason = request.reason;
        this.record({ kind: "EXTENDED", at: request.since, lock: copy(existing) });
      }
      return copy(existing);
    }
    const lock: ProtectionLock = {
      id: this.ids.next("lck"),
      rule: request.rule,
      scope: { ...request.scope },
      since: request.since,
      until: request.until,
      reason: request.reason,
    };
    this.locks.push(lock);
    this.record({ kind: "LOCKED", at: request.since, lock: copy(lock) });
    return copy(lock);
  }

  /** The lock a firing calls for: LOCK_SYMBOL locks its symbol or strategy, PAUSE_ENTRIES the desk; others none. */
  lockForFiring(firing: ProtectionFiring): ProtectionLock | null {
    const reason = firing.message;
    if (firing.action === "PAUSE_ENTRIES") return this.lock({ rule: firing.rule, scope: { kind: "desk" }, since: firing.ts, until: null, reason });
    if (firing.action !== "LOCK_SYMBOL" || firing.scope.kind === "venue" || firing.scope.kind === "desk" || firing.lockMinutes === null) return null;
    return this.lock({ rule: firing.rule, scope: firing.scope, since: firing.ts, until: firing.ts + firing.lockMinutes * 60_000, reason });
  }

  /** The first active lock that refuses a new entry on this symbol for this strategy (desk locks first), or null. */
  /** `waived`: locks that do not hold this entry (the engine's call, e.g. a stale-data lock at a venue quoting again). */
  blockingLock(query: EntryQuery, now: number, waived?: (lock: ProtectionLock) => boolean): ProtectionLock | null {
    if (this.locks.length === 0) return null; // asked before every entry: the usual empty book builds nothing
    const match = (scope: LockScope) =>
      scope.kind === "desk" || (scope.kind === "symbol" && scope.symbol === query.symbol) || (scope.kind === "strategy" && scope.strategy === query.strategy);
    const order = { desk: 0, symbol: 1, strategy: 2 } as const;
    const found = this.locks
      .filter((lock) => isActive(lock, now) && match(lock.scope) && !waived?.(lock))
      .sort((a, b) => order[a.scope.kind] - order[b.scope.kind])[0];
    return found ? copy(found) : null;
  }

  /** A sentence for a refused entry, e.g. "XLM/BTC is locked by FLASH_MOVE until 2018-01-15T14:40:00.000Z: …". */
  static describe(lock: ProtectionLock): string {
    const until = lock.until === null ? "until an admin lifts it" : `until ${new Date(lock.until).toISOString()}`;
    return `${scopeLabel(lock.scope)} is locked by ${lock.rule} ${until}: ${lock.reason}`;
  }

  /** True when the book holds any lock (active or not yet expired away): without one, no entry is refused. */
  get isEmpty(): boolean {
    return this.locks.length === 0;
  }

  /** Locks in force at `now`, oldest first. */
  active(now: number): ProtectionLock[] {
    return this.locks.filter((lock) => isActive(lock, now)).map(copy);
  }

  /** Removes the locks whose time is up and reports each once. */
  expire(now: number): ProtectionLock[] {
    const expired = this.locks.filter((lock) => lock.until !== null && now >= lock.until);
    if (expired.length === 0) return [];
    this.locks = this.locks.filter((lock) => !expired.includes(lock));
    for (const lock of expired) this.record({ kind: "EXPIRED", at: lock.until!, lock: copy(lock) });
    return expired.map(copy);
  }

  /** An admin lifts a lock; `by` and a reason are required (the engine audits it). */
  lift(id: string, request: { by: string; reason: string }, now: number): Result<ProtectionLock, LockLiftRefusal> {
    if (request.by.trim() === "") return err("LIFT_USER_REQUIRED", "Lifting a lock needs the name of the person who lifts it.");
    if (request.reason.trim() === "") return err("LIFT_REASON_REQUIRED", "Say why the lock is lifted: the reason is kept in the audit log.");
    const lock = this.locks.find((candidate) => candidate.id === id);
    if (!lock) return err("LOCK_NOT_FOUND", `No lock ${id} is in force (it may have expired or been lifted already).`, { id });
    this.locks = this.locks.filter((candidate) => candidate !== lock);
    this.record({ kind: "LIFTED", at: now, lock: copy(lock), by: request.by, reason: request.reason.trim() });
    return ok(copy(lock));
  }

  /** Locks and their ends, oldest first, at most LOCK_HISTORY_LIMIT. */
  history(): LockHistoryEntry[] {
    return this.entries.map((entry) => ({ ...entry, lock: copy(entry.lock) }));
  }

  private record(entry: LockHistoryEntry): void {
    this.entries.push(entry);
    if (this.entries.length > LOCK_HISTORY_LIMIT) this.entries.splice(0, this.entries.length - LOCK_HISTORY_LIMIT);
  }
}

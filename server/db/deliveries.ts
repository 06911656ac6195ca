/**
 * The delivery log of outbound notifications on SQLite (`notification_deliveries`): server/notify's DeliveryRepository
 * port, written by the channels and read by the Notifications page (Prisma). It has its own better-sqlite3 connection:
 * deliveries are not the engine's state, so they stay outside the engine store's lease fence, and a write is one short
 * INSERT between the engine's synchronous transactions (same thread), never inside one.
 *
 * Bounded: the newest `keep` rows are kept; older ones are pruned every `pruneEvery` writes (and at open).
 * server/db imports core only, so the attempt's shape is stated here; it matches notify's DeliveryAttempt.
 */
import Database from "better-sqlite3";
import { sqlitePathFromUrl } from "./sqlite-store";

/** One delivery attempt as notify records it (kinds, severities and outcomes are notify's words). */
export interface DeliveryRecord {
  channel: string;
  notificationId: string;
  kind: string;
  severity: string;
  attempt: number;
  ts: number;
  outcome: string;
  error: string | null;
  nextAttemptAt: number | null;
}

export interface DeliveryLogOptions {
  /** `file:./data/bastion.db` or a plain path (the same database as the store). */
  url: string;
  /** Rows kept (default 10,000). */
  keep?: number;
  /** Prune after this many writes (default 200). */
  pruneEvery?: number;
}

export const DEFAULT_DELIVERIES_KEPT = 10_000;

export class SqliteDeliveryLog {
  private readonly insert: Database.Statement;
  private readonly prune: Database.Statement;
  private readonly keep: number;
  private readonly pruneEvery: number;
  private writes = 0;
  private readonly listeners = new Set<(attempt: DeliveryRecord) => void>();

  constructor(
    private readonly db: Database.Database,
    options: { keep?: number; pruneEvery?: number } = {},
  ) {
    this.keep = Math.max(1, options.keep ?? DEFAULT_DELIVERIES_KEPT);
    this.pruneEvery = Math.max(1, options.pruneEvery ?? 200);
    this.insert = db.prepare(
      `INSERT INTO notification_deliveries (ts, channel, notificationId, kind, severity, attempt, outcome, error, nextAttemptAt)
       VALUES (@ts, @channel, @notificationId, @kind, @severity, @attempt, @outcome, @error, @nextAttemptAt)`,
    );
    // Ids only grow (AUTOINCREMENT): everything below the keep-th newest id goes.
    this.prune = db.prepare(`DELETE FROM notification_deliveries WHERE id < (SELECT id FROM notification_deliveries ORDER BY id DESC LIMIT 1 OFFSET @offset)`);
    this.pruneNow();
  }

  /** notify's DeliveryRepository.record: one row per attempt; listeners (tests) hear it after it is written. */
  record(attempt: DeliveryRecord): void {
    this.insert.run({
      ts: attempt.ts,
      channel: attempt.channel,
      notificationId: attempt.notificationId,
      kind: attempt.kind,
      severity: attempt.severity,
      attempt: attempt.attempt,
      outcome: attempt.outcome,
      error: attempt.error,
      nextAttemptAt: attempt.nextAttemptAt,
    });
    if (++this.writes % this.pruneEvery === 0) this.pruneNow();
    for (const listener of this.listeners) listener({ ...attempt });
  }

  /** Deletes all but the newest `keep` rows; returns how many went. */
  pruneNow(): number {
    return this.prune.run({ offset: this.keep - 1 }).changes;
  }

  subscribe(listener: (attempt: DeliveryRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.listeners.clear();
    if (this.db.open) this.db.close();
  }
}

/** Opens the delivery log on the (migrated) database of `url`. */
export function openDeliveryLog(options: DeliveryLogOptions): SqliteDeliveryLog {
  const db = new Database(sqlitePathFromUrl(options.url));
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 5000");
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'notification_deliveries'").get();
    if (!table) throw new Error("The database is not migrated: run npx prisma migrate deploy (it lacks the table notification_deliveries).");
    return new SqliteDeliveryLog(db, {
      ...(options.keep !== undefined ? { keep: options.keep } : {}),
      ...(options.pruneEvery !== undefined ? { pruneEvery: options.pruneEvery } : {}),
    });
  } catch (error) {
    db.close();
    throw error;
  }
}

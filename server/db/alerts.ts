/**
 * The alert center's storage on SQLite (`alerts`, one row per occurrence; `alert_history`, every change of one), written
 * by the engine-side alert center (server/engine/alerts.ts) and read by the Alerts page through Prisma
 * (server/db/queries/alerts.ts). Like the delivery log it has its own better-sqlite3 connection: alerts are not the
 * engine's state, so they stay outside the engine store's lease fence; a write is one short transaction between the
 * engine's synchronous ones (same thread), never inside one.
 *
 * Bounded: the history keeps its newest `keep` rows (pruned every `pruneEvery` writes and at open); occurrences stay.
 * MemoryAlertLog is the same port in memory (tests, and a database that cannot be opened).
 */
import Database from "better-sqlite3";
import type { AlertChange, AlertKind, AlertRecord, AlertSeverity, AlertStatus } from "../core/alerts";
import { sqlitePathFromUrl } from "./sqlite-store";

/** What the alert center needs from storage. */
export interface AlertRepository {
  /** Occurrences that still matter to the book: unacknowledged, or acknowledged and still ACTIVE; oldest first. */
  loadCurrent(): AlertRecord[];
  /** The occurrence as it is now and its history row, together. */
  write(change: AlertChange): void;
}

export interface AlertHistoryRow {
  alertId: string;
  ts: number;
  change: string;
  severity: string;
  message: string;
  actor: string | null;
}

export const DEFAULT_ALERT_HISTORY_KEPT = 50_000;

function historyRow(change: AlertChange): AlertHistoryRow {
  return { alertId: change.alert.id, ts: change.ts, change: change.change, severity: change.alert.severity, message: change.message, actor: change.actor };
}

export class MemoryAlertLog implements AlertRepository {
  readonly alerts = new Map<string, AlertRecord>();
  readonly history: AlertHistoryRow[] = [];

  loadCurrent(): AlertRecord[] {
    return [...this.alerts.values()].filter((a) => a.acknowledgedAt === null || a.status === "ACTIVE").sort((a, b) => a.firstSeen - b.firstSeen);
  }

  write(change: AlertChange): void {
    this.alerts.set(change.alert.id, { ...change.alert });
    this.history.push(historyRow(change));
  }
}

/** The record as SQLite holds it: the kind, severity and status unchecked until read. */
type AlertRow = Omit<AlertRecord, "kind" | "severity" | "status"> & { kind: string; severity: string; status: string };

export class SqliteAlertLog implements AlertRepository {
  private readonly upsert: Database.Statement;
  private readonly insertHistory: Database.Statement;
  private readonly prune: Database.Statement;
  private readonly keep: number;
  private readonly pruneEvery: number;
  private writes = 0;

  constructor(
    private readonly db: Database.Database,
    options: { keep?: number; pruneEvery?: number } = {},
  ) {
    this.keep = Math.max(1, options.keep ?? DEFAULT_ALERT_HISTORY_KEPT);
    this.pruneEvery = Math.max(1, options.pruneEvery ?? 500);
    this.upsert = db.prepare(
      `INSERT INTO alerts (id, key, kind, severity, subject, title, message, firstSeen, lastSeen, count, status, resolvedAt, acknowledgedAt, acknowledgedBy, acknowledgeReason)
       VALUES (@id, @key, @kind, @severity, @subject, @title, @message, @firstSeen, @lastSeen, @count, @status, @resolvedAt, @acknowledgedAt, @acknowledgedBy, @acknowledgeReason)
       ON CONFLICT(id) DO UPDATE SET severity = excluded.severity, title = excluded.title, message = excluded.message, lastSeen = excluded.lastSeen,
         count = excluded.count, status = excluded.status, resolvedAt = excluded.resolvedAt, acknowledgedAt = excluded.acknowledgedAt,
         acknowledgedBy = excluded.acknowledgedBy, acknowledgeReason = excluded.acknowledgeReason`,
    );
    this.insertHistory = db.prepare(
      `INSERT INTO alert_history (alertId, ts, change, severity, message, actor) VALUES (@alertId, @ts, @change, @severity, @message, @actor)`,
    );
    // Ids only grow (AUTOINCREMENT): everything below the keep-th newest id goes.
    this.prune = db.prepare(`DELETE FROM alert_history WHERE id < (SELECT id FROM alert_history ORDER BY id DESC LIMIT 1 OFFSET @offset)`);
    this.pruneNow();
  }

  loadCurrent(): AlertRecord[] {
    const rows = this.db.prepare(`SELECT * FROM alerts WHERE acknowledgedAt IS NULL OR status = 'ACTIVE' ORDER BY firstSeen ASC`).all() as AlertRow[];
    return rows.map((row) => ({
      ...row,
      kind: row.kind as AlertKind,
      severity: row.severity as AlertSeverity,
      status: row.status as AlertStatus,
    }));
  }

  write(change: AlertChange): void {
    const alert = change.alert;
    this.db.transaction(() => {
      this.upsert.run({ ...alert });
      this.insertHistory.run(historyRow(change));
    })();
    if (++this.writes % this.pruneEvery === 0) this.pruneNow();
  }

  /** Deletes all but the newest `keep` history rows; returns how many went. */
  pruneNow(): number {
    return this.prune.run({ offset: this.keep - 1 }).changes;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** Opens the alert log on the (migrated) database of `url`. */
export function openAlertLog(options: { url: string; keep?: number; pruneEvery?: number }): SqliteAlertLog {
  const db = new Database(sqlitePathFromUrl(options.url));
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 5000");
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'alerts'").get();
    if (!table) throw new Error("The database is not migrated: run npx prisma migrate deploy (it lacks the table alerts).");
    return new SqliteAlertLog(db, {
      ...(options.keep !== undefined ? { keep: options.keep } : {}),
      ...(options.pruneEvery !== undefined ? { pruneEvery: options.pruneEvery } : {}),
    });
  } catch (error) {
    db.close();
    throw error;
  }
}

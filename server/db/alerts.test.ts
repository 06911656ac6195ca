import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { createMigratedDb } from "../../test/db";
import type { AlertChange, AlertRecord } from "../core/alerts";
import { openAlertLog } from "./alerts";

const alert = (id: string, over: Partial<AlertRecord> = {}): AlertRecord => ({
  id,
  key: `K:${id}`,
  kind: "PROTECTION",
  severity: "warning",
  subject: "XLM/BTC",
  title: "t",
  message: "m",
  firstSeen: 1,
  lastSeen: 1,
  count: 1,
  status: "ACTIVE",
  resolvedAt: null,
  acknowledgedAt: null,
  acknowledgedBy: null,
  acknowledgeReason: null,
  ...over,
});
const change = (record: AlertRecord, kind: AlertChange["change"] = "RAISED"): AlertChange => ({
  change: kind,
  alert: record,
  ts: record.lastSeen,
  message: record.message,
  actor: null,
});

describe("SqliteAlertLog", () => {
  it("keeps one row per occurrence, updated in place, and loads what the book still needs", () => {
    const path = createMigratedDb();
    const log = openAlertLog({ url: `file:${path}` });
    log.write(change(alert("a")));
    log.write(change(alert("a", { count: 3, lastSeen: 9, severity: "critical" }), "REPEATED"));
    log.write(change(alert("b", { acknowledgedAt: 5, acknowledgedBy: "tina", acknowledgeReason: "seen", status: "RESOLVED", resolvedAt: 4 }), "ACKNOWLEDGED"));
    log.write(change(alert("c", { acknowledgedAt: 5, acknowledgedBy: "tina", acknowledgeReason: "seen" }), "ACKNOWLEDGED"));
    // b is done (resolved and acknowledged); c is acknowledged but its condition goes on (a resolve still applies to it).
    expect(log.loadCurrent().map((r) => [r.id, r.count, r.severity])).toEqual([
      ["a", 3, "critical"],
      ["c", 1, "warning"],
    ]);
    log.close();
  });

  it("prunes the history to the newest rows it keeps", () => {
    const path = createMigratedDb();
    const log = openAlertLog({ url: `file:${path}`, keep: 3, pruneEvery: 2 });
    for (let n = 1; n <= 6; n++) log.write(change(alert("a", { count: n, lastSeen: n }), n === 1 ? "RAISED" : "REPEATED"));
    log.close();
    const db = new Database(path, { readonly: true });
    const rows = db.prepare("SELECT ts FROM alert_history ORDER BY id").all() as { ts: number }[];
    db.close();
    expect(rows.map((r) => r.ts)).toEqual([4, 5, 6]);
  });

  it("refuses a database without the table, saying how to fix it", () => {
    expect(() => openAlertLog({ url: `file:${createMigratedDb()}-missing.db` })).toThrow(/prisma migrate deploy/);
  });
});

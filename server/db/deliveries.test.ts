import Database from "better-sqlite3";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createMigratedDb } from "../../test/db";
import { openDeliveryLog, type DeliveryRecord } from "./deliveries";

const attempt = (n: number): DeliveryRecord => ({
  channel: "ops",
  notificationId: `ntf-${n}`,
  kind: "emergency",
  severity: "critical",
  attempt: 1,
  ts: 1_700_000_000_000 + n,
  outcome: n % 2 === 0 ? "delivered" : "failed",
  error: n % 2 === 0 ? null : "connect ECONNREFUSED 127.0.0.1:9 (ECONNREFUSED)",
  nextAttemptAt: n % 2 === 0 ? null : 1_700_000_002_000 + n,
});

function ids(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare("SELECT notificationId FROM notification_deliveries ORDER BY id").all() as { notificationId: string }[]).map((r) => r.notificationId);
  } finally {
    db.close();
  }
}

describe("SqliteDeliveryLog", () => {
  it("records every attempt whole and tells its listeners", () => {
    const path = createMigratedDb();
    const log = openDeliveryLog({ url: `file:${path}` });
    const heard: DeliveryRecord[] = [];
    log.subscribe((a) => heard.push(a));
    log.record(attempt(1));
    log.record(attempt(2));
    log.close();
    expect(heard.map((a) => a.notificationId)).toEqual(["ntf-1", "ntf-2"]);
    const db = new Database(path, { readonly: true });
    expect(
      db.prepare("SELECT channel, notificationId, kind, severity, attempt, ts, outcome, error, nextAttemptAt FROM notification_deliveries ORDER BY id").all(),
    ).toEqual([attempt(1), attempt(2)]);
    db.close();
  });

  it("keeps the newest rows only: prunes every few writes and at open", () => {
    const path = createMigratedDb();
    const log = openDeliveryLog({ url: path, keep: 3, pruneEvery: 4 });
    for (let n = 1; n <= 4; n++) log.record(attempt(n));
    // The fourth write pruned down to the newest three.
    expect(ids(path)).toEqual(["ntf-2", "ntf-3", "ntf-4"]);
    log.record(attempt(5));
    log.record(attempt(6));
    expect(ids(path)).toHaveLength(5);
    log.close();
    openDeliveryLog({ url: path, keep: 3 }).close();
    expect(ids(path)).toEqual(["ntf-4", "ntf-5", "ntf-6"]);
  });

  it("refuses a database that is not migrated, in words", () => {
    const path = join(mkdtempSync(join(tmpdir(), "bastion-deliveries-")), "empty.db");
    expect(() => openDeliveryLog({ url: path })).toThrow(
      "The database is not migrated: run npx prisma migrate deploy (it lacks the table notification_deliveries).",
    );
  });
});

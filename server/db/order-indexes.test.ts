/**
 * The orders' and the journal's indexes: each one is a page written at every commit that touches its table (issue 10:
 * placing 10,000 resting orders), so each one must serve a read. The Orders page's status filter reads newest first
 * through (status, createdAt); nothing reads the journal by time, so it has no time index.
 */
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMigratedDb } from "../../test/db";

let db: Database.Database;
beforeAll(() => {
  db = new Database(createMigratedDb());
});
afterAll(() => db.close());

const plan = (sql: string, ...args: unknown[]): string => {
  const rows = db.prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`).all(...args);
  return rows.map((r) => r.detail).join(" | ");
};

describe("order indexes", () => {
  it("the Orders page's status filter reads newest first through (status, createdAt), without sorting every order of the status", () => {
    // What Prisma sends for orderRows({ status: { in: [s] } }) (server/db/queries/orders.ts).
    const lines = plan(
      `SELECT "clientOrderId", "createdAt", "data" FROM "orders" WHERE "status" IN (?) ORDER BY "createdAt" DESC, "clientOrderId" DESC LIMIT ? OFFSET ?`,
      "FILLED",
      51,
      0,
    );
    expect(lines).toMatch(/SEARCH orders USING INDEX orders_status_createdAt_idx \(status=\?\)/);
    // Only the tie-break on clientOrderId is sorted, among rows of one createdAt; never the whole status.
    expect(lines).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
  });

  it("the journal is read by order and by seq, and has no index on ts", () => {
    expect(plan(`SELECT * FROM order_events WHERE clientOrderId = ? ORDER BY seq`, "x")).toMatch(/USING INDEX order_events_clientOrderId_seq_idx/);
    const indexes = db.prepare<[], { name: string }>(`SELECT name FROM pragma_index_list('order_events')`).all();
    expect(indexes.map((i) => i.name).sort()).toEqual(["order_events_clientOrderId_seq_idx"]);
  });
});

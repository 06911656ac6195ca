/**
 * The simulated exchange with its tables in Bastion's database (SimVenue `desk`): a new order's intent, the exchange's
 * rows and its acceptance commit in one transaction, and a rollback of that transaction leaves neither side with the
 * order (the exchange stops instead of going on from its memory). The crash test runs the same desk under SIGKILL.
 */
import Database from "better-sqlite3";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { openSqliteStore, type SqliteStore } from "../db/sqlite-store";
import type { Store } from "../db/store";
import { createMigratedDb } from "../../test/db";
import { BTC } from "../../test/instruments";
import { SimVenue } from "../venues/sim/sim-venue";
import { Engine } from "./engine";
import type { Actor } from "./types";

const T0 = Date.UTC(2024, 0, 2, 12, 0, 0);
const tina: Actor = { username: "tina", role: "trader" };
const RESTING = { symbol: "BTC/USDT", side: "BUY" as const, type: "LIMIT" as const, quantity: "0.01", price: "15000" };

const cleanup: string[] = [];
afterEach(() => {
  for (const dir of cleanup.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * The real store behind a proxy that counts the transactions that commit (the outermost ones) and can make the next
 * call of one method fail as SQLite would.
 */
function watchedStore(sqlite: SqliteStore) {
  const counts = { commits: 0 };
  const armed = new Map<string | symbol, Error>();
  const outermost = <T>(fn: () => T): T => {
    if (!sqlite.database.inTransaction) counts.commits++;
    return sqlite.transaction(fn);
  };
  const store = new Proxy(sqlite, {
    get(target, prop, receiver) {
      if (prop === "transaction") return outermost;
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const error = armed.get(prop);
        if (error) {
          armed.delete(prop);
          throw error;
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: store as Store, counts, outermost, failNext: (method: keyof Store, code: string) => armed.set(method, new Database.SqliteError(code, code)) };
}

async function desk(where: "desk" | "own file") {
  const dbPath = createMigratedDb();
  cleanup.push(dirname(dbPath));
  const clock = new ManualClock(T0);
  const sqlite = openSqliteStore({ path: dbPath, clock });
  const watched = watchedStore(sqlite);
  const config = { instruments: [BTC], initialBalances: { USDT: "10000" } };
  const venue =
    where === "desk"
      ? new SimVenue(config, { desk: { database: sqlite.database, transaction: watched.outermost } })
      : new SimVenue(config, { statePath: `${dirname(dbPath)}/venue.db`, synchronous: "NORMAL" });
  const engine = new Engine({ venue, store: watched.store, clock, ids: sequentialIds(), initialEquity: "10000", breaker: null });
  await engine.start();
  clock.advance(1000);
  await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 19999.5, ask: 20000.5 });
  const reopen = () => new SimVenue(config, where === "desk" ? { desk: sqlite } : { statePath: `${dirname(dbPath)}/venue.db` });
  return { engine, sqlite, venue, clock, dbPath, reopen, ...watched };
}

function journal(sqlite: SqliteStore, clientOrderId: string): string[] {
  return (sqlite.database.prepare("SELECT type FROM order_events WHERE clientOrderId = ? ORDER BY seq").all(clientOrderId) as { type: string }[]).map(
    (r) => r.type,
  );
}

describe("the simulated exchange in Bastion's database", () => {
  it("commits a resting limit's intent, the exchange's rows and its acceptance in one transaction (with a file of its own: two of Bastion's and one in the file)", async () => {
    for (const [where, commits] of [
      ["desk", 1],
      ["own file", 2],
    ] as const) {
      const d = await desk(where);
      d.counts.commits = 0;
      const placed = await d.engine.execute({ kind: "manualOrder", order: RESTING, actor: tina, reason: null });
      expect(placed, where).toMatchObject({ ok: true, data: { status: "ACCEPTED" } });
      const clientOrderId = String(placed.ok && placed.data?.clientOrderId);
      // Bastion's own commits (the file of its own commits a third time, in its file).
      expect(d.counts.commits, where).toBe(commits);
      expect(journal(d.sqlite, clientOrderId), where).toEqual(["intent", "submit", "accept"]);
      expect(
        d.engine.state().openOrders.map((o) => `${o.clientOrderId} ${o.status}`),
        where,
      ).toEqual([`${clientOrderId} ACCEPTED`]);
      // The exchange, restored from what committed, holds the order.
      await d.venue.close();
      const restored = d.reopen();
      expect((await restored.fetchOpenOrders()).map((o) => `${o.clientOrderId} ${o.status}`)).toEqual([`${clientOrderId} ACCEPTED`]);
      await restored.close();
      d.sqlite.close();
    }
  });

  it("a marketable order's fill is ingested after the commit, as from any venue", async () => {
    const d = await desk("desk");
    const placed = await d.engine.execute({ kind: "manualOrder", order: { ...RESTING, price: "20001" }, actor: tina, reason: null });
    expect(placed).toMatchObject({ ok: true, data: { status: "FILLED" } });
    const clientOrderId = String(placed.ok && placed.data?.clientOrderId);
    expect(journal(d.sqlite, clientOrderId)).toEqual(["intent", "submit", "accept", "fill"]);
    const fills = d.sqlite.database.prepare("SELECT COUNT(*) AS n FROM sim_fills WHERE client_order_id = ?").get(clientOrderId) as { n: number };
    expect(fills.n).toBe(1);
    await d.venue.close();
    d.sqlite.close();
  });

  it("when the transaction rolls back after the exchange wrote into it, neither side keeps the order and the exchange stops", async () => {
    const d = await desk("desk");
    // The audit row is the last write of the intent's transaction, after the exchange's rows.
    d.failNext("appendAudit", "SQLITE_FULL");
    const placed = await d.engine.execute({ kind: "manualOrder", order: RESTING, actor: tina, reason: null });
    expect(placed).toMatchObject({ ok: false, error: { code: "STORE_ERROR" } });
    expect(d.engine.state().openOrders).toEqual([]);
    expect((d.sqlite.database.prepare("SELECT COUNT(*) AS n FROM orders").get() as { n: number }).n).toBe(0);
    expect((d.sqlite.database.prepare("SELECT COUNT(*) AS n FROM sim_orders").get() as { n: number }).n).toBe(0);
    // The exchange's memory is ahead of what committed: it refuses to go on until restarted.
    expect(d.venue.status().connected).toBe(false);
    expect(d.venue.status().lastError).toContain("SIM_STATE_WRITE_FAILED");
    await d.venue.close();
    const restored = d.reopen();
    expect(await restored.fetchOpenOrders()).toEqual([]);
    await restored.close();
    d.sqlite.close();
  });
});

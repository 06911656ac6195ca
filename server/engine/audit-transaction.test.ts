/**
 * Everything manual is audited in the same transaction as the command it records (DESIGN invariant 9, issue 9
 * item 6): the audit row of a manual order commits with the order's intent, before the venue hears of it, so a crash
 * after the venue call cannot leave a sent order without its audit row. On a real SQLite file; what is committed is
 * read through a second connection from inside the venue's own call.
 */
import Database from "better-sqlite3";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import type { OrderSpec } from "../core/orders";
import { openSqliteStore } from "../db/sqlite-store";
import { createMigratedDb } from "../../test/db";
import { SimVenue } from "../venues/sim/sim-venue";
import { Engine } from "./engine";
import type { Actor } from "./types";
import { BTC } from "../../test/instruments";

const T0 = Date.UTC(2024, 0, 2, 12, 0, 0);
const tina: Actor = { username: "tina", role: "trader" };

type CommittedRow = { action: string; actor: string; result: string; detail: string | null };

/** The simulator; at each submit and cancel it notes the audit rows committed at that moment (a second connection). */
class WitnessVenue extends SimVenue {
  readonly seenAtSubmit: CommittedRow[][] = [];
  readonly seenAtCancel: CommittedRow[][] = [];
  rejectNext: string | null = null;
  constructor(private readonly dbPath: string) {
    super({ instruments: [BTC], initialBalances: { USDT: "10000" } });
  }
  committedAudit(): CommittedRow[] {
    const db = new Database(this.dbPath, { readonly: true });
    try {
      return db.prepare("SELECT action, actor, result, detail FROM audit_log ORDER BY id").all() as CommittedRow[];
    } finally {
      db.close();
    }
  }
  override submit(spec: OrderSpec, now: number) {
    this.seenAtSubmit.push(this.committedAudit());
    if (this.rejectNext !== null) {
      const why = this.rejectNext;
      this.rejectNext = null;
      throw new Error(why);
    }
    return super.submit(spec, now);
  }
  override cancel(clientOrderId: string, now: number) {
    this.seenAtCancel.push(this.committedAudit());
    return super.cancel(clientOrderId, now);
  }
}

const cleanup: string[] = [];
afterEach(() => {
  for (const dir of cleanup.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function deskOnSqlite() {
  const dbPath = createMigratedDb();
  cleanup.push(dirname(dbPath));
  const clock = new ManualClock(T0);
  const store = openSqliteStore({ path: dbPath, clock });
  // The real store, except that `failNextAudit()` makes the next audit write fail as a full disk would.
  let auditFails = false;
  const faulty = new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (prop === "appendAudit" && auditFails) {
          auditFails = false;
          throw new Database.SqliteError("database or disk is full", "SQLITE_FULL");
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const venue = new WitnessVenue(dbPath);
  const engine = new Engine({ venue, store: faulty, clock, ids: sequentialIds(), initialEquity: "10000", breaker: null });
  await engine.start();
  clock.advance(1000);
  await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 19999.5, ask: 20000.5 });
  return { engine, venue, store, failNextAudit: () => (auditFails = true) };
}

const limitBuy = { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.001", price: "19000" } as const;

describe("the audit row of a manual command commits with its first change", () => {
  it("a manual order's audit row is committed before the venue is called, and is the only row", async () => {
    const { engine, venue, store } = await deskOnSqlite();
    const result = await engine.execute({ kind: "manualOrder", order: limitBuy, actor: tina, reason: "dip buy" });
    expect(result).toMatchObject({ ok: true });
    const clientOrderId = result.ok ? String(result.data?.clientOrderId) : "";
    expect(venue.seenAtSubmit).toEqual([
      [{ action: "manual_order", actor: "tina", result: "OK", detail: `accepted: order ${clientOrderId} journaled before it is sent to ${venue.id}` }],
    ]);
    expect(store.listAudit().map((a) => `${a.action}:${a.result}`)).toEqual(["manual_order:OK"]);
  });

  it("a manual cancel's audit row is committed before the venue is asked to cancel", async () => {
    const { engine, venue, store } = await deskOnSqlite();
    const placed = await engine.execute({ kind: "manualOrder", order: limitBuy, actor: tina, reason: null });
    const clientOrderId = placed.ok ? String(placed.data?.clientOrderId) : "";
    expect(await engine.execute({ kind: "cancelOrder", clientOrderId, actor: tina, reason: "changed my mind" })).toMatchObject({ ok: true });
    expect(venue.seenAtCancel.map((rows) => rows.map((r) => `${r.action}:${r.result}`))).toEqual([["manual_order:OK", "cancel_order:OK"]]);
    expect(store.listAudit().map((a) => `${a.action}:${a.result}`)).toEqual(["manual_order:OK", "cancel_order:OK"]);
  });

  it("an order the venue rejects after its intent committed keeps the accepted row and gets a second row with the outcome", async () => {
    const { engine, venue, store } = await deskOnSqlite();
    venue.rejectNext = "insufficient balance (simulated)";
    const result = await engine.execute({ kind: "manualOrder", order: limitBuy, actor: tina, reason: null });
    expect(result).toMatchObject({ ok: false, error: { code: "VENUE_REJECTED" } });
    expect(venue.seenAtSubmit.map((rows) => rows.map((r) => `${r.action}:${r.result}`))).toEqual([["manual_order:OK"]]);
    const rows = store.listAudit();
    expect(rows.map((a) => `${a.action}:${a.result}`)).toEqual(["manual_order:OK", "manual_order:REFUSED"]);
    expect(rows[1]?.detail).toContain("VENUE_REJECTED: insufficient balance (simulated)");
  });

  it("an audit row that cannot be written undoes the order's intent with it: the venue never hears of an unaudited order", async () => {
    const { engine, venue, store, failNextAudit } = await deskOnSqlite();
    failNextAudit();
    const result = await engine.execute({ kind: "manualOrder", order: limitBuy, actor: tina, reason: null });
    expect(result).toMatchObject({ ok: false, error: { code: "STORE_ERROR" } });
    expect(venue.seenAtSubmit).toEqual([]);
    expect(store.loadOrders({ onlyOpen: false })).toEqual([]);
    expect(engine.state().openOrders).toEqual([]);
    // The failure itself is audited once the store works again (the first transaction did not mark the row written).
    expect(store.listAudit().map((a) => `${a.action}:${a.result}`)).toEqual(["manual_order:ERROR"]);
    expect(await engine.execute({ kind: "manualOrder", order: limitBuy, actor: tina, reason: null })).toMatchObject({ ok: true });
    expect(store.listAudit().map((a) => `${a.action}:${a.result}`)).toEqual(["manual_order:ERROR", "manual_order:OK"]);
  });

  it("a pause whose audit row cannot be written is not committed either; once written, the row and the state commit together", async () => {
    const { engine, store, failNextAudit } = await deskOnSqlite();
    failNextAudit();
    expect(await engine.execute({ kind: "pause", actor: tina, reason: "lunch" })).toMatchObject({ ok: false, error: { code: "STORE_ERROR" } });
    expect(store.getState("tradingState") ?? "ACTIVE").toBe("ACTIVE");
    expect(engine.state().tradingState).toBe("ACTIVE");
    expect(await engine.execute({ kind: "pause", actor: tina, reason: "lunch" })).toMatchObject({ ok: true });
    expect(engine.state().tradingState).not.toBe("ACTIVE");
    expect(store.getState("tradingState")).toBe(engine.state().tradingState);
    expect(store.listAudit().map((a) => `${a.action}:${a.result}`)).toEqual(["pause:ERROR", "pause:OK"]);
    expect(store.listAudit()[1]?.detail).toBe("accepted: its first change committed");
  });

  it("a refusal that changes nothing writes exactly one row, and the venue never hears of it", async () => {
    const { engine, venue, store } = await deskOnSqlite();
    const result = await engine.execute({ kind: "cancelOrder", clientOrderId: "no-such-order", actor: tina, reason: null });
    expect(result).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    expect(venue.seenAtCancel).toEqual([]);
    expect(store.listAudit().map((a) => `${a.action}:${a.result}:${a.detail}`)).toEqual(["cancel_order:REFUSED:NOT_FOUND: Order no-such-order is not open."]);
  });
});

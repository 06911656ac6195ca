/**
 * The books and memory never disagree (issue 9, item 5): a store error inside a handler leaves memory as the
 * database has it, the command fails in words, the engine says it is degraded, and nothing uncommitted reaches
 * the venue. On a real SQLite file; failures injected by a wrapper (SQLITE_FULL, SQLITE_BUSY) or by a trigger.
 */
import Database from "better-sqlite3";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import type { OrderSpec } from "../core/orders";
import { openSqliteStore, type SqliteStore } from "../db/sqlite-store";
import type { Store } from "../db/store";
import { createMigratedDb } from "../../test/db";
import { SimVenue } from "../venues/sim/sim-venue";
import { Engine, type EngineOptions } from "./engine";
import type { Actor, Signal } from "./types";
import { BTC } from "../../test/instruments";

const T0 = Date.UTC(2024, 0, 2, 12, 0, 0);
const tina: Actor = { username: "tina", role: "trader" };

/** The simulator, counting what reaches it. */
class CountingVenue extends SimVenue {
  readonly submitted: string[] = [];
  readonly canceled: string[] = [];
  override submit(spec: OrderSpec, now: number) {
    this.submitted.push(`${spec.side} ${spec.quantity.toString()}`);
    return super.submit(spec, now);
  }
  override cancel(clientOrderId: string, now: number) {
    this.canceled.push(clientOrderId);
    return super.cancel(clientOrderId, now);
  }
  override cancelAll(symbol: string | undefined, now: number) {
    this.canceled.push(`all ${symbol ?? "symbols"}`);
    return super.cancelAll(symbol, now);
  }
}

/** The real SQLite store; `failNext(method, code)` makes the next call of that method throw as SQLite would. */
function faultyStore(store: SqliteStore): { store: Store; failNext: (method: keyof Store, code: string, message: string) => void } {
  const armed = new Map<string | symbol, Error>();
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
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
  return {
    store: proxy,
    failNext: (method, code, message) => armed.set(method, new Database.SqliteError(message, code)),
  };
}

const cleanup: string[] = [];
afterEach(() => {
  for (const dir of cleanup.splice(0)) rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function signal(action: Signal["action"]): Signal {
  return { id: `sig-${++n}`, symbol: "BTC/USDT", action, confidence: 0.8, strategy: "test", ts: T0 };
}

async function deskOnSqlite(breaker: EngineOptions["breaker"] = null) {
  const dbPath = createMigratedDb();
  cleanup.push(dirname(dbPath));
  const clock = new ManualClock(T0);
  const sqlite = openSqliteStore({ path: dbPath, clock });
  const { store, failNext } = faultyStore(sqlite);
  const venue = new CountingVenue({ instruments: [BTC], initialBalances: { USDT: "10000" } });
  const engine = new Engine({
    venue,
    store,
    clock,
    ids: sequentialIds(),
    initialEquity: "10000",
    breaker,
    defaultSymbolSettings: {
      minConfidence: 0.5,
      sizing: { method: "fixed_fraction", fraction: 0.2 },
      stopLossPct: 2,
      takeProfitLevels: [],
      trailing: null,
      maxAgeMinutes: null,
    },
  });
  const alerts: string[] = [];
  engine.bus.subscribe((e) => {
    if (e.type === "alert") alerts.push(e.message);
  });
  await engine.start();
  clock.advance(1000);
  await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 19999.5, ask: 20000.5 });
  return { engine, sqlite, failNext, venue, clock, dbPath, alerts };
}

/** What the engine holds in memory, as plain values to compare. */
function memory(engine: Engine) {
  const state = engine.state();
  return {
    orders: state.openOrders.map((o) => `${o.clientOrderId} ${o.status}`),
    positions: state.positions.map((p) => `${p.position.id} ${p.position.state} ${p.position.quantity.toString()} ${JSON.stringify(p.exit?.config ?? null)}`),
    tradingState: state.tradingState,
    equity: state.equity.equity.toString(),
  };
}

/** What the books hold, in the same shape (a fresh connection: what is committed). */
function books(dbPath: string) {
  const store = openSqliteStore({ path: dbPath });
  try {
    return {
      orders: store.loadOrders({ onlyOpen: true }).map((o) => `${o.order.clientOrderId} ${o.order.status}`),
      positions: store.loadOpenPositions().map((p) => `${p.position.id} ${p.position.state} ${p.position.quantity.toString()}`),
    };
  } finally {
    store.close();
  }
}

describe("a store error inside a command", () => {
  it("a signal whose intent cannot be written fails in words; no order reaches the venue; memory is as before", async () => {
    const { engine, failNext, venue, dbPath, alerts } = await deskOnSqlite();
    const before = memory(engine);
    failNext("saveOrder", "SQLITE_FULL", "database or disk is full");
    const result = await engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    expect(result).toMatchObject({ ok: false, error: { code: "STORE_ERROR" } });
    expect(result.ok ? "" : result.error.message).toContain("SQLITE_FULL: database or disk is full");
    expect(venue.submitted).toEqual([]);
    expect(memory(engine)).toEqual(before);
    expect(books(dbPath)).toEqual({ orders: [], positions: [] });
    expect(engine.state().degraded).toMatchObject({ reason: "SQLITE_FULL: database or disk is full", errors: 1 });
    expect(engine.state().stopped).toBeNull();
    expect(alerts.at(-1)).toContain("The database refused a write");
    // The database works again: the desk trades (degraded stays shown until a restart).
    expect(await engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" })).toMatchObject({ ok: true });
    expect(venue.submitted).toEqual(["BUY 0.09999"]);
    expect(memory(engine).positions).toHaveLength(1);
    expect(books(dbPath).positions).toEqual(memory(engine).positions.map((p) => p.split(" ").slice(0, 3).join(" ")));
  });

  it("a close whose exit cannot be journaled leaves the position open (not closing) in memory and the books, audited as an error", async () => {
    const { engine, failNext, venue, dbPath, sqlite } = await deskOnSqlite();
    await engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    const positionId = engine.state().positions[0]!.position.id;
    const before = memory(engine);
    failNext("appendJournal", "SQLITE_BUSY", "database is locked");
    const result = await engine.execute({ kind: "closePosition", positionId, actor: tina, reason: "out" });
    expect(result).toMatchObject({ ok: false, error: { code: "STORE_ERROR" } });
    expect(venue.submitted).toEqual(["BUY 0.09999"]);
    expect(memory(engine)).toEqual(before);
    expect(memory(engine).positions[0]).toContain(" OPEN ");
    expect(books(dbPath).positions).toEqual([`${positionId} OPEN 0.09999`]);
    expect(sqlite.listAudit().map((a) => `${a.actor}:${a.action}:${a.result}`)).toEqual(["tina:close_position:ERROR"]);
    // Nothing is stuck: the close works on the next try.
    expect(await engine.execute({ kind: "closePosition", positionId, actor: tina, reason: "out" })).toMatchObject({ ok: true });
    expect(engine.state().positions).toHaveLength(0);
  });

  it("exit rules that cannot be saved stay as they were in memory", async () => {
    const { engine, failNext } = await deskOnSqlite();
    await engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    const positionId = engine.state().positions[0]!.position.id;
    const before = memory(engine);
    failNext("savePosition", "SQLITE_IOERR_WRITE", "disk I/O error");
    expect(await engine.execute({ kind: "setExits", positionId, stopLoss: 15000, actor: tina, reason: null })).toMatchObject({
      ok: false,
      error: { code: "STORE_ERROR" },
    });
    expect(memory(engine)).toEqual(before);
  });

  it("a write refused by the database itself (a trigger that RAISEs) fails the manual order before the venue hears of it", async () => {
    const { engine, venue, dbPath } = await deskOnSqlite();
    const raw = new Database(dbPath);
    raw.exec("CREATE TRIGGER refuse_orders BEFORE INSERT ON orders BEGIN SELECT RAISE(ABORT, 'disk quota exceeded'); END;");
    const before = memory(engine);
    const order = { symbol: "BTC/USDT", side: "BUY" as const, type: "LIMIT" as const, quantity: "0.001", price: "19000" };
    const result = await engine.execute({ kind: "manualOrder", order, actor: tina, reason: null });
    expect(result).toMatchObject({ ok: false, error: { code: "STORE_ERROR" } });
    expect(result.ok ? "" : result.error.message).toContain("disk quota exceeded");
    expect(venue.submitted).toEqual([]);
    expect(memory(engine)).toEqual(before);
    raw.exec("DROP TRIGGER refuse_orders;");
    raw.close();
    expect(await engine.execute({ kind: "manualOrder", order, actor: tina, reason: null })).toMatchObject({ ok: true });
    expect(venue.submitted).toEqual(["BUY 0.001"]);
  });

  it("a venue event that cannot be booked: memory reloaded from the books, engine degraded", async () => {
    const { engine, failNext } = await deskOnSqlite();
    await engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.001", price: "19990" },
      actor: tina,
      reason: null,
    });
    const before = memory(engine);
    failNext("insertFill", "SQLITE_FULL", "database or disk is full");
    // The market trades through the limit: the simulator fills it, and booking the fill fails.
    await expect(engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 19980, ask: 19981 })).rejects.toThrow(/SQLITE_FULL/);
    expect(memory(engine).orders).toEqual(before.orders);
    expect(memory(engine).positions).toEqual(before.positions);
    expect(engine.state().degraded).not.toBeNull();
  });
});

describe("no venue call for what did not commit", () => {
  it("a fill that closes a position but cannot be booked sends no cancel for the position's other orders", async () => {
    const { engine, failNext, venue } = await deskOnSqlite();
    // A person's position (the add below joins it: a person's orders belong to `manual`, issue 11).
    await engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.09999" },
      actor: tina,
      reason: "entry",
    });
    const add = await engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.001", price: "19000" },
      actor: tina,
      reason: "add on a dip",
    });
    const addId = add.ok ? (add.data?.clientOrderId as string) : "";
    await engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "SELL", type: "LIMIT", quantity: "0.09999", price: "20100" },
      actor: tina,
      reason: "take profit",
    });
    const before = memory(engine);
    // The take-profit fills and closes the position; the fill's transaction fails on its last write.
    failNext("appendEquity", "SQLITE_FULL", "database or disk is full");
    await expect(engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 20150, ask: 20151 })).rejects.toThrow(/SQLITE_FULL/);
    expect(venue.canceled).toEqual([]);
    expect(memory(engine).orders).toEqual(before.orders);
    expect(memory(engine).positions).toEqual(before.positions);
    // When it does commit, the cancel goes out after it.
    await engine.reconcile();
    expect(venue.canceled).toEqual([addId]);
    expect(engine.state().positions).toHaveLength(0);
  });
});

describe("a breaker trip inside a fill that cannot be booked", () => {
  it("sends no cancel-all: the trip's action waits for the fill's commit, and a failed one took the trip with it", async () => {
    const { engine, failNext, venue } = await deskOnSqlite({ maxConsecutiveLosses: 1, tripAction: "HALT_CANCEL" });
    await engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    const positionId = engine.state().positions[0]!.position.id;
    failNext("appendEquity", "SQLITE_FULL", "database or disk is full");
    // A losing close: its fill trips the breaker (one loss in a row), and booking it fails after the trip.
    expect(await engine.execute({ kind: "closePosition", positionId, actor: tina, reason: null })).toMatchObject({ ok: false, error: { code: "STORE_ERROR" } });
    expect(venue.canceled).toEqual([]);
    expect(engine.state().tradingState).toBe("ACTIVE");
    expect(engine.state().breaker?.state).toBe("CLOSED");
  });

  it("after a committed fill the trip acts as before: halted, every order canceled", async () => {
    const { engine, venue } = await deskOnSqlite({ maxConsecutiveLosses: 1, tripAction: "HALT_CANCEL" });
    await engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    const positionId = engine.state().positions[0]!.position.id;
    expect(await engine.execute({ kind: "closePosition", positionId, actor: tina, reason: null })).toMatchObject({ ok: true });
    expect(venue.canceled).toEqual(["all symbols"]);
    expect(engine.state().tradingState).toBe("HALTED");
  });
});

describe("stopping trading at once (a lost lease)", () => {
  it("a write fenced by a lease another engine took over: the command fails LEASE_LOST, nothing is sent, trading stops", async () => {
    const { engine, sqlite, venue, dbPath } = await deskOnSqlite();
    expect(sqlite.acquireLease({ ownerId: "A", pid: 1, host: "a", now: 0, staleAfterMs: 1_000 })).toEqual({ ok: true });
    expect(await engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" })).toMatchObject({ ok: true });
    const positionId = engine.state().positions[0]!.position.id;
    const other = openSqliteStore({ path: dbPath });
    expect(other.acquireLease({ ownerId: "B", pid: 2, host: "b", now: 5_000, staleAfterMs: 1_000 })).toEqual({ ok: true });
    const result = await engine.execute({ kind: "closePosition", positionId, actor: tina, reason: null });
    expect(result).toMatchObject({ ok: false, error: { code: "LEASE_LOST" } });
    expect(result.ok ? "" : result.error.message).toContain("another engine, pid 2 on b, took over the database");
    expect(venue.submitted).toEqual(["BUY 0.09999"]);
    expect(engine.state()).toMatchObject({ tradingState: "HALTED", stopped: { code: "LEASE_LOST" } });
    expect(await engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" })).toMatchObject({ ok: false, error: { code: "LEASE_LOST" } });
    expect(venue.submitted).toEqual(["BUY 0.09999"]);
    expect(other.loadOpenPositions().map((p) => p.position.state)).toEqual(["OPEN"]);
    other.close();
  });

  it("refuses every command and calls the venue no more", async () => {
    const { engine, venue } = await deskOnSqlite();
    await engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    const positionId = engine.state().positions[0]!.position.id;
    engine.stopTrading("LEASE_LOST", "another engine took over the database");
    expect(engine.state()).toMatchObject({ tradingState: "HALTED", stopped: { code: "LEASE_LOST" } });
    expect(await engine.execute({ kind: "closePosition", positionId, actor: tina, reason: null })).toMatchObject({ ok: false, error: { code: "LEASE_LOST" } });
    expect(await engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" })).toMatchObject({ ok: false, error: { code: "LEASE_LOST" } });
    expect(await engine.execute({ kind: "emergencyStop", flatten: true, actor: tina, reason: "x" })).toMatchObject({
      ok: false,
      error: { code: "LEASE_LOST" },
    });
    // The stop-loss would fire here: nothing is sent.
    await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 15000, ask: 15001 });
    expect(venue.submitted).toEqual(["BUY 0.09999"]);
    await expect(engine.reconcile()).rejects.toThrow(/stopped/);
  });
});

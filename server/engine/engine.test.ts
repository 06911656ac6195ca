import { dyingStore } from "../../test/dying-store";
import { resultMessage } from "./context";
import { VenueReads } from "../../test/venue-reads";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { D } from "../core/money";
import { MemoryStore } from "../db/memory-store";
import { openSqliteStore, type SqliteStore } from "../db/sqlite-store";
import type { Store } from "../db/store";
import { createMigratedDb } from "../../test/db";
import { SimVenue } from "../venues/sim/sim-venue";
import type { OrderSpec } from "../core/orders";
import type { MarketUpdate, OrderChanges, Venue, VenueEvent } from "../venues/venue";
import { Engine, type EngineOptions } from "./engine";
import type { Actor, EmergencyProgress, Signal } from "./types";
import { ManualTimers } from "../../test/manual-timers";
import { BTC, ETH } from "../../test/instruments";

const T0 = Date.UTC(2024, 0, 2, 12, 0, 0);
const trader: Actor = { username: "tina", role: "trader" };
const admin: Actor = { username: "ada", role: "admin" };

function venue(statePath?: string): SimVenue {
  return new SimVenue({ instruments: [BTC, ETH], initialBalances: { USDT: "10000" } }, statePath ? { statePath } : {});
}

interface Desk {
  engine: Engine;
  store: Store;
  clock: ManualClock;
  venue: SimVenue;
}

function desk(overrides: Partial<EngineOptions> = {}, store: Store = new MemoryStore(), simVenue = venue(), clock = new ManualClock(T0)): Desk {
  const engine = new Engine({
    venue: simVenue,
    store,
    clock,
    ids: sequentialIds(),
    initialEquity: "10000",
    breaker: {
      maxConsecutiveLosses: 3,
      maxDailyLossPct: 50,
      maxDrawdownPct: 50,
      maxOrdersPerMinute: 1000,
      maxOrdersPerHour: 10_000,
      tripAction: "HALT_CANCEL",
    },
    defaultSymbolSettings: {
      minConfidence: 0.5,
      sizing: { method: "fixed_fraction", fraction: 0.2 },
      stopLossPct: 2,
      takeProfitLevels: [
        { pct: 3, closeFraction: 0.5 },
        { pct: 6, closeFraction: 1 },
      ],
      trailing: null,
      maxAgeMinutes: 60,
    },
    ...overrides,
  });
  return { engine, store, clock, venue: simVenue };
}

/** A desk on the SQLite database and the durable venue file (as the runtime runs it). */
function onSqlite(dbPath: string, venuePath: string, clock: ManualClock): Desk {
  return desk({}, openSqliteStore({ path: dbPath, clock }), venue(venuePath), clock);
}

/** Closes the desk's database and venue file, as a stopped process leaves them. */
async function shutDown(d: Desk): Promise<void> {
  (d.store as SqliteStore).close();
  await d.venue.close();
}

async function quote(d: Desk, price: number, symbol = "BTC/USDT"): Promise<void> {
  d.clock.advance(1000);
  await d.engine.marketData({ kind: "quote", symbol, bid: price - 0.5, ask: price + 0.5 });
}

/** A fresh migrated database and the durable venue's file beside it; `cleanup` collects the folder for afterEach. */
function sqliteFiles(cleanup: string[]): { dbPath: string; venuePath: string } {
  const dbPath = createMigratedDb();
  cleanup.push(dirname(dbPath));
  return { dbPath, venuePath: `${dirname(dbPath)}/venue.db` };
}

/** The first process of a restart test: a desk on fresh files, started, with a 20000 quote for BTC/USDT. */
async function startedOnSqlite(cleanup: string[]): Promise<{ dbPath: string; venuePath: string; clock: ManualClock; a: Desk }> {
  const { dbPath, venuePath } = sqliteFiles(cleanup);
  const clock = new ManualClock(T0);
  const a = onSqlite(dbPath, venuePath, clock);
  await a.engine.start();
  await quote(a, 20000);
  return { dbPath, venuePath, clock, a };
}

/** A manual BUY limit on BTC/USDT; its clientOrderId ("" when refused). */
async function placeLimit(d: Desk, quantity = "0.001", price = "19000"): Promise<string> {
  const placed = await d.engine.execute({
    kind: "manualOrder",
    order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity, price },
    actor: trader,
    reason: null,
  });
  return placed.ok ? (placed.data?.clientOrderId as string) : "";
}

let n = 0;
function signal(action: Signal["action"], extra: Partial<Signal> = {}): Signal {
  return { id: `sig-${++n}`, symbol: "BTC/USDT", action, confidence: 0.8, strategy: "test", ts: T0, ...extra };
}

const history = (store: Store) => store as unknown as MemoryStore;

describe("signal → order → fill → position", () => {
  it("keeps the signal's row as its order wrote it when the order is the answer, and rewrites it when the venue rejects the order", async () => {
    // The order's journal transaction writes the row first (ACCEPTED with the order); the final row is written only
    // when it says something else.
    class RejectingVenue extends SimVenue {
      rejectNext: string | null = null;
      override submit(spec: OrderSpec, now: number) {
        const why = this.rejectNext;
        this.rejectNext = null;
        if (why !== null) throw new Error(why);
        return super.submit(spec, now);
      }
    }
    const sim = new RejectingVenue({ instruments: [BTC, ETH], initialBalances: { USDT: "10000" } });
    const d = desk({}, new MemoryStore(), sim);
    await d.engine.start();
    await quote(d, 20000);
    const saved: string[] = [];
    const store = d.store as MemoryStore;
    const save = store.saveSignal.bind(store);
    store.saveSignal = (row) => {
      saved.push(`${row.id}:${row.status}:${row.denyCode ?? "-"}:${row.clientOrderId ?? "-"}`);
      save(row);
    };
    const accepted = await d.engine.execute({ kind: "signal", signal: signal("BUY", { id: "s-ok" }), source: "test" });
    const coid = accepted.ok ? String(accepted.data?.clientOrderId) : "";
    expect(d.store.getSignal("s-ok")).toMatchObject({ status: "ACCEPTED", denyCode: null, clientOrderId: coid, source: "test" });
    expect(saved).toEqual([`s-ok:ACCEPTED:-:${coid}`]);
    await quote(d, 2000, "ETH/USDT");
    sim.rejectNext = "insufficient balance (simulated)";
    const rejected = await d.engine.execute({ kind: "signal", signal: signal("BUY", { id: "s-rej", symbol: "ETH/USDT" }), source: "test" });
    expect(rejected).toMatchObject({ ok: false, error: { code: "VENUE_REJECTED" } });
    expect(d.store.getSignal("s-rej")).toMatchObject({ status: "DENIED", denyCode: "VENUE_REJECTED", clientOrderId: null });
    expect(saved.slice(1).map((s) => s.split(":").slice(0, 3).join(":"))).toEqual(["s-rej:ACCEPTED:-", "s-rej:DENIED:VENUE_REJECTED"]);
  });

  it("sizes, journals and books a BUY signal", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, 20000);
    const result = await d.engine.execute({ kind: "signal", signal: signal("BUY", { id: "s-1" }), source: "test" });
    expect(result).toMatchObject({ ok: true });
    const state = d.engine.state();
    expect(state.positions).toHaveLength(1);
    const position = state.positions[0]!.position;
    // 20% of 10000 at the ask 20000.5 → 0.0999975… rounded down to the 0.00001 step
    expect(position.quantity.toString()).toBe("0.09999");
    expect(position.side).toBe("LONG");
    const coid = result.ok ? (result.data?.clientOrderId as string) : "";
    expect(d.store.journalFor(coid).map((e) => e.type)).toEqual(["intent", "submit", "accept", "fill"]);
    expect(d.store.fillsForOrder(coid)).toHaveLength(1);
    expect(d.store.getSignal("s-1")).toMatchObject({ status: "ACCEPTED", clientOrderId: coid });
    // equity = 10000 − fee + unrealized at the mid
    const fee = D("0.09999").times("20000.5").times("0.001");
    const unrealized = D("20000").minus("20000.5").times("0.09999");
    expect(state.equity.equity.toString()).toBe(D(10000).minus(fee).plus(unrealized).toString());
    // The marks it hands out are prices and a time (no cached Decimal rides along to the API).
    expect(state.marks).toEqual({ "BTC/USDT": { last: 20000, bid: 19999.5, ask: 20000.5, ts: T0 + 1000 } });
  });

  it("refuses a duplicate signal id and an unknown symbol, with codes", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, 20000);
    await d.engine.execute({ kind: "signal", signal: signal("BUY", { id: "dup" }), source: "test" });
    expect(await d.engine.execute({ kind: "signal", signal: signal("BUY", { id: "dup" }), source: "test" })).toMatchObject({
      ok: false,
      error: { code: "DUPLICATE_SIGNAL" },
    });
    expect(await d.engine.execute({ kind: "signal", signal: signal("BUY", { symbol: "DOGE/USDT" }), source: "test" })).toMatchObject({
      ok: false,
      error: { code: "UNKNOWN_SYMBOL" },
    });
    expect(await d.engine.execute({ kind: "signal", signal: signal("BUY", { confidence: 0.1 }), source: "test" })).toMatchObject({
      ok: false,
      error: { code: "MIN_CONFIDENCE" },
    });
    expect(await d.engine.execute({ kind: "signal", signal: signal("SELL", { symbol: "ETH/USDT" }), source: "test" })).toMatchObject({ ok: false });
    expect(
      history(d.store)
        .listSignals()
        .filter((s) => s.status === "DENIED"),
    ).toHaveLength(3);
  });

  it("a SELL signal closes the long with exit reason signal", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, 20000);
    await d.engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    await quote(d, 20100);
    expect(await d.engine.execute({ kind: "signal", signal: signal("SELL"), source: "test" })).toMatchObject({ ok: true });
    expect(d.engine.state().positions).toHaveLength(0);
    const [trade] = history(d.store).listTrades();
    expect(trade).toMatchObject({ exitReason: "signal", outcome: "WIN", side: "LONG" });
    // pnl = (19999.5... exit at the bid 20099.5) − entry at the ask 20000.5, minus both fees
    const qty = D("0.09999");
    const expected = D("20099.5").minus("20000.5").times(qty).minus(qty.times("20000.5").times("0.001")).minus(qty.times("20099.5").times("0.001"));
    expect(trade!.pnl.toString()).toBe(expected.toString());
  });
});

describe("exits on price updates", () => {
  it("stop-loss closes the position through a reduce-only order", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, 20000);
    await d.engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    await quote(d, 19700); // bid 19699.5: −1.5 %, above the 2 % stop
    expect(d.engine.state().positions).toHaveLength(1);
    await quote(d, 19500); // bid 19499.5 ≤ 20000.5 × 0.98
    expect(d.engine.state().positions).toHaveLength(0);
    const [trade] = history(d.store).listTrades();
    expect(trade).toMatchObject({ exitReason: "stop_loss", outcome: "LOSS" });
    const exitOrders = history(d.store)
      .listFills()
      .filter((f) => f.side === "SELL");
    expect(exitOrders).toHaveLength(1);
  });

  it("the take-profit ladder closes half, then the rest", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, 20000);
    await d.engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    await quote(d, 20700); // +3.5 % → level 1: half
    const after1 = d.engine.state().positions[0]!.position;
    expect(after1.quantity.toString()).toBe("0.05"); // 0.09999 − floor(0.049995, 0.00001) = 0.09999 − 0.04999
    await quote(d, 21300); // +6.5 % → level 2: the rest
    expect(d.engine.state().positions).toHaveLength(0);
    expect(history(d.store).listTrades()[0]).toMatchObject({ exitReason: "take_profit", outcome: "WIN" });
  });

  it("maximum age closes an old position", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, 20000);
    await d.engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    d.clock.advance(61 * 60_000);
    await quote(d, 20010);
    expect(history(d.store).listTrades()[0]).toMatchObject({ exitReason: "max_age" });
  });
});

describe("manual actions, pause, emergency stop and the breaker", () => {
  it("closes a position by hand (audited) and partially", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, 20000);
    await d.engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    const id = d.engine.state().positions[0]!.position.id;
    expect(await d.engine.execute({ kind: "closePosition", positionId: id, fraction: 0.5, actor: trader, reason: "trim" })).toMatchObject({ ok: true });
    expect(d.engine.state().positions[0]!.position.quantity.toString()).toBe("0.05");
    expect(await d.engine.execute({ kind: "closePosition", positionId: id, actor: trader, reason: "done" })).toMatchObject({ ok: true });
    expect(history(d.store).listTrades()[0]).toMatchObject({ exitReason: "manual" });
    const audit = history(d.store).listAudit();
    expect(audit.map((a) => [a.actor, a.action, a.result])).toEqual([
      ["tina", "close_position", "OK"],
      ["tina", "close_position", "OK"],
    ]);
    expect(await d.engine.execute({ kind: "closePosition", positionId: id, actor: trader, reason: null })).toMatchObject({
      ok: false,
      error: { code: "NOT_FOUND" },
    });
    expect(history(d.store).listAudit().at(-1)).toMatchObject({ result: "REFUSED" });
  });

  it("closing a position first cancels its resting reduce-only orders, which would hold the coins", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, 20000);
    await d.engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    const position = d.engine.state().positions[0]!.position;
    const tp = await d.engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "SELL", type: "LIMIT", quantity: position.quantity.toString(), price: "25000" },
      actor: trader,
      reason: "take profit",
    });
    expect(tp).toMatchObject({ ok: true, data: { status: "ACCEPTED" } });
    expect(await d.engine.execute({ kind: "closePosition", positionId: position.id, actor: trader, reason: "out" })).toMatchObject({ ok: true });
    expect(d.engine.state().positions).toHaveLength(0);
    expect(d.engine.state().openOrders).toHaveLength(0);
    expect(history(d.store).listTrades()[0]).toMatchObject({ exitReason: "manual" });
  });

  it("a CLOSE signal while the entry is still resting cancels the entry instead of doing nothing", async () => {
    // The strategy's own entry, still on its way to a venue that answers later (issue 11: a CLOSE touches only its
    // strategy's orders; an operator's resting order on the symbol is left alone, strategies.test.ts).
    const deferred = new DeferredVenue(venue());
    const d = desk({}, new MemoryStore(), deferred as unknown as SimVenue);
    await d.engine.start();
    await quote(d, 20000);
    // The venue takes the entry and has not filled it yet; it confirms the cancel later.
    deferred.inner.submit = (spec, now) => [{ clientOrderId: spec.clientOrderId, event: { type: "accept", ts: now } }];
    deferred.inner.cancel = (clientOrderId, now) => [{ clientOrderId, event: { type: "cancel", ts: now } }];
    const entry = await d.engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    expect(entry).toMatchObject({ ok: true, data: { status: "SUBMITTED" } });
    await deferred.flush();
    const closed = await d.engine.execute({ kind: "signal", signal: signal("CLOSE"), source: "test" });
    expect(closed).toMatchObject({ ok: true });
    expect(!closed.ok || closed.message).toMatch(/1 pending entry order\(s\) canceled/);
    await deferred.flush();
    expect(d.engine.state().openOrders).toHaveLength(0);
    expect(d.engine.state().positions).toHaveLength(0);
  });

  it("pause allows only reducing orders; resume restores entries", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, 20000);
    await d.engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    await d.engine.execute({ kind: "pause", actor: trader, reason: "lunch" });
    expect(await d.engine.execute({ kind: "signal", signal: signal("BUY", { symbol: "ETH/USDT" }), source: "test" })).toMatchObject({ ok: false });
    await quote(d, 1500, "ETH/USDT");
    expect(await d.engine.execute({ kind: "signal", signal: signal("BUY", { symbol: "ETH/USDT" }), source: "test" })).toMatchObject({
      ok: false,
      error: { code: "REDUCING_ONLY" },
    });
    expect(await d.engine.execute({ kind: "signal", signal: signal("CLOSE"), source: "test" })).toMatchObject({ ok: true });
    await d.engine.execute({ kind: "resume", actor: trader, reason: null });
    expect(await d.engine.execute({ kind: "signal", signal: signal("BUY", { symbol: "ETH/USDT" }), source: "test" })).toMatchObject({ ok: true });
  });

  it("emergency stop: HALTED, every order canceled, positions flattened, entries denied until an admin reset", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, 20000);
    await quote(d, 1500, "ETH/USDT");
    await d.engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    await d.engine.execute({ kind: "signal", signal: signal("BUY", { symbol: "ETH/USDT" }), source: "test" });
    // two resting orders: a limit buy and a stop
    expect(
      await d.engine.execute({
        kind: "manualOrder",
        order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.001", price: "19000" },
        actor: trader,
        reason: "dip",
      }),
    ).toMatchObject({ ok: true });
    expect(
      await d.engine.execute({
        kind: "manualOrder",
        order: { symbol: "ETH/USDT", side: "BUY", type: "STOP_MARKET", quantity: "0.01", triggerPrice: "1600" },
        actor: trader,
        reason: "breakout",
      }),
    ).toMatchObject({ ok: true });
    expect(d.engine.state().openOrders).toHaveLength(2);

    const stop = await d.engine.execute({ kind: "emergencyStop", flatten: true, actor: trader, reason: "exchange outage" });
    expect(stop).toMatchObject({
      ok: true,
      data: { progress: { step: "done", ordersToCancel: 2, ordersCanceled: 2, positionsToFlatten: 2, positionsFlattened: 2 } },
    });
    const state = d.engine.state();
    expect(state.tradingState).toBe("HALTED");
    expect(state.openOrders).toHaveLength(0);
    expect(state.positions).toHaveLength(0);
    expect((await d.venue.fetchOpenOrders()).length).toBe(0);
    expect(
      history(d.store)
        .listTrades()
        .map((t) => t.exitReason),
    ).toEqual(["emergency_stop", "emergency_stop"]);
    expect(await d.engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" })).toMatchObject({ ok: false, error: { code: "TRADING_HALTED" } });
    expect(await d.engine.execute({ kind: "resume", actor: trader, reason: null })).toMatchObject({ ok: false, error: { code: "TRADING_HALTED" } });
    expect(await d.engine.execute({ kind: "resetBreaker", actor: trader, reason: "ok now" })).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    expect(await d.engine.execute({ kind: "resetBreaker", actor: admin, reason: "" })).toMatchObject({ ok: false, error: { code: "REASON_REQUIRED" } });
    expect(await d.engine.execute({ kind: "resetBreaker", actor: admin, reason: "outage over" })).toMatchObject({ ok: true });
    expect(d.engine.state().tradingState).toBe("ACTIVE");
    expect(await d.engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" })).toMatchObject({ ok: true });
    const actions = history(d.store)
      .listAudit()
      .map((a) => `${a.actor}:${a.action}:${a.result}`);
    expect(actions).toContain("tina:emergency_stop:OK");
    expect(actions).toContain("ada:reset_breaker:OK");
    expect(actions).toContain("tina:reset_breaker:REFUSED");
  });

  it("three losing trades in a row trip the breaker and halt", async () => {
    const d = desk();
    await d.engine.start();
    for (let i = 0; i < 3; i++) {
      await quote(d, 20000);
      await d.engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
      await quote(d, 19900);
      await d.engine.execute({ kind: "signal", signal: signal("SELL"), source: "test" });
    }
    const state = d.engine.state();
    expect(state.tradingState).toBe("HALTED");
    expect(state.breaker).toMatchObject({ state: "OPEN", reason: "CONSECUTIVE_LOSSES" });
    expect(
      history(d.store)
        .listBreakerEvents()
        .some((e) => e.kind === "TRIP" && e.reason === "CONSECUTIVE_LOSSES"),
    ).toBe(true);
    await quote(d, 20000);
    expect(await d.engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" })).toMatchObject({ ok: false, error: { code: "TRADING_HALTED" } });
  });

  it("edits a position's stop-loss and refuses one on the wrong side", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, 20000);
    await d.engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    const id = d.engine.state().positions[0]!.position.id;
    expect(await d.engine.execute({ kind: "setExits", positionId: id, stopLoss: 20500, actor: trader, reason: null })).toMatchObject({
      ok: false,
      error: { code: "STOP_WRONG_SIDE" },
    });
    expect(await d.engine.execute({ kind: "setExits", positionId: id, takeProfit: 19000, actor: trader, reason: null })).toMatchObject({
      ok: false,
      error: { code: "TAKE_PROFIT_WRONG_SIDE" },
    });
    expect(await d.engine.execute({ kind: "setExits", positionId: id, stopLoss: 19900, actor: trader, reason: null })).toMatchObject({ ok: true });
    await quote(d, 19850);
    expect(history(d.store).listTrades()[0]).toMatchObject({ exitReason: "stop_loss" });
  });
});

describe("restart and reconciliation on SQLite", () => {
  const cleanup: string[] = [];
  afterEach(() => {
    for (const dir of cleanup.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("restores orders, positions and the halted state after a restart", async () => {
    const { dbPath, venuePath, clock, a } = await startedOnSqlite(cleanup);
    await a.engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    await a.engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.001", price: "19000" },
      actor: trader,
      reason: null,
    });
    await a.engine.execute({ kind: "pause", actor: trader, reason: "test" });
    const before = a.engine.state();
    await shutDown(a);

    const b = onSqlite(dbPath, venuePath, clock);
    const { drifts } = await b.engine.start();
    expect(drifts).toBe(0);
    const after = b.engine.state();
    expect(after.tradingState).toBe("REDUCING");
    expect(after.openOrders.map((o) => o.clientOrderId)).toEqual(before.openOrders.map((o) => o.clientOrderId));
    expect(after.positions.map((p) => p.position.quantity.toString())).toEqual(before.positions.map((p) => p.position.quantity.toString()));
    expect(after.positions[0]!.exit?.config.stopLoss).toEqual({ pct: 2 });
    await shutDown(b);
  });

  it("keeps closed-trade PnL exact across a restart (accounting stored as Decimals; older rows as strings still read)", async () => {
    const { dbPath, venuePath, clock, a } = await startedOnSqlite(cleanup);
    await a.engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    await quote(a, 20100);
    await a.engine.execute({ kind: "signal", signal: signal("SELL"), source: "test" });
    const before = a.engine.state().equity;
    expect(a.engine.state().positions).toHaveLength(0);
    expect(before.realizedNet.isZero()).toBe(false);
    const stored = a.store.getState<{ initialEquity: unknown; closedRealizedNet: unknown }>("accounting")!;
    expect(D(stored.closedRealizedNet as string).equals(before.realizedNet)).toBe(true);
    await shutDown(a);

    const b = onSqlite(dbPath, venuePath, clock);
    await b.engine.start();
    expect(b.engine.state().equity.equity.toString()).toBe(before.equity.toString());
    // A database written before accounting kept Decimals holds strings: the same numbers come back.
    b.store.setState("accounting", { initialEquity: "10000", closedRealizedNet: before.realizedNet.toString() });
    await shutDown(b);
    const c = onSqlite(dbPath, venuePath, clock);
    await c.engine.start();
    expect(c.engine.state().equity.equity.toString()).toBe(before.equity.toString());
    await shutDown(c);
  });

  it("books a fill the engine missed while it was down, once", async () => {
    const { dbPath, venuePath, clock, a } = await startedOnSqlite(cleanup);
    const coid = await placeLimit(a, "0.002", "19990");
    (a.store as SqliteStore).close();
    // The market trades through the limit while Bastion is down: only the venue sees it.
    clock.advance(1000);
    const fills = a.venue.onMarketData({ kind: "trade", symbol: "BTC/USDT", price: 19980, qty: 1, aggressor: "SELL" }, clock.now());
    expect(fills.some((e) => e.event.type === "fill")).toBe(true);
    await a.venue.close();

    const store = openSqliteStore({ path: dbPath, clock });
    const b = desk({}, store, venue(venuePath), clock);
    const { drifts } = await b.engine.start();
    expect(drifts).toBe(1);
    expect(store.fillsForOrder(coid)).toHaveLength(1);
    expect(b.engine.state().positions[0]!.position.quantity.toString()).toBe("0.002");
    expect(store.listDrifts().map((x) => x.kind)).toEqual(["MISSED_FILL"]);
    // A second reconciliation books nothing twice.
    expect(await b.engine.reconcile()).toBe(0);
    expect(store.fillsForOrder(coid)).toHaveLength(1);
    store.close();
    await b.venue.close();
  });

  it("an order journaled but never sent is marked rejected, not re-sent", async () => {
    const { dbPath, venuePath } = sqliteFiles(cleanup);
    const clock = new ManualClock(T0);
    const store = openSqliteStore({ path: dbPath, clock });
    // What the engine leaves behind when it dies between the journal write and the venue call:
    const { createOrder, applyOrderEvent } = await import("../core/orders");
    const order = createOrder({ clientOrderId: "bst-lost", symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.001", ts: T0 });
    const submitted = applyOrderEvent(order, { type: "submit", ts: T0 });
    if (!submitted.ok) throw new Error("fsm");
    store.appendJournal({ clientOrderId: "bst-lost", type: "intent", source: "engine", payload: {}, applied: true, ts: T0 });
    store.saveOrder(submitted.order, { venue: "sim", positionId: null, requestedPrice: null });
    const b = desk({}, store, venue(venuePath), clock);
    const { drifts } = await b.engine.start();
    expect(drifts).toBe(1);
    expect(store.getOrder("bst-lost")?.order.status).toBe("REJECTED");
    expect(await b.venue.fetchOrder("bst-lost")).toBeNull();
    expect(store.listDrifts()[0]).toMatchObject({ kind: "NEVER_SENT", resolved: true });
    store.close();
    await b.venue.close();
  });
});

describe("found by the crash test (crash.test.ts)", () => {
  const cleanup: string[] = [];
  afterEach(() => {
    for (const dir of cleanup.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("a canceled entry does not abandon a position other working entries still target", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, 20000);
    const firstId = await placeLimit(d, "0.001", "19900");
    const secondId = await placeLimit(d, "0.001", "19800");
    const positionId = d.store.getOrder(firstId)?.meta.positionId;
    expect(d.store.getOrder(secondId)?.meta.positionId).toBe(positionId); // both target the same (still empty) position
    expect(await d.engine.execute({ kind: "cancelOrder", clientOrderId: secondId, actor: trader, reason: null })).toMatchObject({ ok: true });
    await quote(d, 19850); // the ask 19850.5 is still above the first limit
    await quote(d, 19890); // no change
    d.clock.advance(1000);
    await d.engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 19899, ask: 19899.5 }); // crosses the first limit
    expect(d.store.fillsForOrder(firstId)).toHaveLength(1);
    const positions = d.engine.state().positions;
    expect(positions.map((p) => [p.position.id, p.position.quantity.toString()])).toEqual([[positionId, "0.001"]]);
    expect(
      history(d.store)
        .listDrifts()
        .map((x) => x.kind),
    ).not.toContain("ORPHAN_FILL");
  });

  it("a cancel journaled but never delivered is sent again on restart; the books then agree with the venue", async () => {
    const { dbPath, venuePath, clock, a } = await startedOnSqlite(cleanup);
    const coid = await placeLimit(a);
    // What the engine leaves behind when it dies after journaling a cancel request, before the venue hears of it:
    const { applyOrderEvent } = await import("../core/orders");
    const stored = a.store.getOrder(coid)!;
    const pending = applyOrderEvent(stored.order, { type: "cancelRequest", ts: clock.now() });
    if (!pending.ok) throw new Error("fsm");
    a.store.appendJournal({
      clientOrderId: coid,
      type: "cancelRequest",
      source: "engine",
      payload: { type: "cancelRequest", ts: clock.now() },
      applied: true,
      ts: clock.now(),
    });
    a.store.saveOrder(pending.order, stored.meta);
    await shutDown(a);

    const store = openSqliteStore({ path: dbPath, clock });
    const b = desk({}, store, venue(venuePath), clock);
    const { drifts } = await b.engine.start();
    expect(drifts).toBe(1);
    expect((await b.venue.fetchOrder(coid))?.status).toBe("CANCELED");
    expect(store.getOrder(coid)?.order.status).toBe("CANCELED");
    expect(b.engine.state().openOrders).toHaveLength(0);
    expect(store.listDrifts()).toMatchObject([{ kind: "CANCEL_NOT_DELIVERED", subject: coid, resolved: true }]);
    store.close();
    await b.venue.close();
  });

  it("a signal whose order reached the venue stays deduplicated when the engine died before the signal was recorded", async () => {
    const { dbPath, venuePath } = sqliteFiles(cleanup);
    const clock = new ManualClock(T0);
    const sqlite = openSqliteStore({ path: dbPath, clock });
    // The process dies as soon as the venue has the order: every later write of Bastion's is lost.
    const { store: dying, kill } = dyingStore(sqlite);
    class DyingVenue extends SimVenue {
      override submit(...args: Parameters<SimVenue["submit"]>): ReturnType<SimVenue["submit"]> {
        const events = super.submit(...args);
        kill();
        return events;
      }
    }
    const a = desk({}, dying, new DyingVenue({ instruments: [BTC, ETH], initialBalances: { USDT: "10000" } }, { statePath: venuePath }), clock);
    await a.engine.start();
    await quote(a, 20000);
    const retried = signal("BUY", { id: "webhook-1" });
    await expect(a.engine.execute({ kind: "signal", signal: retried, source: "webhook" })).rejects.toThrow("killed");
    sqlite.close();
    await a.venue.close();

    // The webhook never got an answer and sends the signal again to the restarted desk.
    const store = openSqliteStore({ path: dbPath, clock });
    const b = desk({ ids: sequentialIds("b") }, store, venue(venuePath), clock);
    await b.engine.start();
    await quote(b, 20000);
    expect(await b.engine.execute({ kind: "signal", signal: retried, source: "webhook" })).toMatchObject({ ok: false, error: { code: "DUPLICATE_SIGNAL" } });
    expect(store.listFills()).toHaveLength(1);
    expect((await b.venue.fetchFills(0)).length).toBe(1);
    expect(store.getSignal("webhook-1")).toMatchObject({ status: "ACCEPTED" });
    store.close();
    await b.venue.close();
  });

  it("a status drift records the status the books had before reconciliation", async () => {
    const { dbPath, venuePath, clock, a } = await startedOnSqlite(cleanup);
    const coid = await placeLimit(a);
    (a.store as SqliteStore).close();
    // Canceled at the venue while Bastion is down (the engine never saw it).
    a.venue.cancel(coid, clock.now());
    await a.venue.close();

    const store = openSqliteStore({ path: dbPath, clock });
    const b = desk({}, store, venue(venuePath), clock);
    expect((await b.engine.start()).drifts).toBe(1);
    expect(store.listDrifts()).toMatchObject([
      { kind: "STATUS_MISMATCH", subject: coid, detail: { ours: "ACCEPTED", venue: "CANCELED" }, resolution: "now CANCELED" },
    ]);
    store.close();
    await b.venue.close();
  });
});

// ---------------------------------------------------------------------------------------------
// Found by the ccxt adapter's author: an asynchronous venue, fee currencies, unknown orders.

/** A venue that answers later, like a real exchange: the simulator's events are held until flush(). */
class DeferredVenue extends VenueReads<SimVenue> implements Venue {
  readonly id = "sim";
  readonly kind = "sim" as const;
  readonly calls: string[] = [];
  private held: VenueEvent[] = [];
  private sink: (events: VenueEvent[]) => void = () => undefined;
  setEventSink(sink: (events: VenueEvent[]) => void): void {
    this.sink = sink;
  }
  private hold(kind: string, events: VenueEvent[]): VenueEvent[] {
    this.calls.push(kind);
    this.held.push(...events);
    return [];
  }
  submit(spec: OrderSpec, now: number) {
    return this.hold(`submit ${spec.side}`, this.inner.submit(spec, now));
  }
  cancel(clientOrderId: string, now: number) {
    return this.hold("cancel", this.inner.cancel(clientOrderId, now));
  }
  cancelAll(symbol: string | undefined, now: number) {
    return this.hold("cancelAll", this.inner.cancelAll(symbol, now));
  }
  modify(clientOrderId: string, changes: OrderChanges, now: number) {
    return this.inner.modify(clientOrderId, changes, now);
  }
  onMarketData(update: MarketUpdate, now: number) {
    return this.inner.onMarketData(update, now);
  }
  advanceTo(now: number) {
    return this.inner.advanceTo(now);
  }
  /** Delivers what the venue did so far, one event at a time (a real exchange's answers trickle in). */
  async flush(): Promise<number> {
    const events = this.held;
    this.held = [];
    this.calls.push(`flush ${events.length}`);
    for (const event of events) this.sink([event]);
    await Promise.resolve();
    return events.length;
  }
}

describe("emergency stop with a venue that confirms later", () => {
  async function deskWithOrders(timers = new ManualTimers()) {
    const deferred = new DeferredVenue(venue());
    const d = desk({ timers, emergencyConfirmMs: 5_000 }, new MemoryStore(), deferred as unknown as SimVenue);
    const progress: EmergencyProgress[] = [];
    d.engine.bus.subscribe((event) => {
      if (event.type === "emergency") progress.push(event.progress);
    });
    await d.engine.start();
    await quote(d, 20000);
    await d.engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    await deferred.flush();
    for (const price of ["19000", "19100", "19200"]) {
      await d.engine.execute({
        kind: "manualOrder",
        order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.001", price },
        actor: trader,
        reason: null,
      });
    }
    await deferred.flush();
    expect(d.engine.state().openOrders).toHaveLength(3);
    expect(d.engine.state().positions[0]!.position.quantity.toString()).toBe("0.09999");
    return { d, deferred, timers, progress };
  }

  it("counts cancels as the venue confirms them, and flattens only after every cancel is confirmed", async () => {
    const { d, deferred, timers, progress } = await deskWithOrders();
    deferred.calls.length = 0;
    const stop = await d.engine.execute({ kind: "emergencyStop", flatten: true, actor: trader, reason: "test" });
    // Nothing is confirmed yet: the answer says so instead of "0 of 3 canceled".
    expect(stop).toMatchObject({ ok: true, data: { progress: { step: "canceling", ordersToCancel: 3, ordersCanceled: 0 } } });
    expect(resultMessage(stop)).toContain("waiting for sim to confirm 3");
    expect(deferred.calls).toEqual(["cancelAll"]); // no flatten sell while the canceled orders may still hold funds
    expect(timers.pending.size).toBe(1);

    await deferred.flush();
    const counts = progress.filter((p) => p.step === "canceling").map((p) => p.ordersCanceled);
    expect(counts).toEqual([0, 0, 1, 2]);
    expect(progress.find((p) => p.step === "canceled")).toMatchObject({ ordersCanceled: 3, message: "3 of 3 order(s) canceled." });
    // The flatten went out after the cancels, and waits for its fill.
    expect(deferred.calls).toEqual(["cancelAll", "flush 3", "submit SELL"]);
    expect(d.engine.state().emergency).toMatchObject({ step: "flattening", positionsToFlatten: 1, positionsFlattened: 0 });

    await deferred.flush();
    expect(d.engine.state().emergency).toMatchObject({ step: "done", ordersCanceled: 3, positionsFlattened: 1 });
    expect(d.engine.state().openOrders).toHaveLength(0);
    expect(d.engine.state().positions).toHaveLength(0);
    expect(timers.pending.size).toBe(0);
    expect(progress.at(-1)!.message).toBe("Halted: 3/3 orders canceled, 1/1 positions flattened. An admin reset is needed to trade again.");
  });

  it("flattens after the timeout when the venue never confirms, and says which were not confirmed", async () => {
    const { d, deferred, timers, progress } = await deskWithOrders();
    deferred.calls.length = 0;
    await d.engine.execute({ kind: "emergencyStop", flatten: true, actor: trader, reason: "test" });
    await timers.fireAll();
    expect(progress.find((p) => p.step === "canceled")?.message).toBe("0 of 3 order(s) canceled; 3 not confirmed by sim within 5 s.");
    expect(deferred.calls).toEqual(["cancelAll", "submit SELL"]);
    // Late confirmations still land in the books.
    await deferred.flush();
    expect(d.engine.state().openOrders).toHaveLength(0);
    expect(d.engine.state().emergency).toMatchObject({ step: "done", positionsFlattened: 1 });
  });

  it("a manual cancel-all on such a venue says the cancels await confirmation", async () => {
    const { d, deferred } = await deskWithOrders();
    const result = await d.engine.execute({ kind: "cancelAll", actor: trader, reason: null });
    expect(result).toMatchObject({ ok: true, data: { requested: 3, canceled: 0, pending: 3 } });
    expect(resultMessage(result)).toContain("3 awaiting the venue's confirmation");
    await deferred.flush();
    expect(d.engine.state().openOrders).toHaveLength(0);
  });
});

describe("reconciliation: fee currencies", () => {
  /** The simulator's fills, re-expressed as an exchange that charged the fee in another currency. */
  function feeIn(sim: SimVenue, currency: "BTC" | "BNB"): SimVenue {
    const fetchFills = sim.fetchFills.bind(sim);
    sim.fetchFills = async (since: number) =>
      (await fetchFills(since)).map((f) =>
        currency === "BTC" ? { ...f, fee: f.fee.dividedBy(f.price), feeCurrency: "BTC" } : { ...f, fee: D("0.0004"), feeCurrency: "BNB" },
      );
    return sim;
  }

  async function missedFill(currency: "BTC" | "BNB") {
    const sim = feeIn(venue(), currency);
    const d = desk({}, new MemoryStore(), sim);
    await d.engine.start();
    await quote(d, 20000);
    const coid = await placeLimit(d, "0.002", "19990");
    // The market trades through the limit; the engine does not hear of it (a lost answer).
    d.clock.advance(1000);
    sim.onMarketData({ kind: "trade", symbol: "BTC/USDT", price: 19980, qty: 1, aggressor: "SELL" }, d.clock.now());
    return { d, coid, drifts: await d.engine.reconcile() };
  }

  it("a fee paid in the base currency is booked in quote at the fill price", async () => {
    const { d, coid, drifts } = await missedFill("BTC");
    expect(drifts).toBe(1);
    const [fill] = d.store.fillsForOrder(coid);
    // maker fee 0.1 % of 0.002 × 19990 = 0.03998 USDT, whichever currency the venue reported it in
    expect(fill!.fee.toString()).toBe("0.03998");
    expect(fill!.feeCurrency).toBe("USDT");
    expect(
      history(d.store)
        .listDrifts()
        .map((x) => x.kind),
    ).toEqual(["MISSED_FILL"]);
  });

  it("a fee in a third currency is recorded as a drift, not booked as if it were quote", async () => {
    const { d, coid, drifts } = await missedFill("BNB");
    expect(drifts).toBe(2);
    expect(d.store.fillsForOrder(coid)[0]!.fee.toString()).toBe("0");
    const fee = history(d.store)
      .listDrifts()
      .find((x) => x.kind === "FEE_CURRENCY");
    expect(fee).toMatchObject({ subject: coid, resolved: false, detail: { fee: "0.0004", feeCurrency: "BNB", quote: "USDT" } });
  });
});

describe("reconciliation: unknown orders are shown, then adopted or canceled by choice", () => {
  async function withUnknown() {
    const sim = venue();
    const d = desk({}, new MemoryStore(), sim);
    await d.engine.start();
    await quote(d, 20000);
    // Placed at the exchange by someone else (the web UI, another bot).
    d.venue.submit(
      { clientOrderId: "web-1", symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.003", price: "19950", ts: d.clock.now() },
      d.clock.now(),
    );
    return d;
  }

  it("records an unknown order once, however often reconciliation runs, and drops it when it leaves the venue", async () => {
    const d = await withUnknown();
    expect(await d.engine.reconcile()).toBe(1);
    expect(await d.engine.reconcile()).toBe(0);
    expect(d.engine.unknownOrderList()).toMatchObject([{ clientOrderId: "web-1", side: "BUY", quantity: "0.003", price: "19950", symbol: "BTC/USDT" }]);
    expect(
      history(d.store)
        .listDrifts()
        .map((x) => `${x.kind}:${x.subject}:${x.resolved}`),
    ).toEqual(["UNKNOWN_ORDER:web-1:false"]);
    d.venue.cancel("web-1", d.clock.now());
    await d.engine.reconcile();
    expect(d.engine.unknownOrderList()).toEqual([]);
    expect(history(d.store).listDrifts().at(-1)).toMatchObject({
      kind: "UNKNOWN_ORDER_GONE",
      subject: "web-1",
      resolved: true,
      detail: { resolves: { kind: "UNKNOWN_ORDER" } },
    });
  });

  it("adopting journals the order, tracks it, and books its fills to a position (audited)", async () => {
    const d = await withUnknown();
    await d.engine.reconcile();
    const adopted = await d.engine.adoptOrder("web-1", trader, "mine, placed from the phone");
    expect(adopted).toMatchObject({ ok: true, data: { clientOrderId: "web-1", status: "ACCEPTED", fills: 0 } });
    expect(d.engine.state().openOrders.map((o) => o.clientOrderId)).toEqual(["web-1"]);
    expect(d.store.journalFor("web-1").map((e) => `${e.type}:${e.source}`)).toEqual(["intent:reconcile", "submit:reconcile", "accept:reconcile"]);
    expect(d.engine.unknownOrderList()).toEqual([]);
    // The market reaches it: the fill comes through the venue like any order of ours.
    d.clock.advance(1000);
    await d.engine.marketData({ kind: "trade", symbol: "BTC/USDT", price: 19940, qty: 1, aggressor: "SELL" });
    expect(d.engine.state().positions.map((p) => [p.position.side, p.position.quantity.toString()])).toEqual([["LONG", "0.003"]]);
    expect(await d.engine.adoptOrder("web-1", trader, null)).toMatchObject({ ok: false, error: { code: "ALREADY_TRACKED" } });
    expect(await d.engine.reconcile()).toBe(0);
    expect(
      history(d.store)
        .listAudit()
        .map((a) => `${a.action}:${a.target}:${a.result}`),
    ).toEqual(["adopt_order:web-1:OK", "adopt_order:web-1:REFUSED"]);
    expect(
      history(d.store)
        .listDrifts()
        .map((x) => x.kind),
    ).toEqual(["UNKNOWN_ORDER", "UNKNOWN_ORDER_ADOPTED"]);
  });

  it("adopting an unknown order that already filled books its fills", async () => {
    const d = await withUnknown();
    await d.engine.reconcile();
    d.clock.advance(1000);
    d.venue.onMarketData({ kind: "trade", symbol: "BTC/USDT", price: 19940, qty: 1, aggressor: "SELL" }, d.clock.now());
    const adopted = await d.engine.adoptOrder("web-1", trader, null);
    expect(adopted).toMatchObject({ ok: true, data: { status: "FILLED", fills: 1 } });
    const position = d.engine.state().positions[0]!.position;
    expect(position.quantity.toString()).toBe("0.003");
    expect(position.avgEntryPrice?.toString()).toBe("19950");
  });

  it("canceling one cancels it at the venue, keeps it out of the books, and resolves its drift", async () => {
    const d = await withUnknown();
    await d.engine.reconcile();
    expect(await d.engine.cancelUnknownOrder("nope", trader, null)).toMatchObject({ ok: false, error: { code: "NOT_UNKNOWN" } });
    expect(await d.engine.cancelUnknownOrder("web-1", trader, "not ours")).toMatchObject({ ok: true, data: { status: "CANCELED" } });
    expect(await d.venue.fetchOpenOrders()).toEqual([]);
    expect(d.store.getOrder("web-1")).toBeNull();
    expect(d.engine.unknownOrderList()).toEqual([]);
    expect(
      history(d.store)
        .listDrifts()
        .map((x) => `${x.kind}:${x.resolved}`),
    ).toEqual(["UNKNOWN_ORDER:false", "UNKNOWN_ORDER_CANCELED:true"]);
    expect(
      history(d.store)
        .listAudit()
        .map((a) => `${a.actor}:${a.action}:${a.result}`),
    ).toEqual(["tina:cancel_unknown_order:REFUSED", "tina:cancel_unknown_order:OK"]);
  });

  it("unknown orders survive a restart without being recorded twice", async () => {
    const d = await withUnknown();
    await d.engine.reconcile();
    const again = desk({}, d.store, d.venue, d.clock);
    expect((await again.engine.start()).drifts).toBe(0);
    expect(again.engine.unknownOrderList().map((u) => u.clientOrderId)).toEqual(["web-1"]);
  });

  it("a scheduled reconciliation leaves a just-sent order alone instead of calling it never sent", async () => {
    const deferred = new DeferredVenue(venue());
    const d = desk({}, new MemoryStore(), deferred as unknown as SimVenue);
    await d.engine.start();
    await quote(d, 20000);
    const inner = deferred.inner;
    const realSubmit = inner.submit.bind(inner);
    // The request is still on its way: the venue does not know the order yet.
    inner.submit = () => [];
    const coid = await placeLimit(d);
    expect(await d.engine.reconcile({ graceMs: 30_000 })).toBe(0);
    expect(d.engine.state().openOrders.map((o) => [o.clientOrderId, o.status])).toEqual([[coid, "SUBMITTED"]]);
    inner.submit = realSubmit;
  });
});

describe("reconciliation: balances", () => {
  it("records once when the venue holds fewer coins than the books' long positions", async () => {
    const sim = venue();
    const d = desk({}, new MemoryStore(), sim);
    await d.engine.start();
    await quote(d, 20000);
    await d.engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    expect(await d.engine.reconcile()).toBe(0); // the venue holds the 0.09999 BTC bought
    const fetchBalances = sim.fetchBalances.bind(sim);
    // Someone sold coins by hand on the exchange.
    sim.fetchBalances = async () => (await fetchBalances()).map((b) => (b.currency === "BTC" ? { ...b, free: D("0.05"), total: D("0.05") } : b));
    expect(await d.engine.reconcile()).toBe(1);
    expect(await d.engine.reconcile()).toBe(0);
    expect(
      history(d.store)
        .listDrifts()
        .map((x) => [x.kind, x.subject, x.detail]),
    ).toEqual([["BALANCE_SHORTFALL", "BTC", { books: "0.09999", venue: "0.05" }]]);
  });
});

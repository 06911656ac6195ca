/**
 * Issue 9 §2, "a fill is never dropped": fills on orders the books call ended (REJECTED by a timeout, CANCELED,
 * EXPIRED, DENIED) are booked as late fills with a drift and an alert, whether they come on the venue's stream or
 * through reconciliation; reconciliation tracks again an ended order the venue still works, compares spot quote
 * balances with the cash the books booked, and a derivatives venue's positions with the books.
 */
import { resultMessage } from "./context";
import { VenueReads } from "../../test/venue-reads";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { makeInstrument } from "../core/instrument";
import { D } from "../core/money";
import { applyOrderEvent, createOrder, type Order, type OrderEvent, type OrderSpec, type OrderStatus } from "../core/orders";
import { MemoryStore } from "../db/memory-store";
import { openSqliteStore, type SqliteStore } from "../db/sqlite-store";
import type { Store } from "../db/store";
import { createMigratedDb } from "../../test/db";
import { SimVenue } from "../venues/sim/sim-venue";
import type { MarketUpdate, OrderChanges, Venue, VenueEvent, VenuePosition } from "../venues/venue";
import { Engine, type EngineOptions } from "./engine";
import { ResilientVenue } from "./resilient-venue";
import { CcxtVenue } from "../venues/ccxt/ccxt-venue";
import { FakeBinance, ccxtExchange } from "../../test/ccxt/fake-exchange";
import type { Actor, DomainEvent } from "./types";
import { BTC } from "../../test/instruments";

const PERP = makeInstrument({
  symbol: "BTC/USDT:USDT",
  kind: "swap",
  priceTick: "0.1",
  qtyStep: "0.001",
  minQty: "0.001",
  minNotional: "5",
  makerFee: "0.0002",
  takerFee: "0.0004",
});
const T0 = Date.UTC(2024, 0, 2, 12, 0, 0);
const trader: Actor = { username: "tina", role: "trader" };
const admin: Actor = { username: "ada", role: "admin" };

/**
 * A venue that answers later, like a real exchange (the simulator's events are held until flush()); with
 * `timeoutSubmits` the submit answers "rejected: timeout" at once while the exchange did take the order —
 * what the books saw when a lost answer was taken for a refusal.
 */
class LateVenue extends VenueReads<SimVenue> implements Venue {
  readonly id = "sim";
  readonly kind = "sim" as const;
  timeoutSubmits = false;
  private held: VenueEvent[] = [];
  private sink: (events: VenueEvent[]) => void = () => undefined;
  setEventSink(sink: (events: VenueEvent[]) => void): void {
    this.sink = sink;
  }
  submit(spec: OrderSpec, now: number): VenueEvent[] {
    this.held.push(...this.inner.submit(spec, now));
    return this.timeoutSubmits
      ? [{ clientOrderId: spec.clientOrderId, event: { type: "reject", reason: "TIMEOUT: no answer from the exchange", ts: now } }]
      : [];
  }
  cancel(clientOrderId: string, now: number) {
    this.held.push(...this.inner.cancel(clientOrderId, now));
    return [];
  }
  cancelAll(symbol: string | undefined, now: number) {
    this.held.push(...this.inner.cancelAll(symbol, now));
    return [];
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
  /** Delivers what the venue did so far, one event at a time, `times` times (a stream may deliver twice). */
  async flush(times = 1): Promise<VenueEvent[]> {
    const events = this.held;
    this.held = [];
    for (let i = 0; i < times; i++) for (const event of events) this.sink([event]);
    await Promise.resolve();
    return events;
  }
  /** An event the venue's stream sends on its own. */
  async emit(event: VenueEvent): Promise<void> {
    this.sink([event]);
    await Promise.resolve();
  }
}

interface Desk {
  engine: Engine;
  store: Store;
  clock: ManualClock;
  events: DomainEvent[];
}

function simVenue(statePath?: string, instruments = [BTC]): SimVenue {
  return new SimVenue({ instruments, initialBalances: { USDT: "10000" } }, statePath ? { statePath } : {});
}

function desk(
  venue: Venue,
  _sim: SimVenue | null,
  store: Store = new MemoryStore(),
  clock = new ManualClock(T0),
  overrides: Partial<EngineOptions> = {},
): Desk {
  const engine = new Engine({
    venue,
    store,
    clock,
    ids: sequentialIds(),
    initialEquity: "10000",
    breaker: { maxOrdersPerMinute: 1000, maxOrdersPerHour: 10_000 },
    defaultSymbolSettings: {
      minConfidence: 0.5,
      sizing: { method: "fixed_fraction", fraction: 0.2 },
      stopLossPct: null,
      takeProfitLevels: [],
      trailing: null,
      maxAgeMinutes: null,
    },
    ...overrides,
  });
  const events: DomainEvent[] = [];
  engine.bus.subscribe((e) => events.push(e));
  return { engine, store, clock, events };
}

async function quote(d: Desk, price: number, symbol = "BTC/USDT"): Promise<void> {
  d.clock.advance(1000);
  await d.engine.marketData({ kind: "quote", symbol, bid: price - 0.5, ask: price + 0.5 });
}

/** A desk on a fresh simulator, started, with a 20000 quote for BTC/USDT. */
async function startedOnSim(): Promise<{ sim: SimVenue; d: Desk }> {
  const sim = simVenue();
  const d = desk(sim, sim);
  await d.engine.start();
  await quote(d, 20000);
  return { sim, d };
}

const drifts = (store: Store) => (store as MemoryStore).listDrifts();
const alerts = (d: Desk) => d.events.filter((e): e is Extract<DomainEvent, { type: "alert" }> => e.type === "alert").map((e) => e.message);
const positions = (d: Desk) => d.engine.state().positions.map((p) => `${p.position.symbol} ${p.position.side} ${p.position.quantity.toString()}`);

async function buy(
  d: Desk,
  order: Partial<{ type: "MARKET" | "LIMIT"; quantity: string; price: string; symbol: string; side: "BUY" | "SELL" }> = {},
): Promise<string> {
  const placed = await d.engine.execute({
    kind: "manualOrder",
    order: {
      symbol: order.symbol ?? "BTC/USDT",
      side: order.side ?? "BUY",
      type: order.type ?? "MARKET",
      quantity: order.quantity ?? "0.002",
      ...(order.price ? { price: order.price } : {}),
    },
    actor: trader,
    reason: null,
  });
  const coid = placed.data?.clientOrderId;
  if (typeof coid !== "string") throw new Error(resultMessage(placed));
  return coid;
}

/** Stores an order of ours that the books ended with `status` (as an earlier run of the engine left it). */
function endedOrder(store: Store, clientOrderId: string, status: OrderStatus, spec: Partial<OrderSpec> = {}, venue = "sim"): Order {
  const paths: Record<string, OrderEvent[]> = {
    REJECTED: [{ type: "submit" }, { type: "reject", reason: "TIMEOUT: no answer from the exchange" }],
    CANCELED: [{ type: "submit" }, { type: "accept" }, { type: "cancel", reason: "canceled by the trader" }],
    EXPIRED: [{ type: "submit" }, { type: "accept" }, { type: "expire" }],
    DENIED: [{ type: "deny", reason: "TRADING_HALTED: the desk is halted" }],
    FILLED: [{ type: "submit" }, { type: "accept" }, { type: "fill", tradeId: "old-1", qty: spec.quantity ?? "0.002", price: "20000" }],
  };
  let order = createOrder({ clientOrderId, symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.002", ts: T0, ...spec });
  for (const event of paths[status]!) {
    const next = applyOrderEvent(order, { ...event, ts: T0 });
    if (!next.ok) throw new Error(next.error.message);
    order = next.order;
  }
  store.appendJournal({ clientOrderId, type: "intent", source: "engine", payload: {}, applied: true, ts: T0 });
  store.saveOrder(order, { venue, positionId: null, requestedPrice: null });
  return order;
}

describe("a fill on an order the books call ended is booked, once, with a drift and an alert", () => {
  it("an order REJECTED by a timeout whose fill then arrives on the venue's stream", async () => {
    const late = new LateVenue(simVenue());
    const d = desk(late, late.inner);
    await d.engine.start();
    await quote(d, 20000);
    late.timeoutSubmits = true;
    const coid = await buy(d);
    expect(d.store.getOrder(coid)?.order.status).toBe("REJECTED");
    expect(positions(d)).toEqual([]);

    // The exchange did execute it; its answers come in later — twice, as a reconnecting stream may send them.
    const delivered = await late.flush(2);
    expect(delivered.map((e) => e.event.type)).toEqual(["accept", "fill"]);
    const fills = d.store.fillsForOrder(coid);
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({ late: true });
    // 0.002 at the ask 20 000.5, taker fee 0.1 %
    expect(fills[0]!.price.toString()).toBe("20000.5");
    expect(fills[0]!.fee.toString()).toBe("0.040001");
    const [position] = d.engine.state().positions;
    expect(position?.position).toMatchObject({ side: "LONG" });
    expect(position!.position.quantity.toString()).toBe("0.002");
    expect(position!.position.fees.toString()).toBe("0.040001");
    const order = d.store.getOrder(coid)!.order;
    expect(order.status).toBe("REJECTED"); // terminal stays terminal; the fill is on it
    expect(order.filledQty.toString()).toBe("0.002");
    expect(drifts(d.store).map((x) => [x.kind, x.subject, x.resolved])).toEqual([["LATE_FILL", coid, true]]);
    expect(drifts(d.store)[0]!.detail).toMatchObject({ status: "REJECTED", qty: "0.002", price: "20000.5", positionId: position!.position.id });
    expect(alerts(d)).toEqual([expect.stringContaining(`Order ${coid} was REJECTED in the books, but sim executed 0.002 BTC/USDT at 20000.5`)]);
    // The reconciliation that the late fill calls for books nothing twice.
    expect(await d.engine.reconcile()).toBe(0);
    expect(d.store.fillsForOrder(coid)).toHaveLength(1);
  });

  it.each<OrderStatus>(["REJECTED", "CANCELED", "EXPIRED", "DENIED"])("an order the books call %s whose fill only reconciliation finds", async (status) => {
    const { sim, d } = await startedOnSim();
    endedOrder(d.store, "bst-ended", status);
    // Executed at the venue; the engine never heard (the answer was lost).
    d.clock.advance(1000);
    sim.submit({ clientOrderId: "bst-ended", symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.002", ts: d.clock.now() }, d.clock.now());
    d.clock.advance(60_000);
    expect(await d.engine.reconcile()).toBe(1);
    expect(d.store.fillsForOrder("bst-ended")).toMatchObject([{ late: true, venue: "sim" }]);
    expect(positions(d)).toEqual(["BTC/USDT LONG 0.002"]);
    expect(d.store.getOrder("bst-ended")!.order).toMatchObject({ status, reconciliationNeeded: true });
    expect(drifts(d.store).map((x) => `${x.kind}:${x.subject}`)).toEqual(["LATE_FILL:bst-ended"]);
    expect(alerts(d)).toHaveLength(1);
    expect(d.store.journalFor("bst-ended").map((e) => `${e.type}:${e.source}:${e.applied}`)).toEqual(["intent:engine:true", "fill:reconcile:true"]);
    expect(await d.engine.reconcile()).toBe(0);
    expect(d.store.fillsForOrder("bst-ended")).toHaveLength(1);
  });

  it("finds the late fill even when a later fill of another order was booked first (the fills are read far enough back)", async () => {
    const { sim, d } = await startedOnSim();
    endedOrder(d.store, "bst-ended", "REJECTED");
    d.clock.advance(1000);
    sim.submit({ clientOrderId: "bst-ended", symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.002", ts: d.clock.now() }, d.clock.now());
    d.clock.advance(5_000);
    await buy(d, { quantity: "0.001" }); // booked at once: the store's last fill is now younger than the late one
    d.clock.advance(60_000);
    expect(await d.engine.reconcile()).toBe(1);
    expect(d.store.fillsForOrder("bst-ended")).toHaveLength(1);
    expect(positions(d).sort()).toEqual(["BTC/USDT LONG 0.001", "BTC/USDT LONG 0.002"]);
  });

  it("a late fill on an exit REJECTED by a timeout reduces the position it was closing", async () => {
    const late = new LateVenue(simVenue());
    const d = desk(late, late.inner);
    await d.engine.start();
    await quote(d, 20000);
    await buy(d, { quantity: "0.004" });
    await late.flush();
    expect(positions(d)).toEqual(["BTC/USDT LONG 0.004"]);
    const positionId = d.engine.state().positions[0]!.position.id;
    late.timeoutSubmits = true;
    await d.engine.execute({ kind: "closePosition", positionId, fraction: 0.5, actor: trader, reason: "half" });
    expect(d.engine.state().openOrders).toEqual([]); // the exit is REJECTED in the books
    await late.flush();
    expect(positions(d)).toEqual(["BTC/USDT LONG 0.002"]);
    expect(drifts(d.store).map((x) => x.kind)).toEqual(["LATE_FILL"]);
    // PnL and fees as for any exit: bought at the ask 20 000.5, sold 0.002 at the bid 19 999.5.
    const after = d.engine.state().positions[0]!.position;
    expect(after.realizedPnl.toString()).toBe("-0.002");
    expect(after.fees.toString()).toBe(D("0.004").times("20000.5").times("0.001").plus(D("0.002").times("19999.5").times("0.001")).toString());
  });
});

describe("a fill a FILLED order cannot take", () => {
  it("is recorded and raised (it may be an execution already booked, under another id), never silently refused", async () => {
    const late = new LateVenue(simVenue());
    const d = desk(late, late.inner);
    await d.engine.start();
    await quote(d, 20000);
    const coid = await buy(d);
    await late.flush();
    expect(d.store.getOrder(coid)?.order.status).toBe("FILLED");
    await late.emit({ clientOrderId: coid, event: { type: "fill", tradeId: "t-extra", qty: "0.001", price: "20000", fee: "0.02", ts: d.clock.now() } });
    expect(positions(d)).toEqual(["BTC/USDT LONG 0.002"]);
    expect(d.store.fillsForOrder(coid)).toHaveLength(1);
    expect(drifts(d.store).map((x) => [x.kind, x.subject, x.resolved])).toEqual([["OVERFILL", coid, false]]);
    expect(drifts(d.store)[0]!.detail).toMatchObject({ status: "FILLED", quantity: "0.002", filled: "0.002" });
    expect(alerts(d)).toEqual([expect.stringContaining(`Not booked: check sim's trades for order ${coid}.`)]);
    // Seen again (a reconnecting stream, the next reconciliation): recorded once.
    await late.emit({ clientOrderId: coid, event: { type: "fill", tradeId: "t-extra", qty: "0.001", price: "20000", fee: "0.02", ts: d.clock.now() } });
    expect(drifts(d.store)).toHaveLength(1);
  });
});

describe("through CcxtVenue and ccxt's binance (the fake exchange answering in Binance's JSON)", () => {
  it("an order REJECTED in the books that filled at the exchange is booked late; one resting there is tracked again", async () => {
    const fake = new FakeBinance();
    const clock = new ManualClock(fake.now);
    const venue = new CcxtVenue({
      exchange: ccxtExchange("binance", fake.http),
      emergencyExchange: ccxtExchange("binance", fake.http),
      symbols: ["BTC/USDT"],
      clock,
      pollIntervalMs: 0,
    });
    const store = new MemoryStore();
    // Two orders whose create answers were lost and taken for refusals; both landed at the exchange.
    endedOrder(store, "bst-filled", "REJECTED", { type: "LIMIT", price: "29000", quantity: "0.001" }, "binance");
    endedOrder(store, "bst-resting", "REJECTED", { type: "LIMIT", price: "28000", quantity: "0.001" }, "binance");
    const elsewhere = ccxtExchange("binance", fake.http);
    await elsewhere.createOrder("BTC/USDT", "limit", "buy", 0.001, 29000, { newClientOrderId: "bst-filled" });
    await elsewhere.createOrder("BTC/USDT", "limit", "buy", 0.001, 28000, { newClientOrderId: "bst-resting" });
    fake.fill("bst-filled");
    clock.set(fake.now + 60_000);
    const d = desk(venue, null, store, clock);
    expect((await d.engine.start()).drifts).toBe(2);
    expect(store.fillsForOrder("bst-filled")).toMatchObject([{ venue: "binance", tradeId: "5000", late: true }]);
    expect(positions(d)).toEqual(["BTC/USDT LONG 0.001"]);
    expect(d.engine.state().openOrders.map((o) => [o.clientOrderId, o.status])).toEqual([["bst-resting", "ACCEPTED"]]);
    expect(d.engine.unknownOrderList()).toEqual([]);
    expect(
      store
        .listDrifts()
        .map((x) => `${x.kind}:${x.subject}`)
        .sort(),
    ).toEqual(["ENDED_ORDER_OPEN_AT_VENUE:bst-resting", "LATE_FILL:bst-filled"]);
    expect(await d.engine.reconcile()).toBe(0);
    await venue.close();
  });
});

describe("reconciliation: a FILLED order the venue still reports", () => {
  it("with a fill the books lack: recorded and raised once, not booked, not counted again", async () => {
    const { sim, d } = await startedOnSim();
    endedOrder(d.store, "bst-full", "FILLED");
    d.clock.advance(1000);
    sim.submit({ clientOrderId: "bst-full", symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.002", ts: d.clock.now() }, d.clock.now());
    expect(await d.engine.reconcile()).toBe(1);
    // The OVERFILL is not recorded again; the cash the venue paid for it, which the books did not book, is (on the second look).
    expect(await d.engine.reconcile()).toBe(1);
    expect(await d.engine.reconcile()).toBe(0);
    expect(d.store.fillsForOrder("bst-full")).toEqual([]);
    expect(drifts(d.store).map((x) => [x.kind, x.resolved])).toEqual([
      ["OVERFILL", false],
      ["QUOTE_BALANCE_MISMATCH", false],
    ]);
    expect(drifts(d.store)[1]!.detail).toMatchObject({ difference: "-40.041001" }); // 0.002 × 20 000.5 = 40.001, + the 0.1 % fee 0.040001
    expect(alerts(d)).toHaveLength(2);
  });

  it("still open there: recorded and raised once, left FILLED in the books", async () => {
    const { sim, d } = await startedOnSim();
    endedOrder(d.store, "bst-full", "FILLED", { type: "LIMIT", price: "19000" });
    d.clock.advance(1000);
    sim.submit(
      { clientOrderId: "bst-full", symbol: "BTC/USDT", side: "BUY", type: "LIMIT", price: "19000", quantity: "0.002", ts: d.clock.now() },
      d.clock.now(),
    );
    expect(await d.engine.reconcile()).toBe(1);
    expect(await d.engine.reconcile()).toBe(0);
    expect(d.store.getOrder("bst-full")!.order.status).toBe("FILLED");
    expect(d.engine.unknownOrderList()).toEqual([]);
    expect(drifts(d.store)).toMatchObject([{ kind: "ENDED_ORDER_OPEN_AT_VENUE", resolved: false, detail: { ours: "FILLED", venue: "ACCEPTED" } }]);
    expect(alerts(d)).toEqual([expect.stringContaining("is FILLED in the books but open at sim")]);
  });
});

describe("reconciliation: an order ended in the books but open at the venue is tracked again", () => {
  async function restingAtVenue(halted = false) {
    const { sim, d } = await startedOnSim();
    if (halted) await d.engine.execute({ kind: "emergencyStop", actor: admin, reason: "test", flatten: false });
    endedOrder(d.store, "bst-back", "REJECTED", { type: "LIMIT", price: "19900" });
    d.clock.advance(1000);
    sim.submit(
      { clientOrderId: "bst-back", symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.002", price: "19900", ts: d.clock.now() },
      d.clock.now(),
    );
    return { d, sim };
  }

  it("records it, raises an alert, shows it as open, and books its fills as they come", async () => {
    const { d } = await restingAtVenue();
    expect(await d.engine.reconcile()).toBe(1);
    expect(d.engine.state().openOrders.map((o) => [o.clientOrderId, o.status])).toEqual([["bst-back", "ACCEPTED"]]);
    expect(d.engine.unknownOrderList()).toEqual([]);
    expect(drifts(d.store).map((x) => [x.kind, x.subject, x.detail])).toEqual([
      ["ENDED_ORDER_OPEN_AT_VENUE", "bst-back", { ours: "REJECTED", venue: "ACCEPTED", symbol: "BTC/USDT", side: "BUY", qty: "0.002", filled: "0" }],
    ]);
    expect(alerts(d)).toEqual([expect.stringContaining("was REJECTED in the books but is open at sim: it is tracked again")]);
    expect(d.store.journalFor("bst-back").map((e) => `${e.type}:${e.source}`)).toEqual(["intent:engine", "reopen:reconcile"]);
    // Tracked: the market reaches it and its fill is an ordinary one.
    d.clock.advance(1000);
    await d.engine.marketData({ kind: "trade", symbol: "BTC/USDT", price: 19890, qty: 1, aggressor: "SELL" });
    expect(positions(d)).toEqual(["BTC/USDT LONG 0.002"]);
    expect(d.store.getOrder("bst-back")!.order.status).toBe("FILLED");
    expect(d.store.fillsForOrder("bst-back")).toMatchObject([{ late: false }]);
    expect(await d.engine.reconcile()).toBe(0);
  });

  it("a reduce-only exit tracked again is its position's working exit: the stop-loss does not send a second one", async () => {
    const sim = simVenue();
    const d = desk(sim, sim, new MemoryStore(), new ManualClock(T0), {
      defaultSymbolSettings: {
        minConfidence: 0.5,
        sizing: { method: "fixed_fraction", fraction: 0.2 },
        stopLossPct: 2,
        takeProfitLevels: [],
        trailing: null,
        maxAgeMinutes: null,
      },
    });
    await d.engine.start();
    await quote(d, 20000);
    await buy(d, { quantity: "0.004" });
    const position = d.engine.state().positions[0]!.position;
    const exit = endedOrder(d.store, "bst-exit", "CANCELED", {
      side: "SELL",
      type: "LIMIT",
      price: "21000",
      quantity: "0.004",
      reduceOnly: true,
      tags: { positionId: position.id },
    });
    d.store.saveOrder(exit, { venue: "sim", positionId: position.id, requestedPrice: null });
    sim.submit(
      { clientOrderId: "bst-exit", symbol: "BTC/USDT", side: "SELL", type: "LIMIT", price: "21000", quantity: "0.004", reduceOnly: true, ts: d.clock.now() },
      d.clock.now(),
    );
    expect(await d.engine.reconcile()).toBe(1);
    await quote(d, 19500); // through the 2 % stop
    expect(d.engine.state().openOrders.map((o) => o.clientOrderId)).toEqual(["bst-exit"]);
    expect((await sim.fetchOpenOrders()).map((o) => o.clientOrderId)).toEqual(["bst-exit"]);
    // No second exit was even sent (the venue would refuse it: the coins are held by the first).
    expect(
      d.store
        .loadOrders({ onlyOpen: false })
        .map((o) => `${o.order.side}:${o.order.status}`)
        .sort(),
    ).toEqual(["BUY:FILLED", "SELL:ACCEPTED"]);
  });

  it("an order REJECTED by a timeout whose acknowledgement then arrives is looked up and tracked again at once", async () => {
    const late = new LateVenue(simVenue());
    const d = desk(late, late.inner);
    await d.engine.start();
    await quote(d, 20000);
    late.timeoutSubmits = true;
    const coid = await buy(d, { type: "LIMIT", price: "19900" });
    expect(d.store.getOrder(coid)?.order.status).toBe("REJECTED");
    await late.flush(); // the exchange's acknowledgement: the order rests there
    await new Promise((resolve) => setTimeout(resolve, 0)); // the lookup's answer (a resolved promise) is in
    expect(d.engine.state().openOrders.map((o) => [o.clientOrderId, o.status])).toEqual([[coid, "ACCEPTED"]]);
    expect(drifts(d.store)).toMatchObject([{ kind: "ENDED_ORDER_OPEN_AT_VENUE", subject: coid, detail: { ours: "REJECTED", venue: "ACCEPTED" } }]);
    expect(d.store.journalFor(coid).map((e) => `${e.type}:${e.applied}`)).toEqual(["intent:true", "submit:true", "reject:true", "accept:false", "reopen:true"]);
    // A stale acknowledgement of an order that did end changes nothing.
    await d.engine.execute({ kind: "cancelOrder", clientOrderId: coid, actor: trader, reason: null });
    await late.flush();
    await late.emit({ clientOrderId: coid, event: { type: "accept", ts: d.clock.now() } });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(d.store.getOrder(coid)?.order.status).toBe("CANCELED");
    expect(d.engine.state().openOrders).toEqual([]);
    expect(drifts(d.store)).toHaveLength(1);
  });

  it("while HALTED it is tracked again and canceled at once", async () => {
    const { d, sim } = await restingAtVenue(true);
    expect(await d.engine.reconcile()).toBe(1);
    expect(await sim.fetchOpenOrders()).toEqual([]);
    expect(d.store.getOrder("bst-back")!.order.status).toBe("CANCELED");
    expect(drifts(d.store)[0]).toMatchObject({ kind: "ENDED_ORDER_OPEN_AT_VENUE", resolution: "tracked again as ACCEPTED; HALTED: cancel sent" });
  });
});

describe("reconciliation: quote balances", () => {
  const withUsdt = (sim: SimVenue, change: () => string) => {
    const fetchBalances = sim.fetchBalances.bind(sim);
    sim.fetchBalances = async () =>
      (await fetchBalances()).map((b) => (b.currency === "USDT" ? { ...b, free: b.free.plus(change()), total: b.total.plus(change()) } : b));
  };

  it("follows the fills' cash, and records a difference seen twice in a row with expected and actual", async () => {
    const sim = simVenue();
    let moved = "0";
    withUsdt(sim, () => moved);
    const d = desk(sim, sim);
    await d.engine.start();
    await quote(d, 20000);
    await buy(d, { quantity: "0.01" });
    await quote(d, 20100);
    await buy(d, { quantity: "0.004", side: "SELL" });
    expect(await d.engine.reconcile()).toBe(0); // the books paid and received exactly what the venue did
    // 250 USDT withdrawn at the exchange by hand.
    moved = "-250";
    expect(await d.engine.reconcile()).toBe(0); // once may be a fill on its way
    expect(await d.engine.reconcile()).toBe(1);
    const [drift] = drifts(d.store);
    const actual = (await sim.fetchBalances()).find((b) => b.currency === "USDT")!.total;
    expect(drift).toMatchObject({
      kind: "QUOTE_BALANCE_MISMATCH",
      subject: "USDT",
      resolved: false,
      detail: { actual: actual.toString(), difference: "-250" },
    });
    expect(
      D((drift!.detail as { expected: string }).expected)
        .minus(actual)
        .toString(),
    ).toBe("250");
    expect(alerts(d)).toEqual([expect.stringContaining("the books expected")]);
    // Recorded once: the books now expect the venue's figure.
    expect(await d.engine.reconcile()).toBe(0);
    expect(await d.engine.reconcile()).toBe(0);
  });

  it("a difference seen once (a fill between the balance read and the books) is not recorded; dust and fees are tolerated", async () => {
    const sim = simVenue();
    let moved = "0";
    withUsdt(sim, () => moved);
    const d = desk(sim, sim);
    await d.engine.start();
    await quote(d, 20000);
    await buy(d, { quantity: "0.01" });
    moved = "-40";
    expect(await d.engine.reconcile()).toBe(0);
    moved = "0";
    expect(await d.engine.reconcile()).toBe(0);
    // The fee was charged in BTC, not USDT: the quote balance is higher than the books' by up to the fee.
    await buy(d, { quantity: "0.001" }); // fee 0.0200005 booked since the last match
    moved = "0.025"; // the fee not taken in USDT + 0.005 dust
    expect(await d.engine.reconcile()).toBe(0);
    expect(await d.engine.reconcile()).toBe(0);
    expect(drifts(d.store)).toEqual([]);
    // Just over the dust, with no fee booked since the match: recorded (on the second look).
    moved = "0.045";
    expect(await d.engine.reconcile()).toBe(0);
    expect(await d.engine.reconcile()).toBe(1);
    expect(drifts(d.store)[0]!.detail).toMatchObject({ difference: "0.02", tolerance: "0.01" });
  });

  it("a currency that is one symbol's quote and another's base (BTC in ETH/BTC and BTC/USDT) is left to the coin check", async () => {
    const ETHBTC = makeInstrument({
      symbol: "ETH/BTC",
      priceTick: "0.00001",
      qtyStep: "0.001",
      minQty: "0.001",
      minNotional: "0.0001",
      makerFee: "0.001",
      takerFee: "0.001",
    });
    const sim = simVenue(undefined, [BTC, ETHBTC]);
    const d = desk(sim, sim);
    await d.engine.start();
    await quote(d, 20000);
    await buy(d, { quantity: "0.05" }); // BTC arrives through BTC/USDT, which the BTC quote's cash does not count
    expect(await d.engine.reconcile()).toBe(0);
    expect(await d.engine.reconcile()).toBe(0);
    expect(drifts(d.store)).toEqual([]);
  });

  it("the expectation survives a restart on SQLite: a withdrawal while the desk was down is recorded", async () => {
    const dbPath = createMigratedDb();
    cleanupDirs.push(dirname(dbPath));
    const venuePath = `${dirname(dbPath)}/venue.db`;
    const clock = new ManualClock(T0);
    const simA = simVenue(venuePath);
    const a = desk(simA, simA, openSqliteStore({ path: dbPath, clock }), clock);
    await a.engine.start();
    await quote(a, 20000);
    await buy(a, { quantity: "0.01" });
    expect(await a.engine.reconcile()).toBe(0);
    (a.store as SqliteStore).close();
    await simA.close();

    const simB = simVenue(venuePath);
    withUsdt(simB, () => "-1000");
    const store = openSqliteStore({ path: dbPath, clock });
    const b = desk(simB, simB, store, clock);
    expect((await b.engine.start()).drifts).toBe(0);
    expect(await b.engine.reconcile()).toBe(1);
    expect(store.listDrifts().map((x) => [x.kind, (x.detail as { difference: string }).difference])).toEqual([["QUOTE_BALANCE_MISMATCH", "-1000"]]);
    store.close();
    await simB.close();
  });
});

const cleanupDirs: string[] = [];
afterEach(() => {
  for (const dir of cleanupDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("reconciliation: derivatives positions", () => {
  function perpDesk() {
    const sim = simVenue(undefined, [BTC, PERP]);
    let venuePositions: VenuePosition[] = [];
    const venue = Object.assign(sim, { fetchPositions: () => Promise.resolve(venuePositions) });
    const d = desk(venue, sim);
    return { d, setVenue: (p: VenuePosition[]) => (venuePositions = p) };
  }
  const at = (side: "LONG" | "SHORT", qty: string): VenuePosition => ({
    symbol: "BTC/USDT:USDT",
    side,
    contracts: D(qty),
    quantity: D(qty),
    entryPrice: D(20000),
    markPrice: D(20000),
    unrealizedPnl: D(0),
    leverage: D(5),
    liquidationPrice: null,
    marginMode: "cross",
  });

  it("records a size or side difference once while it lasts, with an alert; agreement clears it", async () => {
    const { d, setVenue } = perpDesk();
    await d.engine.start();
    await quote(d, 20000, "BTC/USDT:USDT");
    await buy(d, { symbol: "BTC/USDT:USDT", quantity: "0.01" });
    expect(positions(d)).toEqual(["BTC/USDT:USDT LONG 0.01"]);
    setVenue([at("LONG", "0.01")]);
    expect(await d.engine.reconcile()).toBe(0);
    // Closed by hand at the exchange.
    setVenue([]);
    expect(await d.engine.reconcile()).toBe(1);
    expect(await d.engine.reconcile()).toBe(0);
    // Then flipped short at the exchange: a new difference.
    setVenue([at("SHORT", "0.005")]);
    expect(await d.engine.reconcile()).toBe(1);
    expect(drifts(d.store).map((x) => [x.kind, x.subject, x.detail])).toEqual([
      ["POSITION_MISMATCH", "BTC/USDT:USDT", { books: "LONG 0.01", venue: "flat", difference: "-0.01" }],
      ["POSITION_MISMATCH", "BTC/USDT:USDT", { books: "LONG 0.01", venue: "SHORT 0.005", difference: "-0.015" }],
    ]);
    expect(alerts(d)).toEqual([
      expect.stringContaining("shows the position flat, the books LONG 0.01"),
      expect.stringContaining("shows the position SHORT 0.005, the books LONG 0.01"),
    ]);
    setVenue([at("LONG", "0.01")]);
    expect(await d.engine.reconcile()).toBe(0);
    setVenue([]);
    expect(await d.engine.reconcile()).toBe(1); // the same difference again, after it had cleared
  });

  it("a positions read that fails skips only that comparison: the missed fill is still booked", async () => {
    const sim = simVenue(undefined, [BTC, PERP]);
    const venue = Object.assign(sim, { fetchPositions: () => Promise.reject(new Error("503 Service Unavailable")) });
    const d = desk(venue, sim);
    await d.engine.start();
    await quote(d, 20000, "BTC/USDT:USDT");
    endedOrder(d.store, "bst-ended", "REJECTED", { symbol: "BTC/USDT:USDT", quantity: "0.01" });
    d.clock.advance(1000);
    sim.submit({ clientOrderId: "bst-ended", symbol: "BTC/USDT:USDT", side: "BUY", type: "MARKET", quantity: "0.01", ts: d.clock.now() }, d.clock.now());
    expect(await d.engine.reconcile()).toBe(1);
    expect(positions(d)).toEqual(["BTC/USDT:USDT LONG 0.01"]);
  });

  it("ResilientVenue passes the positions read through, only where the venue has one", async () => {
    const options = {
      ratePerSecond: 10,
      burst: 10,
      maxAttempts: 1,
      baseDelayMs: 1,
      maxDelayMs: 1,
      now: () => T0,
      timers: { setTimeout: () => undefined },
      rng: { next: () => 0.5 },
    };
    const spot = new ResilientVenue(simVenue(), options);
    expect(spot.fetchPositions).toBeUndefined();
    const perp = Object.assign(simVenue(undefined, [PERP]), { fetchPositions: () => Promise.resolve([at("SHORT", "0.003")]) });
    const wrapped = new ResilientVenue(perp, options);
    expect((await wrapped.fetchPositions!()).map((p) => `${p.side} ${p.quantity.toString()}`)).toEqual(["SHORT 0.003"]);
  });
});

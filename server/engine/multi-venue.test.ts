import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { makeInstrument } from "../core/instrument";
import { BTC } from "../../test/instruments";
import { D } from "../core/money";
import type { OrderSpec } from "../core/orders";
import { MemoryStore } from "../db/memory-store";
import { SimVenue } from "../venues/sim/sim-venue";
import type { MarketUpdate, Venue, VenueEvent } from "../venues/venue";
import { DownableSimVenue } from "../../test/downable-venue";
import { Engine } from "./engine";
import type { VenueSet } from "./venue-set";
import type { Actor, EmergencyProgress, Signal } from "./types";

const BTC_CHEAP_FEE = makeInstrument({ ...BTC, takerFee: "0.0001", makerFee: "0.0001" });
const ETH = makeInstrument({ symbol: "ETH/USDT", priceTick: "0.01", qtyStep: "0.0001", minQty: "0.0001", minNotional: "5", takerFee: "0.001" });
const T0 = Date.UTC(2024, 0, 2, 12, 0, 0);
const trader: Actor = { username: "tina", role: "trader" };

/** A venue that can go down: refuses requests and reads, and says it is not connected (the others keep trading). */
class DownableVenue extends DownableSimVenue implements Venue {
  setEventSink(sink: (events: VenueEvent[]) => void) {
    this.inner.setEventSink(sink);
  }
  submit(spec: OrderSpec, now: number) {
    this.check();
    return this.inner.submit(spec, now);
  }
  onMarketData(update: MarketUpdate, now: number) {
    return this.down ? [] : this.inner.onMarketData(update, now);
  }
  override async fetchOrder(clientOrderId: string) {
    this.check();
    return this.inner.fetchOrder(clientOrderId);
  }
  override async fetchOpenOrders() {
    this.check();
    return this.inner.fetchOpenOrders();
  }
  override async fetchFills(since: number) {
    this.check();
    return this.inner.fetchFills(since);
  }
  override async fetchBalances() {
    this.check();
    return this.inner.fetchBalances();
  }
}

function sim(id: string, instruments = [BTC, ETH]): DownableVenue {
  return new DownableVenue(new SimVenue({ instruments, initialBalances: { USDT: "10000" } }, { id }));
}

function desk(venues: Venue[] = [sim("sim-a"), sim("sim-b")]) {
  const clock = new ManualClock(T0);
  const store = new MemoryStore();
  const engine = new Engine({
    venues,
    store,
    clock,
    ids: sequentialIds(),
    initialEquity: "20000",
    breaker: null,
    defaultSymbolSettings: { minConfidence: 0.5, sizing: { method: "fixed_fraction", fraction: 0.1 }, stopLossPct: null, takeProfitLevels: [], trailing: null },
  });
  return { engine, store, clock, venues };
}

type Desk = ReturnType<typeof desk>;

async function quote(d: Desk, venue: string, ask: number, symbol = "BTC/USDT"): Promise<void> {
  d.clock.advance(1000);
  await d.engine.marketData({ kind: "quote", symbol, bid: ask - 1, ask, venue });
}

let n = 0;
function signal(action: Signal["action"], extra: Partial<Signal> = {}): Signal {
  return { id: `sig-${++n}`, symbol: "BTC/USDT", action, confidence: 0.8, strategy: "test", ts: T0, ...extra };
}

function orderOf(d: Desk, result: { ok: boolean; data?: Record<string, unknown> }) {
  const coid = result.data?.clientOrderId as string;
  return d.store.getOrder(coid)!;
}

describe("several venues in one engine", () => {
  it("lists each symbol with its venue at start, and none for a symbol on two venues (whose decimals may differ)", async () => {
    const SOL = makeInstrument({ symbol: "SOL/USDT", priceTick: "0.01", qtyStep: "0.01", minQty: "0.01", minNotional: "5", takerFee: "0.001" });
    const d = desk([sim("sim-a", [BTC, ETH]), sim("sim-b", [BTC, SOL])]);
    // A listing left from an earlier desk that had BTC/USDT on sim-a alone: it no longer says where a BTC trade is.
    d.store.saveInstrument("sim-a", BTC, T0 - 1000);
    d.store.saveInstrument("sim-c", makeInstrument({ ...SOL, symbol: "XRP/USDT" }), T0 - 1000);
    await d.engine.start();
    expect(d.store.listInstrumentVenues()).toEqual([
      { symbol: "ETH/USDT", venue: "sim-a" },
      { symbol: "SOL/USDT", venue: "sim-b" },
      { symbol: "XRP/USDT", venue: "sim-c" }, // not listed now: kept for its old trades
    ]);
  });

  it("routes a signal to the venue with the best price net of its taker fee, and records every venue's offer with the order", async () => {
    // sim-a asks 20000 with a 0.1% fee (20020 net); sim-b asks 20010 with a 0.01% fee (20012.001 net): sim-b is cheaper.
    const d = desk([sim("sim-a"), sim("sim-b", [BTC_CHEAP_FEE, ETH])]);
    await d.engine.start();
    await quote(d, "sim-a", 20000);
    await quote(d, "sim-b", 20010);
    const result = await d.engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    expect(result).toMatchObject({ ok: true });
    const stored = orderOf(d, result);
    expect(stored.meta.venue).toBe("sim-b");
    expect(stored.order.status).toBe("FILLED");
    expect(stored.order.tags.route).toContain("Routed to sim-b");
    expect(stored.order.tags.route).toContain("sim-a passed: buy 20000 + 0.1% fee = 20020 net");
    expect(stored.order.tags.route).toContain("sim-b chosen: best net price: buy 20010 + 0.01% fee = 20012.001 net");
    // The fill is at sim-b's price and booked under sim-b.
    expect(d.store.fillsForOrder(stored.order.clientOrderId)[0]).toMatchObject({ venue: "sim-b" });
    expect(d.engine.state().positions[0]).toMatchObject({ venue: "sim-b" });
  });

  it("a sell routes to the best bid net of fee", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, "sim-a", 20000);
    await quote(d, "sim-b", 20010);
    await d.engine.execute({ kind: "signal", signal: signal("BUY", { venue: "sim-a" }), source: "test" });
    // A manual sell that opens nothing is refused on spot; the close of the sim-a position goes to sim-a, where it lives.
    const close = await d.engine.execute({ kind: "signal", signal: signal("CLOSE"), source: "test" });
    expect(close).toMatchObject({ ok: true });
    const sells = [...d.store.loadOrders({ onlyOpen: false })].filter((o) => o.order.side === "SELL");
    expect(sells.map((o) => o.meta.venue)).toEqual(["sim-a"]);
  });

  it("a trade keeps the venue it traded on: the same symbol closed on each venue is a trade on each", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, "sim-a", 20000);
    await quote(d, "sim-b", 20010);
    for (const venue of ["sim-b", "sim-a"]) {
      expect(await d.engine.execute({ kind: "signal", signal: signal("BUY", { venue }), source: "test" })).toMatchObject({ ok: true });
      expect(await d.engine.execute({ kind: "signal", signal: signal("CLOSE"), source: "test" })).toMatchObject({ ok: true });
    }
    expect(d.store.listTrades().map((t) => [t.symbol, t.venue])).toEqual([
      ["BTC/USDT", "sim-b"],
      ["BTC/USDT", "sim-a"],
    ]);
  });

  it("a named venue is used even when another is cheaper; an unknown one is refused in words", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, "sim-a", 20000);
    await quote(d, "sim-b", 20100);
    const named = await d.engine.execute({ kind: "signal", signal: signal("BUY", { venue: "sim-b" }), source: "test" });
    expect(orderOf(d, named).meta.venue).toBe("sim-b");
    expect(orderOf(d, named).order.tags.route).toBeUndefined();
    const unknown = await d.engine.execute({ kind: "signal", signal: signal("BUY", { venue: "kraken" }), source: "test" });
    expect(unknown).toMatchObject({
      ok: false,
      error: { code: "UNKNOWN_VENUE", message: "There is no venue 'kraken' on this desk; its venues are sim-a, sim-b." },
    });
    const manual = await d.engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.01", price: "19000", venue: "nowhere" },
      actor: trader,
      reason: null,
    });
    expect(manual).toMatchObject({ ok: false, error: { code: "UNKNOWN_VENUE" } });
    const manualAtA = await d.engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.01", price: "19000", venue: "sim-a" },
      actor: trader,
      reason: null,
    });
    expect(orderOf(d, manualAtA).meta.venue).toBe("sim-a");
  });

  it("skips a venue that is down with its reason, and keeps trading on the other", async () => {
    const a = sim("sim-a");
    const b = sim("sim-b");
    const d = desk([a, b]);
    await d.engine.start();
    await quote(d, "sim-a", 20000);
    await quote(d, "sim-b", 20100);
    a.down = true; // the cheaper venue is down
    const result = await d.engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    expect(result).toMatchObject({ ok: true });
    const stored = orderOf(d, result);
    expect(stored.meta.venue).toBe("sim-b");
    expect(stored.order.tags.route).toContain("sim-a skipped: down (sim-a is unreachable)");
    // A named order to the down venue is rejected; the other venue still trades.
    const atA = await d.engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.01", price: "19000", venue: "sim-a" },
      actor: trader,
      reason: null,
    });
    expect(atA).toMatchObject({ ok: false, error: { code: "VENUE_REJECTED" } });
    const atB = await d.engine.execute({ kind: "signal", signal: signal("BUY", { strategy: "other" }), source: "test" });
    expect(orderOf(d, atB)).toMatchObject({ meta: { venue: "sim-b" }, order: { status: "FILLED" } });
    // Reconciliation: sim-a cannot be read, sim-b still is (its balances are saved), and nothing throws.
    await expect(d.engine.reconcile()).resolves.toBeTypeOf("number");
    // sim-b's balances were read again after its trades; sim-a's stay as last read (at the start).
    expect(
      d.store
        .loadBalances("sim-b")
        .find((b) => b.currency === "USDT")!
        .total.lessThan(10000),
    ).toBe(true);
    expect(
      d.store
        .loadBalances("sim-a")
        .find((b) => b.currency === "USDT")!
        .total.toString(),
    ).toBe("10000");
    const views = d.engine.state().venues;
    expect(views.map((v) => [v.id, v.connected])).toEqual([
      ["sim-a", false],
      ["sim-b", true],
    ]);
    expect(views[1]).toMatchObject({ openPositions: 2 });
    expect(views[1]!.balances.map((b) => b.currency)).toContain("USDT");
  });

  it("cancel-all, pause and halt can target one venue; the other keeps its orders and trades on", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, "sim-a", 20000);
    await quote(d, "sim-b", 20000);
    const rest = (venue: string) =>
      d.engine.execute({
        kind: "manualOrder",
        order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.01", price: "19000", venue },
        actor: trader,
        reason: null,
      });
    const a1 = orderOf(d, await rest("sim-a")).order.clientOrderId;
    const b1 = orderOf(d, await rest("sim-b")).order.clientOrderId;
    const cancelA = await d.engine.execute({ kind: "cancelAll", venue: "sim-a", actor: trader, reason: "test" });
    expect(cancelA).toMatchObject({ ok: true, data: { requested: 1, canceled: 1 } });
    expect(d.store.getOrder(a1)!.order.status).toBe("CANCELED");
    expect(d.store.getOrder(b1)!.order.status).toBe("ACCEPTED");

    expect(await d.engine.execute({ kind: "pause", venue: "sim-b", actor: trader, reason: "maintenance" })).toMatchObject({ ok: true });
    expect(await rest("sim-b")).toMatchObject({ ok: false, error: { code: "VENUE_PAUSED" } });
    // Routing skips the paused venue.
    const routed = await d.engine.execute({ kind: "signal", signal: signal("BUY"), source: "test" });
    expect(orderOf(d, routed).meta.venue).toBe("sim-a");
    expect(orderOf(d, routed).order.tags.route).toContain("sim-b skipped: paused (maintenance)");
    expect(await d.engine.execute({ kind: "resume", venue: "sim-b", actor: trader, reason: null })).toMatchObject({ ok: true });

    const halt = await d.engine.execute({ kind: "emergencyStop", venue: "sim-b", flatten: false, actor: trader, reason: "exchange incident" });
    expect(halt).toMatchObject({ ok: true, data: { venue: "sim-b", requested: 1, canceled: 1 } });
    expect(d.store.getOrder(b1)!.order.status).toBe("CANCELED");
    expect(d.engine.state().tradingState).toBe("ACTIVE"); // the desk is not halted, one venue is
    expect(await rest("sim-b")).toMatchObject({ ok: false, error: { code: "VENUE_HALTED" } });
    expect(await rest("sim-a")).toMatchObject({ ok: true });
    expect(d.engine.state().venues.map((v) => v.state)).toEqual(["ACTIVE", "HALTED"]);
    expect(await d.engine.execute({ kind: "pause", venue: "nope", actor: trader, reason: null })).toMatchObject({
      ok: false,
      error: { code: "UNKNOWN_VENUE" },
    });
  });

  it("the emergency stop clears both venues and reports progress per venue", async () => {
    const d = desk();
    const progress: EmergencyProgress[] = [];
    d.engine.bus.subscribe((event) => {
      if (event.type === "emergency") progress.push(event.progress);
    });
    await d.engine.start();
    await quote(d, "sim-a", 20000);
    await quote(d, "sim-b", 20000);
    await d.engine.execute({ kind: "signal", signal: signal("BUY", { venue: "sim-a" }), source: "test" });
    await d.engine.execute({ kind: "signal", signal: signal("BUY", { venue: "sim-b", strategy: "two" }), source: "test" });
    for (const venue of ["sim-a", "sim-a", "sim-b"])
      await d.engine.execute({
        kind: "manualOrder",
        order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.01", price: "19000", venue },
        actor: trader,
        reason: null,
      });
    const stop = await d.engine.execute({ kind: "emergencyStop", flatten: true, actor: trader, reason: "test" });
    expect(stop).toMatchObject({ ok: true });
    const last = progress.at(-1)!;
    expect(last).toMatchObject({ step: "done", ordersToCancel: 3, ordersCanceled: 3, positionsToFlatten: 2, positionsFlattened: 2 });
    expect(last.venues).toEqual([
      { venue: "sim-a", ordersToCancel: 2, ordersCanceled: 2, positionsToFlatten: 1, positionsFlattened: 1 },
      { venue: "sim-b", ordersToCancel: 1, ordersCanceled: 1, positionsToFlatten: 1, positionsFlattened: 1 },
    ]);
    expect(d.engine.state().openOrders).toEqual([]);
    // Each venue's books agree with that venue: nothing open, no BTC left.
    for (const venue of d.venues) {
      expect(await venue.fetchOpenOrders()).toEqual([]);
      expect((await venue.fetchBalances()).find((b) => b.currency === "BTC")?.total.isZero() ?? true).toBe(true);
    }
  });

  it("the emergency stop does not wait for a venue that is down: the other is cleared and flattened", async () => {
    const a = sim("sim-a");
    const b = sim("sim-b");
    const d = desk([a, b]);
    await d.engine.start();
    await quote(d, "sim-a", 20000);
    await quote(d, "sim-b", 20000);
    await d.engine.execute({ kind: "signal", signal: signal("BUY", { venue: "sim-b" }), source: "test" });
    await d.engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.01", price: "19000", venue: "sim-a" },
      actor: trader,
      reason: null,
    });
    await d.engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.01", price: "19000", venue: "sim-b" },
      actor: trader,
      reason: null,
    });
    a.down = true;
    const stop = await d.engine.execute({ kind: "emergencyStop", flatten: true, actor: trader, reason: "test" });
    expect(stop).toMatchObject({ ok: true });
    expect(await b.fetchOpenOrders()).toEqual([]);
    expect(d.engine.state().positions.filter((p) => p.venue === "sim-b" && !p.position.quantity.isZero())).toEqual([]);
    const progress = (stop.data as { progress: EmergencyProgress }).progress;
    expect(progress.venues?.find((v) => v.venue === "sim-b")).toMatchObject({ ordersToCancel: 1, ordersCanceled: 1 });
    expect(progress.venues?.find((v) => v.venue === "sim-a")).toMatchObject({ ordersToCancel: 1, ordersCanceled: 0 });
  });

  it("books each venue's fills once per (venue, tradeId), even when the venues use the same trade ids", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, "sim-a", 20000);
    await quote(d, "sim-b", 20000);
    const atA = await d.engine.execute({ kind: "signal", signal: signal("BUY", { venue: "sim-a" }), source: "test" });
    const atB = await d.engine.execute({ kind: "signal", signal: signal("BUY", { venue: "sim-b", strategy: "two" }), source: "test" });
    const fillA = d.store.fillsForOrder(orderOf(d, atA).order.clientOrderId);
    const fillB = d.store.fillsForOrder(orderOf(d, atB).order.clientOrderId);
    expect(fillA.map((f) => [f.venue, f.tradeId])).toEqual([["sim-a", "sim-1"]]);
    expect(fillB.map((f) => [f.venue, f.tradeId])).toEqual([["sim-b", "sim-1"]]);
    // A reconciliation reads both venues' fills again: nothing is booked twice and no drift is found.
    expect(await d.engine.reconcile()).toBe(0);
    expect(d.store.fillsForOrder(orderOf(d, atA).order.clientOrderId)).toHaveLength(1);
    expect(d.store.fillsForOrder(orderOf(d, atB).order.clientOrderId)).toHaveLength(1);
  });

  it("equity is the sum over venues; each venue shows its own exposure and open orders", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, "sim-a", 20000);
    await quote(d, "sim-b", 20000);
    await d.engine.execute({ kind: "signal", signal: signal("BUY", { venue: "sim-a" }), source: "test" });
    await d.engine.execute({ kind: "signal", signal: signal("BUY", { venue: "sim-b", strategy: "two" }), source: "test" });
    const state = d.engine.state();
    const [va, vb] = state.venues;
    const summed = D(va!.exposure!).plus(vb!.exposure!);
    expect(summed.toString()).toBe(state.equity.exposure.toString());
    expect(D(va!.unrealized!).plus(vb!.unrealized!).toString()).toBe(state.equity.unrealized.toString());
    expect(va).toMatchObject({ id: "sim-a", openPositions: 1, openOrders: 0, conversionNote: null });
    expect(vb).toMatchObject({ id: "sim-b", openPositions: 1, openOrders: 0 });
  });

  it("refuses two venues with one id", () => {
    expect(() => desk([sim("same"), sim("same")])).toThrow("Two venues share the id same");
  });
});

describe("several venues: orders the books do not know", () => {
  it("an unknown order is kept per venue (another venue's reconciliation does not call it gone) and canceled at its own venue", async () => {
    const a = sim("sim-a");
    const b = sim("sim-b");
    const d = desk([a, b]);
    await d.engine.start();
    await quote(d, "sim-a", 20000);
    await quote(d, "sim-b", 20000);
    // Placed at sim-b by hand, outside Bastion.
    b.submit({ clientOrderId: "hand-1", symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.01", price: "19000" }, d.clock.now());
    await d.engine.reconcile();
    expect(d.engine.unknownOrderList()).toMatchObject([{ clientOrderId: "hand-1", venue: "sim-b" }]);
    // A second pass (sim-a's reconciliation sees no such order) keeps it, and records no "gone" drift.
    await d.engine.reconcile();
    expect(d.engine.unknownOrderList().map((u) => u.clientOrderId)).toEqual(["hand-1"]);
    expect(d.store.listDrifts().map((r) => `${r.kind} ${r.venue}`)).toEqual(["UNKNOWN_ORDER sim-b"]);
    const canceled = await d.engine.cancelUnknownOrder("hand-1", trader, "not ours");
    expect(canceled).toMatchObject({ ok: true });
    expect((await b.fetchOrder("hand-1"))?.status).toBe("CANCELED");
  });

  it("a breaker trip while one venue is being reconciled still cancels at every venue", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, "sim-a", 20000);
    await quote(d, "sim-b", 20000);
    for (const venue of ["sim-a", "sim-b"])
      await d.engine.execute({
        kind: "manualOrder",
        order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.01", price: "19000", venue },
        actor: trader,
        reason: null,
      });
    // Run the desk's emergency stop from inside sim-a's pinned scope, as a trip during its reconciliation would.
    const set = (d.engine as unknown as { cx: { venues: VenueSet } }).cx.venues;
    await set.pinned("sim-a", () => d.engine.execute({ kind: "emergencyStop", flatten: false, actor: trader, reason: "trip" }));
    for (const venue of d.venues) expect(await venue.fetchOpenOrders()).toEqual([]);
    expect(d.engine.state().openOrders).toEqual([]);
  });
});

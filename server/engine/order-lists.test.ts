import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock, type Timers } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { makeInstrument } from "../core/instrument";
import type { OrderChanges, VenueEvent } from "../core/orders/events";
import type { Order, OrderSpec } from "../core/orders/types";
import { MemoryStore } from "../db/memory-store";
import { openSqliteStore } from "../db/sqlite-store";
import type { Store, StoreHistory } from "../db/store";
import { createMigratedDb } from "../../test/db";
import { SimVenue } from "../venues/sim/sim-venue";
import { Engine } from "./engine";
import type { PlaceListRequest } from "./order-lists";
import type { Actor, CommandResult, ManualOrderRequest } from "./types";

const BTC = makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.00001", minNotional: "5", makerFee: "0.001", takerFee: "0.001" });
const tina: Actor = { username: "tina", role: "trader" };
const T0 = Date.UTC(2024, 0, 1);

/**
 * A venue like Binance spot through ccxt: no native stop-market orders (the engine emulates them), no GTD (the engine
 * expires it), and — with `modifies: false` — no modify (amends are cancel-replace). `holdCancels` keeps cancels until
 * `releaseCancels()`, like an exchange that confirms later.
 */
class DeskVenue extends SimVenue {
  submitted: OrderSpec[] = [];
  modifies = true;
  holdCancels = false;
  private heldCancels: { clientOrderId: string; now: number }[] = [];
  private deskSink: (events: VenueEvent[]) => void = () => undefined;
  override setEventSink(sink: (events: VenueEvent[]) => void): void {
    this.deskSink = sink;
    super.setEventSink(sink);
  }
  holdsNatively(spec: OrderSpec): boolean {
    return !["STOP_MARKET", "TRAILING_STOP_MARKET", "TAKE_PROFIT_MARKET"].includes(spec.type) && spec.timeInForce !== "GTD";
  }
  modifiesNatively(): boolean {
    return this.modifies;
  }
  override submit(spec: OrderSpec, now: number) {
    if (!this.holdsNatively(spec)) throw new Error(`venue asked to hold a ${spec.type} ${spec.timeInForce ?? ""}`);
    this.submitted.push(spec);
    return super.submit(spec, now);
  }
  override modify(clientOrderId: string, changes: OrderChanges, now: number) {
    if (!this.modifies) throw new Error("MODIFY_NOT_SUPPORTED");
    return super.modify(clientOrderId, changes, now);
  }
  override cancel(clientOrderId: string, now: number) {
    if (!this.holdCancels) return super.cancel(clientOrderId, now);
    this.heldCancels.push({ clientOrderId, now });
    return [];
  }
  releaseCancels(): void {
    const held = this.heldCancels.splice(0);
    for (const c of held) this.deskSink(super.cancel(c.clientOrderId, c.now));
  }
}

/** Timers on the manual clock: `advance` moves it and fires what fell due. */
class ClockTimers implements Timers {
  private next = 1;
  private readonly due = new Map<number, { at: number; fn: () => void }>();
  constructor(private readonly clock: ManualClock) {}
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.due.set(id, { at: this.clock.now() + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.due.delete(handle as number);
  }
  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    for (const [id, t] of [...this.due]) {
      if (t.at > this.clock.now()) continue;
      this.due.delete(id);
      t.fn();
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function desk(options: { store?: Store & StoreHistory; statePath?: string; clock?: ManualClock } = {}) {
  const clock = options.clock ?? new ManualClock(T0);
  const store = options.store ?? new MemoryStore();
  const venue = new DeskVenue({ instruments: [BTC], initialBalances: { USDT: "100000" } }, options.statePath ? { statePath: options.statePath } : {});
  const timers = new ClockTimers(clock);
  const engine = new Engine({
    venue,
    store,
    clock,
    timers,
    ids: sequentialIds(options.statePath ? `r${store.loadOrders({ onlyOpen: false }).length}` : ""),
    initialEquity: "100000",
    breaker: null,
    defaultSymbolSettings: { stopLossPct: null, takeProfitLevels: [], trailing: null, maxAgeMinutes: null },
  });
  await engine.start();
  const quote = async (price: number) => {
    clock.advance(1000);
    await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: price - 0.5, ask: price + 0.5 });
  };
  const trade = async (price: number, qty: number) => {
    clock.advance(1000);
    await engine.marketData({ kind: "trade", symbol: "BTC/USDT", price, qty });
  };
  const place = (list: PlaceListRequest) => engine.execute({ kind: "placeOrderList", list, actor: tina, reason: "test" });
  const order = (o: ManualOrderRequest) => engine.execute({ kind: "manualOrder", order: o, actor: tina, reason: null });
  const get = (clientOrderId: string): Order => store.getOrder(clientOrderId)!.order;
  const lists = () => engine.orderLists({ all: true });
  return { engine, venue, store, clock, timers, quote, trade, place, order, get, lists };
}

const ids = (result: CommandResult): string[] => (result.ok ? (result.data?.clientOrderIds as string[]) : []);

const bracket = (entry: Partial<ManualOrderRequest> = {}): Extract<PlaceListRequest, { kind: "BRACKET" }> => ({
  kind: "BRACKET",
  entry: { symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.1", ...entry },
  stopLoss: { type: "STOP_MARKET", triggerPrice: "19500" },
  takeProfit: { type: "LIMIT", price: "20500" },
});

describe("order lists through the engine", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  // Bracket lifecycles: which exit executes, and what is left of the list.
  it.each([
    { exit: "take-profit", path: [20300, 20600], filled: 2, canceled: 1, avg: "20500" },
    { exit: "stop-loss", path: [19800, 19400], filled: 1, canceled: 2, avg: "19399.5" },
  ])("bracket, entry filled at once: the legs go out; the $exit executes and cancels the other", async ({ path, filled, canceled, avg }) => {
    const d = await desk();
    await d.quote(20000);
    const placed = await d.place(bracket());
    expect(placed).toMatchObject({ ok: true });
    const [entry, stop, profit] = ids(placed) as [string, string, string];
    expect(d.get(entry).status).toBe("FILLED");
    // Legs sized to what filled: the stop held by the engine (the venue has no stop-market), the take-profit resting.
    expect(d.get(stop)).toMatchObject({ status: "EMULATED", reduceOnly: true, side: "SELL", listId: d.get(entry).listId });
    expect(d.get(stop).quantity.toString()).toBe("0.1");
    expect(d.get(profit)).toMatchObject({ status: "ACCEPTED", type: "LIMIT" });
    for (const price of path) await d.quote(price);
    const legs = [entry, stop, profit];
    expect(d.get(legs[filled]!).status).toBe("FILLED");
    expect(d.get(legs[filled]!).avgFillPrice?.toString()).toBe(avg);
    expect(d.get(legs[canceled]!).status).toBe("CANCELED");
    expect(d.engine.state().positions).toHaveLength(0);
    expect(d.engine.state().openOrders).toHaveLength(0);
    expect(d.lists()[0]).toMatchObject({ kind: "BRACKET", status: "DONE", mode: "EMULATED" });
  });

  it("bracket, entry filled in parts: the legs protect what filled and grow with each fill (native modify)", async () => {
    const d = await desk();
    await d.quote(20100);
    const placed = await d.place(bracket({ type: "LIMIT", price: "20000" }));
    const [entry, stop, profit] = ids(placed) as [string, string, string];
    expect(d.get(entry).status).toBe("ACCEPTED");
    expect(d.store.getOrder(stop)).toBeNull(); // nothing to protect yet
    await d.trade(19990, 0.04);
    expect(d.get(entry).filledQty.toString()).toBe("0.04");
    expect(d.get(stop).quantity.toString()).toBe("0.04");
    expect(d.get(profit).quantity.toString()).toBe("0.04");
    await d.trade(19990, 0.03);
    expect(d.get(stop).quantity.toString()).toBe("0.07"); // emulated: amended in the books
    expect(d.get(profit).quantity.toString()).toBe("0.07"); // native modify at the venue
    expect(d.store.journalFor(profit).map((e) => e.type)).toContain("modified");
    await d.trade(19990, 0.05);
    expect(d.get(entry).status).toBe("FILLED");
    expect(d.get(stop).quantity.toString()).toBe("0.1");
    await d.quote(20600);
    expect(d.get(profit).status).toBe("FILLED");
    expect(d.get(stop).status).toBe("CANCELED");
    expect(d.engine.state().positions).toHaveLength(0);
    expect(d.lists()[0]!.status).toBe("DONE");
  });

  it("bracket legs grown by cancel-replace where the venue cannot modify: never two take-profits live", async () => {
    const d = await desk();
    d.venue.modifies = false;
    await d.quote(20100);
    const placed = await d.place(bracket({ type: "LIMIT", price: "20000" }));
    const [entry, , profit] = ids(placed) as [string, string, string];
    await d.trade(19990, 0.04);
    await d.trade(19990, 0.06);
    expect(d.get(entry).status).toBe("FILLED");
    expect(d.get(profit).status).toBe("CANCELED");
    const view = d.lists()[0]!;
    const tp = view.legs.find((l) => l.role === "take_profit")!;
    expect(tp.replaced).toEqual([profit]);
    expect(tp.order?.quantity.toString()).toBe("0.1");
    const live = d.engine.state().openOrders.filter((o) => o.type === "LIMIT" && o.side === "SELL");
    expect(live).toHaveLength(1);
    await d.quote(20600);
    expect(d.engine.state().positions).toHaveLength(0);
    expect(d.lists()[0]!.status).toBe("DONE");
  });

  it("a bracket with a trailing stop: the stop ratchets with the market and, when it fires, the take-profit is canceled first", async () => {
    const d = await desk();
    await d.quote(20000);
    const placed = await d.place({ ...bracket(), stopLoss: { type: "TRAILING_STOP_MARKET", trailingOffset: "200", trailingOffsetType: "PRICE" } });
    expect(placed).toMatchObject({ ok: true });
    const [, stop, profit] = ids(placed) as [string, string, string];
    await d.quote(20300);
    expect(d.get(stop).triggerPrice?.toString()).toBe("20100");
    await d.quote(20050); // the pullback reaches the trigger
    expect(d.get(profit).status).toBe("CANCELED");
    expect(d.get(stop).status).toBe("FILLED");
    expect(d.engine.state().positions).toHaveLength(0);
    expect(d.lists()[0]!.status).toBe("DONE");
  });

  it("a bracket whose entry ends unfilled ends canceled, and no leg was ever sent", async () => {
    const d = await desk();
    await d.quote(20100);
    const [entry, stop, profit] = ids(await d.place(bracket({ type: "LIMIT", price: "20000" }))) as [string, string, string];
    await d.engine.execute({ kind: "cancelOrder", clientOrderId: entry, actor: tina, reason: null });
    expect(d.store.getOrder(stop)).toBeNull();
    expect(d.store.getOrder(profit)).toBeNull();
    expect(d.lists()[0]).toMatchObject({ status: "CANCELED" });
  });

  it("bracket prices on the wrong side are refused before anything is sent", async () => {
    const d = await desk();
    await d.quote(20000);
    const refused = await d.place({ ...bracket(), stopLoss: { type: "STOP_MARKET", triggerPrice: "20200" } });
    expect(refused).toMatchObject({ ok: false, error: { code: "BRACKET_PRICES" } });
    expect(d.venue.submitted).toHaveLength(0);
  });

  it.each([
    { leg: "take-profit limit", path: [20600], filled: 0, canceled: 1 },
    { leg: "stop (held by the engine)", path: [19400], filled: 1, canceled: 0 },
  ])("OCO: the $leg executes and the other is canceled", async ({ path, filled, canceled }) => {
    const d = await desk();
    await d.quote(20000);
    await d.order({ symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.1" });
    const placed = await d.place({
      kind: "OCO",
      first: { symbol: "BTC/USDT", side: "SELL", type: "LIMIT", quantity: "0.1", price: "20500", reduceOnly: true },
      second: { symbol: "BTC/USDT", side: "SELL", type: "STOP_MARKET", quantity: "0.1", triggerPrice: "19500", reduceOnly: true },
    });
    expect(placed).toMatchObject({ ok: true }); // the second reduce-only leg is not counted against the first
    const legs = ids(placed);
    for (const price of path) await d.quote(price);
    expect(d.get(legs[filled]!).status).toBe("FILLED");
    expect(d.get(legs[canceled]!).status).toBe("CANCELED");
    expect(d.engine.state().positions).toHaveLength(0);
    expect(d.lists()[0]).toMatchObject({ kind: "OCO", status: "DONE" });
  });

  it("OCO on a venue that confirms cancels later: the triggered stop waits until the take-profit is confirmed gone", async () => {
    const d = await desk();
    await d.quote(20000);
    await d.order({ symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.1" });
    const [profit, stop] = ids(
      await d.place({
        kind: "OCO",
        first: { symbol: "BTC/USDT", side: "SELL", type: "LIMIT", quantity: "0.1", price: "20500", reduceOnly: true },
        second: { symbol: "BTC/USDT", side: "SELL", type: "STOP_MARKET", quantity: "0.1", triggerPrice: "19500", reduceOnly: true },
      }),
    ) as [string, string];
    d.venue.holdCancels = true;
    await d.quote(19400);
    expect(d.get(profit).status).toBe("PENDING_CANCEL");
    expect(d.get(stop).status).toBe("EMULATED"); // not released while the take-profit may still be live
    expect(d.venue.submitted.find((s) => s.clientOrderId === stop)).toBeUndefined();
    d.venue.releaseCancels();
    await Promise.resolve();
    expect(d.get(profit).status).toBe("CANCELED");
    expect(d.get(stop).status).toBe("EMULATED"); // the OCO does not cancel the leg that is firing
    await d.quote(19400);
    expect(d.get(stop).status).toBe("FILLED");
    expect(d.engine.state().positions).toHaveLength(0);
  });

  it("OTO: the secondary is sent once the primary has filled", async () => {
    const d = await desk();
    await d.quote(20100);
    const [primary, secondary] = ids(
      await d.place({
        kind: "OTO",
        primary: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.1", price: "20000" },
        secondary: { symbol: "BTC/USDT", side: "SELL", type: "LIMIT", quantity: "0.1", price: "20800" },
      }),
    ) as [string, string];
    await d.trade(19990, 0.05);
    expect(d.store.getOrder(secondary)).toBeNull();
    await d.trade(19990, 0.05);
    expect(d.get(primary).status).toBe("FILLED");
    expect(d.get(secondary)).toMatchObject({ status: "ACCEPTED", reduceOnly: true });
    await d.quote(20900);
    expect(d.lists()[0]!.status).toBe("DONE");
  });

  it("cancel of the list cancels every leg", async () => {
    const d = await desk();
    await d.quote(20000);
    const placed = await d.place(bracket());
    const listId = placed.ok ? (placed.data?.listId as string) : "";
    const [, stop, profit] = ids(placed) as [string, string, string];
    expect(await d.engine.execute({ kind: "cancelOrderList", listId, actor: tina, reason: null })).toMatchObject({ ok: true });
    expect(d.get(stop).status).toBe("CANCELED");
    expect(d.get(profit).status).toBe("CANCELED");
    expect(d.lists()[0]).toMatchObject({ status: "CANCELED", endReason: "canceled by a person" });
    expect(d.store.listAudit().map((a) => a.action)).toEqual(["place_order_list", "cancel_order_list"]);
  });

  it("a halt cancels the entry's remainder and the legs, and the list ends", async () => {
    const d = await desk();
    await d.quote(20100);
    const [entry, stop] = ids(await d.place(bracket({ type: "LIMIT", price: "20000" }))) as [string, string];
    await d.trade(19990, 0.04);
    expect(d.get(stop).status).toBe("EMULATED");
    await d.engine.execute({ kind: "emergencyStop", flatten: false, actor: tina, reason: "test" });
    expect(d.get(entry).status).toBe("CANCELED");
    expect(d.get(stop).status).toBe("CANCELED");
    expect(d.engine.state().openOrders).toHaveLength(0);
    expect(d.lists()[0]).toMatchObject({ status: "DONE", endReason: "ended by the halt" });
  });

  it("a bracket survives a restart mid-list: the entry fills after it and the legs go out", async () => {
    const path = createMigratedDb();
    dirs.push(dirname(path));
    const clock = new ManualClock(T0);
    const statePath = `${dirname(path)}/venue.db`;
    const first = await desk({ store: openSqliteStore({ path, clock }), statePath, clock });
    await first.quote(20100);
    const [entry, stop, profit] = ids(await first.place(bracket({ type: "LIMIT", price: "20000" }))) as [string, string, string];
    await first.trade(19990, 0.04);
    await first.venue.close();
    const second = await desk({ store: openSqliteStore({ path, clock }), statePath, clock });
    expect(second.engine.orderLists()).toHaveLength(1);
    await second.trade(19990, 0.06);
    expect(second.get(entry).status).toBe("FILLED");
    expect(second.get(stop).quantity.toString()).toBe("0.1");
    expect(second.get(profit).quantity.toString()).toBe("0.1");
    await second.quote(20600);
    expect(second.get(stop).status).toBe("CANCELED");
    expect(second.engine.state().positions).toHaveLength(0);
    expect(second.engine.orderLists({ all: true })[0]!.status).toBe("DONE");
    await second.venue.close();
  });
});

describe("GTD the venue cannot hold", () => {
  it("is sent as GTC and canceled by the engine's timer at its expiry, journaled with the reason", async () => {
    const d = await desk();
    await d.quote(20100);
    const placed = await d.order({
      symbol: "BTC/USDT",
      side: "BUY",
      type: "LIMIT",
      quantity: "0.1",
      price: "19000",
      timeInForce: "GTD",
      expireAt: T0 + 60_000,
    });
    expect(placed).toMatchObject({ ok: true });
    const coid = placed.ok ? (placed.data?.clientOrderId as string) : "";
    expect(d.venue.submitted.find((s) => s.clientOrderId === coid)).toMatchObject({ timeInForce: "GTC" });
    expect(d.get(coid)).toMatchObject({ timeInForce: "GTD", status: "ACCEPTED", tags: { gtd: "engine" } });
    await d.timers.advance(30_000);
    expect(d.get(coid).status).toBe("ACCEPTED");
    await d.timers.advance(30_000);
    expect(d.get(coid)).toMatchObject({ status: "CANCELED", reason: "expired (GTD)" });
    expect(d.store.journalFor(coid).find((e) => e.type === "cancelRequest")?.payload).toMatchObject({ reason: "expired (GTD)" });
  });

  it("a GTD stop held by the engine expires locally", async () => {
    const d = await desk();
    await d.quote(20000);
    await d.order({ symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.1" });
    const placed = await d.order({
      symbol: "BTC/USDT",
      side: "SELL",
      type: "STOP_MARKET",
      quantity: "0.1",
      triggerPrice: "19000",
      timeInForce: "GTD",
      expireAt: T0 + 120_000,
    });
    const coid = placed.ok ? (placed.data?.clientOrderId as string) : "";
    expect(d.get(coid).status).toBe("EMULATED");
    await d.timers.advance(120_000);
    expect(d.get(coid)).toMatchObject({ status: "CANCELED", reason: "expired (GTD)" });
  });
});

describe("GTD expiry across a restart", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("the timer is armed again from the books; an order already due is canceled at once", async () => {
    const path = createMigratedDb();
    dirs.push(dirname(path));
    const clock = new ManualClock(T0);
    const statePath = `${dirname(path)}/venue.db`;
    const first = await desk({ store: openSqliteStore({ path, clock }), statePath, clock });
    await first.quote(20100);
    const placed = await first.order({
      symbol: "BTC/USDT",
      side: "BUY",
      type: "LIMIT",
      quantity: "0.1",
      price: "19000",
      timeInForce: "GTD",
      expireAt: T0 + 60_000,
    });
    const coid = placed.ok ? (placed.data?.clientOrderId as string) : "";
    await first.venue.close();
    clock.advance(120_000); // down past the expiry
    const second = await desk({ store: openSqliteStore({ path, clock }), statePath, clock });
    await second.timers.advance(0);
    expect(second.get(coid)).toMatchObject({ status: "CANCELED", reason: "expired (GTD)" });
    await second.venue.close();
  });
});

describe("amend a working order", () => {
  async function resting(modifies: boolean) {
    const d = await desk();
    d.venue.modifies = modifies;
    await d.quote(20100);
    const placed = await d.order({ symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.1", price: "19000" });
    return { d, coid: placed.ok ? (placed.data?.clientOrderId as string) : "" };
  }
  const amend = (d: Awaited<ReturnType<typeof desk>>, clientOrderId: string, change: { quantity?: string; price?: string }) =>
    d.engine.execute({ kind: "modifyOrder", clientOrderId, ...change, actor: tina, reason: "reprice" });

  it("natively where the venue modifies: same order, new price and quantity, audited", async () => {
    const { d, coid } = await resting(true);
    const result = await amend(d, coid, { price: "19500", quantity: "0.2" });
    expect(result).toMatchObject({ ok: true, data: { method: "modify" } });
    expect(d.get(coid)).toMatchObject({ status: "ACCEPTED" });
    expect(d.get(coid).price?.toString()).toBe("19500");
    expect(d.get(coid).quantity.toString()).toBe("0.2");
    expect(d.store.listAudit().at(-1)).toMatchObject({ action: "modify_order", target: coid, result: "OK" });
  });

  it("by cancel-replace elsewhere: one live order at every moment, the replacement at the new price", async () => {
    const { d, coid } = await resting(false);
    const result = await amend(d, coid, { price: "19500" });
    expect(result).toMatchObject({ ok: true, data: { method: "cancel-replace" } });
    const replacement = result.ok ? (result.data?.clientOrderId as string) : "";
    expect(d.get(coid).status).toBe("CANCELED");
    expect(d.get(replacement)).toMatchObject({ status: "ACCEPTED", tags: { replaces: coid } });
    expect(d.get(replacement).price?.toString()).toBe("19500");
    expect(d.engine.state().openOrders).toHaveLength(1);
  });

  it("cancel-replace with a fill while the cancel is on its way: the replacement is reduced by it", async () => {
    const { d, coid } = await resting(false);
    d.venue.holdCancels = true;
    const result = await amend(d, coid, { price: "18900" });
    expect(result).toMatchObject({ ok: true, data: { pending: true } });
    expect(d.engine.state().openOrders).toHaveLength(1); // no replacement before the cancel is confirmed
    await d.trade(18990, 0.03); // the old order still rests at the venue and fills 0.03
    expect(d.get(coid).filledQty.toString()).toBe("0.03");
    d.venue.releaseCancels();
    await Promise.resolve();
    const open = d.engine.state().openOrders;
    expect(open).toHaveLength(1);
    expect(open[0]!.clientOrderId).not.toBe(coid);
    expect(open[0]!.quantity.toString()).toBe("0.07");
    expect(open[0]!.price?.toString()).toBe("18900");
  });

  it("refuses what cannot be amended, in words", async () => {
    const { d, coid } = await resting(true);
    expect(await amend(d, coid, {})).toMatchObject({ ok: false, error: { code: "NOTHING_TO_AMEND" } });
    expect(await amend(d, coid, { quantity: "0.000001" })).toMatchObject({ ok: false, error: { code: "QTY_PRECISION" } });
    expect(await amend(d, "nope", { price: "1" })).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
  });
});

/**
 * Marks per (venue, symbol): on a desk with several venues one symbol is quoted at several prices, and a position is
 * valued and its exits triggered at its own venue's price; a venue without its own quote uses the desk-level mark.
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { makeInstrument } from "../core/instrument";
import { D } from "../core/money";
import type { OrderSpec } from "../core/orders/types";
import { MemoryStore } from "../db/memory-store";
import { SimVenue } from "../venues/sim/sim-venue";
import { Engine, type EngineOptions } from "./engine";
import { DEFAULT_RISK_LIMITS } from "./settings";
import type { Signal } from "./types";

const BTC = makeInstrument({
  symbol: "BTC/USDT",
  priceTick: "0.01",
  qtyStep: "0.00001",
  minQty: "0.00001",
  minNotional: "5",
  makerFee: "0",
  takerFee: "0",
});
const T0 = Date.UTC(2024, 0, 2, 12, 0, 0);

/** A venue like Binance spot: no native stop-market (the engine emulates it, triggered at the mark). */
class NoStopsVenue extends SimVenue {
  holdsNatively(spec: OrderSpec): boolean {
    return spec.type !== "STOP_MARKET";
  }
}

function desk(engineOptions: Partial<EngineOptions> = {}) {
  const clock = new ManualClock(T0);
  const store = new MemoryStore();
  const venues = ["sim-a", "sim-b"].map((id) => new NoStopsVenue({ instruments: [BTC], initialBalances: { USDT: "10000" } }, { id }));
  const engine = new Engine({
    venues,
    store,
    clock,
    ids: sequentialIds(),
    initialEquity: "20000",
    breaker: null,
    defaultSymbolSettings: { minConfidence: 0.5, sizing: { method: "fixed_fraction", fraction: 0.1 }, stopLossPct: null, takeProfitLevels: [], trailing: null },
    ...engineOptions,
  });
  return { engine, store, clock };
}

type Desk = ReturnType<typeof desk>;

/** A quote at one venue (bid = ask − 1, so the mark is ask − 0.5), or at every venue without `venue`. */
async function quote(d: Desk, venue: string | undefined, ask: number): Promise<void> {
  d.clock.advance(1000);
  await d.engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: ask - 1, ask, ...(venue !== undefined && { venue }) });
}

let n = 0;
function buy(venue: string, strategy: string, stopLoss?: number): Signal {
  return { id: `sig-${++n}`, symbol: "BTC/USDT", action: "BUY", confidence: 0.8, strategy, ts: T0, venue, ...(stopLoss !== undefined && { stopLoss }) };
}

function positionAt(d: Desk, venue: string) {
  const found = d.engine.state().positions.find((p) => p.venue === venue && p.position.quantity.greaterThan(0));
  if (!found) throw new Error(`no open position on ${venue}`);
  return found;
}

describe("marks per (venue, symbol)", () => {
  it("values each venue's position at that venue's price: unrealized PnL, exposure and the venue view", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, "sim-a", 20000);
    await quote(d, "sim-b", 21000);
    expect(await d.engine.execute({ kind: "signal", signal: buy("sim-a", "one"), source: "test" })).toMatchObject({ ok: true });
    expect(await d.engine.execute({ kind: "signal", signal: buy("sim-b", "two"), source: "test" })).toMatchObject({ ok: true });
    const a = positionAt(d, "sim-a");
    const b = positionAt(d, "sim-b");
    // sim-b's quote came last: a single desk-wide mark would value sim-a's position at 20999.5.
    expect(a.mark).toBe(19999.5);
    expect(b.mark).toBe(20999.5);

    // sim-a moves; sim-b's position keeps sim-b's price.
    await quote(d, "sim-a", 20200);
    const state = d.engine.state();
    const qa = positionAt(d, "sim-a").position;
    const qb = positionAt(d, "sim-b").position;
    const expectedA = D("20199.5").minus(qa.avgEntryPrice!).times(qa.quantity);
    const expectedB = D("20999.5").minus(qb.avgEntryPrice!).times(qb.quantity);
    expect(state.equity.unrealized.toString()).toBe(expectedA.plus(expectedB).toString());
    expect(state.equity.exposure.toString()).toBe(qa.quantity.times("20199.5").plus(qb.quantity.times("20999.5")).toString());
    const [va, vb] = state.venues;
    expect(va!.unrealized).toBe(expectedA.toString());
    expect(vb!.unrealized).toBe(expectedB.toString());
    expect(positionAt(d, "sim-b").mark).toBe(20999.5);
  });

  it("a stop triggers on its own venue's price, not on another venue's", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, "sim-a", 20000);
    await quote(d, "sim-b", 20000);
    expect(await d.engine.execute({ kind: "signal", signal: buy("sim-a", "one", 19500), source: "test" })).toMatchObject({ ok: true });
    expect(await d.engine.execute({ kind: "signal", signal: buy("sim-b", "two", 18500), source: "test" })).toMatchObject({ ok: true });

    // sim-b trades below sim-a's stop: sim-a's position stays open (its venue still quotes 20000), sim-b's above its own.
    await quote(d, "sim-b", 19000);
    expect(positionAt(d, "sim-a").position.state).not.toBe("CLOSING");
    expect(positionAt(d, "sim-b").position.quantity.greaterThan(0)).toBe(true);
    const sells = () => d.store.loadOrders({ onlyOpen: false }).filter((o) => o.order.side === "SELL");
    expect(sells()).toHaveLength(0);

    // sim-a's own price crosses its stop: the exit goes to sim-a only.
    await quote(d, "sim-a", 19400);
    expect(sells().map((o) => [o.meta.venue, o.order.tags.reason])).toEqual([["sim-a", "stop_loss"]]);
    // sim-b's stop (18500) has not been crossed at sim-b.
    expect(positionAt(d, "sim-b").position.quantity.greaterThan(0)).toBe(true);
  });

  it("a venue without its own quote uses the desk-level mark; data for every venue replaces the venues' own marks", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, undefined, 20000);
    expect(await d.engine.execute({ kind: "signal", signal: buy("sim-b", "two", 19500), source: "test" })).toMatchObject({ ok: true });
    expect(positionAt(d, "sim-b").mark).toBe(19999.5);
    // Only sim-a quotes from here: sim-b has no quote of its own, so its position follows the desk-level mark.
    await quote(d, "sim-a", 20300);
    expect(positionAt(d, "sim-b").mark).toBe(20299.5);
    // sim-b quotes on its own; then data for every venue is every venue's price again.
    await quote(d, "sim-b", 20100);
    await quote(d, "sim-a", 20400);
    expect(positionAt(d, "sim-b").mark).toBe(20099.5);
    await quote(d, undefined, 20600);
    expect(positionAt(d, "sim-b").mark).toBe(20599.5);
  });

  it("a trade print after a quote moves the mark's Decimal too (it was copied from the quote's mark)", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, "sim-a", 20000);
    expect(await d.engine.execute({ kind: "signal", signal: buy("sim-a", "one"), source: "test" })).toMatchObject({ ok: true });
    // Valuing the position makes the mark's Decimal; the trade print must not carry it over.
    d.engine.state();
    d.clock.advance(1000);
    await d.engine.marketData({ kind: "trade", symbol: "BTC/USDT", price: 21000, qty: 0.1, venue: "sim-a" });
    const { position } = positionAt(d, "sim-a");
    expect(d.engine.state().equity.unrealized.toString()).toBe(D(21000).minus(position.avgEntryPrice!).times(position.quantity).toString());
  });

  it("an emulated stop order triggers on the price of the venue it goes to", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, "sim-a", 20000);
    await quote(d, "sim-b", 20000);
    const trader = { username: "tina", role: "trader" } as const;
    const order = (o: { side: "BUY" | "SELL"; type: "MARKET" | "STOP_MARKET"; quantity: string; triggerPrice?: string }) =>
      d.engine.execute({ kind: "manualOrder", order: { symbol: "BTC/USDT", venue: "sim-a", ...o }, actor: trader, reason: null });
    expect(await order({ side: "BUY", type: "MARKET", quantity: "0.1" })).toMatchObject({ ok: true });
    const stop = await order({ side: "SELL", type: "STOP_MARKET", quantity: "0.1", triggerPrice: "19500" });
    expect(stop).toMatchObject({ ok: true, data: { status: "EMULATED" } });
    const coid = stop.ok ? (stop.data?.clientOrderId as string) : "";
    const status = () => d.store.getOrder(coid)!.order.status;
    await quote(d, "sim-b", 19000); // another venue's price crosses the trigger: nothing happens
    expect(status()).toBe("EMULATED");
    await quote(d, "sim-a", 19400); // its own venue's does
    expect(status()).toBe("FILLED");
    expect(d.store.getOrder(coid)!.meta.venue).toBe("sim-a");
  });

  it("the price-watching protections follow one venue's series: two venues quoting apart are not a flash move", async () => {
    const flashMove = { flashMove: { movePct: 3, windowSeconds: 300, action: "LOCK_SYMBOL" as const, lockMinutes: 60 } };
    const d = desk({ protections: flashMove });
    await d.engine.start();
    // 5 % apart, interleaved: each venue's own series is flat.
    for (let i = 0; i < 3; i++) {
      await quote(d, "sim-a", 20000);
      await quote(d, "sim-b", 21000);
    }
    expect(await d.engine.execute({ kind: "signal", signal: buy("sim-a", "one"), source: "test" })).toMatchObject({ ok: true });
    // The reference venue's own 5 % move still locks the symbol.
    await quote(d, "sim-a", 21000);
    const after = await d.engine.execute({ kind: "signal", signal: buy("sim-b", "two"), source: "test" });
    expect(after).toMatchObject({ ok: false });
    expect(after.ok ? "" : after.error.message).toMatch(/flash|locked/i);
  });

  it("a manual market order naming a venue is weighed at that venue's price", async () => {
    const d = desk({ riskLimits: { ...DEFAULT_RISK_LIMITS, minNotional: "10.2" } });
    await d.engine.start();
    await quote(d, "sim-b", 21000);
    await quote(d, "sim-a", 20000); // the desk-level mark is sim-a's now
    const order = (venue: string) =>
      d.engine.execute({
        kind: "manualOrder",
        order: { symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.0005", venue },
        actor: { username: "tina", role: "trader" },
        reason: null,
      });
    // 0.0005 × 20999.5 ≈ 10.5 at sim-b: above the minimum; at sim-a's 19999.5 ≈ 10.0: below.
    expect(await order("sim-b")).toMatchObject({ ok: true });
    expect(await order("sim-a")).toMatchObject({ ok: false, error: { code: "MIN_NOTIONAL" } });
  });
});

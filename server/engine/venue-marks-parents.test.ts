/**
 * Parent orders and order lists on a desk with several venues: an algorithm's arrival price, limit guards and touch,
 * and a bracket's checks, legs and emulated triggers use the mark of the venue the parent/list works on (its own
 * quote, else the desk-level mark), not whichever venue quoted last.
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { makeInstrument } from "../core/instrument";
import type { OrderSpec } from "../core/orders/types";
import { MemoryStore } from "../db/memory-store";
import { SimVenue } from "../venues/sim/sim-venue";
import { Engine } from "./engine";

const BTC_RULES = {
  symbol: "BTC/USDT",
  priceTick: "0.01",
  qtyStep: "0.00001",
  minQty: "0.00001",
  minNotional: "5",
  makerFee: "0",
  takerFee: "0",
};
const BTC = makeInstrument(BTC_RULES);
const T0 = Date.UTC(2024, 0, 2, 12, 0, 0);
const trader = { username: "tina", role: "trader" } as const;

/** A venue like Binance spot: no native stop-market (the engine emulates it, triggered at the mark). */
class NoStopsVenue extends SimVenue {
  holdsNatively(spec: OrderSpec): boolean {
    return spec.type !== "STOP_MARKET";
  }
}

function desk(simB = BTC) {
  const clock = new ManualClock(T0);
  const store = new MemoryStore();
  const venues = (["sim-a", "sim-b"] as const).map(
    (id) => new NoStopsVenue({ instruments: [id === "sim-b" ? simB : BTC], initialBalances: { USDT: "100000" } }, { id }),
  );
  const engine = new Engine({
    venues,
    store,
    clock,
    ids: sequentialIds(),
    initialEquity: "200000",
    breaker: null,
    defaultSymbolSettings: { stopLossPct: null, takeProfitLevels: [], trailing: null, maxAgeMinutes: null },
  });
  return { engine, store, clock };
}
type Desk = ReturnType<typeof desk>;

/** A quote at one venue: bid = ask − 1. */
async function quote(d: Desk, venue: string, ask: number, advanceMs = 1000): Promise<void> {
  d.clock.advance(advanceMs);
  await d.engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: ask - 1, ask, venue });
}

const working = (d: Desk) =>
  d.store
    .loadOrders({ onlyOpen: true })
    .filter((o) => o.order.tags.parentId !== undefined)
    .map((o) => [o.meta.venue, o.order.price?.toString()]);

describe("parents and lists at their venue's mark", () => {
  it("a chaser on sim-a: arrival price, resting price and re-pricing follow sim-a's touch, not sim-b's", async () => {
    const d = desk();
    await d.engine.start();
    await d.engine.execute({
      kind: "setSymbolSettings",
      symbol: "BTC/USDT",
      settings: { execution: { orderTimeoutSeconds: 10, retryAttempts: 3, chaserEnd: "cancel" } },
      actor: trader,
    });
    await quote(d, "sim-a", 20000);
    await quote(d, "sim-b", 21000); // the desk-level mark is sim-b's now
    const started = await d.engine.execute({
      kind: "startParent",
      parent: { symbol: "BTC/USDT", side: "BUY", quantity: "0.1", venue: "sim-a", algo: { kind: "chaser", entryPrice: "19900" } },
      actor: trader,
      reason: null,
    });
    expect(started).toMatchObject({ ok: true });
    expect(d.engine.parentOrders()[0]!.arrivalPrice).toBe("19999.5");
    expect(working(d)).toEqual([["sim-a", "19900"]]);

    // Timed out while only sim-b quotes: re-priced to sim-a's bid (sim-b's 20999 would cross sim-a's book).
    await quote(d, "sim-b", 21000, 10_000);
    expect(working(d)).toEqual([["sim-a", "19999"]]);
    // sim-a's own touch moves: the next re-price follows it.
    await quote(d, "sim-a", 20100, 10_000);
    expect(working(d)).toEqual([["sim-a", "20099"]]);
  });

  it("a routed signal's TWAP takes the routed venue's mark as its arrival price", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, "sim-b", 21000);
    await quote(d, "sim-a", 20000); // the desk-level mark is sim-a's
    const signal = {
      id: "sig-1",
      symbol: "BTC/USDT",
      action: "BUY" as const,
      confidence: 0.9,
      strategy: "s1",
      ts: T0,
      venue: "sim-b",
      algo: { kind: "twap" as const, horizonSeconds: 120, intervalSeconds: 60 },
    };
    expect(await d.engine.execute({ kind: "signal", signal, source: "test" })).toMatchObject({ ok: true });
    expect(d.engine.parentOrders()[0]!.arrivalPrice).toBe("20999.5");
    const children = d.store.loadOrders({ onlyOpen: false }).filter((o) => o.order.tags.parentId !== undefined);
    expect(children.map((o) => o.meta.venue)).toEqual(["sim-b"]);
  });

  it("a TWAP on sim-b slices by sim-b's quantity step (venues' rules differ)", async () => {
    const d = desk(makeInstrument({ ...BTC_RULES, qtyStep: "0.01", minQty: "0.01" }));
    await d.engine.start();
    await quote(d, "sim-a", 20000);
    await quote(d, "sim-b", 20000);
    const started = await d.engine.execute({
      kind: "startParent",
      parent: { symbol: "BTC/USDT", side: "BUY", quantity: "0.1", venue: "sim-b", algo: { kind: "twap", horizonSeconds: 180, intervalSeconds: 60 } },
      actor: trader,
      reason: null,
    });
    expect(started).toMatchObject({ ok: true });
    for (let i = 0; i < 3; i++) await quote(d, "sim-b", 20000, 60_000);
    const children = d.store.loadOrders({ onlyOpen: false }).filter((o) => o.order.tags.parentId !== undefined);
    expect(children.map((o) => [o.meta.venue, o.order.status])).toEqual(children.map(() => ["sim-b", "FILLED"]));
    // Three slices on sim-b's step (at the desk's 0.00001 step they would be 0.03333…: refused at sim-b).
    expect(children.map((o) => o.order.quantity.toString())).toEqual(["0.03", "0.04", "0.03"]);
    expect(d.engine.parentOrders()[0]).toMatchObject({ status: "done", filledQty: "0.1" });
  });

  it("a person's parent on sim-b opens a position there, beside their position on sim-a; a sell there reduces only sim-b's", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, "sim-a", 20000);
    await quote(d, "sim-b", 20000);
    const buyA = await d.engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.2", venue: "sim-a" },
      actor: trader,
      reason: null,
    });
    expect(buyA).toMatchObject({ ok: true });
    const parent = (side: "BUY" | "SELL", quantity: string) =>
      d.engine.execute({
        kind: "startParent",
        parent: { symbol: "BTC/USDT", side, quantity, venue: "sim-b", algo: { kind: "twap", horizonSeconds: 60, intervalSeconds: 60 } },
        actor: trader,
        reason: null,
      });
    expect(await parent("BUY", "0.1")).toMatchObject({ ok: true });
    const held = () =>
      d.engine
        .state()
        .positions.filter((p) => p.position.quantity.greaterThan(0))
        .map((p) => [p.venue, p.position.quantity.toString()])
        .sort();
    expect(held()).toEqual([
      ["sim-a", "0.2"],
      ["sim-b", "0.1"],
    ]);
    // Selling 0.15 on sim-b: sim-b holds 0.1 only (sim-a's 0.2 cannot be sold there).
    expect(await parent("SELL", "0.15")).toMatchObject({ ok: false, error: { code: "REDUCE_ONLY_OVERCOMMITTED" } });
    expect(await parent("SELL", "0.1")).toMatchObject({ ok: true });
    expect(held()).toEqual([["sim-a", "0.2"]]);
  });

  it("a bracket entered on sim-b is checked at sim-b's price; its emulated stop goes to sim-b and triggers on sim-b's price", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, "sim-b", 21000);
    await quote(d, "sim-a", 20000); // the desk-level mark (19999.5) is below the stop: a desk-level check would refuse
    const placed = await d.engine.execute({
      kind: "placeOrderList",
      list: {
        kind: "BRACKET",
        entry: { symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.1", venue: "sim-b" },
        stopLoss: { type: "STOP_MARKET", triggerPrice: "20500" },
        takeProfit: { type: "LIMIT", price: "21500" },
      },
      actor: trader,
      reason: "test",
    });
    expect(placed).toMatchObject({ ok: true });
    const [entry, stop, profit] = (placed.ok ? placed.data?.clientOrderIds : []) as [string, string, string];
    const get = (id: string) => d.store.getOrder(id)!;
    expect(get(entry).order.status).toBe("FILLED");
    expect([get(stop).meta.venue, get(stop).order.status]).toEqual(["sim-b", "EMULATED"]);
    expect([get(profit).meta.venue, get(profit).order.status]).toEqual(["sim-b", "ACCEPTED"]);
    await quote(d, "sim-a", 19000); // another venue's price under the stop: nothing
    expect(get(stop).order.status).toBe("EMULATED");
    await quote(d, "sim-b", 20400); // its own venue's price under the stop
    expect(get(stop).order.status).toBe("FILLED");
    expect(get(profit).order.status).toBe("CANCELED");
  });
});

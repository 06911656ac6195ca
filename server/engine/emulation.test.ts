import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { makeInstrument } from "../core/instrument";
import type { OrderSpec } from "../core/orders/types";
import { MemoryStore } from "../db/memory-store";
import { openSqliteStore } from "../db/sqlite-store";
import type { Store } from "../db/store";
import { createMigratedDb } from "../../test/db";
import { SimVenue } from "../venues/sim/sim-venue";
import { Engine } from "./engine";
import type { Actor } from "./types";

const BTC = makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.00001", minNotional: "5", makerFee: "0.001", takerFee: "0.001" });
const tina: Actor = { username: "tina", role: "trader" };

/** A venue like Binance spot: no native stop-market or trailing orders (the engine must emulate them). */
class NoStopsVenue extends SimVenue {
  submitted: OrderSpec[] = [];
  holdsNatively(spec: OrderSpec): boolean {
    return !["STOP_MARKET", "TRAILING_STOP_MARKET", "TAKE_PROFIT_MARKET"].includes(spec.type);
  }
  override submit(spec: OrderSpec, now: number) {
    if (!this.holdsNatively(spec)) throw new Error(`venue asked to hold a ${spec.type}`);
    this.submitted.push(spec);
    return super.submit(spec, now);
  }
}

async function desk(store: Store = new MemoryStore(), statePath?: string, clock = new ManualClock(Date.UTC(2024, 0, 1))) {
  const venue = new NoStopsVenue({ instruments: [BTC], initialBalances: { USDT: "100000" } }, statePath ? { statePath } : {});
  const engine = new Engine({
    venue,
    store,
    clock,
    ids: sequentialIds(statePath ? "b" : ""),
    initialEquity: "100000",
    breaker: null,
    defaultSymbolSettings: { stopLossPct: null, takeProfitLevels: [], trailing: null, maxAgeMinutes: null },
  });
  await engine.start();
  const quote = async (price: number) => {
    clock.advance(1000);
    await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: price - 0.5, ask: price + 0.5 });
  };
  const order = (o: Parameters<Engine["execute"]>[0] extends infer C ? (C extends { kind: "manualOrder"; order: infer O } ? O : never) : never) =>
    engine.execute({ kind: "manualOrder", order: o, actor: tina, reason: null });
  return { engine, venue, store, clock, quote, order };
}

describe("orders the venue cannot hold are emulated by the engine", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("a stop-market is held locally and released as a market order when its trigger fires", async () => {
    const d = await desk();
    await d.quote(20000);
    await d.order({ symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.1" });
    const stop = await d.order({ symbol: "BTC/USDT", side: "SELL", type: "STOP_MARKET", quantity: "0.1", triggerPrice: "19500" });
    expect(stop).toMatchObject({ ok: true, data: { status: "EMULATED" } });
    const coid = stop.ok ? (stop.data?.clientOrderId as string) : "";
    expect(d.venue.submitted.map((s) => s.clientOrderId)).not.toContain(coid);
    await d.quote(19800);
    expect(d.engine.state().openOrders.find((o) => o.clientOrderId === coid)?.status).toBe("EMULATED");
    await d.quote(19400); // bid 19399.5 ≤ 19500
    const sent = d.venue.submitted.find((s) => s.clientOrderId === coid);
    expect(sent).toMatchObject({ type: "MARKET", side: "SELL", reduceOnly: true });
    expect(d.store.getOrder(coid)?.order.status).toBe("FILLED");
    expect(d.store.journalFor(coid).map((e) => e.type)).toEqual(["intent", "emulate", "trigger", "release", "submit", "accept", "fill"]);
    expect(d.engine.state().positions).toHaveLength(0);
  });

  it("a trailing stop ratchets with the market and fires on the pullback", async () => {
    const d = await desk();
    await d.quote(20000);
    await d.order({ symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.1" });
    const trail = await d.order({
      symbol: "BTC/USDT",
      side: "SELL",
      type: "TRAILING_STOP_MARKET",
      quantity: "0.1",
      trailingOffset: "100",
      trailingOffsetType: "PRICE",
    });
    const coid = trail.ok ? (trail.data?.clientOrderId as string) : "";
    expect(trail).toMatchObject({ ok: true, data: { status: "EMULATED" } });
    await d.quote(20500); // last (the mid, the default trigger source) 20500 → trigger 20400
    expect(
      d.engine
        .state()
        .openOrders.find((o) => o.clientOrderId === coid)
        ?.triggerPrice?.toString(),
    ).toBe("20400");
    await d.quote(20450); // a dip that does not reach the trigger: the trigger never moves back
    expect(
      d.engine
        .state()
        .openOrders.find((o) => o.clientOrderId === coid)
        ?.triggerPrice?.toString(),
    ).toBe("20400");
    await d.quote(20400); // last 20400 reaches it: released as a market sell, filled at the bid
    expect(d.store.getOrder(coid)?.order.status).toBe("FILLED");
    expect(d.store.getOrder(coid)?.order.avgFillPrice?.toString()).toBe("20399.5");
  });

  it("emulated orders are canceled locally, by hand and by the emergency stop", async () => {
    const d = await desk();
    await d.quote(20000);
    await d.order({ symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.2" });
    const a = await d.order({ symbol: "BTC/USDT", side: "SELL", type: "STOP_MARKET", quantity: "0.1", triggerPrice: "19000" });
    const b = await d.order({ symbol: "BTC/USDT", side: "SELL", type: "STOP_MARKET", quantity: "0.1", triggerPrice: "18000" });
    const coidA = a.ok ? (a.data?.clientOrderId as string) : "";
    expect(await d.engine.execute({ kind: "cancelOrder", clientOrderId: coidA, actor: tina, reason: null })).toMatchObject({ ok: true });
    expect(d.store.getOrder(coidA)?.order.status).toBe("CANCELED");
    const stop = await d.engine.execute({ kind: "emergencyStop", flatten: true, actor: tina, reason: "test" });
    expect(stop.ok).toBe(true);
    const coidB = b.ok ? (b.data?.clientOrderId as string) : "";
    expect(d.store.getOrder(coidB)?.order.status).toBe("CANCELED");
    expect(d.engine.state().openOrders).toHaveLength(0);
    expect(d.engine.state().positions).toHaveLength(0);
  });

  it("an emulated order survives a restart and is not a reconciliation drift", async () => {
    const path = createMigratedDb();
    dirs.push(dirname(path));
    const clock = new ManualClock(Date.UTC(2024, 0, 1));
    const first = await desk(openSqliteStore({ path, clock }), `${dirname(path)}/venue.db`, clock);
    await first.quote(20000);
    await first.order({ symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.1" });
    const stop = await first.order({ symbol: "BTC/USDT", side: "SELL", type: "STOP_MARKET", quantity: "0.1", triggerPrice: "19500" });
    const coid = stop.ok ? (stop.data?.clientOrderId as string) : "";
    await first.venue.close();
    const second = await desk(openSqliteStore({ path, clock }), `${dirname(path)}/venue.db`, clock);
    expect(second.engine.state().openOrders.find((o) => o.clientOrderId === coid)?.status).toBe("EMULATED");
    expect(await second.engine.reconcile()).toBe(0);
    await second.quote(19400);
    expect(second.store.getOrder(coid)?.order.status).toBe("FILLED");
    await second.venue.close();
  });
});

/**
 * LIVE with two venues in one engine, in process: ResilientVenue → CcxtVenue → ccxt `binance` → the Binance test
 * server, and ResilientVenue → CcxtVenue → ccxt `bitget` → the Bitget test server, at once. A signal per venue, a
 * routed signal (best net price), the emergency stop clearing both, one server killed mid-run while the other keeps
 * trading; the books agree with each exchange. Waits on the engine's events, never on the wall clock.
 */
import { afterEach, describe, expect, it } from "vitest";
import { D } from "../core/money";
import { MemoryStore } from "../db/memory-store";
import type { Exchange } from "ccxt";
import { BinanceTestServer } from "../../test/binance-test-server";
import { liveExchangesFor } from "../../test/binance-test-server/live-exchange";
import { BitgetTestServer } from "../../test/bitget-test-server";
import { bitgetLiveExchangesFor } from "../../test/bitget-test-server/live-exchange";
import { EngineWaits, liveEngine, liveResilient, liveSymbolSettings, wallClock } from "../../test/live-desk";
import { CcxtVenue } from "../venues/ccxt/ccxt-venue";
import { type Engine } from "./engine";
import type { Actor, EmergencyProgress, Signal } from "./types";

const trader: Actor = { username: "tina", role: "trader" };
const SYMBOLS = ["BTC/USDT", "ETH/USDT"];
const PATIENT_MS = 20_000;

const waits = new EngineWaits();
const waitFor = waits.waitFor.bind(waits);

interface TwoVenueDesk {
  binance: BinanceTestServer;
  bitget: BitgetTestServer;
  engine: Engine;
  store: MemoryStore;
  close(): Promise<void>;
}

async function twoVenueDesk(): Promise<TwoVenueDesk> {
  const binance = await BinanceTestServer.start({ symbols: SYMBOLS });
  const bitget = await BitgetTestServer.start({ symbols: SYMBOLS });
  // Bitget quotes BTC below Binance: a routed buy goes there.
  binance.pushQuote("BTCUSDT", 30_000, 30_000.5, 50, 50);
  binance.pushQuote("ETHUSDT", 2_000, 2_000.1, 500, 500);
  bitget.pushQuote("BTCUSDT", 29_939.5, 29_940, 50, 50);
  bitget.pushQuote("ETHUSDT", 2_000, 2_000.1, 500, 500);
  let engineRef: Engine | null = null;
  const open = async (exchanges: { exchange: Exchange; emergency: Exchange }) => {
    const venue = await CcxtVenue.open({
      exchange: exchanges.exchange,
      emergencyExchange: exchanges.emergency,
      symbols: SYMBOLS,
      clock: wallClock,
      pollIntervalMs: 200,
    });
    return liveResilient(venue, { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 200, engine: () => engineRef });
  };
  const venues = [
    await open(liveExchangesFor(binance.url, { timeoutMs: PATIENT_MS })),
    await open(bitgetLiveExchangesFor(bitget.url, { timeoutMs: PATIENT_MS })),
  ];
  const store = new MemoryStore();
  const engine = liveEngine({ venues, store, defaultSymbolSettings: liveSymbolSettings(0.01), emergencyConfirmMs: 15_000 });
  engineRef = engine;
  waits.watch(engine.bus);
  await engine.start();
  await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 30_000, ask: 30_000.5, venue: "binance" });
  await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 29_939.5, ask: 29_940, venue: "bitget" });
  await engine.marketData({ kind: "quote", symbol: "ETH/USDT", bid: 2_000, ask: 2_000.1 });
  return {
    binance,
    bitget,
    engine,
    store,
    close: async () => {
      await Promise.allSettled(venues.map((v) => v.close()));
      await Promise.allSettled([binance.close(), bitget.close()]);
    },
  };
}

const desks: TwoVenueDesk[] = [];
afterEach(async () => {
  waits.clear();
  while (desks.length > 0) await desks.pop()!.close();
});

let n = 0;
function signal(extra: Partial<Signal>): Signal {
  return { id: `mv-${++n}`, symbol: "BTC/USDT", action: "BUY", confidence: 0.8, strategy: "test", ts: Date.now(), ...extra };
}

/** What our books hold per clientOrderId at one venue (filled quantity from the booked fills). */
function booked(d: TwoVenueDesk, venue: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { order, meta } of d.store.loadOrders({ onlyOpen: false })) {
    if (meta.venue !== venue) continue;
    const fills = d.store.fillsForOrder(order.clientOrderId);
    if (fills.length > 0) out[order.clientOrderId] = fills.reduce((sum, f) => sum.plus(f.qty), D(0)).toString();
  }
  return out;
}

function binanceTrades(server: BinanceTestServer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of server.account.allTrades())
    out[t.clientOrderId] = D(out[t.clientOrderId] ?? 0)
      .plus(t.qty)
      .toString();
  return out;
}

function bitgetTrades(server: BitgetTestServer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of server.account.allTrades())
    out[t.clientOid] = D(out[t.clientOid] ?? 0)
      .plus(t.size)
      .toString();
  return out;
}

const place = (d: TwoVenueDesk, venue: string, price: string) =>
  d.engine.execute({
    kind: "manualOrder",
    order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.001", price, venue },
    actor: trader,
    reason: null,
  });

describe("one engine, two live venues (Binance and Bitget test servers)", { timeout: 90_000 }, () => {
  it("a signal per venue, a routed signal, then the emergency stop clears both; the books match each exchange", async () => {
    const d = await twoVenueDesk();
    desks.push(d);
    const atBinance = await d.engine.execute({ kind: "signal", signal: signal({ strategy: "a", venue: "binance" }), source: "test" });
    const atBitget = await d.engine.execute({ kind: "signal", signal: signal({ strategy: "b", venue: "bitget" }), source: "test" });
    const routed = await d.engine.execute({ kind: "signal", signal: signal({ strategy: "c" }), source: "test" });
    for (const r of [atBinance, atBitget, routed]) expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
    const coid = (r: typeof routed) => (r.ok ? (r.data?.clientOrderId as string) : "");
    expect(d.store.getOrder(coid(atBinance))!.meta.venue).toBe("binance");
    expect(d.store.getOrder(coid(atBitget))!.meta.venue).toBe("bitget");
    const routedOrder = d.store.getOrder(coid(routed))!;
    expect(routedOrder.meta.venue, routedOrder.order.tags.route).toBe("bitget"); // 29 940 + 0.2 % (29 999.88) beats 30 000.5 + 0.1 % (30 030.5005)
    expect(routedOrder.order.tags.route).toMatch(
      /^Routed to bitget \(binance passed: buy 30000\.5 .*; bitget chosen: best net price: buy 29940 \+ 0.2% fee = 29999.88 net/,
    );
    await waitFor("three positions", () => d.engine.state().positions.filter((p) => p.position.quantity.greaterThan(0)).length === 3);
    expect(d.binance.requests("POST /api/v3/order").map((r) => r.params.newClientOrderId)).toEqual([coid(atBinance)]);
    expect(d.bitget.requests("POST /api/v2/spot/trade/place-order").map((r) => r.params.clientOid)).toEqual([coid(atBitget), coid(routed)]);
    expect(
      d.engine
        .state()
        .positions.map((p) => `${p.strategy}@${p.venue}`)
        .sort(),
    ).toEqual(["a@binance", "b@bitget", "c@bitget"]);

    // Resting orders on both, then the emergency stop with flatten.
    for (const [venue, price] of [
      ["binance", "29000"],
      ["binance", "29001"],
      ["bitget", "29000"],
    ] as const)
      expect(await place(d, venue, price)).toMatchObject({ ok: true });
    await waitFor("two resting at Binance, one at Bitget", () => d.binance.account.openOrderCount() === 2 && d.bitget.account.openOrderCount() === 1);
    const progress: EmergencyProgress[] = [];
    d.engine.bus.subscribe((event) => {
      if (event.type === "emergency") progress.push(event.progress);
    });
    expect(await d.engine.execute({ kind: "emergencyStop", flatten: true, actor: trader, reason: "two-venue drill" })).toMatchObject({ ok: true });
    const last = await waitFor("the emergency stop done", () => progress.find((p) => p.step === "done"));
    expect(last.venues).toEqual([
      { venue: "binance", ordersToCancel: 2, ordersCanceled: 2, positionsToFlatten: 1, positionsFlattened: 1 },
      { venue: "bitget", ordersToCancel: 1, ordersCanceled: 1, positionsToFlatten: 2, positionsFlattened: 2 },
    ]);
    expect(d.binance.account.openOrderCount()).toBe(0);
    expect(d.bitget.account.openOrderCount()).toBe(0);
    expect(d.engine.state().positions.filter((p) => p.position.quantity.greaterThan(0))).toEqual([]);
    // Books = each exchange: every fill the exchange executed is booked once, under its venue.
    await waitFor("the Bitget books matching the exchange", () => JSON.stringify(booked(d, "bitget")) === JSON.stringify(bitgetTrades(d.bitget)));
    expect(booked(d, "binance")).toEqual(binanceTrades(d.binance));
    expect(booked(d, "bitget")).toEqual(bitgetTrades(d.bitget));
    expect(Object.keys(booked(d, "binance"))).toHaveLength(2); // entry and flatten
    expect(Object.keys(booked(d, "bitget"))).toHaveLength(4);
  });

  it("one venue killed mid-run: the other keeps trading, is reconciled and is cleared by the emergency stop", async () => {
    const d = await twoVenueDesk();
    desks.push(d);
    const before = await d.engine.execute({ kind: "signal", signal: signal({ strategy: "b", venue: "bitget" }), source: "test" });
    expect(before).toMatchObject({ ok: true });
    await waitFor("a Bitget position", () => d.engine.state().positions.some((p) => p.venue === "bitget" && p.position.quantity.greaterThan(0)));
    await d.bitget.close(); // the Bitget server is gone

    const atBinance = await d.engine.execute({ kind: "signal", signal: signal({ strategy: "a", venue: "binance" }), source: "test" });
    expect(atBinance).toMatchObject({ ok: true });
    await waitFor("a Binance position", () => d.engine.state().positions.some((p) => p.venue === "binance" && p.position.quantity.greaterThan(0)));
    // Reconciliation: Bitget cannot be read, Binance is, and its books agree (no drift there).
    await expect(d.engine.reconcile()).resolves.toBe(0);
    expect(booked(d, "binance")).toEqual(binanceTrades(d.binance));

    expect(await place(d, "binance", "29000")).toMatchObject({ ok: true });
    await waitFor("one order resting at Binance", () => d.binance.account.openOrderCount() === 1);
    const stop = await d.engine.execute({ kind: "emergencyStop", flatten: true, actor: trader, reason: "bitget is down" });
    expect(stop).toMatchObject({ ok: true });
    // Binance is cleared and flattened without waiting for Bitget's cancels (which cannot be confirmed).
    await waitFor("no order left at Binance", () => d.binance.account.openOrderCount() === 0);
    await waitFor("the Binance position closed", () => !d.engine.state().positions.some((p) => p.venue === "binance" && p.position.quantity.greaterThan(0)));
    const progress = d.engine.state().emergency!;
    expect(progress.venues?.find((v) => v.venue === "binance")).toMatchObject({ ordersToCancel: 1, ordersCanceled: 1, positionsFlattened: 1 });
    expect(progress.step).not.toBe("done"); // Bitget's position is still waiting
    expect(booked(d, "binance")).toEqual(binanceTrades(d.binance));
  });
});

/**
 * LIVE with two venues in one engine, in process: ResilientVenue → CcxtVenue → ccxt `binance` → the Binance test
 * server, and ResilientVenue → CcxtVenue → ccxt `bitget` → the Bitget test server, at once. A signal per venue, a
 * routed signal (best net price), the emergency stop clearing both, one server killed mid-run while the other keeps
 * trading; the books agree with each exchange. Waits on the engine's events, never on the wall clock.
 */
import { afterEach, describe, expect, it } from "vitest";
import { timeOrderedIds } from "../core/ids";
import { seededRng } from "../core/rng";
import { D } from "../core/money";
import { MemoryStore } from "../db/memory-store";
import { BinanceTestServer, TEST_API_KEY, TEST_API_SECRET } from "../../test/binance-test-server";
import { BITGET_TEST_API_KEY, BITGET_TEST_API_SECRET, BITGET_TEST_PASSPHRASE, BitgetTestServer } from "../../test/bitget-test-server";
import { CcxtVenue } from "../venues/ccxt/ccxt-venue";
import { createLiveExchange, loadLiveConfig, LIVE_OPT_IN_VALUE } from "../venues/ccxt/live-config";
import { Engine } from "./engine";
import { ResilientVenue } from "./resilient-venue";
import type { Actor, EmergencyProgress, Signal } from "./types";

const trader: Actor = { username: "tina", role: "trader" };
const SYMBOLS = ["BTC/USDT", "ETH/USDT"];
const clock = { now: () => Date.now() };
const PATIENT_MS = 20_000;

const rechecks = new Set<() => void>();

function waitFor<T>(probe: () => T | null | undefined | false | Promise<T | null | undefined | false>): Promise<T> {
  return new Promise((resolve, reject) => {
    let busy = false;
    const check = () => {
      if (busy) return;
      busy = true;
      Promise.resolve(probe())
        .then((value) => {
          busy = false;
          if (!value) return;
          rechecks.delete(check);
          resolve(value);
        })
        .catch((e: unknown) => {
          rechecks.delete(check);
          reject(e instanceof Error ? e : new Error(String(e)));
        });
    };
    rechecks.add(check);
    check();
  });
}

function resilient(venue: CcxtVenue, engineRef: { engine: Engine | null }): ResilientVenue {
  return new ResilientVenue(venue, {
    ratePerSecond: 100,
    burst: 100,
    maxAttempts: 3,
    baseDelayMs: 50,
    maxDelayMs: 200,
    now: () => Date.now(),
    timers: { setTimeout: (fn, ms) => setTimeout(fn, ms) },
    rng: seededRng(1),
    onError: () => engineRef.engine?.noteVenueError(),
    onSuccess: () => engineRef.engine?.noteVenueSuccess(),
  });
}

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
  const binanceConfig = loadLiveConfig(
    { BASTION_API_KEY: TEST_API_KEY, BASTION_API_SECRET: TEST_API_SECRET, BASTION_API_URL: binance.url, BASTION_LIVE_OPT_IN: LIVE_OPT_IN_VALUE },
    { cwd: "/nonexistent-bastion-dir" },
  );
  const bitgetConfig = loadLiveConfig(
    {
      BASTION_EXCHANGE: "bitget",
      BASTION_API_KEY: BITGET_TEST_API_KEY,
      BASTION_API_SECRET: BITGET_TEST_API_SECRET,
      BASTION_API_PASSWORD: BITGET_TEST_PASSPHRASE,
      BASTION_API_URL: bitget.url,
      BASTION_MARKET_TYPES: "spot",
      BASTION_LIVE_OPT_IN: LIVE_OPT_IN_VALUE,
    },
    { cwd: "/nonexistent-bastion-dir" },
  );
  if (!binanceConfig.ok) throw new Error(binanceConfig.error.message);
  if (!bitgetConfig.ok) throw new Error(bitgetConfig.error.message);
  const engineRef: { engine: Engine | null } = { engine: null };
  const open = async (config: typeof binanceConfig.value) => {
    const { exchange, emergency } = createLiveExchange(config, { timeoutMs: PATIENT_MS });
    return resilient(await CcxtVenue.open({ exchange, emergencyExchange: emergency, symbols: SYMBOLS, clock, pollIntervalMs: 200 }), engineRef);
  };
  const venues = [await open(binanceConfig.value), await open(bitgetConfig.value)];
  const store = new MemoryStore();
  const engine = new Engine({
    venues,
    store,
    clock,
    ids: timeOrderedIds(() => Date.now(), seededRng(2).next),
    initialEquity: "100000",
    breaker: { maxOrdersPerMinute: 1_000, maxOrdersPerHour: 10_000 },
    riskLimits: { maxOpenPositions: 10, maxPortfolioExposurePct: 100, minNotional: "5", maxOrdersPerMinute: 1_000, maxSymbolExposurePct: 100 },
    defaultSymbolSettings: {
      minConfidence: 0.5,
      sizing: { method: "fixed_fraction", fraction: 0.01 },
      stopLossPct: null,
      takeProfitLevels: [],
      trailing: null,
      maxAgeMinutes: null,
    },
    emergencyConfirmMs: 15_000,
  });
  engineRef.engine = engine;
  engine.bus.subscribe(() => setImmediate(() => rechecks.forEach((check) => check())));
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
  rechecks.clear();
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
    await waitFor(() => d.engine.state().positions.filter((p) => p.position.quantity.greaterThan(0)).length === 3);
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
    await waitFor(() => d.binance.account.openOrderCount() === 2 && d.bitget.account.openOrderCount() === 1);
    const progress: EmergencyProgress[] = [];
    d.engine.bus.subscribe((event) => {
      if (event.type === "emergency") progress.push(event.progress);
    });
    expect(await d.engine.execute({ kind: "emergencyStop", flatten: true, actor: trader, reason: "two-venue drill" })).toMatchObject({ ok: true });
    const last = await waitFor(() => progress.find((p) => p.step === "done"));
    expect(last.venues).toEqual([
      { venue: "binance", ordersToCancel: 2, ordersCanceled: 2, positionsToFlatten: 1, positionsFlattened: 1 },
      { venue: "bitget", ordersToCancel: 1, ordersCanceled: 1, positionsToFlatten: 2, positionsFlattened: 2 },
    ]);
    expect(d.binance.account.openOrderCount()).toBe(0);
    expect(d.bitget.account.openOrderCount()).toBe(0);
    expect(d.engine.state().positions.filter((p) => p.position.quantity.greaterThan(0))).toEqual([]);
    // Books = each exchange: every fill the exchange executed is booked once, under its venue.
    await waitFor(() => JSON.stringify(booked(d, "bitget")) === JSON.stringify(bitgetTrades(d.bitget)));
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
    await waitFor(() => d.engine.state().positions.some((p) => p.venue === "bitget" && p.position.quantity.greaterThan(0)));
    await d.bitget.close(); // the Bitget server is gone

    const atBinance = await d.engine.execute({ kind: "signal", signal: signal({ strategy: "a", venue: "binance" }), source: "test" });
    expect(atBinance).toMatchObject({ ok: true });
    await waitFor(() => d.engine.state().positions.some((p) => p.venue === "binance" && p.position.quantity.greaterThan(0)));
    // Reconciliation: Bitget cannot be read, Binance is, and its books agree (no drift there).
    await expect(d.engine.reconcile()).resolves.toBe(0);
    expect(booked(d, "binance")).toEqual(binanceTrades(d.binance));

    expect(await place(d, "binance", "29000")).toMatchObject({ ok: true });
    await waitFor(() => d.binance.account.openOrderCount() === 1);
    const stop = await d.engine.execute({ kind: "emergencyStop", flatten: true, actor: trader, reason: "bitget is down" });
    expect(stop).toMatchObject({ ok: true });
    // Binance is cleared and flattened without waiting for Bitget's cancels (which cannot be confirmed).
    await waitFor(() => d.binance.account.openOrderCount() === 0);
    await waitFor(() => !d.engine.state().positions.some((p) => p.venue === "binance" && p.position.quantity.greaterThan(0)));
    const progress = d.engine.state().emergency!;
    expect(progress.venues?.find((v) => v.venue === "binance")).toMatchObject({ ordersToCancel: 1, ordersCanceled: 1, positionsFlattened: 1 });
    expect(progress.step).not.toBe("done"); // Bitget's position is still waiting
    expect(booked(d, "binance")).toEqual(binanceTrades(d.binance));
  });
});

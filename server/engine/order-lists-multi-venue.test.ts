/**
 * Native or emulated per venue on one desk: Binance (native OCO lists) and Bitget (none) behind one engine. An OCO that
 * reduces the BTC position held at Binance goes there as one native list; an OCO on the ETH position held at Bitget is
 * emulated by the engine there. Each list's books say which. Waits are on conditions, never fixed sleeps.
 */
import { afterEach, describe, expect, it } from "vitest";
import { timeOrderedIds } from "../core/ids";
import { D } from "../core/money";
import { seededRng } from "../core/rng";
import { MemoryStore } from "../db/memory-store";
import { BinanceTestServer, TEST_API_KEY, TEST_API_SECRET } from "../../test/binance-test-server";
import { BITGET_TEST_API_KEY, BITGET_TEST_API_SECRET, BITGET_TEST_PASSPHRASE, BitgetTestServer } from "../../test/bitget-test-server";
import { CcxtVenue } from "../venues/ccxt/ccxt-venue";
import { createLiveExchange, loadLiveConfig, LIVE_OPT_IN_VALUE } from "../venues/ccxt/live-config";
import { Engine } from "./engine";
import { ResilientVenue } from "./resilient-venue";
import type { Actor } from "./types";

const trader: Actor = { username: "tina", role: "trader" };
const clock = { now: () => Date.now() };
const SYMBOLS = ["BTC/USDT", "ETH/USDT"];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function until<T>(what: string, probe: () => T | null | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("one desk, two venues: native where the venue has OCO lists, emulated where it has none", () => {
  it("an OCO on the Binance position is native, on the Bitget position emulated; each list says which", async () => {
    const binance = await BinanceTestServer.start({ symbols: SYMBOLS });
    const bitget = await BitgetTestServer.start({ symbols: SYMBOLS });
    closers.push(
      () => binance.close(),
      () => bitget.close(),
    );
    for (const server of [binance, bitget]) {
      server.pushQuote("BTCUSDT", 30_000, 30_000.5, 50, 50);
      server.pushQuote("ETHUSDT", 2_000, 2_000.1, 500, 500);
      server.pushTrade("BTCUSDT", 30_000, 0.01);
      server.pushTrade("ETHUSDT", 2_000, 0.01);
    }
    const configs = [
      loadLiveConfig(
        { BASTION_API_KEY: TEST_API_KEY, BASTION_API_SECRET: TEST_API_SECRET, BASTION_API_URL: binance.url, BASTION_LIVE_OPT_IN: LIVE_OPT_IN_VALUE },
        { cwd: "/nonexistent-bastion-dir" },
      ),
      loadLiveConfig(
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
      ),
    ];
    const venues: ResilientVenue[] = [];
    for (const config of configs) {
      if (!config.ok) throw new Error(config.error.message);
      const { exchange, emergency } = createLiveExchange(config.value, { timeoutMs: 10_000 });
      const ccxt = await CcxtVenue.open({ exchange, emergencyExchange: emergency, symbols: SYMBOLS, clock, pollIntervalMs: 200 });
      const venue = new ResilientVenue(ccxt, {
        ratePerSecond: 100,
        burst: 100,
        maxAttempts: 3,
        baseDelayMs: 50,
        maxDelayMs: 200,
        now: () => Date.now(),
        timers: { setTimeout: (fn, ms) => setTimeout(fn, ms) },
        rng: seededRng(1),
      });
      venues.push(venue);
      closers.push(() => venue.close());
    }
    const store = new MemoryStore();
    const engine = new Engine({
      venues,
      store,
      clock,
      ids: timeOrderedIds(() => Date.now(), seededRng(2).next),
      initialEquity: "100000",
      breaker: { maxOrdersPerMinute: 1_000, maxOrdersPerHour: 10_000 },
      riskLimits: { maxOpenPositions: 10, maxPortfolioExposurePct: 100, minNotional: "5", maxOrdersPerMinute: 1_000, maxSymbolExposurePct: 100 },
      defaultSymbolSettings: { stopLossPct: null, takeProfitLevels: [], trailing: null, maxAgeMinutes: null },
    });
    await engine.start();
    for (const venue of ["binance", "bitget"]) {
      await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 30_000, ask: 30_000.5, venue });
      await engine.marketData({ kind: "quote", symbol: "ETH/USDT", bid: 2_000, ask: 2_000.1, venue });
    }
    const buy = (symbol: string, quantity: string, venue: string) =>
      engine.execute({ kind: "manualOrder", order: { symbol, side: "BUY", type: "MARKET", quantity, venue }, actor: trader, reason: null });
    expect(await buy("BTC/USDT", "0.1", "binance")).toMatchObject({ ok: true });
    expect(await buy("ETH/USDT", "1", "bitget")).toMatchObject({ ok: true });
    await until("both positions", () => engine.state().positions.filter((p) => p.position.quantity.greaterThan(0)).length === 2);

    const oco = async (symbol: string, quantity: string, takeProfit: string, trigger: string, limit: string) => {
      const placed = await engine.execute({
        kind: "placeOrderList",
        list: {
          kind: "OCO",
          first: { symbol, side: "SELL", type: "LIMIT", quantity, price: takeProfit },
          second: { symbol, side: "SELL", type: "STOP_LIMIT", quantity, triggerPrice: trigger, price: limit },
        },
        actor: trader,
        reason: null,
      });
      expect(placed).toMatchObject({ ok: true });
      return placed.ok ? String(placed.data?.listId) : "";
    };
    const btcList = await oco("BTC/USDT", "0.1", "30200", "29800", "29750");
    const ethList = await oco("ETH/USDT", "1", "2020", "1980", "1975");
    const list = (id: string) => engine.orderLists({ all: true }).find((l) => l.listId === id);
    await until("every leg working", () =>
      [btcList, ethList].every((id) => list(id)?.legs.every((l) => l.order && ["ACCEPTED", "EMULATED"].includes(l.order.status))),
    );
    expect(list(btcList)).toMatchObject({ execution: "native", status: "WORKING" });
    expect(list(ethList)).toMatchObject({ execution: "emulated", status: "WORKING" });
    expect(list(btcList)!.legs.map((l) => l.order?.status)).toEqual(["ACCEPTED", "ACCEPTED"]); // the venue holds both
    expect(list(ethList)!.legs.map((l) => l.order?.status)).toEqual(["ACCEPTED", "EMULATED"]); // the engine holds the stop
    expect(binance.requests("POST /api/v3/orderList/oco")).toHaveLength(1);
    expect(bitget.requests("POST /api/v2/spot/trade/place-order")).toHaveLength(2); // the ETH entry and its take-profit
    expect(
      engine
        .state()
        .positions.map((p) => p.position.quantity.toString())
        .sort(),
    ).toEqual([D("0.1").toString(), "1"]);
  });
});

import { describe, expect, it } from "vitest";
import ccxt from "ccxt";
import { ManualClock } from "../../core/clock";
import { seededRng, type Rng } from "../../core/rng";
import { FakeScheduler } from "../../../test/replay/fake-scheduler";
import {
  PublicMarketFeed,
  classifyFeedError,
  createCcxtExchange,
  type PublicExchange,
  type PublicFeedOptions,
  type PublicFeedUpdate,
  type TickerLike,
  type TradeLike,
} from "./public-feed";

const T0 = 1_700_000_000_000;
const OFFLINE =
  "Cannot reach binance (network unreachable: ENOTFOUND api.binance.com). Paper mode needs internet access to public market data; use replay mode offline.";

/** Errors shaped like ccxt's: the class names are what the feed reads. */
class NetworkError extends Error {}
class RequestTimeout extends NetworkError {}
class DDoSProtection extends NetworkError {}
class ExchangeError extends Error {}
class BadRequest extends ExchangeError {}
class BadSymbol extends BadRequest {}

type Step = TickerLike | Error;

/** A scripted exchange: each fetchTicker answers with the next step (the last one repeats). */
class FakeExchange implements PublicExchange {
  readonly id = "binance";
  tickerCalls = 0;
  tradeCalls: (number | undefined)[] = [];
  trades: TradeLike[][] = [];
  ohlcv: (number | undefined)[][][] = [];
  constructor(private readonly steps: Step[]) {}
  fetchTicker(): Promise<TickerLike> {
    const step = this.steps[Math.min(this.tickerCalls++, this.steps.length - 1)]!;
    return step instanceof Error ? Promise.reject(step) : Promise.resolve(step);
  }
  fetchTrades(_symbol: string, since?: number): Promise<TradeLike[]> {
    this.tradeCalls.push(since);
    return Promise.resolve(this.trades.shift() ?? []);
  }
  fetchOHLCV(): Promise<(number | undefined)[][]> {
    return Promise.resolve(this.ohlcv.shift() ?? []);
  }
}

function setup(exchange: PublicExchange, overrides: Partial<PublicFeedOptions> = {}) {
  const clock = new ManualClock(T0);
  const scheduler = new FakeScheduler(clock);
  const updates: { update: PublicFeedUpdate; now: number }[] = [];
  const feed = new PublicMarketFeed({
    exchange,
    symbol: "BTC/USDT",
    intervalMs: 2_000,
    clock,
    scheduler,
    rng: seededRng(1),
    onUpdate: (update, now) => updates.push({ update, now }),
    ...overrides,
  });
  /** Fires the next timer and waits for the poll it starts. */
  const step = async () => {
    scheduler.runNext();
    await feed.idle();
  };
  return { clock, scheduler, feed, updates, step };
}

const tick = (bid: number, ask: number, extra: Partial<TickerLike> = {}): TickerLike => ({ bid, ask, last: (bid + ask) / 2, timestamp: 1, ...extra });

describe("PublicMarketFeed polling", () => {
  it("emits a quote per poll, every intervalMs, anchored to the plan", async () => {
    const exchange = new FakeExchange([tick(100, 101, { bidVolume: 2, askVolume: 3, timestamp: 555 }), tick(100.5, 101.5)]);
    const { feed, updates, step, scheduler, clock } = setup(exchange);
    expect(feed.status()).toMatchObject({ running: false, connected: false, message: "Not polling binance for BTC/USDT." });
    feed.start();
    expect(feed.status().message).toBe("Connecting to binance for BTC/USDT…");
    await step();
    expect(updates).toEqual([
      { update: { kind: "quote", symbol: "BTC/USDT", bid: 100, ask: 101, bidSize: 2, askSize: 3, last: 100.5, exchangeTs: 555 }, now: T0 },
    ]);
    expect(feed.status()).toEqual({
      exchange: "binance",
      symbol: "BTC/USDT",
      running: true,
      connected: true,
      lastUpdateAt: T0,
      consecutiveFailures: 0,
      lastError: null,
      nextRetryAt: null,
      message: "Receiving BTC/USDT from binance.",
    });
    expect(scheduler.nextDue()).toBe(T0 + 2_000);
    await step();
    await step();
    expect(updates.map((u) => u.now - T0)).toEqual([0, 2_000, 4_000]);
    expect(updates[1]!.update).toMatchObject({ bid: 100.5, ask: 101.5 });
    // a poll that answers late does not push the schedule: the next one keeps its planned time
    clock.advance(500);
    await step();
    expect(scheduler.nextDue()).toBe(T0 + 8_000);
  });

  it("stop() cancels the timer and ignores an answer already on its way", async () => {
    let resolve: (t: TickerLike) => void = () => undefined;
    let asked: () => void = () => undefined;
    const askedOnce = new Promise<void>((r) => (asked = r));
    const exchange: PublicExchange = {
      id: "binance",
      fetchTicker: () => {
        asked();
        return new Promise<TickerLike>((r) => (resolve = r));
      },
    };
    const { feed, updates, scheduler } = setup(exchange);
    feed.start();
    scheduler.runNext();
    await askedOnce;
    feed.stop();
    resolve(tick(1, 2));
    await feed.idle();
    expect(updates).toEqual([]);
    expect(scheduler.pending).toBe(0);
    expect(feed.status()).toMatchObject({ running: false, connected: false });
  });

  it("counts errors thrown by onUpdate without treating them as feed failures", async () => {
    const { feed, step } = setup(new FakeExchange([tick(1, 2)]), {
      onUpdate: () => {
        throw new Error("handler bug");
      },
    });
    feed.start();
    await step();
    expect(feed.updateHandlerErrors).toBe(1);
    expect(feed.status()).toMatchObject({ connected: true, running: true });
  });
});

describe("trades and candles", () => {
  it("primes on the first fetch, then emits each new trade once, in time order, by id", async () => {
    const exchange = new FakeExchange([tick(100, 101)]);
    exchange.trades = [
      [
        { id: "1", timestamp: 1_000, price: 100, amount: 1, side: "buy" },
        { id: "2", timestamp: 1_005, price: 100.5, amount: 0.5, side: "sell" },
      ],
      [
        { id: "2", timestamp: 1_005, price: 100.5, amount: 0.5, side: "sell" },
        { id: "4", timestamp: 1_020, price: 101, amount: 2, side: "buy" },
        { id: "3", timestamp: 1_010, price: 100.8, amount: 1, side: "sell" },
      ],
      // an exchange that ignores `since`: old trades again, plus one new
      [
        { id: "1", timestamp: 1_000, price: 100, amount: 1, side: "buy" },
        { id: "4", timestamp: 1_020, price: 101, amount: 2, side: "buy" },
        { id: "5", timestamp: 1_020, price: 101, amount: 1, side: null },
      ],
    ];
    const { feed, updates, step } = setup(exchange, { trades: true });
    feed.start();
    await step();
    await step();
    await step();
    const trades = updates.map((u) => u.update).filter((u) => u.kind === "trade");
    expect(trades).toEqual([
      { kind: "trade", symbol: "BTC/USDT", price: 100.8, qty: 1, aggressor: "SELL", tradeId: "3", exchangeTs: 1_010 },
      { kind: "trade", symbol: "BTC/USDT", price: 101, qty: 2, aggressor: "BUY", tradeId: "4", exchangeTs: 1_020 },
      { kind: "trade", symbol: "BTC/USDT", price: 101, qty: 1, tradeId: "5", exchangeTs: 1_020 },
    ]);
    expect(exchange.tradeCalls).toEqual([undefined, 1_005, 1_020]);
  });

  it("emits closed candles only, once each", async () => {
    const exchange = new FakeExchange([tick(100, 101)]);
    const bar = (ts: number, close: number) => [ts, 100, 102, 99, close, 5];
    exchange.ohlcv = [
      [bar(0, 101), bar(60_000, 100)],
      [bar(0, 101), bar(60_000, 100.5), bar(120_000, 101)],
      [bar(60_000, 100.5), bar(120_000, 101.5), bar(180_000, 99)],
    ];
    const { feed, updates, step } = setup(exchange, { candles: { timeframe: "1m" } });
    feed.start();
    await step();
    await step();
    await step();
    const candles = updates.map((u) => u.update).filter((u) => u.kind === "candle");
    expect(candles).toEqual([
      { kind: "candle", symbol: "BTC/USDT", open: 100, high: 102, low: 99, close: 100.5, volume: 5, exchangeTs: 60_000 },
      { kind: "candle", symbol: "BTC/USDT", open: 100, high: 102, low: 99, close: 101.5, volume: 5, exchangeTs: 120_000 },
    ]);
  });

  it("refuses to poll trades from an exchange without fetchTrades", () => {
    expect(() => setup({ id: "mini", fetchTicker: () => Promise.resolve(tick(1, 2)) }, { trades: true })).toThrow(
      "FEED_BAD_OPTION: mini has no fetchTrades, so the feed cannot poll trades.",
    );
  });
});

describe("order books", () => {
  it("polls the book to the asked depth and emits it after the quote, clean levels only", async () => {
    const exchange = new FakeExchange([tick(100, 101)]);
    const asked: (number | undefined)[] = [];
    const withBook: PublicExchange = Object.assign(exchange, {
      fetchOrderBook(_symbol: string, limit?: number) {
        asked.push(limit);
        return Promise.resolve({
          bids: [
            [100, 2],
            [99.5, 0],
            [99, 1],
            [98, 4],
          ],
          asks: [
            [101, 1.5, 7],
            [101.5, Number.NaN],
            [102, 3],
          ],
          timestamp: 777,
        });
      },
    });
    const { feed, updates, step } = setup(withBook, { book: { depth: 2 } });
    feed.start();
    await step();
    expect(asked).toEqual([2]);
    expect(updates.map((u) => u.update)).toEqual([
      { kind: "quote", symbol: "BTC/USDT", bid: 100, ask: 101, last: 100.5, exchangeTs: 1 },
      {
        kind: "book",
        symbol: "BTC/USDT",
        bids: [
          [100, 2],
          [99, 1],
        ],
        asks: [
          [101, 1.5],
          [102, 3],
        ],
        exchangeTs: 777,
      },
    ]);
  });

  it("refuses a book option the exchange or the depth cannot honour", () => {
    expect(() => setup(new FakeExchange([tick(1, 2)]), { book: { depth: 5 } })).toThrow(/no fetchOrderBook/);
    const withBook = Object.assign(new FakeExchange([tick(1, 2)]), { fetchOrderBook: () => Promise.resolve({ bids: [], asks: [] }) });
    expect(() => setup(withBook, { book: { depth: 0 } })).toThrow(/depth must be a whole number from 1 to 1000/);
  });
});

describe("failures", () => {
  const offline = () => new NetworkError("binance GET https://api.binance.com/api/v3/exchangeInfo fetch failed: getaddrinfo ENOTFOUND api.binance.com");

  it("backs off exponentially with jitter, capped, then recovers", async () => {
    const rng: Rng = { next: () => 0.5 }; // delay = ceiling × 0.75
    const exchange = new FakeExchange([offline(), offline(), offline(), offline(), offline(), tick(1, 2)]);
    const { feed, scheduler, step, updates } = setup(exchange, { rng, backoff: { baseMs: 1_000, maxMs: 8_000 } });
    const statuses: string[] = [];
    feed.start();
    for (let i = 0; i < 5; i++) {
      await step();
      statuses.push(`${feed.status().consecutiveFailures} ${feed.status().nextRetryAt! - feed.status().lastError!.at}`);
    }
    expect(statuses).toEqual(["1 750", "2 1500", "3 3000", "4 6000", "5 6000"]);
    expect(scheduler.requested).toEqual([0, 750, 1_500, 3_000, 6_000, 6_000]);
    expect(feed.status()).toMatchObject({ running: true, connected: false, lastError: { code: "FEED_UNREACHABLE", transient: true, message: OFFLINE } });
    expect(feed.status().message).toBe(`${OFFLINE} Retry in 6 s (5 failed attempts so far).`);
    await step();
    expect(updates).toHaveLength(1);
    expect(feed.status()).toMatchObject({ connected: true, consecutiveFailures: 0, lastError: null, nextRetryAt: null });
    expect(scheduler.requested.at(-1)).toBe(2_000);
  });

  it("draws the jitter from the injected rng: within [d/2, d) and reproducible", async () => {
    const run = async (seed: number) => {
      const { feed, step, scheduler } = setup(new FakeExchange([new RequestTimeout("binance GET https://x request timed out (10000 ms)")]), {
        rng: seededRng(seed),
      });
      feed.start();
      for (let i = 0; i < 8; i++) await step();
      return scheduler.requested.slice(1);
    };
    const a = await run(7);
    expect(await run(7)).toEqual(a);
    a.forEach((delay, i) => {
      const ceiling = Math.min(60_000, 1_000 * 2 ** i);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    });
  });

  it("stops on a final error and says why", async () => {
    const exchange = new FakeExchange([new BadSymbol("binance does not have market symbol FOO/BAR")]);
    const seen: string[] = [];
    const { feed, scheduler, step } = setup(exchange, { onStatus: (s) => seen.push(s.lastError?.code ?? (s.running ? "running" : "idle")) });
    feed.start();
    await step();
    expect(scheduler.pending).toBe(0);
    expect(exchange.tickerCalls).toBe(1);
    expect(feed.status()).toMatchObject({
      running: false,
      connected: false,
      consecutiveFailures: 1,
      nextRetryAt: null,
      lastError: {
        code: "FEED_BAD_SYMBOL",
        transient: false,
        message: "binance does not list BTC/USDT (does not have market symbol FOO/BAR). Choose a symbol the exchange lists; the feed stopped.",
      },
    });
    expect(feed.status().message).toBe(feed.status().lastError!.message);
    expect(seen).toEqual(["running", "FEED_BAD_SYMBOL"]);
  });

  it.each([
    [offline(), "FEED_UNREACHABLE", true, OFFLINE],
    [
      Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error("getaddrinfo ENOTFOUND api.binance.com"), { code: "ENOTFOUND" }) }),
      "FEED_UNREACHABLE",
      true,
      OFFLINE,
    ],
    [
      new NetworkError("binance GET https://api.binance.com/api/v3/ticker fetch failed: connect ECONNREFUSED 10.0.0.1:443"),
      "FEED_UNREACHABLE",
      true,
      "Cannot reach binance (network unreachable: ECONNREFUSED 10.0.0.1:443). Paper mode needs internet access to public market data; use replay mode offline.",
    ],
    [
      new NetworkError("binance GET https://api.binance.com/api/v3/ticker socket hang up"),
      "FEED_UNREACHABLE",
      true,
      "Cannot reach binance (network error reaching api.binance.com: socket hang up). Paper mode needs internet access to public market data; use replay mode offline.",
    ],
    [
      new RequestTimeout("binance GET https://api.binance.com/api/v3/ticker request timed out (10000 ms)"),
      "FEED_TIMEOUT",
      true,
      "binance did not answer in time (request timed out (10000 ms)). The feed retries; if it persists, check the connection or use replay mode.",
    ],
    [
      new DDoSProtection("binance 429 Too Many Requests"),
      "FEED_RATE_LIMITED",
      true,
      "binance is limiting our requests (429 Too Many Requests). The feed slows down and retries.",
    ],
    [
      new ExchangeError('binance {"code":-1121,"msg":"Invalid symbol."}'),
      "FEED_FAILED",
      false,
      'binance refused the market data request (ExchangeError: {"code":-1121,"msg":"Invalid symbol."}). The feed stopped; check the exchange and symbol settings.',
    ],
    [
      new Error("undefined is not a function"),
      "FEED_FAILED",
      false,
      "binance refused the market data request (Error: undefined is not a function). The feed stopped; check the exchange and symbol settings.",
    ],
  ] as [unknown, string, boolean, string][])("classifies %s", (error, code, transient, message) => {
    expect(classifyFeedError(error, "binance", "BTC/USDT", 5)).toMatchObject({ code, transient, message, at: 5 });
  });

  it.each([
    ["NetworkError", "FEED_UNREACHABLE", true],
    ["RequestTimeout", "FEED_TIMEOUT", true],
    ["ExchangeNotAvailable", "FEED_UNAVAILABLE", true],
    ["OnMaintenance", "FEED_UNAVAILABLE", true],
    ["DDoSProtection", "FEED_RATE_LIMITED", true],
    ["RateLimitExceeded", "FEED_RATE_LIMITED", true],
    ["BadSymbol", "FEED_BAD_SYMBOL", false],
    ["NotSupported", "FEED_NOT_SUPPORTED", false],
    ["AuthenticationError", "FEED_FAILED", false],
    ["ExchangeError", "FEED_FAILED", false],
  ] as const)("classifies ccxt's own %s", (name, code, transient) => {
    const ErrorClass = (ccxt as unknown as Record<string, new (message: string) => Error>)[name]!;
    expect(classifyFeedError(new ErrorClass("binance something"), "binance", "BTC/USDT", 0)).toMatchObject({ code, transient });
  });

  it("retries a ticker without bid and ask", async () => {
    const { feed, step } = setup(new FakeExchange([{ last: 5 }, tick(1, 2)]));
    feed.start();
    await step();
    expect(feed.status()).toMatchObject({ running: true, lastError: { code: "FEED_NO_QUOTE", transient: true } });
    await step();
    expect(feed.status()).toMatchObject({ connected: true });
  });
});

describe("createCcxtExchange", () => {
  it("refuses an unknown id with a clear error", async () => {
    await expect(createCcxtExchange("binanse")).rejects.toThrow(/^UNKNOWN_EXCHANGE: ccxt has no exchange "binanse"\. Did you mean "binance"/);
    await expect(createCcxtExchange("Binance")).rejects.toThrow('Did you mean "binance"');
  });

  it("builds binance with the rate limiter on; offline it reports the unreachable message, and retries markets for real", async () => {
    const urls: string[] = [];
    const fetchImplementation = (url: string): Promise<Response> => {
      urls.push(url);
      const cause = Object.assign(new Error("getaddrinfo ENOTFOUND api.binance.com"), { code: "ENOTFOUND", hostname: "api.binance.com" });
      return Promise.reject(new TypeError("fetch failed", { cause }));
    };
    const exchange = await createCcxtExchange("binance", { fetchImplementation, enableRateLimit: false, options: { fetchMarkets: { types: ["spot"] } } });
    expect(exchange.id).toBe("binance");
    expect(exchange.enableRateLimit).toBe(true);
    const { feed, step } = setup(exchange, { rng: { next: () => 0 } });
    feed.start();
    await step();
    expect(feed.status()).toMatchObject({
      running: true,
      connected: false,
      consecutiveFailures: 1,
      lastError: { code: "FEED_UNREACHABLE", transient: true, message: OFFLINE },
    });
    expect(feed.status().lastError!.detail).toMatch(
      /^NetworkError: binance GET https:\/\/api\.binance\.com\/.* fetch failed: getaddrinfo ENOTFOUND api\.binance\.com$/,
    );
    const calls = urls.length;
    expect(calls).toBeGreaterThan(0);
    expect(urls.every((url) => url.startsWith("https://api.binance.com/"))).toBe(true);
    // ccxt caches a failed loadMarkets; the feed reloads markets so the retry really goes out again
    await step();
    expect(urls.length).toBeGreaterThan(calls);
    expect(feed.status()).toMatchObject({ consecutiveFailures: 2, lastError: { message: OFFLINE } });
    feed.stop();
  });
});

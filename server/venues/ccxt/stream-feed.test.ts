/**
 * StreamMarketFeed against a local WebSocket server on 127.0.0.1 that speaks the subset of Binance's
 * public stream protocol ccxt.pro.binance uses: `{"method":"SUBSCRIBE","params":["btcusdt@ticker"],"id":1}`
 * answered by `{"result":null,"id":1}`, then `24hrTicker`, `trade` and `kline` events. The real ccxt
 * pro class does the parsing, reconnecting and closing; only its ws URL points here. (Its spot
 * detection looks for "/stream" in the URL, hence the `/stream/ws` path.)
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import ccxt from "ccxt";
import { ManualClock } from "../../core/clock";
import { seededRng } from "../../core/rng";
import { FakeScheduler } from "../../../test/replay/fake-scheduler";
import markets from "./fixtures/markets/binance.ticksize.json";
import { createLiveStreamExchange, LIVE_OPT_IN_VALUE, loadLiveConfig } from "./live-config";
import { type PublicExchange, type PublicFeedUpdate, type TickerLike } from "./public-feed";
import { backoffDelay, StreamMarketFeed, type StreamExchange, type StreamFeedOptions, type StreamFeedStatus } from "./stream-feed";
import { Changes } from "../../../test/ccxt/test-changes";
import { closeWs, listenWs, wsUrl, type WebSocket, type WebSocketServer } from "../../../test/ccxt/test-ws";

const T0 = 1_700_000_000_000;

/** The server's connections, subscriptions and closes, the feed's updates and statuses, and ccxt's watches notify it. */
let changes = new Changes();

/** The Binance public stream subset, on 127.0.0.1 and a free port. */
class FakeBinanceStream {
  readonly subscribes: { url: string; params: string[] }[] = [];
  connections = 0;
  /** When true, new connections are dropped at once (an exchange that keeps hanging up). */
  refuse = false;
  private readonly subs = new Map<WebSocket, string[]>();

  private constructor(private readonly wss: WebSocketServer) {
    wss.on("connection", (socket, request) => {
      this.connections++;
      changes.notify();
      if (this.refuse) {
        socket.terminate();
        return;
      }
      this.subs.set(socket, []);
      socket.on("close", () => {
        this.subs.delete(socket);
        changes.notify();
      });
      socket.on("message", (data: Buffer) => {
        const message = JSON.parse(data.toString()) as { method: string; params: string[]; id: number };
        if (message.method !== "SUBSCRIBE") return;
        this.subscribes.push({ url: request.url ?? "", params: message.params });
        this.subs.get(socket)?.push(...message.params);
        socket.send(JSON.stringify({ result: null, id: message.id }));
        changes.notify();
      });
    });
  }

  static async start(): Promise<FakeBinanceStream> {
    return new FakeBinanceStream(await listenWs());
  }

  get url(): string {
    return wsUrl(this.wss, "/stream/ws");
  }

  subscribed(stream: string): boolean {
    return [...this.subs.values()].some((streams) => streams.includes(stream));
  }

  get openSockets(): number {
    return this.subs.size;
  }

  /** Sends an event to every socket subscribed to `stream`. */
  push(stream: string, payload: unknown): void {
    for (const [socket, streams] of this.subs) if (streams.includes(stream)) socket.send(JSON.stringify(payload));
  }

  /** Drops every connection without a closing handshake (code 1006 on the client). */
  dropAll(): void {
    for (const socket of this.subs.keys()) socket.terminate();
  }

  close(): Promise<void> {
    return closeWs(this.wss);
  }
}

const ticker = (bid: string, ask: string, last: string, E = T0) => ({
  e: "24hrTicker",
  E,
  s: "BTCUSDT",
  c: last,
  b: bid,
  B: "1.5",
  a: ask,
  A: "2",
  o: "99",
  h: "101",
  l: "98",
  v: "10",
  q: "1000",
  C: E,
  O: E - 86_400_000,
});
const trade = (id: number, price: string, qty: string, buyerIsMaker: boolean, T = T0) => ({
  e: "trade",
  E: T,
  s: "BTCUSDT",
  t: id,
  p: price,
  q: qty,
  T,
  m: buyerIsMaker,
});
const kline = (t: number, o: string, h: string, l: string, c: string, v: string) => ({
  e: "kline",
  E: t + 1,
  s: "BTCUSDT",
  k: { t, T: t + 299_999, s: "BTCUSDT", i: "5m", o, c, h, l, v, x: false },
});

/** REST stand-in: the recorded Binance markets, and a ticker for the polling fallback. */
class RestExchange implements PublicExchange {
  readonly id = "binance";
  readonly markets = markets as unknown;
  tickerCalls = 0;
  fetchTicker(): Promise<TickerLike> {
    this.tickerCalls++;
    return Promise.resolve({ bid: 99, ask: 101, last: 100, timestamp: T0 });
  }
  loadMarkets(): Promise<unknown> {
    return Promise.resolve(this.markets);
  }
  fetchTrades(): Promise<never[]> {
    return Promise.resolve([]);
  }
  fetchOHLCV(): Promise<never[]> {
    return Promise.resolve([]);
  }
}

function waitFor(condition: () => boolean, what: string): Promise<unknown> {
  return changes.until(condition, what);
}

/** ccxt registering a future (its `watch` / `watchMultiple`) is a change `waitingOn` looks at: it notifies. */
function notifyOnWatches(stream: object): void {
  const target = stream as Record<"watch" | "watchMultiple", (...args: unknown[]) => unknown>;
  for (const method of ["watch", "watchMultiple"] as const) {
    const original = target[method].bind(stream);
    target[method] = (...args: unknown[]): unknown => {
      const future = original(...args);
      changes.notify();
      return future;
    };
  }
}

/** Every hash has a future waiting in one of ccxt's clients: the loops behind them have handled all they got. */
function waitingOn(stream: object, hashes: string[]): boolean {
  const clients = Object.values((stream as { clients: Record<string, { futures?: Record<string, unknown> }> }).clients);
  return hashes.every((hash) => clients.some((client) => client.futures !== undefined && hash in client.futures));
}

let cleanups: (() => Promise<void>)[] = [];
beforeEach(() => {
  changes = new Changes();
});
afterEach(async (context) => {
  if (changes.waiting !== null) context.task.result?.errors?.push({ name: "Waiting", message: `still waiting for ${changes.waiting}` });
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function setup(overrides: Partial<StreamFeedOptions> = {}, proOptions: Record<string, unknown> = {}) {
  const server = await FakeBinanceStream.start();
  const stream = new ccxt.pro.binance(proOptions) as unknown as StreamExchange & { urls: { api: { ws: Record<string, unknown> } } };
  stream.urls.api.ws.spot = server.url;
  notifyOnWatches(stream);
  const rest = new RestExchange();
  const clock = new ManualClock(T0);
  const scheduler = new FakeScheduler(clock);
  const updates: PublicFeedUpdate[] = [];
  const statuses: StreamFeedStatus[] = [];
  const feed = new StreamMarketFeed({
    exchange: rest,
    stream,
    symbol: "BTC/USDT",
    clock,
    scheduler,
    rng: seededRng(1),
    onUpdate: (update) => {
      updates.push(update);
      changes.notify();
    },
    onStatus: (status) => {
      statuses.push(status);
      changes.notify();
    },
    ...overrides,
  });
  cleanups.push(async () => {
    feed.stop();
    await feed.idle();
    await server.close();
  });
  return { server, stream, rest, clock, scheduler, updates, statuses, feed };
}

describe("StreamMarketFeed over a local Binance-like websocket", () => {
  it("turns ticker, trade and kline events into quotes, trades (once per id) and closed candles", async () => {
    const { server, updates, feed, stream } = await setup({ trades: true, candles: { timeframe: "5m" } });
    feed.start();
    await waitFor(
      () => server.subscribed("btcusdt@ticker") && server.subscribed("btcusdt@trade") && server.subscribed("btcusdt@kline_5m"),
      "three subscriptions",
    );
    expect(
      server.subscribes
        .map((s) => s.params)
        .flat()
        .sort(),
    ).toEqual(["btcusdt@kline_5m", "btcusdt@ticker", "btcusdt@trade"]);

    server.push("btcusdt@ticker", ticker("100.4", "100.6", "100.5"));
    await waitFor(() => updates.some((u) => u.kind === "quote"), "a quote");
    expect(updates.find((u) => u.kind === "quote")).toEqual({
      kind: "quote",
      symbol: "BTC/USDT",
      bid: 100.4,
      ask: 100.6,
      bidSize: 1.5,
      askSize: 2,
      last: 100.5,
      exchangeTs: T0,
    });

    server.push("btcusdt@trade", trade(42, "100.5", "0.1", true));
    server.push("btcusdt@trade", trade(42, "100.5", "0.1", true)); // a duplicate: emitted once
    server.push("btcusdt@trade", trade(43, "100.7", "0.2", false, T0 + 5));
    await waitFor(() => updates.filter((u) => u.kind === "trade").length >= 2, "two trades");

    const bar0 = T0 - (T0 % 300_000);
    server.push("btcusdt@kline_5m", kline(bar0, "1", "2", "0.5", "1.5", "3"));
    server.push("btcusdt@kline_5m", kline(bar0, "1", "3", "0.5", "2.5", "7")); // the same bar, later
    server.push("btcusdt@kline_5m", kline(bar0 + 300_000, "2.5", "2.6", "2.4", "2.5", "1")); // the next bar opens: bar0 closed
    await waitFor(() => updates.some((u) => u.kind === "candle"), "a closed candle");
    // Every pushed event handled: the trade and candle loops wait on ccxt again.
    await waitFor(() => waitingOn(stream, ["trade::BTC/USDT", "ohlcv::BTC/USDT::5m"]), "the trade and candle loops to wait again");

    expect(updates.filter((u) => u.kind === "trade")).toEqual([
      { kind: "trade", symbol: "BTC/USDT", price: 100.5, qty: 0.1, aggressor: "SELL", exchangeTs: T0, tradeId: "42" },
      { kind: "trade", symbol: "BTC/USDT", price: 100.7, qty: 0.2, aggressor: "BUY", exchangeTs: T0 + 5, tradeId: "43" },
    ]);
    expect(updates.filter((u) => u.kind === "candle")).toEqual([
      { kind: "candle", symbol: "BTC/USDT", open: 1, high: 3, low: 0.5, close: 2.5, volume: 7, exchangeTs: bar0 },
    ]);
    const status = feed.status();
    expect(status).toMatchObject({ transport: "websocket", running: true, connected: true, consecutiveFailures: 0, lastError: null, fallbackReason: null });
    expect(status.message).toBe("Streaming BTC/USDT from binance (websocket).");
  });

  it("retries a dropped connection with backoff, says so, and streams again after reconnecting", async () => {
    const { server, scheduler, updates, feed } = await setup({ backoff: { baseMs: 1_000, maxMs: 60_000 } });
    feed.start();
    await waitFor(() => server.subscribed("btcusdt@ticker"), "the subscription");
    server.push("btcusdt@ticker", ticker("100.4", "100.6", "100.5"));
    await waitFor(() => feed.status().connected, "connected");

    server.dropAll();
    await waitFor(() => feed.status().consecutiveFailures === 1, "the failure");
    const down = feed.status();
    expect(down).toMatchObject({ transport: "websocket", running: true, connected: false, consecutiveFailures: 1 });
    expect(down.lastError).toMatchObject({ code: "FEED_UNREACHABLE", transient: true });
    const delay = backoffDelay(1, 1_000, 60_000, seededRng(1));
    expect(down.nextRetryAt).toBe(T0 + delay);
    expect(down.message).toMatch(/^Websocket: Cannot reach binance \(.*\)\. .* Reconnecting in 1 s \(1 failed attempt so far; polling after 5\)\.$/);
    expect(server.openSockets).toBe(0);

    // nothing reconnects before the backoff has passed: the loop waits on the (fake) scheduler, and only it
    expect(scheduler.pending).toBe(1);
    expect(scheduler.nextDue()).toBe(T0 + delay);
    expect(server.connections).toBe(1);
    scheduler.advance(delay);
    await waitFor(() => server.subscribed("btcusdt@ticker"), "the new subscription");
    expect(server.connections).toBe(2);
    server.push("btcusdt@ticker", ticker("101.4", "101.6", "101.5", T0 + 60_000));
    await waitFor(() => feed.status().connected, "connected again");
    expect(feed.status()).toMatchObject({ transport: "websocket", consecutiveFailures: 0, lastError: null, nextRetryAt: null });
    expect(updates.filter((u) => u.kind === "quote").map((u) => (u.kind === "quote" ? u.bid : 0))).toEqual([100.4, 101.4]);
  });

  it("polls over REST after maxStreamFailures failures in a row, and says why", async () => {
    const { server, scheduler, rest, updates, feed } = await setup({ maxStreamFailures: 3, backoff: { baseMs: 100, maxMs: 1_000 } });
    server.refuse = true;
    feed.start();
    for (let failures = 1; failures < 3; failures++) {
      await waitFor(() => feed.status().consecutiveFailures === failures, `failure ${failures}`);
      expect(feed.status().transport).toBe("websocket");
      scheduler.advance(1_000);
    }
    await waitFor(() => feed.status().transport === "polling", "the fallback");
    expect(server.connections).toBe(3);
    scheduler.advance(0);
    await waitFor(() => updates.length > 0, "a polled quote");
    const status = feed.status();
    expect(status).toMatchObject({ transport: "polling", connected: true, running: true });
    expect(status.fallbackReason).toBe("3 websocket failures in a row on quotes, FEED_UNREACHABLE");
    expect(status.message).toBe("Polling (3 websocket failures in a row on quotes, FEED_UNREACHABLE). Receiving BTC/USDT from binance.");
    expect(rest.tickerCalls).toBeGreaterThan(0);
    expect(updates[0]).toMatchObject({ kind: "quote", bid: 99, ask: 101 });
  });

  it("polls at once after a final websocket error (a symbol the exchange does not list)", async () => {
    const { server, scheduler, feed } = await setup({ symbol: "NOPE/USDT" });
    feed.start();
    await waitFor(() => feed.status().transport === "polling", "the fallback");
    expect(server.connections).toBe(0);
    expect(feed.status().fallbackReason).toBe("the websocket quotes failed, FEED_BAD_SYMBOL");
    scheduler.advance(0);
    await feed.idle();
    expect(feed.status()).toMatchObject({ transport: "polling", running: true });
  });

  it("stops during a backoff wait: the loop ends, nothing reconnects", async () => {
    const { server, scheduler, feed } = await setup();
    server.refuse = true;
    feed.start();
    await waitFor(() => feed.status().consecutiveFailures === 1, "the failure");
    feed.stop();
    await feed.idle();
    scheduler.advance(60_000);
    // idle() awaited the loops' end: nothing is left that could connect again
    expect(scheduler.pending).toBe(0);
    expect(server.connections).toBe(1);
    expect(feed.status()).toMatchObject({ running: false, nextRetryAt: null, transport: "websocket" });
    expect(feed.status().message).toMatch(/^Stopped\. Last error: Cannot reach binance/);
  });

  it("stops cleanly: sockets closed, loops ended, no update after stop", async () => {
    const { server, updates, feed } = await setup({ trades: true });
    feed.start();
    await waitFor(() => server.subscribed("btcusdt@ticker") && server.subscribed("btcusdt@trade"), "subscriptions");
    feed.stop();
    await feed.idle();
    await waitFor(() => server.openSockets === 0, "the sockets to close");
    expect(feed.status()).toMatchObject({ running: false, connected: false, lastError: null });
    expect(updates).toEqual([]);
  });
});

describe("StreamMarketFeed without websockets", () => {
  const cases: { name: string; stream: (s: StreamExchange) => StreamExchange | null; reason: string }[] = [
    { name: "no pro instance", stream: () => null, reason: "websockets are off for binance" },
    {
      name: "has.watchTicker false",
      stream: (s) => Object.assign(Object.create(s) as StreamExchange, { has: { ...s.has, watchTicker: false } }),
      reason: "ccxt has no websocket watchTicker for binance",
    },
  ];
  it.each(cases)("$name: polls over REST from the start", async ({ stream, reason }) => {
    const clock = new ManualClock(T0);
    const scheduler = new FakeScheduler(clock);
    const rest = new RestExchange();
    const updates: PublicFeedUpdate[] = [];
    const feed = new StreamMarketFeed({
      exchange: rest,
      stream: stream(new ccxt.pro.binance()),
      symbol: "BTC/USDT",
      clock,
      scheduler,
      rng: seededRng(1),
      onUpdate: (u) => updates.push(u),
    });
    feed.start();
    scheduler.advance(0);
    await feed.idle();
    expect(updates).toEqual([{ kind: "quote", symbol: "BTC/USDT", bid: 99, ask: 101, last: 100, exchangeTs: T0 }]);
    expect(feed.status()).toMatchObject({
      transport: "polling",
      fallbackReason: reason,
      connected: true,
      message: `Polling (${reason}). Receiving BTC/USDT from binance.`,
    });
    feed.stop();
    expect(feed.status().running).toBe(false);
  });
});

describe("createLiveStreamExchange", () => {
  const full = {
    BASTION_EXCHANGE: "binance",
    BASTION_API_KEY: "live-key-AAAA1111BBBB2222wxyz",
    BASTION_API_SECRET: "live-secret-ZZZZ9999YYYY8888",
    BASTION_LIVE_OPT_IN: LIVE_OPT_IN_VALUE,
  };
  const cases: { name: string; env: Record<string, string>; pro: boolean; wsSpot?: RegExp }[] = [
    { name: "binance", env: full, pro: true, wsSpot: /^wss:\/\/stream\.binance\.com:9443\/ws$/ },
    { name: "binance testnet", env: { ...full, BASTION_SANDBOX: "true" }, pro: true, wsSpot: /^wss:\/\/stream\.testnet\.binance\.vision\/ws$/ },
    { name: "an API URL override (REST test server): no websockets", env: { ...full, BASTION_API_URL: "http://127.0.0.1:4010" }, pro: false },
  ];
  it.each(cases)("$name", ({ env, pro, wsSpot }) => {
    const loaded = loadLiveConfig(env, { cwd: "/nonexistent-bastion-dir" });
    if (!loaded.ok) throw new Error(loaded.error.message);
    const stream = createLiveStreamExchange(loaded.value, { timeoutMs: 5_000 });
    if (!pro) {
      expect(stream).toBeNull();
      return;
    }
    expect(stream).not.toBeNull();
    expect(stream!.has.watchTicker).toBe(true);
    expect(stream!.timeout).toBe(5_000);
    expect(stream!.options.maxRetriesOnFailure).toBe(0);
    expect(Object.keys(stream!)).not.toContain("secret");
    expect((stream!.urls.api as unknown as { ws: { spot: string } }).ws.spot).toMatch(wsSpot!);
  });
});

describe("order books over websockets", () => {
  /** A hand-written pro-like exchange: one ticker and one book, then quiet (each watch answers once). */
  function bookStream(hasBook: boolean): StreamExchange {
    let tickers = 0;
    let books = 0;
    // Pending watches fail when the connection closes, as ccxt's do.
    let closeAll: (e: Error) => void = () => undefined;
    const never = new Promise<never>((_resolve, reject) => {
      closeAll = reject;
    });
    never.catch(() => undefined);
    return {
      id: "binance",
      has: { watchTicker: true, watchOrderBook: hasBook },
      watchTicker: () => (tickers++ === 0 ? Promise.resolve({ bid: 99, ask: 101, last: 100, timestamp: T0 }) : never),
      watchOrderBook: (_symbol: string, limit?: number) =>
        books++ === 0
          ? Promise.resolve({
              bids: [
                [99, 1],
                [98, 0],
                [97, 2],
              ],
              asks: [[101, 3]],
              timestamp: T0 + limit!,
            })
          : never,
      close: () => {
        closeAll(new Error("connection closed by close()"));
        return Promise.resolve();
      },
    };
  }

  it("streams the book to the asked depth as a book update", async () => {
    const clock = new ManualClock(T0);
    const updates: PublicFeedUpdate[] = [];
    const onUpdate = (u: PublicFeedUpdate) => {
      updates.push(u);
      changes.notify();
    };
    const feed = new StreamMarketFeed({
      exchange: new RestExchange(),
      stream: bookStream(true),
      symbol: "BTC/USDT",
      book: { depth: 5 },
      clock,
      scheduler: new FakeScheduler(clock),
      rng: seededRng(1),
      onUpdate,
    });
    feed.start();
    await waitFor(() => updates.some((u) => u.kind === "book"), "a book update");
    expect(updates.find((u) => u.kind === "book")).toEqual({
      kind: "book",
      symbol: "BTC/USDT",
      bids: [
        [99, 1],
        [97, 2],
      ],
      asks: [[101, 3]],
      exchangeTs: T0 + 5,
    });
    expect(feed.status()).toMatchObject({ transport: "websocket" });
    feed.stop();
    await feed.idle();
  });

  it("an exchange without watchOrderBook polls instead, and says why", () => {
    expect(StreamMarketFeed.unsupportedReason(bookStream(false), { book: { depth: 5 } }, "binance")).toBe("ccxt has no websocket watchOrderBook for binance");
    expect(StreamMarketFeed.unsupportedReason(bookStream(true), { book: { depth: 5 } }, "binance")).toBeNull();
  });
});

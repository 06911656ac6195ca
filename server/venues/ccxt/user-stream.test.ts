/**
 * CcxtVenue's websocket fills and order updates, offline: the real `ccxt.pro.binance` (4.5.84) talks
 * to a local WebSocket server on 127.0.0.1 that speaks the subset of Binance's spot WebSocket API
 * ccxt uses for user data — `userDataStream.subscribe.signature` (signed apiKey + timestamp) answered
 * `{ id, status: 200, result: { subscriptionId } }`, then `{ subscriptionId, event: executionReport }`
 * (ccxt 4.5.84 no longer asks a REST listen key for spot). REST (orders, polling) goes to the
 * in-memory FakeBinance behind fetchImplementation, as in ccxt-venue.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import ccxt from "ccxt";
import { ManualClock } from "../../core/clock";
import type { OrderSpec } from "../../core/orders/types";
import type { VenueEvent } from "../venue";
import type { Timers } from "../../core/clock";
import { CcxtVenue } from "./ccxt-venue";
import { classifyCcxtError } from "./errors";
import { FakeBinance, SECRETS, ccxtExchange } from "../../../test/ccxt/fake-exchange";
import { UserStream, userChannels, type UserStreamExchange } from "./user-stream";
import { Changes } from "../../../test/ccxt/test-changes";
import { closeWs, listenWs, wsUrl, type WebSocket, type WebSocketServer } from "../../../test/ccxt/test-ws";

const T0 = 1_700_000_000_000;

let changes = new Changes();

/** Binance's spot WebSocket API, user-data subset, on 127.0.0.1 and a free port. */
class FakeBinanceWsApi {
  readonly subscribes: { url: string; params: Record<string, unknown> }[] = [];
  connections = 0;
  refuse = false;
  /** Answer the subscription this much later (a loaded machine or a real network): ccxt is not ready before. */
  answerDelayMs = 0;
  private readonly subscribed = new Map<WebSocket, number>();
  private nextSubscriptionId = 0;

  private constructor(private readonly wss: WebSocketServer) {
    wss.on("connection", (socket, request) => {
      this.connections++;
      changes.notify();
      if (this.refuse) {
        socket.terminate();
        return;
      }
      socket.on("close", () => {
        this.subscribed.delete(socket);
        changes.notify();
      });
      socket.on("message", (data: Buffer) => {
        const message = JSON.parse(data.toString()) as { id: string; method: string; params: Record<string, unknown> };
        if (message.method !== "userDataStream.subscribe.signature") {
          socket.send(JSON.stringify({ id: message.id, status: 400, error: { code: -1100, msg: `unknown method ${message.method}` } }));
          return;
        }
        this.subscribes.push({ url: request.url ?? "", params: message.params });
        const subscriptionId = this.nextSubscriptionId++;
        this.subscribed.set(socket, subscriptionId);
        const answer = () => {
          socket.send(JSON.stringify({ id: message.id, status: 200, result: { subscriptionId } }));
          changes.notify();
        };
        if (this.answerDelayMs > 0) setTimeout(answer, this.answerDelayMs);
        else answer();
      });
    });
  }

  static async start(): Promise<FakeBinanceWsApi> {
    return new FakeBinanceWsApi(await listenWs());
  }

  get url(): string {
    return wsUrl(this.wss, "/ws-api/v3");
  }

  get liveSubscriptions(): number {
    return this.subscribed.size;
  }

  /** A user-data event to every subscribed socket, wrapped as the WebSocket API sends it. */
  push(event: unknown): void {
    for (const [socket, subscriptionId] of this.subscribed) socket.send(JSON.stringify({ subscriptionId, event }));
  }

  dropAll(): void {
    for (const socket of this.wss.clients) socket.terminate();
  }

  close(): Promise<void> {
    return closeWs(this.wss);
  }
}

/** The executionReport Binance sends for a fill (fields as documented, values from the fake's order and trade). */
function executionReport(fake: FakeBinance, clientOrderId: string, tradeId: number) {
  const o = fake.orders.find((x) => x.clientOrderId === clientOrderId)!;
  const t = fake.trades.find((x) => x.id === tradeId)!;
  return {
    e: "executionReport",
    E: t.time,
    s: o.symbol,
    c: o.clientOrderId,
    S: o.side,
    o: o.type,
    f: o.timeInForce,
    q: o.origQty,
    p: o.price,
    P: "0.00000000",
    F: "0.00000000",
    g: -1,
    C: "",
    x: "TRADE",
    X: o.status,
    r: "NONE",
    i: o.orderId,
    l: t.qty,
    z: o.executedQty,
    L: t.price,
    n: t.commission,
    N: t.commissionAsset,
    T: t.time,
    t: t.id,
    I: 8641984,
    w: false,
    m: t.isMaker,
    M: true,
    O: o.time,
    Z: o.cummulativeQuoteQty,
    Y: t.quoteQty,
    Q: "0.00000000",
    W: o.time,
    V: "EXPIRE_MAKER",
  };
}

/**
 * Timers: poll schedules are recorded, never run (tests poll by hand); short waits (the stream's reconnect backoff,
 * 20–100 ms) run, and both a backoff starting and one ending are changes the tests can wait on.
 */
function testTimers() {
  const polls: number[] = [];
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      changes.notify();
      if (ms >= 1_000) {
        polls.push(ms);
        return null;
      }
      return setTimeout(() => {
        fn();
        changes.notify();
      }, ms);
    },
    clearTimeout: (h) => {
      if (h !== null) clearTimeout(h as ReturnType<typeof setTimeout>);
    },
  };
  return { polls, timers };
}

function waitFor(condition: () => boolean, what: string): Promise<unknown> {
  return changes.until(condition, what);
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

/**
 * Counts, per channel, the futures ccxt registers for the user stream's messages (its `watch(url, messageHash, …)`,
 * hashes "myTrades…" and "orders…"). A report pushed before a loop's future exists resolves nothing (ccxt only caches
 * it): the tests push only once both loops wait. And a loop registers its next future only after it has handed the
 * previous result to the venue, so "one more" also means "that update has been handled".
 */
function countWatches(stream: InstanceType<typeof ccxt.pro.binance>) {
  const waits = { myTrades: 0, orders: 0 };
  const watch = stream.watch.bind(stream) as (...args: Parameters<typeof stream.watch>) => unknown;
  stream.watch = (...args: Parameters<typeof watch>): unknown => {
    const future = watch(...args);
    const messageHash = String(args[1]);
    if (messageHash.startsWith("myTrades")) waits.myTrades++;
    else if (messageHash.startsWith("orders")) waits.orders++;
    changes.notify();
    return future;
  };
  return waits;
}

/** Both loops (fills and order updates) have a future waiting on the server's connection: a push now reaches both. */
function bothLoopsWaiting(stream: InstanceType<typeof ccxt.pro.binance>, server: FakeBinanceWsApi): boolean {
  const client = (stream.clients as Record<string, { futures?: Record<string, unknown> } | undefined>)[server.url];
  const hashes = Object.keys(client?.futures ?? {});
  return server.liveSubscriptions === 1 && hashes.some((h) => h.startsWith("myTrades")) && hashes.some((h) => h.startsWith("orders"));
}

const limit = (clientOrderId: string, price: string): OrderSpec => ({
  clientOrderId,
  symbol: "BTC/USDT",
  type: "LIMIT",
  side: "BUY",
  quantity: "0.001",
  price,
});

async function setup(answerDelayMs = 0) {
  const server = await FakeBinanceWsApi.start();
  server.answerDelayMs = answerDelayMs;
  const fake = new FakeBinance();
  // no markets given: the venue hands it the REST instance's (a markets load would hit a route the fake lacks)
  const stream = new ccxt.pro.binance({ ...SECRETS.binance, fetchImplementation: fake.http.fetch });
  (stream.urls.api as unknown as { ws: { "ws-api": Record<string, string> } }).ws["ws-api"].spot = server.url;
  const watches = countWatches(stream);
  const { polls, timers } = testTimers();
  const venue = new CcxtVenue({
    exchange: ccxtExchange("binance", fake.http),
    emergencyExchange: ccxtExchange("binance", fake.http),
    symbols: ["BTC/USDT"],
    clock: new ManualClock(T0),
    timers,
    pollIntervalMs: 2_000,
    streamPollIntervalMs: 30_000,
    streamBackoff: { baseMs: 20, maxMs: 100 },
    stream,
  });
  const events: VenueEvent[] = [];
  venue.setEventSink((e) => {
    events.push(...e);
    changes.notify();
  });
  cleanups.push(async () => {
    await venue.close();
    await server.close();
  });
  return { server, fake, venue, events, polls, stream, watches };
}

const names = (events: VenueEvent[]) => events.map((e) => `${e.clientOrderId} ${e.event.type}${e.event.type === "fill" ? ` ${e.event.tradeId}` : ""}`);

describe("CcxtVenue: fills and order updates over Binance's user-data websocket", () => {
  it("a fill arrives over the stream once; polling sees it again and does not report it; a dropped stream leaves polling to carry fills", async () => {
    const { server, fake, venue, events, polls, watches, stream } = await setup();
    venue.submit(limit("bst-a", "25000"), T0);
    venue.submit(limit("bst-b", "24000"), T0);
    await venue.idle();
    expect(names(events)).toEqual(["bst-a accept", "bst-b accept"]);

    // ccxt subscribes once (signed) for both watch loops
    await waitFor(() => bothLoopsWaiting(stream, server), "the user-data subscription");
    expect(server.subscribes).toHaveLength(1);
    expect(server.subscribes[0]!.params).toMatchObject({ apiKey: SECRETS.binance.apiKey, signature: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown });
    expect(JSON.stringify(server.subscribes)).not.toContain(SECRETS.binance.secret);
    expect(venue.streamStatus()).toMatchObject({ running: true, healthy: true });
    expect(venue.currentPollIntervalMs()).toBe(30_000); // the slow safety-net poll while the stream is healthy
    expect(polls).toEqual([30_000]);

    // 1. the fill over the stream → one fill event with Binance's trade id
    events.length = 0;
    const trade = fake.fill("bst-a");
    const handled = { ...watches };
    server.push(executionReport(fake, "bst-a", trade.id));
    await waitFor(() => events.some((e) => e.event.type === "fill"), "the streamed fill");
    // The same report is also an order update: both loops have handed it to the venue once they wait again.
    await waitFor(() => watches.myTrades > handled.myTrades && watches.orders > handled.orders, "both loops to handle the report");
    expect(names(events)).toEqual([`bst-a fill ${trade.id}`]);
    expect(events[0]!.event).toMatchObject({ type: "fill", tradeId: String(trade.id), ts: trade.time });
    const fill = events[0]!.event as { qty: { toString(): string }; price: { toString(): string }; fee: { toString(): string } };
    expect([fill.qty.toString(), fill.price.toString(), fill.fee.toString()]).toEqual(["0.001", "25000", "0.025"]);

    // 2. the same fill seen by polling (bst-b keeps the symbol polled; myTrades lists bst-a's trade): not again
    events.length = 0;
    const before = fake.http.count("GET", "/api/v3/myTrades");
    await venue.pollOnce();
    expect(fake.http.count("GET", "/api/v3/myTrades")).toBe(before + 1);
    expect(events).toEqual([]);

    // 3. the stream drops (and the exchange keeps hanging up): polling at the normal pace carries the next fill
    server.refuse = true;
    server.dropAll();
    await waitFor(() => venue.streamStatus()?.healthy === false, "the stream to be unhealthy");
    expect(venue.currentPollIntervalMs()).toBe(2_000);
    expect(venue.streamStatus()).toMatchObject({ running: true, healthy: false, stopped: [] });
    expect(venue.streamStatus()!.consecutiveFailures).toBeGreaterThan(0);
    const trade2 = fake.fill("bst-b");
    await venue.pollOnce();
    expect(names(events)).toEqual([`bst-b fill ${trade2.id}`]);

    // 4. the exchange answers again: ccxt reconnects, subscribes again, and the stream is healthy at the next event
    server.refuse = false;
    await waitFor(() => bothLoopsWaiting(stream, server), "a new subscription");
    events.length = 0;
    venue.submit(limit("bst-c", "23000"), T0);
    await venue.idle();
    expect(venue.streamStatus()?.healthy).toBe(false); // healthy again only once the stream delivers
    const trade3 = fake.fill("bst-c");
    server.push(executionReport(fake, "bst-c", trade3.id));
    await waitFor(() => events.some((e) => e.event.type === "fill"), "the streamed fill after reconnecting");
    await waitFor(() => venue.streamStatus()?.healthy === true, "the stream to be healthy again");
    expect(names(events)).toEqual(["bst-c accept", `bst-c fill ${trade3.id}`]);
    expect(venue.currentPollIntervalMs()).toBe(30_000);
  });

  it.each([0, 50])(
    "an order canceled at the exchange is reported by the stream once, a later poll adds nothing (subscription answered after %i ms)",
    async (answerDelayMs) => {
      const { server, fake, venue, events, stream } = await setup(answerDelayMs);
      venue.submit(limit("bst-a", "25000"), T0);
      await venue.idle();
      await waitFor(() => bothLoopsWaiting(stream, server), "the subscription");
      events.length = 0;
      const o = fake.orders.find((x) => x.clientOrderId === "bst-a")!;
      o.status = "CANCELED";
      server.push({
        e: "executionReport",
        E: T0,
        s: o.symbol,
        c: "web_cancel_1",
        S: o.side,
        o: o.type,
        f: "GTC",
        q: o.origQty,
        p: o.price,
        P: "0",
        F: "0",
        g: -1,
        C: "bst-a",
        x: "CANCELED",
        X: "CANCELED",
        r: "NONE",
        i: o.orderId,
        l: "0",
        z: "0",
        L: "0",
        n: "0",
        N: null,
        T: T0,
        t: -1,
        I: 1,
        w: false,
        m: false,
        M: false,
        O: o.time,
        Z: "0",
        Y: "0",
        Q: "0",
        W: o.time,
        V: "EXPIRE_MAKER",
      });
      await waitFor(() => events.length > 0, "the cancel");
      await venue.pollOnce();
      expect(names(events)).toEqual(["bst-a cancel"]);
    },
  );
});

describe("UserStream", () => {
  it("uses the channels the pro instance has; none → no stream (REST polling only)", () => {
    const pro = new ccxt.pro.binance() as unknown as UserStreamExchange;
    expect(userChannels(pro)).toEqual(["myTrades", "orders"]);
    expect(userChannels(null)).toEqual([]);
    expect(userChannels({ ...pro, id: "x", has: { watchOrders: false, watchMyTrades: false }, close: () => Promise.resolve() })).toEqual([]);
  });

  it("a final error (not supported) ends the loop and says why; a transient one backs off and watches again", async () => {
    let calls = 0;
    const stream: UserStreamExchange = {
      id: "fake",
      has: { watchMyTrades: true },
      watchMyTrades: () => {
        calls++;
        if (calls === 1) return Promise.reject(new ccxt.NetworkError("fake connection lost"));
        return Promise.reject(new ccxt.NotSupported("fake watchMyTrades() is not supported yet"));
      },
      close: () => Promise.resolve(),
    };
    const delays: number[] = [];
    const user = new UserStream({
      stream,
      symbols: ["BTC/USDT"],
      // The backoff is recorded and ends at once (on the next turn of the event loop): no real waiting.
      timers: { setTimeout: (fn, ms) => (delays.push(ms), setImmediate(fn)) },
      backoff: { baseMs: 500, maxMs: 10_000 },
      classify: (e) => classifyCcxtError(e, { exchange: "fake", kind: "read", action: "watching", secrets: [] }),
      onTrades: () => undefined,
      onOrders: () => undefined,
      log: changes.notify,
    });
    user.start();
    await waitFor(() => user.status().stopped.length === 1, "the loop to stop");
    expect(calls).toBe(2);
    expect(delays).toEqual([500]);
    expect(user.status()).toMatchObject({ running: true, healthy: false, stopped: [{ channel: "myTrades", symbol: "BTC/USDT" }] });
    expect(user.status().stopped[0]!.reason).toMatch(/not supported/i);
    await user.stop();
    expect(user.status().running).toBe(false);
  });
});

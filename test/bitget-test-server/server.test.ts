/**
 * The Bitget test server on the wire, with raw signed HTTP requests: Bitget's envelope and error bodies,
 * the signature / passphrase / timestamp rules, per-endpoint limits, orders against the simulator, faults,
 * the admin endpoints, and the shared replay. The server runs on a ManualClock and late executions on a
 * FakeScheduler: nothing waits on the wall clock.
 */
import { createHmac } from "node:crypto";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../server/core/clock";
import { FakeScheduler } from "../replay/fake-scheduler";
import {
  BITGET_TEST_API_KEY,
  BITGET_TEST_API_SECRET,
  BITGET_TEST_PASSPHRASE,
  BitgetTestServer,
  TIMESTAMP_WINDOW_MS,
  startReplay,
  type BitgetTestServerOptions,
} from "./index";

const T0 = 1_765_000_000_000;
const open: BitgetTestServer[] = [];

afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

async function start(options: BitgetTestServerOptions = {}): Promise<{ server: BitgetTestServer; clock: ManualClock; timers: FakeScheduler }> {
  const clock = new ManualClock(T0);
  const timers = new FakeScheduler(clock);
  const server = await BitgetTestServer.start({ symbols: ["BTC/USDT", "ETH/USDT"], clock, timers, ...options });
  open.push(server);
  return { server, clock, timers };
}

interface Answer {
  status: number;
  body: { code?: string; msg?: string; requestTime?: number; data?: unknown } & Record<string, unknown>;
}

interface CallOptions {
  sign?: boolean;
  key?: string | null;
  secret?: string;
  passphrase?: string | null;
  timestamp?: string;
  /** Sign this query string instead of the one sent (e.g. the unencoded form). */
  signedQuery?: string;
  contentType?: string;
}

async function call(
  server: BitgetTestServer,
  method: "GET" | "POST",
  route: string,
  params: Record<string, string> = {},
  opts: CallOptions = {},
): Promise<Answer> {
  const sorted = Object.fromEntries(Object.entries(params).sort(([a], [b]) => a.localeCompare(b)));
  const query = method === "GET" ? new URLSearchParams(sorted).toString() : "";
  const body = method === "POST" ? JSON.stringify(params) : "";
  const headers: Record<string, string> = {};
  if (method === "POST") headers["Content-Type"] = opts.contentType ?? "application/json";
  if (opts.sign) {
    const timestamp = opts.timestamp ?? String(Date.now());
    const signedQuery = opts.signedQuery ?? query;
    const prehash = timestamp + method + route + (signedQuery ? `?${signedQuery}` : "") + body;
    if (opts.key !== null) headers["ACCESS-KEY"] = opts.key ?? BITGET_TEST_API_KEY;
    headers["ACCESS-SIGN"] = createHmac("sha256", opts.secret ?? BITGET_TEST_API_SECRET)
      .update(prehash)
      .digest("base64");
    headers["ACCESS-TIMESTAMP"] = timestamp;
    if (opts.passphrase !== null) headers["ACCESS-PASSPHRASE"] = opts.passphrase ?? BITGET_TEST_PASSPHRASE;
  }
  const response = await fetch(`${server.url}${route}${query ? `?${query}` : ""}`, { method, headers, body: method === "POST" ? body : undefined });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed as Answer["body"] };
}

/** A signed call at the server's own time. */
function signed(
  server: BitgetTestServer,
  clock: ManualClock,
  method: "GET" | "POST",
  route: string,
  params: Record<string, string> = {},
  opts: CallOptions = {},
) {
  return call(server, method, route, params, { sign: true, timestamp: String(clock.now()), ...opts });
}

describe("Bitget's authentication, exactly", () => {
  it.each<{ name: string; opts: CallOptions; skew?: number; status: number; code: string; msg: string }>([
    { name: "bad signature (wrong secret)", opts: { secret: "wrong" }, status: 400, code: "40009", msg: "sign signature error" },
    { name: "wrong passphrase", opts: { passphrase: "not-it" }, status: 400, code: "40012", msg: "apikey/password is incorrect" },
    { name: "unknown API key", opts: { key: "bg_nobody" }, status: 400, code: "40037", msg: "Apikey does not exist" },
    { name: "no API key", opts: { key: null }, status: 401, code: "40001", msg: "ACCESS_KEY cannot be empty" },
    { name: "no passphrase", opts: { passphrase: null }, status: 401, code: "40011", msg: "ACCESS_PASSPHRASE cannot be empty" },
    { name: "a timestamp that is not milliseconds", opts: { timestamp: "1765000000" }, status: 400, code: "40005", msg: "Invalid ACCESS_TIMESTAMP" },
    { name: "a timestamp 31 s old", opts: {}, skew: -(TIMESTAMP_WINDOW_MS + 1_000), status: 400, code: "40008", msg: "Request timestamp expired" },
    { name: "a timestamp 31 s ahead", opts: {}, skew: TIMESTAMP_WINDOW_MS + 1_000, status: 400, code: "40008", msg: "Request timestamp expired" },
  ])("refuses $name with $code", async ({ opts, skew, status, code, msg }) => {
    const { server, clock } = await start();
    const answer = await signed(server, clock, "GET", "/api/v2/spot/account/assets", {}, { timestamp: String(clock.now() + (skew ?? 0)), ...opts });
    expect(answer).toEqual({ status, body: { code, msg, requestTime: T0, data: null } });
    expect(server.requests("GET /api/v2/spot/account/assets")[0]!.outcome).toBe(status);
  });

  it("accepts a timestamp 29 s off, and no signature at all is 40003", async () => {
    const { server, clock } = await start();
    expect((await signed(server, clock, "GET", "/api/v2/spot/account/assets", {}, { timestamp: String(T0 - 29_000) })).body.code).toBe("00000");
    const response = await fetch(`${server.url}/api/v2/spot/account/assets`, { headers: { "ACCESS-KEY": BITGET_TEST_API_KEY } });
    expect(await response.json()).toEqual({ code: "40003", msg: "Signature cannot be empty", requestTime: T0, data: null });
  });

  it("signs the query string: a signature over other parameters is refused; the unencoded form ccxt signs is accepted", async () => {
    const { server, clock } = await start();
    server.account.placeOrder({ symbol: "BTCUSDT", side: "buy", orderType: "limit", force: "gtc", price: "20000", size: "0.01", clientOid: "a:b/c" }, T0, {});
    const tampered = await signed(server, clock, "GET", "/api/v2/spot/trade/orderInfo", { clientOid: "a:b/c" }, { signedQuery: "clientOid=other" });
    expect(tampered.body.code).toBe("40009");
    const raw = await signed(server, clock, "GET", "/api/v2/spot/trade/orderInfo", { clientOid: "a:b/c" }, { signedQuery: "clientOid=a:b/c" });
    expect(raw.body).toMatchObject({ code: "00000", data: [{ clientOid: "a:b/c", status: "live" }] });
    const encoded = await signed(server, clock, "GET", "/api/v2/spot/trade/orderInfo", { clientOid: "a:b/c" });
    expect(encoded.body.code).toBe("00000");
  });

  it("signs the JSON body of a POST, which must be sent as application/json", async () => {
    const { server, clock } = await start();
    const form = await signed(server, clock, "POST", "/api/v2/spot/trade/cancel-symbol-order", { symbol: "BTCUSDT" }, { contentType: "text/plain" });
    expect(form.body).toMatchObject({ code: "40007" });
    const ok = await signed(server, clock, "POST", "/api/v2/spot/trade/cancel-symbol-order", { symbol: "BTCUSDT" });
    expect(ok).toEqual({ status: 200, body: { code: "00000", msg: "success", requestTime: T0, data: { symbol: "BTCUSDT" } } });
  });

  it("public endpoints need no signature; an unknown path is Bitget's 404 body", async () => {
    const { server } = await start();
    expect(await call(server, "GET", "/api/v2/public/time")).toEqual({
      status: 200,
      body: { code: "00000", msg: "success", requestTime: T0, data: { serverTime: String(T0) } },
    });
    expect(await call(server, "GET", "/api/v2/spot/nothing")).toMatchObject({ status: 404, body: { code: "40404", data: null } });
  });
});

describe("orders on the simulator, in Bitget's words", () => {
  const placeRoute = "/api/v2/spot/trade/place-order";

  it("serves the recorded spot symbols with Bitget's precision", async () => {
    const { server } = await start();
    const answer = await call(server, "GET", "/api/v2/spot/public/symbols", { symbol: "BTCUSDT" });
    expect(answer.body.data).toEqual([
      expect.objectContaining({
        symbol: "BTCUSDT",
        baseCoin: "BTC",
        quoteCoin: "USDT",
        pricePrecision: "2",
        quantityPrecision: "6",
        minTradeUSDT: "1",
        status: "online",
      }),
    ]);
    expect((await call(server, "GET", "/api/v2/spot/public/symbols", { symbol: "XYZUSDT" })).body).toMatchObject({ code: "40034" });
  });

  it("rests a limit order, fills it as maker when the market trades through, and lists fills and balances", async () => {
    const { server, clock } = await start();
    server.pushQuote("BTCUSDT", 30_000, 30_000.5, 5, 5);
    const placed = await signed(server, clock, "POST", placeRoute, {
      symbol: "BTCUSDT",
      side: "buy",
      orderType: "limit",
      force: "gtc",
      price: "29990",
      size: "0.01",
      clientOid: "bst-1",
    });
    expect(placed.body).toEqual({ code: "00000", msg: "success", requestTime: T0, data: { orderId: "1200000000000000001", clientOid: "bst-1" } });
    const openOrders = await signed(server, clock, "GET", "/api/v2/spot/trade/unfilled-orders", { symbol: "BTCUSDT" });
    expect(openOrders.body.data).toEqual([
      expect.objectContaining({ orderId: "1200000000000000001", priceAvg: "29990", basePrice: "0", size: "0.01", status: "live" }),
    ]);
    const assets = await signed(server, clock, "GET", "/api/v2/spot/account/assets", { coin: "USDT" });
    // 299.9 locked with the 0.2 % fee on top
    expect(assets.body.data).toEqual([expect.objectContaining({ coin: "USDT", available: "99699.5002", frozen: "300.4998" })]);

    clock.advance(1_000);
    server.pushTrade("BTCUSDT", 29_980, 1, "SELL");
    const info = await signed(server, clock, "GET", "/api/v2/spot/trade/orderInfo", { orderId: "1200000000000000001" });
    expect(info.body.data).toEqual([
      expect.objectContaining({
        clientOid: "bst-1",
        status: "filled",
        price: "29990",
        priceAvg: "29990",
        baseVolume: "0.01",
        quoteVolume: "299.9",
        uTime: String(T0 + 1_000),
        feeDetail: expect.stringContaining('"totalFee":-0.5998') as unknown,
      }),
    ]);
    const fills = await signed(server, clock, "GET", "/api/v2/spot/trade/fills", { symbol: "BTCUSDT" });
    expect(fills.body.data).toEqual([
      expect.objectContaining({ orderId: "1200000000000000001", side: "buy", priceAvg: "29990", size: "0.01", amount: "299.9", tradeScope: "maker" }),
    ]);
    const history = await signed(server, clock, "GET", "/api/v2/spot/trade/history-orders", { symbol: "BTCUSDT" });
    expect(history.body.data).toEqual([expect.objectContaining({ clientOid: "bst-1", status: "filled" })]);
  });

  it("sizes a market buy in USDT and sells at the bid; a market order never rests", async () => {
    const { server, clock } = await start();
    server.pushQuote("BTCUSDT", 30_000, 30_000.5, 5, 5);
    const buy = await signed(server, clock, "POST", placeRoute, { symbol: "BTCUSDT", side: "buy", orderType: "market", size: "300.5", clientOid: "m-1" });
    expect(buy.body.code).toBe("00000");
    // 300.5 USDT buys 0.010016 BTC at 30000.5 (rounded down to the 0.000001 step)
    expect(server.account.allOrders()[0]).toMatchObject({ clientOid: "m-1", status: "filled" });
    expect(server.account.allOrders()[0]!.filled.toString()).toBe("0.010016");
    server.pushBook("BTCUSDT", [[30_000, 0.004]], [[30_000.5, 5]]);
    const sell = await signed(server, clock, "POST", placeRoute, { symbol: "BTCUSDT", side: "sell", orderType: "market", size: "0.01", clientOid: "m-2" });
    expect(sell.body.code).toBe("00000");
    const info = await signed(server, clock, "GET", "/api/v2/spot/trade/orderInfo", { clientOid: "m-2" });
    // only 0.004 was bid: the rest is cancelled at once
    expect(info.body.data).toEqual([expect.objectContaining({ status: "cancelled", baseVolume: "0.004", size: "0.01" })]);
  });

  it.each<{ name: string; params: Record<string, string>; code: string; msg: string }>([
    {
      name: "too many price decimals",
      params: { price: "30000.123", size: "0.01" },
      code: "40808",
      msg: "Parameter verification exception price checkBDScale error value=30000.123 checkScale=2",
    },
    {
      name: "too many size decimals",
      params: { price: "30000", size: "0.0000001" },
      code: "40808",
      msg: "Parameter verification exception size checkBDScale error value=0.0000001 checkScale=6",
    },
    { name: "an order worth less than 1 USDT", params: { price: "30000", size: "0.00003" }, code: "45110", msg: "less than the minimum amount 1 USDT" },
    { name: "more than the balance", params: { price: "30000", size: "4" }, code: "43012", msg: "Insufficient balance" },
    { name: "no price on a limit order", params: { size: "0.01" }, code: "40019", msg: "Parameter price cannot be empty" },
    { name: "an unknown force", params: { price: "30000", size: "0.01", force: "day" }, code: "40808", msg: "Parameter verification exception force" },
  ])("refuses $name with $code", async ({ params, code, msg }) => {
    const { server, clock } = await start();
    server.pushQuote("BTCUSDT", 30_000, 30_000.5);
    const answer = await signed(server, clock, "POST", placeRoute, { symbol: "BTCUSDT", side: "buy", orderType: "limit", force: "gtc", ...params });
    expect(answer).toEqual({ status: 400, body: { code, msg, requestTime: T0, data: null } });
    expect(server.account.allOrders()).toEqual([]);
  });

  it("refuses a clientOid used before (40786), cancels by clientOid once (then 43001), and cancels a symbol's orders", async () => {
    const { server, clock } = await start();
    server.pushQuote("BTCUSDT", 30_000, 30_000.5);
    const limit = { symbol: "BTCUSDT", side: "buy", orderType: "limit", force: "gtc", price: "29000", size: "0.01" };
    await signed(server, clock, "POST", placeRoute, { ...limit, clientOid: "c-1" });
    await signed(server, clock, "POST", placeRoute, { ...limit, clientOid: "c-2" });
    await signed(server, clock, "POST", placeRoute, { ...limit, symbol: "ETHUSDT", price: "1900", size: "0.1", clientOid: "e-1" });
    expect((await signed(server, clock, "POST", placeRoute, { ...limit, clientOid: "c-1" })).body).toMatchObject({ code: "40786", msg: "Duplicate clientOid" });
    const cancel = await signed(server, clock, "POST", "/api/v2/spot/trade/cancel-order", { symbol: "BTCUSDT", clientOid: "c-1" });
    expect(cancel.body.data).toEqual({ orderId: "1200000000000000001", clientOid: "c-1" });
    expect((await signed(server, clock, "POST", "/api/v2/spot/trade/cancel-order", { symbol: "BTCUSDT", clientOid: "c-1" })).body).toMatchObject({
      code: "43001",
      msg: "The order does not exist",
    });
    expect((await signed(server, clock, "GET", "/api/v2/spot/trade/orderInfo", { clientOid: "nobody" })).body).toMatchObject({ code: "00000", data: [] });
    await signed(server, clock, "POST", "/api/v2/spot/trade/cancel-symbol-order", { symbol: "BTCUSDT" });
    expect(server.account.allOrders().map((o) => `${o.clientOid}:${o.status}`)).toEqual(["c-1:cancelled", "c-2:cancelled", "e-1:live"]);
    expect(server.account.venue.balances().USDT!.reserved.toString()).toBe("190.38");
  });

  it("cancels a post_only order that would take, with no fill", async () => {
    const { server, clock } = await start();
    server.pushQuote("BTCUSDT", 30_000, 30_000.5);
    const answer = await signed(server, clock, "POST", placeRoute, {
      symbol: "BTCUSDT",
      side: "buy",
      orderType: "limit",
      force: "post_only",
      price: "30001",
      size: "0.01",
      clientOid: "po-1",
    });
    expect(answer.body.code).toBe("00000");
    const info = await signed(server, clock, "GET", "/api/v2/spot/trade/orderInfo", { clientOid: "po-1" });
    expect(info.body.data).toEqual([expect.objectContaining({ status: "cancelled", baseVolume: "0" })]);
  });
});

describe("limits and faults", () => {
  it("answers 429 past the per-second limit of an endpoint, and serves again the next second", async () => {
    const { server, clock } = await start({ requestsPerSecond: 2 });
    await call(server, "GET", "/api/v2/public/time");
    await call(server, "GET", "/api/v2/public/time");
    expect((await call(server, "GET", "/api/v2/spot/market/tickers")).status).toBe(200);
    expect(await call(server, "GET", "/api/v2/public/time")).toEqual({
      status: 429,
      body: { code: "429", msg: "Too Many Requests", requestTime: T0, data: null },
    });
    clock.advance(1_000);
    expect((await call(server, "GET", "/api/v2/public/time")).status).toBe(200);
  });

  it("statusUnknown: 'System busy' now, the order executed when its delay has passed", async () => {
    const { server, clock, timers } = await start();
    server.pushQuote("BTCUSDT", 30_000, 30_000.5);
    server.addFault({ endpoint: "POST /api/v2/spot/trade/place-order", kind: "statusUnknown", delayMs: 800 });
    const answer = await signed(server, clock, "POST", "/api/v2/spot/trade/place-order", {
      symbol: "BTCUSDT",
      side: "sell",
      orderType: "market",
      size: "0.01",
      clientOid: "u-1",
    });
    expect(answer).toEqual({ status: 500, body: { code: "500", msg: "System busy", requestTime: T0, data: null } });
    expect(server.account.allOrders()).toEqual([]);
    timers.runNext();
    expect(server.account.allOrders().map((o) => `${o.clientOid}:${o.status}`)).toEqual(["u-1:filled"]);
    expect(server.faultStats()).toMatchObject({ lateExecuted: 1, injected: { statusUnknown: 1 } });
  });

  it("delay: executed at once, answered when the delay has passed; dropResponse: executed, never answered", async () => {
    const { server, clock, timers } = await start();
    server.pushQuote("BTCUSDT", 30_000, 30_000.5);
    const route = "/api/v2/spot/trade/place-order";
    const params = { symbol: "BTCUSDT", side: "buy", orderType: "limit", force: "gtc", price: "29000", size: "0.01" };
    /** Yields to the event loop until the server has taken `count` placements (no clock involved). */
    const placements = async (count: number) => {
      while (server.requests(`POST ${route}`).length < count) await new Promise((resolve) => setImmediate(resolve));
    };
    server.addFault({ endpoint: `POST ${route}`, kind: "delay", delayMs: 5_000 });
    const late = signed(server, clock, "POST", route, { ...params, clientOid: "d-1" });
    await placements(1);
    expect(server.account.allOrders().map((o) => o.clientOid)).toEqual(["d-1"]);
    expect(timers.nextDue()).toBe(T0 + 5_000);
    timers.runNext();
    expect((await late).body).toMatchObject({ code: "00000", data: { clientOid: "d-1" } });

    server.addFault({ endpoint: `POST ${route}`, kind: "dropResponse" });
    const lost = signed(server, clock, "POST", route, { ...params, clientOid: "d-2" }).then(
      () => "answered",
      () => "connection closed",
    );
    await placements(2);
    expect(server.requests(`POST ${route}`)[1]!.outcome).toBe("dropped");
    expect(server.account.allOrders().map((o) => o.clientOid)).toEqual(["d-1", "d-2"]);
    await server.close();
    expect(await lost).toBe("connection closed");
  });

  it("placeOnLookup: the first lookup by clientOid finds nothing, and that lookup places the order", async () => {
    const { server, clock } = await start();
    server.pushQuote("BTCUSDT", 30_000, 30_000.5);
    server.addFault({ endpoint: "POST /api/v2/spot/trade/place-order", kind: "placeOnLookup" });
    const params = { symbol: "BTCUSDT", side: "buy", orderType: "limit", force: "gtc", price: "29000", size: "0.01", clientOid: "pl-1" };
    expect((await signed(server, clock, "POST", "/api/v2/spot/trade/place-order", params)).status).toBe(500);
    expect((await signed(server, clock, "GET", "/api/v2/spot/trade/orderInfo", { clientOid: "pl-1" })).body.data).toEqual([]);
    expect((await signed(server, clock, "GET", "/api/v2/spot/trade/orderInfo", { clientOid: "pl-1" })).body.data).toEqual([
      expect.objectContaining({ clientOid: "pl-1", status: "live" }),
    ]);
  });

  it("unavailable is a 503 without JSON; rateLimit is Bitget's 429 body", async () => {
    const { server } = await start();
    server.addFault({ endpoint: "GET /api/v2/spot/market/tickers", kind: "unavailable" });
    server.addFault({ endpoint: "GET /api/v2/public/time", kind: "rateLimit" });
    const unavailable = await call(server, "GET", "/api/v2/spot/market/tickers");
    expect(unavailable.status).toBe(503);
    expect(typeof unavailable.body).toBe("string");
    expect(await call(server, "GET", "/api/v2/public/time")).toMatchObject({ status: 429, body: { code: "429", msg: "Too Many Requests" } });
  });
});

describe("admin endpoints and the replay", () => {
  it("takes market data, faults and reports its state", async () => {
    const { server } = await start();
    const post = (route: string, body: unknown) => fetch(`${server.url}${route}`, { method: "POST", body: JSON.stringify(body) });
    expect((await post("/__admin/market", { kind: "quote", symbol: "ETHUSDT", bid: 2_000, ask: 2_000.1 })).status).toBe(200);
    const tickers = await call(server, "GET", "/api/v2/spot/market/tickers", { symbol: "ETHUSDT" });
    expect(tickers.body.data).toEqual([expect.objectContaining({ symbol: "ETHUSDT", bidPr: "2000.00000000", askPr: "2000.10000000" })]);
    expect((await post("/__admin/faults", { endpoint: "GET /api/v2/public/time", kind: "hang", times: 2 })).status).toBe(200);
    expect((await post("/__admin/faults", { endpoint: "*", kind: "explode" })).status).toBe(400);
    const state = (await (await fetch(`${server.url}/__admin/state`)).json()) as Record<string, unknown>;
    expect(state).toMatchObject({
      exchange: "bitget",
      openOrders: 0,
      balances: { USDT: { available: "100000", frozen: "0" } },
      requests: { "GET /api/v2/spot/market/tickers": 1 },
      faults: [{ endpoint: "GET /api/v2/public/time", kind: "hang", times: 2 }],
    });
  });

  it("the shared replay plays recorded bars into the Bitget server: orders fill inside a bar, bars come back as candles", async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const scheduler = new FakeScheduler(clock);
    const { server } = await start({ clock });
    const replay = startReplay(server, { file: path.resolve("data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv"), symbol: "BTC/USDT", clock, scheduler });
    scheduler.runNext();
    expect(server.board.touch("BTCUSDT").last).toBe(16_727.3);
    server.account.placeOrder(
      { symbol: "BTCUSDT", side: "buy", orderType: "limit", force: "gtc", price: "16726.5", size: "0.01", clientOid: "rp-1" },
      clock.now(),
      server.board.touch("BTCUSDT"),
    );
    for (let i = 0; i < 40 && replay.status().emitted < 20; i++) scheduler.runNext();
    replay.stop();
    expect(server.account.allOrders()[0]).toMatchObject({ clientOid: "rp-1", status: "filled" });
    const candles = await call(server, "GET", "/api/v2/spot/market/candles", {
      symbol: "BTCUSDT",
      granularity: "5min",
      startTime: "1672677900000",
      limit: "1",
    });
    expect(candles.body.data).toEqual([
      ["1672677900000", "16727.30000000", "16728.80000000", "16726.00000000", "16726.10000000", "691.50800000", expect.any(String), expect.any(String)],
    ]);
  });
});

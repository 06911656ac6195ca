/**
 * The test server on the wire: Binance's exact error bodies and HTTP statuses, signature rules,
 * the admin endpoints, and a replay of the recorded candles on a fake clock.
 */
import { createHmac } from "node:crypto";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../server/core/clock";
import { FakeScheduler } from "../replay/fake-scheduler";
import { BinanceTestServer, TEST_API_KEY, TEST_API_SECRET, startReplay, type BinanceTestServerOptions } from "./index";

const open: BinanceTestServer[] = [];

afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

async function start(options: BinanceTestServerOptions = {}): Promise<BinanceTestServer> {
  const server = await BinanceTestServer.start({ symbols: ["BTC/USDT"], ...options });
  open.push(server);
  return server;
}

interface Answer {
  status: number;
  body: unknown;
}

async function call(
  server: BinanceTestServer,
  method: string,
  path: string,
  params: Record<string, string> = {},
  opts: { sign?: boolean; key?: string | null; secret?: string; timestamp?: number; inBody?: boolean } = {},
): Promise<Answer> {
  let query = new URLSearchParams(params).toString();
  if (opts.sign) {
    query = new URLSearchParams({ ...params, timestamp: String(opts.timestamp ?? Date.now()), recvWindow: "10000" }).toString();
    query += `&signature=${createHmac("sha256", opts.secret ?? TEST_API_SECRET)
      .update(query)
      .digest("hex")}`;
  }
  const headers: Record<string, string> = {};
  if (opts.sign && opts.key !== null) headers["X-MBX-APIKEY"] = opts.key ?? TEST_API_KEY;
  const inBody = opts.inBody ?? method === "POST";
  if (inBody) headers["Content-Type"] = "application/x-www-form-urlencoded";
  const response = await fetch(`${server.url}${path}${!inBody && query ? `?${query}` : ""}`, { method, headers, body: inBody ? query : undefined });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body };
}

describe("Binance's errors, exactly", () => {
  it.each<{ name: string; method: string; path: string; params: Record<string, string>; opts: Parameters<typeof call>[4]; status: number; body: unknown }>([
    {
      name: "bad signature",
      method: "GET",
      path: "/api/v3/account",
      params: {},
      opts: { sign: true, secret: "wrong" },
      status: 400,
      body: { code: -1022, msg: "Signature for this request is not valid." },
    },
    {
      name: "unknown API key",
      method: "GET",
      path: "/api/v3/account",
      params: {},
      opts: { sign: true, key: "nobody" },
      status: 401,
      body: { code: -2015, msg: "Invalid API-key, IP, or permissions for action." },
    },
    {
      name: "no API key",
      method: "GET",
      path: "/api/v3/account",
      params: {},
      opts: { sign: true, key: null },
      status: 401,
      body: { code: -2014, msg: "API-key format invalid." },
    },
    {
      name: "stale timestamp",
      method: "GET",
      path: "/api/v3/account",
      params: {},
      opts: { sign: true, timestamp: Date.now() - 60_000 },
      status: 400,
      body: { code: -1021, msg: "Timestamp for this request is outside of the recvWindow." },
    },
    {
      name: "timestamp from the future",
      method: "GET",
      path: "/api/v3/account",
      params: {},
      opts: { sign: true, timestamp: Date.now() + 60_000 },
      status: 400,
      body: { code: -1021, msg: "Timestamp for this request was 1000ms ahead of the server's time." },
    },
    {
      name: "unknown symbol",
      method: "GET",
      path: "/api/v3/depth",
      params: { symbol: "NOPEUSDT" },
      opts: {},
      status: 400,
      body: { code: -1121, msg: "Invalid symbol." },
    },
    {
      name: "missing symbol",
      method: "GET",
      path: "/api/v3/klines",
      params: { interval: "1m" },
      opts: {},
      status: 400,
      body: { code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." },
    },
    {
      name: "bad interval",
      method: "GET",
      path: "/api/v3/klines",
      params: { symbol: "BTCUSDT", interval: "7m" },
      opts: {},
      status: 400,
      body: { code: -1120, msg: "Invalid interval." },
    },
    {
      name: "order without an id",
      method: "GET",
      path: "/api/v3/order",
      params: { symbol: "BTCUSDT" },
      opts: { sign: true },
      status: 400,
      body: { code: -1102, msg: "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!" },
    },
    {
      name: "order that does not exist",
      method: "GET",
      path: "/api/v3/order",
      params: { symbol: "BTCUSDT", orderId: "42" },
      opts: { sign: true },
      status: 400,
      body: { code: -2013, msg: "Order does not exist." },
    },
    {
      name: "cancel of an unknown order",
      method: "DELETE",
      path: "/api/v3/order",
      params: { symbol: "BTCUSDT", origClientOrderId: "x" },
      opts: { sign: true },
      status: 400,
      body: { code: -2011, msg: "Unknown order sent." },
    },
    {
      name: "limit without timeInForce",
      method: "POST",
      path: "/api/v3/order",
      params: { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", quantity: "0.001", price: "29000" },
      opts: { sign: true },
      status: 400,
      body: { code: -1102, msg: "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed." },
    },
    {
      name: "price on a market order",
      method: "POST",
      path: "/api/v3/order",
      params: { symbol: "BTCUSDT", side: "BUY", type: "MARKET", quantity: "0.001", price: "29000" },
      opts: { sign: true },
      status: 400,
      body: { code: -1106, msg: "Parameter 'price' sent when not required." },
    },
    {
      name: "malformed quantity",
      method: "POST",
      path: "/api/v3/order",
      params: { symbol: "BTCUSDT", side: "BUY", type: "MARKET", quantity: "1e-3" },
      opts: { sign: true },
      status: 400,
      body: { code: -1100, msg: "Illegal characters found in parameter 'quantity'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'." },
    },
    {
      name: "quantity off the step",
      method: "POST",
      path: "/api/v3/order",
      params: { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.000015", price: "29000" },
      opts: { sign: true },
      status: 400,
      body: { code: -1013, msg: "Filter failure: LOT_SIZE" },
    },
    {
      name: "price off the tick",
      method: "POST",
      path: "/api/v3/order",
      params: { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.001", price: "29000.005" },
      opts: { sign: true },
      status: 400,
      body: { code: -1013, msg: "Filter failure: PRICE_FILTER" },
    },
    {
      name: "market quantity above MARKET_LOT_SIZE",
      method: "POST",
      path: "/api/v3/order",
      params: { symbol: "BTCUSDT", side: "SELL", type: "MARKET", quantity: "200" },
      opts: { sign: true },
      status: 400,
      body: { code: -1013, msg: "Filter failure: MARKET_LOT_SIZE" },
    },
  ])("$name", async ({ method, path: p, params, opts, status, body }) => {
    const server = await start();
    server.pushQuote("BTCUSDT", 30_000, 30_000.5);
    const answer = await call(server, method, p, params, opts);
    expect(answer).toEqual({ status, body });
  });

  it("the signature may cover a query string and a body together (Binance's totalParams)", async () => {
    const server = await start();
    server.pushQuote("BTCUSDT", 30_000, 30_000.5);
    const query = "symbol=BTCUSDT&side=BUY&type=LIMIT";
    const body = `timeInForce=GTC&quantity=0.001&price=29000&newClientOrderId=mixed-1&timestamp=${Date.now()}`;
    const signature = createHmac("sha256", TEST_API_SECRET)
      .update(query + body)
      .digest("hex");
    const response = await fetch(`${server.url}/api/v3/order?${query}`, {
      method: "POST",
      headers: { "X-MBX-APIKEY": TEST_API_KEY, "Content-Type": "application/x-www-form-urlencoded" },
      body: `${body}&signature=${signature}`,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ clientOrderId: "mixed-1", status: "NEW", type: "LIMIT" });
  });

  it("a market order finding no liquidity expires instead of waiting (Binance never parks it)", async () => {
    const server = await start();
    server.pushBook("BTCUSDT", [[29_999, 0.5]], [[30_001, 0.002]]);
    const answer = await call(
      server,
      "POST",
      "/api/v3/order",
      { symbol: "BTCUSDT", side: "BUY", type: "MARKET", quantity: "0.005", newClientOrderId: "thin-1" },
      { sign: true },
    );
    expect(answer.body).toMatchObject({
      status: "EXPIRED",
      origQty: "0.00500000",
      executedQty: "0.00200000",
      fills: [{ price: "30001.00000000", qty: "0.00200000", tradeId: 1 }],
    });
    expect(server.account.openOrderCount()).toBe(0);
  });

  it("IOC leftovers expire", async () => {
    const server = await start();
    server.pushQuote("BTCUSDT", 30_000, 30_000.5);
    const answer = await call(
      server,
      "POST",
      "/api/v3/order",
      { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "IOC", quantity: "0.001", price: "29000" },
      { sign: true },
    );
    expect(answer.body).toMatchObject({ status: "EXPIRED", executedQty: "0.00000000" });
  });

  it("refuses a sixth open stop on one symbol (MAX_NUM_ALGO_ORDERS is 5 on BTCUSDT)", async () => {
    const server = await start();
    server.pushQuote("BTCUSDT", 30_000, 30_000.5);
    server.pushTrade("BTCUSDT", 30_000, 1);
    const stop = { symbol: "BTCUSDT", side: "SELL", type: "STOP_LOSS_LIMIT", timeInForce: "GTC", quantity: "0.001", price: "29000", stopPrice: "29100" };
    for (let i = 0; i < 5; i++) expect((await call(server, "POST", "/api/v3/order", stop, { sign: true })).status).toBe(200);
    expect(await call(server, "POST", "/api/v3/order", stop, { sign: true })).toEqual({
      status: 400,
      body: { code: -1013, msg: "Filter failure: MAX_NUM_ALGO_ORDERS" },
    });
  });

  it("answers unknown paths with a 404 page and counts request weight in a header", async () => {
    const server = await start();
    expect((await call(server, "GET", "/api/v3/nothing")).status).toBe(404);
    const response = await fetch(`${server.url}/api/v3/exchangeInfo`);
    expect(response.headers.get("x-mbx-used-weight-1m")).toBe("20");
    const info = (await response.json()) as { symbols: { symbol: string; orderTypes: string[] }[]; rateLimits: unknown[] };
    expect(info.symbols.map((s) => s.symbol)).toEqual(["BTCUSDT"]);
    expect(info.symbols[0]!.orderTypes).toEqual(["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"]);
    expect(info.rateLimits).toHaveLength(4);
  });

  it("serves the recording's order types exactly when asked to", async () => {
    const server = await start({ extraOrderTypes: [] });
    const info = (await (await fetch(`${server.url}/api/v3/exchangeInfo?symbol=BTCUSDT`)).json()) as { symbols: { orderTypes: string[] }[] };
    expect(info.symbols[0]!.orderTypes).toEqual(["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"]);
    server.pushQuote("BTCUSDT", 30_000, 30_000.5);
    const answer = await call(
      server,
      "POST",
      "/api/v3/order",
      { symbol: "BTCUSDT", side: "SELL", type: "STOP_LOSS", quantity: "0.001", stopPrice: "29000" },
      { sign: true },
    );
    expect(answer).toEqual({ status: 400, body: { code: -1013, msg: "Order type not supported for this symbol." } });
  });
});

describe("admin endpoints (for other processes)", () => {
  it("pushes market data, injects faults and reports state", async () => {
    const server = await start();
    const post = async (p: string, body: unknown): Promise<Response> =>
      fetch(`${server.url}${p}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    expect((await post("/__admin/market", { kind: "quote", symbol: "BTC/USDT", bid: 25_000, ask: 25_001 })).status).toBe(200);
    const book = (await call(server, "GET", "/api/v3/ticker/bookTicker", { symbol: "BTCUSDT" })).body;
    expect(book).toEqual({ symbol: "BTCUSDT", bidPrice: "25000.00000000", bidQty: "1.00000000", askPrice: "25001.00000000", askQty: "1.00000000" });
    expect((await post("/__admin/faults", { endpoint: "GET /api/v3/time", kind: "unavailable", times: 2 })).status).toBe(200);
    expect((await call(server, "GET", "/api/v3/time")).status).toBe(503);
    expect((await call(server, "GET", "/api/v3/time")).status).toBe(503);
    expect((await call(server, "GET", "/api/v3/time")).status).toBe(200);
    expect((await post("/__admin/faults", { endpoint: "*", kind: "explode" })).status).toBe(400);
    const state = (await (await fetch(`${server.url}/__admin/state`)).json()) as Record<string, unknown>;
    expect(state).toMatchObject({ openOrders: 0, fills: 0, requests: { "GET /api/v3/time": 3, "GET /api/v3/ticker/bookTicker": 1 }, faults: [] });
  });
});

describe("replay of the recorded candles", () => {
  it("plays bars as quotes and trades, fills orders inside a bar, and serves the bars as klines", async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const scheduler = new FakeScheduler(clock);
    const server = await start({ clock });
    const replay = startReplay(server, {
      file: path.resolve("data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv"),
      symbol: "BTC/USDT",
      speed: 300,
      clock,
      scheduler,
    });
    // first bar: 1672677900000, 16727.3 / 16728.8 / 16726 / 16726.1 (a down bar: open → high → low → close)
    scheduler.runNext();
    expect(server.board.touch("BTCUSDT").last).toBe(16_727.3);
    server.account.newOrder(
      { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.01", price: "16726.50", newClientOrderId: "rp-1" },
      clock.now(),
      server.board.touch("BTCUSDT"),
    );
    for (let i = 0; i < 40 && replay.status().emitted < 20; i++) scheduler.runNext();
    replay.stop();
    expect(server.account.getOrder({ symbol: "BTCUSDT", origClientOrderId: "rp-1" })).toMatchObject({ status: "FILLED", executedQty: "0.01000000" });
    const klines = server.board.klines("BTCUSDT", 300_000, { limit: 10 }) as unknown[][];
    expect(klines[0]).toEqual([
      1_672_677_900_000,
      "16727.30000000",
      "16728.80000000",
      "16726.00000000",
      "16726.10000000",
      "691.50800000",
      1_672_678_199_999,
      expect.any(String),
      0,
      expect.any(String),
      expect.any(String),
      "0",
    ]);
  });
});

/**
 * A real ccxt `binance` instance, built by createLiveExchange and pointed at the test server on
 * 127.0.0.1, through every call the live adapter makes, the error classes it must tell apart, and
 * the failure paths (lost answers, timeouts, 429, 503).
 */
import ccxt, { type Exchange, type Order } from "ccxt";
import { describe, expect, it } from "vitest";
import { type Clock } from "../../server/core/clock";
import { createLiveExchange, loadLiveConfig, LIVE_OPT_IN_VALUE, type CreateLiveExchangeOptions } from "../../server/venues/ccxt/live-config";
import { BinanceTestServer, TEST_API_KEY, TEST_API_SECRET, type BinanceTestServerOptions } from "./index";
import { caught, closedAfterEach, PATIENT_MS } from "../exchange-test-server/ccxt-e2e-support";

const closeAfterTest = closedAfterEach<BinanceTestServer>();

/** ccxt's timeout for the one request that hangs by design, set just around it: how soon ccxt gives up on it. */
const HANG_MS = 400;

interface Setup {
  server: BinanceTestServer;
  exchange: Exchange;
  emergency: Exchange;
}

async function setup(
  serverOptions: BinanceTestServerOptions = {},
  exchangeOptions: CreateLiveExchangeOptions = {},
  credentials: { key?: string; secret?: string } = {},
): Promise<Setup> {
  const server = await BinanceTestServer.start({ symbols: ["BTC/USDT", "ETH/USDT", "LTC/USDT"], ...serverOptions });
  closeAfterTest(server);
  server.pushQuote("BTCUSDT", 30_000, 30_000.5, 5, 5);
  server.pushTrade("BTCUSDT", 30_000.2, 0.5);
  server.pushQuote("ETHUSDT", 2_000, 2_000.1, 50, 50);
  server.pushQuote("LTCUSDT", 90, 90.01, 500, 500);
  const config = loadLiveConfig(
    {
      BASTION_EXCHANGE: "binance",
      BASTION_API_KEY: credentials.key ?? TEST_API_KEY,
      BASTION_API_SECRET: credentials.secret ?? TEST_API_SECRET,
      BASTION_API_URL: server.url,
      BASTION_LIVE_OPT_IN: LIVE_OPT_IN_VALUE,
    },
    { cwd: "/nonexistent-bastion-dir" },
  );
  if (!config.ok) throw new Error(config.error.message);
  const { exchange, emergency } = createLiveExchange(config.value, { timeoutMs: PATIENT_MS, ...exchangeOptions });
  return { server, exchange, emergency };
}

describe("ccxt binance against the test server: the happy paths", () => {
  it("loads the recorded spot markets with Binance's precision and limits, without sapi calls", async () => {
    const { server, exchange } = await setup();
    const markets = await exchange.loadMarkets();
    expect(Object.keys(markets).sort()).toEqual(["BTC/USDT", "ETH/USDT", "LTC/USDT"]);
    const btc = markets["BTC/USDT"]!;
    expect(btc.id).toBe("BTCUSDT");
    expect(btc.precision).toMatchObject({ price: 0.01, amount: 0.00001 });
    expect(btc.limits.cost?.min).toBe(5);
    expect(btc.limits.amount).toMatchObject({ min: 0.00001, max: 9000 });
    const endpoints = new Set(server.requests().map((r) => r.endpoint));
    expect([...endpoints].sort()).toEqual(["GET /api/v3/exchangeInfo", "GET /api/v3/time"]);
  });

  it("reads balances, a ticker, the order book and candles", async () => {
    const { server, exchange } = await setup();
    server.pushCandle({
      symbol: "BTCUSDT",
      interval: "5m",
      openTime: 1_672_677_900_000,
      open: 29_900,
      high: 30_100,
      low: 29_800,
      close: 30_000,
      volume: 12,
      simulate: false,
    });
    server.pushCandle({
      symbol: "BTCUSDT",
      interval: "5m",
      openTime: 1_672_678_200_000,
      open: 30_000,
      high: 30_050,
      low: 29_950,
      close: 30_010,
      volume: 7,
      simulate: false,
    });
    const balance = await exchange.fetchBalance();
    expect(balance.total).toMatchObject({ USDT: 100_000, BTC: 2, ETH: 20 });
    const ticker = await exchange.fetchTicker("BTC/USDT");
    expect(ticker).toMatchObject({ bid: 30_000, ask: 30_000.5 });
    const book = await exchange.fetchOrderBook("BTC/USDT", 5);
    expect(book.bids[0]).toEqual([30_000, 5]);
    expect(book.asks[0]).toEqual([30_000.5, 5]);
    const candles = await exchange.fetchOHLCV("BTC/USDT", "5m");
    expect(candles).toEqual([
      [1_672_677_900_000, 29_900, 30_100, 29_800, 30_000, 12],
      [1_672_678_200_000, 30_000, 30_050, 29_950, 30_010, 7],
    ]);
    const fifteen = await exchange.fetchOHLCV("BTC/USDT", "15m");
    expect(fifteen).toEqual([[1_672_677_900_000, 29_900, 30_100, 29_800, 30_010, 19]]);
  });

  it("fills a market buy with Bastion's clientOrderId and reports fills, fees and balances exactly", async () => {
    const { server, exchange } = await setup();
    const order = await exchange.createOrder("BTC/USDT", "market", "buy", 0.01, undefined, { newClientOrderId: "bst-mkt-1" });
    expect(order).toMatchObject({ clientOrderId: "bst-mkt-1", status: "closed", filled: 0.01, average: 30_000.5, cost: 300.005 });
    expect(order.trades).toHaveLength(1);
    expect(order.trades[0]?.id).toBe("1");
    const sent = server.requests("POST /api/v3/order")[0]!.params;
    expect(sent).toMatchObject({ symbol: "BTCUSDT", side: "BUY", type: "MARKET", quantity: "0.01", newClientOrderId: "bst-mkt-1", newOrderRespType: "FULL" });
    const balance = await exchange.fetchBalance();
    // 300.005 for the coins and 0.300005 commission (0.1 %) in USDT
    expect(server.account.venue.balances().USDT!.total.toString()).toBe("99699.694995");
    expect(balance.BTC?.total).toBe(2.01);
  });

  it("turns a market buy with a price into quoteOrderQty", async () => {
    const { server, exchange } = await setup();
    const order = await exchange.createOrder("BTC/USDT", "market", "buy", 0.01, 30_000.5, { newClientOrderId: "bst-q-1" });
    expect(server.requests("POST /api/v3/order")[0]!.params.quoteOrderQty).toBe("300");
    expect(order.filled).toBe(0.00999);
  });

  it("places a limit order, finds it by clientOrderId, lists it, cancels it", async () => {
    const { server, exchange } = await setup();
    const placed = await exchange.createOrder("BTC/USDT", "limit", "buy", 0.002, 29_000, { newClientOrderId: "bst-lim-1" });
    expect(placed).toMatchObject({ id: "1", clientOrderId: "bst-lim-1", status: "open", price: 29_000, remaining: 0.002 });
    expect(server.requests("POST /api/v3/order")[0]!.params).toMatchObject({ type: "LIMIT", timeInForce: "GTC", price: "29000", quantity: "0.002" });

    const found = await exchange.fetchOrder("", "BTC/USDT", { origClientOrderId: "bst-lim-1" });
    expect(found).toMatchObject({ id: "1", clientOrderId: "bst-lim-1", status: "open" });
    expect(server.requests("GET /api/v3/order")[0]!.params).toMatchObject({ origClientOrderId: "bst-lim-1" });
    expect((await exchange.fetchOrder("1", "BTC/USDT")).clientOrderId).toBe("bst-lim-1");

    const listed = await exchange.fetchOpenOrders("BTC/USDT");
    expect(listed.map((o) => o.clientOrderId)).toEqual(["bst-lim-1"]);
    expect((await exchange.fetchOpenOrders()).map((o) => o.clientOrderId)).toEqual(["bst-lim-1"]);
    expect((await exchange.fetchBalance()).USDT?.used).toBeCloseTo(58.058, 6);

    const canceled = await exchange.cancelOrder("1", "BTC/USDT");
    expect(canceled.status).toBe("canceled");
    expect((canceled.info as Record<string, unknown>).origClientOrderId).toBe("bst-lim-1");
    expect(await exchange.fetchOpenOrders("BTC/USDT")).toEqual([]);
    expect((await exchange.fetchOrder("", "BTC/USDT", { origClientOrderId: "bst-lim-1" })).status).toBe("canceled");
    expect((await exchange.fetchBalance()).USDT?.used ?? 0).toBe(0);
  });

  it("cancels every open order of a symbol at once, stops included", async () => {
    const { exchange } = await setup();
    await exchange.createOrder("BTC/USDT", "limit", "buy", 0.001, 29_000, { newClientOrderId: "a1" });
    await exchange.createOrder("BTC/USDT", "limit", "sell", 0.001, 31_000, { newClientOrderId: "a2" });
    await exchange.createOrder("BTC/USDT", "limit", "sell", 0.001, 29_000, { newClientOrderId: "a3", stopPrice: 29_100 });
    await exchange.createOrder("ETH/USDT", "limit", "buy", 0.01, 1_900, { newClientOrderId: "e1" });
    const canceled = await exchange.cancelAllOrders("BTC/USDT");
    expect(canceled.map((o: Order) => [o.id, o.status])).toEqual([
      ["1", "canceled"],
      ["2", "canceled"],
      ["3", "canceled"],
    ]);
    expect((await exchange.fetchOpenOrders()).map((o) => o.clientOrderId)).toEqual(["e1"]);
    // Binance answers -2011 when nothing is open: ccxt says OrderNotFound
    expect(await caught(exchange.cancelAllOrders("BTC/USDT"))).toBeInstanceOf(ccxt.OrderNotFound);
  });

  it("fills a resting limit as maker when the market trades through it, and lists the fills", async () => {
    const { server, exchange } = await setup();
    await exchange.createOrder("BTC/USDT", "market", "buy", 0.01, undefined, { newClientOrderId: "t-buy" });
    await exchange.createOrder("BTC/USDT", "limit", "sell", 0.004, 30_100, { newClientOrderId: "t-sell" });
    server.pushQuote("BTCUSDT", 30_050, 30_060);
    server.pushTrade("BTCUSDT", 30_150, 1, "BUY");
    const sold = await exchange.fetchOrder("", "BTC/USDT", { origClientOrderId: "t-sell" });
    expect(sold).toMatchObject({ status: "closed", filled: 0.004, average: 30_100 });
    const trades = await exchange.fetchMyTrades("BTC/USDT");
    expect(trades.map((t) => [t.id, t.order, t.side, t.takerOrMaker, t.amount, t.price])).toEqual([
      ["1", "1", "buy", "taker", 0.01, 30_000.5],
      ["2", "2", "sell", "maker", 0.004, 30_100],
    ]);
    const since = trades[1]!.timestamp!;
    expect((await exchange.fetchMyTrades("BTC/USDT", since)).map((t) => t.id)).toEqual(["2"]);
  });

  it.each([
    {
      name: "stop-loss limit (STOP_LOSS_LIMIT)",
      type: "limit",
      side: "sell",
      price: 29_400,
      params: { stopPrice: 29_500 },
      wire: "STOP_LOSS_LIMIT",
      trade: 29_450,
      fill: 29_450,
    },
    {
      name: "stop-loss market (STOP_LOSS)",
      type: "market",
      side: "sell",
      price: undefined,
      params: { stopLossPrice: 29_500 },
      wire: "STOP_LOSS",
      trade: 29_450,
      fill: 29_450,
    },
    {
      name: "take-profit limit (TAKE_PROFIT_LIMIT)",
      type: "limit",
      side: "sell",
      price: 30_600,
      params: { takeProfitPrice: 30_500 },
      wire: "TAKE_PROFIT_LIMIT",
      trade: 30_700,
      fill: 30_700,
    },
    {
      name: "take-profit market (TAKE_PROFIT)",
      type: "market",
      side: "sell",
      price: undefined,
      params: { takeProfitPrice: 30_500 },
      wire: "TAKE_PROFIT",
      trade: 30_550,
      fill: 30_550,
    },
  ] as const)("places a $name that waits, then triggers on a trade through its stop price", async ({ type, side, price, params, wire, trade, fill }) => {
    const { server, exchange } = await setup();
    const placed = await exchange.createOrder("BTC/USDT", type, side, 0.001, price, { ...params, newClientOrderId: "stop-1" });
    expect(server.requests("POST /api/v3/order")[0]!.params.type).toBe(wire);
    expect(placed.status).toBe("open");
    expect((await exchange.fetchOrder("", "BTC/USDT", { origClientOrderId: "stop-1" })).triggerPrice).toBe(
      "stopPrice" in params ? params.stopPrice : "stopLossPrice" in params ? params.stopLossPrice : params.takeProfitPrice,
    );
    server.pushTrade("BTCUSDT", trade, 1);
    if (wire === "TAKE_PROFIT_LIMIT" || wire === "TAKE_PROFIT") server.pushQuote("BTCUSDT", trade, trade + 0.5);
    else server.pushQuote("BTCUSDT", trade - 0.5, trade);
    const after = await exchange.fetchOrder("", "BTC/USDT", { origClientOrderId: "stop-1" });
    expect(after.status).toBe("closed");
    expect(after.average).toBe(fill);
  });
});

describe("ccxt binance against the test server: errors come back as ccxt's classes", () => {
  it.each([
    {
      name: "insufficient balance",
      call: (e: Exchange) => e.createOrder("BTC/USDT", "limit", "buy", 5, 29_000),
      cls: ccxt.InsufficientFunds,
      code: "Account has insufficient balance for requested action.",
    },
    { name: "LOT_SIZE (above maxQty)", call: (e: Exchange) => e.createOrder("BTC/USDT", "limit", "buy", 9_001, 1), cls: ccxt.InvalidOrder, code: "LOT_SIZE" },
    {
      name: "PRICE_FILTER (above maxPrice)",
      call: (e: Exchange) => e.createOrder("BTC/USDT", "limit", "sell", 0.001, 2_000_000),
      cls: ccxt.InvalidOrder,
      code: "PRICE_FILTER",
    },
    // ccxt maps -1013 NOTIONAL to BadRequest (only LOT_SIZE / PRICE_FILTER are matched to InvalidOrder)
    {
      name: "NOTIONAL (below 5 USDT)",
      call: (e: Exchange) => e.createOrder("BTC/USDT", "limit", "buy", 0.0001, 29_000),
      cls: ccxt.BadRequest,
      code: "Filter failure: NOTIONAL",
    },
    {
      name: "NOTIONAL on a market order (last price)",
      call: (e: Exchange) => e.createOrder("BTC/USDT", "market", "sell", 0.0001),
      cls: ccxt.BadRequest,
      code: "-1013",
    },
    {
      name: "stop that would trigger at once",
      call: (e: Exchange) => e.createOrder("BTC/USDT", "market", "sell", 0.001, undefined, { stopLossPrice: 31_000 }),
      cls: ccxt.OrderImmediatelyFillable,
      code: "Stop price would trigger immediately.",
    },
    {
      name: "post-only that would take",
      call: (e: Exchange) => e.createOrder("BTC/USDT", "limit", "buy", 0.001, 30_001, { postOnly: true }),
      cls: ccxt.OrderImmediatelyFillable,
      code: "Order would immediately match and take.",
    },
    {
      name: "unknown order on fetch",
      call: (e: Exchange) => e.fetchOrder("", "BTC/USDT", { origClientOrderId: "nope" }),
      cls: ccxt.OrderNotFound,
      code: "-2013",
    },
    { name: "unknown order on cancel", call: (e: Exchange) => e.cancelOrder("77", "BTC/USDT"), cls: ccxt.OrderNotFound, code: "-2011" },
    {
      name: "clientOrderId longer than 36 characters",
      call: (e: Exchange) => e.createOrder("BTC/USDT", "limit", "buy", 0.001, 29_000, { newClientOrderId: "x".repeat(37) }),
      cls: ccxt.BadRequest,
      code: "-1100",
    },
  ])("$name", async ({ call, cls, code }) => {
    const { exchange } = await setup();
    await exchange.loadMarkets();
    const error = await caught(call(exchange));
    expect(error).toBeInstanceOf(cls);
    expect(error.message).toContain(code);
  });

  it("a duplicate clientOrderId is refused and places nothing", async () => {
    const { server, exchange } = await setup();
    await exchange.createOrder("BTC/USDT", "limit", "buy", 0.001, 29_000, { newClientOrderId: "dup-1" });
    const error = await caught(exchange.createOrder("BTC/USDT", "limit", "buy", 0.001, 29_000, { newClientOrderId: "dup-1" }));
    expect(error).toBeInstanceOf(ccxt.InvalidOrder);
    expect(error.message).toContain("Duplicate order sent.");
    expect(server.account.openOrderCount()).toBe(1);
  });

  it.each([
    { name: "a wrong secret (bad signature, -1022)", credentials: { secret: "not-the-secret" }, code: "-1022" },
    { name: "an unknown API key (-2015)", credentials: { key: "someone-elses-key" }, code: "-2015" },
  ])("$name is an AuthenticationError", async ({ credentials, code }) => {
    const { exchange } = await setup({}, {}, credentials);
    await exchange.loadMarkets();
    const error = await caught(exchange.fetchBalance());
    expect(error).toBeInstanceOf(ccxt.AuthenticationError);
    expect(error.message).toContain(code);
  });

  it("a clock outside recvWindow is InvalidNonce (-1021) unless ccxt adjusts for the time difference", async () => {
    const ahead: Clock = { now: () => Date.now() + 120_000 };
    const raw = await setup({ clock: ahead }, { options: { adjustForTimeDifference: false } });
    const error = await caught(raw.exchange.fetchBalance());
    expect(error).toBeInstanceOf(ccxt.InvalidNonce);
    expect(error.message).toContain("-1021");
    const adjusted = await setup({ clock: ahead });
    await adjusted.exchange.loadMarkets();
    expect((await adjusted.exchange.fetchBalance()).USDT?.total).toBe(100_000);
  });

  it("going over the request-weight limit answers 429 -1003: a DDoSProtection (a NetworkError, transient)", async () => {
    let t = 1_700_000_000_000;
    const { exchange } = await setup({ clock: { now: () => t }, rateLimits: { requestWeightPerMinute: 25 } }, { options: { adjustForTimeDifference: false } });
    await exchange.loadMarkets(); // exchangeInfo: weight 20
    await exchange.fetchTicker("BTC/USDT"); // 2 → 22
    const error = await caught(exchange.fetchOrderBook("BTC/USDT")); // 5 → 27 > 25
    expect(error).toBeInstanceOf(ccxt.DDoSProtection);
    expect(error).toBeInstanceOf(ccxt.NetworkError);
    expect(error.message).toContain("-1003");
    t += 60_000; // the next minute's window
    expect((await exchange.fetchOrderBook("BTC/USDT")).bids.length).toBe(1);
  });

  it("too many new orders in 10 s answers 429 -1015", async () => {
    const t = 1_700_000_000_000;
    const { exchange } = await setup({ clock: { now: () => t }, rateLimits: { ordersPer10s: 2 } }, { options: { adjustForTimeDifference: false } });
    await exchange.loadMarkets();
    // signed requests check the timestamp against the server clock, so pin ccxt's clock too
    exchange.milliseconds = () => t;
    await exchange.createOrder("BTC/USDT", "limit", "buy", 0.001, 29_000);
    await exchange.createOrder("BTC/USDT", "limit", "buy", 0.001, 29_000);
    const error = await caught(exchange.createOrder("BTC/USDT", "limit", "buy", 0.001, 29_000));
    expect(error).toBeInstanceOf(ccxt.NetworkError);
    expect(error.message).toContain("-1015");
  });
});

describe("ccxt binance against the test server: injected faults", () => {
  it.each([
    { kind: "rateLimit", cls: ccxt.DDoSProtection },
    { kind: "unavailable", cls: ccxt.ExchangeNotAvailable },
    { kind: "hang", cls: ccxt.RequestTimeout },
  ] as const)("$kind on the next fetchBalance → $cls.name, and the one after succeeds", async ({ kind, cls }) => {
    const { server, exchange } = await setup();
    await exchange.loadMarkets();
    server.addFault({ endpoint: "GET /api/v3/account", kind, times: 1 });
    if (kind === "hang") exchange.timeout = HANG_MS; // the others answer at once, however slowly
    const error = await caught(exchange.fetchBalance());
    exchange.timeout = PATIENT_MS;
    expect(error).toBeInstanceOf(cls);
    expect(error).toBeInstanceOf(ccxt.NetworkError);
    expect((await exchange.fetchBalance()).USDT?.total).toBe(100_000);
  });

  it("a createOrder whose answer is lost times out, yet the order exists and is found by clientOrderId", async () => {
    const { server, exchange } = await setup();
    await exchange.loadMarkets();
    server.addFault({ endpoint: "POST /api/v3/order", kind: "dropResponse" });
    exchange.timeout = HANG_MS;
    const error = await caught(exchange.createOrder("BTC/USDT", "limit", "buy", 0.001, 29_000, { newClientOrderId: "lost-1" }));
    exchange.timeout = PATIENT_MS;
    expect(error).toBeInstanceOf(ccxt.RequestTimeout);
    expect(server.requests("POST /api/v3/order").map((r) => r.outcome)).toEqual(["dropped"]);
    const found = await exchange.fetchOrder("", "BTC/USDT", { origClientOrderId: "lost-1" });
    expect(found).toMatchObject({ clientOrderId: "lost-1", status: "open", amount: 0.001 });
    expect(server.requests("POST /api/v3/order")).toHaveLength(1); // ccxt did not retry on its own
  });

  it("a createOrder whose connection is reset after execution is a NetworkError, and the order filled", async () => {
    const { server, exchange } = await setup();
    await exchange.loadMarkets();
    server.addFault({ endpoint: "POST /api/v3/order", kind: "resetAfterExecute" });
    const error = await caught(exchange.createOrder("BTC/USDT", "market", "buy", 0.001, undefined, { newClientOrderId: "reset-1" }));
    expect(error).toBeInstanceOf(ccxt.NetworkError);
    expect(error).not.toBeInstanceOf(ccxt.RequestTimeout);
    expect((await exchange.fetchOrder("", "BTC/USDT", { origClientOrderId: "reset-1" })).status).toBe("closed");
    expect(server.requests("POST /api/v3/order")).toHaveLength(1);
  });

  it("the emergency instance has its own connection and limiter: it cancels while the routine one waits on a hung call", async () => {
    // Both instances are patient: the hung call stays pending however long the cancel takes on a busy machine.
    const { server, exchange, emergency } = await setup();
    await exchange.loadMarkets();
    await emergency.loadMarkets();
    await exchange.createOrder("BTC/USDT", "limit", "buy", 0.001, 29_000, { newClientOrderId: "em-1" });
    server.addFault({ endpoint: "GET /api/v3/openOrders", kind: "hang" });
    let stuckSettled = false;
    const stuck = caught(exchange.fetchOpenOrders("BTC/USDT")).finally(() => {
      stuckSettled = true;
    });
    const canceled = await emergency.cancelAllOrders("BTC/USDT");
    expect(canceled.map((o: Order) => o.status)).toEqual(["canceled"]);
    expect(stuckSettled).toBe(false); // the cancel did not wait for the hung call
    await server.close(); // ends the hung call: its connection is dropped
    expect(await stuck).toBeInstanceOf(ccxt.NetworkError);
  });
});

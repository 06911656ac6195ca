/**
 * A real ccxt `bitget` instance (classic account: `uta: false`, spot only) pointed at the Bitget test server on
 * 127.0.0.1, through the calls a live desk makes: markets, time, ticker, book, candles, trades, limit and market
 * orders looked up by id and by clientOid, cancels, cancel-all, fills and balances; then the error classes ccxt
 * must raise for Bitget's answers; then the same server through Bastion's own live configuration.
 */
import ccxt, { type Exchange } from "ccxt";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../server/core/clock";
import { classifyCcxtError } from "../../server/venues/ccxt/errors";
import { bitgetLiveExchangesFor } from "./live-exchange";
import { BITGET_TEST_API_KEY, BITGET_TEST_API_SECRET, BITGET_TEST_PASSPHRASE, BitgetTestServer, type BitgetTestServerOptions } from "./index";
import { caught, closedAfterEach, PATIENT_MS } from "../exchange-test-server/ccxt-e2e-support";

const closeAfterTest = closedAfterEach<BitgetTestServer>();

/** ccxt's timeout for the one request whose answer is dropped by design: how soon ccxt gives up on it. */
const DROPPED_MS = 400;

interface Setup {
  server: BitgetTestServer;
  exchange: Exchange;
}

async function setup(serverOptions: BitgetTestServerOptions = {}, credentials: { secret?: string; password?: string } = {}): Promise<Setup> {
  const server = await BitgetTestServer.start({ symbols: ["BTC/USDT", "ETH/USDT"], ...serverOptions });
  closeAfterTest(server);
  server.pushQuote("BTCUSDT", 30_000, 30_000.5, 5, 5);
  server.pushTrade("BTCUSDT", 30_000.2, 0.5, "BUY");
  server.pushQuote("ETHUSDT", 2_000, 2_000.1, 50, 50);
  const exchange = new ccxt.bitget({
    apiKey: BITGET_TEST_API_KEY,
    secret: credentials.secret ?? BITGET_TEST_API_SECRET,
    password: credentials.password ?? BITGET_TEST_PASSPHRASE,
    timeout: PATIENT_MS,
    options: { uta: false, defaultType: "spot", fetchMarkets: { types: ["spot"] } },
    urls: { api: server.ccxtApiUrls() },
  });
  return { server, exchange };
}

/** The exchange's id of an order ccxt parsed (ccxt types it as optional). */
function idOf(order: { id?: string }): string {
  if (order.id === undefined) throw new Error("the order has no id");
  return order.id;
}

describe("ccxt bitget against the test server: the happy paths", () => {
  it("loads the recorded spot markets with Bitget's precision, asking only for spot symbols, coins and margin pairs", async () => {
    const { server, exchange } = await setup();
    const markets = await exchange.loadMarkets();
    expect(Object.keys(markets).sort()).toEqual(["BTC/USDT", "ETH/USDT"]);
    const btc = markets["BTC/USDT"]!;
    expect(btc).toMatchObject({ id: "BTCUSDT", spot: true, active: true, taker: 0.002, maker: 0.002 });
    expect(btc.precision).toEqual({ amount: 0.000001, price: 0.01 });
    expect(btc.limits.cost?.min).toBe(1);
    expect(markets["ETH/USDT"]!.precision).toEqual({ amount: 0.0001, price: 0.01 });
    expect(exchange.currencies.USDT?.id).toBe("USDT");
    expect(await exchange.fetchTime()).toBeGreaterThan(0);
    const endpoints = [...new Set(server.requests().map((r) => r.endpoint))].sort();
    expect(endpoints).toEqual(["GET /api/v2/margin/currencies", "GET /api/v2/public/time", "GET /api/v2/spot/public/coins", "GET /api/v2/spot/public/symbols"]);
  });

  it("reads tickers, the order book, candles and public trades", async () => {
    const { server, exchange } = await setup();
    const bar = { symbol: "BTCUSDT", interval: "5m", volume: 12, simulate: false } as const;
    server.pushCandle({ ...bar, openTime: 1_672_677_900_000, open: 29_900, high: 30_100, low: 29_800, close: 30_000 });
    server.pushCandle({ ...bar, openTime: 1_672_678_200_000, open: 30_000, high: 30_050, low: 29_950, close: 30_010, volume: 7 });
    const ticker = await exchange.fetchTicker("BTC/USDT");
    expect(ticker).toMatchObject({ symbol: "BTC/USDT", bid: 30_000, ask: 30_000.5, bidVolume: 5, askVolume: 5 });
    const tickers = await exchange.fetchTickers(["BTC/USDT", "ETH/USDT"]);
    expect(tickers["ETH/USDT"]).toMatchObject({ bid: 2_000, ask: 2_000.1 });
    const book = await exchange.fetchOrderBook("BTC/USDT", 5);
    expect(book.bids[0]).toEqual([30_000, 5]);
    expect(book.asks[0]).toEqual([30_000.5, 5]);
    expect(await exchange.fetchOHLCV("BTC/USDT", "5m")).toEqual([
      [1_672_677_900_000, 29_900, 30_100, 29_800, 30_000, 12],
      [1_672_678_200_000, 30_000, 30_050, 29_950, 30_010, 7],
    ]);
    expect(await exchange.fetchOHLCV("BTC/USDT", "15m")).toEqual([[1_672_677_900_000, 29_900, 30_100, 29_800, 30_010, 19]]);
    const trades = await exchange.fetchTrades("BTC/USDT");
    expect(trades).toEqual([expect.objectContaining({ symbol: "BTC/USDT", side: "buy", price: 30_000.2, amount: 0.5 })]);
    expect(server.requests("GET /api/v2/spot/market/candles")[0]!.params).toMatchObject({ symbol: "BTCUSDT", granularity: "5min" });
  });

  it("places a limit order with a clientOid, finds it by id and by clientOrderId, lists it open, cancels it", async () => {
    const { server, exchange } = await setup();
    const placed = await exchange.createOrder("BTC/USDT", "limit", "buy", 0.01, 29_000, { clientOrderId: "bst-lim-1" });
    expect(placed).toMatchObject({ id: "1200000000000000001", clientOrderId: "bst-lim-1" });
    expect(server.requests("POST /api/v2/spot/trade/place-order")[0]!.params).toEqual({
      symbol: "BTCUSDT",
      orderType: "limit",
      price: "29000",
      force: "GTC",
      side: "buy",
      size: "0.01",
      clientOid: "bst-lim-1",
    });
    const byId = await exchange.fetchOrder(idOf(placed), "BTC/USDT");
    expect(byId).toMatchObject({
      id: placed.id,
      clientOrderId: "bst-lim-1",
      status: "open",
      type: "limit",
      side: "buy",
      price: 29_000,
      amount: 0.01,
      filled: 0,
    });
    const byClientId = await exchange.fetchOrder("", "BTC/USDT", { clientOrderId: "bst-lim-1" });
    expect(byClientId).toMatchObject({ id: placed.id, status: "open" });
    expect(server.requests("GET /api/v2/spot/trade/orderInfo")[1]!.params).toEqual({ clientOid: "bst-lim-1" });
    const openOrders = await exchange.fetchOpenOrders("BTC/USDT");
    expect(openOrders).toEqual([expect.objectContaining({ id: placed.id, status: "open", price: 29_000, amount: 0.01, remaining: 0.01 })]);
    const canceled = await exchange.cancelOrder(idOf(placed), "BTC/USDT");
    expect(canceled).toMatchObject({ id: placed.id, clientOrderId: "bst-lim-1" });
    expect(await exchange.fetchOrder(idOf(placed), "BTC/USDT")).toMatchObject({ status: "canceled", filled: 0 });
    expect(await exchange.fetchOpenOrders("BTC/USDT")).toEqual([]);
  });

  it("cancels by clientOrderId and cancels all of a symbol's orders", async () => {
    const { server, exchange } = await setup();
    await exchange.createOrder("BTC/USDT", "limit", "buy", 0.01, 29_000, { clientOrderId: "c-1" });
    await exchange.createOrder("BTC/USDT", "limit", "sell", 0.01, 31_000, { clientOrderId: "c-2" });
    await exchange.createOrder("BTC/USDT", "limit", "buy", 0.01, 28_000, { clientOrderId: "c-3" });
    await exchange.createOrder("ETH/USDT", "limit", "buy", 0.1, 1_900, { clientOrderId: "e-1" });
    await exchange.cancelOrder("", "BTC/USDT", { clientOrderId: "c-1" });
    expect(server.requests("POST /api/v2/spot/trade/cancel-order")[0]!.params).toEqual({ symbol: "BTCUSDT", clientOid: "c-1" });
    const all = await exchange.cancelAllOrders("BTC/USDT");
    expect(all).toEqual([expect.objectContaining({ symbol: "BTC/USDT" })]);
    expect((await exchange.fetchOpenOrders()).map((o) => o.clientOrderId)).toEqual(["e-1"]);
    const past = await exchange.fetchCanceledAndClosedOrders("BTC/USDT");
    expect(past.map((o) => `${o.clientOrderId}:${o.status}`).sort()).toEqual(["c-1:canceled", "c-2:canceled", "c-3:canceled"]);
  });

  it("fills a market buy (sized in USDT) and a market sell, and reports fills, fees and balances exactly", async () => {
    const { server, exchange } = await setup();
    // ccxt turns amount × price into the quote amount Bitget sizes market buys in: 0.01 × 30000.5 → "300" (to the cent)
    const buy = await exchange.createOrder("BTC/USDT", "market", "buy", 0.01, 30_000.5, { clientOrderId: "bst-mkt-1" });
    expect(server.requests("POST /api/v2/spot/trade/place-order")[0]!.params).toMatchObject({ orderType: "market", side: "buy", size: "300" });
    const bought = await exchange.fetchOrder(idOf(buy), "BTC/USDT");
    // 300 USDT buys 0.009999 BTC at 30000.5; ccxt reads a market buy's amount from baseVolume
    expect(bought).toMatchObject({ status: "closed", type: "market", side: "buy", amount: 0.009999, filled: 0.009999, average: 30_000.5, cost: 299.9749995 });
    expect(bought.fee).toEqual({ cost: 0.599949999, currency: "USDT" });
    const sell = await exchange.createOrder("BTC/USDT", "market", "sell", 0.005, undefined, { clientOrderId: "bst-mkt-2" });
    expect(await exchange.fetchOrder(idOf(sell), "BTC/USDT")).toMatchObject({ status: "closed", filled: 0.005, average: 30_000, cost: 150 });
    const fills = await exchange.fetchMyTrades("BTC/USDT");
    expect(fills.map((t) => ({ order: t.order, side: t.side, price: t.price, amount: t.amount, takerOrMaker: t.takerOrMaker, fee: t.fee }))).toEqual([
      { order: buy.id, side: "buy", price: 30_000.5, amount: 0.009999, takerOrMaker: "taker", fee: { cost: 0.599949999, currency: "USDT" } },
      { order: sell.id, side: "sell", price: 30_000, amount: 0.005, takerOrMaker: "taker", fee: { cost: 0.3, currency: "USDT" } },
    ]);
    const closed = await exchange.fetchClosedOrders("BTC/USDT");
    expect(closed.map((o) => o.clientOrderId).sort()).toEqual(["bst-mkt-1", "bst-mkt-2"]);
    const balance = await exchange.fetchBalance();
    // 100000 − 299.9749995 − 0.599949999 + 150 − 0.3
    expect(server.account.venue.balances().USDT!.total.toString()).toBe("99849.125050501");
    expect(balance.total).toMatchObject({ BTC: 2.004999, ETH: 20, USDT: 99_849.125050501 });
    expect(balance.USDT).toMatchObject({ free: 99_849.125050501, used: 0 });
  });

  it("reports a resting order's reservation as used, and its fill after the market trades through it", async () => {
    const { server, exchange } = await setup();
    const order = await exchange.createOrder("ETH/USDT", "limit", "buy", 1, 1_990, { clientOrderId: "bst-rest-1" });
    expect((await exchange.fetchBalance()).USDT).toMatchObject({ used: 1_993.98 });
    server.pushTrade("ETHUSDT", 1_989, 5, "SELL");
    expect(await exchange.fetchOrder(idOf(order), "ETH/USDT")).toMatchObject({ status: "closed", filled: 1, average: 1_990 });
    expect((await exchange.fetchMyTrades("ETH/USDT"))[0]).toMatchObject({ takerOrMaker: "maker", price: 1_990 });
    expect((await exchange.fetchBalance()).total).toMatchObject({ ETH: 21 });
  });
});

describe("ccxt bitget against the test server: plan (trigger) orders", () => {
  it("keeps plans in their own book, triggers one when the price falls through it, and cancels the rest", async () => {
    const { server, exchange } = await setup();
    server.pushTrade("BTCUSDT", 30_000, 0.1, "BUY");
    const stop = await exchange.createOrder("BTC/USDT", "market", "sell", 0.01, undefined, { triggerPrice: 29_500, clientOrderId: "sl-1" });
    const takeProfit = await exchange.createOrder("BTC/USDT", "limit", "sell", 0.01, 31_100, { triggerPrice: 31_000, clientOrderId: "tp-1" });
    expect(server.requests("POST /api/v2/spot/trade/place-plan-order")[0]!.params).toMatchObject({
      symbol: "BTCUSDT",
      orderType: "market",
      side: "sell",
      size: "0.01",
      triggerPrice: "29500",
      planType: "amount",
      clientOid: "sl-1",
    });
    const plans = await exchange.fetchOpenOrders("BTC/USDT", undefined, undefined, { trigger: true });
    expect(plans.map((o) => ({ id: o.id, clientOrderId: o.clientOrderId, status: o.status, triggerPrice: o.triggerPrice, price: o.price }))).toEqual([
      { id: idOf(stop), clientOrderId: "sl-1", status: "open", triggerPrice: 29_500, price: undefined },
      { id: idOf(takeProfit), clientOrderId: "tp-1", status: "open", triggerPrice: 31_000, price: 31_100 },
    ]);
    expect(await exchange.fetchOpenOrders("BTC/USDT")).toEqual([]);
    expect(await caught(exchange.fetchOrder("", "BTC/USDT", { clientOrderId: "sl-1" }))).toBeInstanceOf(ccxt.OrderNotFound);

    server.pushQuote("BTCUSDT", 29_400, 29_400.5, 5, 5);
    server.pushTrade("BTCUSDT", 29_400, 0.2, "SELL");
    expect((await exchange.fetchOpenOrders("BTC/USDT", undefined, undefined, { trigger: true })).map((o) => o.clientOrderId)).toEqual(["tp-1"]);
    const triggered = await exchange.fetchOrder("", "BTC/USDT", { clientOrderId: "sl-1" });
    expect(triggered).toMatchObject({ clientOrderId: "sl-1", status: "closed", filled: 0.01, average: 29_400 });
    expect(triggered.id).not.toBe(idOf(stop));
    expect((await exchange.fetchMyTrades("BTC/USDT")).map((t) => [t.order, t.amount, t.price])).toEqual([[triggered.id, 0.01, 29_400]]);

    await exchange.cancelOrder(idOf(takeProfit), "BTC/USDT", { trigger: true });
    expect(await exchange.fetchOpenOrders("BTC/USDT", undefined, undefined, { trigger: true })).toEqual([]);
    expect((await caught(exchange.cancelOrder(idOf(takeProfit), "BTC/USDT", { trigger: true }))).message).toContain("43025");
    const history = await exchange.fetchCanceledAndClosedOrders("BTC/USDT", undefined, undefined, { trigger: true });
    expect(history.map((o) => `${o.clientOrderId}:${o.status}`)).toEqual(["sl-1:closed", "tp-1:canceled"]);
  });

  it("cancels every waiting plan of a symbol with cancelAllOrders({ trigger: true }), leaving regular orders alone", async () => {
    const { server, exchange } = await setup();
    server.pushTrade("BTCUSDT", 30_000, 0.1, "BUY");
    await exchange.createOrder("BTC/USDT", "market", "sell", 0.01, undefined, { triggerPrice: 29_000, clientOrderId: "p-1" });
    await exchange.createOrder("BTC/USDT", "limit", "buy", 0.01, 31_100, { triggerPrice: 31_000, clientOrderId: "p-2" });
    await exchange.createOrder("BTC/USDT", "limit", "buy", 0.01, 28_000, { clientOrderId: "r-1" });
    await exchange.cancelAllOrders("BTC/USDT", { trigger: true });
    expect(server.requests("POST /api/v2/spot/trade/batch-cancel-plan-order")[0]!.params).toEqual({ symbolList: '["BTCUSDT"]' });
    expect(await exchange.fetchOpenOrders("BTC/USDT", undefined, undefined, { trigger: true })).toEqual([]);
    expect((await exchange.fetchOpenOrders("BTC/USDT")).map((o) => o.clientOrderId)).toEqual(["r-1"]);
    await exchange.cancelAllOrders("BTC/USDT");
    expect(server.account.openOrderCount()).toBe(0);
  });
});

describe("ccxt bitget against the test server: the error classes", () => {
  it("InsufficientFunds, OrderNotFound and InvalidOrder from Bitget's codes", async () => {
    const { exchange } = await setup();
    await exchange.loadMarkets();
    expect(await caught(exchange.createOrder("BTC/USDT", "limit", "buy", 5, 30_000))).toBeInstanceOf(ccxt.InsufficientFunds);
    expect(await caught(exchange.cancelOrder("1200000000000000999", "BTC/USDT"))).toBeInstanceOf(ccxt.OrderNotFound);
    expect(await caught(exchange.fetchOrder("1200000000000000999", "BTC/USDT"))).toBeInstanceOf(ccxt.OrderNotFound);
    expect(await caught(exchange.fetchOrder("", "BTC/USDT", { clientOrderId: "nobody" }))).toBeInstanceOf(ccxt.OrderNotFound);
    const tooSmall = await caught(exchange.createOrder("BTC/USDT", "limit", "buy", 0.00001, 30_000));
    expect(tooSmall).toBeInstanceOf(ccxt.InvalidOrder);
    expect(tooSmall.message).toContain("45110");
  });

  it("a clientOid used twice is refused with a message Bastion reads as 'an earlier attempt landed'", async () => {
    const { exchange } = await setup();
    await exchange.createOrder("BTC/USDT", "limit", "buy", 0.01, 29_000, { clientOrderId: "dup-1" });
    const error = await caught(exchange.createOrder("BTC/USDT", "limit", "buy", 0.01, 29_000, { clientOrderId: "dup-1" }));
    expect(error).toBeInstanceOf(ccxt.ExchangeError);
    expect(error.message).toContain("Duplicate clientOid");
    const classified = classifyCcxtError(error, { exchange: "bitget", action: "placing dup-1", kind: "create", secrets: [] });
    expect(classified.code).toBe("TIMEOUT");
  });

  it.each([
    { name: "a wrong passphrase", credentials: { password: "not-it" }, code: "40012" },
    { name: "a wrong secret", credentials: { secret: "not-it" }, code: "40009" },
  ])("AuthenticationError for $name ($code)", async ({ credentials, code }) => {
    const { exchange } = await setup({}, credentials);
    await exchange.loadMarkets();
    const error = await caught(exchange.fetchBalance());
    expect(error).toBeInstanceOf(ccxt.AuthenticationError);
    expect(error.message).toContain(code);
  });

  it("InvalidNonce when this machine's clock is a minute behind the exchange's", async () => {
    const { exchange } = await setup({ clock: new ManualClock(Date.now() + 60_000) });
    await exchange.loadMarkets();
    const error = await caught(exchange.fetchBalance());
    expect(error).toBeInstanceOf(ccxt.InvalidNonce);
    expect(error.message).toContain("40008");
  });

  it("429 is a DDoSProtection (Bastion: RATE_LIMITED, nothing placed); 503 and 'System busy' are ExchangeNotAvailable", async () => {
    const { server, exchange } = await setup();
    await exchange.loadMarkets();
    server.addFault({ endpoint: "POST /api/v2/spot/trade/place-order", kind: "rateLimit" });
    const limited = await caught(exchange.createOrder("BTC/USDT", "limit", "buy", 0.01, 29_000, { clientOrderId: "rl-1" }));
    expect(limited).toBeInstanceOf(ccxt.DDoSProtection);
    expect(classifyCcxtError(limited, { exchange: "bitget", action: "placing rl-1", kind: "create", secrets: [] }).code).toBe("RATE_LIMITED");
    server.addFault({ endpoint: "GET /api/v2/spot/market/tickers", kind: "unavailable" });
    expect(await caught(exchange.fetchTicker("BTC/USDT"))).toBeInstanceOf(ccxt.ExchangeNotAvailable);
    server.addFault({ endpoint: "POST /api/v2/spot/trade/place-order", kind: "statusUnknown" });
    const busy = await caught(exchange.createOrder("BTC/USDT", "limit", "buy", 0.01, 29_000, { clientOrderId: "su-1" }));
    expect(busy).toBeInstanceOf(ccxt.ExchangeNotAvailable);
    expect(classifyCcxtError(busy, { exchange: "bitget", action: "placing su-1", kind: "create", secrets: [] }).code).toBe("TIMEOUT");
    // executed although the answer said "System busy": the lookup by clientOid finds it
    expect(await exchange.fetchOrder("", "BTC/USDT", { clientOrderId: "su-1" })).toMatchObject({ status: "open" });
  });

  it("a dropped answer is a RequestTimeout, and the order it placed is there", async () => {
    const { server, exchange } = await setup();
    await exchange.loadMarkets();
    server.addFault({ endpoint: "POST /api/v2/spot/trade/place-order", kind: "dropResponse" });
    exchange.timeout = DROPPED_MS;
    const error = await caught(exchange.createOrder("BTC/USDT", "limit", "buy", 0.01, 29_000, { clientOrderId: "drop-1" }));
    exchange.timeout = PATIENT_MS;
    expect(error).toBeInstanceOf(ccxt.RequestTimeout);
    expect(await exchange.fetchOrder("", "BTC/USDT", { clientOrderId: "drop-1" })).toMatchObject({ clientOrderId: "drop-1", status: "open" });
  });
});

describe("Bastion's live configuration pointed at the Bitget test server", () => {
  it("BASTION_EXCHANGE=bitget with BASTION_API_URL reaches every Bitget host of ccxt on the test server, passphrase included", async () => {
    const server = await BitgetTestServer.start({ symbols: ["BTC/USDT", "ETH/USDT"] });
    closeAfterTest(server);
    server.pushQuote("BTCUSDT", 30_000, 30_000.5, 5, 5);
    // No uta option: ccxt probes the account kind first; the classic account the server is refuses the UTA endpoint.
    const { exchange, emergency } = bitgetLiveExchangesFor(server.url, { timeoutMs: PATIENT_MS });
    expect(Object.keys(await exchange.loadMarkets()).sort()).toEqual(["BTC/USDT", "ETH/USDT"]);
    expect(server.requests("GET /api/v3/account/settings").map((r) => r.outcome)).toEqual([404]);
    expect((exchange.options as Record<string, unknown>).uta).toBe(false);
    await emergency.loadMarkets();
    const order = await exchange.createOrder("BTC/USDT", "limit", "sell", 0.01, 31_000, { clientOid: "bst-live-1" });
    expect((await exchange.fetchOpenOrders("BTC/USDT")).map((o) => o.id)).toEqual([order.id]);
    await emergency.cancelAllOrders("BTC/USDT");
    expect(await exchange.fetchOrder(idOf(order), "BTC/USDT")).toMatchObject({ status: "canceled", clientOrderId: "bst-live-1" });
    expect((await exchange.fetchBalance()).total).toMatchObject({ BTC: 2, USDT: 100_000 });
  });
});

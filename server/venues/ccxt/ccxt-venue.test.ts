/**
 * The ccxt venue against in-memory Binance and Bitget behind ccxt's fetchImplementation: ccxt 4.5.84
 * signs, maps errors and times out for real; markets are the recorded snapshots in fixtures/markets,
 * answers follow (and partly are) the recorded real responses in fixtures/response.
 */
import { describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../core/clock";
import { sequentialIds } from "../../core/ids";
import type { OrderSpec } from "../../core/orders/types";
import { seededRng } from "../../core/rng";
import { MemoryStore } from "../../db/memory-store";
import { Engine } from "../../engine/engine";
import { ResilientVenue } from "../../engine/resilient-venue";
import { DEFAULT_RISK_LIMITS } from "../../engine/settings";
import { FinalVenueError, TransientVenueError, type VenueEvent } from "../venue";
import { CcxtVenue, type VenueRequest } from "./ccxt-venue";
import { FakeBinance, FakeBitget, SECRETS, ccxtExchange, recorded, type FakeHttp, type Scripted } from "../../../test/ccxt/fake-exchange";

const T0 = 1_700_000_000_000;

/** The emergency instance's requests are tagged, to prove cancels go through it. */
function tagged(http: FakeHttp, log: string[]): FakeHttp {
  const fetch: FakeHttp["fetch"] = (url, init) => {
    log.push(`${init?.method ?? "GET"} ${new URL(url).pathname}`);
    return http.fetch(url, init);
  };
  return { ...http, fetch } as FakeHttp;
}

function desk(exchange: "binance" | "bitget", symbols: string[] = ["BTC/USDT"]) {
  const binance = new FakeBinance();
  const bitget = new FakeBitget();
  const http = exchange === "binance" ? binance.http : bitget.http;
  const emergencyLog: string[] = [];
  const clock = new ManualClock(T0);
  const failures: { request: VenueRequest; error: TransientVenueError | FinalVenueError }[] = [];
  const events: VenueEvent[] = [];
  const main = ccxtExchange(exchange, http);
  const emergency = ccxtExchange(exchange, tagged(http, emergencyLog));
  const venue = new CcxtVenue({ exchange: main, emergencyExchange: emergency, symbols, clock, pollIntervalMs: 0 });
  venue.setEventSink((e) => events.push(...e));
  return { binance, bitget, http, venue, events, failures, clock, main, emergency, emergencyLog };
}

const spec = (over: Partial<OrderSpec> & Pick<OrderSpec, "type" | "side">): OrderSpec => ({
  clientOrderId: "bst-1",
  symbol: "BTC/USDT",
  quantity: "0.001",
  ...over,
});

function lastRequest(http: FakeHttp) {
  const r = http.requests.at(-1);
  if (!r) throw new Error("no request was sent");
  return r;
}

// ---------------------------------------------------------------------------------------------

describe("CcxtVenue: configuration", () => {
  it("turns ccxt's rate limiter on and its automatic retries off, on both instances, and needs two instances", () => {
    const d = desk("binance");
    for (const instance of [d.main, d.emergency]) {
      expect(instance.enableRateLimit).toBe(true);
      expect((instance.options as Record<string, unknown>).maxRetriesOnFailure).toBe(0);
    }
    const one = ccxtExchange("binance", d.http);
    expect(() => new CcxtVenue({ exchange: one, emergencyExchange: one, symbols: ["BTC/USDT"], clock: d.clock, pollIntervalMs: 0 })).toThrow(/CONFIG/);
    expect(
      () => new CcxtVenue({ exchange: one, emergencyExchange: ccxtExchange("binance", d.http), symbols: ["NOPE/USDT"], clock: d.clock, pollIntervalMs: 0 }),
    ).toThrow(/BAD_SYMBOL/);
  });

  it("builds instruments from the loaded markets (tick, step, min notional)", () => {
    const d = desk("binance", ["BTC/USDT", "BTC/USDT:USDT"]);
    const [spot, swap] = d.venue.instruments();
    expect(spot).toMatchObject({ symbol: "BTC/USDT", venueSymbol: "BTCUSDT", kind: "spot" });
    expect([spot!.priceTick.toString(), spot!.qtyStep.toString(), spot!.minNotional.toString()]).toEqual(["0.01", "0.00001", "5"]);
    expect(swap).toMatchObject({ kind: "swap" });
  });
});

describe("CcxtVenue: placing each order type", () => {
  type Case = {
    name: string;
    exchange: "binance" | "bitget";
    symbol?: string;
    quote?: { bid: number; ask: number };
    order: Partial<OrderSpec> & Pick<OrderSpec, "type" | "side">;
    path?: string;
    params?: Record<string, string>;
    absent?: string[];
    refused?: string;
  };
  const cases: Case[] = [
    // Binance spot
    {
      name: "binance market",
      exchange: "binance",
      order: { type: "MARKET", side: "BUY" },
      path: "/api/v3/order",
      params: { type: "MARKET", side: "BUY", quantity: "0.001", newClientOrderId: "bst-1" },
      absent: ["price", "quoteOrderQty"],
    },
    {
      name: "binance limit IOC",
      exchange: "binance",
      order: { type: "LIMIT", side: "SELL", price: "31000", timeInForce: "IOC" },
      path: "/api/v3/order",
      params: { type: "LIMIT", price: "31000", timeInForce: "IOC", newClientOrderId: "bst-1" },
    },
    {
      name: "binance post-only limit",
      exchange: "binance",
      order: { type: "LIMIT", side: "BUY", price: "25000", postOnly: true },
      path: "/api/v3/order",
      params: { type: "LIMIT_MAKER", price: "25000" },
    },
    {
      name: "binance stop-limit",
      exchange: "binance",
      order: { type: "STOP_LIMIT", side: "SELL", triggerPrice: "24000", price: "23990" },
      path: "/api/v3/order",
      params: { type: "STOP_LOSS_LIMIT", stopPrice: "24000", price: "23990", timeInForce: "GTC", newClientOrderId: "bst-1" },
    },
    {
      name: "binance take-profit-limit",
      exchange: "binance",
      order: { type: "TAKE_PROFIT_LIMIT", side: "SELL", triggerPrice: "36000", price: "35990" },
      path: "/api/v3/order",
      params: { type: "TAKE_PROFIT_LIMIT", stopPrice: "36000", price: "35990" },
    },
    {
      name: "binance spot stop-market (not listed by the market)",
      exchange: "binance",
      order: { type: "STOP_MARKET", side: "SELL", triggerPrice: "24000" },
      refused: "EMULATION_REQUIRED",
    },
    {
      name: "binance spot take-profit-market (not listed)",
      exchange: "binance",
      order: { type: "TAKE_PROFIT_MARKET", side: "SELL", triggerPrice: "36000" },
      refused: "EMULATION_REQUIRED",
    },
    {
      name: "binance spot trailing",
      exchange: "binance",
      order: { type: "TRAILING_STOP_MARKET", side: "SELL", trailingOffset: "50", trailingOffsetType: "BASIS_POINTS" },
      refused: "EMULATION_REQUIRED",
    },
    {
      name: "binance bid/ask trigger",
      exchange: "binance",
      order: { type: "STOP_LIMIT", side: "SELL", triggerPrice: "24000", price: "23990", triggerSource: "BID_ASK" },
      refused: "EMULATION_REQUIRED",
    },
    {
      name: "binance GTD",
      exchange: "binance",
      order: { type: "LIMIT", side: "BUY", price: "25000", timeInForce: "GTD", expireAt: T0 + 60_000 },
      refused: "EMULATION_REQUIRED",
    },
    // Binance USDT-M (conditional orders go to the algo endpoint, our id as clientAlgoId)
    {
      name: "binance swap limit",
      exchange: "binance",
      symbol: "BTC/USDT:USDT",
      order: { type: "LIMIT", side: "BUY", price: "25000" },
      path: "/fapi/v1/order",
      params: { type: "LIMIT", newClientOrderId: "bst-1", quantity: "0.001" },
    },
    {
      name: "binance swap stop-market on mark",
      exchange: "binance",
      symbol: "BTC/USDT:USDT",
      order: { type: "STOP_MARKET", side: "SELL", triggerPrice: "24000", triggerSource: "MARK" },
      path: "/fapi/v1/algoOrder",
      params: { type: "STOP_MARKET", triggerPrice: "24000", clientAlgoId: "bst-1", algoType: "CONDITIONAL", workingType: "MARK_PRICE" },
    },
    {
      name: "binance swap take-profit-limit",
      exchange: "binance",
      symbol: "BTC/USDT:USDT",
      order: { type: "TAKE_PROFIT_LIMIT", side: "SELL", triggerPrice: "36000", price: "35990" },
      path: "/fapi/v1/algoOrder",
      params: { type: "TAKE_PROFIT", triggerPrice: "36000", price: "35990", clientAlgoId: "bst-1" },
    },
    {
      name: "binance swap trailing 50 bps",
      exchange: "binance",
      symbol: "BTC/USDT:USDT",
      order: { type: "TRAILING_STOP_MARKET", side: "SELL", trailingOffset: "50", trailingOffsetType: "BASIS_POINTS", activationPrice: "31000" },
      path: "/fapi/v1/algoOrder",
      params: { type: "TRAILING_STOP_MARKET", callbackRate: "0.5", activationPrice: "31000", clientAlgoId: "bst-1" },
    },
    {
      name: "binance swap trailing 55 bps (off Binance's 0.1 % grid)",
      exchange: "binance",
      symbol: "BTC/USDT:USDT",
      order: { type: "TRAILING_STOP_MARKET", side: "SELL", trailingOffset: "55", trailingOffsetType: "BASIS_POINTS" },
      refused: "EMULATION_REQUIRED",
    },
    {
      name: "binance swap trailing by price distance",
      exchange: "binance",
      symbol: "BTC/USDT:USDT",
      order: { type: "TRAILING_STOP_MARKET", side: "SELL", trailingOffset: "100", trailingOffsetType: "PRICE" },
      refused: "EMULATION_REQUIRED",
    },
    // Bitget spot (classic v2)
    {
      name: "bitget market sell",
      exchange: "bitget",
      order: { type: "MARKET", side: "SELL" },
      path: "/api/v2/spot/trade/place-order",
      params: { orderType: "market", side: "sell", size: "0.001", clientOid: "bst-1" },
    },
    {
      name: "bitget market buy → marketable IOC limit, exact quantity",
      exchange: "bitget",
      quote: { bid: 30000, ask: 30000.5 },
      order: { type: "MARKET", side: "BUY" },
      path: "/api/v2/spot/trade/place-order",
      params: { orderType: "limit", side: "buy", size: "0.001", price: "30300.51", force: "IOC", clientOid: "bst-1" },
    },
    { name: "bitget market buy without a price seen", exchange: "bitget", order: { type: "MARKET", side: "BUY" }, refused: "NO_REFERENCE_PRICE" },
    {
      name: "bitget limit FOK",
      exchange: "bitget",
      order: { type: "LIMIT", side: "BUY", price: "25000", timeInForce: "FOK" },
      path: "/api/v2/spot/trade/place-order",
      params: { orderType: "limit", price: "25000", force: "FOK", clientOid: "bst-1" },
    },
    {
      name: "bitget post-only",
      exchange: "bitget",
      order: { type: "LIMIT", side: "BUY", price: "25000", postOnly: true },
      path: "/api/v2/spot/trade/place-order",
      params: { force: "post_only" },
    },
    {
      name: "bitget stop-limit → plan order",
      exchange: "bitget",
      order: { type: "STOP_LIMIT", side: "SELL", triggerPrice: "24000", price: "23990" },
      path: "/api/v2/spot/trade/place-plan-order",
      params: {
        orderType: "limit",
        triggerPrice: "24000",
        executePrice: "23990",
        triggerType: "fill_price",
        planType: "amount",
        size: "0.001",
        clientOid: "bst-1",
      },
    },
    {
      name: "bitget take-profit-market → plan order",
      exchange: "bitget",
      order: { type: "TAKE_PROFIT_MARKET", side: "SELL", triggerPrice: "36000" },
      path: "/api/v2/spot/trade/place-plan-order",
      params: { orderType: "market", triggerPrice: "36000", side: "sell", clientOid: "bst-1" },
    },
    {
      name: "bitget stop-market buy (quote-sized)",
      exchange: "bitget",
      order: { type: "STOP_MARKET", side: "BUY", triggerPrice: "36000" },
      refused: "EMULATION_REQUIRED",
    },
    {
      name: "bitget spot trailing",
      exchange: "bitget",
      order: { type: "TRAILING_STOP_MARKET", side: "SELL", trailingOffset: "50", trailingOffsetType: "BASIS_POINTS" },
      refused: "EMULATION_REQUIRED",
    },
    {
      name: "bitget limit-if-touched",
      exchange: "bitget",
      order: { type: "LIMIT_IF_TOUCHED", side: "BUY", triggerPrice: "26000", price: "25990" },
      refused: "EMULATION_REQUIRED",
    },
  ];

  it.each(cases)("$name", async (c) => {
    const symbol = c.symbol ?? "BTC/USDT";
    const d = desk(c.exchange, [symbol]);
    d.http.route("POST", "/fapi/v1/order", (p) => ({
      status: 200,
      body: {
        orderId: 77,
        symbol: p.symbol,
        status: "NEW",
        clientOrderId: p.newClientOrderId,
        price: p.price,
        origQty: p.quantity,
        executedQty: "0",
        type: p.type,
        side: p.side,
        updateTime: T0,
      },
    }));
    d.http.route("POST", "/fapi/v1/algoOrder", (p) => ({
      status: 200,
      body: {
        algoId: 88,
        clientAlgoId: p.clientAlgoId,
        algoType: "CONDITIONAL",
        orderType: p.type,
        symbol: p.symbol,
        side: p.side,
        quantity: p.quantity,
        algoStatus: "NEW",
        triggerPrice: p.triggerPrice,
        createTime: T0,
      },
    }));
    if (c.quote) d.venue.onMarketData({ kind: "quote", symbol, ...c.quote }, T0);
    const o = spec({ ...c.order, symbol });
    if (c.refused) {
      let thrown: unknown;
      try {
        d.venue.submit(o, T0);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(FinalVenueError);
      expect((thrown as FinalVenueError).code).toBe(c.refused);
      expect((thrown as Error).message).toMatch(c.refused === "EMULATION_REQUIRED" ? /engine emulates it/ : /./);
      expect(d.http.requests).toHaveLength(0);
      return;
    }
    expect(d.venue.submit(o, T0)).toEqual([]); // the answer comes through the sink
    await d.venue.idle();
    const r = lastRequest(d.http);
    expect(r.method).toBe("POST");
    expect(r.path).toBe(c.path);
    expect(r.params).toMatchObject(c.params!);
    for (const key of c.absent ?? []) expect(r.params).not.toHaveProperty(key);
    if (c.exchange === "binance") {
      expect(r.params.signature).toMatch(/^[0-9a-f]{64}$/);
      expect(r.headers["X-MBX-APIKEY"]).toBe(SECRETS.binance.apiKey);
    } else {
      expect(r.headers["ACCESS-SIGN"]).toMatch(/^[A-Za-z0-9+/]+=*$/);
      expect(r.headers["ACCESS-KEY"]).toBe(SECRETS.bitget.apiKey);
    }
    expect(d.events[0]).toMatchObject({ clientOrderId: "bst-1", event: { type: "accept" } });
  });

  it("a Binance market order reports its accept and the fills of the FULL answer, with trade ids and quote fees", async () => {
    const d = desk("binance");
    d.venue.submit(spec({ type: "MARKET", side: "BUY", quantity: "0.002" }), T0);
    await d.venue.idle();
    expect(d.events.map((e) => e.event.type)).toEqual(["accept", "fill"]);
    const fill = d.events[1]!.event as Extract<VenueEvent["event"], { type: "fill" }>;
    expect(fill.tradeId).toBe("5000");
    expect(fill.qty.toString()).toBe("0.002");
    expect(fill.price.toString()).toBe("30000");
    expect(fill.fee?.toString()).toBe("0.06");
    expect(fill.liquidity).toBe("TAKER");
  });
});

describe("CcxtVenue: Bastion's checks before sending", () => {
  const cases: { name: string; order: Partial<OrderSpec> & Pick<OrderSpec, "type" | "side">; code: string; quote?: boolean }[] = [
    {
      name: "min notional (0.0001 BTC × 25 000 = 2.5 < 5 USDT)",
      order: { type: "LIMIT", side: "BUY", quantity: "0.0001", price: "25000" },
      code: "MIN_NOTIONAL",
    },
    { name: "min notional of a market order at the last price", order: { type: "MARKET", side: "BUY", quantity: "0.0001" }, code: "MIN_NOTIONAL", quote: true },
    { name: "quantity off the step", order: { type: "LIMIT", side: "BUY", quantity: "0.000015", price: "25000" }, code: "QTY_PRECISION" },
    { name: "price off the tick", order: { type: "LIMIT", side: "BUY", price: "25000.005" }, code: "PRICE_PRECISION" },
    { name: "trigger off the tick", order: { type: "STOP_LIMIT", side: "SELL", triggerPrice: "24000.001", price: "23990" }, code: "PRICE_PRECISION" },
    { name: "above the max quantity", order: { type: "LIMIT", side: "SELL", quantity: "9001", price: "25000" }, code: "MAX_QUANTITY" },
    {
      name: "a clientOrderId Binance would refuse",
      order: { type: "LIMIT", side: "BUY", price: "25000", clientOrderId: "has spaces and is far too long for binance!" },
      code: "CLIENT_ORDER_ID_INVALID",
    },
  ];
  it.each(cases)("$name → $code, nothing sent", (c) => {
    const d = desk("binance");
    if (c.quote) d.venue.onMarketData({ kind: "quote", symbol: "BTC/USDT", bid: 30000, ask: 30001 }, T0);
    expect(() => d.venue.submit(spec(c.order), T0)).toThrow(expect.objectContaining({ code: c.code, transient: false }) as Error);
    expect(d.http.requests).toHaveLength(0);
  });

  it("refuses symbols it does not trade and modify requests", () => {
    const d = desk("binance");
    expect(() => d.venue.submit(spec({ type: "LIMIT", side: "BUY", price: "25000", symbol: "ETH/USDT" }), T0)).toThrow(/UNKNOWN_SYMBOL/);
    expect(() => d.venue.modify("bst-1", { price: 1 }, T0)).toThrow(/MODIFY_NOT_SUPPORTED/);
  });
});

describe("CcxtVenue: fills, balances and lookups from recorded answers", () => {
  it("Binance fills (recorded spot myTrades) are matched to our clientOrderId through the order", async () => {
    const d = desk("binance", ["LTC/USDT"]);
    d.http.next("GET", "/api/v3/myTrades", { status: 200, body: recorded("binance", "fetchMyTrades", "Spot private trade") });
    const closed = recorded("binance", "fetchOrder", "Fetch spot closed order") as Record<string, unknown>;
    d.http.next("GET", "/api/v3/order", { status: 200, body: { ...closed, orderId: "3784695242", clientOrderId: "bst-77" } });
    const fills = await d.venue.fetchFills(0);
    expect(fills).toHaveLength(1);
    const f = fills[0]!;
    expect({ ...f, qty: f.qty.toString(), price: f.price.toString(), fee: f.fee.toString() }).toEqual({
      tradeId: "309520010",
      clientOrderId: "bst-77",
      symbol: "LTC/USDT",
      side: "SELL",
      qty: "0.2",
      price: "69.63",
      fee: "0.013926",
      feeCurrency: "USDT",
      liquidity: "TAKER",
      ts: 1698138992358,
    });
    expect(d.http.requests.find((r) => r.path === "/api/v3/order")?.params).toMatchObject({ orderId: "3784695242", symbol: "LTCUSDT" });
  });

  it("Bitget fills (recorded spot fills) keep the fee as charged, in the base coin", async () => {
    const d = desk("bitget", ["LTC/USDT"]);
    d.http.next("GET", "/api/v2/spot/trade/fills", { status: 200, body: recorded("bitget", "fetchMyTrades", "Spot trade") });
    const order = recorded("bitget", "fetchOrder", "fetch spot order") as { data: Record<string, unknown>[] };
    d.http.next("GET", "/api/v2/spot/trade/orderInfo", {
      status: 200,
      body: { ...order, data: [{ ...order.data[0], orderId: "1109431644367261698", clientOid: "bst-9" }] },
    });
    const [f] = await d.venue.fetchFills(0);
    expect(f).toMatchObject({ tradeId: "1109431644504666114", clientOrderId: "bst-9", side: "BUY", feeCurrency: "LTC", liquidity: "TAKER", ts: 1700235036970 });
    expect([f!.qty.toString(), f!.price.toString(), f!.fee.toString()]).toEqual(["0.0794", "69.265", "0.0000794"]);
  });

  it("balances: Binance (recorded spot account) and Bitget; freeBalance remembers the last fetch", async () => {
    const b = desk("binance");
    expect(b.venue.freeBalance("LTC")).toBeNull();
    b.http.next("GET", "/api/v3/account", { status: 200, body: recorded("binance", "fetchBalance", "Spot balance") });
    const balances = await b.venue.fetchBalances();
    const ltc = balances.find((x) => x.currency === "LTC")!;
    expect([ltc.free.toString(), ltc.reserved.toString(), ltc.total.toString()]).toEqual(["0.919741", "0", "0.919741"]);
    expect(b.venue.freeBalance("LTC")?.toString()).toBe("0.919741");

    const g = desk("bitget");
    const usdt = (await g.venue.fetchBalances()).find((x) => x.currency === "USDT")!;
    expect([usdt.free.toString(), usdt.total.toString()]).toEqual(["1000.5", "1020.5"]);
  });

  it("fetchOrder works by OUR clientOrderId (Binance origClientOrderId, Bitget clientOid) and says null when absent", async () => {
    const b = desk("binance");
    b.venue.submit(spec({ type: "LIMIT", side: "BUY", price: "25000" }), T0);
    await b.venue.idle();
    const fresh = new CcxtVenue({
      exchange: ccxtExchange("binance", b.http),
      emergencyExchange: ccxtExchange("binance", b.http),
      symbols: ["BTC/USDT"],
      clock: b.clock,
      pollIntervalMs: 0,
    });
    const found = await fresh.fetchOrder("bst-1");
    expect(found).toMatchObject({ clientOrderId: "bst-1", venueOrderId: "1000", status: "ACCEPTED", symbol: "BTC/USDT", side: "BUY" });
    expect(lastRequest(b.http).params).toMatchObject({ origClientOrderId: "bst-1" });
    expect(await fresh.fetchOrder("bst-404")).toBeNull();

    const g = desk("bitget");
    g.venue.submit(spec({ type: "STOP_LIMIT", side: "SELL", triggerPrice: "24000", price: "23990" }), T0);
    await g.venue.idle();
    const freshG = new CcxtVenue({
      exchange: ccxtExchange("bitget", g.http),
      emergencyExchange: ccxtExchange("bitget", g.http),
      symbols: ["BTC/USDT"],
      clock: g.clock,
      pollIntervalMs: 0,
    });
    expect(await freshG.fetchOrder("bst-1")).toMatchObject({ clientOrderId: "bst-1", status: "ACCEPTED" }); // found among the open plan orders
    expect(g.http.requests.some((r) => r.path === "/api/v2/spot/trade/orderInfo" && r.params.clientOid === "bst-1")).toBe(true);
    expect(await freshG.fetchOrder("bst-404")).toBeNull();
  });

  it("polling reports a fill and a cancel that happened at the exchange", async () => {
    const d = desk("binance");
    d.venue.submit(spec({ type: "LIMIT", side: "BUY", price: "25000", clientOrderId: "bst-a" }), T0);
    d.venue.submit(spec({ type: "LIMIT", side: "BUY", price: "24000", clientOrderId: "bst-b" }), T0);
    await d.venue.idle();
    d.binance.fill("bst-a");
    d.binance.orders.find((o) => o.clientOrderId === "bst-b")!.status = "CANCELED"; // canceled by hand on the website
    d.events.length = 0;
    await d.venue.pollOnce();
    expect(d.events.map((e) => `${e.clientOrderId} ${e.event.type}`)).toEqual(["bst-a fill", "bst-b cancel"]);
    d.events.length = 0;
    await d.venue.pollOnce();
    expect(d.events).toEqual([]); // each fill once
  });
});

describe("CcxtVenue: error classes", () => {
  const binanceError = (status: number, code: number, msg: string): Scripted => ({ status, body: { code, msg } });
  const cases: { name: string; answer: Scripted; code: string; transient: boolean }[] = [
    { name: "HTTP 429 rate limit", answer: binanceError(429, -1003, "Too much request weight used."), code: "RATE_LIMITED", transient: true },
    { name: "HTTP 418 IP ban (DDoSProtection)", answer: { status: 418, body: "" }, code: "RATE_LIMITED", transient: true },
    { name: "maintenance", answer: binanceError(400, 1, "System is under maintenance."), code: "EXCHANGE_MAINTENANCE", transient: true },
    {
      name: "timestamp outside recvWindow (InvalidNonce)",
      answer: binanceError(400, -1021, "Timestamp for this request is outside of the recvWindow."),
      code: "CLOCK_DRIFT",
      transient: true,
    },
    { name: "HTTP 503 (ExchangeNotAvailable): outcome unknown", answer: { status: 503, body: "" }, code: "TIMEOUT", transient: true },
    { name: "no answer in time (RequestTimeout): outcome unknown", answer: "hang", code: "TIMEOUT", transient: true },
    { name: "connection reset (NetworkError): outcome unknown", answer: "reset", code: "TIMEOUT", transient: true },
    { name: "connection refused (never opened): nothing sent", answer: "refused", code: "NOT_CONNECTED", transient: true },
    {
      name: "-1007 send status unknown: outcome unknown",
      answer: binanceError(500, -1007, "Timeout waiting for response from backend server. Send status unknown; execution status unknown."),
      code: "TIMEOUT",
      transient: true,
    },
    {
      name: "-1006 unexpected response: outcome unknown",
      answer: binanceError(500, -1006, "An unexpected response was received from the message bus. Execution status unknown."),
      code: "TIMEOUT",
      transient: true,
    },
    { name: "duplicate clientOrderId: a previous attempt landed", answer: binanceError(400, -2010, "Duplicate order sent."), code: "TIMEOUT", transient: true },
    {
      name: "insufficient funds",
      answer: binanceError(400, -2010, "Account has insufficient balance for requested action."),
      code: "INSUFFICIENT_FUNDS",
      transient: false,
    },
    {
      name: "post-only would take",
      answer: binanceError(400, -2010, "Order would immediately match and take."),
      code: "POST_ONLY_WOULD_TAKE",
      transient: false,
    },
    { name: "invalid order", answer: binanceError(400, -2010, "NEW_ORDER_REJECTED"), code: "INVALID_ORDER", transient: false },
    {
      name: "bad API key (AuthenticationError)",
      answer: binanceError(401, -2015, "Invalid API-key, IP, or permissions for action."),
      code: "AUTHENTICATION_FAILED",
      transient: false,
    },
    {
      name: "symbol not permitted (PermissionDenied)",
      answer: binanceError(400, -2010, "This symbol is not permitted for this account."),
      code: "PERMISSION_DENIED",
      transient: false,
    },
    { name: "invalid symbol (BadSymbol)", answer: binanceError(400, -1121, "Invalid symbol."), code: "BAD_SYMBOL", transient: false },
  ];

  it.each(cases)("create: $name → $code", async (c) => {
    const d = desk("binance");
    d.venue.setFailureSink((request, error) => d.failures.push({ request, error }));
    d.http.next("POST", "/api/v3/order", c.answer);
    d.venue.submit(spec({ type: "LIMIT", side: "BUY", price: "25000" }), T0);
    await d.venue.idle();
    expect(d.failures).toHaveLength(1);
    const { request, error } = d.failures[0]!;
    expect(request).toMatchObject({ kind: "submit", spec: { clientOrderId: "bst-1" } });
    expect(error.transient).toBe(c.transient);
    expect(error.code).toBe(c.code);
    expect(error.message).toMatch(new RegExp(`^${c.code}: `));
    for (const secret of [SECRETS.binance.apiKey, SECRETS.binance.secret]) expect(error.message).not.toContain(secret);
    expect(error.message).not.toMatch(/signature=[0-9a-f]/);
    expect(d.events).toEqual([]); // the decorator decides
    expect(d.venue.status()).toMatchObject({ lastError: error.message, connected: !c.transient });
  });

  it("cancel of an order the exchange no longer knows → ORDER_NOT_FOUND (final)", async () => {
    const d = desk("binance");
    d.venue.setFailureSink((request, error) => d.failures.push({ request, error }));
    d.venue.submit(spec({ type: "LIMIT", side: "BUY", price: "25000" }), T0);
    await d.venue.idle();
    d.binance.fill("bst-1");
    d.venue.cancel("bst-1", T0);
    await d.venue.idle();
    expect(d.failures[0]).toMatchObject({ request: { kind: "cancel", clientOrderId: "bst-1" }, error: { code: "ORDER_NOT_FOUND", transient: false } });
  });

  it("reads: a signed GET that fails never leaks the key, secret or signature", async () => {
    const d = desk("binance");
    d.http.next("GET", "/api/v3/account", { status: 503, body: `upstream said: ${SECRETS.binance.secret}` });
    const error = (await d.venue.fetchBalances().catch((e: unknown) => e)) as TransientVenueError;
    expect(error).toBeInstanceOf(TransientVenueError);
    expect(error.code).toBe("EXCHANGE_UNAVAILABLE");
    expect(error.message).not.toContain(SECRETS.binance.secret);
    expect(error.message).not.toContain(SECRETS.binance.apiKey);
    expect(error.message).not.toMatch(/signature=[0-9a-f]/);
    const net = desk("bitget");
    net.http.next("GET", "/api/v2/spot/account/assets", "reset");
    await expect(net.venue.fetchBalances()).rejects.toMatchObject({ code: "NETWORK", transient: true });
    expect(net.venue.status().connected).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Through the engine

function engineOn(venue: CcxtVenue | ResilientVenue, clock: ManualClock, store = new MemoryStore()) {
  return new Engine({
    venue,
    store,
    clock,
    ids: sequentialIds(),
    initialEquity: "100000",
    breaker: { maxConsecutiveErrors: 5, maxOrdersPerMinute: null, maxOrdersPerHour: null, tripAction: "HALT" },
    riskLimits: { ...DEFAULT_RISK_LIMITS, maxOrdersPerMinute: 1000, maxSymbolExposurePct: 100 },
  });
}

const trader = { username: "t", role: "trader" as const };

/** An engine on CcxtVenue (behind ResilientVenue) over the fake Binance, with a first quote in. */
async function binanceDesk() {
  const fake = new FakeBinance();
  const clock = new ManualClock(T0);
  const ccxtVenue = new CcxtVenue({
    exchange: ccxtExchange("binance", fake.http),
    emergencyExchange: ccxtExchange("binance", fake.http),
    symbols: ["BTC/USDT"],
    clock,
    pollIntervalMs: 0,
  });
  const venue = new ResilientVenue(ccxtVenue, {
    ratePerSecond: 10,
    burst: 10,
    maxAttempts: 4,
    baseDelayMs: 5,
    maxDelayMs: 50,
    now: () => clock.now(),
    timers: { setTimeout: (fn, ms) => setTimeout(fn, ms) },
    rng: seededRng(1),
  });
  const store = new MemoryStore();
  const engine = engineOn(venue, clock, store);
  await engine.start();
  await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 30000, ask: 30001 });
  return { fake, clock, ccxtVenue, store, engine };
}

describe("CcxtVenue through ResilientVenue and the Engine", () => {
  it("a stop-market Binance spot cannot hold is emulated by the engine, then released as a market order", async () => {
    const { fake, clock, ccxtVenue, engine } = await binanceDesk();
    expect(
      ccxtVenue.holdsNatively({ clientOrderId: "x", symbol: "BTC/USDT", side: "BUY", type: "STOP_MARKET", quantity: "0.001", triggerPrice: "31000" }),
    ).toBe(false);
    expect(ccxtVenue.holdsNatively({ clientOrderId: "x", symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.001", price: "29000" })).toBe(true);
    const placed = await engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "BUY", type: "STOP_MARKET", quantity: "0.001", triggerPrice: "31000" },
      actor: trader,
      reason: null,
    });
    expect(placed).toMatchObject({ ok: true, data: { status: "EMULATED" } });
    expect(fake.http.count("POST", "/api/v3/order")).toBe(0); // held by the engine, nothing sent
    clock.advance(1000);
    await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 31000, ask: 31001 });
    await vi.waitFor(() => expect(fake.http.count("POST", "/api/v3/order")).toBe(1), { timeout: 5_000, interval: 10 });
    const sent = fake.http.requests.find((r) => r.method === "POST" && r.path === "/api/v3/order");
    const coid = (placed.ok && (placed.data?.clientOrderId as string)) || "";
    expect(sent?.params).toMatchObject({ type: "MARKET", side: "BUY", newClientOrderId: coid });
  });

  it("a createOrder whose answer is lost: the order is found by clientOrderId and never placed twice", async () => {
    const { fake, ccxtVenue, store, engine } = await binanceDesk();
    fake.http.next("POST", "/api/v3/order", "lose"); // the exchange makes the order; its answer never arrives (ccxt times out)
    const placed = await engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.001" },
      actor: trader,
      reason: null,
    });
    expect(placed).toMatchObject({ ok: true, data: { status: "SUBMITTED" } });
    const coid = (placed.ok && (placed.data?.clientOrderId as string)) || "";
    // The lookup by clientOrderId finds the order (and, through ResilientVenue, its fill): ACCEPTED or already FILLED.
    await vi.waitFor(() => expect(["ACCEPTED", "FILLED"]).toContain(store.getOrder(coid)?.order.status), { timeout: 5_000, interval: 10 });
    await ccxtVenue.pollOnce(); // the fill made at the exchange arrives by polling
    await ccxtVenue.idle();
    await vi.waitFor(() => expect(store.getOrder(coid)?.order.status).toBe("FILLED"), { timeout: 2_000, interval: 10 });
    expect(fake.http.count("POST", "/api/v3/order")).toBe(1); // never sent twice
    expect(fake.http.requests.some((r) => r.method === "GET" && r.path === "/api/v3/order" && r.params.origClientOrderId === coid)).toBe(true);
    expect(store.fillsForOrder(coid)).toHaveLength(1);
    expect(engine.state().positions[0]?.position.quantity.toString()).toBe("0.001");
    await ccxtVenue.close();
  });

  it("emergency stop over 50 open orders across 3 symbols: one batch cancel per symbol on the emergency instance, all canceled", async () => {
    const fake = new FakeBinance();
    const clock = new ManualClock(T0);
    const emergencyLog: string[] = [];
    const symbols = ["BTC/USDT", "ETH/USDT", "LTC/USDT"];
    const ccxtVenue = new CcxtVenue({
      exchange: ccxtExchange("binance", fake.http),
      emergencyExchange: ccxtExchange("binance", tagged(fake.http, emergencyLog)),
      symbols,
      clock,
      pollIntervalMs: 0,
    });
    const store = new MemoryStore();
    const engine = engineOn(ccxtVenue, clock, store);
    await engine.start();
    const prices: Record<string, [string, string]> = { "BTC/USDT": ["0.001", "20000"], "ETH/USDT": ["0.01", "1500"], "LTC/USDT": ["0.2", "60"] };
    for (const symbol of symbols)
      await engine.marketData({ kind: "quote", symbol, bid: Number(prices[symbol]![1]) * 1.5, ask: Number(prices[symbol]![1]) * 1.5 + 1 });
    for (let i = 0; i < 50; i++) {
      const symbol = symbols[i % 3]!;
      const [quantity, price] = prices[symbol]!;
      const r = await engine.execute({ kind: "manualOrder", order: { symbol, side: "BUY", type: "LIMIT", quantity, price }, actor: trader, reason: null });
      expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
    }
    await ccxtVenue.idle();
    await vi.waitFor(() => expect(engine.state().openOrders.filter((o) => o.status === "ACCEPTED")).toHaveLength(50), { timeout: 2_000, interval: 10 });
    expect(fake.open(undefined)).toHaveLength(50);

    const started = performance.now();
    const stop = await engine.execute({ kind: "emergencyStop", flatten: false, actor: { username: "admin", role: "admin" }, reason: "drill" });
    expect(stop.ok).toBe(true);
    await ccxtVenue.idle();
    await vi.waitFor(() => expect(engine.state().openOrders).toHaveLength(0), { timeout: 2_000, interval: 5 });
    const elapsedMs = performance.now() - started;
    console.info(`emergency stop: 50 orders on 3 symbols canceled in ${elapsedMs.toFixed(1)} ms (in-memory exchange, ccxt signing and rate limiter included)`);

    expect(fake.open(undefined)).toHaveLength(0);
    expect(store.loadOrders({ onlyOpen: false }).filter((o) => o.order.status === "CANCELED")).toHaveLength(50);
    expect(emergencyLog.filter((r) => r === "DELETE /api/v3/openOrders")).toHaveLength(3);
    expect(emergencyLog.every((r) => r.startsWith("DELETE"))).toBe(true); // nothing else needed: Binance lists what it canceled
    expect(engine.state().tradingState).toBe("HALTED");
  });

  it("cancels do not wait behind routine requests queued in the main instance's rate limiter", async () => {
    const d = desk("binance");
    d.venue.submit(spec({ type: "LIMIT", side: "BUY", price: "25000" }), T0);
    await d.venue.idle();
    const routine = Array.from({ length: 6 }, () => d.venue.fetchOpenOrders()); // queued by ccxt's limiter, one after another
    d.venue.cancelAll(undefined, T0);
    await d.venue.idle();
    await Promise.all(routine);
    const paths = d.http.requests.map((r) => `${r.method} ${r.path}`);
    const cancelAt = paths.indexOf("DELETE /api/v3/openOrders");
    const lastRoutineAt = paths.lastIndexOf("GET /api/v3/openOrders");
    expect(cancelAt).toBeGreaterThan(-1);
    expect(cancelAt).toBeLessThan(lastRoutineAt);
    expect(d.events.at(-1)).toMatchObject({ clientOrderId: "bst-1", event: { type: "cancel" } });
    expect(d.venue.status()).toMatchObject({ connected: true, lastError: null });
    expect(d.venue.status().latencyMs).not.toBeNull();
  });

  it("reduce-only orders (exits, the flatten) go on the emergency instance; new orders on the main one", async () => {
    const d = desk("binance");
    d.venue.submit(spec({ type: "LIMIT", side: "BUY", price: "25000", clientOrderId: "bst-entry" }), T0);
    d.venue.submit(spec({ type: "LIMIT", side: "SELL", price: "35000", reduceOnly: true, clientOrderId: "bst-exit" }), T0);
    await d.venue.idle();
    expect(d.emergencyLog).toEqual(["POST /api/v3/order"]);
    expect(d.http.requests.filter((r) => r.method === "POST").map((r) => r.params.newClientOrderId)).toEqual(["bst-entry", "bst-exit"]);
  });

  it("cancel-all does not call canceled an order that filled meanwhile: its end and fill are read from the exchange", async () => {
    const d = desk("binance");
    d.venue.submit(spec({ type: "LIMIT", side: "BUY", price: "25000", clientOrderId: "bst-filled" }), T0);
    await d.venue.idle();
    d.binance.fill("bst-filled"); // fills at the exchange before the cancel-all; the books have not heard yet
    d.events.length = 0;
    d.venue.cancelAll(undefined, T0);
    await d.venue.idle();
    expect(d.events).toEqual([]); // not "canceled by cancel-all"
    await d.venue.pollOnce(); // the fills of an order that ended are read until all are seen
    expect(d.events.map((e) => `${e.clientOrderId} ${e.event.type}`)).toEqual(["bst-filled fill"]);
  });

  it("cancel-all does not call canceled an order whose create is still on its way (it may land after the cancel)", async () => {
    const d = desk("binance");
    d.http.next("POST", "/api/v3/order", "hang"); // the create is on its way while the cancel-all runs
    d.venue.submit(spec({ type: "LIMIT", side: "BUY", price: "25000", clientOrderId: "bst-flying" }), T0);
    d.venue.cancelAll(undefined, T0);
    await d.venue.idle();
    expect(d.events.filter((e) => e.clientOrderId === "bst-flying" && e.event.type === "cancel")).toEqual([]);
  });

  it("emergency cancel-all on Bitget: regular and plan orders, verified against the open orders afterwards", async () => {
    const d = desk("bitget", ["BTC/USDT", "LTC/USDT"]);
    d.venue.submit(spec({ type: "LIMIT", side: "BUY", price: "25000", clientOrderId: "bst-1" }), T0);
    d.venue.submit(spec({ type: "STOP_LIMIT", side: "SELL", triggerPrice: "24000", price: "23990", clientOrderId: "bst-2" }), T0);
    d.venue.submit(spec({ type: "LIMIT", side: "BUY", price: "50", quantity: "0.2", symbol: "LTC/USDT", clientOrderId: "bst-3" }), T0);
    await d.venue.idle();
    d.events.length = 0;
    expect(d.venue.cancelAll(undefined, T0)).toEqual([]);
    await d.venue.idle();
    expect(d.events.map((e) => `${e.clientOrderId} ${e.event.type}`).sort()).toEqual(["bst-1 cancel", "bst-2 cancel", "bst-3 cancel"]);
    expect(d.bitget.orders.every((o) => o.status === "cancelled")).toBe(true);
    expect(d.emergencyLog).toEqual(expect.arrayContaining(["POST /api/v2/spot/trade/cancel-symbol-order", "POST /api/v2/spot/trade/batch-cancel-plan-order"]));
  });

  it("reconciliation on start finds a fill the books lack and books it once", async () => {
    const fake = new FakeBinance();
    const clock = new ManualClock(T0);
    const store = new MemoryStore();
    const make = () =>
      new CcxtVenue({
        exchange: ccxtExchange("binance", fake.http),
        emergencyExchange: ccxtExchange("binance", fake.http),
        symbols: ["BTC/USDT"],
        clock,
        pollIntervalMs: 0,
      });
    const first = make();
    const engine = engineOn(first, clock, store);
    await engine.start();
    await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 30000, ask: 30001 });
    const placed = await engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.001", price: "29000" },
      actor: trader,
      reason: null,
    });
    const coid = (placed.ok && (placed.data?.clientOrderId as string)) || "";
    await first.idle();
    await vi.waitFor(() => expect(store.getOrder(coid)?.order.status).toBe("ACCEPTED"), { timeout: 2_000, interval: 5 });
    await first.close(); // the desk stops; meanwhile the exchange fills the order
    fake.fill(coid);

    const second = make();
    const restarted = engineOn(second, clock, store);
    const { drifts } = await restarted.start();
    expect(drifts).toBeGreaterThanOrEqual(1);
    expect(store.listDrifts().map((x) => x.kind)).toContain("MISSED_FILL");
    expect(store.getOrder(coid)?.order.status).toBe("FILLED");
    expect(store.fillsForOrder(coid)).toHaveLength(1);
    expect(restarted.state().positions[0]?.position.quantity.toString()).toBe("0.001");
    expect(await restarted.reconcile()).toBe(0); // booked once
  });
});

describe("CcxtVenue: the visible book for routing", () => {
  it("asks the exchange for the order book (fetchOrderBook) and keeps at most `depth` positive levels a side, as decimals", async () => {
    const d = desk("binance");
    d.binance.http.route("GET", "/api/v3/depth", () => ({
      status: 200,
      body: {
        lastUpdateId: 7,
        bids: [
          ["29990.10", "0.50000000"],
          ["29990.00", "0.00000000"],
          ["29980.00", "2.00000000"],
        ],
        asks: [
          ["30010.00", "0.40000000"],
          ["30020.50", "1.25000000"],
          ["30030.00", "3.00000000"],
        ],
      },
    }));
    const book = await d.venue.fetchVisibleBook("BTC/USDT", 2);
    expect(lastRequest(d.http).url).toContain("/api/v3/depth");
    expect(book.source).toBe("book");
    expect(book.asks.map(([p, s]) => [p.toString(), s.toString()])).toEqual([
      ["30010", "0.4"],
      ["30020.5", "1.25"],
    ]);
    // The empty level is left out, not counted against the depth.
    expect(book.bids.map(([p, s]) => [p.toString(), s.toString()])).toEqual([
      ["29990.1", "0.5"],
      ["29980", "2"],
    ]);
  });
});

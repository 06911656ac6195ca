/**
 * Native OTO lists through ccxt: which pairs Binance spot holds natively and the `POST /api/v3/orderList/oto`
 * parameters (pure), and CcxtVenue sending one list to the Binance test server — one request, both orders tracked under
 * the engine's ids, the pending order accepted at once and filled only after the working one has filled in full.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { OrderSpec } from "../../core/orders/types";
import { BinanceTestServer } from "../../../test/binance-test-server";
import { liveExchangesFor } from "../../../test/binance-test-server/live-exchange";
import type { OtoListSpec, VenueEvent } from "../venue";
import { CcxtVenue } from "./ccxt-venue";
import binance from "./fixtures/markets/binance.json";
import bitget from "./fixtures/markets/bitget.json";
import type { CcxtMarketLike } from "./markets";
import { profileFor } from "./orders";
import { otoListParams, otoRefusal } from "./oto";

const market = (snapshot: Record<string, unknown>, symbol: string) => snapshot[symbol] as CcxtMarketLike;
const BTC = market(binance, "BTC/USDT");

const entry: OrderSpec = { clientOrderId: "entry-1", symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.5", price: "29900", timeInForce: "GTC" };
const exit: OrderSpec = { clientOrderId: "exit-1", symbol: "BTC/USDT", side: "SELL", type: "LIMIT", quantity: "0.5", price: "31000", timeInForce: "GTC" };
const list = (working: OrderSpec, pending: OrderSpec): OtoListSpec => ({ listId: "oto-1", working, pending });

describe("which OTO pairs Binance spot holds natively", () => {
  it.each<[string, OrderSpec, OrderSpec, string, CcxtMarketLike | undefined, string | null]>([
    ["a limit entry, then a limit exit", entry, exit, "binance", BTC, null],
    ["a limit entry, then a stop-limit", entry, { ...exit, type: "STOP_LIMIT", triggerPrice: "29000", price: "28900" }, "binance", BTC, null],
    ["a limit entry, then a market order", entry, { ...exit, type: "MARKET", price: undefined, timeInForce: undefined }, "binance", BTC, null],
    ["Bitget", entry, exit, "bitget", market(bitget, "BTC/USDT"), "only Binance spot order lists are mapped"],
    ["a market working order", { ...entry, type: "MARKET", price: undefined }, exit, "binance", BTC, "the working order is a limit order"],
    ["a stop working order", { ...entry, type: "STOP_LIMIT", triggerPrice: "30500" }, exit, "binance", BTC, "the working order is a limit order"],
    [
      "a trailing pending order",
      entry,
      { ...exit, type: "TRAILING_STOP_MARKET", trailingOffset: "50" },
      "binance",
      BTC,
      "the pending order's type is not mapped",
    ],
    ["a GTD order", { ...entry, timeInForce: "GTD", expireAt: 1 }, exit, "binance", BTC, "GTD orders are not mapped"],
    [
      "a mark-price stop",
      entry,
      { ...exit, type: "STOP_MARKET", triggerPrice: "29000", triggerSource: "MARK" },
      "binance",
      BTC,
      "spot stops trigger on the last price",
    ],
    ["a stop without its trigger", entry, { ...exit, type: "STOP_MARKET", price: undefined }, "binance", BTC, "the pending order lacks its trigger price"],
    ["orders on two symbols", entry, { ...exit, symbol: "ETH/USDT" }, "binance", BTC, "the orders differ in symbol"],
  ])("%s", (_name, working, pending, exchange, m, reason) => {
    expect(otoRefusal(list(working, pending), profileFor(exchange), m)).toBe(reason);
  });
});

describe("POST /api/v3/orderList/oto parameters", () => {
  it("a limit entry then a limit exit, each under the engine's id", () => {
    expect(otoListParams(list(entry, exit), "BTCUSDT")).toEqual({
      symbol: "BTCUSDT",
      listClientOrderId: "oto-1",
      newOrderRespType: "FULL",
      workingType: "LIMIT",
      workingSide: "BUY",
      workingClientOrderId: "entry-1",
      workingPrice: "29900",
      workingQuantity: "0.5",
      workingTimeInForce: "GTC",
      pendingType: "LIMIT",
      pendingSide: "SELL",
      pendingClientOrderId: "exit-1",
      pendingQuantity: "0.5",
      pendingPrice: "31000",
      pendingTimeInForce: "GTC",
    });
  });

  it.each<[string, OrderSpec, Record<string, string>, string[]]>([
    [
      "a stop-market exit",
      { ...exit, type: "STOP_MARKET", triggerPrice: "29000", price: undefined },
      { pendingType: "STOP_LOSS", pendingStopPrice: "29000" },
      ["pendingPrice", "pendingTimeInForce"],
    ],
    [
      "a take-profit-limit exit",
      { ...exit, type: "TAKE_PROFIT_LIMIT", triggerPrice: "31000", price: "30990" },
      { pendingType: "TAKE_PROFIT_LIMIT", pendingStopPrice: "31000", pendingPrice: "30990", pendingTimeInForce: "GTC" },
      [],
    ],
    ["a post-only exit", { ...exit, postOnly: true }, { pendingType: "LIMIT_MAKER", pendingPrice: "31000" }, ["pendingTimeInForce", "pendingStopPrice"]],
    ["a market exit", { ...exit, type: "MARKET", price: undefined }, { pendingType: "MARKET" }, ["pendingPrice", "pendingStopPrice", "pendingTimeInForce"]],
  ])("%s", (_name, pending, has, hasNot) => {
    const params = otoListParams(list(entry, pending), "BTCUSDT");
    expect(params).toMatchObject(has);
    for (const name of hasNot) expect(params).not.toHaveProperty(name);
  });
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

describe("CcxtVenue.submitOto on the Binance test server", () => {
  it("sends one request; the pending order is accepted at once and fills only after the working one has filled in full", async () => {
    const server = await BinanceTestServer.start({ symbols: ["BTC/USDT"], balances: { USDT: "100000" } });
    closers.push(() => server.close());
    server.pushQuote("BTCUSDT", 30_000, 30_001, 5, 5);
    server.pushTrade("BTCUSDT", 30_000, 0.01);
    const { exchange, emergency } = liveExchangesFor(server.url, { timeoutMs: 2_000 });
    const clock = { now: () => Date.now() };
    const venue = await CcxtVenue.open({ exchange, emergencyExchange: emergency, symbols: ["BTC/USDT"], clock, pollIntervalMs: 0 });
    closers.push(() => venue.close());
    const events: VenueEvent[] = [];
    venue.setEventSink((e) => events.push(...e));
    const spec = list(entry, exit);
    expect(venue.holdsOtoNatively(spec)).toBe(true);
    expect(venue.submitOto(spec, Date.now())).toEqual([]);
    await venue.idle();
    expect(server.requests("POST /api/v3/orderList/oto")).toHaveLength(1);
    expect(server.requests("POST /api/v3/order")).toHaveLength(0);
    expect(events.map((e) => `${e.clientOrderId}:${e.event.type}`)).toEqual(["entry-1:accept", "exit-1:accept"]);
    expect((await venue.fetchOrder("exit-1"))?.status).toBe("ACCEPTED"); // PENDING_NEW at the exchange

    server.pushQuote("BTCUSDT", 29_890, 29_900, 5, 5);
    server.pushTrade("BTCUSDT", 29_899, 0.2, "SELL"); // a partial fill: the pending order stays unplaced
    await venue.pollOnce();
    await venue.idle();
    server.pushQuote("BTCUSDT", 31_000, 31_001, 5, 5);
    server.pushTrade("BTCUSDT", 31_001, 1, "BUY");
    await venue.pollOnce();
    await venue.idle();
    expect(events.filter((e) => e.event.type === "fill").map((e) => e.clientOrderId)).toEqual(["entry-1"]);

    server.pushQuote("BTCUSDT", 29_890, 29_900, 5, 5);
    server.pushTrade("BTCUSDT", 29_899, 1, "SELL"); // the rest of the working order: the pending one is placed
    server.pushQuote("BTCUSDT", 31_000, 31_001, 5, 5);
    server.pushTrade("BTCUSDT", 31_001, 1, "BUY");
    await venue.pollOnce();
    await venue.idle();
    const fills = events.filter((e) => e.event.type === "fill");
    expect(fills.map((e) => e.clientOrderId)).toEqual(["entry-1", "entry-1", "exit-1"]);
    expect(server.account.allOrders().map((o) => [o.clientOrderId, o.status])).toEqual([
      ["entry-1", "FILLED"],
      ["exit-1", "FILLED"],
    ]);
  });
});

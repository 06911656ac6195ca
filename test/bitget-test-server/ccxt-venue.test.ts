/**
 * Bastion's own live venue adapter (CcxtVenue over a ccxt `bitget` built by createLiveExchange) trading on the
 * Bitget test server: what LIVE mode does against Bitget, minus the engine. Orders go out with Bastion's
 * clientOrderIds, a market buy as Bastion's protected limit IOC, cancel-all through the emergency instance;
 * the venue's reads (order, fills, balances) agree with the server's books. Waits only on the venue's idle().
 */
import { afterEach, describe, expect, it } from "vitest";
import { CcxtVenue } from "../../server/venues/ccxt/ccxt-venue";
import { bitgetLiveExchangesFor } from "./live-exchange";
import { type VenueEvent } from "../../server/core/orders/events";
import { BitgetTestServer } from "./index";

const SYMBOLS = ["BTC/USDT", "ETH/USDT"];
const clock = { now: () => Date.now() };
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function bitgetVenue(): Promise<{ server: BitgetTestServer; venue: CcxtVenue; events: VenueEvent[] }> {
  const server = await BitgetTestServer.start({ symbols: SYMBOLS });
  cleanups.push(() => server.close());
  server.pushQuote("BTCUSDT", 30_000, 30_000.5, 5, 5);
  server.pushQuote("ETHUSDT", 2_000, 2_000.1, 50, 50);
  const { exchange, emergency } = bitgetLiveExchangesFor(server.url, { timeoutMs: 20_000 });
  const venue = await CcxtVenue.open({ exchange, emergencyExchange: emergency, symbols: SYMBOLS, clock, pollIntervalMs: 0 });
  cleanups.push(() => venue.close());
  const events: VenueEvent[] = [];
  venue.setEventSink((batch) => events.push(...batch));
  venue.onMarketData({ kind: "quote", symbol: "BTC/USDT", bid: 30_000, ask: 30_000.5 }, clock.now());
  return { server, venue, events };
}

function summary(events: readonly VenueEvent[], clientOrderId: string): string[] {
  return events
    .filter((e) => e.clientOrderId === clientOrderId)
    .map((e) => (e.event.type === "fill" ? `fill ${String(e.event.qty)} @ ${String(e.event.price)}` : e.event.type));
}

describe("CcxtVenue on the Bitget test server", () => {
  it("places limit and market orders with Bastion's ids, cancels all through the emergency instance, and reads the books back", async () => {
    const { server, venue, events } = await bitgetVenue();
    venue.submit({ clientOrderId: "bst-v-1", symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.01", price: "29000" }, clock.now());
    venue.submit({ clientOrderId: "bst-v-2", symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.01" }, clock.now());
    venue.submit({ clientOrderId: "bst-v-3", symbol: "BTC/USDT", side: "SELL", type: "MARKET", quantity: "0.005" }, clock.now());
    await venue.idle();
    // Bitget answers a placement with its ids only: the fills come with the next poll, as on the real exchange.
    expect(new Set(events.map((e) => e.event.type))).toEqual(new Set(["accept"]));
    await venue.pollOnce();
    await venue.idle();

    const sent = server.requests("POST /api/v2/spot/trade/place-order").map((r) => r.params);
    // a Bitget spot market buy goes out as a limit IOC capped 100 bps above the ask (Bitget sizes market buys in USDT)
    expect(sent.find((p) => p.clientOid === "bst-v-2")).toMatchObject({ orderType: "limit", force: "IOC", price: "30300.51", size: "0.01" });
    expect(sent.find((p) => p.clientOid === "bst-v-3")).toMatchObject({ orderType: "market", side: "sell", size: "0.005" });
    expect(summary(events, "bst-v-1")).toEqual(["accept"]);
    expect(summary(events, "bst-v-2")).toContain("fill 0.01 @ 30000.5");
    expect(summary(events, "bst-v-3")).toContain("fill 0.005 @ 30000");

    const resting = await venue.fetchOrder("bst-v-1");
    expect(resting).toMatchObject({ clientOrderId: "bst-v-1", venueOrderId: "1200000000000000001", side: "BUY", type: "LIMIT" });
    expect(resting!.quantity.toString()).toBe("0.01");
    expect((await venue.fetchOpenOrders()).map((o) => o.clientOrderId)).toEqual(["bst-v-1"]);

    venue.cancelAll("BTC/USDT", clock.now());
    await venue.idle();
    expect(summary(events, "bst-v-1")).toEqual(["accept", "cancel"]);
    expect(server.account.openOrderCount()).toBe(0);
    expect(server.requests("POST /api/v2/spot/trade/cancel-symbol-order")).toHaveLength(1);

    const fills = await venue.fetchFills(0);
    expect(fills.map((f) => `${f.clientOrderId} ${f.side} ${f.qty.toString()} @ ${f.price.toString()}`).sort()).toEqual([
      "bst-v-2 BUY 0.01 @ 30000.5",
      "bst-v-3 SELL 0.005 @ 30000",
    ]);
    const balances = await venue.fetchBalances();
    const byCurrency = Object.fromEntries(balances.map((b) => [b.currency, b.total.toString()]));
    const book = server.account.venue.balances();
    expect(byCurrency).toMatchObject({ BTC: book.BTC!.total.toString(), USDT: book.USDT!.total.toString() });
    expect(byCurrency.BTC).toBe("2.005");
    // Nothing refused but ccxt's probe of the account kind (a classic account has no UTA settings), once per instance.
    expect(
      server
        .requests()
        .filter((r) => r.outcome !== 200)
        .map((r) => r.endpoint),
    ).toEqual(["GET /api/v3/account/settings", "GET /api/v3/account/settings"]);
  });

  it("holds a stop natively as a Bitget plan order, listed among the venue's open orders, which the server triggers on a fall", async () => {
    const { server, venue, events } = await bitgetVenue();
    server.pushTrade("BTCUSDT", 30_000, 0.1, "BUY");
    const stop = { clientOrderId: "bst-stop-1", symbol: "BTC/USDT", side: "SELL", type: "STOP_MARKET", quantity: "0.005", triggerPrice: "29500" } as const;
    expect(venue.holdsNatively(stop)).toBe(true);
    venue.submit(stop, clock.now());
    await venue.idle();
    expect(server.requests("POST /api/v2/spot/trade/place-plan-order")[0]!.params).toMatchObject({
      clientOid: "bst-stop-1",
      orderType: "market",
      side: "sell",
      size: "0.005",
      triggerPrice: "29500",
      triggerType: "fill_price",
    });
    expect(summary(events, "bst-stop-1")).toEqual(["accept"]);
    expect((await venue.fetchOpenOrders()).map((o) => `${o.clientOrderId} ${o.type} ${String(o.triggerPrice)}`)).toEqual(["bst-stop-1 STOP_MARKET 29500"]);
    expect(server.account.openOrderCount()).toBe(1);

    server.pushQuote("BTCUSDT", 29_400, 29_400.5, 5, 5);
    server.pushTrade("BTCUSDT", 29_400, 0.2, "SELL");
    // Triggered: a regular order under a new orderId with the plan's clientOid, filled at the bid.
    expect(server.account.allOrders().map((o) => `${o.clientOid} ${o.status} ${o.filled.toString()}`)).toEqual(["bst-stop-1 filled 0.005"]);
    expect(await venue.fetchOpenOrders()).toEqual([]);
  });

  it("sees the fill of a triggered plan order: the poll finds the regular order the plan became and reports its fill", async () => {
    const { server, venue, events } = await bitgetVenue();
    server.pushTrade("BTCUSDT", 30_000, 0.1, "BUY");
    venue.submit({ clientOrderId: "bst-stop-2", symbol: "BTC/USDT", side: "SELL", type: "STOP_MARKET", quantity: "0.005", triggerPrice: "29500" }, clock.now());
    await venue.idle();
    server.pushQuote("BTCUSDT", 29_400, 29_400.5, 5, 5);
    server.pushTrade("BTCUSDT", 29_400, 0.2, "SELL");
    expect(server.account.allOrders().map((o) => `${o.clientOid} ${o.status}`)).toEqual(["bst-stop-2 filled"]);

    // One poll: the plan is gone from the plan book, the regular order it became is found by its clientOid, its fill read.
    await venue.pollOnce();
    await venue.idle();
    expect(summary(events, "bst-stop-2")).toEqual(["accept", "fill 0.005 @ 29400"]);
    // A second poll reports nothing new (the fill is seen once, whichever way it came).
    await venue.pollOnce();
    await venue.idle();
    expect(summary(events, "bst-stop-2")).toEqual(["accept", "fill 0.005 @ 29400"]);
  });
});

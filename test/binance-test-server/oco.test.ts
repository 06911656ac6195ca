/**
 * OCO order lists on the test server, on the wire: Binance's shape and price rules for POST /api/v3/orderList/oco, one
 * lock of the quantity for both legs, the sibling expired when one leg executes (the LIMIT_MAKER fills, or the stop
 * triggers), and a cancel of one order or of the list ending both.
 */
import { describe, expect, it } from "vitest";
import { call, serversWithBtc, statusOf } from "./order-list-wire";

const start = serversWithBtc("1");

const sellOco = (over: Record<string, string> = {}): Record<string, string> => ({
  symbol: "BTCUSDT",
  side: "SELL",
  quantity: "0.5",
  aboveType: "LIMIT_MAKER",
  abovePrice: "31000",
  aboveClientOrderId: "tp-1",
  belowType: "STOP_LOSS_LIMIT",
  belowStopPrice: "29500",
  belowPrice: "29400",
  belowTimeInForce: "GTC",
  belowClientOrderId: "sl-1",
  listClientOrderId: "list-1",
  ...over,
});

describe("POST /api/v3/orderList/oco: Binance's rules", () => {
  it.each<[string, Record<string, string>, number, string]>([
    ["no aboveType", { aboveType: "" }, -1102, "Mandatory parameter 'aboveType' was not sent, was empty/null, or malformed."],
    ["a MARKET leg", { belowType: "MARKET" }, -1158, "Order type not supported in OCO."],
    ["a sell with the stop above", { aboveType: "STOP_LOSS_LIMIT", belowType: "LIMIT_MAKER" }, -1166, "A limit order in a sell OCO must be above."],
    ["two limit makers", { belowType: "LIMIT_MAKER", belowStopPrice: "" }, -1168, "At least one OCO order must be contingent."],
    ["a sell limit below the last price", { abovePrice: "29900" }, -2010, "The relationship of the prices for the orders is not correct."],
    [
      "a sell stop above the last price",
      { belowStopPrice: "30100", belowPrice: "30000" },
      -2010,
      "The relationship of the prices for the orders is not correct.",
    ],
    ["a price off the tick", { abovePrice: "31000.001" }, -1013, "Filter failure: PRICE_FILTER"],
    ["more than the account holds", { quantity: "2" }, -2010, "Account has insufficient balance for requested action."],
  ])("%s is refused", async (_name, over, code, msg) => {
    const server = await start();
    const params = Object.fromEntries(Object.entries(sellOco(over)).filter(([, v]) => v !== ""));
    const answer = await call(server, "POST", "/api/v3/orderList/oco", params);
    expect(answer).toEqual({ status: 400, body: { code, msg } });
    expect(server.account.openOrderCount()).toBe(0);
  });

  it("a buy OCO has its LIMIT_MAKER below and its stop above the last price", async () => {
    const server = await start();
    const buy = {
      symbol: "BTCUSDT",
      side: "BUY",
      quantity: "0.1",
      aboveType: "STOP_LOSS",
      aboveStopPrice: "30500",
      belowType: "LIMIT_MAKER",
      belowPrice: "29000",
    };
    expect((await call(server, "POST", "/api/v3/orderList/oco", buy)).body).toMatchObject({ listOrderStatus: "EXECUTING" });
    const wrong = await call(server, "POST", "/api/v3/orderList/oco", { ...buy, belowPrice: "30200" });
    expect(wrong.body).toEqual({ code: -2010, msg: "The relationship of the prices for the orders is not correct." });
  });
});

describe("an OCO's life on the test server", () => {
  it("is placed as one list, locks the quantity once, and its stop expires when the LIMIT_MAKER fills", async () => {
    const server = await start();
    const placed = await call(server, "POST", "/api/v3/orderList/oco", sellOco());
    expect(placed.status).toBe(200);
    expect(placed.body).toMatchObject({ contingencyType: "OCO", listStatusType: "EXEC_STARTED", listOrderStatus: "EXECUTING", listClientOrderId: "list-1" });
    expect(placed.body.orderReports?.map((r) => [r.clientOrderId, r.type, r.status])).toEqual([
      ["sl-1", "STOP_LOSS_LIMIT", "NEW"],
      ["tp-1", "LIMIT_MAKER", "NEW"],
    ]);
    expect(server.account.openOrderCount()).toBe(2);
    expect(server.account.venue.balances().BTC!.reserved.toString()).toBe("0.5"); // once for both legs, as on Binance
    server.pushQuote("BTCUSDT", 31_000, 31_001, 5, 5);
    server.pushTrade("BTCUSDT", 31_001, 1, "BUY");
    expect(await statusOf(server, "tp-1")).toBe("FILLED");
    expect(await statusOf(server, "sl-1")).toBe("EXPIRED");
    expect((await call(server, "GET", "/api/v3/orderList", { orderListId: String(placed.body.orderListId ?? "") })).body).toMatchObject({
      listOrderStatus: "ALL_DONE",
    });
    expect(server.account.openOrderCount()).toBe(0);
    expect(server.account.venue.balances().BTC!.total.toString()).toBe("0.5");
  });

  it("expires its LIMIT_MAKER when the stop triggers; the stop then executes", async () => {
    const server = await start();
    expect((await call(server, "POST", "/api/v3/orderList/oco", sellOco())).status).toBe(200);
    server.pushQuote("BTCUSDT", 29_450, 29_460, 5, 5);
    server.pushTrade("BTCUSDT", 29_450, 0.1, "SELL");
    expect(await statusOf(server, "tp-1")).toBe("EXPIRED");
    expect(await statusOf(server, "sl-1")).toBe("FILLED");
    expect(server.account.allTrades().map((t) => [t.clientOrderId, t.qty.toString()])).toEqual([["sl-1", "0.5"]]);
  });

  it.each([
    ["DELETE /api/v3/order on one leg", "/api/v3/order", { symbol: "BTCUSDT", origClientOrderId: "sl-1" }],
    ["DELETE /api/v3/orderList", "/api/v3/orderList", { symbol: "BTCUSDT", listClientOrderId: "list-1" }],
  ])("%s cancels the whole list", async (_name, path, params) => {
    const server = await start();
    expect((await call(server, "POST", "/api/v3/orderList/oco", sellOco())).status).toBe(200);
    expect((await call(server, "DELETE", path, params)).status).toBe(200);
    expect([await statusOf(server, "tp-1"), await statusOf(server, "sl-1")]).toEqual(["CANCELED", "CANCELED"]);
    expect(server.account.venue.balances().BTC!.reserved.toString()).toBe("0");
    expect((await call(server, "DELETE", "/api/v3/orderList", { symbol: "BTCUSDT", listClientOrderId: "list-1" })).body).toEqual({
      code: -2011,
      msg: "Unknown order list sent.",
    });
  });
});

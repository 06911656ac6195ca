/**
 * OTO order lists on the test server, on the wire: Binance's shape and checks for POST /api/v3/orderList/oto, the
 * pending order waiting as PENDING_NEW until the working order has filled in full (a partial fill does not place it),
 * and a cancel of either order (or of the list) ending both.
 */
import { describe, expect, it } from "vitest";
import { call, serversWithBtc, statusOf } from "./order-list-wire";

const start = serversWithBtc("0");

/** Buy 0.5 at 29 900; once filled, sell it at 31 000. */
const buyThenSell = (over: Record<string, string> = {}): Record<string, string> => ({
  symbol: "BTCUSDT",
  listClientOrderId: "oto-1",
  workingType: "LIMIT",
  workingSide: "BUY",
  workingPrice: "29900",
  workingQuantity: "0.5",
  workingTimeInForce: "GTC",
  workingClientOrderId: "entry-1",
  pendingType: "LIMIT_MAKER",
  pendingSide: "SELL",
  pendingPrice: "31000",
  pendingQuantity: "0.5",
  pendingClientOrderId: "exit-1",
  ...over,
});

describe("POST /api/v3/orderList/oto: Binance's rules", () => {
  it.each<[string, Record<string, string>, number, string]>([
    ["no workingType", { workingType: "" }, -1102, "Mandatory parameter 'workingType' was not sent, was empty/null, or malformed."],
    ["no pendingQuantity", { pendingQuantity: "" }, -1102, "Mandatory parameter 'pendingQuantity' was not sent, was empty/null, or malformed."],
    ["a MARKET working order", { workingType: "MARKET", workingPrice: "29900", workingTimeInForce: "" }, -1116, "Invalid orderType."],
    [
      "a LIMIT working order without timeInForce",
      { workingTimeInForce: "" },
      -1102,
      "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.",
    ],
    ["a working price off the tick", { workingPrice: "29900.001" }, -1013, "Filter failure: PRICE_FILTER"],
    [
      "a pending stop without a stop price",
      { pendingType: "STOP_LOSS", pendingPrice: "" },
      -1102,
      "Param 'stopPrice' or 'trailingDelta' must be sent, but both were empty/null!",
    ],
    ["the same id on both orders", { pendingClientOrderId: "entry-1" }, -2010, "Duplicate order sent."],
    ["a working order worth more than the account", { workingQuantity: "4" }, -2010, "Account has insufficient balance for requested action."],
  ])("%s is refused", async (_name, over, code, msg) => {
    const server = await start();
    const params = Object.fromEntries(Object.entries(buyThenSell(over)).filter(([, v]) => v !== ""));
    const answer = await call(server, "POST", "/api/v3/orderList/oto", params);
    expect(answer).toEqual({ status: 400, body: { code, msg } });
    expect(server.account.openOrderCount()).toBe(0);
  });
});

describe("an OTO's life on the test server", () => {
  it("places the working order, shows the pending one as PENDING_NEW, and places it only when the working one has filled in full", async () => {
    const server = await start();
    const placed = await call(server, "POST", "/api/v3/orderList/oto", buyThenSell());
    expect(placed.status).toBe(200);
    expect(placed.body).toMatchObject({ contingencyType: "OTO", listStatusType: "EXEC_STARTED", listOrderStatus: "EXECUTING", listClientOrderId: "oto-1" });
    expect(placed.body.orderReports?.map((r) => [r.clientOrderId, r.type, r.status])).toEqual([
      ["entry-1", "LIMIT", "NEW"],
      ["exit-1", "LIMIT_MAKER", "PENDING_NEW"],
    ]);
    expect(server.account.openOrderCount()).toBe(2);
    // A partial fill of the working order does not place the pending one.
    server.pushQuote("BTCUSDT", 29_890, 29_900, 5, 5);
    server.pushTrade("BTCUSDT", 29_899, 0.2, "SELL");
    expect([await statusOf(server, "entry-1"), await statusOf(server, "exit-1")]).toEqual(["PARTIALLY_FILLED", "PENDING_NEW"]);
    expect(server.account.venue.balances().BTC!.reserved.toString()).toBe("0");
    server.pushTrade("BTCUSDT", 29_899, 1, "SELL");
    expect([await statusOf(server, "entry-1"), await statusOf(server, "exit-1")]).toEqual(["FILLED", "NEW"]);
    expect(server.account.venue.balances().BTC!.reserved.toString()).toBe("0.5"); // the sell now rests on the book
    const id = String(placed.body.orderListId ?? "");
    expect((await call(server, "GET", "/api/v3/orderList", { orderListId: id })).body).toMatchObject({ listOrderStatus: "EXECUTING" });
    server.pushQuote("BTCUSDT", 31_000, 31_001, 5, 5);
    server.pushTrade("BTCUSDT", 31_001, 1, "BUY");
    expect(await statusOf(server, "exit-1")).toBe("FILLED");
    expect((await call(server, "GET", "/api/v3/orderList", { orderListId: id })).body).toMatchObject({ contingencyType: "OTO", listOrderStatus: "ALL_DONE" });
    expect(server.account.allTrades().map((t) => [t.clientOrderId, t.qty.toString()])).toEqual([
      ["entry-1", "0.2"],
      ["entry-1", "0.3"],
      ["exit-1", "0.5"],
    ]);
  });

  it("answers with the working order FILLED and the pending one PENDING_NEW when the working order crosses at once", async () => {
    const server = await start();
    const placed = await call(server, "POST", "/api/v3/orderList/oto", buyThenSell({ workingPrice: "30001" }));
    expect(placed.body.orderReports?.map((r) => r.status)).toEqual(["FILLED", "PENDING_NEW"]);
    expect(await statusOf(server, "exit-1")).toBe("NEW");
  });

  it.each([
    ["DELETE /api/v3/order on the working order", "/api/v3/order", { symbol: "BTCUSDT", origClientOrderId: "entry-1" }],
    ["DELETE /api/v3/order on the pending order", "/api/v3/order", { symbol: "BTCUSDT", origClientOrderId: "exit-1" }],
    ["DELETE /api/v3/orderList", "/api/v3/orderList", { symbol: "BTCUSDT", listClientOrderId: "oto-1" }],
  ])("%s cancels the whole list", async (_name, path, params) => {
    const server = await start();
    expect((await call(server, "POST", "/api/v3/orderList/oto", buyThenSell())).status).toBe(200);
    expect((await call(server, "DELETE", path, params)).status).toBe(200);
    expect([await statusOf(server, "entry-1"), await statusOf(server, "exit-1")]).toEqual(["CANCELED", "CANCELED"]);
    expect(server.account.openOrderCount()).toBe(0);
    expect(server.account.venue.balances().USDT!.reserved.toString()).toBe("0");
    // Prices moving through both orders' prices afterwards execute nothing.
    server.pushQuote("BTCUSDT", 29_890, 29_900, 5, 5);
    server.pushTrade("BTCUSDT", 29_899, 1, "SELL");
    expect(server.account.allTrades()).toEqual([]);
  });
});

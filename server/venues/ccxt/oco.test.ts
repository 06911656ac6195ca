import { describe, expect, it } from "vitest";
import type { OrderSpec } from "../../core/orders/types";
import binance from "./fixtures/markets/binance.json";
import bitget from "./fixtures/markets/bitget.json";
import type { CcxtMarketLike } from "./markets";
import { ocoListParams, ocoShape } from "./oco";
import { profileFor } from "./orders";

const market = (snapshot: Record<string, unknown>, symbol: string) => snapshot[symbol] as CcxtMarketLike;
const BTC = market(binance, "BTC/USDT");

const takeProfit: OrderSpec = { clientOrderId: "tp-1", symbol: "BTC/USDT", side: "SELL", type: "LIMIT", quantity: "0.5", price: "31000", timeInForce: "GTC" };
const stopLoss: OrderSpec = {
  clientOrderId: "sl-1",
  symbol: "BTC/USDT",
  side: "SELL",
  type: "STOP_LIMIT",
  quantity: "0.5",
  triggerPrice: "29500",
  price: "29400",
  timeInForce: "GTC",
};
const list = (a: OrderSpec, b: OrderSpec) => ({ listId: "lst-1", legs: [a, b] as [OrderSpec, OrderSpec] });

describe("which OCO pairs Binance spot holds natively", () => {
  it.each<[string, OrderSpec, OrderSpec, string, CcxtMarketLike | undefined, string | null]>([
    ["a sell take-profit + stop-limit", takeProfit, stopLoss, "binance", BTC, null],
    ["the legs in either order", stopLoss, takeProfit, "binance", BTC, null],
    [
      "a buy limit below + stop above",
      { ...takeProfit, side: "BUY", price: "29000" },
      { ...stopLoss, side: "BUY", triggerPrice: "31000", price: "31100" },
      "binance",
      BTC,
      null,
    ],
    ["Bitget", takeProfit, stopLoss, "bitget", market(bitget, "BTC/USDT"), "only Binance spot order lists are mapped"],
    ["legs of different quantities", takeProfit, { ...stopLoss, quantity: "0.4" }, "binance", BTC, "the legs differ in symbol, side or quantity"],
    ["two limits", takeProfit, { ...takeProfit, clientOrderId: "tp-2", price: "32000" }, "binance", BTC, "a native OCO is a limit leg and a stop leg"],
    ["an IOC leg", { ...takeProfit, timeInForce: "IOC" }, stopLoss, "binance", BTC, "legs rest until canceled (GTC)"],
    ["a sell limit below its stop", { ...takeProfit, price: "29000" }, stopLoss, "binance", BTC, "the limit and stop prices are on the wrong sides"],
    ["a mark-price stop", takeProfit, { ...stopLoss, triggerSource: "MARK" }, "binance", BTC, "spot stops trigger on the last price"],
  ])("%s", (_name, a, b, exchange, m, reason) => {
    const shape = ocoShape(list(a, b), profileFor(exchange), m);
    if (reason === null) expect(typeof shape).toBe("object");
    else expect(shape).toBe(reason);
  });
});

describe("POST /api/v3/orderList/oco parameters", () => {
  it("a sell: the LIMIT_MAKER above, the STOP_LOSS_LIMIT below, each leg under the engine's id", () => {
    const shape = ocoShape(list(takeProfit, stopLoss), profileFor("binance"), BTC);
    if (typeof shape === "string") throw new Error(shape);
    expect(ocoListParams("lst-1", shape, "BTCUSDT")).toEqual({
      symbol: "BTCUSDT",
      side: "SELL",
      quantity: "0.5",
      listClientOrderId: "lst-1",
      newOrderRespType: "FULL",
      aboveType: "LIMIT_MAKER",
      aboveClientOrderId: "tp-1",
      abovePrice: "31000",
      belowType: "STOP_LOSS_LIMIT",
      belowClientOrderId: "sl-1",
      belowStopPrice: "29500",
      belowPrice: "29400",
      belowTimeInForce: "GTC",
    });
  });

  it("a buy with a stop-market leg: the LIMIT_MAKER below, a STOP_LOSS above without a limit price", () => {
    const shape = ocoShape(
      list({ ...takeProfit, side: "BUY", price: "29000" }, { ...stopLoss, side: "BUY", type: "STOP_MARKET", triggerPrice: "31000", price: undefined }),
      profileFor("binance"),
      BTC,
    );
    if (typeof shape === "string") throw new Error(shape);
    expect(ocoListParams("lst-2", shape, "BTCUSDT")).toMatchObject({
      side: "BUY",
      belowType: "LIMIT_MAKER",
      belowPrice: "29000",
      aboveType: "STOP_LOSS",
      aboveStopPrice: "31000",
    });
    expect(ocoListParams("lst-2", shape, "BTCUSDT")).not.toHaveProperty("abovePrice");
  });
});

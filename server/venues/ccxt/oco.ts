/**
 * Native OCO order lists through ccxt: Binance spot's `POST /api/v3/orderList/oco` (ccxt 4.5.84 has no unified call for
 * it, only the implicit `privatePostOrderListOco`). Pure: which OCO pairs the exchange can hold, and the request's
 * parameters. Binance's rules (binance-spot-api-docs rest-api.md, "New Order list - OCO (TRADE)"): one leg LIMIT_MAKER,
 * the other STOP_LOSS or STOP_LOSS_LIMIT; a SELL has the limit above and the stop below (limit price > last traded
 * price > stopPrice), a BUY the mirror; both legs one quantity; the symbol's `ocoAllowed`.
 */
import { D } from "../../core/money";
import type { OrderSpec } from "../../core/orders/types";
import type { OcoListSpec } from "../venue";
import type { CcxtMarketLike } from "./markets";
import type { ExchangeProfile } from "./orders";

/** The pair as Binance places it: the limit (take-profit) leg and the stop leg. */
export interface OcoShape {
  limit: OrderSpec;
  stop: OrderSpec;
}

/** Why this exchange cannot hold the pair natively, or the pair's shape. */
export function ocoShape(list: OcoListSpec, profile: ExchangeProfile, market: CcxtMarketLike | undefined): OcoShape | string {
  if (profile.family !== "binance") return "only Binance spot order lists are mapped";
  if (!market?.spot) return "not a spot market";
  if ((market.info as { ocoAllowed?: unknown } | undefined)?.ocoAllowed !== true) return "the symbol does not allow OCO";
  const [a, b] = list.legs;
  if (a.symbol !== b.symbol || a.side !== b.side || !D(a.quantity).equals(D(b.quantity))) return "the legs differ in symbol, side or quantity";
  const limit = [a, b].find((l) => l.type === "LIMIT");
  const stop = [a, b].find((l) => l.type === "STOP_LIMIT" || l.type === "STOP_MARKET");
  if (!limit || !stop || limit === stop) return "a native OCO is a limit leg and a stop leg";
  if (limit.price === undefined || stop.triggerPrice === undefined || (stop.type === "STOP_LIMIT" && stop.price === undefined)) return "a leg lacks its price";
  if ((stop.triggerSource ?? "LAST") !== "LAST") return "spot stops trigger on the last price";
  for (const leg of [limit, stop]) {
    if ((leg.timeInForce ?? "GTC") !== "GTC") return "legs rest until canceled (GTC)";
    if (leg.trailingOffset !== undefined || leg.activationPrice !== undefined) return "trailing legs are not mapped";
  }
  // Limit above and stop below for a sell, the mirror for a buy (the exchange also checks them against the last price).
  const limitPrice = D(limit.price);
  const stopPrice = D(stop.triggerPrice);
  if (limit.side === "SELL" ? !limitPrice.greaterThan(stopPrice) : !limitPrice.lessThan(stopPrice)) return "the limit and stop prices are on the wrong sides";
  return { limit, stop };
}

/** The parameters of `POST /api/v3/orderList/oco` for the pair (prices and quantity already checked against the filters). */
export function ocoListParams(listId: string, shape: OcoShape, marketId: string): Record<string, string> {
  const { limit, stop } = shape;
  const sell = limit.side === "SELL";
  const limitSide = sell ? "above" : "below";
  const stopSide = sell ? "below" : "above";
  const plain = (value: OrderSpec["quantity"]): string => D(value).toFixed();
  const params: Record<string, string> = {
    symbol: marketId,
    side: limit.side,
    quantity: plain(limit.quantity),
    listClientOrderId: listId,
    newOrderRespType: "FULL",
    [`${limitSide}Type`]: "LIMIT_MAKER",
    [`${limitSide}ClientOrderId`]: limit.clientOrderId,
    [`${limitSide}Price`]: plain(limit.price!),
    [`${stopSide}Type`]: stop.type === "STOP_LIMIT" ? "STOP_LOSS_LIMIT" : "STOP_LOSS",
    [`${stopSide}ClientOrderId`]: stop.clientOrderId,
    [`${stopSide}StopPrice`]: plain(stop.triggerPrice!),
  };
  if (stop.type === "STOP_LIMIT") {
    params[`${stopSide}Price`] = plain(stop.price!);
    params[`${stopSide}TimeInForce`] = "GTC";
  }
  return params;
}

/**
 * Native OTO order lists through ccxt: Binance spot's `POST /api/v3/orderList/oto` (ccxt 4.5.84 has no unified call for
 * it, only the implicit `privatePostOrderListOto`). Pure: which OTO pairs the exchange can hold, and the request's
 * parameters. Binance's rules (binance-spot-api-docs rest-api.md, "New Order list - OTO (TRADE)"): the working order is
 * LIMIT or LIMIT_MAKER and rests at once; the pending order (any type but a MARKET by quote amount) is placed by the
 * exchange only when the working order is FULLY filled; canceling either cancels the list; the symbol's `otoAllowed`
 * (absent in older exchangeInfo: not refused here, the exchange decides).
 */
import { D } from "../../core/money";
import type { OrderSpec } from "../../core/orders/types";
import type { OtoListSpec } from "../venue";
import type { CcxtMarketLike } from "./markets";
import type { ExchangeProfile } from "./orders";

/** Binance's order type for each engine type a pending order may have. */
const PENDING_TYPES: Partial<Record<OrderSpec["type"], string>> = {
  MARKET: "MARKET",
  LIMIT: "LIMIT",
  STOP_MARKET: "STOP_LOSS",
  STOP_LIMIT: "STOP_LOSS_LIMIT",
  TAKE_PROFIT_MARKET: "TAKE_PROFIT",
  TAKE_PROFIT_LIMIT: "TAKE_PROFIT_LIMIT",
};

/** Why this exchange cannot hold the pair natively, or null when it can. */
export function otoRefusal(list: OtoListSpec, profile: ExchangeProfile, market: CcxtMarketLike | undefined): string | null {
  if (profile.family !== "binance") return "only Binance spot order lists are mapped";
  if (!market?.spot) return "not a spot market";
  if ((market.info as { otoAllowed?: unknown } | undefined)?.otoAllowed === false) return "the symbol does not allow OTO";
  const { working, pending } = list;
  if (working.symbol !== pending.symbol) return "the orders differ in symbol";
  if (working.type !== "LIMIT" || working.price === undefined) return "the working order is a limit order";
  const type = PENDING_TYPES[pending.type];
  if (type === undefined) return "the pending order's type is not mapped";
  for (const order of [working, pending]) {
    if (order.timeInForce === "GTD") return "GTD orders are not mapped";
    if (order.trailingOffset !== undefined || order.activationPrice !== undefined) return "trailing orders are not mapped";
    if ((order.triggerSource ?? "LAST") !== "LAST") return "spot stops trigger on the last price";
  }
  if (type !== "MARKET" && type !== "STOP_LOSS" && type !== "TAKE_PROFIT" && pending.price === undefined) return "the pending order lacks its price";
  if (type !== "MARKET" && type !== "LIMIT" && pending.triggerPrice === undefined) return "the pending order lacks its trigger price";
  return null;
}

/** The parameters of `POST /api/v3/orderList/oto` (prices and quantities already checked against the filters). */
export function otoListParams(list: OtoListSpec, marketId: string): Record<string, string> {
  const { working, pending } = list;
  const plain = (value: NonNullable<OrderSpec["price"]>): string => D(value).toFixed();
  const params: Record<string, string> = {
    symbol: marketId,
    listClientOrderId: list.listId,
    newOrderRespType: "FULL",
    workingType: working.postOnly === true ? "LIMIT_MAKER" : "LIMIT",
    workingSide: working.side,
    workingClientOrderId: working.clientOrderId,
    workingPrice: plain(working.price!),
    workingQuantity: plain(working.quantity),
    pendingType: pending.type === "LIMIT" && pending.postOnly === true ? "LIMIT_MAKER" : PENDING_TYPES[pending.type]!,
    pendingSide: pending.side,
    pendingClientOrderId: pending.clientOrderId,
    pendingQuantity: plain(pending.quantity),
  };
  if (params.workingType === "LIMIT") params.workingTimeInForce = working.timeInForce ?? "GTC";
  if (pending.price !== undefined && params.pendingType !== "MARKET" && params.pendingType !== "STOP_LOSS" && params.pendingType !== "TAKE_PROFIT")
    params.pendingPrice = plain(pending.price);
  if (pending.triggerPrice !== undefined && params.pendingType !== "MARKET" && !params.pendingType!.startsWith("LIMIT"))
    params.pendingStopPrice = plain(pending.triggerPrice);
  if (params.pendingType === "LIMIT" || params.pendingType === "STOP_LOSS_LIMIT" || params.pendingType === "TAKE_PROFIT_LIMIT")
    params.pendingTimeInForce = pending.timeInForce ?? "GTC";
  return params;
}

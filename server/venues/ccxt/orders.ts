/**
 * Bastion's orders ↔ ccxt's unified createOrder, per exchange. Pure functions over the loaded market
 * (no I/O), so the mapping is testable without an exchange.
 *
 * What Bastion enforces before anything is sent (ccxt only rounds): the quantity is a multiple of the
 * step, prices of the tick, min/max quantity, min/max notional (with the limit price, or for market
 * orders the last price seen), and the clientOrderId's format. Refusals are FinalVenueErrors with the
 * instrument check's code (QTY_PRECISION, PRICE_PRECISION, MIN_QUANTITY, MIN_NOTIONAL, …).
 *
 * Order types (what ccxt 4.5.84 sends; anything else is refused with EMULATION_REQUIRED so the engine
 * emulates it locally from market data):
 * - MARKET, LIMIT (GTC/IOC/FOK, post-only) everywhere. GTD: not sent (the engine expires it).
 * - Binance: STOP_* with `stopLossPrice`, TAKE_PROFIT_* with `takeProfitPrice` → the native type
 *   (spot STOP_LOSS, STOP_LOSS_LIMIT, TAKE_PROFIT, TAKE_PROFIT_LIMIT; USDT-M STOP_MARKET, STOP,
 *   TAKE_PROFIT_MARKET, TAKE_PROFIT on /fapi/v1/algoOrder) only when it is in the market's
 *   `info.orderTypes` (Binance spot lists only the _LIMIT ones today). Trailing: USDT-M
 *   TRAILING_STOP_MARKET with a basis-point offset (callbackRate 0.1–10 %, 0.1 steps). Spot trailing
 *   (trailingDelta) keeps a fixed limit price, unlike Bastion's, so it is emulated.
 * - Bitget (classic v2 API): STOP_* and TAKE_PROFIT_* become plan orders (`triggerPrice`, the
 *   direction follows from the side of the market the trigger is on), trigger source LAST → fill_price,
 *   MARK → mark_price. Swap trailing: `trailingPercent` with an activation price. Spot MARKET BUY
 *   orders are sized in quote currency on Bitget, so Bastion sends a marketable IOC limit instead
 *   (last price + `marketBuyProtectionBps`, rounded up to the tick): the quantity stays exact.
 * - Any other ccxt exchange: by its `features` (stopLossPrice / takeProfitPrice / trailing).
 * clientOrderId: Binance `newClientOrderId` (ccxt sends it as `clientAlgoId` for USDT-M conditional
 * orders), Bitget `clientOid`, others ccxt's unified `clientOrderId`.
 */
import { checkAgainstInstrument, roundPrice, type Instrument } from "../../core/instrument";
import { D, type Decimal, ZERO, isMultipleOf } from "../../core/money";
import { isValidClientOrderId } from "../../core/ids";
import type { OrderSide, OrderSpec, OrderStatus, OrderType } from "../../core/orders/types";
import { FinalVenueError } from "../venue";
import type { CcxtMarketLike } from "./markets";
import type { VenueFill, VenueOrderSnapshot } from "../venue";

/** ccxt's `features[type][subType].createOrder` (or `features[type].createOrder` for spot). */
export interface CreateOrderFeatures {
  triggerPrice?: boolean;
  stopLossPrice?: boolean;
  takeProfitPrice?: boolean;
  trailing?: boolean;
  marketBuyRequiresPrice?: boolean;
  timeInForce?: Partial<Record<"IOC" | "FOK" | "PO" | "GTD" | "GTC", boolean>>;
}

/** The createOrder features ccxt lists for a market's kind (`exchange.features`), or null when it lists none. */
export function createOrderFeatures(exchangeFeatures: unknown, market: CcxtMarketLike): CreateOrderFeatures | null {
  const features = (exchangeFeatures ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const type = market.spot ? "spot" : market.swap ? "swap" : market.future ? "future" : market.option ? "option" : "spot";
  const byType = features[type];
  if (!byType) return null;
  if (type === "spot") return (byType.createOrder as CreateOrderFeatures | undefined) ?? null;
  const sub = byType[market.linear ? "linear" : "inverse"] as { createOrder?: CreateOrderFeatures } | undefined;
  return sub?.createOrder ?? null;
}

export type ExchangeFamily = "binance" | "bitget" | "generic";

export interface ExchangeProfile {
  family: ExchangeFamily;
  /** The param createOrder reads our clientOrderId from. */
  clientIdParam: string;
  /** The param fetchOrder / cancelOrder read our clientOrderId from. */
  lookupParam: string;
  /** Trigger orders of this market live in a separate book (ccxt needs `{ trigger: true }` to see or cancel them). */
  separateTriggerBook(market: CcxtMarketLike, trigger: boolean): boolean;
}

export function profileFor(exchangeId: string): ExchangeProfile {
  if (exchangeId === "binance" || exchangeId === "binanceusdm" || exchangeId === "binancecoinm") {
    return {
      family: "binance",
      clientIdParam: "newClientOrderId",
      lookupParam: "origClientOrderId",
      // Spot stop/take-profit orders are ordinary orders; USDT-M conditional orders are algo orders.
      separateTriggerBook: (market, trigger) => trigger && market.swap === true && market.linear === true,
    };
  }
  if (exchangeId === "bitget") {
    return { family: "bitget", clientIdParam: "clientOid", lookupParam: "clientOid", separateTriggerBook: (_market, trigger) => trigger };
  }
  return { family: "generic", clientIdParam: "clientOrderId", lookupParam: "clientOrderId", separateTriggerBook: (_market, trigger) => trigger };
}

/** What goes to `exchange.createOrder(symbol, type, side, amount, price, params)`. */
export interface CcxtOrderRequest {
  symbol: string;
  type: "market" | "limit";
  side: "buy" | "sell";
  amount: number;
  price: number | undefined;
  params: Record<string, unknown>;
  /** Lives in the exchange's separate trigger-order book. */
  triggerBook: boolean;
}

export interface MapContext {
  profile: ExchangeProfile;
  market: CcxtMarketLike;
  instrument: Instrument;
  features: CreateOrderFeatures | null;
  /** Last price seen for the symbol (from onMarketData), for market orders' notional and Bitget market buys. */
  lastPrice: Decimal | null;
  marketBuyProtectionBps: number;
}

const refuse = (code: string, message: string): FinalVenueError => new FinalVenueError(`${code}: ${message}`, code);
const emulate = (spec: OrderSpec, exchange: string, why: string): FinalVenueError =>
  refuse("EMULATION_REQUIRED", `${exchange} cannot take a ${spec.type} order on ${spec.symbol} (${why}); the engine emulates it locally from market data.`);

const num = (d: Decimal): number => Number(d.toString());

function decimalOrNull(value: unknown): Decimal | null {
  if (value === undefined || value === null || value === "") return null;
  try {
    const d = D(value as string | number);
    return d.isFinite() ? d : null;
  } catch {
    return null;
  }
}

function nativeOrderTypes(market: CcxtMarketLike): string[] | null {
  const info = market.info as { orderTypes?: unknown } | undefined;
  return Array.isArray(info?.orderTypes) ? info.orderTypes.filter((t): t is string => typeof t === "string") : null;
}

/** Maps a Bastion order to a ccxt createOrder call, after Bastion's own checks. Throws FinalVenueError. */
export function mapOrder(spec: OrderSpec, ctx: MapContext, exchangeName: string): CcxtOrderRequest {
  const { instrument, market, profile } = ctx;
  if (!isValidClientOrderId(spec.clientOrderId)) {
    throw refuse("CLIENT_ORDER_ID_INVALID", `clientOrderId "${spec.clientOrderId}" does not fit the exchange (1–36 characters of A–Z a–z 0–9 . _ : / -).`);
  }
  const qty = D(spec.quantity);
  const price = spec.price !== undefined ? D(spec.price) : null;
  const trigger = spec.triggerPrice !== undefined ? D(spec.triggerPrice) : null;
  for (const [what, value] of [
    ["price", price],
    ["trigger price", trigger],
  ] as const) {
    if (value && !isMultipleOf(value, instrument.priceTick)) {
      throw refuse(
        "PRICE_PRECISION",
        `${spec.symbol}: ${what} ${value.toString()} is not a multiple of the tick ${instrument.priceTick.toString()}; nothing was sent.`,
      );
    }
  }
  const checkPrice = price ?? trigger ?? ctx.lastPrice;
  const check = checkAgainstInstrument(instrument, qty, checkPrice);
  if (!check.ok) throw refuse(check.error.code, `${check.error.message}; nothing was sent.`);
  if (spec.timeInForce === "GTD") throw emulate(spec, exchangeName, "good-till-date expiry is handled by the engine");

  const side = spec.side === "BUY" ? "buy" : "sell";
  const params: Record<string, unknown> = { [profile.clientIdParam]: spec.clientOrderId };
  if (spec.timeInForce === "IOC" || spec.timeInForce === "FOK") params.timeInForce = spec.timeInForce;
  if (spec.postOnly) params.postOnly = true;
  if (spec.reduceOnly && market.contract) params.reduceOnly = true;
  const out = (type: "market" | "limit", limit: Decimal | null, triggerBook = false): CcxtOrderRequest => ({
    symbol: spec.symbol,
    type,
    side,
    amount: num(qty),
    price: limit ? num(limit) : undefined,
    params,
    triggerBook: profile.separateTriggerBook(market, triggerBook),
  });

  switch (spec.type) {
    case "MARKET": {
      if (profile.family === "bitget" && market.spot && side === "buy" && ctx.features?.marketBuyRequiresPrice !== false) {
        if (!ctx.lastPrice)
          throw refuse(
            "NO_REFERENCE_PRICE",
            `${exchangeName} sizes spot market buys in ${instrument.quote}; Bastion sends a marketable limit instead and needs a recent price for ${spec.symbol}, none has been seen yet.`,
          );
        const cap = roundPrice(instrument, ctx.lastPrice.times(D(10_000 + ctx.marketBuyProtectionBps).dividedBy(10_000)), "up");
        params.timeInForce = "IOC";
        return out("limit", cap);
      }
      return out("market", null);
    }
    case "LIMIT":
      if (!price) throw refuse("INVALID_ORDER", "a LIMIT order needs a price.");
      return out("limit", price);
    case "STOP_MARKET":
    case "STOP_LIMIT":
    case "TAKE_PROFIT_MARKET":
    case "TAKE_PROFIT_LIMIT": {
      if (!trigger) throw refuse("INVALID_ORDER", `a ${spec.type} order needs a trigger price.`);
      const limit = spec.type.endsWith("_LIMIT") ? price : null;
      if (spec.type.endsWith("_LIMIT") && !limit) throw refuse("INVALID_ORDER", `a ${spec.type} order needs a limit price.`);
      const isStop = spec.type.startsWith("STOP");
      const source = spec.triggerSource ?? "LAST";
      if (source === "BID_ASK") throw emulate(spec, exchangeName, "exchanges trigger on the last or mark price, not the bid/ask");
      if (profile.family === "binance") {
        const contract = market.contract === true;
        if (source === "MARK" && !contract) throw emulate(spec, exchangeName, "spot orders cannot trigger on the mark price");
        const native = contract
          ? isStop
            ? limit
              ? "STOP"
              : "STOP_MARKET"
            : limit
              ? "TAKE_PROFIT"
              : "TAKE_PROFIT_MARKET"
          : isStop
            ? limit
              ? "STOP_LOSS_LIMIT"
              : "STOP_LOSS"
            : limit
              ? "TAKE_PROFIT_LIMIT"
              : "TAKE_PROFIT";
        const allowed = nativeOrderTypes(market);
        if (allowed && !allowed.includes(native)) throw emulate(spec, exchangeName, `the market does not list ${native}`);
        params[isStop ? "stopLossPrice" : "takeProfitPrice"] = num(trigger);
        if (source === "MARK") params.workingType = "MARK_PRICE";
        return out(limit ? "limit" : "market", limit, true);
      }
      if (profile.family === "bitget") {
        if (!ctx.features?.triggerPrice) throw emulate(spec, exchangeName, "no trigger orders on this market");
        if (source === "MARK" && market.spot) throw emulate(spec, exchangeName, "spot plan orders trigger on the last price");
        if (market.spot && side === "buy" && !limit) throw emulate(spec, exchangeName, "spot market buys are sized in quote currency");
        params.triggerPrice = num(trigger);
        params.triggerType = source === "MARK" ? "mark_price" : "fill_price";
        return out(limit ? "limit" : "market", limit, true);
      }
      const feature = isStop ? ctx.features?.stopLossPrice : ctx.features?.takeProfitPrice;
      if (!feature) throw emulate(spec, exchangeName, `ccxt reports no ${isStop ? "stopLossPrice" : "takeProfitPrice"} support`);
      if (source === "MARK") throw emulate(spec, exchangeName, "mark-price triggers are not mapped for this exchange");
      params[isStop ? "stopLossPrice" : "takeProfitPrice"] = num(trigger);
      return out(limit ? "limit" : "market", limit, true);
    }
    case "TRAILING_STOP_MARKET": {
      if (!ctx.features?.trailing || !market.contract) throw emulate(spec, exchangeName, "no native trailing stop on this market");
      if ((spec.trailingOffsetType ?? "PRICE") !== "BASIS_POINTS" || spec.trailingOffset === undefined) {
        throw emulate(spec, exchangeName, "native trailing stops take a percentage offset, this one is a price distance");
      }
      const percent = D(spec.trailingOffset).dividedBy(100);
      if (profile.family === "binance" && (percent.lessThan("0.1") || percent.greaterThan(10) || !isMultipleOf(percent, D("0.1")))) {
        throw emulate(spec, exchangeName, `Binance's callback rate must be 0.1–10 % in 0.1 steps, got ${percent.toString()} %`);
      }
      const activation = spec.activationPrice !== undefined ? D(spec.activationPrice) : null;
      if (activation && !isMultipleOf(activation, instrument.priceTick)) {
        throw refuse(
          "PRICE_PRECISION",
          `${spec.symbol}: activation price ${activation.toString()} is not a multiple of the tick ${instrument.priceTick.toString()}; nothing was sent.`,
        );
      }
      if (profile.family === "bitget" && !activation) throw emulate(spec, exchangeName, "Bitget trailing stops need an activation price");
      params.trailingPercent = num(percent);
      if (activation) params.trailingTriggerPrice = num(activation);
      return out("market", null, true);
    }
    case "TRAILING_STOP_LIMIT":
    case "LIMIT_IF_TOUCHED":
      throw emulate(spec, exchangeName, "no native equivalent");
  }
}

// ---------------------------------------------------------------------------------------------
// ccxt answers → the port's shapes

/** The part of a ccxt Order we read. */
export interface CcxtOrderLike {
  id?: string | undefined;
  clientOrderId?: string | undefined;
  symbol?: string | undefined;
  type?: string | undefined;
  side?: string | undefined;
  status?: string | undefined;
  amount?: number | undefined;
  filled?: number | undefined;
  price?: number | undefined;
  average?: number | undefined;
  triggerPrice?: number | undefined;
  stopPrice?: number | undefined;
  timestamp?: number | undefined;
  trades?: CcxtTradeLike[] | undefined;
  info?: unknown;
}

export interface CcxtTradeLike {
  id?: string | undefined;
  order?: string | undefined;
  symbol?: string | undefined;
  side?: string | undefined;
  amount?: number | undefined;
  price?: number | undefined;
  timestamp?: number | undefined;
  takerOrMaker?: string | undefined;
  fee?: { cost?: number | undefined; currency?: string | undefined } | undefined;
  fees?: { cost?: number | undefined; currency?: string | undefined }[] | undefined;
}

export function orderStatusOf(order: CcxtOrderLike): OrderStatus {
  const filled = decimalOrNull(order.filled) ?? ZERO;
  switch (order.status) {
    case "closed":
      return "FILLED";
    case "canceled":
    case "cancelled":
      return "CANCELED";
    case "expired":
      return "EXPIRED";
    case "rejected":
      return "REJECTED";
    default:
      return filled.greaterThan(0) ? "PARTIALLY_FILLED" : "ACCEPTED";
  }
}

function guessType(order: CcxtOrderLike): OrderType {
  const t = (order.type ?? "").toLowerCase();
  const hasTrigger = (order.triggerPrice ?? order.stopPrice) !== undefined && (order.triggerPrice ?? order.stopPrice) !== 0;
  if (t.includes("trailing")) return "TRAILING_STOP_MARKET";
  if (t.includes("take_profit") || t === "take_profit") return t.includes("market") || t === "take_profit" ? "TAKE_PROFIT_MARKET" : "TAKE_PROFIT_LIMIT";
  if (t.includes("stop")) return t.includes("limit") ? "STOP_LIMIT" : "STOP_MARKET";
  if (hasTrigger) return t === "limit" ? "STOP_LIMIT" : "STOP_MARKET";
  return t === "market" ? "MARKET" : "LIMIT";
}

export function toSnapshot(order: CcxtOrderLike, clientOrderId: string, known?: { type: OrderType; symbol: string }): VenueOrderSnapshot {
  const status = orderStatusOf(order);
  const triggerPrice = decimalOrNull(order.triggerPrice ?? order.stopPrice);
  return {
    clientOrderId,
    venueOrderId: order.id ? String(order.id) : null,
    symbol: known?.symbol ?? order.symbol ?? "",
    side: (order.side ?? "").toLowerCase() === "sell" ? "SELL" : "BUY",
    type: known?.type ?? guessType(order),
    status,
    quantity: decimalOrNull(order.amount) ?? ZERO,
    filledQty: decimalOrNull(order.filled) ?? ZERO,
    price: decimalOrNull(order.price)?.greaterThan(0) ? decimalOrNull(order.price) : null,
    triggerPrice: triggerPrice?.greaterThan(0) ? triggerPrice : null,
    avgFillPrice: decimalOrNull(order.average)?.greaterThan(0) ? decimalOrNull(order.average) : null,
    reason:
      status === "REJECTED"
        ? "rejected by the exchange"
        : status === "EXPIRED"
          ? "expired at the exchange"
          : status === "CANCELED"
            ? "canceled at the exchange"
            : null,
  };
}

/** A ccxt trade as the port's fill (fee as the exchange charged it, in its currency, made positive = paid). */
export function toVenueFill(trade: CcxtTradeLike, clientOrderId: string, fallbackSide: OrderSide, quote: string): VenueFill | null {
  if (!trade.id || trade.amount === undefined || trade.price === undefined) return null;
  const fee = trade.fee ?? trade.fees?.[0];
  const feeCost = decimalOrNull(fee?.cost) ?? ZERO;
  const side = trade.side === "sell" ? "SELL" : trade.side === "buy" ? "BUY" : fallbackSide;
  return {
    tradeId: String(trade.id),
    clientOrderId,
    symbol: trade.symbol ?? "",
    side,
    qty: D(trade.amount),
    price: D(trade.price),
    fee: feeCost.abs(),
    feeCurrency: fee?.currency ?? quote,
    liquidity: trade.takerOrMaker === "maker" ? "MAKER" : trade.takerOrMaker === "taker" ? "TAKER" : null,
    ts: trade.timestamp ?? 0,
  };
}

/**
 * The fee in the instrument's quote currency, as the engine books it: quote fees as they are, base
 * fees at the fill price, other currencies (BNB discounts…) as 0 — the engine then under-counts the
 * fee, which is logged; the raw fee stays on the VenueFill.
 */
export function quoteFee(fill: VenueFill, instrument: Instrument): { fee: Decimal; converted: boolean } {
  if (fill.fee.isZero() || fill.feeCurrency === instrument.quote) return { fee: fill.fee, converted: true };
  if (fill.feeCurrency === instrument.base) return { fee: fill.fee.times(fill.price), converted: true };
  return { fee: ZERO, converted: false };
}

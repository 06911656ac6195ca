/**
 * The simulated venue's order checks: an arriving spec (sides, types, prices, trailing terms, the instrument's
 * precision and limits, post-only, GTD expiry), a modify request, and the price a buy's reservation is based on.
 * Refusals are reason strings ("CODE: sentence"), as the venue reports them; nothing here changes the venue.
 */
import { checkAgainstInstrument, type Instrument } from "../instrument";
import { type Decimal, isMultipleOf, isPositive, numberToDecimal, parseDecimal, ZERO } from "../money";
import type { OrderChanges } from "../orders/events";
import { trailingLimitPrice } from "../orders/triggers";
import {
  LIMIT_PRICE_TYPES,
  ORDER_TYPES,
  TIME_IN_FORCE,
  TRAILING_TYPES,
  TRIGGER_TYPES,
  TRIGGERABLE_LIMIT_TYPES,
  type OrderSpec,
  type TrailingState,
  type TriggerSource,
} from "../orders/types";
import { BPS, reason, scaled, type SimOrder, type SymbolState } from "./sim-order";

/** What the checks read from the venue: known ids, the traded symbols, and how it numbers and defaults orders. */
export interface OrderCheckContext {
  isKnown(clientOrderId: string): boolean;
  symbols: ReadonlyMap<string, SymbolState>;
  defaultTriggerSource: TriggerSource;
  idPrefix: string;
  /** The next order number (called once, only for a spec that passes). */
  nextOrderSeq(): number;
}

// Sets of the vocabulary (a lookup, not a scan of the list, on every arriving order).
const KNOWN_TYPES: ReadonlySet<string> = new Set(ORDER_TYPES);
const KNOWN_TIME_IN_FORCE: ReadonlySet<string> = new Set(TIME_IN_FORCE);

/** Venue-side checks of an order spec on arrival; a refusal reason string, or the order ready to accept (numbered by the venue). */
export function checkOrderSpec(spec: OrderSpec, venue: OrderCheckContext, sentAt: number, now: number): SimOrder | string {
  const clientOrderId = spec.clientOrderId;
  if (venue.isKnown(clientOrderId)) return reason("DUPLICATE_CLIENT_ORDER_ID", `an order with id ${clientOrderId} already exists.`);
  const state = venue.symbols.get(spec.symbol);
  if (!state) return reason("UNKNOWN_SYMBOL", `${spec.symbol} is not traded on this venue.`);
  const instrument = state.instrument;
  if (spec.side !== "BUY" && spec.side !== "SELL") return reason("INVALID_SIDE", `side ${String(spec.side)} is neither BUY nor SELL.`);
  if (!KNOWN_TYPES.has(spec.type)) return reason("INVALID_TYPE", `order type ${String(spec.type)} is not supported.`);
  const tif = spec.timeInForce ?? "GTC";
  if (tif !== "GTC" && !KNOWN_TIME_IN_FORCE.has(tif)) return reason("INVALID_TIME_IN_FORCE", `time in force ${String(tif)} is not supported.`);
  const quantity = parseDecimal(spec.quantity);
  if (quantity === null || !isPositive(quantity)) return reason("INVALID_QUANTITY", `quantity ${String(spec.quantity)} is not a positive number.`);

  const type = spec.type;
  const isTrailing = TRAILING_TYPES.has(type);
  const isTrigger = TRIGGER_TYPES.has(type);
  let limitPrice: Decimal | null = null;
  if (LIMIT_PRICE_TYPES.has(type) && type !== "TRAILING_STOP_LIMIT") {
    limitPrice = parseDecimal(spec.price);
    if (limitPrice === null || !isPositive(limitPrice))
      return reason("INVALID_PRICE", `a ${type} order needs a positive limit price, got ${String(spec.price)}.`);
  }
  let triggerPrice: Decimal | null = null;
  if (spec.triggerPrice !== undefined && isTrigger) {
    triggerPrice = parseDecimal(spec.triggerPrice);
    if (triggerPrice === null || !isPositive(triggerPrice))
      return reason("INVALID_TRIGGER_PRICE", `trigger price ${String(spec.triggerPrice)} is not a positive number.`);
  }
  if (isTrigger && !isTrailing && triggerPrice === null) return reason("INVALID_TRIGGER_PRICE", `a ${type} order needs a trigger price.`);

  let trailing: TrailingState | null = null;
  if (isTrailing) {
    const offset = parseDecimal(spec.trailingOffset);
    if (offset === null || offset.isNegative())
      return reason("INVALID_TRAILING_OFFSET", `a ${type} order needs a trailing offset of zero or more, got ${String(spec.trailingOffset)}.`);
    let activationPrice: Decimal | null = null;
    if (spec.activationPrice !== undefined) {
      activationPrice = parseDecimal(spec.activationPrice);
      if (activationPrice === null || !isPositive(activationPrice))
        return reason("INVALID_ACTIVATION_PRICE", `activation price ${String(spec.activationPrice)} is not a positive number.`);
    }
    let limitOffset: Decimal | null = null;
    if (type === "TRAILING_STOP_LIMIT") {
      limitOffset = parseDecimal(spec.limitOffset);
      if (limitOffset === null || limitOffset.isNegative())
        return reason("INVALID_LIMIT_OFFSET", `a TRAILING_STOP_LIMIT order needs a limit offset of zero or more, got ${String(spec.limitOffset)}.`);
    }
    trailing = {
      offset,
      offsetType: spec.trailingOffsetType ?? "PRICE",
      activationPrice,
      activated: false,
      extremePrice: null,
      limitOffset,
    };
    if (triggerPrice !== null && limitOffset !== null) limitPrice = trailingLimitPrice(trailing, spec.side, triggerPrice, instrument.priceTick);
  }

  const refused = checkTerms(instrument, quantity, limitPrice, triggerPrice);
  if (refused !== null) return refused;
  const postOnly = spec.postOnly ?? false;
  if (postOnly && type !== "LIMIT") return reason("INVALID_POST_ONLY", `post-only applies to LIMIT orders, not ${type}.`);
  if (postOnly && (tif === "IOC" || tif === "FOK")) return reason("INVALID_POST_ONLY", `a post-only order cannot be ${tif}.`);
  let expireAt: number | null = null;
  if (tif === "GTD") {
    if (spec.expireAt === undefined || !Number.isFinite(spec.expireAt)) return reason("INVALID_EXPIRY", "a GTD order needs an expiry time.");
    if (spec.expireAt <= now) return reason("INVALID_EXPIRY", `the expiry ${spec.expireAt} is not after the arrival time ${now}.`);
    expireAt = spec.expireAt;
  }

  const seq = venue.nextOrderSeq();
  return {
    seq,
    clientOrderId,
    venueOrderId: `${venue.idPrefix}-o-${seq}`,
    instrument,
    side: spec.side,
    type,
    tif,
    postOnly,
    quantity,
    filled: ZERO,
    limitPrice,
    limitNum: limitPrice === null ? Number.NaN : limitPrice.toNumber(),
    triggerPrice,
    triggerNum: triggerPrice === null ? Number.NaN : triggerPrice.toNumber(),
    triggerSource: spec.triggerSource ?? venue.defaultTriggerSource,
    trailing,
    expireAt,
    triggered: false,
    phase: "LIVE",
    status: "SUBMITTED",
    reserveCurrency: spec.side === "BUY" ? instrument.quote : instrument.base,
    reservePerUnit: ZERO,
    reserved: ZERO,
    filledNotional: null,
    firstFillPrice: null,
    fees: ZERO,
    sentAt,
    acceptedAt: null,
    reason: null,
    listRank: 0,
    openRank: 0,
    queueAhead: null,
  };
}

/** The terms a modify request asks for, checked against the order and its instrument. */
export interface ModifiedTerms {
  quantity: Decimal;
  limitPrice: Decimal | null;
  triggerPrice: Decimal | null;
}

/** Venue-side checks of a modify request on a working order; a refusal reason string, or the new terms. */
export function checkModify(order: SimOrder, changes: OrderChanges): ModifiedTerms | string {
  const instrument = order.instrument;
  let quantity = order.quantity;
  if (changes.quantity !== undefined) {
    const parsed = parseDecimal(changes.quantity);
    if (parsed === null || !parsed.greaterThan(order.filled)) {
      return reason("INVALID_QUANTITY", `the new quantity ${String(changes.quantity)} must be a number above the ${order.filled.toString()} already filled.`);
    }
    quantity = parsed;
  }
  let limitPrice = order.limitPrice;
  if (changes.price !== undefined) {
    const parsed = parseDecimal(changes.price);
    if (!LIMIT_PRICE_TYPES.has(order.type) || order.type === "TRAILING_STOP_LIMIT")
      return reason("INVALID_PRICE", `a ${order.type} order has no limit price to change.`);
    if (parsed === null || !parsed.greaterThan(0)) return reason("INVALID_PRICE", `the new price ${String(changes.price)} is not a positive number.`);
    limitPrice = parsed;
  }
  let triggerPrice = order.triggerPrice;
  if (changes.triggerPrice !== undefined) {
    const parsed = parseDecimal(changes.triggerPrice);
    if (!TRIGGER_TYPES.has(order.type) || order.triggered) {
      return reason(
        "INVALID_TRIGGER_PRICE",
        order.triggered ? `order ${order.clientOrderId} has already triggered.` : `a ${order.type} order has no trigger price.`,
      );
    }
    if (parsed === null || !parsed.greaterThan(0)) {
      return reason("INVALID_TRIGGER_PRICE", `the new trigger price ${String(changes.triggerPrice)} is not a positive number.`);
    }
    triggerPrice = parsed;
  }
  const refused = checkTerms(instrument, quantity, limitPrice, triggerPrice);
  if (refused !== null) return refused;
  return { quantity, limitPrice, triggerPrice };
}

/** The instrument's filters on an order's terms (a new one or a modified one); a refusal reason, or null. */
function checkTerms(instrument: Instrument, quantity: Decimal, limitPrice: Decimal | null, triggerPrice: Decimal | null): string | null {
  const check = checkAgainstInstrument(instrument, quantity, limitPrice ?? triggerPrice);
  if (!check.ok) return reason(check.error.code, check.error.message);
  if (limitPrice !== null && triggerPrice !== null && !isMultipleOf(triggerPrice, instrument.priceTick)) {
    return reason(
      "PRICE_PRECISION",
      `${instrument.symbol}: trigger price ${triggerPrice.toString()} is not a multiple of the tick ${instrument.priceTick.toString()}`,
    );
  }
  return null;
}

/**
 * What a buy reserves per unit: the quote price its reservation is based on (times the market buffer for orders that
 * execute at market), times the fee factor (a null buffer or fee factor is a factor of exactly 1); null when nothing is
 * known to base it on.
 */
export function reservePerUnit(order: SimOrder, state: SymbolState, marketBuffer: Decimal | null, feeFactor: Decimal | null): Decimal | null {
  const executesAtLimit = TRIGGERABLE_LIMIT_TYPES.has(order.type) || order.type === "LIMIT";
  if (executesAtLimit && order.limitPrice !== null) return scaled(order.limitPrice, feeFactor);
  const market = state.ask ?? state.last ?? state.mark;
  const marketDec = market === undefined ? null : numberToDecimal(market);
  let base: Decimal | null;
  if (order.type === "TRAILING_STOP_LIMIT") {
    // no trigger yet: the limit will sit about offset + limitOffset above today's price
    base = marketDec === null ? null : marketDec.plus(trailingDistance(order.trailing!, marketDec));
  } else if (order.triggerPrice !== null) {
    base = order.triggerPrice;
  } else {
    base = marketDec;
  }
  return base === null ? null : scaled(scaled(base, marketBuffer), feeFactor);
}

function trailingDistance(trailing: TrailingState, price: Decimal): Decimal {
  const total = trailing.offset.plus(trailing.limitOffset ?? ZERO);
  return trailing.offsetType === "PRICE" ? total : price.times(total).dividedBy(BPS);
}

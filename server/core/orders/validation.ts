/**
 * Validation of an order spec before it reaches the risk gate: coded errors a trader can read.
 *
 * Check order (the first failure is returned):
 *  1. identity and enums: client order ids (own, parent, linked), side, type, time in force, trigger source, symbol;
 *  2. quantity (parse, > 0, not absurd);
 *  3. limit price, 4. trigger price, 5. trailing fields: presence for the type, then value;
 *  6. time in force / expiry; 7. post-only;
 *  8. trigger side against the market (skipped without market data);
 *  9. the instrument: quantity step, min/max quantity, price ticks, then min/max notional.
 * Malformed input comes first because nothing after it can be judged without well-formed numbers;
 * market- and venue-dependent checks come last because fixing an earlier error may change their outcome.
 */
import { isValidClientOrderId } from "../ids";
import { checkAgainstInstrument, roundPrice, type Instrument, type InstrumentCheckCode } from "../instrument";
import { cmp, Decimal, isMultipleOf, isPositive, parseDecimal } from "../money";
import { err, ok, type Result } from "../errors";
import {
  LIMIT_PRICE_TYPES,
  ORDER_SIDES,
  ORDER_TYPES,
  TIME_IN_FORCE,
  TRAILING_OFFSET_TYPES,
  TRAILING_TYPES,
  TRIGGER_SOURCES,
  TRIGGER_TYPES,
  type OrderSide,
  type OrderSpec,
  type OrderType,
  type TimeInForce,
  type TrailingOffsetType,
  type TriggerSource,
} from "./types";

export type OrderValidationCode =
  | "INVALID_CLIENT_ORDER_ID"
  | "INVALID_SIDE"
  | "INVALID_ORDER_TYPE"
  | "INVALID_TIME_IN_FORCE"
  | "INVALID_TRIGGER_SOURCE"
  | "UNKNOWN_SYMBOL"
  | "INVALID_QUANTITY"
  | "INVALID_PRICE"
  | "MISSING_PRICE"
  | "UNEXPECTED_PRICE"
  | "MISSING_TRIGGER_PRICE"
  | "INVALID_TRIGGER_PRICE"
  | "UNEXPECTED_TRIGGER_PRICE"
  | "MISSING_TRAILING_OFFSET"
  | "INVALID_TRAILING_OFFSET"
  | "UNEXPECTED_TRAILING_OFFSET"
  | "INVALID_ACTIVATION_PRICE"
  | "GTD_WITHOUT_EXPIRY"
  | "GTD_IN_PAST"
  | "GTD_TOO_FAR"
  | "EXPIRY_WITHOUT_GTD"
  | "POST_ONLY_NOT_LIMIT"
  | "POST_ONLY_WITH_IOC_FOK"
  | "TRIGGER_WRONG_SIDE"
  | InstrumentCheckCode;

/** Quantities and prices above this are input errors (a fat finger or a unit mix-up), whatever the venue allows. */
export const MAX_SANE_AMOUNT = 1e15;
const MAX_SANE_DECIMAL = new Decimal(MAX_SANE_AMOUNT);

/** A GTD expiry further ahead than this is an input error (a year typed wrong, seconds sent as ms): 90 days. */
export const MAX_GTD_AHEAD_MS = 90 * 24 * 60 * 60 * 1000;

/** The spec with its amounts parsed to Decimals and defaults filled in. Still an OrderSpec, so `createOrder` takes it. */
export interface NormalizedSpec extends OrderSpec {
  quantity: Decimal;
  price?: Decimal;
  triggerPrice?: Decimal;
  triggerSource: TriggerSource;
  trailingOffset?: Decimal;
  trailingOffsetType?: TrailingOffsetType;
  activationPrice?: Decimal;
  limitOffset?: Decimal;
  timeInForce: TimeInForce;
  postOnly: boolean;
  reduceOnly: boolean;
  /** Creation time: the spec's, else `ctx.now`. */
  ts: number;
}

export interface MarketSnapshot {
  bid?: number;
  ask?: number;
  last?: number;
}

export interface ValidationContext {
  instrument?: Instrument;
  market?: MarketSnapshot;
  now: number;
}

type Failure = { ok: false; error: { code: OrderValidationCode; message: string; details?: Record<string, unknown> } };
type ValidationResult = Result<NormalizedSpec, OrderValidationCode>;

/** Stops below/above the market; take-profit and limit-if-touched on the other side. */
const STOP_LIKE: ReadonlySet<OrderType> = new Set(["STOP_MARKET", "STOP_LIMIT", "TRAILING_STOP_MARKET", "TRAILING_STOP_LIMIT"]);

const includes = <T extends string>(list: readonly T[], value: unknown): value is T => (list as readonly unknown[]).includes(value);

function fail(code: OrderValidationCode, message: string, details?: Record<string, unknown>): Failure {
  return err(code, message, details);
}

/** Parses a positive, sane amount; returns the Decimal or null. */
function positiveAmount(value: unknown): Decimal | null {
  const d = parseDecimal(value);
  if (d === null || !isPositive(d) || cmp(d, MAX_SANE_DECIMAL) > 0) return null;
  return d;
}

function finitePositive(n: number | undefined): number | null {
  return n !== undefined && Number.isFinite(n) && n > 0 ? n : null;
}

/**
 * The market price a trigger or notional is judged against. For a trigger, the price its source watches
 * (LAST: last, else the side's touch; BID_ASK: ask for buys / bid for sells, else last; MARK: last, as the
 * snapshot has no mark). For notional, the price a market order would pay: the touch, else last.
 */
function referencePrice(market: MarketSnapshot | undefined, side: OrderSide, prefer: "last" | "touch"): number | null {
  if (!market) return null;
  const touch = finitePositive(side === "BUY" ? market.ask : market.bid);
  const last = finitePositive(market.last);
  return prefer === "last" ? (last ?? touch) : (touch ?? last);
}

/** ISO time for messages; raw milliseconds when outside the range Date can print. */
function formatTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? `${ms} ms` : date.toISOString();
}

function invalidLinkedId(linked: string): Failure {
  return fail("INVALID_CLIENT_ORDER_ID", `Linked client order id "${linked}" is invalid: use 1 to 36 characters of letters, digits and . _ : / -.`);
}

/** A refusal when `value` (a price of the order, named by `label`) is not on the instrument's tick; null when it is or is absent. */
function offTickPrice(instrument: Instrument, label: string, value: Decimal | undefined): Failure | null {
  if (value === undefined || isMultipleOf(value, instrument.priceTick)) return null;
  return fail("PRICE_PRECISION", `${instrument.symbol}: ${label} ${value.toString()} is not a multiple of the tick ${instrument.priceTick.toString()}.`, {
    price: value.toString(),
    tick: instrument.priceTick.toString(),
  });
}

export function validateOrderSpec(spec: OrderSpec, ctx: ValidationContext): ValidationResult {
  // 1. identity and enums
  if (typeof spec.clientOrderId !== "string" || !isValidClientOrderId(spec.clientOrderId)) {
    return fail(
      "INVALID_CLIENT_ORDER_ID",
      `Client order id "${String(spec.clientOrderId)}" is invalid: use 1 to 36 characters of letters, digits and . _ : / -.`,
    );
  }
  // The parent first, then the linked ids (no array built for the usual order that has neither).
  if (spec.parentClientOrderId !== undefined && !isValidClientOrderId(spec.parentClientOrderId)) return invalidLinkedId(spec.parentClientOrderId);
  if (spec.linkedClientOrderIds !== undefined) {
    for (const linked of spec.linkedClientOrderIds) if (linked !== undefined && !isValidClientOrderId(linked)) return invalidLinkedId(linked);
  }
  if (!includes(ORDER_SIDES, spec.side)) return fail("INVALID_SIDE", `Side "${String(spec.side)}" is invalid: use BUY or SELL.`);
  if (!includes(ORDER_TYPES, spec.type)) {
    return fail("INVALID_ORDER_TYPE", `Order type "${String(spec.type)}" is invalid: use one of ${ORDER_TYPES.join(", ")}.`);
  }
  const timeInForce = spec.timeInForce ?? "GTC";
  if (!includes(TIME_IN_FORCE, timeInForce)) {
    return fail("INVALID_TIME_IN_FORCE", `Time in force "${String(timeInForce)}" is invalid: use one of ${TIME_IN_FORCE.join(", ")}.`);
  }
  const triggerSource = spec.triggerSource ?? "LAST";
  if (!includes(TRIGGER_SOURCES, triggerSource)) {
    return fail("INVALID_TRIGGER_SOURCE", `Trigger source "${String(triggerSource)}" is invalid: use one of ${TRIGGER_SOURCES.join(", ")}.`);
  }
  if (typeof spec.symbol !== "string" || spec.symbol.length === 0) return fail("UNKNOWN_SYMBOL", "The order has no symbol.");
  if (ctx.instrument && ctx.instrument.symbol !== spec.symbol) {
    return fail("UNKNOWN_SYMBOL", `Symbol ${spec.symbol} does not match the instrument ${ctx.instrument.symbol}.`, {
      symbol: spec.symbol,
      instrument: ctx.instrument.symbol,
    });
  }
  const { side, type } = spec;

  // 2. quantity
  const quantity = positiveAmount(spec.quantity);
  if (quantity === null) {
    return fail("INVALID_QUANTITY", `Quantity ${String(spec.quantity)} is invalid: it must be a positive number no larger than ${MAX_SANE_AMOUNT}.`, {
      quantity: String(spec.quantity),
    });
  }

  // 3. limit price
  const isTrailing = TRAILING_TYPES.has(type);
  let price: Decimal | undefined;
  if (!LIMIT_PRICE_TYPES.has(type)) {
    if (spec.price !== undefined) return fail("UNEXPECTED_PRICE", `A ${type} order takes no limit price (got ${String(spec.price)}).`);
  } else if (spec.price === undefined) {
    // A trailing stop limit may derive its limit price from the trigger with limitOffset.
    if (!(type === "TRAILING_STOP_LIMIT" && spec.limitOffset !== undefined)) {
      return fail(
        "MISSING_PRICE",
        type === "TRAILING_STOP_LIMIT" ? `A ${type} order needs a limit price or a limit offset.` : `A ${type} order needs a limit price.`,
      );
    }
  } else {
    const parsed = positiveAmount(spec.price);
    if (parsed === null)
      return fail("INVALID_PRICE", `Price ${String(spec.price)} is invalid: it must be a positive number no larger than ${MAX_SANE_AMOUNT}.`);
    price = parsed;
  }

  // 4. trigger price (optional for trailing stops: an initial trigger)
  let triggerPrice: Decimal | undefined;
  if (!TRIGGER_TYPES.has(type)) {
    if (spec.triggerPrice !== undefined) {
      return fail("UNEXPECTED_TRIGGER_PRICE", `A ${type} order takes no trigger price (got ${String(spec.triggerPrice)}).`);
    }
  } else if (spec.triggerPrice === undefined) {
    if (!isTrailing) return fail("MISSING_TRIGGER_PRICE", `A ${type} order needs a trigger price.`);
  } else {
    const parsed = positiveAmount(spec.triggerPrice);
    if (parsed === null) return fail("INVALID_TRIGGER_PRICE", `Trigger price ${String(spec.triggerPrice)} is invalid: it must be a positive number.`);
    triggerPrice = parsed;
  }

  // 5. trailing fields
  let trailingOffset: Decimal | undefined;
  let trailingOffsetType: TrailingOffsetType | undefined;
  let activationPrice: Decimal | undefined;
  let limitOffset: Decimal | undefined;
  if (!isTrailing) {
    // Three reads, in this order (no list walked for every plain order).
    const field =
      spec.trailingOffset !== undefined
        ? "trailingOffset"
        : spec.activationPrice !== undefined
          ? "activationPrice"
          : spec.limitOffset !== undefined
            ? "limitOffset"
            : null;
    if (field !== null) return fail("UNEXPECTED_TRAILING_OFFSET", `A ${type} order takes no ${field}: only trailing stops do.`);
  } else {
    if (spec.trailingOffset === undefined) return fail("MISSING_TRAILING_OFFSET", `A ${type} order needs a trailing offset.`);
    trailingOffsetType = spec.trailingOffsetType ?? "PRICE";
    if (!includes(TRAILING_OFFSET_TYPES, trailingOffsetType)) {
      return fail("INVALID_TRAILING_OFFSET", `Trailing offset type "${String(trailingOffsetType)}" is invalid: use PRICE or BASIS_POINTS.`);
    }
    const offset = positiveAmount(spec.trailingOffset);
    if (offset === null || (trailingOffsetType === "BASIS_POINTS" && offset.greaterThanOrEqualTo(10_000))) {
      return fail(
        "INVALID_TRAILING_OFFSET",
        trailingOffsetType === "BASIS_POINTS"
          ? `Trailing offset ${String(spec.trailingOffset)} bp is invalid: it must be above 0 and below 10000 bp.`
          : `Trailing offset ${String(spec.trailingOffset)} is invalid: it must be a positive price distance.`,
      );
    }
    trailingOffset = offset;
    if (spec.activationPrice !== undefined) {
      const parsed = positiveAmount(spec.activationPrice);
      if (parsed === null)
        return fail("INVALID_ACTIVATION_PRICE", `Activation price ${String(spec.activationPrice)} is invalid: it must be a positive number.`);
      activationPrice = parsed;
    }
    if (spec.limitOffset !== undefined) {
      if (type !== "TRAILING_STOP_LIMIT") return fail("UNEXPECTED_TRAILING_OFFSET", `A ${type} order takes no limit offset: only TRAILING_STOP_LIMIT does.`);
      const parsed = parseDecimal(spec.limitOffset);
      if (parsed === null || parsed.isNegative() || parsed.greaterThan(MAX_SANE_AMOUNT)) {
        return fail("INVALID_TRAILING_OFFSET", `Limit offset ${String(spec.limitOffset)} is invalid: it must be zero or a positive number.`);
      }
      limitOffset = parsed;
    }
  }

  // 6. time in force and expiry
  if (timeInForce === "GTD") {
    if (spec.expireAt === undefined || !Number.isFinite(spec.expireAt)) {
      return fail("GTD_WITHOUT_EXPIRY", "A GTD (good-till-date) order needs a valid expiry time.");
    }
    if (spec.expireAt <= ctx.now) {
      return fail("GTD_IN_PAST", `The expiry ${formatTime(spec.expireAt)} is not in the future (now ${formatTime(ctx.now)}).`, {
        expireAt: spec.expireAt,
        now: ctx.now,
      });
    }
    if (spec.expireAt > ctx.now + MAX_GTD_AHEAD_MS) {
      return fail("GTD_TOO_FAR", `The expiry ${formatTime(spec.expireAt)} is more than 90 days ahead (now ${formatTime(ctx.now)}): choose an earlier time.`, {
        expireAt: spec.expireAt,
        now: ctx.now,
      });
    }
  } else if (spec.expireAt !== undefined) {
    return fail("EXPIRY_WITHOUT_GTD", `An expiry time needs time in force GTD, not ${timeInForce}.`);
  }

  // 7. post-only: a maker-only order must rest on the book as a limit
  const postOnly = spec.postOnly ?? false;
  if (postOnly && !LIMIT_PRICE_TYPES.has(type)) return fail("POST_ONLY_NOT_LIMIT", `Post-only needs a limit price; a ${type} order takes liquidity.`);
  if (postOnly && (timeInForce === "IOC" || timeInForce === "FOK")) {
    return fail("POST_ONLY_WITH_IOC_FOK", `Post-only cannot be combined with ${timeInForce}: a post-only order must rest on the book.`);
  }

  // 8. trigger side: a trigger already crossed would fire at once (venues refuse "would immediately trigger")
  if (triggerPrice !== undefined) {
    const reference = referencePrice(ctx.market, side, triggerSource === "BID_ASK" ? "touch" : "last");
    if (reference !== null) {
      const trigger = triggerPrice.toNumber();
      // BUY stop above the market, SELL stop below; take-profit and LIT the opposite. Equal counts as crossed.
      const mustBeAbove = STOP_LIKE.has(type) === (side === "BUY");
      const wrong = mustBeAbove ? trigger <= reference : trigger >= reference;
      if (wrong) {
        return fail(
          "TRIGGER_WRONG_SIDE",
          `A ${side} ${type} trigger at ${triggerPrice.toString()} must be ${mustBeAbove ? "above" : "below"} the market price ${reference}; it would trigger immediately.`,
          { triggerPrice: triggerPrice.toString(), market: reference },
        );
      }
    }
  }

  // 9. the instrument's precision and limits
  if (ctx.instrument) {
    const instrument = ctx.instrument;
    const qtyCheck = checkAgainstInstrument(instrument, quantity, null);
    if (!qtyCheck.ok) return qtyCheck;
    // In this order: price, trigger price, activation price (a market order has none: nothing to build).
    const offTick = offTickPrice(instrument, "price", price) ?? offTickPrice(instrument, "trigger price", triggerPrice);
    if (offTick) return offTick;
    const offTickActivation = offTickPrice(instrument, "activation price", activationPrice);
    if (offTickActivation) return offTickActivation;
    // Notional at the limit price, else the trigger, else what the market would pay (rounded to the tick).
    const market = referencePrice(ctx.market, side, "touch");
    // (The market price is rounded to the tick only when there is a notional bound to hold it against.)
    const bounded = isPositive(instrument.minNotional) || instrument.maxNotional !== null;
    const notionalPrice = price ?? triggerPrice ?? (market === null || !bounded ? null : roundPrice(instrument, market));
    if (notionalPrice !== null) {
      const notionalCheck = checkAgainstInstrument(instrument, quantity, notionalPrice);
      if (!notionalCheck.ok) return notionalCheck;
    }
  }

  // Field by field, not `{ ...spec, … }`: specs arrive in many shapes, and V8 builds a spread-then-override
  // literal through its slow path (it was most of this function's time on the order path).
  // A plain market order (most of them: entries and closes) without the eleven fields it has no use for: the journal
  // keeps every intent, and absent and undefined read alike (JSON drops both; readers test `!== undefined`).
  if (
    price === undefined &&
    triggerPrice === undefined &&
    trailingOffset === undefined &&
    limitOffset === undefined &&
    spec.expireAt === undefined &&
    spec.listId === undefined &&
    spec.contingency === undefined &&
    spec.linkedClientOrderIds === undefined &&
    spec.parentClientOrderId === undefined
  ) {
    return ok({
      clientOrderId: spec.clientOrderId,
      symbol: spec.symbol,
      side,
      type,
      quantity,
      triggerSource,
      timeInForce,
      postOnly,
      reduceOnly: spec.reduceOnly ?? false,
      tags: spec.tags,
      venue: spec.venue,
      ts: spec.ts ?? ctx.now,
    });
  }
  const normalized: NormalizedSpec = {
    clientOrderId: spec.clientOrderId,
    symbol: spec.symbol,
    side,
    type,
    quantity,
    price,
    triggerPrice,
    triggerSource,
    trailingOffset,
    trailingOffsetType,
    activationPrice,
    limitOffset,
    timeInForce,
    expireAt: spec.expireAt,
    postOnly,
    reduceOnly: spec.reduceOnly ?? false,
    tags: spec.tags,
    listId: spec.listId,
    contingency: spec.contingency,
    linkedClientOrderIds: spec.linkedClientOrderIds,
    parentClientOrderId: spec.parentClientOrderId,
    venue: spec.venue,
    ts: spec.ts ?? ctx.now,
  };
  return ok(normalized);
}

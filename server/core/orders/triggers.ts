/**
 * When does a trigger order fire, and where does a trailing stop's trigger sit?
 * Comparisons use plain numbers (market data arrives as numbers and this runs on every tick);
 * trailing trigger and limit prices are Decimals because they become order prices.
 */
import { Decimal, roundToStep } from "../money";
import { type OrderSide, type OrderType, type TrailingState, type TriggerSource } from "./types";

/** What the market looks like right now. Any field may be missing (a trade feed has no bid/ask). */
export interface MarketObservation {
  last?: number;
  bid?: number;
  ask?: number;
  mark?: number;
}

/** Triggers when the watched price is at or above the trigger, or at or below it. */
export type TriggerDirection = "AT_OR_ABOVE" | "AT_OR_BELOW";

/**
 * The price an order watches: LAST the last trade, MARK the mark price, BID_ASK the side it would
 * take (a buy watches the ask, a sell the bid). Undefined when the observation lacks it.
 */
export function watchedPrice(source: TriggerSource, side: OrderSide, observation: MarketObservation): number | undefined {
  switch (source) {
    case "LAST":
      return observation.last;
    case "MARK":
      return observation.mark;
    case "BID_ASK":
      return side === "BUY" ? observation.ask : observation.bid;
  }
}

/**
 * Stops (and trailing stops) fire when the price moves against the position they protect:
 * a buy stop at or above its trigger, a sell stop at or below. Take-profits and limit-if-touched
 * fire on a favourable move: a buy at or below, a sell at or above. Null for types without a trigger.
 */
export function triggerDirection(type: OrderType, side: OrderSide): TriggerDirection | null {
  switch (type) {
    case "STOP_MARKET":
    case "STOP_LIMIT":
    case "TRAILING_STOP_MARKET":
    case "TRAILING_STOP_LIMIT":
      return side === "BUY" ? "AT_OR_ABOVE" : "AT_OR_BELOW";
    case "TAKE_PROFIT_MARKET":
    case "TAKE_PROFIT_LIMIT":
    case "LIMIT_IF_TOUCHED":
      return side === "BUY" ? "AT_OR_BELOW" : "AT_OR_ABOVE";
    case "MARKET":
    case "LIMIT":
      return null;
  }
}

export function crossesTrigger(direction: TriggerDirection, triggerPrice: number, price: number): boolean {
  return direction === "AT_OR_ABOVE" ? price >= triggerPrice : price <= triggerPrice;
}

export interface TriggerCheck {
  type: OrderType;
  side: OrderSide;
  triggerPrice: number;
  triggerSource: TriggerSource;
}

/** True when the observation fires the order. False when the watched price is missing or the type has no trigger. */
export function shouldTrigger(order: TriggerCheck, observation: MarketObservation): boolean {
  const direction = triggerDirection(order.type, order.side);
  if (direction === null) return false;
  const price = watchedPrice(order.triggerSource, order.side, observation);
  if (price === undefined || !Number.isFinite(price)) return false;
  return crossesTrigger(direction, order.triggerPrice, price);
}

// ---------------------------------------------------------------------------------------------
// Trailing stops

export interface TrailingUpdate {
  trailing: TrailingState;
  /** The trigger after this observation; null while no trigger exists yet (not activated, no initial trigger). */
  triggerPrice: Decimal | null;
  /** TRAILING_STOP_LIMIT: the limit that goes with the trigger; null without a limit offset or trigger. */
  limitPrice: Decimal | null;
  /** True when the trailing state or the trigger moved. */
  changed: boolean;
}

export interface TrailingOptions {
  /** Which price the stop watches (default LAST). */
  source?: TriggerSource;
  /** Instrument price tick: triggers and limits are rounded away from the market onto it. */
  tick?: Decimal;
  /** The trigger currently in force (an initial trigger from the order, or the last computed one). */
  currentTriggerPrice?: Decimal | null;
}

const BPS = new Decimal(10_000);

/** Moves `price` by `offset` (a price distance or basis points of `price`), down or up. */
function shift(price: Decimal, offset: Decimal, offsetType: TrailingState["offsetType"], direction: "down" | "up"): Decimal {
  const distance = offsetType === "PRICE" ? offset : price.times(offset).dividedBy(BPS);
  return direction === "down" ? price.minus(distance) : price.plus(distance);
}

/**
 * The trigger for a best price seen: a SELL trailing stop (protecting a long) sits `offset` below the
 * highest price, a BUY stop above the lowest. Rounded away from the market so the distance is never
 * less than the offset.
 */
export function trailingTriggerFor(trailing: TrailingState, side: OrderSide, extremePrice: Decimal, tick?: Decimal): Decimal {
  const direction = side === "SELL" ? "down" : "up";
  const raw = shift(extremePrice, trailing.offset, trailing.offsetType, direction);
  return tick ? roundToStep(raw, tick, direction) : raw;
}

/** TRAILING_STOP_LIMIT: the limit sits `limitOffset` beyond the trigger (below for a sell, above for a buy). */
export function trailingLimitPrice(trailing: TrailingState, side: OrderSide, triggerPrice: Decimal, tick?: Decimal): Decimal | null {
  if (trailing.limitOffset === null) return null;
  const direction = side === "SELL" ? "down" : "up";
  const raw = shift(triggerPrice, trailing.limitOffset, trailing.offsetType, direction);
  return tick ? roundToStep(raw, tick, direction) : raw;
}

/** Keeps the trigger that is more favourable to the position: higher for a sell stop, lower for a buy stop. */
function ratchet(side: OrderSide, current: Decimal | null, candidate: Decimal): Decimal {
  if (current === null) return candidate;
  if (side === "SELL") return candidate.greaterThan(current) ? candidate : current;
  return candidate.lessThan(current) ? candidate : current;
}

/**
 * Feeds one observation to a trailing stop. Activation happens once the watched price reaches the
 * activation price (at or above it for a SELL stop, at or below for a BUY stop; immediately without one).
 * After activation the extreme tracks the best price (highest for SELL, lowest for BUY) and the trigger
 * follows it at the offset, only ever ratcheting towards the market, never back.
 * Does not decide whether the order fires: call `shouldTrigger` with the returned trigger.
 */
export function updateTrailingStop(trailing: TrailingState, side: OrderSide, observation: MarketObservation, options: TrailingOptions = {}): TrailingUpdate {
  const current = options.currentTriggerPrice ?? null;
  const price = watchedPrice(options.source ?? "LAST", side, observation);
  const unchanged = (): TrailingUpdate => ({
    trailing,
    triggerPrice: current,
    limitPrice: current === null ? null : trailingLimitPrice(trailing, side, current, options.tick),
    changed: false,
  });
  if (price === undefined || !Number.isFinite(price)) return unchanged();

  let activated = trailing.activated;
  if (!activated) {
    const activation = trailing.activationPrice;
    activated = activation === null || (side === "SELL" ? price >= activation.toNumber() : price <= activation.toNumber());
    if (!activated) return unchanged();
  }

  const extreme = trailing.extremePrice;
  const improves = extreme === null || (side === "SELL" ? price > extreme.toNumber() : price < extreme.toNumber());
  if (!improves && activated === trailing.activated) return unchanged();

  const nextExtreme = improves ? new Decimal(price) : extreme;
  const next: TrailingState = { ...trailing, activated, extremePrice: nextExtreme };
  const triggerPrice = ratchet(side, current, trailingTriggerFor(next, side, nextExtreme, options.tick));
  return {
    trailing: next,
    triggerPrice,
    limitPrice: trailingLimitPrice(next, side, triggerPrice, options.tick),
    changed: true,
  };
}

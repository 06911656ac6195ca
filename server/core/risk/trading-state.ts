/**
 * TradingState: the engine-wide switch the risk gate consults before anything else (DESIGN.md, invariant 4).
 *   ACTIVE   — every order goes on to the limits.
 *   REDUCING — only orders that shrink exposure: the order's side opposes the net position and its quantity is no
 *              larger than that position (it may close it, never flip it).
 *   HALTED   — only cancels and reduce-only closes (a reduce-only order that shrinks exposure, as above).
 */
import { cmp, isPositive, type Decimal } from "../money";
import { type OrderSide } from "../orders/types";
import { type Result } from "../errors";

export const TRADING_STATES = ["ACTIVE", "REDUCING", "HALTED"] as const;
export type TradingState = (typeof TRADING_STATES)[number];

export type TradingStateDenialCode = "TRADING_HALTED" | "REDUCING_ONLY";

/** The parts of a new order the gate reads. */
export interface GateOrder {
  symbol?: string;
  side: OrderSide;
  quantity: Decimal;
  reduceOnly: boolean;
}

/** A new order, or a cancel (always allowed: cancelling never adds risk). */
export type GateAction = ({ kind?: "order" } & GateOrder) | { kind: "cancel" };

/** The current net position in the order's symbol: positive long, negative short, zero flat. */
export interface SymbolExposure {
  netQty: Decimal;
}

export interface GateOptions {
  /** HALTED lets reduce-only closes through unless this is false (DESIGN.md: "when asked"). Default true. */
  haltedAllowsReduceOnly?: boolean;
}

export interface GatePass {
  /** True when the order shrinks the net position without flipping it. */
  shrinksExposure: boolean;
}

// Shared results: the gate runs for every order, so the passing path allocates nothing.
const PASS_SHRINKING: { ok: true; value: GatePass } = Object.freeze({ ok: true as const, value: Object.freeze({ shrinksExposure: true }) });
const PASS_OTHER: { ok: true; value: GatePass } = Object.freeze({ ok: true as const, value: Object.freeze({ shrinksExposure: false }) });

/**
 * True when an order of `quantity` on `side` shrinks a net position of `netQty` without flipping it:
 * a SELL against a long, or a BUY against a short, for no more than the position's size.
 */
export function shrinksExposure(side: OrderSide, quantity: Decimal, netQty: Decimal): boolean {
  if (!isPositive(quantity)) return false;
  if (side === "SELL") return isPositive(netQty) && cmp(quantity, netQty) <= 0;
  return netQty.isNegative() && !netQty.isZero() && cmp(quantity, netQty.negated()) <= 0;
}

/** "long 1.5", "short 2" or "flat", for messages. */
export function describeNetPosition(netQty: Decimal): string {
  if (netQty.greaterThan(0)) return `long ${netQty.toString()}`;
  if (netQty.lessThan(0)) return `short ${netQty.negated().toString()}`;
  return "flat";
}

function describeOrder(order: GateOrder): string {
  return `${order.reduceOnly ? "reduce-only " : ""}${order.side} ${order.quantity.toString()}${order.symbol ? ` ${order.symbol}` : ""}`;
}

/** Why an order does not shrink the position, for messages. */
export function whyNotShrinking(order: GateOrder, netQty: Decimal): string {
  const position = describeNetPosition(netQty);
  if (netQty.isZero()) return `there is no position to reduce (${position})`;
  const opposes = order.side === "SELL" ? isPositive(netQty) : netQty.isNegative() && !netQty.isZero();
  if (!opposes) return `${order.side} would add to the ${position} position`;
  return `${order.quantity.toString()} is larger than the ${position} position it would reduce`;
}

/**
 * Pure gate on the TradingState. Cancels always pass; ACTIVE passes every order; REDUCING passes orders that shrink
 * exposure (reduce-only or not); HALTED passes only reduce-only orders that shrink exposure.
 * A reduce-only order larger than its position is denied, not clipped: the caller sizes closes to the position.
 */
export function gateByTradingState(
  state: TradingState,
  action: GateAction,
  exposure: SymbolExposure,
  options?: GateOptions,
): Result<GatePass, TradingStateDenialCode> {
  if (action.kind === "cancel") return PASS_OTHER;
  const shrinking = shrinksExposure(action.side, action.quantity, exposure.netQty);
  switch (state) {
    case "ACTIVE":
      return shrinking ? PASS_SHRINKING : PASS_OTHER;
    case "REDUCING":
      if (shrinking) return PASS_SHRINKING;
      return {
        ok: false,
        error: {
          code: "REDUCING_ONLY",
          message: `Trading is in REDUCING mode: only orders that shrink exposure are allowed, and ${describeOrder(action)} does not (${whyNotShrinking(action, exposure.netQty)}).`,
          details: { state, netQty: exposure.netQty.toString() },
        },
      };
    case "HALTED": {
      const allowsReduceOnly = options?.haltedAllowsReduceOnly ?? true;
      if (allowsReduceOnly && action.reduceOnly && shrinking) return PASS_SHRINKING;
      const reason = !allowsReduceOnly
        ? "no new orders are allowed, not even reduce-only closes"
        : !action.reduceOnly
          ? `only cancels and reduce-only closes are allowed, and ${describeOrder(action)} is not reduce-only`
          : `only cancels and reduce-only closes are allowed, and for ${describeOrder(action)} ${whyNotShrinking(action, exposure.netQty)}`;
      return {
        ok: false,
        error: {
          code: "TRADING_HALTED",
          message: `Trading is halted: ${reason}.`,
          details: { state, netQty: exposure.netQty.toString() },
        },
      };
    }
  }
}

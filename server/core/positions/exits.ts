/**
 * Exit rules: stop-loss, take-profit, trailing stop, a take-profit ladder and a maximum age, evaluated against
 * market prices. Pure: they return exit intents and a new state; placing orders is the engine's job.
 *
 * Trigger comparisons use numbers (market data); quantities are Decimal.
 * The price watched is the one an exit would get: the bid for longs and the ask for shorts when given, else `price`.
 * It drives every rule, the trailing watermark included.
 */
import { type Decimal, type DecimalInput, D, ZERO, isPositive, minDec, parseDecimal, roundToStep } from "../money";
import { type OrderSide } from "../orders/types";
import { type Refusal } from "../errors";
import { type Position, type PositionSide, exitSide } from "./book";

/** A level given as an absolute price, or as a percentage move from the average entry price. */
export type PriceOrPct = { readonly price: number } | { readonly pct: number };

export interface TakeProfitLevel {
  /** Profit in percent from the average entry price at which this level fires. */
  readonly pct: number;
  /** Fraction (0, 1] of the quantity remaining when the level fires; 1 closes the exact rest. */
  readonly closeFraction: number;
}

export interface TrailingStopConfig {
  /** Trailing starts once the best price seen is this % in profit; 0 or absent = at once. */
  readonly activationPct?: number;
  /** Distance of the stop from the best price seen: % of that price, or a price amount. */
  readonly distance: PriceOrPct;
}

export interface ExitConfig {
  readonly stopLoss?: PriceOrPct;
  readonly takeProfit?: PriceOrPct;
  readonly trailingStop?: TrailingStopConfig;
  /** Levels in increasing pct order; each fires once. */
  readonly takeProfitLadder?: readonly TakeProfitLevel[];
  /** Close the whole position once it is this old (from position.openedAt). */
  readonly maxAgeMs?: number;
  /** Partial ladder quantities are rounded down to this step; full exits always use the exact remaining quantity. */
  readonly qtyStep?: DecimalInput;
}

export type ExitReason = "stop_loss" | "take_profit" | "trailing_stop" | "max_age";

export interface ExitIntent {
  readonly positionId: string;
  readonly symbol: string;
  readonly reason: ExitReason;
  /** The order side that reduces the position (SELL for a long). */
  readonly side: OrderSide;
  readonly qty: Decimal;
  /** The rule's level that was crossed (for max_age, the market price at expiry). */
  readonly triggerPrice: number;
  /** The exit-side market price that crossed it. */
  readonly marketPrice: number;
  /** Take-profit ladder only: index of the level in config.takeProfitLadder (0-based). */
  readonly level?: number;
  readonly ts: number;
}

export interface ExitState {
  readonly config: ExitConfig;
  /** Indexes of ladder levels that already fired. */
  readonly firedLevels: readonly number[];
  /** Best exit-side price seen: highest for longs, lowest for shorts; null before the first price. */
  readonly watermark: number | null;
  /** Current trailing stop; null until the trailing stop is activated. Only ever moves in the favourable direction. */
  readonly trailingStop: number | null;
}

export interface MarketPrice {
  price: number;
  ts: number;
  bid?: number;
  ask?: number;
}

export type ExitConfigErrorCode =
  "INVALID_STOP_LOSS" | "INVALID_TAKE_PROFIT" | "INVALID_TRAILING_STOP" | "INVALID_LADDER" | "INVALID_MAX_AGE" | "INVALID_QTY_STEP" | "INCONSISTENT_LEVELS";

/** No ladder level fired yet: one frozen list shared by every new state (a position's state is kept in its stored record). */
const NONE_FIRED: readonly number[] = Object.freeze([]);

export function createExitState(config: ExitConfig): ExitState {
  return { config, firedLevels: NONE_FIRED, watermark: null, trailingStop: null };
}

/**
 * Swaps the rules of a live position (a trader moved the stop). Fired ladder levels (by index) and the watermark are
 * kept; the trailing stop is recomputed from the watermark with the new distance on the next evaluation.
 */
export function withExitConfig(state: ExitState, config: ExitConfig): ExitState {
  return { ...state, config, trailingStop: null };
}

const isPositiveFinite = (n: unknown): n is number => typeof n === "number" && Number.isFinite(n) && n > 0;

/** Shows an untrusted config value in a message. */
function show(value: unknown): string {
  if (typeof value === "number") return String(value);
  return JSON.stringify(value) ?? "undefined";
}

function checkPriceOrPct(value: unknown, what: string, maxPct: number | null): string | null {
  if (typeof value !== "object" || value === null) return `${what} must be { price } or { pct }.`;
  const { price, pct } = value as { price?: unknown; pct?: unknown };
  const hasPrice = price !== undefined;
  if (hasPrice === (pct !== undefined)) return `${what} must have exactly one of price or pct.`;
  if (hasPrice) {
    return isPositiveFinite(price) ? null : `${what} price is ${show(price)}; it must be a positive number.`;
  }
  if (!isPositiveFinite(pct)) return `${what} is ${show(pct)}%; it must be a positive number.`;
  if (maxPct !== null && pct >= maxPct) return `${what} is ${pct}%; it must be below ${maxPct}% or the level would be at or below price 0.`;
  return null;
}

/**
 * Checks an exit config; returns every problem found (empty = valid). With `side`, also checks what only makes sense
 * per side: a long's stop-loss % and a short's take-profit % must stay below 100, and price levels must sit on the
 * right side of each other.
 */
export function validateExitConfig(config: ExitConfig, side?: PositionSide): Refusal<ExitConfigErrorCode>[] {
  const errors: Refusal<ExitConfigErrorCode>[] = [];
  const add = (code: ExitConfigErrorCode, message: string | null): void => {
    if (message !== null) errors.push({ code, message });
  };

  if (config.stopLoss !== undefined) add("INVALID_STOP_LOSS", checkPriceOrPct(config.stopLoss, "Stop-loss", side === "LONG" ? 100 : null));
  if (config.takeProfit !== undefined) {
    add("INVALID_TAKE_PROFIT", checkPriceOrPct(config.takeProfit, "Take-profit", side === "SHORT" ? 100 : null));
  }

  if (config.trailingStop !== undefined) {
    const t = config.trailingStop as Partial<TrailingStopConfig> | null;
    if (typeof t !== "object" || t === null) {
      add("INVALID_TRAILING_STOP", "Trailing stop must be { distance, activationPct? }.");
    } else {
      if (t.activationPct !== undefined && !(typeof t.activationPct === "number" && Number.isFinite(t.activationPct) && t.activationPct >= 0)) {
        add("INVALID_TRAILING_STOP", `Trailing stop activation is ${show(t.activationPct)}%; it must be 0 or more.`);
      }
      add("INVALID_TRAILING_STOP", checkPriceOrPct(t.distance, "Trailing stop distance", 100));
    }
  }

  if (config.takeProfitLadder !== undefined) {
    const ladder = config.takeProfitLadder as readonly unknown[] | null;
    if (!Array.isArray(ladder) || ladder.length === 0) {
      add("INVALID_LADDER", "A take-profit ladder needs at least one level.");
    } else {
      let previousPct = 0;
      let closedAll = false;
      ladder.forEach((raw: unknown, i) => {
        const level = raw as Partial<TakeProfitLevel> | null;
        const n = i + 1;
        if (typeof level !== "object" || level === null) {
          add("INVALID_LADDER", `Ladder level ${n} must be { pct, closeFraction }.`);
          return;
        }
        if (closedAll) add("INVALID_LADDER", `Ladder level ${n} can never fire: an earlier level closes the whole position.`);
        if (!isPositiveFinite(level.pct)) {
          add("INVALID_LADDER", `Ladder level ${n} is at ${show(level.pct)}%; it must be a positive number.`);
        } else {
          if (level.pct <= previousPct) {
            add("INVALID_LADDER", `Ladder level ${n} is at ${level.pct}%; levels must increase (previous ${previousPct}%).`);
          }
          if (side === "SHORT" && level.pct >= 100) add("INVALID_LADDER", `Ladder level ${n} is at ${level.pct}%; a short can gain less than 100%.`);
          previousPct = level.pct;
        }
        if (!isPositiveFinite(level.closeFraction) || level.closeFraction > 1) {
          add("INVALID_LADDER", `Ladder level ${n} closes ${show(level.closeFraction)} of the position; it must be above 0 and at most 1.`);
        } else if (level.closeFraction === 1) {
          closedAll = true;
        }
      });
    }
  }

  if (config.maxAgeMs !== undefined && !isPositiveFinite(config.maxAgeMs)) {
    add("INVALID_MAX_AGE", `Maximum position age is ${show(config.maxAgeMs)} ms; it must be a positive number.`);
  }

  if (config.qtyStep !== undefined) {
    const step = parseDecimal(config.qtyStep);
    if (step === null || !isPositive(step)) add("INVALID_QTY_STEP", `Quantity step is ${show(config.qtyStep)}; it must be a positive number.`);
  }

  if (side !== undefined && config.stopLoss && config.takeProfit && "price" in config.stopLoss && "price" in config.takeProfit) {
    const sl = config.stopLoss.price;
    const tp = config.takeProfit.price;
    if (side === "LONG" && sl >= tp) add("INCONSISTENT_LEVELS", `A long's stop-loss (${sl}) must be below its take-profit (${tp}).`);
    if (side === "SHORT" && sl <= tp) add("INCONSISTENT_LEVELS", `A short's stop-loss (${sl}) must be above its take-profit (${tp}).`);
  }
  return errors;
}

/** +1 for longs, −1 for shorts: profit moves price in this direction. */
function direction(side: PositionSide): 1 | -1 {
  return side === "LONG" ? 1 : -1;
}

/** A level `pct` percent in the favourable (dir = +1) or adverse (dir = −1) direction from `entry`. */
function levelFromEntry(side: PositionSide, entry: number, pct: number, favourable: boolean): number {
  const sign = direction(side) * (favourable ? 1 : -1);
  // (100 ± pct) / 100 keeps round levels round in binary floating point (100 × 108 / 100 is exactly 108).
  return (entry * (100 + sign * pct)) / 100;
}

/** True when `price` is at or beyond `level` in the favourable direction. */
function reachedFavourable(side: PositionSide, price: number, level: number): boolean {
  return side === "LONG" ? price >= level : price <= level;
}

/** True when `price` is at or beyond `level` in the adverse direction. */
function reachedAdverse(side: PositionSide, price: number, level: number): boolean {
  return side === "LONG" ? price <= level : price >= level;
}

export interface ExitLevels {
  stopLoss: number | null;
  takeProfit: number | null;
  trailingStop: number | null;
  /** Ladder levels not yet fired: index and price. */
  ladder: { level: number; price: number; closeFraction: number }[];
}

/** The price levels the rules currently watch, for display and for evaluation. */
export function exitLevels(position: Position, state: ExitState): ExitLevels {
  const { config } = state;
  const entry = position.avgEntryPrice?.toNumber() ?? null;
  const level = (rule: PriceOrPct | undefined, favourable: boolean): number | null => {
    if (rule === undefined) return null;
    if ("price" in rule) return rule.price;
    return entry === null ? null : levelFromEntry(position.side, entry, rule.pct, favourable);
  };
  const ladder =
    entry === null || config.takeProfitLadder === undefined
      ? []
      : config.takeProfitLadder
          .map((l, i) => ({ level: i, price: levelFromEntry(position.side, entry, l.pct, true), closeFraction: l.closeFraction }))
          .filter((l) => !state.firedLevels.includes(l.level));
  return {
    stopLoss: level(config.stopLoss, false),
    takeProfit: level(config.takeProfit, true),
    trailingStop: state.trailingStop,
    ladder,
  };
}

/** Moves the watermark and ratchets the trailing stop for one exit-side price. */
function advanceTrailing(position: Position, state: ExitState, exitPrice: number, entry: number): ExitState {
  const side = position.side;
  const watermark = state.watermark === null ? exitPrice : side === "LONG" ? Math.max(state.watermark, exitPrice) : Math.min(state.watermark, exitPrice);
  const trailing = state.config.trailingStop;
  if (trailing === undefined) return { ...state, watermark };

  let trailingStop = state.trailingStop;
  const activationPct = trailing.activationPct ?? 0;
  const activated = trailingStop !== null || activationPct <= 0 || reachedFavourable(side, watermark, levelFromEntry(side, entry, activationPct, true));
  if (activated) {
    const distance = "price" in trailing.distance ? trailing.distance.price : (watermark * trailing.distance.pct) / 100;
    const candidate = side === "LONG" ? watermark - distance : watermark + distance;
    // Ratchet: the stop only ever tightens.
    trailingStop = trailingStop === null ? candidate : side === "LONG" ? Math.max(trailingStop, candidate) : Math.min(trailingStop, candidate);
  }
  return { ...state, watermark, trailingStop };
}

/**
 * Evaluates the rules of one position against one market price.
 *
 * - Only OPEN and SCALING positions produce intents. A CLOSING position (an exit is already working) only moves the
 *   watermark and trailing stop; OPENING and CLOSED positions are returned untouched.
 * - Priority when several rules fire on one price: stop-loss, trailing stop, max age, take-profit (fixed, then the
 *   ladder). Stop-loss, trailing, max age and fixed take-profit close the whole quantity, so at most one of them is
 *   returned; ladder levels close fractions of what remains, several may fire at once (one intent per level).
 * - The intents of one call never add up to more than position.quantity. Orders still working from earlier intents
 *   are the engine's concern (it marks the position SCALING/CLOSING and cancels what a full exit supersedes).
 * - A ladder level whose quantity rounds down to 0 at qtyStep is marked fired without an intent.
 */
export function evaluateExits(position: Position, state: ExitState, market: MarketPrice): { intents: ExitIntent[]; state: ExitState } {
  const active = position.state === "OPEN" || position.state === "SCALING" || position.state === "CLOSING";
  if (!active || position.quantity.isZero() || position.avgEntryPrice === null) return { intents: [], state };

  const side = position.side;
  const exitPrice = side === "LONG" ? (market.bid ?? market.price) : (market.ask ?? market.price);
  if (!isPositiveFinite(exitPrice)) return { intents: [], state };

  const entry = position.avgEntryPrice.toNumber();
  const next = advanceTrailing(position, state, exitPrice, entry);
  if (position.state === "CLOSING") return { intents: [], state: next };

  const config = next.config;
  const levels = exitLevels(position, next);
  const orderSide = exitSide(side);
  const intent = (reason: ExitReason, qty: Decimal, triggerPrice: number, level?: number): ExitIntent => ({
    positionId: position.id,
    symbol: position.symbol,
    reason,
    side: orderSide,
    qty,
    triggerPrice,
    marketPrice: exitPrice,
    ...(level === undefined ? {} : { level }),
    ts: market.ts,
  });
  const all = position.quantity;

  if (levels.stopLoss !== null && reachedAdverse(side, exitPrice, levels.stopLoss)) {
    return { intents: [intent("stop_loss", all, levels.stopLoss)], state: next };
  }
  if (next.trailingStop !== null && reachedAdverse(side, exitPrice, next.trailingStop)) {
    return { intents: [intent("trailing_stop", all, next.trailingStop)], state: next };
  }
  if (config.maxAgeMs !== undefined && market.ts - position.openedAt >= config.maxAgeMs) {
    return { intents: [intent("max_age", all, exitPrice)], state: next };
  }
  if (levels.takeProfit !== null && reachedFavourable(side, exitPrice, levels.takeProfit)) {
    return { intents: [intent("take_profit", all, levels.takeProfit)], state: next };
  }

  const intents: ExitIntent[] = [];
  const fired = [...next.firedLevels];
  const step = config.qtyStep === undefined ? null : parseDecimal(config.qtyStep);
  let remaining = all;
  for (const level of levels.ladder) {
    if (remaining.isZero()) break;
    if (!reachedFavourable(side, exitPrice, level.price)) continue;
    let qty: Decimal;
    if (level.closeFraction >= 1) {
      qty = remaining;
    } else {
      const raw = remaining.times(D(level.closeFraction));
      qty = minDec(remaining, step !== null && isPositive(step) ? roundToStep(raw, step, "down") : raw);
    }
    fired.push(level.level);
    if (qty.greaterThan(ZERO)) {
      intents.push(intent("take_profit", qty, level.price, level.level));
      remaining = remaining.minus(qty);
    }
  }
  return { intents, state: fired.length === next.firedLevels.length ? next : { ...next, firedLevels: fired } };
}

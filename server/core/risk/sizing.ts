/**
 * Position sizing: how much to trade. Every method returns a Decimal quantity after the same finishing steps:
 *   raw quantity → capped by maxQty → capped by maxNotional / price → rounded DOWN to qtyStep → below minQty = 0.
 * Rounding is always down so a cap is never exceeded. A zero quantity is a valid answer and comes with a reason;
 * invalid inputs are coded errors.
 *
 * Fractions (risk per trade, equity fraction, Kelly multipliers) are plain fractions: 0.01 = 1%. They must lie in
 * (0, 1] — a value like 5 is far more likely "5%" typed wrongly than a wish for 5× leverage.
 */
import { Decimal, ONE, ZERO } from "../money";
import { type OrderSide } from "../orders/types";
import { err, ok, type Result } from "../errors";

export type SizingErrorCode =
  | "NON_POSITIVE_EQUITY"
  | "NON_POSITIVE_PRICE"
  | "STOP_AT_ENTRY"
  | "STOP_WRONG_SIDE"
  | "INVALID_FRACTION"
  | "INVALID_ATR"
  | "INVALID_CONFIDENCE"
  | "INVALID_BASE_SIZE"
  | "INVALID_WIN_RATE"
  | "INVALID_PAYOFF_RATIO"
  | "INVALID_CONSTRAINT"
  | "MISSING_PRICE";

export type ZeroSizeCode = "ZERO_RAW_SIZE" | "CAPPED_TO_ZERO" | "BELOW_QTY_STEP" | "BELOW_MIN_QTY" | "BELOW_MIN_CONFIDENCE" | "NO_EDGE" | "AT_TARGET_WEIGHT";

export interface SizingConstraints {
  /** Round the quantity down to a multiple of this step (the instrument's qtyStep). */
  qtyStep?: Decimal;
  maxQty?: Decimal;
  /** Cap on quantity × price; needs a price. */
  maxNotional?: Decimal;
  /** Below this (after rounding) the size is zero: the order would be refused by the venue anyway. */
  minQty?: Decimal;
}

export interface SizeResult {
  quantity: Decimal;
  /** The size before caps and rounding. */
  rawQuantity: Decimal;
  /** quantity × price, when a price is known. */
  notional: Decimal | null;
  cappedBy: "MAX_QTY" | "MAX_NOTIONAL" | null;
  zeroReason: { code: ZeroSizeCode; message: string } | null;
}

export type SizeOutcome = Result<SizeResult, SizingErrorCode>;

/** Division that rounds down, so a quantity derived from a cap never exceeds it. */
const DecimalDown = Decimal.clone({ rounding: Decimal.ROUND_DOWN });

function isFiniteDecimal(d: unknown): d is Decimal {
  return Decimal.isDecimal(d) && d.isFinite();
}

function checkConstraints(c: SizingConstraints, price: Decimal | undefined): { ok: false; error: { code: SizingErrorCode; message: string } } | null {
  for (const [name, value] of [
    ["qtyStep", c.qtyStep],
    ["maxQty", c.maxQty],
    ["maxNotional", c.maxNotional],
    ["minQty", c.minQty],
  ] as const) {
    if (value === undefined) continue;
    if (!isFiniteDecimal(value) || value.lessThan(0) || (name === "qtyStep" && value.isZero())) {
      return err("INVALID_CONSTRAINT", `${name} must be a finite ${name === "qtyStep" ? "positive" : "non-negative"} number, not ${String(value)}.`);
    }
  }
  if (c.maxNotional !== undefined && price === undefined) return err("MISSING_PRICE", "A price is needed to apply the maximum notional.");
  return null;
}

/** A size of nothing for a stated reason; a bad constraint is still an error, not a zero. */
function zeroSize(constraints: SizingConstraints | undefined, price: Decimal | undefined, code: ZeroSizeCode, message: string): SizeOutcome {
  const invalid = checkConstraints(constraints ?? {}, price);
  if (invalid) return invalid;
  return ok({ quantity: ZERO, rawQuantity: ZERO, notional: price === undefined ? null : ZERO, cappedBy: null, zeroReason: { code, message } });
}

/** Applies caps, step rounding and the minimum to a raw quantity. */
export function finishSize(rawQuantity: Decimal, price: Decimal | undefined, constraints: SizingConstraints = {}): SizeOutcome {
  const invalid = checkConstraints(constraints, price);
  if (invalid) return invalid;
  let qty = rawQuantity.greaterThan(0) ? rawQuantity : ZERO;
  let cappedBy: SizeResult["cappedBy"] = null;
  if (constraints.maxQty !== undefined && qty.greaterThan(constraints.maxQty)) {
    qty = constraints.maxQty;
    cappedBy = "MAX_QTY";
  }
  if (constraints.maxNotional !== undefined && price !== undefined && qty.times(price).greaterThan(constraints.maxNotional)) {
    qty = new Decimal(new DecimalDown(constraints.maxNotional).dividedBy(price));
    cappedBy = "MAX_NOTIONAL";
  }
  const beforeRounding = qty;
  if (constraints.qtyStep !== undefined) qty = qty.dividedBy(constraints.qtyStep).floor().times(constraints.qtyStep);
  let zeroReason: SizeResult["zeroReason"] = null;
  if (!rawQuantity.greaterThan(0)) {
    zeroReason = { code: "ZERO_RAW_SIZE", message: `The computed size ${rawQuantity.toString()} is not positive.` };
  } else if (qty.isZero()) {
    zeroReason = beforeRounding.isZero()
      ? { code: "CAPPED_TO_ZERO", message: `The ${cappedBy === "MAX_QTY" ? "maximum quantity" : "maximum notional"} is zero.` }
      : {
          code: "BELOW_QTY_STEP",
          message: `The size ${beforeRounding.toString()} is smaller than one quantity step of ${String(constraints.qtyStep)}.`,
        };
  } else if (constraints.minQty !== undefined && qty.greaterThan(0) && qty.lessThan(constraints.minQty)) {
    zeroReason = { code: "BELOW_MIN_QTY", message: `The size ${qty.toString()} is below the minimum quantity of ${constraints.minQty.toString()}.` };
    qty = ZERO;
  }
  return ok({ quantity: qty, rawQuantity, notional: price === undefined ? null : qty.times(price), cappedBy, zeroReason });
}

function checkEquity(equity: Decimal): { ok: false; error: { code: SizingErrorCode; message: string } } | null {
  if (!isFiniteDecimal(equity) || !equity.greaterThan(0)) return err("NON_POSITIVE_EQUITY", `Equity must be positive to size a trade, not ${String(equity)}.`);
  return null;
}

function checkPrice(price: Decimal, name = "price"): { ok: false; error: { code: SizingErrorCode; message: string } } | null {
  if (!isFiniteDecimal(price) || !price.greaterThan(0)) return err("NON_POSITIVE_PRICE", `The ${name} must be positive, not ${String(price)}.`);
  return null;
}

function checkFraction(value: number, name: string): { ok: false; error: { code: SizingErrorCode; message: string } } | null {
  if (!Number.isFinite(value) || value <= 0 || value > 1) {
    return err("INVALID_FRACTION", `${name} must be a fraction above 0 and at most 1 (0.01 = 1%), not ${value}.`);
  }
  return null;
}

/** Fixed fraction of equity: notional = equity × fraction, quantity = notional / price. */
export function sizeFixedFraction(input: { equity: Decimal; fraction: number; price: Decimal }, constraints?: SizingConstraints): SizeOutcome {
  const invalid = checkEquity(input.equity) ?? checkFraction(input.fraction, "fraction") ?? checkPrice(input.price);
  if (invalid) return invalid;
  const raw = input.equity.times(input.fraction).dividedBy(input.price);
  return finishSize(raw, input.price, constraints);
}

/**
 * Fixed risk per trade: lose `riskFraction` of equity if the stop is hit.
 * quantity = equity × riskFraction / |entry − stop|. With a side, the stop must be on the losing side of the entry.
 */
export function sizeFixedRisk(
  input: { equity: Decimal; riskFraction: number; entry: Decimal; stop: Decimal; side?: OrderSide },
  constraints?: SizingConstraints,
): SizeOutcome {
  const invalid =
    checkEquity(input.equity) ??
    checkFraction(input.riskFraction, "riskFraction") ??
    checkPrice(input.entry, "entry price") ??
    checkPrice(input.stop, "stop price");
  if (invalid) return invalid;
  const distance = input.entry.minus(input.stop).abs();
  if (distance.isZero()) return err("STOP_AT_ENTRY", `The stop ${input.stop.toString()} is at the entry price: the risk per unit would be zero.`);
  if (input.side === "BUY" && input.stop.greaterThan(input.entry)) {
    return err("STOP_WRONG_SIDE", `A long entry at ${input.entry.toString()} needs its stop below it, not at ${input.stop.toString()}.`);
  }
  if (input.side === "SELL" && input.stop.lessThan(input.entry)) {
    return err("STOP_WRONG_SIDE", `A short entry at ${input.entry.toString()} needs its stop above it, not at ${input.stop.toString()}.`);
  }
  const raw = input.equity.times(input.riskFraction).dividedBy(distance);
  return finishSize(raw, input.entry, constraints);
}

/** Volatility-based: the stop sits atrMultiple × ATR away. quantity = equity × riskFraction / (atrMultiple × ATR). */
export function sizeByVolatility(
  input: { equity: Decimal; riskFraction: number; atr: Decimal | number; atrMultiple: number; price: Decimal },
  constraints?: SizingConstraints,
): SizeOutcome {
  const invalid = checkEquity(input.equity) ?? checkFraction(input.riskFraction, "riskFraction") ?? checkPrice(input.price);
  if (invalid) return invalid;
  const atrValue = typeof input.atr === "number" ? (Number.isFinite(input.atr) ? new Decimal(input.atr) : null) : input.atr;
  if (atrValue === null || !isFiniteDecimal(atrValue) || !atrValue.greaterThan(0)) {
    return err("INVALID_ATR", `The ATR must be positive, not ${String(input.atr)}.`);
  }
  if (!Number.isFinite(input.atrMultiple) || input.atrMultiple <= 0) {
    return err("INVALID_ATR", `The ATR multiple must be positive, not ${input.atrMultiple}.`);
  }
  const raw = input.equity.times(input.riskFraction).dividedBy(atrValue.times(input.atrMultiple));
  return finishSize(raw, input.price, constraints);
}

/**
 * Confidence-scaled: baseQty × clamp(confidence, 0, 1). Below `minConfidence` the size is zero (with a reason).
 * The price is optional; it is needed only for a notional cap.
 */
export function sizeByConfidence(
  input: { baseQty: Decimal; confidence: number; minConfidence?: number; price?: Decimal },
  constraints?: SizingConstraints,
): SizeOutcome {
  if (!isFiniteDecimal(input.baseQty) || !input.baseQty.greaterThan(0)) {
    return err("INVALID_BASE_SIZE", `The base size must be positive, not ${String(input.baseQty)}.`);
  }
  if (!Number.isFinite(input.confidence)) return err("INVALID_CONFIDENCE", `Confidence must be a number from 0 to 1, not ${input.confidence}.`);
  if (input.minConfidence !== undefined && !(Number.isFinite(input.minConfidence) && input.minConfidence >= 0 && input.minConfidence <= 1)) {
    return err("INVALID_CONFIDENCE", `The minimum confidence must be from 0 to 1, not ${input.minConfidence}.`);
  }
  if (input.price !== undefined) {
    const invalid = checkPrice(input.price);
    if (invalid) return invalid;
  }
  const clamped = Math.min(1, Math.max(0, input.confidence));
  if (clamped === 0 || (input.minConfidence !== undefined && clamped < input.minConfidence)) {
    return zeroSize(
      constraints,
      input.price,
      "BELOW_MIN_CONFIDENCE",
      `Confidence ${input.confidence} is below the minimum of ${input.minConfidence ?? 0}${clamped === 0 ? " (a zero confidence sizes to nothing)" : ""}.`,
    );
  }
  return finishSize(input.baseQty.times(clamped), input.price, constraints);
}

/**
 * Toward a target weight (allocation.ts): the symbol should hold `bookFraction × targetWeight` of equity, so the entry
 * buys the gap between that and what the symbol already holds on this side (`heldNotional`: its positions at their
 * marks plus its open entries). At or above the target the size is zero (AT_TARGET_WEIGHT): the entry never pushes a
 * symbol past its weight. The weight is a statistic (a float); the notional stays Decimal.
 */
export function sizeToTargetWeight(
  input: { equity: Decimal; targetWeight: number; bookFraction: number; heldNotional: Decimal; price: Decimal; symbol?: string; band?: number },
  constraints?: SizingConstraints,
): SizeOutcome {
  const invalid = checkEquity(input.equity) ?? checkFraction(input.bookFraction, "bookFraction") ?? checkPrice(input.price);
  if (invalid) return invalid;
  if (!(Number.isFinite(input.targetWeight) && input.targetWeight >= 0 && input.targetWeight <= 1)) {
    return err("INVALID_FRACTION", `A target weight must be from 0 to 1, not ${input.targetWeight}.`);
  }
  if (!isFiniteDecimal(input.heldNotional) || input.heldNotional.isNegative()) {
    return err("INVALID_BASE_SIZE", `The notional already held must be a finite amount ≥ 0, not ${String(input.heldNotional)}.`);
  }
  const target = input.equity.times(input.bookFraction).times(input.targetWeight);
  const gap = target.minus(input.heldNotional);
  const band = input.band ?? 0.01;
  if (!(Number.isFinite(band) && band >= 0 && band < 1)) return err("INVALID_FRACTION", `The band around the target must be from 0 to below 1, not ${band}.`);
  if (!gap.greaterThan(target.times(band))) {
    const what = input.symbol ?? "The symbol";
    const pctText = Number((input.targetWeight * 100).toFixed(2));
    return zeroSize(
      constraints,
      input.price,
      "AT_TARGET_WEIGHT",
      `${what} already holds ${input.heldNotional.toDecimalPlaces(8).toString()}, within ${band * 100}% of or above its target of ${target.toDecimalPlaces(8).toString()} (${pctText}% of ${input.bookFraction * 100}% of equity ${input.equity.toString()}).`,
    );
  }
  return finishSize(gap.dividedBy(input.price), input.price, constraints);
}

/** Kelly fraction f* = W − (1 − W) / R for win rate W and payoff ratio R (average win / average loss). */
export function kellyFraction(winRate: number, payoffRatio: number): Decimal {
  const w = new Decimal(winRate);
  return w.minus(ONE.minus(w).dividedBy(payoffRatio));
}

export interface KellySizeResult extends SizeResult {
  /** The full Kelly fraction f*, possibly negative. */
  kellyFraction: Decimal;
  /** The fraction of equity actually used: max(0, min(f* × multiplier, maxFraction)). */
  appliedFraction: Decimal;
}

/**
 * Fractional Kelly: notional = equity × min(f* × multiplier, maxFraction), zero when f* ≤ 0 (no edge).
 * `multiplier` is the Kelly fraction to bet (0.5 = half Kelly).
 */
export function sizeKelly(
  input: { equity: Decimal; winRate: number; payoffRatio: number; multiplier: number; maxFraction: number; price: Decimal },
  constraints?: SizingConstraints,
): Result<KellySizeResult, SizingErrorCode> {
  const invalid =
    checkEquity(input.equity) ?? checkFraction(input.multiplier, "multiplier") ?? checkFraction(input.maxFraction, "maxFraction") ?? checkPrice(input.price);
  if (invalid) return invalid;
  if (!Number.isFinite(input.winRate) || input.winRate < 0 || input.winRate > 1) {
    return err("INVALID_WIN_RATE", `The win rate must be from 0 to 1, not ${input.winRate}.`);
  }
  if (!Number.isFinite(input.payoffRatio) || input.payoffRatio <= 0) {
    return err("INVALID_PAYOFF_RATIO", `The payoff ratio (average win / average loss) must be positive, not ${input.payoffRatio}.`);
  }
  const fStar = kellyFraction(input.winRate, input.payoffRatio);
  const scaled = fStar.times(input.multiplier);
  const maxFraction = new Decimal(input.maxFraction);
  if (!scaled.greaterThan(0)) {
    const zero = zeroSize(
      constraints,
      input.price,
      "NO_EDGE",
      `No edge: with a win rate of ${input.winRate} and a payoff ratio of ${input.payoffRatio} the Kelly fraction is ${fStar.toSignificantDigits(6).toString()}.`,
    );
    return zero.ok ? ok({ ...zero.value, kellyFraction: fStar, appliedFraction: ZERO }) : zero;
  }
  const applied = Decimal.min(scaled, maxFraction);
  const sized = finishSize(input.equity.times(applied).dividedBy(input.price), input.price, constraints);
  if (!sized.ok) return sized;
  return ok({ ...sized.value, kellyFraction: fStar, appliedFraction: applied });
}

export interface Candle {
  high: number;
  low: number;
  close: number;
}

export type AtrErrorCode = "INVALID_PERIOD" | "NOT_ENOUGH_CANDLES" | "INVALID_CANDLE";

/**
 * Average True Range, Wilder's smoothing (as TA-Lib): TR_i = max(high − low, |high − prevClose|, |low − prevClose|)
 * for i ≥ 1 (the first candle has no previous close and only seeds it); the first ATR is the mean of the first
 * `period` TRs, then ATR = (ATR × (period − 1) + TR) / period. Needs period + 1 candles, oldest first.
 * Market data, so plain numbers.
 */
export function atr(candles: readonly Candle[], period: number): Result<number, AtrErrorCode> {
  if (!Number.isInteger(period) || period < 1) return err("INVALID_PERIOD", `The ATR period must be a whole number of at least 1, not ${period}.`);
  if (candles.length < period + 1) {
    return err("NOT_ENOUGH_CANDLES", `An ATR over ${period} periods needs ${period + 1} candles, and there are ${candles.length}.`);
  }
  let value = 0;
  let prevClose = candles[0]!.close;
  for (let i = 0; i < candles.length; i++) {
    const c = candles[i]!;
    if (!Number.isFinite(c.high) || !Number.isFinite(c.low) || !Number.isFinite(c.close) || c.high < c.low) {
      return err("INVALID_CANDLE", `Candle ${i} is not valid (high ${c.high}, low ${c.low}, close ${c.close}).`);
    }
    if (i === 0) continue;
    const tr = Math.max(c.high - c.low, Math.abs(c.high - prevClose), Math.abs(c.low - prevClose));
    prevClose = c.close;
    if (i <= period) {
      value += tr;
      if (i === period) value /= period;
    } else {
      value = (value * (period - 1) + tr) / period;
    }
  }
  return ok(value);
}

/**
 * Slice quantities on the instrument's grid: rounded down to the step, never below the venue's minimum quantity or
 * notional, and summing exactly to what was asked — whatever rounding takes from one slice goes to a later one, so
 * the remainder is never lost.
 */
import { type Instrument } from "../instrument";
import { cmp, D, Decimal, isMultipleOf, isPositive, roundToStep, sub, ZERO } from "../money";

/** True when `qty` at `price` clears the instrument's minimum quantity and minimum notional (and is above zero). */
export function meetsMinimums(instrument: Instrument, qty: Decimal, price: Decimal): boolean {
  if (!isPositive(qty) || cmp(qty, instrument.minQty) < 0) return false;
  return cmp(qty.times(price), instrument.minNotional) >= 0;
}

/** Down to the step and capped at the instrument's maximum quantity. */
export function stepDown(instrument: Instrument, qty: Decimal): Decimal {
  const rounded = roundToStep(qty, instrument.qtyStep, "down");
  return instrument.maxQty !== null && cmp(rounded, instrument.maxQty) > 0 ? roundToStep(instrument.maxQty, instrument.qtyStep, "down") : rounded;
}

export function isOnStep(instrument: Instrument, qty: Decimal): boolean {
  return isMultipleOf(qty, instrument.qtyStep);
}

/**
 * A slice of `wanted` out of `remaining`: down to the step, and when what would be left after it could never be sent
 * on its own (below the minimums), the slice takes it too. Returns ZERO when the slice itself is below the minimums
 * (and is not the whole remainder, which is sent as is only if it clears them).
 */
export function sliceQty(instrument: Instrument, wanted: Decimal, remaining: Decimal, price: Decimal): Decimal {
  let qty = stepDown(instrument, Decimal.min(wanted, remaining));
  const rest = sub(remaining, qty);
  if (isPositive(rest) && !meetsMinimums(instrument, rest, price)) {
    const whole = stepDown(instrument, remaining);
    if (cmp(whole, remaining) === 0) qty = whole;
  }
  return meetsMinimums(instrument, qty, price) ? qty : ZERO;
}

/**
 * Splits `total` (a multiple of the step) into pieces proportional to `weights`, each a multiple of the step.
 * Cumulative rounding: piece i = round(total × W_i) − round(total × W_{i−1}) with W the running share, so the
 * pieces sum to `total` exactly and each is within one step of its share. A piece below the minimums (at `price`) is
 * carried into the next; the last one's carry goes back into the previous kept piece. Returns the kept pieces with the
 * index of the weight each came from. Weights are floats: they are a shape (randomized or a volume profile), the
 * quantities are exact.
 */
export function splitQuantity(instrument: Instrument, total: Decimal, weights: readonly number[], price: Decimal): { index: number; qty: Decimal }[] {
  if (weights.length === 0 || !isPositive(total)) return [];
  const clean = weights.map((w) => (Number.isFinite(w) && w > 0 ? w : 0));
  const sum = clean.reduce((a, b) => a + b, 0);
  const shares = sum > 0 ? clean : clean.map(() => 1);
  const shareSum = sum > 0 ? sum : shares.length;
  const pieces: { index: number; qty: Decimal }[] = [];
  let running = 0;
  let previousCum = ZERO;
  let carry = ZERO;
  for (let i = 0; i < shares.length; i++) {
    running += shares[i]!;
    // Nearest, not down: the running share is a float, and 5/6 computed as 0.83333…33 must not lose a step to it.
    const cum = i === shares.length - 1 ? total : roundToStep(total.times(D(running / shareSum)), instrument.qtyStep, "nearest");
    const cappedCum = cmp(cum, total) > 0 ? total : cum;
    const piece = sub(cappedCum, previousCum).plus(carry);
    previousCum = cappedCum;
    if (!isPositive(piece)) {
      carry = ZERO;
      continue;
    }
    if (meetsMinimums(instrument, piece, price)) {
      pieces.push({ index: i, qty: piece });
      carry = ZERO;
    } else {
      carry = piece;
    }
  }
  if (isPositive(carry)) {
    const last = pieces.at(-1);
    if (last) last.qty = last.qty.plus(carry);
    else pieces.push({ index: shares.length - 1, qty: carry }); // the whole total is below the minimums: one piece
  }
  return pieces;
}

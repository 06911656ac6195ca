/**
 * Exact arithmetic for quantities, prices, fees, balances and PnL.
 * decimal.js is the library behind Prisma.Decimal, so values cross the persistence boundary unchanged.
 */
import DecimalJs from "decimal.js";

/** A private Decimal constructor: high precision, banker-free half-up rounding, no global mutation. */
export const Decimal = DecimalJs.clone({ precision: 40, rounding: DecimalJs.ROUND_HALF_UP, toExpNeg: -30, toExpPos: 40 });
export type Decimal = DecimalJs;

/** What callers may hand us as a decimal: a decimal string, a finite number, or a Decimal. */
export type DecimalInput = string | number | DecimalJs;

export const ZERO: Decimal = new Decimal(0);
export const ONE: Decimal = new Decimal(1);

const DECIMAL_STRING = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses a decimal input, or returns null when it is not a finite number
 * (NaN, ±Infinity, empty or malformed strings, other types).
 */
export function parseDecimal(value: unknown): Decimal | null {
  if (DecimalJs.isDecimal(value)) {
    const d = new Decimal(value);
    return d.isFinite() ? d : null;
  }
  if (typeof value === "number") return Number.isFinite(value) ? new Decimal(value) : null;
  if (typeof value === "string") {
    const trimmed = value.trim();
    return DECIMAL_STRING.test(trimmed) ? new Decimal(trimmed) : null;
  }
  return null;
}

/** Converts trusted input to a Decimal; throws (a programming error, not a domain refusal) when it is not finite. */
export function D(value: DecimalInput): Decimal {
  const d = parseDecimal(value);
  if (d === null) throw new TypeError(`not a finite decimal: ${String(value)}`);
  return d;
}

export function isPositive(d: Decimal): boolean {
  return d.greaterThan(0);
}

export function minDec(a: Decimal, b: Decimal): Decimal {
  return a.lessThanOrEqualTo(b) ? a : b;
}

export function maxDec(a: Decimal, b: Decimal): Decimal {
  return a.greaterThanOrEqualTo(b) ? a : b;
}

export function sumDec(values: Iterable<Decimal>): Decimal {
  let total = ZERO;
  for (const v of values) total = total.plus(v);
  return total;
}

/** Rounds `value` to a multiple of `step` (a positive Decimal) in the given direction. */
export function roundToStep(value: Decimal, step: Decimal, direction: "down" | "up" | "nearest"): Decimal {
  if (step.lessThanOrEqualTo(0)) return value;
  const units = value.dividedBy(step);
  const rounded =
    direction === "down" ? units.floor() : direction === "up" ? units.ceil() : units.toDecimalPlaces(0, Decimal.ROUND_HALF_UP);
  return rounded.times(step);
}

/** True when `value` is an exact multiple of `step`. */
export function isMultipleOf(value: Decimal, step: Decimal): boolean {
  if (step.lessThanOrEqualTo(0)) return true;
  return value.modulo(step).isZero();
}

/** Basis points: 1 bp = 0.0001. */
export function bps(n: DecimalInput): Decimal {
  return D(n).dividedBy(10_000);
}

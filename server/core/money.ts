/**
 * Exact arithmetic for quantities, prices, fees, balances and PnL.
 * decimal.js is the library behind Prisma.Decimal, so values cross the persistence boundary unchanged.
 */
import DecimalJs from "decimal.js";
import { compact, Decimal, type DecimalInput } from "./decimal";
import { fewDecimalsToDecimal, minusCompact, plusCompact, POWERS_OF_TEN } from "./money-words";

export { compact, Decimal, type DecimalInput } from "./decimal";
// The exact fast paths on decimal.js's words (money-words.ts), part of the money API: the same values as times/plus/minus.
export { minusCompact, plusCompact, timesCompact } from "./money-words";

export const ZERO: Decimal = new Decimal(0);
export const ONE: Decimal = new Decimal(1);

const DECIMAL_STRING = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses a decimal input, or returns null when it is not a finite number
 * (NaN, ±Infinity, empty or malformed strings, other types).
 */
export function parseDecimal(value: unknown): Decimal | null {
  // Our own Decimals are immutable: handing the same instance back is a copy in every way that matters.
  if (value instanceof Decimal && value.constructor === Decimal) return value.isFinite() ? value : null;
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

/** The last two numbers converted (market prices repeat: the engine's mark and the venue's touch are one price). */
let recentNumberA = Number.NaN;
let recentDecimalA: Decimal | null = null;
let recentNumberB = Number.NaN;
let recentDecimalB: Decimal | null = null;

/**
 * A finite number (a market price) as a Decimal, remembering the last two: number → Decimal goes through a
 * string, and one price is read by several parts of an order's path. Throws on NaN/Infinity like D.
 */
export function numberToDecimal(value: number): Decimal {
  // Object.is: 0 and -0 are different Decimals (the sign of zero is kept).
  if (Object.is(value, recentNumberA) && recentDecimalA !== null) return recentDecimalA;
  if (Object.is(value, recentNumberB) && recentDecimalB !== null) return recentDecimalB;
  if (!Number.isFinite(value)) throw new TypeError(`not a finite decimal: ${String(value)}`);
  // Both at their exact size: the price of an order or a fill is kept in its records for the whole run.
  const decimal = fewDecimalsToDecimal(value) ?? compact(new Decimal(value));
  recentNumberB = recentNumberA;
  recentDecimalB = recentDecimalA;
  recentNumberA = value;
  recentDecimalA = decimal;
  return decimal;
}

let lastTextOf: Decimal | null = null;
let lastText = "";

/**
 * `d.toString()`, remembering the last one: a close's sentence and its order's sentence print the same quantity (40
 * digits cost a string build each time). Decimals are immutable, so the same instance always prints the same.
 */
export function decimalText(d: Decimal): string {
  if (d !== lastTextOf) {
    lastText = d.toString();
    lastTextOf = d;
  }
  return lastText;
}

/** Converts trusted input to a Decimal; throws (a programming error, not a domain refusal) when it is not finite. */
export function D(value: DecimalInput): Decimal {
  const d = parseDecimal(value);
  if (d === null) throw new TypeError(`not a finite decimal: ${String(value)}`);
  return d;
}

/** Above zero (a sign check: no allocation). */
export function isPositive(d: Decimal): boolean {
  return d.s > 0 && !d.isZero() && !d.isNaN();
}

/**
 * a < b → -1, a = b → 0, a > b → 1; NaN when either is NaN. decimal.js's comparedTo copies its argument
 * first, which made comparisons a measurable share of the order path; this reads the same normalized
 * digits (base 1e7 words, decimal exponent, sign) without allocating.
 */
export function cmp(a: Decimal, b: Decimal): number {
  const ad = a.d;
  const bd = b.d;
  if (!ad || !bd) return a.comparedTo(b); // NaN or ±Infinity: the library's rules
  const as = a.s;
  const bs = b.s;
  if (!ad[0] || !bd[0]) return ad[0] ? as : bd[0] ? -bs : 0;
  if (as !== bs) return as;
  if (a.e !== b.e) return a.e > b.e !== as < 0 ? 1 : -1;
  const n = Math.min(ad.length, bd.length);
  for (let i = 0; i < n; i++) {
    const x = ad[i]!;
    const y = bd[i]!;
    if (x !== y) return x > y !== as < 0 ? 1 : -1;
  }
  return ad.length === bd.length ? 0 : ad.length > bd.length !== as < 0 ? 1 : -1;
}

/** a + b; a zero on either side returns the other operand as is (no arithmetic, no allocation); else plusCompact. */
export function add(a: Decimal, b: Decimal): Decimal {
  if (b.isZero()) return a;
  if (a.isZero()) return b;
  return plusCompact(a, b);
}

/** a − b; subtracting zero returns a as is, and equal operands give ZERO (a full close: no arithmetic); else minusCompact. */
export function sub(a: Decimal, b: Decimal): Decimal {
  if (b.isZero()) return a;
  if (a === b || (a.isFinite() && b.isFinite() && cmp(a, b) === 0)) return ZERO;
  return minusCompact(a, b);
}

const onePlusCache = new WeakMap<Decimal, Decimal>();

/**
 * 1 + rate, remembered per Decimal instance: fee rates and slippage fractions live as long as their
 * instrument or model and are added to 1 on every order. (A cache of a pure function: same answers.)
 */
export function onePlus(rate: Decimal): Decimal {
  let sum = onePlusCache.get(rate);
  if (sum === undefined) {
    sum = rate.plus(1);
    onePlusCache.set(rate, sum);
  }
  return sum;
}

export function minDec(a: Decimal, b: Decimal): Decimal {
  return cmp(a, b) <= 0 ? a : b;
}

export function maxDec(a: Decimal, b: Decimal): Decimal {
  return cmp(a, b) >= 0 ? a : b;
}

const POWERS_OF_TEN_IN_A_WORD = new Set([1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]);

/** k when `step` is 10^k (0.01, 1e-8, 1, 100 …), else null. Most venues' ticks and steps are. */
export function powerOfTenExponent(step: Decimal): number | null {
  const d = step.d;
  return d && d.length === 1 && step.s > 0 && POWERS_OF_TEN_IN_A_WORD.has(d[0]!) ? step.e : null;
}

export function sumDec(values: Iterable<Decimal>): Decimal {
  let total = ZERO;
  for (const v of values) total = total.plus(v);
  return total;
}

/** Rounds `value` to a multiple of `step` (a positive Decimal) in the given direction. */
export function roundToStep(value: Decimal, step: Decimal, direction: "down" | "up" | "nearest"): Decimal {
  if (!isPositive(step)) return value;
  const exponent = powerOfTenExponent(step);
  if (exponent !== null && exponent <= 0) {
    // A step of 10^-k is rounding to k decimal places: one operation instead of divide, round, multiply,
    // and none when the value already has no more places than that.
    if (value.isFinite() && value.decimalPlaces() <= -exponent) return value;
    return value.toDecimalPlaces(-exponent, direction === "down" ? Decimal.ROUND_FLOOR : direction === "up" ? Decimal.ROUND_CEIL : Decimal.ROUND_HALF_UP);
  }
  const units = value.dividedBy(step);
  const rounded = direction === "down" ? units.floor() : direction === "up" ? units.ceil() : units.toDecimalPlaces(0, Decimal.ROUND_HALF_UP);
  return rounded.times(step);
}

/** True when `value` is an exact multiple of `step`. */
export function isMultipleOf(value: Decimal, step: Decimal): boolean {
  if (!isPositive(step)) return true;
  const exponent = powerOfTenExponent(step);
  // A multiple of 10^-k has at most k decimal places (a digit count, not a division).
  if (exponent !== null && exponent <= 0 && value.isFinite()) return value.decimalPlaces() <= -exponent;
  return value.modulo(step).isZero();
}

/**
 * A float within 1e-14 (relative) of `x`, read from its digits (toNumber prints the decimal and parses it back:
 * costly for 40 digits). For ratios and curves that are floats anyway, never for a price that must round-trip.
 */
export function approxNumber(x: Decimal): number {
  const d = x.d;
  if (!d || d.length === 0) return x.toNumber(); // NaN, ±Infinity
  const first = d[0]!;
  if (first === 0) return 0;
  let firstDigits = 1;
  for (let k = first; k >= 10; k /= 10) firstDigits++;
  const words = Math.min(d.length, 3); // 7 + 14 digits: more than a double holds
  let mantissa = first;
  for (let i = 1; i < words; i++) mantissa = mantissa * 1e7 + d[i]!;
  const exponent = x.e - (firstDigits - 1) - 7 * (words - 1);
  if (exponent > 290 || exponent < -290) return x.toNumber(); // outside what one power of ten can scale
  const magnitude = exponent >= 0 ? mantissa * POWERS_OF_TEN[exponent]! : mantissa / POWERS_OF_TEN[-exponent]!;
  return x.s < 0 ? -magnitude : magnitude;
}

/**
 * (numerator ÷ denominator) × scale, rounded to `places` decimals, as a number: a report figure such as a
 * PnL percent or a slippage in bps, not money (the operands stay exact; only their ratio is a float, as the
 * stored column is). null when the denominator is zero.
 */
export function ratioNumber(numerator: Decimal, denominator: Decimal, scale: number, places: number): number | null {
  if (denominator.isZero()) return null;
  return roundReport((approxNumber(numerator) / approxNumber(denominator)) * scale, places);
}

/** A report float rounded to `places` decimals (half up), with no negative zero. */
export function roundReport(value: number, places: number): number {
  const unit = 10 ** places;
  const rounded = Math.round(value * unit) / unit;
  return Object.is(rounded, -0) ? 0 : rounded;
}

/** Basis points: 1 bp = 0.0001. */
export function bps(n: DecimalInput): Decimal {
  return D(n).dividedBy(10_000);
}

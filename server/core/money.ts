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

/**
 * The same value, its digit words held in an array of exactly their length. decimal.js builds a parsed value's or a
 * product's words by pushing onto an empty array, which reserves 17 words (152 bytes where a price needs two); a value
 * kept for the rest of a run (a fill's price, a notional in a record) is copied by every young-generation collection it
 * lives through with all of them. `new Decimal(d)` copies the words with slice, which allocates exactly; the original
 * dies young.
 */
export function compact(d: Decimal): Decimal {
  return new Decimal(d);
}

/**
 * A fresh Decimal given its fields before anyone sees it (the library's constructor and field order): `words` in the
 * library's own form (base 1e7, the first word not 0, no trailing zero word, every word a small integer), `exponent`
 * the decimal exponent of the first digit. For the exact arithmetic here and in money-words.ts.
 */
export function decimalOfWords(sign: number, exponent: number, words: number[]): Decimal {
  const decimal = new Decimal(0);
  const fields = decimal as { s: number; e: number; d: number[] };
  fields.s = sign;
  fields.e = exponent;
  fields.d = words;
  return decimal;
}

const WORD_BASE = 1e7;
/** The most words a product may have on the fast path (448 digits; longer products take the library's). */
const PRODUCT_WORDS_MAX = 64;
/**
 * Scratch for a result's words, small integers from the start, so a slice of it is as the library's own arrays. Every
 * word is stored through `| 0`: one double stored (a float product, a power from the table) would turn it, and every
 * slice after, into an array of doubles, which deoptimizes whatever reads `d` (measured: %HasSmiElements).
 */
const productWords: number[] = [];
for (let i = 0; i < PRODUCT_WORDS_MAX; i++) productWords.push(0);
/** The precision every product rounds to; the fast path knows only half-up rounding beyond the first word's digits. */
const PRODUCT_DIGITS: number = Decimal.precision;
const FAST_PRODUCT = Decimal.rounding === DecimalJs.ROUND_HALF_UP && PRODUCT_DIGITS >= 7;

/**
 * a × b, the same value as `a.times(b)` (the library's digit loop and its half-up rounding to the precision), its words
 * at their exact length: `compact(a.times(b))` in one step, without the library's copy of b, its 17-word array and the
 * compacting copy (a fill's notional is kept for the run). Zero, NaN and ±Infinity operands take the library's path.
 */
export function timesCompact(a: Decimal, b: Decimal): Decimal {
  let xd = a.d;
  let yd = b.d;
  // `a`'s class sets the library's precision (a Decimal of another clone, e.g. Prisma's, rounds as its own).
  if (!FAST_PRODUCT || a.constructor !== Decimal || !xd || !yd || !xd[0] || !yd[0] || xd.length + yd.length > PRODUCT_WORDS_MAX) return compact(a.times(b));
  if (xd.length < yd.length) {
    const longer = yd;
    yd = xd;
    xd = longer;
  }
  const xdL = xd.length;
  const ydL = yd.length;
  const r = productWords;
  let end = xdL + ydL;
  for (let i = 0; i < end; i++) r[i] = 0;
  // The library's loop (decimal.js P.times): base 1e7 words, each partial sum below 2^53.
  let carry = 0;
  for (let i = ydL; --i >= 0;) {
    carry = 0;
    let k = xdL + i;
    while (k > i) {
      const t = r[k]! + yd[i]! * xd[k - i - 1]! + carry;
      // t % 1e7 by a multiply and a subtraction (every term is an integer below 2^53): a double's % costs more.
      carry = (t / WORD_BASE) | 0;
      r[k--] = (t - carry * WORD_BASE) | 0;
    }
    r[k] = ((r[k]! + carry) % WORD_BASE) | 0;
  }
  while (r[end - 1] === 0) end--;
  const wordExponent = Math.floor(a.e / 7) + Math.floor(b.e / 7);
  // The library's result: the carry out of the first word is a word of its own, else it starts at the next word.
  return (carry ? roundedOfWords(a.s * b.s, 0, end, wordExponent + 1) : roundedOfWords(a.s * b.s, 1, end, wordExponent)) ?? compact(a.times(b));
}

/**
 * a + b (or a − b: `negate`), the same value as the library's plus (minus), its words at their exact length, for
 * operands whose first words sit within 6 powers of 10^7 of each other (amounts of like magnitudes: a closed trade's PnL
 * into the closed sum, initial equity and that sum). Others, zeros, a zero result and non-finite values take the
 * library's path.
 */
function sumCompact(a: Decimal, b: Decimal, negate: boolean): Decimal | null {
  const xd = a.d;
  const yd = b.d;
  if (!FAST_PRODUCT || a.constructor !== Decimal || !xd || !yd || !xd[0] || !yd[0]) return null;
  // Aligned at the larger operand's first word: each operand starts `offset` words into the sum. Up to 6 words apart
  // the library aligns them the same way (further apart, it cuts the smaller operand to its first word: its path).
  const xe = Math.floor(a.e / 7);
  const ye = Math.floor(b.e / 7);
  const wordExponent = xe > ye ? xe : ye;
  const xOffset = wordExponent - xe;
  const yOffset = wordExponent - ye;
  if (xOffset > 6 || yOffset > 6) return null;
  const xEnd = xOffset + xd.length;
  const yEnd = yOffset + yd.length;
  const length = xEnd > yEnd ? xEnd : yEnd;
  if (length + 1 > PRODUCT_WORDS_MAX) return null;
  const r = productWords;
  const bSign = negate ? -b.s : b.s;
  if (a.s === bSign) {
    // Same signs: the magnitudes add, word by word from the last; a carry out of the first word is a word of its own.
    let carry = 0;
    for (let i = length - 1; i >= 0; i--) {
      const t = (i >= xOffset && i < xEnd ? xd[i - xOffset]! : 0) + (i >= yOffset && i < yEnd ? yd[i - yOffset]! : 0) + carry;
      carry = t >= WORD_BASE ? 1 : 0;
      r[i + 1] = (t - carry * WORD_BASE) | 0;
    }
    r[0] = carry;
    let end = length + 1;
    while (r[end - 1] === 0) end--;
    return carry ? roundedOfWords(a.s, 0, end, wordExponent + 1) : roundedOfWords(a.s, 1, end, wordExponent);
  }
  // Signs differ: the smaller magnitude from the larger. The first words are not 0, so the operand that starts higher is
  // larger; at one start, the first differing word decides, and equal prefixes leave the longer larger (its last word is
  // not 0).
  let order = yOffset - xOffset;
  if (order === 0) {
    const common = xd.length < yd.length ? xd.length : yd.length;
    for (let i = 0; i < common && order === 0; i++) if (xd[i] !== yd[i]) order = xd[i]! > yd[i]! ? 1 : -1;
    if (order === 0) order = xd.length - yd.length;
    if (order === 0) return null; // zero: the library's signed zero
  }
  const big = order > 0 ? xd : yd;
  const small = order > 0 ? yd : xd;
  const bigOffset = order > 0 ? xOffset : yOffset;
  const smallOffset = order > 0 ? yOffset : xOffset;
  const bigEnd = bigOffset + big.length;
  const smallEnd = smallOffset + small.length;
  let borrow = 0;
  for (let i = length - 1; i >= 0; i--) {
    let t = (i >= bigOffset && i < bigEnd ? big[i - bigOffset]! : 0) - (i >= smallOffset && i < smallEnd ? small[i - smallOffset]! : 0) - borrow;
    borrow = t < 0 ? 1 : 0;
    t += borrow * WORD_BASE;
    r[i] = t | 0;
  }
  let end = length;
  while (r[end - 1] === 0) end--;
  let start = 0;
  while (r[start] === 0) start++;
  return roundedOfWords(order > 0 ? a.s : bSign, start, end, wordExponent - start);
}

/** a + b exactly as `a.plus(b)` (its digits, exponent and sign), its words at their exact length. */
export function plusCompact(a: Decimal, b: Decimal): Decimal {
  return sumCompact(a, b, false) ?? compact(a.plus(b));
}

/** a − b exactly as `a.minus(b)`, its words at their exact length. */
export function minusCompact(a: Decimal, b: Decimal): Decimal {
  return sumCompact(a, b, true) ?? compact(a.minus(b));
}

/**
 * The Decimal of the words productWords[start, end) (the first not 0, the last not 0), the first at 10^(7 × wordExponent),
 * rounded half up to the precision as the library's finalise does; null far outside money (the library's ±Infinity or
 * zero there).
 */
function roundedOfWords(sign: number, start: number, end: number, wordExponent: number): Decimal | null {
  const r = productWords;
  let exponent = wordExponent * 7 + digitCount(r[start]!) - 1;
  // The rounding digit lies past the first word, in word `at`, `p` digits into it (counting its leading zeros).
  const beyondFirst = PRODUCT_DIGITS - digitCount(r[start]!);
  let at = start + Math.floor(beyondFirst / 7) + 1;
  if (at < end) {
    const p = beyondFirst % 7;
    const w = r[at]!;
    const roundUp = Math.floor(w / POWERS_OF_TEN[6 - p]!) % 10 >= 5;
    let unit: number;
    if (p === 0) {
      end = at;
      at--;
      unit = 1;
    } else {
      end = at + 1;
      unit = POWERS_OF_TEN[7 - p]!;
      r[at] = (Math.floor(w / unit) * unit) | 0;
    }
    if (roundUp) {
      for (;;) {
        if (at === start) {
          const before = digitCount(r[at]!);
          r[at] = (r[at]! + unit) | 0;
          if (digitCount(r[at]!) !== before) {
            exponent++;
            if (r[at] === WORD_BASE) r[at] = 1;
          }
          break;
        }
        r[at] = (r[at]! + unit) | 0;
        if (r[at] !== WORD_BASE) break;
        r[at--] = 0;
        unit = 1;
      }
    }
    while (r[end - 1] === 0) end--;
  }
  if (exponent > 1e9 || exponent < -1e9) return null;
  return decimalOfWords(sign, exponent, r.slice(start, end));
}

/** Decimal digits of a word below 10^8 (1 for 0, as the library counts): compares, where the library divides. */
export function digitCount(word: number): number {
  if (word < 10_000) return word < 100 ? (word < 10 ? 1 : 2) : word < 1_000 ? 3 : 4;
  return word < 1_000_000 ? (word < 100_000 ? 5 : 6) : word < 10_000_000 ? 7 : 8;
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

/** 10 ** k for k in 0..290, computed once by the same `**` (so the same doubles): a variable power costs ~40 ns a call. */
export const POWERS_OF_TEN: readonly number[] = Array.from({ length: 291 }, (_, k) => 10 ** k);
/** The most decimal places a price built straight from its integer units may have. */
const FEW_DECIMALS = 8;
/** Below this, a double's neighbours are closer than 1/16 of a unit: at most one integer at a scale can round-trip. */
const UNITS_BOUND = 2 ** 49;

/**
 * A positive number with at most 8 decimals (a market price) as the Decimal `new Decimal(value)` builds, without its
 * trip through a string: the fewest decimals k whose integer units (value × 10^k) divide back to exactly this double is
 * the shortest decimal that reads back as it, which is what number → string prints (money.test.ts holds the two equal
 * over random prices). null for anything else (the string path takes it).
 */
function fewDecimalsToDecimal(value: number): Decimal | null {
  if (!(value > 0)) return null;
  for (let k = 0; k <= FEW_DECIMALS; k++) {
    const scale = POWERS_OF_TEN[k]!;
    const units = Math.round(value * scale);
    if (units >= UNITS_BOUND) return null;
    if (units / scale === value) return units === 0 ? null : decimalOfUnits(units, k);
  }
  return null;
}

/** decimalOfUnits' words, least significant first (a price below 2^49 with up to 8 decimals has at most 3). */
const WORDS: number[] = [0, 0, 0, 0];

/**
 * units × 10^-places (units a positive safe integer) in decimal.js's own form: base-1e7 words, the first holding the
 * digits down to the exponent's word boundary, the last padded with zeros on the right, no trailing zero word.
 */
function decimalOfUnits(units: number, places: number): Decimal {
  let digits = 1;
  for (let t = units; t >= 10; t = (t - (t % 10)) / 10) digits++;
  const exponent = digits - 1 - places;
  let first = (exponent + 1) % 7;
  if (first <= 0) first += 7;
  const rest = digits - first;
  // Every word through `| 0` (all are below 1e7): small-integer arrays, as the library's own (an array of doubles has
  // another map, and every function reading `d` would deoptimize on it).
  let words: number[];
  if (rest <= 0) {
    words = [(units * POWERS_OF_TEN[-rest]!) | 0];
  } else {
    const lastLength = rest - 7 * Math.floor((rest - 1) / 7);
    const lastScale = POWERS_OF_TEN[lastLength]!;
    let left = units;
    const low = left % lastScale;
    left = (left - low) / lastScale;
    // Least significant first into the scratch, then copied out at exactly its length: an array grown by push reserves
    // 17 slots (~150 bytes where a price needs two words), and a fill's price is kept by its records for the whole run.
    let n = 0;
    WORDS[n++] = (low * POWERS_OF_TEN[7 - lastLength]!) | 0;
    for (let r = rest - lastLength; r > 0; r -= 7) {
      const word = left % 10_000_000;
      left = (left - word) / 10_000_000;
      WORDS[n++] = word | 0;
    }
    WORDS[n++] = left | 0;
    // No trailing zero word (the least significant words come first here).
    let from = 0;
    while (from < n - 1 && WORDS[from] === 0) from++;
    words = WORDS.slice(from, n).reverse();
  }
  return decimalOfWords(1, exponent, words);
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

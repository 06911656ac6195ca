/**
 * Exact arithmetic on decimal.js's own form (base-1e7 words, a decimal exponent) where the library is slow for what the
 * order path asks, each giving, word for word, the Decimal the library gives (money.test.ts and money-words.test.ts
 * hold them to it over random operands), with doubles that provably stay exact integers, and the library's path
 * wherever that cannot be guaranteed:
 * - a product, sum or difference at its exact length (timesCompact, plusCompact, minusCompact: a fill's notional and
 *   fee, a trade's PnL, balances), without the library's copies and its 17-word arrays (values kept for a whole run);
 * - a market price (a double with up to 8 decimals) from its integer units, without a trip through a string;
 * - a quotient truncated to a precision (all_in sizing divides a 40-digit budget by a price).
 * money.ts is the API: it re-exports what callers use.
 */
import { compact, Decimal } from "./decimal";

/**
 * A fresh Decimal given its fields before anyone sees it (the library's constructor and field order): `words` in the
 * library's own form (base 1e7, the first word not 0, no trailing zero word, every word a small integer), `exponent`
 * the decimal exponent of the first digit. For the exact arithmetic here.
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
const FAST_PRODUCT = Decimal.rounding === Decimal.ROUND_HALF_UP && PRODUCT_DIGITS >= 7;

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
export function fewDecimalsToDecimal(value: number): Decimal | null {
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

/** Below this a divisor's remainder, times ten plus a digit, stays an exact integer in a double. */
const SHORT_DIVISOR_BOUND = 9e14;

/** Below this a divisor's remainder, times 1e7 plus a word, stays an exact integer in a double. */
const WORD_DIVISOR_BOUND = 9e8;

/**
 * truncatedQuotient's division a word at a time (a divisor below 9e8: a price's digits, a fee-free cost). a's words
 * are regrouped s digits to the left so that a × 10^s ÷ divisor has its words on the quotient's own 7-digit boundaries
 * (bPlace + s a multiple of 7): each quotient word is then one word of decimal.js's form, and ~7 steps give 40 digits.
 */
function wordQuotient(ad: number[], aExponent: number, divisor: number, bPlace: number, precision: number): Decimal {
  const shift = (((-bPlace % 7) + 7) % 7) | 0;
  const lowScale = POWERS_OF_TEN[7 - shift]!;
  const highScale = POWERS_OF_TEN[shift]!;
  // The place of the lowest digit of regrouped word 0 (a's first word's top `shift` digits, one boundary up), and of
  // quotient word 0 (divided by 10^(bPlace + shift)).
  const topWordLow = aExponent - (digitCount(ad[0]!) - 1) + 7;
  let quotientLow = topWordLow - bPlace - shift;
  const words: number[] = [];
  let digits = 0;
  let remainder = 0;
  for (let j = 0; digits < precision; j++) {
    let word = 0;
    if (j <= ad.length) {
      const upper = j === 0 ? 0 : ad[j - 1]! % lowScale;
      const lower = j === ad.length ? 0 : ad[j]!;
      word = upper * highScale + (lower - (lower % lowScale)) / lowScale;
    } else if (remainder === 0) {
      break; // exact: no digit left to find
    }
    const current = remainder * 10_000_000 + word;
    const quotient = floorQuotient(current, divisor);
    remainder = current - quotient * divisor;
    if (words.length === 0) {
      if (quotient === 0) {
        quotientLow -= 7;
        continue;
      }
      digits = digitCount(quotient);
    } else {
      digits += 7;
    }
    words.push(quotient | 0);
  }
  const exponent = quotientLow + digitCount(words[0]!) - 1;
  // Truncated to `precision` digits: the last word loses what lies beyond (at most 6 digits), then zero words go.
  const excess = digits - precision;
  if (excess > 0) {
    const lastWord = words[words.length - 1]!;
    const scale = POWERS_OF_TEN[excess]!;
    words[words.length - 1] = (lastWord - (lastWord % scale)) | 0;
  }
  while (words.length > 1 && words[words.length - 1] === 0) words.pop();
  return decimalOfWords(1, exponent, words);
}

/** Finite and above zero (NaN and ±Infinity have no words; a zero's only word is 0). */
function isPlainPositive(x: Decimal): boolean {
  const d = x.d;
  return x.s === 1 && d !== null && d !== undefined && d.length > 0 && d[0] !== 0;
}

/** The place coefficientOf's last answer is scaled by (module state: no object per call). */
let coefficientPlace = 0;

/**
 * x's significant digits as one integer (x = coefficient × 10^coefficientPlace, no trailing zero: the last word's
 * padding is not digits), or a number ≥ 9e14 when it has more digits than that (inexact then, never used).
 */
function coefficientOf(x: Decimal): number {
  const d = x.d;
  if (d.length > 3) return Number.POSITIVE_INFINITY;
  const last = d.length - 1;
  let tail = d[last]!;
  let tailWidth = last === 0 ? digitCount(tail) : 7;
  let place = x.e - (digitCount(d[0]!) - 1) - 7 * last;
  while (tail % 10 === 0) {
    tail /= 10;
    tailWidth--;
    place++;
  }
  let coefficient = 0;
  for (let i = 0; i < last; i++) coefficient = coefficient * 10_000_000 + d[i]!;
  coefficientPlace = place;
  return coefficient * POWERS_OF_TEN[tailWidth]! + tail;
}

/**
 * floor(n ÷ divisor) for integers below 2^53: the float division is within one of the integer one, settled on the exact
 * remainder.
 */
function floorQuotient(n: number, divisor: number): number {
  const quotient = Math.floor(n / divisor);
  const rest = n - quotient * divisor;
  return rest < 0 ? quotient - 1 : rest >= divisor ? quotient + 1 : quotient;
}

/**
 * a ÷ b (both positive and finite) truncated to `precision` significant digits — what DecimalDown's division at that
 * precision gives — by long division, one decimal digit of a at a time, by b's digits read as one integer; null when b
 * has more digits than that integer can hold exactly (decimal.js divides then). The library's division works on
 * base-1e7 words against a divisor of two or more words (a price with decimals is two: 23456.78 is [23456, 7800000]),
 * ~3 µs for 40 digits; this is a digit loop on doubles that stay exact integers. Null as well for anything but two
 * positive finite values.
 */
export function truncatedQuotient(a: Decimal, b: Decimal, precision: number): Decimal | null {
  if (!isPlainPositive(a) || !isPlainPositive(b)) return null;
  const ad = a.d;
  const divisor = coefficientOf(b);
  const bPlace = coefficientPlace;
  if (!(divisor < SHORT_DIVISOR_BOUND)) return null;
  if (divisor < WORD_DIVISOR_BOUND) return wordQuotient(ad, a.e, divisor, bPlace, precision);
  // a's digits from its first: digit i has place a.e − i; the quotient digit found after it has place a.e − i − bPlace.
  const digits: number[] = [];
  let exponent = 0;
  let remainder = 0;
  let wordIndex = 0;
  let wordWidth = digitCount(ad[0]!);
  let digitInWord = 0;
  for (let i = 0; digits.length < precision; i++) {
    let digit = 0;
    if (wordIndex < ad.length) {
      const word = ad[wordIndex]!;
      const scale = POWERS_OF_TEN[wordWidth - 1 - digitInWord]!;
      digit = ((word - (word % scale)) / scale) % 10;
      if (++digitInWord === wordWidth) {
        wordIndex++;
        wordWidth = 7;
        digitInWord = 0;
      }
    } else if (remainder === 0) {
      break; // exact: no digit left to find
    }
    remainder = remainder * 10 + digit;
    const quotient = floorQuotient(remainder, divisor);
    remainder = remainder - quotient * divisor;
    if (digits.length === 0) {
      if (quotient === 0) continue;
      exponent = a.e - i - bPlace;
    }
    digits.push(quotient);
  }
  let count = digits.length;
  while (count > 1 && digits[count - 1] === 0) count--;
  // decimal.js's own form: the first word holds the digits down to the exponent's word boundary, the last is padded
  // with zeros on the right, every word a small integer (as decimalOfUnits above).
  let width = (exponent + 1) % 7;
  if (width <= 0) width += 7;
  const words: number[] = [];
  let word = 0;
  let filled = 0;
  for (let k = 0; k < count; k++) {
    word = word * 10 + digits[k]!;
    if (++filled === width) {
      words.push(word | 0);
      word = 0;
      filled = 0;
      width = 7;
    }
  }
  if (filled > 0) words.push((word * POWERS_OF_TEN[width - filled]!) | 0);
  return decimalOfWords(1, exponent, words);
}

/**
 * Exact arithmetic on decimal.js's own form (base-1e7 words, a decimal exponent) where the library is slow for what the
 * order path asks: a quotient truncated to a precision (all_in sizing divides a 40-digit budget by a price). It gives,
 * word for word, the Decimal the library gives, with doubles that provably stay exact integers, and answers null where
 * that cannot be guaranteed (a long divisor, a sign, zero, NaN, infinity): the caller then asks decimal.js.
 * money-words.test.ts holds it to the library over random operands.
 */
import { decimalOfWords, digitCount, POWERS_OF_TEN, type Decimal } from "./money";

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
  // with zeros on the right, every word a small integer (as in money.ts decimalOfUnits).
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

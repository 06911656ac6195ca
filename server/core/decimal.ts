/**
 * The desk's Decimal: decimal.js (the library behind Prisma.Decimal, so values cross the persistence boundary unchanged)
 * cloned with its own settings. A module of its own so that money.ts and the word arithmetic under it (money-words.ts)
 * share one class without importing each other; everyone else imports it from money.ts.
 */
import DecimalJs from "decimal.js";

/** A private Decimal constructor: high precision, banker-free half-up rounding, no global mutation. */
export const Decimal = DecimalJs.clone({ precision: 40, rounding: DecimalJs.ROUND_HALF_UP, toExpNeg: -30, toExpPos: 40 });
export type Decimal = DecimalJs;

/** What callers may hand us as a decimal: a decimal string, a finite number, or a Decimal. */
export type DecimalInput = string | number | DecimalJs;

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

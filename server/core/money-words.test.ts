/** money-words.ts against decimal.js: the same Decimal, word for word, over random operands. */
import { describe, expect, it } from "vitest";
import { Decimal } from "./money";
import { truncatedQuotient } from "./money-words";

/** Division that never rounds up, as the engine sizes with (engine/context.ts DecimalDown). */
const DecimalDown = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_DOWN });
/** A Decimal's whole form: sign, exponent, words and text. */
const form = (d: Decimal) => ({ s: d.s, e: d.e, d: [...d.d], text: d.toString() });

describe("truncatedQuotient", () => {
  let seed = 123456789;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const digitsOf = (n: number) => Array.from({ length: n }, (_, i) => String(Math.floor(random() * 10) || (i === 0 ? 1 : 0))).join("");
  /** A positive decimal of `n` significant digits, its point anywhere from 10^-20 to 10^20. */
  const decimalOf = (n: number) => new Decimal(`${digitsOf(n)}e${Math.floor(random() * 40) - 20}`);

  it("is DecimalDown's division at the same precision, digit for digit and word for word", () => {
    let checked = 0;
    for (let i = 0; i < 20_000; i++) {
      const a = decimalOf(1 + Math.floor(random() * 45));
      // Up to 14 digits: every such divisor is below the bound (a 15-digit one may not be: the next test).
      const b = random() < 0.2 ? decimalOf(1).times(digitsOf(1)) : decimalOf(1 + Math.floor(random() * 14));
      const precision = random() < 0.5 ? 40 : 1 + Math.floor(random() * 40);
      const Down = DecimalDown.clone({ precision });
      const want = new Decimal(new Down(a).dividedBy(b));
      const got = truncatedQuotient(a, b, precision);
      expect(got).not.toBeNull();
      expect({ a: a.toString(), b: b.toString(), precision, q: form(got!) }).toEqual({ a: a.toString(), b: b.toString(), precision, q: form(want) });
      expect(got).toBeInstanceOf(Decimal);
      checked++;
    }
    expect(checked).toBe(20_000);
  });

  it("gives exact quotients whole, and numbers that divide to few digits without padding", () => {
    const cases: [string, string, number][] = [
      ["10000", "25000", 40],
      ["10000", "23456.78", 40],
      ["1", "3", 40],
      ["1", "3", 5],
      ["7", "7", 40],
      ["1e-30", "9e14", 40],
      ["123456789012345678901234567890.123456789", "0.0001", 40],
      ["99999999999999999999", "0.000000099999999", 12],
    ];
    for (const [a, b, precision] of cases) {
      const want = new Decimal(new (DecimalDown.clone({ precision }))(a).dividedBy(b));
      const got = truncatedQuotient(new Decimal(a), new Decimal(b), precision);
      expect({ a, b, q: got?.toString(), d: got ? [...got.d] : null }).toEqual({ a, b, q: want.toString(), d: [...want.d] });
    }
  });

  it("leaves a divisor of more digits than a double holds exactly to decimal.js", () => {
    expect(truncatedQuotient(new Decimal("10000"), new Decimal("1234567890.123456"), 40)).toBeNull();
    expect(truncatedQuotient(new Decimal("10000"), new Decimal("1.2345678901234567890123"), 40)).toBeNull();
    // Trailing zeros are not digits of the divisor: 9e20 is the integer 9.
    expect(truncatedQuotient(new Decimal("10000"), new Decimal("9e20"), 40)?.toString()).toBe(new Decimal(new DecimalDown(10000).dividedBy("9e20")).toString());
  });

  it("answers only for two positive finite values", () => {
    const x = new Decimal("1.5");
    expect(truncatedQuotient(new Decimal(0), x, 40)).toBeNull();
    expect(truncatedQuotient(x, new Decimal(0), 40)).toBeNull();
    expect(truncatedQuotient(x, new Decimal(-1), 40)).toBeNull();
    expect(truncatedQuotient(new Decimal(-1), x, 40)).toBeNull();
    expect(truncatedQuotient(x, new Decimal(Number.NaN), 40)).toBeNull();
    expect(truncatedQuotient(new Decimal(Number.POSITIVE_INFINITY), x, 40)).toBeNull();
  });
});

/** all_in sizing's division at fewer digits (intake.ts affordableQuantity): the stepped quantity is the 40-digit one's. */
import { describe, expect, it } from "vitest";
import { Decimal, roundToStep } from "../core/money";
import { DecimalDown } from "./context";
import { affordableQuantity, truncatedQuotient } from "./intake";

describe("affordableQuantity", () => {
  it("floors to the step exactly as the 40-digit truncated quotient does", () => {
    let seed = 987654321;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const steps = ["1", "0.1", "0.001", "0.00001", "1e-8", "0.5", "0.025", "10"].map((s) => new Decimal(s));
    let checked = 0;
    for (let i = 0; i < 5_000; i++) {
      const budget = new Decimal((random() * 10 ** Math.floor(random() * 12 - 2)).toFixed(Math.floor(random() * 12)));
      const unitCost = new Decimal((random() * 10 ** Math.floor(random() * 10 - 4)).toFixed(Math.floor(random() * 12))).times("1.001");
      if (unitCost.isZero()) continue;
      for (const step of steps) {
        const want = roundToStep(new Decimal(new DecimalDown(budget).dividedBy(unitCost)), step, "down");
        const got = roundToStep(affordableQuantity(budget, unitCost, step), step, "down");
        expect({ budget: budget.toString(), unitCost: unitCost.toString(), step: step.toString(), q: got.toString() }).toEqual({
          budget: budget.toString(),
          unitCost: unitCost.toString(),
          step: step.toString(),
          q: want.toString(),
        });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30_000);
  });
  it("is the 40-digit quotient itself when the step is not a power of ten below one", () => {
    const budget = new Decimal("10000");
    const unitCost = new Decimal("23456.78").times("1.001");
    for (const step of ["0.5", "10", "0.025"]) {
      expect(affordableQuantity(budget, unitCost, new Decimal(step)).toString()).toBe(new Decimal(new DecimalDown(budget).dividedBy(unitCost)).toString());
    }
  });
});

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
      const form = (d: Decimal) => ({ s: d.s, e: d.e, d: [...d.d], text: d.toString() });
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
});

import fc from "fast-check";
import DecimalJs from "decimal.js";
import { describe, expect, it } from "vitest";
import {
  D,
  Decimal,
  ZERO,
  add,
  approxNumber,
  bps,
  cmp,
  compact,
  decimalText,
  isMultipleOf,
  isPositive,
  maxDec,
  minDec,
  minusCompact,
  numberToDecimal,
  onePlus,
  parseDecimal,
  plusCompact,
  ratioNumber,
  roundReport,
  roundToStep,
  sub,
  sumDec,
  timesCompact,
} from "./money";

/** Decimal strings across magnitudes: integers, long fractions, tiny and huge exponents, both signs. */
const decimalString = fc
  .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 40n - 1n }), fc.integer({ min: -45, max: 20 }))
  .map(([negative, digits, exponent]) => `${negative ? "-" : ""}${digits}e${exponent}`);

describe("parseDecimal", () => {
  it.each([
    ["1", "1"],
    [" 2.50 ", "2.5"],
    ["-0.1", "-0.1"],
    [".5", "0.5"],
    ["1e-8", "0.00000001"],
    [0.1, "0.1"],
    [123456789.123456, "123456789.123456"],
  ])("parses %j as %s", (input, expected) => {
    expect(parseDecimal(input)?.toString()).toBe(expected);
  });

  it.each([[NaN], [Infinity], [-Infinity], [""], ["abc"], ["1,5"], ["0x10"], [null], [undefined], [{}], [[1]], ["Infinity"], ["NaN"]])(
    "refuses %j",
    (input) => {
      expect(parseDecimal(input)).toBeNull();
    },
  );

  it("hands our own (immutable) Decimals back as they are, and copies other decimal.js classes into ours", () => {
    const own = D("1.5");
    expect(parseDecimal(own)).toBe(own);
    const RoundDown = DecimalJs.clone({ precision: 5, rounding: DecimalJs.ROUND_DOWN });
    const foreign = new RoundDown("2.5");
    const parsed = parseDecimal(foreign)!;
    expect(parsed).not.toBe(foreign);
    expect(parsed.constructor).toBe(Decimal);
    // Arithmetic on the copy follows our precision and rounding, not the foreign class's.
    expect(parsed.dividedBy(3).toString()).toBe(new Decimal("2.5").dividedBy(3).toString());
    expect(parseDecimal(new Decimal(NaN))).toBeNull();
    expect(parseDecimal(new Decimal(Infinity))).toBeNull();
  });

  it("D throws on programmer errors only", () => {
    expect(() => D(NaN)).toThrow(TypeError);
    expect(D("3").toString()).toBe("3");
  });
});

describe("exact arithmetic", () => {
  it("has no float drift", () => {
    expect(D(0.1).plus(0.2).toString()).toBe("0.3");
    let total = new Decimal(0);
    for (let i = 0; i < 1000; i++) total = total.plus("0.001");
    expect(total.toString()).toBe("1");
  });

  it("sums, mins and maxes", () => {
    expect(sumDec([D(1), D("2.5"), D("-0.5")]).toString()).toBe("3");
    expect(minDec(D(1), D(2)).toString()).toBe("1");
    expect(maxDec(D(1), D(2)).toString()).toBe("2");
    expect(bps(25).toString()).toBe("0.0025");
  });
});

describe("roundToStep", () => {
  it.each([
    ["1.23456", "0.01", "down", "1.23"],
    ["1.23456", "0.01", "up", "1.24"],
    ["1.235", "0.01", "nearest", "1.24"],
    ["1.2349", "0.01", "nearest", "1.23"],
    ["-1.235", "0.01", "down", "-1.24"],
    ["17", "5", "down", "15"],
    ["0.000123", "0.00001", "down", "0.00012"],
    ["5", "0", "down", "5"],
  ] as const)("%s to step %s (%s) = %s", (value, step, direction, expected) => {
    expect(roundToStep(D(value), D(step), direction).toString()).toBe(expected);
  });

  it.each([
    ["1.23", "0.01", true],
    ["1.235", "0.01", false],
    ["0.3", "0.1", true],
    ["-0.3", "0.1", true],
    ["0", "0.01", true],
    ["100", "100", true],
    ["150", "100", false],
    ["7.5", "2.5", true],
    ["7.6", "2.5", false],
    ["1.0000000000000000000000000000000000000001", "1e-40", true],
    ["1e-41", "1e-40", false],
  ] as const)("%s is a multiple of %s: %s", (value, step, expected) => {
    expect(isMultipleOf(D(value), D(step))).toBe(expected);
  });

  // The power-of-ten fast paths must agree with the general divide-and-round / modulo definitions.
  const stepString = fc.oneof(
    fc.integer({ min: -40, max: 3 }).map((k) => `1e${k}`),
    fc.tuple(fc.integer({ min: 1, max: 99 }), fc.integer({ min: -12, max: 2 })).map(([m, k]) => `${m}e${k}`),
  );
  it("rounds to a step exactly as divide, round, multiply does (property)", () => {
    fc.assert(
      fc.property(decimalString, stepString, fc.constantFrom("down", "up", "nearest" as const), (v, st, direction) => {
        const value = D(v);
        const step = D(st);
        const units = value.dividedBy(step);
        const rounded = direction === "down" ? units.floor() : direction === "up" ? units.ceil() : units.toDecimalPlaces(0, Decimal.ROUND_HALF_UP);
        expect(roundToStep(value, step, direction).equals(rounded.times(step))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
  it("recognizes multiples exactly as modulo does (property)", () => {
    fc.assert(
      fc.property(decimalString, stepString, (v, st) => {
        const value = D(v);
        const step = D(st);
        expect(isMultipleOf(value, step)).toBe(value.modulo(step).isZero());
      }),
      { numRuns: 2000 },
    );
  });
});

describe("cmp and isPositive", () => {
  it("orders like comparedTo, without copying (property)", () => {
    fc.assert(
      fc.property(decimalString, decimalString, (x, y) => {
        const a = D(x);
        const b = D(y);
        expect(cmp(a, b)).toBe(a.comparedTo(b));
        expect(cmp(a, a)).toBe(0);
        expect(isPositive(a)).toBe(a.greaterThan(0));
      }),
      { numRuns: 3000 },
    );
  });
  it.each([
    ["0", "-0", 0],
    ["1", "0", 1],
    ["-1", "0", -1],
    ["0.1", "0.10000000000000000001", -1],
    ["-0.1", "-0.10000000000000000001", 1],
    ["1e20", "99999999999999999999", 1],
    ["-5", "5", -1],
  ] as const)("cmp(%s, %s) = %i", (a, b, expected) => {
    expect(cmp(D(a), D(b))).toBe(expected);
  });
  it("follows the library for infinities and NaN", () => {
    expect(cmp(new Decimal(Infinity), D(5))).toBe(1);
    expect(cmp(D(5), new Decimal(-Infinity))).toBe(1);
    expect(cmp(new Decimal(NaN), D(5))).toBeNaN();
    expect(isPositive(new Decimal(NaN))).toBe(false);
    expect(isPositive(new Decimal(Infinity))).toBe(true);
    expect(isPositive(D(0))).toBe(false);
  });
});

describe("approxNumber and ratioNumber (report floats)", () => {
  it("reads a float within a few ulps of the exact value (property)", () => {
    fc.assert(
      fc.property(decimalString, (v) => {
        const value = D(v);
        const exact = value.toNumber();
        const approx = approxNumber(value);
        if (exact === 0) expect(approx).toBe(0);
        else expect(Math.abs(approx - exact) / Math.abs(exact)).toBeLessThan(1e-14);
      }),
      { numRuns: 3000 },
    );
  });
  it.each([
    ["0", 0],
    ["-1.5", -1.5],
    ["22810.5", 22810.5],
    ["0.4386912345678912345678912345678912345678", 0.4386912345678912],
    ["1e-300", 1e-300],
  ] as const)("approxNumber(%s) ≈ %d", (v, expected) => {
    expect(approxNumber(D(v))).toBeCloseTo(expected, 15);
  });
  it.each([
    ["12.5", "1000", 100, 6, 1.25],
    ["-7.5", "2500", 10_000, 4, -30],
    ["1", "3", 100, 6, 33.333333],
    ["0", "5", 100, 6, 0],
    ["-0.0000001", "1", 100, 4, 0],
  ] as const)("ratioNumber(%s, %s, ×%i, %i places) = %d", (a, b, scale, places, expected) => {
    expect(ratioNumber(D(a), D(b), scale, places)).toBe(expected);
  });
  it.each([
    [1.23456, 4, 1.2346],
    [-0.00004, 4, 0],
    [2.5, 0, 3],
    [7, 2, 7],
  ] as const)("roundReport(%d, %i) = %d", (value, places, expected) => {
    expect(Object.is(roundReport(value, places), expected)).toBe(true);
  });
  it("has no ratio for a zero denominator", () => {
    expect(ratioNumber(D(1), D(0), 100, 2)).toBeNull();
  });
});

describe("add, sub and onePlus (shortcuts that must not change a value)", () => {
  it("agree with plus and minus, and skip the arithmetic for zero operands and equal values (property)", () => {
    fc.assert(
      fc.property(decimalString, decimalString, (x, y) => {
        const a = D(x);
        const b = D(y);
        expect(add(a, b).equals(a.plus(b))).toBe(true);
        expect(sub(a, b).equals(a.minus(b))).toBe(true);
        expect(sub(a, a).isZero()).toBe(true);
        if (!a.isZero()) expect(sub(a, a)).toBe(ZERO);
        expect(add(a, ZERO)).toBe(a);
        if (!b.isZero()) expect(add(ZERO, b)).toBe(b);
        expect(sub(a, ZERO)).toBe(a);
      }),
      { numRuns: 2000 },
    );
  });
  it("gives a positive zero for equal values, like minus", () => {
    const zero = sub(D("-1.5"), D("-1.50"));
    expect(zero.isZero()).toBe(true);
    expect(zero.isNegative()).toBe(false);
  });
  it("remembers 1 + rate per rate", () => {
    const rate = D("0.001");
    expect(onePlus(rate).toString()).toBe("1.001");
    expect(onePlus(rate)).toBe(onePlus(rate));
  });
});

describe("compact", () => {
  it("is the same value (digits, exponent, sign, sign of zero) in a Decimal of its own", () => {
    fc.assert(
      fc.property(decimalString, (text) => {
        const value = D(text).times(D("1.0000001")); // a product: its digit words were pushed onto a fresh array
        const copy = compact(value);
        expect(copy).not.toBe(value);
        expect(copy.d).not.toBe(value.d);
        expect(copy.d).toEqual(value.d);
        expect(copy.e).toBe(value.e);
        expect(copy.s).toBe(value.s);
        expect(copy.toString()).toBe(value.toString());
      }),
    );
    expect(compact(D("-0")).isNegative()).toBe(true);
  });
});

describe("timesCompact", () => {
  /** Decimal strings whose digits are runs of 9s and 0s as often as anything else: the rounding's carries ripple through them. */
  const carryString = fc
    .tuple(fc.boolean(), fc.array(fc.constantFrom("9", "9", "9", "0", "1", "4", "5", "6"), { minLength: 1, maxLength: 60 }), fc.integer({ min: -45, max: 20 }))
    .map(([negative, digits, exponent]) => `${negative ? "-" : ""}${digits.join("")}e${exponent}`);
  const operand = fc.oneof(decimalString, carryString);

  const expectSameProduct = (a: Decimal, b: Decimal) => {
    const expected = a.times(b);
    const product = timesCompact(a, b);
    expect(product.s).toBe(expected.s);
    expect(product.e).toBe(expected.e);
    expect(product.d).toEqual(expected.d);
    expect(product.toString()).toBe(expected.toString());
    expect(product).toBeInstanceOf(Decimal);
  };

  it("is a.times(b) exactly (sign, exponent, every digit word after the half-up rounding to the precision)", () => {
    fc.assert(
      fc.property(operand, operand, (x, y) => expectSameProduct(D(x), D(y))),
      { numRuns: 3000 },
    );
  });

  it("keeps exactly its words, and rounds the cases that carry into a new digit", () => {
    const cases: [string, string][] = [
      ["0.4322757850344394117936937879376035840849", "23133.38"], // a backtest's all-in quantity × a price
      ["9999999999999999999999999999999999999999", "1.00000000000000000000000000000000000000005"],
      ["99999999999999999999999999999999999999995", "1"],
      ["9".repeat(41) + "5", "1"], // its first word holds 7 nines: the carry makes it 10^7, written as 1 with the exponent up
      ["9999999.999999999999999999999999999999999", "9999999.999999999999999999999999999999999"],
      ["123", "0.001"],
      ["-2.5", "4"],
      ["1e-30", "1e-25"],
    ];
    for (const [x, y] of cases) {
      expectSameProduct(D(x), D(y));
      const product = timesCompact(D(x), D(y));
      expect(product.d).toEqual(compact(D(x).times(D(y))).d);
    }
  });

  it("rounds a Decimal of another class at that class's precision, as its own times does", () => {
    const Short = DecimalJs.clone({ precision: 10 });
    const a = new Short("1.23456789012345");
    const b = D("3.1");
    expect(timesCompact(a, b).toString()).toBe(a.times(b).toString());
    expect(plusCompact(a, b).toString()).toBe(a.plus(b).toString());
    expect(minusCompact(a, b).toString()).toBe(a.minus(b).toString());
  });

  it("takes the library's path for zero, signed zero, NaN and infinities", () => {
    for (const [x, y] of [
      [0, 5],
      ["-0", 5],
      [5, "-0"],
      [Infinity, 2],
      [-Infinity, "-0"],
      [NaN, 1],
    ] as const) {
      const expected = new Decimal(x).times(new Decimal(y));
      const product = timesCompact(new Decimal(x), new Decimal(y));
      expect(product.toString()).toBe(expected.toString());
      expect(Object.is(product.s, expected.s) || (Number.isNaN(product.s) && Number.isNaN(expected.s))).toBe(true);
    }
  });
});

describe("plusCompact and minusCompact", () => {
  const carryString = fc
    .tuple(fc.boolean(), fc.array(fc.constantFrom("9", "9", "9", "0", "1", "4", "5", "6"), { minLength: 1, maxLength: 60 }), fc.integer({ min: -45, max: 20 }))
    .map(([negative, digits, exponent]) => `${negative ? "-" : ""}${digits.join("")}e${exponent}`);
  /** Pairs of like magnitudes (the fast path's case: up to 60 digits apart, past its 6 words) as often as pairs of any two. */
  const sameMagnitude = fc
    .tuple(fc.oneof(decimalString, carryString), fc.oneof(decimalString, carryString), fc.integer({ min: -60, max: 60 }))
    .map(([x, y, shift]) => {
      const a = D(x);
      const b = D(y);
      return [a, b.isZero() ? b : b.times(new Decimal(10).pow(a.e - b.e + shift))] as const;
    });
  const anyPair = fc.tuple(fc.oneof(decimalString, carryString), fc.oneof(decimalString, carryString)).map(([x, y]) => [D(x), D(y)] as const);

  const expectSame = (value: Decimal, expected: Decimal) => {
    expect(value).toBeInstanceOf(Decimal);
    expect(Object.is(value.s, expected.s)).toBe(true);
    expect(value.e).toBe(expected.e);
    expect(value.d).toEqual(expected.d);
    expect(value.toString()).toBe(expected.toString());
  };

  it("are a.plus(b) and a.minus(b) exactly (sign, exponent, every word after the half-up rounding)", () => {
    fc.assert(
      fc.property(fc.oneof(sameMagnitude, anyPair), ([a, b]) => {
        expectSame(plusCompact(a, b), a.plus(b));
        expectSame(minusCompact(a, b), a.minus(b));
        expectSame(minusCompact(b, a), b.minus(a));
      }),
      { numRuns: 4000 },
    );
  });

  it("agree on the cases that carry, borrow, cancel and round", () => {
    const cases: [string, string][] = [
      ["10000", "1234.567890123456789012345678901234567891"], // initial equity + a closed sum of 40 digits
      ["1234.567890123456789012345678901234567891", "-53.71026629052909691536645315124724532"], // a loss into the closed sum
      ["9999999.999999999999999999999999999999999", "0.000000000000000000000000000000001"],
      ["9999999", "1"],
      ["1000000", "-999999.9999999999999999999999999999999999"],
      ["5", "-5"],
      ["-5", "5"],
      ["0.1", "-0.1000000000000000000000000000000000000001"],
      ["9".repeat(41) + "5", "1"],
      ["1234.5", "0.000000000000000000000000000000000000000000001"], // 6 words apart
      ["1234.5", "-0.00000000000000000000000000000000000000000000000000001"], // 8 words apart: the library cuts the smaller
      ["0.53", "1234.567890123456789012345678901234567891"], // a small PnL into the closed sum
      ["1e7", "-0.0000001"],
    ];
    for (const [x, y] of cases) {
      expectSame(plusCompact(D(x), D(y)), D(x).plus(D(y)));
      expectSame(minusCompact(D(x), D(y)), D(x).minus(D(y)));
      expectSame(plusCompact(D(y), D(x)), D(y).plus(D(x)));
      expectSame(minusCompact(D(y), D(x)), D(y).minus(D(x)));
    }
  });

  it("take the library's path for zeros, signed zeros, NaN and infinities", () => {
    const values = [0, "-0", 5, -5, Infinity, -Infinity, NaN] as const;
    for (const x of values)
      for (const y of values) {
        const a = new Decimal(x);
        const b = new Decimal(y);
        expect(plusCompact(a, b).toString()).toBe(a.plus(b).toString());
        expect(minusCompact(a, b).toString()).toBe(a.minus(b).toString());
        expect(Object.is(plusCompact(a, b).s, a.plus(b).s) || Number.isNaN(a.plus(b).s)).toBe(true);
        expect(Object.is(minusCompact(a, b).s, a.minus(b).s) || Number.isNaN(a.minus(b).s)).toBe(true);
      }
  });
});

describe("numberToDecimal", () => {
  it.each([[22810.5], [0.1], [1e-8], [-3.25], [123456789.123456]])("converts %d exactly as new Decimal does", (n) => {
    expect(numberToDecimal(n).equals(new Decimal(n))).toBe(true);
    expect(numberToDecimal(n).toString()).toBe(new Decimal(n).toString());
  });
  it("hands back the same instance for the last two prices, and converts others", () => {
    const a = numberToDecimal(101.5);
    const b = numberToDecimal(99.25);
    expect(numberToDecimal(101.5)).toBe(a);
    expect(numberToDecimal(99.25)).toBe(b);
    expect(numberToDecimal(42).toString()).toBe("42");
  });
  it("builds, without a string, the very Decimal new Decimal builds (digits, exponent, sign) for prices of any shape", () => {
    // A seeded generator: the same cases every run.
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const shapes: number[] = [1, 7, 9, 10, 99.99, 100, 1e7, 1e13, 12345678000000, 0.00123, 1e-8, 1.5e-8, 0.3, 0.1 + 0.2, 2 ** 49 - 1, 2 ** 49, 2 ** 53];
    for (let i = 0; i < 20_000; i++) {
      const places = Math.floor(random() * 10);
      const magnitude = 10 ** Math.floor(random() * 18 - 6);
      shapes.push(Number((random() * magnitude).toFixed(places)), random() * magnitude, Math.round(random() * magnitude) / 10 ** places);
    }
    for (const n of shapes) {
      if (!(n > 0)) continue;
      const want = new Decimal(n);
      const got = numberToDecimal(n);
      expect({ n, s: got.s, e: got.e, d: got.d, text: got.toString() }).toEqual({ n, s: want.s, e: want.e, d: want.d, text: want.toString() });
      expect(got.constructor).toBe(Decimal);
    }
  });
  it("keeps the sign of zero apart", () => {
    expect(numberToDecimal(0).isNegative()).toBe(false);
    expect(numberToDecimal(-0).isNegative()).toBe(true);
    expect(numberToDecimal(0).isNegative()).toBe(false);
  });
  it("refuses NaN and infinities", () => {
    expect(() => numberToDecimal(Number.NaN)).toThrow(TypeError);
    expect(() => numberToDecimal(Number.POSITIVE_INFINITY)).toThrow(TypeError);
  });
});

describe("decimalText (toString, the last one remembered)", () => {
  it("prints every Decimal as toString does, whatever was printed before", () => {
    fc.assert(
      fc.property(fc.array(decimalString, { minLength: 1, maxLength: 6 }), (texts) => {
        const values = texts.map((t) => D(t));
        // Each value twice in a row (the remembered one) and interleaved with the others (a different instance).
        for (const value of [...values, ...values.slice().reverse()]) {
          expect(decimalText(value)).toBe(value.toString());
          expect(decimalText(value)).toBe(value.toString());
        }
      }),
    );
  });

  it("prints what toString prints for trailing zeros and negative zero", () => {
    expect(decimalText(D("1.50"))).toBe("1.5");
    expect(decimalText(D("-0"))).toBe(D("-0").toString());
  });
});

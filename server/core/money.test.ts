import { describe, expect, it } from "vitest";
import { D, Decimal, bps, isMultipleOf, maxDec, minDec, parseDecimal, roundToStep, sumDec } from "./money";

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

  it("checks multiples", () => {
    expect(isMultipleOf(D("1.23"), D("0.01"))).toBe(true);
    expect(isMultipleOf(D("1.235"), D("0.01"))).toBe(false);
    expect(isMultipleOf(D("0.3"), D("0.1"))).toBe(true);
  });
});

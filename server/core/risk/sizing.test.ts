import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { D, Decimal, isMultipleOf } from "../money";
import {
  atr,
  finishSize,
  kellyFraction,
  sizeByConfidence,
  sizeByVolatility,
  sizeFixedFraction,
  sizeFixedRisk,
  sizeKelly,
  sizeToTargetWeight,
  type Candle,
  type SizeOutcome,
} from "./sizing";

function qtyOf(r: SizeOutcome): string {
  if (!r.ok) throw new Error(`expected a size, got ${r.error.code}: ${r.error.message}`);
  return r.value.quantity.toString();
}

function codeOf(r: { ok: boolean; error?: { code: string } }): string | undefined {
  return r.ok ? "OK" : r.error?.code;
}

describe("sizeFixedFraction: equity × f / price", () => {
  it.each<[string, Parameters<typeof sizeFixedFraction>[1], string, string | null]>([
    // 10000 × 0.02 / 250 = 0.8
    ["no constraints", undefined, "0.8", null],
    ["rounded down to a 0.3 step", { qtyStep: D("0.3") }, "0.6", null],
    ["capped by max notional 150 (150 / 250)", { maxNotional: D(150) }, "0.6", "MAX_NOTIONAL"],
    ["capped by max qty 0.5", { maxQty: D("0.5") }, "0.5", "MAX_QTY"],
    ["the tighter of both caps wins", { maxQty: D("0.7"), maxNotional: D(100) }, "0.4", "MAX_NOTIONAL"],
    ["a cap above the size changes nothing", { maxQty: D(1), maxNotional: D(1000) }, "0.8", null],
  ])("%s", (_label, constraints, qty, cappedBy) => {
    const r = sizeFixedFraction({ equity: D(10000), fraction: 0.02, price: D(250) }, constraints);
    expect(qtyOf(r)).toBe(qty);
    expect(r.ok && r.value.cappedBy).toBe(cappedBy);
    expect(r.ok && r.value.rawQuantity.toString()).toBe("0.8");
  });

  it("rounds a non-terminating cap down to the step, never above the cap", () => {
    // 100 / 3 = 33.333… → 33.333 with step 0.001; notional 99.999
    const r = sizeFixedFraction({ equity: D(10000), fraction: 1, price: D(3) }, { maxNotional: D(100), qtyStep: D("0.001") });
    expect(qtyOf(r)).toBe("33.333");
    expect(r.ok && r.value.notional?.toString()).toBe("99.999");
  });

  it("rounds a non-terminating cap down without a step too", () => {
    const r = sizeFixedFraction({ equity: D(10000), fraction: 1, price: D(3) }, { maxNotional: D(100) });
    expect(r.ok && r.value.quantity.times(3).lessThanOrEqualTo(100)).toBe(true);
    expect(qtyOf(r)).toBe("33.33333333333333333333333333333333333333");
  });

  it.each<[string, Parameters<typeof sizeFixedFraction>[1], string, string]>([
    // 10000 × 0.0001 / 50000 = 0.00002
    ["smaller than one step", { qtyStep: D("0.001") }, "BELOW_QTY_STEP", "The size 0.00002 is smaller than one quantity step of 0.001."],
    ["below the minimum quantity", { minQty: D("0.0001") }, "BELOW_MIN_QTY", "The size 0.00002 is below the minimum quantity of 0.0001."],
    ["a zero cap", { maxQty: D(0) }, "CAPPED_TO_ZERO", "The maximum quantity is zero."],
  ])("zero with a reason: %s", (_label, constraints, code, message) => {
    const r = sizeFixedFraction({ equity: D(10000), fraction: 0.0001, price: D(50000) }, constraints);
    expect(qtyOf(r)).toBe("0");
    expect(r.ok && r.value.zeroReason).toEqual({ code, message });
  });

  it.each<[string, Parameters<typeof sizeFixedFraction>[0], Parameters<typeof sizeFixedFraction>[1], string]>([
    ["zero equity", { equity: D(0), fraction: 0.1, price: D(1) }, undefined, "NON_POSITIVE_EQUITY"],
    ["negative equity", { equity: D(-5), fraction: 0.1, price: D(1) }, undefined, "NON_POSITIVE_EQUITY"],
    ["a percent passed as a fraction", { equity: D(100), fraction: 5, price: D(1) }, undefined, "INVALID_FRACTION"],
    ["zero fraction", { equity: D(100), fraction: 0, price: D(1) }, undefined, "INVALID_FRACTION"],
    ["NaN fraction", { equity: D(100), fraction: NaN, price: D(1) }, undefined, "INVALID_FRACTION"],
    ["negative price", { equity: D(100), fraction: 0.1, price: D(-1) }, undefined, "NON_POSITIVE_PRICE"],
    ["zero step", { equity: D(100), fraction: 0.1, price: D(1) }, { qtyStep: D(0) }, "INVALID_CONSTRAINT"],
    ["negative cap", { equity: D(100), fraction: 0.1, price: D(1) }, { maxNotional: D(-1) }, "INVALID_CONSTRAINT"],
  ])("refuses %s", (_label, inputs, constraints, code) => {
    expect(codeOf(sizeFixedFraction(inputs, constraints))).toBe(code);
  });
});

describe("sizeFixedRisk: equity × risk / |entry − stop|", () => {
  it.each<[string, Parameters<typeof sizeFixedRisk>[0], Parameters<typeof sizeFixedRisk>[1], string]>([
    // 10000 × 0.01 = 100 at risk
    ["long, stop 5 below", { equity: D(10000), riskFraction: 0.01, entry: D(100), stop: D(95), side: "BUY" }, undefined, "20"],
    ["short, stop 4 above", { equity: D(10000), riskFraction: 0.01, entry: D(100), stop: D(104), side: "SELL" }, undefined, "25"],
    ["no side given", { equity: D(10000), riskFraction: 0.01, entry: D(100), stop: D(104) }, undefined, "25"],
    ["capped by notional 1500 at entry 100", { equity: D(10000), riskFraction: 0.01, entry: D(100), stop: D(95) }, { maxNotional: D(1500) }, "15"],
    ["stop 3 away, step 1: 33.33 → 33", { equity: D(10000), riskFraction: 0.01, entry: D(100), stop: D(97) }, { qtyStep: D(1) }, "33"],
  ])("%s", (_label, inputs, constraints, qty) => {
    expect(qtyOf(sizeFixedRisk(inputs, constraints))).toBe(qty);
  });

  it.each<[string, Parameters<typeof sizeFixedRisk>[0], string]>([
    ["stop at entry", { equity: D(10000), riskFraction: 0.01, entry: D(100), stop: D(100) }, "STOP_AT_ENTRY"],
    ["long with the stop above", { equity: D(10000), riskFraction: 0.01, entry: D(100), stop: D(105), side: "BUY" }, "STOP_WRONG_SIDE"],
    ["short with the stop below", { equity: D(10000), riskFraction: 0.01, entry: D(100), stop: D(95), side: "SELL" }, "STOP_WRONG_SIDE"],
    ["zero stop price", { equity: D(10000), riskFraction: 0.01, entry: D(100), stop: D(0) }, "NON_POSITIVE_PRICE"],
    ["zero equity", { equity: D(0), riskFraction: 0.01, entry: D(100), stop: D(95) }, "NON_POSITIVE_EQUITY"],
  ])("refuses %s", (_label, inputs, code) => {
    expect(codeOf(sizeFixedRisk(inputs))).toBe(code);
  });

  it("says why a stop at entry is refused", () => {
    const r = sizeFixedRisk({ equity: D(10000), riskFraction: 0.01, entry: D(100), stop: D(100) });
    expect(!r.ok && r.error.message).toBe("The stop 100 is at the entry price: the risk per unit would be zero.");
  });
});

describe("sizeByVolatility: equity × risk / (multiple × ATR)", () => {
  it("sizes from the ATR", () => {
    // 20000 × 0.005 = 100; 2 × 2.5 = 5 → 20; notional at 50 = 1000
    const r = sizeByVolatility({ equity: D(20000), riskFraction: 0.005, atr: D("2.5"), atrMultiple: 2, price: D(50) });
    expect(qtyOf(r)).toBe("20");
    expect(r.ok && r.value.notional?.toString()).toBe("1000");
  });

  it("accepts a numeric ATR and caps by quantity", () => {
    expect(qtyOf(sizeByVolatility({ equity: D(20000), riskFraction: 0.005, atr: 2.5, atrMultiple: 2, price: D(50) }, { maxQty: D(12) }))).toBe("12");
  });

  it.each<[string, Decimal | number, number, string]>([
    ["zero ATR", D(0), 2, "INVALID_ATR"],
    ["NaN ATR", NaN, 2, "INVALID_ATR"],
    ["negative ATR", -1, 2, "INVALID_ATR"],
    ["zero multiple", 2.5, 0, "INVALID_ATR"],
  ])("refuses %s", (_label, atrValue, atrMultiple, code) => {
    expect(codeOf(sizeByVolatility({ equity: D(20000), riskFraction: 0.005, atr: atrValue, atrMultiple, price: D(50) }))).toBe(code);
  });
});

describe("sizeByConfidence: base × clamp(confidence)", () => {
  it.each<[string, number, number | undefined, Parameters<typeof sizeByConfidence>[1], string]>([
    ["0.75 of 2", 0.75, undefined, undefined, "1.5"],
    ["clamped to 1", 1.4, undefined, undefined, "2"],
    ["0.75 of 2, step 0.4: 1.5 → 1.2", 0.75, undefined, { qtyStep: D("0.4") }, "1.2"],
    ["at the minimum", 0.6, 0.6, undefined, "1.2"],
    ["below the minimum", 0.5, 0.6, undefined, "0"],
    ["negative clamps to zero", -0.2, undefined, undefined, "0"],
  ])("%s", (_label, confidence, minConfidence, constraints, qty) => {
    expect(qtyOf(sizeByConfidence({ baseQty: D(2), confidence, minConfidence }, constraints))).toBe(qty);
  });

  it("explains a zero from low confidence", () => {
    const r = sizeByConfidence({ baseQty: D(2), confidence: 0.5, minConfidence: 0.6 });
    expect(r.ok && r.value.zeroReason).toEqual({ code: "BELOW_MIN_CONFIDENCE", message: "Confidence 0.5 is below the minimum of 0.6." });
  });

  it("caps by notional when given a price", () => {
    // 2 × 0.75 = 1.5 at 1000 = 1500 > 1200 → 1.2
    const r = sizeByConfidence({ baseQty: D(2), confidence: 0.75, price: D(1000) }, { maxNotional: D(1200) });
    expect(qtyOf(r)).toBe("1.2");
    expect(r.ok && r.value.cappedBy).toBe("MAX_NOTIONAL");
  });

  it.each<[string, Parameters<typeof sizeByConfidence>[0], Parameters<typeof sizeByConfidence>[1], string]>([
    ["NaN confidence", { baseQty: D(2), confidence: NaN }, undefined, "INVALID_CONFIDENCE"],
    ["minimum above 1", { baseQty: D(2), confidence: 0.5, minConfidence: 2 }, undefined, "INVALID_CONFIDENCE"],
    ["zero base", { baseQty: D(0), confidence: 0.5 }, undefined, "INVALID_BASE_SIZE"],
    ["a notional cap without a price", { baseQty: D(2), confidence: 0.5 }, { maxNotional: D(10) }, "MISSING_PRICE"],
  ])("refuses %s", (_label, inputs, constraints, code) => {
    expect(codeOf(sizeByConfidence(inputs, constraints))).toBe(code);
  });
});

describe("Kelly", () => {
  it.each<[number, number, string]>([
    [0.6, 2, "0.4"], // 0.6 − 0.4 / 2
    [0.55, 1.5, "0.25"], // 0.55 − 0.45 / 1.5
    [0.5, 1, "0"],
    [0.3, 1, "-0.4"],
  ])("f*(W=%s, R=%s) = %s", (w, r, expected) => {
    expect(kellyFraction(w, r).toString()).toBe(expected);
  });

  it.each<[string, number, string, string, string]>([
    // f* = 0.4; half Kelly 0.2; equity 10000 → 2000 / 100 = 20
    ["half Kelly under the cap", 0.25, "20", "0.2", "0.4"],
    ["half Kelly capped at 10%", 0.1, "10", "0.1", "0.4"],
  ])("%s", (_label, maxFraction, qty, applied, fStar) => {
    const r = sizeKelly({ equity: D(10000), winRate: 0.6, payoffRatio: 2, multiplier: 0.5, maxFraction, price: D(100) });
    expect(r.ok && r.value.quantity.toString()).toBe(qty);
    expect(r.ok && r.value.appliedFraction.toString()).toBe(applied);
    expect(r.ok && r.value.kellyFraction.toString()).toBe(fStar);
  });

  it.each<[number, number]>([
    [0.3, 1],
    [0.5, 1],
  ])("sizes zero with no edge (W=%s, R=%s)", (winRate, payoffRatio) => {
    const r = sizeKelly({ equity: D(10000), winRate, payoffRatio, multiplier: 0.5, maxFraction: 0.25, price: D(100) });
    expect(r.ok && r.value.quantity.toString()).toBe("0");
    expect(r.ok && r.value.zeroReason?.code).toBe("NO_EDGE");
  });

  it("explains no edge with the numbers", () => {
    const r = sizeKelly({ equity: D(10000), winRate: 0.3, payoffRatio: 1, multiplier: 0.5, maxFraction: 0.25, price: D(100) });
    expect(r.ok && r.value.zeroReason?.message).toBe("No edge: with a win rate of 0.3 and a payoff ratio of 1 the Kelly fraction is -0.4.");
  });

  it.each<[string, Partial<Parameters<typeof sizeKelly>[0]>, string]>([
    ["win rate above 1", { winRate: 1.2 }, "INVALID_WIN_RATE"],
    ["zero payoff", { payoffRatio: 0 }, "INVALID_PAYOFF_RATIO"],
    ["multiplier above 1", { multiplier: 2 }, "INVALID_FRACTION"],
    ["zero max fraction", { maxFraction: 0 }, "INVALID_FRACTION"],
    ["zero equity", { equity: D(0) }, "NON_POSITIVE_EQUITY"],
  ])("refuses %s", (_label, override, code) => {
    expect(codeOf(sizeKelly({ equity: D(10000), winRate: 0.6, payoffRatio: 2, multiplier: 0.5, maxFraction: 0.25, price: D(100), ...override }))).toBe(code);
  });
});

describe("finishSize", () => {
  it("gives a reason for a non-positive raw size", () => {
    const r = finishSize(D(-1), D(10));
    expect(r.ok && r.value.quantity.toString()).toBe("0");
    expect(r.ok && r.value.zeroReason?.code).toBe("ZERO_RAW_SIZE");
  });

  it("property: never exceeds the caps, is a multiple of the step, and is never negative", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 9_999_999 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.constantFrom("0.001", "0.01", "0.5", "1", "3"),
        (equity, fractionThousandths, priceCents, maxQtyMilli, maxNotional, step) => {
          const price = D(priceCents).dividedBy(100);
          const maxQty = D(maxQtyMilli).dividedBy(1000);
          const r = sizeFixedFraction(
            { equity: D(equity), fraction: fractionThousandths / 1000, price },
            { maxQty, maxNotional: D(maxNotional), qtyStep: D(step) },
          );
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          const q = r.value.quantity;
          expect(q.greaterThanOrEqualTo(0)).toBe(true);
          expect(q.lessThanOrEqualTo(maxQty)).toBe(true);
          expect(q.times(price).lessThanOrEqualTo(maxNotional)).toBe(true);
          expect(q.lessThanOrEqualTo(r.value.rawQuantity)).toBe(true);
          expect(isMultipleOf(q, D(step))).toBe(true);
          // Rounding down loses less than one step against the tightest cap.
          const tightest = Decimal.min(r.value.rawQuantity, maxQty, D(maxNotional).dividedBy(price));
          expect(tightest.minus(q).lessThan(step)).toBe(true);
        },
      ),
    );
  });
});

describe("atr (Wilder)", () => {
  const candles: Candle[] = [
    { high: 10, low: 8, close: 9 },
    { high: 11, low: 9, close: 10 }, // TR max(2, 2, 0) = 2
    { high: 13, low: 10, close: 12 }, // TR max(3, 3, 0) = 3
    { high: 12, low: 11, close: 11.5 }, // TR max(1, 0, 1) = 1 → first ATR (2 + 3 + 1) / 3 = 2
    { high: 15, low: 12, close: 14 }, // TR max(3, 3.5, 0.5) = 3.5 → (2 × 2 + 3.5) / 3 = 2.5
    { high: 10, low: 9, close: 9.5 }, // gap down: TR max(1, 4, 5) = 5 → (2.5 × 2 + 5) / 3 = 10 / 3
  ];

  it.each<[number, number]>([
    [4, 2],
    [5, 2.5],
    [6, 10 / 3],
  ])("over the first %s candles = %s", (n, expected) => {
    const r = atr(candles.slice(0, n), 3);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value).toBeCloseTo(expected, 12);
  });

  it.each<[string, Candle[], number, string]>([
    ["too few candles", candles.slice(0, 3), 3, "NOT_ENOUGH_CANDLES"],
    ["zero period", candles, 0, "INVALID_PERIOD"],
    ["fractional period", candles, 2.5, "INVALID_PERIOD"],
    ["high below low", [...candles.slice(0, 4), { high: 1, low: 2, close: 1.5 }], 3, "INVALID_CANDLE"],
    ["NaN close", [{ high: 1, low: 1, close: NaN }, ...candles], 3, "INVALID_CANDLE"],
  ])("refuses %s", (_label, input, period, code) => {
    expect(codeOf(atr(input, period))).toBe(code);
  });
});

describe("sizeToTargetWeight", () => {
  const base = { equity: D(10_000), bookFraction: 0.5, price: D(100), symbol: "BTC/USDT" };
  it.each([
    { name: "a flat symbol buys its whole target", targetWeight: 0.3, held: "0", qty: "15", zero: null },
    { name: "a held part is left out", targetWeight: 0.3, held: "600", qty: "9", zero: null },
    { name: "a gap inside the 1 % band is at target", targetWeight: 0.3, held: "1486", qty: "0", zero: "AT_TARGET_WEIGHT" },
    { name: "above the target buys nothing", targetWeight: 0.3, held: "2000", qty: "0", zero: "AT_TARGET_WEIGHT" },
    { name: "a zero weight buys nothing", targetWeight: 0, held: "0", qty: "0", zero: "AT_TARGET_WEIGHT" },
  ])("$name", ({ targetWeight, held, qty, zero }) => {
    const outcome = sizeToTargetWeight({ ...base, targetWeight, heldNotional: D(held) }, { qtyStep: D("0.001") });
    if (!outcome.ok) throw new Error(outcome.error.message);
    expect(outcome.value.quantity.toString()).toBe(qty);
    expect(outcome.value.zeroReason?.code ?? null).toBe(zero);
  });

  it("says what is held and what the target is", () => {
    const outcome = sizeToTargetWeight({ ...base, targetWeight: 0.3, heldNotional: D(2000) });
    expect(outcome.ok && outcome.value.zeroReason?.message).toBe(
      "BTC/USDT already holds 2000, within 1% of or above its target of 1500 (30% of 50% of equity 10000).",
    );
  });

  it.each([
    { targetWeight: 1.2, heldNotional: D(0), code: "INVALID_FRACTION" },
    { targetWeight: Number.NaN, heldNotional: D(0), code: "INVALID_FRACTION" },
    { targetWeight: 0.2, heldNotional: D(-1), code: "INVALID_BASE_SIZE" },
  ])("refuses weight $targetWeight with held $heldNotional", ({ targetWeight, heldNotional, code }) => {
    const outcome = sizeToTargetWeight({ ...base, targetWeight, heldNotional });
    expect(!outcome.ok && outcome.error.code).toBe(code);
  });

  it("never takes a symbol past its target (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0.0001, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 20_000 }),
        (targetWeight, bookFraction, held) => {
          const outcome = sizeToTargetWeight({ ...base, targetWeight, bookFraction, heldNotional: D(held) }, { qtyStep: D("0.0001") });
          if (!outcome.ok) return false;
          const after = D(held).plus(outcome.value.quantity.times(base.price));
          return outcome.value.quantity.isZero() || after.lessThanOrEqualTo(base.equity.times(bookFraction).times(targetWeight));
        },
      ),
    );
  });
});

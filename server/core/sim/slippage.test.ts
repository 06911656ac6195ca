import { describe, it, expect } from "vitest";
import { D } from "../money";
import { applySlippage, executionPrice, expectedSlippageBps, shareOfVolume, validateOrderSize, type SlippageConfig, type SlippageContext } from "./slippage";

describe("expectedSlippageBps", () => {
  const realistic: SlippageConfig = { model: "REALISTIC", impactK: 1, fixedBps: 1, defaultSpreadBps: 4, defaultVolatility: 0.02 };
  it.each<[string, SlippageConfig, SlippageContext, number]>([
    ["NONE is free", { model: "NONE" }, { qty: 10, volume: 1 }, 0],
    ["FIXED is constant", { model: "FIXED", bps: 5 }, { qty: 10, volume: 1 }, 5],
    ["VOLUME: base + k × share", { model: "VOLUME", baseBps: 2, k: 100, maxBps: 50 }, { qty: 10, volume: 100 }, 12],
    ["VOLUME: capped by maxBps", { model: "VOLUME", baseBps: 2, k: 100, maxBps: 50 }, { qty: 100, volume: 100 }, 50],
    ["VOLUME: unknown volume adds nothing", { model: "VOLUME", baseBps: 2, k: 100 }, { qty: 10 }, 2],
    ["VOLUME: zero volume counts as the whole market", { model: "VOLUME", baseBps: 2, k: 100 }, { qty: 10, volume: 0 }, 102],
    // 4/2 + 1 × 0.02 × √0.25 × 1e4 + 1 = 2 + 100 + 1
    ["REALISTIC with defaults", realistic, { qty: 25, volume: 100 }, 103],
    // spread 0 (already at the touch), σ 1%: 0 + 0.01 × √0.01 × 1e4 + 1 = 11
    ["REALISTIC with a known spread and volatility", realistic, { qty: 1, volume: 100, spreadBps: 0, volatility: 0.01 }, 11],
    ["REALISTIC capped", { ...realistic, maxBps: 20 }, { qty: 25, volume: 100 }, 20],
    ["negative configs never pay the trader", { model: "FIXED", bps: -3 }, { qty: 1 }, 0],
  ])("%s", (_name, config, context, expected) => {
    expect(expectedSlippageBps(config, context)).toBeCloseTo(expected, 9);
  });

  it("shareOfVolume", () => {
    expect(shareOfVolume(5, 50)).toBe(0.1);
    expect(shareOfVolume(5, undefined)).toBe(0);
    expect(shareOfVolume(5, 0)).toBe(1);
  });
});

describe("executionPrice", () => {
  it.each<[string, "BUY" | "SELL", string, number, string | undefined, string]>([
    ["buy pays more", "BUY", "100", 10, undefined, "100.1"],
    ["sell gets less", "SELL", "100", 10, undefined, "99.9"],
    ["zero slippage keeps the reference", "BUY", "100.123", 0, "0.01", "100.123"],
    ["buy rounds up to the tick", "BUY", "30000", 0.5, "0.1", "30001.5"],
    ["buy rounds up to the tick (not on tick)", "BUY", "30000.03", 1, "0.1", "30003.1"],
    ["sell rounds down to the tick", "SELL", "30000.03", 1, "0.1", "29997"],
  ])("%s", (_name, side, reference, slippage, tick, expected) => {
    expect(executionPrice(side, D(reference), slippage, tick === undefined ? undefined : D(tick)).toString()).toBe(expected);
  });

  it("applySlippage returns both", () => {
    const result = applySlippage({ model: "FIXED", bps: 25 }, "SELL", D(200), { qty: 1 });
    expect(result.bps).toBe(25);
    expect(result.price.toString()).toBe("199.5");
  });
});

describe("validateOrderSize", () => {
  it("accepts an order within the limits and reports its share and slippage", () => {
    const result = validateOrderSize(
      { qty: D(2) },
      { volume: 100 },
      { maxShareOfVolume: 0.1, maxSlippageBps: 10, slippage: { model: "VOLUME", baseBps: 1, k: 100 } },
    );
    expect(result).toEqual({ ok: true, value: { qty: 2, shareOfVolume: 0.02, expectedSlippageBps: 3 } });
  });

  it.each<[string, Parameters<typeof validateOrderSize>, string, string]>([
    ["zero volume", [{ qty: 1 }, { volume: 0 }, {}], "ZERO_VOLUME", "There was no traded volume to size an order of 1 against."],
    [
      "above the share cap",
      [{ qty: 25 }, { volume: 100 }, { maxShareOfVolume: 0.1 }],
      "VOLUME_SHARE_EXCEEDED",
      "An order of 25 is 25% of the observed volume of 100; the cap is 10%.",
    ],
    [
      "notional converted with the price",
      [{ notional: 30_000 }, { volume: 10, price: 20_000 }, { maxShareOfVolume: 0.1 }],
      "VOLUME_SHARE_EXCEEDED",
      "An order of 1.5 is 15% of the observed volume of 10; the cap is 10%.",
    ],
    [
      "slippage above the maximum",
      [{ qty: 5 }, { volume: 100 }, { maxSlippageBps: 5, slippage: { model: "VOLUME", baseBps: 2, k: 100 } }],
      "SLIPPAGE_EXCEEDED",
      "An order of 5 is expected to slip 7 bps; the maximum is 5 bps.",
    ],
    [
      "notional without a price",
      [{ notional: 100 }, { volume: 10 }, {}],
      "NO_PRICE",
      "An order of 100 in quote currency needs a market price to be sized, and none is known.",
    ],
    ["no size", [{}, { volume: 10 }, {}], "INVALID_SIZE", "The order has neither a quantity nor a notional."],
    ["negative size", [{ qty: -1 }, { volume: 10 }, {}], "INVALID_SIZE", "The order quantity -1 is not a positive number."],
  ])("refuses: %s", (_name, args, code, message) => {
    const result = validateOrderSize(...args);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe(code);
      expect(result.error.message).toBe(message);
    }
  });
});

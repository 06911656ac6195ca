import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { D } from "../money";
import { type OrderSide } from "../orders/types";
import { gateByTradingState, shrinksExposure, type TradingState } from "./trading-state";

type Case = [
  label: string,
  state: TradingState,
  side: OrderSide,
  qty: string,
  reduceOnly: boolean,
  netQty: string,
  expected: "PASS" | "TRADING_HALTED" | "REDUCING_ONLY",
];

const cases: Case[] = [
  // ACTIVE lets everything through
  ["active buy, flat", "ACTIVE", "BUY", "1", false, "0", "PASS"],
  ["active buy adding to long", "ACTIVE", "BUY", "1", false, "2", "PASS"],
  ["active sell flipping long", "ACTIVE", "SELL", "3", false, "2", "PASS"],
  // HALTED: only reduce-only closes that truly reduce
  ["halted reduce-only sell closing part of a long", "HALTED", "SELL", "1", true, "2", "PASS"],
  ["halted reduce-only sell closing all of a long", "HALTED", "SELL", "2", true, "2", "PASS"],
  ["halted reduce-only buy closing a short", "HALTED", "BUY", "0.5", true, "-0.5", "PASS"],
  ["halted plain sell that would reduce a long", "HALTED", "SELL", "1", false, "2", "TRADING_HALTED"],
  ["halted buy opening", "HALTED", "BUY", "1", false, "0", "TRADING_HALTED"],
  ["halted reduce-only larger than the long", "HALTED", "SELL", "3", true, "2", "TRADING_HALTED"],
  ["halted reduce-only on the same side", "HALTED", "BUY", "1", true, "2", "TRADING_HALTED"],
  ["halted reduce-only while flat", "HALTED", "SELL", "1", true, "0", "TRADING_HALTED"],
  // REDUCING: anything that shrinks without flipping
  ["reducing plain sell reducing a long", "REDUCING", "SELL", "1", false, "2", "PASS"],
  ["reducing reduce-only buy closing a short", "REDUCING", "BUY", "2", true, "-2", "PASS"],
  ["reducing sell flipping a long to short", "REDUCING", "SELL", "2.0001", false, "2", "REDUCING_ONLY"],
  ["reducing buy adding to long", "REDUCING", "BUY", "0.1", false, "2", "REDUCING_ONLY"],
  ["reducing buy while flat", "REDUCING", "BUY", "0.1", false, "0", "REDUCING_ONLY"],
  ["reducing sell adding to a short", "REDUCING", "SELL", "1", true, "-1", "REDUCING_ONLY"],
];

describe("gateByTradingState", () => {
  it.each(cases)("%s", (_label, state, side, qty, reduceOnly, netQty, expected) => {
    const result = gateByTradingState(state, { symbol: "BTC/USDT", side, quantity: D(qty), reduceOnly }, { netQty: D(netQty) });
    if (expected === "PASS") expect(result.ok).toBe(true);
    else {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe(expected);
    }
  });

  it("lets cancels through in every state", () => {
    for (const state of ["ACTIVE", "REDUCING", "HALTED"] as const) {
      expect(gateByTradingState(state, { kind: "cancel" }, { netQty: D(0) }).ok).toBe(true);
    }
  });

  it("reports whether a passing order shrinks exposure", () => {
    const shrinking = gateByTradingState("ACTIVE", { side: "SELL", quantity: D(1), reduceOnly: false }, { netQty: D(1) });
    const adding = gateByTradingState("ACTIVE", { side: "BUY", quantity: D(1), reduceOnly: false }, { netQty: D(1) });
    expect(shrinking.ok && shrinking.value.shrinksExposure).toBe(true);
    expect(adding.ok && adding.value.shrinksExposure).toBe(false);
  });

  it("denies reduce-only closes in HALTED when the option forbids them", () => {
    const r = gateByTradingState("HALTED", { side: "SELL", quantity: D(1), reduceOnly: true }, { netQty: D(2) }, { haltedAllowsReduceOnly: false });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toBe("Trading is halted: no new orders are allowed, not even reduce-only closes.");
  });

  it("explains the refusal with the numbers", () => {
    const halted = gateByTradingState("HALTED", { symbol: "ETH/USDT", side: "SELL", quantity: D(3), reduceOnly: true }, { netQty: D(2) });
    expect(!halted.ok && halted.error.message).toBe(
      "Trading is halted: only cancels and reduce-only closes are allowed, and for reduce-only SELL 3 ETH/USDT 3 is larger than the long 2 position it would reduce.",
    );
    const reducing = gateByTradingState("REDUCING", { symbol: "ETH/USDT", side: "BUY", quantity: D(1), reduceOnly: false }, { netQty: D(2) });
    expect(!reducing.ok && reducing.error.message).toBe(
      "Trading is in REDUCING mode: only orders that shrink exposure are allowed, and BUY 1 ETH/USDT does not (BUY would add to the long 2 position).",
    );
  });

  it("property: in REDUCING, a passing order never increases |net position|", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 1, max: 2000 }), fc.boolean(), fc.boolean(), (net, qty, buy, reduceOnly) => {
        const side: OrderSide = buy ? "BUY" : "SELL";
        const r = gateByTradingState("REDUCING", { side, quantity: D(qty), reduceOnly }, { netQty: D(net) });
        const after = buy ? net + qty : net - qty;
        if (r.ok) expect(Math.abs(after)).toBeLessThan(Math.abs(net));
        expect(r.ok).toBe(shrinksExposure(side, D(qty), D(net)));
      }),
    );
  });
});

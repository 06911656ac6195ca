import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { D, type Decimal } from "../money";
import { shouldTrigger, triggerDirection, trailingLimitPrice, updateTrailingStop, watchedPrice, type MarketObservation } from "./triggers";
import { type OrderSide, type OrderType, type TrailingState, type TriggerSource } from "./types";

describe("watchedPrice", () => {
  const obs: MarketObservation = { last: 100, bid: 99, ask: 101, mark: 100.5 };
  it.each<[TriggerSource, OrderSide, number | undefined]>([
    ["LAST", "BUY", 100],
    ["LAST", "SELL", 100],
    ["BID_ASK", "BUY", 101],
    ["BID_ASK", "SELL", 99],
    ["MARK", "BUY", 100.5],
    ["MARK", "SELL", 100.5],
  ])("%s for a %s watches %s", (source, side, expected) => {
    expect(watchedPrice(source, side, obs)).toBe(expected);
  });

  it("is undefined when the feed lacks the price", () => {
    expect(watchedPrice("BID_ASK", "BUY", { last: 100 })).toBeUndefined();
    expect(watchedPrice("LAST", "SELL", { bid: 1, ask: 2 })).toBeUndefined();
  });
});

describe("triggerDirection", () => {
  it.each<[OrderType, OrderSide, string | null]>([
    ["STOP_MARKET", "BUY", "AT_OR_ABOVE"],
    ["STOP_MARKET", "SELL", "AT_OR_BELOW"],
    ["STOP_LIMIT", "BUY", "AT_OR_ABOVE"],
    ["STOP_LIMIT", "SELL", "AT_OR_BELOW"],
    ["TRAILING_STOP_MARKET", "SELL", "AT_OR_BELOW"],
    ["TRAILING_STOP_LIMIT", "BUY", "AT_OR_ABOVE"],
    ["TAKE_PROFIT_MARKET", "BUY", "AT_OR_BELOW"],
    ["TAKE_PROFIT_MARKET", "SELL", "AT_OR_ABOVE"],
    ["TAKE_PROFIT_LIMIT", "BUY", "AT_OR_BELOW"],
    ["TAKE_PROFIT_LIMIT", "SELL", "AT_OR_ABOVE"],
    ["LIMIT_IF_TOUCHED", "BUY", "AT_OR_BELOW"],
    ["LIMIT_IF_TOUCHED", "SELL", "AT_OR_ABOVE"],
    ["MARKET", "BUY", null],
    ["LIMIT", "SELL", null],
  ])("%s %s → %s", (type, side, expected) => {
    expect(triggerDirection(type, side)).toBe(expected);
  });
});

describe("shouldTrigger", () => {
  // trigger at 100; observations just below, at and above it for each source.
  const below: MarketObservation = { last: 99, bid: 99, ask: 99.5, mark: 99 };
  const at: MarketObservation = { last: 100, bid: 100, ask: 100, mark: 100 };
  const above: MarketObservation = { last: 101, bid: 100.5, ask: 101, mark: 101 };
  const cases: [OrderType, OrderSide, TriggerSource, MarketObservation, boolean][] = [];
  const stopLike: OrderType[] = ["STOP_MARKET", "STOP_LIMIT", "TRAILING_STOP_MARKET", "TRAILING_STOP_LIMIT"];
  const profitLike: OrderType[] = ["TAKE_PROFIT_MARKET", "TAKE_PROFIT_LIMIT", "LIMIT_IF_TOUCHED"];
  for (const source of ["LAST", "BID_ASK", "MARK"] as const) {
    for (const type of stopLike) {
      cases.push([type, "BUY", source, below, false], [type, "BUY", source, at, true], [type, "BUY", source, above, true]);
      cases.push([type, "SELL", source, below, true], [type, "SELL", source, at, true], [type, "SELL", source, above, false]);
    }
    for (const type of profitLike) {
      cases.push([type, "BUY", source, below, true], [type, "BUY", source, at, true], [type, "BUY", source, above, false]);
      cases.push([type, "SELL", source, below, false], [type, "SELL", source, at, true], [type, "SELL", source, above, true]);
    }
  }
  it.each(cases)("%s %s on %s at %o → %s", (type, side, triggerSource, obs, expected) => {
    expect(shouldTrigger({ type, side, triggerPrice: 100, triggerSource }, obs)).toBe(expected);
  });

  it("BID_ASK uses the side the order would take: a buy stop at 100 fires on ask 100 even with bid 99", () => {
    const order = { type: "STOP_MARKET" as const, side: "BUY" as const, triggerPrice: 100, triggerSource: "BID_ASK" as const };
    expect(shouldTrigger(order, { bid: 99, ask: 100 })).toBe(true);
    expect(shouldTrigger(order, { bid: 99, ask: 99.9 })).toBe(false);
    const sell = { ...order, side: "SELL" as const };
    expect(shouldTrigger(sell, { bid: 100, ask: 101 })).toBe(true);
    expect(shouldTrigger(sell, { bid: 100.1, ask: 101 })).toBe(false);
  });

  it("never fires on a missing price, a non-finite price, or a type without a trigger", () => {
    const order = { type: "STOP_MARKET" as const, side: "SELL" as const, triggerPrice: 100, triggerSource: "LAST" as const };
    expect(shouldTrigger(order, { bid: 1, ask: 2 })).toBe(false);
    expect(shouldTrigger(order, { last: Number.NaN })).toBe(false);
    expect(shouldTrigger({ ...order, type: "LIMIT" }, { last: 1 })).toBe(false);
  });
});

function trailing(overrides: Partial<TrailingState> = {}): TrailingState {
  return {
    offset: D(5),
    offsetType: "PRICE",
    activationPrice: null,
    activated: false,
    extremePrice: null,
    limitOffset: null,
    ...overrides,
  };
}

/** Feeds a path of last prices, returning the trigger (as a string or null) after each one. */
function walk(state: TrailingState, side: OrderSide, path: number[], tick?: Decimal, initial: Decimal | null = null): (string | null)[] {
  let current = state;
  let trigger = initial;
  const out: (string | null)[] = [];
  for (const last of path) {
    const update = updateTrailingStop(current, side, { last }, { tick, currentTriggerPrice: trigger });
    current = update.trailing;
    trigger = update.triggerPrice;
    out.push(trigger === null ? null : trigger.toString());
  }
  return out;
}

describe("updateTrailingStop", () => {
  it.each<[string, TrailingState, OrderSide, number[], (string | null)[]]>([
    ["SELL, price offset, no activation: follows the high", trailing(), "SELL", [100, 104, 102, 110, 90], ["95", "99", "99", "105", "105"]],
    ["BUY, price offset, no activation: follows the low", trailing(), "BUY", [100, 96, 98, 90, 120], ["105", "101", "101", "95", "95"]],
    ["SELL, basis points (100 bp = 1%)", trailing({ offset: D(100), offsetType: "BASIS_POINTS" }), "SELL", [200, 250, 240], ["198", "247.5", "247.5"]],
    ["BUY, basis points (100 bp = 1%)", trailing({ offset: D(100), offsetType: "BASIS_POINTS" }), "BUY", [200, 150, 160], ["202", "151.5", "151.5"]],
    [
      "SELL activates only once price ≥ activation",
      trailing({ activationPrice: D(110) }),
      "SELL",
      [100, 109, 110, 115, 111],
      [null, null, "105", "110", "110"],
    ],
    ["BUY activates only once price ≤ activation", trailing({ activationPrice: D(90) }), "BUY", [100, 91, 90, 80, 85], [null, null, "95", "85", "85"]],
  ])("%s", (_name, state, side, path, expected) => {
    expect(walk(state, side, path)).toEqual(expected);
  });

  it("rounds the trigger away from the market onto the tick", () => {
    const bp = trailing({ offset: D(33), offsetType: "BASIS_POINTS" });
    // 101.37 × (1 − 0.0033) = 101.035479 → down to 101.03 for a sell stop
    expect(walk(bp, "SELL", [101.37], D("0.01"))).toEqual(["101.03"]);
    // 101.37 × 1.0033 = 101.704521 → up to 101.71 for a buy stop
    expect(walk(bp, "BUY", [101.37], D("0.01"))).toEqual(["101.71"]);
  });

  it("keeps an initial trigger until the trailing one is better, and never moves it back", () => {
    // initial sell trigger 97 is above 100 − 5 = 95, so it stays until the high passes 102
    expect(walk(trailing(), "SELL", [100, 101, 103, 101], undefined, D(97))).toEqual(["97", "97", "98", "98"]);
    // initial buy trigger 103 stays until the low passes 98
    expect(walk(trailing(), "BUY", [100, 99, 97, 99], undefined, D(103))).toEqual(["103", "103", "102", "102"]);
  });

  it("reports no change and keeps the same state object when nothing moves", () => {
    const first = updateTrailingStop(trailing(), "SELL", { last: 100 });
    expect(first.changed).toBe(true);
    expect(first.trailing.activated).toBe(true);
    expect(first.trailing.extremePrice!.toString()).toBe("100");
    const second = updateTrailingStop(first.trailing, "SELL", { last: 99 }, { currentTriggerPrice: first.triggerPrice });
    expect(second.changed).toBe(false);
    expect(second.trailing).toBe(first.trailing);
    expect(second.triggerPrice!.toString()).toBe("95");
  });

  it("watches the bid for a sell and the ask for a buy with BID_ASK", () => {
    const sell = updateTrailingStop(trailing(), "SELL", { bid: 100, ask: 102 }, { source: "BID_ASK" });
    expect(sell.triggerPrice!.toString()).toBe("95");
    const buy = updateTrailingStop(trailing(), "BUY", { bid: 100, ask: 102 }, { source: "BID_ASK" });
    expect(buy.triggerPrice!.toString()).toBe("107");
    const none = updateTrailingStop(trailing(), "BUY", { last: 100 }, { source: "BID_ASK" });
    expect(none.changed).toBe(false);
    expect(none.triggerPrice).toBeNull();
  });

  it.each<[OrderSide, TrailingState["offsetType"], string, string, string]>([
    ["SELL", "PRICE", "2", "95", "93"],
    ["BUY", "PRICE", "2", "105", "107"],
    ["SELL", "BASIS_POINTS", "100", "99", "98.01"],
    ["BUY", "BASIS_POINTS", "100", "101", "102.01"],
  ])("trailing-stop-limit %s with %s limit offset %s: trigger %s → limit %s", (side, offsetType, limitOffset, trigger, limit) => {
    const state = trailing({ offsetType, limitOffset: D(limitOffset) });
    expect(trailingLimitPrice(state, side, D(trigger))!.toString()).toBe(limit);
  });

  it("returns the limit price along with the trigger", () => {
    const update = updateTrailingStop(trailing({ limitOffset: D(1) }), "SELL", { last: 100 });
    expect(update.triggerPrice!.toString()).toBe("95");
    expect(update.limitPrice!.toString()).toBe("94");
    expect(trailingLimitPrice(trailing(), "SELL", D(95))).toBeNull();
  });

  const pricePath = fc.array(fc.double({ min: 1, max: 100_000, noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 60 });
  const offsetSpec = fc.oneof(
    fc.record({ offsetType: fc.constant("PRICE" as const), offset: fc.integer({ min: 0, max: 500 }) }),
    fc.record({ offsetType: fc.constant("BASIS_POINTS" as const), offset: fc.integer({ min: 0, max: 2_000 }) }),
  );
  const activation = fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: null });
  const tick = fc.option(fc.constantFrom("0.01", "0.5", "1"), { nil: null });

  it.each<[OrderSide]>([["SELL"], ["BUY"]])("property: a %s trailing stop's trigger only ratchets towards the market", (side) => {
    fc.assert(
      fc.property(pricePath, offsetSpec, activation, tick, (path, offset, act, step) => {
        let state = trailing({ offset: D(offset.offset), offsetType: offset.offsetType, activationPrice: act === null ? null : D(act) });
        let trigger: Decimal | null = null;
        for (const last of path) {
          const update = updateTrailingStop(state, side, { last }, { currentTriggerPrice: trigger, tick: step === null ? undefined : D(step) });
          if (trigger !== null) {
            expect(update.triggerPrice).not.toBeNull();
            if (side === "SELL") expect(update.triggerPrice!.greaterThanOrEqualTo(trigger)).toBe(true);
            else expect(update.triggerPrice!.lessThanOrEqualTo(trigger)).toBe(true);
          }
          state = update.trailing;
          trigger = update.triggerPrice;
        }
      }),
    );
  });
});

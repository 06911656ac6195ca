import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { D } from "../money";
import { notionalsAfter, proposeRebalance, type RebalanceInput } from "./rebalance";

const STEP = { qtyStep: D("0.001"), minQty: D("0.001") };
const INSTRUMENTS = ["A", "B", "C"].map((symbol) => ({ symbol, ...STEP }));
const PRICES = { A: D(100), B: D(50), C: D(10) };

function input(overrides: Partial<RebalanceInput> = {}): RebalanceInput {
  return {
    targetWeights: { A: 0.5, B: 0.3, C: 0.2 },
    bookFraction: 0.5,
    equity: D(10_000),
    holdings: [],
    instruments: INSTRUMENTS,
    prices: PRICES,
    ...overrides,
  };
}

describe("proposeRebalance", () => {
  it("a flat book buys every target: fraction × weight × equity at the mark", () => {
    const p = proposeRebalance(input());
    expect(p.book.toString()).toBe("5000");
    expect(p.orders.map((o) => [o.symbol, o.side, o.quantity.toString(), o.reduceOnly])).toEqual([
      ["A", "BUY", "25", false],
      ["B", "BUY", "30", false],
      ["C", "BUY", "100", false],
    ]);
    expect(p.skipped).toEqual([]);
  });

  it("sells the overweight long first (reduce-only), buys the underweight, leaves a gap within the band alone", () => {
    const holdings = [
      { symbol: "A", netQty: D(40), markPrice: D(100) }, // 4000 vs 2500: sell 15
      { symbol: "B", netQty: D("29.9"), markPrice: D(50) }, // 1495 vs 1500: inside 1 % of 5000
    ];
    const p = proposeRebalance(input({ holdings }));
    expect(p.orders.map((o) => [o.symbol, o.side, o.quantity.toString(), o.reduceOnly])).toEqual([
      ["A", "SELL", "15", true],
      ["C", "BUY", "100", false],
    ]);
  });

  it("never sells more than the long, and buys a short back only as far as the target", () => {
    const p = proposeRebalance(input({ targetWeights: { A: 0, B: 0.5, C: 0.5 }, holdings: [{ symbol: "B", netQty: D(-10), markPrice: D(50) }] }));
    const a = p.orders.find((o) => o.symbol === "A");
    expect(a).toBeUndefined();
    const b = p.orders.find((o) => o.symbol === "B")!;
    expect([b.side, b.quantity.toString(), b.reduceOnly]).toEqual(["BUY", "60", false]); // −500 → 2500
  });

  it("names what it cannot do: a held symbol without target, no price, below the minimum notional", () => {
    const p = proposeRebalance(
      input({
        targetWeights: { A: 0.999, B: 0.001 },
        holdings: [{ symbol: "Z", netQty: D(1), markPrice: D(5) }],
        prices: { A: D(100) },
        minNotional: D(10),
        band: 0,
      }),
    );
    expect(p.orders.map((o) => o.symbol)).toEqual(["A"]);
    expect(p.skipped.map((s) => s.symbol)).toEqual(["B", "Z"]);
    expect(p.skipped[0]!.reason).toBe("B has no price yet.");
    expect(p.skipped[1]!.reason).toContain("no target weight");
    const tiny = proposeRebalance(input({ targetWeights: { A: 0.999, B: 0.001 }, minNotional: D(10), band: 0 }));
    expect(tiny.skipped[0]!.reason).toBe("B: the order of 5 is below the minimum notional 10.");
  });

  it("after the orders every symbol with a target is within the band plus one step of it, never past it on a buy (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 3, maxLength: 3 }),
        fc.array(fc.integer({ min: -50, max: 200 }), { minLength: 3, maxLength: 3 }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        (raw, held, bookFraction) => {
          const total = raw.reduce((a, b) => a + b, 0);
          const targetWeights = { A: raw[0]! / total, B: raw[1]! / total, C: raw[2]! / total };
          const holdings = ["A", "B", "C"].map((symbol, i) => ({ symbol, netQty: D(held[i]!), markPrice: PRICES[symbol as "A"] }));
          const p = proposeRebalance(input({ targetWeights, holdings, bookFraction }));
          const after = notionalsAfter(p, holdings);
          for (const symbol of ["A", "B", "C"]) {
            const target = p.book.times(targetWeights[symbol as "A"]);
            const gap = target.minus(after.get(symbol)!).abs();
            const slack = p.book.times(0.01).plus(PRICES[symbol as "A"].times(STEP.qtyStep));
            if (gap.greaterThan(slack)) return false;
          }
          for (const o of p.orders) if (o.side === "BUY" && after.get(o.symbol)!.greaterThan(o.targetNotional)) return false;
          return true;
        },
      ),
    );
  });
});

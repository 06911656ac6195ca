import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HOUR_MS, DAY_MS } from "../clock";
import { D } from "../money";
import { estimateCovariance } from "./covariance";
import {
  checkCorrelatedExposure,
  checkVarLimit,
  clusterExposures,
  correlationClusters,
  type CorrelatedExposureInput,
  type VarLimitInput,
} from "./portfolio-limits";
import { alignReturns, resampleCandles } from "./returns";
import { type RiskPosition } from "./types";

const S = ["A", "B", "C", "D", "E"];
// A~B 0.8, B~C 0.75, A~C 0.4 (linked only through B); D~E −0.9; everything else low.
const CORRELATION = [
  [1, 0.8, 0.4, 0.1, 0],
  [0.8, 1, 0.75, 0.2, 0.1],
  [0.4, 0.75, 1, 0, 0],
  [0.1, 0.2, 0, 1, -0.9],
  [0, 0.1, 0, -0.9, 1],
];

describe("correlationClusters", () => {
  it.each<[string, { threshold: number; linkNegative?: boolean }, string[][]]>([
    ["single linkage joins A and C through B", { threshold: 0.7 }, [["A", "B", "C"], ["D"], ["E"]]],
    ["the threshold is strict", { threshold: 0.8 }, [["A"], ["B"], ["C"], ["D"], ["E"]]],
    ["a higher threshold splits the chain", { threshold: 0.76 }, [["A", "B"], ["C"], ["D"], ["E"]]],
    [
      "negative correlation links only when asked",
      { threshold: 0.7, linkNegative: true },
      [
        ["A", "B", "C"],
        ["D", "E"],
      ],
    ],
  ])("%s", (_label, options, expected) => {
    expect(correlationClusters(S, CORRELATION, options)).toEqual(expected);
  });

  it("finds ADA, POWR and XLM together in the recorded January 2018 data (ADA~POWR alone is below the threshold)", () => {
    const coins = ["ada", "dash", "etc", "eth", "ltc", "nxt", "powr", "xlm", "xmr", "zec"];
    const bars = Object.fromEntries(
      coins.map((coin) => {
        const lines = readFileSync(`/work/shared/data/market/portfolio/${coin}-btc_5m_bittrex_2018-01-10_2018-01-30.csv`, "utf8").trim().split("\n").slice(1);
        const candles = lines.map((line) => {
          const cols = line.split(",");
          return { ts: Number(cols[0]), close: cols[4]! };
        });
        return [coin, resampleCandles(candles, HOUR_MS)];
      }),
    );
    const aligned = alignReturns(bars, { barMs: HOUR_MS });
    const estimate = estimateCovariance(aligned.symbols, aligned.rows, { window: 480 });
    if (!estimate.trusted) throw new Error(estimate.reason);
    const at = (a: string, b: string) => estimate.correlation[coins.indexOf(a)]![coins.indexOf(b)]!;
    expect(at("ada", "powr")).toBeLessThan(0.5);
    expect(at("ada", "xlm")).toBeGreaterThan(0.6);
    expect(at("powr", "xlm")).toBeGreaterThan(0.5);
    const clusters = correlationClusters(coins, estimate.correlation, { threshold: 0.5 });
    expect(clusters.filter((c) => c.length > 1)).toEqual([["ada", "powr", "xlm"]]);
    expect(correlationClusters(coins, estimate.correlation, { threshold: 0.6 }).filter((c) => c.length > 1)).toEqual([["ada", "xlm"]]);
  });

  it("refuses a threshold outside [−1, 1]", () => {
    expect(() => correlationClusters(S, CORRELATION, { threshold: 70 })).toThrow("The correlation threshold must be between −1 and 1, not 70.");
  });
});

/**
 * The clustered book: equity 10 000, limit 40 % → cap 4000. Cluster {A, B, C}: A long 20 @ 100 = 2000, B short
 * 10 @ 100 = 1000 (gross counts it), C has 300 reserved by open orders → 3300. D long 50 @ 100 = 5000 (no cluster).
 */
const POSITIONS: RiskPosition[] = [
  { symbol: "A", side: "LONG", qty: D(20), markPrice: D(100) },
  { symbol: "B", side: "SHORT", qty: D(10), markPrice: D(100) },
  { symbol: "D", side: "LONG", qty: D(50), markPrice: D(100) },
];

function correlated(order: Partial<CorrelatedExposureInput["order"]>, limitPct = 40): CorrelatedExposureInput {
  return {
    order: { symbol: "A", side: "BUY", quantity: D(7), price: D(100), ...order },
    positions: POSITIONS,
    equity: D(10_000),
    reservedNotionalBySymbol: new Map([["C", D(300)]]),
    clusters: [["A", "B", "C"], ["D"], ["E"]],
    threshold: 0.7,
    limitPct,
  };
}

describe("clusterExposures", () => {
  it("sums gross exposure (shorts and reserved orders included) and gives the cap", () => {
    const exposures = clusterExposures([["A", "B", "C"], ["D"], ["E"]], POSITIONS, {
      equity: D(10_000),
      limitPct: 40,
      reservedNotionalBySymbol: new Map([["C", D(300)]]),
    });
    expect(exposures.map((e) => [e.symbols, e.grossExposure.toString(), e.limit?.toString()])).toEqual([
      [["A", "B", "C"], "3300", "4000"],
      [["D"], "5000", "4000"],
      [["E"], "0", "4000"],
    ]);
  });
});

describe("checkCorrelatedExposure (CORRELATED_EXPOSURE)", () => {
  it("denies an entry that takes the cluster above its cap, naming the cluster", () => {
    // BUY 8 A @ 100 adds 800: 3300 → 4100 > 4000.
    expect(checkCorrelatedExposure(correlated({ quantity: D(8) }))).toEqual({
      code: "CORRELATED_EXPOSURE",
      message: "Exposure in the correlated cluster A, B, C (correlation above 0.7) would be 4100, above the maximum of 40% of equity 10000 (4000).",
      details: {
        cluster: ["A", "B", "C"],
        exposureBefore: "3300",
        exposureAfter: "4100",
        limit: "4000",
        limitPct: 40,
        equity: "10000",
        threshold: 0.7,
      },
    });
  });

  it.each<[string, Partial<CorrelatedExposureInput["order"]>, number]>([
    ["exactly at the cap", { quantity: D(7) }, 40],
    ["an order that shrinks a position even while the cluster is over the cap", { symbol: "B", side: "BUY", quantity: D(5) }, 10],
    ["a symbol alone in its cluster (the symbol limits cover it)", { symbol: "D", quantity: D(100) }, 10],
    ["a symbol with no trusted correlation", { symbol: "Z", quantity: D(100) }, 10],
  ])("passes %s", (_label, order, limitPct) => {
    expect(checkCorrelatedExposure(correlated(order, limitPct))).toBeNull();
  });

  it("counts a flip by its growth in gross exposure: SELL 25 B flips nothing, SELL 8 more short B adds 800", () => {
    expect(checkCorrelatedExposure(correlated({ symbol: "B", side: "SELL", quantity: D(8) }))?.details?.exposureAfter).toBe("4100");
    // BUY 25 B: short 10 → long 15, gross 1000 → 1500: +500 → 3800, under the cap.
    expect(checkCorrelatedExposure(correlated({ symbol: "B", side: "BUY", quantity: D(25) }))).toBeNull();
    expect(checkCorrelatedExposure(correlated({ symbol: "B", side: "BUY", quantity: D(28) }))?.details?.exposureAfter).toBe("4100");
  });

  it("denies every entry into the cluster when equity is not positive", () => {
    const input = { ...correlated({ quantity: D(1) }), equity: D(0) };
    expect(checkCorrelatedExposure(input)?.code).toBe("CORRELATED_EXPOSURE");
  });
});

/**
 * The VaR book (portfolio-var.test.ts's hand-checked one): daily σ 2 % and 3 %, correlation 0.5, A long 10 @ 100,
 * B short 5 @ 100: exposures 1000 and −500, variance 325, VaR99 = 2.326348 × √325 = 41.9388. Equity 10 000.
 *   BUY 2 A → A 1200: variance 576 + 225 − 360 = 441, VaR99 = 48.8533
 *   BUY 3 A → A 1300: variance 676 + 225 − 390 = 511, VaR99 = 52.5878
 */
const DAILY = [
  [0.0004, 0.0003],
  [0.0003, 0.0009],
];
const VAR_POSITIONS: RiskPosition[] = [
  { symbol: "A", side: "LONG", qty: D(10), markPrice: D(100) },
  { symbol: "B", side: "SHORT", qty: D(5), markPrice: D(100) },
];

function varInput(order: Partial<VarLimitInput["order"]>, overrides: Partial<VarLimitInput> = {}): VarLimitInput {
  return {
    order: { symbol: "A", side: "BUY", quantity: D(2), price: D(100), ...order },
    positions: VAR_POSITIONS,
    equity: D(10_000),
    symbols: ["A", "B"],
    covariance: DAILY,
    barMs: DAY_MS,
    limitPct: 0.5,
    ...overrides,
  };
}

describe("checkVarLimit (VAR_LIMIT)", () => {
  it("passes an entry that keeps the 99 % VaR under 0.5 % of equity", () => {
    const { denial, figures } = checkVarLimit(varInput({ quantity: D(2) }));
    expect(denial).toBeNull();
    expect(figures!.varBefore).toBeCloseTo(41.938832722104465, 6);
    expect(figures!.varAfter).toBeCloseTo(48.85330535485765, 6);
    expect(figures!.limit).toBe(50);
  });

  it("denies an entry that takes it above, with the figures in the sentence", () => {
    const { denial } = checkVarLimit(varInput({ quantity: D(3) }));
    expect(denial?.code).toBe("VAR_LIMIT");
    expect(denial?.message).toBe(
      "This A order would raise the portfolio's 1-day 99% VaR from 41.9388 to 52.5878 (0.5259% of equity), above the maximum of 0.5% of equity 10000 (50).",
    );
  });

  it("with no positive equity denies any entry that raises VaR, without a percent of nothing", () => {
    // BUY 1 A → A 1100: variance 484 + 225 − 330 = 379, VaR99 = 45.2892.
    const { denial } = checkVarLimit(varInput({ quantity: D(1) }, { equity: D(0) }));
    expect(denial?.message).toBe("This A order would raise the portfolio's 1-day 99% VaR from 41.9388 to 45.2892, above the maximum of 0.5% of equity 0 (0).");
  });

  it("passes a hedge that adds exposure but lowers VaR, even above the limit", () => {
    // Long A 1000 alone: VaR99 46.527. Shorting 200 of B (correlated 0.5) lowers it to 41.3541, still above 0.3 % = 30.
    const { denial, figures } = checkVarLimit(varInput({ symbol: "B", side: "SELL", quantity: D(2) }, { positions: [VAR_POSITIONS[0]!], limitPct: 0.3 }));
    expect(denial).toBeNull();
    expect(figures!.varBefore).toBeCloseTo(46.52695748081682, 6);
    expect(figures!.varAfter).toBeCloseTo(41.35406437356758, 6);
  });

  it("never checks an order that only shrinks exposure", () => {
    expect(checkVarLimit(varInput({ side: "SELL", quantity: D(4) }, { limitPct: 0.01 }))).toEqual({ denial: null, figures: null });
  });

  it("scales a per-hour covariance to the one-day horizon", () => {
    const hourly = DAILY.map((row) => row.map((v) => v / 24));
    const { figures } = checkVarLimit(varInput({ quantity: D(2) }, { covariance: hourly, barMs: HOUR_MS }));
    expect(figures!.varAfter).toBeCloseTo(48.85330535485765, 6);
  });

  it.each<[string, VarLimitInput["unmeasured"], string | null]>([
    ["denies by default", undefined, "The portfolio VaR after this Z order cannot be measured: there is no trusted return history for Z yet."],
    ["allows when told to", "allow", null],
  ])("an entry in a symbol without a covariance: %s", (_label, unmeasured, message) => {
    const { denial } = checkVarLimit(varInput({ symbol: "Z" }, { unmeasured }));
    expect(denial?.message ?? null).toBe(message);
  });
});

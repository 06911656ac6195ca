import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HOUR_MS } from "../clock";
import { D } from "../money";
import { estimateCovariance } from "./covariance";
import { allocationTargetFor, buildPortfolioRiskReport, currentWeights, type PortfolioRiskReportInput } from "./portfolio-report";
import { alignReturns, resampleCandles } from "./returns";
import { type CandleInput } from "./returns";
import { type RiskPosition } from "./types";

const COINS = ["ada", "dash", "etc", "eth", "ltc", "nxt", "powr", "xlm", "xmr", "zec"];

function candles(coin: string): CandleInput[] {
  const lines = readFileSync(`/work/shared/data/market/portfolio/${coin}-btc_5m_bittrex_2018-01-10_2018-01-30.csv`, "utf8").trim().split("\n").slice(1);
  return lines.map((line) => {
    const cols = line.split(",");
    return { ts: Number(cols[0]), close: cols[4]! };
  });
}

const CANDLES = Object.fromEntries(COINS.map((c) => [c, candles(c)]));

/** A book in BTC: 0.4 ADA-cluster longs, an ETH long, an XMR short; equity 1 BTC. */
const POSITIONS: RiskPosition[] = [
  { symbol: "ada", side: "LONG", qty: D(4000), markPrice: D("0.00005") }, // 0.2
  { symbol: "xlm", side: "LONG", qty: D(4000), markPrice: D("0.00003") }, // 0.12
  { symbol: "powr", side: "LONG", qty: D(1000), markPrice: D("0.00008") }, // 0.08
  { symbol: "eth", side: "LONG", qty: D(2), markPrice: D("0.1") }, // 0.2
  { symbol: "xmr", side: "SHORT", qty: D(1), markPrice: D("0.03") }, // −0.03
];

function input(overrides: Partial<PortfolioRiskReportInput> = {}): PortfolioRiskReportInput {
  return {
    candlesBySymbol: CANDLES,
    barMs: HOUR_MS,
    window: 480,
    minHistory: 240,
    positions: POSITIONS,
    equity: D(1),
    correlationThreshold: 0.5,
    maxCorrelatedExposurePct: 30,
    weightCap: 0.3,
    ...overrides,
  };
}

describe("buildPortfolioRiskReport on the recorded Bittrex portfolio", () => {
  const report = buildPortfolioRiskReport(input({ expectedReturns: { eth: 0.0004, ltc: 0.0002 } }));

  it("is trusted with 20 days of hourly bars and gives the page's figures", () => {
    expect(report.reason).toBeNull();
    expect(report.symbols).toEqual(COINS);
    expect(report.correlation).toHaveLength(10);
    expect(report.window.used).toBeGreaterThan(470);
    expect(report.asOf).toBe(Date.UTC(2018, 0, 30, 4));
    expect(report.var95Pct!).toBeGreaterThan(0);
    expect(report.var99Pct!).toBeGreaterThan(report.var95Pct!);
    expect(report.es95Pct!).toBeGreaterThan(report.var95Pct!);
    expect(report.historical!.scenarios).toBe(report.window.used - 23);
  });

  it("lists the ADA/POWR/XLM cluster with its gross exposure and cap", () => {
    expect(report.clusters.map((c) => [c.symbols, c.grossExposure.toString(), c.limit?.toString()])).toEqual([[["ada", "powr", "xlm"], "0.4", "0.3"]]);
  });

  it("gives a target per method, each summing to 1 within the cap, and says where expected returns came from", () => {
    expect(report.targetProblems).toEqual([]);
    expect(report.targets.map((t) => t.method)).toEqual(["risk_parity", "min_variance", "max_sharpe", "kelly"]);
    for (const target of report.targets) {
      const weights = Object.values(target.weights);
      expect(weights.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 9);
      if (target.method !== "risk_parity") for (const w of weights) expect(w).toBeLessThanOrEqual(0.3 + 1e-12);
    }
    const sharpe = report.targets.find((t) => t.method === "max_sharpe")!;
    expect(sharpe.expectedReturnSource).toMatchObject({ eth: "signal", ltc: "signal", ada: "history" });
  });

  it("says why there are no statistics before the minimum history, and still shows current weights", () => {
    const early = buildPortfolioRiskReport(input({ window: 720, minHistory: 600 }));
    expect(early.reason).toMatch(/^Not enough history yet: 4\d\d of the 600 bars needed before correlations are trusted\.$/);
    expect(early).toMatchObject({ correlation: [], var95Pct: null, clusters: [], targets: [] });
    expect(early.current.eth).toBeCloseTo(0.2 / 0.63, 12);
  });

  it("reports a symbol without candles as the reason", () => {
    expect(buildPortfolioRiskReport(input({ candlesBySymbol: { ...CANDLES, new: [] } })).reason).toBe("new has no bars.");
  });
});

describe("currentWeights", () => {
  it.each<[string, RiskPosition[], Record<string, number>]>([
    ["a flat book", [], {}],
    [
      "long 300 and short 100: 0.75 and −0.25 of gross",
      [
        { symbol: "A", side: "LONG", qty: D(3), markPrice: D(100) },
        { symbol: "B", side: "SHORT", qty: D(1), markPrice: D(100) },
      ],
      { A: 0.75, B: -0.25 },
    ],
  ])("%s", (_label, positions, expected) => {
    expect(currentWeights(positions)).toEqual(expected);
  });
});

describe("allocationTargetFor", () => {
  it("gives one method's weights, the same as the report's target for that method", () => {
    const report = buildPortfolioRiskReport(input());
    const bars = Object.fromEntries(COINS.map((c) => [c, resampleCandles(CANDLES[c]!, HOUR_MS)]));
    const aligned = alignReturns(bars, { barMs: HOUR_MS, symbols: COINS });
    const estimate = estimateCovariance(COINS, aligned.rows, { window: 480, minHistory: 240, timestamps: aligned.timestamps });
    if (!estimate.trusted) throw new Error(estimate.reason);
    for (const method of ["risk_parity", "min_variance"] as const) {
      const target = allocationTargetFor(method, estimate, { weightCap: 0.3 });
      expect(target.ok).toBe(true);
      const fromReport = report.targets.find((t) => t.method === method)!.weights;
      for (const coin of COINS) expect(target.ok && target.value[coin]).toBeCloseTo(fromReport[coin]!, 9);
    }
  });
});

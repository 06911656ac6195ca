import { describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS } from "../clock";
import { D } from "../money";
import { normalPdf, normalQuantile } from "./linalg";
import { exposuresFromPositions, historicalPortfolioPnl, historicalPortfolioVar, parametricPortfolioVar } from "./portfolio-var";

/**
 * The hand-checked book: daily σ 2 % and 3 %, correlation 0.5, long 1000 of A and short 500 of B, equity 10 000.
 *   variance = 1000²·0.0004 + 500²·0.0009 − 2·1000·500·(0.5·0.02·0.03) = 400 + 225 − 300 = 325, σ = 18.02776
 *   VaR95 = 1.644854 σ = 29.65302, ES95 = σ φ(1.644854) / 0.05 = 37.18608
 *   VaR99 = 2.326348 σ = 41.93883, ES99 = σ φ(2.326348) / 0.01 = 48.04783
 *   Σv = (0.25, −0.15): components 1000·0.25·z/σ and (−500)(−0.15)·z/σ, i.e. 250z/σ and 75z/σ (sum 325z/σ = zσ)
 */
const DAILY = [
  [0.0004, 0.5 * 0.02 * 0.03],
  [0.5 * 0.02 * 0.03, 0.0009],
];
const BOOK = { symbols: ["A", "B"], exposures: [1000, -500], equity: 10_000 };

describe("normalQuantile", () => {
  it.each([
    [0.5, 0],
    [0.95, 1.6448536269514715],
    [0.99, 2.3263478740408408],
    [0.975, 1.959963984540054],
    [0.001, -3.090232306167813],
    [0.9999, 3.7190164854556804],
  ])("Φ⁻¹(%d) = %d", (p, z) => {
    expect(Math.abs(normalQuantile(p) - z)).toBeLessThan(1e-8 * Math.max(1, Math.abs(z)));
  });

  it("is NaN outside (0, 1)", () => {
    expect(normalQuantile(0)).toBeNaN();
    expect(normalQuantile(1.5)).toBeNaN();
  });
});

describe("parametricPortfolioVar", () => {
  it.each([
    [0.95, 29.653020463032234, 37.18608397012158, 22.81001574079403, 6.843004722238208],
    [0.99, 41.938832722104465, 48.04783265776291, 32.260640555464974, 9.678192166639493],
  ])("the hand-checked book at %d", (confidence, value, es, componentA, componentB) => {
    const report = parametricPortfolioVar({ ...BOOK, covariance: DAILY, barMs: DAY_MS, confidences: [confidence] });
    const level = report.levels[0]!;
    expect(report.sigma).toBeCloseTo(18.027756377319946, 9);
    expect(level.var).toBeCloseTo(value, 6);
    expect(level.es).toBeCloseTo(es, 6);
    expect(level.varPct).toBeCloseTo(value / 100, 8);
    expect(level.positions[0]!.componentVar).toBeCloseTo(componentA, 6);
    expect(level.positions[1]!.componentVar).toBeCloseTo(componentB, 6);
    expect(level.positions[0]!.componentVar + level.positions[1]!.componentVar).toBeCloseTo(level.var, 10);
    expect(level.positions[0]!.share + level.positions[1]!.share).toBeCloseTo(1, 12);
  });

  it("marginal VaR is the derivative of VaR in the exposure", () => {
    const at = (a: number) => parametricPortfolioVar({ ...BOOK, exposures: [a, -500], covariance: DAILY, barMs: DAY_MS }).levels[0]!.var;
    const marginal = parametricPortfolioVar({ ...BOOK, covariance: DAILY, barMs: DAY_MS }).levels[0]!.positions[0]!.marginalVar;
    expect(marginal).toBeCloseTo((at(1000.001) - at(999.999)) / 0.002, 6);
  });

  it("scales hourly bars to one day by √24: the same VaR as the daily covariance", () => {
    const hourly = DAILY.map((row) => row.map((v) => v / 24));
    const fromHourly = parametricPortfolioVar({ ...BOOK, covariance: hourly, barMs: HOUR_MS });
    const fromDaily = parametricPortfolioVar({ ...BOOK, covariance: DAILY, barMs: DAY_MS });
    fromHourly.levels.forEach((level, k) => expect(level.var).toBeCloseTo(fromDaily.levels[k]!.var, 9));
    expect(fromHourly.horizonMs).toBe(DAY_MS);
  });

  it("reports no percent for a non-positive equity and zero for a flat book", () => {
    const flat = parametricPortfolioVar({ ...BOOK, exposures: [0, 0], equity: 0, covariance: DAILY, barMs: DAY_MS });
    expect(flat.levels[0]).toMatchObject({ var: 0, es: 0, varPct: null, esPct: null });
    expect(flat.levels[0]!.positions.every((p) => p.componentVar === 0 && p.share === 0)).toBe(true);
  });

  it.each([
    [{ exposures: [1] }, "1 exposures were given for 2 symbols."],
    [{ confidences: [95] }, "A VaR confidence must be above 0.5 and below 1, not 95."],
    [
      {
        covariance: [
          [1, 2],
          [3, 1],
        ],
      },
      "The covariance matrix is not symmetric at [0][1] (2 vs 3).",
    ],
  ])("refuses %j", (override, message) => {
    expect(() => parametricPortfolioVar({ ...BOOK, covariance: DAILY, barMs: DAY_MS, ...override })).toThrow(message);
  });
});

describe("historicalPortfolioVar", () => {
  // 20 daily simple returns of one symbol: the three worst are −5 %, −3 %, −2 %.
  const returns = [-0.05, -0.03, -0.02, ...new Array<number>(17).fill(0.01)];
  const rows = returns.map((r) => [r]);

  it("takes the nearest-rank quantile over the scenarios, and says when there are too few", () => {
    const report = historicalPortfolioVar({ rows, kind: "simple", barMs: DAY_MS, exposures: [1000], equity: 10_000 });
    expect(report.scenarios).toBe(20);
    const [l95, l99] = report.levels;
    // k = ⌈20 × 0.05⌉ = 1: the worst loss.
    expect(l95!.var).toBeCloseTo(50, 9);
    expect(l95!.es).toBeCloseTo(50, 9);
    expect(l95!.varPct).toBeCloseTo(0.5, 9);
    expect(l95!).toMatchObject({ trusted: true, reason: null });
    expect(l99!).toMatchObject({ trusted: false, reason: "Only 20 scenarios: a 99% VaR needs at least 100." });
  });

  it("with 40 scenarios the 95 % VaR is the second-worst loss and ES the mean of the two worst", () => {
    const report = historicalPortfolioVar({ rows: [...rows, ...rows], kind: "simple", barMs: DAY_MS, exposures: [1000], equity: 10_000, confidences: [0.95] });
    expect(report.levels[0]!.var).toBeCloseTo(50, 9);
    const distinct = historicalPortfolioVar({
      rows: [...rows, ...rows.map(([r]) => [r! === -0.05 ? -0.04 : r!])],
      kind: "simple",
      barMs: DAY_MS,
      exposures: [1000],
      equity: 10_000,
      confidences: [0.95],
    });
    expect(distinct.levels[0]!.var).toBeCloseTo(40, 9);
    expect(distinct.levels[0]!.es).toBeCloseTo(45, 9);
  });

  it("applies today's long and short exposures to each day's returns", () => {
    // Day one: A −5 %, B −4 %: long 1000 A loses 50, short 500 B gains 20 → loss 30. The other days gain.
    const twoAssets = [[-0.05, -0.04], ...new Array<number[]>(19).fill([0.01, 0])];
    const report = historicalPortfolioVar({ rows: twoAssets, kind: "simple", barMs: DAY_MS, exposures: [1000, -500], equity: 10_000, confidences: [0.95] });
    expect(report.levels[0]!.var).toBeCloseTo(30, 9);
  });

  it('"overlapping" compounds each run of horizon/bar rows; "sqrt_time" scales the one-bar quantile', () => {
    // 1h log returns: ×1.1, ×0.8, ×1.25. Two-hour windows: 1.1·0.8 − 1 = −12 %, 0.8·1.25 − 1 = 0.
    const hourly = [[Math.log(1.1)], [Math.log(0.8)], [Math.log(1.25)]];
    const input = { rows: hourly, kind: "log" as const, barMs: HOUR_MS, exposures: [1000], equity: 10_000, horizonMs: 2 * HOUR_MS, confidences: [0.95] };
    expect(historicalPortfolioPnl(input, 2).map((p) => Math.round(p * 1e9) / 1e9)).toEqual([-120, 0]);
    expect(historicalPortfolioVar(input).levels[0]!.var).toBeCloseTo(120, 9);
    // One-bar losses: −100, 200, −250 → the worst, 200, times √2.
    const scaled = historicalPortfolioVar({ ...input, aggregation: "sqrt_time" });
    expect(scaled.scenarios).toBe(3);
    expect(scaled.levels[0]!.var).toBeCloseTo(200 * Math.SQRT2, 9);
  });

  it("reports 0, not a negative VaR, when even the worst scenario is a gain", () => {
    const report = historicalPortfolioVar({ rows: new Array<number[]>(20).fill([0.01]), kind: "simple", barMs: DAY_MS, exposures: [1000], equity: 10_000 });
    expect(report.levels[0]!.var).toBe(0);
  });

  it("refuses a horizon that is not a whole number of bars when aggregating", () => {
    expect(() => historicalPortfolioVar({ rows, kind: "simple", barMs: 7 * HOUR_MS, exposures: [1000], equity: 1 })).toThrow(
      "The horizon (86400000 ms) must be a whole number of bars (25200000 ms) to aggregate.",
    );
  });

  it("agrees with the parametric VaR for normal returns with many scenarios", () => {
    // Box–Muller normals from a fixed LCG: σ 1 % per day, 4000 days.
    let state = 12345;
    const uniform = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) + 0.5) / 4294967296;
    const normals = Array.from({ length: 4000 }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
    const report = historicalPortfolioVar({
      rows: normals.map((z) => [0.01 * z]),
      kind: "log",
      barMs: DAY_MS,
      exposures: [1000],
      equity: 10_000,
      confidences: [0.99],
    });
    const expected = 1000 * (1 - Math.exp(-0.01 * normalQuantile(0.99)));
    expect(Math.abs(report.levels[0]!.var - expected) / expected).toBeLessThan(0.08);
    // ES of a normal loss: σ φ(z) / (1 − c), σ = 1000 × 1 % (to first order).
    const expectedEs = (10 * normalPdf(normalQuantile(0.99))) / 0.01;
    expect(Math.abs(report.levels[0]!.es - expectedEs) / expectedEs).toBeLessThan(0.1);
  });
});

describe("exposuresFromPositions", () => {
  it("signs longs positive and shorts negative, and lists symbols without statistics", () => {
    const { exposures, unmeasured } = exposuresFromPositions(
      [
        { symbol: "A", side: "LONG", qty: D("0.5"), markPrice: D(2000) },
        { symbol: "B", side: "SHORT", qty: D(3), markPrice: D("10.5") },
        { symbol: "C", side: "LONG", qty: D(1), markPrice: D(7) },
        { symbol: "A", side: "LONG", qty: D(0), markPrice: D(2000) },
      ],
      ["A", "B"],
    );
    expect(exposures).toEqual([1000, -31.5]);
    expect(unmeasured).toEqual([{ symbol: "C", exposure: 7 }]);
  });
});

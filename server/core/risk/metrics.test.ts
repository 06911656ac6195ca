import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { HOUR_MS } from "../clock";
import { D } from "../money";
import { dailyPnl, dailyReturns, drawdown, exposureConcentration, historicalVar, riskReport, sharpeRatio, sortinoRatio, type EquityPoint } from "./metrics";
import { type RiskPosition } from "./types";

const DAY1 = Date.UTC(2024, 0, 1);

function series(values: (number | string)[], stepMs = HOUR_MS, start = DAY1): EquityPoint[] {
  return values.map((v, i) => ({ ts: start + i * stepMs, equity: D(v) }));
}

const at = (i: number): number => DAY1 + i * HOUR_MS;

describe("drawdown", () => {
  // 100 → 120 (peak) → 90 (−30, −25%) → 110 → 130 (new peak) → 117 (−13, −10%) → 125 (now −5 from 130)
  const s = series([100, 120, 90, 110, 130, 117, 125]);

  it("finds the maximum drawdown before a new peak", () => {
    const r = drawdown(s)!;
    expect(r.maxByAmount.amount.toString()).toBe("30");
    expect(r.maxByAmount.pct).toBe(25);
    expect([r.maxByAmount.peakTs, r.maxByAmount.troughTs]).toEqual([at(1), at(2)]);
    expect([r.maxByAmount.peakEquity.toString(), r.maxByAmount.troughEquity.toString()]).toEqual(["120", "90"]);
    expect(r.maxByPct).toEqual(r.maxByAmount);
  });

  it("measures the current drawdown from the new peak", () => {
    const r = drawdown(s)!;
    expect(r.current.amount.toString()).toBe("5");
    expect(r.current.pct).toBeCloseTo(500 / 130, 12);
    expect(r.current.peakTs).toBe(at(4));
    expect(r.current.troughTs).toBe(at(6));
    expect(r.current.troughEquity.toString()).toBe("125");
  });

  it("is zero at a new high", () => {
    const r = drawdown(series([100, 90, 140]))!;
    expect(r.current.amount.toString()).toBe("0");
    expect(r.current.pct).toBe(0);
    expect(r.current.peakTs).toBe(at(2));
    expect(r.maxByAmount.amount.toString()).toBe("10");
  });

  it("keeps the largest fall in money and in percent apart when they differ", () => {
    // 100 → 50 is −50 (−50%); 1000 → 800 is −200 (−20%)
    const r = drawdown(series([100, 50, 1000, 800]))!;
    expect(r.maxByAmount.amount.toString()).toBe("200");
    expect(r.maxByAmount.pct).toBe(20);
    expect(r.maxByPct.amount.toString()).toBe("50");
    expect(r.maxByPct.pct).toBe(50);
    expect(r.maxByPct.troughTs).toBe(at(1));
  });

  it("keeps the earlier peak and trough on ties", () => {
    const r = drawdown(series([100, 80, 100, 80]))!;
    expect(r.maxByAmount.peakTs).toBe(at(0));
    expect(r.maxByAmount.troughTs).toBe(at(1));
    expect(r.current.peakTs).toBe(at(0));
    expect(r.current.amount.toString()).toBe("20");
  });

  it("sorts an unsorted series", () => {
    const r = drawdown([s[3]!, s[0]!, s[6]!, s[2]!, s[1]!, s[5]!, s[4]!])!;
    expect(r.maxByAmount.amount.toString()).toBe("30");
    expect(r.current.amount.toString()).toBe("5");
  });

  it("is null for an empty series and flat for one point", () => {
    expect(drawdown([])).toBeNull();
    const one = drawdown(series([100]))!;
    expect(one.maxByAmount.amount.toString()).toBe("0");
    expect(one.current.amount.toString()).toBe("0");
  });

  it("property: max drawdown ≥ current drawdown ≥ 0", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 1, maxLength: 60 }), (values) => {
        const r = drawdown(series(values))!;
        expect(r.current.amount.greaterThanOrEqualTo(0)).toBe(true);
        expect(r.maxByAmount.amount.greaterThanOrEqualTo(r.current.amount)).toBe(true);
        expect(r.maxByPct.pct!).toBeGreaterThanOrEqual(r.current.pct!);
        expect(r.maxByAmount.peakTs).toBeLessThanOrEqual(r.maxByAmount.troughTs);
        // The peak is the highest value up to the trough.
        const upToTrough = values.slice(0, (r.maxByAmount.troughTs - DAY1) / HOUR_MS + 1);
        expect(r.maxByAmount.peakEquity.toNumber()).toBe(Math.max(...upToTrough));
      }),
    );
  });
});

describe("dailyPnl (UTC days)", () => {
  const s: EquityPoint[] = [
    { ts: DAY1 + HOUR_MS, equity: D(1000) },
    { ts: DAY1 + 24 * HOUR_MS - 1, equity: D(1050) }, // 23:59:59.999 — still day 1
    { ts: DAY1 + 24 * HOUR_MS, equity: D(1040) }, // midnight — day 2
    { ts: DAY1 + 30 * HOUR_MS, equity: D(1100) },
    { ts: DAY1 + 49 * HOUR_MS, equity: D(1089) }, // day 3
  ];

  it("splits at UTC midnight and compares with the previous close", () => {
    const days = dailyPnl(s);
    expect(days.map((d) => [d.day, d.open.toString(), d.close.toString(), d.prevClose?.toString() ?? null, d.pnl.toString()])).toEqual([
      ["2024-01-01", "1000", "1050", null, "50"], // first day: close − open
      ["2024-01-02", "1040", "1100", "1050", "50"],
      ["2024-01-03", "1089", "1089", "1100", "-11"],
    ]);
    expect(days.map((d) => d.dayStart)).toEqual([DAY1, DAY1 + 24 * HOUR_MS, DAY1 + 48 * HOUR_MS]);
    expect(days[0]!.pnlPct).toBe(5);
    expect(days[1]!.pnlPct).toBeCloseTo((50 / 1050) * 100, 12);
    expect(days[2]!.pnlPct).toBe(-1);
  });

  it("gives close-to-close returns, one fewer than days", () => {
    const r = dailyReturns(s);
    expect(r).toHaveLength(2);
    expect(r[0]).toBeCloseTo(50 / 1050, 15);
    expect(r[1]).toBe(-0.01);
  });

  it("skips missing days: the step is to the previous day present", () => {
    const days = dailyPnl([
      { ts: DAY1, equity: D(100) },
      { ts: DAY1 + 72 * HOUR_MS, equity: D(90) },
    ]);
    expect(days.map((d) => [d.day, d.pnl.toString()])).toEqual([
      ["2024-01-01", "0"],
      ["2024-01-04", "-10"],
    ]);
  });

  it("is empty for an empty series", () => {
    expect(dailyPnl([])).toEqual([]);
  });
});

describe("Sharpe and Sortino (daily, ×√365)", () => {
  // returns 1%, −2%, 3%, 0%: mean 0.005; deviations 0.005, −0.025, 0.025, −0.005 → Σ² = 0.0013 → sample sd √(0.0013 / 3)
  // downside: only −0.02 → √(0.0004 / 4) = 0.01
  const returns = [0.01, -0.02, 0.03, 0];

  it("Sharpe", () => {
    expect(sharpeRatio(returns)).toBeCloseTo(4.5888661244, 8);
    expect(sharpeRatio(returns)).toBeCloseTo((0.005 / Math.sqrt(0.0013 / 3)) * Math.sqrt(365), 12);
  });

  it("Sortino", () => {
    expect(sortinoRatio(returns)).toBeCloseTo(0.5 * Math.sqrt(365), 12);
    expect(sortinoRatio(returns)).toBeCloseTo(9.5524865873, 8);
  });

  it("subtract a risk-free rate (3.65% a year = 0.0001 a day)", () => {
    // excess mean 0.0049; sd unchanged; downside √((0.0201² + 0.0001²) / 4)
    expect(sharpeRatio(returns, { riskFreeRate: 0.0365 })).toBeCloseTo((0.0049 / Math.sqrt(0.0013 / 3)) * Math.sqrt(365), 10);
    expect(sortinoRatio(returns, { riskFreeRate: 0.0365 })).toBeCloseTo((0.0049 / Math.sqrt(0.00040402 / 4)) * Math.sqrt(365), 10);
  });

  it("uses another annualization when asked", () => {
    expect(sortinoRatio(returns, { periodsPerYear: 252 })).toBeCloseTo(0.5 * Math.sqrt(252), 12);
  });

  it.each<[string, number[]]>([
    ["no returns", []],
    ["one return", [0.05]],
    ["identical returns (zero deviation)", [0.01, 0.01, 0.01, 0.01, 0.01]],
  ])("Sharpe is null with %s", (_label, r) => {
    expect(sharpeRatio(r)).toBeNull();
  });

  it("Sortino is null without a losing period", () => {
    expect(sortinoRatio([0.01, 0.02, 0])).toBeNull();
    expect(sortinoRatio([-0.01])).toBeNull();
  });
});

describe("historicalVar (nearest-rank)", () => {
  // 100 returns −0.50, −0.49, …, 0.49, shuffled deterministically
  const hundred = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) / 100 - 0.5);

  it.each<[string, number[], number, number, string]>([
    // k = ⌈100 × 0.05⌉ = 5 → 5th smallest −0.46
    ["95% of 100 returns", hundred, 0.95, 46, "4600"],
    // k = ⌈100 × 0.01⌉ = 1 → −0.50
    ["99% of 100 returns", hundred, 0.99, 50, "5000"],
    // k = ⌈20 × 0.05⌉ = 1 exactly (not 2 from float noise) → −0.10
    ["95% of 20 returns", Array.from({ length: 20 }, (_, i) => (i - 10) / 100), 0.95, 10, "1000"],
    // k = ⌈40 × 0.05⌉ = 2 → −0.09
    ["95% of 40 returns", Array.from({ length: 40 }, (_, i) => (i - 10) / 100), 0.95, 9, "900"],
    ["only gains", [0.01, 0.02, 0.03], 0.95, 0, "0"],
  ])("%s", (_label, returns, confidence, pct, amount) => {
    const v = historicalVar(returns, confidence, D(10000))!;
    expect(v.pct).toBe(pct);
    expect(v.amount.toString()).toBe(amount);
    expect(v.observations).toBe(returns.length);
  });

  it("is null without returns and refuses a confidence outside (0, 1)", () => {
    expect(historicalVar([], 0.95, D(1))).toBeNull();
    expect(() => historicalVar([0.1], 1, D(1))).toThrow(RangeError);
  });
});

describe("exposureConcentration", () => {
  const positions: RiskPosition[] = [
    { symbol: "SOL/USDT", side: "LONG", qty: D(20), markPrice: D(100) }, // 2000
    { symbol: "BTC/USDT", side: "LONG", qty: D("0.1"), markPrice: D(50000) }, // 5000
    { symbol: "ETH/USDT", side: "SHORT", qty: D("1.5"), markPrice: D(2000) }, // 3000, net −3000
  ];

  it("shares of gross exposure and the Herfindahl index", () => {
    const r = exposureConcentration(positions);
    expect(r.gross.toString()).toBe("10000");
    expect(r.net.toString()).toBe("4000");
    expect(r.bySymbol.map((x) => [x.symbol, x.gross.toString(), x.net.toString(), x.share])).toEqual([
      ["BTC/USDT", "5000", "5000", 0.5],
      ["ETH/USDT", "3000", "-3000", 0.3],
      ["SOL/USDT", "2000", "2000", 0.2],
    ]);
    // 0.5² + 0.3² + 0.2² = 0.38
    expect(r.herfindahl).toBe(0.38);
  });

  it("adds up several positions in one symbol (hedge mode)", () => {
    const r = exposureConcentration([...positions, { symbol: "BTC/USDT", side: "SHORT", qty: D("0.1"), markPrice: D(50000) }]);
    const btc = r.bySymbol[0]!;
    expect([btc.symbol, btc.gross.toString(), btc.net.toString(), btc.share]).toEqual(["BTC/USDT", "10000", "0", 2 / 3]);
    // (10/15)² + (3/15)² + (2/15)² = 113/225
    expect(r.herfindahl).toBeCloseTo(113 / 225, 15);
  });

  it("one symbol is fully concentrated; no positions gives null", () => {
    expect(exposureConcentration([positions[0]!]).herfindahl).toBe(1);
    const empty = exposureConcentration([]);
    expect(empty.herfindahl).toBeNull();
    expect(empty.gross.toString()).toBe("0");
  });
});

describe("riskReport", () => {
  it("puts the pieces together on one series", () => {
    // day closes 1000, 1010, 999.9, 1019.898 → returns +1%, −1%, +2%
    const s = [
      ...series([1000], HOUR_MS, DAY1),
      ...series([1010], HOUR_MS, DAY1 + 24 * HOUR_MS),
      ...series(["999.9"], HOUR_MS, DAY1 + 48 * HOUR_MS),
      ...series(["1019.898"], HOUR_MS, DAY1 + 72 * HOUR_MS),
    ];
    const r = riskReport(s, []);
    expect(r.daily).toHaveLength(4);
    expect(r.dailyReturns).toEqual([0.01, -0.01, 0.02]);
    expect(r.var95!.pct).toBe(1);
    expect(r.var95!.amount.toString()).toBe("10.19898");
    expect(r.drawdown!.maxByAmount.amount.toString()).toBe("10.1");
    expect(r.sortino).toBeCloseTo((0.02 / 3 / Math.sqrt(0.0001 / 3)) * Math.sqrt(365), 10);
    expect(r.exposure.herfindahl).toBeNull();
  });
});

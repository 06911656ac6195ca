/**
 * A portfolio backtest with and without the correlated-exposure limit, on the recorded ten-symbol portfolio
 * (data/market/portfolio/): sma-cross on every symbol, a fixed notional per entry. With clusters capped, entries that
 * would pile into a correlated cluster are refused, so the with-limit run trades less; both runs are deterministic and
 * the report's comparison section carries both.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { D } from "../core/money";
import { createStrategy } from "../core/strategies";
import { loadPortfolioLegs } from "./backtest-service";
import { compareCorrelationLimit, comparisonFigures, formatCorrelationComparison, type PortfolioBacktestInput } from "./portfolio-backtest";

const ROOT = join(import.meta.dirname, "..", "..");
const COINS = ["ada", "dash", "etc", "eth", "ltc", "nxt", "powr", "xlm", "xmr", "zec"];
const legs = loadPortfolioLegs({
  legs: COINS.map((c) => ({ data: join(ROOT, `data/market/portfolio/${c}-btc_5m_bittrex_2018-01-10_2018-01-30.csv`), symbol: `${c.toUpperCase()}/BTC` })),
  feeBps: D(0),
  qtyStep: null,
}).legs;

const INPUT: PortfolioBacktestInput = {
  legs,
  strategies: [
    {
      name: "sma-cross",
      symbols: null,
      create: () => {
        const made = createStrategy("sma-cross", { fast: 10, slow: 30 });
        if (!made.ok) throw new Error(made.error.message);
        return made.value;
      },
    },
  ],
  capital: "1",
  slippageBps: 0,
  sizing: { method: "all_in", notional: "0.08" },
  // 5 days of hourly bars, trusted after half: the limit applies from the recording's third day on.
  riskLimits: { minNotional: "0.01", correlationThreshold: 0.5, correlationBarMinutes: 60, correlationWindowBars: 120 },
};

describe("portfolio backtest with and without the correlation limit", () => {
  const comparison = compareCorrelationLimit(INPUT, 10);

  it("the limit refuses entries into a full cluster (beyond what the run without it refuses), so fewer trades", () => {
    const without = comparisonFigures(comparison.without, INPUT.capital);
    const withLimit = comparisonFigures(comparison.with, INPUT.capital);
    expect(withLimit.refused).toBeGreaterThan(without.refused);
    expect(withLimit.trades).toBeLessThan(without.trades);
  });

  it("is deterministic and the report section names both runs and the difference", () => {
    const again = compareCorrelationLimit(INPUT, 10);
    expect(again.with.finalEquity.toString()).toBe(comparison.with.finalEquity.toString());
    expect(again.without.finalEquity.toString()).toBe(comparison.without.finalEquity.toString());
    const text = formatCorrelationComparison(comparison, INPUT.capital);
    expect(text.split("\n")).toHaveLength(4);
    expect(text).toMatch(/^Correlation limit comparison \(clusters capped at 10% of equity\):\n {2}without the limit +return +-?\d+\.\d\d%/);
    expect(text).toMatch(/\n {2}with the limit \(10%\) +return +-?\d+\.\d\d% +max drawdown +\d+\.\d\d% +trades +\d+ +refused +[1-9]\d*\n/);
    expect(text).toMatch(/difference: return -?\d+\.\d\d points, max drawdown -?\d+\.\d\d points, [1-9]\d* more entries refused$/);
  });
});

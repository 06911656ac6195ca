/**
 * `--exec` in a portfolio backtest: every symbol's entries and exits are worked by the algorithm, the report carries
 * `execution` and each trade's entry/exit shortfall, and the same data give the same report.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseExecSpec } from "../core/algos/exec-spec";
import { type PortfolioRunArgs, portfolioReportParams } from "../core/backtest/run-args";
import { D } from "../core/money";
import { runBacktest } from "./backtest-service";

const ROOT = join(import.meta.dirname, "..", "..");
const COINS = ["eth", "ltc", "xmr"];

function args(exec: string | null): PortfolioRunArgs {
  const parsed = exec === null ? null : parseExecSpec(exec);
  if (parsed && !parsed.ok) throw new Error(parsed.error.message);
  return {
    help: false,
    legs: COINS.map((c) => ({ data: join(ROOT, `data/market/portfolio/${c}-btc_5m_bittrex_2018-01-10_2018-01-30.csv`), symbol: `${c.toUpperCase()}/BTC` })),
    strategies: [{ name: "sma-cross", symbols: null }],
    sizing: { kind: "share", fraction: null },
    fast: 10,
    slow: 30,
    capital: D("3"),
    feeBps: D(0),
    slippage: { kind: "fixed", bps: D(5) },
    json: true,
    seed: 0,
    qtyStep: null,
    deterministic: true,
    save: false,
    ...(parsed && { exec: parsed.value }),
  };
}

describe("portfolio backtest --exec", () => {
  const twap = runBacktest(args("twap:30m")).report;

  it("works every symbol's entries and exits as parents, with each trade's shortfall", () => {
    const execution = twap.execution!;
    expect(execution).toMatchObject({ algo: "twap:30m" });
    expect(new Set(twap.trades.map((t) => t.symbol))).toEqual(new Set(COINS.map((c) => `${c.toUpperCase()}/BTC`)));
    expect(twap.trades.length).toBeGreaterThan(20);
    // One parent per entry and per signal exit (end-of-data exits are one market order each).
    const signalExits = twap.trades.filter((t) => t.exitReason === "signal").length;
    expect(execution.parentOrders).toBeGreaterThanOrEqual(twap.trades.length + signalExits);
    // A 30-minute TWAP on 5-minute candles: about six children per parent.
    expect(execution.childOrders / execution.parentOrders).toBeGreaterThan(4);
    expect(execution.childOrders / execution.parentOrders).toBeLessThanOrEqual(7);
    for (const trade of twap.trades) {
      expect(trade.entryShortfallBps, `${trade.symbol} ${trade.entryTime}`).toEqual(expect.any(Number));
      expect(trade.exitShortfallBps, `${trade.symbol} ${trade.exitTime}`).toEqual(expect.any(Number));
    }
    expect(execution.avgShortfallBps).toEqual(expect.any(Number));
    expect(twap.params.exec).toBe("twap:30m");
  });

  it("is deterministic: the same data and parameters print the same report", () => {
    expect(JSON.stringify(runBacktest(args("twap:30m")).report)).toBe(JSON.stringify(twap));
  });

  it("differs from one market order each, whose report stays without execution", () => {
    const market = runBacktest(args(null)).report;
    expect(market.execution).toBeUndefined();
    expect(market.trades.some((t) => "entryShortfallBps" in t)).toBe(false);
    expect(JSON.stringify(market.trades)).not.toBe(JSON.stringify(twap.trades.map(({ entryShortfallBps: _e, exitShortfallBps: _x, ...t }) => t)));
  });

  it("names --exec in the report's params", () => {
    expect(portfolioReportParams(args("vwap:1h"), "x").exec).toBe("vwap:60m");
    expect("exec" in portfolioReportParams(args(null), "x")).toBe(false);
  });
});

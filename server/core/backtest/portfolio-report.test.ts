import { describe, expect, it } from "vitest";
import { D } from "../money";
import { buildPortfolioReport, formatPortfolioReport } from "./portfolio-report";
import { buildBacktestReport } from "./report";
import { type BacktestTrade } from "./types";

const HOUR = 3_600_000;
const trade = (
  symbol: string,
  strategy: string,
  entry: number,
  exit: number,
  pnl: string,
  fees: string,
): BacktestTrade & { symbol: string; strategy: string } => ({
  symbol,
  strategy,
  entryTime: entry * HOUR,
  exitTime: exit * HOUR,
  side: "LONG",
  qty: D(1),
  entryPrice: D(1),
  exitPrice: D(1),
  fees: D(fees),
  pnl: D(pnl),
  exitReason: "signal",
});

describe("buildPortfolioReport", () => {
  const trades = [trade("A/BTC", "s1", 0, 2, "0.5", "0.1"), trade("B/BTC", "s1", 1, 2, "-0.25", "0.05"), trade("A/BTC", "s2", 3, 4, "0.25", "0.01")];
  const totals = buildBacktestReport({
    trades,
    equityCurve: [{ ts: 10 * HOUR, equity: D("10.5") }],
    initialCapital: 10,
    candles: 20,
    elapsedMs: 0,
    params: { symbols: "A/BTC,B/BTC" },
  });
  const report = buildPortfolioReport({
    totals,
    trades,
    quote: "BTC",
    symbols: ["B/BTC", "A/BTC"],
    strategies: [
      { name: "s1", symbols: ["A/BTC", "B/BTC"] },
      { name: "s2", symbols: ["A/BTC"] },
    ],
    spanMs: 10 * HOUR,
    skippedSignals: { s1: 0, s2: 1 },
    refusedSignals: { s1: 0, s2: 0 },
  });

  it("groups trades per symbol and per strategy, in the order given, with exposure over the span × its symbols", () => {
    expect(Object.keys(report.perSymbol)).toEqual(["B/BTC", "A/BTC"]);
    expect(report.perSymbol).toEqual({
      "B/BTC": { trades: 1, wins: 0, winRatePct: 0, netPnl: "-0.25", fees: "0.05", exposureMs: HOUR, exposurePct: 10 },
      "A/BTC": { trades: 2, wins: 2, winRatePct: 100, netPnl: "0.75", fees: "0.11", exposureMs: 3 * HOUR, exposurePct: 30 },
    });
    expect(report.perStrategy).toEqual({
      s1: { trades: 2, wins: 1, winRatePct: 50, netPnl: "0.25", fees: "0.15", exposureMs: 3 * HOUR, exposurePct: 15 },
      s2: { trades: 1, wins: 1, winRatePct: 100, netPnl: "0.25", fees: "0.01", exposureMs: HOUR, exposurePct: 10 },
    });
    expect(report.trades.map((t) => [t.symbol, t.strategy, t.pnl])).toEqual([
      ["A/BTC", "s1", "0.5"],
      ["B/BTC", "s1", "-0.25"],
      ["A/BTC", "s2", "0.25"],
    ]);
    expect(report).toMatchObject({ quote: "BTC", finalEquity: "10.5", netPnl: "0.5", tradeCount: 3, skippedSignals: { s2: 1 } });
  });

  it("a group without trades has no win rate", () => {
    const empty = buildPortfolioReport({
      totals,
      trades: [],
      quote: "BTC",
      symbols: ["A/BTC"],
      strategies: [{ name: "s1", symbols: ["A/BTC"] }],
      spanMs: 0,
      skippedSignals: {},
      refusedSignals: {},
    });
    expect(empty.perSymbol["A/BTC"]).toEqual({ trades: 0, wins: 0, winRatePct: null, netPnl: "0", fees: "0", exposureMs: 0, exposurePct: null });
  });

  it("prints the totals and one table per symbol and per strategy", () => {
    const text = formatPortfolioReport(report);
    expect(text).toContain("final equity    10.5");
    expect(text.split("\n\n")[1]).toBe(
      [
        "Per symbol",
        "symbol  trades  win %  net PnL  fees  exposure %",
        "------  ------  -----  -------  ----  ----------",
        "B/BTC        1    0.0    -0.25  0.05        10.0",
        "A/BTC        2  100.0     0.75  0.11        30.0",
      ].join("\n"),
    );
    expect(text.split("\n\n")[2]).toMatch(/^Per strategy\nstrategy {2}trades/);
  });
});

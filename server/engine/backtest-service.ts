/** Runs a backtest from validated arguments and builds its report; optionally stores it as a backtest run. */
import { buildBacktestReport, type BacktestReport } from "../core/backtest/report";
import { createStrategy } from "../core/strategies";
import { type BacktestRunArgs, backtestReportParams } from "../core/backtest/run-args";
import { loadCandlesCsv } from "../venues/replay/csv";
import { runEngineBacktest } from "./backtest";

export interface BacktestOutcome {
  report: BacktestReport;
  /** The equity curve at candle closes (for charts), as [ts, equity] numbers. */
  curve: [number, number][];
  /** Where the run's time went, in ms: reading the CSV, the engine run (the report's elapsedMs), building the report. */
  timings: { csvMs: number; engineMs: number; reportMs: number };
}

export function runBacktest(args: BacktestRunArgs, onProgress?: (done: number, total: number) => void): BacktestOutcome {
  const csvStarted = performance.now();
  const candles = loadCandlesCsv(args.data);
  const strategy = createStrategy(args.strategy, { fast: args.fast, slow: args.slow });
  if (!strategy.ok) throw new Error(`${strategy.error.code}: ${strategy.error.message}`);
  const started = performance.now();
  const result = runEngineBacktest({
    candles,
    symbol: args.symbol,
    strategy: strategy.value,
    capital: args.capital,
    feeBps: args.feeBps,
    slippageBps: args.slippage.kind === "fixed" ? args.slippage.bps.toNumber() : 0,
    qtyStep: args.qtyStep,
    ...(onProgress ? { onProgress } : {}),
  });
  const elapsedMs = performance.now() - started;
  const reportStarted = performance.now();
  const report = buildBacktestReport({
    trades: result.trades,
    equityCurve: result.numericEquityCurve,
    initialCapital: args.capital,
    candles: result.candles,
    elapsedMs,
    params: backtestReportParams(args),
    deterministic: args.deterministic,
  });
  // A chart needs at most a few thousand points.
  const { ts, equity, last } = result.numericEquityCurve;
  const step = Math.max(1, Math.ceil(equity.length / 2000));
  const curve: [number, number][] = [];
  for (let i = 0; i < equity.length; i += step) curve.push([ts[i]!, i === equity.length - 1 ? last.toNumber() : equity[i]!]);
  const timings = { csvMs: started - csvStarted, engineMs: elapsedMs, reportMs: performance.now() - reportStarted };
  return { report, curve, timings };
}

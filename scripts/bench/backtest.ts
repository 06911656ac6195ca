/**
 * backtest_candles_per_sec: the real engine backtest (risk gate, journal in a MemoryStore, FSM, simulated
 * venue, position book) with sma-cross 10/30, fee 10 bps, slippage 2 bps over the recorded BTC/USDT 5m file.
 * The candles are loaded once; warm-up runs, then the best of N timed runs (`value`), with the median beside
 * it (`medianCandlesPerSec`): most runs include a young-generation GC pause of a few ms (a run allocates
 * ~9 MB), the best run is the engine's own cost.
 */
import { join } from "node:path";
import { createStrategy } from "../../server/core/strategies";
import { runEngineBacktest, type EngineBacktestResult } from "../../server/engine/backtest";
import { type Candle, type CandleColumns, candleColumnsOf, loadCandlesCsv } from "../../server/venues/replay/csv";

export const BACKTEST_TARGET_CANDLES_PER_SEC = 1_000_000;
export const BACKTEST_DATA = join(import.meta.dirname, "..", "..", "data", "market", "btc-usdt_5m_2023-01-02_2023-02-09.csv");

export interface BacktestBenchResult {
  name: string;
  unit: "candles/s";
  value: number;
  target: number;
  meetsTarget: boolean;
  candles: number;
  trades: number;
  orders: number;
  fills: number;
  /** Best run. */
  msPerRun: number;
  /** Median of the timed runs, to show the noise (and the GC pauses most runs include). */
  medianMsPerRun: number;
  medianCandlesPerSec: number;
  warmupRuns: number;
  timedRuns: number;
  qtyStep: string | null;
  finalEquity: string;
}

export interface BacktestBenchOptions {
  name: string;
  qtyStep?: string | null;
  warmupRuns?: number;
  timedRuns?: number;
  candles?: readonly Candle[];
  log?: (line: string) => void;
}

let cached: Candle[] | null = null;
export function benchCandles(): Candle[] {
  cached ??= loadCandlesCsv(BACKTEST_DATA);
  return cached;
}

function runOnce(candles: CandleColumns, qtyStep: string | null): EngineBacktestResult {
  const strategy = createStrategy("sma-cross", { fast: 10, slow: 30 });
  if (!strategy.ok) throw new Error(`${strategy.error.code}: ${strategy.error.message}`);
  return runEngineBacktest({ candles, symbol: "BTC/USDT", strategy: strategy.value, capital: "10000", feeBps: 10, slippageBps: 2, qtyStep });
}

export function backtestBench(options: BacktestBenchOptions): BacktestBenchResult {
  // Columns, as `npm run backtest` runs: converted once, outside the timed runs.
  const candles = candleColumnsOf(options.candles ?? benchCandles());
  const qtyStep = options.qtyStep ?? null;
  const warmupRuns = options.warmupRuns ?? 2;
  const timedRuns = options.timedRuns ?? 5;
  let last: EngineBacktestResult | null = null;
  for (let i = 0; i < warmupRuns; i++) last = runOnce(candles, qtyStep);
  const times: number[] = [];
  for (let i = 0; i < timedRuns; i++) {
    const start = performance.now();
    const result = runOnce(candles, qtyStep);
    times.push(performance.now() - start);
    // Every run must do the same work, or the numbers compare nothing.
    if (last && (result.trades.length !== last.trades.length || result.fills !== last.fills || !result.finalEquity.equals(last.finalEquity))) {
      throw new Error("BENCH_NONDETERMINISTIC: two backtest runs over the same data gave different results.");
    }
    last = result;
    options.log?.(`  ${options.name}: run ${i + 1}/${timedRuns} ${times[i]!.toFixed(1)} ms`);
  }
  if (!last) throw new Error("BENCH_NO_RUNS: the backtest bench needs at least one run.");
  if (last.trades.length === 0 || last.fills === 0) throw new Error("BENCH_NO_TRADES: the backtest made no trades, so it measures no order flow.");
  const sorted = [...times].sort((a, b) => a - b);
  const best = sorted[0]!;
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const value = Math.round((candles.length * 1000) / best);
  return {
    name: options.name,
    unit: "candles/s",
    value,
    target: BACKTEST_TARGET_CANDLES_PER_SEC,
    meetsTarget: value >= BACKTEST_TARGET_CANDLES_PER_SEC,
    candles: candles.length,
    trades: last.trades.length,
    orders: last.orders,
    fills: last.fills,
    msPerRun: Math.round(best * 100) / 100,
    medianMsPerRun: Math.round(median * 100) / 100,
    medianCandlesPerSec: Math.round((candles.length * 1000) / median),
    warmupRuns,
    timedRuns,
    qtyStep,
    finalEquity: last.finalEquity.toString(),
  };
}

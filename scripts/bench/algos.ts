/**
 * Parent-order benches (engine/algos.ts):
 * - `algo_slices_per_sec`: TWAP slices placed through the risk gate, journaled and filled by the simulator (one
 *   engine, in-memory store, manual clock), per second of wall time;
 * - `twap_100_vs_market`: the shipped 5-minute BTC/USDT recording backtested with sma-cross 10/30, every entry and
 *   exit a 100-slice TWAP (`--exec twap:500m`) against one market order each (`--exec market`), fee 10 bps, slippage
 *   2 bps: the execution cost (mean shortfall against the arrival price, bps) and the final equity of each.
 */
import { join } from "node:path";
import { parseExecSpec } from "../../server/core/algos/exec-spec";
import { ManualClock } from "../../server/core/clock";
import { sequentialIds } from "../../server/core/ids";
import { createSmaCrossStrategy } from "../../server/core/strategies/sma-cross";
import { MemoryStore } from "../../server/db/memory-store";
import { runEngineBacktest } from "../../server/engine/backtest";
import { Engine } from "../../server/engine/engine";
import { SYSTEM } from "../../server/engine/types";
import { loadCandlesCsv } from "../../server/venues/replay/csv";
import { SimVenue } from "../../server/venues/sim/sim-venue";
import { BENCH_INSTRUMENT as BTC } from "./desk";

export function slicesBench(options: { slices: number; log: (line: string) => void }): { value: number; unit: string; slices: number; elapsedMs: number } {
  const clock = new ManualClock(Date.UTC(2024, 0, 2));
  const engine = new Engine({
    venue: new SimVenue({ instruments: [BTC], initialBalances: { USDT: "100000000" } }),
    store: new MemoryStore(),
    clock,
    ids: sequentialIds(),
    initialEquity: "100000000",
    breaker: null,
    protections: null,
    timers: { setTimeout: () => null, clearTimeout: () => undefined },
    riskLimits: { maxOpenPositions: 10, maxPortfolioExposurePct: 100, maxSymbolExposurePct: 100 },
    defaultSymbolSettings: { minConfidence: 0, stopLossPct: null, takeProfitLevels: [], trailing: null, maxAgeMinutes: null },
    equitySnapshotOnFill: false,
  });
  void engine.start();
  const quote = () => engine.executeMarketData({ kind: "quote", symbol: "BTC/USDT", bid: 30_000, ask: 30_001 });
  quote();
  const started = performance.now();
  const result = engine.executeSync({
    kind: "startParent",
    parent: {
      symbol: "BTC/USDT",
      side: "BUY",
      quantity: (options.slices * 0.001).toFixed(5),
      algo: { kind: "twap", horizonSeconds: options.slices, intervalSeconds: 1 },
    },
    actor: SYSTEM,
    reason: "bench",
  });
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  for (let i = 0; i < options.slices; i++) {
    clock.advance(1000);
    quote();
  }
  const elapsedMs = performance.now() - started;
  const parent = engine.parentOrders(1)[0]!;
  if (parent.status !== "done" || parent.childrenSent !== options.slices) throw new Error(`TWAP ended ${parent.status} after ${parent.childrenSent} slices`);
  options.log(`  ${options.slices} slices in ${elapsedMs.toFixed(0)} ms`);
  return { value: Math.round((options.slices * 1000) / elapsedMs), unit: "slices/s", slices: options.slices, elapsedMs: Math.round(elapsedMs) };
}

export function twapVsMarketBench(log: (line: string) => void): Record<string, unknown> {
  const candles = loadCandlesCsv(join(import.meta.dirname, "..", "..", "data", "market", "btc-usdt_5m_2023-01-02_2023-02-09.csv"));
  const run = (text: string) => {
    // A strategy keeps its averages: a fresh one per run.
    const strategy = createSmaCrossStrategy({ fast: 10, slow: 30 });
    if (!strategy.ok) throw new Error(strategy.error.message);
    const exec = parseExecSpec(text);
    if (!exec.ok) throw new Error(exec.error.message);
    const started = performance.now();
    const result = runEngineBacktest({ candles, symbol: "BTC/USDT", strategy: strategy.value, capital: "10000", feeBps: 10, slippageBps: 2, exec: exec.value });
    const elapsedMs = Math.round(performance.now() - started);
    log(`  --exec ${text}: ${result.trades.length} trades in ${elapsedMs} ms`);
    return { result, execution: result.execution!, elapsedMs };
  };
  const market = run("market");
  const twap = run("twap:500m");
  const shortfall = (x: number | null) => x ?? 0;
  return {
    unit: "bps",
    value: Math.round((shortfall(twap.execution.avgShortfallBps) - shortfall(market.execution.avgShortfallBps)) * 100) / 100,
    note: "value = TWAP mean shortfall − market mean shortfall (positive: the TWAP cost more)",
    market: {
      avgShortfallBps: market.execution.avgShortfallBps,
      trades: market.result.trades.length,
      finalEquity: market.result.finalEquity.toFixed(2),
      elapsedMs: market.elapsedMs,
    },
    twap: {
      avgShortfallBps: twap.execution.avgShortfallBps,
      trades: twap.result.trades.length,
      parentOrders: twap.execution.parentOrders,
      childOrders: twap.execution.childOrders,
      finalEquity: twap.result.finalEquity.toFixed(2),
      // The run's wall time (a cold first run in this process): a backtest with algorithms walked every parent so far
      // on every candle and built up to 1,000 parent views per signal (6.0 s here before, 2.0 s after).
      elapsedMs: twap.elapsedMs,
    },
  };
}

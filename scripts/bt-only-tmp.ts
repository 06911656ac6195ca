import { backtestBench, benchCandles } from "./bench/backtest";
const candles = benchCandles();
for (const [name, qtyStep] of [["nostep", null], ["step", "0.00001"]] as const) {
  const r = backtestBench({ name, qtyStep, candles, warmupRuns: 5, timedRuns: 15 });
  console.log(name, r.msPerRun, r.medianMsPerRun, r.value);
}

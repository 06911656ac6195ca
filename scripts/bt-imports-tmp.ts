import { backtestBench, benchCandles } from "./bench/backtest";
import { historyBench } from "./bench/history";
import { renderBench } from "./bench/render";
import { restartRecoveryBench } from "./bench/restart-recovery";
import { signalsSqliteBench } from "./bench/signals-sqlite";
void [historyBench, renderBench, restartRecoveryBench, signalsSqliteBench];
const candles = benchCandles();
for (const [name, qtyStep] of [["nostep", null], ["step", "0.00001"]] as const) {
  const r = backtestBench({ name, qtyStep, candles, warmupRuns: 5, timedRuns: 15 });
  console.log(name, r.msPerRun, r.medianMsPerRun, r.value);
}

/**
 * The comparison run for bench-cold.ts: the same sma-cross 10/30 (long only, enter and exit at the next candle's open)
 * in grademark 0.3.0, one cold process, as a grademark user would write it: data-forge parses the CSV, grademark's
 * `backtest` walks the bars, `analyze` builds the summary.
 *
 *   node scripts/bench/grademark-sma-cross.mjs <dir with node_modules/grademark> <candles.csv>
 *
 * Prints one JSON object: candles, trades, and the times (ms since the process started) at which modules were loaded
 * and the CSV, the backtest and the analysis were done; the CPU time of the whole process and of the part after the
 * modules were loaded.
 *
 * The cross flags are computed beforehand, over plain arrays: grademark hands rules a lookback from a ring buffer
 * (CBuffer) whose `data` is in storage order, so once the ring wraps the rows come out of time order and an SMA over
 * them is wrong. The crosses are decided exactly as server/core/strategies/sma-cross.ts decides them (sums compared as
 * fastSum × slow vs slowSum × fast, on closes scaled to integers), so both runs see the same signals.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const [dir, file] = process.argv.slice(2);
if (!dir || !file) {
  process.stderr.write("usage: node scripts/bench/grademark-sma-cross.mjs <grademark dir> <candles.csv>\n");
  process.exit(2);
}
const FAST = 10;
const SLOW = 30;

const requireThere = createRequire(join(dir, "package.json"));
const dataForge = requireThere("data-forge");
const { backtest, analyze } = requireThere("grademark");
const loadedMs = performance.now();
const loadedCpu = process.cpuUsage();

const rows = dataForge.fromCSV(readFileSync(file, "utf8"), { dynamicTyping: true }).toArray();
const csvMs = performance.now();

// Scale closes to integers (the data has at most 2 decimals; checked) so the sums are exact.
const SCALE = 100;
const scaled = rows.map((r) => {
  const s = Math.round(r.close * SCALE);
  if (Math.abs(s / SCALE - r.close) > 1e-9) throw new Error(`close ${r.close} has more than 2 decimals`);
  return s;
});
const above = new Array(rows.length).fill(null); // fast > slow / fast < slow / equal (null before `slow` candles)
let fastSum = 0;
let slowSum = 0;
for (let i = 0; i < rows.length; i++) {
  fastSum += scaled[i];
  slowSum += scaled[i];
  if (i >= FAST) fastSum -= scaled[i - FAST];
  if (i >= SLOW) slowSum -= scaled[i - SLOW];
  if (i >= SLOW - 1) above[i] = Math.sign(fastSum * SLOW - slowSum * FAST);
}
const bars = rows.map((r, i) => {
  const prev = i > 0 ? above[i - 1] : null;
  const now = above[i];
  const both = prev !== null && now !== null;
  return {
    time: r.ts,
    open: r.open,
    high: r.high,
    low: r.low,
    close: r.close,
    volume: r.volume,
    crossUp: both && now > 0 && prev <= 0,
    crossDown: both && now < 0 && prev >= 0,
  };
});
const series = new dataForge.DataFrame(bars);

const strategy = {
  entryRule: (enterPosition, args) => {
    if (args.bar.crossUp) enterPosition();
  },
  exitRule: (exitPosition, args) => {
    if (args.bar.crossDown) exitPosition();
  },
};
const trades = backtest(strategy, series);
const backtestMs = performance.now();
const analysis = analyze(10_000, trades);
const analyzedMs = performance.now();
const cpu = process.cpuUsage();

process.stdout.write(
  `${JSON.stringify({
    candles: rows.length,
    trades: trades.length,
    finalCapital: analysis.finalCapital,
    loadedMs,
    csvMs,
    backtestMs,
    analyzedMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    inProcessCpuMs: (cpu.user + cpu.system - loadedCpu.user - loadedCpu.system) / 1000,
  })}\n`,
);

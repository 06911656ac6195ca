/**
 * `npm run backtest -- --data FILE --symbol BTC/USDT --strategy sma-cross --fast 10 --slow 30 --capital 10000
 *  --fee-bps 0 --slippage none --json` — one JSON report on stdout; progress on stderr.
 * The portfolio form (`--data FILE --symbol SYM` repeated, or `--data FILE:SYM,…`; `--strategy` repeated) prints its
 * report as JSON with --json, else as text with per-symbol and per-strategy tables.
 */
import { basename } from "node:path";
import { formatPortfolioReport } from "../server/core/backtest/portfolio-report";
import { isPortfolioRunArgs, type PortfolioRunArgs } from "../server/core/backtest/run-args";
import { BACKTEST_USAGE, parseBacktestArgs } from "../server/engine/backtest-args";
import { runBacktest } from "../server/engine/backtest-service";

async function main(): Promise<number> {
  // performance.now() counts from the process's start: this is what loading node, tsx and the modules cost.
  const mainStarted = performance.now();
  const mainStartedCpu = process.cpuUsage();
  const parsed = parseBacktestArgs(process.argv.slice(2));
  if (!parsed.ok) {
    process.stderr.write(`${parsed.error.message}\n\n${BACKTEST_USAGE}\n`);
    return 2;
  }
  if (parsed.value.help) {
    await writeWhole(process.stdout, `${BACKTEST_USAGE}\n`);
    return 0;
  }
  const args = parsed.value;
  if (isPortfolioRunArgs(args)) return runPortfolioCli(args, mainStarted, mainStartedCpu);
  process.stderr.write(`backtest: ${args.strategy} fast=${args.fast} slow=${args.slow} on ${basename(args.data)}\n`);
  const { report, curve, timings } = runBacktest(args, (done, total) =>
    process.stderr.write(`  ${Math.round((done / total) * 100)}% (${done}/${total} candles)\n`),
  );
  process.stderr.write(`done: ${report.tradeCount} trades, final equity ${report.finalEquity}, ${report.elapsedMs} ms\n`);
  // One line for `npm run bench` (scripts/bench/cold.ts): the stages of this cold run, from process start (ms).
  const cpu = process.cpuUsage();
  process.stderr.write(
    `timings: ${JSON.stringify({ mainStartedMs: mainStarted, ...timings, doneMs: performance.now(), cpuMs: (cpu.user + cpu.system) / 1000, inProcessCpuMs: (cpu.user + cpu.system - mainStartedCpu.user - mainStartedCpu.system) / 1000 })}\n`,
  );
  if (args.save) {
    const { saveBacktestRun } = await import("../server/db/backtests");
    const id = await saveBacktestRun({ report, curve, dataSet: basename(args.data), symbol: args.symbol, strategy: args.strategy });
    process.stderr.write(`saved as backtest run ${id}\n`);
  }
  await writeWhole(process.stdout, args.json ? `${JSON.stringify(report)}\n` : `${JSON.stringify(report, null, 2)}\n`);
  return 0;
}

async function runPortfolioCli(args: PortfolioRunArgs, mainStarted: number, mainStartedCpu: NodeJS.CpuUsage): Promise<number> {
  const symbols = args.legs.map((l) => l.symbol).join(", ");
  process.stderr.write(`backtest: portfolio of ${args.legs.length} symbols (${symbols}), ${args.strategies.map((s) => s.name).join(" + ")}\n`);
  const { report, curve, timings, correlationComparison } = runBacktest(args);
  process.stderr.write(`done: ${report.tradeCount} trades, final equity ${report.finalEquity} ${report.quote}, ${report.elapsedMs} ms\n`);
  const cpu = process.cpuUsage();
  process.stderr.write(
    `timings: ${JSON.stringify({ mainStartedMs: mainStarted, ...timings, doneMs: performance.now(), cpuMs: (cpu.user + cpu.system) / 1000, inProcessCpuMs: (cpu.user + cpu.system - mainStartedCpu.user - mainStartedCpu.system) / 1000 })}\n`,
  );
  if (args.save) {
    const { saveBacktestRun } = await import("../server/db/backtests");
    const id = await saveBacktestRun({
      report,
      curve,
      dataSet: args.legs.map((l) => basename(l.data)).join(","),
      symbol: report.symbols.join(","),
      strategy: report.strategies.join(","),
    });
    process.stderr.write(`saved as backtest run ${id}\n`);
  }
  const comparison = correlationComparison === undefined ? "" : args.json ? "" : `\n${correlationComparison}\n`;
  const json = correlationComparison === undefined ? report : { ...report, correlationComparison };
  await writeWhole(process.stdout, args.json ? `${JSON.stringify(json)}\n` : `${formatPortfolioReport(report)}\n${comparison}`);
  return 0;
}

/**
 * Resolves once `text` has been handed to the OS. process.exit() right after a write drops whatever a pipe has not
 * taken yet (a reader like `| jq` gets the first 64 KiB), so the exit waits for this.
 */
function writeWhole(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolveWrite) => {
    stream.write(text, () => resolveWrite());
  });
}

// A reader that closes the pipe early (`| head`) has taken what it wanted: the run ends quietly, not with an EPIPE trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

// The exit waits for stderr too: a usage error or a failure message is as easily cut off as the report.
main().then(
  (code) => writeWhole(process.stderr, "").then(() => process.exit(code)),
  (e: unknown) => writeWhole(process.stderr, `backtest failed: ${e instanceof Error ? e.message : String(e)}\n`).then(() => process.exit(1)),
);

/** Runs a backtest from validated arguments (one symbol, or a portfolio of several) and builds its report. */
import { basename } from "node:path";
import { buildBacktestReport, type BacktestReport } from "../core/backtest/report";
import { buildPortfolioReport, type PortfolioReport } from "../core/backtest/portfolio-report";
import { makeInstrument, type Instrument } from "../core/instrument";
import { createStrategy, type Strategy } from "../core/strategies";
import { type BacktestRunArgs, backtestReportParams, isPortfolioRunArgs, type PortfolioRunArgs, portfolioReportParams } from "../core/backtest/run-args";
import { type CcxtMarketLike, instrumentFromCcxtMarket } from "../venues/ccxt/markets";
import binanceMarkets from "../venues/ccxt/fixtures/markets/binance.ticksize.json";
import { loadCandleColumns, loadCandlesCsv } from "../venues/replay/csv";
import { alignCandleSets, bittrexBtcInstrument, RECORDED_SETS } from "../venues/replay/portfolio";
import { type ExecutionSummary, runEngineBacktest } from "./backtest";
import {
  compareCorrelationLimit,
  formatCorrelationComparison,
  type PortfolioBacktestInput,
  type PortfolioLeg,
  runPortfolioBacktest,
} from "./portfolio-backtest";
import { readFileSync } from "node:fs";
import { parseDeskFile, patched } from "./desk-file";
import type { RiskLimitsSettings } from "./settings";

export interface BacktestOutcome {
  report: BacktestReport;
  /** The equity curve at candle closes (for charts), as [ts, equity] numbers. */
  curve: [number, number][];
  /** Where the run's time went, in ms: reading the CSV, the engine run (the report's elapsedMs), building the report. */
  timings: { csvMs: number; engineMs: number; reportMs: number };
}

export interface PortfolioOutcome {
  report: PortfolioReport;
  curve: [number, number][];
  timings: { csvMs: number; engineMs: number; reportMs: number };
  /** With --compare-correlation-limit: the runs without and with the limit, as the report's comparison section. */
  correlationComparison?: string;
}

/** The correlation settings of the comparison: clusters at ρ > 0.5 over 5 days of hourly bars (trusted after half). */
export const COMPARISON_CORRELATION = { correlationThreshold: 0.5, correlationBarMinutes: 60, correlationWindowBars: 120 } as const;

export function runBacktest(args: BacktestRunArgs, onProgress?: (done: number, total: number) => void): BacktestOutcome;
export function runBacktest(args: PortfolioRunArgs, onProgress?: (done: number, total: number) => void): PortfolioOutcome;
export function runBacktest(args: BacktestRunArgs | PortfolioRunArgs, onProgress?: (done: number, total: number) => void): BacktestOutcome | PortfolioOutcome;
export function runBacktest(args: BacktestRunArgs | PortfolioRunArgs, onProgress?: (done: number, total: number) => void): BacktestOutcome | PortfolioOutcome {
  return isPortfolioRunArgs(args) ? runPortfolio(args) : runSingle(args, onProgress);
}

function runSingle(args: BacktestRunArgs, onProgress?: (done: number, total: number) => void): BacktestOutcome {
  const csvStarted = performance.now();
  const candles = loadCandleColumns(args.data);
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
    ...(args.exec && { exec: args.exec }),
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
  // Only with --exec: the default run's report stays byte for byte what it was.
  if (result.execution) withExecution(report, result.execution);
  const curve = chartCurve(result.numericEquityCurve);
  const timings = { csvMs: started - csvStarted, engineMs: elapsedMs, reportMs: performance.now() - reportStarted };
  return { report, curve, timings };
}

/** `--exec`'s part of a report (one symbol or a portfolio): the totals, and each trade's entry and exit shortfall. */
function withExecution<T extends { execution?: BacktestReport["execution"]; trades: BacktestReport["trades"] }>(report: T, execution: ExecutionSummary): void {
  report.execution = {
    algo: execution.algo,
    parentOrders: execution.parentOrders,
    childOrders: execution.childOrders,
    avgShortfallBps: execution.avgShortfallBps,
  };
  report.trades = report.trades.map((t, i) => ({ ...t, ...execution.trades[i] }));
}

/** A chart needs at most a few thousand points. */
function chartCurve({ ts, equity, last }: { ts: Float64Array; equity: Float64Array; last: { toNumber(): number } }): [number, number][] {
  const step = Math.max(1, Math.ceil(equity.length / 2000));
  const curve: [number, number][] = [];
  for (let i = 0; i < equity.length; i += step) curve.push([ts[i]!, i === equity.length - 1 ? last.toNumber() : equity[i]!]);
  return curve;
}

const PORTFOLIO_SET_FILES: ReadonlySet<string> = new Set(RECORDED_SETS.portfolio.files.map((f) => basename(f)));

/**
 * A leg's venue rules, named for the report: a file of the shipped portfolio set trades on Bittrex's rules of the time
 * (its recording does not carry them), a symbol of the recorded Binance market snapshot on Binance's precision, limits
 * and fee (as the desk does), any other on an instrument without rounding with the run's --fee-bps and --qty-step, as
 * the single-symbol form does.
 */
export function portfolioInstrument(
  file: string,
  symbol: string,
  args: Pick<PortfolioRunArgs, "feeBps" | "qtyStep">,
): { instrument: Instrument; rules: string } {
  if (PORTFOLIO_SET_FILES.has(basename(file)) && symbol.endsWith("/BTC")) return { instrument: bittrexBtcInstrument(symbol), rules: "bittrex-2018" };
  const market = (binanceMarkets as unknown as Record<string, CcxtMarketLike>)[symbol];
  if (market) return { instrument: instrumentFromCcxtMarket(market, "TICK_SIZE"), rules: "binance" };
  const fee = args.feeBps.dividedBy(10_000);
  return {
    instrument: makeInstrument({ symbol, priceTick: "1e-40", qtyStep: args.qtyStep ?? "1e-40", makerFee: fee, takerFee: fee }),
    rules: "plain",
  };
}

/** The candles of each leg, trimmed to the window all of them cover, with their instruments. */
export function loadPortfolioLegs(args: Pick<PortfolioRunArgs, "legs" | "feeBps" | "qtyStep">): { legs: PortfolioLeg[]; rules: string } {
  const aligned = alignCandleSets(args.legs.map((l) => ({ symbol: l.symbol, candles: loadCandlesCsv(l.data) })));
  const rules: string[] = [];
  const legs = aligned.map((set, i) => {
    const { instrument, rules: name } = portfolioInstrument(args.legs[i]!.data, set.symbol, args);
    rules.push(`${set.symbol}=${name}`);
    return { symbol: set.symbol, candles: set.candles, instrument };
  });
  return { legs, rules: rules.join(",") };
}

function strategyFor(name: string, args: Pick<PortfolioRunArgs, "fast" | "slow">): Strategy {
  const made = createStrategy(name, { fast: args.fast, slow: args.slow });
  if (!made.ok) throw new Error(`${made.error.code}: ${made.error.message}`);
  return made.value;
}

/**
 * The engine settings a desk file gives a backtest (--config): its risk limits (only those it states: a backtest has no
 * desk defaults in another quote currency to fall back on), its breaker (when it has a breaker section) and its
 * protections. Throws DeskFileError with line/key problems (the argument parser has checked the file already).
 */
export function backtestDeskSettings(path: string) {
  const desk = parseDeskFile(readFileSync(path, "utf8"), { source: basename(path) });
  return {
    riskLimits: patched<RiskLimitsSettings>({}, desk.risk, true),
    breaker: Object.keys(desk.breaker).length > 0 ? desk.breaker : null,
    protections: desk.protections,
  };
}

function runPortfolio(args: PortfolioRunArgs): PortfolioOutcome {
  const csvStarted = performance.now();
  const deskSettings = args.config ? backtestDeskSettings(args.config) : null;
  const { legs, rules } = loadPortfolioLegs(args);
  const symbols = legs.map((l) => l.symbol);
  const started = performance.now();
  const input: PortfolioBacktestInput = {
    legs,
    strategies: args.strategies.map((s) => ({ name: s.name, symbols: s.symbols, create: () => strategyFor(s.name, args) })),
    capital: args.capital,
    slippageBps: args.slippage.kind === "fixed" ? args.slippage.bps.toNumber() : 0,
    sizing:
      args.sizing.kind === "notional"
        ? { method: "all_in", notional: args.sizing.notional.toFixed() }
        : { method: "all_in", equityFraction: args.sizing.fraction ? args.sizing.fraction.toNumber() : 1 / legs.length },
    ...deskSettings,
    ...(args.exec && { exec: args.exec }),
  };
  const result = runPortfolioBacktest(input);
  const elapsedMs = performance.now() - started;
  const correlationComparison =
    args.compareCorrelationLimitPct !== undefined
      ? formatCorrelationComparison(
          compareCorrelationLimit({ ...input, riskLimits: { ...COMPARISON_CORRELATION } }, args.compareCorrelationLimitPct),
          args.capital,
        )
      : undefined;
  const reportStarted = performance.now();
  const totals = buildBacktestReport({
    trades: result.trades,
    equityCurve: result.numericEquityCurve,
    initialCapital: args.capital,
    candles: result.candles,
    elapsedMs,
    params: portfolioReportParams(args, rules),
    deterministic: args.deterministic,
  });
  const report = buildPortfolioReport({
    totals,
    trades: result.trades,
    quote: result.quote,
    symbols,
    strategies: args.strategies.map((s) => ({ name: s.name, symbols: s.symbols ?? symbols })),
    spanMs: result.spanMs,
    skippedSignals: result.skippedSignals,
    refusedSignals: result.refusedSignals,
    protectionsFired: result.protectionsFired,
  });
  if (result.execution) withExecution(report, result.execution);
  const timings = { csvMs: started - csvStarted, engineMs: elapsedMs, reportMs: performance.now() - reportStarted };
  return { report, curve: chartCurve(result.numericEquityCurve), timings, ...(correlationComparison !== undefined && { correlationComparison }) };
}

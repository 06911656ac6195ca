/**
 * What one backtest run is asked to do (the `npm run backtest` command line, parsed and checked by
 * engine/backtest-args.ts), and the report's record of it. Pure: the parser, which looks at files, stays out.
 */
import { type Decimal } from "../money";
import { type StrategyName } from "../strategies";
import { type SlippageSpec } from "./types";
import { execLabel, type ExecSpec } from "../algos/exec-spec";

export interface BacktestRunArgs {
  help: false;
  /** Absolute path of an existing file. */
  data: string;
  symbol: string;
  strategy: StrategyName;
  fast: number;
  slow: number;
  capital: Decimal;
  feeBps: Decimal;
  slippage: SlippageSpec;
  /** Print the JSON report on stdout (progress always goes to stderr). */
  json: boolean;
  /** Seed for anything random in the simulated venue (latency, …); the same seed and data give the same report. */
  seed: number;
  /** Instrument quantity step: quantities are rounded down onto it. null: no rounding. */
  qtyStep: Decimal | null;
  /** Write elapsedMs as 0 so that two runs print byte-identical reports. */
  deterministic: boolean;
  /** Store the run (and its report) in the database. */
  save: boolean;
  /** `--exec`: entries and exits worked by an algorithm (absent: one market order each, as always). */
  exec?: ExecSpec;
}

/** The run's settings for the report's `params` (stable key order; data as the file's name, not the machine's path). */
export function backtestReportParams(args: BacktestRunArgs): Record<string, string | number | boolean | null> {
  return {
    data: args.data.split(/[\\/]/).pop() ?? args.data,
    symbol: args.symbol,
    strategy: args.strategy,
    fast: args.fast,
    slow: args.slow,
    capital: args.capital.toFixed(),
    feeBps: args.feeBps.toFixed(),
    slippage: args.slippage.kind === "none" ? "none" : `fixed:${args.slippage.bps.toFixed()}`,
    qtyStep: args.qtyStep ? args.qtyStep.toFixed() : null,
    seed: args.seed,
    ...(args.exec && { exec: execLabel(args.exec) }),
  };
}

/** How a portfolio backtest sizes each entry (all in of this budget, fees included; never more than the free cash). */
export type PortfolioSizingArg =
  /** equity × fraction; null: 1 / the number of symbols, so that every symbol can be held at once. */
  | { kind: "share"; fraction: Decimal | null }
  /** A fixed amount of quote currency per entry: while capital covers every symbol at once, symbols never interact. */
  | { kind: "notional"; notional: Decimal };

/** One symbol of a portfolio run: its candle file (absolute path) and the symbol traded on it. */
export interface PortfolioLegArg {
  data: string;
  symbol: string;
}

/** A strategy of a portfolio run and the symbols it runs on (null: every symbol). */
export interface PortfolioStrategyArg {
  name: StrategyName;
  symbols: string[] | null;
}

/** A portfolio run: several files (`--data` repeated or FILE:SYMBOL lists), several strategies, one shared equity. */
export interface PortfolioRunArgs extends Omit<BacktestRunArgs, "data" | "symbol" | "strategy"> {
  legs: PortfolioLegArg[];
  strategies: PortfolioStrategyArg[];
  sizing: PortfolioSizingArg;
  /** A desk file (absolute path, already checked) whose risk, breaker and protection settings the run uses; null: none. */
  config?: string | null;
  /** Run again with correlation clusters capped at this % of equity and compare (--compare-correlation-limit). */
  compareCorrelationLimitPct?: number;
}

export function isPortfolioRunArgs(args: BacktestRunArgs | PortfolioRunArgs): args is PortfolioRunArgs {
  return "legs" in args;
}

/** The portfolio run's settings for the report's `params` (stable key order; files by name; instruments as given by the runner). */
export function portfolioReportParams(args: PortfolioRunArgs, instruments: string): Record<string, string | number | boolean | null> {
  return {
    data: args.legs.map((l) => l.data.split(/[\\/]/).pop() ?? l.data).join(","),
    symbols: args.legs.map((l) => l.symbol).join(","),
    strategies: args.strategies.map((s) => (s.symbols ? `${s.name}:${s.symbols.join("+")}` : s.name)).join(","),
    fast: args.fast,
    slow: args.slow,
    capital: args.capital.toFixed(),
    sizing:
      args.sizing.kind === "notional"
        ? `notional:${args.sizing.notional.toFixed()}`
        : `equity×${args.sizing.fraction ? args.sizing.fraction.toFixed() : `1/${args.legs.length}`}`,
    instruments,
    feeBps: args.feeBps.toFixed(),
    slippage: args.slippage.kind === "none" ? "none" : `fixed:${args.slippage.bps.toFixed()}`,
    qtyStep: args.qtyStep ? args.qtyStep.toFixed() : null,
    seed: args.seed,
    ...(args.config ? { config: args.config.split(/[\\/]/).pop() ?? args.config } : {}),
    ...(args.exec && { exec: execLabel(args.exec) }),
  };
}

/**
 * What one backtest run is asked to do (the `npm run backtest` command line, parsed and checked by
 * engine/backtest-args.ts), and the report's record of it. Pure: the parser, which looks at files, stays out.
 */
import { type Decimal } from "../money";
import { type StrategyName } from "../strategies";
import { type SlippageSpec } from "./types";

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
  };
}

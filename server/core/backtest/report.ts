/**
 * The backtest report: what `npm run backtest -- … --json` prints and what a stored run keeps.
 *
 * Conventions (each has alternatives, so they are written down):
 * - Money and quantities are decimal strings in plain notation ("438.9", never "4.389e2"); ratios and percents are
 *   JSON numbers in percent units (12.5 = 12.5 %). No NaN or Infinity: an undefined value is null.
 * - finalEquity is the last point of the equity curve (the initial capital when the curve is empty).
 * - totalReturnPct = (finalEquity − initialCapital) / initialCapital × 100.
 * - maxDrawdownPct: the largest peak-to-trough fall, in percent of its peak, over the equity at candle closes, with the
 *   initial capital as the first peak (a fall below the starting capital is a drawdown). 0 when equity never falls.
 * - sharpe: server/core/risk/metrics.ts — daily (UTC, by the equity point's time) close-to-close returns of the
 *   curve, sample deviation, annualized with √365, risk-free rate 0. null with fewer than two daily returns or no
 *   variation (e.g. a run shorter than two days, or one that never traded).
 * - winRatePct, profitFactor, totalFees: server/core/positions/stats.ts. A win is a trade with net pnl > 0.
 *   winRatePct is null without trades; profitFactor = gross profit / |gross loss|, null without a losing trade (read
 *   it as ∞ when there are wins).
 * - Determinism: the same input gives a byte-identical JSON.stringify, keys in the order of BacktestReport below
 *   (params in the order given). The one exception is elapsedMs, wall time measured by the caller; `deterministic: true`
 *   writes 0 there (the CLI's --deterministic).
 */
import { D, type Decimal, type DecimalInput } from "../money";
import { type ClosedTrade, computeTradeStats } from "../positions/stats";
import { dailyReturns, drawdown, sharpeRatio } from "../risk/metrics";
import { type BacktestExitReason, type BacktestTrade, type EquityPoint } from "./types";

/** The run's settings as they should appear in the report (JSON scalars; order kept). */
export type BacktestReportParams = Readonly<Record<string, string | number | boolean | null>>;

export interface BacktestReportInput {
  trades: readonly BacktestTrade[];
  /** Equity at each candle close, in time order. */
  equityCurve: readonly EquityPoint[];
  initialCapital: DecimalInput;
  /** Number of candles the run consumed. */
  candles: number;
  elapsedMs: number;
  params: BacktestReportParams;
  /** Writes elapsedMs as 0 so that two runs print the same bytes. */
  deterministic?: boolean;
  /** Appends the equity curve ({ ts, equity } with equity as a string). Off by default: one point per candle. */
  includeEquityCurve?: boolean;
}

export interface BacktestReportTrade {
  entryTime: number;
  exitTime: number;
  side: "LONG" | "SHORT";
  qty: string;
  entryPrice: string;
  exitPrice: string;
  fees: string;
  pnl: string;
  exitReason: BacktestExitReason;
}

export interface BacktestReport {
  params: Record<string, string | number | boolean | null>;
  candles: number;
  tradeCount: number;
  initialCapital: string;
  finalEquity: string;
  /** finalEquity − initialCapital. */
  netPnl: string;
  totalReturnPct: number | null;
  maxDrawdownPct: number;
  sharpe: number | null;
  winRatePct: number | null;
  profitFactor: number | null;
  totalFees: string;
  elapsedMs: number;
  trades: BacktestReportTrade[];
  equityCurve?: { ts: number; equity: string }[];
}

/** Plain decimal text, without a minus sign on zero. */
export function decimalString(d: Decimal): string {
  return d.isZero() ? "0" : d.toFixed();
}

function finiteOrNull(n: number | null | undefined): number | null {
  return typeof n === "number" && Number.isFinite(n) ? n : null;
}

function toClosedTrade(t: BacktestTrade, i: number, symbol: string): ClosedTrade {
  return {
    positionId: `bt-${i + 1}`,
    symbol,
    side: t.side,
    qty: t.qty,
    entryPrice: t.entryPrice,
    exitPrice: t.exitPrice,
    openedAt: t.entryTime,
    closedAt: t.exitTime,
    fees: t.fees,
    realizedPnl: t.pnl,
    exitReason: t.exitReason,
  };
}

/** Builds the report. Throws RangeError on input no caller should pass (negative counts, non-finite time). */
export function buildBacktestReport(input: BacktestReportInput): BacktestReport {
  if (!Number.isSafeInteger(input.candles) || input.candles < 0) throw new RangeError(`candles must be a whole number ≥ 0, got ${input.candles}`);
  if (!Number.isFinite(input.elapsedMs) || input.elapsedMs < 0) throw new RangeError(`elapsedMs must be a finite number ≥ 0, got ${input.elapsedMs}`);
  const initial = D(input.initialCapital);
  const curve = input.equityCurve;
  const last = curve[curve.length - 1];
  const finalEquity = last ? last.equity : initial;

  const symbol = typeof input.params.symbol === "string" ? input.params.symbol : "";
  const stats = computeTradeStats(input.trades.map((t, i) => toClosedTrade(t, i, symbol)));

  const first = curve[0];
  const dd = first ? drawdown([{ ts: first.ts, equity: initial }, ...curve]) : null;
  const maxDrawdownPct = finiteOrNull(dd?.maxByPct.pct) ?? 0;

  const params: Record<string, string | number | boolean | null> = {};
  for (const [key, value] of Object.entries(input.params)) params[key] = typeof value === "number" ? finiteOrNull(value) : value;

  const report: BacktestReport = {
    params,
    candles: input.candles,
    tradeCount: input.trades.length,
    initialCapital: decimalString(initial),
    finalEquity: decimalString(finalEquity),
    netPnl: decimalString(finalEquity.minus(initial)),
    totalReturnPct: initial.greaterThan(0) ? finiteOrNull(finalEquity.minus(initial).dividedBy(initial).times(100).toNumber()) : null,
    maxDrawdownPct,
    sharpe: finiteOrNull(sharpeRatio(dailyReturns(curve))),
    winRatePct: finiteOrNull(stats.winRatePct),
    profitFactor: finiteOrNull(stats.profitFactor),
    totalFees: decimalString(stats.totalFees),
    elapsedMs: input.deterministic ? 0 : input.elapsedMs,
    trades: input.trades.map((t) => ({
      entryTime: t.entryTime,
      exitTime: t.exitTime,
      side: t.side,
      qty: decimalString(t.qty),
      entryPrice: decimalString(t.entryPrice),
      exitPrice: decimalString(t.exitPrice),
      fees: decimalString(t.fees),
      pnl: decimalString(t.pnl),
      exitReason: t.exitReason,
    })),
  };
  if (input.includeEquityCurve) report.equityCurve = curve.map((p) => ({ ts: p.ts, equity: decimalString(p.equity) }));
  return report;
}

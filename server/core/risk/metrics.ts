/**
 * Risk metrics for the risk and performance pages: drawdown, daily PnL, Sharpe, Sortino, historical VaR and
 * concentration. Money stays Decimal; ratios (returns, percents, Sharpe …) are numbers.
 *
 * Conventions (documented because each has alternatives):
 * - The equity series is `{ ts, equity }` with ts in epoch ms; it is sorted by ts if it is not already.
 * - Days are UTC days. A day's close is its last equity point; its open is its first.
 * - Daily returns are close-to-close between consecutive days present in the series (a gap of missing days counts
 *   as one step). n days give n − 1 returns; the first day's intraday move appears in daily PnL but not in returns.
 * - Sharpe = mean(r − rf) / sample stdev (n − 1) × √periodsPerYear; Sortino = mean(r − rf) / downside deviation ×
 *   √periodsPerYear, downside deviation = √(Σ min(0, r − rf)² / n). periodsPerYear defaults to 365: crypto trades
 *   every day. `riskFreeRate` is annual (default 0) and is divided by periodsPerYear. Both are null with fewer than 2
 *   returns or a deviation of (numerically) zero.
 * - Historical VaR uses the nearest-rank lower quantile: the k-th smallest return with k = ⌈n × (1 − confidence)⌉
 *   (at least 1), reported as a positive loss (zero when that return is a gain), in percent and as an amount of the
 *   latest equity. No interpolation: with few returns it is the worst observed day, which errs on the cautious side.
 * - Percent values are in percent units (12.5 = 12.5%).
 */
import { utcDayStart } from "../clock";
import { Decimal, ZERO } from "../money";
import { type RiskPosition } from "./types";

export interface EquityPoint {
  ts: number;
  equity: Decimal;
}

const HUNDRED = new Decimal(100);
/** Below this a standard deviation is float noise (e.g. identical returns), not risk. */
const ZERO_DEVIATION = 1e-12;

function sortedSeries(series: readonly EquityPoint[]): readonly EquityPoint[] {
  for (let i = 1; i < series.length; i++) {
    if (series[i]!.ts < series[i - 1]!.ts) return [...series].sort((a, b) => a.ts - b.ts);
  }
  return series;
}

function pctOf(part: Decimal, whole: Decimal): number | null {
  return whole.greaterThan(0) ? part.dividedBy(whole).times(HUNDRED).toNumber() : null;
}

// ---------------------------------------------------------------------------------------------------------------
// Drawdown

/** A peak-to-trough fall. */
export interface DrawdownEpisode {
  /** peakEquity − troughEquity, ≥ 0. */
  amount: Decimal;
  /** amount / peakEquity in percent; null when the peak is not positive. */
  pct: number | null;
  peakTs: number;
  peakEquity: Decimal;
  troughTs: number;
  troughEquity: Decimal;
}

export interface DrawdownReport {
  /** From the highest equity so far to the latest point (troughTs/troughEquity are the latest point). */
  current: DrawdownEpisode;
  /** The largest fall in money. */
  maxByAmount: DrawdownEpisode;
  /** The largest fall in percent of its peak (may be a different episode from maxByAmount). */
  maxByPct: DrawdownEpisode;
}

/**
 * Current and maximum drawdown. A new peak needs a strictly higher equity; ties keep the earlier peak, and the
 * earliest of equally deep troughs is kept. Null for an empty series.
 */
export function drawdown(series: readonly EquityPoint[]): DrawdownReport | null {
  const points = sortedSeries(series);
  const first = points[0];
  if (!first) return null;
  let peak = first;
  const flat = (p: EquityPoint): DrawdownEpisode => ({ amount: ZERO, pct: 0, peakTs: p.ts, peakEquity: p.equity, troughTs: p.ts, troughEquity: p.equity });
  let maxByAmount = flat(first);
  let maxByPct = flat(first);
  let maxRatio = ZERO;
  for (const point of points) {
    if (point.equity.greaterThan(peak.equity)) {
      peak = point;
      continue;
    }
    const amount = peak.equity.minus(point.equity);
    if (amount.greaterThan(maxByAmount.amount)) maxByAmount = episode(peak, point, amount);
    if (peak.equity.greaterThan(0)) {
      const ratio = amount.dividedBy(peak.equity);
      if (ratio.greaterThan(maxRatio)) {
        maxRatio = ratio;
        maxByPct = episode(peak, point, amount);
      }
    }
  }
  const last = points[points.length - 1]!;
  return { current: episode(peak, last, peak.equity.minus(last.equity)), maxByAmount, maxByPct };
}

function episode(peak: EquityPoint, trough: EquityPoint, amount: Decimal): DrawdownEpisode {
  return { amount, pct: pctOf(amount, peak.equity), peakTs: peak.ts, peakEquity: peak.equity, troughTs: trough.ts, troughEquity: trough.equity };
}

// ---------------------------------------------------------------------------------------------------------------
// Daily PnL and returns

export interface DailyPnl {
  /** "YYYY-MM-DD", UTC. */
  day: string;
  /** Start of the UTC day, epoch ms. */
  dayStart: number;
  open: Decimal;
  close: Decimal;
  /** The previous day's close in the series; null for the first day. */
  prevClose: Decimal | null;
  /** close − prevClose (close − open on the first day). */
  pnl: Decimal;
  /** pnl against prevClose (or open) in percent; null when that base is not positive. */
  pnlPct: number | null;
}

/** Daily PnL with UTC day boundaries: each day's first and last equity, and the change against the previous close. */
export function dailyPnl(series: readonly EquityPoint[]): DailyPnl[] {
  const points = sortedSeries(series);
  const days: DailyPnl[] = [];
  let current: { dayStart: number; open: Decimal; close: Decimal } | null = null;
  let prevClose: Decimal | null = null;
  const flush = (d: { dayStart: number; open: Decimal; close: Decimal }): void => {
    const base = prevClose ?? d.open;
    const pnl = d.close.minus(base);
    days.push({
      day: new Date(d.dayStart).toISOString().slice(0, 10),
      dayStart: d.dayStart,
      open: d.open,
      close: d.close,
      prevClose,
      pnl,
      pnlPct: pctOf(pnl, base),
    });
    prevClose = d.close;
  };
  for (const point of points) {
    const dayStart = utcDayStart(point.ts);
    if (current && current.dayStart === dayStart) {
      current.close = point.equity;
    } else {
      if (current) flush(current);
      current = { dayStart, open: point.equity, close: point.equity };
    }
  }
  if (current) flush(current);
  return days;
}

/** Close-to-close daily returns as fractions (0.01 = +1%); steps from a non-positive close are skipped. */
export function dailyReturns(series: readonly EquityPoint[]): number[] {
  return returnsFromDays(dailyPnl(series));
}

function returnsFromDays(days: readonly DailyPnl[]): number[] {
  const returns: number[] = [];
  for (const d of days) {
    if (d.prevClose !== null && d.prevClose.greaterThan(0)) returns.push(d.close.dividedBy(d.prevClose).minus(1).toNumber());
  }
  return returns;
}

// ---------------------------------------------------------------------------------------------------------------
// Sharpe, Sortino

export interface RatioOptions {
  /** Annual risk-free rate as a fraction (0.04 = 4%). Default 0. */
  riskFreeRate?: number;
  /** Return periods per year; 365 for daily crypto returns (default). */
  periodsPerYear?: number;
}

function excessMean(returns: readonly number[], perPeriodRf: number): number {
  let sum = 0;
  for (const r of returns) sum += r - perPeriodRf;
  return sum / returns.length;
}

/** Annualized Sharpe ratio of periodic returns; null with fewer than 2 returns or zero deviation. */
export function sharpeRatio(returns: readonly number[], options: RatioOptions = {}): number | null {
  const n = returns.length;
  if (n < 2) return null;
  const periods = options.periodsPerYear ?? 365;
  const rf = (options.riskFreeRate ?? 0) / periods;
  const mean = excessMean(returns, rf);
  let squares = 0;
  for (const r of returns) squares += (r - rf - mean) ** 2;
  const sd = Math.sqrt(squares / (n - 1));
  if (!(sd > ZERO_DEVIATION)) return null;
  return (mean / sd) * Math.sqrt(periods);
}

/** Annualized Sortino ratio; null with fewer than 2 returns or no downside (a zero downside deviation). */
export function sortinoRatio(returns: readonly number[], options: RatioOptions = {}): number | null {
  const n = returns.length;
  if (n < 2) return null;
  const periods = options.periodsPerYear ?? 365;
  const rf = (options.riskFreeRate ?? 0) / periods;
  const mean = excessMean(returns, rf);
  let downside = 0;
  for (const r of returns) {
    const shortfall = Math.min(0, r - rf);
    downside += shortfall * shortfall;
  }
  const dd = Math.sqrt(downside / n);
  if (!(dd > ZERO_DEVIATION)) return null;
  return (mean / dd) * Math.sqrt(periods);
}

// ---------------------------------------------------------------------------------------------------------------
// Historical VaR

export interface VarEstimate {
  /** e.g. 0.95. */
  confidence: number;
  /** The quantile return used (a fraction, usually negative). */
  quantileReturn: number;
  /** Loss in percent of equity, ≥ 0. */
  pct: number;
  /** Loss as an amount of `equity`, ≥ 0. */
  amount: Decimal;
  observations: number;
}

/**
 * Historical one-period VaR at `confidence` (0 < confidence < 1) from periodic returns, nearest-rank lower quantile.
 * Null when there are no returns.
 */
export function historicalVar(returns: readonly number[], confidence: number, equity: Decimal): VarEstimate | null {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`VaR confidence must be between 0 and 1, not ${confidence}`);
  const n = returns.length;
  if (n === 0) return null;
  const sorted = [...returns].sort((a, b) => a - b);
  // Integer arithmetic on the tail so that 20 × (1 − 0.95) is exactly 1, not 1.0000000000000009.
  const tailMillionths = Math.round((1 - confidence) * 1_000_000);
  const rank = Math.max(1, Math.ceil((n * tailMillionths) / 1_000_000));
  const quantileReturn = sorted[Math.min(rank, n) - 1]!;
  const loss = quantileReturn < 0 ? -quantileReturn : 0;
  const lossDecimal = new Decimal(loss);
  return {
    confidence,
    quantileReturn,
    pct: lossDecimal.times(HUNDRED).toNumber(),
    amount: equity.greaterThan(0) ? equity.times(lossDecimal) : ZERO,
    observations: n,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Exposure and concentration

export interface SymbolExposureRow {
  symbol: string;
  /** Σ |qty × mark| over the symbol's positions. */
  gross: Decimal;
  /** Signed: long positive, short negative. */
  net: Decimal;
  /** gross / total gross, as a fraction (0..1); null when total gross is zero. */
  share: number | null;
}

export interface ConcentrationReport {
  /** Largest gross exposure first (ties by symbol). */
  bySymbol: SymbolExposureRow[];
  gross: Decimal;
  net: Decimal;
  /** Herfindahl–Hirschman index Σ share² on fractions: 1 = one symbol, 1/n = n equal symbols; null when flat. */
  herfindahl: number | null;
}

/** Exposure per symbol and how concentrated it is. */
export function exposureConcentration(positions: readonly RiskPosition[]): ConcentrationReport {
  const bySymbol = new Map<string, { gross: Decimal; net: Decimal }>();
  let gross = ZERO;
  let net = ZERO;
  for (const p of positions) {
    const g = p.qty.abs().times(p.markPrice.abs());
    const signed = p.side === "LONG" ? g : g.negated();
    gross = gross.plus(g);
    net = net.plus(signed);
    const row = bySymbol.get(p.symbol);
    if (row) {
      row.gross = row.gross.plus(g);
      row.net = row.net.plus(signed);
    } else {
      bySymbol.set(p.symbol, { gross: g, net: signed });
    }
  }
  const hasGross = gross.greaterThan(0);
  let hhi = ZERO;
  const rows: SymbolExposureRow[] = [];
  for (const [symbol, row] of bySymbol) {
    const share = hasGross ? row.gross.dividedBy(gross) : null;
    if (share) hhi = hhi.plus(share.times(share));
    rows.push({ symbol, gross: row.gross, net: row.net, share: share ? share.toNumber() : null });
  }
  rows.sort((a, b) => b.gross.comparedTo(a.gross) || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  return { bySymbol: rows, gross, net, herfindahl: hasGross ? hhi.toNumber() : null };
}

// ---------------------------------------------------------------------------------------------------------------
// Everything for the risk page at once

export interface RiskReport {
  drawdown: DrawdownReport | null;
  daily: DailyPnl[];
  dailyReturns: number[];
  sharpe: number | null;
  sortino: number | null;
  var95: VarEstimate | null;
  var99: VarEstimate | null;
  exposure: ConcentrationReport;
}

export function riskReport(series: readonly EquityPoint[], positions: readonly RiskPosition[], options: RatioOptions = {}): RiskReport {
  const points = sortedSeries(series);
  const daily = dailyPnl(points);
  const returns = returnsFromDays(daily);
  const latestEquity = points[points.length - 1]?.equity ?? ZERO;
  return {
    drawdown: drawdown(points),
    daily,
    dailyReturns: returns,
    sharpe: sharpeRatio(returns, options),
    sortino: sortinoRatio(returns, options),
    var95: historicalVar(returns, 0.95, latestEquity),
    var99: historicalVar(returns, 0.99, latestEquity),
    exposure: exposureConcentration(positions),
  };
}

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
import { utcDayStart } from "../clock";
import { D, Decimal, type DecimalInput } from "../money";
import { tradeTotals } from "../positions/stats";
import { dailyReturns, drawdown, sharpeRatio } from "../risk/metrics";
import { type BacktestExitReason, type BacktestTrade, type EquityPoint } from "./types";

/**
 * An equity curve kept as numbers, as the engine's backtest records it: point i is { ts: ts[i], equity: new
 * Decimal(equity[i]) }, except the last point, whose equity is `last` (exact). The report reads it without building a
 * Decimal per candle (30,000 of them cost more than the engine run): see essentialPoints.
 */
export interface NumericEquityCurve {
  ts: Float64Array;
  equity: Float64Array;
  last: Decimal;
}

/** The run's settings as they should appear in the report (JSON scalars; order kept). */
export type BacktestReportParams = Readonly<Record<string, string | number | boolean | null>>;

export interface BacktestReportInput {
  trades: readonly BacktestTrade[];
  /** Equity at each candle close, in time order. */
  equityCurve: readonly EquityPoint[] | NumericEquityCurve;
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
  /** With `--exec` only: the entry's and the exit's cost against the mark when the signal came, in bps. */
  entryShortfallBps?: number | null;
  exitShortfallBps?: number | null;
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
  /** With `--exec` only: how entries and exits were worked and what that cost against the arrival prices. */
  execution?: { algo: string; parentOrders: number; childOrders: number; avgShortfallBps: number | null };
}

/** Zeros that pad a base-1e7 word of a Decimal to its seven digits. */
const WORD_PAD = ["", "0", "00", "000", "0000", "00000", "000000"];

/**
 * Plain decimal text, without a minus sign on zero: d.toFixed() for a nonzero d, read straight from decimal.js's
 * documented digits (d: base-1e7 words, most significant first, no trailing zero word; e: the base-10 exponent;
 * s: the sign), because a report writes five of them a trade and toFixed builds each through several strings.
 */
export function decimalString(d: Decimal): string {
  const words = d.d;
  if (!words) return d.toFixed(); // NaN, ±Infinity
  if (words[0] === 0) return "0";
  let digits = String(words[0]);
  for (let k = 1; k < words.length; k++) {
    const word = String(words[k]);
    digits += WORD_PAD[7 - word.length]! + word;
  }
  let end = digits.length;
  while (digits.charCodeAt(end - 1) === 48) end--; // "0"
  const e = d.e;
  const text =
    e < 0
      ? `0.${"0".repeat(-e - 1)}${digits.slice(0, end)}`
      : e + 1 >= end
        ? digits.slice(0, end) + "0".repeat(e + 1 - end)
        : `${digits.slice(0, e + 1)}.${digits.slice(e + 1, end)}`;
  return d.s < 0 ? `-${text}` : text;
}

function finiteOrNull(n: number | null | undefined): number | null {
  return typeof n === "number" && Number.isFinite(n) ? n : null;
}

/** Builds the report. Throws RangeError on input no caller should pass (negative counts, non-finite time). */
export function buildBacktestReport(input: BacktestReportInput): BacktestReport {
  if (!Number.isSafeInteger(input.candles) || input.candles < 0) throw new RangeError(`candles must be a whole number ≥ 0, got ${input.candles}`);
  if (!Number.isFinite(input.elapsedMs) || input.elapsedMs < 0) throw new RangeError(`elapsedMs must be a finite number ≥ 0, got ${input.elapsedMs}`);
  const initial = D(input.initialCapital);
  const given = input.equityCurve;
  const { forDrawdown, forDays, last } = isNumericCurve(given)
    ? essentialPoints(initial, given)
    : { forDrawdown: given, forDays: given, last: given[given.length - 1] };
  const finalEquity = last ? last.equity : initial;

  const stats = tradeTotals(input.trades.map((t) => ({ realizedPnl: t.pnl, fees: t.fees, closedAt: t.exitTime })));

  const first = forDrawdown[0];
  const dd = first ? drawdown([{ ts: first.ts, equity: initial }, ...forDrawdown]) : null;
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
    sharpe: finiteOrNull(sharpeRatio(dailyReturns(forDays))),
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
  if (input.includeEquityCurve) {
    const curve = isNumericCurve(given) ? allPoints(given) : given;
    report.equityCurve = curve.map((p) => ({ ts: p.ts, equity: decimalString(p.equity) }));
  }
  return report;
}

function isNumericCurve(curve: readonly EquityPoint[] | NumericEquityCurve): curve is NumericEquityCurve {
  return curve instanceof Array ? false : "last" in curve;
}

function pointOf(curve: NumericEquityCurve, i: number): EquityPoint {
  return { ts: curve.ts[i]!, equity: i === curve.equity.length - 1 ? curve.last : new Decimal(curve.equity[i]!) };
}

function allPoints(curve: NumericEquityCurve): EquityPoint[] {
  return Array.from(curve.ts, (_, i) => pointOf(curve, i));
}

/**
 * The points of a numeric curve that decide the report, as Decimals, so that drawdown() and dailyReturns() give
 * exactly what they give on the whole curve:
 * - dailyReturns reads only each UTC day's first and last point (its open and close): forDays holds those.
 * - drawdown (with the initial capital as the first peak) changes its peak only at a point above every earlier one,
 *   and its maxByPct is the earliest point of largest fall / peak. forDrawdown holds every point at or above the
 *   running maximum and every point whose fall is within 1e-9 of the largest, both judged in floats. That is safe:
 *   new Decimal(x) keeps the order of distinct doubles (shortest round-trip text) and rounding keeps order, so no
 *   exact peak is judged below the float maximum; a ratio in floats is off by ~1e-15, far inside the 1e-9 margin.
 *   A point kept needlessly changes nothing (drawdown decides exactly); the last point (exact) is always kept.
 * Any disorder in time (drawdown would sort): every point, as before.
 */
function essentialPoints(initial: Decimal, curve: NumericEquityCurve): { forDrawdown: EquityPoint[]; forDays: EquityPoint[]; last: EquityPoint | undefined } {
  const n = curve.equity.length;
  if (n === 0) return { forDrawdown: [], forDays: [], last: undefined };
  const { ts, equity } = curve;
  // One small loop over the points (a cold process runs it before it optimizes anything), which notes indexes only:
  // the peaks and the last point (ratio -1), and the falls within 1e-9 of the largest so far with their ratio (the
  // largest at the end is at least that, so this holds every fall the final cut keeps).
  const drawAt: number[] = [];
  const drawRatio: number[] = [];
  let peak = initial.toNumber();
  let maxRatio = 0;
  let previousTs = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = ts[i]!;
    if (!(t >= previousTs)) {
      const all = allPoints(curve);
      return { forDrawdown: all, forDays: all, last: all[n - 1] };
    }
    previousTs = t;
    const v = i < n - 1 ? equity[i]! : curve.last.toNumber();
    // A finite fall below a positive peak, not at the last point; anything else is kept.
    if (v < peak && peak > 0 && v > -Infinity && i < n - 1) {
      const ratio = (peak - v) / peak;
      maxRatio = Math.max(maxRatio, ratio);
      if (ratio >= maxRatio - 1e-9) {
        drawAt.push(i);
        drawRatio.push(ratio);
      }
    } else {
      if (v >= peak) peak = v;
      else if (peak > 0) maxRatio = Math.max(maxRatio, (peak - v) / peak);
      drawAt.push(i);
      drawRatio.push(-1);
    }
  }
  // The day edges (each day's first and last point): the times are in order, so the days are too, and each day's end
  // is found by bisection rather than a utcDayStart per point.
  const dayAt: number[] = [0];
  for (let first = 0; ;) {
    const day = utcDayStart(ts[first]!);
    let lo = first + 1;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (utcDayStart(ts[mid]!) === day) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= n) break;
    if (dayAt[dayAt.length - 1] !== lo - 1) dayAt.push(lo - 1);
    dayAt.push(lo);
    first = lo;
  }
  if (dayAt[dayAt.length - 1] !== n - 1) dayAt.push(n - 1);
  const cutoff = maxRatio - 1e-9;
  // The points as Decimals, one object for an index both lists hold (both are in time order).
  const forDrawdown: EquityPoint[] = [];
  const forDays: EquityPoint[] = [];
  let d = 0;
  let k = 0;
  while (d < drawAt.length || k < dayAt.length) {
    while (d < drawAt.length && drawRatio[d]! !== -1 && !(drawRatio[d]! >= cutoff)) d++;
    const nextDraw = d < drawAt.length ? drawAt[d]! : n;
    const nextDayAt = k < dayAt.length ? dayAt[k]! : n;
    if (nextDraw === n && nextDayAt === n) break;
    const i = Math.min(nextDraw, nextDayAt);
    const point = pointOf(curve, i);
    if (nextDraw === i) {
      forDrawdown.push(point);
      d++;
    }
    if (nextDayAt === i) {
      forDays.push(point);
      k++;
    }
  }
  return { forDrawdown, forDays, last: forDrawdown[forDrawdown.length - 1] };
}

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
import { digitCount } from "../money-words";
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
  /** The points before the last as the run noted them while writing the curve (see CurveScan); absent: the report scans them. */
  scan?: CurveScan;
}

/**
 * essentialPoints' pass over the points before the last, one note a point as a run writes its curve: the engine's
 * backtest notes each candle's point in its candle loop, which is optimized early, instead of the report walking all
 * 30,000 points once more at the end (a cold process runs that one loop mostly unoptimized). Only numbers are noted:
 * the peaks (ratio -1) and the falls within 1e-9 of the largest so far, with their ratio.
 * The report uses a scan only when it covers every point but the last and started from the same capital.
 */
export class CurveScan {
  readonly drawAt: number[] = [];
  readonly drawRatio: number[] = [];
  peak: number;
  maxRatio = 0;
  /**
   * The peak is a point's (noted) rather than the initial capital's. A later point equal to it changes nothing in
   * drawdown() — a new peak must be strictly higher, and its fall is zero — so it is not noted: a run that is flat at
   * its high (no position, or no trade at all) would otherwise note every candle, and the report would make a Decimal of
   * each. The first point equal to the initial capital is noted: its exact value may differ from the capital's.
   */
  private peakNoted = false;
  /** Points noted; -1 once a time went back (the report then takes every point). */
  count = 0;
  lastTs = -Infinity;

  constructor(readonly initial: number) {
    this.peak = initial;
  }

  /** Point number `count` (they come in order) at time t with equity v; never the curve's last point. */
  note(t: number, v: number): void {
    const i = this.count;
    if (i < 0) return;
    if (!(t >= this.lastTs)) {
      this.count = -1;
      return;
    }
    this.lastTs = t;
    this.count = i + 1;
    const peak = this.peak;
    // A finite fall below a positive peak; anything else is kept.
    if (v < peak && peak > 0 && v > -Infinity) {
      const ratio = (peak - v) / peak;
      const maxRatio = Math.max(this.maxRatio, ratio);
      this.maxRatio = maxRatio;
      const cut = maxRatio - 1e-9;
      if (ratio >= cut) {
        // The largest fall only grows, so a fall already more than 1e-9 below it is never kept: the last ones noted
        // go (a deepening fall would otherwise leave one entry a point).
        const { drawAt, drawRatio } = this;
        for (let last = drawRatio.length - 1; last >= 0 && drawRatio[last] !== -1 && !(drawRatio[last]! >= cut); last--) {
          drawAt.pop();
          drawRatio.pop();
        }
        drawAt.push(i);
        drawRatio.push(ratio);
      }
    } else {
      if (v >= peak) {
        if (v === peak && this.peakNoted) return;
        this.peak = v;
        this.peakNoted = true;
      } else if (peak > 0) this.maxRatio = Math.max(this.maxRatio, (peak - v) / peak);
      this.drawAt.push(i);
      this.drawRatio.push(-1);
    }
  }
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

/** A base-1e7 word (0 ≤ w < 1e7) written with `width` digits, zeros first. */
function paddedWord(word: number, width: number): string {
  const text = String(word);
  return width > text.length ? WORD_PAD[width - text.length]! + text : text;
}

/**
 * Plain decimal text, without a minus sign on zero: d.toFixed() for a nonzero d, read straight from decimal.js's
 * documented digits (d: base-1e7 words, most significant first, no trailing zero word; e: the base-10 exponent;
 * s: the sign), because a report writes five of them a trade and toFixed builds each through several strings.
 *
 * decimal.js keeps its words aligned on the decimal point (the first word holds e mod 7 + 1 digits), so the point falls
 * between two words and the text is built word by word: no digit string to scan for trailing zeros and cut again (the
 * only zeros to drop end the last word after the point, dropped by division). A first word of another length (never
 * seen) takes the digit string path.
 */
export function decimalString(d: Decimal): string {
  const words = d.d;
  if (!words) return d.toFixed(); // NaN, ±Infinity
  const first = words[0]!;
  if (first === 0) return "0";
  const e = d.e;
  const firstDigits = digitCount(first);
  if (firstDigits !== (((e % 7) + 7) % 7) + 1) return digitStringPath(d, words, e);
  const n = words.length;
  // Words 0 … integerWords − 1 come before the point (none when e < 0); the words after it, the last without its
  // trailing zeros (it is not zero: no word after it).
  const integerWords = e < 0 ? 0 : Math.floor(e / 7) + 1;
  let text: string;
  if (e < 0) {
    text = -e - 1 < WORD_PAD.length ? `0.${WORD_PAD[-e - 1]!}` : `0.${"0".repeat(-e - 1)}`;
  } else {
    text = String(first);
    for (let k = 1; k < integerWords; k++) text += k < n ? paddedWord(words[k]!, 7) : "0000000";
    if (integerWords >= n) return d.s < 0 ? `-${text}` : text;
    text += ".";
  }
  for (let k = integerWords; k < n; k++) {
    // The first word after "0.000…" has no zeros ahead of it; every other word has its seven digits.
    let width = k === 0 ? firstDigits : 7;
    let word = words[k]!;
    if (k === n - 1) {
      while (word % 10 === 0) {
        word /= 10;
        width--;
      }
    }
    text += paddedWord(word, width);
  }
  return d.s < 0 ? `-${text}` : text;
}

/** decimalString from the digit string: the words written out, trailing zeros cut, the point put in by the exponent. */
function digitStringPath(d: Decimal, words: readonly number[], e: number): string {
  let digits = String(words[0]);
  for (let k = 1; k < words.length; k++) {
    const word = String(words[k]);
    digits += WORD_PAD[7 - word.length]! + word;
  }
  let end = digits.length;
  while (digits.charCodeAt(end - 1) === 48) end--; // "0"
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
 *   and its maxByPct is the earliest point of largest fall / peak. forDrawdown holds every point above the running
 *   maximum (or the first at it) and every point whose fall is within 1e-9 of the largest, both judged in floats. That is safe:
 *   new Decimal(x) keeps the order of distinct doubles (shortest round-trip text) and rounding keeps order, so no
 *   exact peak is judged below the float maximum; a ratio in floats is off by ~1e-15, far inside the 1e-9 margin.
 *   A point kept needlessly changes nothing (drawdown decides exactly); the last point (exact) is always kept.
 * Any disorder in time (drawdown would sort): every point, as before.
 */
function essentialPoints(initial: Decimal, curve: NumericEquityCurve): { forDrawdown: EquityPoint[]; forDays: EquityPoint[]; last: EquityPoint | undefined } {
  const n = curve.equity.length;
  if (n === 0) return { forDrawdown: [], forDays: [], last: undefined };
  const { ts } = curve;
  const initialNum = initial.toNumber();
  // The points before the last: as the run noted them, or noted here (a cold process runs this loop before it
  // optimizes anything, so a backtest hands its own).
  let scan = curve.scan;
  if (!(scan && scan.initial === initialNum && (scan.count === n - 1 || scan.count < 0))) {
    scan = new CurveScan(initialNum);
    const equity = curve.equity;
    for (let i = 0; i < n - 1; i++) scan.note(ts[i]!, equity[i]!);
  }
  // Any disorder in time (drawdown would sort): every point, as before.
  if (scan.count < 0 || !(ts[n - 1]! >= scan.lastTs)) {
    const all = allPoints(curve);
    return { forDrawdown: all, forDays: all, last: all[n - 1] };
  }
  // The last point (exact) is always kept; it only moves the largest fall.
  let maxRatio = scan.maxRatio;
  const lastValue = curve.last.toNumber();
  if (!(lastValue >= scan.peak) && scan.peak > 0) maxRatio = Math.max(maxRatio, (scan.peak - lastValue) / scan.peak);
  const drawAt = scan.drawAt;
  const drawRatio = scan.drawRatio;
  const drawCount = drawAt.length + 1; // with the last point (index n − 1, ratio −1)
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
  while (d < drawCount || k < dayAt.length) {
    while (d < drawCount - 1 && drawRatio[d]! !== -1 && !(drawRatio[d]! >= cutoff)) d++;
    const nextDraw = d < drawCount - 1 ? drawAt[d]! : d === drawCount - 1 ? n - 1 : n;
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

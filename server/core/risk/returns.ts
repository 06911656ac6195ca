/**
 * Returns for the portfolio statistics: candles resampled to the statistics' bar size (e.g. 1h bars from 5m
 * candles), then bar-to-bar returns of several symbols aligned on the same timestamps.
 *
 * Prices become floats here, at the boundary: returns, correlations and VaR percentages are statistics, inherently
 * floating; money stays Decimal everywhere else (CODE_STYLE.md).
 *
 * Conventions:
 * - A bar's `ts` is its open time (epoch ms), as in the recorded candles. A resampled bar covers
 *   [floor(ts / barMs) × barMs, + barMs): open of its first source candle, close of its last, high/low the extremes,
 *   volume the sum. A span with no source candle has no bar (it is never invented).
 * - `completeBefore` drops a resampled bar whose span is not over by then (the bar still forming).
 * - A return at bar t is close(t) / close(t − barMs): only between two adjacent bars. Missing bars are handled by an
 *   explicit policy:
 *   - "drop" (default): a timestamp is kept only when every symbol has a return there; a missing bar removes the
 *     return into it and the one out of it, for every symbol (rows stay on one common horizon);
 *   - "carry": a missing bar repeats the previous close (no trade, no price change: what a quiet Bittrex span
 *     means), so its return is zero and the move lands on the next bar that traded. Carried bars are counted.
 *   Either way the span is the overlap: from the latest first bar to the earliest last bar of the symbols.
 */
import { type Decimal } from "../money";
import type { HistoryBar, MarketHistory } from "../market-history";

/** A price as the desk holds it: a Decimal or a decimal string from storage, or a number from a feed. */
export type PriceInput = number | string | Decimal;

export interface CandleInput {
  /** Open time, epoch ms. */
  ts: number;
  open?: PriceInput;
  high?: PriceInput;
  low?: PriceInput;
  close: PriceInput;
  volume?: PriceInput;
}

/** A resampled bar, as floats. */
export interface Bar extends HistoryBar {
  /** How many source candles it was made of. */
  sourceCount: number;
}

export type ReturnKind = "log" | "simple";
export type MissingBarPolicy = "drop" | "carry";

/** Converts a price to a float at the boundary; NaN when it is not a finite number. */
export function toFloat(value: PriceInput | undefined): number {
  if (value === undefined) return NaN;
  if (typeof value === "number") return value;
  if (typeof value === "string") return value.trim() === "" ? NaN : Number(value);
  return value.toNumber();
}

/**
 * Resamples candles (oldest first, or any order: they are sorted by ts) into bars of `barMs`. Candles without a
 * positive finite close are skipped. A missing open/high/low falls back to the close; missing volume to 0.
 */
export function resampleCandles(candles: readonly CandleInput[], barMs: number, options: { completeBefore?: number } = {}): Bar[] {
  if (!(Number.isInteger(barMs) && barMs > 0)) throw new RangeError(`The bar size must be a positive whole number of milliseconds, not ${barMs}.`);
  const sorted = isSortedByTs(candles) ? candles : [...candles].sort((a, b) => a.ts - b.ts);
  const bars: Bar[] = [];
  let current: Bar | null = null;
  for (const candle of sorted) {
    const close = toFloat(candle.close);
    if (!(Number.isFinite(close) && close > 0) || !Number.isFinite(candle.ts)) continue;
    const open = orClose(toFloat(candle.open), close);
    const high = orClose(toFloat(candle.high), close);
    const low = orClose(toFloat(candle.low), close);
    const volume = toFloat(candle.volume);
    const start = Math.floor(candle.ts / barMs) * barMs;
    if (current === null || current.ts !== start) {
      current = { ts: start, open, high, low, close, volume: Number.isFinite(volume) ? volume : 0, sourceCount: 1 };
      bars.push(current);
    } else {
      current.high = Math.max(current.high, high);
      current.low = Math.min(current.low, low);
      current.close = close;
      if (Number.isFinite(volume)) current.volume += volume;
      current.sourceCount++;
    }
  }
  const completeBefore = options.completeBefore;
  if (completeBefore !== undefined) {
    while (bars.length > 0 && bars[bars.length - 1]!.ts + barMs > completeBefore) bars.pop();
  }
  return bars;
}

function orClose(value: number, close: number): number {
  return Number.isFinite(value) && value > 0 ? value : close;
}

function isSortedByTs(candles: readonly { ts: number }[]): boolean {
  for (let i = 1; i < candles.length; i++) if (candles[i]!.ts < candles[i - 1]!.ts) return false;
  return true;
}

export function barReturn(previousClose: number, close: number, kind: ReturnKind): number {
  return kind === "log" ? Math.log(close / previousClose) : close / previousClose - 1;
}

export interface AlignedReturns {
  symbols: string[];
  barMs: number;
  kind: ReturnKind;
  /** Timestamp (open time) of the bar each return ends on, ascending. */
  timestamps: number[];
  /** rows[t][i]: the return of symbols[i] into bar timestamps[t]. */
  rows: number[][];
  /** Per symbol: timestamps in the common span where it had no bar (dropped rows, or carried closes under "carry"). */
  missingBars: Record<string, number>;
  /** Rows lost to missing bars under "drop" (0 under "carry"). */
  droppedRows: number;
  /** A sentence when there is nothing usable (a symbol without bars, no overlap); null otherwise. */
  problem: string | null;
}

/**
 * Aligns bar returns of several symbols on common timestamps. `closes` maps each symbol to its bars (resampled to
 * `barMs`, so every ts is a multiple of it); symbols are taken in `symbols` order (default: the map's key order).
 */
export function alignReturns(
  closes: Readonly<Record<string, readonly { ts: number; close: number }[]>>,
  options: { barMs: number; kind?: ReturnKind; missing?: MissingBarPolicy; symbols?: readonly string[] },
): AlignedReturns {
  const { barMs } = options;
  const kind = options.kind ?? "log";
  const missing = options.missing ?? "drop";
  const symbols = [...(options.symbols ?? Object.keys(closes))];
  const result: AlignedReturns = { symbols, barMs, kind, timestamps: [], rows: [], missingBars: {}, droppedRows: 0, problem: null };
  for (const s of symbols) result.missingBars[s] = 0;
  if (symbols.length === 0) return { ...result, problem: "No symbols to align." };

  const byTs: Map<number, number>[] = [];
  let spanStart = -Infinity;
  let spanEnd = Infinity;
  for (const symbol of symbols) {
    const bars = closes[symbol] ?? [];
    const map = new Map<number, number>();
    for (const bar of bars) {
      if (Number.isFinite(bar.close) && bar.close > 0) map.set(bar.ts, bar.close);
    }
    if (map.size === 0) return { ...result, problem: `${symbol} has no bars.` };
    // Loops, not Math.min(...keys): months of 1m bars are more arguments than a call may take.
    let first = Infinity;
    let last = -Infinity;
    for (const ts of map.keys()) {
      if (ts < first) first = ts;
      if (ts > last) last = ts;
    }
    spanStart = Math.max(spanStart, first);
    spanEnd = Math.min(spanEnd, last);
    byTs.push(map);
  }
  if (spanEnd - spanStart < barMs) return { ...result, problem: "The symbols' bars do not overlap by two bars or more." };

  // Under "carry", the close each symbol had at the start of the span (its last bar at or before it).
  const previous = byTs.map((map) => {
    let best = -Infinity;
    for (const ts of map.keys()) if (ts <= spanStart && ts > best) best = ts;
    return map.get(best)!;
  });
  for (let ts = spanStart + barMs; ts <= spanEnd; ts += barMs) {
    const row = new Array<number>(symbols.length);
    let complete = true;
    for (let i = 0; i < symbols.length; i++) {
      const close = byTs[i]!.get(ts);
      const prior = byTs[i]!.get(ts - barMs);
      if (close === undefined) result.missingBars[symbols[i]!]!++;
      if (missing === "carry") {
        const now = close ?? previous[i]!;
        row[i] = barReturn(previous[i]!, now, kind);
        previous[i] = now;
      } else if (close === undefined || prior === undefined) {
        complete = false;
      } else {
        row[i] = barReturn(prior, close, kind);
      }
    }
    if (complete) {
      result.timestamps.push(ts);
      result.rows.push(row);
    } else {
      result.droppedRows++;
    }
  }
  return result;
}

/**
 * The aligned returns (drop policy) whose last `window` rows a covariance over that window reads, from the history's bars
 * resampled to `barMs` (those that closed before `until`). A row is the same whichever older bars are given (it needs
 * its own bar and the one before it, in every symbol), so the recent bars are aligned first: an hourly estimate then
 * copies, resamples and aligns ~window bars per symbol, not the history's whole span (35 days of 5-minute bars). When
 * gaps leave them fewer than `window` rows, or some symbol has no recent bar, the whole history is aligned instead:
 * the last `window` rows are always those of the whole history's alignment.
 */
export function windowReturns(
  history: Pick<MarketHistory, "closes">,
  symbols: readonly string[],
  options: { barMs: number; window: number; until: number | null },
): AlignedReturns {
  const { barMs, window, until } = options;
  const aligned = (since: number) => {
    const closes = history.closes(symbols, since);
    const bars = Object.fromEntries(symbols.map((s) => [s, resampleCandles(closes[s] ?? [], barMs, { completeBefore: until ?? undefined })]));
    return alignReturns(bars, { barMs, symbols });
  };
  if (until !== null) {
    const recent = aligned((Math.floor(until / barMs) - window - 2) * barMs);
    if (!recent.problem && recent.rows.length >= window) return recent;
  }
  return aligned(-Infinity);
}

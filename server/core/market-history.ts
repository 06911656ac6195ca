/**
 * The desk's own market history for the portfolio statistics: per symbol, bars of one chosen size (e.g. 5 minutes)
 * over a bounded span (e.g. 35 days), built from whatever the feeds deliver — whole candles (replay, exchange OHLCV)
 * and single trade prices (live trades). The risk report resamples these bars to its own bar size (1h, 4h, 1d).
 *
 * Bounded on purpose: it lives in the process for as long as the desk runs, so it keeps at most `maxBars` bars per
 * symbol and at most `maxSymbols` symbols (a feed that invents symbols cannot grow it without end).
 *
 * A bar's open and close belong to the earliest and latest observation inside it, whatever order they arrive in:
 * a candle is observed from its open time to its close time (ts + its length), a trade at its own time. A candle
 * re-sent while it forms (exchange polling) therefore updates the bar it already made, never adds one.
 *
 * Prices are floats: market data arrives as numbers and only feeds statistics here (money stays Decimal elsewhere).
 * Pure: no clock; every time is passed in.
 */

/** One OHLCV bar as floats (market data, not money): the history's bars, a recorded file's candles, resampled bars. */
export interface HistoryBar {
  /** Open time, UTC epoch ms (in the market history, a multiple of the bar size). */
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Traded volume in base units. */
  volume: number;
}

export interface MarketHistoryOptions {
  /** Bar size in ms (a positive whole number). */
  barMs: number;
  /** Bars kept per symbol; older ones are dropped. */
  maxBars: number;
  /** Symbols kept; observations of further symbols are refused (default 64). */
  maxSymbols?: number;
}

export interface CandleObservation {
  /** Open time (epoch ms). */
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume?: number;
}

interface StoredBar extends HistoryBar {
  /** When the open and the close were observed (to keep them right whatever order observations arrive in). */
  openAt: number;
  closeAt: number;
}

export class MarketHistory {
  readonly barMs: number;
  readonly maxBars: number;
  readonly maxSymbols: number;
  private readonly bars = new Map<string, StoredBar[]>();
  private changes = 0;
  private observedTo: number | null = null;

  constructor(options: MarketHistoryOptions) {
    if (!(Number.isInteger(options.barMs) && options.barMs > 0)) throw new RangeError(`barMs must be a positive whole number of ms, not ${options.barMs}.`);
    if (!(Number.isInteger(options.maxBars) && options.maxBars >= 2)) throw new RangeError(`maxBars must be a whole number ≥ 2, not ${options.maxBars}.`);
    const maxSymbols = options.maxSymbols ?? 64;
    if (!(Number.isInteger(maxSymbols) && maxSymbols >= 1)) throw new RangeError(`maxSymbols must be a whole number ≥ 1, not ${maxSymbols}.`);
    this.barMs = options.barMs;
    this.maxBars = options.maxBars;
    this.maxSymbols = maxSymbols;
  }

  /**
   * Adds a candle of `candleMs` (default: the bar size) that opened at `candle.ts`. A candle longer than a bar is
   * refused (it cannot be split honestly); shorter ones merge into the bar they fall in. Returns whether it was kept.
   */
  addCandle(symbol: string, candle: CandleObservation, candleMs: number = this.barMs): boolean {
    if (!(candleMs > 0 && candleMs <= this.barMs)) return false;
    const { open, high, low, close } = candle;
    if (![open, high, low, close].every((p) => Number.isFinite(p) && p > 0) || !Number.isFinite(candle.ts)) return false;
    const volume = candle.volume !== undefined && Number.isFinite(candle.volume) && candle.volume > 0 ? candle.volume : 0;
    return this.observe(symbol, candle.ts, candle.ts + candleMs, { open, high: Math.max(high, open, close), low: Math.min(low, open, close), close, volume });
  }

  /** Adds one traded price at `ts` (a trade, or a last price). Returns whether it was kept. */
  addPrice(symbol: string, ts: number, price: number, volume = 0): boolean {
    if (!(Number.isFinite(price) && price > 0) || !Number.isFinite(ts)) return false;
    return this.observe(symbol, ts, ts, { open: price, high: price, low: price, close: price, volume: Number.isFinite(volume) && volume > 0 ? volume : 0 });
  }

  /** Symbols with at least one bar, in the order they were first seen. */
  symbols(): string[] {
    return [...this.bars.keys()];
  }

  /** A copy of a symbol's bars, oldest first (empty for an unknown symbol). */
  barsOf(symbol: string): HistoryBar[] {
    return this.kept(symbol).map(({ ts, open, high, low, close, volume }) => ({ ts, open, high, low, close, volume }));
  }

  /**
   * Closes per symbol, oldest first: what the return statistics read. `symbols` picks and orders them (default: all);
   * `since` leaves out the bars that opened before it (a statistic over a recent window need not copy the whole span).
   */
  closes(symbols: readonly string[] = this.symbols(), since = -Infinity): Record<string, { ts: number; close: number }[]> {
    const out: Record<string, { ts: number; close: number }[]> = {};
    for (const symbol of symbols) {
      const list = this.bars.get(symbol) ?? [];
      const at = findBar(list, since);
      const first = Math.max(list.length - this.maxBars, at < 0 ? -at - 1 : at);
      const closes: { ts: number; close: number }[] = [];
      for (let i = Math.max(0, first); i < list.length; i++) closes.push({ ts: list[i]!.ts, close: list[i]!.close });
      out[symbol] = closes;
    }
    return out;
  }

  /** The newest bar's open time over every symbol; null when empty. */
  latestTs(): number | null {
    let latest: number | null = null;
    for (const list of this.bars.values()) {
      const last = list[list.length - 1];
      if (last && (latest === null || last.ts > latest)) latest = last.ts;
    }
    return latest;
  }

  /**
   * The latest moment any observation reached (a candle's close time, a trade's time): the market's "now" as the
   * history knows it, which in replay is recorded time, not the wall clock. Null when empty.
   */
  observedUntil(): number | null {
    return this.observedTo;
  }

  /** Counts every kept observation: a reader can tell whether anything changed since it last looked. */
  get version(): number {
    return this.changes;
  }

  /** The newest `maxBars` bars (the list runs up to a tenth over between trims). */
  private kept(symbol: string): StoredBar[] {
    return (this.bars.get(symbol) ?? []).slice(-this.maxBars);
  }

  private observe(symbol: string, from: number, to: number, values: Omit<HistoryBar, "ts">): boolean {
    let list = this.bars.get(symbol);
    if (!list) {
      if (this.bars.size >= this.maxSymbols) return false;
      list = [];
      this.bars.set(symbol, list);
    }
    const ts = Math.floor(from / this.barMs) * this.barMs;
    const last = list[list.length - 1];
    // Too old to keep: the bar would fall off the front at once.
    if (last && list.length >= this.maxBars && ts < list[list.length - this.maxBars]!.ts) return false;
    if (!last || ts > last.ts) {
      list.push({ ts, ...values, openAt: from, closeAt: to });
    } else {
      const index = findBar(list, ts);
      if (index < 0) {
        list.splice(-index - 1, 0, { ts, ...values, openAt: from, closeAt: to });
      } else {
        const bar = list[index]!;
        bar.high = Math.max(bar.high, values.high);
        bar.low = Math.min(bar.low, values.low);
        bar.volume += values.volume;
        if (from < bar.openAt) {
          bar.open = values.open;
          bar.openAt = from;
        }
        if (to >= bar.closeAt) {
          bar.close = values.close;
          bar.closeAt = to;
        }
      }
    }
    // Amortized trimming: drop the oldest bars in one splice once the list is a tenth over its bound.
    if (list.length > this.maxBars + Math.max(1, Math.floor(this.maxBars / 10))) list.splice(0, list.length - this.maxBars);
    this.changes++;
    if (this.observedTo === null || to > this.observedTo) this.observedTo = to;
    return true;
  }
}

/** Index of the bar at `ts`, or −(insertion point) − 1 when there is none (binary search; bars are sorted by ts). */
function findBar(list: readonly StoredBar[], ts: number): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = list[mid]!.ts;
    if (at === ts) return mid;
    if (at < ts) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

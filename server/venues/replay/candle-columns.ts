/**
 * Candle files as columns, read by the plain reader: one pass over a recorded file's bytes straight into a Float64Array
 * a field, for the files that are exactly what the recorder writes. csv.ts reads the file in chunks and falls back to
 * its checked reader (which says what is wrong) whenever this one gives up.
 */
import type { HistoryBar } from "../../core/market-history";

type Candle = HistoryBar;

/** The header of a candle file. */
export const CANDLE_HEADER = "ts,open,high,low,close,volume";

/** 10^k for k ≤ 22: every one of them is exact in a double. */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

const HEADER_BYTES = Buffer.from(CANDLE_HEADER, "latin1");

/**
 * Candles as one column a field: row i is (ts[i], open[i], …). A long backtest walks these instead of an object a
 * candle (302k objects are ~25 MB the collector walks again on every major collection).
 */
export interface CandleColumns {
  readonly length: number;
  readonly ts: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
  /** The smallest gap between consecutive open times, ms (0 with fewer than two candles): the candle length a backtest infers. */
  readonly smallestGap: number;
}

/** Columns of `capacity` rows (the loader grows them as it reads). */
class ColumnsBuilder {
  length = 0;
  smallestGap = Infinity;
  ts: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;

  constructor(capacity: number) {
    const size = Math.max(16, capacity);
    this.ts = new Float64Array(size);
    this.open = new Float64Array(size);
    this.high = new Float64Array(size);
    this.low = new Float64Array(size);
    this.close = new Float64Array(size);
    this.volume = new Float64Array(size);
  }

  /** Appends a row (the gap counts only when ts moves forward, as in a backtest's smallestGap). */
  push(ts: number, open: number, high: number, low: number, close: number, volume: number): void {
    const i = this.length;
    if (i === this.ts.length) this.grow();
    if (i > 0) {
      const gap = ts - this.ts[i - 1]!;
      if (gap > 0 && gap < this.smallestGap) this.smallestGap = gap;
    }
    this.ts[i] = ts;
    this.open[i] = open;
    this.high[i] = high;
    this.low[i] = low;
    this.close[i] = close;
    this.volume[i] = volume;
    this.length = i + 1;
  }

  grow(): void {
    const wider = (column: Float64Array) => {
      const next = new Float64Array(column.length * 2);
      next.set(column);
      return next;
    };
    this.ts = wider(this.ts);
    this.open = wider(this.open);
    this.high = wider(this.high);
    this.low = wider(this.low);
    this.close = wider(this.close);
    this.volume = wider(this.volume);
  }

  done(): CandleColumns {
    const n = this.length;
    return {
      length: n,
      ts: this.ts.subarray(0, n),
      open: this.open.subarray(0, n),
      high: this.high.subarray(0, n),
      low: this.low.subarray(0, n),
      close: this.close.subarray(0, n),
      volume: this.volume.subarray(0, n),
      smallestGap: Number.isFinite(this.smallestGap) ? this.smallestGap : 0,
    };
  }
}

/** Candles (strictly increasing ts, as the loaders give them) as columns. */
export function candleColumnsOf(candles: readonly Candle[]): CandleColumns {
  const builder = new ColumnsBuilder(candles.length);
  for (const c of candles) builder.push(c.ts, c.open, c.high, c.low, c.close, c.volume);
  return builder.done();
}

/** Columns as candle objects (for the callers that keep candles: replays, portfolios, tests). */
export function candlesOfColumns(columns: CandleColumns): Candle[] {
  const { ts, open, high, low, close, volume } = columns;
  const candles = new Array<Candle>(columns.length);
  for (let i = 0; i < columns.length; i++) candles[i] = { ts: ts[i]!, open: open[i]!, high: high[i]!, low: low[i]!, close: close[i]!, volume: volume[i]! };
  return candles;
}

/**
 * The plain reader: the file read in one pass over its bytes, fed in chunks of whole lines (rows), and given up (false,
 * then null) as soon as anything is not plain: a ts of another form than digits, a price or volume of another form than
 * `-?digits(.digits)?`, more than 15 digits, a header not exactly CANDLE_HEADER, a blank line, a byte outside ASCII, a
 * failed check. The checked reader (csv.ts) then reads the text and reports what it finds (a signed ts is never valid, so
 * leaving it to that reader changes nothing). One loop over the bytes (no decoded text, no line or field strings, no
 * pattern per field, no call per row, values written straight into their columns) is what a cold process, which runs
 * most code before it is optimized, does fast.
 *
 * Exact: with the digits as an integer m < 2^53 and 10^k exact, m / 10^k is one correctly rounded division, the same
 * double as Number(field). Whatever this accepts, the checked reader accepts with the same numbers.
 */
export class PlainCandles {
  private readonly columns: ColumnsBuilder;
  private row = 0;
  private previousTs = -1;
  private smallestGap = Infinity;

  /** `bytes` from `from` (the first row) hold at least one whole row; `size` is what the whole data is (file size). */
  constructor(bytes: Uint8Array, from: number, to: number, size: number) {
    // Room for the rows the first one's length suggests, and a little more (the columns grow when a file's rows get shorter).
    const firstEnd = bytes.indexOf(10, from);
    const rowBytes = firstEnd > from && firstEnd < to ? firstEnd - from + 1 : to - from;
    this.columns = new ColumnsBuilder(Math.ceil(((size - from) / Math.max(rowBytes, 1)) * 1.1));
  }

  /**
   * The header's end (the first row's start) in bytes[0, to), or -1 when the header is not exactly CANDLE_HEADER (a
   * UTF-8 byte order mark and a CRLF line end are fine). bytes[to − 1] is a line feed.
   */
  static headerEnd(bytes: Uint8Array, to: number): number {
    let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    if (to < i + HEADER_BYTES.length + 1) return -1;
    for (let k = 0; k < HEADER_BYTES.length; k++, i++) if (bytes[i] !== HEADER_BYTES[k]) return -1;
    if (bytes[i] === 13) i++;
    return bytes[i] === 10 ? i + 1 : -1;
  }

  /** Reads the rows of bytes[from, to): whole lines, bytes[to − 1] a line feed (so no read below goes past it). */
  rows(bytes: Uint8Array, from: number, to: number): boolean {
    const columns = this.columns;
    // The builder's arrays as locals (taken again when it grows): a value is one typed-array store.
    let tsColumn = columns.ts;
    let prices = [columns.open, columns.high, columns.low, columns.close, columns.volume];
    let capacity = tsColumn.length;
    let row = this.row;
    let previousTs = this.previousTs;
    let smallestGap = this.smallestGap;
    let i = from;
    while (i < to) {
      if (row === capacity) {
        columns.grow();
        tsColumn = columns.ts;
        prices = [columns.open, columns.high, columns.low, columns.close, columns.volume];
        capacity = tsColumn.length;
      }
      // ts: digits (at most 15: below 2^53, so a safe integer), after the previous row's.
      const tsStart = i;
      let c = bytes[i]!;
      let ts = 0;
      while (c >= 48 && c <= 57) {
        ts = ts * 10 + (c - 48);
        c = bytes[++i]!;
      }
      if (c !== 44 || i === tsStart || i - tsStart > 15 || ts <= previousTs) return false;
      i++;
      tsColumn[row] = ts;
      if (row > 0 && ts - previousTs < smallestGap) smallestGap = ts - previousTs;
      previousTs = ts;
      // open, high, low, close, volume: digits, then a dot and digits; the counts come from positions, so a digit costs
      // one multiply-add.
      for (let field = 0; field < 5; field++) {
        const negative = bytes[i] === 45; // "-"
        if (negative) i++;
        const start = i;
        let mantissa = 0;
        c = bytes[i]!;
        while (c >= 48 && c <= 57) {
          mantissa = mantissa * 10 + (c - 48);
          c = bytes[++i]!;
        }
        let digits = i - start;
        let value = mantissa;
        if (c === 46 && digits > 0) {
          const dot = ++i;
          c = bytes[i]!;
          while (c >= 48 && c <= 57) {
            mantissa = mantissa * 10 + (c - 48);
            c = bytes[++i]!;
          }
          const scale = i - dot;
          if (scale === 0) return false;
          digits += scale;
          value = mantissa / POW10[scale]!;
        }
        if (digits === 0 || digits > 15) return false;
        prices[field]![row] = negative ? -value : value;
        if (field < 4) {
          if (c !== 44) return false; // ","
          i++;
        } else if (c === 10) {
          i++;
        } else if (c === 13 && bytes[i + 1] === 10) {
          i += 2;
        } else {
          return false;
        }
      }
      const open = prices[0]![row]!;
      const high = prices[1]![row]!;
      const low = prices[2]![row]!;
      const close = prices[3]![row]!;
      // Prices > 0, volume ≥ 0, and the bar's range holds its open and close.
      if (!(open > 0 && low > 0) || prices[4]![row]! < 0 || high < open || high < close || low > open || low > close) return false;
      row++;
    }
    this.row = row;
    this.previousTs = previousTs;
    this.smallestGap = smallestGap;
    return true;
  }

  /** The columns read, or null without a row (the checked reader says what the file lacks). */
  done(): CandleColumns | null {
    if (this.row === 0) return null;
    this.columns.length = this.row;
    this.columns.smallestGap = this.smallestGap;
    return this.columns.done();
  }
}

/** The plain reader on text held whole (a final line feed added when it has none); null when it is not plain. */
export function plainColumnsOfText(text: string): CandleColumns | null {
  const bytes = Buffer.from(text.endsWith("\n") ? text : `${text}\n`, "utf8");
  const from = PlainCandles.headerEnd(bytes, bytes.length);
  if (from < 0) return null;
  const reader = new PlainCandles(bytes, from, bytes.length, bytes.length);
  return reader.rows(bytes, from, bytes.length) ? reader.done() : null;
}

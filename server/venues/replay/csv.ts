/**
 * Strict loaders for the recorded market data in `data/market/` (see its README).
 *
 * Prices and sizes are plain numbers here: this is market data, compared on every tick; fills turn
 * them into Decimals in the simulator. Every row is checked (header, field count, finite numbers,
 * time order, OHLC consistency) and the first bad row stops the load with an error that names the
 * file and the line: `CSV_INVALID: data/market/x.csv, line 57: high 1.2 is below close 1.3.`
 *
 * Line numbers are the file's physical lines, 1-based (the header is line 1). A final newline is
 * fine, and so are CRLF line ends and a UTF-8 BOM; blank lines inside the data are not.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import path from "node:path";
import type { BookLevel } from "../../core/market-data";
import type { HistoryBar } from "../../core/market-history";
import { CANDLE_HEADER, candleColumnsOf, candlesOfColumns, PlainCandles, plainColumnsOfText, type CandleColumns } from "./candle-columns";

export { CANDLE_HEADER, candleColumnsOf, candlesOfColumns, type CandleColumns };

/** A recorded candle: core's bar shape (open time UTC epoch ms, volume in base units). */
export type Candle = HistoryBar;

export interface RecordedTrade {
  /** UTC epoch milliseconds. */
  ts: number;
  tradeId: string;
  price: number;
  qty: number;
  /** The side that took liquidity. `buyer_maker=True` in the file means the aggressor sold. */
  aggressor: "BUY" | "SELL";
}

/** One recorded order book snapshot (Tardis "book_snapshot_N" layout). */
export interface RecordedBook {
  /** Exchange time, UTC epoch milliseconds (the file's `timestamp`, µs, divided by 1000 and floored). */
  ts: number;
  /** The file's `timestamp` and `local_timestamp` as recorded, microseconds. */
  timestampUs: number;
  localTimestampUs: number;
  exchange: string;
  symbol: string;
  /** [price, size], best first; the file's levels whose price and size are both empty are left out (a thin book). */
  bids: BookLevel[];
  asks: BookLevel[];
}

/** One best bid/ask update. */
export interface RecordedBbo {
  /** UTC epoch milliseconds: the receive time corrected by the recorder's clock offset (see data/README.md). */
  ts: number;
  /** Receive time as recorded, and the exchange's own time when the feed gave one. */
  recvTs: number;
  exchangeTs: number | null;
  updateId: string;
  bid: number;
  bidSize: number;
  ask: number;
  askSize: number;
}

export const TRADE_HEADER = "ts,trade_id,price,quantity,buyer_maker";
export const BBO_HEADER = "ts,recv_ts,exchange_ts,update_id,bid_price,bid_qty,ask_price,ask_qty";

/** The header of a book snapshot file with `depth` levels a side. */
export function bookHeader(depth: number): string {
  const levels: string[] = [];
  for (let i = 0; i < depth; i++) levels.push(`asks[${i}].price,asks[${i}].amount,bids[${i}].price,bids[${i}].amount`);
  return ["exchange,symbol,timestamp,local_timestamp", ...levels].join(",");
}

/** The recorded files shipped in `data/market/` (paths relative to the repository root). */
export const RECORDED_FILES = {
  /** BTC/USDT 5-minute candles, 2023-01-02 16:45 → 2023-02-09 21:15 UTC, 10,999 rows, no gaps. */
  btcUsdt5m: "data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv",
  /** Binance spot BTCUSDT trades, 2021-01-08 00:00:00 → 00:00:46 UTC, 2,001 rows. */
  btcUsdtTrades: "data/market/btc-usdt_trades_binance_2021-01-08.csv",
} as const;

/** Absolute path of a recorded file, resolved against `root` (default: the working directory, the repo root for `npm start` and vitest). */
export function recordedFilePath(file: keyof typeof RECORDED_FILES, root: string = process.cwd()): string {
  return path.resolve(root, RECORDED_FILES[file]);
}

export class CsvFormatError extends Error {
  constructor(
    readonly file: string,
    /** 1-based line, or 0 when the problem is the file as a whole. */
    readonly line: number,
    readonly detail: string,
    /** CSV_UNREADABLE when the file cannot be read at all. */
    readonly code: "CSV_INVALID" | "CSV_UNREADABLE" = "CSV_INVALID",
  ) {
    super(`${code}: ${file}${line > 0 ? `, line ${line}` : ""}: ${detail}.`);
    this.name = "CsvFormatError";
  }
}

/** A plain decimal number: optional minus, digits, optional fraction, optional exponent. No hex, no spaces, no "Infinity". */
const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

class RowReader {
  private readonly lines: string[];
  private readonly end: number;

  constructor(
    text: string,
    readonly file: string,
    header: string | ((found: string) => boolean),
  ) {
    const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    this.lines = body.split("\n");
    let end = this.lines.length;
    // One final newline (or a run of trailing blank lines) is not data.
    while (end > 0 && stripCr(this.lines[end - 1]!) === "") end--;
    this.end = end;
    const expected = typeof header === "string" ? header : "a book snapshot header (exchange,symbol,timestamp,local_timestamp,asks[0].price,…)";
    if (end === 0) throw new CsvFormatError(file, 0, `the file is empty; expected the header "${expected}"`);
    const found = stripCr(this.lines[0]!).trim();
    if (typeof header === "string" ? found !== header : !header(found))
      throw new CsvFormatError(file, 1, `the header is "${truncate(found)}", expected "${truncate(expected, 120)}"`);
    if (end === 1) throw new CsvFormatError(file, 0, "the file has a header but no rows");
  }

  get rowCount(): number {
    return this.end - 1;
  }

  /** Fields of data row `row` (0-based), checked for count. */
  fields(row: number, expected: number): string[] {
    const line = stripCr(this.lines[row + 1]!);
    if (line === "") throw this.error(row, "the line is blank");
    const fields = line.split(",");
    if (fields.length !== expected) throw this.error(row, `expected ${expected} fields, found ${fields.length}`);
    return fields;
  }

  number(row: number, name: string, field: string): number {
    if (!NUMBER.test(field)) throw this.error(row, `${name} "${truncate(field)}" is not a number`);
    const value = Number(field);
    if (!Number.isFinite(value)) throw this.error(row, `${name} ${field} is not a finite number`);
    return value;
  }

  timestamp(row: number, field: string): number {
    const value = this.number(row, "ts", field);
    if (!Number.isSafeInteger(value) || value < 0) throw this.error(row, `ts ${field} is not a whole number of epoch milliseconds`);
    return value;
  }

  /** A whole number ≥ 0 (a timestamp in another unit than ms, an id). */
  whole(row: number, name: string, field: string): number {
    const value = this.number(row, name, field);
    if (!Number.isSafeInteger(value) || value < 0) throw this.error(row, `${name} ${field} is not a whole number ≥ 0`);
    return value;
  }

  positive(row: number, name: string, field: string): number {
    const value = this.number(row, name, field);
    if (!(value > 0)) throw this.error(row, `${name} ${field} is not positive`);
    return value;
  }

  error(row: number, detail: string): CsvFormatError {
    return new CsvFormatError(this.file, row + 2, detail);
  }
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

function truncate(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * Whole lines read at a time: a chunk the cache holds, reused (one 17 MB buffer for a long file costs its page faults).
 * 64 KiB: in a cold process the row parser, called once a chunk, is optimized sooner than with fewer, longer calls (30k
 * file, fresh processes: ~13 ms CPU with 64 KiB chunks, ~20-28 with 256 KiB).
 */
const CHUNK_BYTES = 1 << 16;

/**
 * The plain reader on a file, read a chunk of whole lines at a time (what follows the last line feed of a chunk starts
 * the next one); null when it is not plain (a line longer than a chunk is not). Throws CSV_UNREADABLE.
 */
export function plainColumnsOfFile(file: string): CandleColumns | null {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (error) {
    throw unreadable(file, error);
  }
  try {
    const size = fileCall(file, () => fstatSync(fd).size);
    // One byte more than a read fills: the line feed a last line without one is given.
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES + 1);
    let reader: PlainCandles | null = null;
    let carried = 0; // the start of a line, left from the chunk before
    let position = 0;
    for (;;) {
      const got = fileCall(file, () => readSync(fd, chunk, carried, CHUNK_BYTES - carried, position));
      position += got;
      let end = carried + got;
      if (got === 0) {
        if (end === 0) break;
        if (chunk[end - 1] !== 10) chunk[end++] = 10;
      }
      const whole = got === 0 ? end : chunk.lastIndexOf(10, end - 1) + 1;
      if (whole === 0) {
        if (end === CHUNK_BYTES) return null;
        carried = end;
        continue;
      }
      let from = 0;
      if (reader === null) {
        from = PlainCandles.headerEnd(chunk, whole);
        if (from < 0) return null;
        reader = new PlainCandles(chunk, from, whole, size);
      }
      if (!reader.rows(chunk, from, whole)) return null;
      chunk.copy(chunk, 0, whole, end);
      carried = end - whole;
    }
    return reader === null ? null : reader.done();
  } finally {
    closeSync(fd);
  }
}

/** A call to the file system; its failure is CSV_UNREADABLE. */
function fileCall<T>(file: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw unreadable(file, error);
  }
}

/** Parses candles from CSV text; `name` appears in error messages (a file name, or "inline"). */
export function parseCandlesCsv(text: string, name: string): Candle[] {
  // A recorded file is plain: read fast; any other file is read by the checked reader, which says what is wrong.
  const plain = plainColumnsOfText(text);
  return plain ? candlesOfColumns(plain) : checkedCandles(text, name);
}

function checkedCandles(text: string, name: string): Candle[] {
  const reader = new RowReader(text, name, CANDLE_HEADER);
  const candles: Candle[] = new Array<Candle>(reader.rowCount);
  let previousTs = -1;
  for (let row = 0; row < reader.rowCount; row++) {
    const f = reader.fields(row, 6);
    const ts = reader.timestamp(row, f[0]!);
    const open = reader.positive(row, "open", f[1]!);
    const high = reader.positive(row, "high", f[2]!);
    const low = reader.positive(row, "low", f[3]!);
    const close = reader.positive(row, "close", f[4]!);
    const volume = reader.number(row, "volume", f[5]!);
    if (ts <= previousTs) {
      throw reader.error(row, `ts ${ts} is not after the previous row's ts ${previousTs} (candles must be strictly increasing)`);
    }
    if (high < open) throw reader.error(row, `high ${f[2]} is below open ${f[1]}`);
    if (high < close) throw reader.error(row, `high ${f[2]} is below close ${f[4]}`);
    if (low > open) throw reader.error(row, `low ${f[3]} is above open ${f[1]}`);
    if (low > close) throw reader.error(row, `low ${f[3]} is above close ${f[4]}`);
    if (volume < 0) throw reader.error(row, `volume ${f[5]} is negative`);
    candles[row] = { ts, open, high, low, close, volume };
    previousTs = ts;
  }
  return candles;
}

/** Parses trades from CSV text; `name` appears in error messages. */
export function parseTradesCsv(text: string, name: string): RecordedTrade[] {
  const reader = new RowReader(text, name, TRADE_HEADER);
  const trades: RecordedTrade[] = new Array<RecordedTrade>(reader.rowCount);
  const seen = new Set<string>();
  let previousTs = -1;
  for (let row = 0; row < reader.rowCount; row++) {
    const f = reader.fields(row, 5);
    const ts = reader.timestamp(row, f[0]!);
    const tradeId = f[1]!.trim();
    if (tradeId === "") throw reader.error(row, "trade_id is empty");
    const price = reader.positive(row, "price", f[2]!);
    const qty = reader.positive(row, "quantity", f[3]!);
    const makerFlag = f[4]!;
    let aggressor: "BUY" | "SELL";
    if (makerFlag === "True" || makerFlag === "true") aggressor = "SELL";
    else if (makerFlag === "False" || makerFlag === "false") aggressor = "BUY";
    else throw reader.error(row, `buyer_maker "${truncate(makerFlag)}" is not True or False`);
    if (ts < previousTs) throw reader.error(row, `ts ${ts} is before the previous row's ts ${previousTs} (trades must be in time order)`);
    if (seen.has(tradeId)) throw reader.error(row, `trade_id ${tradeId} appears twice`);
    seen.add(tradeId);
    trades[row] = { ts, tradeId, price, qty, aggressor };
    previousTs = ts;
  }
  return trades;
}

/**
 * Parses book snapshots from CSV text (Tardis layout: `exchange,symbol,timestamp,local_timestamp` in µs, then
 * `asks[i].price,asks[i].amount,bids[i].price,bids[i].amount` for i = 0…depth−1; the depth is read from the header).
 * Checks each row: numbers, positive prices and sizes, asks rising and bids falling strictly, bid below ask, and
 * timestamps never going back. A level may be empty (both fields blank) only after the last filled one of its side.
 */
export function parseBookSnapshotsCsv(text: string, name: string): RecordedBook[] {
  let depth = 0;
  const reader = new RowReader(text, name, (found) => {
    const columns = found.split(",").length;
    depth = (columns - 4) / 4;
    return Number.isInteger(depth) && depth >= 1 && found === bookHeader(depth);
  });
  const books: RecordedBook[] = new Array<RecordedBook>(reader.rowCount);
  let previousUs = -1;
  for (let row = 0; row < reader.rowCount; row++) {
    const f = reader.fields(row, 4 + 4 * depth);
    const exchange = f[0]!.trim();
    const symbol = f[1]!.trim();
    if (exchange === "") throw reader.error(row, "exchange is empty");
    if (symbol === "") throw reader.error(row, "symbol is empty");
    const timestampUs = reader.whole(row, "timestamp", f[2]!);
    const localTimestampUs = reader.whole(row, "local_timestamp", f[3]!);
    if (timestampUs < previousUs) throw reader.error(row, `timestamp ${timestampUs} is before the previous row's timestamp ${previousUs}`);
    const sides: { asks: BookLevel[]; bids: BookLevel[] } = { asks: [], bids: [] };
    const ended = { asks: false, bids: false };
    for (let i = 0; i < depth; i++) {
      for (const [side, offset] of [
        ["asks", 0],
        ["bids", 2],
      ] as const) {
        const priceField = f[4 + 4 * i + offset]!;
        const sizeField = f[5 + 4 * i + offset]!;
        const column = `${side}[${i}]`;
        if (priceField === "" && sizeField === "") {
          ended[side] = true;
          continue;
        }
        if (ended[side]) throw reader.error(row, `${column} follows an empty level of the same side`);
        const price = reader.positive(row, `${column}.price`, priceField);
        const size = reader.positive(row, `${column}.amount`, sizeField);
        const levels = sides[side];
        const previous = levels[levels.length - 1];
        if (previous !== undefined && (side === "asks" ? price <= previous[0] : price >= previous[0])) {
          throw reader.error(row, `${column}.price ${priceField} is not ${side === "asks" ? "above" : "below"} the level before it (${previous[0]})`);
        }
        levels.push([price, size]);
      }
    }
    const bestBid = sides.bids[0];
    const bestAsk = sides.asks[0];
    if (bestBid !== undefined && bestAsk !== undefined && bestBid[0] >= bestAsk[0]) {
      throw reader.error(row, `the book is crossed: best bid ${bestBid[0]} is not below best ask ${bestAsk[0]}`);
    }
    books[row] = { ts: Math.floor(timestampUs / 1000), timestampUs, localTimestampUs, exchange, symbol, bids: sides.bids, asks: sides.asks };
    previousUs = timestampUs;
  }
  return books;
}

/** Parses best bid/ask updates from CSV text (`ts` never going back, bid not above ask, sizes ≥ 0); `name` appears in errors. */
export function parseBboCsv(text: string, name: string): RecordedBbo[] {
  const reader = new RowReader(text, name, BBO_HEADER);
  const quotes: RecordedBbo[] = new Array<RecordedBbo>(reader.rowCount);
  let previousTs = -1;
  for (let row = 0; row < reader.rowCount; row++) {
    const f = reader.fields(row, 8);
    const ts = reader.timestamp(row, f[0]!);
    const recvTs = reader.whole(row, "recv_ts", f[1]!);
    const exchangeTs = f[2] === "" ? null : reader.whole(row, "exchange_ts", f[2]!);
    const updateId = f[3]!.trim();
    if (!/^\d+$/.test(updateId)) throw reader.error(row, `update_id "${truncate(updateId)}" is not a whole number`);
    const bid = reader.positive(row, "bid_price", f[4]!);
    const bidSize = reader.number(row, "bid_qty", f[5]!);
    const ask = reader.positive(row, "ask_price", f[6]!);
    const askSize = reader.number(row, "ask_qty", f[7]!);
    if (bidSize < 0) throw reader.error(row, `bid_qty ${f[5]} is negative`);
    if (askSize < 0) throw reader.error(row, `ask_qty ${f[7]} is negative`);
    if (bid > ask) throw reader.error(row, `bid_price ${f[4]} is above ask_price ${f[6]}`);
    if (ts < previousTs) throw reader.error(row, `ts ${ts} is before the previous row's ts ${previousTs} (quotes must be in time order)`);
    quotes[row] = { ts, recvTs, exchangeTs, updateId, bid, bidSize, ask, askSize };
    previousTs = ts;
  }
  return quotes;
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw unreadable(file, error);
  }
}

function unreadable(file: string, error: unknown): CsvFormatError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === "ENOENT" ? "the file does not exist" : `the file cannot be read (${code ?? String(error)})`;
  return new CsvFormatError(file, 0, why, "CSV_UNREADABLE");
}

export function loadCandlesCsv(file: string): Candle[] {
  const plain = plainColumnsOfFile(file);
  return plain ? candlesOfColumns(plain) : checkedCandles(readText(file), file);
}

/** A candle file as columns (what a single-symbol backtest reads: no object per candle). */
export function loadCandleColumns(file: string): CandleColumns {
  // The bytes as read: a plain file is never decoded to text (decoding ~17 MB costs more than reading it).
  return plainColumnsOfFile(file) ?? candleColumnsOf(checkedCandles(readText(file), file));
}

export function loadTradesCsv(file: string): RecordedTrade[] {
  return parseTradesCsv(readText(file), file);
}

export function loadBookSnapshotsCsv(file: string): RecordedBook[] {
  return parseBookSnapshotsCsv(readText(file), file);
}

export function loadBboCsv(file: string): RecordedBbo[] {
  return parseBboCsv(readText(file), file);
}

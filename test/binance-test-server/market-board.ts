/**
 * The public side of the test server: what GET /api/v3/ticker/*, depth, klines and aggTrades show,
 * built from the market data pushed into the server (quotes, trades, books, candles). Prices and
 * sizes arrive as numbers (as from any feed) and go out as Binance's decimal strings.
 */
import { type BookLevel } from "../../server/core/market-data";

export interface KlineRow {
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** Quote volume; default volume × close. */
  quoteVolume?: number;
  trades?: number;
}

interface PublicTrade {
  id: number;
  price: number;
  qty: number;
  time: number;
  /** Binance's `m`: the buyer was the maker (the aggressor sold). */
  buyerMaker: boolean;
}

interface PricePoint {
  time: number;
  price: number;
  qty: number;
}

interface BoardSymbol {
  bid: number | undefined;
  ask: number | undefined;
  bidQty: number;
  askQty: number;
  bids: BookLevel[] | null;
  asks: BookLevel[] | null;
  last: number | undefined;
  lastQty: number;
  trades: PublicTrade[];
  points: PricePoint[];
  /** Candles by interval (ms), oldest first. */
  candles: Map<number, KlineRow[]>;
  bookUpdateId: number;
}

export const KLINE_INTERVALS: Record<string, number> = {
  "1s": 1_000,
  "1m": 60_000,
  "3m": 180_000,
  "5m": 300_000,
  "15m": 900_000,
  "30m": 1_800_000,
  "1h": 3_600_000,
  "2h": 7_200_000,
  "4h": 14_400_000,
  "6h": 21_600_000,
  "8h": 28_800_000,
  "12h": 43_200_000,
  "1d": 86_400_000,
  "3d": 259_200_000,
  "1w": 604_800_000,
};

const DAY = 86_400_000;
const MAX_TRADES = 1000;
const MAX_POINTS = 20_000;
const MAX_CANDLES = 5000;

/** Binance formats prices and quantities with 8 decimals. */
export function fmt8(value: number | string | { toFixed(dp: number): string }): string {
  if (typeof value === "number") return Number.isFinite(value) ? value.toFixed(8) : "0.00000000";
  if (typeof value === "string") return Number(value).toFixed(8);
  return value.toFixed(8);
}

export class MarketBoard {
  private readonly symbols = new Map<string, BoardSymbol>();
  private tradeSeq = 0;

  constructor(ids: readonly string[]) {
    for (const id of ids) {
      this.symbols.set(id, {
        bid: undefined,
        ask: undefined,
        bidQty: 0,
        askQty: 0,
        bids: null,
        asks: null,
        last: undefined,
        lastQty: 0,
        trades: [],
        points: [],
        candles: new Map(),
        bookUpdateId: 0,
      });
    }
  }

  has(id: string): boolean {
    return this.symbols.has(id);
  }

  private get(id: string): BoardSymbol {
    const s = this.symbols.get(id);
    if (!s) throw new RangeError(`unknown symbol ${id}`);
    return s;
  }

  quote(id: string, bid: number, ask: number, bidQty = 1, askQty = 1): void {
    const s = this.get(id);
    s.bid = bid;
    s.ask = ask;
    s.bidQty = bidQty;
    s.askQty = askQty;
    s.bids = null;
    s.asks = null;
    s.bookUpdateId += 1;
  }

  book(id: string, bids: readonly BookLevel[], asks: readonly BookLevel[]): void {
    const s = this.get(id);
    s.bids = bids.map(([p, q]) => [p, q] as const);
    s.asks = asks.map(([p, q]) => [p, q] as const);
    s.bid = bids[0]?.[0];
    s.ask = asks[0]?.[0];
    s.bidQty = bids[0]?.[1] ?? 0;
    s.askQty = asks[0]?.[1] ?? 0;
    s.bookUpdateId += 1;
  }

  trade(id: string, price: number, qty: number, time: number, aggressor?: "BUY" | "SELL"): void {
    const s = this.get(id);
    this.tradeSeq += 1;
    s.trades.push({ id: this.tradeSeq, price, qty, time, buyerMaker: aggressor === "SELL" });
    if (s.trades.length > MAX_TRADES) s.trades.splice(0, s.trades.length - MAX_TRADES);
    this.point(s, time, price, qty);
    this.addTradeToCandle(s, 60_000, time, price, qty);
  }

  /** A finished bar of `intervalMs`. Also moves the last price to its close. */
  candle(id: string, intervalMs: number, row: KlineRow, time: number): void {
    const s = this.get(id);
    const list = s.candles.get(intervalMs) ?? [];
    const lastRow = list[list.length - 1];
    if (lastRow && lastRow.openTime === row.openTime) list[list.length - 1] = { ...row };
    else if (!lastRow || lastRow.openTime < row.openTime) list.push({ ...row });
    else return; // older than what is stored: ignore
    if (list.length > MAX_CANDLES) list.splice(0, list.length - MAX_CANDLES);
    s.candles.set(intervalMs, list);
    this.point(s, time, row.close, row.volume);
  }

  private point(s: BoardSymbol, time: number, price: number, qty: number): void {
    s.last = price;
    s.lastQty = qty;
    s.points.push({ time, price, qty });
    const cutoff = time - DAY;
    let drop = 0;
    while (drop < s.points.length && (s.points[drop]!.time < cutoff || s.points.length - drop > MAX_POINTS)) drop += 1;
    if (drop > 0) s.points.splice(0, drop);
  }

  private addTradeToCandle(s: BoardSymbol, intervalMs: number, time: number, price: number, qty: number): void {
    const key = -intervalMs; // trade-built candles live under a negative key so pushed bars stay apart
    const list = s.candles.get(key) ?? [];
    const openTime = Math.floor(time / intervalMs) * intervalMs;
    const current = list[list.length - 1];
    if (current && current.openTime === openTime) {
      current.high = Math.max(current.high, price);
      current.low = Math.min(current.low, price);
      current.close = price;
      current.volume += qty;
      current.quoteVolume = (current.quoteVolume ?? 0) + qty * price;
      current.trades = (current.trades ?? 0) + 1;
    } else if (!current || current.openTime < openTime) {
      list.push({ openTime, open: price, high: price, low: price, close: price, volume: qty, quoteVolume: qty * price, trades: 1 });
      if (list.length > MAX_CANDLES) list.splice(0, list.length - MAX_CANDLES);
    }
    s.candles.set(key, list);
  }

  /** Best bid/ask, last price: what the order checks need. */
  touch(id: string): { bid: number | undefined; ask: number | undefined; last: number | undefined } {
    const s = this.get(id);
    return { bid: s.bid, ask: s.ask, last: s.last ?? (s.bid !== undefined && s.ask !== undefined ? (s.bid + s.ask) / 2 : undefined) };
  }

  bookTicker(id: string): Record<string, unknown> {
    const s = this.get(id);
    return {
      symbol: id,
      bidPrice: fmt8(s.bid ?? 0),
      bidQty: fmt8(s.bid === undefined ? 0 : s.bidQty),
      askPrice: fmt8(s.ask ?? 0),
      askQty: fmt8(s.ask === undefined ? 0 : s.askQty),
    };
  }

  ticker24h(id: string, now: number): Record<string, unknown> {
    const s = this.get(id);
    const points = s.points.filter((p) => p.time >= now - DAY);
    const last = s.last ?? (s.bid !== undefined && s.ask !== undefined ? (s.bid + s.ask) / 2 : 0);
    const open = points[0]?.price ?? last;
    let high = last;
    let low = last;
    let volume = 0;
    let quoteVolume = 0;
    for (const p of points) {
      high = Math.max(high, p.price);
      low = Math.min(low, p.price);
      volume += p.qty;
      quoteVolume += p.qty * p.price;
    }
    const change = last - open;
    const firstTrade = s.trades.find((t) => t.time >= now - DAY);
    const lastTrade = s.trades[s.trades.length - 1];
    return {
      symbol: id,
      priceChange: fmt8(change),
      priceChangePercent: open === 0 ? "0.000" : ((change / open) * 100).toFixed(3),
      weightedAvgPrice: fmt8(volume > 0 ? quoteVolume / volume : last),
      prevClosePrice: fmt8(open),
      lastPrice: fmt8(last),
      lastQty: fmt8(s.lastQty),
      bidPrice: fmt8(s.bid ?? 0),
      bidQty: fmt8(s.bid === undefined ? 0 : s.bidQty),
      askPrice: fmt8(s.ask ?? 0),
      askQty: fmt8(s.ask === undefined ? 0 : s.askQty),
      openPrice: fmt8(open),
      highPrice: fmt8(high),
      lowPrice: fmt8(low),
      volume: fmt8(volume),
      quoteVolume: fmt8(quoteVolume),
      openTime: now - DAY,
      closeTime: now,
      firstId: firstTrade?.id ?? -1,
      lastId: lastTrade?.id ?? -1,
      count: firstTrade && lastTrade ? lastTrade.id - firstTrade.id + 1 : 0,
    };
  }

  depth(id: string, limit: number): Record<string, unknown> {
    const s = this.get(id);
    const bids: BookLevel[] = s.bids ?? (s.bid === undefined ? [] : [[s.bid, s.bidQty]]);
    const asks: BookLevel[] = s.asks ?? (s.ask === undefined ? [] : [[s.ask, s.askQty]]);
    return {
      lastUpdateId: s.bookUpdateId,
      bids: bids.slice(0, limit).map(([p, q]) => [fmt8(p), fmt8(q)]),
      asks: asks.slice(0, limit).map(([p, q]) => [fmt8(p), fmt8(q)]),
    };
  }

  aggTrades(id: string, opts: { fromId?: number; startTime?: number; endTime?: number; limit: number }): unknown[] {
    const s = this.get(id);
    let list = s.trades;
    if (opts.fromId !== undefined) list = list.filter((t) => t.id >= opts.fromId!);
    if (opts.startTime !== undefined) list = list.filter((t) => t.time >= opts.startTime!);
    if (opts.endTime !== undefined) list = list.filter((t) => t.time <= opts.endTime!);
    const picked = opts.fromId !== undefined || opts.startTime !== undefined ? list.slice(0, opts.limit) : list.slice(-opts.limit);
    return picked.map((t) => ({ a: t.id, p: fmt8(t.price), q: fmt8(t.qty), f: t.id, l: t.id, T: t.time, m: t.buyerMaker, M: true }));
  }

  /**
   * Candles of `intervalMs`: pushed bars of that interval, else pushed bars of a shorter interval
   * that divides it, else bars built from pushed trades (1m). Newest last, like Binance.
   */
  klines(id: string, intervalMs: number, opts: { startTime?: number; endTime?: number; limit: number }): unknown[] {
    const s = this.get(id);
    let rows: KlineRow[] = [];
    const exact = s.candles.get(intervalMs);
    if (exact && exact.length > 0) {
      rows = exact;
    } else {
      const bases = [...s.candles.keys()]
        .filter((k) => k > 0 && k < intervalMs && intervalMs % k === 0 && (s.candles.get(k)?.length ?? 0) > 0)
        .sort((a, b) => b - a);
      const fromTrades = s.candles.get(-60_000);
      const base = bases[0] !== undefined ? s.candles.get(bases[0]) : intervalMs % 60_000 === 0 ? fromTrades : undefined;
      if (base) rows = aggregate(base, intervalMs);
    }
    if (opts.startTime !== undefined) rows = rows.filter((r) => r.openTime >= opts.startTime!);
    if (opts.endTime !== undefined) rows = rows.filter((r) => r.openTime <= opts.endTime!);
    const picked = opts.startTime !== undefined ? rows.slice(0, opts.limit) : rows.slice(-opts.limit);
    return picked.map((r) => [
      r.openTime,
      fmt8(r.open),
      fmt8(r.high),
      fmt8(r.low),
      fmt8(r.close),
      fmt8(r.volume),
      r.openTime + intervalMs - 1,
      fmt8(r.quoteVolume ?? r.volume * r.close),
      r.trades ?? 0,
      fmt8(r.volume / 2),
      fmt8((r.quoteVolume ?? r.volume * r.close) / 2),
      "0",
    ]);
  }
}

function aggregate(rows: readonly KlineRow[], intervalMs: number): KlineRow[] {
  const out: KlineRow[] = [];
  for (const r of rows) {
    const openTime = Math.floor(r.openTime / intervalMs) * intervalMs;
    const current = out[out.length - 1];
    if (current && current.openTime === openTime) {
      current.high = Math.max(current.high, r.high);
      current.low = Math.min(current.low, r.low);
      current.close = r.close;
      current.volume += r.volume;
      current.quoteVolume = (current.quoteVolume ?? 0) + (r.quoteVolume ?? r.volume * r.close);
      current.trades = (current.trades ?? 0) + (r.trades ?? 0);
    } else {
      out.push({
        openTime,
        open: r.open,
        high: r.high,
        low: r.low,
        close: r.close,
        volume: r.volume,
        quoteVolume: r.quoteVolume ?? r.volume * r.close,
        trades: r.trades ?? 0,
      });
    }
  }
  return out;
}

/**
 * The books a venue set has seen, per (venue, symbol), for smart order routing: the last `book` update addressed to a
 * venue (or to all), or the last quote that came with sizes (one level a side), kept to MAX_VISIBLE_DEPTH levels a
 * side; and books fetched from venues that can be asked (ccxt fetchOrderBook, refreshed before a routed order). A
 * venue that shows its own book (the simulator, `Venue.visibleBook`) is read directly; this cache answers for the rest.
 * Never a request on the engine's path: reads here are synchronous, a fetch is awaited before the command is queued.
 */
import { MAX_VISIBLE_DEPTH, type Level, type VisibleBook } from "../core/algos/routing";
import type { BookLevel, MarketUpdate } from "../core/market-data";
import { numberToDecimal } from "../core/money";

function levelsOf(levels: readonly BookLevel[]): Level[] {
  const out: Level[] = [];
  for (const [price, size] of levels) {
    if (out.length >= MAX_VISIBLE_DEPTH) break;
    if (Number.isFinite(price) && Number.isFinite(size) && price > 0 && size > 0) out.push([numberToDecimal(price), numberToDecimal(size)]);
  }
  return out;
}

export class VisibleBooks {
  private readonly books = new Map<string, Map<string, VisibleBook>>();
  /** Why the last fetch of a venue's book failed (shown as the reason its book is missing). */
  readonly fetchErrors = new Map<string, string>();

  /**
   * When a book or quote for (venue, symbol) last came (epoch ms on the desk's clock): the age of a book a venue shows
   * itself (the simulator's, which says no time) is the age of the data it was built from.
   */
  private readonly seen = new Map<string, Map<string, number>>();

  /** Keeps what a market update shows of the book; trades, candles and marks show no depth and leave it as it was. */
  note(venue: string, update: MarketUpdate, now: number): void {
    if (update.kind === "book" || update.kind === "quote") {
      let bySymbol = this.seen.get(venue);
      if (!bySymbol) this.seen.set(venue, (bySymbol = new Map<string, number>()));
      bySymbol.set(update.symbol, now);
    }
    if (update.kind === "book") this.set(venue, update.symbol, { bids: levelsOf(update.bids), asks: levelsOf(update.asks), source: "book", ts: now });
    else if (update.kind === "quote") {
      const bids = update.bidSize !== undefined ? levelsOf([[update.bid, update.bidSize]]) : [];
      const asks = update.askSize !== undefined ? levelsOf([[update.ask, update.askSize]]) : [];
      // A quote without sizes says nothing about depth: the book seen before it is stale, so it is dropped.
      if (bids.length > 0 || asks.length > 0) this.set(venue, update.symbol, { bids, asks, source: "quote", ts: now });
      else this.books.get(venue)?.delete(update.symbol);
    }
  }

  set(venue: string, symbol: string, book: VisibleBook): void {
    let bySymbol = this.books.get(venue);
    if (!bySymbol) this.books.set(venue, (bySymbol = new Map<string, VisibleBook>()));
    bySymbol.set(symbol, { ...book, bids: book.bids.slice(0, MAX_VISIBLE_DEPTH), asks: book.asks.slice(0, MAX_VISIBLE_DEPTH) });
  }

  /** When a book or quote for (venue, symbol) last came, or null. */
  seenAt(venue: string, symbol: string): number | null {
    return this.seen.get(venue)?.get(symbol) ?? null;
  }

  /** The last book seen, cut to `depth` levels a side, or null. */
  get(venue: string, symbol: string, depth: number): VisibleBook | null {
    const book = this.books.get(venue)?.get(symbol);
    if (!book) return null;
    const cut = Math.max(1, Math.min(depth, MAX_VISIBLE_DEPTH));
    return { ...book, bids: book.bids.slice(0, cut), asks: book.asks.slice(0, cut) };
  }
}

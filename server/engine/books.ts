/**
 * The books in memory: working order records (with the gate's running sums), open position records, marks and
 * instruments, and the small reads over them the other rooms share. Every change to a position record is
 * persisted through `persistPosition`.
 */
import type { Instrument } from "../core/instrument";
import { type Decimal } from "../core/money";
import { isTerminal } from "../core/orders";
import type { ExitState, Position } from "../core/positions";
import type { MarketUpdate } from "../core/market-data";
import { OpenOrderBook } from "./open-orders";
import type { PositionMeta } from "../db/store";
import type { OrderRecord, PositionRecord, Mark, PositionBlob } from "./types";
import { markDecimal, type EngineContext } from "./context";

/** Who owns the positions of people (manual orders, closes from the UI) and those no strategy opened. */
export const MANUAL_OWNER = "manual";

/**
 * The owner of a position: the strategy that opened it, or `manual`. A position no strategy opened (a late fill
 * with no strategy, the excess of an over-close) is for people to handle, so it is `manual` too.
 */
export function ownerOf(meta: { strategy: string | null }): string {
  return meta.strategy ?? MANUAL_OWNER;
}

/** openPositionsFor's answer when nothing matches (frozen: shared by every caller). */
const NO_POSITIONS: readonly PositionRecord[] = Object.freeze([]);

/** What a position belongs to. One engine trades one venue today; the venue is in the key so several can share the books later. */
export interface PositionKey {
  venue: string;
  symbol: string;
  owner: string;
}

export class Books {
  constructor(private readonly cx: EngineContext) {}

  readonly instruments = new Map<string, Instrument>();

  /** Working orders, with running sums of what they reserve (the gate reads those, not every order). */
  readonly orders = new OpenOrderBook<OrderRecord>((record) => record.meta.positionId);

  /** clientOrderIds of EMULATED orders: market data checks their triggers without scanning every open order. */
  readonly emulated = new Set<string>();

  readonly positions = new Map<string, PositionRecord>();

  /** The desk-level mark of each symbol: the latest price from any venue (a single-venue desk has only these). */
  readonly marks = new Map<string, Mark>();

  /**
   * (venue → symbol → mark) from market data addressed to one venue (`update.venue`): a position is valued, and its
   * exits triggered, at its own venue's price. A venue without its own quote for a symbol (data addressed to every
   * venue, or none yet) uses the desk-level mark; data addressed to every venue replaces the venues' own marks.
   */
  readonly venueMarks = new Map<string, Map<string, Mark>>();

  /** (symbol → venue) whose prices volatility watches on a desk with several venues: the first to quote the symbol. */
  private readonly referenceVenues = new Map<string, string>();

  /**
   * Whether this market data is the symbol's reference series for volatility (stale data and flash moves are per
   * (venue, symbol): protections.ts): data for every venue, or from the first venue that quoted the symbol. Two venues' prices interleaved would
   * read as moves that never happened (Kraken 28050 after Binance.US 28000 is not a move).
   */
  isReferencePrice(update: MarketUpdate): boolean {
    const venue = update.venue;
    if (venue === undefined || !this.cx.venues?.has(venue)) return true;
    const reference = this.referenceVenues.get(update.symbol);
    if (reference === undefined) {
      this.referenceVenues.set(update.symbol, venue);
      return true;
    }
    return reference === venue;
  }

  /** A position's venue, remembered per record (found through its entry order, which may already be in the store only). */
  private readonly positionVenues = new WeakMap<PositionRecord, { entry: string; venue: string }>();

  /** Forgets the orders and positions (a reload reads them back); instruments and marks come from the venue, not the books. */
  reset(): void {
    this.orders.clear();
    this.emulated.clear();
    this.positions.clear();
  }

  /** The mark at a venue: its own quote, else the desk-level mark (see venueMarks). */
  markAt(venue: string | undefined, symbol: string): Mark | undefined {
    return (venue === undefined ? undefined : this.venueMarks.get(venue)?.get(symbol)) ?? this.marks.get(symbol);
  }

  /** The venue a position lives on (the venue room says how), remembered; always the one venue on a single-venue desk. */
  venueOfPosition(record: PositionRecord): string {
    if (!this.cx.venues) return this.cx.venue.id;
    const entry = record.meta.entryOrderId;
    const known = this.positionVenues.get(record);
    if (known && entry && known.entry === entry) return known.venue;
    const venue = this.cx.venueRoom.venueOfPosition(record);
    // Only a venue found through the entry order is kept (the fallback may still change once the order is known).
    if (entry && this.cx.venueRoom.venueOfOrder(entry) === venue) this.positionVenues.set(record, { entry, venue });
    return venue;
  }

  /** The mark a position is valued and its exits triggered at: its venue's (see venueMarks). */
  markOfPosition(record: PositionRecord): Mark | undefined {
    return this.cx.venues ? this.markAt(this.venueOfPosition(record), record.position.symbol) : this.marks.get(record.position.symbol);
  }

  /** markOfPosition as a Decimal (null without a mark). */
  readonly positionMarkOf = (record: PositionRecord): Decimal | null => {
    const mark = this.markOfPosition(record);
    return mark ? markDecimal(mark) : null;
  };

  readonly markOf = (symbol: string): Decimal | null => {
    const mark = this.marks.get(symbol);
    return mark ? markDecimal(mark) : null;
  };

  /** Whether another order still works for this position (several resting entries may target one). */
  othersWorkingFor(positionId: string, exceptClientOrderId: string): boolean {
    for (const r of this.orders.heldFor(positionId)) {
      if (r.order.clientOrderId !== exceptClientOrderId && !isTerminal(r.order)) return true;
    }
    return false;
  }

  /** Sets a mark without venue matching (the backtest sets the bar's open before signals are sized). */
  setMark(symbol: string, price: number, ts: number): void {
    const mark = this.marks.get(symbol);
    if (mark && mark.bid === undefined && mark.ask === undefined) {
      // A last-price mark moves in place (once per candle in a backtest: no object each time).
      mark.last = price;
      mark.ts = ts;
      mark.lastDec = undefined;
    } else {
      this.marks.set(symbol, { last: price, ts });
    }
  }

  updateMark(update: MarketUpdate, now: number): Mark | null {
    const venue = update.venue;
    let mark: Mark;
    switch (update.kind) {
      case "quote":
        mark = { last: (update.bid + update.ask) / 2, bid: update.bid, ask: update.ask, ts: now };
        break;
      case "trade":
        mark = { ...this.markAt(venue, update.symbol), last: update.price, ts: now, lastDec: undefined };
        break;
      case "candle":
        mark = { last: update.close, ts: now };
        break;
      case "book": {
        const bid = update.bids[0]?.[0];
        const ask = update.asks[0]?.[0];
        if (bid === undefined || ask === undefined) return null;
        mark = { last: (bid + ask) / 2, bid, ask, ts: now };
        break;
      }
      case "mark":
        mark = { ...this.markAt(venue, update.symbol), last: update.price, ts: now, lastDec: undefined };
        break;
    }
    if (venue !== undefined && this.cx.venues?.has(venue)) {
      let own = this.venueMarks.get(venue);
      if (!own) this.venueMarks.set(venue, (own = new Map<string, Mark>()));
      own.set(update.symbol, mark);
      // Its own object: setMark moves a desk-level mark in place.
      this.marks.set(update.symbol, { ...mark });
    } else {
      this.marks.set(update.symbol, mark);
      for (const own of this.venueMarks.values()) own.delete(update.symbol);
    }
    return mark;
  }

  /** Non-terminal reduce-only orders of a position (its working exits, resting take-profits, stops). */
  workingExitsFor(positionId: string): OrderRecord[] {
    const out: OrderRecord[] = [];
    for (const r of this.orders.heldFor(positionId)) if (r.order.reduceOnly && !isTerminal(r.order)) out.push(r);
    return out;
  }

  /** The store's meta of the last position saved: a position is saved several times (open, each fill), with the same one. */
  private savedMeta: PositionMeta = { strategy: null, signalId: null };

  persistPosition(record: PositionRecord, position: Position = record.position, state: ExitState | null = record.exit): void {
    const blob: PositionBlob = {
      state,
      entryOrderId: record.meta.entryOrderId ?? null,
      stopLoss: record.meta.stopLoss ?? null,
      takeProfit: record.meta.takeProfit ?? null,
    };
    // Set only when there is one (a conditional spread in the literal built every blob through V8's slow path).
    if (record.pendingClose) blob.pendingClose = { quantity: record.pendingClose.quantity?.toString() ?? null, reason: record.pendingClose.reason };
    // A value the store keeps as given (never changed): equal fields, the same object.
    let meta = this.savedMeta;
    if (meta.strategy !== record.meta.strategy || meta.signalId !== record.meta.signalId)
      this.savedMeta = meta = { strategy: record.meta.strategy, signalId: record.meta.signalId };
    // No closure for durably when the write goes straight to the store (every save but one audited action's first).
    if (this.cx.writesAlone()) this.cx.store.savePosition(position, blob, meta);
    else this.cx.durably(() => this.cx.store.savePosition(position, blob, meta));
  }

  /**
   * The open (and opening) positions on a symbol; with `owner`, only that owner's (a strategy, or `manual`): positions
   * belong to (venue, symbol, owner), and one engine has one venue, so (symbol, owner) is the key here.
   */
  openPositionsFor(symbol: string, owner?: string): readonly PositionRecord[] {
    // No list built when none matches (most signals: asked twice per signal), one shared empty list instead.
    let out: PositionRecord[] | null = null;
    for (const r of this.positions.values()) {
      if (r.position.symbol === symbol && r.position.state !== "CLOSED" && (owner === undefined || ownerOf(r.meta) === owner)) (out ??= []).push(r);
    }
    return out ?? NO_POSITIONS;
  }
}

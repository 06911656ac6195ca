/**
 * Several venues behind one engine. The set is itself a `Venue` (so the rooms keep calling `cx.venue.*`): a request
 * about an order goes to the venue that holds it (the order's `meta.venue` in the books), a new order to the venue
 * its spec names, cancel-all and the halt latch fan out to every member (or to one named venue), and one member's
 * failure (a throw, a refusal, a venue that is down) never stops the others' share. Each member keeps its own
 * resilience layer, event sink and in-doubt sink; events are attributed by their order's venue.
 *
 * Reads that only make sense for one venue (fills, balances, open orders, positions — reconciliation) run with the
 * set pinned to that member (`pinned`, an AsyncLocalStorage scope that follows the awaits of that one read), so the
 * rooms' `cx.venue.id` and `cx.venue.fetch*` name that member there. Never pinned, `id` is the first (primary) venue.
 * The pin never narrows what must reach every venue: cancel-all and the halt latch always fan out (a breaker trip
 * during one venue's reconciliation halts them all); one venue alone is asked for by name (`cancelAllAt`, `haltAt`).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Instrument } from "../core/instrument";
import type { Decimal } from "../core/money";
import type { MarketUpdate } from "../core/market-data";
import type { OrderSpec } from "../core/orders/types";
import type { VisibleBook } from "../core/algos/routing";
import { VisibleBooks } from "./venue-books";
import {
  FinalVenueError,
  type InDoubtReport,
  type OcoListSpec,
  type OtoListSpec,
  type OrderChanges,
  type Venue,
  type VenueBalance,
  type VenueEvent,
  type VenueFill,
  type VenueOrderSnapshot,
  type VenuePosition,
  type VenueStatus,
} from "../venues/venue";

/** What one venue quotes for a symbol, as the set last saw it in market data addressed to it. */
export interface VenueQuote {
  bid: number | null;
  ask: number | null;
  last: number;
  ts: number;
}

/** A venue's own trading state, on top of the desk's: PAUSED refuses new entries there, HALTED every new order. */
export type VenueTradingState = "ACTIVE" | "PAUSED" | "HALTED";

/** The exchange behind a venue (ccxt's id), "simulator" for a simulated one. */
export function exchangeOf(venue: Venue): string {
  return venue.exchangeName?.() ?? (venue.kind === "sim" ? "simulator" : venue.id);
}

export class VenueSet implements Venue {
  readonly kind: "sim" | "ccxt";
  private readonly members = new Map<string, Venue>();
  private readonly listings = new Map<string, Map<string, Instrument>>();
  private readonly scope = new AsyncLocalStorage<string>();
  /** (venue → symbol → quote) from market data addressed to one venue (or to all). */
  readonly quotes = new Map<string, Map<string, VenueQuote>>();
  readonly states = new Map<string, { state: VenueTradingState; reason: string; by: string; since: number }>();
  /** Which venue holds an order: set by the engine (the books' meta.venue). */
  venueOfOrder: (clientOrderId: string) => string | null = () => null;

  constructor(venues: readonly Venue[]) {
    if (venues.length === 0) throw new Error("A venue set needs at least one venue.");
    for (const venue of venues) {
      if (this.members.has(venue.id)) throw new Error(`Two venues share the id ${venue.id}: every venue needs its own id.`);
      this.members.set(venue.id, venue);
      this.listings.set(venue.id, new Map(venue.instruments().map((i) => [i.symbol, i])));
      this.quotes.set(venue.id, new Map());
    }
    this.kind = venues.every((v) => v.kind === "sim") ? "sim" : "ccxt";
  }

  /** The pinned venue's id inside `pinned`, else the primary (first) venue's. */
  get id(): string {
    return this.scope.getStore() ?? this.primary.id;
  }

  get primary(): Venue {
    return this.members.values().next().value!;
  }

  ids(): string[] {
    return [...this.members.keys()];
  }

  has(venueId: string): boolean {
    return this.members.has(venueId);
  }

  member(venueId: string): Venue {
    const venue = this.members.get(venueId);
    if (!venue) throw new Error(`No venue ${venueId} (venues: ${this.ids().join(", ")}).`);
    return venue;
  }

  /** The instrument a venue lists for a symbol, or undefined. */
  listing(venueId: string, symbol: string): Instrument | undefined {
    return this.listings.get(venueId)?.get(symbol);
  }

  /** Runs `fn` (and what it awaits) with the set pinned to one venue. */
  pinned<T>(venueId: string, fn: () => T): T {
    this.member(venueId);
    return this.scope.run(venueId, fn);
  }

  stateOf(venueId: string): VenueTradingState {
    return this.states.get(venueId)?.state ?? "ACTIVE";
  }

  private current(): Venue {
    const id = this.scope.getStore();
    return id ? this.member(id) : this.primary;
  }

  private holderOf(clientOrderId: string): Venue {
    const id = this.venueOfOrder(clientOrderId);
    return id && this.members.has(id) ? this.member(id) : this.current();
  }

  /** Every member, each asked on its own: a throw from one is kept in `lastErrors` and the others are still asked. */
  private each(fn: (venue: Venue) => VenueEvent[]): VenueEvent[] {
    const out: VenueEvent[] = [];
    for (const venue of this.members.values()) {
      try {
        out.push(...fn(venue));
      } catch (e) {
        this.lastErrors.set(venue.id, e instanceof Error ? e.message : String(e));
      }
    }
    return out;
  }

  /** The last synchronous error of a member during a fan-out (the others were still asked). */
  readonly lastErrors = new Map<string, string>();

  instruments(): Instrument[] {
    // The books key instruments by symbol: the first venue listing a symbol gives its rules (venues' own rules are in `listing`).
    const bySymbol = new Map<string, Instrument>();
    for (const listing of this.listings.values()) for (const [symbol, instrument] of listing) if (!bySymbol.has(symbol)) bySymbol.set(symbol, instrument);
    return [...bySymbol.values()];
  }

  setEventSink(sink: (events: VenueEvent[]) => void): void {
    for (const venue of this.members.values()) venue.setEventSink(sink);
  }

  setInDoubtSink(sink: (report: InDoubtReport) => void): void {
    for (const venue of this.members.values()) venue.setInDoubtSink?.(sink);
  }

  submit(spec: OrderSpec, now: number): VenueEvent[] {
    const id = this.venueOfOrder(spec.clientOrderId) ?? spec.venue;
    return (id && this.members.has(id) ? this.member(id) : this.current()).submit(spec, now);
  }

  holdsNatively(spec: OrderSpec): boolean {
    const id = spec.venue ?? this.venueOfOrder(spec.clientOrderId);
    const venue = id && this.members.has(id) ? this.member(id) : this.current();
    return venue.holdsNatively ? venue.holdsNatively(spec) : true;
  }

  /** An OCO list goes to the venue of its legs (both have the same). */
  private ocoVenue(list: OcoListSpec): Venue {
    const id = list.legs[0].venue ?? this.venueOfOrder(list.legs[0].clientOrderId);
    return id && this.members.has(id) ? this.member(id) : this.current();
  }

  holdsOcoNatively(list: OcoListSpec): boolean {
    return this.ocoVenue(list).holdsOcoNatively?.(list) ?? false;
  }

  submitOco(list: OcoListSpec, now: number): VenueEvent[] {
    const venue = this.ocoVenue(list);
    if (!venue.submitOco) throw new FinalVenueError(`OCO_NOT_NATIVE: ${venue.id} has no native OCO lists.`, "OCO_NOT_NATIVE");
    return venue.submitOco(list, now);
  }

  /** An OTO list goes to the venue of its orders (both have the same). */
  private otoVenue(list: OtoListSpec): Venue {
    const id = list.working.venue ?? this.venueOfOrder(list.working.clientOrderId);
    return id && this.members.has(id) ? this.member(id) : this.current();
  }

  holdsOtoNatively(list: OtoListSpec): boolean {
    return this.otoVenue(list).holdsOtoNatively?.(list) ?? false;
  }

  submitOto(list: OtoListSpec, now: number): VenueEvent[] {
    const venue = this.otoVenue(list);
    if (!venue.submitOto) throw new FinalVenueError(`OTO_NOT_NATIVE: ${venue.id} has no native OTO lists.`, "OTO_NOT_NATIVE");
    return venue.submitOto(list, now);
  }

  cancel(clientOrderId: string, now: number): VenueEvent[] {
    return this.holderOf(clientOrderId).cancel(clientOrderId, now);
  }

  cancelAll(symbol: string | undefined, now: number): VenueEvent[] {
    return this.each((venue) => venue.cancelAll(symbol, now));
  }

  /** Cancel-all at one venue only. */
  cancelAllAt(venueId: string, symbol: string | undefined, now: number): VenueEvent[] {
    return this.member(venueId).cancelAll(symbol, now);
  }

  modify(clientOrderId: string, changes: OrderChanges, now: number): VenueEvent[] {
    return this.holderOf(clientOrderId).modify(clientOrderId, changes, now);
  }

  /** Market data names its venue (`update.venue`) or, without one, is every venue's. */
  onMarketData(update: MarketUpdate, now: number): VenueEvent[] {
    const target = update.venue;
    if (target !== undefined && this.members.has(target)) {
      this.noteQuote(target, update, now);
      return this.member(target).onMarketData(update, now);
    }
    const out: VenueEvent[] = [];
    for (const venue of this.members.values()) {
      this.noteQuote(venue.id, update, now);
      out.push(...venue.onMarketData(update, now));
    }
    return out;
  }

  private noteQuote(venueId: string, update: MarketUpdate, now: number): void {
    this.books.note(venueId, update, now);
    const quotes = this.quotes.get(venueId)!;
    const before = quotes.get(update.symbol);
    switch (update.kind) {
      case "quote":
        quotes.set(update.symbol, { bid: update.bid, ask: update.ask, last: (update.bid + update.ask) / 2, ts: now });
        break;
      case "book": {
        const bid = update.bids[0]?.[0] ?? null;
        const ask = update.asks[0]?.[0] ?? null;
        if (bid !== null && ask !== null) quotes.set(update.symbol, { bid, ask, last: (bid + ask) / 2, ts: now });
        break;
      }
      case "trade":
      case "mark":
        quotes.set(update.symbol, { bid: before?.bid ?? null, ask: before?.ask ?? null, last: update.price, ts: now });
        break;
      case "candle":
        quotes.set(update.symbol, { bid: null, ask: null, last: update.close, ts: now });
        break;
    }
  }

  advanceTo(now: number): VenueEvent[] {
    const out: VenueEvent[] = [];
    for (const venue of this.members.values()) out.push(...venue.advanceTo(now));
    return out;
  }

  fetchOrder(clientOrderId: string): Promise<VenueOrderSnapshot | null> {
    return this.holderOf(clientOrderId).fetchOrder(clientOrderId);
  }

  // Unpinned, the whole-account reads ask every venue; reconciliation pins them to one venue at a time.
  async fetchOpenOrders(): Promise<VenueOrderSnapshot[]> {
    return this.gather((venue) => venue.fetchOpenOrders());
  }

  async fetchFills(since: number): Promise<VenueFill[]> {
    return this.gather((venue) => venue.fetchFills(since));
  }

  async fetchBalances(): Promise<VenueBalance[]> {
    return this.current().fetchBalances();
  }

  async fetchPositions(): Promise<VenuePosition[]> {
    const venue = this.current();
    return venue.fetchPositions ? venue.fetchPositions() : [];
  }

  private async gather<T>(read: (venue: Venue) => Promise<T[]>): Promise<T[]> {
    const pin = this.scope.getStore();
    if (pin) return read(this.member(pin));
    const results = await Promise.all([...this.members.values()].map((venue) => read(venue)));
    return results.flat();
  }

  freeBalance(currency: string): Decimal | null {
    return this.current().freeBalance(currency);
  }

  /** Connected when every member is; each member's own status is in `statuses()`. */
  status(): VenueStatus {
    const pin = this.scope.getStore();
    if (pin) return this.member(pin).status();
    const all = this.statuses();
    const down = all.filter((s) => !s.connected);
    const latencies = all.map((s) => s.latencyMs).filter((l): l is number => l !== null);
    return {
      connected: down.length === 0,
      latencyMs: latencies.length > 0 ? Math.max(...latencies) : null,
      lastError: down.length > 0 ? down.map((s) => `${s.id}: ${s.lastError ?? "not connected"}`).join("; ") : null,
    };
  }

  statuses(): (VenueStatus & { id: string; kind: "sim" | "ccxt"; exchange: string })[] {
    return [...this.members.values()].map((venue) => ({ ...venue.status(), id: venue.id, kind: venue.kind, exchange: exchangeOf(venue) }));
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.members.values()].map((venue) => venue.close()));
  }

  submitFenceMs(symbol: string): number | null {
    const venue = this.current();
    return venue.submitFenceMs?.(symbol) ?? null;
  }

  requestInFlight(clientOrderId: string): boolean {
    return this.holderOf(clientOrderId).requestInFlight?.(clientOrderId) ?? false;
  }

  haltNewOrders(): string[] {
    return [...this.members.values()].flatMap((venue) => venue.haltNewOrders?.() ?? []);
  }

  resumeNewOrders(): void {
    // A venue halted on its own stays closed when the desk resumes.
    for (const venue of this.members.values()) if (this.stateOf(venue.id) !== "HALTED") venue.resumeNewOrders?.();
  }

  /** The books seen in market data and fetched (venue-books.ts), for routing. */
  readonly books = new VisibleBooks();

  /**
   * What a venue shows of a symbol's book, at most `depth` levels a side: its own (the simulator's) when it keeps one,
   * else the last one seen in market data or fetched; null when none is known.
   */
  visibleBookAt(venueId: string, symbol: string, depth: number): VisibleBook | null {
    const own = this.member(venueId).visibleBook?.(symbol, depth);
    if (!own) return this.books.get(venueId, symbol, depth);
    // A venue's own book that says no time (the simulator's) is as old as the book or quote it was last fed.
    return own.ts === null ? { ...own, ts: this.books.seenAt(venueId, symbol) } : own;
  }

  /** Asks every venue that can be asked (fetchVisibleBook) for a symbol's book; a failure is kept as that venue's reason. */
  async refreshBooks(symbol: string, depth: number): Promise<void> {
    await Promise.all(
      [...this.members.values()].map(async (venue) => {
        if (!venue.fetchVisibleBook || !this.listing(venue.id, symbol)) return;
        try {
          this.books.set(venue.id, symbol, await venue.fetchVisibleBook(symbol, depth));
          this.books.fetchErrors.delete(venue.id);
        } catch (e) {
          this.books.fetchErrors.set(venue.id, e instanceof Error ? e.message : String(e));
        }
      }),
    );
  }

  /** The halt latch of one venue: what its resilience layer still queued is dropped (ids returned). */
  haltAt(venueId: string): string[] {
    return this.member(venueId).haltNewOrders?.() ?? [];
  }

  resumeAt(venueId: string): void {
    this.member(venueId).resumeNewOrders?.();
  }
}

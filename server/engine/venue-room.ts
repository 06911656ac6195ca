/**
 * The venues room: what a desk with several venues adds to the engine — which venue an entry goes to (named, the
 * venue its position lives on, or the best net price among connected venues, recorded with the order), each venue's
 * own pause/halt/cancel-all, reconciliation one venue at a time (one venue down never stops the others'), and the
 * per-venue view (connection, balances, open orders, positions, equity share). On a single-venue desk it answers for
 * that one venue, so callers need not ask which kind of desk they are on.
 */
import { chooseVenue, type VenueChoice, type VenueOffer } from "../core/algos/venue-choice";
import type { Instrument } from "../core/instrument";
import { add, D, Decimal, ZERO } from "../core/money";
import { isTerminal, type OrderSide, type OrderSpec } from "../core/orders";
import { unrealizedPnl } from "../core/positions";
import type { VenueBalance } from "../venues/venue";
import type { Actor, CommandResult, EmergencyProgress, HaltRun, OrderRecord, PositionRecord } from "./types";
import { done, fail, markDecimal, resultMessage, type EngineContext } from "./context";
import { exchangeOf, type VenueTradingState } from "./venue-set";

export interface VenueView {
  id: string;
  exchange: string;
  connected: boolean;
  latencyMs: number | null;
  lastError: string | null;
  state: VenueTradingState;
  stateReason: string | null;
  openOrders: number;
  openPositions: number;
  /** Open positions at the marks, in the desk's quote currency (null when a position's quote has no mark to convert at). */
  exposure: string | null;
  unrealized: string | null;
  /** Why a figure above is missing (a quote currency without a conversion mark). */
  conversionNote: string | null;
  balances: { currency: string; free: string; total: string }[];
}

export type VenueRoute = { ok: true; venue: string; instrument: Instrument; choice: VenueChoice | null } | { ok: false; result: CommandResult };

export class VenueRoom {
  constructor(private readonly cx: EngineContext) {}

  /** Every venue id, the primary first. */
  ids(): string[] {
    return this.cx.venues?.ids() ?? [this.cx.venue.id];
  }

  private unknownVenue(venue: string): CommandResult {
    return fail("UNKNOWN_VENUE", `There is no venue '${venue}' on this desk; its venues are ${this.ids().join(", ")}.`);
  }

  /** A named venue that is not one of this desk's, refused in words; null when it is. */
  namedVenueRefusal(venue: string): CommandResult | null {
    return this.ids().includes(venue) ? null : this.unknownVenue(venue);
  }

  /** The venue a position lives on: the venue of the order that opened it. */
  venueOfPosition(record: PositionRecord): string {
    const entry = record.meta.entryOrderId;
    if (entry) {
      const venue = this.cx.books.orders.get(entry)?.meta.venue ?? this.cx.store.getOrder(entry)?.meta.venue;
      if (venue) return venue;
    }
    return this.cx.venue.id;
  }

  /** Which venue holds an order (its meta.venue), or null when the books do not know it. */
  venueOfOrder(clientOrderId: string): string | null {
    return (
      this.cx.books.orders.get(clientOrderId)?.meta.venue ??
      this.cx.store.getOrder(clientOrderId)?.meta.venue ??
      this.cx.unknowns.unknownOrders.get(clientOrderId)?.venue ??
      null
    );
  }

  /** Why a new order may not go to its venue now (unknown venue, not listed there, paused or halted there), or null. */
  refusal(spec: OrderSpec): CommandResult | null {
    const set = this.cx.venues;
    const venue = spec.venue;
    if (!set || venue === undefined) return venue === undefined || venue === this.cx.venue.id ? null : this.unknownVenue(venue);
    if (!set.has(venue)) return this.unknownVenue(venue);
    if (!set.listing(venue, spec.symbol)) return fail("UNKNOWN_SYMBOL", `${spec.symbol} is not traded on ${venue}.`);
    const state = set.stateOf(venue);
    if (state === "HALTED") return fail("VENUE_HALTED", `Trading on ${venue} is halted (${set.states.get(venue)?.reason ?? ""}); resume it first.`);
    if (state === "PAUSED" && !spec.reduceOnly && spec.tags?.reason === "entry")
      return fail("VENUE_PAUSED", `Entries on ${venue} are paused (${set.states.get(venue)?.reason ?? ""}): only orders that reduce are sent there.`);
    return null;
  }

  /**
   * The venue an entry goes to: the one named (refused in words when unknown or not listing the symbol), else the venue
   * the strategy's position on this side already lives on, else the best quoted price net of the taker fee among the
   * venues that are connected, active and list the symbol — with every venue's offer recorded.
   */
  routeEntry(symbol: string, side: OrderSide, named: string | undefined, positionVenues: readonly string[]): VenueRoute {
    const set = this.cx.venues;
    if (!set) {
      if (named !== undefined && named !== this.cx.venue.id) return { ok: false, result: this.unknownVenue(named) };
      const instrument = this.cx.books.instruments.get(symbol);
      if (!instrument) return { ok: false, result: fail("UNKNOWN_SYMBOL", `${symbol} is not traded on ${this.cx.venue.id}.`) };
      return { ok: true, venue: this.cx.venue.id, instrument, choice: null };
    }
    if (named !== undefined) {
      if (!set.has(named)) return { ok: false, result: this.unknownVenue(named) };
      const instrument = set.listing(named, symbol);
      if (!instrument) return { ok: false, result: fail("UNKNOWN_SYMBOL", `${symbol} is not traded on ${named}.`) };
      return { ok: true, venue: named, instrument, choice: null };
    }
    // Adds go where the position lives, while that venue takes entries (else a new position opens where routing says).
    const held = positionVenues.find((v) => set.has(v) && set.stateOf(v) === "ACTIVE" && set.member(v).status().connected);
    if (held) {
      const instrument = set.listing(held, symbol);
      if (instrument) return { ok: true, venue: held, instrument, choice: null };
    }
    const offers: VenueOffer[] = set.ids().map((venue) => {
      const instrument = set.listing(venue, symbol);
      const quote = set.quotes.get(venue)?.get(symbol);
      const touch = quote ? ((side === "BUY" ? quote.ask : quote.bid) ?? quote.last) : null;
      const price = touch === null ? null : D(touch);
      const takerFee = instrument?.takerFee ?? ZERO;
      const status = set.member(venue).status();
      const state = set.stateOf(venue);
      const unavailable = !instrument
        ? `does not list ${symbol}`
        : !status.connected
          ? `down (${status.lastError ?? "not connected"})`
          : state !== "ACTIVE"
            ? `${state.toLowerCase()} (${set.states.get(venue)?.reason ?? ""})`
            : undefined;
      return { venue, price, takerFee, ...(unavailable !== undefined && { unavailable }) };
    });
    const choice = chooseVenue(side, offers);
    if (!choice.chosen)
      return { ok: false, result: fail("NO_VENUE", `No venue can take a ${side} of ${symbol}: ${choice.summary}`, { route: choice.summary }) };
    return { ok: true, venue: choice.chosen, instrument: set.listing(choice.chosen, symbol)!, choice };
  }

  /** A venue's last quoted touch for a side (the set's quotes), or null (single venue: the mark is the price). */
  touch(venue: string, symbol: string, side: OrderSide): Decimal | null {
    const quote = this.cx.venues?.quotes.get(venue)?.get(symbol);
    if (!quote) return null;
    const price = (side === "BUY" ? quote.ask : quote.bid) ?? quote.last;
    return price > 0 ? new Decimal(price) : null;
  }

  /** The free balance a venue reports for a currency without a request. */
  freeBalance(venue: string, currency: string): Decimal | null {
    return (this.cx.venues?.has(venue) ? this.cx.venues.member(venue) : this.cx.venue).freeBalance(currency);
  }

  // ---------------------------------------------------------------------------------------------
  // One venue's own controls (the desk's pause/halt stay in emergency.ts).

  private requireVenue(venue: string): CommandResult | null {
    if (!this.cx.venues) return venue === this.cx.venue.id ? null : this.unknownVenue(venue);
    return this.cx.venues.has(venue) ? null : this.unknownVenue(venue);
  }

  private setVenueState(venue: string, state: VenueTradingState, reason: string, by: string): void {
    const set = this.cx.venues!;
    const now = this.cx.clock.now();
    if (state === "ACTIVE") set.states.delete(venue);
    else set.states.set(venue, { state, reason, by, since: now });
    this.cx.durably(() => {
      this.cx.store.setState("venueStates", Object.fromEntries(set.states));
      this.cx.store.appendBreakerEvent({ ts: now, kind: "STATE", reason: state, message: `${venue}: ${reason}`, by, action: null, detail: null });
    });
    this.cx.bus.publish({
      type: "alert",
      level: state === "ACTIVE" ? "info" : "warn",
      message: `Venue ${venue}: ${state.toLowerCase()} (${reason}) by ${by}.`,
    });
  }

  /**
   * At start: every symbol this desk lists, with its venue, into the store's instruments (History shows a trade's
   * prices and quantity at its symbol's decimals; the trade holds its own venue). A symbol on several venues is deleted
   * instead: their decimals may differ, and a row names one venue (History then shows the exact stored figures).
   */
  saveListings(): void {
    const set = this.cx.venues;
    const now = this.cx.clock.now();
    this.cx.transaction(() => {
      for (const [symbol, instrument] of this.cx.books.instruments) {
        const listedOn = set ? set.ids().filter((venue) => set.listing(venue, symbol)) : [this.cx.venue.id];
        const [only] = listedOn;
        if (listedOn.length === 1 && only !== undefined) this.cx.store.saveInstrument(only, instrument, now);
        else this.cx.store.deleteInstrument(symbol);
      }
    });
  }

  /** Restores per-venue pauses and halts from the books (a halted venue's latch is closed again). */
  restore(): void {
    const set = this.cx.venues;
    if (!set) return;
    const stored = this.cx.store.getState<Record<string, { state: VenueTradingState; reason: string; by: string; since: number }>>("venueStates") ?? {};
    for (const [venue, info] of Object.entries(stored)) {
      if (!set.has(venue)) continue;
      set.states.set(venue, info);
      if (info.state === "HALTED") set.haltAt(venue);
    }
  }

  pauseVenue(venue: string, actor: Actor, reason: string | null): CommandResult {
    const unknown = this.requireVenue(venue);
    if (unknown) return unknown;
    if (!this.cx.venues) return this.cx.emergency.pause(actor, reason);
    const state = this.cx.venues.stateOf(venue);
    if (state === "HALTED") return fail("VENUE_HALTED", `Trading on ${venue} is halted; resume it first.`);
    if (state === "PAUSED") return done(`Entries on ${venue} are already paused.`);
    this.setVenueState(venue, "PAUSED", reason ?? "entries paused", actor.username);
    return done(`Entries on ${venue} paused: only orders that reduce are sent there; the other venues trade on.`, { venue });
  }

  resumeVenue(venue: string, actor: Actor, reason: string | null): CommandResult {
    const unknown = this.requireVenue(venue);
    if (unknown) return unknown;
    if (!this.cx.venues) return this.cx.emergency.resume(actor, reason);
    if (this.cx.venues.stateOf(venue) === "ACTIVE") return done(`${venue} is already active.`);
    this.setVenueState(venue, "ACTIVE", reason ?? "resumed", actor.username);
    if (this.cx.tradingState !== "HALTED") this.cx.venues.resumeAt(venue);
    return done(`${venue} resumed.`, { venue });
  }

  /** Cancel-all at one venue (its orders in the books, then one batch request there). */
  cancelAllAt(venue: string, symbol: string | undefined): CommandResult {
    const unknown = this.requireVenue(venue);
    if (unknown) return unknown;
    return this.cx.ledger.cancelAllOrders(symbol, venue);
  }

  /**
   * Halts one venue: no new order goes there, what its resilience layer still queued is dropped, every open order
   * there is canceled and, with `flatten`, its positions are closed with reduce-only market orders. The other
   * venues trade on.
   */
  haltVenue(venue: string, flatten: boolean, actor: Actor, reason: string): CommandResult {
    if (!reason.trim()) return fail("REASON_REQUIRED", "Halting a venue needs a reason.");
    const unknown = this.requireVenue(venue);
    if (unknown) return unknown;
    const set = this.cx.venues;
    if (!set) return this.cx.emergency.emergencyStop(flatten, actor, reason);
    this.setVenueState(venue, "HALTED", reason, actor.username);
    const dropped = set.haltAt(venue);
    const now = this.cx.clock.now();
    for (const coid of dropped)
      this.cx.ledger.ingest(
        [{ clientOrderId: coid, event: { type: "deny", reason: `VENUE_HALTED: ${venue} was halted before this order reached it; it was not sent.`, ts: now } }],
        "venue",
      );
    const canceled = this.cx.ledger.cancelAllOrders(undefined, venue);
    let flattened = 0;
    if (flatten) {
      for (const record of [...this.cx.books.positions.values()]) {
        if (this.venueOfPosition(record) !== venue || record.position.quantity.isZero()) continue;
        const mark = this.cx.books.markOfPosition(record);
        const result = this.cx.watchers.closeWhenFree(
          record,
          record.position.quantity,
          true,
          "emergency_stop",
          mark ? markDecimal(mark) : (record.position.avgEntryPrice ?? ZERO),
        );
        if (result.ok) flattened++;
        else this.cx.log("warn", `halt of ${venue}: flattening ${record.position.id} refused: ${result.error.code} ${result.error.message}`);
      }
    }
    return done(`${venue} halted: ${resultMessage(canceled)}${flatten ? ` ${flattened} position(s) being flattened there.` : ""} The other venues trade on.`, {
      venue,
      ...canceled.data,
      flattened,
    });
  }

  // ---------------------------------------------------------------------------------------------
  // The desk's emergency stop, counted per venue (emergency.ts runs it on every venue at once)

  emptyProgress(venue: string): NonNullable<EmergencyProgress["venues"]>[number] {
    return { venue, ordersToCancel: 0, ordersCanceled: 0, positionsToFlatten: 0, positionsFlattened: 0 };
  }

  private progressOf(run: HaltRun, venue: string): NonNullable<EmergencyProgress["venues"]>[number] | undefined {
    return run.progress.venues?.find((v) => v.venue === venue);
  }

  countHaltOrders(run: HaltRun, open: readonly OrderRecord[]): void {
    if (!run.venueOf) return;
    for (const record of open) {
      run.venueOf.set(record.order.clientOrderId, record.meta.venue);
      const entry = this.progressOf(run, record.meta.venue);
      if (entry) entry.ordersToCancel++;
    }
  }

  countHaltPositions(run: HaltRun, positions: readonly PositionRecord[]): void {
    if (!run.venueOf) return;
    for (const record of positions) {
      const venue = this.venueOfPosition(record);
      run.venueOf.set(record.position.id, venue);
      const entry = this.progressOf(run, venue);
      if (entry) entry.positionsToFlatten++;
    }
  }

  countHaltProgress(run: HaltRun, id: string, field: "ordersCanceled" | "positionsFlattened"): void {
    const venue = run.venueOf?.get(id);
    const entry = venue === undefined ? undefined : this.progressOf(run, venue);
    if (entry) entry[field]++;
  }

  copyProgress(progress: EmergencyProgress): EmergencyProgress {
    return progress.venues ? { ...progress, venues: progress.venues.map((v) => ({ ...v })) } : { ...progress };
  }

  // ---------------------------------------------------------------------------------------------
  // Reconciliation one venue at a time

  /**
   * Runs `reconcileOne` for every venue, each pinned to its venue and concurrently: a venue that fails (down, a
   * timeout) is reported and the others' results stand. Throws only when every venue failed.
   */
  async reconcileEach(reconcileOne: () => Promise<number>): Promise<number> {
    const set = this.cx.venues;
    if (!set) return reconcileOne();
    const results = await Promise.allSettled(set.ids().map((venue) => set.pinned(venue, reconcileOne)));
    let drifts = 0;
    const failures: string[] = [];
    results.forEach((result, i) => {
      if (result.status === "fulfilled") drifts += result.value;
      else failures.push(`${set.ids()[i]}: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}`);
    });
    if (failures.length === results.length) throw new Error(`Reconciliation failed on every venue (${failures.join("; ")}).`);
    for (const failure of failures) this.cx.log("warn", `reconciliation of ${failure}; the other venues were reconciled`);
    return drifts;
  }

  /** Runs `fn` pinned to the venue that holds an order (its in-doubt lookups, its fence), or as it is when unknown. */
  atVenueOf<T>(clientOrderId: string, fn: () => T): T {
    const venue = this.cx.venues ? this.venueOfOrder(clientOrderId) : null;
    return venue && this.cx.venues!.has(venue) ? this.cx.venues!.pinned(venue, fn) : fn();
  }

  /** Inside a pinned reconciliation: whether an order belongs to the venue being reconciled (always, on a single venue). */
  isReconciled(venue: string): boolean {
    return !this.cx.venues || venue === this.cx.venue.id;
  }

  // ---------------------------------------------------------------------------------------------
  // Views

  /** Each venue's connection (health): id, exchange, connected, latency, last error. */
  statuses(): { id: string; exchange: string; connected: boolean; latencyMs: number | null; lastError: string | null }[] {
    const set = this.cx.venues;
    const all = set ? set.statuses() : [{ ...this.cx.venue.status(), id: this.cx.venue.id, exchange: exchangeOf(this.cx.venue) }];
    return all.map((s) => ({ id: s.id, exchange: s.exchange, connected: s.connected, latencyMs: s.latencyMs, lastError: s.lastError }));
  }

  /** Each venue: connection, its own state, open orders and positions, exposure and unrealized PnL in the desk's quote, balances. */
  views(): VenueView[] {
    const set = this.cx.venues;
    const statuses = set
      ? set.statuses()
      : [{ ...this.cx.venue.status(), id: this.cx.venue.id, kind: this.cx.venue.kind, exchange: exchangeOf(this.cx.venue) }];
    return statuses.map((status) => {
      let openOrders = 0;
      for (const r of this.cx.books.orders.values()) if (!isTerminal(r.order) && (r.meta.venue === status.id || (!set && true))) openOrders++;
      let exposure: Decimal | null = ZERO;
      let unrealized: Decimal | null = ZERO;
      let openPositions = 0;
      const missing = new Set<string>();
      for (const record of this.cx.books.positions.values()) {
        if (record.position.quantity.isZero() || (set && this.cx.books.venueOfPosition(record) !== status.id)) continue;
        openPositions++;
        const mark = this.cx.books.markOfPosition(record);
        const price = mark ? markDecimal(mark) : (record.position.avgEntryPrice ?? ZERO);
        const quote = (set?.listing(status.id, record.position.symbol) ?? this.cx.books.instruments.get(record.position.symbol))?.quote ?? this.cx.quote;
        const rate = this.conversionRate(quote);
        if (rate === null) {
          missing.add(quote);
          continue;
        }
        exposure = add(exposure, record.position.quantity.times(price).times(rate));
        unrealized = add(unrealized, unrealizedPnl(record.position, price).times(rate));
      }
      if (missing.size > 0) {
        exposure = null;
        unrealized = null;
      }
      const balances: VenueBalance[] = this.cx.store.loadBalances(status.id);
      const state = set?.stateOf(status.id) ?? (this.cx.tradingState === "REDUCING" ? "PAUSED" : this.cx.tradingState);
      return {
        id: status.id,
        exchange: status.exchange,
        connected: status.connected,
        latencyMs: status.latencyMs,
        lastError: status.lastError,
        state,
        stateReason: set?.states.get(status.id)?.reason ?? null,
        openOrders,
        openPositions,
        exposure: exposure?.toString() ?? null,
        unrealized: unrealized?.toString() ?? null,
        conversionNote:
          missing.size > 0
            ? `no mark to convert ${[...missing].join(", ")} into ${this.cx.quote}: this venue's exposure is not counted in ${this.cx.quote}`
            : null,
        balances: balances.map((b) => ({ currency: b.currency, free: b.free.toString(), total: b.total.toString() })),
      };
    });
  }

  /** Units of the desk's quote per unit of `currency` (a conversion mark, or a configured fixed rate; accounting.ts), or null. */
  conversionRate(currency: string): Decimal | null {
    return this.cx.accounting.conversionRate(currency)?.rate ?? null;
  }
}

/**
 * The ledger: venue events are journaled and applied in one transaction (order FSM → fills → positions → exact
 * PnL), once per (venue, tradeId); positions are settled and finished into trade records; cancels are journaled
 * before they are sent. Called only from inside the engine's queue.
 */
import type { BreakerTrip } from "../core/breaker";
import { D, type Decimal, isPositive, ZERO } from "../core/money";
import { applyOrderEvent, isTerminal, type Order, type OrderEvent } from "../core/orders";
import { applyFill, createExitState, exitReasonOf, tradeRecordOf, openPosition, type Position, type PositionSide } from "../core/positions";
import type { VenueEvent } from "../core/orders/events";
import type { FillRecord, TradeRecord } from "../db/store";
import { exitConfigFor } from "./settings";
import type { CommandResult, OrderRecord, PositionRecord, QuoteExpectation } from "./types";
import { TERMINAL_STATUSES, fail, done, type EngineContext } from "./context";

/** The quote expectations as stored (exact decimal text per currency). */
type StoredQuoteLedger = Record<string, { expected: string; fees: string }>;

function quoteLedgerOf(stored: StoredQuoteLedger): Map<string, QuoteExpectation> {
  return new Map(Object.entries(stored).map(([currency, e]) => [currency, { expected: D(e.expected), fees: D(e.fees) }]));
}

export class Ledger {
  constructor(private readonly cx: EngineContext) {}

  /** The venue an order is on. One venue: the desk's, whichever venue the order names (no look-up of it per fill). */
  private venueOf(order: Order): string {
    return this.cx.venues ? (order.venue ?? this.cx.venueRoom.venueOfOrder(order.clientOrderId) ?? this.cx.venue.id) : this.cx.venue.id;
  }

  /** A booked spot fill moves the expected quote balance by its cash (inside the fill's transaction). */
  private noteQuoteFlow(order: Order, qty: Decimal, price: Decimal, fee: Decimal): void {
    const instrument = this.cx.books.instruments.get(order.symbol);
    if (!instrument || instrument.kind !== "spot") return;
    const venue = this.venueOf(order);
    // Not anchored yet (a backtest never is): the next reconciliation takes the venue's figure. Checked on the stored
    // record before decoding the whole ledger for every fill.
    const stored = this.cx.store.getState<StoredQuoteLedger>(this.quoteLedgerKey(venue));
    if (stored === null || !Object.hasOwn(stored, instrument.quote)) return;
    const ledger = quoteLedgerOf(stored);
    const known = ledger.get(instrument.quote);
    if (!known) return;
    const notional = qty.times(price);
    const expected = order.side === "BUY" ? known.expected.minus(notional).minus(fee) : known.expected.plus(notional).minus(fee);
    ledger.set(instrument.quote, { expected, fees: known.fees.plus(fee.abs()) });
    this.saveQuoteLedger(ledger, venue);
  }

  /** Where a venue's quote expectations are kept: each venue of a desk with several has its own (the primary keeps the single-venue key). */
  private quoteLedgerKey(venue: string): string {
    return this.cx.venues && venue !== this.cx.venues.primary.id ? `quoteLedger:${venue}` : "quoteLedger";
  }

  /** Read from the store each time (no copy in memory): a fill's transaction that rolls back takes its cash with it. */
  loadQuoteLedger(venue: string = this.cx.venue.id): Map<string, QuoteExpectation> {
    return quoteLedgerOf(this.cx.store.getState<StoredQuoteLedger>(this.quoteLedgerKey(venue)) ?? {});
  }

  saveQuoteLedger(ledger: Map<string, QuoteExpectation>, venue: string = this.cx.venue.id): void {
    const out: Record<string, { expected: string; fees: string }> = {};
    for (const [currency, e] of ledger) out[currency] = { expected: e.expected.toString(), fees: e.fees.toString() };
    this.cx.store.setState(this.quoteLedgerKey(venue), out);
  }

  // ---------------------------------------------------------------------------------------------
  // Venue events: journal, apply to the FSM, book fills to positions.

  ingest(events: VenueEvent[], source: "venue" | "reconcile"): void {
    for (const { clientOrderId, event } of events) this.ingestOne(clientOrderId, event, source);
  }

  /** Reasons of cancels the engine requested for its own reasons (GTD expiry), until the venue confirms them. */
  private readonly cancelReasons = new Map<string, string>();

  private ingestOne(clientOrderId: string, event: OrderEvent, source: "venue" | "reconcile"): void {
    const record = this.cx.books.orders.get(clientOrderId) ?? this.cx.store.getOrder(clientOrderId);
    const ts = event.ts ?? this.cx.clock.now();
    if (!record) {
      if (this.cx.unknowns.onUnknownOrderCancelEvent(clientOrderId, event, source, ts)) return;
      this.cx.store.appendJournal({ clientOrderId, type: event.type, source, payload: event, applied: false, refusal: "UNKNOWN_ORDER", ts });
      this.cx.reconciliation.drift("UNKNOWN_ORDER_EVENT", clientOrderId, { event: event.type }, false, null);
      return;
    }
    if (event.type === "fill" && this.cx.store.hasFill(record.meta.venue, String(event.tradeId))) return; // exactly once
    // A cancel the engine asked for with a reason of its own (a GTD expiry) says so on the order.
    const engineReason = event.type === "cancel" ? this.cancelReasons.get(clientOrderId) : undefined;
    if (engineReason !== undefined) {
      this.cancelReasons.delete(clientOrderId);
      event = { ...event, reason: engineReason } as OrderEvent;
    }
    const result = applyOrderEvent(record.order, event);
    if (!result.ok) {
      this.cx.store.appendJournal({
        clientOrderId,
        type: event.type,
        source,
        payload: event,
        applied: false,
        refusal: `${result.error.code}: ${result.error.message}`,
        ts,
      });
      if (result.error.code === "TERMINAL" && (event.type === "accept" || event.type === "trigger") && record.order.status !== "FILLED")
        this.cx.reconciliation.checkEndedOrder(clientOrderId);
      // A fill the order cannot take (over its quantity, or on a FILLED order) is not booked: it may be an
      // execution already booked, reported again under another id. Recorded and raised for a person, never silent.
      if (result.error.code === "OVERFILL" || (event.type === "fill" && result.error.code === "TERMINAL")) {
        const key = `${record.meta.venue}:${String((event as { tradeId?: unknown }).tradeId)}`;
        if (this.cx.reconciliation.refusedFills.has(key)) return; // recorded already; every reconciliation sees it again
        this.cx.reconciliation.refusedFills.add(key);
        const o = record.order;
        this.cx.reconciliation.drift(
          "OVERFILL",
          clientOrderId,
          { event, status: o.status, quantity: o.quantity.toString(), filled: o.filledQty.toString() },
          false,
          "not booked: check the venue's trades",
        );
        this.cx.bus.publish({
          type: "alert",
          level: "error",
          message: `${result.error.message} Not booked: check ${this.cx.venue.id}'s trades for order ${clientOrderId}.`,
        });
      }
      return;
    }
    const order = result.order;
    const late = event.type === "fill" && TERMINAL_STATUSES.has(record.order.status);
    this.cx.transaction(() => {
      this.cx.store.appendJournal({ clientOrderId, type: event.type, source, payload: event, applied: true, ts });
      this.cx.books.orders.replaceOrder(record, order);
      this.cx.store.saveOrder(order, record.meta);
      if (event.type === "fill") this.bookFill(record, event, late, ts);
    });
    this.settleOrder(record);
    if (late && event.type === "fill") this.cx.reconciliation.noteLateFill(record, event);
  }

  /**
   * A new order's acceptance, in the intent's own transaction (a simulator that saves into this database answered inside
   * it): when the venue's whole answer is the acceptance of this order, it is journaled here, to commit with the intent,
   * and the accepted order returned (the caller saves its row in the same transaction and applies it to memory after the
   * commit: settleAccepted). Null otherwise: the answer is then ingested after the commit, as every venue's is.
   */
  acceptInTransaction(order: Order, events: VenueEvent[]): Order | null {
    if (events.length !== 1) return null;
    const { clientOrderId, event } = events[0]!;
    if (clientOrderId !== order.clientOrderId || event.type !== "accept") return null;
    const result = applyOrderEvent(order, event);
    if (!result.ok) return null;
    const ts = event.ts ?? this.cx.clock.now();
    this.cx.store.appendJournal({ clientOrderId, type: event.type, source: "venue", payload: event, applied: true, ts });
    return result.order;
  }

  /** After the commit of acceptInTransaction: memory follows, as after any ingested event. */
  settleAccepted(clientOrderId: string, order: Order): void {
    const record = this.cx.books.orders.get(clientOrderId);
    if (!record) return;
    this.cx.books.orders.replaceOrder(record, order);
    this.settleOrder(record);
  }

  /** After an order changed: positions learn it ended, the in-memory set follows, the bus and a running emergency stop hear of it. */
  settleOrder(record: OrderRecord): void {
    if (this.bookingFill) this.afterFillCommit();
    const order = record.order;
    const ended = TERMINAL_STATUSES.has(order.status); // isTerminal, asked once
    if (order.status !== "EMULATED") this.cx.books.emulated.delete(order.clientOrderId);
    if (ended) {
      this.onOrderDone(record);
      this.cx.books.orders.delete(order.clientOrderId);
    } else this.cx.books.orders.set(order.clientOrderId, record);
    this.cx.bus.publish({ type: "order", order });
    // Cancel-replace amends and order lists react to their orders (after the change committed).
    this.cx.amends.onOrderChanged(record);
    if (order.listId !== null) this.cx.lists.onOrderChanged(record);
    if (ended) this.cx.emergency.onHaltOrderEnded(order.clientOrderId, order.status);
    if (this.cx.doubts.inDoubt.size > 0) this.cx.doubts.onInDoubtOrderChanged(order);
    if (order.tags.parentId) this.cx.algos.onChildOrder(order);
    if (order.tags.routeId) this.cx.routes.onChildOrder(order);
    if (order.tags.arbId) this.cx.arbitrage.onOrder(order);
  }

  private bookFill(record: OrderRecord, event: Extract<OrderEvent, { type: "fill" }>, late: boolean, ts: number): void {
    this.bookingFill = true; // inside the fill's transaction: venue calls wait for its commit (settleOrder)
    const order = record.order;
    const qty = D(event.qty);
    const price = D(event.price);
    const fee = event.fee === undefined ? ZERO : D(event.fee);
    const tradeId = String(event.tradeId);
    let positionRecord = record.meta.positionId ? this.cx.books.positions.get(record.meta.positionId) : undefined;
    if (!positionRecord || positionRecord.position.state === "CLOSED") {
      // A real execution with no open position to book it to (e.g. a late fill after the position closed):
      // it opens a position of its own, never dropped.
      const side: PositionSide = order.side === "BUY" ? "LONG" : "SHORT";
      const position = openPosition({ id: this.cx.ids.next("pos"), symbol: order.symbol, side, ts });
      positionRecord = {
        position,
        exit: null,
        meta: { strategy: order.tags.strategy ?? null, signalId: order.tags.signalId ?? null, entryOrderId: order.reduceOnly ? null : order.clientOrderId },
        exitOrderId: null,
      };
      this.cx.books.positions.set(position.id, positionRecord);
      if (record.meta.positionId && !late)
        this.cx.reconciliation.drift(
          "ORPHAN_FILL",
          order.clientOrderId,
          { tradeId, positionId: record.meta.positionId },
          true,
          `booked to new position ${position.id}`,
        );
      record.meta = { ...record.meta, positionId: position.id };
      // Set again while held: the open orders list it under its new position at once (heldFor), not at its next event.
      if (this.cx.books.orders.get(order.clientOrderId) === record) this.cx.books.orders.set(order.clientOrderId, record);
    }
    const fillRecord: FillRecord = {
      venue: record.meta.venue,
      tradeId,
      clientOrderId: order.clientOrderId,
      symbol: order.symbol,
      side: order.side,
      qty,
      price,
      fee,
      feeCurrency: this.cx.quote,
      liquidity: event.liquidity ?? null,
      ts,
      positionId: positionRecord.position.id,
      late,
    };
    if (!this.cx.store.insertFill(fillRecord)) return;
    this.noteQuoteFlow(order, qty, price, fee);
    // The fill's record carries the position's input (trade id, side, qty, price, fee, time): no second object per fill.
    const applied = applyFill(positionRecord.position, fillRecord);
    if (!applied.ok) {
      this.cx.reconciliation.drift(
        "POSITION_FILL_REFUSED",
        order.clientOrderId,
        { tradeId, code: applied.error.code, message: applied.error.message },
        false,
        null,
      );
      return;
    }
    const { position, excess, excessFee } = applied.value;
    positionRecord.position = position;
    if (positionRecord.exit === null && position.state !== "CLOSED" && !order.reduceOnly) {
      const config = exitConfigFor(this.cx.gate.settingsFor(order.symbol), positionRecord.meta);
      positionRecord.exit = createExitState({ ...config, qtyStep: this.cx.books.instruments.get(order.symbol)?.qtyStep });
    }
    this.cx.books.persistPosition(positionRecord, position, positionRecord.exit);
    this.cx.bus.publish({ type: "fill", clientOrderId: order.clientOrderId, symbol: order.symbol, side: order.side, qty, price, fee, tradeId, ts, late });
    this.cx.bus.publish({ type: "position", position });
    if (position.state === "CLOSED") this.finishPosition(positionRecord, record);
    if (isPositive(excess)) {
      // An exit larger than the position: the rest is a real opposite position.
      const side: PositionSide = position.side === "LONG" ? "SHORT" : "LONG";
      const flipped = openPosition({ id: this.cx.ids.next("pos"), symbol: order.symbol, side, ts });
      const flippedFill = applyFill(flipped, { tradeId, side: order.side, qty: excess, price, fee: excessFee, ts });
      if (flippedFill.ok) {
        const rec: PositionRecord = { position: flippedFill.value.position, exit: null, meta: { strategy: null, signalId: null }, exitOrderId: null };
        this.cx.books.positions.set(rec.position.id, rec);
        this.cx.books.persistPosition(rec, rec.position, null);
        this.cx.reconciliation.drift("OVER_CLOSE", order.clientOrderId, { excess: excess.toString() }, true, `opened ${rec.position.id}`);
      }
    }
    if (this.cx.equitySnapshotOnFill) this.cx.accounting.recordEquity("fill");
    this.cx.emergency.updateBreakerEquity();
  }

  /** `closing`: the record of the order whose fill closed the position (its requested price is the exit's). */
  private finishPosition(record: PositionRecord, closing: OrderRecord): void {
    const position = record.position;
    const closingOrder = closing.order;
    this.cx.books.positions.delete(position.id);
    this.cx.emergency.onHaltPositionClosed(position.id);
    this.cx.accounting.bookClosed(position); // in its own currency's sum (accounting.ts)
    this.cx.accounting.saveAccounting();
    const entryOrderId = record.meta.entryOrderId ?? null;
    const entryRequested = entryOrderId
      ? (this.cx.books.orders.get(entryOrderId)?.meta.requestedPrice ?? this.cx.store.getOrder(entryOrderId)?.meta.requestedPrice ?? null)
      : null;
    // The closing order's own record (held or read from the store by ingestOne): no second lookup of it.
    const exitRequested = closing.meta.requestedPrice ?? null;
    const trade: TradeRecord = tradeRecordOf(position, {
      exitReason: exitReasonOf(closingOrder.tags.reason),
      entryRequested,
      exitRequested,
      strategy: record.meta.strategy,
      signalId: record.meta.signalId,
      venue: this.venueOf(closingOrder),
      now: this.cx.clock.now(),
    });
    this.cx.store.insertTrade(trade);
    this.cx.onTradeClosed(trade);
    // Exit orders still working for this position have nothing left to reduce. This runs inside the fill's
    // transaction: their cancels go out once it commits (settleOrder), so a rolled-back fill sent none.
    // Read in place (nothing here changes the open orders while the loop runs): no copy of them per closed position.
    for (const other of this.cx.books.orders.heldFor(position.id)) {
      if (!isTerminal(other.order) && other.order.clientOrderId !== closingOrder.clientOrderId) {
        // The other leg of a native OCO list: the venue ends it itself (its end arrives as the leg's own event).
        if (this.cx.lists.nativeSiblings(other.order.clientOrderId, closingOrder.clientOrderId)) continue;
        this.cancelsAfterCommit.push(other);
      }
    }
  }

  /**
   * What a fill's booking decided that calls the venue — cancels of the closed position's other orders, a breaker
   * trip's action (cancel-all, flatten) — runs after the fill's transaction committed (settleOrder); when it fails,
   * the reload drops it, and the books never show a request the venue got for something that did not commit.
   */
  bookingFill = false;

  cancelsAfterCommit: OrderRecord[] = [];

  tripsAfterCommit: BreakerTrip[] = [];

  /** Forgets the fill in progress and its after-commit work (a reload: what did not commit never happened). */
  reset(): void {
    this.bookingFill = false;
    this.cancelsAfterCommit = [];
    this.tripsAfterCommit = [];
  }

  private afterFillCommit(): void {
    this.bookingFill = false;
    const records = this.cancelsAfterCommit;
    const trips = this.tripsAfterCommit;
    // Fresh lists only when these hold something (most fills leave both empty).
    if (records.length > 0) this.cancelsAfterCommit = [];
    if (trips.length > 0) this.tripsAfterCommit = [];
    for (const record of records) if (!isTerminal(record.order)) this.requestCancel(record);
    for (const trip of trips) {
      this.cx.emergency.recordTrip(trip);
      this.cx.emergency.applyTripAction(trip);
    }
  }

  private onOrderDone(record: OrderRecord): void {
    const order = record.order;
    const positionId = record.meta.positionId;
    const positionRecord = positionId ? this.cx.books.positions.get(positionId) : undefined;
    if (!positionRecord) return;
    if (positionRecord.exitOrderId === order.clientOrderId) positionRecord.exitOrderId = null;
    if (order.reduceOnly && positionRecord.pendingClose && this.cx.books.workingExitsFor(positionRecord.position.id).length === 0)
      this.cx.watchers.sendPendingClose(positionRecord);
    // An entry that ended without any fill leaves an empty position: abandon it — unless other entries
    // still work for it (several resting limits can target one position), which may yet fill it.
    if (
      !order.reduceOnly &&
      order.filledQty.isZero() &&
      positionRecord.position.quantity.isZero() &&
      positionRecord.position.fills.length === 0 &&
      !this.cx.books.othersWorkingFor(positionRecord.position.id, order.clientOrderId)
    ) {
      this.cx.books.positions.delete(positionRecord.position.id);
      const abandoned: Position = { ...positionRecord.position, state: "CLOSED", closedAt: this.cx.clock.now() };
      this.cx.books.persistPosition(positionRecord, abandoned, null);
    }
  }

  /**
   * Journal first for a cancel: the request (the order moves to PENDING_CANCEL) commits before the venue hears of it.
   * `audit` says what committed, for a manual command's audit row. False when the order cannot be canceled now.
   */
  private journalCancelRequest(record: OrderRecord, now: number, audit: string, reason?: string): boolean {
    const pending = applyOrderEvent(record.order, { type: "cancelRequest", ts: now });
    if (!pending.ok) return false;
    this.cx.transaction(() => {
      this.cx.store.appendJournal({
        clientOrderId: record.order.clientOrderId,
        type: "cancelRequest",
        source: "engine",
        payload: { type: "cancelRequest", ts: now, ...(reason !== undefined && { reason }) },
        applied: true,
        ts: now,
      });
      this.cx.books.orders.replaceOrder(record, pending.order);
      this.cx.store.saveOrder(record.order, record.meta);
    }, audit);
    return true;
  }

  /** `reason`: the engine's own reason (a GTD expiry), journaled with the request and given to the order when it ends. */
  requestCancel(record: OrderRecord, reason?: string): void {
    if (this.cx.stopInfo) return;
    const now = this.cx.clock.now();
    if (record.order.status === "EMULATED") {
      // Never sent: nothing to cancel at the venue.
      this.cx.watchers.ingestLocal(record, { type: "cancel", reason: reason ?? "canceled (held by the engine, never sent)", ts: now });
      return;
    }
    if (!this.journalCancelRequest(record, now, `cancel of ${record.order.clientOrderId} journaled before it is sent to ${this.cx.venue.id}`, reason)) return;
    if (reason !== undefined) this.cancelReasons.set(record.order.clientOrderId, reason);
    this.ingest(this.cx.venue.cancel(record.order.clientOrderId, now), "venue");
  }

  cancelOrder(clientOrderId: string): CommandResult {
    const record = this.cx.books.orders.get(clientOrderId);
    if (!record || isTerminal(record.order)) return fail("NOT_FOUND", `Order ${clientOrderId} is not open.`);
    this.requestCancel(record);
    const after = this.cx.books.orders.get(clientOrderId)?.order.status ?? "CANCELED";
    return done(`Cancel requested for ${clientOrderId} (${after}).`, { status: after });
  }

  /** Every open order (of one symbol; at one venue of a desk with several, `venue`). */
  cancelAllOrders(symbol: string | undefined, venue?: string): CommandResult {
    const now = this.cx.clock.now();
    // A close waiting for exits to end is an order too: canceling everything drops it (a flatten sets its own).
    for (const record of this.cx.books.positions.values()) {
      if (!record.pendingClose || (symbol !== undefined && record.position.symbol !== symbol)) continue;
      if (venue !== undefined && this.cx.venueRoom.venueOfPosition(record) !== venue) continue;
      record.pendingClose = null;
      this.cx.books.persistPosition(record);
    }
    const open = [...this.cx.books.orders.values()].filter(
      (r) => !isTerminal(r.order) && (symbol === undefined || r.order.symbol === symbol) && (venue === undefined || r.meta.venue === venue),
    );
    for (const record of open) {
      if (record.order.status === "EMULATED") {
        this.cx.watchers.ingestLocal(record, { type: "cancel", reason: "canceled (held by the engine, never sent)", ts: now });
        continue;
      }
      if (!this.journalCancelRequest(record, now, `cancels journaled before they are sent to ${this.cx.venue.id}`)) continue;
    }
    // One batch request at the venue: trigger orders included.
    if (this.cx.stopInfo) return this.cx.engine.refusalWhenStopped()!;
    this.ingest(venue !== undefined && this.cx.venues ? this.cx.venues.cancelAllAt(venue, symbol, now) : this.cx.venue.cancelAll(symbol, now), "venue");
    const stillOpen = open.filter(
      (r) => this.cx.books.orders.has(r.order.clientOrderId) && !isTerminal(this.cx.books.orders.get(r.order.clientOrderId)!.order),
    ).length;
    for (const record of this.cx.books.positions.values()) if (record.exitOrderId && !this.cx.books.orders.has(record.exitOrderId)) record.exitOrderId = null;
    const data = { requested: open.length, canceled: open.length - stillOpen, pending: stillOpen };
    // A real exchange confirms later: say what was asked, not "0 canceled".
    if (stillOpen > 0)
      return done(
        `Cancel requested for ${open.length} open order(s) on ${venue ?? (this.cx.venues ? this.cx.venues.ids().join(", ") : this.cx.venue.id)}: ${open.length - stillOpen} confirmed so far, ${stillOpen} awaiting the venue's confirmation.`,
        data,
      );
    return done(`Canceled ${open.length - stillOpen} of ${open.length} open order(s).`, data);
  }
}

/**
 * Restore and reconciliation: memory from the books at start, then the books against the venue (open orders,
 * late fills, orders that ended while the engine was away, balances, derivatives positions); every difference is
 * recorded as a drift, and drifts are acknowledged here.
 */
import { CircuitBreaker } from "../core/breaker";
import { D, type Decimal, ZERO } from "../core/money";
import { isOpenAtVenue, isTerminal, type OrderEvent, type OrderStatus } from "../core/orders";
import type { PositionSide } from "../core/positions";
import type { TradingState } from "../core/risk";
import { acceptEvent, type VenueEvent, venueFillEvent } from "../core/orders/events";
import type { Venue, VenueBalance, VenueFill, VenueOrderSnapshot, VenuePosition } from "../venues/venue";
import type { InDoubtMarker } from "./in-doubt";
import { riskLimitsSchema, symbolSettingsSchema } from "./settings";
import type { Actor, CommandResult, UnknownOrder, OrderRecord, StoredAccounting, PositionBlob } from "./types";
import { TERMINAL_STATUSES, EngineError, done, type EngineContext } from "./context";

export class Reconciliation {
  constructor(private readonly cx: EngineContext) {}

  private readonly balanceShortfalls = new Set<string>();

  /** Quote currencies that differed at the last reconciliation (recorded when they differ twice in a row). */
  private readonly quoteSuspects = new Set<string>();

  /** Derivatives symbols whose size at the venue differs from the books, with the difference recorded (once while it lasts). */
  private readonly positionMismatches = new Map<string, string>();

  /** (venue:tradeId) of fills an order could not take, recorded once per process. */
  readonly refusedFills = new Set<string>();

  /** Ended orders being looked up after a late acknowledgement (one lookup at a time each). */
  private readonly checkingEnded = new Set<string>();

  /** Orders FILLED in the books that the venue still lists open, recorded once per process. */
  private readonly filledButOpen = new Set<string>();

  /** Orders restored as working for a closed position: their cancels, owed since before the restart. */
  private readonly owedCancels = new Set<string>();

  restore(): void {
    const accounting = this.cx.store.getState<StoredAccounting>("accounting");
    if (accounting) {
      this.cx.initialEquity = D(accounting.initialEquity);
      this.cx.closedRealizedNet = D(accounting.closedRealizedNet);
      this.cx.accounting.restoreClosed(accounting);
    } else {
      this.cx.accounting.saveAccounting();
    }
    const state = this.cx.store.getState<TradingState>("tradingState");
    if (state === "ACTIVE" || state === "REDUCING" || state === "HALTED") this.cx.tradingState = state;
    const info = this.cx.store.getState<typeof this.cx.tradingStateInfo>("tradingStateInfo");
    if (info) this.cx.tradingStateInfo = info;
    const limits = this.cx.store.getState<unknown>("riskLimits");
    if (limits) {
      const parsed = riskLimitsSchema.safeParse(limits);
      if (parsed.success) this.cx.riskLimits = parsed.data;
      else this.cx.log("warn", `ignored invalid stored risk limits (the configured ones apply): ${parsed.error.issues[0]?.message ?? ""}`);
    }
    for (const record of this.cx.store.loadSymbolSettings()) {
      const parsed = symbolSettingsSchema.safeParse(record.settings);
      if (parsed.success) this.cx.symbolSettings.set(record.symbol, parsed.data);
      else this.cx.log("warn", `ignored invalid stored settings for ${record.symbol}: ${parsed.error.issues[0]?.message ?? ""}`);
    }
    if (this.cx.breaker) {
      const snapshot = this.cx.store.getState<unknown>("breaker");
      if (snapshot) {
        const restored = CircuitBreaker.fromSnapshot(
          snapshot,
          this.cx.store.getState<unknown>("breakerConfig") ?? this.cx.breaker.currentConfig,
          this.cx.clock,
        );
        if (restored.ok) {
          this.cx.breaker = restored.value;
        } else {
          this.cx.log("warn", `breaker snapshot unreadable (${restored.error.message}); starting HALTED to be safe`);
          this.cx.tradingState = "HALTED";
        }
      }
    }
    for (const stored of this.cx.store.loadOrders({ onlyOpen: true })) {
      this.cx.books.orders.set(stored.order.clientOrderId, stored);
      if (stored.order.status === "EMULATED") this.cx.books.emulated.add(stored.order.clientOrderId);
    }
    for (const unknown of this.cx.store.getState<UnknownOrder[]>("unknownOrders") ?? [])
      this.cx.unknowns.unknownOrders.set(unknown.clientOrderId, { ...unknown, canceling: false });
    for (const marker of this.cx.store.getState<InDoubtMarker[]>("inDoubtOrders") ?? [])
      if (this.cx.books.orders.has(marker.clientOrderId)) this.cx.doubts.inDoubt.set(marker.clientOrderId, marker);
    for (const stored of this.cx.store.loadOpenPositions()) {
      const blob = (stored.exit as PositionBlob | null) ?? null;
      this.cx.books.positions.set(stored.position.id, {
        position: stored.position,
        exit: blob?.state ?? null,
        meta: { ...stored.meta, entryOrderId: blob?.entryOrderId ?? null, stopLoss: blob?.stopLoss ?? null, takeProfit: blob?.takeProfit ?? null },
        exitOrderId: null,
        pendingClose: blob?.pendingClose
          ? { quantity: blob.pendingClose.quantity === null ? null : D(blob.pendingClose.quantity), reason: blob.pendingClose.reason }
          : null,
      });
    }
    for (const { order, meta } of this.cx.books.orders.values()) {
      const positionId = order.tags.positionId;
      const record = positionId ? this.cx.books.positions.get(positionId) : undefined;
      if (record && order.reduceOnly && !isTerminal(order)) record.exitOrderId = order.clientOrderId;
      // Every position is created and saved with the first order that targets it (risk-gate.ts), and the books hold every
      // open one: a working order whose position is not among them works for a closed one (cancelOrdersOfClosedPositions).
      if (meta.positionId !== null && !this.cx.books.positions.has(meta.positionId) && !isTerminal(order)) this.owedCancels.add(order.clientOrderId);
    }
  }

  /**
   * Compares the books with the venue; books what was missed and records every difference.
   * `graceMs` (scheduled runs while trading): orders whose last event is younger are left alone — their
   * request or its answer may still be on the way, and "not at the venue yet" must not mark them lost.
   */
  async reconcile(options: { graceMs?: number } = {}): Promise<number> {
    // A desk with several venues reconciles each on its own (venue-room.ts), this method pinned to one at a time.
    return this.cx.venueRoom.reconcileEach(() => this.reconcileVenue(options));
  }

  private async reconcileVenue(options: { graceMs?: number }): Promise<number> {
    if (this.cx.stopInfo) throw new EngineError(this.cx.stopInfo.code, `Trading is stopped in this process (${this.cx.stopInfo.reason}): no reconciliation.`);
    let drifts = 0;
    const now = this.cx.clock.now();
    const graceMs = options.graceMs ?? 0;
    // Emulated orders live only here (never sent): nothing to compare at the venue.
    const open = [...this.cx.books.orders.values()].filter(
      (r) => !isTerminal(r.order) && r.order.status !== "EMULATED" && now - r.order.updatedAt >= graceMs && this.cx.venueRoom.isReconciled(r.meta.venue),
    );
    const since = Math.min(
      this.cx.store.lastFillTs(this.cx.venue.id) ?? now,
      ...open.map((r) => r.order.createdAt),
      now - (this.cx.options.lateFillLookbackMs ?? 900_000),
    );
    const venueFills = await this.cx.venue.fetchFills(Number.isFinite(since) ? since : 0);
    const venueOrders = new Map<string, Awaited<ReturnType<Venue["fetchOrder"]>>>();
    // A request on its way when its order was looked up: "not at the venue" proves nothing about it.
    const inFlightAtLookup = new Set(open.filter((r) => this.cx.venue.requestInFlight?.(r.order.clientOrderId)).map((r) => r.order.clientOrderId));
    for (const record of open) venueOrders.set(record.order.clientOrderId, await this.cx.venue.fetchOrder(record.order.clientOrderId));
    const venueOpen = await this.cx.venue.fetchOpenOrders();
    const balances = await this.cx.venue.fetchBalances();
    // A positions read that fails skips only the positions comparison: fills and orders are still reconciled.
    const venuePositions = this.cx.venue.fetchPositions
      ? await this.cx.venue.fetchPositions().catch((e: unknown) => {
          this.cx.log(
            "warn",
            `reconciliation: could not read positions from ${this.cx.venue.id} (${e instanceof Error ? e.message : String(e)}); compared next time`,
          );
          return null;
        })
      : null;

    await this.cx.engine.run(() => {
      for (const record of open) {
        const coid = record.order.clientOrderId;
        const snapshot = venueOrders.get(coid) ?? null;
        if (!snapshot) {
          // In doubt (settled by its lookups or a person) or a request still in flight: never "never sent".
          if (this.cx.doubts.inDoubt.has(coid) || inFlightAtLookup.has(coid) || this.cx.venue.requestInFlight?.(coid)) continue;
          if (record.order.status === "INITIALIZED" || record.order.status === "SUBMITTED") {
            // The engine stopped between journaling and the venue receiving it: never re-sent blindly.
            this.cx.ledger.ingest(
              [
                {
                  clientOrderId: coid,
                  event: { type: "reject", reason: "NEVER_SENT: the engine stopped before the venue received this order; it was not re-sent.", ts: now },
                },
              ],
              "reconcile",
            );
            this.drift("NEVER_SENT", coid, { status: record.order.status }, true, "marked REJECTED; not re-sent");
          } else {
            this.drift("ORDER_UNKNOWN_AT_VENUE", coid, { status: record.order.status }, false, null);
          }
          drifts++;
          continue;
        }
        const events: VenueEvent[] = [];
        if (record.order.status === "SUBMITTED" && snapshot.status !== "REJECTED") {
          events.push(acceptEvent(coid, snapshot.venueOrderId, now));
        }
        for (const fill of venueFills) {
          if (fill.clientOrderId !== coid || this.cx.store.hasFill(this.cx.venue.id, fill.tradeId)) continue;
          const fee = this.quoteFee(fill, record.order.symbol);
          if (fee.drift) drifts++;
          events.push(venueFillEvent(coid, fill, fee.fee));
          this.drift("MISSED_FILL", coid, { tradeId: fill.tradeId, qty: fill.qty.toString(), price: fill.price.toString() }, true, "booked");
          drifts++;
        }
        const terminal: Partial<Record<string, OrderEvent>> = {
          CANCELED: { type: "cancel", reason: snapshot.reason ?? "canceled at the venue", ts: now },
          EXPIRED: { type: "expire", ts: now },
          REJECTED: { type: "reject", reason: snapshot.reason ?? "rejected by the venue", ts: now },
        };
        const finalEvent = terminal[snapshot.status];
        if (finalEvent) events.push({ clientOrderId: coid, event: finalEvent });
        if (events.length > 0) {
          // `record` is the live record: ingest updates record.order, so read the status before it.
          const before = record.order.status;
          // A native OCO leg the venue ended unfilled (its partner executed, or the list was canceled) is the list working
          // as it should, not a difference: booked, no drift.
          const endedByNativeList = (snapshot.status === "CANCELED" || snapshot.status === "EXPIRED") && this.cx.lists.isNativeLeg(coid);
          this.cx.ledger.ingest(events, "reconcile");
          const after = record.order.status;
          if (after !== before && !endedByNativeList && !events.some((e) => e.event.type === "fill")) {
            this.drift("STATUS_MISMATCH", coid, { ours: before, venue: snapshot.status }, true, `now ${after}`);
            drifts++;
          }
        }
        if (record.order.status === "PENDING_CANCEL" && !TERMINAL_STATUSES.has(snapshot.status)) {
          // The engine stopped after journaling a cancel request, before the venue received it: the venue
          // still works the order. Cancels are idempotent, so the cancel (never the order) is sent again.
          this.cx.ledger.ingest(this.cx.venue.cancel(coid, now), "venue");
          this.drift("CANCEL_NOT_DELIVERED", coid, { venue: snapshot.status }, true, `cancel sent again: now ${record.order.status}`);
          drifts++;
        }
      }
      drifts += this.reconcileEndedOrders(new Set(open.map((r) => r.order.clientOrderId)), venueOpen, venueFills, now);
      this.cancelOrdersOfClosedPositions();
      drifts += this.cx.unknowns.noteUnknownOrders(venueOpen, now);
      drifts += this.checkBalances(balances);
      drifts += this.checkQuoteBalances(balances);
      if (venuePositions) drifts += this.checkPositions(venuePositions);
      this.cx.store.saveBalances(this.cx.venue.id, balances, now);
    });
    return drifts;
  }

  /**
   * Orders still working for a position that is closed, as the books were restored. A fill that closes a position has the
   * position's other orders canceled once it has committed (ledger.ts, finishPosition): a process killed between that
   * commit and the cancels' journal entries left them working, and one that filled later would belong to no position
   * (ORPHAN_FILL). Their cancels are sent by the first reconciliation of their venue, journaled first as every cancel is,
   * with the reason. Not a drift: the books and the venue agree, it is the engine's own request that never went out.
   * Only orders restored as working: one tracked again later (reopenEnded) is left to its own alert.
   */
  private cancelOrdersOfClosedPositions(): void {
    if (this.owedCancels.size === 0) return;
    for (const coid of [...this.owedCancels]) {
      const record = this.cx.books.orders.get(coid);
      if (record && !this.cx.venueRoom.isReconciled(record.meta.venue)) continue; // its own venue's turn
      this.owedCancels.delete(coid);
      // Ended meanwhile (its missed fill or end booked just before), or its cancel already journaled (sent again above).
      if (!record || isTerminal(record.order) || record.order.status === "PENDING_CANCEL") continue;
      const positionId = record.meta.positionId;
      this.cx.log("warn", `reconciliation: ${coid} still worked for closed position ${positionId ?? ""}: canceled`);
      this.cx.ledger.requestCancel(record, `canceled: its position ${positionId ?? ""} closed before the engine could cancel it`);
    }
  }

  /**
   * Orders the books call ended (REJECTED, CANCELED, EXPIRED, DENIED) are still real at the venue when it says so:
   * - still open there: tracked again (a `reopen` event, journaled) so it is shown, counted by the risk gate and
   *   canceled by an emergency stop; while HALTED its cancel is sent at once (a halt lets nothing work).
   * - fills the books do not have: booked as late fills (position, PnL, fees; once per tradeId).
   * `checked` are the open orders the loop above already compared. Returns the number of drifts recorded.
   */
  private reconcileEndedOrders(checked: Set<string>, venueOpen: VenueOrderSnapshot[], venueFills: VenueFill[], now: number): number {
    let found = 0;
    const reopened = new Set<string>();
    for (const snapshot of venueOpen) {
      const coid = snapshot.clientOrderId;
      if (checked.has(coid) || this.cx.books.orders.has(coid)) continue;
      const stored = this.cx.store.getOrder(coid);
      if (!stored || !TERMINAL_STATUSES.has(stored.order.status)) continue;
      if (stored.order.status === "FILLED") {
        // Nothing left to work in the books, yet the venue works it: a person looks (recorded once per process).
        if (this.filledButOpen.has(coid)) continue;
        this.filledButOpen.add(coid);
        this.drift(
          "ENDED_ORDER_OPEN_AT_VENUE",
          coid,
          {
            ours: "FILLED",
            venue: snapshot.status,
            symbol: snapshot.symbol,
            side: snapshot.side,
            qty: snapshot.quantity.toString(),
            filled: snapshot.filledQty.toString(),
          },
          false,
          null,
        );
        this.cx.bus.publish({
          type: "alert",
          level: "error",
          message: `Order ${coid} is FILLED in the books but open at ${this.cx.venue.id} (${snapshot.filledQty.toString()} of ${snapshot.quantity.toString()} filled there). The books keep it FILLED and do not work it: check it at the venue.`,
        });
        found++;
        continue;
      }
      if (!this.reopenEnded(stored.order.status, snapshot, now)) continue;
      reopened.add(coid);
      found++;
    }
    for (const fill of venueFills) {
      if (checked.has(fill.clientOrderId) || this.cx.store.hasFill(this.cx.venue.id, fill.tradeId)) continue;
      const record = this.cx.books.orders.get(fill.clientOrderId) ?? this.cx.store.getOrder(fill.clientOrderId);
      if (!record) continue; // an order the books never had: listed as unknown, its fills booked if adopted
      const ended = TERMINAL_STATUSES.has(record.order.status);
      // Working orders younger than the grace period are left to their own answers, still on the way.
      if (!ended && !reopened.has(fill.clientOrderId)) continue;
      const fee = this.quoteFee(fill, record.order.symbol);
      if (fee.drift) found++;
      const refusedBefore = this.refusedFills.size;
      this.cx.ledger.ingest([venueFillEvent(fill.clientOrderId, fill, fee.fee)], "reconcile");
      const booked = this.cx.store.hasFill(this.cx.venue.id, fill.tradeId);
      // A late fill records its own drift (LATE_FILL); a fill on an order tracked again is a missed one.
      if (booked && !ended)
        this.drift("MISSED_FILL", fill.clientOrderId, { tradeId: fill.tradeId, qty: fill.qty.toString(), price: fill.price.toString() }, true, "booked");
      if (booked || this.refusedFills.size > refusedBefore) found++;
    }
    return found;
  }

  /**
   * Tracks again an order the books ended (not FILLED) that the venue shows open: journaled `reopen`, recorded,
   * raised; while HALTED its cancel is sent at once. False when the FSM refused it (journaled with the reason).
   */
  private reopenEnded(before: OrderStatus, snapshot: VenueOrderSnapshot, now: number): boolean {
    const coid = snapshot.clientOrderId;
    const reason = `open at ${this.cx.venue.id} (${snapshot.status}) although the books had it ${before}: tracked again`;
    this.cx.ledger.ingest(
      [{ clientOrderId: coid, event: { type: "reopen", reason, ...(snapshot.venueOrderId ? { venueOrderId: snapshot.venueOrderId } : {}), ts: now } }],
      "reconcile",
    );
    const record = this.cx.books.orders.get(coid);
    if (!record || isTerminal(record.order)) return false;
    // A working reduce-only order is its position's exit again (as after a restart): no second exit is sent beside it.
    const closing = record.order.reduceOnly && record.meta.positionId ? this.cx.books.positions.get(record.meta.positionId) : undefined;
    if (closing && closing.exitOrderId === null) closing.exitOrderId = coid;
    const halted = this.cx.tradingState === "HALTED";
    this.drift(
      "ENDED_ORDER_OPEN_AT_VENUE",
      coid,
      {
        ours: before,
        venue: snapshot.status,
        symbol: snapshot.symbol,
        side: snapshot.side,
        qty: snapshot.quantity.toString(),
        filled: snapshot.filledQty.toString(),
      },
      true,
      halted ? `tracked again as ${record.order.status}; HALTED: cancel sent` : `tracked again as ${record.order.status}`,
    );
    this.cx.bus.publish({
      type: "alert",
      level: "error",
      message: `Order ${coid} (${snapshot.side} ${snapshot.quantity.toString()} ${snapshot.symbol}) was ${before} in the books but is open at ${this.cx.venue.id}: it is tracked again${halted ? " and, as trading is halted, canceled" : ""}. Check it on the Orders page.`,
    });
    if (halted) this.cx.ledger.requestCancel(record);
    return true;
  }

  /**
   * The venue acknowledged (or triggered) an order the books ended (not FILLED) — a timeout taken for a refusal
   * whose order did land. The order is looked up at once instead of at the next scheduled reconciliation, and
   * tracked again if the venue shows it open (a stale acknowledgement of an order that did end changes nothing).
   */
  checkEndedOrder(clientOrderId: string): void {
    if (this.checkingEnded.has(clientOrderId)) return;
    this.checkingEnded.add(clientOrderId);
    const settle = (snapshot: VenueOrderSnapshot | null) => {
      this.checkingEnded.delete(clientOrderId);
      const stored = this.cx.books.orders.has(clientOrderId) ? null : this.cx.store.getOrder(clientOrderId);
      if (!snapshot || !stored || !TERMINAL_STATUSES.has(stored.order.status) || stored.order.status === "FILLED" || !isOpenAtVenue(snapshot)) return;
      this.reopenEnded(stored.order.status, snapshot, this.cx.clock.now());
    };
    this.cx.venue
      .fetchOrder(clientOrderId)
      .then(
        (snapshot) => this.cx.engine.run(() => settle(snapshot)),
        (e: unknown) => {
          this.checkingEnded.delete(clientOrderId);
          this.cx.log("warn", `looking up ${clientOrderId} after its late acknowledgement failed (${String(e)}); the next reconciliation checks it`);
        },
      )
      .catch((e: unknown) => this.cx.log("error", `checking ended order ${clientOrderId}: ${String(e)}`));
  }

  /** A fill on an order the books call ended: booked (by bookFill), recorded and raised so a person checks the position. */
  noteLateFill(record: OrderRecord, event: Extract<OrderEvent, { type: "fill" }>): void {
    const order = record.order;
    const qty = D(event.qty).toString();
    const price = D(event.price).toString();
    const positionId = record.meta.positionId ?? null;
    this.drift(
      "LATE_FILL",
      order.clientOrderId,
      { tradeId: String(event.tradeId), status: order.status, qty, price, positionId },
      true,
      `booked on the ${order.status} order${positionId ? ` to position ${positionId}` : ""}`,
    );
    this.cx.bus.publish({
      type: "alert",
      level: "error",
      message: `Order ${order.clientOrderId} was ${order.status} in the books, but ${this.cx.venue.id} executed ${qty} ${order.symbol} at ${price} (trade ${String(event.tradeId)}): booked${positionId ? ` to position ${positionId}` : ""}. Check the position.`,
    });
  }

  /**
   * Spot long positions need their coins at the venue: when the venue holds less of a base currency than the books'
   * long positions add up to (coins sold or withdrawn by hand, fees taken in the base currency), closing them would
   * fail. Recorded once while it lasts.
   */
  private checkBalances(balances: VenueBalance[]): number {
    if (balances.length === 0) return 0;
    const held = new Map<string, Decimal>();
    for (const record of this.cx.books.positions.values()) {
      const position = record.position;
      const instrument = this.cx.books.instruments.get(position.symbol);
      if (!instrument || instrument.kind !== "spot" || position.side !== "LONG" || position.quantity.isZero()) continue;
      if (!this.cx.venueRoom.isReconciled(this.cx.venueRoom.venueOfPosition(record))) continue; // coins held at another venue
      held.set(instrument.base, (held.get(instrument.base) ?? ZERO).plus(position.quantity));
    }
    let found = 0;
    for (const [currency, qty] of held) {
      const total = balances.find((b) => b.currency === currency)?.total ?? ZERO;
      if (total.greaterThanOrEqualTo(qty)) {
        this.balanceShortfalls.delete(`${this.cx.venue.id}:${currency}`);
        continue;
      }
      if (this.balanceShortfalls.has(`${this.cx.venue.id}:${currency}`)) continue;
      this.balanceShortfalls.add(`${this.cx.venue.id}:${currency}`);
      this.drift("BALANCE_SHORTFALL", currency, { books: qty.toString(), venue: total.toString() }, false, null);
      found++;
    }
    return found;
  }

  /**
   * Spot quote balances (free + reserved at the venue) against the books: the venue's figure at the last match plus
   * the cash of every fill booked since (a buy pays qty × price + fee, a sell receives qty × price − fee). Fees may
   * be charged in another currency (base, BNB), so the fees booked since the last match widen the tolerance. A
   * difference is recorded when two reconciliations in a row see it (a fill on its way between the balance read and
   * the books is not a drift); the expectation then follows the venue, so each difference is recorded once. A match
   * re-anchors the expectation to the venue's figure. A quote currency that a derivatives symbol settles in (its
   * balance moves with funding and margin) or that another symbol trades as its base (ETH/BTC and BTC/USDT) is not
   * compared here.
   */
  private checkQuoteBalances(balances: VenueBalance[]): number {
    if (balances.length === 0) return 0;
    const ledger = this.cx.ledger.loadQuoteLedger();
    const spotQuotes = new Set<string>();
    const otherwiseMoved = new Set<string>();
    for (const instrument of this.cx.books.instruments.values()) {
      (instrument.kind === "spot" ? spotQuotes : otherwiseMoved).add(instrument.quote);
      otherwiseMoved.add(instrument.base);
    }
    const tolerance = D(this.cx.options.quoteBalanceTolerance ?? "0.01");
    let found = 0;
    for (const currency of spotQuotes) {
      if (otherwiseMoved.has(currency)) continue;
      const actual = balances.find((b) => b.currency === currency)?.total ?? ZERO;
      const known = ledger.get(currency);
      if (!known) {
        ledger.set(currency, { expected: actual, fees: ZERO }); // first sight: the venue's figure is the start
        continue;
      }
      const difference = actual.minus(known.expected);
      const allowed = tolerance.plus(known.fees.abs());
      if (difference.abs().lessThanOrEqualTo(allowed)) {
        this.quoteSuspects.delete(`${this.cx.venue.id}:${currency}`);
        ledger.set(currency, { expected: actual, fees: ZERO });
        continue;
      }
      if (!this.quoteSuspects.has(`${this.cx.venue.id}:${currency}`)) {
        this.quoteSuspects.add(`${this.cx.venue.id}:${currency}`);
        continue;
      }
      this.quoteSuspects.delete(`${this.cx.venue.id}:${currency}`);
      this.drift(
        "QUOTE_BALANCE_MISMATCH",
        currency,
        { expected: known.expected.toString(), actual: actual.toString(), difference: difference.toString(), tolerance: allowed.toString() },
        false,
        `the books now expect the venue's ${actual.toString()} ${currency}`,
      );
      this.cx.bus.publish({
        type: "alert",
        level: "error",
        message: `${this.cx.venue.id} holds ${actual.toString()} ${currency}; the books expected ${known.expected.toString()} (${difference.isNegative() ? "" : "+"}${difference.toString()}). A deposit, a withdrawal, a trade outside Bastion or a missed fill? Check the Reconciliation page.`,
      });
      ledger.set(currency, { expected: actual, fees: ZERO });
      found++;
    }
    this.cx.ledger.saveQuoteLedger(ledger);
    return found;
  }

  /**
   * Derivatives positions: the venue's net size per symbol (long +, short −) against the books' open positions.
   * A difference is recorded and raised once while it lasts (again if it changes); nothing is traded to fix it.
   */
  private checkPositions(venuePositions: VenuePosition[]): number {
    const net = (side: PositionSide, qty: Decimal) => (side === "LONG" ? qty : qty.negated());
    const books = new Map<string, Decimal>();
    for (const record of this.cx.books.positions.values()) {
      const position = record.position;
      const instrument = this.cx.books.instruments.get(position.symbol);
      if (!instrument || instrument.kind === "spot" || position.quantity.isZero()) continue;
      if (!this.cx.venueRoom.isReconciled(this.cx.venueRoom.venueOfPosition(record))) continue; // another venue's
      books.set(position.symbol, (books.get(position.symbol) ?? ZERO).plus(net(position.side, position.quantity)));
    }
    const venue = new Map<string, Decimal>();
    for (const p of venuePositions) venue.set(p.symbol, (venue.get(p.symbol) ?? ZERO).plus(net(p.side, p.quantity)));
    const words = (n: Decimal) => (n.isZero() ? "flat" : `${n.isNegative() ? "SHORT" : "LONG"} ${n.abs().toString()}`);
    let found = 0;
    for (const instrument of this.cx.books.instruments.values()) {
      if (instrument.kind === "spot") continue;
      const symbol = instrument.symbol;
      const ours = books.get(symbol) ?? ZERO;
      const theirs = venue.get(symbol) ?? ZERO;
      if (ours.equals(theirs)) {
        this.positionMismatches.delete(`${this.cx.venue.id}:${symbol}`);
        continue;
      }
      const key = `${words(ours)}|${words(theirs)}`;
      if (this.positionMismatches.get(`${this.cx.venue.id}:${symbol}`) === key) continue;
      this.positionMismatches.set(`${this.cx.venue.id}:${symbol}`, key);
      this.drift("POSITION_MISMATCH", symbol, { books: words(ours), venue: words(theirs), difference: theirs.minus(ours).toString() }, false, null);
      this.cx.bus.publish({
        type: "alert",
        level: "error",
        message: `${symbol}: ${this.cx.venue.id} shows the position ${words(theirs)}, the books ${words(ours)}. Nothing was traded to fix it; check the Reconciliation page.`,
      });
      found++;
    }
    return found;
  }

  /**
   * A venue fill's fee in the quote currency the books count in: quote fees as they are, base-currency fees
   * converted at the fill price, fees in any other currency (a BNB discount…) booked as 0 with a drift
   * recorded, never silently mis-booked as if they were quote.
   */
  quoteFee(fill: VenueFill, symbol: string): { fee: Decimal; drift: boolean } {
    const instrument = this.cx.books.instruments.get(symbol);
    const quote = instrument?.quote ?? this.cx.quote;
    if (fill.fee.isZero() || fill.feeCurrency === quote) return { fee: fill.fee, drift: false };
    if (instrument && fill.feeCurrency === instrument.base) return { fee: fill.fee.times(fill.price), drift: false };
    this.drift(
      "FEE_CURRENCY",
      fill.clientOrderId,
      { tradeId: fill.tradeId, fee: fill.fee.toString(), feeCurrency: fill.feeCurrency, quote },
      false,
      `fee of ${fill.fee.toString()} ${fill.feeCurrency} not converted to ${quote}: booked as 0`,
    );
    return { fee: ZERO, drift: true };
  }

  drift(kind: string, subject: string, detail: Record<string, unknown>, resolved: boolean, resolution: string | null, level: "info" | "warn" = "warn"): void {
    this.cx.durably(() => this.cx.store.appendDrift({ ts: this.cx.clock.now(), venue: this.cx.venue.id, kind, subject, detail, resolved, resolution }));
    this.cx.bus.publish({ type: "drift", kind, subject, message: `${kind} ${subject}${resolution ? `: ${resolution}` : ""}` });
    this.cx.log(level, `reconciliation: ${kind} ${subject} ${JSON.stringify(detail)}`);
  }

  /** Marks a recorded drift acknowledged (append-only: a resolution row naming it), audited. */
  acknowledgeDrift(drift: { id: number; kind: string; subject: string }, actor: Actor, reason: string | null): Promise<CommandResult> {
    return this.cx.engine.run(() =>
      this.cx.audited(actor, "acknowledge_drift", `drift#${drift.id}`, reason, { kind: drift.kind, subject: drift.subject }, () => {
        const resolution = `acknowledged by ${actor.username}${reason ? `: ${reason}` : ""}`;
        this.drift("ACKNOWLEDGED", drift.subject, { resolves: { id: drift.id }, kind: drift.kind }, true, resolution, "info");
        return done(`Drift #${drift.id} (${drift.kind} ${drift.subject}) acknowledged.`);
      }),
    );
  }
}

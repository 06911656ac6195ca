/**
 * Unknown orders: orders open at the venue that the books do not have (found by reconciliation), kept in a list
 * until a trader adopts them into the books or cancels them at the venue.
 */
import { ZERO } from "../core/money";
import { applyOrderEvent, createOrder, type Order, type OrderEvent, type OrderSpec } from "../core/orders";
import { openPosition, type PositionSide } from "../core/positions";
import { acceptEvent, type VenueEvent, venueFillEvent } from "../core/orders/events";
import type { OrderMeta } from "../db/store";
import type { VenueFill, VenueOrderSnapshot } from "../venues/venue";
import type { Actor, CommandResult, UnknownOrder, PositionRecord } from "./types";
import { TERMINAL_STATUSES, fail, done, type EngineContext } from "./context";

export class UnknownOrders {
  constructor(private readonly cx: EngineContext) {}

  readonly unknownOrders = new Map<string, UnknownOrder>();

  /** Forgets the unknown orders (a reload reads them back from the books). */
  reset(): void {
    this.unknownOrders.clear();
  }

  /**
   * Orders open at the venue that the books do not have: recorded once (a drift each, kept across restarts) and
   * listed until a trader adopts or cancels them, or they leave the venue. Returns the number of new ones.
   */
  noteUnknownOrders(venueOpen: VenueOrderSnapshot[], now: number): number {
    let found = 0;
    let changed = false;
    const listed = new Set<string>();
    for (const snapshot of venueOpen) {
      const coid = snapshot.clientOrderId;
      if (this.cx.books.orders.has(coid) || this.cx.store.getOrder(coid)) continue;
      listed.add(coid);
      const known = this.unknownOrders.get(coid);
      const view: UnknownOrder = {
        clientOrderId: coid,
        venueOrderId: snapshot.venueOrderId,
        symbol: snapshot.symbol,
        side: snapshot.side,
        type: snapshot.type,
        status: snapshot.status,
        quantity: snapshot.quantity.toString(),
        filledQty: snapshot.filledQty.toString(),
        price: snapshot.price?.toString() ?? null,
        triggerPrice: snapshot.triggerPrice?.toString() ?? null,
        firstSeen: known?.firstSeen ?? now,
        lastSeen: now,
        canceling: known?.canceling ?? false,
        venue: this.cx.venue.id,
      };
      this.unknownOrders.set(coid, view);
      changed = true;
      if (known) continue;
      this.cx.reconciliation.drift(
        "UNKNOWN_ORDER",
        coid,
        {
          symbol: snapshot.symbol,
          side: snapshot.side,
          type: snapshot.type,
          qty: view.quantity,
          filled: view.filledQty,
          price: view.price,
          venueOrderId: snapshot.venueOrderId,
        },
        false,
        null,
      );
      found++;
    }
    for (const [coid, unknown] of [...this.unknownOrders]) {
      if (listed.has(coid) || this.cx.books.orders.has(coid)) continue;
      if (unknown.venue !== undefined && !this.cx.venueRoom.isReconciled(unknown.venue)) continue; // another venue's, read on its own
      this.unknownOrders.delete(coid);
      changed = true;
      this.cx.reconciliation.drift(
        "UNKNOWN_ORDER_GONE",
        coid,
        { resolves: { kind: "UNKNOWN_ORDER" }, symbol: unknown.symbol },
        true,
        "no longer open at the venue",
        "info",
      );
    }
    if (changed) this.saveUnknownOrders();
    return found;
  }

  private saveUnknownOrders(): void {
    this.cx.durably(() => this.cx.store.setState("unknownOrders", [...this.unknownOrders.values()]));
  }

  /** Unknown orders found at the venue and not yet adopted or canceled (newest first). */
  unknownOrderList(): UnknownOrder[] {
    return [...this.unknownOrders.values()].map((u) => ({ ...u })).sort((a, b) => b.firstSeen - a.firstSeen);
  }

  // ---------------------------------------------------------------------------------------------
  // Unknown orders (found at the venue by reconciliation): adopted or canceled by a trader's choice; drifts acknowledged.

  /**
   * Takes an order found at the venue into the books: journaled as an order Bastion now tracks (intent and
   * submit with source "reconcile" and the adopter in the payload, then accept), its fills booked to a position
   * (the opposite open position when it reduces one, else the same-side one, else a new one), its end (filled,
   * canceled) applied. It is not a new order, so it does not pass the risk gate; it is audited.
   */
  adoptOrder(clientOrderId: string, actor: Actor, reason: string | null): Promise<CommandResult> {
    // A desk with several venues: read and adopted at the venue it was found at (its fills, its meta.venue).
    return this.cx.venueRoom.atVenueOf(clientOrderId, () => this.adoptOrderAtVenue(clientOrderId, actor, reason));
  }

  private async adoptOrderAtVenue(clientOrderId: string, actor: Actor, reason: string | null): Promise<CommandResult> {
    let snapshot: VenueOrderSnapshot | null = null;
    let fills: VenueFill[] = [];
    let readError: string | null = null;
    if (!this.cx.books.orders.has(clientOrderId)) {
      try {
        snapshot = await this.cx.venue.fetchOrder(clientOrderId);
        if (snapshot) fills = (await this.cx.venue.fetchFills(0)).filter((f) => f.clientOrderId === clientOrderId);
      } catch (e) {
        readError = e instanceof Error ? e.message : String(e);
      }
    }
    return this.cx.engine.run(() =>
      this.cx.audited(actor, "adopt_order", clientOrderId, reason, {}, () => {
        if (this.cx.books.orders.has(clientOrderId) || this.cx.store.getOrder(clientOrderId)) {
          return fail("ALREADY_TRACKED", `Order ${clientOrderId} is already in Bastion's books; there is nothing to adopt.`);
        }
        if (readError !== null) return fail("VENUE_UNAVAILABLE", `Could not read order ${clientOrderId} from ${this.cx.venue.id}: ${readError}`);
        return this.adopt(clientOrderId, snapshot, fills, actor);
      }),
    );
  }

  private adopt(clientOrderId: string, snapshot: VenueOrderSnapshot | null, fills: VenueFill[], actor: Actor): CommandResult {
    if (!snapshot) return fail("NOT_AT_VENUE", `${this.cx.venue.id} has no order ${clientOrderId}; there is nothing to adopt.`);
    const instrument = this.cx.books.instruments.get(snapshot.symbol);
    if (!instrument) return fail("UNKNOWN_SYMBOL", `${snapshot.symbol} is not traded by this desk; cancel the order instead.`);
    if (TERMINAL_STATUSES.has(snapshot.status) && fills.length === 0) {
      return fail("NOT_OPEN", `Order ${clientOrderId} is ${snapshot.status.toLowerCase()} at ${this.cx.venue.id} with no fills; there is nothing to adopt.`);
    }
    if (snapshot.type.startsWith("TRAILING"))
      return fail("UNSUPPORTED_TYPE", `Trailing orders cannot be adopted (their offset is not known); cancel ${clientOrderId} instead.`);
    const now = this.cx.clock.now();
    const wantSide: PositionSide = snapshot.side === "BUY" ? "LONG" : "SHORT";
    const open = this.cx.books.openPositionsFor(snapshot.symbol);
    const reducing = open.find((r) => r.position.side !== wantSide) ?? null;
    const target = reducing ?? open.find((r) => r.position.side === wantSide) ?? null;
    const positionId = target?.position.id ?? this.cx.ids.next("pos");
    const spec: OrderSpec = {
      clientOrderId,
      symbol: snapshot.symbol,
      side: snapshot.side,
      type: snapshot.type,
      quantity: snapshot.quantity,
      ...(snapshot.price ? { price: snapshot.price } : {}),
      ...(snapshot.triggerPrice ? { triggerPrice: snapshot.triggerPrice } : {}),
      timeInForce: "GTC",
      reduceOnly: reducing !== null,
      tags: { positionId, reason: reducing ? "manual" : "entry", strategy: "adopted", adoptedBy: actor.username },
      venue: this.cx.venue.id,
      ts: now,
    };
    let order: Order;
    try {
      order = createOrder(spec);
    } catch (e) {
      return fail("UNSUPPORTED_ORDER", `Order ${clientOrderId} cannot be represented in the books: ${e instanceof Error ? e.message : String(e)}`);
    }
    const submitted = applyOrderEvent(order, { type: "submit", ts: now });
    if (!submitted.ok) return fail(submitted.error.code, submitted.error.message);
    const meta: OrderMeta = { venue: this.cx.venue.id, positionId, requestedPrice: snapshot.price ?? snapshot.avgFillPrice ?? null };
    this.cx.transaction(() => {
      if (!target) {
        const position = openPosition({ id: positionId, symbol: snapshot.symbol, side: wantSide, ts: now });
        const record: PositionRecord = { position, exit: null, meta: { strategy: "adopted", signalId: null, entryOrderId: clientOrderId }, exitOrderId: null };
        this.cx.books.positions.set(position.id, record);
        this.cx.books.persistPosition(record, position, null);
      }
      const intent = {
        ...spec,
        quantity: snapshot.quantity.toString(),
        price: snapshot.price?.toString() ?? null,
        triggerPrice: snapshot.triggerPrice?.toString() ?? null,
      };
      this.cx.store.appendJournal({
        clientOrderId,
        type: "intent",
        source: "reconcile",
        payload: { ...intent, adoptedBy: actor.username, venueStatus: snapshot.status },
        applied: true,
        ts: now,
      });
      this.cx.store.appendJournal({ clientOrderId, type: "submit", source: "reconcile", payload: { type: "submit", ts: now }, applied: true, ts: now });
      order = submitted.order;
      this.cx.books.orders.set(clientOrderId, { order, meta });
      this.cx.store.saveOrder(order, meta);
    });
    this.cx.bus.publish({ type: "order", order });
    const events: VenueEvent[] = [acceptEvent(clientOrderId, snapshot.venueOrderId, now)];
    let booked = ZERO;
    for (const fill of fills) {
      if (this.cx.store.hasFill(this.cx.venue.id, fill.tradeId)) continue;
      const fee = this.cx.reconciliation.quoteFee(fill, snapshot.symbol);
      booked = booked.plus(fill.qty);
      events.push(venueFillEvent(clientOrderId, fill, fee.fee));
    }
    if (snapshot.status === "CANCELED") events.push({ clientOrderId, event: { type: "cancel", reason: snapshot.reason ?? "canceled at the venue", ts: now } });
    if (snapshot.status === "EXPIRED") events.push({ clientOrderId, event: { type: "expire", ts: now } });
    this.cx.ledger.ingest(events, "reconcile");
    this.unknownOrders.delete(clientOrderId);
    this.saveUnknownOrders();
    this.cx.reconciliation.drift(
      "UNKNOWN_ORDER_ADOPTED",
      clientOrderId,
      { resolves: { kind: "UNKNOWN_ORDER" }, positionId, fills: fills.length, by: actor.username },
      true,
      `adopted by ${actor.username}`,
      "info",
    );
    if (snapshot.filledQty.greaterThan(booked)) {
      this.cx.reconciliation.drift(
        "ADOPTED_FILLS_MISSING",
        clientOrderId,
        { venueFilled: snapshot.filledQty.toString(), booked: booked.toString() },
        false,
        null,
      );
    }
    const status = this.cx.books.orders.get(clientOrderId)?.order.status ?? this.cx.store.getOrder(clientOrderId)?.order.status ?? order.status;
    return done(
      `Order ${clientOrderId} adopted: ${snapshot.side} ${snapshot.quantity.toString()} ${snapshot.symbol} ${snapshot.type} (${status}), ${fills.length} fill(s) booked to position ${positionId}.`,
      { clientOrderId, positionId, status, fills: fills.length },
    );
  }

  /** Cancels an unknown order at the venue (it stays out of the books); the venue's answer resolves its drift. */
  cancelUnknownOrder(clientOrderId: string, actor: Actor, reason: string | null): Promise<CommandResult> {
    return this.cx.engine.run(() =>
      this.cx.audited(actor, "cancel_unknown_order", clientOrderId, reason, {}, () => {
        if (this.cx.books.orders.has(clientOrderId))
          return fail("TRACKED_ORDER", `Order ${clientOrderId} is in Bastion's books: cancel it from the Orders page.`);
        const unknown = this.unknownOrders.get(clientOrderId);
        if (!unknown) return fail("NOT_UNKNOWN", `Order ${clientOrderId} is not among the unknown orders found at ${this.cx.venue.id}.`);
        const stopped = this.cx.engine.refusalWhenStopped();
        if (stopped) return stopped;
        unknown.canceling = true;
        // Nothing is journaled before this cancel (the order is not in the books): the audit row commits alone first.
        this.cx.durably(() => undefined, `cancel of unknown order ${clientOrderId}, before it is sent to ${this.cx.venue.id}`);
        let events: VenueEvent[];
        try {
          events = this.cx.venue.cancel(clientOrderId, this.cx.clock.now());
        } catch (e) {
          unknown.canceling = false;
          return fail("VENUE_REFUSED", e instanceof Error ? e.message : String(e));
        }
        this.cx.ledger.ingest(events, "venue");
        if (!this.unknownOrders.has(clientOrderId)) return done(`Unknown order ${clientOrderId} canceled at ${this.cx.venue.id}.`, { status: "CANCELED" });
        if (!unknown.canceling) return fail("VENUE_REFUSED", `${this.cx.venue.id} refused to cancel ${clientOrderId}; see the reconciliation log.`);
        return done(`Cancel sent to ${this.cx.venue.id} for unknown order ${clientOrderId}; its confirmation resolves the drift.`, {
          status: "PENDING_CANCEL",
        });
      }),
    );
  }

  /** A venue's answer to a cancel of an unknown order; true when it was one. */
  onUnknownOrderCancelEvent(clientOrderId: string, event: OrderEvent, source: "venue" | "reconcile", ts: number): boolean {
    const unknown = this.unknownOrders.get(clientOrderId);
    if (!unknown?.canceling || (event.type !== "cancel" && event.type !== "cancelReject" && event.type !== "accept")) return false;
    if (event.type === "accept") return true; // an adapter looking the order up on the way: nothing to book
    this.cx.store.appendJournal({
      clientOrderId,
      type: event.type,
      source,
      payload: event,
      applied: false,
      refusal: "NOT_TRACKED: an unknown order canceled at a trader's request",
      ts,
    });
    if (event.type === "cancel") {
      this.unknownOrders.delete(clientOrderId);
      this.saveUnknownOrders();
      this.cx.reconciliation.drift(
        "UNKNOWN_ORDER_CANCELED",
        clientOrderId,
        { resolves: { kind: "UNKNOWN_ORDER" }, symbol: unknown.symbol },
        true,
        "canceled at the venue",
        "info",
      );
    } else {
      unknown.canceling = false;
      this.cx.reconciliation.drift("UNKNOWN_ORDER_CANCEL_FAILED", clientOrderId, { reason: event.reason }, false, null);
      this.cx.bus.publish({ type: "alert", level: "error", message: `Cancel of unknown order ${clientOrderId} failed: ${event.reason}` });
    }
    return true;
  }
}

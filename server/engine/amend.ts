/**
 * Amends: a working order's price and/or quantity changed. Three ways, by what holds the order:
 * - held by the engine (EMULATED): changed in the books, journaled as an engine `amend` entry;
 * - at a venue that modifies natively: `modifyRequest` journaled first, then `venue.modify` (the FSM's PENDING_UPDATE);
 * - elsewhere cancel-replace, which never leaves two orders live: the cancel is journaled and sent, and the
 *   replacement is placed only once the venue confirms the old order ended; a fill in between reduces the replacement
 *   (it carries the new total less what the old one filled). A replacement waiting for its cancel is kept in the store,
 *   so a restart still places it. Every replacement passes the risk gate like any new order.
 * Called only from inside the engine's queue.
 */
import { D, type Decimal, isPositive } from "../core/money";
import { roundQty } from "../core/instrument";
import { applyOrderEvent, isTerminal, LIMIT_PRICE_TYPES, TRIGGER_TYPES, type Order, type OrderSpec } from "../core/orders";
import { checkPreTrade } from "../core/risk";
import type { VenueEvent } from "../core/orders/events";
import type { CommandResult, OrderRecord } from "./types";
import { done, fail, type EngineContext } from "./context";

export interface AmendChanges {
  /** New total quantity (filled part included). */
  quantity?: Decimal;
  /** New limit price (orders with a limit price), or new trigger price (stop and take-profit market orders). */
  price?: Decimal;
}

/** A replacement waiting for its old order's cancel to be confirmed (stored as strings). */
interface PendingReplacement {
  quantity: string;
  price: string | null;
  reason: string;
}

const STATE_KEY = "amendReplacements";

/** How an order is amended at this venue: natively (the venue's modify) or by cancel-replace. */
export function amendsNatively(cx: EngineContext, order: Order): boolean {
  const venue = cx.venue;
  if (typeof venue.modifiesNatively === "function") return venue.modifiesNatively(order.symbol);
  return venue.kind === "sim";
}

export class Amends {
  /** Old clientOrderId → the replacement to place once it ended. */
  private readonly replacing = new Map<string, PendingReplacement>();

  constructor(private readonly cx: EngineContext) {}

  restore(): void {
    this.replacing.clear();
    const stored = this.cx.store.getState<Record<string, PendingReplacement>>(STATE_KEY) ?? {};
    for (const [clientOrderId, pending] of Object.entries(stored)) this.replacing.set(clientOrderId, pending);
  }

  private persist(): void {
    this.cx.store.setState(STATE_KEY, Object.fromEntries(this.replacing));
  }

  isReplacing(clientOrderId: string): boolean {
    return this.replacing.has(clientOrderId);
  }

  /** The amend command (and the order lists' leg growth). `changes` already parsed; refusals in words. */
  amend(clientOrderId: string, changes: AmendChanges, reason: string): CommandResult {
    const stopped = this.cx.engine.refusalWhenStopped();
    if (stopped) return stopped;
    const record = this.cx.books.orders.get(clientOrderId);
    if (!record || isTerminal(record.order)) return fail("NOT_FOUND", `Order ${clientOrderId} is not open.`);
    const order = record.order;
    if (this.replacing.has(clientOrderId))
      return fail("AMEND_IN_PROGRESS", `Order ${clientOrderId} is already being replaced; wait for its cancel to be confirmed.`);
    if (order.status === "PENDING_CANCEL") return fail("AMEND_IN_PROGRESS", `Order ${clientOrderId} is being canceled; it cannot be amended.`);
    // A cancel-replace of one leg would end the whole native list at the venue (its cancel cancels both legs).
    if (this.cx.lists.isNativeLeg(clientOrderId))
      return fail(
        "NATIVE_LIST_LEG",
        `Order ${clientOrderId} is a leg of a native OCO list at ${record.meta.venue}: it cannot be amended there; cancel the list and place a new one.`,
      );
    if (changes.quantity === undefined && changes.price === undefined) return fail("NOTHING_TO_AMEND", "Give a new price, a new quantity, or both.");
    const instrument = this.cx.books.instruments.get(order.symbol);
    if (!instrument) return fail("UNKNOWN_SYMBOL", `${order.symbol} is not traded on ${this.cx.venue.id}.`);
    const quantity = changes.quantity ? roundQty(instrument, changes.quantity, "down") : order.quantity;
    if (changes.quantity && !quantity.equals(changes.quantity))
      return fail("QTY_PRECISION", `Quantity ${changes.quantity.toString()} is not a multiple of ${order.symbol}'s step ${instrument.qtyStep.toString()}.`);
    if (!quantity.greaterThan(order.filledQty))
      return fail("AMEND_QUANTITY", `The new quantity ${quantity.toString()} must exceed what has filled (${order.filledQty.toString()}).`);
    const priceField = changes.price === undefined ? null : LIMIT_PRICE_TYPES.has(order.type) ? "price" : TRIGGER_TYPES.has(order.type) ? "triggerPrice" : null;
    if (changes.price !== undefined && priceField === null) return fail("AMEND_PRICE", `A ${order.type} order has no price to amend.`);
    if (changes.price !== undefined && !changes.price.modulo(instrument.priceTick).isZero())
      return fail("PRICE_PRECISION", `Price ${changes.price.toString()} is not a multiple of ${order.symbol}'s tick ${instrument.priceTick.toString()}.`);
    const price = changes.price ?? order.price ?? order.triggerPrice;
    const refusal = this.checkGate(record, quantity, price);
    if (refusal) return refusal;
    const now = this.cx.clock.now();
    const what = `${order.clientOrderId}${changes.quantity ? ` to ${quantity.toString()}` : ""}${changes.price ? ` at ${changes.price.toString()}` : ""}`;

    if (order.status === "EMULATED") {
      // Held by the engine: nothing at the venue to change.
      const amended: Order = {
        ...order,
        quantity,
        ...(changes.price && priceField === "price" && { price: changes.price }),
        ...(changes.price && priceField === "triggerPrice" && { triggerPrice: changes.price }),
        updatedAt: now,
      };
      this.cx.transaction(() => {
        this.cx.store.appendJournal({
          clientOrderId,
          type: "amend",
          source: "engine",
          payload: { quantity: quantity.toString(), price: changes.price?.toString() ?? null, reason },
          applied: true,
          ts: now,
        });
        this.cx.books.orders.replaceOrder(record, amended);
        this.cx.store.saveOrder(record.order, record.meta);
      }, `amend of ${what} (held by the engine)`);
      this.cx.bus.publish({ type: "order", order: record.order });
      return done(`Order ${what} amended (held by the engine).`, { clientOrderId, method: "engine", status: record.order.status });
    }

    if (amendsNatively(this.cx, order)) {
      const venueChanges = {
        ...(changes.quantity && { quantity }),
        ...(changes.price && priceField === "price" && { price: changes.price }),
        ...(changes.price && priceField === "triggerPrice" && { triggerPrice: changes.price }),
      };
      const event = {
        type: "modifyRequest" as const,
        ...(changes.quantity && { qty: quantity }),
        ...(changes.price && priceField === "price" && { price: changes.price }),
        ...(changes.price && priceField === "triggerPrice" && { triggerPrice: changes.price }),
        ts: now,
      };
      const pending = applyOrderEvent(order, event);
      if (!pending.ok) return fail("AMEND_REFUSED", `Order ${clientOrderId} cannot be amended now: ${pending.error.message}`);
      // Journal first: the request commits before the venue hears of it.
      this.cx.transaction(() => {
        this.cx.store.appendJournal({ clientOrderId, type: "modifyRequest", source: "engine", payload: { ...event, reason }, applied: true, ts: now });
        this.cx.books.orders.replaceOrder(record, pending.order);
        this.cx.store.saveOrder(record.order, record.meta);
      }, `amend of ${what} journaled before it is sent to ${this.cx.venue.id}`);
      let events: VenueEvent[];
      try {
        events = this.cx.venue.modify(clientOrderId, venueChanges, now);
      } catch (e) {
        events = [{ clientOrderId, event: { type: "modifyReject", reason: e instanceof Error ? e.message : String(e), ts: now } }];
      }
      this.cx.ledger.ingest(events, "venue");
      const after = this.cx.books.orders.get(clientOrderId)?.order ?? this.cx.store.getOrder(clientOrderId)?.order ?? record.order;
      const refused = events.find((e) => e.event.type === "modifyReject");
      if (refused && refused.event.type === "modifyReject") return fail("VENUE_REJECTED", `${this.cx.venue.id} refused the amend: ${refused.event.reason}`);
      return done(`Amend of ${what} sent to ${this.cx.venue.id} (${after.status}).`, { clientOrderId, method: "modify", status: after.status });
    }

    // Cancel-replace: the replacement waits for the cancel's confirmation (never two orders live).
    this.cx.transaction(() => {
      this.replacing.set(clientOrderId, { quantity: quantity.toString(), price: changes.price?.toString() ?? null, reason });
      this.persist();
    }, `cancel-replace of ${what}: the replacement waits for the cancel's confirmation`);
    this.cx.ledger.requestCancel(record);
    const replacement = this.replacementOf.get(clientOrderId);
    if (replacement)
      return done(`Order ${clientOrderId} canceled and replaced by ${replacement}.`, {
        clientOrderId: replacement,
        replaced: clientOrderId,
        method: "cancel-replace",
      });
    if (!this.replacing.has(clientOrderId))
      return done(`Order ${clientOrderId} ended before it could be replaced.`, { replaced: clientOrderId, method: "cancel-replace" });
    return done(`Cancel of ${clientOrderId} requested; its replacement is placed once ${this.cx.venue.id} confirms it.`, {
      replaced: clientOrderId,
      method: "cancel-replace",
      pending: true,
    });
  }

  /** Old → new clientOrderId of the replacements placed by this process (for the command's answer and the lists). */
  private readonly replacementOf = new Map<string, string>();

  /**
   * The amended order passes the gate. A larger order is checked for what it adds (its working quantity is counted as
   * it is, and an OCO sibling is left out: alternatives); a repriced one for its whole remainder (its own reservation
   * is then counted twice: conservative near the limits). A smaller or repriced exit only shrinks what it holds.
   */
  private checkGate(record: OrderRecord, quantity: Decimal, price: Decimal | null): CommandResult | null {
    const order = record.order;
    const grows = quantity.greaterThan(order.quantity);
    if (!grows && order.reduceOnly) return null;
    const checked = grows ? quantity.minus(order.quantity) : quantity.minus(order.filledQty);
    const mark = this.cx.books.marks.get(order.symbol);
    const refPrice = price ?? (mark ? D(mark.last) : null);
    if (!refPrice) return fail("NO_MARKET_PRICE", `No market price for ${order.symbol} yet.`);
    const gate = checkPreTrade({
      order: { symbol: order.symbol, side: order.side, quantity: checked, price: refPrice, reduceOnly: order.reduceOnly },
      tradingState: this.cx.tradingState,
      portfolio: this.cx.gate.riskPortfolio(undefined, this.cx.lists.siblingOf(order.clientOrderId) ?? undefined),
      recentOrderTimestamps: this.cx.gate.recentOrderTimes,
      now: this.cx.clock.now(),
      limits: this.cx.gate.coreRiskLimits(),
      collectAll: false,
    });
    return gate.ok ? null : fail(gate.error.code, gate.error.message);
  }

  /** After an order changed (ledger.settleOrder): a cancel-replace whose old order ended places its replacement. */
  onOrderChanged(record: OrderRecord): void {
    const old = record.order;
    const pending = this.replacing.get(old.clientOrderId);
    if (!pending || !isTerminal(old)) return;
    this.cx.durably(() => {
      this.replacing.delete(old.clientOrderId);
      this.persist();
    });
    const left = D(pending.quantity).minus(old.filledQty);
    if (old.status === "FILLED" || !isPositive(left) || this.cx.tradingState === "HALTED") {
      this.cx.lists.onReplaced(old.clientOrderId, null);
      return;
    }
    const clientOrderId = this.cx.ids.next("bst");
    const price = pending.price === null ? null : D(pending.price);
    const priceField = price === null ? null : LIMIT_PRICE_TYPES.has(old.type) ? "price" : "triggerPrice";
    const spec: OrderSpec = {
      clientOrderId,
      symbol: old.symbol,
      side: old.side,
      type: old.type,
      quantity: left,
      ...(old.price && { price: old.price }),
      ...(old.triggerPrice && { triggerPrice: old.triggerPrice }),
      ...(priceField === "price" && price && { price }),
      ...(priceField === "triggerPrice" && price && { triggerPrice: price }),
      ...(old.trailing && {
        trailingOffset: old.trailing.offset,
        trailingOffsetType: old.trailing.offsetType,
        ...(old.trailing.activationPrice && { activationPrice: old.trailing.activationPrice }),
      }),
      triggerSource: old.triggerSource,
      timeInForce: old.timeInForce,
      ...(old.expireAt !== null && { expireAt: old.expireAt }),
      postOnly: old.postOnly,
      reduceOnly: old.reduceOnly,
      tags: { ...old.tags, replaces: old.clientOrderId },
      ...(old.listId !== null && { listId: old.listId }),
      contingency: old.contingency,
      linkedClientOrderIds: [...old.linkedClientOrderIds],
      ...(old.parentClientOrderId !== null && { parentClientOrderId: old.parentClientOrderId }),
      venue: this.cx.venue.id,
    };
    // The lists learn of the replacement before it can fill (its fill must find its leg).
    this.cx.lists.onReplaced(old.clientOrderId, clientOrderId);
    const refPrice = spec.price !== undefined ? D(spec.price) : (this.cx.books.markOf(old.symbol) ?? old.price ?? old.triggerPrice ?? D(0));
    const sibling = this.cx.lists.siblingOf(clientOrderId);
    const result = this.cx.gate.placeOrder(spec, { refPrice, ...(sibling && { exceptClientOrderId: sibling }) });
    if (result.ok) {
      this.replacementOf.set(old.clientOrderId, clientOrderId);
      return;
    }
    this.cx.lists.onReplaced(clientOrderId, null);
    this.cx.log("warn", `replacement of ${old.clientOrderId} refused: ${result.error.code} ${result.error.message}`);
    this.cx.bus.publish({
      type: "alert",
      level: "error",
      message: `Order ${old.clientOrderId} was canceled to be amended, and its replacement was refused: ${result.error.message}`,
    });
  }
}

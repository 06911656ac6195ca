/**
 * A bracket's exits: its shape checked at placing (core's createBracket), then the stop-loss and take-profit sent as the
 * entry fills (reduce-only, sized to what filled, routed to the entry's venue) and grown by amend with later fills; an
 * entry filled whole at once sends them as one native OCO list where the venue holds one (order-lists-native.ts).
 * Owned by `OrderLists` (order-lists.ts), which lends it the list's bookkeeping.
 */
import { D, type Decimal } from "../core/money";
import { createBracket, isTerminal, type Order, type OrderSpec } from "../core/orders";
import { MANUAL_OWNER } from "./books";
import { requestTerms } from "./intake";
import type { CommandResult } from "./types";
import { fail, markDecimal, type EngineContext } from "./context";
import { legOrderFields, siblingLeg } from "./order-lists-native";
import type { ListLeg, OrderListState } from "./order-lists-state";

/** What the list room lends this one. */
export interface BracketHost {
  save(list: OrderListState): void;
  noteLeg(list: OrderListState, leg: ListLeg, result: CommandResult): void;
  orderOf(clientOrderId: string): Order | null;
  sendNativeBracketPair(list: OrderListState, pair: [ListLeg, ListLeg], quantity: Decimal, positionId: string | null): boolean;
}

export class BracketExits {
  constructor(
    private readonly cx: EngineContext,
    private readonly host: BracketHost,
  ) {}

  /** The bracket's shape (leg types, prices on the right sides), by core's createBracket; a market entry is judged at the mark. */
  checkBracket(listId: string, legs: ListLeg[]): CommandResult | null {
    const [entry, stopLoss, takeProfit] = legs as [ListLeg, ListLeg, ListLeg];
    // The named venue's own price (else the desk-level mark): where the entry would fill.
    const mark = this.cx.books.markAt(entry.request.venue, entry.request.symbol);
    const spec = (l: ListLeg, withMark = false): OrderSpec => {
      const r = l.request;
      const level = r.price ?? r.triggerPrice ?? (withMark && mark ? markDecimal(mark).toString() : undefined);
      return {
        ...legOrderFields(l),
        ...(r.price !== undefined && { price: r.price }),
        ...(r.triggerPrice !== undefined && { triggerPrice: r.triggerPrice }),
        ...(withMark && r.price === undefined && r.triggerPrice === undefined && level !== undefined && { price: level }),
      };
    };
    const built = createBracket({ listId, entry: spec(entry, true), stopLoss: spec(stopLoss), takeProfit: spec(takeProfit) });
    return built.ok ? null : fail(built.error.code, built.error.message);
  }

  /** A bracket's exits protect what the entry has filled: sent with that quantity, then grown (amend) as it fills more. */
  growBracketLegs(list: OrderListState, entry: Order): void {
    if (list.exiting || list.canceled || this.cx.tradingState === "HALTED") return;
    const target = entry.filledQty;
    const positionId = this.cx.books.orders.get(entry.clientOrderId)?.meta.positionId ?? this.cx.store.getOrder(entry.clientOrderId)?.meta.positionId ?? null;
    // An entry filled whole at once (a market entry, typically): its exits go out as one native OCO list where the venue
    // has them. A partial fill keeps the emulated pair, which grows with later fills (a native list cannot be amended).
    const [, stopLoss, takeProfit] = list.legs as [ListLeg, ListLeg, ListLeg];
    if (entry.status === "FILLED" && !stopLoss.sent && !takeProfit.sent && this.host.sendNativeBracketPair(list, [stopLoss, takeProfit], target, positionId))
      return;
    for (const leg of list.legs.slice(1)) {
      if (list.exiting) return;
      if (!leg.sent) {
        const result = this.sendBracketLeg(list, leg, target, positionId);
        this.host.noteLeg(list, leg, result);
        continue;
      }
      const order = this.host.orderOf(leg.clientOrderId);
      if (!order || isTerminal(order) || order.status === "PENDING_CANCEL" || this.cx.amends.isReplacing(order.clientOrderId)) continue;
      if (!order.quantity.lessThan(target)) continue;
      const result = this.cx.amends.amend(order.clientOrderId, { quantity: target }, `bracket ${list.listId}: the ${leg.role} follows the entry's fills`);
      this.host.noteLeg(list, leg, result);
    }
  }

  /**
   * The venue a bracket's exits go to: the one its entry went to (the position they protect lives there), else the one
   * the entry named, else the engine's venue.
   */
  private entryVenue(list: OrderListState): string {
    const entry = list.legs[0]!;
    const stored = this.cx.books.orders.get(entry.clientOrderId) ?? this.cx.store.getOrder(entry.clientOrderId);
    return stored?.meta.venue ?? entry.request.venue ?? this.cx.venue.id;
  }

  /** A bracket exit's order spec (side and quantity from the entry's fills) and the price the gate judges it at. */
  bracketLegSpec(
    list: OrderListState,
    leg: ListLeg,
    quantity: Decimal,
    positionId: string | null,
  ): { spec: OrderSpec; refPrice: Decimal } | { error: CommandResult } {
    const r = leg.request;
    const sibling = siblingLeg(list, leg);
    const spec: OrderSpec = {
      clientOrderId: leg.clientOrderId,
      symbol: r.symbol,
      side: r.side,
      type: r.type,
      quantity,
      ...requestTerms(r),
      postOnly: r.postOnly ?? false,
      reduceOnly: true,
      tags: {
        ...(positionId !== null && { positionId }),
        reason: leg.role,
        strategy: MANUAL_OWNER,
        manualBy: list.createdBy,
        listRole: leg.role,
      },
      listId: list.listId,
      contingency: "OCO",
      linkedClientOrderIds: sibling ? [sibling.clientOrderId] : [],
      parentClientOrderId: list.legs[0]!.clientOrderId,
      venue: this.entryVenue(list),
    };
    // Judged (and, emulated, triggered: watchers.watchEmulated) at the price of that venue.
    const mark = this.cx.books.markAt(spec.venue, r.symbol);
    const refPrice = r.price !== undefined ? D(r.price) : mark ? markDecimal(mark) : r.triggerPrice !== undefined ? D(r.triggerPrice) : null;
    if (!refPrice) return { error: fail("NO_MARKET_PRICE", `No market price for ${r.symbol} yet.`) };
    return { spec, refPrice };
  }

  private sendBracketLeg(list: OrderListState, leg: ListLeg, quantity: Decimal, positionId: string | null): CommandResult {
    const built = this.bracketLegSpec(list, leg, quantity, positionId);
    if ("error" in built) return built.error;
    const { spec, refPrice } = built;
    const sibling = siblingLeg(list, leg);
    // Sent before the gate answers: a fill the venue reports at once must find its leg sent.
    leg.sent = true;
    this.host.save(list);
    const result = this.cx.gate.placeOrder(spec, { refPrice, emulate: true, ...(sibling?.sent && { exceptClientOrderId: sibling.clientOrderId }) });
    if (!result.ok && !this.cx.books.orders.has(leg.clientOrderId) && !this.cx.store.getOrder(leg.clientOrderId)) {
      leg.sent = false; // refused before it existed: a later fill of the entry tries again
      this.host.save(list);
    }
    return result;
  }
}

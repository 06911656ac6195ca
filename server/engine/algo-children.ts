/**
 * The algos room's child bookkeeping (engine/algos.ts holds the parent lifecycle): a child order placed through the risk
 * gate and booked to the owner's position (or reducing the parent's), and the events that bring a child's record in
 * the parent's state up to its order in the books (acceptance, each fill once, its end).
 *
 * What it must never do: bypass the gate (every child is a new order through `gate.placeOrder`, DESIGN.md invariant 5,
 * tagged `parentId`), or book a fill twice (a fill already in the child's trade ids is skipped).
 */
import type { ChildOrderSpec, ParentEvent, ParentState } from "../core/algos/types";
import { isPositive } from "../core/money";
import type { OrderSpec } from "../core/orders";
import { MANUAL_OWNER } from "./books";
import { markDecimal, type EngineContext } from "./context";
import type { LiveParent, WorkItem } from "./algo-types";
import type { PositionRecord } from "./types";

/** The events that bring a child's record up to its order: accepted, each fill not yet booked, its end. */
export function childEvents(cx: EngineContext, state: ParentState, clientOrderId: string): ParentEvent[] {
  const child = state.children.find((c) => c.clientOrderId === clientOrderId);
  if (!child) return [];
  const stored = cx.books.orders.get(clientOrderId) ?? cx.store.getOrder(clientOrderId);
  if (!stored) return [];
  const order = stored.order;
  const events: ParentEvent[] = [];
  if ((child.status === "sent" || child.status === "in_doubt") && !["REJECTED", "DENIED", "INITIALIZED"].includes(order.status)) {
    events.push({ type: "childAccepted", clientOrderId });
  }
  for (const fill of cx.store.fillsForOrder(clientOrderId)) {
    if (child.tradeIds.includes(fill.tradeId)) continue;
    events.push({ type: "childFilled", clientOrderId, tradeId: fill.tradeId, qty: fill.qty, price: fill.price, fee: fill.fee });
  }
  if (order.status === "CANCELED" || order.status === "EXPIRED")
    events.push({ type: "childCancelled", clientOrderId, reason: order.reason ?? order.status.toLowerCase() });
  if (order.status === "REJECTED" || order.status === "DENIED")
    events.push({ type: "childRejected", clientOrderId, reason: order.reason ?? order.status.toLowerCase() });
  return events;
}

/**
 * One child through the risk gate, booked to the owner's position (or reducing the parent's). False when it never
 * reached the gate (the position it was to reduce is closed: the parent hears so through `enqueue`).
 */
export function placeChildOrder(cx: EngineContext, live: LiveParent, child: ChildOrderSpec, enqueue: (item: WorkItem) => void): boolean {
  const { meta } = live;
  const wantSide = child.side === "BUY" ? "LONG" : "SHORT";
  let positionId: string;
  let newPosition: { id: string; side: "LONG" | "SHORT"; meta: PositionRecord["meta"] } | null = null;
  if (meta.reducePositionId) {
    const record = cx.books.positions.get(meta.reducePositionId);
    if (!record || record.position.state === "CLOSED" || !isPositive(record.position.quantity)) {
      enqueue({ id: live.state.spec.id, event: { type: "cancel", reason: `position ${meta.reducePositionId} is closed` } });
      enqueue({ id: live.state.spec.id, event: { type: "childRejected", clientOrderId: child.clientOrderId, reason: "the position is closed" } });
      return false;
    }
    positionId = record.position.id;
  } else {
    // Positions belong to (venue, symbol, owner): the child adds to the owner's position at the parent's venue only.
    const venue = meta.venue ?? cx.venue.id;
    const target = cx.books
      .openPositionsFor(child.symbol, meta.owner)
      .find((r) => r.position.side === wantSide && (!cx.venues || cx.venueRoom.venueOfPosition(r) === venue));
    positionId = target?.position.id ?? cx.ids.next("pos");
    if (!target)
      newPosition = {
        id: positionId,
        side: wantSide,
        meta: { strategy: meta.owner === MANUAL_OWNER ? MANUAL_OWNER : meta.owner, signalId: meta.signalId, entryOrderId: child.clientOrderId },
      };
  }
  const spec: OrderSpec = {
    clientOrderId: child.clientOrderId,
    symbol: child.symbol,
    side: child.side,
    type: child.type,
    quantity: child.qty,
    ...(child.price !== null && { price: child.price }),
    timeInForce: child.timeInForce,
    reduceOnly: meta.reducePositionId !== null,
    tags: {
      positionId,
      parentId: live.state.spec.id,
      reason: meta.reducePositionId ? (meta.reason ?? "algo") : "entry",
      strategy: meta.owner,
      ...(meta.signalId ? { signalId: meta.signalId } : {}),
    },
    venue: meta.venue ?? cx.venue.id,
  };
  // The price of the venue the child goes to (its own quote, else the desk-level mark).
  const mark = cx.books.markAt(spec.venue, child.symbol);
  const refPrice = child.price ?? (mark ? markDecimal(mark) : live.state.spec.arrivalPrice);
  const result = cx.gate.placeOrder(spec, { refPrice, newPosition });
  // A gate refusal leaves no order behind: the parent hears it here. A venue refusal came through settleOrder.
  if (!result.ok && !cx.books.orders.has(child.clientOrderId) && !cx.store.getOrder(child.clientOrderId)) {
    enqueue({
      id: live.state.spec.id,
      event: { type: "childRejected", clientOrderId: child.clientOrderId, reason: `${result.error.code}: ${result.error.message}` },
    });
  }
  return true;
}

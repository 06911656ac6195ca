/**
 * The ccxt adapter's emergency cancel-all, one symbol at a time, on the emergency instance (its own rate-limit
 * bucket, so it never waits behind routine requests). It reports only what it knows: an order is called canceled
 * when the exchange's answer lists it or it is gone and no lookup says otherwise, never on a guess.
 */
import type { Exchange } from "ccxt";
import type { Clock } from "../../core/clock";
import type { VenueEvent } from "../../core/orders/events";
import { TERMINAL_STATUSES } from "../../core/orders/types";
import type { RequestKind } from "./errors";
import { isNotFound, type ExchangeLookups } from "./lookups";
import type { CcxtMarketLike } from "./markets";
import { clientIdOf, type OrderTracker } from "./order-tracker";
import { toSnapshot, type CcxtOrderLike, type ExchangeProfile } from "./orders";

/** What the cancel-all works with: the emergency instance, the adapter's profile, markets, tracker and lookups. */
export interface CancelAllContext {
  readonly emergencyExchange: Exchange;
  readonly profile: ExchangeProfile;
  readonly markets: ReadonlyMap<string, CcxtMarketLike>;
  readonly tracker: OrderTracker;
  readonly lookups: ExchangeLookups;
  readonly clock: Clock;
  call<T>(instance: Exchange, kind: RequestKind, action: string, fn: () => Promise<T>): Promise<T>;
}

/**
 * Cancels every order of one symbol on the emergency instance: ccxt's cancelAllOrders, and a second call with
 * `{ trigger: true }` where trigger orders live apart. Orders the answer lists are reported canceled; orders Bastion
 * placed that it does not list are checked against the open orders afterwards (still open → canceled one by one;
 * gone → their end is read, since they may have filled meanwhile).
 */
export async function cancelAllOf(context: CancelAllContext, symbol: string): Promise<VenueEvent[]> {
  const market = context.markets.get(symbol)!;
  const canceled = new Set<string>();
  const lookedUp: VenueEvent[] = [];
  const books = context.profile.separateTriggerBook(market, true) ? [false, true] : [false];
  for (const trigger of books) {
    try {
      const orders = (await context.call(context.emergencyExchange, "cancelAll", `canceling every ${trigger ? "trigger " : ""}${symbol} order`, () =>
        context.emergencyExchange.cancelAllOrders(symbol, trigger ? { trigger: true } : {}),
      )) as CcxtOrderLike[] | undefined;
      for (const order of Array.isArray(orders) ? orders : []) {
        const clientOrderId = (order.id ? context.tracker.clientOrderIdOf(String(order.id)) : undefined) ?? clientIdOf(order);
        if (!clientOrderId) continue;
        canceled.add(clientOrderId);
        // Filled in part before the cancel: the next poll reads the fills (it polls until they are all seen).
        const record = context.tracker.get(clientOrderId);
        const filled = record ? toSnapshot(order, clientOrderId, { type: record.type, symbol }).filledQty : null;
        if (record && filled && filled.greaterThan(record.reportedFilled)) record.reportedFilled = filled;
      }
    } catch (error) {
      if (!isNotFound(error)) throw error; // "no open orders" is answered as an unknown order by some exchanges
    }
  }
  const now = context.clock.now();
  const events: VenueEvent[] = [];
  // An order whose create is still on its way (no exchange id, never acknowledged) may land after this cancel-all:
  // it is not called canceled (the resilience layer cancels it when it arrives, or it is in doubt).
  const ours = [...context.tracker.all()].filter(
    (r) => r.symbol === symbol && r.open && (r.venueOrderId !== null || r.accepted === true || canceled.has(r.clientOrderId)),
  );
  const unlisted = ours.filter((r) => !canceled.has(r.clientOrderId));
  if (unlisted.length > 0) {
    const stillOpen = new Set<string>();
    for (const order of await context.lookups.openOrdersOf(symbol, context.emergencyExchange, true)) {
      const clientOrderId = (order.id ? context.tracker.clientOrderIdOf(String(order.id)) : undefined) ?? clientIdOf(order);
      if (clientOrderId) stillOpen.add(clientOrderId);
    }
    for (const record of unlisted) {
      if (stillOpen.has(record.clientOrderId)) {
        await context.call(context.emergencyExchange, "cancelAll", `canceling order ${record.clientOrderId}, which the cancel-all of ${symbol} left open`, () =>
          context.emergencyExchange.cancelOrder(record.venueOrderId ?? "", symbol, context.lookups.idParams(record)),
        );
        canceled.add(record.clientOrderId);
        continue;
      }
      // No longer open and not canceled by this cancel-all: it may have FILLED meanwhile. Its end is read, not assumed;
      // when the lookup fails it is left open for the next poll (never called canceled on a guess).
      let order: CcxtOrderLike | null;
      try {
        order = await context.lookups.findOrder(record.clientOrderId, symbol, record, context.emergencyExchange);
      } catch {
        continue;
      }
      if (order && TERMINAL_STATUSES.has(toSnapshot(order, record.clientOrderId, { type: record.type, symbol }).status))
        lookedUp.push(...context.tracker.eventsForOrder(record, order, "lookup"));
      else if (!order) canceled.add(record.clientOrderId);
    }
  }
  for (const record of ours) {
    if (!canceled.has(record.clientOrderId)) continue;
    record.open = false;
    events.push({ clientOrderId: record.clientOrderId, event: { type: "cancel", reason: "canceled by cancel-all at the exchange", ts: now } });
  }
  return [...lookedUp, ...events];
}

/**
 * The ccxt adapter's exchange lookups: one of our orders by clientOrderId (or its exchange id when known) in the
 * regular and the trigger book, a symbol's open orders, our clientOrderId behind an exchange order id, and the
 * parameters that name an order. Each exchange keeps trigger orders and client ids its own way (ExchangeProfile);
 * this is where those differences are met. Reads only: every order found is recorded in the tracker, nothing sent.
 */
import type { Exchange } from "ccxt";
import { FinalVenueError } from "../venue";
import { errorClassNames, type RequestKind } from "./errors";
import type { CcxtMarketLike } from "./markets";
import { clientIdOf, type OrderTracker, type TrackedOrder } from "./order-tracker";
import type { CcxtOrderLike, ExchangeProfile } from "./orders";

/** What the lookups read through: the adapter's main instance, its profile, markets, tracker and call wrapper. */
export interface LookupContext {
  readonly exchange: Exchange;
  readonly profile: ExchangeProfile;
  readonly symbols: readonly string[];
  readonly markets: ReadonlyMap<string, CcxtMarketLike>;
  readonly tracker: OrderTracker;
  /** Runs a ccxt call with the adapter's latency and status bookkeeping; errors come back classified. */
  call<T>(instance: Exchange, kind: RequestKind, action: string, fn: () => Promise<T>): Promise<T>;
}

export function isNotFound(error: unknown): boolean {
  return errorClassNames(error).includes("OrderNotFound") || (error instanceof FinalVenueError && error.code === "ORDER_NOT_FOUND");
}

export class ExchangeLookups {
  constructor(private readonly context: LookupContext) {}

  /** Parameters that name an order: the exchange's id when known, else our clientOrderId in the exchange's field. */
  idParams(record: TrackedOrder): Record<string, unknown> {
    const params: Record<string, unknown> = record.venueOrderId ? {} : { [this.context.profile.lookupParam]: record.clientOrderId };
    if (record.triggerBook) params.trigger = true;
    return params;
  }

  /** An order Bastion did not place in this process (a restart): found by clientOrderId on the traded symbols. */
  async adopt(clientOrderId: string, instance: Exchange): Promise<TrackedOrder | null> {
    for (const symbol of this.context.symbols) {
      const order = await this.findOrder(clientOrderId, symbol, null, instance);
      if (order) return this.context.tracker.remember(clientOrderId, symbol, order, undefined);
    }
    return null;
  }

  /** Looks one order up by our clientOrderId (or its exchange id when known): regular book, then the trigger book. */
  async findOrder(clientOrderId: string, symbol: string, record: TrackedOrder | null, instance: Exchange): Promise<CcxtOrderLike | null> {
    const market = this.context.markets.get(symbol)!;
    const action = `looking up order ${clientOrderId} on ${symbol}`;
    const books = record ? [record.triggerBook] : this.context.profile.separateTriggerBook(market, true) ? [false, true] : [false];
    for (const trigger of books) {
      if (trigger && this.context.profile.family !== "binance") {
        // Bitget and others: no lookup of a trigger order by clientOrderId; search the open trigger orders.
        const open = await this.context.call(instance, "read", action, () => instance.fetchOpenOrders(symbol, undefined, undefined, { trigger: true }));
        const found = (open as CcxtOrderLike[]).find((o) => clientIdOf(o) === clientOrderId || (record?.venueOrderId && o.id === record.venueOrderId));
        if (found) return found;
        // Not waiting any more: a triggered Bitget plan became a regular order under a new orderId and the plan's
        // clientOid. Found by that clientOid, it carries the fill (and its new id, so the poll can match its trades).
        if (record?.triggerBook) {
          const placed = await this.regularByClientId(clientOrderId, symbol, instance, action);
          if (placed) return placed;
        }
        continue;
      }
      const params: Record<string, unknown> = record?.venueOrderId
        ? {}
        : { [trigger && this.context.profile.family === "binance" ? "clientOrderId" : this.context.profile.lookupParam]: clientOrderId };
      if (trigger) params.trigger = true;
      try {
        const order = (await this.context.call(instance, "read", action, () =>
          instance.fetchOrder(record?.venueOrderId ?? "", symbol, params),
        )) as CcxtOrderLike;
        if (order?.id) return order;
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return null;
  }

  /** A regular-book order by our clientOrderId, or null when the exchange has none. */
  private async regularByClientId(clientOrderId: string, symbol: string, instance: Exchange, action: string): Promise<CcxtOrderLike | null> {
    try {
      const order = (await this.context.call(instance, "read", action, () =>
        instance.fetchOrder("", symbol, { [this.context.profile.lookupParam]: clientOrderId }),
      )) as CcxtOrderLike;
      return order?.id ? order : null;
    } catch (error) {
      if (!isNotFound(error)) throw error;
      return null;
    }
  }

  async openOrdersOf(symbol: string, instance: Exchange, triggerBook?: boolean): Promise<CcxtOrderLike[]> {
    const market = this.context.markets.get(symbol)!;
    const action = `reading open ${symbol} orders`;
    const regular = (await this.context.call(instance, "read", action, () => instance.fetchOpenOrders(symbol))) as CcxtOrderLike[];
    if (!((triggerBook ?? true) && this.context.profile.separateTriggerBook(market, true))) return regular;
    const triggers = (await this.context.call(instance, "read", action, () =>
      instance.fetchOpenOrders(symbol, undefined, undefined, { trigger: true }),
    )) as CcxtOrderLike[];
    return [...regular, ...triggers];
  }

  async clientIdForVenueOrder(venueOrderId: string | undefined, symbol: string): Promise<string | null> {
    if (!venueOrderId) return null;
    const known = this.context.tracker.clientOrderIdOf(String(venueOrderId));
    if (known) return known;
    try {
      const order = (await this.context.call(this.context.exchange, "read", `looking up order ${venueOrderId} on ${symbol}`, () =>
        this.context.exchange.fetchOrder(String(venueOrderId), symbol),
      )) as CcxtOrderLike;
      const clientOrderId = clientIdOf(order);
      if (clientOrderId) this.context.tracker.remember(clientOrderId, symbol, order, this.context.tracker.get(clientOrderId));
      return clientOrderId;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }
}

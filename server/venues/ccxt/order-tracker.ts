/**
 * The ccxt adapter's order tracker: what Bastion knows of each order it placed (or adopted) at the exchange —
 * clientOrderId ↔ exchange order id, which book it sits in, the filled quantity the exchange reported against the
 * fills seen — and the events an exchange answer produces for it. Every path (create answers, polls, lookups, the
 * websocket stream) goes through here, so each event is reported once: an accept once, a fill once per trade id,
 * an end once.
 */
import type { Clock } from "../../core/clock";
import type { Instrument } from "../../core/instrument";
import { ZERO, type Decimal } from "../../core/money";
import { acceptEvent, type VenueEvent, venueFillEvent } from "../../core/orders/events";
import { TERMINAL_STATUSES, type OrderSide, type OrderType } from "../../core/orders/types";
import { quoteFee, toSnapshot, toVenueFill, type CcxtOrderLike, type CcxtTradeLike } from "./orders";

export interface TrackedOrder {
  clientOrderId: string;
  symbol: string;
  type: OrderType;
  side: OrderSide;
  venueOrderId: string | null;
  triggerBook: boolean;
  open: boolean;
  /** Filled quantity the exchange reported vs fills seen: poll until they agree. */
  reportedFilled: Decimal;
  seenFilled: Decimal;
  createdAt: number;
  /** The accept was reported (by the create answer, a lookup or the stream): never twice. */
  accepted?: boolean;
}

/** Our clientOrderId as the exchange echoes it (Binance cancel answers carry it as origClientOrderId). */
export function clientIdOf(order: CcxtOrderLike): string | null {
  const info = (order.info ?? {}) as Record<string, unknown>;
  for (const key of ["origClientOrderId", "clientOid", "clientAlgoId"]) {
    const value = info[key];
    if (typeof value === "string" && value !== "") return value;
  }
  return order.clientOrderId ? String(order.clientOrderId) : null;
}

export interface OrderTrackerOptions {
  /** The venue's id, for log lines. */
  venueId: string;
  clock: Clock;
  /** The instrument of a traded symbol (fills read its quote currency). */
  instrument: (symbol: string) => Instrument;
  log: (level: "info" | "warn" | "error", message: string) => void;
}

export class OrderTracker {
  private readonly orders = new Map<string, TrackedOrder>();
  private readonly byVenueId = new Map<string, string>();
  private readonly seenTrades = new Set<string>();

  constructor(private readonly options: OrderTrackerOptions) {}

  get(clientOrderId: string): TrackedOrder | undefined {
    return this.orders.get(clientOrderId);
  }

  track(record: TrackedOrder): void {
    this.orders.set(record.clientOrderId, record);
  }

  forget(clientOrderId: string): void {
    this.orders.delete(clientOrderId);
  }

  all(): IterableIterator<TrackedOrder> {
    return this.orders.values();
  }

  /** Our clientOrderId behind an exchange order id, when that order is known. */
  clientOrderIdOf(venueOrderId: string): string | undefined {
    return this.byVenueId.get(venueOrderId);
  }

  /** Our order behind an exchange order id, else behind the clientOrderId the event carries (Binance `c`). */
  recordFor(venueOrderId: string | undefined, info: unknown): TrackedOrder | undefined {
    const clientOrderId = venueOrderId !== undefined ? this.byVenueId.get(String(venueOrderId)) : undefined;
    if (clientOrderId) return this.orders.get(clientOrderId);
    const raw = (info ?? {}) as Record<string, unknown>;
    for (const key of ["c", "C", "clientOid", "clientOrderId"]) {
      const value = raw[key];
      const record = typeof value === "string" && value !== "" ? this.orders.get(value) : undefined;
      if (record) return record;
    }
    return undefined;
  }

  /** Records what an exchange order tells about one of ours (venue id ↔ clientOrderId). */
  remember(clientOrderId: string, symbol: string, order: CcxtOrderLike, record: TrackedOrder | undefined): TrackedOrder {
    const snapshot = toSnapshot(order, clientOrderId, record ? { type: record.type, symbol } : undefined);
    const out: TrackedOrder = record ?? {
      clientOrderId,
      symbol,
      type: snapshot.type,
      side: snapshot.side,
      venueOrderId: null,
      triggerBook: false,
      open: !TERMINAL_STATUSES.has(snapshot.status),
      reportedFilled: snapshot.filledQty,
      seenFilled: ZERO,
      createdAt: order.timestamp ?? this.options.clock.now(),
    };
    if (snapshot.venueOrderId) {
      out.venueOrderId = snapshot.venueOrderId;
      this.byVenueId.set(snapshot.venueOrderId, clientOrderId);
    }
    if (!record) this.orders.set(clientOrderId, out);
    return out;
  }

  /** Events for an order as the exchange reports it: accept (once), new fills, and its end. */
  eventsForOrder(record: TrackedOrder, order: CcxtOrderLike, source: "create" | "poll" | "lookup"): VenueEvent[] {
    const now = this.options.clock.now();
    const clientOrderId = record.clientOrderId;
    const snapshot = toSnapshot(order, clientOrderId, { type: record.type, symbol: record.symbol });
    const events: VenueEvent[] = [];
    if (snapshot.status === "REJECTED") {
      record.open = false;
      return [{ clientOrderId, event: { type: "reject", reason: "REJECTED: the exchange rejected the order.", ts: now } }];
    }
    if ((source !== "poll" || !record.venueOrderId) && !record.accepted) {
      record.accepted = true;
      events.push(acceptEvent(clientOrderId, snapshot.venueOrderId, now));
    }
    this.remember(clientOrderId, record.symbol, order, record);
    if (snapshot.filledQty.greaterThan(record.reportedFilled)) record.reportedFilled = snapshot.filledQty;
    events.push(
      ...this.fillEvents(
        record,
        (order.trades ?? []).map((t) => ({ ...t, order: t.order ?? order.id, symbol: record.symbol })),
      ),
    );
    if (TERMINAL_STATUSES.has(snapshot.status)) record.open = false;
    if (snapshot.status === "CANCELED") events.push({ clientOrderId, event: { type: "cancel", reason: "canceled at the exchange", ts: now } });
    if (snapshot.status === "EXPIRED") events.push({ clientOrderId, event: { type: "expire", ts: now } });
    return events;
  }

  /** Fill events for the trades not seen before (by trade id), whichever path brought them. */
  fillEvents(record: TrackedOrder, trades: CcxtTradeLike[]): VenueEvent[] {
    const instrument = this.options.instrument(record.symbol);
    const events: VenueEvent[] = [];
    for (const trade of trades) {
      const fill = toVenueFill(trade, record.clientOrderId, record.side, instrument.quote);
      if (!fill || this.seenTrades.has(fill.tradeId)) continue;
      this.seenTrades.add(fill.tradeId);
      record.seenFilled = record.seenFilled.plus(fill.qty);
      // Fills of a market order take liquidity, whether or not the exchange says so (Binance's FULL answer does not).
      const liquidity = fill.liquidity ?? (record.type === "MARKET" ? "TAKER" : null);
      const { fee, converted } = quoteFee(fill, instrument);
      if (!converted)
        this.options.log(
          "warn",
          `${this.options.venueId}: fill ${fill.tradeId} paid its fee in ${fill.feeCurrency}; it is not converted to ${instrument.quote} (booked as 0).`,
        );
      events.push(venueFillEvent(record.clientOrderId, { ...fill, liquidity, ts: fill.ts || this.options.clock.now() }, fee));
    }
    return events;
  }

  /** Events for trades the websocket stream reported on a symbol (user-stream.ts): the same fill events as a poll's. */
  streamTradeEvents(symbol: string, trades: CcxtTradeLike[]): VenueEvent[] {
    const events: VenueEvent[] = [];
    for (const trade of trades) {
      const record = this.recordFor(trade.order, (trade as { info?: unknown }).info);
      // A fill before the order's accept (its create answer still on the way) is left to that answer or the next poll.
      if (record && record.symbol === symbol && record.accepted) events.push(...this.fillEvents(record, [{ ...trade, symbol }]));
    }
    return events;
  }

  /** Events for order updates the websocket stream reported on a symbol: the same events as a poll's. */
  streamOrderEvents(symbol: string, orders: CcxtOrderLike[]): VenueEvent[] {
    const events: VenueEvent[] = [];
    for (const order of orders) {
      const record = this.recordFor(order.id, order.info) ?? (clientIdOf(order) ? this.get(clientIdOf(order)!) : undefined);
      // Orders Bastion did not place are left to reconciliation; an order already ended is not ended twice.
      if (!record || record.symbol !== symbol || !record.open) continue;
      events.push(...this.eventsForOrder(record, order, "poll"));
    }
    return events;
  }
}

/**
 * The matching engine: a deterministic simulated exchange, its own book of working orders and spot balances, fills from
 * market data, venue events in the FSM vocabulary of orders/events.ts. Pure: time comes in as `now`,
 * randomness from the injected Rng (only latency jitter draws from it). Used by paper, replay and backtest.
 *
 * Matching rules (the spec was silent on several; these are the choices):
 * - Requests (submit, cancel, cancelAll, modify) reach the venue `latency` ms after they are sent, in the
 *   order sent (one connection, FIFO). Nothing happens to an order before it arrives; arriving requests are
 *   processed at their arrival time, against the market as last seen, before any later market data.
 * - "Touch" = the last quote or book snapshot. Orders that arrive (or trigger) while a touch is known execute
 *   against it immediately: quotes are treated as deep at the touch (their sizes only feed the slippage
 *   model), books are walked level by level with one fill per level (their VWAP is the walk's VWAP), and
 *   liquidity taken from a snapshot is gone until the next snapshot. With config.bookFidelity (book-fidelity.ts) market
 *   orders go beyond the shown depth at a stated impact, liquidity taken stays out of later snapshots until the book
 *   refills, and resting limits queue behind the recorded size at their price.
 * - Without a touch (trade or candle feeds) market orders, and limits marketable against the last price, wait
 *   for the next print: a trade fills them at its price, a candle at its open ("the open of the next bar",
 *   or the close with candleFillPrice: "CLOSE"). IOC/FOK without a touch treat that next print as "now".
 * - Resting limits fill as makers at their limit price when the market trades through them: trade price
 *   strictly beyond the limit (at the limit too with fillOnTouch), candle low/high beyond it, or a quote/book
 *   crossing it. Per update and per side, trades and candles allow at most participationCap × their volume.
 * - Taker fills get slippage (always against the trader, rounded to the tick against the trader); a limit
 *   order's taker price never passes its limit. Maker fills get none.
 * - Stops/take-profits/trailing stops trigger through orders/triggers.ts. On a candle the path
 *   open → nearer extreme → other extreme → close is assumed: a gap through the trigger at the open fills at
 *   the open, otherwise at the trigger price. Market kinds then execute like market orders; limit kinds emit
 *   `trigger` and behave like a newly placed limit.
 * - Spot balances: a buy reserves quote (limit price, or a reference price plus marketReserveBufferBps for
 *   market kinds, times 1 + the highest fee rate); a sell reserves base. Fees are charged in quote. If a fill
 *   costs more than the order reserved and free quote cannot cover it, the rest of the order is canceled
 *   with INSUFFICIENT_BALANCE. Instruments of every kind are settled as spot (no margin model).
 * - Refusal reasons start with an UPPER_SNAKE code, then a sentence: "INSUFFICIENT_BALANCE: …".
 * - toSnapshot() / MatchingEngine.fromSnapshot() capture and restore the whole venue as plain JSON-able
 *   data (snapshot.ts); a restored venue behaves exactly like the original from that point. Every fill is
 *   also kept, with its order's symbol and side, in a bounded log (fills()).
 *
 * The rooms: matching.ts (the matching rules above, and the books and balances they share), order-checks.ts
 * (what an arriving spec or a modify must satisfy), trigger-book.ts (stops and trailing stops waiting for the
 * market), snapshot-codec.ts (records to and from snapshot.ts's shapes), sim-order.ts (the working records). This
 * file is the venue itself: requests with latency, arrivals, cancel and modify, expiry, views and snapshots.
 * The durable adapter the engine talks to is SimVenue (venues/sim/sim-venue.ts).
 */
import { isPositive, numberToDecimal, ZERO, type Decimal } from "../money";
import type { Level as VisibleLevel, VisibleBook } from "../algos/routing";
import type { OrderChanges, VenueEvent } from "../orders/events";
import { TRIGGER_TYPES, type OrderEvent, type OrderSpec } from "../orders/types";
import { isCapturableRng, seededRng } from "../rng";
import { type BalanceView } from "./balances";
import { RollingVolume } from "./commission";
import { sampleLatency } from "./latency";
import { type MarketUpdate } from "../market-data";
import { Matcher, type MatchingEngineConfig } from "./matching";
import { checkModify, checkOrderSpec, type OrderCheckContext } from "./order-checks";
import { bySide, hasTouch, orderView, reason, simFillOf, type Level, type Request, type SimOrder, type SimOrderView } from "./sim-order";
import {
  balancesFromSnapshot,
  decodeRequest,
  encodeBalances,
  encodeRequest,
  encodeSymbolState,
  orderFromRecord,
  orderToRecord,
  restoreSymbolState,
} from "./snapshot-codec";
import { SIM_SNAPSHOT_VERSION, decodeNum, encodeNum, fillFromRecord, fillToRecord, type SimFill, type SimOrderRecord, type SimVenueSnapshot } from "./snapshot";
import { marketObservation, triggersOn } from "./trigger-book";

export type { MatchingEngineConfig } from "./matching";
export type { SimOrderView } from "./sim-order";

export interface SnapshotOptions {
  /**
   * Include finished orders and the fill log. Default true. Without history the snapshot holds only
   * what matching needs (open orders, balances, market state, …); a caller that keeps finished orders
   * and fills elsewhere (the durable SimVenue does) passes them back in when it restores.
   */
  history?: boolean;
  /**
   * Only the venue-wide state (balances, ids, market state, requests): no orders and no order lists. A caller
   * that keeps every order's record itself (the durable SimVenue, through takeTouched()) rebuilds a full
   * snapshot with snapshotFromParts() (snapshot.ts): the lists follow from each order's phase and ranks.
   */
  ordersElsewhere?: boolean;
}

export class MatchingEngine extends Matcher {
  private readonly queue: Request[] = [];
  private queueHead = 0;
  private lastArrival = Number.NEGATIVE_INFINITY;

  // -------------------------------------------------------------------------------------------
  // Public API: every call returns the events it produced (arrivals and expiries due by `now` included).

  submit(spec: OrderSpec, now: number): VenueEvent[] {
    const arrival = this.send(now);
    // Nothing is in flight ahead of it and it has already arrived (no latency): handled now, exactly as processDue would
    // handle it, without a trip through the queue.
    if (arrival <= now && this.queueHead === this.queue.length) {
      this.expireDue(arrival);
      this.arrive(spec, now, arrival);
      this.expireDue(now);
    } else {
      this.queue.push({ kind: "submit", arrival, spec, sentAt: now });
      this.processDue(now);
    }
    return this.takeEvents();
  }

  cancel(clientOrderId: string, now: number): VenueEvent[] {
    return this.request(now, (arrival) => ({ kind: "cancel", arrival, clientOrderId }));
  }

  /** Cancels every working order (trigger orders included), of one symbol or of all. */
  cancelAll(symbol: string | undefined, now: number): VenueEvent[] {
    return this.request(now, (arrival) => ({ kind: "cancelAll", arrival, symbol }));
  }

  modify(clientOrderId: string, changes: OrderChanges, now: number): VenueEvent[] {
    return this.request(now, (arrival) => ({ kind: "modify", arrival, clientOrderId, changes }));
  }

  /** Processes requests that have arrived and GTD expiries due by `now`, without market data. */
  advanceTo(now: number): VenueEvent[] {
    this.startCall();
    this.processDue(now);
    return this.takeEvents();
  }

  onMarketData(update: MarketUpdate, now: number): VenueEvent[] {
    this.startCall();
    this.processDue(now);
    const state = this.symbols.get(update.symbol);
    if (state) this.applyUpdate(state, update, now);
    return this.takeEvents();
  }

  /**
   * What the simulator shows of a symbol's book, best first, at most `depth` levels a side: the last book snapshot less
   * what fills took from it, else the last quote when it came with sizes (one level a side), else null (candles and
   * trades show no depth).
   */
  visibleBook(symbol: string, depth: number): VisibleBook | null {
    const state = this.symbols.get(symbol);
    if (!state) return null;
    const levels = (side: Level[]): VisibleLevel[] =>
      side
        .filter((l) => isPositive(l.size))
        .slice(0, depth)
        .map((l) => [l.priceDec, l.size] as const);
    if (state.bookBids !== null && state.bookAsks !== null) return { bids: levels(state.bookBids), asks: levels(state.bookAsks), source: "book", ts: null };
    const touch = (price: number | undefined, size: number | undefined): VisibleLevel[] =>
      price !== undefined && size !== undefined && price > 0 && size > 0 ? [[numberToDecimal(price), numberToDecimal(size)]] : [];
    const bids = touch(state.bid, state.bidSize);
    const asks = touch(state.ask, state.askSize);
    return bids.length > 0 || asks.length > 0 ? { bids, asks, source: "quote", ts: null } : null;
  }

  balances(): Record<string, BalanceView> {
    return this.balanceBook.view();
  }

  /** The free balance of one currency (null when the account has never held it): no view of every currency. */
  freeBalance(currency: string): Decimal | null {
    return this.balanceBook.has(currency) ? this.balanceBook.free(currency) : null;
  }

  /** Orders the venue is working (accepted, not finished), in acceptance order. Requests still in flight are not included. */
  openOrders(): SimOrderView[] {
    return [...this.open.values()].map((order) => orderView(order));
  }

  order(clientOrderId: string): SimOrderView | undefined {
    const order = this.orders.get(clientOrderId);
    return order ? orderView(order) : undefined;
  }

  /** Recent fills (the last fillHistoryLimit), oldest first, with ts ≥ since when given. */
  fills(since?: number): SimFill[] {
    const start = Math.max(0, this.fillLog.length - this.fillHistoryLimit);
    const out: SimFill[] = [];
    for (let i = start; i < this.fillLog.length; i++) {
      const entry = this.fillLog[i]!;
      if (since !== undefined && entry.ts < since) continue;
      out.push("type" in entry ? simFillOf(this.fillLogOrders[i]!, entry) : entry);
    }
    return out;
  }

  /**
   * A counter that grows whenever orders, balances, pending requests or ids change (every event, every
   * request, every move of a trailing stop), but not when market data only updates prices. A caller
   * that persists snapshots compares it before and after a call to know whether to write.
   */
  get revision(): number {
    return this.changes;
  }

  /** The venue's full record of one order (open or finished), as a snapshot holds it. */
  orderRecord(clientOrderId: string): SimOrderRecord | undefined {
    const order = this.orders.get(clientOrderId);
    return order ? orderToRecord(order) : undefined;
  }

  /**
   * From now on, remember every order a call changes (an event about it, a list it enters, a trailing trigger
   * that moves, a stop that fires), for takeTouched(). Off by default: backtests keep nothing.
   */
  trackTouched(): void {
    this.touched ??= new Set();
  }

  /** The records of the orders changed since the last call (see trackTouched), and forgets them. */
  takeTouched(): SimOrderRecord[] {
    if (this.touched === null || this.touched.size === 0) return [];
    const records = [...this.touched].map((order) => orderToRecord(order));
    this.touched.clear();
    return records;
  }

  // -------------------------------------------------------------------------------------------
  // Snapshots

  /**
   * Everything needed to go on matching exactly as this venue would: open orders (phase, remaining
   * quantity, trailing state, reservations, priority), requests in flight, balances, id counters, the
   * fee-tier volume window, per-symbol market state (last price, quotes, what is left of the last book,
   * volatility window) and the Rng state. Plain JSON-able data.
   */
  toSnapshot(options: SnapshotOptions = {}): SimVenueSnapshot {
    const withOrders = options.ordersElsewhere !== true;
    const history = (options.history ?? true) && withOrders;
    const listed: SimOrder[] = [];
    const ids = (orders: readonly SimOrder[]): string[] =>
      !withOrders
        ? []
        : orders.map((order) => {
            listed.push(order);
            return order.clientOrderId;
          });
    const symbols = [...this.symbols.values()].map((state) => encodeSymbolState(state, ids));
    const kept = new Map<string, SimOrder>();
    if (history) for (const order of this.orders.values()) kept.set(order.clientOrderId, order);
    if (withOrders) for (const order of this.open.values()) kept.set(order.clientOrderId, order);
    for (const order of listed) kept.set(order.clientOrderId, order);

    return {
      version: SIM_SNAPSHOT_VERSION,
      idPrefix: this.idPrefix,
      tradeSeq: this.tradeSeq,
      orderSeq: this.orderSeq,
      lastArrival: this.lastArrival === Number.NEGATIVE_INFINITY ? null : encodeNum(this.lastArrival),
      rng: isCapturableRng(this.rng) ? this.rng.getState() : null,
      balances: encodeBalances(this.balanceBook.view()),
      volume30d: this.volume30d?.toSnapshot() ?? null,
      orders: [...kept.values()].map((order) => orderToRecord(order)),
      open: withOrders ? [...this.open.keys()] : [],
      rankSeq: this.rankSeq,
      symbols,
      requests: this.queue.slice(this.queueHead).map(encodeRequest),
      fills: history ? this.fills().map(fillToRecord) : [],
    };
  }

  /**
   * Rebuilds a venue from a snapshot. `config` supplies the instruments and the models (slippage,
   * fees, latency, …), which should be the ones the snapshot was taken with; balances, volume and
   * orders come from the snapshot (initialBalances and initialVolume30d are ignored). A capturable Rng
   * (the default one, or a capturableRng passed in config, whose state is then set) resumes where the
   * original was. Throws RangeError when the snapshot does not fit the config.
   */
  static fromSnapshot(config: MatchingEngineConfig, snapshot: SimVenueSnapshot): MatchingEngine {
    if (snapshot.version !== SIM_SNAPSHOT_VERSION)
      throw new RangeError(`SNAPSHOT_VERSION: simulator snapshot version ${String(snapshot.version)} is not supported.`);
    const idPrefix = config.idPrefix ?? "sim";
    if (snapshot.idPrefix !== idPrefix)
      throw new RangeError(`SNAPSHOT_MISMATCH: the snapshot uses id prefix "${snapshot.idPrefix}", the config "${idPrefix}".`);
    let rng = config.rng;
    if (snapshot.rng !== null) {
      rng ??= seededRng(0);
      if (isCapturableRng(rng)) rng.setState(snapshot.rng);
    }
    const venue = new MatchingEngine({ ...config, rng });
    venue.restore(snapshot);
    return venue;
  }

  private restore(snapshot: SimVenueSnapshot): void {
    this.tradeSeq = snapshot.tradeSeq;
    this.orderSeq = snapshot.orderSeq;
    this.lastArrival = snapshot.lastArrival === null ? Number.NEGATIVE_INFINITY : (decodeNum(snapshot.lastArrival) ?? Number.NEGATIVE_INFINITY);

    this.balanceBook = balancesFromSnapshot(snapshot.balances);
    if (this.volume30d !== null && snapshot.volume30d !== null) this.volume30d = RollingVolume.fromSnapshot(snapshot.volume30d);

    for (const record of snapshot.orders) this.orders.set(record.clientOrderId, orderFromRecord(record, this.symbols));
    const known = (clientOrderId: string): SimOrder => {
      const order = this.orders.get(clientOrderId);
      if (!order) throw new RangeError(`SNAPSHOT_CORRUPT: order ${clientOrderId} is listed but not in the snapshot.`);
      return order;
    };
    for (const clientOrderId of snapshot.open) {
      const order = known(clientOrderId);
      this.open.set(clientOrderId, order);
      if (order.expireAt !== null) this.gtdOpen += 1;
    }
    for (const saved of snapshot.symbols) {
      const state = this.symbols.get(saved.symbol);
      if (!state) {
        if (saved.buys.length + saved.sells.length + saved.triggers.length + saved.waiting.length > 0) {
          throw new RangeError(`SNAPSHOT_MISMATCH: the snapshot has orders on ${saved.symbol}, which the config does not trade.`);
        }
        continue;
      }
      restoreSymbolState(state, saved, known);
    }
    this.queue.length = 0;
    this.queueHead = 0;
    for (const request of snapshot.requests) this.queue.push(decodeRequest(request));
    if (snapshot.rankSeq !== undefined) {
      this.rankSeq = snapshot.rankSeq;
    } else {
      // Written before ranks existed: number the open set and the lists in their saved order.
      for (const order of this.open.values()) order.openRank = ++this.rankSeq;
      for (const state of this.symbols.values())
        for (const list of [state.buys, state.sells, state.triggers, state.waiting]) for (const order of list) order.listRank = ++this.rankSeq;
    }
    this.fillLog.length = 0;
    this.fillLogOrders.length = 0;
    for (const fill of snapshot.fills.slice(Math.max(0, snapshot.fills.length - this.fillHistoryLimit))) {
      this.fillLog.push(fillFromRecord(fill));
      this.fillLogOrders.push(null);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Requests and arrival

  private request(now: number, make: (arrival: number) => Request): VenueEvent[] {
    this.queue.push(make(this.send(now)));
    this.processDue(now);
    return this.takeEvents();
  }

  /** A request leaves the trader at `now`: what has arrived by then is handled first; returns when it arrives. */
  private send(now: number): number {
    this.startCall();
    this.processDue(now);
    const arrival = Math.max(now + sampleLatency(this.latency, this.rng), this.lastArrival);
    this.lastArrival = arrival;
    this.changes += 1;
    return arrival;
  }

  /**
   * A call starts with no events: what a call that threw left behind is dropped. The empty list is still this engine's
   * own (takeEvents hands a list out and starts a new one), so it is kept: no array per market-data update.
   */
  private startCall(): void {
    if (this.out.length > 0) this.out = [];
  }

  private takeEvents(): VenueEvent[] {
    const events = this.out;
    this.out = [];
    return events;
  }

  private processDue(now: number): void {
    while (this.queueHead < this.queue.length) {
      const next = this.queue[this.queueHead]!;
      if (next.arrival > now) break;
      this.queueHead += 1;
      this.expireDue(next.arrival);
      switch (next.kind) {
        case "submit":
          this.arrive(next.spec, next.sentAt, next.arrival);
          break;
        case "cancel":
          this.handleCancel(next.clientOrderId, next.arrival);
          break;
        case "cancelAll":
          this.handleCancelAll(next.symbol, next.arrival);
          break;
        case "modify":
          this.handleModify(next.clientOrderId, next.changes, next.arrival);
          break;
      }
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    this.expireDue(now);
  }

  private expireDue(now: number): void {
    if (this.gtdOpen === 0) return;
    for (const order of [...this.open.values()]) {
      if (order.expireAt !== null && order.expireAt <= now) {
        this.detach(order);
        this.finish(order, "EXPIRED", { type: "expire", ts: now });
      }
    }
  }

  private reject(clientOrderId: string, why: string, ts: number): void {
    this.emit(clientOrderId, { type: "reject", reason: why, ts });
  }

  private arrive(spec: OrderSpec, sentAt: number, now: number): void {
    const parsed = this.parse(spec, sentAt, now);
    if (typeof parsed === "string") {
      this.reject(spec.clientOrderId, parsed, now);
      return;
    }
    const order = parsed;
    const state = this.symbols.get(order.instrument.symbol)!;
    if (order.trailing) this.refreshTrailing(order, marketObservation(state));
    if (order.postOnly && this.marketableNow(order, state)) {
      const touch = bySide(order.side, state.ask ?? state.last, state.bid ?? state.last);
      this.reject(
        order.clientOrderId,
        reason(
          "POST_ONLY_WOULD_TAKE",
          `post-only ${order.side.toLowerCase()} limit at ${order.limitPrice!.toString()} would take liquidity: the market is at ${String(touch)}.`,
        ),
        now,
      );
      return;
    }
    const reserveRefusal = this.reserveFor(order, state);
    if (reserveRefusal !== null) {
      this.reject(order.clientOrderId, reserveRefusal, now);
      return;
    }
    order.acceptedAt = now;
    order.status = "ACCEPTED";
    order.openRank = ++this.rankSeq;
    this.orders.set(order.clientOrderId, order);
    if (order.expireAt !== null) this.gtdOpen += 1;
    this.emit(order.clientOrderId, { type: "accept", venueOrderId: order.venueOrderId, ts: now });
    if (TRIGGER_TYPES.has(order.type)) {
      if (triggersOn(order, marketObservation(state))) this.fire(order, state, now, null);
      else this.watchTrigger(order, state);
    } else {
      this.goLive(order, state, now, null);
    }
    // Into the open set only if it is still working: an order done on arrival (most market orders) is never added and
    // deleted again. Nothing else enters the set meanwhile, so its place in acceptance order is the same.
    if (order.phase !== "DONE") this.open.set(order.clientOrderId, order);
  }

  /** Venue-side checks of an order spec (order-checks.ts); a refusal reason string, or the order ready to accept. */
  private parse(spec: OrderSpec, sentAt: number, now: number): SimOrder | string {
    return checkOrderSpec(spec, this.checkContext, sentAt, now);
  }

  private readonly checkContext: OrderCheckContext = {
    isKnown: (clientOrderId) => this.orders.has(clientOrderId),
    symbols: this.symbols,
    defaultTriggerSource: this.defaultTriggerSource,
    idPrefix: this.idPrefix,
    nextOrderSeq: () => ++this.orderSeq,
  };

  // -------------------------------------------------------------------------------------------
  // Cancel and modify

  private closedReason(order: SimOrder): string {
    return reason("ORDER_CLOSED", `order ${order.clientOrderId} is already ${order.status.toLowerCase().replace("_", " ")}.`);
  }

  private handleCancel(clientOrderId: string, now: number): void {
    const order = this.open.get(clientOrderId);
    if (!order) {
      const known = this.orders.get(clientOrderId);
      const why = known ? this.closedReason(known) : reason("UNKNOWN_ORDER", `no order ${clientOrderId} is known to the venue.`);
      this.emit(clientOrderId, { type: "cancelReject", reason: why, ts: now });
      return;
    }
    this.detach(order);
    this.finish(order, "CANCELED", { type: "cancel", ts: now });
  }

  private handleCancelAll(symbol: string | undefined, now: number): void {
    for (const order of [...this.open.values()]) {
      if (symbol !== undefined && order.instrument.symbol !== symbol) continue;
      this.detach(order);
      this.finish(order, "CANCELED", { type: "cancel", reason: "canceled by cancel-all", ts: now });
    }
  }

  private handleModify(clientOrderId: string, changes: OrderChanges, now: number): void {
    const refuse = (why: string): void => this.emit(clientOrderId, { type: "modifyReject", reason: why, ts: now });
    const order = this.open.get(clientOrderId);
    if (!order) {
      const known = this.orders.get(clientOrderId);
      refuse(known ? this.closedReason(known) : reason("UNKNOWN_ORDER", `no order ${clientOrderId} is known to the venue.`));
      return;
    }
    const state = this.symbols.get(order.instrument.symbol)!;
    const terms = checkModify(order, changes);
    if (typeof terms === "string") {
      refuse(terms);
      return;
    }
    const { quantity, limitPrice, triggerPrice } = terms;

    const before = {
      quantity: order.quantity,
      limitPrice: order.limitPrice,
      limitNum: order.limitNum,
      triggerPrice: order.triggerPrice,
      triggerNum: order.triggerNum,
    };
    const restore = (): void => {
      order.quantity = before.quantity;
      order.limitPrice = before.limitPrice;
      order.limitNum = before.limitNum;
      order.triggerPrice = before.triggerPrice;
      order.triggerNum = before.triggerNum;
    };
    order.quantity = quantity;
    order.limitPrice = limitPrice;
    order.limitNum = limitPrice === null ? Number.NaN : limitPrice.toNumber();
    order.triggerPrice = triggerPrice;
    order.triggerNum = triggerPrice === null ? Number.NaN : triggerPrice.toNumber();
    if (order.postOnly && order.phase === "RESTING" && this.marketableNow(order, state)) {
      restore();
      refuse(reason("POST_ONLY_WOULD_TAKE", `post-only limit at ${limitPrice!.toString()} would take liquidity.`));
      return;
    }
    // Re-reserve for the new terms; on failure put the old reservation back (it was just freed, so it fits).
    const oldReserved = order.reserved;
    const oldPerUnit = order.reservePerUnit;
    this.balanceBook.release(order.reserveCurrency, oldReserved);
    order.reserved = ZERO;
    const refusal = this.reserveFor(order, state);
    if (refusal !== null) {
      restore();
      this.balanceBook.reserve(order.reserveCurrency, oldReserved);
      order.reserved = oldReserved;
      order.reservePerUnit = oldPerUnit;
      refuse(refusal);
      return;
    }

    const phase = order.phase;
    this.detach(order);
    this.orderSeq += 1;
    order.seq = this.orderSeq; // a modified order loses its time priority
    const event: Extract<OrderEvent, { type: "modified" }> = { type: "modified", ts: now };
    if (changes.quantity !== undefined) event.qty = quantity;
    if (changes.price !== undefined) event.price = limitPrice!;
    if (changes.triggerPrice !== undefined) event.triggerPrice = triggerPrice!;
    this.emit(clientOrderId, event);

    if (phase === "TRIGGER") {
      if (triggersOn(order, marketObservation(state))) this.fire(order, state, now, null);
      else this.watchTrigger(order, state);
    } else if (phase === "WAITING") {
      this.enlist(order);
      state.waiting.push(order);
    } else if (hasTouch(state)) {
      this.executeOnTouch(order, state, now);
    } else {
      this.rest(order, state);
    }
  }
}

/**
 * The live venue: a real exchange through ccxt (4.5.84) behind the Venue port.
 *
 * ## Contract with the engine (and ResilientVenue)
 * The port's request methods are synchronous; a real exchange answers later. So:
 * - `submit`, `cancel`, `cancelAll` check what can be checked without the exchange (symbol traded,
 *   order type supported, tick/step, min/max quantity, min notional, clientOrderId format) and THROW a
 *   FinalVenueError at once when that fails — nothing is sent. Otherwise they start the request and
 *   return [] (never any event): the answer arrives through the event sink (`accept` + the fills the
 *   exchange reported at once, `cancel`, …).
 * - A request that fails later is reported, never retried or looked up here: the classified error goes with
 *   the request to the failure sink (`setFailureSink`). ResilientVenue (server/engine/resilient-venue.ts) sets it
 *   and is the one policy for failures: retry with backoff only what certainly did not execute, an unknown
 *   outcome puts the order in doubt (looked up by clientOrderId, never sent again), reject on final errors.
 *   The adapter always runs behind it; without a sink a failure is only logged and shown in status().
 * - ccxt's own retries are off (`options.maxRetriesOnFailure = 0`: ccxt would re-POST a timed-out
 *   createOrder); its rate limiter is on (`enableRateLimit`) on both instances.
 * - Two ccxt instances: `exchange` for new orders and polling, `emergencyExchange` (its own rate-limit
 *   bucket) for cancel, cancelAll and reduce-only orders (exits, the emergency flatten), so those never
 *   wait behind routine requests.
 * - Orders placed here are polled (poller.ts; `pollIntervalMs`, or `pollOnce()`): new fills (fetchMyTrades, by
 *   trade id), and orders that left the open-order list (canceled or expired at the exchange). The order tracker
 *   (order-tracker.ts) turns every answer (create, poll, lookup, stream) into events, each reported once.
 * - OCO pairs: on Binance spot `holdsOcoNatively` / `submitOco` send one native order list (`POST /api/v3/orderList/oco`,
 *   oco.ts) with both legs under the engine's ids; the exchange expires one leg when the other executes, and that end
 *   arrives like any order's (poll, lookup or stream). Elsewhere the engine emulates the list. OTO pairs likewise
 *   (`holdsOtoNatively` / `submitOto`, `POST /api/v3/orderList/oto`, oto.ts): the exchange places the pending order when
 *   the working one has filled in full; until then it reports it PENDING_NEW (an accepted order here).
 * - `fetchOrder(clientOrderId)` works by OUR id: Binance `origClientOrderId`, Bitget `clientOid`,
 *   trying the order's known symbol, else every traded symbol (regular book, then the trigger book).
 * - Errors are classified from ccxt's hierarchy (errors.ts); messages never carry the API key,
 *   secret, password or a signature.
 * - With a ccxt pro instance (`stream`) whose `has` lists watchMyTrades / watchOrders, fills and
 *   order updates also arrive over websockets (user-stream.ts: per symbol, backoff on transient
 *   errors, a final error ends that loop). They become the same events a poll produces, deduplicated
 *   by trade id (a fill seen by both paths is reported once) and by order state (accept once, an end
 *   once). REST polling stays the safety net: every `streamPollIntervalMs` while the stream is
 *   healthy, every `pollIntervalMs` when it is not.
 * - The rooms beside it: order-tracker.ts, poller.ts, lookups.ts (finding orders by clientOrderId, regular and
 *   trigger books), emergency-cancel.ts (cancel-all), markets.ts (ccxt markets → Instruments), orders.ts (order
 *   mapping), positions.ts, errors.ts (classification), user-stream.ts (websockets).
 *
 * Size (~690 lines): every method of the Venue port (requests, reads, status, close) and the call wrapper that
 * keeps latency and connection status; what is left is the port itself, so it stays one file.
 */
import type { Exchange } from "ccxt";
import type { Clock, Timers } from "../../core/clock";
import { type Instrument } from "../../core/instrument";
import { instrumentFromCcxtMarket, type CcxtMarketLike } from "./markets";
import { D, numberToDecimal, ZERO, type Decimal } from "../../core/money";
import type { OrderBookLike } from "./public-feed";
import type { OrderSpec } from "../../core/orders/types";
import {
  FinalVenueError,
  TransientVenueError,
  placedIds,
  type MarketUpdate,
  type OcoListSpec,
  type OtoListSpec,
  type OrderChanges,
  type Venue,
  type VenueBalance,
  type VenueEvent,
  type VenueFill,
  type VenueOrderSnapshot,
  type VenuePosition,
  type VenueStatus,
  type VisibleBook,
} from "../venue";
import { classifyCcxtError, type RequestKind } from "./errors";
import { UserStream, userChannels, type UserStreamExchange, type UserStreamStatus } from "./user-stream";
import { cancelAllOf, type CancelAllContext } from "./emergency-cancel";
import { ExchangeLookups } from "./lookups";
import { clientIdOf, OrderTracker, type TrackedOrder } from "./order-tracker";
import {
  createOrderFeatures,
  mapOrder,
  profileFor,
  toSnapshot,
  toVenueFill,
  type CcxtOrderLike,
  type CcxtOrderRequest,
  type CcxtTradeLike,
  type ExchangeProfile,
} from "./orders";
import { ocoListParams, ocoShape } from "./oco";
import { otoListParams, otoRefusal } from "./oto";
import { OrderPoller } from "./poller";
import { RequestRunner } from "./request-runner";
import { toVenueBalances, toVenuePosition, type CcxtBalanceLike, type CcxtPositionLike } from "./positions";

/** The requests whose failures are reported (the same shape as ResilientVenue's). */
export { reportsAsyncFailures, type FailureSink, type ReportsAsyncFailures, type VenueRequest } from "../venue";
import type { FailureSink, ReportsAsyncFailures, VenueRequest } from "../venue";

export interface CcxtVenueOptions {
  /** Orders and polling. Markets must be loaded (see CcxtVenue.open). */
  exchange: Exchange;
  /** Cancels and cancel-all only. */
  emergencyExchange: Exchange;
  /** Venue id in (venue, tradeId); default the exchange's id. */
  id?: string;
  /** Unified symbols traded, e.g. ["BTC/USDT"]. */
  symbols: readonly string[];
  clock: Clock;
  /** clearTimeout is optional: without it a stopped poller's pending timer fires into a closed venue and does nothing. */
  timers?: Pick<Timers, "setTimeout"> & Partial<Timers>;
  /** Between polls of open orders and fills; 0 = no automatic polling (call pollOnce). Default 2 000. */
  pollIntervalMs?: number;
  /** Bitget spot market buys: limit price = last price × (1 + this), rounded up. Default 100 bps. */
  marketBuyProtectionBps?: number;
  /** Monotonic milliseconds for latency. Default performance.now(). */
  monotonic?: () => number;
  log?: (level: "info" | "warn" | "error", message: string) => void;
  /** A ccxt pro instance (same exchange, same keys) for fills and order updates over websockets; null/absent: REST only. Closed by close(). */
  stream?: UserStreamExchange | null;
  /** Between polls while the stream is healthy. Default 30 000 (with pollIntervalMs 0: no automatic polling either way). */
  streamPollIntervalMs?: number;
  /** Stream reconnect backoff: base × 2^(n−1), capped. Default 1 000 / 60 000 ms. */
  streamBackoff?: { baseMs?: number; maxMs?: number };
}

export type { VenuePosition };

/** ccxt's TICK_SIZE and DECIMAL_PLACES counting modes. */
const TICK_SIZE = 4;
const DECIMAL_PLACES = 2;

export class CcxtVenue implements Venue, ReportsAsyncFailures {
  readonly id: string;
  readonly kind = "ccxt" as const;
  private readonly exchange: Exchange;
  private readonly emergencyExchange: Exchange;
  private readonly profile: ExchangeProfile;
  private readonly symbols: readonly string[];
  private readonly clock: Clock;
  private readonly timers: Pick<Timers, "setTimeout"> & Partial<Timers>;
  private readonly monotonic: () => number;
  private readonly log: NonNullable<CcxtVenueOptions["log"]>;
  private readonly instrumentsBySymbol = new Map<string, Instrument>();
  private readonly marketsBySymbol = new Map<string, CcxtMarketLike>();
  private readonly tracker: OrderTracker;
  private readonly poller: OrderPoller;
  private readonly lookups: ExchangeLookups;
  private readonly cancelAllContext: CancelAllContext;
  private readonly lastPrice = new Map<string, { bid?: number; ask?: number; last?: number }>();
  private readonly free = new Map<string, Decimal>();
  private readonly runner: RequestRunner;
  private sink: (events: VenueEvent[]) => void = () => undefined;
  private failureSink: FailureSink | null = null;
  private closed = false;
  private readonly userStream: UserStream | null = null;

  /** Loads markets on both instances (no HTTP when they were given `markets`) and builds the venue. */
  static async open(options: CcxtVenueOptions): Promise<CcxtVenue> {
    await Promise.all([options.exchange.loadMarkets(), options.emergencyExchange.loadMarkets()]);
    return new CcxtVenue(options);
  }

  constructor(private readonly options: CcxtVenueOptions) {
    this.exchange = options.exchange;
    this.emergencyExchange = options.emergencyExchange;
    if (this.exchange === this.emergencyExchange)
      throw new FinalVenueError("CONFIG: the emergency path needs its own ccxt instance (its own rate limiter).", "CONFIG");
    for (const instance of [this.exchange, this.emergencyExchange]) {
      instance.enableRateLimit = true;
      instance.options = { ...instance.options, maxRetriesOnFailure: 0, maxRetriesOnFailureDelay: 0 };
      if (instance.id === "bitget" && (instance.options as Record<string, unknown>).uta === undefined)
        (instance.options as Record<string, unknown>).uta = false;
    }
    this.id = options.id ?? this.exchange.id;
    this.profile = profileFor(this.exchange.id);
    this.symbols = [...options.symbols];
    this.clock = options.clock;
    this.timers = options.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };
    this.monotonic = options.monotonic ?? (() => performance.now());
    this.log = options.log ?? (() => undefined);
    this.runner = new RequestRunner({ venueId: this.id, exchangeId: this.exchange.id, monotonic: this.monotonic, secrets: () => this.secrets, log: this.log });
    this.tracker = new OrderTracker({ venueId: this.id, clock: this.clock, instrument: (symbol) => this.instrumentsBySymbol.get(symbol)!, log: this.log });
    const call = <T>(instance: Exchange, kind: RequestKind, action: string, fn: () => Promise<T>): Promise<T> => this.runner.call(instance, kind, action, fn);
    this.lookups = new ExchangeLookups({
      exchange: this.exchange,
      profile: this.profile,
      symbols: this.symbols,
      markets: this.marketsBySymbol,
      tracker: this.tracker,
      call,
    });
    this.cancelAllContext = {
      emergencyExchange: this.emergencyExchange,
      profile: this.profile,
      markets: this.marketsBySymbol,
      tracker: this.tracker,
      lookups: this.lookups,
      clock: this.clock,
      call,
    };
    this.poller = new OrderPoller(
      {
        venueId: this.id,
        tracker: this.tracker,
        readTrades: (symbol, since) => this.readTrades(symbol, since),
        openOrdersOf: (symbol, triggerBook) => this.lookups.openOrdersOf(symbol, this.exchange, triggerBook),
        findOrder: (clientOrderId, symbol, record) => this.lookups.findOrder(clientOrderId, symbol, record, this.exchange),
        emit: (events) => this.emit(events),
        isClosed: () => this.closed,
        intervalMs: () => this.currentPollIntervalMs(),
        log: this.log,
      },
      this.timers,
    );
    const markets = (this.exchange.markets ?? {}) as Record<string, CcxtMarketLike | undefined>;
    const mode = this.exchange.precisionMode === DECIMAL_PLACES ? "DECIMAL_PLACES" : "TICK_SIZE";
    if (this.exchange.precisionMode !== TICK_SIZE && this.exchange.precisionMode !== DECIMAL_PLACES) {
      throw new FinalVenueError(`CONFIG: ${this.exchange.id} counts precision in significant digits, which Bastion does not support.`, "CONFIG");
    }
    for (const symbol of this.symbols) {
      const market = markets[symbol];
      if (!market) throw new FinalVenueError(`BAD_SYMBOL: ${this.exchange.id} does not list ${symbol} (are its markets loaded?).`, "BAD_SYMBOL");
      this.marketsBySymbol.set(symbol, market);
      this.instrumentsBySymbol.set(symbol, instrumentFromCcxtMarket(market, mode));
    }
    if (userChannels(options.stream).length > 0) {
      // The pro instance takes the REST instance's markets instead of loading them a second time.
      if (!options.stream!.markets && typeof options.stream!.setMarkets === "function")
        options.stream!.setMarkets(this.exchange.markets as never, this.exchange.currencies as never);
      this.userStream = new UserStream({
        stream: options.stream!,
        symbols: this.symbols,
        timers: this.timers,
        ...(options.streamBackoff ? { backoff: options.streamBackoff } : {}),
        classify: (error, action) => classifyCcxtError(error, { exchange: this.exchange.id, kind: "read", action, secrets: this.secrets }),
        onTrades: (symbol, trades) => this.onStreamTrades(symbol, trades as CcxtTradeLike[]),
        onOrders: (symbol, orders) => this.onStreamOrders(symbol, orders as CcxtOrderLike[]),
        log: this.log,
      });
      this.userStream.start();
    }
    if ((options.pollIntervalMs ?? 2_000) > 0) this.poller.start();
  }

  /** The pause before the next automatic poll: slower while the websocket stream is healthy. */
  currentPollIntervalMs(): number {
    const normal = this.options.pollIntervalMs ?? 2_000;
    if (normal <= 0) return 0;
    return this.userStream?.healthy() ? Math.max(normal, this.options.streamPollIntervalMs ?? 30_000) : normal;
  }

  /** The websocket fills/orders stream, or null when REST polling is the only path. */
  streamStatus(): UserStreamStatus | null {
    return this.userStream?.status() ?? null;
  }

  // ---------------------------------------------------------------------------------------------
  // Port: wiring

  instruments(): Instrument[] {
    return [...this.instrumentsBySymbol.values()];
  }

  setEventSink(sink: (events: VenueEvent[]) => void): void {
    this.sink = sink;
  }

  setFailureSink(sink: FailureSink): void {
    this.failureSink = sink;
  }

  /**
   * No fence is relied on. Binance spot checks `recvWindow` on receipt and again "just before it is sent to the
   * Matching Engine", but its changelog (binance-spot-api-docs CHANGELOG.md, 2025-08-12 / 2025-05-22) says this
   * "does not cover potential delays inside the Matching Engine itself": a create that timed out can still execute
   * later, so "not found after recvWindow" does not prove "never placed" there. (Binance USDⓈ-M futures documents a
   * check by the matching engine itself since 2023-04-18; it is not used until confirmed in Binance's own docs.)
   */
  submitFenceMs(_symbol: string): number | null {
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // Port: requests (synchronous start, answers through the sink)

  holdsNatively(spec: OrderSpec): boolean {
    const instrument = this.instrumentsBySymbol.get(spec.symbol);
    const market = this.marketsBySymbol.get(spec.symbol);
    if (!instrument || !market) return true; // unknown symbols are refused by submit with their own reason
    try {
      this.orderRequest(spec, market, instrument);
      return true;
    } catch (e) {
      return !(e instanceof FinalVenueError && e.code === "EMULATION_REQUIRED");
    }
  }

  submit(spec: OrderSpec, now: number): VenueEvent[] {
    this.usable();
    const instrument = this.instrumentsBySymbol.get(spec.symbol);
    const market = this.marketsBySymbol.get(spec.symbol);
    if (!instrument || !market) throw new FinalVenueError(`UNKNOWN_SYMBOL: ${spec.symbol} is not traded on ${this.id}.`, "UNKNOWN_SYMBOL");
    const { request, record } = this.newTrackedOrder(spec, market, instrument, now);
    this.tracker.track(record);
    const action = `placing order ${spec.clientOrderId} (${spec.side} ${D(spec.quantity).toString()} ${spec.symbol} ${spec.type})`;
    // Reduce-only orders (exits, the emergency flatten) take the emergency instance: they never wait in ccxt's
    // throttle behind routine orders and polling.
    const instance = spec.reduceOnly === true ? this.emergencyExchange : this.exchange;
    this.runner.start(
      this.runner.call(instance, "create", action, () =>
        instance.createOrder(request.symbol, request.type, request.side, request.amount, request.price, request.params),
      ),
      (order) => this.emit(this.tracker.eventsForOrder(record, order as CcxtOrderLike, "create")),
      (error) => this.failed({ kind: "submit", spec }, error),
    );
    return [];
  }

  holdsOcoNatively(list: OcoListSpec): boolean {
    const shape = ocoShape(list, this.profile, this.marketsBySymbol.get(list.legs[0].symbol));
    if (typeof shape === "string") return false;
    try {
      for (const leg of [shape.limit, shape.stop]) this.orderRequest(leg, this.marketsBySymbol.get(leg.symbol)!, this.instrumentsBySymbol.get(leg.symbol)!);
      return true;
    } catch {
      return false; // a leg the exchange would refuse alone: the engine's emulation refuses it in its own words
    }
  }

  /**
   * One native OCO list (oco.ts): both legs checked like single orders, tracked under the engine's ids, sent in one
   * request; the answer's order reports become each leg's events. A failure is reported as the list's (both legs).
   */
  submitOco(list: OcoListSpec, now: number): VenueEvent[] {
    this.usable();
    const symbol = list.legs[0].symbol;
    const market = this.marketsBySymbol.get(symbol);
    if (!this.instrumentsBySymbol.has(symbol) || !market) throw new FinalVenueError(`UNKNOWN_SYMBOL: ${symbol} is not traded on ${this.id}.`, "UNKNOWN_SYMBOL");
    const shape = ocoShape(list, this.profile, market);
    if (typeof shape === "string") throw new FinalVenueError(`OCO_NOT_NATIVE: ${this.id} cannot hold this OCO list natively (${shape}).`, "OCO_NOT_NATIVE");
    const action = `placing OCO list ${list.listId} (${list.legs.map((l) => l.clientOrderId).join(" + ")}, ${shape.limit.side} ${D(shape.limit.quantity).toString()} ${symbol})`;
    return this.sendList(list.legs, market, now, action, ocoListParams(list.listId, shape, market.id ?? symbol), "privatePostOrderListOco", {
      kind: "submitOco",
      list,
    });
  }

  holdsOtoNatively(list: OtoListSpec): boolean {
    if (otoRefusal(list, this.profile, this.marketsBySymbol.get(list.working.symbol)) !== null) return false;
    try {
      for (const order of [list.working, list.pending])
        this.orderRequest(order, this.marketsBySymbol.get(order.symbol)!, this.instrumentsBySymbol.get(order.symbol)!);
      return true;
    } catch {
      return false; // an order the exchange would refuse alone: the engine's emulation refuses it in its own words
    }
  }

  /** One native OTO list (oto.ts), sent like an OCO list: one request, both orders under the engine's ids, one fate. */
  submitOto(list: OtoListSpec, now: number): VenueEvent[] {
    this.usable();
    const symbol = list.working.symbol;
    const market = this.marketsBySymbol.get(symbol);
    if (!this.instrumentsBySymbol.has(symbol) || !market) throw new FinalVenueError(`UNKNOWN_SYMBOL: ${symbol} is not traded on ${this.id}.`, "UNKNOWN_SYMBOL");
    const refusal = otoRefusal(list, this.profile, market);
    if (refusal !== null) throw new FinalVenueError(`OTO_NOT_NATIVE: ${this.id} cannot hold this OTO list natively (${refusal}).`, "OTO_NOT_NATIVE");
    const action = `placing OTO list ${list.listId} (${list.working.clientOrderId} then ${list.pending.clientOrderId}, ${symbol})`;
    return this.sendList([list.working, list.pending], market, now, action, otoListParams(list, market.id ?? symbol), "privatePostOrderListOto", {
      kind: "submitOto",
      list,
    });
  }

  /** Sends a native order list: each order checked like a single one and tracked under the engine's id, then one request. */
  private sendList(
    orders: readonly OrderSpec[],
    market: CcxtMarketLike,
    now: number,
    action: string,
    params: Record<string, string>,
    method: "privatePostOrderListOco" | "privatePostOrderListOto",
    request: VenueRequest,
  ): VenueEvent[] {
    const instrument = this.instrumentsBySymbol.get(orders[0]!.symbol)!;
    const records = orders.map((spec) => this.newTrackedOrder(spec, market, instrument, now).record);
    for (const record of records) this.tracker.track(record);
    const reduceOnly = orders.every((l) => l.reduceOnly === true);
    const instance = reduceOnly ? this.emergencyExchange : this.exchange;
    const post = (instance as unknown as Record<typeof method, (params: Record<string, string>) => Promise<unknown>>)[method].bind(instance);
    this.runner.start(
      this.runner.call(instance, "create", action, () => post(params)),
      (answer) => this.emit(this.ocoAnswerEvents(records, answer, market)),
      (error) => this.failed(request, error),
    );
    return [];
  }

  /** The order reports of an order list's answer (OCO or OTO) as each order's events (an ACK answer without reports: accepts only). */
  private ocoAnswerEvents(records: TrackedOrder[], answer: unknown, market: CcxtMarketLike): VenueEvent[] {
    const body = (answer ?? {}) as { orderReports?: Record<string, unknown>[]; orders?: { orderId?: string | number; clientOrderId?: string }[] };
    const events: VenueEvent[] = [];
    for (const record of records) {
      const report = body.orderReports?.find((r) => r.clientOrderId === record.clientOrderId);
      if (report) {
        const order = this.exchange.parseOrder(report, market as never) as unknown as CcxtOrderLike;
        events.push(...this.tracker.eventsForOrder(record, order, "create"));
        continue;
      }
      const listed = body.orders?.find((o) => o.clientOrderId === record.clientOrderId);
      const id = listed?.orderId !== undefined ? String(listed.orderId) : undefined;
      events.push(...this.tracker.eventsForOrder(record, { id, clientOrderId: record.clientOrderId, status: "open", filled: 0 }, "create"));
    }
    return events;
  }

  cancel(clientOrderId: string, _now: number): VenueEvent[] {
    this.usable();
    const action = `canceling order ${clientOrderId}`;
    this.runner.start(
      (async () => {
        const record = this.tracker.get(clientOrderId) ?? (await this.lookups.adopt(clientOrderId, this.emergencyExchange));
        if (!record) throw new FinalVenueError(`ORDER_NOT_FOUND: ${this.id} has no order ${clientOrderId}; nothing to cancel.`, "ORDER_NOT_FOUND");
        await this.runner.call(this.emergencyExchange, "cancel", action, () =>
          this.emergencyExchange.cancelOrder(record.venueOrderId ?? "", record.symbol, this.lookups.idParams(record)),
        );
        const wasOpen = record.open; // the stream may have reported the cancel already
        record.open = false;
        return wasOpen;
      })(),
      (wasOpen) => {
        if (wasOpen) this.emit([{ clientOrderId, event: { type: "cancel", reason: "canceled at the exchange", ts: this.clock.now() } }]);
      },
      (error) => this.failed({ kind: "cancel", clientOrderId }, error),
    );
    return [];
  }

  /**
   * The emergency path: per symbol (all traded symbols when none is given, in parallel), ccxt's
   * cancelAllOrders on the emergency instance — and a second call with `{ trigger: true }` where
   * trigger orders live apart. Orders the answer lists are reported canceled; orders Bastion placed
   * that the answer does not list are checked against the open orders afterwards (not open → canceled;
   * still open → canceled one by one).
   */
  cancelAll(symbol: string | undefined, _now: number): VenueEvent[] {
    this.usable();
    if (symbol !== undefined && !this.instrumentsBySymbol.has(symbol))
      throw new FinalVenueError(`UNKNOWN_SYMBOL: ${symbol} is not traded on ${this.id}.`, "UNKNOWN_SYMBOL");
    const symbols = symbol !== undefined ? [symbol] : [...this.symbols];
    this.runner.start(
      Promise.all(symbols.map((s) => cancelAllOf(this.cancelAllContext, s))),
      (lists) => this.emit(lists.flat()),
      (error) => this.failed({ kind: "cancelAll", symbol }, error),
    );
    return [];
  }

  modify(clientOrderId: string, _changes: OrderChanges, _now: number): VenueEvent[] {
    throw new FinalVenueError(
      `MODIFY_NOT_SUPPORTED: ${this.id} orders are not modified in place; cancel ${clientOrderId} and place a new order.`,
      "MODIFY_NOT_SUPPORTED",
    );
  }

  /** Real venues do not match; the last prices are kept for market-order checks and Bitget market buys. */
  onMarketData(update: MarketUpdate, _now: number): VenueEvent[] {
    const prices = this.lastPrice.get(update.symbol) ?? {};
    if (update.kind === "quote") Object.assign(prices, { bid: update.bid, ask: update.ask });
    else if (update.kind === "trade") prices.last = update.price;
    else if (update.kind === "candle") prices.last = update.close;
    else if (update.kind === "book") Object.assign(prices, { bid: update.bids[0]?.[0], ask: update.asks[0]?.[0] });
    this.lastPrice.set(update.symbol, prices);
    return [];
  }

  advanceTo(_now: number): VenueEvent[] {
    return [];
  }

  // ---------------------------------------------------------------------------------------------
  // Port: reads

  async fetchOrder(clientOrderId: string): Promise<VenueOrderSnapshot | null> {
    this.usable();
    const record = this.tracker.get(clientOrderId);
    const symbols = record ? [record.symbol] : [...this.symbols];
    for (const symbol of symbols) {
      const order = await this.lookups.findOrder(clientOrderId, symbol, record ?? null, this.exchange);
      if (order) {
        const adopted = this.tracker.remember(clientOrderId, symbol, order, record);
        return toSnapshot(order, clientOrderId, { type: adopted.type, symbol });
      }
    }
    return null;
  }

  async fetchOpenOrders(): Promise<VenueOrderSnapshot[]> {
    this.usable();
    const out: VenueOrderSnapshot[] = [];
    for (const symbol of this.symbols) {
      for (const order of await this.lookups.openOrdersOf(symbol, this.exchange)) {
        const clientOrderId = clientIdOf(order) ?? `venue-${order.id ?? "unknown"}`;
        const known = this.tracker.get(clientOrderId);
        out.push(toSnapshot(order, clientOrderId, known ? { type: known.type, symbol } : { type: toSnapshot(order, clientOrderId).type, symbol }));
      }
    }
    return out;
  }

  async fetchFills(since: number): Promise<VenueFill[]> {
    this.usable();
    const out: VenueFill[] = [];
    for (const symbol of this.symbols) {
      for (const trade of await this.readTrades(symbol, since)) {
        if (trade.timestamp !== undefined && trade.timestamp < since) continue;
        const clientOrderId = await this.lookups.clientIdForVenueOrder(trade.order, symbol);
        if (!clientOrderId) continue;
        const fill = toVenueFill(
          { ...trade, symbol },
          clientOrderId,
          this.tracker.get(clientOrderId)?.side ?? "BUY",
          this.instrumentsBySymbol.get(symbol)!.quote,
        );
        if (fill) out.push(fill);
      }
    }
    return out.sort((a, b) => a.ts - b.ts);
  }

  async fetchBalances(): Promise<VenueBalance[]> {
    this.usable();
    const balance = await this.runner.call(this.exchange, "read", "reading balances", () => this.exchange.fetchBalance());
    const out = toVenueBalances(balance as unknown as CcxtBalanceLike);
    for (const { currency, free } of out) this.free.set(currency, free);
    return out;
  }

  /** Open derivative positions of the traded symbols (spot symbols are skipped; flat positions are left out). */
  async fetchPositions(): Promise<VenuePosition[]> {
    this.usable();
    const symbols = this.symbols.filter((s) => this.marketsBySymbol.get(s)?.contract);
    if (symbols.length === 0 || !this.exchange.has.fetchPositions) return [];
    const positions = await this.runner.call(this.exchange, "read", "reading positions", () => this.exchange.fetchPositions(symbols));
    return positions.map((p) => toVenuePosition(p as unknown as CcxtPositionLike)).filter((p): p is VenuePosition => p !== null && symbols.includes(p.symbol));
  }

  /** The exchange's order book for routing (fetchOrderBook), at most `depth` finite positive levels a side, best first. */
  async fetchVisibleBook(symbol: string, depth: number): Promise<VisibleBook> {
    this.usable();
    const book = (await this.runner.call(this.exchange, "read", `reading the ${symbol} order book`, () =>
      this.exchange.fetchOrderBook(symbol, depth),
    )) as unknown as OrderBookLike;
    const side = (levels: OrderBookLike["bids"]) => {
      const out: [Decimal, Decimal][] = [];
      for (const [price, size] of levels) {
        if (out.length >= depth) break;
        if (typeof price === "number" && typeof size === "number" && Number.isFinite(price) && Number.isFinite(size) && price > 0 && size > 0)
          out.push([numberToDecimal(price), numberToDecimal(size)]);
      }
      return out;
    };
    return { bids: side(book.bids), asks: side(book.asks), source: "book", ts: typeof book.timestamp === "number" ? book.timestamp : this.clock.now() };
  }

  freeBalance(currency: string): Decimal | null {
    return this.free.get(currency) ?? null;
  }

  exchangeName(): string {
    return this.exchange.id;
  }

  status(): VenueStatus {
    const open = [...this.tracker.all()].filter((t) => t.open).length;
    return {
      connected: !this.closed && this.runner.connected(),
      latencyMs: this.runner.latencyMs(),
      lastError: this.closed ? "VENUE_CLOSED: the exchange connection is closed." : this.runner.lastError(),
      detail: `${this.exchange.id}: ${open} open order(s) tracked, ${this.runner.pending().length} request(s) in flight`,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.poller.stop();
    await this.userStream?.stop();
    await this.idle();
    await Promise.allSettled([this.exchange.close(), this.emergencyExchange.close()]);
  }

  /** Resolves when every request started so far (and those they started) has settled. For tests and shutdown. */
  async idle(): Promise<void> {
    for (let polling = this.poller.running(); this.runner.pending().length > 0 || polling; polling = this.poller.running()) {
      await Promise.allSettled([...this.runner.pending(), ...(polling ? [polling] : [])]);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Polling (poller.ts)

  /**
   * One poll: for each symbol with orders Bastion placed that are open (or whose fills are not all
   * seen): new fills since the oldest of them, then the open orders; an order no longer open is looked
   * up and its end (canceled, expired, rejected) reported. Failures are recorded in status(), never thrown.
   */
  pollOnce(): Promise<void> {
    return this.poller.pollOnce();
  }

  /** The account's fills on a symbol since `since` (the poller and fetchFills). */
  private readTrades(symbol: string, since: number): Promise<CcxtTradeLike[]> {
    return this.runner.call(this.exchange, "read", `reading ${symbol} fills`, () => this.exchange.fetchMyTrades(symbol, since > 0 ? since : undefined));
  }

  // ---------------------------------------------------------------------------------------------
  // Websocket fills and order updates (the same events as a poll)

  private onStreamTrades(symbol: string, trades: CcxtTradeLike[]): void {
    if (!this.closed) this.emit(this.tracker.streamTradeEvents(symbol, trades));
  }

  private onStreamOrders(symbol: string, orders: CcxtOrderLike[]): void {
    if (!this.closed) this.emit(this.tracker.streamOrderEvents(symbol, orders));
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  private usable(): void {
    if (this.closed) throw new TransientVenueError("VENUE_CLOSED: the exchange connection is closed.", "VENUE_CLOSED");
  }

  private get secrets(): string[] {
    const out: string[] = [];
    for (const instance of [this.exchange, this.emergencyExchange]) {
      for (const value of [instance.apiKey, instance.secret, instance.password, instance.uid, instance.privateKey]) {
        if (typeof value === "string" && value !== "") out.push(value);
      }
    }
    return out;
  }

  /** A new order checked against this adapter's memory (never placed twice under one id) and its tracking record. */
  private newTrackedOrder(spec: OrderSpec, market: CcxtMarketLike, instrument: Instrument, now: number): { request: CcxtOrderRequest; record: TrackedOrder } {
    if (this.tracker.get(spec.clientOrderId)?.venueOrderId) {
      throw new FinalVenueError(
        `DUPLICATE_CLIENT_ORDER_ID: ${spec.clientOrderId} was already placed on ${this.id}; it is not sent twice.`,
        "DUPLICATE_CLIENT_ORDER_ID",
      );
    }
    const request = this.orderRequest(spec, market, instrument);
    const record: TrackedOrder = {
      clientOrderId: spec.clientOrderId,
      symbol: spec.symbol,
      type: spec.type,
      side: spec.side,
      venueOrderId: null,
      triggerBook: request.triggerBook,
      open: true,
      reportedFilled: ZERO,
      seenFilled: ZERO,
      createdAt: now,
    };
    return { request, record };
  }

  /** The createOrder arguments for a spec (orders.ts), priced against the last prices for market-order checks. */
  private orderRequest(spec: OrderSpec, market: CcxtMarketLike, instrument: Instrument): CcxtOrderRequest {
    const prices = this.lastPrice.get(spec.symbol);
    const reference = spec.side === "BUY" ? (prices?.ask ?? prices?.last) : (prices?.bid ?? prices?.last);
    const lastPrice = reference !== undefined ? D(reference) : null;
    const marketBuyProtectionBps = this.options.marketBuyProtectionBps ?? 100;
    const features = createOrderFeatures(this.exchange.features, market);
    return mapOrder(spec, { profile: this.profile, market, instrument, features, lastPrice, marketBuyProtectionBps }, this.exchange.id);
  }

  private emit(events: VenueEvent[]): void {
    if (events.length > 0 && !this.closed) this.sink(events);
  }

  // ---------------------------------------------------------------------------------------------
  // Failures

  private failed(request: VenueRequest, error: TransientVenueError | FinalVenueError): void {
    const subject =
      request.kind === "cancel" ? request.clientOrderId : request.kind === "cancelAll" ? (request.symbol ?? "all symbols") : placedIds(request).join("+");
    this.log(error instanceof FinalVenueError ? "warn" : "error", `${this.id}: ${request.kind} ${subject} failed: ${error.message}`);
    if (error instanceof FinalVenueError) for (const id of placedIds(request)) this.tracker.forget(id);
    // No sink: not behind ResilientVenue, the one failure policy. Nothing is retried or looked up here; the failure is
    // logged above and in status(), and reconciliation settles the order.
    this.failureSink?.(request, error);
  }
}

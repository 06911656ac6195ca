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
 * - A request that fails later is reported, never retried here:
 *   · with a failure sink set (`setFailureSink`: ResilientVenue sets one), the classified
 *     error goes to it with the request, and the decorator applies its policy (retry with backoff only
 *     what certainly did not execute, an unknown outcome puts the order in doubt, reject on final errors);
 *   · without one, the adapter applies the safe minimum itself: a final error → `reject` /
 *     `cancelReject` events; an outcome-unknown create (code TIMEOUT: timeout, connection lost after
 *     sending, HTTP 5xx, duplicate clientOrderId) → looked up by clientOrderId after
 *     `lookupDelayMs` (a few tries) and reported as the exchange sees it — NEVER sent again (if it
 *     is not found, it stays SUBMITTED and reconciliation settles it); a create refused before
 *     processing (rate limit, maintenance, clock drift) → `reject` (nothing was placed).
 * - ccxt's own retries are off (`options.maxRetriesOnFailure = 0`: ccxt would re-POST a timed-out
 *   createOrder); its rate limiter is on (`enableRateLimit`) on both instances.
 * - Two ccxt instances: `exchange` for new orders and polling, `emergencyExchange` (its own rate-limit
 *   bucket) for cancel, cancelAll and reduce-only orders (exits, the emergency flatten), so those never
 *   wait behind routine requests.
 * - Orders placed here are polled (`pollIntervalMs`, or `pollOnce()`): new fills (fetchMyTrades, by
 *   trade id), and orders that left the open-order list (canceled or expired at the exchange).
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
 *
 * Size (~1,050 lines): the adapter still holds its order tracker (clientOrderId ↔ exchange id, reported fills)
 * and its poller beside the port methods; issue 10 moves the tracker and the poller to their own files.
 */
import type { Exchange } from "ccxt";
import type { Clock, Timers } from "../../core/clock";
import { type Instrument } from "../../core/instrument";
import { instrumentFromCcxtMarket, type CcxtMarketLike } from "./markets";
import { D, ZERO, type Decimal } from "../../core/money";
import type { OrderSide, OrderSpec, OrderType } from "../../core/orders/types";
import {
  FinalVenueError,
  TransientVenueError,
  type MarketUpdate,
  type OrderChanges,
  type Venue,
  type VenueBalance,
  type VenueEvent,
  type VenueFill,
  type VenueOrderSnapshot,
  type VenuePosition,
  type VenueStatus,
} from "../venue";
import { classifyCcxtError, errorClassNames, scrubSecrets, type RequestKind } from "./errors";
import { UserStream, userChannels, type UserStreamExchange, type UserStreamStatus } from "./user-stream";
import {
  mapOrder,
  profileFor,
  quoteFee,
  toSnapshot,
  toVenueFill,
  type CcxtOrderLike,
  type CcxtTradeLike,
  type CreateOrderFeatures,
  type ExchangeProfile,
} from "./orders";

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
  /** Without a failure sink: wait before looking up an order whose create timed out. Default 1 000. */
  lookupDelayMs?: number;
  /** Without a failure sink: lookups before leaving an unknown order to reconciliation. Default 3. */
  lookupAttempts?: number;
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

interface Tracked {
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

const TERMINAL = new Set(["FILLED", "CANCELED", "EXPIRED", "REJECTED"]);

/** ccxt's TICK_SIZE and DECIMAL_PLACES counting modes. */
const TICK_SIZE = 4;
const DECIMAL_PLACES = 2;

/** Our clientOrderId as the exchange echoes it (Binance cancel answers carry it as origClientOrderId). */
function clientIdOf(order: CcxtOrderLike): string | null {
  const info = (order.info ?? {}) as Record<string, unknown>;
  for (const key of ["origClientOrderId", "clientOid", "clientAlgoId"]) {
    const value = info[key];
    if (typeof value === "string" && value !== "") return value;
  }
  return order.clientOrderId ? String(order.clientOrderId) : null;
}

function isNotFound(error: unknown): boolean {
  return errorClassNames(error).includes("OrderNotFound") || (error instanceof FinalVenueError && error.code === "ORDER_NOT_FOUND");
}

/** The fields of a ccxt position Bastion reads. */
export interface CcxtPositionLike {
  symbol?: string | undefined;
  side?: string | undefined;
  contracts?: number | undefined;
  contractSize?: number | undefined;
  entryPrice?: number | undefined;
  markPrice?: number | undefined;
  unrealizedPnl?: number | undefined;
  leverage?: number | undefined;
  liquidationPrice?: number | undefined;
  notional?: number | undefined;
  initialMargin?: number | undefined;
  marginMode?: string | undefined;
  info?: unknown;
}

/**
 * A ccxt position in Bastion's shape, null when flat. Numbers are read from the exchange's own
 * strings in `info` where ccxt keeps them (Binance positionRisk: positionAmt, entryPrice, markPrice,
 * unRealizedProfit, liquidationPrice, leverage), so no float noise reaches the books. A zero
 * liquidation or mark price means "none" on Binance.
 */
export function toVenuePosition(p: CcxtPositionLike): VenuePosition | null {
  const info = (p.info ?? {}) as Record<string, unknown>;
  const num = (raw: unknown, fallback: number | undefined): Decimal | null => {
    if (typeof raw === "string" && raw.trim() !== "" && Number.isFinite(Number(raw))) return D(raw);
    return typeof fallback === "number" && Number.isFinite(fallback) ? D(fallback) : null;
  };
  const nonZero = (d: Decimal | null) => (d && !d.isZero() ? d : null);
  const amount = num(info.positionAmt, p.contracts === undefined ? undefined : p.side === "short" ? -Math.abs(p.contracts) : Math.abs(p.contracts));
  if (!amount || amount.isZero()) return null;
  const side: "LONG" | "SHORT" = p.side === "short" || (p.side !== "long" && amount.isNegative()) ? "SHORT" : "LONG";
  const contracts = amount.abs();
  const contractSize = num(undefined, p.contractSize) ?? D(1);
  const notional = num(info.notional, p.notional)?.abs() ?? null;
  const initialMargin = num(info.initialMargin ?? info.positionInitialMargin, p.initialMargin);
  let leverage = nonZero(num(info.leverage, p.leverage));
  if (!leverage && notional && initialMargin && !initialMargin.isZero()) leverage = notional.dividedBy(initialMargin).toDecimalPlaces(2);
  const mode = p.marginMode ?? (typeof info.marginType === "string" ? info.marginType : undefined);
  return {
    symbol: p.symbol ?? "",
    side,
    contracts,
    quantity: contracts.times(contractSize),
    entryPrice: nonZero(num(info.entryPrice, p.entryPrice)),
    markPrice: nonZero(num(info.markPrice, p.markPrice)),
    unrealizedPnl: num(info.unRealizedProfit ?? info.unrealizedPL, p.unrealizedPnl),
    leverage,
    liquidationPrice: nonZero(num(info.liquidationPrice, p.liquidationPrice)),
    marginMode: mode === "cross" || mode === "crossed" ? "cross" : mode === "isolated" ? "isolated" : null,
  };
}

export class CcxtVenue implements Venue, ReportsAsyncFailures {
  readonly id: string;
  readonly kind = "ccxt" as const;
  private readonly ex: Exchange;
  private readonly em: Exchange;
  private readonly profile: ExchangeProfile;
  private readonly symbols: readonly string[];
  private readonly clock: Clock;
  private readonly timers: Pick<Timers, "setTimeout"> & Partial<Timers>;
  private readonly monotonic: () => number;
  private readonly log: NonNullable<CcxtVenueOptions["log"]>;
  private readonly instrumentsBySymbol = new Map<string, Instrument>();
  private readonly marketsBySymbol = new Map<string, CcxtMarketLike>();
  private readonly tracked = new Map<string, Tracked>();
  private readonly byVenueId = new Map<string, string>();
  private readonly seenTrades = new Set<string>();
  private readonly lastPrice = new Map<string, { bid?: number; ask?: number; last?: number }>();
  private readonly free = new Map<string, Decimal>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private sink: (events: VenueEvent[]) => void = () => undefined;
  private failureSink: FailureSink | null = null;
  private pollTimer: unknown = null;
  private polling: Promise<void> | null = null;
  private closed = false;
  private connected = true;
  private latencies: number[] = [];
  private lastError: string | null = null;
  private readonly userStream: UserStream | null = null;

  /** Loads markets on both instances (no HTTP when they were given `markets`) and builds the venue. */
  static async open(options: CcxtVenueOptions): Promise<CcxtVenue> {
    await Promise.all([options.exchange.loadMarkets(), options.emergencyExchange.loadMarkets()]);
    return new CcxtVenue(options);
  }

  constructor(private readonly options: CcxtVenueOptions) {
    this.ex = options.exchange;
    this.em = options.emergencyExchange;
    if (this.ex === this.em) throw new FinalVenueError("CONFIG: the emergency path needs its own ccxt instance (its own rate limiter).", "CONFIG");
    for (const instance of [this.ex, this.em]) {
      instance.enableRateLimit = true;
      instance.options = { ...instance.options, maxRetriesOnFailure: 0, maxRetriesOnFailureDelay: 0 };
      if (instance.id === "bitget" && (instance.options as Record<string, unknown>).uta === undefined)
        (instance.options as Record<string, unknown>).uta = false;
    }
    this.id = options.id ?? this.ex.id;
    this.profile = profileFor(this.ex.id);
    this.symbols = [...options.symbols];
    this.clock = options.clock;
    this.timers = options.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };
    this.monotonic = options.monotonic ?? (() => performance.now());
    this.log = options.log ?? (() => undefined);
    const markets = (this.ex.markets ?? {}) as Record<string, CcxtMarketLike | undefined>;
    const mode = this.ex.precisionMode === DECIMAL_PLACES ? "DECIMAL_PLACES" : "TICK_SIZE";
    if (this.ex.precisionMode !== TICK_SIZE && this.ex.precisionMode !== DECIMAL_PLACES) {
      throw new FinalVenueError(`CONFIG: ${this.ex.id} counts precision in significant digits, which Bastion does not support.`, "CONFIG");
    }
    for (const symbol of this.symbols) {
      const market = markets[symbol];
      if (!market) throw new FinalVenueError(`BAD_SYMBOL: ${this.ex.id} does not list ${symbol} (are its markets loaded?).`, "BAD_SYMBOL");
      this.marketsBySymbol.set(symbol, market);
      this.instrumentsBySymbol.set(symbol, instrumentFromCcxtMarket(market, mode));
    }
    if (userChannels(options.stream).length > 0) {
      // The pro instance takes the REST instance's markets instead of loading them a second time.
      if (!options.stream!.markets && typeof options.stream!.setMarkets === "function")
        options.stream!.setMarkets(this.ex.markets as never, this.ex.currencies as never);
      this.userStream = new UserStream({
        stream: options.stream!,
        symbols: this.symbols,
        timers: this.timers,
        ...(options.streamBackoff ? { backoff: options.streamBackoff } : {}),
        classify: (error, action) => classifyCcxtError(error, { exchange: this.ex.id, kind: "read", action, secrets: this.secrets }),
        onTrades: (symbol, trades) => this.onStreamTrades(symbol, trades as CcxtTradeLike[]),
        onOrders: (symbol, orders) => this.onStreamOrders(symbol, orders as CcxtOrderLike[]),
        log: this.log,
      });
      this.userStream.start();
    }
    if ((options.pollIntervalMs ?? 2_000) > 0) this.schedulePoll();
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
    const px = this.lastPrice.get(spec.symbol);
    const reference = spec.side === "BUY" ? (px?.ask ?? px?.last) : (px?.bid ?? px?.last);
    try {
      mapOrder(
        spec,
        {
          profile: this.profile,
          market,
          instrument,
          features: this.featuresFor(market),
          lastPrice: reference !== undefined ? D(reference) : null,
          marketBuyProtectionBps: this.options.marketBuyProtectionBps ?? 100,
        },
        this.ex.id,
      );
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
    if (this.tracked.get(spec.clientOrderId)?.venueOrderId) {
      throw new FinalVenueError(
        `DUPLICATE_CLIENT_ORDER_ID: ${spec.clientOrderId} was already placed on ${this.id}; it is not sent twice.`,
        "DUPLICATE_CLIENT_ORDER_ID",
      );
    }
    const px = this.lastPrice.get(spec.symbol);
    const reference = spec.side === "BUY" ? (px?.ask ?? px?.last) : (px?.bid ?? px?.last);
    const request = mapOrder(
      spec,
      {
        profile: this.profile,
        market,
        instrument,
        features: this.featuresFor(market),
        lastPrice: reference !== undefined ? D(reference) : null,
        marketBuyProtectionBps: this.options.marketBuyProtectionBps ?? 100,
      },
      this.ex.id,
    );
    const record: Tracked = {
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
    this.tracked.set(spec.clientOrderId, record);
    const action = `placing order ${spec.clientOrderId} (${spec.side} ${D(spec.quantity).toString()} ${spec.symbol} ${spec.type})`;
    // Reduce-only orders (exits, the emergency flatten) take the emergency instance: they never wait in ccxt's
    // throttle behind routine orders and polling.
    const instance = spec.reduceOnly === true ? this.em : this.ex;
    this.start(
      this.call(instance, "create", action, () =>
        instance.createOrder(request.symbol, request.type, request.side, request.amount, request.price, request.params),
      ),
      (order) => this.emit(this.eventsForOrder(record, order as CcxtOrderLike, "create")),
      (error) => this.failed({ kind: "submit", spec }, error),
    );
    return [];
  }

  cancel(clientOrderId: string, _now: number): VenueEvent[] {
    this.usable();
    const action = `canceling order ${clientOrderId}`;
    this.start(
      (async () => {
        const record = this.tracked.get(clientOrderId) ?? (await this.adopt(clientOrderId, this.em));
        if (!record) throw new FinalVenueError(`ORDER_NOT_FOUND: ${this.id} has no order ${clientOrderId}; nothing to cancel.`, "ORDER_NOT_FOUND");
        await this.call(this.em, "cancel", action, () => this.em.cancelOrder(record.venueOrderId ?? "", record.symbol, this.idParams(record)));
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
    this.start(
      Promise.all(symbols.map((s) => this.cancelAllFor(s))),
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
    const px = this.lastPrice.get(update.symbol) ?? {};
    if (update.kind === "quote") Object.assign(px, { bid: update.bid, ask: update.ask });
    else if (update.kind === "trade") px.last = update.price;
    else if (update.kind === "candle") px.last = update.close;
    else if (update.kind === "book") Object.assign(px, { bid: update.bids[0]?.[0], ask: update.asks[0]?.[0] });
    this.lastPrice.set(update.symbol, px);
    return [];
  }

  advanceTo(_now: number): VenueEvent[] {
    return [];
  }

  // ---------------------------------------------------------------------------------------------
  // Port: reads

  async fetchOrder(clientOrderId: string): Promise<VenueOrderSnapshot | null> {
    this.usable();
    const record = this.tracked.get(clientOrderId);
    const symbols = record ? [record.symbol] : [...this.symbols];
    for (const symbol of symbols) {
      const order = await this.findOrder(clientOrderId, symbol, record ?? null, this.ex);
      if (order) {
        const adopted = this.remember(clientOrderId, symbol, order, record);
        return toSnapshot(order, clientOrderId, { type: adopted.type, symbol });
      }
    }
    return null;
  }

  async fetchOpenOrders(): Promise<VenueOrderSnapshot[]> {
    this.usable();
    const out: VenueOrderSnapshot[] = [];
    for (const symbol of this.symbols) {
      for (const order of await this.openOrdersOf(symbol, this.ex)) {
        const coid = clientIdOf(order) ?? `venue-${order.id ?? "unknown"}`;
        const known = this.tracked.get(coid);
        out.push(toSnapshot(order, coid, known ? { type: known.type, symbol } : { type: toSnapshot(order, coid).type, symbol }));
      }
    }
    return out;
  }

  async fetchFills(since: number): Promise<VenueFill[]> {
    this.usable();
    const out: VenueFill[] = [];
    for (const symbol of this.symbols) {
      const trades = await this.call(this.ex, "read", `reading ${symbol} fills`, () => this.ex.fetchMyTrades(symbol, since > 0 ? since : undefined));
      for (const trade of trades as CcxtTradeLike[]) {
        if (trade.timestamp !== undefined && trade.timestamp < since) continue;
        const coid = await this.clientIdForVenueOrder(trade.order, symbol);
        if (!coid) continue;
        const fill = toVenueFill({ ...trade, symbol }, coid, this.tracked.get(coid)?.side ?? "BUY", this.instrumentsBySymbol.get(symbol)!.quote);
        if (fill) out.push(fill);
      }
    }
    return out.sort((a, b) => a.ts - b.ts);
  }

  async fetchBalances(): Promise<VenueBalance[]> {
    this.usable();
    const balance = (await this.call(this.ex, "read", "reading balances", () => this.ex.fetchBalance())) as unknown as {
      free?: Record<string, number | undefined>;
      used?: Record<string, number | undefined>;
      total?: Record<string, number | undefined>;
    };
    const out: VenueBalance[] = [];
    for (const [currency, total] of Object.entries(balance.total ?? {})) {
      if (total === undefined || total === null) continue;
      const free = D(balance.free?.[currency] ?? 0);
      out.push({ currency, free, reserved: D(balance.used?.[currency] ?? 0), total: D(total) });
      this.free.set(currency, free);
    }
    return out;
  }

  /** Open derivative positions of the traded symbols (spot symbols are skipped; flat positions are left out). */
  async fetchPositions(): Promise<VenuePosition[]> {
    this.usable();
    const symbols = this.symbols.filter((s) => this.marketsBySymbol.get(s)?.contract);
    if (symbols.length === 0 || !this.ex.has.fetchPositions) return [];
    const positions = await this.call(this.ex, "read", "reading positions", () => this.ex.fetchPositions(symbols));
    return positions.map((p) => toVenuePosition(p as unknown as CcxtPositionLike)).filter((p): p is VenuePosition => p !== null && symbols.includes(p.symbol));
  }

  freeBalance(currency: string): Decimal | null {
    return this.free.get(currency) ?? null;
  }

  status(): VenueStatus {
    const latencyMs = this.latencies.length === 0 ? null : Math.round(this.latencies.reduce((a, b) => a + b, 0) / this.latencies.length);
    const open = [...this.tracked.values()].filter((t) => t.open).length;
    return {
      connected: !this.closed && this.connected,
      latencyMs,
      lastError: this.closed ? "VENUE_CLOSED: the exchange connection is closed." : this.lastError,
      detail: `${this.ex.id}: ${open} open order(s) tracked, ${this.inFlight.size} request(s) in flight`,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.pollTimer !== null) this.timers.clearTimeout?.(this.pollTimer);
    this.pollTimer = null;
    await this.userStream?.stop();
    await this.idle();
    await Promise.allSettled([this.ex.close(), this.em.close()]);
  }

  /** Resolves when every request started so far (and those they started) has settled. For tests and shutdown. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || this.polling) {
      await Promise.allSettled([...this.inFlight, ...(this.polling ? [this.polling] : [])]);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Polling

  /**
   * One poll: for each symbol with orders Bastion placed that are open (or whose fills are not all
   * seen): new fills since the oldest of them, then the open orders; an order no longer open is looked
   * up and its end (canceled, expired, rejected) reported. Failures are recorded in status(), never thrown.
   */
  pollOnce(): Promise<void> {
    if (this.polling) return this.polling;
    const run = this.poll().finally(() => {
      this.polling = null;
    });
    this.polling = run;
    return run;
  }

  private schedulePoll(): void {
    this.pollTimer = this.timers.setTimeout(() => {
      if (this.closed) return;
      void this.pollOnce().finally(() => {
        if (!this.closed) this.schedulePoll();
      });
    }, this.currentPollIntervalMs());
  }

  // ---------------------------------------------------------------------------------------------
  // Websocket fills and order updates (the same events as a poll)

  private onStreamTrades(symbol: string, trades: CcxtTradeLike[]): void {
    if (this.closed) return;
    const events: VenueEvent[] = [];
    for (const trade of trades) {
      const record = this.recordFor(trade.order, (trade as { info?: unknown }).info);
      // A fill before the order's accept (its create answer still on the way) is left to that answer or the next poll.
      if (record && record.symbol === symbol && record.accepted) events.push(...this.fillEvents(record, [{ ...trade, symbol }]));
    }
    this.emit(events);
  }

  private onStreamOrders(symbol: string, orders: CcxtOrderLike[]): void {
    if (this.closed) return;
    const events: VenueEvent[] = [];
    for (const order of orders) {
      const record = this.recordFor(order.id, order.info) ?? (clientIdOf(order) ? this.tracked.get(clientIdOf(order)!) : undefined);
      // Orders Bastion did not place are left to reconciliation; an order already ended is not ended twice.
      if (!record || record.symbol !== symbol || !record.open) continue;
      events.push(...this.eventsForOrder(record, order, "poll"));
    }
    this.emit(events);
  }

  /** Our order behind an exchange order id, else behind the clientOrderId the event carries (Binance `c`). */
  private recordFor(venueOrderId: string | undefined, info: unknown): Tracked | undefined {
    const coid = venueOrderId !== undefined ? this.byVenueId.get(String(venueOrderId)) : undefined;
    if (coid) return this.tracked.get(coid);
    const raw = (info ?? {}) as Record<string, unknown>;
    for (const key of ["c", "C", "clientOid", "clientOrderId"]) {
      const value = raw[key];
      const record = typeof value === "string" && value !== "" ? this.tracked.get(value) : undefined;
      if (record) return record;
    }
    return undefined;
  }

  private async poll(): Promise<void> {
    const bySymbol = new Map<string, Tracked[]>();
    for (const record of this.tracked.values()) {
      if (!record.venueOrderId) continue;
      if (!record.open && record.seenFilled.greaterThanOrEqualTo(record.reportedFilled)) continue;
      bySymbol.set(record.symbol, [...(bySymbol.get(record.symbol) ?? []), record]);
    }
    for (const [symbol, records] of bySymbol) {
      try {
        const events: VenueEvent[] = [];
        const since = Math.min(...records.map((r) => r.createdAt)) - 60_000;
        const trades = await this.call(this.ex, "read", `reading ${symbol} fills`, () => this.ex.fetchMyTrades(symbol, since > 0 ? since : undefined));
        for (const trade of trades as CcxtTradeLike[]) {
          const coid = trade.order ? this.byVenueId.get(String(trade.order)) : undefined;
          const record = coid ? this.tracked.get(coid) : undefined;
          if (record) events.push(...this.fillEvents(record, [{ ...trade, symbol }]));
        }
        const open = records.filter((r) => r.open);
        if (open.length > 0) {
          const listed = new Set<string>();
          for (const order of await this.openOrdersOf(
            symbol,
            this.ex,
            open.some((r) => r.triggerBook),
          )) {
            if (order.id) listed.add(String(order.id));
            const coid = clientIdOf(order);
            if (coid) listed.add(coid);
          }
          for (const record of open) {
            if (listed.has(record.clientOrderId) || (record.venueOrderId && listed.has(record.venueOrderId))) continue;
            const order = await this.findOrder(record.clientOrderId, symbol, record, this.ex);
            if (order) events.push(...this.eventsForOrder(record, order, "poll"));
          }
        }
        this.emit(events);
      } catch (error) {
        this.log("warn", `${this.id}: poll of ${symbol} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  private usable(): void {
    if (this.closed) throw new TransientVenueError("VENUE_CLOSED: the exchange connection is closed.", "VENUE_CLOSED");
  }

  private get secrets(): string[] {
    const out: string[] = [];
    for (const instance of [this.ex, this.em]) {
      for (const value of [instance.apiKey, instance.secret, instance.password, instance.uid, instance.privateKey]) {
        if (typeof value === "string" && value !== "") out.push(value);
      }
    }
    return out;
  }

  private featuresFor(market: CcxtMarketLike): CreateOrderFeatures | null {
    const features = (this.ex.features ?? {}) as Record<string, Record<string, unknown> | undefined>;
    const type = market.spot ? "spot" : market.swap ? "swap" : market.future ? "future" : market.option ? "option" : "spot";
    const byType = features[type];
    if (!byType) return null;
    if (type === "spot") return (byType.createOrder as CreateOrderFeatures | undefined) ?? null;
    const sub = byType[market.linear ? "linear" : "inverse"] as { createOrder?: CreateOrderFeatures } | undefined;
    return sub?.createOrder ?? null;
  }

  /** Parameters that name an order: the exchange's id when known, else our clientOrderId in the exchange's field. */
  private idParams(record: Tracked): Record<string, unknown> {
    const params: Record<string, unknown> = record.venueOrderId ? {} : { [this.profile.lookupParam]: record.clientOrderId };
    if (record.triggerBook) params.trigger = true;
    return params;
  }

  /** Runs a ccxt call: latency and connection status, errors classified and scrubbed. */
  private async call<T>(instance: Exchange, kind: RequestKind, action: string, fn: () => Promise<T>): Promise<T> {
    const started = this.monotonic();
    try {
      const result = await fn();
      this.latencies = [...this.latencies.slice(-19), this.monotonic() - started];
      this.connected = true;
      return result;
    } catch (e) {
      const error = classifyCcxtError(e, { exchange: instance.id, kind, action, secrets: this.secrets });
      if (!(error instanceof FinalVenueError && error.code === "ORDER_NOT_FOUND")) this.lastError = error.message;
      if (error instanceof TransientVenueError) this.connected = false;
      else this.latencies = [...this.latencies.slice(-19), this.monotonic() - started];
      throw error;
    }
  }

  private start<T>(work: Promise<T>, onDone: (value: T) => void, onError: (error: TransientVenueError | FinalVenueError) => void): void {
    const tracked = work.then(onDone, (e: unknown) => {
      const error =
        e instanceof TransientVenueError || e instanceof FinalVenueError
          ? e
          : classifyCcxtError(e, { exchange: this.ex.id, kind: "read", action: "a request", secrets: this.secrets });
      onError(error);
    });
    const settled = tracked.catch((e: unknown) => this.log("error", `${this.id}: event handling failed: ${scrubSecrets(String(e), this.secrets)}`));
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
  }

  private emit(events: VenueEvent[]): void {
    if (events.length > 0 && !this.closed) this.sink(events);
  }

  /** Events for an order as the exchange reports it: accept (once), new fills, and its end. */
  private eventsForOrder(record: Tracked, order: CcxtOrderLike, source: "create" | "poll" | "lookup"): VenueEvent[] {
    const now = this.clock.now();
    const coid = record.clientOrderId;
    const snapshot = toSnapshot(order, coid, { type: record.type, symbol: record.symbol });
    const events: VenueEvent[] = [];
    if (snapshot.status === "REJECTED") {
      record.open = false;
      return [{ clientOrderId: coid, event: { type: "reject", reason: "REJECTED: the exchange rejected the order.", ts: now } }];
    }
    if ((source !== "poll" || !record.venueOrderId) && !record.accepted) {
      record.accepted = true;
      events.push({ clientOrderId: coid, event: { type: "accept", ...(snapshot.venueOrderId ? { venueOrderId: snapshot.venueOrderId } : {}), ts: now } });
    }
    this.remember(coid, record.symbol, order, record);
    if (snapshot.filledQty.greaterThan(record.reportedFilled)) record.reportedFilled = snapshot.filledQty;
    events.push(
      ...this.fillEvents(
        record,
        (order.trades ?? []).map((t) => ({ ...t, order: t.order ?? order.id, symbol: record.symbol })),
      ),
    );
    if (TERMINAL.has(snapshot.status)) record.open = false;
    if (snapshot.status === "CANCELED") events.push({ clientOrderId: coid, event: { type: "cancel", reason: "canceled at the exchange", ts: now } });
    if (snapshot.status === "EXPIRED") events.push({ clientOrderId: coid, event: { type: "expire", ts: now } });
    return events;
  }

  private fillEvents(record: Tracked, trades: CcxtTradeLike[]): VenueEvent[] {
    const instrument = this.instrumentsBySymbol.get(record.symbol)!;
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
        this.log("warn", `${this.id}: fill ${fill.tradeId} paid its fee in ${fill.feeCurrency}; it is not converted to ${instrument.quote} (booked as 0).`);
      events.push({
        clientOrderId: record.clientOrderId,
        event: {
          type: "fill",
          tradeId: fill.tradeId,
          qty: fill.qty,
          price: fill.price,
          fee,
          ...(liquidity ? { liquidity } : {}),
          ts: fill.ts || this.clock.now(),
        },
      });
    }
    return events;
  }

  /** Records what an exchange order tells about one of ours (venue id ↔ clientOrderId). */
  private remember(clientOrderId: string, symbol: string, order: CcxtOrderLike, record: Tracked | undefined): Tracked {
    const snapshot = toSnapshot(order, clientOrderId, record ? { type: record.type, symbol } : undefined);
    const out: Tracked = record ?? {
      clientOrderId,
      symbol,
      type: snapshot.type,
      side: snapshot.side,
      venueOrderId: null,
      triggerBook: false,
      open: !TERMINAL.has(snapshot.status),
      reportedFilled: snapshot.filledQty,
      seenFilled: ZERO,
      createdAt: order.timestamp ?? this.clock.now(),
    };
    if (snapshot.venueOrderId) {
      out.venueOrderId = snapshot.venueOrderId;
      this.byVenueId.set(snapshot.venueOrderId, clientOrderId);
    }
    if (!record) this.tracked.set(clientOrderId, out);
    return out;
  }

  /** An order Bastion did not place in this process (a restart): found by clientOrderId on the traded symbols. */
  private async adopt(clientOrderId: string, instance: Exchange): Promise<Tracked | null> {
    for (const symbol of this.symbols) {
      const order = await this.findOrder(clientOrderId, symbol, null, instance);
      if (order) return this.remember(clientOrderId, symbol, order, undefined);
    }
    return null;
  }

  /** Looks one order up by our clientOrderId (or its exchange id when known): regular book, then the trigger book. */
  private async findOrder(clientOrderId: string, symbol: string, record: Tracked | null, instance: Exchange): Promise<CcxtOrderLike | null> {
    const market = this.marketsBySymbol.get(symbol)!;
    const action = `looking up order ${clientOrderId} on ${symbol}`;
    const books = record ? [record.triggerBook] : this.profile.separateTriggerBook(market, true) ? [false, true] : [false];
    for (const trigger of books) {
      if (trigger && this.profile.family !== "binance") {
        // Bitget and others: no lookup of a trigger order by clientOrderId; search the open trigger orders.
        const open = await this.call(instance, "read", action, () => instance.fetchOpenOrders(symbol, undefined, undefined, { trigger: true }));
        const found = (open as CcxtOrderLike[]).find((o) => clientIdOf(o) === clientOrderId || (record?.venueOrderId && o.id === record.venueOrderId));
        if (found) return found;
        continue;
      }
      const params: Record<string, unknown> = record?.venueOrderId
        ? {}
        : { [trigger && this.profile.family === "binance" ? "clientOrderId" : this.profile.lookupParam]: clientOrderId };
      if (trigger) params.trigger = true;
      try {
        const order = (await this.call(instance, "read", action, () => instance.fetchOrder(record?.venueOrderId ?? "", symbol, params))) as CcxtOrderLike;
        if (order?.id) return order;
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return null;
  }

  private async openOrdersOf(symbol: string, instance: Exchange, triggerBook?: boolean): Promise<CcxtOrderLike[]> {
    const market = this.marketsBySymbol.get(symbol)!;
    const action = `reading open ${symbol} orders`;
    const regular = (await this.call(instance, "read", action, () => instance.fetchOpenOrders(symbol))) as CcxtOrderLike[];
    if (!((triggerBook ?? true) && this.profile.separateTriggerBook(market, true))) return regular;
    const triggers = (await this.call(instance, "read", action, () =>
      instance.fetchOpenOrders(symbol, undefined, undefined, { trigger: true }),
    )) as CcxtOrderLike[];
    return [...regular, ...triggers];
  }

  private async clientIdForVenueOrder(venueOrderId: string | undefined, symbol: string): Promise<string | null> {
    if (!venueOrderId) return null;
    const known = this.byVenueId.get(String(venueOrderId));
    if (known) return known;
    try {
      const order = (await this.call(this.ex, "read", `looking up order ${venueOrderId} on ${symbol}`, () =>
        this.ex.fetchOrder(String(venueOrderId), symbol),
      )) as CcxtOrderLike;
      const coid = clientIdOf(order);
      if (coid) this.remember(coid, symbol, order, this.tracked.get(coid));
      return coid;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  private async cancelAllFor(symbol: string): Promise<VenueEvent[]> {
    const market = this.marketsBySymbol.get(symbol)!;
    const canceled = new Set<string>();
    const lookedUp: VenueEvent[] = [];
    const books = this.profile.separateTriggerBook(market, true) ? [false, true] : [false];
    for (const trigger of books) {
      try {
        const orders = (await this.call(this.em, "cancelAll", `canceling every ${trigger ? "trigger " : ""}${symbol} order`, () =>
          this.em.cancelAllOrders(symbol, trigger ? { trigger: true } : {}),
        )) as CcxtOrderLike[] | undefined;
        for (const order of Array.isArray(orders) ? orders : []) {
          const coid = (order.id ? this.byVenueId.get(String(order.id)) : undefined) ?? clientIdOf(order);
          if (!coid) continue;
          canceled.add(coid);
          // Filled in part before the cancel: the next poll reads the fills (it polls until they are all seen).
          const record = this.tracked.get(coid);
          const filled = record ? toSnapshot(order, coid, { type: record.type, symbol }).filledQty : null;
          if (record && filled && filled.greaterThan(record.reportedFilled)) record.reportedFilled = filled;
        }
      } catch (error) {
        if (!isNotFound(error)) throw error; // "no open orders" is answered as an unknown order by some exchanges
      }
    }
    const now = this.clock.now();
    const events: VenueEvent[] = [];
    // An order whose create is still on its way (no exchange id, never acknowledged) may land after this cancel-all:
    // it is not called canceled (the resilience layer cancels it when it arrives, or it is in doubt).
    const ours = [...this.tracked.values()].filter(
      (r) => r.symbol === symbol && r.open && (r.venueOrderId !== null || r.accepted === true || canceled.has(r.clientOrderId)),
    );
    const unlisted = ours.filter((r) => !canceled.has(r.clientOrderId));
    if (unlisted.length > 0) {
      const stillOpen = new Set<string>();
      for (const order of await this.openOrdersOf(symbol, this.em, true)) {
        const coid = (order.id ? this.byVenueId.get(String(order.id)) : undefined) ?? clientIdOf(order);
        if (coid) stillOpen.add(coid);
      }
      for (const record of unlisted) {
        if (stillOpen.has(record.clientOrderId)) {
          await this.call(this.em, "cancelAll", `canceling order ${record.clientOrderId}, which the cancel-all of ${symbol} left open`, () =>
            this.em.cancelOrder(record.venueOrderId ?? "", symbol, this.idParams(record)),
          );
          canceled.add(record.clientOrderId);
          continue;
        }
        // No longer open and not canceled by this cancel-all: it may have FILLED meanwhile. Its end is read, not assumed;
        // when the lookup fails it is left open for the next poll (never called canceled on a guess).
        let order: CcxtOrderLike | null;
        try {
          order = await this.findOrder(record.clientOrderId, symbol, record, this.em);
        } catch {
          continue;
        }
        if (order && TERMINAL.has(toSnapshot(order, record.clientOrderId, { type: record.type, symbol }).status))
          lookedUp.push(...this.eventsForOrder(record, order, "lookup"));
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

  // ---------------------------------------------------------------------------------------------
  // Failures

  private failed(request: VenueRequest, error: TransientVenueError | FinalVenueError): void {
    const subject =
      request.kind === "submit" ? request.spec.clientOrderId : request.kind === "cancel" ? request.clientOrderId : (request.symbol ?? "all symbols");
    this.log(error instanceof FinalVenueError ? "warn" : "error", `${this.id}: ${request.kind} ${subject} failed: ${error.message}`);
    if (request.kind === "submit" && error instanceof FinalVenueError) this.tracked.delete(request.spec.clientOrderId);
    if (this.failureSink) {
      this.failureSink(request, error);
      return;
    }
    this.fallback(request, error);
  }

  /** Without a failure sink: the safe minimum (see the header). */
  private fallback(request: VenueRequest, error: TransientVenueError | FinalVenueError): void {
    const now = this.clock.now();
    if (request.kind === "cancelAll") return; // status() shows the error; the orders stay PENDING_CANCEL until a poll or reconciliation
    const outcomeUnknown = error instanceof TransientVenueError && error.code === "TIMEOUT";
    if (request.kind === "submit") {
      const coid = request.spec.clientOrderId;
      if (outcomeUnknown) {
        this.lookUpLater(coid, 1);
        return;
      }
      this.tracked.delete(coid);
      const reason =
        error instanceof FinalVenueError ? error.message : `VENUE_UNAVAILABLE: ${error.message} The order was not placed and is not re-sent by itself.`;
      this.emit([{ clientOrderId: coid, event: { type: "reject", reason, ts: now } }]);
      return;
    }
    const coid = request.clientOrderId;
    if (outcomeUnknown) {
      this.start(
        this.fetchOrder(coid),
        (snapshot) => {
          if (snapshot?.status === "CANCELED")
            this.emit([{ clientOrderId: coid, event: { type: "cancel", reason: "canceled (confirmed by lookup)", ts: this.clock.now() } }]);
          else
            this.emit([
              {
                clientOrderId: coid,
                event: {
                  type: "cancelReject",
                  reason: `${error.message} The order is still ${snapshot?.status ?? "unknown"} at the exchange.`,
                  ts: this.clock.now(),
                },
              },
            ]);
        },
        (e) => this.emit([{ clientOrderId: coid, event: { type: "cancelReject", reason: e.message, ts: this.clock.now() } }]),
      );
      return;
    }
    this.emit([{ clientOrderId: coid, event: { type: "cancelReject", reason: error.message, ts: now } }]);
  }

  /** An order whose create may have landed: looked up by clientOrderId, never sent again. */
  private lookUpLater(clientOrderId: string, attempt: number): void {
    const attempts = this.options.lookupAttempts ?? 3;
    this.timers.setTimeout(() => {
      if (this.closed) return;
      const record = this.tracked.get(clientOrderId);
      this.start(
        (async () => {
          for (const symbol of record ? [record.symbol] : this.symbols) {
            const order = await this.findOrder(clientOrderId, symbol, record ?? null, this.ex);
            if (order) return order;
          }
          return null;
        })(),
        (order) => {
          if (order && record) {
            this.log("info", `${this.id}: ${clientOrderId} found at the exchange after a lost answer; reported, not re-sent`);
            this.emit(this.eventsForOrder(record, order, "lookup"));
          } else if (attempt < attempts) {
            this.lookUpLater(clientOrderId, attempt + 1);
          } else {
            this.tracked.delete(clientOrderId);
            this.lastError = `ORDER_UNKNOWN: ${clientOrderId} is not at ${this.id} after ${attempt} lookups; it was not re-sent and reconciliation settles it.`;
            this.log("error", this.lastError);
          }
        },
        (error) => {
          if (attempt < attempts) this.lookUpLater(clientOrderId, attempt + 1);
          else this.log("error", `${this.id}: ${clientOrderId} still unknown (${error.message}); reconciliation settles it`);
        },
      );
    }, this.options.lookupDelayMs ?? 1_000);
  }
}

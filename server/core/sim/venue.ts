/**
 * A deterministic simulated exchange: its own book of working orders and spot balances, fills from
 * market data, venue events in the FSM vocabulary of orders/types.ts. Pure: time comes in as `now`,
 * randomness from the injected Rng (only latency jitter draws from it). Used by paper, replay and backtest.
 *
 * Matching rules (the spec was silent on several; these are the choices):
 * - Requests (submit, cancel, cancelAll, modify) reach the venue `latency` ms after they are sent, in the
 *   order sent (one connection, FIFO). Nothing happens to an order before it arrives; arriving requests are
 *   processed at their arrival time, against the market as last seen, before any later market data.
 * - "Touch" = the last quote or book snapshot. Orders that arrive (or trigger) while a touch is known execute
 *   against it immediately: quotes are treated as deep at the touch (their sizes only feed the slippage
 *   model), books are walked level by level with one fill per level (their VWAP is the walk's VWAP), and
 *   liquidity taken from a snapshot is gone until the next snapshot.
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
 * - toSnapshot() / SimulatedVenue.fromSnapshot() capture and restore the whole venue as plain JSON-able
 *   data (snapshot.ts); a restored venue behaves exactly like the original from that point. Every fill is
 *   also kept, with its order's symbol and side, in a bounded log (fills()).
 *
 * Size (~1,700 lines): matching, order checks, the trigger book and the snapshot codec still live in this one
 * class because they share its books and balances; issue 10 splits them into their own files (a
 * MatchingEngine beside the SimVenue adapter).
 */
import { checkAgainstInstrument, type Instrument } from "../instrument";
import {
  add,
  cmp,
  Decimal,
  isPositive,
  numberToDecimal,
  ONE,
  ZERO,
  isMultipleOf,
  maxDec,
  minDec,
  onePlus,
  parseDecimal,
  roundToStep,
  sub,
  type DecimalInput,
} from "../money";
import { trailingLimitPrice, updateTrailingStop, shouldTrigger, type MarketObservation } from "../orders/triggers";
import {
  LIMIT_PRICE_TYPES,
  TIME_IN_FORCE,
  TRAILING_TYPES,
  TRIGGER_TYPES,
  TRIGGERABLE_LIMIT_TYPES,
  ORDER_TYPES,
  ORDER_SIDES,
  type OrderEvent,
  type OrderSide,
  type OrderSpec,
  type OrderStatus,
  type OrderType,
  type TimeInForce,
  type TrailingState,
  type TriggerSource,
} from "../orders/types";
import { isCapturableRng, seededRng, type Rng } from "../rng";
import { SimBalances, type BalanceView } from "./balances";
import { RollingVolume, commissionSchedule, type CommissionConfig, type CommissionSchedule, type FeeRates, feeRatesFor, type Liquidity } from "./commission";
import { sampleLatency, type LatencyModel } from "./latency";
import { candlePath, type BookLevel, type MarketUpdate } from "./market-data";
import { applySlippage, type SlippageConfig } from "./slippage";
import { RollingVolatility } from "./volatility";
import {
  SIM_SNAPSHOT_VERSION,
  decodeInput,
  decodeNum,
  encodeInput,
  encodeNum,
  fillFromRecord,
  fillToRecord,
  type ChangesSnapshot,
  type RequestSnapshot,
  type SimFill,
  type SimOrderRecord,
  type SimVenueSnapshot,
  type SpecSnapshot,
  type SnapNum,
  type SymbolSnapshot,
} from "./snapshot";

export interface SimulatedVenueConfig {
  instruments: readonly Instrument[];
  initialBalances: Record<string, DecimalInput>;
  /** Default NONE. */
  slippage?: SlippageConfig;
  /** Default: each instrument's makerFee/takerFee. */
  commission?: CommissionConfig;
  /** Quote volume already traded in the last 30 days, for fee tiers. */
  initialVolume30d?: DecimalInput;
  /** Largest share of a trade's or bar's volume the venue fills per update and side, in (0, 1]. Default 1. */
  participationCap?: number;
  /** Default 0 (requests arrive when sent). */
  latencyMs?: LatencyModel;
  /** Default seededRng(0) (as seededRng(0): the same sequence, with state a snapshot can hold). */
  rng?: Rng;
  /** Resting limits also fill when the market only touches their price. Default false (must trade through). */
  fillOnTouch?: boolean;
  /** For orders without their own triggerSource. Default LAST. */
  triggerSource?: TriggerSource;
  /** Which price of the next candle fills waiting market orders. Default OPEN. */
  candleFillPrice?: "OPEN" | "CLOSE";
  /** Extra quote reserved for buys that execute at market (price unknown in advance). Default 200 bps. */
  marketReserveBufferBps?: number;
  /** Returns used for the REALISTIC slippage model's volatility. Default 20. */
  volatilityWindow?: number;
  /** Prefix of trade ids (`sim-1`, `sim-2`, …) and venue order ids (`sim-o-1`, …). Default "sim". */
  idPrefix?: string;
  /** How many recent fills the in-memory fill log keeps (see fills()). Default 10 000. */
  fillHistoryLimit?: number;
}

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

/** One event for the engine to journal and apply to the order's FSM. */
export interface VenueEvent {
  clientOrderId: string;
  event: OrderEvent;
}

export interface OrderChanges {
  /** New total quantity (must exceed what has filled). */
  quantity?: DecimalInput;
  price?: DecimalInput;
  triggerPrice?: DecimalInput;
}

/** The venue's view of one order. */
export interface SimOrderView {
  clientOrderId: string;
  venueOrderId: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  timeInForce: TimeInForce;
  status: OrderStatus;
  quantity: Decimal;
  filledQty: Decimal;
  remainingQty: Decimal;
  price: Decimal | null;
  triggerPrice: Decimal | null;
  triggered: boolean;
  avgFillPrice: Decimal | null;
  feesPaid: Decimal;
  reservedCurrency: string;
  reserved: Decimal;
  sentAt: number;
  acceptedAt: number | null;
  reason: string | null;
}

/** Where an order is: being placed (in no list), watching its trigger, waiting for a print, resting, or finished. */
type Phase = "LIVE" | "TRIGGER" | "WAITING" | "RESTING" | "DONE";

interface SimOrder {
  seq: number;
  clientOrderId: string;
  venueOrderId: string;
  instrument: Instrument;
  side: OrderSide;
  type: OrderType;
  tif: TimeInForce;
  postOnly: boolean;
  quantity: Decimal;
  filled: Decimal;
  limitPrice: Decimal | null;
  limitNum: number;
  triggerPrice: Decimal | null;
  triggerNum: number;
  triggerSource: TriggerSource;
  trailing: TrailingState | null;
  expireAt: number | null;
  triggered: boolean;
  phase: Phase;
  status: OrderStatus;
  reserveCurrency: string;
  reservePerUnit: Decimal;
  reserved: Decimal;
  filledNotional: Decimal;
  fees: Decimal;
  sentAt: number;
  acceptedAt: number | null;
  reason: string | null;
  /** When the order entered its current list (book side, triggers, waiting) and the open set: a venue-wide counter. */
  listRank: number;
  openRank: number;
}

interface Level {
  price: number;
  priceDec: Decimal;
  size: Decimal;
}

interface SymbolState {
  instrument: Instrument;
  bid: number | undefined;
  ask: number | undefined;
  bidSize: number | undefined;
  askSize: number | undefined;
  last: number | undefined;
  mark: number | undefined;
  /** Set while the last touch came from a book snapshot (levels with what is left of them). */
  bookBids: Level[] | null;
  bookAsks: Level[] | null;
  /** Resting buy limits, best (highest) price first, then time. */
  buys: SimOrder[];
  /** Resting sell limits, best (lowest) price first, then time. */
  sells: SimOrder[];
  /** Trigger orders not yet triggered, in arrival order. */
  triggers: SimOrder[];
  /** Orders waiting for the next print (no touch to execute against). */
  waiting: SimOrder[];
  volatility: RollingVolatility | null;
}

type Request =
  | { kind: "submit"; arrival: number; spec: OrderSpec; sentAt: number }
  | { kind: "cancel"; arrival: number; clientOrderId: string }
  | { kind: "cancelAll"; arrival: number; symbol: string | undefined }
  | { kind: "modify"; arrival: number; clientOrderId: string; changes: OrderChanges };

/** Remaining quantity fillable in the current update, per side (null = unlimited). */
interface Budget {
  BUY: Decimal | null;
  SELL: Decimal | null;
}

/** A traded price an order meets: a trade, a candle's fill price, or a candle trigger point. */
interface Print {
  price: number;
  volume: number;
  budget: Budget;
}

const BPS = new Decimal(10_000);

/** A Decimal as text, null as null (records are plain JSON). */
function decimalText(value: Decimal | null): string | null {
  return value === null ? null : value.toString();
}

/** The ids of `orders`, each order also appended to `listed` (toSnapshot writes the listed orders once). */
function listIds(orders: readonly SimOrder[], listed: SimOrder[]): string[] {
  return orders.map((order) => {
    listed.push(order);
    return order.clientOrderId;
  });
}

function noIds(): string[] {
  return [];
}

function reason(code: string, message: string): string {
  return `${code}: ${message}`;
}

function bySide<T>(side: OrderSide, buy: T, sell: T): T {
  return side === "BUY" ? buy : sell;
}

function encodeSpec(spec: OrderSpec): SpecSnapshot {
  const out: SpecSnapshot = { clientOrderId: spec.clientOrderId, symbol: spec.symbol, side: spec.side, type: spec.type };
  const inputs = ["quantity", "price", "triggerPrice", "trailingOffset", "activationPrice", "limitOffset"] as const;
  for (const key of inputs) {
    const value = encodeInput(spec[key]);
    if (value !== undefined) out[key] = value;
  }
  if (spec.triggerSource !== undefined) out.triggerSource = spec.triggerSource;
  if (spec.trailingOffsetType !== undefined) out.trailingOffsetType = spec.trailingOffsetType;
  if (spec.timeInForce !== undefined) out.timeInForce = spec.timeInForce;
  if (spec.expireAt !== undefined) out.expireAt = encodeNum(spec.expireAt);
  if (spec.postOnly !== undefined) out.postOnly = spec.postOnly;
  return out;
}

function decodeSpec(saved: SpecSnapshot): OrderSpec {
  const spec: OrderSpec = {
    clientOrderId: saved.clientOrderId,
    symbol: saved.symbol,
    side: saved.side as OrderSide,
    type: saved.type as OrderType,
    quantity: decodeInput(saved.quantity) as DecimalInput,
  };
  const inputs = ["price", "triggerPrice", "trailingOffset", "activationPrice", "limitOffset"] as const;
  for (const key of inputs) {
    const value = decodeInput(saved[key]);
    if (value !== undefined) spec[key] = value;
  }
  if (saved.triggerSource !== undefined) spec.triggerSource = saved.triggerSource;
  if (saved.trailingOffsetType !== undefined) spec.trailingOffsetType = saved.trailingOffsetType;
  if (saved.timeInForce !== undefined) spec.timeInForce = saved.timeInForce as TimeInForce;
  if (saved.expireAt !== undefined) spec.expireAt = decodeNum(saved.expireAt);
  if (saved.postOnly !== undefined) spec.postOnly = saved.postOnly;
  return spec;
}

function encodeChanges(changes: OrderChanges): ChangesSnapshot {
  const out: ChangesSnapshot = {};
  for (const key of ["quantity", "price", "triggerPrice"] as const) {
    const value = encodeInput(changes[key]);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function decodeChanges(saved: ChangesSnapshot): OrderChanges {
  const out: OrderChanges = {};
  for (const key of ["quantity", "price", "triggerPrice"] as const) {
    const value = decodeInput(saved[key]);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function encodeRequest(request: Request): RequestSnapshot {
  switch (request.kind) {
    case "submit":
      return { kind: "submit", arrival: request.arrival, spec: encodeSpec(request.spec), sentAt: request.sentAt };
    case "cancel":
      return { kind: "cancel", arrival: request.arrival, clientOrderId: request.clientOrderId };
    case "cancelAll":
      return { kind: "cancelAll", arrival: request.arrival, symbol: request.symbol ?? null };
    case "modify":
      return { kind: "modify", arrival: request.arrival, clientOrderId: request.clientOrderId, changes: encodeChanges(request.changes) };
  }
}

function decodeRequest(saved: RequestSnapshot): Request {
  switch (saved.kind) {
    case "submit":
      return { kind: "submit", arrival: saved.arrival, spec: decodeSpec(saved.spec), sentAt: saved.sentAt };
    case "cancel":
      return { kind: "cancel", arrival: saved.arrival, clientOrderId: saved.clientOrderId };
    case "cancelAll":
      return { kind: "cancelAll", arrival: saved.arrival, symbol: saved.symbol ?? undefined };
    case "modify":
      return { kind: "modify", arrival: saved.arrival, clientOrderId: saved.clientOrderId, changes: decodeChanges(saved.changes) };
  }
}

export class SimulatedVenue {
  private readonly symbols = new Map<string, SymbolState>();
  private readonly orders = new Map<string, SimOrder>();
  /** Working orders in acceptance order (deterministic iteration for cancelAll and expiry). */
  private readonly open = new Map<string, SimOrder>();
  private readonly queue: Request[] = [];
  private queueHead = 0;
  private lastArrival = Number.NEGATIVE_INFINITY;
  private balanceBook: SimBalances;
  private readonly slippage: SlippageConfig;
  private readonly schedule: CommissionSchedule | null;
  private volume30d: RollingVolume | null;
  private readonly cap: Decimal;
  private readonly latency: LatencyModel;
  private readonly rng: Rng;
  private readonly fillOnTouch: boolean;
  private readonly defaultTriggerSource: TriggerSource;
  private readonly candleFill: "OPEN" | "CLOSE";
  private readonly reserveBuffer: Decimal;
  private readonly idPrefix: string;
  private tradeSeq = 0;
  private orderSeq = 0;
  private gtdOpen = 0;
  private out: VenueEvent[] = [];
  /** Bumped whenever orders, balances, pending requests or ids change (not by market data alone). */
  private changes = 0;
  /** Counter behind listRank/openRank (their order is the lists' order, so lists can be rebuilt from records). */
  private rankSeq = 0;
  /** Orders changed since the last takeTouched(), when a caller tracks them (trackTouched). */
  private touched: Set<SimOrder> | null = null;
  private readonly fillLog: SimFill[] = [];
  private readonly fillHistoryLimit: number;

  constructor(config: SimulatedVenueConfig) {
    const realistic = config.slippage?.model === "REALISTIC";
    for (const instrument of config.instruments) {
      this.symbols.set(instrument.symbol, {
        instrument,
        bid: undefined,
        ask: undefined,
        bidSize: undefined,
        askSize: undefined,
        last: undefined,
        mark: undefined,
        bookBids: null,
        bookAsks: null,
        buys: [],
        sells: [],
        triggers: [],
        waiting: [],
        volatility: realistic ? new RollingVolatility(config.volatilityWindow ?? 20) : null,
      });
    }
    const cap = config.participationCap ?? 1;
    if (!(cap > 0 && cap <= 1)) throw new RangeError(`participationCap ${cap} must be in (0, 1]`);
    this.balanceBook = new SimBalances(config.initialBalances);
    this.slippage = config.slippage ?? { model: "NONE" };
    this.schedule = config.commission ? commissionSchedule(config.commission) : null;
    this.volume30d = this.schedule && this.schedule.tiers.length > 0 ? new RollingVolume(config.initialVolume30d ?? 0) : null;
    this.cap = new Decimal(cap);
    this.latency = config.latencyMs ?? 0;
    this.rng = config.rng ?? seededRng(0);
    this.fillOnTouch = config.fillOnTouch ?? false;
    this.defaultTriggerSource = config.triggerSource ?? "LAST";
    this.candleFill = config.candleFillPrice ?? "OPEN";
    this.reserveBuffer = new Decimal(config.marketReserveBufferBps ?? 200).dividedBy(BPS).plus(1);
    this.idPrefix = config.idPrefix ?? "sim";
    this.fillHistoryLimit = Math.max(0, Math.floor(config.fillHistoryLimit ?? 10_000));
  }

  // -------------------------------------------------------------------------------------------
  // Public API: every call returns the events it produced (arrivals and expiries due by `now` included).

  submit(spec: OrderSpec, now: number): VenueEvent[] {
    return this.request(now, (arrival) => ({ kind: "submit", arrival, spec, sentAt: now }));
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
    this.out = [];
    this.processDue(now);
    return this.takeEvents();
  }

  onMarketData(update: MarketUpdate, now: number): VenueEvent[] {
    this.out = [];
    this.processDue(now);
    const state = this.symbols.get(update.symbol);
    if (state) this.applyUpdate(state, update, now);
    return this.takeEvents();
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
    return [...this.open.values()].map((order) => this.view(order));
  }

  order(clientOrderId: string): SimOrderView | undefined {
    const order = this.orders.get(clientOrderId);
    return order ? this.view(order) : undefined;
  }

  /** Recent fills (the last fillHistoryLimit), oldest first, with ts ≥ since when given. */
  fills(since?: number): SimFill[] {
    const start = Math.max(0, this.fillLog.length - this.fillHistoryLimit);
    const out: SimFill[] = [];
    for (let i = start; i < this.fillLog.length; i++) {
      const fill = this.fillLog[i]!;
      if (since === undefined || fill.ts >= since) out.push(fill);
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
    return order ? this.record(order) : undefined;
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
    const records = [...this.touched].map((order) => this.record(order));
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
    // No closure made per call (the durable venue snapshots on every write): a module function with `listed` passed in.
    const ids = withOrders ? listIds : noIds;
    const symbols: SymbolSnapshot[] = [];
    for (const state of this.symbols.values()) {
      symbols.push({
        symbol: state.instrument.symbol,
        bid: encodeNum(state.bid),
        ask: encodeNum(state.ask),
        bidSize: encodeNum(state.bidSize),
        askSize: encodeNum(state.askSize),
        last: encodeNum(state.last),
        mark: encodeNum(state.mark),
        bookBids: state.bookBids === null ? null : state.bookBids.map((level) => [encodeNum(level.price), level.size.toString()]),
        bookAsks: state.bookAsks === null ? null : state.bookAsks.map((level) => [encodeNum(level.price), level.size.toString()]),
        buys: ids(state.buys, listed),
        sells: ids(state.sells, listed),
        triggers: ids(state.triggers, listed),
        waiting: ids(state.waiting, listed),
        volatility: state.volatility?.toSnapshot() ?? null,
      });
    }
    const kept = new Map<string, SimOrder>();
    if (history) for (const order of this.orders.values()) kept.set(order.clientOrderId, order);
    if (withOrders) for (const order of this.open.values()) kept.set(order.clientOrderId, order);
    for (const order of listed) kept.set(order.clientOrderId, order);

    const balances: SimVenueSnapshot["balances"] = {};
    for (const [currency, balance] of Object.entries(this.balanceBook.view())) {
      balances[currency] = { free: balance.free.toString(), reserved: balance.reserved.toString() };
    }
    return {
      version: SIM_SNAPSHOT_VERSION,
      idPrefix: this.idPrefix,
      tradeSeq: this.tradeSeq,
      orderSeq: this.orderSeq,
      lastArrival: this.lastArrival === Number.NEGATIVE_INFINITY ? null : encodeNum(this.lastArrival),
      rng: isCapturableRng(this.rng) ? this.rng.getState() : null,
      balances,
      volume30d: this.volume30d?.toSnapshot() ?? null,
      orders: [...kept.values()].map((order) => this.record(order)),
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
  static fromSnapshot(config: SimulatedVenueConfig, snapshot: SimVenueSnapshot): SimulatedVenue {
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
    const venue = new SimulatedVenue({ ...config, rng });
    venue.restore(snapshot);
    return venue;
  }

  private restore(snapshot: SimVenueSnapshot): void {
    this.tradeSeq = snapshot.tradeSeq;
    this.orderSeq = snapshot.orderSeq;
    this.lastArrival = snapshot.lastArrival === null ? Number.NEGATIVE_INFINITY : (decodeNum(snapshot.lastArrival) ?? Number.NEGATIVE_INFINITY);

    // Rebuilt through the public moves so each amount comes back exactly: x − x = 0, 0 + x = x.
    const balances = new SimBalances({});
    for (const [currency, { free, reserved }] of Object.entries(snapshot.balances)) {
      const reservedDec = new Decimal(reserved);
      balances.credit(currency, reservedDec);
      balances.reserve(currency, reservedDec);
      balances.credit(currency, new Decimal(free));
    }
    this.balanceBook = balances;
    if (this.volume30d !== null && snapshot.volume30d !== null) this.volume30d = RollingVolume.fromSnapshot(snapshot.volume30d);

    for (const record of snapshot.orders) this.orders.set(record.clientOrderId, this.fromRecord(record));
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
      state.bid = decodeNum(saved.bid);
      state.ask = decodeNum(saved.ask);
      state.bidSize = decodeNum(saved.bidSize);
      state.askSize = decodeNum(saved.askSize);
      state.last = decodeNum(saved.last);
      state.mark = decodeNum(saved.mark);
      const levels = (saved: [SnapNum, string][] | null): Level[] | null =>
        saved === null
          ? null
          : saved.map(([price, size]) => {
              const p = decodeNum(price) ?? Number.NaN;
              return { price: p, priceDec: new Decimal(p), size: new Decimal(size) };
            });
      state.bookBids = levels(saved.bookBids);
      state.bookAsks = levels(saved.bookAsks);
      state.buys = saved.buys.map(known);
      state.sells = saved.sells.map(known);
      state.triggers = saved.triggers.map(known);
      state.waiting = saved.waiting.map(known);
      if (state.volatility !== null && saved.volatility !== null) state.volatility = RollingVolatility.fromSnapshot(saved.volatility);
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
    for (const fill of snapshot.fills.slice(Math.max(0, snapshot.fills.length - this.fillHistoryLimit))) this.fillLog.push(fillFromRecord(fill));
  }

  private record(order: SimOrder): SimOrderRecord {
    const dec = decimalText;
    const trailing = order.trailing;
    return {
      seq: order.seq,
      clientOrderId: order.clientOrderId,
      venueOrderId: order.venueOrderId,
      symbol: order.instrument.symbol,
      side: order.side,
      type: order.type,
      tif: order.tif,
      postOnly: order.postOnly,
      quantity: order.quantity.toString(),
      filled: order.filled.toString(),
      limitPrice: dec(order.limitPrice),
      triggerPrice: dec(order.triggerPrice),
      triggerSource: order.triggerSource,
      trailing:
        trailing === null
          ? null
          : {
              offset: trailing.offset.toString(),
              offsetType: trailing.offsetType,
              activationPrice: dec(trailing.activationPrice),
              activated: trailing.activated,
              extremePrice: dec(trailing.extremePrice),
              limitOffset: dec(trailing.limitOffset),
            },
      expireAt: order.expireAt,
      triggered: order.triggered,
      phase: order.phase,
      status: order.status,
      reserveCurrency: order.reserveCurrency,
      reservePerUnit: order.reservePerUnit.toString(),
      reserved: order.reserved.toString(),
      filledNotional: order.filledNotional.toString(),
      fees: order.fees.toString(),
      sentAt: order.sentAt,
      acceptedAt: order.acceptedAt,
      reason: order.reason,
      listRank: order.listRank,
      openRank: order.openRank,
    };
  }

  private fromRecord(record: SimOrderRecord): SimOrder {
    const state = this.symbols.get(record.symbol);
    if (!state) throw new RangeError(`SNAPSHOT_MISMATCH: order ${record.clientOrderId} is on ${record.symbol}, which the config does not trade.`);
    const dec = (value: string | null): Decimal | null => (value === null ? null : new Decimal(value));
    const limitPrice = dec(record.limitPrice);
    const triggerPrice = dec(record.triggerPrice);
    const trailing = record.trailing;
    return {
      seq: record.seq,
      clientOrderId: record.clientOrderId,
      venueOrderId: record.venueOrderId,
      instrument: state.instrument,
      side: record.side,
      type: record.type,
      tif: record.tif,
      postOnly: record.postOnly,
      quantity: new Decimal(record.quantity),
      filled: new Decimal(record.filled),
      limitPrice,
      limitNum: limitPrice === null ? Number.NaN : limitPrice.toNumber(),
      triggerPrice,
      triggerNum: triggerPrice === null ? Number.NaN : triggerPrice.toNumber(),
      triggerSource: record.triggerSource,
      trailing:
        trailing === null
          ? null
          : {
              offset: new Decimal(trailing.offset),
              offsetType: trailing.offsetType,
              activationPrice: dec(trailing.activationPrice),
              activated: trailing.activated,
              extremePrice: dec(trailing.extremePrice),
              limitOffset: dec(trailing.limitOffset),
            },
      expireAt: record.expireAt,
      triggered: record.triggered,
      phase: record.phase,
      status: record.status,
      reserveCurrency: record.reserveCurrency,
      reservePerUnit: new Decimal(record.reservePerUnit),
      reserved: new Decimal(record.reserved),
      filledNotional: new Decimal(record.filledNotional),
      fees: new Decimal(record.fees),
      sentAt: record.sentAt,
      acceptedAt: record.acceptedAt,
      reason: record.reason,
      listRank: record.listRank ?? 0,
      openRank: record.openRank ?? 0,
    };
  }

  private logFill(fill: SimFill): void {
    if (this.fillHistoryLimit === 0) return;
    this.fillLog.push(fill);
    if (this.fillLog.length > this.fillHistoryLimit + 1024) this.fillLog.splice(0, this.fillLog.length - this.fillHistoryLimit);
  }

  // -------------------------------------------------------------------------------------------
  // Requests and arrival

  private request(now: number, make: (arrival: number) => Request): VenueEvent[] {
    this.out = [];
    this.processDue(now);
    const arrival = Math.max(now + sampleLatency(this.latency, this.rng), this.lastArrival);
    this.lastArrival = arrival;
    this.queue.push(make(arrival));
    this.changes += 1;
    this.processDue(now);
    return this.takeEvents();
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

  private emit(clientOrderId: string, event: OrderEvent): void {
    this.changes += 1;
    if (this.touched !== null) {
      const order = this.orders.get(clientOrderId);
      if (order) this.touched.add(order);
    }
    this.out.push({ clientOrderId, event });
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
    if (order.trailing) this.refreshTrailing(order, this.observation(state));
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
    this.open.set(order.clientOrderId, order);
    if (order.expireAt !== null) this.gtdOpen += 1;
    this.emit(order.clientOrderId, { type: "accept", venueOrderId: order.venueOrderId, ts: now });
    if (TRIGGER_TYPES.has(order.type)) {
      if (this.triggersOn(order, this.observation(state))) this.fire(order, state, now, null);
      else this.watchTrigger(order, state);
    } else {
      this.goLive(order, state, now, null);
    }
  }

  /** Venue-side checks of an order spec; a refusal reason string, or the order ready to accept. */
  private parse(spec: OrderSpec, sentAt: number, now: number): SimOrder | string {
    const cid = spec.clientOrderId;
    if (this.orders.has(cid)) return reason("DUPLICATE_CLIENT_ORDER_ID", `an order with id ${cid} already exists.`);
    const state = this.symbols.get(spec.symbol);
    if (!state) return reason("UNKNOWN_SYMBOL", `${spec.symbol} is not traded on this venue.`);
    const instrument = state.instrument;
    if (!(ORDER_SIDES as readonly string[]).includes(spec.side)) return reason("INVALID_SIDE", `side ${String(spec.side)} is neither BUY nor SELL.`);
    if (!(ORDER_TYPES as readonly string[]).includes(spec.type)) return reason("INVALID_TYPE", `order type ${String(spec.type)} is not supported.`);
    const tif = spec.timeInForce ?? "GTC";
    if (!(TIME_IN_FORCE as readonly string[]).includes(tif)) return reason("INVALID_TIME_IN_FORCE", `time in force ${String(tif)} is not supported.`);
    const quantity = parseDecimal(spec.quantity);
    if (quantity === null || !isPositive(quantity)) return reason("INVALID_QUANTITY", `quantity ${String(spec.quantity)} is not a positive number.`);

    const type = spec.type;
    const isTrailing = TRAILING_TYPES.has(type);
    let limitPrice: Decimal | null = null;
    if (LIMIT_PRICE_TYPES.has(type) && type !== "TRAILING_STOP_LIMIT") {
      limitPrice = parseDecimal(spec.price);
      if (limitPrice === null || !isPositive(limitPrice))
        return reason("INVALID_PRICE", `a ${type} order needs a positive limit price, got ${String(spec.price)}.`);
    }
    let triggerPrice: Decimal | null = null;
    if (spec.triggerPrice !== undefined && TRIGGER_TYPES.has(type)) {
      triggerPrice = parseDecimal(spec.triggerPrice);
      if (triggerPrice === null || !isPositive(triggerPrice))
        return reason("INVALID_TRIGGER_PRICE", `trigger price ${String(spec.triggerPrice)} is not a positive number.`);
    }
    if (TRIGGER_TYPES.has(type) && !isTrailing && triggerPrice === null) return reason("INVALID_TRIGGER_PRICE", `a ${type} order needs a trigger price.`);

    let trailing: TrailingState | null = null;
    if (isTrailing) {
      const offset = parseDecimal(spec.trailingOffset);
      if (offset === null || offset.isNegative())
        return reason("INVALID_TRAILING_OFFSET", `a ${type} order needs a trailing offset of zero or more, got ${String(spec.trailingOffset)}.`);
      let activationPrice: Decimal | null = null;
      if (spec.activationPrice !== undefined) {
        activationPrice = parseDecimal(spec.activationPrice);
        if (activationPrice === null || !isPositive(activationPrice))
          return reason("INVALID_ACTIVATION_PRICE", `activation price ${String(spec.activationPrice)} is not a positive number.`);
      }
      let limitOffset: Decimal | null = null;
      if (type === "TRAILING_STOP_LIMIT") {
        limitOffset = parseDecimal(spec.limitOffset);
        if (limitOffset === null || limitOffset.isNegative())
          return reason("INVALID_LIMIT_OFFSET", `a TRAILING_STOP_LIMIT order needs a limit offset of zero or more, got ${String(spec.limitOffset)}.`);
      }
      trailing = {
        offset,
        offsetType: spec.trailingOffsetType ?? "PRICE",
        activationPrice,
        activated: false,
        extremePrice: null,
        limitOffset,
      };
      if (triggerPrice !== null && limitOffset !== null) limitPrice = trailingLimitPrice(trailing, spec.side, triggerPrice, instrument.priceTick);
    }

    const check = checkAgainstInstrument(instrument, quantity, limitPrice ?? triggerPrice);
    if (!check.ok) return reason(check.error.code, check.error.message);
    if (limitPrice !== null && triggerPrice !== null && !isMultipleOf(triggerPrice, instrument.priceTick)) {
      return reason(
        "PRICE_PRECISION",
        `${instrument.symbol}: trigger price ${triggerPrice.toString()} is not a multiple of the tick ${instrument.priceTick.toString()}`,
      );
    }
    const postOnly = spec.postOnly ?? false;
    if (postOnly && type !== "LIMIT") return reason("INVALID_POST_ONLY", `post-only applies to LIMIT orders, not ${type}.`);
    if (postOnly && (tif === "IOC" || tif === "FOK")) return reason("INVALID_POST_ONLY", `a post-only order cannot be ${tif}.`);
    let expireAt: number | null = null;
    if (tif === "GTD") {
      if (spec.expireAt === undefined || !Number.isFinite(spec.expireAt)) return reason("INVALID_EXPIRY", "a GTD order needs an expiry time.");
      if (spec.expireAt <= now) return reason("INVALID_EXPIRY", `the expiry ${spec.expireAt} is not after the arrival time ${now}.`);
      expireAt = spec.expireAt;
    }

    this.orderSeq += 1;
    return {
      seq: this.orderSeq,
      clientOrderId: cid,
      venueOrderId: `${this.idPrefix}-o-${this.orderSeq}`,
      instrument,
      side: spec.side,
      type,
      tif,
      postOnly,
      quantity,
      filled: ZERO,
      limitPrice,
      limitNum: limitPrice === null ? Number.NaN : limitPrice.toNumber(),
      triggerPrice,
      triggerNum: triggerPrice === null ? Number.NaN : triggerPrice.toNumber(),
      triggerSource: spec.triggerSource ?? this.defaultTriggerSource,
      trailing,
      expireAt,
      triggered: false,
      phase: "LIVE",
      status: "SUBMITTED",
      reserveCurrency: spec.side === "BUY" ? instrument.quote : instrument.base,
      reservePerUnit: ZERO,
      reserved: ZERO,
      filledNotional: ZERO,
      fees: ZERO,
      sentAt,
      acceptedAt: null,
      reason: null,
      listRank: 0,
      openRank: 0,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Balances

  private rates(instrument: Instrument, now: number): FeeRates {
    if (!this.schedule) return { maker: instrument.makerFee, taker: instrument.takerFee };
    return this.volume30d ? feeRatesFor(this.schedule, this.volume30d.total(now)) : this.schedule.base;
  }

  /** The quote price a buy's reservation is based on; null when nothing is known to base it on. */
  private reservePrice(order: SimOrder, state: SymbolState): Decimal | null {
    const executesAtLimit = TRIGGERABLE_LIMIT_TYPES.has(order.type) || order.type === "LIMIT";
    if (executesAtLimit && order.limitPrice !== null) return order.limitPrice;
    const market = state.ask ?? state.last ?? state.mark;
    const marketDec = market === undefined ? null : numberToDecimal(market);
    let base: Decimal | null;
    if (order.type === "TRAILING_STOP_LIMIT") {
      // no trigger yet: the limit will sit about offset + limitOffset above today's price
      base = marketDec === null ? null : marketDec.plus(this.trailingDistance(order.trailing!, marketDec));
    } else if (order.triggerPrice !== null) {
      base = order.triggerPrice;
    } else {
      base = marketDec;
    }
    return base === null ? null : base.times(this.reserveBuffer);
  }

  private trailingDistance(trailing: TrailingState, price: Decimal): Decimal {
    const total = trailing.offset.plus(trailing.limitOffset ?? ZERO);
    return trailing.offsetType === "PRICE" ? total : price.times(total).dividedBy(BPS);
  }

  /** Reserves what the order may spend; null on success, else a refusal reason. */
  private reserveFor(order: SimOrder, state: SymbolState): string | null {
    const remaining = sub(order.quantity, order.filled);
    if (order.side === "SELL") {
      order.reservePerUnit = ONE;
    } else {
      const price = this.reservePrice(order, state);
      if (price === null) {
        return reason("NO_MARKET_PRICE", `${order.instrument.symbol} has no market price yet to size the funds for a ${order.type} buy.`);
      }
      const rates = this.rates(order.instrument, order.acceptedAt ?? order.sentAt);
      order.reservePerUnit = price.times(onePlus(maxDec(ZERO, maxDec(rates.maker, rates.taker))));
    }
    const amount = order.reservePerUnit === ONE ? remaining : order.reservePerUnit.times(remaining);
    if (!this.balanceBook.reserve(order.reserveCurrency, amount)) {
      const what =
        order.side === "BUY" ? `buying ${remaining.toString()} ${order.instrument.base}` : `selling ${remaining.toString()} ${order.instrument.base}`;
      return reason(
        "INSUFFICIENT_BALANCE",
        `${what} needs ${amount.toString()} ${order.reserveCurrency}, only ${this.balanceBook.free(order.reserveCurrency).toString()} ${order.reserveCurrency} is free.`,
      );
    }
    order.reserved = amount;
    return null;
  }

  // -------------------------------------------------------------------------------------------
  // Order placement and execution

  private isMarketKind(order: SimOrder): boolean {
    return order.type === "MARKET" || order.type === "STOP_MARKET" || order.type === "TAKE_PROFIT_MARKET" || order.type === "TRAILING_STOP_MARKET";
  }

  private hasTouch(state: SymbolState): boolean {
    return state.bid !== undefined && state.ask !== undefined;
  }

  /** Would this limit take liquidity now? Against the touch (inclusive), or the last price without one. */
  private marketableNow(order: SimOrder, state: SymbolState): boolean {
    if (this.isMarketKind(order)) return true;
    const reference = this.hasTouch(state) ? bySide(order.side, state.ask, state.bid) : state.last;
    if (reference === undefined) return false;
    return order.side === "BUY" ? order.limitNum >= reference : order.limitNum <= reference;
  }

  /** Puts a live (accepted, untriggered-or-triggered) order to work: execute now, rest, or wait for a print. */
  private goLive(order: SimOrder, state: SymbolState, now: number, print: Print | null): void {
    if (print) {
      this.executeOnPrint(order, state, print, now);
    } else if (this.hasTouch(state)) {
      this.executeOnTouch(order, state, now);
    } else if (this.isMarketKind(order) || order.tif === "IOC" || order.tif === "FOK" || this.marketableNow(order, state)) {
      order.phase = "WAITING";
      this.enlist(order);
      state.waiting.push(order);
    } else {
      this.rest(order, state);
    }
  }

  private leftOver(order: SimOrder, state: SymbolState, now: number): void {
    if (order.phase === "DONE") return;
    if (order.tif === "IOC" || order.tif === "FOK") {
      this.finish(order, "CANCELED", {
        type: "cancel",
        reason: `${order.tif}: ${sub(order.quantity, order.filled).toString()} of ${order.quantity.toString()} ${order.instrument.base} could not be filled immediately.`,
        ts: now,
      });
    } else if (this.isMarketKind(order)) {
      order.phase = "WAITING";
      this.enlist(order);
      state.waiting.push(order);
    } else {
      this.rest(order, state);
    }
  }

  private cancelFok(order: SimOrder, available: Decimal, now: number): void {
    this.finish(order, "CANCELED", {
      type: "cancel",
      reason: `FOK: only ${available.toString()} of ${order.quantity.toString()} ${order.instrument.base} was available, so nothing was filled.`,
      ts: now,
    });
  }

  private spreadBps(state: SymbolState): number | undefined {
    if (state.bid === undefined || state.ask === undefined) return undefined;
    const mid = (state.bid + state.ask) / 2;
    return mid > 0 ? ((state.ask - state.bid) / mid) * 10_000 : undefined;
  }

  /** A taker price from a reference: slippage against the trader, never past the order's limit. */
  private takerPrice(
    order: SimOrder,
    state: SymbolState,
    reference: Decimal,
    qty: Decimal,
    volume: number | undefined,
    spreadBps: number | undefined,
  ): Decimal {
    let price = reference;
    if (this.slippage.model !== "NONE") {
      price = applySlippage(
        this.slippage,
        order.side,
        reference,
        // The quantity as a number only for the models that size impact by it (a conversion costs a string round trip).
        {
          qty: this.slippage.model === "VOLUME" || this.slippage.model === "REALISTIC" ? qty.toNumber() : 0,
          volume,
          spreadBps,
          volatility: state.volatility?.value(),
        },
        order.instrument.priceTick,
      ).price;
    }
    if (order.limitPrice !== null && !this.isMarketKind(order)) {
      price = order.side === "BUY" ? minDec(price, order.limitPrice) : maxDec(price, order.limitPrice);
    }
    return price;
  }

  private executeOnTouch(order: SimOrder, state: SymbolState, now: number): void {
    const isMarket = this.isMarketKind(order);
    const levels = bySide(order.side, state.bookAsks, state.bookBids);
    if (levels !== null) {
      const remaining = sub(order.quantity, order.filled);
      const within = (level: Level): boolean => isMarket || (order.side === "BUY" ? level.price <= order.limitNum : level.price >= order.limitNum);
      if (order.tif === "FOK") {
        let available = ZERO;
        for (const level of levels) {
          if (!within(level)) break;
          available = available.plus(level.size);
          if (available.greaterThanOrEqualTo(remaining)) break;
        }
        if (available.lessThan(remaining)) {
          this.cancelFok(order, available, now);
          return;
        }
      }
      let depth = 0;
      for (const level of levels) depth += level.size.toNumber();
      // One slippage figure for the whole walk (impact of the full size against the visible depth).
      const bps =
        this.slippage.model === "NONE"
          ? 0
          : applySlippage(this.slippage, order.side, ONE, { qty: remaining.toNumber(), volume: depth, spreadBps: 0, volatility: state.volatility?.value() })
              .bps;
      for (const level of levels) {
        if (order.phase === "DONE" || !within(level)) break;
        if (level.size.isZero()) continue;
        const take = minDec(level.size, sub(order.quantity, order.filled));
        let price = bps > 0 ? applySlippage({ model: "FIXED", bps }, order.side, level.priceDec, { qty: 0 }, order.instrument.priceTick).price : level.priceDec;
        if (!isMarket) price = order.side === "BUY" ? minDec(price, order.limitPrice!) : maxDec(price, order.limitPrice!);
        level.size = level.size.minus(take);
        this.fill(order, take, price, "TAKER", now);
      }
    } else {
      const touch = bySide(order.side, state.ask, state.bid)!;
      const marketable = isMarket || (order.side === "BUY" ? order.limitNum >= touch : order.limitNum <= touch);
      if (marketable) {
        const qty = sub(order.quantity, order.filled);
        const price = this.takerPrice(order, state, numberToDecimal(touch), qty, bySide(order.side, state.askSize, state.bidSize), 0);
        this.fill(order, qty, price, "TAKER", now);
      }
    }
    this.leftOver(order, state, now);
  }

  private executeOnPrint(order: SimOrder, state: SymbolState, print: Print, now: number): void {
    const isMarket = this.isMarketKind(order);
    const marketable = isMarket || (order.side === "BUY" ? order.limitNum >= print.price : order.limitNum <= print.price);
    if (marketable) {
      const remaining = sub(order.quantity, order.filled);
      const budget = print.budget[order.side];
      const fillable = budget === null ? remaining : minDec(remaining, roundToStep(budget, order.instrument.qtyStep, "down"));
      if (order.tif === "FOK" && fillable.lessThan(remaining)) {
        this.cancelFok(order, fillable, now);
        return;
      }
      if (isPositive(fillable)) {
        const price = this.takerPrice(order, state, new Decimal(print.price), fillable, print.volume, this.spreadBps(state));
        if (budget !== null) print.budget[order.side] = budget.minus(fillable);
        this.fill(order, fillable, price, "TAKER", now);
      }
    }
    this.leftOver(order, state, now);
  }

  /** Inserts a limit into its side of the book at price-time priority. */
  private rest(order: SimOrder, state: SymbolState): void {
    order.phase = "RESTING";
    this.enlist(order);
    const list = order.side === "BUY" ? state.buys : state.sells;
    const better = order.side === "BUY" ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = list[mid]!;
      // goes after every order with a better or equal price (time priority)
      if (better(order.limitNum, other.limitNum)) hi = mid;
      else lo = mid + 1;
    }
    list.splice(lo, 0, order);
  }

  private watchTrigger(order: SimOrder, state: SymbolState): void {
    order.phase = "TRIGGER";
    this.enlist(order);
    state.triggers.push(order);
  }

  /** Stamps an order entering a list: its rank orders the list when a snapshot is rebuilt from records. */
  private enlist(order: SimOrder): void {
    order.listRank = ++this.rankSeq;
    this.touched?.add(order);
  }

  /** Takes an order out of whatever list it is in (before a cancel, expiry or modify). */
  private detach(order: SimOrder): void {
    const state = this.symbols.get(order.instrument.symbol)!;
    const list =
      order.phase === "RESTING"
        ? bySide(order.side, state.buys, state.sells)
        : order.phase === "TRIGGER"
          ? state.triggers
          : order.phase === "WAITING"
            ? state.waiting
            : null;
    if (list) {
      const index = list.indexOf(order);
      if (index >= 0) list.splice(index, 1);
    }
  }

  /** Ends an order: releases what it still reserves and emits the final event. */
  private finish(order: SimOrder, status: OrderStatus, event: OrderEvent | null): void {
    if (isPositive(order.reserved)) this.balanceBook.release(order.reserveCurrency, order.reserved);
    order.reserved = ZERO;
    order.phase = "DONE";
    order.status = status;
    if (event?.type === "cancel" && event.reason !== undefined) order.reason = event.reason;
    this.open.delete(order.clientOrderId);
    if (order.expireAt !== null) this.gtdOpen -= 1;
    if (event) this.emit(order.clientOrderId, event);
  }

  /** Books one fill: balances, fee, order state, event. A buy the account cannot pay for is canceled instead. */
  private fill(order: SimOrder, qty: Decimal, price: Decimal, liquidity: Liquidity, now: number): void {
    const instrument = order.instrument;
    const rates = this.rates(instrument, now);
    const notional = qty.times(price);
    const feeRate = liquidity === "MAKER" ? rates.maker : rates.taker;
    const fee = feeRate.isZero() ? ZERO : notional.times(feeRate);
    const filled = add(order.filled, qty);
    const completes = cmp(filled, order.quantity) >= 0;
    const release = completes ? order.reserved : minDec(order.reserved, order.reservePerUnit.times(qty));
    if (order.side === "BUY") {
      const cost = add(notional, fee);
      // Within the reservation (the usual case) there is nothing more to add up.
      if (cmp(cost, release) > 0 && cmp(cost, release.plus(this.balanceBook.free(instrument.quote))) > 0) {
        this.finish(order, "CANCELED", {
          type: "cancel",
          reason: reason(
            "INSUFFICIENT_BALANCE",
            `buying ${qty.toString()} ${instrument.base} at ${price.toString()} costs ${cost.toString()} ${instrument.quote}, more than the order reserved and the free balance.`,
          ),
          ts: now,
        });
        return;
      }
      this.balanceBook.spend(instrument.quote, release, cost);
      this.balanceBook.credit(instrument.base, qty);
    } else {
      this.balanceBook.spend(instrument.base, release, qty);
      this.balanceBook.credit(instrument.quote, sub(notional, fee));
    }
    order.reserved = sub(order.reserved, release);
    order.filled = filled;
    order.filledNotional = add(order.filledNotional, notional);
    order.fees = add(order.fees, fee);
    this.volume30d?.add(now, notional);
    this.tradeSeq += 1;
    const tradeId = `${this.idPrefix}-${this.tradeSeq}`;
    this.emit(order.clientOrderId, { type: "fill", tradeId, qty, price, fee, liquidity, ts: now });
    this.logFill({
      tradeId,
      clientOrderId: order.clientOrderId,
      symbol: instrument.symbol,
      side: order.side,
      qty,
      price,
      fee,
      feeCurrency: instrument.quote,
      liquidity,
      ts: now,
    });
    if (completes) {
      this.finish(order, "FILLED", null); // the fill event above is the final one
    } else {
      order.status = "PARTIALLY_FILLED";
    }
  }

  // -------------------------------------------------------------------------------------------
  // Triggers

  private observation(state: SymbolState): MarketObservation {
    return { last: state.last, bid: state.bid, ask: state.ask, mark: state.mark };
  }

  private refreshTrailing(order: SimOrder, observation: MarketObservation): void {
    const update = updateTrailingStop(order.trailing!, order.side, observation, {
      source: order.triggerSource,
      tick: order.instrument.priceTick,
      currentTriggerPrice: order.triggerPrice,
    });
    if (!update.changed) return;
    this.changes += 1;
    this.touched?.add(order);
    order.trailing = update.trailing;
    order.triggerPrice = update.triggerPrice;
    order.triggerNum = update.triggerPrice === null ? Number.NaN : update.triggerPrice.toNumber();
    if (order.type === "TRAILING_STOP_LIMIT") {
      order.limitPrice = update.limitPrice;
      order.limitNum = update.limitPrice === null ? Number.NaN : update.limitPrice.toNumber();
    }
  }

  private triggersOn(order: SimOrder, observation: MarketObservation): boolean {
    if (order.triggerPrice === null) return false;
    return shouldTrigger({ type: order.type, side: order.side, triggerPrice: order.triggerNum, triggerSource: order.triggerSource }, observation);
  }

  private fire(order: SimOrder, state: SymbolState, now: number, print: Print | null): void {
    order.triggered = true;
    this.touched?.add(order);
    if (TRIGGERABLE_LIMIT_TYPES.has(order.type)) {
      order.status = "TRIGGERED";
      this.emit(order.clientOrderId, { type: "trigger", ts: now });
    }
    this.goLive(order, state, now, print);
  }

  /** Runs trigger orders over a sequence of observations (one, or a candle's path). */
  private runTriggers(
    state: SymbolState,
    observations: readonly MarketObservation[],
    printAt: ((index: number, order: SimOrder) => Print) | null,
    now: number,
  ): void {
    if (state.triggers.length === 0) return;
    const watching = state.triggers;
    state.triggers = [];
    const keep: SimOrder[] = [];
    for (const order of watching) {
      let firedAt = -1;
      for (let i = 0; i < observations.length; i++) {
        const observation = observations[i]!;
        if (order.trailing) this.refreshTrailing(order, observation);
        if (this.triggersOn(order, observation)) {
          firedAt = i;
          break;
        }
      }
      if (firedAt < 0) keep.push(order);
      else this.fire(order, state, now, printAt ? printAt(firedAt, order) : null);
    }
    state.triggers = keep.concat(state.triggers);
  }

  // -------------------------------------------------------------------------------------------
  // Market data

  private budget(volume: number): Budget {
    const cap = new Decimal(volume > 0 ? volume : 0).times(this.cap);
    return { BUY: cap, SELL: cap };
  }

  private applyUpdate(state: SymbolState, update: MarketUpdate, now: number): void {
    switch (update.kind) {
      case "quote": {
        state.bid = update.bid;
        state.ask = update.ask;
        state.bidSize = update.bidSize;
        state.askSize = update.askSize;
        state.bookBids = null;
        state.bookAsks = null;
        state.volatility?.add((update.bid + update.ask) / 2);
        this.onTouch(state, { bid: update.bid, ask: update.ask }, now);
        break;
      }
      case "book": {
        const toLevels = (levels: readonly BookLevel[]): Level[] =>
          levels.filter(([price, size]) => price > 0 && size > 0).map(([price, size]) => ({ price, priceDec: new Decimal(price), size: new Decimal(size) }));
        state.bookBids = toLevels(update.bids);
        state.bookAsks = toLevels(update.asks);
        const bestBid = state.bookBids[0];
        const bestAsk = state.bookAsks[0];
        state.bid = bestBid?.price;
        state.ask = bestAsk?.price;
        state.bidSize = bestBid?.size.toNumber();
        state.askSize = bestAsk?.size.toNumber();
        if (state.bid !== undefined && state.ask !== undefined) state.volatility?.add((state.bid + state.ask) / 2);
        this.onTouch(state, { bid: state.bid, ask: state.ask }, now);
        break;
      }
      case "trade": {
        state.last = update.price;
        state.volatility?.add(update.price);
        const print: Print = { price: update.price, volume: update.qty, budget: this.budget(update.qty) };
        this.runWaiting(state, print, now);
        this.runTriggers(state, [{ last: update.price }], () => print, now);
        this.matchResting(state, update.price, update.price, print.budget, update.aggressor, now);
        break;
      }
      case "candle": {
        state.last = update.close;
        state.volatility?.add(update.close);
        const budget = this.budget(update.volume);
        const fillPrice = this.candleFill === "OPEN" ? update.open : update.close;
        this.runWaiting(state, { price: fillPrice, volume: update.volume, budget }, now);
        const path = candlePath(update);
        const observations = path.map((price) => ({ last: price, bid: price, ask: price }));
        this.runTriggers(state, observations, (index, order) => ({ price: index === 0 ? update.open : order.triggerNum, volume: update.volume, budget }), now);
        this.matchResting(state, update.low, update.high, budget, undefined, now);
        break;
      }
      case "mark": {
        state.mark = update.price;
        this.runTriggers(state, [{ mark: update.price }], null, now);
        break;
      }
    }
  }

  /** A new quote or book: waiting orders execute against it, triggers watch it, resting limits it crosses fill. */
  private onTouch(state: SymbolState, observation: MarketObservation, now: number): void {
    if (state.bid === undefined || state.ask === undefined) return;
    if (state.waiting.length > 0) {
      const waiting = state.waiting;
      state.waiting = [];
      for (const order of waiting) this.executeOnTouch(order, state, now);
    }
    this.runTriggers(state, [observation], null, now);
    if (state.buys.length > 0) this.matchRestingAgainstTouch(state, "BUY", now);
    if (state.sells.length > 0) this.matchRestingAgainstTouch(state, "SELL", now);
  }

  private runWaiting(state: SymbolState, print: Print, now: number): void {
    if (state.waiting.length === 0) return;
    const waiting = state.waiting;
    state.waiting = [];
    for (const order of waiting) this.executeOnPrint(order, state, print, now);
  }

  private crosses(side: OrderSide, limit: number, price: number, aggressor: OrderSide | undefined): boolean {
    if (side === "BUY") return limit > price || (this.fillOnTouch && limit === price && aggressor !== "BUY");
    return limit < price || (this.fillOnTouch && limit === price && aggressor !== "SELL");
  }

  /** Resting limits a trade or candle traded through fill at their limit, as makers, within the volume budget. */
  private matchResting(state: SymbolState, low: number, high: number, budget: Budget, aggressor: OrderSide | undefined, now: number): void {
    for (const side of ORDER_SIDES) {
      const list = bySide(side, state.buys, state.sells);
      if (list.length === 0) continue;
      const price = side === "BUY" ? low : high;
      let finished = false;
      for (const order of list) {
        if (!this.crosses(side, order.limitNum, price, aggressor)) break;
        const available = budget[side];
        const remaining = sub(order.quantity, order.filled);
        const qty = available === null ? remaining : minDec(remaining, roundToStep(available, order.instrument.qtyStep, "down"));
        if (!isPositive(qty)) break;
        if (available !== null) budget[side] = available.minus(qty);
        this.fill(order, qty, order.limitPrice!, "MAKER", now);
        if (order.phase === "DONE") finished = true;
      }
      if (finished) this.prune(state, side);
    }
  }

  /** Resting limits a new quote or book crosses fill at their limit, as makers (books: within the crossing depth). */
  private matchRestingAgainstTouch(state: SymbolState, side: OrderSide, now: number): void {
    const list = bySide(side, state.buys, state.sells);
    const touch = bySide(side, state.ask, state.bid)!;
    const levels = bySide(side, state.bookAsks, state.bookBids);
    let finished = false;
    for (const order of list) {
      if (!this.crosses(side, order.limitNum, touch, undefined)) break;
      let qty = sub(order.quantity, order.filled);
      if (levels !== null) {
        let taken = ZERO;
        for (const level of levels) {
          if (taken.greaterThanOrEqualTo(qty) || !this.crosses(side, order.limitNum, level.price, undefined)) break;
          const take = minDec(level.size, qty.minus(taken));
          level.size = level.size.minus(take);
          taken = taken.plus(take);
        }
        qty = taken;
      }
      if (!isPositive(qty)) break;
      this.fill(order, qty, order.limitPrice!, "MAKER", now);
      if (order.phase === "DONE") finished = true;
    }
    if (finished) this.prune(state, side);
  }

  private prune(state: SymbolState, side: OrderSide): void {
    if (side === "BUY") state.buys = state.buys.filter((order) => order.phase === "RESTING");
    else state.sells = state.sells.filter((order) => order.phase === "RESTING");
  }

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
    const instrument = order.instrument;
    const state = this.symbols.get(instrument.symbol)!;

    let quantity = order.quantity;
    if (changes.quantity !== undefined) {
      const parsed = parseDecimal(changes.quantity);
      if (parsed === null || !parsed.greaterThan(order.filled)) {
        refuse(
          reason("INVALID_QUANTITY", `the new quantity ${String(changes.quantity)} must be a number above the ${order.filled.toString()} already filled.`),
        );
        return;
      }
      quantity = parsed;
    }
    let limitPrice = order.limitPrice;
    if (changes.price !== undefined) {
      const parsed = parseDecimal(changes.price);
      if (!LIMIT_PRICE_TYPES.has(order.type) || order.type === "TRAILING_STOP_LIMIT") {
        refuse(reason("INVALID_PRICE", `a ${order.type} order has no limit price to change.`));
        return;
      }
      if (parsed === null || !parsed.greaterThan(0)) {
        refuse(reason("INVALID_PRICE", `the new price ${String(changes.price)} is not a positive number.`));
        return;
      }
      limitPrice = parsed;
    }
    let triggerPrice = order.triggerPrice;
    if (changes.triggerPrice !== undefined) {
      const parsed = parseDecimal(changes.triggerPrice);
      if (!TRIGGER_TYPES.has(order.type) || order.triggered) {
        refuse(
          reason("INVALID_TRIGGER_PRICE", order.triggered ? `order ${clientOrderId} has already triggered.` : `a ${order.type} order has no trigger price.`),
        );
        return;
      }
      if (parsed === null || !parsed.greaterThan(0)) {
        refuse(reason("INVALID_TRIGGER_PRICE", `the new trigger price ${String(changes.triggerPrice)} is not a positive number.`));
        return;
      }
      triggerPrice = parsed;
    }
    const check = checkAgainstInstrument(instrument, quantity, limitPrice ?? triggerPrice);
    if (!check.ok) {
      refuse(reason(check.error.code, check.error.message));
      return;
    }
    if (limitPrice !== null && triggerPrice !== null && !isMultipleOf(triggerPrice, instrument.priceTick)) {
      refuse(
        reason(
          "PRICE_PRECISION",
          `${instrument.symbol}: trigger price ${triggerPrice.toString()} is not a multiple of the tick ${instrument.priceTick.toString()}`,
        ),
      );
      return;
    }

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
      if (this.triggersOn(order, this.observation(state))) this.fire(order, state, now, null);
      else this.watchTrigger(order, state);
    } else if (phase === "WAITING") {
      this.enlist(order);
      state.waiting.push(order);
    } else if (this.hasTouch(state)) {
      this.executeOnTouch(order, state, now);
    } else {
      this.rest(order, state);
    }
  }

  private view(order: SimOrder): SimOrderView {
    return {
      clientOrderId: order.clientOrderId,
      venueOrderId: order.venueOrderId,
      symbol: order.instrument.symbol,
      side: order.side,
      type: order.type,
      timeInForce: order.tif,
      status: order.status,
      quantity: order.quantity,
      filledQty: order.filled,
      remainingQty: sub(order.quantity, order.filled),
      price: order.limitPrice,
      triggerPrice: order.triggerPrice,
      triggered: order.triggered,
      avgFillPrice: order.filled.isZero() ? null : order.filledNotional.dividedBy(order.filled),
      feesPaid: order.fees,
      reservedCurrency: order.reserveCurrency,
      reserved: order.reserved,
      sentAt: order.sentAt,
      acceptedAt: order.acceptedAt,
      reason: order.reason,
    };
  }
}

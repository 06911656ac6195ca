/**
 * The engine: the single writer of trading state (DESIGN.md). Commands, venue events and market data
 * are processed one at a time, in order, through `run()`; every handler is synchronous, so a command's
 * effects are never interleaved with another's. Venue requests are started synchronously (the Venue
 * port): the simulator answers at once, a real exchange answers later through the event sink, whose
 * events join the same queue.
 *
 * Journal first: an order's intent (with its clientOrderId) and its `submit` are committed before the
 * venue is called; each venue event is journaled in the same transaction that applies it, so no state
 * exists without its journal row. Fills are booked once per (venue, tradeId).
 *
 * Size (~3,600 lines, over the house limit of ~600): one class still holds every room of the engine — intake,
 * risk gate, ledger, watchers, emergency, reconciliation, accounting — because they share its maps and its queue
 * and were grown in place. Issue 10 splits them into the files DESIGN.md names, collaborators sharing one
 * context and called only from inside `run()`; until then, its section comments mark the rooms.
 */
import { boundedJson, boundedText } from "../core/bounded-json";
import { breakerConfigSchema, CircuitBreaker, formatConfigErrors, type BreakerConfigInput, type BreakerTrip } from "../core/breaker";
import type { Clock, Timers as EngineTimers } from "../core/clock";
import type { IdGenerator } from "../core/ids";
import { type Instrument, roundQty } from "../core/instrument";
import {
  add,
  approxNumber,
  cmp,
  D,
  Decimal,
  isPositive,
  maxDec,
  numberToDecimal,
  onePlus,
  ratioNumber,
  roundReport,
  sub,
  ZERO,
  type DecimalInput,
} from "../core/money";
import {
  applyOrderEvent,
  createOrder,
  isOpenAtVenue,
  isTerminal,
  leavesQty,
  shouldTrigger,
  TERMINAL_STATUSES,
  TRIGGER_TYPES,
  TRIGGERABLE_LIMIT_TYPES,
  updateTrailingStop,
  validateOrderSpec,
  type Order,
  type OrderEvent,
  type OrderSide,
  type OrderSpec,
  type OrderStatus,
} from "../core/orders";
import {
  applyFill,
  averageEntryPrice,
  createExitState,
  evaluateExits,
  markClosing,
  openPosition,
  unrealizedPnl,
  withExitConfig,
  type ExitConfig,
  type ExitIntent,
  type ExitState,
  type Position,
  type PositionSide,
} from "../core/positions";
import { checkPreTrade, sizeByConfidence, sizeFixedFraction, sizeFixedRisk, type RiskPosition, type TradingState } from "../core/risk";
import type { MarketUpdate } from "../core/market-data";
import { executionPrice } from "../core/sim/slippage";
import type { VenueEvent } from "../core/orders/events";
import type { FillRecord, OrderMeta, PositionMeta, SignalRecord, Store, TradeRecord } from "../db/store";
import type { InDoubtReport, Venue, VenueBalance, VenueFill, VenueOrderSnapshot, VenuePosition } from "../venues/venue";
import { EventBus } from "./bus";
import {
  DEFAULT_IN_DOUBT_POLICY,
  eventsFromSnapshot,
  fenceVerdict,
  inDoubtView,
  nextLookupDelayMs,
  type InDoubtMarker,
  type InDoubtPolicy,
  type InDoubtView,
} from "./in-doubt";
import { OpenOrderBook } from "./open-orders";
import {
  DEFAULT_RISK_LIMITS,
  DEFAULT_SYMBOL_SETTINGS,
  exitConfigFor,
  riskLimitsSchema,
  symbolSettingsSchema,
  toRiskLimits,
  type RiskLimitsSettings,
  type SymbolSettings,
  type SymbolSettingsInput,
} from "./settings";
import type { Actor, CommandResult, EmergencyProgress, EngineCommand, EquityPoint, ManualOrderRequest, Signal } from "./types";

export interface EngineOptions {
  venue: Venue;
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  bus?: EventBus;
  /** Equity at the very first start (later starts read the books). */
  initialEquity: DecimalInput;
  /** Currency equity and PnL are counted in. */
  quoteCurrency?: string;
  /** Breaker configuration; null disables the breaker (backtests). */
  breaker?: BreakerConfigInput | null;
  riskLimits?: RiskLimitsSettings;
  /** Settings for symbols that have none stored. */
  defaultSymbolSettings?: SymbolSettingsInput;
  /** Expected slippage used by all-in sizing and the risk gate's MAX_SLIPPAGE check. */
  expectedSlippageBps?: number;
  /** Record an equity snapshot row on every fill (live desk) — backtests keep their own curve. */
  equitySnapshotOnFill?: boolean;
  log?: (level: "info" | "warn" | "error", message: string) => void;
  /** Timers for waits on an asynchronous venue (emergency confirmations); default the global ones (unref'd). */
  timers?: EngineTimers;
  /** How long an emergency stop waits for the venue to confirm its cancels (then its flatten) before moving on. Default 10 000 ms. */
  emergencyConfirmMs?: number;
  /**
   * Reconciliation asks the venue for fills at least this far back: fills on orders the books already call
   * REJECTED, CANCELED, EXPIRED or DENIED (a timeout taken for a refusal) are found there, even when a later fill
   * was booked first. Keep it longer than the reconciliation interval. Default 15 min.
   */
  lateFillLookbackMs?: number;
  /** Dust allowed between a venue quote balance and the books' expectation, in units of that currency (fees booked since the last match are added). Default 0.01. */
  quoteBalanceTolerance?: DecimalInput;
  /** Which signal timestamps are taken, around the engine's clock (DEFAULT_SIGNAL_WINDOW when left out). */
  signalWindow?: SignalWindow;
  /** Lookups of orders in doubt (growing delays, alert, clock-skew margin for a venue's fence). */
  inDoubtPolicy?: Partial<InDoubtPolicy>;
}

/** A signal stamped longer than `maxAgeMs` before the engine's clock, or more than `maxAheadMs` after it, is refused. */
export interface SignalWindow {
  maxAgeMs: number;
  maxAheadMs: number;
}

/** Five minutes old at most (a model's signal is about the market now); 30 s ahead covers clock skew. */
export const DEFAULT_SIGNAL_WINDOW: SignalWindow = { maxAgeMs: 5 * 60_000, maxAheadMs: 30_000 };

const defaultTimers: EngineTimers = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Drift rows that resolve earlier ones (the drift table is append-only): `detail.resolves` names the drift
 * resolved, by id (`{ id }`) or by kind and the same subject (`{ kind }`).
 */
export const DRIFT_RESOLUTION_KINDS = ["ACKNOWLEDGED", "UNKNOWN_ORDER_ADOPTED", "UNKNOWN_ORDER_CANCELED", "UNKNOWN_ORDER_GONE", "IN_DOUBT_RESOLVED"] as const;

/** An order open at the venue that Bastion's books do not have (placed by hand on the exchange, or by another tool). */
export interface UnknownOrder {
  clientOrderId: string;
  venueOrderId: string | null;
  symbol: string;
  side: OrderSide;
  type: string;
  status: string;
  quantity: string;
  filledQty: string;
  price: string | null;
  triggerPrice: string | null;
  firstSeen: number;
  lastSeen: number;
  /** A cancel was sent at a trader's request and is not confirmed yet. */
  canceling: boolean;
}

/** An emergency stop in progress: cancels (then the flatten) followed as the venue confirms them. */
interface HaltRun {
  progress: EmergencyProgress;
  flatten: boolean;
  exitReason: string;
  phase: "canceling" | "flattening";
  cancelPending: Set<string>;
  filledInstead: number;
  flattenPending: Set<string>;
  /** False while the synchronous part runs (events counted, no transitions). */
  armed: boolean;
  timer: unknown;
}

interface OrderRecord {
  order: Order;
  meta: OrderMeta;
}

interface PositionRecord {
  position: Position;
  exit: ExitState | null;
  meta: PositionMeta & { stopLoss?: number | null; takeProfit?: number | null; entryOrderId?: string | null };
  /** Working exit order, so one price tick does not send the same exit twice. */
  exitOrderId: string | null;
  /**
   * A close waiting for the position's working exits to end (one exit at a time): sent when the last of them is
   * canceled or done, for what is then left (quantity null: all of it). Dropped by a cancel-all or a halt.
   */
  pendingClose?: { quantity: Decimal | null; reason: string } | null;
}

interface Mark {
  last: number;
  bid?: number;
  ask?: number;
  ts: number;
  /** `last` as a Decimal, made on first use (most marks are replaced before anyone needs one). */
  lastDec?: Decimal;
}

/** The portfolio for the risk gate; equity and the free quote are computed on first read. */
class RiskPortfolioView {
  private equityValue: Decimal | null;
  private availableValue: Decimal | null = null;

  constructor(
    private readonly engine: { equity(): EquityPoint; realizedEquity(): Decimal },
    readonly positions: RiskPosition[],
    readonly reservedNotionalBySymbol: Map<string, Decimal>,
    private readonly committed: Decimal,
    knownEquity: Decimal | null,
    readonly workingReduceOnlyBySymbol: Map<string, Partial<Record<OrderSide, Decimal>>> = new Map(),
  ) {
    this.equityValue = knownEquity;
  }

  get equity(): Decimal {
    return (this.equityValue ??= this.engine.equity().equity);
  }

  /** Cash (initial + realized net) less the cost of open positions and the notional reserved by open entries. */
  get availableQuote(): Decimal {
    return (this.availableValue ??= maxDec(ZERO, sub(this.engine.realizedEquity(), this.committed)));
  }
}

/**
 * Slippage in bps (positive = against the trader), a report float to 4 places: the difference of two prices
 * in floats is exact to ~1e-12 of the price. null without a requested price.
 */
function slippageBps(requestedPrice: Decimal | null, filled: Decimal, buy: boolean): number | null {
  if (!requestedPrice || requestedPrice.isZero() || filled.isZero()) return null;
  const requested = approxNumber(requestedPrice);
  const diff = buy ? approxNumber(filled) - requested : requested - approxNumber(filled);
  return roundReport((diff / requested) * 10_000, 4);
}

const NO_VALUES: readonly never[] = [];

/** The map's values as an array to iterate while the map changes (none to copy when it is empty). */
function valuesOf<V>(map: Map<string, V>): readonly V[] {
  return map.size === 0 ? NO_VALUES : [...map.values()];
}

/** Whether a position's exit state has any rule to watch (stop, take-profit, ladder, trailing, max age). */
function exitHasRules(exit: ExitState | null): exit is ExitState {
  const c = exit?.config;
  return !!c && (!!c.stopLoss || !!c.takeProfit || !!c.trailingStop || c.maxAgeMs !== undefined || (c.takeProfitLadder?.length ?? 0) > 0);
}

/** The mark's last price as a Decimal (a number → Decimal conversion costs a string round trip: once per mark). */
function markDecimal(mark: Mark): Decimal {
  return (mark.lastDec ??= numberToDecimal(mark.last));
}

interface Accounting {
  /** Decimals (the codec keeps them exact); strings in databases written before, which D() reads alike. */
  initialEquity: Decimal | string;
  /** Σ realizedPnlNet of closed positions. */
  closedRealizedNet: Decimal | string;
}

/** What the store keeps in a position's opaque `exit` column: the exit rules' state and what the trade record needs later. */
interface PositionBlob {
  state: ExitState | null;
  entryOrderId: string | null;
  stopLoss: number | null;
  takeProfit: number | null;
  /** A close waiting for working exits to end (absent in rows written before it existed). */
  pendingClose?: { quantity: string | null; reason: string } | null;
}

/** Division that never rounds up: a sized quantity must never cost more than the money behind it. */
const DecimalDown = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_DOWN });

/** What the books expect one spot quote balance at the venue to be: the venue's figure at the last match, plus the fills' cash since. */
interface QuoteExpectation {
  expected: Decimal;
  /** Fees booked since the last match: their currency may not be the quote (base or BNB), so they widen the tolerance. */
  fees: Decimal;
}

/** An audited manual action while it runs; `written` is what its audit row says once one committed. */
interface AuditDraft {
  readonly actor: Actor;
  readonly action: string;
  readonly target: string | null;
  readonly reason: string | null;
  readonly params: unknown;
  written: CommandResult | null;
}

export class EngineError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * An error from the store (SQLite: disk full, busy, I/O, a refused write; the store's own, e.g. a lost lease): the
 * command's writes did not all commit, so memory may be ahead of the books.
 */
function isStoreFailure(e: unknown): e is Error & { code: string } {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  return e.name === "StoreError" || e.name === "SqliteError" || (typeof code === "string" && code.startsWith("SQLITE_"));
}

function storeFailureText(e: Error & { code: string }): string {
  return `${e.code}: ${e.message.split("\n")[0]?.slice(0, 200) ?? ""}`;
}

function fail(code: string, message: string, data?: Record<string, unknown>): CommandResult {
  return data ? { ok: false, code, message, data } : { ok: false, code, message };
}

function done(message: string, data?: Record<string, unknown>): CommandResult {
  return data ? { ok: true, message, data } : { ok: true, message };
}

export class Engine {
  readonly bus: EventBus;
  private readonly venue: Venue;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly ids: IdGenerator;
  private readonly quote: string;
  private readonly log: NonNullable<EngineOptions["log"]>;
  private readonly instruments = new Map<string, Instrument>();
  /** Working orders, with running sums of what they reserve (the gate reads those, not every order). */
  private readonly orders = new OpenOrderBook<OrderRecord>();
  /** clientOrderIds of EMULATED orders: market data checks their triggers without scanning every open order. */
  private readonly emulated = new Set<string>();
  private readonly positions = new Map<string, PositionRecord>();
  private readonly marks = new Map<string, Mark>();
  private readonly symbolSettings = new Map<string, SymbolSettings>();
  private readonly defaultSettings: SymbolSettings;
  private riskLimits: RiskLimitsSettings;
  private breaker: CircuitBreaker | null;
  private tradingState: TradingState = "ACTIVE";
  private tradingStateInfo = { reason: "start", by: "system", since: 0 };
  private initialEquity: Decimal;
  private closedRealizedNet = ZERO;
  private recentOrderTimes: number[] = [];
  private recentOrderTrimAt = 1000;
  private readonly expectedSlippageBps: number;
  private readonly equitySnapshotOnFill: boolean;
  private queue: (() => void)[] = [];
  private draining = false;
  private started = false;
  private lastEmergency: EmergencyProgress | null = null;
  private readonly timers: EngineTimers;
  private readonly emergencyConfirmMs: number;
  private halt: HaltRun | null = null;
  private readonly unknownOrders = new Map<string, UnknownOrder>();
  private readonly balanceShortfalls = new Set<string>();
  /** Set once a store error interrupted a handler (memory was then reloaded from the books): shown by state() and health. */
  private degradedInfo: { reason: string; since: number; lastAt: number; errors: number } | null = null;
  /** Set when this process must not trade any more (its lease is lost, or the books could not be reloaded): every command and venue call is refused. */
  private stopInfo: { code: string; reason: string; since: number } | null = null;
  /** Quote currencies that differed at the last reconciliation (recorded when they differ twice in a row). */
  private readonly quoteSuspects = new Set<string>();
  /** Derivatives symbols whose size at the venue differs from the books, with the difference recorded (once while it lasts). */
  private readonly positionMismatches = new Map<string, string>();
  /** (venue:tradeId) of fills an order could not take, recorded once per process. */
  private readonly refusedFills = new Set<string>();
  /** Ended orders being looked up after a late acknowledgement (one lookup at a time each). */
  private readonly checkingEnded = new Set<string>();
  /** Orders FILLED in the books that the venue still lists open, recorded once per process. */
  private readonly filledButOpen = new Set<string>();
  /** Orders whose submission had an unknown outcome (in-doubt.ts), persisted in the store's state "inDoubtOrders". */
  private readonly inDoubt = new Map<string, InDoubtMarker>();
  private readonly inDoubtTimers = new Map<string, unknown>();
  private readonly inDoubtPolicy: InDoubtPolicy;

  constructor(private readonly options: EngineOptions) {
    this.venue = options.venue;
    this.store = options.store;
    this.clock = options.clock;
    this.ids = options.ids;
    this.bus = options.bus ?? new EventBus();
    this.quote = options.quoteCurrency ?? "USDT";
    this.log = options.log ?? (() => undefined);
    this.initialEquity = D(options.initialEquity);
    this.expectedSlippageBps = options.expectedSlippageBps ?? 0;
    this.equitySnapshotOnFill = options.equitySnapshotOnFill ?? true;
    this.defaultSettings = options.defaultSymbolSettings ? symbolSettingsSchema.parse(options.defaultSymbolSettings) : DEFAULT_SYMBOL_SETTINGS;
    this.riskLimits = options.riskLimits ?? DEFAULT_RISK_LIMITS;
    this.breaker = options.breaker === null ? null : new CircuitBreaker(options.breaker ?? {}, this.clock);
    this.timers = options.timers ?? defaultTimers;
    this.emergencyConfirmMs = options.emergencyConfirmMs ?? 10_000;
    for (const instrument of this.venue.instruments()) this.instruments.set(instrument.symbol, instrument);
    this.venue.setEventSink(
      (events) => void this.run(() => this.ingest(events, "venue")).catch((e: unknown) => this.log("error", `venue events: ${String(e)}`)),
    );
    this.inDoubtPolicy = { ...DEFAULT_IN_DOUBT_POLICY, ...options.inDoubtPolicy };
    this.venue.setInDoubtSink?.(
      (report) => void this.run(() => this.markInDoubt(report)).catch((e: unknown) => this.log("error", `order in doubt: ${String(e)}`)),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // The queue: one command at a time, in arrival order.

  /** Runs `fn` after everything queued before it; synchronous when nothing else is running. */
  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push(() => {
        try {
          resolve(fn());
        } catch (e) {
          reject(this.afterHandlerError(e));
        }
      });
      this.drain();
    });
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) next();
    } finally {
      this.draining = false;
    }
  }

  /** For the backtest and tests: run a command synchronously (never from inside another handler). */
  executeSync(command: EngineCommand): CommandResult {
    if (this.draining) throw new EngineError("REENTRANT", "executeSync called while the engine is processing another command");
    return this.handleGuarded(command);
  }

  execute(command: EngineCommand): Promise<CommandResult> {
    return this.run(() => this.handleGuarded(command));
  }

  // ---------------------------------------------------------------------------------------------
  // Store failures and the stop latch: the books and memory never disagree.

  /** A command, refused while trading is stopped; a store error in it answers STORE_ERROR (memory reloaded) instead of throwing. */
  private handleGuarded(command: EngineCommand): CommandResult {
    const stopped = this.refusalWhenStopped();
    if (stopped) return stopped;
    try {
      return this.handle(command);
    } catch (e) {
      if (!isStoreFailure(e)) throw e;
      const failure = this.recoverFromStoreFailure(e);
      if (command.kind !== "signal" && command.actor.role !== "system") {
        try {
          this.store.appendAudit({
            ts: this.clock.now(),
            actor: command.actor.username,
            role: command.actor.role,
            action: command.kind.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
            target: null,
            reason: command.reason,
            params: null,
            result: "ERROR",
            detail: `${failure.code}: ${failure.message}`,
          });
        } catch (auditError) {
          this.log("error", `audit of a failed ${command.kind} not written: ${String(auditError)}`);
        }
      }
      return fail(failure.code, failure.message);
    }
  }

  /** What a queued job's error becomes: a store error is recovered from and answered in words (EngineError). */
  private afterHandlerError(e: unknown): Error {
    if (!isStoreFailure(e)) return e instanceof Error ? e : new Error(String(e));
    const failure = this.recoverFromStoreFailure(e);
    return new EngineError(failure.code, failure.message);
  }

  /**
   * A store error interrupted a handler: some of its writes may not have committed while memory already moved.
   * Memory is reloaded from the books (what committed is what is true: an intent committed was sent, one that
   * was not never reached the venue, because the venue is called only after the intent's commit), the engine
   * reports itself degraded, and when the books cannot be read or the lease is lost, trading stops.
   */
  private recoverFromStoreFailure(error: Error & { code: string }): { code: string; message: string } {
    const now = this.clock.now();
    const detail = storeFailureText(error);
    const previous = this.degradedInfo;
    this.degradedInfo = { reason: detail, since: previous?.since ?? now, lastAt: now, errors: (previous?.errors ?? 0) + 1 };
    this.signalInFlight = null;
    this.log("error", `store error in a handler: ${detail}`);
    if (error.code === "LEASE_LOST") {
      this.stopTrading("LEASE_LOST", error.message);
      return { code: "LEASE_LOST", message: `${error.message} Trading stopped in this process; nothing more is sent to ${this.venue.id}.` };
    }
    try {
      this.reloadFromStore();
    } catch (reloadError) {
      const why = reloadError instanceof Error ? reloadError.message : String(reloadError);
      this.stopTrading("STORE_UNAVAILABLE", `the database failed (${detail}) and the books could not be read back (${why})`);
      return {
        code: "STORE_UNAVAILABLE",
        message: `The database failed (${detail}) and the books could not be read back: trading stopped in this process; restart it once the database works.`,
      };
    }
    const message = `The database refused a write (${detail}). What was not committed was undone in memory too (the books were reloaded from the database), and nothing uncommitted was sent to ${this.venue.id}. The engine reports itself degraded.`;
    this.bus.publish({ type: "alert", level: "error", message });
    return { code: "STORE_ERROR", message };
  }

  /** Memory from the books: orders, positions, state and settings as the database has them. */
  private reloadFromStore(): void {
    this.bookingFill = false;
    this.cancelsAfterCommit = [];
    this.tripsAfterCommit = [];
    this.orders.clear();
    this.emulated.clear();
    this.positions.clear();
    this.unknownOrders.clear();
    this.inDoubt.clear();
    this.symbolSettings.clear();
    this.cachedRiskLimits = null;
    this.tradingState = "ACTIVE";
    // Without a stored snapshot the breaker is what a restart would build (a trip that did not commit is undone).
    if (this.breaker && this.store.getState<unknown>("breaker") === null) {
      const fresh = CircuitBreaker.create(this.store.getState<unknown>("breakerConfig") ?? this.breaker.currentConfig, this.clock);
      if (fresh.ok) this.breaker = fresh.value;
    }
    this.restore();
    // Markers that committed are back; their lookups go on (a marker that did not commit has no order to look up).
    for (const coid of this.inDoubt.keys()) if (!this.inDoubtTimers.has(coid)) this.scheduleInDoubtLookup(coid);
  }

  /**
   * Stops trading in this process at once (a latch, not persisted: this process may no longer write): every
   * command is refused and no venue call is made. For a lost lease (the runtime calls it when a heartbeat fails)
   * and books that cannot be read back.
   */
  stopTrading(code: string, reason: string): void {
    if (this.stopInfo) return;
    this.stopInfo = { code, reason, since: this.clock.now() };
    this.tradingState = "HALTED";
    this.tradingStateInfo = { reason: `${code}: ${reason}`, by: "system", since: this.stopInfo.since };
    if (this.halt) this.timers.clearTimeout(this.halt.timer);
    this.halt = null;
    for (const record of this.positions.values()) record.pendingClose = null;
    // Orders still waiting in the venue's queue or for a retry never leave (this process may no longer write their
    // end: the next owner's reconciliation finds them never sent).
    const dropped = this.venue.haltNewOrders?.() ?? [];
    if (dropped.length > 0) this.log("warn", `trading stopped: ${dropped.length} queued new order(s) dropped before reaching ${this.venue.id}`);
    this.log("error", `trading stopped: ${code}: ${reason}`);
    this.bus.publish({ type: "tradingState", state: "HALTED", reason: `${code}: ${reason}`, by: "system" });
    this.bus.publish({ type: "alert", level: "error", message: `Trading stopped in this process (${code}): ${reason}` });
  }

  private refusalWhenStopped(): CommandResult | null {
    const stop = this.stopInfo;
    if (!stop) return null;
    return fail(stop.code, `Trading is stopped in this process (${stop.reason}); nothing is sent to ${this.venue.id}. Restart the engine.`);
  }

  /** Degraded (a store error happened; memory was reloaded) and stopped (no trading at all in this process). */
  health(): {
    degraded: { reason: string; since: number; lastAt: number; errors: number } | null;
    stopped: { code: string; reason: string; since: number } | null;
  } {
    return { degraded: this.degradedInfo ? { ...this.degradedInfo } : null, stopped: this.stopInfo ? { ...this.stopInfo } : null };
  }

  marketData(update: MarketUpdate, options?: { evaluateExits?: boolean }): Promise<void> {
    return this.run(() => this.onMarketData(update, options));
  }

  /** Synchronous market data for the backtest loop (never from inside another handler). */
  executeMarketData(update: MarketUpdate): void {
    if (this.draining) throw new EngineError("REENTRANT", "executeMarketData called while the engine is processing another command");
    this.onMarketData(update);
  }

  /** The engine's clock: what a signal without its own time is stamped with. */
  now(): number {
    return this.clock.now();
  }

  hasWorkingOrders(): boolean {
    return this.orders.size > 0;
  }

  /** True when an open position has exit rules to watch. */
  hasExitRules(): boolean {
    for (const record of this.positions.values()) if (exitHasRules(record.exit)) return true;
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // Start: restore from the database, then reconcile with the venue.

  /** Restores state from the store and reconciles with the venue. Call once before anything else. */
  async start(): Promise<{ drifts: number }> {
    this.restore();
    if (this.tradingState === "HALTED") this.venue.haltNewOrders?.();
    const drifts = await this.reconcile();
    await this.run(() => {
      // A close that waited for exits which ended while the engine was down goes out now.
      for (const record of valuesOf(this.positions))
        if (record.pendingClose && this.workingExitsFor(record.position.id).length === 0) this.sendPendingClose(record);
    });
    for (const coid of this.inDoubt.keys()) this.scheduleInDoubtLookup(coid);
    this.started = true;
    this.recordEquity("start");
    return { drifts };
  }

  get isStarted(): boolean {
    return this.started;
  }

  private restore(): void {
    const accounting = this.store.getState<Accounting>("accounting");
    if (accounting) {
      this.initialEquity = D(accounting.initialEquity);
      this.closedRealizedNet = D(accounting.closedRealizedNet);
    } else {
      this.saveAccounting();
    }
    const state = this.store.getState<TradingState>("tradingState");
    if (state === "ACTIVE" || state === "REDUCING" || state === "HALTED") this.tradingState = state;
    const info = this.store.getState<typeof this.tradingStateInfo>("tradingStateInfo");
    if (info) this.tradingStateInfo = info;
    const limits = this.store.getState<unknown>("riskLimits");
    if (limits) {
      const parsed = riskLimitsSchema.safeParse(limits);
      if (parsed.success) this.riskLimits = parsed.data;
      else this.log("warn", `ignored invalid stored risk limits (the configured ones apply): ${parsed.error.issues[0]?.message ?? ""}`);
    }
    for (const record of this.store.loadSymbolSettings()) {
      const parsed = symbolSettingsSchema.safeParse(record.settings);
      if (parsed.success) this.symbolSettings.set(record.symbol, parsed.data);
      else this.log("warn", `ignored invalid stored settings for ${record.symbol}: ${parsed.error.issues[0]?.message ?? ""}`);
    }
    if (this.breaker) {
      const snapshot = this.store.getState<unknown>("breaker");
      if (snapshot) {
        const restored = CircuitBreaker.fromSnapshot(snapshot, this.store.getState<unknown>("breakerConfig") ?? this.breaker.currentConfig, this.clock);
        if (restored.ok) {
          this.breaker = restored.value;
        } else {
          this.log("warn", `breaker snapshot unreadable (${restored.error.message}); starting HALTED to be safe`);
          this.tradingState = "HALTED";
        }
      }
    }
    for (const stored of this.store.loadOrders({ onlyOpen: true })) {
      this.orders.set(stored.order.clientOrderId, stored);
      if (stored.order.status === "EMULATED") this.emulated.add(stored.order.clientOrderId);
    }
    for (const unknown of this.store.getState<UnknownOrder[]>("unknownOrders") ?? [])
      this.unknownOrders.set(unknown.clientOrderId, { ...unknown, canceling: false });
    for (const marker of this.store.getState<InDoubtMarker[]>("inDoubtOrders") ?? [])
      if (this.orders.has(marker.clientOrderId)) this.inDoubt.set(marker.clientOrderId, marker);
    for (const stored of this.store.loadOpenPositions()) {
      const blob = (stored.exit as PositionBlob | null) ?? null;
      this.positions.set(stored.position.id, {
        position: stored.position,
        exit: blob?.state ?? null,
        meta: { ...stored.meta, entryOrderId: blob?.entryOrderId ?? null, stopLoss: blob?.stopLoss ?? null, takeProfit: blob?.takeProfit ?? null },
        exitOrderId: null,
        pendingClose: blob?.pendingClose
          ? { quantity: blob.pendingClose.quantity === null ? null : D(blob.pendingClose.quantity), reason: blob.pendingClose.reason }
          : null,
      });
    }
    for (const { order } of this.orders.values()) {
      const positionId = order.tags.positionId;
      const record = positionId ? this.positions.get(positionId) : undefined;
      if (record && order.reduceOnly && !isTerminal(order)) record.exitOrderId = order.clientOrderId;
    }
  }

  /**
   * Compares the books with the venue; books what was missed and records every difference.
   * `graceMs` (scheduled runs while trading): orders whose last event is younger are left alone — their
   * request or its answer may still be on the way, and "not at the venue yet" must not mark them lost.
   */
  async reconcile(options: { graceMs?: number } = {}): Promise<number> {
    if (this.stopInfo) throw new EngineError(this.stopInfo.code, `Trading is stopped in this process (${this.stopInfo.reason}): no reconciliation.`);
    let drifts = 0;
    const now = this.clock.now();
    const graceMs = options.graceMs ?? 0;
    // Emulated orders live only here (never sent): nothing to compare at the venue.
    const open = [...this.orders.values()].filter((r) => !isTerminal(r.order) && r.order.status !== "EMULATED" && now - r.order.updatedAt >= graceMs);
    const since = Math.min(
      this.store.lastFillTs(this.venue.id) ?? now,
      ...open.map((r) => r.order.createdAt),
      now - (this.options.lateFillLookbackMs ?? 900_000),
    );
    const venueFills = await this.venue.fetchFills(Number.isFinite(since) ? since : 0);
    const venueOrders = new Map<string, Awaited<ReturnType<Venue["fetchOrder"]>>>();
    // A request on its way when its order was looked up: "not at the venue" proves nothing about it.
    const inFlightAtLookup = new Set(open.filter((r) => this.venue.requestInFlight?.(r.order.clientOrderId)).map((r) => r.order.clientOrderId));
    for (const record of open) venueOrders.set(record.order.clientOrderId, await this.venue.fetchOrder(record.order.clientOrderId));
    const venueOpen = await this.venue.fetchOpenOrders();
    const balances = await this.venue.fetchBalances();
    // A positions read that fails skips only the positions comparison: fills and orders are still reconciled.
    const venuePositions = this.venue.fetchPositions
      ? await this.venue.fetchPositions().catch((e: unknown) => {
          this.log(
            "warn",
            `reconciliation: could not read positions from ${this.venue.id} (${e instanceof Error ? e.message : String(e)}); compared next time`,
          );
          return null;
        })
      : null;

    await this.run(() => {
      for (const record of open) {
        const coid = record.order.clientOrderId;
        const snapshot = venueOrders.get(coid) ?? null;
        if (!snapshot) {
          // In doubt (settled by its lookups or a person) or a request still in flight: never "never sent".
          if (this.inDoubt.has(coid) || inFlightAtLookup.has(coid) || this.venue.requestInFlight?.(coid)) continue;
          if (record.order.status === "INITIALIZED" || record.order.status === "SUBMITTED") {
            // The engine stopped between journaling and the venue receiving it: never re-sent blindly.
            this.ingest(
              [
                {
                  clientOrderId: coid,
                  event: { type: "reject", reason: "NEVER_SENT: the engine stopped before the venue received this order; it was not re-sent.", ts: now },
                },
              ],
              "reconcile",
            );
            this.drift("NEVER_SENT", coid, { status: record.order.status }, true, "marked REJECTED; not re-sent");
          } else {
            this.drift("ORDER_UNKNOWN_AT_VENUE", coid, { status: record.order.status }, false, null);
          }
          drifts++;
          continue;
        }
        const events: VenueEvent[] = [];
        if (record.order.status === "SUBMITTED" && snapshot.status !== "REJECTED") {
          events.push({ clientOrderId: coid, event: { type: "accept", ...(snapshot.venueOrderId ? { venueOrderId: snapshot.venueOrderId } : {}), ts: now } });
        }
        for (const fill of venueFills) {
          if (fill.clientOrderId !== coid || this.store.hasFill(this.venue.id, fill.tradeId)) continue;
          const fee = this.quoteFee(fill, record.order.symbol);
          if (fee.drift) drifts++;
          events.push({
            clientOrderId: coid,
            event: {
              type: "fill",
              tradeId: fill.tradeId,
              qty: fill.qty,
              price: fill.price,
              fee: fee.fee,
              ...(fill.liquidity ? { liquidity: fill.liquidity } : {}),
              ts: fill.ts,
            },
          });
          this.drift("MISSED_FILL", coid, { tradeId: fill.tradeId, qty: fill.qty.toString(), price: fill.price.toString() }, true, "booked");
          drifts++;
        }
        const terminal: Partial<Record<string, OrderEvent>> = {
          CANCELED: { type: "cancel", reason: snapshot.reason ?? "canceled at the venue", ts: now },
          EXPIRED: { type: "expire", ts: now },
          REJECTED: { type: "reject", reason: snapshot.reason ?? "rejected by the venue", ts: now },
        };
        const finalEvent = terminal[snapshot.status];
        if (finalEvent) events.push({ clientOrderId: coid, event: finalEvent });
        if (events.length > 0) {
          // `record` is the live record: ingest updates record.order, so read the status before it.
          const before = record.order.status;
          this.ingest(events, "reconcile");
          const after = record.order.status;
          if (after !== before && !events.some((e) => e.event.type === "fill")) {
            this.drift("STATUS_MISMATCH", coid, { ours: before, venue: snapshot.status }, true, `now ${after}`);
            drifts++;
          }
        }
        if (record.order.status === "PENDING_CANCEL" && !TERMINAL_STATUSES.has(snapshot.status)) {
          // The engine stopped after journaling a cancel request, before the venue received it: the venue
          // still works the order. Cancels are idempotent, so the cancel (never the order) is sent again.
          this.ingest(this.venue.cancel(coid, now), "venue");
          this.drift("CANCEL_NOT_DELIVERED", coid, { venue: snapshot.status }, true, `cancel sent again: now ${record.order.status}`);
          drifts++;
        }
      }
      drifts += this.reconcileEndedOrders(new Set(open.map((r) => r.order.clientOrderId)), venueOpen, venueFills, now);
      drifts += this.noteUnknownOrders(venueOpen, now);
      drifts += this.checkBalances(balances);
      drifts += this.checkQuoteBalances(balances);
      if (venuePositions) drifts += this.checkPositions(venuePositions);
      this.store.saveBalances(this.venue.id, balances, now);
    });
    return drifts;
  }

  /**
   * Orders the books call ended (REJECTED, CANCELED, EXPIRED, DENIED) are still real at the venue when it says so:
   * - still open there: tracked again (a `reopen` event, journaled) so it is shown, counted by the risk gate and
   *   canceled by an emergency stop; while HALTED its cancel is sent at once (a halt lets nothing work).
   * - fills the books do not have: booked as late fills (position, PnL, fees; once per tradeId).
   * `checked` are the open orders the loop above already compared. Returns the number of drifts recorded.
   */
  private reconcileEndedOrders(checked: Set<string>, venueOpen: VenueOrderSnapshot[], venueFills: VenueFill[], now: number): number {
    let found = 0;
    const reopened = new Set<string>();
    for (const snapshot of venueOpen) {
      const coid = snapshot.clientOrderId;
      if (checked.has(coid) || this.orders.has(coid)) continue;
      const stored = this.store.getOrder(coid);
      if (!stored || !TERMINAL_STATUSES.has(stored.order.status)) continue;
      if (stored.order.status === "FILLED") {
        // Nothing left to work in the books, yet the venue works it: a person looks (recorded once per process).
        if (this.filledButOpen.has(coid)) continue;
        this.filledButOpen.add(coid);
        this.drift(
          "ENDED_ORDER_OPEN_AT_VENUE",
          coid,
          {
            ours: "FILLED",
            venue: snapshot.status,
            symbol: snapshot.symbol,
            side: snapshot.side,
            qty: snapshot.quantity.toString(),
            filled: snapshot.filledQty.toString(),
          },
          false,
          null,
        );
        this.bus.publish({
          type: "alert",
          level: "error",
          message: `Order ${coid} is FILLED in the books but open at ${this.venue.id} (${snapshot.filledQty.toString()} of ${snapshot.quantity.toString()} filled there). The books keep it FILLED and do not work it: check it at the venue.`,
        });
        found++;
        continue;
      }
      if (!this.reopenEnded(stored.order.status, snapshot, now)) continue;
      reopened.add(coid);
      found++;
    }
    for (const fill of venueFills) {
      if (checked.has(fill.clientOrderId) || this.store.hasFill(this.venue.id, fill.tradeId)) continue;
      const record = this.orders.get(fill.clientOrderId) ?? this.store.getOrder(fill.clientOrderId);
      if (!record) continue; // an order the books never had: listed as unknown, its fills booked if adopted
      const ended = TERMINAL_STATUSES.has(record.order.status);
      // Working orders younger than the grace period are left to their own answers, still on the way.
      if (!ended && !reopened.has(fill.clientOrderId)) continue;
      const fee = this.quoteFee(fill, record.order.symbol);
      if (fee.drift) found++;
      const refusedBefore = this.refusedFills.size;
      this.ingest(
        [
          {
            clientOrderId: fill.clientOrderId,
            event: {
              type: "fill",
              tradeId: fill.tradeId,
              qty: fill.qty,
              price: fill.price,
              fee: fee.fee,
              ...(fill.liquidity ? { liquidity: fill.liquidity } : {}),
              ts: fill.ts,
            },
          },
        ],
        "reconcile",
      );
      const booked = this.store.hasFill(this.venue.id, fill.tradeId);
      // A late fill records its own drift (LATE_FILL); a fill on an order tracked again is a missed one.
      if (booked && !ended)
        this.drift("MISSED_FILL", fill.clientOrderId, { tradeId: fill.tradeId, qty: fill.qty.toString(), price: fill.price.toString() }, true, "booked");
      if (booked || this.refusedFills.size > refusedBefore) found++;
    }
    return found;
  }

  /**
   * Tracks again an order the books ended (not FILLED) that the venue shows open: journaled `reopen`, recorded,
   * raised; while HALTED its cancel is sent at once. False when the FSM refused it (journaled with the reason).
   */
  private reopenEnded(before: OrderStatus, snapshot: VenueOrderSnapshot, now: number): boolean {
    const coid = snapshot.clientOrderId;
    const reason = `open at ${this.venue.id} (${snapshot.status}) although the books had it ${before}: tracked again`;
    this.ingest(
      [{ clientOrderId: coid, event: { type: "reopen", reason, ...(snapshot.venueOrderId ? { venueOrderId: snapshot.venueOrderId } : {}), ts: now } }],
      "reconcile",
    );
    const record = this.orders.get(coid);
    if (!record || isTerminal(record.order)) return false;
    // A working reduce-only order is its position's exit again (as after a restart): no second exit is sent beside it.
    const closing = record.order.reduceOnly && record.meta.positionId ? this.positions.get(record.meta.positionId) : undefined;
    if (closing && closing.exitOrderId === null) closing.exitOrderId = coid;
    const halted = this.tradingState === "HALTED";
    this.drift(
      "ENDED_ORDER_OPEN_AT_VENUE",
      coid,
      {
        ours: before,
        venue: snapshot.status,
        symbol: snapshot.symbol,
        side: snapshot.side,
        qty: snapshot.quantity.toString(),
        filled: snapshot.filledQty.toString(),
      },
      true,
      halted ? `tracked again as ${record.order.status}; HALTED: cancel sent` : `tracked again as ${record.order.status}`,
    );
    this.bus.publish({
      type: "alert",
      level: "error",
      message: `Order ${coid} (${snapshot.side} ${snapshot.quantity.toString()} ${snapshot.symbol}) was ${before} in the books but is open at ${this.venue.id}: it is tracked again${halted ? " and, as trading is halted, canceled" : ""}. Check it on the Orders page.`,
    });
    if (halted) this.requestCancel(record);
    return true;
  }

  /**
   * The venue acknowledged (or triggered) an order the books ended (not FILLED) — a timeout taken for a refusal
   * whose order did land. The order is looked up at once instead of at the next scheduled reconciliation, and
   * tracked again if the venue shows it open (a stale acknowledgement of an order that did end changes nothing).
   */
  private checkEndedOrder(clientOrderId: string): void {
    if (this.checkingEnded.has(clientOrderId)) return;
    this.checkingEnded.add(clientOrderId);
    const settle = (snapshot: VenueOrderSnapshot | null) => {
      this.checkingEnded.delete(clientOrderId);
      const stored = this.orders.has(clientOrderId) ? null : this.store.getOrder(clientOrderId);
      if (!snapshot || !stored || !TERMINAL_STATUSES.has(stored.order.status) || stored.order.status === "FILLED" || !isOpenAtVenue(snapshot)) return;
      this.reopenEnded(stored.order.status, snapshot, this.clock.now());
    };
    this.venue
      .fetchOrder(clientOrderId)
      .then(
        (snapshot) => this.run(() => settle(snapshot)),
        (e: unknown) => {
          this.checkingEnded.delete(clientOrderId);
          this.log("warn", `looking up ${clientOrderId} after its late acknowledgement failed (${String(e)}); the next reconciliation checks it`);
        },
      )
      .catch((e: unknown) => this.log("error", `checking ended order ${clientOrderId}: ${String(e)}`));
  }

  /** A fill on an order the books call ended: booked (by bookFill), recorded and raised so a person checks the position. */
  private noteLateFill(record: OrderRecord, event: Extract<OrderEvent, { type: "fill" }>): void {
    const order = record.order;
    const qty = D(event.qty).toString();
    const price = D(event.price).toString();
    const positionId = record.meta.positionId ?? null;
    this.drift(
      "LATE_FILL",
      order.clientOrderId,
      { tradeId: String(event.tradeId), status: order.status, qty, price, positionId },
      true,
      `booked on the ${order.status} order${positionId ? ` to position ${positionId}` : ""}`,
    );
    this.bus.publish({
      type: "alert",
      level: "error",
      message: `Order ${order.clientOrderId} was ${order.status} in the books, but ${this.venue.id} executed ${qty} ${order.symbol} at ${price} (trade ${String(event.tradeId)}): booked${positionId ? ` to position ${positionId}` : ""}. Check the position.`,
    });
  }

  /**
   * Orders open at the venue that the books do not have: recorded once (a drift each, kept across restarts) and
   * listed until a trader adopts or cancels them, or they leave the venue. Returns the number of new ones.
   */
  private noteUnknownOrders(venueOpen: VenueOrderSnapshot[], now: number): number {
    let found = 0;
    let changed = false;
    const listed = new Set<string>();
    for (const snapshot of venueOpen) {
      const coid = snapshot.clientOrderId;
      if (this.orders.has(coid) || this.store.getOrder(coid)) continue;
      listed.add(coid);
      const known = this.unknownOrders.get(coid);
      const view: UnknownOrder = {
        clientOrderId: coid,
        venueOrderId: snapshot.venueOrderId,
        symbol: snapshot.symbol,
        side: snapshot.side,
        type: snapshot.type,
        status: snapshot.status,
        quantity: snapshot.quantity.toString(),
        filledQty: snapshot.filledQty.toString(),
        price: snapshot.price?.toString() ?? null,
        triggerPrice: snapshot.triggerPrice?.toString() ?? null,
        firstSeen: known?.firstSeen ?? now,
        lastSeen: now,
        canceling: known?.canceling ?? false,
      };
      this.unknownOrders.set(coid, view);
      changed = true;
      if (known) continue;
      this.drift(
        "UNKNOWN_ORDER",
        coid,
        {
          symbol: snapshot.symbol,
          side: snapshot.side,
          type: snapshot.type,
          qty: view.quantity,
          filled: view.filledQty,
          price: view.price,
          venueOrderId: snapshot.venueOrderId,
        },
        false,
        null,
      );
      found++;
    }
    for (const [coid, unknown] of [...this.unknownOrders]) {
      if (listed.has(coid) || this.orders.has(coid)) continue;
      this.unknownOrders.delete(coid);
      changed = true;
      this.drift("UNKNOWN_ORDER_GONE", coid, { resolves: { kind: "UNKNOWN_ORDER" }, symbol: unknown.symbol }, true, "no longer open at the venue", "info");
    }
    if (changed) this.saveUnknownOrders();
    return found;
  }

  /**
   * Spot long positions need their coins at the venue: when the venue holds less of a base currency than the books'
   * long positions add up to (coins sold or withdrawn by hand, fees taken in the base currency), closing them would
   * fail. Recorded once while it lasts.
   */
  private checkBalances(balances: VenueBalance[]): number {
    if (balances.length === 0) return 0;
    const held = new Map<string, Decimal>();
    for (const { position } of this.positions.values()) {
      const instrument = this.instruments.get(position.symbol);
      if (!instrument || instrument.kind !== "spot" || position.side !== "LONG" || position.quantity.isZero()) continue;
      held.set(instrument.base, (held.get(instrument.base) ?? ZERO).plus(position.quantity));
    }
    let found = 0;
    for (const [currency, qty] of held) {
      const total = balances.find((b) => b.currency === currency)?.total ?? ZERO;
      if (total.greaterThanOrEqualTo(qty)) {
        this.balanceShortfalls.delete(currency);
        continue;
      }
      if (this.balanceShortfalls.has(currency)) continue;
      this.balanceShortfalls.add(currency);
      this.drift("BALANCE_SHORTFALL", currency, { books: qty.toString(), venue: total.toString() }, false, null);
      found++;
    }
    return found;
  }

  /**
   * Spot quote balances (free + reserved at the venue) against the books: the venue's figure at the last match plus
   * the cash of every fill booked since (a buy pays qty × price + fee, a sell receives qty × price − fee). Fees may
   * be charged in another currency (base, BNB), so the fees booked since the last match widen the tolerance. A
   * difference is recorded when two reconciliations in a row see it (a fill on its way between the balance read and
   * the books is not a drift); the expectation then follows the venue, so each difference is recorded once. A match
   * re-anchors the expectation to the venue's figure. A quote currency that a derivatives symbol settles in (its
   * balance moves with funding and margin) or that another symbol trades as its base (ETH/BTC and BTC/USDT) is not
   * compared here.
   */
  private checkQuoteBalances(balances: VenueBalance[]): number {
    if (balances.length === 0) return 0;
    const ledger = this.loadQuoteLedger();
    const spotQuotes = new Set<string>();
    const otherwiseMoved = new Set<string>();
    for (const instrument of this.instruments.values()) {
      (instrument.kind === "spot" ? spotQuotes : otherwiseMoved).add(instrument.quote);
      otherwiseMoved.add(instrument.base);
    }
    const tolerance = D(this.options.quoteBalanceTolerance ?? "0.01");
    let found = 0;
    for (const currency of spotQuotes) {
      if (otherwiseMoved.has(currency)) continue;
      const actual = balances.find((b) => b.currency === currency)?.total ?? ZERO;
      const known = ledger.get(currency);
      if (!known) {
        ledger.set(currency, { expected: actual, fees: ZERO }); // first sight: the venue's figure is the start
        continue;
      }
      const difference = actual.minus(known.expected);
      const allowed = tolerance.plus(known.fees.abs());
      if (difference.abs().lessThanOrEqualTo(allowed)) {
        this.quoteSuspects.delete(currency);
        ledger.set(currency, { expected: actual, fees: ZERO });
        continue;
      }
      if (!this.quoteSuspects.has(currency)) {
        this.quoteSuspects.add(currency);
        continue;
      }
      this.quoteSuspects.delete(currency);
      this.drift(
        "QUOTE_BALANCE_MISMATCH",
        currency,
        { expected: known.expected.toString(), actual: actual.toString(), difference: difference.toString(), tolerance: allowed.toString() },
        false,
        `the books now expect the venue's ${actual.toString()} ${currency}`,
      );
      this.bus.publish({
        type: "alert",
        level: "error",
        message: `${this.venue.id} holds ${actual.toString()} ${currency}; the books expected ${known.expected.toString()} (${difference.isNegative() ? "" : "+"}${difference.toString()}). A deposit, a withdrawal, a trade outside Bastion or a missed fill? Check the Reconciliation page.`,
      });
      ledger.set(currency, { expected: actual, fees: ZERO });
      found++;
    }
    this.saveQuoteLedger(ledger);
    return found;
  }

  /** A booked spot fill moves the expected quote balance by its cash (inside the fill's transaction). */
  private noteQuoteFlow(order: Order, qty: Decimal, price: Decimal, fee: Decimal): void {
    const instrument = this.instruments.get(order.symbol);
    if (!instrument || instrument.kind !== "spot") return;
    const ledger = this.loadQuoteLedger();
    const known = ledger.get(instrument.quote);
    if (!known) return; // not anchored yet: the next reconciliation takes the venue's figure
    const notional = qty.times(price);
    const expected = order.side === "BUY" ? known.expected.minus(notional).minus(fee) : known.expected.plus(notional).minus(fee);
    ledger.set(instrument.quote, { expected, fees: known.fees.plus(fee.abs()) });
    this.saveQuoteLedger(ledger);
  }

  /** Read from the store each time (no copy in memory): a fill's transaction that rolls back takes its cash with it. */
  private loadQuoteLedger(): Map<string, QuoteExpectation> {
    const stored = this.store.getState<Record<string, { expected: string; fees: string }>>("quoteLedger") ?? {};
    return new Map(Object.entries(stored).map(([currency, e]) => [currency, { expected: D(e.expected), fees: D(e.fees) }]));
  }

  private saveQuoteLedger(ledger: Map<string, QuoteExpectation>): void {
    const out: Record<string, { expected: string; fees: string }> = {};
    for (const [currency, e] of ledger) out[currency] = { expected: e.expected.toString(), fees: e.fees.toString() };
    this.store.setState("quoteLedger", out);
  }

  /**
   * Derivatives positions: the venue's net size per symbol (long +, short −) against the books' open positions.
   * A difference is recorded and raised once while it lasts (again if it changes); nothing is traded to fix it.
   */
  private checkPositions(venuePositions: VenuePosition[]): number {
    const net = (side: PositionSide, qty: Decimal) => (side === "LONG" ? qty : qty.negated());
    const books = new Map<string, Decimal>();
    for (const { position } of this.positions.values()) {
      const instrument = this.instruments.get(position.symbol);
      if (!instrument || instrument.kind === "spot" || position.quantity.isZero()) continue;
      books.set(position.symbol, (books.get(position.symbol) ?? ZERO).plus(net(position.side, position.quantity)));
    }
    const venue = new Map<string, Decimal>();
    for (const p of venuePositions) venue.set(p.symbol, (venue.get(p.symbol) ?? ZERO).plus(net(p.side, p.quantity)));
    const words = (n: Decimal) => (n.isZero() ? "flat" : `${n.isNegative() ? "SHORT" : "LONG"} ${n.abs().toString()}`);
    let found = 0;
    for (const instrument of this.instruments.values()) {
      if (instrument.kind === "spot") continue;
      const symbol = instrument.symbol;
      const ours = books.get(symbol) ?? ZERO;
      const theirs = venue.get(symbol) ?? ZERO;
      if (ours.equals(theirs)) {
        this.positionMismatches.delete(symbol);
        continue;
      }
      const key = `${words(ours)}|${words(theirs)}`;
      if (this.positionMismatches.get(symbol) === key) continue;
      this.positionMismatches.set(symbol, key);
      this.drift("POSITION_MISMATCH", symbol, { books: words(ours), venue: words(theirs), difference: theirs.minus(ours).toString() }, false, null);
      this.bus.publish({
        type: "alert",
        level: "error",
        message: `${symbol}: ${this.venue.id} shows the position ${words(theirs)}, the books ${words(ours)}. Nothing was traded to fix it; check the Reconciliation page.`,
      });
      found++;
    }
    return found;
  }

  private saveUnknownOrders(): void {
    this.durably(() => this.store.setState("unknownOrders", [...this.unknownOrders.values()]));
  }

  /** Unknown orders found at the venue and not yet adopted or canceled (newest first). */
  unknownOrderList(): UnknownOrder[] {
    return [...this.unknownOrders.values()].map((u) => ({ ...u })).sort((a, b) => b.firstSeen - a.firstSeen);
  }

  /**
   * A venue fill's fee in the quote currency the books count in: quote fees as they are, base-currency fees
   * converted at the fill price, fees in any other currency (a BNB discount…) booked as 0 with a drift
   * recorded, never silently mis-booked as if they were quote.
   */
  private quoteFee(fill: VenueFill, symbol: string): { fee: Decimal; drift: boolean } {
    const instrument = this.instruments.get(symbol);
    const quote = instrument?.quote ?? this.quote;
    if (fill.fee.isZero() || fill.feeCurrency === quote) return { fee: fill.fee, drift: false };
    if (instrument && fill.feeCurrency === instrument.base) return { fee: fill.fee.times(fill.price), drift: false };
    this.drift(
      "FEE_CURRENCY",
      fill.clientOrderId,
      { tradeId: fill.tradeId, fee: fill.fee.toString(), feeCurrency: fill.feeCurrency, quote },
      false,
      `fee of ${fill.fee.toString()} ${fill.feeCurrency} not converted to ${quote}: booked as 0`,
    );
    return { fee: ZERO, drift: true };
  }

  private drift(
    kind: string,
    subject: string,
    detail: Record<string, unknown>,
    resolved: boolean,
    resolution: string | null,
    level: "info" | "warn" = "warn",
  ): void {
    this.durably(() => this.store.appendDrift({ ts: this.clock.now(), venue: this.venue.id, kind, subject, detail, resolved, resolution }));
    this.bus.publish({ type: "drift", kind, subject, message: `${kind} ${subject}${resolution ? `: ${resolution}` : ""}` });
    this.log(level, `reconciliation: ${kind} ${subject} ${JSON.stringify(detail)}`);
  }

  // ---------------------------------------------------------------------------------------------
  // Commands

  private handle(command: EngineCommand): CommandResult {
    switch (command.kind) {
      case "signal": {
        const { signal, source, actor } = command;
        if (!actor) return this.onSignal(signal, source);
        return this.audited(actor, "submit_signal", signal.id, null, signal, () => this.onSignal(signal, source));
      }
      case "manualOrder":
        return this.audited(command.actor, "manual_order", command.order.symbol, command.reason, command.order, () =>
          this.onManualOrder(command.order, command.actor),
        );
      case "closePosition":
        return this.audited(
          command.actor,
          "close_position",
          command.positionId,
          command.reason,
          { fraction: command.fraction, quantity: command.quantity },
          () => this.closePosition(command.positionId, { fraction: command.fraction, quantity: command.quantity }, "manual"),
        );
      case "closeAll":
        return this.audited(command.actor, "close_all", null, command.reason, {}, () =>
          this.closeAll(command.actor.role === "system" && command.exitReason ? command.exitReason : "manual"),
        );
      case "cancelOrder":
        return this.audited(command.actor, "cancel_order", command.clientOrderId, command.reason, {}, () => this.cancelOrder(command.clientOrderId));
      case "cancelAll":
        return this.audited(command.actor, "cancel_all", command.symbol ?? null, command.reason, {}, () => this.cancelAllOrders(command.symbol));
      case "pause":
        return this.audited(command.actor, "pause", null, command.reason, {}, () => this.pause(command.actor, command.reason));
      case "resume":
        return this.audited(command.actor, "resume", null, command.reason, {}, () => this.resume(command.actor, command.reason));
      case "emergencyStop":
        return this.audited(command.actor, "emergency_stop", null, command.reason, { flatten: command.flatten }, () =>
          this.emergencyStop(command.flatten, command.actor, command.reason),
        );
      case "tripBreaker":
        return this.audited(command.actor, "trip_breaker", null, command.reason, {}, () => this.tripBreakerByHand(command.actor, command.reason));
      case "resetBreaker":
        return this.audited(command.actor, "reset_breaker", null, command.reason, { force: command.force ?? false }, () =>
          this.resetBreaker(command.actor, command.reason, command.force ?? false),
        );
      case "setExits":
        return this.audited(
          command.actor,
          "set_exits",
          command.positionId,
          command.reason,
          { stopLoss: command.stopLoss, takeProfit: command.takeProfit },
          () => this.setExits(command.positionId, command.stopLoss, command.takeProfit),
        );
    }
  }

  /**
   * Runs a manual action and records who/when/what/why/result in the audit log, in the same transaction as the
   * action's first durable change (`transaction`): for an order, the intent's journal transaction, which commits before
   * the venue is called, so a crash after it cannot leave a sent order unaudited. An action that changes nothing (a
   * refusal) gets its row alone, afterwards.
   */
  private audited(actor: Actor, action: string, target: string | null, reason: string | null, params: unknown, fn: () => CommandResult): CommandResult {
    const draft: AuditDraft | null = actor.role === "system" ? null : { actor, action, target, reason, params, written: null };
    const outer = this.auditDraft;
    this.auditDraft = draft;
    let result: CommandResult;
    try {
      result = fn();
    } catch (e) {
      if (isStoreFailure(e)) throw e; // memory must be reloaded first (handleGuarded), then the failure is audited
      result = fail("INTERNAL_ERROR", e instanceof Error ? e.message : String(e));
    } finally {
      this.auditDraft = outer;
    }
    // The audit table is append-only (rows are never updated): when the row written with the first change says
    // something else than the outcome (e.g. "accepted", then the venue rejected the order), a second row records it.
    const written = draft?.written;
    if (!written || written.ok !== result.ok || (!written.ok && !result.ok && written.code !== result.code)) {
      this.appendAuditRow(actor, action, target, reason, params, result);
    }
    return result;
  }

  /** The audited manual action being run, until its row is written (`transaction`); null for other work. */
  private auditDraft: AuditDraft | null = null;
  private transactionDepth = 0;

  /**
   * Every store transaction of the engine. The outermost one committed while an audited action has not written its
   * audit row yet writes it too, saying what commits (`committed`: a result, or words after "accepted: "). The draft
   * is marked written only once the transaction committed: a failed one rolls the row back with everything else.
   */
  private transaction<T>(fn: () => T, committed?: string | CommandResult): T {
    const draft = this.transactionDepth === 0 && this.auditDraft && !this.auditDraft.written ? this.auditDraft : null;
    const row = draft && (typeof committed === "object" ? committed : done(`accepted: ${committed ?? "its first change committed"}`));
    this.transactionDepth++;
    try {
      const value = this.store.transaction(() => {
        const out = fn();
        if (draft && row) this.appendAuditRow(draft.actor, draft.action, draft.target, draft.reason, draft.params, row);
        return out;
      });
      if (draft) draft.written = row;
      return value;
    } finally {
      this.transactionDepth--;
    }
  }

  /** A write outside a transaction: while an audited action has not written its audit row, it commits with it. */
  private durably(fn: () => void, committed?: string | CommandResult): void {
    if (this.transactionDepth === 0 && this.auditDraft && !this.auditDraft.written) this.transaction(fn, committed);
    else fn();
  }

  /** The audit entry of a manual action (a system actor's actions are not audited). */
  private appendAuditRow(actor: Actor, action: string, target: string | null, reason: string | null, params: unknown, result: CommandResult): void {
    if (actor.role === "system") return;
    this.store.appendAudit({
      ts: this.clock.now(),
      actor: actor.username,
      role: actor.role,
      action,
      target: boundedText(target, 200),
      reason: boundedText(reason),
      // Bounded: a refusal of a huge, deep or odd input must not store it whole, nor fail to be recorded.
      params: boundedJson(params),
      result: result.ok ? "OK" : result.code === "INTERNAL_ERROR" ? "ERROR" : "REFUSED",
      detail: boundedText(result.ok ? result.message : `${result.code}: ${result.message}`),
    });
  }

  /**
   * A settings change (no venue call): its store write and its audit entry commit in one transaction, and memory
   * changes only after the commit. A store failure leaves both as they were and is reported (and audited if it can be).
   */
  private auditedChange(
    actor: Actor,
    action: string,
    target: string | null,
    params: unknown,
    change: { write: () => void; apply: () => void; what: string },
  ): CommandResult {
    const result = done(`${change.what} saved.`);
    try {
      this.transaction(() => {
        change.write();
        this.appendAuditRow(actor, action, target, null, params, result);
      });
    } catch (e) {
      const failed = fail("INTERNAL_ERROR", `${change.what} not saved: ${e instanceof Error ? e.message : String(e)}`);
      try {
        this.appendAuditRow(actor, action, target, null, params, failed);
      } catch {
        // The store itself is failing: the caller still gets the refusal.
      }
      return failed;
    }
    change.apply();
    return result;
  }

  // ---------------------------------------------------------------------------------------------
  // Signals: validate → dedupe → per-symbol settings → risk gate → sizing → order → monitoring.

  private onSignal(signal: Signal, source: string): CommandResult {
    const now = this.clock.now();
    const existing = this.store.getSignal(signal.id);
    if (existing) return fail("DUPLICATE_SIGNAL", `Signal ${signal.id} was already received (${existing.status.toLowerCase()}); it is not processed twice.`);
    // While it is processed, an order it sends records the signal in the intent's transaction (placeOrder):
    // a signal retried after a crash between the venue call and the row below is then still a duplicate.
    this.signalInFlight = { signal, source, receivedAt: now };
    let result: CommandResult;
    try {
      result = this.processSignal(signal, now);
    } finally {
      this.signalInFlight = null;
    }
    const status = result.ok ? "ACCEPTED" : result.code === "INTERNAL_ERROR" ? "FAILED" : "DENIED";
    this.durably(() => this.store.saveSignal(this.signalRecord(signal, source, now, result)), result);
    this.bus.publish({ type: "signal", id: signal.id, symbol: signal.symbol, status, code: result.ok ? null : result.code, message: result.message });
    return result;
  }

  private signalInFlight: { signal: Signal; source: string; receivedAt: number } | null = null;

  /**
   * A signal's own facts checked at intake: its time within the window around the engine's clock (a signal from
   * 1970 or beyond the date range is not about this market), and its exits on the side of the market where they
   * protect (a BUY's stop-loss below the mark and take-profit above; a SELL's the other way).
   */
  private checkSignalIntake(signal: Signal, now: number): CommandResult | null {
    const window = this.options.signalWindow ?? DEFAULT_SIGNAL_WINDOW;
    const when = (ts: number) => (Number.isFinite(ts) && Math.abs(ts) <= 8.64e15 ? new Date(ts).toISOString() : String(ts));
    const minutes = (ms: number) => `${Math.round(ms / 6_000) / 10} minute${ms === 60_000 ? "" : "s"}`;
    if (!Number.isFinite(signal.ts) || signal.ts < now - window.maxAgeMs) {
      return fail(
        "SIGNAL_TOO_OLD",
        `Signal ${signal.id} is stamped ${when(signal.ts)}: more than ${minutes(window.maxAgeMs)} before the desk's clock (${when(now)}); it is not acted on.`,
        {
          ts: signal.ts,
          now,
          maxAgeMs: window.maxAgeMs,
        },
      );
    }
    if (signal.ts > now + window.maxAheadMs) {
      return fail(
        "SIGNAL_FROM_FUTURE",
        `Signal ${signal.id} is stamped ${when(signal.ts)}: more than ${Math.round(window.maxAheadMs / 1000)} s after the desk's clock (${when(now)}); check the sender's clock.`,
        {
          ts: signal.ts,
          now,
          maxAheadMs: window.maxAheadMs,
        },
      );
    }
    if (signal.action === "CLOSE") return null;
    const mark = this.marks.get(signal.symbol);
    if (!mark) return null; // refused later with NO_MARKET_PRICE
    const long = signal.action === "BUY";
    const market = mark.last;
    if (signal.stopLoss != null && (long ? signal.stopLoss >= market : signal.stopLoss <= market)) {
      return fail(
        "STOP_LOSS_WRONG_SIDE",
        `The ${signal.action} signal's stopLoss ${signal.stopLoss} is ${long ? "at or above" : "at or below"} the market (${market}): it would fire at once. A ${long ? "long's stop is below" : "short's stop is above"} the market.`,
        {
          stopLoss: signal.stopLoss,
          market,
        },
      );
    }
    if (signal.takeProfit != null && (long ? signal.takeProfit <= market : signal.takeProfit >= market)) {
      return fail(
        "TAKE_PROFIT_WRONG_SIDE",
        `The ${signal.action} signal's takeProfit ${signal.takeProfit} is ${long ? "at or below" : "at or above"} the market (${market}): it would take a loss at once. A ${long ? "long's take-profit is above" : "short's take-profit is below"} the market.`,
        {
          takeProfit: signal.takeProfit,
          market,
        },
      );
    }
    return null;
  }

  private signalRecord(signal: Signal, source: string, receivedAt: number, result: CommandResult): SignalRecord {
    return {
      id: signal.id,
      symbol: signal.symbol,
      action: signal.action,
      confidence: signal.confidence,
      expectedReturn: signal.expectedReturn ?? null,
      stopLoss: signal.stopLoss == null ? null : D(signal.stopLoss),
      takeProfit: signal.takeProfit == null ? null : D(signal.takeProfit),
      strategy: signal.strategy,
      ts: signal.ts,
      receivedAt,
      source,
      status: result.ok ? "ACCEPTED" : result.code === "INTERNAL_ERROR" ? "FAILED" : "DENIED",
      denyCode: result.ok ? null : result.code,
      denyReason: result.ok ? null : result.message,
      clientOrderId: result.ok ? ((result.data?.clientOrderId as string | undefined) ?? null) : null,
    };
  }

  private processSignal(signal: Signal, now: number): CommandResult {
    const instrument = this.instruments.get(signal.symbol);
    if (!instrument) return fail("UNKNOWN_SYMBOL", `${signal.symbol} is not traded on ${this.venue.id}.`);
    const intake = this.checkSignalIntake(signal, now);
    if (intake) return intake;
    const settings = this.settingsFor(signal.symbol);
    if (!settings.enabled) return fail("SYMBOL_DISABLED", `Trading ${signal.symbol} is disabled in its settings.`);
    if (signal.confidence < settings.minConfidence) {
      return fail("MIN_CONFIDENCE", `Signal confidence ${signal.confidence} is below ${signal.symbol}'s minimum ${settings.minConfidence}.`);
    }
    const open = this.openPositionsFor(signal.symbol);
    if (signal.action === "CLOSE") {
      if (open.length === 0) return fail("NO_POSITION", `There is no open ${signal.symbol} position to close.`);
      return this.closePositions(open, "signal");
    }
    const wantSide: PositionSide = signal.action === "BUY" ? "LONG" : "SHORT";
    const opposite = open.filter((r) => r.position.side !== wantSide);
    if (opposite.length > 0) return this.closePositions(opposite, "signal");
    if (wantSide === "SHORT" && instrument.kind === "spot") {
      return fail("SHORT_NOT_SUPPORTED", `${signal.symbol} is a spot market: a SELL signal closes a long position, and there is none open.`);
    }
    const mark = this.marks.get(signal.symbol);
    if (!mark) return fail("NO_MARKET_PRICE", `No market price for ${signal.symbol} yet; the signal cannot be sized.`);
    const side: OrderSide = wantSide === "LONG" ? "BUY" : "SELL";
    const touch = side === "BUY" ? (mark.ask ?? mark.last) : (mark.bid ?? mark.last);
    const refPrice = touch === mark.last ? markDecimal(mark) : new Decimal(touch);
    const sized = this.size(signal, settings, instrument, refPrice, side);
    if (!sized.ok) return sized.result;
    const existing = open.find((r) => r.position.side === wantSide);
    return this.placeEntry({
      instrument,
      side,
      quantity: sized.quantity,
      refPrice,
      signal,
      positionRecord: existing ?? null,
      now,
      settings,
      equity: sized.equity,
    });
  }

  private size(
    signal: Signal,
    settings: SymbolSettings,
    instrument: Instrument,
    price: Decimal,
    side: OrderSide,
  ): { ok: true; quantity: Decimal; equity: Decimal } | { ok: false; result: CommandResult } {
    const equity = this.equity().equity;
    const constraints = { qtyStep: instrument.qtyStep, minQty: instrument.minQty, ...(instrument.maxQty ? { maxQty: instrument.maxQty } : {}) };
    const sizing = settings.sizing;
    let outcome;
    switch (sizing.method) {
      case "all_in": {
        // The whole equity, fee and expected slippage included; rounded down so the cost never exceeds it.
        const fillPrice = executionPrice(side, price, this.expectedSlippageBps);
        // Never more than the venue says is free: its books, not ours, decide what an order may spend.
        const free = this.venue.freeBalance(instrument.quote);
        const budget = free !== null && cmp(free, equity) < 0 ? free : equity;
        // Back to the standard class at once: later arithmetic on qty must round like everything else.
        const qty = new Decimal(new DecimalDown(budget).dividedBy(fillPrice.times(onePlus(instrument.takerFee))));
        const stepped = roundQty(instrument, qty, "down");
        return isPositive(stepped)
          ? { ok: true, quantity: stepped, equity }
          : { ok: false, result: fail("ZERO_SIZE", `Equity ${equity.toString()} buys no ${instrument.base} at ${price.toString()}.`) };
      }
      case "fixed_fraction":
        outcome = sizeFixedFraction({ equity, fraction: sizing.fraction, price }, constraints);
        break;
      case "confidence":
        outcome = sizeByConfidence({ baseQty: equity.times(sizing.fraction).dividedBy(price), confidence: signal.confidence, price }, constraints);
        break;
      case "fixed_risk": {
        const stop =
          signal.stopLoss != null
            ? D(signal.stopLoss)
            : settings.stopLossPct !== null
              ? price.times(side === "BUY" ? 1 - settings.stopLossPct / 100 : 1 + settings.stopLossPct / 100)
              : null;
        if (!stop) return { ok: false, result: fail("NO_STOP", "fixed_risk sizing needs a stop-loss (signal stopLoss or the symbol's stopLossPct).") };
        outcome = sizeFixedRisk({ equity, riskFraction: sizing.riskFraction, entry: price, stop, side }, constraints);
        break;
      }
    }
    if (!outcome.ok) return { ok: false, result: fail(outcome.error.code, outcome.error.message) };
    if (outcome.value.zeroReason) return { ok: false, result: fail(outcome.value.zeroReason.code, outcome.value.zeroReason.message) };
    return { ok: true, quantity: outcome.value.quantity, equity };
  }

  private placeEntry(input: {
    instrument: Instrument;
    side: OrderSide;
    quantity: Decimal;
    refPrice: Decimal;
    signal: Signal | null;
    positionRecord: PositionRecord | null;
    now: number;
    settings: SymbolSettings;
    /** Equity as sizing saw it (same command: unchanged). */
    equity?: Decimal;
  }): CommandResult {
    const { instrument, side, signal, now } = input;
    const clientOrderId = this.ids.next("bst");
    const positionId = input.positionRecord?.position.id ?? this.ids.next("pos");
    const spec: OrderSpec = {
      clientOrderId,
      symbol: instrument.symbol,
      side,
      type: "MARKET",
      quantity: input.quantity,
      timeInForce: "GTC",
      tags: {
        positionId,
        reason: "entry",
        ...(signal ? { signalId: signal.id, strategy: signal.strategy } : {}),
      },
      venue: this.venue.id,
      ts: now,
    };
    const meta: PositionRecord["meta"] = {
      strategy: signal?.strategy ?? null,
      signalId: signal?.id ?? null,
      stopLoss: signal?.stopLoss ?? null,
      takeProfit: signal?.takeProfit ?? null,
      entryOrderId: clientOrderId,
    };
    return this.placeOrder(spec, {
      refPrice: input.refPrice,
      ...(input.equity && { equity: input.equity }),
      confidence: signal?.confidence,
      newPosition: input.positionRecord ? null : { id: positionId, side: side === "BUY" ? "LONG" : "SHORT", meta },
    });
  }

  /**
   * Every new order passes here: validation, the risk gate, the journal, then the venue.
   * `newPosition`: an entry that opens a position (created OPENING in the same transaction as the intent).
   */
  private placeOrder(
    spec: OrderSpec,
    ctx: {
      refPrice: Decimal;
      equity?: Decimal;
      confidence?: number;
      newPosition?: { id: string; side: PositionSide; meta: PositionRecord["meta"] } | null;
    },
  ): CommandResult {
    const stopped = this.refusalWhenStopped();
    if (stopped) return stopped;
    const now = this.clock.now();
    const instrument = this.instruments.get(spec.symbol);
    if (!instrument) return fail("UNKNOWN_SYMBOL", `${spec.symbol} is not traded on ${this.venue.id}.`);
    const mark = this.marks.get(spec.symbol);
    // A Mark is a market snapshot (last, bid?, ask?) as it is.
    const validation = validateOrderSpec(spec, { instrument, market: mark, now });
    if (!validation.ok) return fail(validation.error.code, validation.error.message);
    // Stamped with this command's time (the spec's own ts, when it has one, is the creation time it asked for).
    const normalized = validation.value.ts === now ? validation.value : { ...validation.value, ts: now };
    const quantity = normalized.quantity;
    const gate = checkPreTrade({
      order: {
        symbol: spec.symbol,
        side: spec.side,
        quantity,
        price: normalized.price !== undefined ? D(normalized.price) : ctx.refPrice,
        reduceOnly: spec.reduceOnly ?? false,
        ...(ctx.confidence !== undefined && { confidence: ctx.confidence }),
        ...(this.expectedSlippageBps > 0 && !spec.reduceOnly && { expectedSlippageBps: this.expectedSlippageBps }),
      },
      tradingState: this.tradingState,
      portfolio: this.riskPortfolio(ctx.equity),
      recentOrderTimestamps: this.recentOrderTimes,
      now,
      limits: this.coreRiskLimits(),
      feeRate: instrument.takerFee,
      collectAll: false,
    });
    if (!gate.ok) return fail(gate.error.code, gate.error.message, { denials: gate.denials.map((d) => d.code) });

    let order = createOrder(normalized);
    const meta: OrderMeta = {
      venue: this.venue.id,
      positionId: spec.tags?.positionId ?? null,
      requestedPrice: normalized.price !== undefined ? D(normalized.price) : ctx.refPrice,
    };
    // A trigger order the venue cannot hold stays with the engine (EMULATED) until its trigger fires.
    const emulate = TRIGGER_TYPES.has(order.type) && this.venue.holdsNatively?.(normalized) === false;
    const submitted = applyOrderEvent(order, { type: emulate ? "emulate" : "submit", ts: now });
    if (!submitted.ok) return fail(submitted.reason.code, submitted.reason.message);
    // Journal first: the intent and the submit are durable before the venue hears of the order.
    this.transaction(
      () => {
        if (ctx.newPosition) {
          const position = openPosition({ id: ctx.newPosition.id, symbol: spec.symbol, side: ctx.newPosition.side, ts: now });
          const record: PositionRecord = { position, exit: null, meta: ctx.newPosition.meta, exitOrderId: null };
          this.positions.set(position.id, record);
          this.persistPosition(record, position, null);
        }
        this.store.appendJournal({ clientOrderId: order.clientOrderId, type: "intent", source: "engine", payload: normalized, applied: true, ts: now });
        const first = emulate ? "emulate" : "submit";
        this.store.appendJournal({
          clientOrderId: order.clientOrderId,
          type: first,
          source: "engine",
          payload: { type: first, ts: now },
          applied: true,
          ts: now,
        });
        const inFlight = this.signalInFlight;
        if (inFlight) {
          // Provisional (onSignal writes the final row): the signal is known received from the moment its order may reach the venue.
          this.store.saveSignal(
            this.signalRecord(inFlight.signal, inFlight.source, inFlight.receivedAt, done("order journaled", { clientOrderId: order.clientOrderId })),
          );
        }
        order = submitted.order;
        this.orders.set(order.clientOrderId, { order, meta });
        if (emulate) this.emulated.add(order.clientOrderId);
        this.store.saveOrder(order, meta);
      },
      emulate
        ? `order ${order.clientOrderId} journaled, held by the engine until its trigger fires`
        : `order ${order.clientOrderId} journaled before it is sent to ${this.venue.id}`,
    );
    this.recentOrderTimes.push(now);
    // The gate counts the last minute itself; old times are dropped when the list has doubled since the last trim
    // (amortized O(1) per order, instead of a copy of the whole minute on every order at a high rate).
    if (this.recentOrderTimes.length > this.recentOrderTrimAt) {
      this.recentOrderTimes = this.recentOrderTimes.filter((t) => t > now - 60_000);
      this.recentOrderTrimAt = Math.max(1000, 2 * this.recentOrderTimes.length);
    }
    this.bus.publish({ type: "order", order });
    if (emulate) {
      this.afterBreakerCall(this.breaker?.recordOrder() ?? null);
      return done(
        `${spec.side} ${quantity.toString()} ${spec.symbol} ${spec.type} held by the engine: ${this.venue.id} cannot hold it, so it is released when its trigger fires.`,
        {
          clientOrderId: order.clientOrderId,
          status: order.status,
        },
      );
    }

    let events: VenueEvent[];
    try {
      events = this.venue.submit(normalized, now);
    } catch (e) {
      // A synchronous refusal by the adapter (e.g. a final error before sending).
      const message = e instanceof Error ? e.message : String(e);
      events = [{ clientOrderId: order.clientOrderId, event: { type: "reject", reason: message, ts: now } }];
      this.onVenueError();
    }
    this.ingest(events, "venue");
    this.afterBreakerCall(this.breaker?.recordOrder() ?? null);
    const final = this.orders.get(order.clientOrderId)?.order ?? this.store.getOrder(order.clientOrderId)?.order ?? order;
    if (final.status === "REJECTED") return fail("VENUE_REJECTED", final.reason ?? "The venue rejected the order.", { clientOrderId: final.clientOrderId });
    return done(`${spec.side} ${quantity.toString()} ${spec.symbol} ${spec.type} sent (${final.status}).`, {
      clientOrderId: order.clientOrderId,
      status: final.status,
    });
  }

  private onVenueError(): void {
    this.afterBreakerCall(this.breaker?.recordError() ?? null);
  }

  /** A venue request failed (from the ResilientVenue decorator): the breaker counts consecutive errors. */
  noteVenueError(): void {
    void this.run(() => this.onVenueError());
  }

  /** A venue request succeeded: the breaker's consecutive-error count starts over. */
  noteVenueSuccess(): void {
    if (!this.breaker) return;
    void this.run(() => this.afterBreakerCall(this.breaker?.recordSuccess() ?? null));
  }

  /**
   * The portfolio as the risk gate sees it. Equity and the available quote are computed when the gate reads
   * them (percent limits; orders that add exposure): an exit that only shrinks a position needs neither.
   * `knownEquity`: when the caller has just computed it (sizing) in the same command, nothing has moved since.
   * Working reduce-only orders are counted against the positions they reduce (`exceptClientOrderId`: an order the
   * gate checks again, e.g. a released trigger, is not counted against itself).
   */
  private riskPortfolio(knownEquity?: Decimal, exceptClientOrderId?: string): RiskPortfolioView {
    const positions: RiskPosition[] = [];
    let committed = ZERO;
    for (const { position } of this.positions.values()) {
      if (position.quantity.isZero()) continue;
      const mark = this.marks.get(position.symbol);
      positions.push({
        symbol: position.symbol,
        side: position.side,
        qty: position.quantity,
        markPrice: mark ? markDecimal(mark) : (position.avgEntryPrice ?? ZERO),
      });
      committed = add(committed, position.costBasis);
    }
    // Running sums kept by the order book as orders change (O(symbols), not O(open orders)).
    const reserved = this.orders.reserved(this.markOf);
    committed = add(committed, reserved.total);
    const exits = this.orders.workingReduceOnly(exceptClientOrderId);
    return new RiskPortfolioView(this, positions, reserved.bySymbol, committed, knownEquity ?? null, exits);
  }

  private readonly markOf = (symbol: string): Decimal | null => {
    const mark = this.marks.get(symbol);
    return mark ? markDecimal(mark) : null;
  };

  /** The gate's running sums, for the consistency tests (they must equal a sum over `state().openOrders`). */
  openOrderSums(exceptClientOrderId?: string): {
    reservedBySymbol: Map<string, Decimal>;
    workingReduceOnlyBySymbol: Map<string, Partial<Record<OrderSide, Decimal>>>;
  } {
    return { reservedBySymbol: this.orders.reserved(this.markOf).bySymbol, workingReduceOnlyBySymbol: this.orders.workingReduceOnly(exceptClientOrderId) };
  }

  // ---------------------------------------------------------------------------------------------
  // Venue events: journal, apply to the FSM, book fills to positions.

  private ingest(events: VenueEvent[], source: "venue" | "reconcile"): void {
    for (const { clientOrderId, event } of events) this.ingestOne(clientOrderId, event, source);
  }

  private ingestOne(clientOrderId: string, event: OrderEvent, source: "venue" | "reconcile"): void {
    const record = this.orders.get(clientOrderId) ?? this.store.getOrder(clientOrderId);
    const ts = event.ts ?? this.clock.now();
    if (!record) {
      if (this.onUnknownOrderCancelEvent(clientOrderId, event, source, ts)) return;
      this.store.appendJournal({ clientOrderId, type: event.type, source, payload: event, applied: false, refusal: "UNKNOWN_ORDER", ts });
      this.drift("UNKNOWN_ORDER_EVENT", clientOrderId, { event: event.type }, false, null);
      return;
    }
    if (event.type === "fill" && this.store.hasFill(record.meta.venue, String(event.tradeId))) return; // exactly once
    const result = applyOrderEvent(record.order, event);
    if (!result.ok) {
      this.store.appendJournal({
        clientOrderId,
        type: event.type,
        source,
        payload: event,
        applied: false,
        refusal: `${result.reason.code}: ${result.reason.message}`,
        ts,
      });
      if (result.reason.code === "TERMINAL" && (event.type === "accept" || event.type === "trigger") && record.order.status !== "FILLED")
        this.checkEndedOrder(clientOrderId);
      // A fill the order cannot take (over its quantity, or on a FILLED order) is not booked: it may be an
      // execution already booked, reported again under another id. Recorded and raised for a person, never silent.
      if (result.reason.code === "OVERFILL" || (event.type === "fill" && result.reason.code === "TERMINAL")) {
        const key = `${record.meta.venue}:${String((event as { tradeId?: unknown }).tradeId)}`;
        if (this.refusedFills.has(key)) return; // recorded already; every reconciliation sees it again
        this.refusedFills.add(key);
        const o = record.order;
        this.drift(
          "OVERFILL",
          clientOrderId,
          { event, status: o.status, quantity: o.quantity.toString(), filled: o.filledQty.toString() },
          false,
          "not booked: check the venue's trades",
        );
        this.bus.publish({
          type: "alert",
          level: "error",
          message: `${result.reason.message} Not booked: check ${this.venue.id}'s trades for order ${clientOrderId}.`,
        });
      }
      return;
    }
    const order = result.order;
    const late = event.type === "fill" && TERMINAL_STATUSES.has(record.order.status);
    this.transaction(() => {
      this.store.appendJournal({ clientOrderId, type: event.type, source, payload: event, applied: true, ts });
      this.orders.replaceOrder(record, order);
      this.store.saveOrder(order, record.meta);
      if (event.type === "fill") this.bookFill(record, event, late, ts);
    });
    this.settleOrder(record);
    if (late && event.type === "fill") this.noteLateFill(record, event);
  }

  /** After an order changed: positions learn it ended, the in-memory set follows, the bus and a running emergency stop hear of it. */
  private settleOrder(record: OrderRecord): void {
    if (this.bookingFill) this.afterFillCommit();
    const order = record.order;
    if (order.status !== "EMULATED") this.emulated.delete(order.clientOrderId);
    if (isTerminal(order)) this.onOrderDone(record);
    if (TERMINAL_STATUSES.has(order.status)) this.orders.delete(order.clientOrderId);
    else this.orders.set(order.clientOrderId, record);
    this.bus.publish({ type: "order", order });
    if (TERMINAL_STATUSES.has(order.status)) this.onHaltOrderEnded(order.clientOrderId, order.status);
    if (this.inDoubt.size > 0) this.onInDoubtOrderChanged(order);
  }

  private bookFill(record: OrderRecord, event: Extract<OrderEvent, { type: "fill" }>, late: boolean, ts: number): void {
    this.bookingFill = true; // inside the fill's transaction: venue calls wait for its commit (settleOrder)
    const order = record.order;
    const qty = D(event.qty);
    const price = D(event.price);
    const fee = D(event.fee ?? 0);
    const tradeId = String(event.tradeId);
    let positionRecord = record.meta.positionId ? this.positions.get(record.meta.positionId) : undefined;
    if (!positionRecord || positionRecord.position.state === "CLOSED") {
      // A real execution with no open position to book it to (e.g. a late fill after the position closed):
      // it opens a position of its own, never dropped.
      const side: PositionSide = order.side === "BUY" ? "LONG" : "SHORT";
      const position = openPosition({ id: this.ids.next("pos"), symbol: order.symbol, side, ts });
      positionRecord = {
        position,
        exit: null,
        meta: { strategy: order.tags.strategy ?? null, signalId: order.tags.signalId ?? null, entryOrderId: order.reduceOnly ? null : order.clientOrderId },
        exitOrderId: null,
      };
      this.positions.set(position.id, positionRecord);
      if (record.meta.positionId && !late)
        this.drift("ORPHAN_FILL", order.clientOrderId, { tradeId, positionId: record.meta.positionId }, true, `booked to new position ${position.id}`);
      record.meta = { ...record.meta, positionId: position.id };
    }
    const fillRecord: FillRecord = {
      venue: record.meta.venue,
      tradeId,
      clientOrderId: order.clientOrderId,
      symbol: order.symbol,
      side: order.side,
      qty,
      price,
      fee,
      feeCurrency: this.quote,
      liquidity: event.liquidity ?? null,
      ts,
      positionId: positionRecord.position.id,
      late,
    };
    if (!this.store.insertFill(fillRecord)) return;
    this.noteQuoteFlow(order, qty, price, fee);
    const applied = applyFill(positionRecord.position, { tradeId, side: order.side, qty, price, fee, ts });
    if (!applied.ok) {
      this.drift("POSITION_FILL_REFUSED", order.clientOrderId, { tradeId, code: applied.error.code, message: applied.error.message }, false, null);
      return;
    }
    const { position, excess, excessFee } = applied.value;
    positionRecord.position = position;
    if (positionRecord.exit === null && position.state !== "CLOSED" && !order.reduceOnly) {
      const config = exitConfigFor(this.settingsFor(order.symbol), positionRecord.meta);
      positionRecord.exit = createExitState({ ...config, qtyStep: this.instruments.get(order.symbol)?.qtyStep });
    }
    this.persistPosition(positionRecord, position, positionRecord.exit);
    this.bus.publish({ type: "fill", clientOrderId: order.clientOrderId, symbol: order.symbol, side: order.side, qty, price, fee, tradeId, ts, late });
    this.bus.publish({ type: "position", position });
    if (position.state === "CLOSED") this.finishPosition(positionRecord, order);
    if (isPositive(excess)) {
      // An exit larger than the position: the rest is a real opposite position.
      const side: PositionSide = position.side === "LONG" ? "SHORT" : "LONG";
      const flipped = openPosition({ id: this.ids.next("pos"), symbol: order.symbol, side, ts });
      const flippedFill = applyFill(flipped, { tradeId, side: order.side, qty: excess, price, fee: excessFee, ts });
      if (flippedFill.ok) {
        const rec: PositionRecord = { position: flippedFill.value.position, exit: null, meta: { strategy: null, signalId: null }, exitOrderId: null };
        this.positions.set(rec.position.id, rec);
        this.persistPosition(rec, rec.position, null);
        this.drift("OVER_CLOSE", order.clientOrderId, { excess: excess.toString() }, true, `opened ${rec.position.id}`);
      }
    }
    if (this.equitySnapshotOnFill) this.recordEquity("fill");
    this.updateBreakerEquity();
  }

  private finishPosition(record: PositionRecord, closingOrder: Order): void {
    const position = record.position;
    this.positions.delete(position.id);
    this.onHaltPositionClosed(position.id);
    this.closedRealizedNet = this.closedRealizedNet.plus(position.realizedPnlNet);
    this.saveAccounting();
    const exitReason = closingOrder.tags.reason && closingOrder.tags.reason !== "entry" ? closingOrder.tags.reason : "signal";
    const entryNotional = position.entryNotional;
    const pnl = position.realizedPnlNet;
    const entryPrice = averageEntryPrice(position);
    const exitPrice = position.avgExitPrice ?? ZERO;
    const entryOrderId = record.meta.entryOrderId ?? null;
    const requested = entryOrderId
      ? (this.orders.get(entryOrderId)?.meta.requestedPrice ?? this.store.getOrder(entryOrderId)?.meta.requestedPrice ?? null)
      : null;
    const exitRequested =
      this.orders.get(closingOrder.clientOrderId)?.meta.requestedPrice ?? this.store.getOrder(closingOrder.clientOrderId)?.meta.requestedPrice ?? null;
    const trade: TradeRecord = {
      id: `trd-${position.id}`,
      positionId: position.id,
      symbol: position.symbol,
      side: position.side,
      quantity: position.entryQuantity,
      entryPrice,
      exitPrice,
      entryTime: position.fills[0]?.ts ?? position.openedAt,
      exitTime: position.closedAt ?? this.clock.now(),
      fees: position.fees,
      grossPnl: position.realizedPnl,
      pnl,
      pnlPct: ratioNumber(pnl, entryNotional, 100, 6) ?? 0,
      outcome: pnl.isZero() ? "BREAKEVEN" : pnl.isNegative() ? "LOSS" : "WIN",
      exitReason,
      requestedPrice: requested,
      entrySlippageBps: slippageBps(requested, entryPrice, position.side === "LONG"),
      exitSlippageBps: slippageBps(exitRequested, exitPrice, position.side === "SHORT"),
      strategy: record.meta.strategy,
      signalId: record.meta.signalId,
    };
    this.store.insertTrade(trade);
    this.onTradeClosed(trade);
    // Exit orders still working for this position have nothing left to reduce. This runs inside the fill's
    // transaction: their cancels go out once it commits (settleOrder), so a rolled-back fill sent none.
    for (const other of valuesOf(this.orders)) {
      if (other.meta.positionId === position.id && !isTerminal(other.order) && other.order.clientOrderId !== closingOrder.clientOrderId) {
        this.cancelsAfterCommit.push(other);
      }
    }
  }

  /**
   * What a fill's booking decided that calls the venue — cancels of the closed position's other orders, a breaker
   * trip's action (cancel-all, flatten) — runs after the fill's transaction committed (settleOrder); when it fails,
   * the reload drops it, and the books never show a request the venue got for something that did not commit.
   */
  private bookingFill = false;
  private cancelsAfterCommit: OrderRecord[] = [];
  private tripsAfterCommit: BreakerTrip[] = [];

  private afterFillCommit(): void {
    this.bookingFill = false;
    const records = this.cancelsAfterCommit;
    const trips = this.tripsAfterCommit;
    this.cancelsAfterCommit = [];
    this.tripsAfterCommit = [];
    for (const record of records) if (!isTerminal(record.order)) this.requestCancel(record);
    for (const trip of trips) {
      this.recordTrip(trip);
      this.applyTripAction(trip);
    }
  }

  /** Hook for the backtest's trade list; the live desk reads trades from the store. */
  protected onTradeClosed(trade: TradeRecord): void {
    this.afterBreakerCall(this.breaker?.recordTrade(trade.pnl) ?? null);
  }

  private onOrderDone(record: OrderRecord): void {
    const order = record.order;
    const positionId = record.meta.positionId;
    const positionRecord = positionId ? this.positions.get(positionId) : undefined;
    if (!positionRecord) return;
    if (positionRecord.exitOrderId === order.clientOrderId) positionRecord.exitOrderId = null;
    if (order.reduceOnly && positionRecord.pendingClose && this.workingExitsFor(positionRecord.position.id).length === 0) this.sendPendingClose(positionRecord);
    // An entry that ended without any fill leaves an empty position: abandon it — unless other entries
    // still work for it (several resting limits can target one position), which may yet fill it.
    if (
      !order.reduceOnly &&
      order.filledQty.isZero() &&
      positionRecord.position.quantity.isZero() &&
      positionRecord.position.fills.length === 0 &&
      !this.othersWorkingFor(positionRecord.position.id, order.clientOrderId)
    ) {
      this.positions.delete(positionRecord.position.id);
      const abandoned: Position = { ...positionRecord.position, state: "CLOSED", closedAt: this.clock.now() };
      this.persistPosition(positionRecord, abandoned, null);
    }
  }

  /** Whether another order still works for this position (several resting entries may target one). */
  private othersWorkingFor(positionId: string, exceptClientOrderId: string): boolean {
    for (const r of this.orders.values()) {
      if (r.meta.positionId === positionId && r.order.clientOrderId !== exceptClientOrderId && !isTerminal(r.order)) return true;
    }
    return false;
  }

  /**
   * Journal first for a cancel: the request (the order moves to PENDING_CANCEL) commits before the venue hears of it.
   * `audit` says what committed, for a manual command's audit row. False when the order cannot be canceled now.
   */
  private journalCancelRequest(record: OrderRecord, now: number, audit: string): boolean {
    const pending = applyOrderEvent(record.order, { type: "cancelRequest", ts: now });
    if (!pending.ok) return false;
    this.transaction(() => {
      this.store.appendJournal({
        clientOrderId: record.order.clientOrderId,
        type: "cancelRequest",
        source: "engine",
        payload: { type: "cancelRequest", ts: now },
        applied: true,
        ts: now,
      });
      this.orders.replaceOrder(record, pending.order);
      this.store.saveOrder(record.order, record.meta);
    }, audit);
    return true;
  }

  private requestCancel(record: OrderRecord): void {
    if (this.stopInfo) return;
    const now = this.clock.now();
    if (record.order.status === "EMULATED") {
      // Never sent: nothing to cancel at the venue.
      this.ingestLocal(record, { type: "cancel", reason: "canceled (held by the engine, never sent)", ts: now });
      return;
    }
    if (!this.journalCancelRequest(record, now, `cancel of ${record.order.clientOrderId} journaled before it is sent to ${this.venue.id}`)) return;
    this.ingest(this.venue.cancel(record.order.clientOrderId, now), "venue");
  }

  // ---------------------------------------------------------------------------------------------
  // Market data: venue matching, marks, exits, equity for the breaker.

  private onMarketData(update: MarketUpdate, options?: { evaluateExits?: boolean }): void {
    if (this.stopInfo) return; // a simulated venue would match and book: nothing more happens in this process
    const now = this.clock.now();
    const events = this.venue.onMarketData(update, now);
    if (events.length > 0) this.ingest(events, "venue");
    const mark = this.updateMark(update, now);
    if (!mark) return;
    if (this.emulated.size > 0) this.watchEmulated(update.symbol, mark, now);
    if (options?.evaluateExits !== false) this.evaluateExitsFor(update.symbol, mark, now);
    if (this.breaker && this.positions.size > 0) this.updateBreakerEquity();
  }

  /** Sets a mark without venue matching (the backtest sets the bar's open before signals are sized). */
  setMark(symbol: string, price: number, ts: number): void {
    const mark = this.marks.get(symbol);
    if (mark && mark.bid === undefined && mark.ask === undefined) {
      // A last-price mark moves in place (once per candle in a backtest: no object each time).
      mark.last = price;
      mark.ts = ts;
      mark.lastDec = undefined;
    } else {
      this.marks.set(symbol, { last: price, ts });
    }
  }

  private updateMark(update: MarketUpdate, now: number): Mark | null {
    let mark: Mark;
    switch (update.kind) {
      case "quote":
        mark = { last: (update.bid + update.ask) / 2, bid: update.bid, ask: update.ask, ts: now };
        break;
      case "trade":
        mark = { ...this.marks.get(update.symbol), last: update.price, ts: now };
        break;
      case "candle":
        mark = { last: update.close, ts: now };
        break;
      case "book": {
        const bid = update.bids[0]?.[0];
        const ask = update.asks[0]?.[0];
        if (bid === undefined || ask === undefined) return null;
        mark = { last: (bid + ask) / 2, bid, ask, ts: now };
        break;
      }
      case "mark":
        mark = { ...this.marks.get(update.symbol), last: update.price, ts: now };
        break;
    }
    this.marks.set(update.symbol, mark);
    return mark;
  }

  private evaluateExitsFor(symbol: string, mark: Mark, now: number): void {
    for (const record of valuesOf(this.positions)) {
      if (record.position.symbol !== symbol || !exitHasRules(record.exit) || record.position.quantity.isZero()) continue;
      if (record.exitOrderId !== null) continue; // an exit is already working
      if (record.pendingClose?.quantity === null) continue; // a full close waits for the working exits to end
      const result = evaluateExits(record.position, record.exit, {
        price: mark.last,
        ts: now,
        ...(mark.bid !== undefined && { bid: mark.bid }),
        ...(mark.ask !== undefined && { ask: mark.ask }),
      });
      const changed = result.state !== record.exit;
      record.exit = result.state;
      const intent = result.intents[0];
      if (intent) this.placeExit(record, intent);
      else if (changed && (result.state.trailingStop !== null || result.state.firedLevels.length > 0)) {
        this.persistPosition(record, record.position, record.exit);
      }
    }
  }

  private placeExit(record: PositionRecord, intent: ExitIntent): void {
    const quantity = cmp(intent.qty, record.position.quantity) > 0 ? record.position.quantity : intent.qty;
    const result = this.closeWhenFree(record, quantity, cmp(quantity, record.position.quantity) >= 0, intent.reason, D(intent.marketPrice));
    this.persistPosition(record, record.position, record.exit);
    if (!result.ok) this.log("warn", `exit ${intent.reason} for ${record.position.id} refused: ${result.code} ${result.message}`);
  }

  /** Non-terminal reduce-only orders of a position (its working exits, resting take-profits, stops). */
  private workingExitsFor(positionId: string): OrderRecord[] {
    const out: OrderRecord[] = [];
    for (const r of this.orders.values()) if (r.meta.positionId === positionId && r.order.reduceOnly && !isTerminal(r.order)) out.push(r);
    return out;
  }

  private closeRefPrice(record: PositionRecord): Decimal {
    const mark = this.marks.get(record.position.symbol);
    return mark ? markDecimal(mark) : (record.position.avgEntryPrice ?? ZERO);
  }

  /**
   * One exit at a time: a close (button, close-all, CLOSE signal, exit rule, flatten) never sends a second exit
   * while others work for the position — on a venue that confirms later both would execute and sell coins the
   * desk does not hold. Market exits already on their way that cover the close are awaited; other working exits
   * (resting limits, stops, a smaller market exit) are canceled, and the close goes out when the venue confirms
   * the last of them ended (`pendingClose`, sent from onOrderDone). A full close waits for the rest in any case,
   * so an exit that ends short of flat is followed by one for what is left.
   */
  private closeWhenFree(record: PositionRecord, quantity: Decimal, full: boolean, reason: string, refPrice: Decimal): CommandResult {
    const positionId = record.position.id;
    let working = this.workingExitsFor(positionId);
    if (working.length === 0) {
      record.exitOrderId = null;
      return this.placeReduceOnly(record, quantity, reason, refPrice);
    }
    // A close already waiting is merged into this one (below), never sent on its own while this one decides.
    const previous = record.pendingClose;
    record.pendingClose = null;
    const waitFor = (verb: string): CommandResult => {
      // A close already waiting merges with this one: the larger wins (all of it beats a part).
      const quantityLeft = full || previous?.quantity === null ? null : previous && cmp(previous.quantity, quantity) > 0 ? previous.quantity : quantity;
      record.pendingClose = { quantity: quantityLeft, reason };
      this.persistPosition(record); // a restart still sends it when the exits end
      const ids = working.map((w) => w.order.clientOrderId);
      const what = quantityLeft === null ? "the rest of the position" : `${quantityLeft.toString()} of it`;
      return done(
        `Position ${positionId} has ${ids.length} exit order(s) working (${ids.join(", ")}): no second exit sent; ${verb}, then ${what} is closed if anything is left.`,
        {
          pending: true,
          waitingFor: ids,
        },
      );
    };
    let covering = ZERO;
    for (const w of working) if (w.order.type === "MARKET" && w.order.status !== "PENDING_CANCEL") covering = add(covering, leavesQty(w.order));
    if (cmp(covering, quantity) >= 0) {
      if (!full) {
        record.pendingClose = previous ?? null;
        return done(`Position ${positionId} is already being closed by ${working.map((w) => w.order.clientOrderId).join(", ")}: no second exit sent.`, {
          pending: true,
          waitingFor: working.map((w) => w.order.clientOrderId),
        });
      }
      return waitFor("the close waits for them to end");
    }
    for (const w of working) if (w.order.status !== "PENDING_CANCEL") this.requestCancel(w);
    working = this.workingExitsFor(positionId);
    if (working.length === 0) {
      // The venue confirmed the cancels at once (the simulator): the close goes out now.
      record.exitOrderId = null;
      if (!this.positions.has(positionId) || record.position.quantity.isZero()) return done(`Position ${positionId} was closed by its working exit orders.`);
      const left = cmp(quantity, record.position.quantity) > 0 ? record.position.quantity : quantity;
      const all = full || previous?.quantity === null;
      return this.placeReduceOnly(record, all ? record.position.quantity : left, reason, refPrice);
    }
    return waitFor(`their cancel was requested and the close goes out once ${this.venue.id} confirms it`);
  }

  /** The position's last working exit ended: a close that waited for it goes out now, for what is left. */
  private sendPendingClose(record: PositionRecord): void {
    const pending = record.pendingClose;
    if (!pending) return;
    record.pendingClose = null;
    const held = record.position.quantity;
    if (!this.positions.has(record.position.id) || held.isZero()) return;
    const quantity = pending.quantity === null || cmp(pending.quantity, held) > 0 ? held : pending.quantity;
    const result = this.placeReduceOnly(record, quantity, pending.reason, this.closeRefPrice(record));
    if (this.positions.has(record.position.id)) this.persistPosition(record);
    if (!result.ok) {
      this.log("warn", `close of ${record.position.id} after its working exits ended refused: ${result.code} ${result.message}`);
      this.bus.publish({
        type: "alert",
        level: "error",
        message: `The close of position ${record.position.id} was refused after its working exits ended: ${result.message}`,
      });
    }
  }

  private placeReduceOnly(record: PositionRecord, quantity: Decimal, reason: string, refPrice: Decimal): CommandResult {
    const position = record.position;
    const side: OrderSide = position.side === "LONG" ? "SELL" : "BUY";
    const closing = cmp(quantity, position.quantity) >= 0;
    if (closing) {
      const marked = markClosing(position);
      if (marked.ok) record.position = marked.value;
    }
    const clientOrderId = this.ids.next("bst");
    const result = this.placeOrder(
      {
        clientOrderId,
        symbol: position.symbol,
        side,
        type: "MARKET",
        quantity,
        reduceOnly: true,
        timeInForce: "GTC",
        tags: { positionId: position.id, reason, ...(record.meta.strategy ? { strategy: record.meta.strategy } : {}) },
        venue: this.venue.id,
      },
      { refPrice },
    );
    if (result.ok && this.orders.has(clientOrderId)) record.exitOrderId = clientOrderId;
    return result;
  }

  // ---------------------------------------------------------------------------------------------
  // Emulated orders: trigger orders the venue cannot hold, watched here and released as market or limit orders.

  /** Applies an engine-side event (journaled, like every event) to an order that never reached the venue. */
  private ingestLocal(record: OrderRecord, event: OrderEvent): boolean {
    const result = applyOrderEvent(record.order, event);
    const ts = event.ts ?? this.clock.now();
    if (!result.ok) {
      this.store.appendJournal({
        clientOrderId: record.order.clientOrderId,
        type: event.type,
        source: "engine",
        payload: event,
        applied: false,
        refusal: `${result.reason.code}: ${result.reason.message}`,
        ts,
      });
      return false;
    }
    this.transaction(() => {
      this.store.appendJournal({ clientOrderId: record.order.clientOrderId, type: event.type, source: "engine", payload: event, applied: true, ts });
      this.orders.replaceOrder(record, result.order);
      this.store.saveOrder(record.order, record.meta);
    });
    this.settleOrder(record);
    return true;
  }

  private watchEmulated(symbol: string, mark: Mark, now: number): void {
    const observation = { last: mark.last, ...(mark.bid !== undefined && { bid: mark.bid }), ...(mark.ask !== undefined && { ask: mark.ask }) };
    const tick = this.instruments.get(symbol)?.priceTick;
    for (const clientOrderId of [...this.emulated]) {
      const record = this.orders.get(clientOrderId);
      const order = record?.order;
      if (!record || !order || order.status !== "EMULATED" || order.symbol !== symbol) continue;
      if (order.trailing) {
        const moved = updateTrailingStop(order.trailing, order.side, observation, {
          source: order.triggerSource,
          ...(tick ? { tick } : {}),
          currentTriggerPrice: order.triggerPrice,
        });
        if (moved.changed) {
          // The emulator's own state (the ratcheting trigger) is saved with the order; it is not a venue event.
          this.orders.replaceOrder(record, {
            ...order,
            trailing: moved.trailing,
            triggerPrice: moved.triggerPrice ?? order.triggerPrice,
            ...(moved.limitPrice ? { price: moved.limitPrice } : {}),
          });
          this.store.saveOrder(record.order, record.meta);
        }
      }
      const current = record.order;
      if (current.triggerPrice === null) continue;
      if (
        !shouldTrigger(
          { type: current.type, side: current.side, triggerPrice: current.triggerPrice.toNumber(), triggerSource: current.triggerSource },
          observation,
        )
      )
        continue;
      this.release(record, mark, now);
    }
  }

  /** The trigger fired: trigger → release → the risk gate again → submit as a market or limit order with the same clientOrderId. */
  private release(record: OrderRecord, mark: Mark, now: number): void {
    if (this.stopInfo) return;
    if (!this.ingestLocal(record, { type: "trigger", ts: now })) return;
    if (!this.ingestLocal(record, { type: "release", ts: now })) return;
    const order = record.order;
    const asLimit = TRIGGERABLE_LIMIT_TYPES.has(order.type) && order.price !== null;
    const refPrice = asLimit ? order.price! : new Decimal(order.side === "BUY" ? (mark.ask ?? mark.last) : (mark.bid ?? mark.last));
    const gate = checkPreTrade({
      order: { symbol: order.symbol, side: order.side, quantity: leavesQty(order), price: refPrice, reduceOnly: order.reduceOnly },
      tradingState: this.tradingState,
      portfolio: this.riskPortfolio(undefined, order.clientOrderId),
      recentOrderTimestamps: this.recentOrderTimes,
      now,
      limits: this.coreRiskLimits(),
      collectAll: false,
    });
    if (!gate.ok) {
      this.ingestLocal(record, { type: "deny", reason: `${gate.error.code}: ${gate.error.message}`, ts: now });
      return;
    }
    if (!this.ingestLocal(record, { type: "submit", ts: now })) return;
    const child: OrderSpec = {
      clientOrderId: order.clientOrderId,
      symbol: order.symbol,
      side: order.side,
      type: asLimit ? "LIMIT" : "MARKET",
      quantity: leavesQty(order),
      ...(asLimit ? { price: order.price! } : {}),
      timeInForce: asLimit ? order.timeInForce : "GTC",
      reduceOnly: order.reduceOnly,
      tags: order.tags,
      venue: this.venue.id,
      ts: now,
    };
    let events: VenueEvent[];
    try {
      events = this.venue.submit(child, now);
    } catch (e) {
      events = [{ clientOrderId: order.clientOrderId, event: { type: "reject", reason: e instanceof Error ? e.message : String(e), ts: now } }];
      this.onVenueError();
    }
    this.ingest(events, "venue");
  }

  // ---------------------------------------------------------------------------------------------
  // Manual actions

  private onManualOrder(request: ManualOrderRequest, actor: Actor): CommandResult {
    const instrument = this.instruments.get(request.symbol);
    if (!instrument) return fail("UNKNOWN_SYMBOL", `${request.symbol} is not traded on ${this.venue.id}.`);
    const mark = this.marks.get(request.symbol);
    const refPrice = request.price ? D(request.price) : mark ? markDecimal(mark) : null;
    if (!refPrice) return fail("NO_MARKET_PRICE", `No market price for ${request.symbol} yet.`);
    const wantSide: PositionSide = request.side === "BUY" ? "LONG" : "SHORT";
    const open = this.openPositionsFor(request.symbol);
    const reducing = open.find((r) => r.position.side !== wantSide);
    if (request.reduceOnly && !reducing)
      return fail("INVALID_REDUCE_ONLY", `There is no ${request.symbol} position this reduce-only ${request.side} would reduce.`);
    if (!request.reduceOnly && wantSide === "SHORT" && instrument.kind === "spot" && !reducing) {
      return fail("SHORT_NOT_SUPPORTED", `${request.symbol} is spot: selling needs a long position to sell from.`);
    }
    const target = reducing ?? open.find((r) => r.position.side === wantSide) ?? null;
    const positionId = target?.position.id ?? this.ids.next("pos");
    const isReduce = Boolean(reducing);
    const spec: OrderSpec = {
      clientOrderId: this.ids.next("bst"),
      symbol: request.symbol,
      side: request.side,
      type: request.type,
      quantity: request.quantity,
      ...(request.price !== undefined && { price: request.price }),
      ...(request.triggerPrice !== undefined && { triggerPrice: request.triggerPrice }),
      ...(request.trailingOffset !== undefined && { trailingOffset: request.trailingOffset, trailingOffsetType: request.trailingOffsetType ?? "PRICE" }),
      ...(request.activationPrice !== undefined && { activationPrice: request.activationPrice }),
      timeInForce: request.timeInForce ?? "GTC",
      ...(request.expireAt !== undefined && { expireAt: request.expireAt }),
      postOnly: request.postOnly ?? false,
      reduceOnly: isReduce || (request.reduceOnly ?? false),
      tags: { positionId, reason: isReduce ? "manual" : "entry", strategy: "manual", manualBy: actor.username },
      venue: this.venue.id,
    };
    return this.placeOrder(spec, {
      refPrice,
      newPosition: target ? null : { id: positionId, side: wantSide, meta: { strategy: "manual", signalId: null, entryOrderId: spec.clientOrderId } },
    });
  }

  private closePosition(positionId: string, amount: { fraction?: number; quantity?: string }, reason: string): CommandResult {
    const record = this.positions.get(positionId);
    if (!record || record.position.state === "CLOSED") return fail("NOT_FOUND", `Position ${positionId} is not open.`);
    if (record.position.quantity.isZero()) return fail("NOTHING_TO_CLOSE", `Position ${positionId} has no filled quantity yet.`);
    let quantity = record.position.quantity;
    if (amount.quantity !== undefined) {
      const q = D(amount.quantity);
      if (q.greaterThan(quantity)) return fail("QUANTITY_TOO_LARGE", `Position ${positionId} holds ${quantity.toString()}; ${q.toString()} cannot be closed.`);
      quantity = q;
    } else if (amount.fraction !== undefined && amount.fraction < 1) {
      const instrument = this.instruments.get(record.position.symbol);
      quantity = instrument ? roundQty(instrument, quantity.times(amount.fraction), "down") : quantity.times(amount.fraction);
      if (quantity.isZero()) return fail("ZERO_SIZE", `${amount.fraction * 100}% of ${record.position.quantity.toString()} rounds to nothing.`);
    }
    // Working orders that reduce this position (an exit, a resting take-profit limit) would race the close and
    // hold the coins it needs: the close waits for them (canceled first, unless a market exit already covers it).
    const full = cmp(quantity, record.position.quantity) >= 0;
    const result = this.closeWhenFree(record, quantity, full, reason, this.closeRefPrice(record));
    if (!result.ok || result.data?.pending === true) return result;
    return done(`Closing ${quantity.toString()} of ${record.position.symbol} position ${positionId}.`, result.data);
  }

  private closePositions(records: PositionRecord[], reason: string): CommandResult {
    // A position whose entry has not filled yet is closed by canceling that entry (a close means "be flat").
    let entriesCanceled = 0;
    for (const record of records) {
      for (const working of valuesOf(this.orders)) {
        if (working.meta.positionId === record.position.id && !working.order.reduceOnly && !isTerminal(working.order)) {
          this.requestCancel(working);
          entriesCanceled++;
        }
      }
    }
    const results = records.filter((r) => isPositive(r.position.quantity)).map((r) => this.closePosition(r.position.id, {}, reason));
    const refused = results.find((r) => !r.ok);
    if (refused) return refused;
    if (results.length === 0 && entriesCanceled === 0) return fail("NOTHING_TO_CLOSE", "There is no filled position and no pending entry to close.");
    const first = results[0];
    const canceled = entriesCanceled > 0 ? ` ${entriesCanceled} pending entry order(s) canceled.` : "";
    return done(`Closing ${results.length} position(s).${canceled}`, first?.ok ? first.data : undefined);
  }

  private closeAll(reason: string): CommandResult {
    const open = [...this.positions.values()].filter((r) => isPositive(r.position.quantity));
    if (open.length === 0) return done("No open positions.");
    return this.closePositions(open, reason);
  }

  private cancelOrder(clientOrderId: string): CommandResult {
    const record = this.orders.get(clientOrderId);
    if (!record || isTerminal(record.order)) return fail("NOT_FOUND", `Order ${clientOrderId} is not open.`);
    this.requestCancel(record);
    const after = this.orders.get(clientOrderId)?.order.status ?? "CANCELED";
    return done(`Cancel requested for ${clientOrderId} (${after}).`, { status: after });
  }

  private cancelAllOrders(symbol: string | undefined): CommandResult {
    const now = this.clock.now();
    // A close waiting for exits to end is an order too: canceling everything drops it (a flatten sets its own).
    for (const record of this.positions.values()) {
      if (!record.pendingClose || (symbol !== undefined && record.position.symbol !== symbol)) continue;
      record.pendingClose = null;
      this.persistPosition(record);
    }
    const open = [...this.orders.values()].filter((r) => !isTerminal(r.order) && (symbol === undefined || r.order.symbol === symbol));
    for (const record of open) {
      if (record.order.status === "EMULATED") {
        this.ingestLocal(record, { type: "cancel", reason: "canceled (held by the engine, never sent)", ts: now });
        continue;
      }
      if (!this.journalCancelRequest(record, now, `cancels journaled before they are sent to ${this.venue.id}`)) continue;
    }
    // One batch request at the venue: trigger orders included.
    if (this.stopInfo) return this.refusalWhenStopped()!;
    this.ingest(this.venue.cancelAll(symbol, now), "venue");
    const stillOpen = open.filter((r) => this.orders.has(r.order.clientOrderId) && !isTerminal(this.orders.get(r.order.clientOrderId)!.order)).length;
    for (const record of this.positions.values()) if (record.exitOrderId && !this.orders.has(record.exitOrderId)) record.exitOrderId = null;
    const data = { requested: open.length, canceled: open.length - stillOpen, pending: stillOpen };
    // A real exchange confirms later: say what was asked, not "0 canceled".
    if (stillOpen > 0)
      return done(
        `Cancel requested for ${open.length} open order(s) on ${this.venue.id}: ${open.length - stillOpen} confirmed so far, ${stillOpen} awaiting the venue's confirmation.`,
        data,
      );
    return done(`Canceled ${open.length - stillOpen} of ${open.length} open order(s).`, data);
  }

  private setTradingState(state: TradingState, reason: string, by: string): void {
    const now = this.clock.now();
    this.tradingState = state;
    this.tradingStateInfo = { reason, by, since: now };
    this.transaction(() => {
      this.store.setState("tradingState", state);
      this.store.setState("tradingStateInfo", this.tradingStateInfo);
      this.store.appendBreakerEvent({ ts: now, kind: "STATE", reason: state, message: reason, by, action: null, detail: null });
    });
    this.bus.publish({ type: "tradingState", state, reason, by });
    this.latchVenue(state);
  }

  private pause(actor: Actor, reason: string | null): CommandResult {
    if (this.tradingState === "HALTED") return fail("TRADING_HALTED", "Trading is halted; pausing changes nothing until an admin resets the breaker.");
    if (this.tradingState === "REDUCING") return done("Entries are already paused.");
    this.setTradingState("REDUCING", reason ?? "entries paused", actor.username);
    return done("Entries paused: only orders that reduce exposure are allowed.");
  }

  private resume(actor: Actor, reason: string | null): CommandResult {
    if (this.tradingState === "HALTED") return fail("TRADING_HALTED", "Trading is halted: only an admin can reset the breaker, with a reason.");
    if (this.tradingState === "ACTIVE") return done("Trading is already active.");
    this.setTradingState("ACTIVE", reason ?? "entries resumed", actor.username);
    return done("Entries resumed.");
  }

  private emergencyStop(flatten: boolean, actor: Actor, reason: string): CommandResult {
    if (!reason.trim()) return fail("REASON_REQUIRED", "An emergency stop needs a reason.");
    // Pressed again while one runs: it is not started twice; the running one's progress is the answer.
    if (this.halt)
      return done(`An emergency stop is already running: ${this.halt.progress.message}`, { progress: { ...this.halt.progress }, alreadyRunning: true });
    if (this.breaker && this.breaker.state === "CLOSED") {
      const trip = this.breaker.trip(`Emergency stop: ${reason}`, actor.username);
      if (trip.ok) this.recordTrip(trip.value);
    }
    const progress = this.runHalt(flatten, `emergency stop by ${actor.username}: ${reason}`, actor.username, "emergency_stop");
    return done(progress.message, { progress });
  }

  /**
   * HALTED (latched, persisted) → cancel every open order → optionally flatten every position.
   * A simulator confirms at once; a real exchange confirms later: the progress then follows the cancel events
   * as they arrive (published on the bus), and the flatten starts once every cancel is confirmed (or after
   * `emergencyConfirmMs`), so its sells are not refused for coins the canceled orders still held.
   */
  private runHalt(flatten: boolean, reason: string, by: string, exitReason: string): EmergencyProgress {
    const venue = this.venue.id;
    if (this.halt) this.timers.clearTimeout(this.halt.timer);
    const progress: EmergencyProgress = {
      step: "halted",
      venue,
      ordersToCancel: 0,
      ordersCanceled: 0,
      positionsToFlatten: 0,
      positionsFlattened: 0,
      message: "Trading halted.",
    };
    const run: HaltRun = {
      progress,
      flatten,
      exitReason,
      phase: "canceling",
      cancelPending: new Set(),
      filledInstead: 0,
      flattenPending: new Set(),
      armed: false,
      timer: null,
    };
    this.halt = run;
    this.setTradingState("HALTED", reason, by);
    this.publishHalt(run, "halted", "Trading halted.");
    // Orders in doubt are not waited for: no cancel-all can confirm an order the venue may not have. Their lookups go
    // on, and one found working is canceled then (applyFoundInDoubt).
    const open = [...this.orders.values()].filter((r) => !isTerminal(r.order) && !this.inDoubt.has(r.order.clientOrderId));
    progress.ordersToCancel = open.length;
    for (const record of open) run.cancelPending.add(record.order.clientOrderId);
    const doubts = this.inDoubt.size > 0 ? ` ${this.inDoubt.size} order(s) in doubt are looked up and canceled if found.` : "";
    this.publishHalt(run, "canceling", `Canceling ${open.length} open order(s) on ${venue}.${doubts}`);
    this.cancelAllOrders(undefined);
    run.armed = true;
    if (run.cancelPending.size === 0) this.haltCancelsDone(run, false);
    else {
      this.publishHalt(
        run,
        "canceling",
        `${progress.ordersCanceled} of ${progress.ordersToCancel} order(s) canceled; waiting for ${venue} to confirm ${run.cancelPending.size}.`,
      );
      this.armHaltTimer(run, () => this.haltCancelsDone(run, true));
    }
    return { ...progress };
  }

  private publishHalt(run: HaltRun, step: EmergencyProgress["step"], message: string): void {
    run.progress.step = step;
    run.progress.message = message;
    this.lastEmergency = { ...run.progress };
    this.bus.publish({ type: "emergency", progress: { ...run.progress } });
  }

  private armHaltTimer(run: HaltRun, onTimeout: () => void): void {
    run.timer = this.timers.setTimeout(() => {
      void this.run(() => {
        if (this.halt === run) onTimeout();
      }).catch((e: unknown) => this.log("error", `emergency stop: ${String(e)}`));
    }, this.emergencyConfirmMs);
  }

  /** An order ended (canceled, or filled before its cancel) while an emergency stop waits for it. */
  private onHaltOrderEnded(clientOrderId: string, status: OrderStatus): void {
    const run = this.halt;
    if (!run || run.phase !== "canceling" || !run.cancelPending.delete(clientOrderId)) return;
    if (status === "FILLED") run.filledInstead++;
    else run.progress.ordersCanceled++;
    if (!run.armed) return;
    if (run.cancelPending.size > 0) {
      this.publishHalt(
        run,
        "canceling",
        `${run.progress.ordersCanceled} of ${run.progress.ordersToCancel} order(s) canceled; waiting for ${run.progress.venue} to confirm ${run.cancelPending.size}.`,
      );
      return;
    }
    this.timers.clearTimeout(run.timer);
    this.haltCancelsDone(run, false);
  }

  private haltCancelsDone(run: HaltRun, timedOut: boolean): void {
    run.timer = null;
    const p = run.progress;
    const unconfirmed = run.cancelPending.size;
    const filled = run.filledInstead > 0 ? ` (${run.filledInstead} filled before the cancel reached them)` : "";
    const late = timedOut && unconfirmed > 0 ? `; ${unconfirmed} not confirmed by ${p.venue} within ${this.emergencyConfirmMs / 1000} s` : "";
    this.publishHalt(run, "canceled", `${p.ordersCanceled} of ${p.ordersToCancel} order(s) canceled${filled}${late}.`);
    if (late) {
      this.log("error", `emergency stop: ${unconfirmed} cancel(s) not confirmed by ${p.venue}: ${[...run.cancelPending].join(", ")}`);
      this.bus.publish({ type: "alert", level: "error", message: `Emergency stop: ${unconfirmed} cancel(s) not confirmed by ${p.venue}; check the exchange.` });
    }
    if (!run.flatten) {
      this.haltFinish(run, false);
      return;
    }
    run.phase = "flattening";
    run.armed = false;
    const positions = [...this.positions.values()].filter((r) => isPositive(r.position.quantity));
    p.positionsToFlatten = positions.length;
    for (const record of positions) run.flattenPending.add(record.position.id);
    this.publishHalt(run, "flattening", `Flattening ${positions.length} position(s) with reduce-only market orders.`);
    for (const record of positions) {
      if (!this.positions.has(record.position.id) || record.position.quantity.isZero()) continue;
      const mark = this.marks.get(record.position.symbol);
      const result = this.closeWhenFree(
        record,
        record.position.quantity,
        true,
        run.exitReason,
        mark ? markDecimal(mark) : (record.position.avgEntryPrice ?? ZERO),
      );
      if (!result.ok) this.log("warn", `emergency stop: flattening ${record.position.id} refused: ${result.code} ${result.message}`);
    }
    run.armed = true;
    if (run.flattenPending.size === 0) this.haltFinish(run, false);
    else {
      this.publishHalt(run, "flattening", `${p.positionsFlattened} of ${p.positionsToFlatten} position(s) flattened; waiting for the fills.`);
      this.armHaltTimer(run, () => this.haltFinish(run, true));
    }
  }

  private onHaltPositionClosed(positionId: string): void {
    const run = this.halt;
    if (!run || run.phase !== "flattening" || !run.flattenPending.delete(positionId)) return;
    run.progress.positionsFlattened++;
    if (!run.armed) return;
    if (run.flattenPending.size > 0) {
      this.publishHalt(
        run,
        "flattening",
        `${run.progress.positionsFlattened} of ${run.progress.positionsToFlatten} position(s) flattened; waiting for the fills.`,
      );
      return;
    }
    this.timers.clearTimeout(run.timer);
    this.haltFinish(run, false);
  }

  private haltFinish(run: HaltRun, timedOut: boolean): void {
    if (this.halt !== run) return;
    this.halt = null;
    run.timer = null;
    const p = run.progress;
    if (run.flatten) this.publishHalt(run, "flattened", `${p.positionsFlattened} of ${p.positionsToFlatten} position(s) flattened.`);
    const late =
      timedOut && run.flattenPending.size > 0 ? ` ${run.flattenPending.size} position(s) not confirmed flat within ${this.emergencyConfirmMs / 1000} s.` : "";
    if (late) this.bus.publish({ type: "alert", level: "error", message: `Emergency stop:${late} Check the positions.` });
    this.publishHalt(
      run,
      "done",
      `Halted: ${p.ordersCanceled}/${p.ordersToCancel} orders canceled${run.flatten ? `, ${p.positionsFlattened}/${p.positionsToFlatten} positions flattened` : ""}.${late} An admin reset is needed to trade again.`,
    );
  }

  private tripBreakerByHand(actor: Actor, reason: string): CommandResult {
    if (!this.breaker) return fail("NO_BREAKER", "The circuit breaker is disabled in this mode.");
    const trip = this.breaker.trip(reason, actor.username);
    if (!trip.ok) return fail(trip.error.code, trip.error.message);
    this.recordTrip(trip.value);
    this.applyTripAction(trip.value);
    return done(`Breaker tripped: ${reason}`);
  }

  private resetBreaker(actor: Actor, reason: string, force: boolean): CommandResult {
    if (actor.role !== "admin" && actor.role !== "system") return fail("FORBIDDEN", "Only an admin can reset the breaker.");
    if (!reason.trim()) return fail("REASON_REQUIRED", "A breaker reset needs a reason.");
    if (this.breaker && this.breaker.state === "OPEN") {
      const reset = this.breaker.reset({ manual: true, by: actor.username, reason, force });
      if (!reset.ok) return fail(reset.error.code, reset.error.message);
      this.durably(() => {
        this.store.appendBreakerEvent({
          ts: this.clock.now(),
          kind: "RESET",
          reason: "MANUAL",
          message: reason,
          by: actor.username,
          action: null,
          detail: null,
        });
        this.saveBreaker();
      });
      this.bus.publish({ type: "breaker", state: "CLOSED", reason: "RESET", message: reason, by: actor.username });
    } else if (this.tradingState !== "HALTED") {
      return fail("NOT_TRIPPED", "The breaker is not tripped and trading is not halted.");
    }
    this.setTradingState("ACTIVE", `reset by ${actor.username}: ${reason}`, actor.username);
    return done("Breaker reset; trading is active again.");
  }

  private setExits(positionId: string, stopLoss: number | null | undefined, takeProfit: number | null | undefined): CommandResult {
    const record = this.positions.get(positionId);
    if (!record || record.position.state === "CLOSED") return fail("NOT_FOUND", `Position ${positionId} is not open.`);
    const current: ExitConfig = record.exit?.config ?? {};
    const next: { -readonly [K in keyof ExitConfig]: ExitConfig[K] } = { ...current };
    if (stopLoss !== undefined) {
      if (stopLoss === null) delete next.stopLoss;
      else next.stopLoss = { price: stopLoss };
    }
    if (takeProfit !== undefined) {
      if (takeProfit === null) delete next.takeProfit;
      else {
        next.takeProfit = { price: takeProfit };
        delete next.takeProfitLadder;
      }
    }
    const mark = this.marks.get(record.position.symbol);
    if (mark && next.stopLoss && "price" in next.stopLoss) {
      const wrong = record.position.side === "LONG" ? next.stopLoss.price >= mark.last : next.stopLoss.price <= mark.last;
      if (wrong)
        return fail(
          "STOP_WRONG_SIDE",
          `A ${record.position.side.toLowerCase()} stop-loss at ${next.stopLoss.price} would fire at once: the market is at ${mark.last}.`,
        );
    }
    if (mark && next.takeProfit && "price" in next.takeProfit) {
      const wrong = record.position.side === "LONG" ? next.takeProfit.price <= mark.last : next.takeProfit.price >= mark.last;
      if (wrong)
        return fail(
          "TAKE_PROFIT_WRONG_SIDE",
          `A ${record.position.side.toLowerCase()} take-profit at ${next.takeProfit.price} would fire at once: the market is at ${mark.last}.`,
        );
    }
    record.exit = record.exit ? withExitConfig(record.exit, next) : createExitState(next);
    record.meta = { ...record.meta, stopLoss: stopLoss ?? record.meta.stopLoss ?? null, takeProfit: takeProfit ?? record.meta.takeProfit ?? null };
    this.persistPosition(record, record.position, record.exit);
    this.bus.publish({ type: "position", position: record.position });
    return done(`Exit rules of ${positionId} updated.`);
  }

  // ---------------------------------------------------------------------------------------------
  // Unknown orders (found at the venue by reconciliation): adopted or canceled by a trader's choice; drifts acknowledged.

  /**
   * Takes an order found at the venue into the books: journaled as an order Bastion now tracks (intent and
   * submit with source "reconcile" and the adopter in the payload, then accept), its fills booked to a position
   * (the opposite open position when it reduces one, else the same-side one, else a new one), its end (filled,
   * canceled) applied. It is not a new order, so it does not pass the risk gate; it is audited.
   */
  async adoptOrder(clientOrderId: string, actor: Actor, reason: string | null): Promise<CommandResult> {
    let snapshot: VenueOrderSnapshot | null = null;
    let fills: VenueFill[] = [];
    let readError: string | null = null;
    if (!this.orders.has(clientOrderId)) {
      try {
        snapshot = await this.venue.fetchOrder(clientOrderId);
        if (snapshot) fills = (await this.venue.fetchFills(0)).filter((f) => f.clientOrderId === clientOrderId);
      } catch (e) {
        readError = e instanceof Error ? e.message : String(e);
      }
    }
    return this.run(() =>
      this.audited(actor, "adopt_order", clientOrderId, reason, {}, () => {
        if (this.orders.has(clientOrderId) || this.store.getOrder(clientOrderId)) {
          return fail("ALREADY_TRACKED", `Order ${clientOrderId} is already in Bastion's books; there is nothing to adopt.`);
        }
        if (readError !== null) return fail("VENUE_UNAVAILABLE", `Could not read order ${clientOrderId} from ${this.venue.id}: ${readError}`);
        return this.adopt(clientOrderId, snapshot, fills, actor);
      }),
    );
  }

  private adopt(clientOrderId: string, snapshot: VenueOrderSnapshot | null, fills: VenueFill[], actor: Actor): CommandResult {
    if (!snapshot) return fail("NOT_AT_VENUE", `${this.venue.id} has no order ${clientOrderId}; there is nothing to adopt.`);
    const instrument = this.instruments.get(snapshot.symbol);
    if (!instrument) return fail("UNKNOWN_SYMBOL", `${snapshot.symbol} is not traded by this desk; cancel the order instead.`);
    if (TERMINAL_STATUSES.has(snapshot.status) && fills.length === 0) {
      return fail("NOT_OPEN", `Order ${clientOrderId} is ${snapshot.status.toLowerCase()} at ${this.venue.id} with no fills; there is nothing to adopt.`);
    }
    if (snapshot.type.startsWith("TRAILING"))
      return fail("UNSUPPORTED_TYPE", `Trailing orders cannot be adopted (their offset is not known); cancel ${clientOrderId} instead.`);
    const now = this.clock.now();
    const wantSide: PositionSide = snapshot.side === "BUY" ? "LONG" : "SHORT";
    const open = this.openPositionsFor(snapshot.symbol);
    const reducing = open.find((r) => r.position.side !== wantSide) ?? null;
    const target = reducing ?? open.find((r) => r.position.side === wantSide) ?? null;
    const positionId = target?.position.id ?? this.ids.next("pos");
    const spec: OrderSpec = {
      clientOrderId,
      symbol: snapshot.symbol,
      side: snapshot.side,
      type: snapshot.type,
      quantity: snapshot.quantity,
      ...(snapshot.price ? { price: snapshot.price } : {}),
      ...(snapshot.triggerPrice ? { triggerPrice: snapshot.triggerPrice } : {}),
      timeInForce: "GTC",
      reduceOnly: reducing !== null,
      tags: { positionId, reason: reducing ? "manual" : "entry", strategy: "adopted", adoptedBy: actor.username },
      venue: this.venue.id,
      ts: now,
    };
    let order: Order;
    try {
      order = createOrder(spec);
    } catch (e) {
      return fail("UNSUPPORTED_ORDER", `Order ${clientOrderId} cannot be represented in the books: ${e instanceof Error ? e.message : String(e)}`);
    }
    const submitted = applyOrderEvent(order, { type: "submit", ts: now });
    if (!submitted.ok) return fail(submitted.reason.code, submitted.reason.message);
    const meta: OrderMeta = { venue: this.venue.id, positionId, requestedPrice: snapshot.price ?? snapshot.avgFillPrice ?? null };
    this.transaction(() => {
      if (!target) {
        const position = openPosition({ id: positionId, symbol: snapshot.symbol, side: wantSide, ts: now });
        const record: PositionRecord = { position, exit: null, meta: { strategy: "adopted", signalId: null, entryOrderId: clientOrderId }, exitOrderId: null };
        this.positions.set(position.id, record);
        this.persistPosition(record, position, null);
      }
      const intent = {
        ...spec,
        quantity: snapshot.quantity.toString(),
        price: snapshot.price?.toString() ?? null,
        triggerPrice: snapshot.triggerPrice?.toString() ?? null,
      };
      this.store.appendJournal({
        clientOrderId,
        type: "intent",
        source: "reconcile",
        payload: { ...intent, adoptedBy: actor.username, venueStatus: snapshot.status },
        applied: true,
        ts: now,
      });
      this.store.appendJournal({ clientOrderId, type: "submit", source: "reconcile", payload: { type: "submit", ts: now }, applied: true, ts: now });
      order = submitted.order;
      this.orders.set(clientOrderId, { order, meta });
      this.store.saveOrder(order, meta);
    });
    this.bus.publish({ type: "order", order });
    const events: VenueEvent[] = [
      { clientOrderId, event: { type: "accept", ...(snapshot.venueOrderId ? { venueOrderId: snapshot.venueOrderId } : {}), ts: now } },
    ];
    let booked = ZERO;
    for (const fill of fills) {
      if (this.store.hasFill(this.venue.id, fill.tradeId)) continue;
      const fee = this.quoteFee(fill, snapshot.symbol);
      booked = booked.plus(fill.qty);
      events.push({
        clientOrderId,
        event: {
          type: "fill",
          tradeId: fill.tradeId,
          qty: fill.qty,
          price: fill.price,
          fee: fee.fee,
          ...(fill.liquidity ? { liquidity: fill.liquidity } : {}),
          ts: fill.ts,
        },
      });
    }
    if (snapshot.status === "CANCELED") events.push({ clientOrderId, event: { type: "cancel", reason: snapshot.reason ?? "canceled at the venue", ts: now } });
    if (snapshot.status === "EXPIRED") events.push({ clientOrderId, event: { type: "expire", ts: now } });
    this.ingest(events, "reconcile");
    this.unknownOrders.delete(clientOrderId);
    this.saveUnknownOrders();
    this.drift(
      "UNKNOWN_ORDER_ADOPTED",
      clientOrderId,
      { resolves: { kind: "UNKNOWN_ORDER" }, positionId, fills: fills.length, by: actor.username },
      true,
      `adopted by ${actor.username}`,
      "info",
    );
    if (snapshot.filledQty.greaterThan(booked)) {
      this.drift("ADOPTED_FILLS_MISSING", clientOrderId, { venueFilled: snapshot.filledQty.toString(), booked: booked.toString() }, false, null);
    }
    const status = this.orders.get(clientOrderId)?.order.status ?? this.store.getOrder(clientOrderId)?.order.status ?? order.status;
    return done(
      `Order ${clientOrderId} adopted: ${snapshot.side} ${snapshot.quantity.toString()} ${snapshot.symbol} ${snapshot.type} (${status}), ${fills.length} fill(s) booked to position ${positionId}.`,
      { clientOrderId, positionId, status, fills: fills.length },
    );
  }

  /** Cancels an unknown order at the venue (it stays out of the books); the venue's answer resolves its drift. */
  cancelUnknownOrder(clientOrderId: string, actor: Actor, reason: string | null): Promise<CommandResult> {
    return this.run(() =>
      this.audited(actor, "cancel_unknown_order", clientOrderId, reason, {}, () => {
        if (this.orders.has(clientOrderId)) return fail("TRACKED_ORDER", `Order ${clientOrderId} is in Bastion's books: cancel it from the Orders page.`);
        const unknown = this.unknownOrders.get(clientOrderId);
        if (!unknown) return fail("NOT_UNKNOWN", `Order ${clientOrderId} is not among the unknown orders found at ${this.venue.id}.`);
        const stopped = this.refusalWhenStopped();
        if (stopped) return stopped;
        unknown.canceling = true;
        // Nothing is journaled before this cancel (the order is not in the books): the audit row commits alone first.
        this.durably(() => undefined, `cancel of unknown order ${clientOrderId}, before it is sent to ${this.venue.id}`);
        let events: VenueEvent[];
        try {
          events = this.venue.cancel(clientOrderId, this.clock.now());
        } catch (e) {
          unknown.canceling = false;
          return fail("VENUE_REFUSED", e instanceof Error ? e.message : String(e));
        }
        this.ingest(events, "venue");
        if (!this.unknownOrders.has(clientOrderId)) return done(`Unknown order ${clientOrderId} canceled at ${this.venue.id}.`, { status: "CANCELED" });
        if (!unknown.canceling) return fail("VENUE_REFUSED", `${this.venue.id} refused to cancel ${clientOrderId}; see the reconciliation log.`);
        return done(`Cancel sent to ${this.venue.id} for unknown order ${clientOrderId}; its confirmation resolves the drift.`, { status: "PENDING_CANCEL" });
      }),
    );
  }

  /** A venue's answer to a cancel of an unknown order; true when it was one. */
  private onUnknownOrderCancelEvent(clientOrderId: string, event: OrderEvent, source: "venue" | "reconcile", ts: number): boolean {
    const unknown = this.unknownOrders.get(clientOrderId);
    if (!unknown?.canceling || (event.type !== "cancel" && event.type !== "cancelReject" && event.type !== "accept")) return false;
    if (event.type === "accept") return true; // an adapter looking the order up on the way: nothing to book
    this.store.appendJournal({
      clientOrderId,
      type: event.type,
      source,
      payload: event,
      applied: false,
      refusal: "NOT_TRACKED: an unknown order canceled at a trader's request",
      ts,
    });
    if (event.type === "cancel") {
      this.unknownOrders.delete(clientOrderId);
      this.saveUnknownOrders();
      this.drift(
        "UNKNOWN_ORDER_CANCELED",
        clientOrderId,
        { resolves: { kind: "UNKNOWN_ORDER" }, symbol: unknown.symbol },
        true,
        "canceled at the venue",
        "info",
      );
    } else {
      unknown.canceling = false;
      this.drift("UNKNOWN_ORDER_CANCEL_FAILED", clientOrderId, { reason: event.reason }, false, null);
      this.bus.publish({ type: "alert", level: "error", message: `Cancel of unknown order ${clientOrderId} failed: ${event.reason}` });
    }
    return true;
  }

  /** Marks a recorded drift acknowledged (append-only: a resolution row naming it), audited. */
  acknowledgeDrift(drift: { id: number; kind: string; subject: string }, actor: Actor, reason: string | null): Promise<CommandResult> {
    return this.run(() =>
      this.audited(actor, "acknowledge_drift", `drift#${drift.id}`, reason, { kind: drift.kind, subject: drift.subject }, () => {
        const resolution = `acknowledged by ${actor.username}${reason ? `: ${reason}` : ""}`;
        this.drift("ACKNOWLEDGED", drift.subject, { resolves: { id: drift.id }, kind: drift.kind }, true, resolution, "info");
        return done(`Drift #${drift.id} (${drift.kind} ${drift.subject}) acknowledged.`);
      }),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Orders in doubt (in-doubt.ts): a submission with an unknown outcome is never sent again; it is looked up by
  // clientOrderId until the venue says what became of it, a documented fence proves it never placed, or a person decides.

  /** The venue layer could not tell whether a submission executed. */
  private markInDoubt(report: InDoubtReport): void {
    const coid = report.clientOrderId;
    const record = this.orders.get(coid);
    if (!record || isTerminal(record.order) || this.inDoubt.has(coid)) return;
    const now = this.clock.now();
    const marker: InDoubtMarker = {
      clientOrderId: coid,
      symbol: record.order.symbol,
      since: now,
      sentAt: report.sentAt,
      reason: report.reason,
      lookups: 0,
      nextLookupAt: now + nextLookupDelayMs(0, this.inDoubtPolicy),
      lastLookupAt: null,
      lastLookupError: null,
      fenceMs: this.venue.submitFenceMs?.(record.order.symbol) ?? null,
      alerted: false,
    };
    // Journal first: memory holds the marker only once the store does.
    this.transaction(() => {
      this.store.appendJournal({
        clientOrderId: coid,
        type: "inDoubt",
        source: "venue",
        payload: { reason: report.reason, sentAt: report.sentAt, fenceMs: marker.fenceMs },
        applied: true,
        ts: now,
      });
      this.saveInDoubt([...this.inDoubt.values(), marker]);
    });
    this.inDoubt.set(coid, marker);
    this.drift("ORDER_IN_DOUBT", coid, { symbol: marker.symbol, reason: report.reason, fenceMs: marker.fenceMs }, false, null);
    this.bus.publish({
      type: "alert",
      level: "warn",
      message: `Order ${coid}: ${this.venue.id} did not say whether it was placed (${report.reason}). It is in doubt, looked up by its id, and not re-sent.`,
    });
    this.bus.publish({ type: "order", order: record.order });
    this.scheduleInDoubtLookup(coid);
  }

  private saveInDoubt(markers: InDoubtMarker[] = [...this.inDoubt.values()]): void {
    this.store.setState("inDoubtOrders", markers);
  }

  private scheduleInDoubtLookup(coid: string): void {
    const marker = this.inDoubt.get(coid);
    if (!marker) return;
    const previous = this.inDoubtTimers.get(coid);
    if (previous !== undefined) this.timers.clearTimeout(previous);
    const delay = Math.max(0, (marker.nextLookupAt ?? this.clock.now()) - this.clock.now());
    this.inDoubtTimers.set(
      coid,
      this.timers.setTimeout(() => {
        this.inDoubtTimers.delete(coid);
        void this.lookUpInDoubt(coid).catch((e: unknown) => this.log("error", `in-doubt lookup of ${coid}: ${String(e)}`));
      }, delay),
    );
  }

  /** One lookup by clientOrderId (the venue read happens outside the queue; its result is applied in it). */
  private async lookUpInDoubt(coid: string): Promise<void> {
    if (!this.inDoubt.has(coid)) return;
    const sentAt = this.clock.now();
    let snapshot: VenueOrderSnapshot | null = null;
    let fills: VenueFill[] = [];
    let readError: string | null = null;
    try {
      snapshot = await this.venue.fetchOrder(coid);
      if (snapshot) fills = await this.fillsOf(coid);
    } catch (e) {
      readError = e instanceof Error ? e.message : String(e);
    }
    await this.run(() => this.applyInDoubtLookup(coid, snapshot, fills, readError, sentAt));
  }

  private async fillsOf(coid: string): Promise<VenueFill[]> {
    const since = this.orders.get(coid)?.order.createdAt ?? 0;
    return (await this.venue.fetchFills(Math.max(0, since - 60_000))).filter((f) => f.clientOrderId === coid);
  }

  private applyInDoubtLookup(coid: string, snapshot: VenueOrderSnapshot | null, fills: VenueFill[], readError: string | null, lookupSentAt: number): void {
    const marker = this.inDoubt.get(coid);
    const record = this.orders.get(coid);
    if (!marker) return;
    if (!record) {
      this.resolveInDoubt(coid, "the order left the books");
      return;
    }
    const now = this.clock.now();
    marker.lastLookupAt = lookupSentAt;
    if (snapshot) {
      this.applyFoundInDoubt(record, snapshot, fills, "found at the venue by its clientOrderId");
      return;
    }
    marker.lookups++;
    marker.lastLookupError = readError;
    if (readError === null && fenceVerdict(marker, lookupSentAt, this.inDoubtPolicy) === "never-placed") {
      const windowS = (marker.fenceMs ?? 0) / 1000;
      this.ingest(
        [
          {
            clientOrderId: coid,
            event: {
              type: "reject",
              reason: `NEVER_PLACED: not at ${this.venue.id} after its ${windowS} s receive window (+ ${this.inDoubtPolicy.clockSkewMarginMs / 1000} s for clock skew) had passed; the venue refuses it after that, so it was never placed. Not re-sent.`,
              ts: now,
            },
          },
        ],
        "venue",
      );
      this.resolveInDoubt(coid, "never placed: not found after the venue's fence");
      return;
    }
    if (!marker.alerted && marker.lookups >= this.inDoubtPolicy.alertAfterLookups) {
      marker.alerted = true;
      this.bus.publish({
        type: "alert",
        level: "error",
        message: `Order ${coid} (${record.order.side} ${record.order.quantity.toString()} ${record.order.symbol}) is in doubt: ${this.venue.id} did not answer whether it was placed, and ${marker.lookups} lookup(s) have not found it. It is not re-sent. Resolve it on the Reconciliation page.`,
      });
    }
    marker.nextLookupAt = now + nextLookupDelayMs(marker.lookups, this.inDoubtPolicy);
    this.saveInDoubt();
    this.bus.publish({ type: "order", order: record.order });
    this.scheduleInDoubtLookup(coid);
  }

  /** Applies what the venue shows for an order in doubt (accept, fills, its end); the marker is cleared. */
  private applyFoundInDoubt(record: OrderRecord, snapshot: VenueOrderSnapshot, fills: VenueFill[], how: string): void {
    const now = this.clock.now();
    const order = record.order;
    // An order the halt asked to cancel (PENDING_CANCEL) has not been acknowledged either: its accept records the venue's id.
    const needsAccept =
      order.status === "SUBMITTED" || ((order.status === "PENDING_CANCEL" || order.status === "PENDING_UPDATE") && order.venueOrderId === null);
    const events = eventsFromSnapshot(
      needsAccept,
      snapshot,
      fills,
      now,
      (tradeId) => this.store.hasFill(this.venue.id, tradeId),
      (fill) => this.quoteFee(fill, record.order.symbol).fee,
    );
    this.ingest(events, "venue");
    this.resolveInDoubt(order.clientOrderId, `${how}: ${snapshot.status}`);
    // Found working while trading is halted: the halt's cancel-all could not know it; it is canceled now.
    const after = this.orders.get(order.clientOrderId);
    if (this.tradingState === "HALTED" && after && !isTerminal(after.order) && !after.order.reduceOnly) this.requestCancel(after);
    if (this.tradingState === "HALTED" && events.some((e) => e.event.type === "fill")) {
      this.bus.publish({
        type: "alert",
        level: "error",
        message: `Order ${order.clientOrderId} was in doubt during the halt and turned out to have fills: check the positions (flatten if needed).`,
      });
    }
  }

  /** Clears the marker (journaled, the drift resolved). */
  private resolveInDoubt(coid: string, resolution: string): void {
    if (!this.inDoubt.has(coid)) return;
    const now = this.clock.now();
    this.transaction(() => {
      this.store.appendJournal({ clientOrderId: coid, type: "inDoubtResolved", source: "engine", payload: { resolution }, applied: true, ts: now });
      this.saveInDoubt([...this.inDoubt.values()].filter((m) => m.clientOrderId !== coid));
    });
    this.inDoubt.delete(coid);
    const timer = this.inDoubtTimers.get(coid);
    if (timer !== undefined) this.timers.clearTimeout(timer);
    this.inDoubtTimers.delete(coid);
    this.drift("IN_DOUBT_RESOLVED", coid, { resolves: { kind: "ORDER_IN_DOUBT" } }, true, resolution, "info");
    const order = this.orders.get(coid)?.order ?? this.store.getOrder(coid)?.order;
    if (order) this.bus.publish({ type: "order", order });
  }

  /** Any answer from the venue (accepted, filled, rejected, canceled…) settles the doubt. */
  private onInDoubtOrderChanged(order: Order): void {
    if (!this.inDoubt.has(order.clientOrderId)) return;
    if (order.status === "SUBMITTED" || order.status === "PENDING_CANCEL" || order.status === "PENDING_UPDATE") return;
    this.resolveInDoubt(order.clientOrderId, `the venue answered: ${order.status}`);
  }

  /** Orders in doubt (oldest first). */
  inDoubtList(): InDoubtView[] {
    return [...this.inDoubt.values()].map(inDoubtView).sort((a, b) => a.since - b.since);
  }

  /** Operator: look the order up now and apply what the venue shows (audited). Nothing found: it stays in doubt. */
  async adoptInDoubt(clientOrderId: string, actor: Actor, reason: string | null): Promise<CommandResult> {
    let snapshot: VenueOrderSnapshot | null = null;
    let fills: VenueFill[] = [];
    let readError: string | null = null;
    if (this.inDoubt.has(clientOrderId)) {
      try {
        snapshot = await this.venue.fetchOrder(clientOrderId);
        if (snapshot) fills = await this.fillsOf(clientOrderId);
      } catch (e) {
        readError = e instanceof Error ? e.message : String(e);
      }
    }
    return this.run(() =>
      this.audited(actor, "in_doubt_adopt", clientOrderId, reason, {}, () => {
        const record = this.orders.get(clientOrderId);
        if (!this.inDoubt.has(clientOrderId) || !record)
          return fail("NOT_IN_DOUBT", `Order ${clientOrderId} is not in doubt (it may have been settled meanwhile).`);
        if (readError !== null)
          return fail("VENUE_UNAVAILABLE", `Could not look order ${clientOrderId} up at ${this.venue.id}: ${readError} It stays in doubt.`);
        if (!snapshot) {
          return fail(
            "NOT_AT_VENUE",
            `${this.venue.id} shows no order ${clientOrderId} right now, so there is nothing to adopt. It stays in doubt; mark it not placed if you are sure.`,
          );
        }
        this.applyFoundInDoubt(record, snapshot, fills, `adopted by ${actor.username}`);
        const status = this.orders.get(clientOrderId)?.order.status ?? this.store.getOrder(clientOrderId)?.order.status ?? record.order.status;
        return done(`Order ${clientOrderId} adopted as ${this.venue.id} shows it: ${snapshot.status}, ${fills.length} fill(s); now ${status}.`, {
          clientOrderId,
          status,
          fills: fills.length,
        });
      }),
    );
  }

  /**
   * Operator: the order was not placed. Looked up once more first (found → refused: adopt it instead); then it ends
   * REJECTED with the operator's reason, audited. It is not re-sent.
   */
  async markInDoubtNotPlaced(clientOrderId: string, actor: Actor, reason: string): Promise<CommandResult> {
    let snapshot: VenueOrderSnapshot | null = null;
    let readError: string | null = null;
    if (this.inDoubt.has(clientOrderId) && reason.trim()) {
      try {
        snapshot = await this.venue.fetchOrder(clientOrderId);
      } catch (e) {
        readError = e instanceof Error ? e.message : String(e);
      }
    }
    return this.run(() =>
      this.audited(actor, "in_doubt_not_placed", clientOrderId, reason, {}, () => {
        if (!reason.trim()) return fail("REASON_REQUIRED", "Marking an order not placed needs a reason.");
        const record = this.orders.get(clientOrderId);
        if (!this.inDoubt.has(clientOrderId) || !record)
          return fail("NOT_IN_DOUBT", `Order ${clientOrderId} is not in doubt (it may have been settled meanwhile).`);
        if (readError !== null)
          return fail("VENUE_UNAVAILABLE", `Could not check ${this.venue.id} for order ${clientOrderId} first: ${readError} Try again when the venue answers.`);
        if (snapshot) return fail("FOUND_AT_VENUE", `${this.venue.id} shows order ${clientOrderId} (${snapshot.status}): it was placed. Adopt it instead.`);
        this.ingest(
          [{ clientOrderId, event: { type: "reject", reason: `NOT_PLACED: marked not placed by ${actor.username}: ${reason.trim()}`, ts: this.clock.now() } }],
          "venue",
        );
        this.resolveInDoubt(clientOrderId, `marked not placed by ${actor.username}`);
        const status = this.orders.get(clientOrderId)?.order.status ?? this.store.getOrder(clientOrderId)?.order.status ?? "REJECTED";
        return done(`Order ${clientOrderId} marked not placed (${status}); it is not re-sent.`, { clientOrderId, status });
      }),
    );
  }

  /** HALTED closes the venue layer to new orders: what it still held (queued, waiting for a retry) ends DENIED, journaled. */
  private latchVenue(state: TradingState): void {
    if (state !== "HALTED") {
      this.venue.resumeNewOrders?.();
      return;
    }
    const dropped = this.venue.haltNewOrders?.() ?? [];
    const now = this.clock.now();
    for (const coid of dropped) {
      this.ingest(
        [
          {
            clientOrderId: coid,
            event: { type: "deny", reason: "TRADING_HALTED: trading was halted before this order reached the venue; it was not sent.", ts: now },
          },
        ],
        "venue",
      );
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Settings

  updateSymbolSettings(symbol: string, input: unknown, actor: Actor): Promise<CommandResult> {
    return this.run(() => {
      const refuse = (result: CommandResult) => this.audited(actor, "set_symbol_settings", symbol, null, input, () => result);
      if (!this.instruments.has(symbol)) return refuse(fail("UNKNOWN_SYMBOL", `${symbol} is not traded on ${this.venue.id}.`));
      const parsed = symbolSettingsSchema.safeParse(input);
      if (!parsed.success) return refuse(fail("VALIDATION", parsed.error.issues.map((i) => `${i.path.join(".") || "settings"}: ${i.message}`).join("; ")));
      return this.auditedChange(actor, "set_symbol_settings", symbol, input, {
        what: `Settings of ${symbol}`,
        write: () =>
          this.store.saveSymbolSetting({ symbol, enabled: parsed.data.enabled, settings: parsed.data, updatedAt: this.clock.now(), updatedBy: actor.username }),
        apply: () => {
          this.symbolSettings.set(symbol, parsed.data);
          this.cachedRiskLimits = null;
        },
      });
    });
  }

  updateRiskLimits(input: unknown, actor: Actor): Promise<CommandResult> {
    return this.run(() => {
      const parsed = riskLimitsSchema.safeParse(input);
      if (!parsed.success) {
        const refusal = fail("VALIDATION", parsed.error.issues.map((i) => `${i.path.join(".") || "limits"}: ${i.message}`).join("; "));
        return this.audited(actor, "set_risk_limits", null, null, input, () => refusal);
      }
      return this.auditedChange(actor, "set_risk_limits", null, input, {
        what: "Risk limits",
        write: () => this.store.setState("riskLimits", parsed.data),
        apply: () => {
          this.riskLimits = parsed.data;
          this.cachedRiskLimits = null;
        },
      });
    });
  }

  updateBreakerConfig(input: unknown, actor: Actor): Promise<CommandResult> {
    return this.run(() => {
      const refuse = (result: CommandResult) => this.audited(actor, "set_breaker_config", null, null, input, () => result);
      const breaker = this.breaker;
      if (!breaker) return refuse(fail("NO_BREAKER", "The circuit breaker is disabled in this mode."));
      const parsed = breakerConfigSchema.safeParse(input);
      if (!parsed.success) return refuse(fail("VALIDATION", formatConfigErrors(parsed.error)));
      const result = this.auditedChange(actor, "set_breaker_config", null, input, {
        what: "Breaker configuration",
        write: () => this.store.setState("breakerConfig", parsed.data),
        apply: () => breaker.updateConfig(parsed.data),
      });
      if (result.ok) this.saveBreaker();
      return result;
    });
  }

  private cachedRiskLimits: ReturnType<typeof toRiskLimits> | null = null;

  /** The core's limits, rebuilt only when the settings change. */
  private coreRiskLimits(): ReturnType<typeof toRiskLimits> {
    this.cachedRiskLimits ??= toRiskLimits(this.riskLimits, this.symbolSettings);
    return this.cachedRiskLimits;
  }

  settingsFor(symbol: string): SymbolSettings {
    return this.symbolSettings.get(symbol) ?? this.defaultSettings;
  }

  // ---------------------------------------------------------------------------------------------
  // Breaker

  private afterBreakerCall(trip: BreakerTrip | null): void {
    if (!trip) {
      if (this.breaker) this.saveBreakerThrottled();
      return;
    }
    if (this.bookingFill) {
      this.tripsAfterCommit.push(trip); // recorded and acted on once the fill committed (afterFillCommit)
      return;
    }
    this.recordTrip(trip);
    this.applyTripAction(trip);
  }

  private recordTrip(trip: BreakerTrip): void {
    this.durably(() => {
      this.store.appendBreakerEvent({
        ts: trip.trippedAt,
        kind: "TRIP",
        reason: trip.reason,
        message: trip.message,
        by: trip.by,
        action: trip.action,
        detail: null,
      });
      this.saveBreaker();
    });
    this.bus.publish({ type: "breaker", state: "OPEN", reason: trip.reason, message: trip.message, by: trip.by });
  }

  private applyTripAction(trip: BreakerTrip): void {
    const reason = `breaker: ${trip.message}`;
    if (trip.action === "HALT") this.setTradingState("HALTED", reason, trip.by);
    else this.runHalt(trip.action === "HALT_CANCEL_FLATTEN", reason, trip.by, "emergency_stop");
  }

  private lastBreakerSave = 0;
  private saveBreakerThrottled(): void {
    const now = this.clock.now();
    if (now - this.lastBreakerSave >= 5_000) this.saveBreaker();
  }

  private saveBreaker(): void {
    if (!this.breaker) return;
    this.lastBreakerSave = this.clock.now();
    this.store.setState("breaker", this.breaker.toSnapshot());
  }

  private updateBreakerEquity(): void {
    if (!this.breaker) return;
    this.afterBreakerCall(this.breaker.updateEquity(this.equity().equity));
  }

  /** Periodic duties (auto reset, heartbeat-driven checks); the runtime calls it every few seconds. */
  tick(): Promise<void> {
    return this.run(() => {
      if (!this.breaker) return;
      const outcome = this.breaker.tick();
      if (outcome.reset) {
        this.store.appendBreakerEvent({
          ts: this.clock.now(),
          kind: "RESET",
          reason: "AUTO",
          message: "automatic reset after the cooldown",
          by: "system",
          action: null,
          detail: null,
        });
        this.saveBreaker();
        this.setTradingState("ACTIVE", "breaker auto-reset", "system");
      }
      if (outcome.trip) this.afterBreakerCall(outcome.trip);
      const events = this.venue.advanceTo(this.clock.now());
      if (events.length > 0) this.ingest(events, "venue");
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Accounting

  private realizedNet(): Decimal {
    let total = this.closedRealizedNet;
    for (const { position } of this.positions.values()) total = add(total, position.realizedPnlNet);
    return total;
  }

  /** Initial equity + realized PnL net of fees: equity before marking open positions (equity itself when flat). */
  realizedEquity(): Decimal {
    // initial + closed, kept as one sum, then the open positions' realized net (their fees so far).
    let total = this.closedEquity();
    for (const { position } of this.positions.values()) total = add(total, position.realizedPnlNet);
    return total;
  }

  private closedEquitySum: { initial: Decimal; closed: Decimal; sum: Decimal } | null = null;

  /** initialEquity + closedRealizedNet, added once per change of either (they change when a trade closes). */
  private closedEquity(): Decimal {
    const cached = this.closedEquitySum;
    if (cached && cached.initial === this.initialEquity && cached.closed === this.closedRealizedNet) return cached.sum;
    const sum = add(this.initialEquity, this.closedRealizedNet);
    this.closedEquitySum = { initial: this.initialEquity, closed: this.closedRealizedNet, sum };
    return sum;
  }

  /** Equity = initial + realized (net of fees) + unrealized at the marks. */
  equity(): EquityPoint {
    let unrealized = ZERO;
    let exposure = ZERO;
    for (const { position } of this.positions.values()) {
      if (position.quantity.isZero()) continue;
      const mark = this.marks.get(position.symbol);
      const price = mark ? markDecimal(mark) : (position.avgEntryPrice ?? ZERO);
      unrealized = add(unrealized, unrealizedPnl(position, price));
      exposure = add(exposure, position.quantity.times(price));
    }
    const realizedNet = this.realizedNet();
    return { ts: this.clock.now(), equity: add(add(this.initialEquity, realizedNet), unrealized), realizedNet, unrealized, exposure };
  }

  recordEquity(cause: "schedule" | "fill" | "start"): EquityPoint {
    const point = this.equity();
    this.store.appendEquity({
      ts: point.ts,
      equity: point.equity,
      cash: this.initialEquity.plus(point.realizedNet),
      unrealized: point.unrealized,
      realized: point.realizedNet,
      fees: [...this.positions.values()].reduce((sum, r) => sum.plus(r.position.fees), ZERO),
      exposure: point.exposure,
      cause,
    });
    this.bus.publish({ type: "equity", point });
    return point;
  }

  private saveAccounting(): void {
    this.store.setState("accounting", { initialEquity: this.initialEquity, closedRealizedNet: this.closedRealizedNet } satisfies Accounting);
  }

  private persistPosition(record: PositionRecord, position: Position = record.position, state: ExitState | null = record.exit): void {
    const blob: PositionBlob = {
      state,
      entryOrderId: record.meta.entryOrderId ?? null,
      stopLoss: record.meta.stopLoss ?? null,
      takeProfit: record.meta.takeProfit ?? null,
      ...(record.pendingClose && { pendingClose: { quantity: record.pendingClose.quantity?.toString() ?? null, reason: record.pendingClose.reason } }),
    };
    this.durably(() => this.store.savePosition(position, blob, { strategy: record.meta.strategy, signalId: record.meta.signalId }));
  }

  private openPositionsFor(symbol: string): PositionRecord[] {
    const out: PositionRecord[] = [];
    for (const r of this.positions.values()) if (r.position.symbol === symbol && r.position.state !== "CLOSED") out.push(r);
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Read-only views (for the API and tests)

  state(): {
    tradingState: TradingState;
    tradingStateInfo: { reason: string; by: string; since: number };
    breaker: ReturnType<CircuitBreaker["status"]> | null;
    openOrders: Order[];
    positions: { position: Position; exit: ExitState | null; mark: number | null }[];
    equity: EquityPoint;
    emergency: EmergencyProgress | null;
    marks: Record<string, Mark>;
    degraded: ReturnType<Engine["health"]>["degraded"];
    stopped: ReturnType<Engine["health"]>["stopped"];
    inDoubt: InDoubtView[];
  } {
    return {
      ...this.health(),
      tradingState: this.tradingState,
      tradingStateInfo: this.tradingStateInfo,
      breaker: this.breaker?.status() ?? null,
      openOrders: [...this.orders.values()].map((r) => r.order).filter((o) => !isTerminal(o)),
      positions: [...this.positions.values()].map((r) => ({ position: r.position, exit: r.exit, mark: this.marks.get(r.position.symbol)?.last ?? null })),
      equity: this.equity(),
      emergency: this.lastEmergency,
      // Copies without the cached Decimal: what the API sends is the prices and their time.
      marks: Object.fromEntries(
        [...this.marks].map(([symbol, m]) => [
          symbol,
          { last: m.last, ...(m.bid !== undefined && { bid: m.bid }), ...(m.ask !== undefined && { ask: m.ask }), ts: m.ts },
        ]),
      ),
      inDoubt: this.inDoubtList(),
    };
  }

  /** The last price of every symbol (for the runtime's periodic marks event). */
  lastPrices(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [symbol, mark] of this.marks) out[symbol] = mark.last;
    return out;
  }

  /** The open position on a symbol (the first, when several), for the backtest loop. */
  openPosition(symbol: string): Position | null {
    for (const { position } of this.positions.values()) if (position.symbol === symbol && isPositive(position.quantity)) return position;
    return null;
  }

  get currentTradingState(): TradingState {
    return this.tradingState;
  }

  instrumentList(): Instrument[] {
    return [...this.instruments.values()];
  }

  /**
   * The settings in force (copies), for the risk and settings pages: the portfolio limits, every traded symbol's
   * settings (stored, or the defaults), which symbols have stored settings, and the breaker's config (null: no breaker).
   */
  riskSettings(): {
    limits: RiskLimitsSettings;
    defaults: SymbolSettings;
    symbolSettings: Record<string, SymbolSettings>;
    stored: string[];
    breakerConfig: CircuitBreaker["currentConfig"] | null;
  } {
    const symbolSettings: Record<string, SymbolSettings> = {};
    for (const symbol of this.instruments.keys()) symbolSettings[symbol] = structuredClone(this.settingsFor(symbol));
    return {
      limits: structuredClone(this.riskLimits),
      defaults: structuredClone(this.defaultSettings),
      symbolSettings,
      stored: [...this.symbolSettings.keys()].filter((s) => this.instruments.has(s)),
      breakerConfig: this.breaker?.currentConfig ?? null,
    };
  }

  venueId(): string {
    return this.venue.id;
  }
}

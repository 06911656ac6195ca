/**
 * The engine's shared context: the ports, settings and state every room reads, the transaction and audit helpers
 * (an audited action's row commits with its first durable change), and the small helpers the rooms share.
 */
import { refusal } from "../core/errors";
import { boundedJson, boundedText } from "../core/bounded-json";
import { CircuitBreaker, type BreakerConfigInput } from "../core/breaker";
import type { Clock } from "../core/clock";
import type { IdGenerator } from "../core/ids";
import type { MarketHistory } from "../core/market-history";
import { D, Decimal, numberToDecimal, ZERO, type DecimalInput } from "../core/money";
import type { ExitState } from "../core/positions";
import type { TradingState } from "../core/risk";
import type { Store, TradeRecord } from "../db/store";
import type { Venue } from "../venues/venue";
import { EventBus } from "./bus";
import { VenueSet } from "./venue-set";
import { DEFAULT_IN_DOUBT_POLICY, type InDoubtPolicy } from "./in-doubt";
import {
  DEFAULT_RISK_LIMITS,
  DEFAULT_SYMBOL_SETTINGS,
  symbolSettingsSchema,
  withAllInBudget,
  type RiskLimitsSettings,
  type SymbolSettings,
  type SymbolSettingsInput,
} from "./settings";
import { type Actor, type CommandResult, type SignalWindow, type EngineTimers, type Mark, type AuditDraft } from "./types";
import type { Books } from "./books";
import type { Intake } from "./intake";
import type { RiskGate } from "./risk-gate";
import type { Ledger } from "./ledger";
import type { Watchers } from "./watchers";
import type { Emergency } from "./emergency";
import type { Reconciliation } from "./reconciliation";
import type { UnknownOrders } from "./unknown-orders";
import type { InDoubtOrders } from "./in-doubt-orders";
import type { Accounting } from "./accounting";
import type { ProtectionsRoom } from "./protections";
import type { StrategyRecords } from "./sizing-methods";
import type { Algos } from "./algos";
import type { OrderRoutes } from "./order-routes";
import type { Arbitrage } from "./arbitrage";
import type { ArbPairConfig } from "../core/algos/arbitrage";
import type { ProtectionSettingsInput } from "../core/protection/settings";
import type { Engine } from "./engine";
import type { OrderLists } from "./order-lists";
import type { Amends } from "./amend";
import type { Expiries } from "./expiries";
import type { VenueRoom } from "./venue-room";

export interface EngineOptions {
  /** The one venue of a single-venue desk (or give `venues`). */
  venue?: Venue;
  /** Several venues in one engine (venue-set.ts); the first is the primary. Takes the place of `venue`. */
  venues?: Venue[];
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  bus?: EventBus;
  /** Equity at the very first start (later starts read the books). */
  initialEquity: DecimalInput;
  /** Currency equity and PnL are counted in. */
  quoteCurrency?: string;
  /** Fixed rates (units of quoteCurrency per unit) of pegged currencies without a conversion mark (accounting.ts). */
  conversionRates?: Record<string, DecimalInput>;
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
  /** Protection settings (core/protection; defaultProtectionSettings() for what is left out); absent or null: off. */
  protections?: ProtectionSettingsInput | null;
  /** The desk's market history (the runtime's): the portfolio gate's correlations and VaR (portfolio-gate.ts). */
  marketHistory?: MarketHistory;
  /** The desk file's arbitrage pairs (arbitrage.ts); absent or empty: no arbitrage executor. */
  arbitrage?: readonly ArbPairConfig[];
}

const defaultTimers: EngineTimers = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

const NO_VALUES: readonly never[] = [];

/** The map's values as an array to iterate while the map changes (none to copy when it is empty). */
export function valuesOf<V>(map: Map<string, V>): readonly V[] {
  return map.size === 0 ? NO_VALUES : [...map.values()];
}

/** Whether a position's exit state has any rule to watch (stop, take-profit, ladder, trailing, max age). */
export function exitHasRules(exit: ExitState | null): exit is ExitState {
  const c = exit?.config;
  return !!c && (!!c.stopLoss || !!c.takeProfit || !!c.trailingStop || c.maxAgeMs !== undefined || (c.takeProfitLadder?.length ?? 0) > 0);
}

/** The mark's last price as a Decimal (a number → Decimal conversion costs a string round trip: once per mark). */
export function markDecimal(mark: Mark): Decimal {
  return (mark.lastDec ??= numberToDecimal(mark.last));
}

/** Division that never rounds up: a sized quantity must never cost more than the money behind it. */
export const DecimalDown = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_DOWN });

/** The terminal statuses, from core (one set everywhere). */
export { TERMINAL_STATUSES } from "../core/orders/types";

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
export function isStoreFailure(e: unknown): e is Error & { code: string } {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  return e.name === "StoreError" || e.name === "SqliteError" || (typeof code === "string" && code.startsWith("SQLITE_"));
}

export function storeFailureText(e: Error & { code: string }): string {
  return `${e.code}: ${e.message.split("\n")[0]?.slice(0, 200) ?? ""}`;
}

export function fail(code: string, message: string, data?: Record<string, unknown>): CommandResult {
  return data ? { ok: false, error: refusal(code, message), data } : { ok: false, error: refusal(code, message) };
}

/** The sentence of a result: what was done, or why it was refused. */
export function resultMessage(result: CommandResult): string {
  return result.ok ? result.message : result.error.message;
}

export function done(message: string, data?: Record<string, unknown>): CommandResult {
  return data ? { ok: true, message, data } : { ok: true, message };
}

/**
 * What the rooms share: the ports (store, venue, clock, ids, bus), the settings, the trading state and the
 * transaction/audit helpers, plus a reference to every room. Built once by the Engine; a room reaches another
 * room only through it. State changes only inside the engine's queue (`run()`), so the single-writer rule holds: the
 * few asynchronous entry points (reconcile, adopting an order, looking up an order in doubt) read the venue first
 * and then queue their changes with `engine.run`.
 */
export class EngineContext {
  readonly options: EngineOptions;
  readonly bus: EventBus;
  readonly venue: Venue;
  /** The venues of a desk with several (venue-set.ts), also `venue`; null on a single-venue desk. */
  readonly venues: VenueSet | null;
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly quote: string;
  readonly log: NonNullable<EngineOptions["log"]>;
  readonly symbolSettings = new Map<string, SymbolSettings>();
  readonly defaultSettings: SymbolSettings;
  riskLimits: RiskLimitsSettings;
  breaker: CircuitBreaker | null;
  tradingState: TradingState = "ACTIVE";
  tradingStateInfo = { reason: "start", by: "system", since: 0 };
  initialEquity: Decimal;
  closedRealizedNet = ZERO;
  readonly expectedSlippageBps: number;
  readonly equitySnapshotOnFill: boolean;
  readonly timers: EngineTimers;
  readonly emergencyConfirmMs: number;
  /** Set once a store error interrupted a handler (memory was then reloaded from the books): shown by state() and health. */
  degradedInfo: { reason: string; since: number; lastAt: number; errors: number } | null = null;
  /** Set when this process must not trade any more (its lease is lost, or the books could not be reloaded): every command and venue call is refused. */
  stopInfo: { code: string; reason: string; since: number } | null = null;
  readonly inDoubtPolicy: InDoubtPolicy;
  /** The audited manual action being run, until its row is written (`transaction`); null for other work. */
  auditDraft: AuditDraft | null = null;
  transactionDepth = 0;

  /** The rooms, set by the Engine's constructor right after this object is built. */
  engine!: Engine;
  books!: Books;
  intake!: Intake;
  gate!: RiskGate;
  ledger!: Ledger;
  watchers!: Watchers;
  emergency!: Emergency;
  reconciliation!: Reconciliation;
  unknowns!: UnknownOrders;
  doubts!: InDoubtOrders;
  accounting!: Accounting;
  protections!: ProtectionsRoom;
  lists!: OrderLists;
  amends!: Amends;
  expiries!: Expiries;
  /** Per strategy, its closed trades' record (kelly sizing). */
  strategyRecords!: StrategyRecords;
  venueRoom!: VenueRoom;
  algos!: Algos;
  /** Smart order routing over the venues (order-routes.ts). */
  routes!: OrderRoutes;
  arbitrage!: Arbitrage;
  /** The engine's overridable hook for closed trades (the backtest keeps its trade list through it). */
  onTradeClosed!: (trade: TradeRecord) => void;

  constructor(options: EngineOptions) {
    this.options = options;
    // A VenueSet given as `venue` (the runtime builds one to close and watch it) is a desk with several venues too.
    this.venues = options.venues && options.venues.length > 0 ? new VenueSet(options.venues) : options.venue instanceof VenueSet ? options.venue : null;
    const venue = this.venues ?? options.venue;
    if (!venue) throw new EngineError("NO_VENUE", "An engine needs a venue (`venue`) or several (`venues`).");
    this.venue = venue;
    this.store = options.store;
    this.clock = options.clock;
    this.ids = options.ids;
    this.bus = options.bus ?? new EventBus();
    this.quote = options.quoteCurrency ?? "USDT";
    this.log = options.log ?? (() => undefined);
    this.initialEquity = D(options.initialEquity);
    this.expectedSlippageBps = options.expectedSlippageBps ?? 0;
    this.equitySnapshotOnFill = options.equitySnapshotOnFill ?? true;
    const given = options.defaultSymbolSettings;
    // A backtest's narrowed all_in budget is not in the schema (people cannot set it): carried over once checked.
    this.defaultSettings = given ? withAllInBudget(symbolSettingsSchema.parse(given), given.sizing) : DEFAULT_SYMBOL_SETTINGS;
    this.riskLimits = options.riskLimits ?? DEFAULT_RISK_LIMITS;
    this.breaker = options.breaker === null ? null : new CircuitBreaker(options.breaker ?? {}, this.clock);
    this.timers = options.timers ?? defaultTimers;
    this.emergencyConfirmMs = options.emergencyConfirmMs ?? 10_000;
    this.inDoubtPolicy = { ...DEFAULT_IN_DOUBT_POLICY, ...options.inDoubtPolicy };
  }

  /** Every room that keeps memory read from the books forgets it (reloadFromStore reads it back). */
  resetRooms(): void {
    for (const name of RESETTABLE_ROOMS) this[name].reset();
  }

  /**
   * Runs a manual action and records who/when/what/why/result in the audit log, in the same transaction as the
   * action's first durable change (`transaction`): for an order, the intent's journal transaction, which commits before
   * the venue is called, so a crash after it cannot leave a sent order unaudited. An action that changes nothing (a
   * refusal) gets its row alone, afterwards.
   */
  audited(actor: Actor, action: string, target: string | null, reason: string | null, params: unknown, fn: () => CommandResult): CommandResult {
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
    if (!written || written.ok !== result.ok || (!written.ok && !result.ok && written.error.code !== result.error.code)) {
      this.appendAuditRow(actor, action, target, reason, params, result);
    }
    return result;
  }

  /**
   * Every store transaction of the engine. The outermost one committed while an audited action has not written its
   * audit row yet writes it too, saying what commits (`committed`: a result, or words after "accepted: "). The draft
   * is marked written only once the transaction committed: a failed one rolls the row back with everything else.
   */
  transaction<T>(fn: () => T, committed?: string | CommandResult): T {
    const draft = this.transactionDepth === 0 && this.auditDraft && !this.auditDraft.written ? this.auditDraft : null;
    const row = draft && (typeof committed === "object" ? committed : done(`accepted: ${committed ?? "its first change committed"}`));
    this.transactionDepth++;
    try {
      // Without an audit row to write, `fn` itself is the store's transaction (no wrapper closure per fill and order).
      const value =
        draft && row
          ? this.store.transaction(() => {
              const out = fn();
              this.appendAuditRow(draft.actor, draft.action, draft.target, draft.reason, draft.params, row);
              return out;
            })
          : this.store.transaction(fn);
      if (draft) draft.written = row;
      return value;
    } catch (error) {
      // A simulator saving into this database (joinsDeskTransaction) may have written into what just rolled back.
      if (this.transactionDepth === 1) this.venue.deskTransactionRolledBack?.();
      throw error;
    } finally {
      this.transactionDepth--;
    }
  }

  /** A write outside a transaction: while an audited action has not written its audit row, it commits with it. */
  durably(fn: () => void, committed?: string | CommandResult): void {
    if (this.writesAlone()) fn();
    else this.transaction(fn, committed);
  }

  /** Whether durably would call its function as is (no audited action's row waits to commit with this write). */
  writesAlone(): boolean {
    return !(this.transactionDepth === 0 && this.auditDraft && !this.auditDraft.written);
  }

  /** The audit entry of a manual action (a system actor's actions are not audited). */
  appendAuditRow(actor: Actor, action: string, target: string | null, reason: string | null, params: unknown, result: CommandResult): void {
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
      result: result.ok ? "OK" : result.error.code === "INTERNAL_ERROR" ? "ERROR" : "REFUSED",
      detail: boundedText(result.ok ? result.message : `${result.error.code}: ${result.error.message}`),
    });
  }

  /**
   * A settings change (no venue call): its store write and its audit entry commit in one transaction, and memory
   * changes only after the commit. A store failure leaves both as they were and is reported (and audited if it can be).
   */
  auditedChange(
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
}

/** A room that keeps memory read from the books; `reset()` forgets it. */
interface Resettable {
  reset(): void;
}

/** The context's fields that are resettable rooms. */
type ResettableRoom = { [K in keyof EngineContext]: EngineContext[K] extends Resettable ? K : never }[keyof EngineContext];

/** The rooms resetRooms() asks; the check below fails to compile when a room with reset() is left out. */
const RESETTABLE_ROOMS = ["books", "gate", "ledger", "unknowns", "doubts"] as const satisfies readonly ResettableRoom[];
const everyRoomListed: [Exclude<ResettableRoom, (typeof RESETTABLE_ROOMS)[number]>] extends [never] ? true : never = true;
void everyRoomListed;

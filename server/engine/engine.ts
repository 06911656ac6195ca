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
 * This file keeps the queue, `start`, store-failure recovery and the read-only views (the larger ones in views.ts);
 * commands.ts dispatches each command to its room. The work is done by rooms sharing one EngineContext (context.ts), in
 * the order a signal meets them: intake.ts (sizing-methods.ts sizes, venue-room.ts routes, algos.ts works an algo
 * entry) → risk-gate.ts (protections.ts locks, expiries.ts watches a GTD) → ledger.ts → watchers.ts; beside them
 * books.ts (records, marks), order-lists.ts, amend.ts, emergency.ts, reconciliation.ts, unknown-orders.ts,
 * in-doubt-orders.ts, accounting.ts and arbitrage.ts (the arbitrage executor's round trips).
 */
import { CircuitBreaker } from "../core/breaker";
import type { Instrument } from "../core/instrument";
import { type Decimal, isPositive } from "../core/money";
import { type OrderSide } from "../core/orders";
import { type Position } from "../core/positions";
import type { TradingState } from "../core/risk";
import type { MarketUpdate } from "../core/market-data";
import type { TradeRecord } from "../db/store";
import { type EventBus } from "./bus";
import type { InDoubtView } from "./in-doubt";
import type { SymbolSettings } from "./settings";
import { type Actor, type CommandResult, type EngineCommand, type EquityPoint, type UnknownOrder } from "./types";
import { type EngineOptions, valuesOf, exitHasRules, EngineError, isStoreFailure, storeFailureText, fail, EngineContext } from "./context";
import { Books, ownerOf } from "./books";
import { Intake } from "./intake";
import { RiskGate } from "./risk-gate";
import { Ledger } from "./ledger";
import { Watchers } from "./watchers";
import { Emergency } from "./emergency";
import { Reconciliation } from "./reconciliation";
import { UnknownOrders } from "./unknown-orders";
import { InDoubtOrders } from "./in-doubt-orders";
import { Accounting } from "./accounting";
import { ProtectionsRoom } from "./protections";
import { OrderLists, type OrderListView } from "./order-lists";
import { Amends } from "./amend";
import { Expiries } from "./expiries";
import { StrategyRecords } from "./sizing-methods";
import { VenueRoom } from "./venue-room";
import { Algos, type ParentView } from "./algos";
import { OrderRoutes } from "./order-routes";
import { MAX_VISIBLE_DEPTH } from "../core/algos/routing";
import { Arbitrage, type ArbitrageView } from "./arbitrage";
import { dispatchCommand } from "./commands";
import { healthView, riskSettingsView, stateView, type EngineHealth, type EngineState, type RiskSettingsView } from "./views";
import type { AllocationMethod } from "../core/risk/portfolio-report";
import type { Result } from "../core/errors";

export type { EngineOptions } from "./context";
export { EngineError } from "./context";
export { DEFAULT_SIGNAL_WINDOW, DRIFT_RESOLUTION_KINDS, type EngineTimers, type SignalWindow, type UnknownOrder } from "./types";

/** Commands that change settings (see handleGuarded). */
const SETTINGS_COMMANDS: ReadonlySet<EngineCommand["kind"]> = new Set(["setSymbolSettings", "setRiskLimits", "setBreakerConfig"]);

export class Engine {
  readonly bus: EventBus;
  /** The rooms and what they share; every room is called only from inside `run()`. */
  private readonly cx: EngineContext;
  private queue: (() => void)[] = [];
  private draining = false;
  private started = false;

  constructor(options: EngineOptions) {
    const cx = new EngineContext(options);
    this.cx = cx;
    this.bus = cx.bus;
    cx.engine = this;
    cx.onTradeClosed = (trade) => this.onTradeClosed(trade);
    cx.books = new Books(cx);
    cx.intake = new Intake(cx);
    cx.gate = new RiskGate(cx);
    cx.ledger = new Ledger(cx);
    cx.watchers = new Watchers(cx);
    cx.emergency = new Emergency(cx);
    cx.reconciliation = new Reconciliation(cx);
    cx.unknowns = new UnknownOrders(cx);
    cx.doubts = new InDoubtOrders(cx);
    cx.accounting = new Accounting(cx);
    cx.protections = new ProtectionsRoom(cx, options.protections);
    cx.lists = new OrderLists(cx);
    cx.amends = new Amends(cx);
    cx.expiries = new Expiries(cx);
    cx.strategyRecords = new StrategyRecords(cx);
    cx.venueRoom = new VenueRoom(cx);
    if (cx.venues) cx.venues.venueOfOrder = (clientOrderId) => cx.venueRoom.venueOfOrder(clientOrderId);
    cx.algos = new Algos(cx);
    cx.routes = new OrderRoutes(cx);
    cx.arbitrage = new Arbitrage(cx);
    for (const instrument of cx.venue.instruments()) cx.books.instruments.set(instrument.symbol, instrument);
    cx.venue.setEventSink(
      (events) => void this.run(() => cx.ledger.ingest(events, "venue")).catch((e: unknown) => cx.log("error", `venue events: ${String(e)}`)),
    );
    cx.venue.setInDoubtSink?.(
      (report) => void this.run(() => cx.doubts.markInDoubt(report)).catch((e: unknown) => cx.log("error", `order in doubt: ${String(e)}`)),
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
    // Settings changes call no venue and were never refused by the stop latch: they still are not.
    const stopped = SETTINGS_COMMANDS.has(command.kind) ? null : this.refusalWhenStopped();
    if (stopped) return stopped;
    try {
      return this.handle(command);
    } catch (e) {
      if (!isStoreFailure(e)) throw e;
      const failure = this.recoverFromStoreFailure(e);
      if (command.kind !== "signal" && command.actor.role !== "system") {
        try {
          this.cx.store.appendAudit({
            ts: this.cx.clock.now(),
            actor: command.actor.username,
            role: command.actor.role,
            action: command.kind.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
            target: null,
            reason: command.reason ?? null,
            params: null,
            result: "ERROR",
            detail: `${failure.code}: ${failure.message}`,
          });
        } catch (auditError) {
          this.cx.log("error", `audit of a failed ${command.kind} not written: ${String(auditError)}`);
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
    const now = this.cx.clock.now();
    const detail = storeFailureText(error);
    const previous = this.cx.degradedInfo;
    this.cx.degradedInfo = { reason: detail, since: previous?.since ?? now, lastAt: now, errors: (previous?.errors ?? 0) + 1 };
    this.cx.intake.signalInFlight = null;
    this.cx.log("error", `store error in a handler: ${detail}`);
    if (error.code === "LEASE_LOST") {
      this.stopTrading("LEASE_LOST", error.message);
      return { code: "LEASE_LOST", message: `${error.message} Trading stopped in this process; nothing more is sent to ${this.cx.venue.id}.` };
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
    const message = `The database refused a write (${detail}). What was not committed was undone in memory too (the books were reloaded from the database), and nothing uncommitted was sent to ${this.cx.venue.id}. The engine reports itself degraded.`;
    this.cx.bus.publish({ type: "alert", level: "error", message });
    return { code: "STORE_ERROR", message };
  }

  /** Memory from the books: orders, positions, state and settings as the database has them. */
  private reloadFromStore(): void {
    this.cx.resetRooms();
    this.cx.symbolSettings.clear();
    this.cx.tradingState = "ACTIVE";
    // Without a stored snapshot the breaker is what a restart would build (a trip that did not commit is undone).
    if (this.cx.breaker && this.cx.store.getState<unknown>("breaker") === null) {
      const fresh = CircuitBreaker.create(this.cx.store.getState<unknown>("breakerConfig") ?? this.cx.breaker.currentConfig, this.cx.clock);
      if (fresh.ok) this.cx.breaker = fresh.value;
    }
    this.cx.reconciliation.restore();
    this.cx.protections.restore();
    this.cx.lists.restore();
    this.cx.amends.restore();
    this.cx.expiries.restore();
    this.cx.strategyRecords.forget();
    this.cx.algos.restore();
    this.cx.arbitrage.restore();
    this.cx.routes.restore();
    // Markers that committed are back; their lookups go on (a marker that did not commit has no order to look up).
    for (const coid of this.cx.doubts.inDoubt.keys()) if (!this.cx.doubts.inDoubtTimers.has(coid)) this.cx.doubts.scheduleInDoubtLookup(coid);
  }

  /**
   * Stops trading in this process at once (a latch, not persisted: this process may no longer write): every
   * command is refused and no venue call is made. For a lost lease (the runtime calls it when a heartbeat fails)
   * and books that cannot be read back.
   */
  stopTrading(code: string, reason: string): void {
    if (this.cx.stopInfo) return;
    this.cx.stopInfo = { code, reason, since: this.cx.clock.now() };
    this.cx.tradingState = "HALTED";
    this.cx.tradingStateInfo = { reason: `${code}: ${reason}`, by: "system", since: this.cx.stopInfo.since };
    if (this.cx.emergency.halt) this.cx.timers.clearTimeout(this.cx.emergency.halt.timer);
    this.cx.emergency.halt = null;
    for (const record of this.cx.books.positions.values()) record.pendingClose = null;
    // Orders still waiting in the venue's queue or for a retry never leave (this process may no longer write their
    // end: the next owner's reconciliation finds them never sent).
    const dropped = this.cx.venue.haltNewOrders?.() ?? [];
    if (dropped.length > 0) this.cx.log("warn", `trading stopped: ${dropped.length} queued new order(s) dropped before reaching ${this.cx.venue.id}`);
    this.cx.log("error", `trading stopped: ${code}: ${reason}`);
    this.cx.bus.publish({ type: "tradingState", state: "HALTED", reason: `${code}: ${reason}`, by: "system" });
    this.cx.bus.publish({ type: "alert", level: "error", message: `Trading stopped in this process (${code}): ${reason}` });
  }

  refusalWhenStopped(): CommandResult | null {
    const stop = this.cx.stopInfo;
    if (!stop) return null;
    return fail(stop.code, `Trading is stopped in this process (${stop.reason}); nothing is sent to ${this.cx.venue.id}. Restart the engine.`);
  }

  /** Degraded (a store error happened; memory was reloaded) and stopped (no trading at all in this process). */
  health(): EngineHealth {
    return healthView(this.cx);
  }

  /**
   * Before a routed order (order-routes.ts): asks the venues that can be asked (ccxt) for the symbol's book, outside the
   * queue, so the routing reads it synchronously. A venue whose fetch fails is skipped by the route with that reason.
   */
  refreshVisibleBooks(symbol: string): Promise<void> {
    return this.cx.venues?.refreshBooks(symbol, MAX_VISIBLE_DEPTH) ?? Promise.resolve();
  }

  marketData(update: MarketUpdate, options?: { evaluateExits?: boolean }): Promise<void> {
    return this.run(() => this.cx.watchers.onMarketData(update, options));
  }

  /** Synchronous market data for the backtest loop (never from inside another handler). */
  executeMarketData(update: MarketUpdate): void {
    if (this.draining) throw new EngineError("REENTRANT", "executeMarketData called while the engine is processing another command");
    this.cx.watchers.onMarketData(update);
  }

  /** The engine's clock: what a signal without its own time is stamped with. */
  now(): number {
    return this.cx.clock.now();
  }

  hasWorkingOrders(): boolean {
    return this.cx.books.orders.size > 0;
  }

  /** True when an open position has exit rules to watch. */
  hasExitRules(): boolean {
    const positions = this.cx.books.positions;
    if (positions.size === 0) return false; // asked every candle of a backtest: no iterator while flat
    for (const record of positions.values()) if (exitHasRules(record.exit)) return true;
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // Start: restore from the database, then reconcile with the venue.

  /** Restores state from the store and reconciles with the venue. Call once before anything else. */
  async start(): Promise<{ drifts: number }> {
    this.cx.reconciliation.restore();
    this.cx.protections.restore();
    this.cx.lists.restore();
    this.cx.amends.restore();
    this.cx.venueRoom.restore();
    await this.run(() => this.cx.venueRoom.saveListings());
    if (this.cx.tradingState === "HALTED") this.cx.venue.haltNewOrders?.();
    // A simulated venue moves only when called: a request on the wire when the desk stopped has reached it by now (the
    // exchange kept running). It arrives before reconciliation asks for it, or it would look never sent and then fill.
    await this.run(() => {
      const arrived = this.cx.venue.advanceTo(this.cx.clock.now());
      if (arrived.length > 0) this.cx.ledger.ingest(arrived, "venue");
    });
    const drifts = await this.cx.reconciliation.reconcile();
    await this.run(() => this.cx.expiries.restore());
    await this.run(() => {
      // A close that waited for exits which ended while the engine was down goes out now.
      for (const record of valuesOf(this.cx.books.positions))
        if (record.pendingClose && this.cx.books.workingExitsFor(record.position.id).length === 0) this.cx.watchers.sendPendingClose(record);
    });
    for (const coid of this.cx.doubts.inDoubt.keys()) this.cx.doubts.scheduleInDoubtLookup(coid);
    // Parents after reconciliation: a child sent before a crash is looked up in books that are up to date.
    await this.run(() => this.cx.algos.restore());
    // Arbitrage round trips likewise: a leg sent before a crash is followed, never sent again.
    await this.run(() => this.cx.arbitrage.restore());
    // Routes interrupted before their children were placed are finished (never re-sent): order-routes.ts.
    await this.run(() => this.cx.routes.restore());
    this.started = true;
    this.cx.accounting.recordEquity("start");
    return { drifts };
  }

  get isStarted(): boolean {
    return this.started;
  }

  // ---------------------------------------------------------------------------------------------
  // Commands

  private handle(command: EngineCommand): CommandResult {
    return dispatchCommand(this.cx, command);
  }

  /** Hook for the backtest's trade list; the live desk reads trades from the store. */
  protected onTradeClosed(trade: TradeRecord): void {
    this.cx.emergency.afterBreakerCall(this.cx.breaker?.recordTrade(trade.pnl) ?? null);
    this.cx.protections.onTradeClosed(trade);
    this.cx.strategyRecords.onTradeClosed(trade);
  }

  /** Periodic duties (auto reset, heartbeat-driven checks); the runtime calls it every few seconds. */
  tick(load: { eventLoopLagMs?: number } = {}): Promise<void> {
    return this.run(() => {
      // The event loop's lag is measured by the runtime (it owns the process); the queue depth is the engine's own.
      this.cx.protections.tick(this.cx.clock.now(), { eventLoopLagMs: load.eventLoopLagMs ?? 0, queueDepth: this.queue.length });
      if (!this.cx.breaker) return;
      const outcome = this.cx.breaker.tick();
      if (outcome.reset) {
        this.cx.store.appendBreakerEvent({
          ts: this.cx.clock.now(),
          kind: "RESET",
          reason: "AUTO",
          message: "automatic reset after the cooldown",
          by: "system",
          action: null,
          detail: null,
        });
        this.cx.emergency.saveBreaker();
        this.cx.emergency.setTradingState("ACTIVE", "breaker auto-reset", "system");
      }
      if (outcome.trip) this.cx.emergency.afterBreakerCall(outcome.trip);
      const events = this.cx.venue.advanceTo(this.cx.clock.now());
      if (events.length > 0) this.cx.ledger.ingest(events, "venue");
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Read-only views (for the API and tests)

  /** Trading state, open orders, positions, equity, marks, venues and health in one view (views.ts). */
  state(): EngineState {
    return stateView(this.cx);
  }

  /** Target weights of an allocation method on the gate's covariance, as `target_weight` sizing sees them (target-weight.ts). */
  targetWeights(method: AllocationMethod): Result<Record<string, number>, string> {
    return this.cx.gate.targetWeights(method);
  }

  /** The last price of every symbol (for the runtime's periodic marks event). */
  lastPrices(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [symbol, mark] of this.cx.books.marks) out[symbol] = mark.last;
    return out;
  }

  /**
   * The open position on a symbol (the first, when several), for the backtest loop and the built-in strategies; with
   * `owner` (a strategy, or `manual`), only that owner's: positions belong to (symbol, owner).
   */
  openPosition(symbol: string, owner?: string): Position | null {
    for (const record of this.cx.books.positions.values()) {
      const position = record.position;
      if (position.symbol === symbol && isPositive(position.quantity) && (owner === undefined || ownerOf(record.meta) === owner)) return position;
    }
    return null;
  }

  /** Who a position belongs to (its strategy, or `manual`); null when it is not in the books' open positions. */
  positionOwner(positionId: string): string | null {
    const record = this.cx.books.positions.get(positionId);
    return record ? ownerOf(record.meta) : null;
  }

  get currentTradingState(): TradingState {
    return this.cx.tradingState;
  }

  instrumentList(): Instrument[] {
    return [...this.cx.books.instruments.values()];
  }

  /**
   * The settings in force (copies), for the risk and settings pages: the portfolio limits, every traded symbol's
   * settings (stored, or the defaults), which symbols have stored settings, and the breaker's config (null: no breaker).
   */
  riskSettings(): RiskSettingsView {
    return riskSettingsView(this.cx);
  }

  /** Order lists with their legs' orders: the working ones, or every stored one (`all`), newest first. */
  orderLists(options: { all?: boolean; limit?: number } = {}): OrderListView[] {
    return this.cx.lists.view(options);
  }

  /** Each venue's connection, for /api/health (one entry on a single-venue desk). */
  venueStatuses(): { id: string; exchange: string; connected: boolean; latencyMs: number | null; lastError: string | null }[] {
    return this.cx.venueRoom.statuses();
  }

  /** Volume traded on a symbol (a backtest's candle volume): POV parents take their share of it. Synchronous, like executeMarketData. */
  noteTradedVolume(symbol: string, volume: number): void {
    if (this.draining) throw new EngineError("REENTRANT", "noteTradedVolume called while the engine is processing another command");
    this.cx.algos.onVolume(symbol, volume);
  }

  /** True while a parent order (on `symbol`, when given) still works (the backtest loop feeds it every candle then). */
  hasLiveParents(symbol?: string): boolean {
    return symbol === undefined ? this.cx.algos.hasLive : this.cx.algos.hasLiveOn(symbol);
  }

  /** The ids of the parents on `symbol` that still work (working or paused). */
  liveParentIds(symbol: string): string[] {
    return this.cx.algos.liveIdsOn(symbol);
  }

  /** Parent orders with progress and children, newest first (the Orders page). */
  parentOrders(limit?: number): ParentView[] {
    return this.cx.algos.list(limit);
  }

  /** The arbitrage pairs, opportunities and round trips (the Arbitrage page). */
  arbitrage(limits: { opportunities: number; roundTrips: number }): ArbitrageView {
    return this.cx.arbitrage.view(limits);
  }

  venueId(): string {
    return this.cx.venue.id;
  }

  /** Protection locks in force and the recent firings (newest first), for the Protections panel. */
  protections(): ReturnType<EngineContext["protections"]["view"]> {
    return this.cx.protections.view(this.cx.clock.now());
  }

  /** The venue a position lives on (the primary venue's id for one the books no longer hold). */
  positionVenue(positionId: string): string {
    const record = this.cx.books.positions.get(positionId);
    return record ? this.cx.venueRoom.venueOfPosition(record) : this.cx.venue.id;
  }

  // ---------------------------------------------------------------------------------------------
  // Entry points kept on the engine for its callers (the API, the runtime, tests); the rooms do the work.

  reconcile(options: { graceMs?: number } = {}): Promise<number> {
    return this.cx.reconciliation.reconcile(options);
  }

  unknownOrderList(): UnknownOrder[] {
    return this.cx.unknowns.unknownOrderList();
  }

  noteVenueError(): void {
    return this.cx.gate.noteVenueError();
  }

  noteVenueSuccess(): void {
    return this.cx.gate.noteVenueSuccess();
  }

  openOrderSums(exceptClientOrderId?: string): {
    reservedBySymbol: Map<string, Decimal>;
    workingReduceOnlyBySymbol: Map<string, Partial<Record<OrderSide, Decimal>>>;
  } {
    return this.cx.gate.openOrderSums(exceptClientOrderId);
  }

  setMark(symbol: string, price: number, ts: number): void {
    return this.cx.books.setMark(symbol, price, ts);
  }

  adoptOrder(clientOrderId: string, actor: Actor, reason: string | null): Promise<CommandResult> {
    return this.cx.unknowns.adoptOrder(clientOrderId, actor, reason);
  }

  cancelUnknownOrder(clientOrderId: string, actor: Actor, reason: string | null): Promise<CommandResult> {
    return this.cx.unknowns.cancelUnknownOrder(clientOrderId, actor, reason);
  }

  acknowledgeDrift(drift: { id: number; kind: string; subject: string }, actor: Actor, reason: string | null): Promise<CommandResult> {
    return this.cx.reconciliation.acknowledgeDrift(drift, actor, reason);
  }

  inDoubtList(): InDoubtView[] {
    return this.cx.doubts.inDoubtList();
  }

  adoptInDoubt(clientOrderId: string, actor: Actor, reason: string | null): Promise<CommandResult> {
    return this.cx.doubts.adoptInDoubt(clientOrderId, actor, reason);
  }

  markInDoubtNotPlaced(clientOrderId: string, actor: Actor, reason: string): Promise<CommandResult> {
    return this.cx.doubts.markInDoubtNotPlaced(clientOrderId, actor, reason);
  }

  settingsFor(symbol: string): SymbolSettings {
    return this.cx.gate.settingsFor(symbol);
  }

  realizedEquity(): Decimal {
    return this.cx.accounting.realizedEquity();
  }

  equity(): EquityPoint {
    return this.cx.accounting.equity();
  }

  recordEquity(cause: "schedule" | "fill" | "start"): EquityPoint {
    return this.cx.accounting.recordEquity(cause);
  }
}

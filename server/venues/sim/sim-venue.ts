/**
 * The simulated exchange behind the Venue port (paper, replay, backtest): a MatchingEngine (the pure
 * matching engine in core/sim) plus, optionally, durability of its own.
 *
 * Durability (`statePath`): the venue plays the exchange, and an exchange does not forget what it did
 * when the trading engine crashes. It keeps a small SQLite file of its own (see sim-state.ts for the format)
 * and, after every call that changed its state, writes — in one transaction, BEFORE returning the events —
 * the simulator's venue-wide state (no orders), the fills made and the records of the orders the call changed
 * (the simulator tracks them: takeTouched). So whatever the engine saw, the venue has durably done; on
 * construction with an existing file it restores from it.
 * Without `statePath` it lives in memory only (backtests). With `desk` (the engine's store) its tables live in Bastion's
 * database instead: a call the engine makes inside its own open transaction (a new order, right after the intent's rows:
 * risk-gate.ts) saves there and commits with the intent — and with the acceptance, when that is the whole answer — in one
 * commit. Should that transaction roll back, the engine says so (deskTransactionRolledBack) and the venue stops as after a
 * failed write of its own.
 *
 * When does it write? Requests (submit, cancel, cancelAll, modify) always change state (at least the
 * request queue), so each costs one transaction. Market data and advanceTo write only when the
 * simulator's revision moved: an event was produced, or a trailing stop moved its trigger. Updates
 * that only move prices (most of them) write nothing, so after an abrupt stop the restored venue knows
 * the market as of its last write (last price, quotes, book, volatility window) until the next update
 * arrives; its orders, balances and fills are exact. close() writes the full current state.
 * Cost of one write: the venue-wide state is O(symbols + depth of the last book per symbol + the 30-day fill
 * window when fee tiers are configured) of JSON — not O(open orders) — plus one row per fill and per order
 * the call changed, with an fsync (synchronous FULL, the default; NORMAL skips it and survives process crashes
 * but not power loss). Pruning of old finished orders runs once per ~1000 finished orders.
 *
 * The event sink: the simulator returns every event synchronously from the call that caused it, so
 * the sink is never used by requests or market data. It is used only by the optional timer
 * (startTimer), which calls advanceTo on a clock for replay (request arrivals and GTD expiries when no
 * market data comes) and pushes what that produces into the sink.
 *
 * If a write fails, the simulator in memory is ahead of its file: the venue stops (every later call
 * throws TransientVenueError SIM_STATE_WRITE_FAILED and status() reports it) and a restart restores
 * the last durable state — as if the exchange never received the request.
 */
import { type Clock } from "../../core/clock";
import { type Instrument } from "../../core/instrument";
import { D, type Decimal } from "../../core/money";
import { TERMINAL_STATUSES, type OrderSpec } from "../../core/orders/types";
import { fillFromRecord, fillToRecord, type SimFill, type SimFillRecord, type SimOrderRecord } from "../../core/sim/snapshot";
import { MatchingEngine, type SimOrderView, type MatchingEngineConfig } from "../../core/sim/matching-engine";
import {
  TransientVenueError,
  type MarketUpdate,
  type OrderChanges,
  type Venue,
  type VenueBalance,
  type VenueEvent,
  type VenueFill,
  type VenueOrderSnapshot,
  type VenueStatus,
  type VisibleBook,
} from "../venue";
import { SimStateFile, type SimStateHost, type SimStateOptions } from "./sim-state";

export interface SimVenueOptions extends SimStateOptions {
  /** The venue id in (venue, tradeId). Default "sim". */
  id?: string;
  /** The venue's own SQLite file; without it (and without `desk`) the venue is in memory only. */
  statePath?: string;
  /**
   * The desk's database to keep the exchange's tables in, instead of a file of its own (`statePath` is then ignored):
   * the engine's store. A request the engine makes inside its own open transaction then commits with it (see the header).
   */
  desk?: SimStateHost;
}

function toSnapshot(view: SimOrderView): VenueOrderSnapshot {
  return {
    clientOrderId: view.clientOrderId,
    venueOrderId: view.venueOrderId,
    symbol: view.symbol,
    side: view.side,
    type: view.type,
    status: view.status,
    quantity: view.quantity,
    filledQty: view.filledQty,
    price: view.price,
    triggerPrice: view.triggerPrice,
    avgFillPrice: view.avgFillPrice,
    reason: view.reason,
  };
}

function toVenueFill(fill: SimFill): VenueFill {
  return {
    tradeId: fill.tradeId,
    clientOrderId: fill.clientOrderId,
    symbol: fill.symbol,
    side: fill.side,
    qty: fill.qty,
    price: fill.price,
    fee: fill.fee,
    feeCurrency: fill.feeCurrency,
    liquidity: fill.liquidity,
    ts: fill.ts,
  };
}

export class SimVenue implements Venue {
  readonly id: string;
  readonly kind = "sim" as const;
  private readonly config: MatchingEngineConfig;
  private readonly core: MatchingEngine;
  private readonly file: SimStateFile | null;
  private readonly quoteOf = new Map<string, string>();
  private savedRevision: number;
  private sink: ((events: VenueEvent[]) => void) | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private failure: string | null = null;
  private closed = false;
  /** Latest `now` seen, for the close() write's timestamp. */
  private lastNow = 0;
  /** A write joined a transaction of the desk that has not been seen to end yet (see deskTransactionRolledBack). */
  private joinedOpen = false;
  /** True when the state lives in the desk's database: a request made inside the desk's transaction commits with it. */
  readonly joinsDeskTransaction: boolean;

  constructor(config: MatchingEngineConfig, options: SimVenueOptions = {}) {
    this.id = options.id ?? "sim";
    this.config = config;
    for (const instrument of config.instruments) this.quoteOf.set(instrument.symbol, instrument.quote);
    this.joinsDeskTransaction = options.desk !== undefined;
    if (options.statePath === undefined && options.desk === undefined) {
      this.file = null;
      this.core = new MatchingEngine(config);
    } else {
      const file = options.desk
        ? new SimStateFile(options.desk.database.name, this.id, options, options.desk)
        : new SimStateFile(options.statePath!, this.id, options);
      try {
        const saved = file.load(config.fillHistoryLimit ?? 10_000);
        if (saved) {
          const inSnapshot = new Set(saved.snapshot.orders.map((order) => order.clientOrderId));
          const finished = saved.finished.filter((order) => !inSnapshot.has(order.clientOrderId));
          this.core = MatchingEngine.fromSnapshot(config, { ...saved.snapshot, orders: [...finished, ...saved.snapshot.orders], fills: saved.fills });
          this.core.trackTouched();
          if (!saved.ordersInRows) {
            // A file from before orders had rows of their own: write every open order's row once, then the head.
            const orders = this.core.toSnapshot({ history: false }).orders.map((record) => ({ record, done: TERMINAL_STATUSES.has(record.status) }));
            file.commit({ snapshot: this.core.toSnapshot({ ordersElsewhere: true }), ordersInRows: true, fills: [], orders, now: 0 });
          }
        } else {
          this.core = new MatchingEngine(config);
          this.core.trackTouched();
          file.commit({ snapshot: this.core.toSnapshot({ ordersElsewhere: true }), ordersInRows: true, fills: [], orders: [], now: 0 });
        }
      } catch (error) {
        file.close();
        throw error;
      }
      this.file = file;
    }
    this.savedRevision = this.core.revision;
  }

  instruments(): Instrument[] {
    return [...this.config.instruments];
  }

  setEventSink(sink: (events: VenueEvent[]) => void): void {
    this.sink = sink;
  }

  submit(spec: OrderSpec, now: number): VenueEvent[] {
    this.enter();
    return this.leave(this.core.submit(spec, now), now);
  }

  cancel(clientOrderId: string, now: number): VenueEvent[] {
    this.enter();
    return this.leave(this.core.cancel(clientOrderId, now), now);
  }

  cancelAll(symbol: string | undefined, now: number): VenueEvent[] {
    this.enter();
    return this.leave(this.core.cancelAll(symbol, now), now);
  }

  modify(clientOrderId: string, changes: OrderChanges, now: number): VenueEvent[] {
    this.enter();
    return this.leave(this.core.modify(clientOrderId, changes, now), now);
  }

  onMarketData(update: MarketUpdate, now: number): VenueEvent[] {
    this.enter();
    return this.leave(this.core.onMarketData(update, now), now);
  }

  advanceTo(now: number): VenueEvent[] {
    this.enter();
    return this.leave(this.core.advanceTo(now), now);
  }

  /**
   * Replay helper: every `intervalMs` of wall time, advanceTo(clock.now()) and push what it produces into
   * the event sink. Returns a function that stops the timer (close() stops it too).
   */
  startTimer(clock: Clock, intervalMs: number): () => void {
    this.stopTimer();
    const timer = setInterval(() => {
      if (this.closed || this.failure !== null) return;
      try {
        const events = this.advanceTo(clock.now());
        if (events.length > 0) this.sink?.(events);
      } catch {
        // The failure is recorded (status()) and every later call reports it.
      }
    }, intervalMs);
    timer.unref();
    this.timer = timer;
    return () => {
      if (this.timer === timer) this.stopTimer();
    };
  }

  fetchOrder(clientOrderId: string): Promise<VenueOrderSnapshot | null> {
    return this.read(() => {
      const view = this.core.order(clientOrderId);
      return view ? toSnapshot(view) : null;
    });
  }

  fetchOpenOrders(): Promise<VenueOrderSnapshot[]> {
    return this.read(() => this.core.openOrders().map(toSnapshot));
  }

  /** From the state file (every fill ever made) when durable, else from the simulator's bounded memory. */
  fetchFills(since: number): Promise<VenueFill[]> {
    return this.read(() => {
      const fills = this.file ? this.file.fillsSince(since).map(fillFromRecord) : this.core.fills(since);
      return fills.map(toVenueFill);
    });
  }

  fetchBalances(): Promise<VenueBalance[]> {
    return this.read(() =>
      Object.entries(this.core.balances()).map(([currency, balance]) => ({ currency, free: balance.free, reserved: balance.reserved, total: balance.total })),
    );
  }

  /** The simulator's exact free balance (no I/O); null for an unknown currency, or once closed or stopped by a failed write. */
  /** The simulator's book as it matches against it (routing reads it; see MatchingEngine.visibleBook). */
  visibleBook(symbol: string, depth: number): VisibleBook | null {
    return this.core.visibleBook(symbol, depth);
  }

  freeBalance(currency: string): Decimal | null {
    if (this.closed || this.failure !== null) return null;
    return this.core.freeBalance(currency);
  }

  status(): VenueStatus {
    const latency = this.config.latencyMs ?? 0;
    const latencyMs = typeof latency === "number" ? latency : latency.fixedMs;
    const detail = typeof latency === "number" || !latency.jitterMs ? undefined : `latency ${latency.fixedMs} ms + up to ${latency.jitterMs} ms jitter`;
    const status: VenueStatus = {
      connected: !this.closed && this.failure === null,
      latencyMs,
      lastError: this.failure ?? (this.closed ? "VENUE_CLOSED: the simulated venue is closed." : null),
    };
    if (detail !== undefined) status.detail = detail;
    return status;
  }

  /** Writes the full current state (market state included) and releases the file. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.stopTimer();
    this.closed = true;
    try {
      if (this.file && this.failure === null) this.persist([], this.lastNow);
    } finally {
      this.file?.close();
    }
    return Promise.resolve();
  }

  // -------------------------------------------------------------------------------------------

  private usable(): void {
    if (this.closed) throw new TransientVenueError("VENUE_CLOSED: the simulated venue is closed.", "VENUE_CLOSED");
    if (this.failure !== null) throw new TransientVenueError(this.failure, "SIM_STATE_WRITE_FAILED");
  }

  /**
   * The desk's transaction that held this venue's last write rolled back: the simulator in memory is ahead of its saved
   * state, so it stops as after a failed write of its own (a restart restores what committed, the desk's rows with it).
   */
  deskTransactionRolledBack(): void {
    if (!this.joinedOpen) return;
    this.joinedOpen = false;
    this.failure =
      "SIM_STATE_WRITE_FAILED: the desk's transaction that held the simulated exchange's last change rolled back; restart to continue from its last saved state.";
  }

  // Every call to the simulator: enter(), the simulator's call, leave() (no closure per call: market data and orders are
  // the backtest's hot path).
  private enter(): void {
    this.usable();
    // A joined transaction that ended without a rollback reported (deskTransactionRolledBack) committed.
    if (this.joinedOpen && !this.file!.joinsOpenTransaction()) this.joinedOpen = false;
  }

  private leave(events: VenueEvent[], now: number): VenueEvent[] {
    if (Number.isFinite(now) && now > this.lastNow) this.lastNow = now;
    if (this.file && this.core.revision !== this.savedRevision) this.persist(events, now);
    return events;
  }

  private read<T>(get: () => T): Promise<T> {
    try {
      this.usable();
      return Promise.resolve(get());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private persist(events: VenueEvent[], now: number): void {
    const file = this.file!;
    const fills: SimFillRecord[] = [];
    // Every order the call changed (events, list moves, trailing triggers), as the simulator tracked them.
    const touched = new Map<string, SimOrderRecord>();
    for (const record of this.core.takeTouched()) touched.set(record.clientOrderId, record);
    for (const { clientOrderId, event } of events) {
      if (event.type === "fill") {
        const record = touched.get(clientOrderId) ?? this.core.orderRecord(clientOrderId);
        if (!record) continue;
        fills.push(
          fillToRecord({
            tradeId: event.tradeId,
            clientOrderId,
            symbol: record.symbol,
            side: record.side,
            qty: D(event.qty),
            price: D(event.price),
            fee: D(event.fee ?? 0),
            feeCurrency: this.quoteOf.get(record.symbol) ?? "",
            liquidity: event.liquidity ?? "TAKER",
            ts: event.ts ?? now,
          }),
        );
      }
    }
    try {
      const orders = [...touched.values()].map((record) => ({ record, done: TERMINAL_STATUSES.has(record.status) }));
      if (file.joinsOpenTransaction()) this.joinedOpen = true;
      file.commit({ snapshot: this.core.toSnapshot({ ordersElsewhere: true }), ordersInRows: true, fills, orders, now: Number.isFinite(now) ? now : 0 });
      this.savedRevision = this.core.revision;
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      this.failure = `SIM_STATE_WRITE_FAILED: the simulated exchange could not save its state (${why}); restart to continue from its last saved state.`;
      throw new TransientVenueError(this.failure, "SIM_STATE_WRITE_FAILED");
    }
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

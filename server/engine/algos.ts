/**
 * The algos room: parent orders (TWAP, VWAP, iceberg, POV, chaser) worked by the engine. The slicing logic is the
 * pure state machine in core/algos; this room feeds it events (market data, child order changes, timers, commands)
 * and carries out its intents. Called only from inside the engine's queue.
 *
 * What it must never do:
 * - send a child that is not journaled: the parent's state (child recorded `sent`) is saved before the child goes to
 *   the risk gate, whose own journal commits before the venue hears of it. After a crash a `sent` child is looked up by
 *   its client order id (`<parent>.<n>`): found, it is followed; not in the books, it never left — it is never resent.
 * - bypass the gate: every child is a new order through `gate.placeOrder` (DESIGN.md invariant 5), tagged `parentId`.
 * - outlive a halt: a halt finishes every parent at once, canceling its working child first.
 *
 * This file holds the parent lifecycle (start, commands, events, restore, the work queue, carrying out intents). Beside
 * it: algo-children.ts (a child through the gate, and the events that bring a child's record up to its order),
 * algo-journal.ts (when and how a parent is saved), algo-views.ts (what the Orders page sees), algo-types.ts (shapes).
 */
import { algoConfigOf, algoLabel, type AlgoRequest, type ChaserDefaults } from "../core/algos/request";
import { isParentTerminal, startParent, stepParent } from "../core/algos/parent";
import { learnVolumeProfileBefore, type VolumeProfile } from "../core/algos/volume-profile";
import type { ParentEvent, ParentIntent, ParentSpec, ParentState } from "../core/algos/types";
import { D, type Decimal, isPositive, numberToDecimal } from "../core/money";
import { isTerminal, type Order } from "../core/orders";
import type { Instrument } from "../core/instrument";
import type { MarketUpdate } from "../core/market-data";
import { MANUAL_OWNER } from "./books";
import { done, fail, markDecimal, type EngineContext } from "./context";
import type { SymbolSettings } from "./settings";
import type { Actor, CommandResult, Mark, ParentOrderRequest, PositionRecord } from "./types";
import { DEFAULT_CHASER, hashSeed, type LiveParent, type ParentMeta, type StartParentContext, type StartParentInput, type WorkItem } from "./algo-types";
import { childEvents, placeChildOrder } from "./algo-children";
import { ParentJournal, storedParentState } from "./algo-journal";
import { parentViews, type ParentView } from "./algo-views";

export { DEFAULT_CHASER, type ParentMeta, type StartParentContext, type StartParentInput } from "./algo-types";
export type { ParentView } from "./algo-views";

export class Algos {
  /** Parents not finished (and those finished this session, until the next restore). */
  private readonly parents = new Map<string, LiveParent>();
  /**
   * The parents of `parents` that may still work: what every candle, quote and halt walks. Finished parents stay in
   * `parents` for the session (states(), late child events) but leave this map when a walk finds them finished, so a
   * long backtest's thousands of finished parents cost nothing per candle (walking them all made a run quadratic).
   */
  private readonly active = new Map<string, LiveParent>();
  private readonly parentOfChild = new Map<string, string>();
  private readonly work: WorkItem[] = [];
  private working = false;
  private readonly journal: ParentJournal;
  /** Children placed since the start (bench and backtest reports). */
  childrenPlaced = 0;

  constructor(private readonly cx: EngineContext) {
    this.journal = new ParentJournal(cx);
  }

  /** True when some parent still works: watchers skip the room otherwise. */
  get hasLive(): boolean {
    return this.stillWorking().next().done !== true;
  }

  /** True when some parent on `symbol` still works (a portfolio backtest plays that symbol's candles then). */
  hasLiveOn(symbol: string): boolean {
    return this.liveIdsOn(symbol).length > 0;
  }

  /** The ids of the parents on `symbol` that still work (a backtest stops them before the next signal). */
  liveIdsOn(symbol: string): string[] {
    const ids: string[] = [];
    for (const [id, live] of this.stillWorking()) if (live.state.spec.symbol === symbol) ids.push(id);
    return ids;
  }

  // ---------------------------------------------------------------------------------------------
  // Start and commands

  start(input: StartParentInput, context: StartParentContext): CommandResult {
    const stopped = this.cx.engine.refusalWhenStopped();
    if (stopped) return stopped;
    if (this.cx.tradingState === "HALTED") return fail("TRADING_HALTED", "Trading is halted: no parent order is started.");
    const venue = context.venue ?? this.cx.venue.id;
    const instrument = this.instrumentAt(venue, input.symbol);
    if (!instrument) return fail("UNKNOWN_SYMBOL", `${input.symbol} is not traded on ${venue}.`);
    // The market of the venue the parent works on (its own quote, else the desk-level mark: books.markAt).
    const mark = this.cx.books.markAt(venue, input.symbol);
    const arrival = context.arrivalPrice ?? (mark ? markDecimal(mark) : null);
    if (!arrival) return fail("NO_MARKET_PRICE", `No market price for ${input.symbol} yet: the arrival price is unknown.`);
    const now = this.cx.clock.now();
    const id = this.cx.ids.next("par");
    const settings = this.cx.gate.settingsFor(input.symbol);
    const defaults: ChaserDefaults = {
      timeoutSeconds: settings.execution?.orderTimeoutSeconds ?? DEFAULT_CHASER.timeoutSeconds,
      retryAttempts: settings.execution?.retryAttempts ?? DEFAULT_CHASER.retryAttempts,
    };
    const spec: ParentSpec = {
      id,
      symbol: input.symbol,
      side: input.side,
      targetQty: D(input.quantity),
      // A signal's iceberg rests at the arrival price (a person's must name its price).
      limitPrice: input.limitPrice ? D(input.limitPrice) : context.limitAtArrival && input.algo.kind === "iceberg" ? arrival : null,
      arrivalPrice: arrival,
      startAt: now,
      seed: input.seed ?? hashSeed(id),
      algo: algoConfigOf(input.algo, defaults, D(input.quantity), input.algo.kind === "vwap" ? this.volumeProfile(input.symbol, now) : undefined),
      endBehaviour: input.endBehaviour ?? (input.algo.kind === "chaser" ? (settings.execution?.chaserEnd ?? "cancel") : "cross"),
      restartPolicy: input.restartPolicy ?? "resume",
      maxRejections: input.maxRejections ?? 3,
    };
    const touch = mark ? this.touchOf(mark) : { bid: null, ask: null };
    const started = startParent(spec, { now, instrument, touch });
    if (!started.ok) return fail(started.error.code, started.error.message);
    const meta: ParentMeta = {
      owner: context.owner,
      signalId: context.signalId ?? null,
      reducePositionId: context.reducePositionId ?? null,
      algo: input.algo,
      label: algoLabel(input.algo),
      startedBy: context.startedBy,
      reason: context.reason ?? null,
      ...(this.cx.venues && { venue }),
    };
    const live: LiveParent = { state: started.value.state, meta, createdAt: now, timer: null };
    this.parents.set(id, live);
    this.active.set(id, live);
    this.commit(live, started.value.intents);
    const after = this.parents.get(id)!.state;
    return done(`${meta.label} ${spec.side} ${spec.targetQty.toString()} ${spec.symbol} started as ${id} (${after.status}).`, {
      parentId: id,
      status: after.status,
    });
  }

  /**
   * A person's parent: it adds to their (`manual`) position on its side, or reduces the position it opposes (a sell
   * on spot needs a long to sell from), as a manual order does.
   */
  startManual(request: ParentOrderRequest, actor: Actor): CommandResult {
    const instrument = this.cx.books.instruments.get(request.symbol);
    if (!instrument) return fail("UNKNOWN_SYMBOL", `${request.symbol} is not traded on ${this.cx.venue.id}.`);
    const unknownVenue = request.venue === undefined ? null : this.cx.venueRoom.namedVenueRefusal(request.venue);
    if (unknownVenue) return unknownVenue;
    const wantSide = request.side === "BUY" ? "LONG" : "SHORT";
    // A named venue reduces only a position that lives there (coins on another venue cannot be sold here).
    const atVenue = (r: PositionRecord) => request.venue === undefined || !this.cx.venues || this.cx.venueRoom.venueOfPosition(r) === request.venue;
    const holds = (r: PositionRecord) => r.position.side !== wantSide && isPositive(r.position.quantity) && atVenue(r);
    const onlyReduces = wantSide === "SHORT" && instrument.kind === "spot";
    const reducing =
      this.cx.books.openPositionsFor(request.symbol, MANUAL_OWNER).find(holds) ??
      (onlyReduces ? this.cx.books.openPositionsFor(request.symbol).find(holds) : undefined);
    if (onlyReduces && !reducing) return fail("SHORT_NOT_SUPPORTED", `${request.symbol} is spot: selling needs a long position to sell from.`);
    if (reducing && D(request.quantity).greaterThan(reducing.position.quantity)) {
      return fail(
        "REDUCE_ONLY_OVERCOMMITTED",
        `${request.side} ${request.quantity} ${request.symbol} would reduce position ${reducing.position.id} (${reducing.position.quantity.toString()}): at most that much.`,
      );
    }
    // The venue named, else (a reducing parent) its position's; else the engine's venue.
    const venue = request.venue ?? (reducing && this.cx.venues ? this.cx.venueRoom.venueOfPosition(reducing) : undefined);
    return this.start(
      {
        symbol: request.symbol,
        side: request.side,
        quantity: request.quantity,
        limitPrice: request.limitPrice ?? null,
        algo: request.algo,
        ...(request.endBehaviour && { endBehaviour: request.endBehaviour }),
        ...(request.restartPolicy && { restartPolicy: request.restartPolicy }),
      },
      {
        owner: MANUAL_OWNER,
        reducePositionId: reducing?.position.id ?? null,
        reason: reducing ? "manual" : null,
        startedBy: actor.username,
        ...(venue !== undefined && { venue }),
      },
    );
  }

  /** The algorithm an entry asks for, or the symbol's default above its notional; null: one order, as always. */
  algoFor(requested: AlgoRequest | undefined, settings: SymbolSettings, notional: Decimal): AlgoRequest | null {
    if (requested) return requested;
    const execution = settings.execution;
    if (!execution?.defaultAlgo || execution.defaultAlgoAboveNotional === null) return null;
    return notional.greaterThan(execution.defaultAlgoAboveNotional) ? execution.defaultAlgo : null;
  }

  pause(id: string, reason: string | null): CommandResult {
    return this.command(id, { type: "pause", ...(reason ? { reason } : {}) }, "paused");
  }

  resume(id: string): CommandResult {
    return this.command(id, { type: "resume" }, "resumed");
  }

  cancel(id: string, reason: string | null): CommandResult {
    return this.command(id, { type: "cancel", ...(reason ? { reason } : {}) }, "cancel requested");
  }

  private command(id: string, event: ParentEvent, verb: string): CommandResult {
    const live = this.parents.get(id);
    if (!live) return fail("NOT_FOUND", `Parent order ${id} is not known (or finished before the last restart).`);
    const result = stepParent(live.state, event, this.contextFor(live));
    if (result.ignored) return fail("INVALID_STATE", `Parent order ${id}: ${result.ignored}.`);
    this.noteState(id, live, result.state);
    this.commit(live, result.intents);
    const status = this.parents.get(id)!.state.status;
    return done(`Parent order ${id} ${verb} (${status}).`, { parentId: id, status });
  }

  /** A halt: every parent finishes at once, its working child canceled first. */
  haltAll(reason: string): void {
    for (const [id] of this.stillWorking()) this.enqueue({ id, event: { type: "halt", reason } });
  }

  // ---------------------------------------------------------------------------------------------
  // Events from the other rooms

  /** A child order changed (ledger.settleOrder): its fills and status are read back at processing time. */
  onChildOrder(order: Order): void {
    const id = order.tags.parentId ?? this.parentOfChild.get(order.clientOrderId);
    if (!id || !this.parents.has(id)) return;
    this.enqueue({ id, sync: order.clientOrderId });
  }

  /** Market data: the touch and traded volume, and any timer that is due (the backtest's clock moves by data). */
  onMarket(update: MarketUpdate, mark: Mark, now: number): void {
    const deskTouch = this.touchOf(mark);
    const volume = update.kind === "trade" ? update.qty : update.kind === "candle" ? update.volume : 0;
    for (const [id, live] of this.stillWorking()) {
      if (live.state.spec.symbol !== update.symbol) continue;
      const touch = this.touchAtVenue(live, update, deskTouch);
      if (touch) this.enqueue({ id, event: { type: "market", ...touch, ...(volume > 0 && { tradedVolume: numberToDecimal(volume) }) } });
      const due = live.state.nextTimerAt;
      if (due !== null && now >= due) this.enqueue({ id, event: { type: "timer", at: due } });
    }
  }

  /** Traded volume seen apart from market updates (a backtest's candle volume). */
  onVolume(symbol: string, volume: number): void {
    if (!(volume > 0)) return;
    for (const [id, live] of this.stillWorking()) {
      if (live.state.spec.symbol === symbol) this.enqueue({ id, event: { type: "market", tradedVolume: numberToDecimal(volume) } });
    }
  }

  /**
   * The touch a parent sees for this update: on a desk with several venues, its own venue's (books.markAt); null when
   * the data came from another venue while its venue has a quote of its own (its market did not move, nor did its
   * volume trade there). A timer that is due still fires.
   */
  private touchAtVenue(live: LiveParent, update: MarketUpdate, deskTouch: { bid: Decimal; ask: Decimal }): { bid: Decimal; ask: Decimal } | null {
    if (!this.cx.venues) return deskTouch;
    const venue = this.venueOf(live);
    const own = this.cx.books.venueMarks.get(venue)?.get(update.symbol);
    if (own && update.venue !== undefined && update.venue !== venue) return null;
    const mark = this.cx.books.markAt(venue, update.symbol);
    return mark ? this.touchOf(mark) : deskTouch;
  }

  /** The venue a parent works on (parents stored before venues were kept: the engine's venue). */
  venueOf(live: LiveParent): string {
    return live.meta.venue ?? this.cx.venue.id;
  }

  private touchOf(mark: Mark): { bid: Decimal; ask: Decimal } {
    return {
      bid: mark.bid !== undefined ? numberToDecimal(mark.bid) : markDecimal(mark),
      ask: mark.ask !== undefined ? numberToDecimal(mark.ask) : markDecimal(mark),
    };
  }

  /** At start (after reconciliation) and after a reload: open parents come back and look up what they sent. */
  restore(): void {
    for (const live of this.parents.values()) if (live.timer !== null) this.cx.timers.clearTimeout(live.timer);
    this.parents.clear();
    this.active.clear();
    this.parentOfChild.clear();
    this.work.length = 0;
    for (const row of this.cx.store.loadParentOrders({ onlyOpen: true })) {
      const parsed = storedParentState(row);
      if (!parsed.ok) {
        this.cx.log("error", `parent ${row.id} not restored: ${parsed.error.message}`);
        continue;
      }
      const live: LiveParent = { state: parsed.value, meta: row.meta as ParentMeta, createdAt: row.createdAt, timer: null };
      this.parents.set(row.id, live);
      this.active.set(row.id, live);
      for (const child of live.state.children) this.parentOfChild.set(child.clientOrderId, row.id);
    }
    this.journal.reset(this.parents.values());
    for (const [id, live] of [...this.parents]) {
      // Fills and ends booked after the parent's last save (a crash between the two transactions) are caught up too.
      const children = live.state.children.filter((c) => c.status !== "sent").map((c) => c.clientOrderId);
      this.enqueue({ id, event: { type: "restart" } });
      for (const clientOrderId of children) this.enqueue({ id, sync: clientOrderId });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The work queue: one event at a time, so an intent's own consequences (a fill while placing) wait their turn.

  private enqueue(item: WorkItem): void {
    this.work.push(item);
    if (this.working) return;
    this.working = true;
    try {
      for (let next = this.work.shift(); next; next = this.work.shift()) this.process(next);
      // Changes that sent nothing (a fill, an acceptance) are saved once the queue is empty (algo-journal.ts).
      this.journal.flush();
    } finally {
      this.journal.discard();
      this.working = false;
    }
  }

  private process(item: WorkItem): void {
    const live = this.parents.get(item.id);
    if (!live) return;
    const events = "sync" in item ? childEvents(this.cx, live.state, item.sync) : [item.event];
    for (const event of events) {
      const result = stepParent(live.state, event, this.contextFor(live));
      if (result.ignored) continue;
      const quiet = event.type === "market" && result.intents.length === 0;
      this.noteState(item.id, live, result.state);
      // A quote that changed nothing but the touch is not worth a write (the next quote after a restart brings it back).
      if (quiet) continue;
      this.commit(live, result.intents);
    }
  }

  /** A parent's new state; one that works again (the parent FSM has no such step today) goes back among the active. */
  private noteState(id: string, live: LiveParent, state: ParentState): void {
    live.state = state;
    if (!isParentTerminal(state) && !this.active.has(id)) this.active.set(id, live);
  }

  /**
   * The parents that still work, walked live (as `parents` was: one finished by work enqueued earlier in the same walk
   * is not visited); the finished ones met leave `active` on the way.
   */
  private *stillWorking(): Generator<[string, LiveParent]> {
    for (const entry of this.active) {
      if (isParentTerminal(entry[1].state)) this.active.delete(entry[0]);
      else yield entry;
    }
  }

  private contextFor(live: LiveParent): { now: number; instrument: Instrument } {
    const { spec } = live.state;
    const instrument = this.instrumentAt(this.venueOf(live), spec.symbol);
    if (!instrument) throw new Error(`parent ${spec.id}: ${spec.symbol} is not traded on ${this.venueOf(live)}`);
    return { now: this.cx.clock.now(), instrument };
  }

  /** The symbol's rules at the venue the parent works on (steps and ticks differ between venues), else the desk's. */
  private instrumentAt(venue: string, symbol: string): Instrument | undefined {
    return (this.cx.venues?.has(venue) ? this.cx.venues.listing(venue, symbol) : undefined) || this.cx.books.instruments.get(symbol);
  }

  /** Journal first (algo-journal.ts): a step whose intents act is saved before they are carried out. */
  private commit(live: LiveParent, intents: ParentIntent[]): void {
    this.journal.record(live, intents);
    for (const intent of intents) this.carryOut(live, intent);
    if (isParentTerminal(live.state) && live.timer !== null) {
      this.cx.timers.clearTimeout(live.timer);
      live.timer = null;
    }
  }

  private carryOut(live: LiveParent, intent: ParentIntent): void {
    const id = live.state.spec.id;
    switch (intent.type) {
      case "placeChild":
        this.parentOfChild.set(intent.child.clientOrderId, id);
        if (placeChildOrder(this.cx, live, intent.child, (item) => this.enqueue(item))) this.childrenPlaced++;
        return;
      case "cancelChild": {
        const record = this.cx.books.orders.get(intent.clientOrderId);
        if (record && !isTerminal(record.order)) {
          if (record.order.status !== "PENDING_CANCEL") this.cx.ledger.requestCancel(record);
          return;
        }
        // Already ended (or never in the books): what the books say is the answer.
        if (record || this.cx.store.getOrder(intent.clientOrderId)) this.enqueue({ id, sync: intent.clientOrderId });
        else this.enqueue({ id, event: { type: "childCancelled", clientOrderId: intent.clientOrderId, reason: "never sent" } });
        return;
      }
      case "reconcileChild": {
        const known = this.cx.books.orders.get(intent.clientOrderId) ?? this.cx.store.getOrder(intent.clientOrderId);
        // Not journaled: the crash came before its intent committed, so it never reached the venue (journal first).
        if (!known)
          this.enqueue({
            id,
            event: { type: "childRejected", clientOrderId: intent.clientOrderId, reason: "never journaled: the engine stopped before sending it" },
          });
        else this.enqueue({ id, sync: intent.clientOrderId });
        return;
      }
      case "scheduleTimer": {
        if (live.timer !== null) this.cx.timers.clearTimeout(live.timer);
        const at = intent.at;
        live.timer = this.cx.timers.setTimeout(
          () => {
            void this.cx.engine
              .run(() => {
                if (this.parents.get(id) === live) {
                  live.timer = null;
                  this.enqueue({ id, event: { type: "timer", at } });
                }
              })
              .catch((e: unknown) => this.cx.log("error", `parent ${id} timer: ${String(e)}`));
          },
          Math.max(0, at - this.cx.clock.now()),
        );
        return;
      }
      case "finish":
        this.cx.log(intent.status === "failed" ? "warn" : "info", `parent ${id} ${intent.status}: ${intent.reason}`);
        if (intent.status === "failed") this.cx.bus.publish({ type: "alert", level: "warn", message: `Parent order ${id} failed: ${intent.reason}` });
        return;
    }
  }

  /**
   * VWAP's profile: learned from the desk's market history (replay's recorded candles, a backtest's played ones, the
   * feeds' bars) that had closed when the parent starts, in buckets of the history's bar; flat without any. The
   * history's times are market times: in a backtest the clock's; in replay every kept bar has been played already.
   */
  private volumeProfile(symbol: string, startAt: number): VolumeProfile | undefined {
    const history = this.cx.options.marketHistory;
    const bars = history?.barsOf(symbol) ?? [];
    if (!history || bars.length === 0) return undefined;
    return learnVolumeProfileBefore(bars, { before: startAt, candleMs: history.barMs });
  }

  // ---------------------------------------------------------------------------------------------
  // Views

  /** Parents with their progress and children, newest first (finished ones from the store). */
  list(limit = 50): ParentView[] {
    return parentViews(this.cx.store.loadParentOrders({ onlyOpen: false }), this.parents, limit);
  }

  /** Live parents' states (tests and the backtest report). */
  states(): ParentState[] {
    return [...this.parents.values()].map((p) => p.state);
  }
}

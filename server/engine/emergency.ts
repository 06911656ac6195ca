/**
 * Emergency and the breaker: trading state (ACTIVE, REDUCING, HALTED), pause/resume, the emergency stop (halt →
 * drain the venue's queue → cancel all → optionally flatten, followed as the venue confirms), and the circuit
 * breaker's trips, resets, configuration and persistence.
 */
import { breakerConfigSchema, formatConfigErrors, type BreakerTrip } from "../core/breaker";
import { isPositive, ZERO } from "../core/money";
import { isTerminal, type OrderStatus } from "../core/orders";
import type { TradingState } from "../core/risk";
import type { Actor, CommandResult, EmergencyProgress, HaltRun, PositionRecord } from "./types";
import { markDecimal, fail, done, type EngineContext } from "./context";

export class Emergency {
  constructor(private readonly cx: EngineContext) {}

  lastEmergency: EmergencyProgress | null = null;

  halt: HaltRun | null = null;

  setTradingState(state: TradingState, reason: string, by: string): void {
    const now = this.cx.clock.now();
    this.cx.tradingState = state;
    this.cx.tradingStateInfo = { reason, by, since: now };
    this.cx.transaction(() => {
      this.cx.store.setState("tradingState", state);
      this.cx.store.setState("tradingStateInfo", this.cx.tradingStateInfo);
      this.cx.store.appendBreakerEvent({ ts: now, kind: "STATE", reason: state, message: reason, by, action: null, detail: null });
    });
    this.cx.bus.publish({ type: "tradingState", state, reason, by });
    this.latchVenue(state);
    // A halt stops every parent order at once (its working child canceled first).
    if (state === "HALTED") this.cx.algos.haltAll(reason);
    if (state === "HALTED") this.cx.arbitrage.haltAll(reason);
  }

  pause(actor: Actor, reason: string | null): CommandResult {
    if (this.cx.tradingState === "HALTED") return fail("TRADING_HALTED", "Trading is halted; pausing changes nothing until an admin resets the breaker.");
    if (this.cx.tradingState === "REDUCING") return done("Entries are already paused.");
    this.setTradingState("REDUCING", reason ?? "entries paused", actor.username);
    return done("Entries paused: only orders that reduce exposure are allowed.");
  }

  resume(actor: Actor, reason: string | null): CommandResult {
    if (this.cx.tradingState === "HALTED") return fail("TRADING_HALTED", "Trading is halted: only an admin can reset the breaker, with a reason.");
    if (this.cx.tradingState === "ACTIVE") return done("Trading is already active.");
    this.setTradingState("ACTIVE", reason ?? "entries resumed", actor.username);
    return done("Entries resumed.");
  }

  emergencyStop(flatten: boolean, actor: Actor, reason: string): CommandResult {
    if (!reason.trim()) return fail("REASON_REQUIRED", "An emergency stop needs a reason.");
    // Pressed again while one runs: it is not started twice; the running one's progress is the answer.
    if (this.halt)
      return done(`An emergency stop is already running: ${this.halt.progress.message}`, { progress: { ...this.halt.progress }, alreadyRunning: true });
    if (this.cx.breaker && this.cx.breaker.state === "CLOSED") {
      const trip = this.cx.breaker.trip(`Emergency stop: ${reason}`, actor.username);
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
  runHalt(flatten: boolean, reason: string, by: string, exitReason: string): EmergencyProgress {
    const venue = this.cx.venues ? this.cx.venues.ids().join(", ") : this.cx.venue.id;
    if (this.halt) this.cx.timers.clearTimeout(this.halt.timer);
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
      ...(this.cx.venues && { venueOf: new Map<string, string>() }),
    };
    if (this.cx.venues) progress.venues = this.cx.venues.ids().map((id) => this.cx.venueRoom.emptyProgress(id));
    this.halt = run;
    this.setTradingState("HALTED", reason, by);
    this.publishHalt(run, "halted", "Trading halted.");
    // Orders in doubt are not waited for: no cancel-all can confirm an order the venue may not have. Their lookups go
    // on, and one found working is canceled then (applyFoundInDoubt).
    const open = [...this.cx.books.orders.values()].filter((r) => !isTerminal(r.order) && !this.cx.doubts.inDoubt.has(r.order.clientOrderId));
    progress.ordersToCancel = open.length;
    for (const record of open) run.cancelPending.add(record.order.clientOrderId);
    this.cx.venueRoom.countHaltOrders(run, open);
    const doubts = this.cx.doubts.inDoubt.size > 0 ? ` ${this.cx.doubts.inDoubt.size} order(s) in doubt are looked up and canceled if found.` : "";
    this.publishHalt(run, "canceling", `Canceling ${open.length} open order(s) on ${venue}.${doubts}`);
    this.cx.ledger.cancelAllOrders(undefined);
    // Several venues: a venue whose cancels are all confirmed is flattened at once, without waiting for the others.
    if (run.flatten && run.venueOf) for (const id of this.cx.venueRoom.ids()) this.flattenVenueWhenClear(run, id);
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
    return this.cx.venueRoom.copyProgress(progress);
  }

  private publishHalt(run: HaltRun, step: EmergencyProgress["step"], message: string): void {
    run.progress.step = step;
    run.progress.message = message;
    this.lastEmergency = this.cx.venueRoom.copyProgress(run.progress);
    this.cx.bus.publish({ type: "emergency", progress: this.cx.venueRoom.copyProgress(run.progress) });
  }

  private armHaltTimer(run: HaltRun, onTimeout: () => void): void {
    run.timer = this.cx.timers.setTimeout(() => {
      void this.cx.engine
        .run(() => {
          if (this.halt === run) onTimeout();
        })
        .catch((e: unknown) => this.cx.log("error", `emergency stop: ${String(e)}`));
    }, this.cx.emergencyConfirmMs);
  }

  /** An order ended (canceled, or filled before its cancel) while an emergency stop waits for it. */
  onHaltOrderEnded(clientOrderId: string, status: OrderStatus): void {
    const run = this.halt;
    if (!run || run.phase !== "canceling" || !run.cancelPending.delete(clientOrderId)) return;
    if (status === "FILLED") run.filledInstead++;
    else run.progress.ordersCanceled++;
    if (status !== "FILLED") this.cx.venueRoom.countHaltProgress(run, clientOrderId, "ordersCanceled");
    const venue = run.venueOf?.get(clientOrderId);
    if (run.flatten && venue !== undefined) this.flattenVenueWhenClear(run, venue);
    if (!run.armed) return;
    if (run.cancelPending.size > 0) {
      this.publishHalt(
        run,
        "canceling",
        `${run.progress.ordersCanceled} of ${run.progress.ordersToCancel} order(s) canceled; waiting for ${run.progress.venue} to confirm ${run.cancelPending.size}.`,
      );
      return;
    }
    this.cx.timers.clearTimeout(run.timer);
    this.haltCancelsDone(run, false);
  }

  /**
   * A desk with several venues: once no cancel at `venue` is waiting, its positions are flattened now (a venue that is
   * down or slow to confirm never holds up the others' flatten); the rest follow in `haltCancelsDone`.
   */
  private flattenVenueWhenClear(run: HaltRun, venue: string): void {
    const flattened = (run.flattenedVenues ??= new Set());
    if (flattened.has(venue)) return;
    for (const coid of run.cancelPending) if (run.venueOf?.get(coid) === venue) return;
    flattened.add(venue);
    const positions = [...this.cx.books.positions.values()].filter(
      (r) => isPositive(r.position.quantity) && !run.flattenPending.has(r.position.id) && this.cx.venueRoom.venueOfPosition(r) === venue,
    );
    this.flattenPositions(run, positions);
  }

  private flattenPositions(run: HaltRun, positions: PositionRecord[]): void {
    run.progress.positionsToFlatten += positions.length;
    for (const record of positions) run.flattenPending.add(record.position.id);
    this.cx.venueRoom.countHaltPositions(run, positions);
    for (const record of positions) {
      if (!this.cx.books.positions.has(record.position.id) || record.position.quantity.isZero()) continue;
      const mark = this.cx.books.markOfPosition(record);
      const result = this.cx.watchers.closeWhenFree(
        record,
        record.position.quantity,
        true,
        run.exitReason,
        mark ? markDecimal(mark) : (record.position.avgEntryPrice ?? ZERO),
      );
      if (!result.ok) this.cx.log("warn", `emergency stop: flattening ${record.position.id} refused: ${result.error.code} ${result.error.message}`);
    }
  }

  private haltCancelsDone(run: HaltRun, timedOut: boolean): void {
    run.timer = null;
    const p = run.progress;
    const unconfirmed = run.cancelPending.size;
    const filled = run.filledInstead > 0 ? ` (${run.filledInstead} filled before the cancel reached them)` : "";
    const late = timedOut && unconfirmed > 0 ? `; ${unconfirmed} not confirmed by ${p.venue} within ${this.cx.emergencyConfirmMs / 1000} s` : "";
    this.publishHalt(run, "canceled", `${p.ordersCanceled} of ${p.ordersToCancel} order(s) canceled${filled}${late}.`);
    if (late) {
      this.cx.log("error", `emergency stop: ${unconfirmed} cancel(s) not confirmed by ${p.venue}: ${[...run.cancelPending].join(", ")}`);
      this.cx.bus.publish({
        type: "alert",
        level: "error",
        message: `Emergency stop: ${unconfirmed} cancel(s) not confirmed by ${p.venue}; check the exchange.`,
      });
    }
    if (!run.flatten) {
      this.haltFinish(run, false);
      return;
    }
    run.phase = "flattening";
    run.armed = false;
    // Positions already being flattened (their venue was clear first) are not sent again.
    const positions = [...this.cx.books.positions.values()].filter((r) => isPositive(r.position.quantity) && !run.flattenPending.has(r.position.id));
    this.publishHalt(run, "flattening", `Flattening ${positions.length + run.flattenPending.size} position(s) with reduce-only market orders.`);
    this.flattenPositions(run, positions);
    run.armed = true;
    if (run.flattenPending.size === 0) this.haltFinish(run, false);
    else {
      this.publishHalt(run, "flattening", `${p.positionsFlattened} of ${p.positionsToFlatten} position(s) flattened; waiting for the fills.`);
      this.armHaltTimer(run, () => this.haltFinish(run, true));
    }
  }

  onHaltPositionClosed(positionId: string): void {
    const run = this.halt;
    // A venue flattened early (several venues) closes positions while others still cancel: counted, nothing more yet.
    if (!run || !run.flattenPending.delete(positionId)) return;
    run.progress.positionsFlattened++;
    this.cx.venueRoom.countHaltProgress(run, positionId, "positionsFlattened");
    if (run.phase !== "flattening" || !run.armed) return;
    if (run.flattenPending.size > 0) {
      this.publishHalt(
        run,
        "flattening",
        `${run.progress.positionsFlattened} of ${run.progress.positionsToFlatten} position(s) flattened; waiting for the fills.`,
      );
      return;
    }
    this.cx.timers.clearTimeout(run.timer);
    this.haltFinish(run, false);
  }

  private haltFinish(run: HaltRun, timedOut: boolean): void {
    if (this.halt !== run) return;
    this.halt = null;
    run.timer = null;
    const p = run.progress;
    if (run.flatten) this.publishHalt(run, "flattened", `${p.positionsFlattened} of ${p.positionsToFlatten} position(s) flattened.`);
    const late =
      timedOut && run.flattenPending.size > 0
        ? ` ${run.flattenPending.size} position(s) not confirmed flat within ${this.cx.emergencyConfirmMs / 1000} s.`
        : "";
    if (late) this.cx.bus.publish({ type: "alert", level: "error", message: `Emergency stop:${late} Check the positions.` });
    this.publishHalt(
      run,
      "done",
      `Halted: ${p.ordersCanceled}/${p.ordersToCancel} orders canceled${run.flatten ? `, ${p.positionsFlattened}/${p.positionsToFlatten} positions flattened` : ""}.${late} An admin reset is needed to trade again.`,
    );
  }

  tripBreakerByHand(actor: Actor, reason: string): CommandResult {
    if (!this.cx.breaker) return fail("NO_BREAKER", "The circuit breaker is disabled in this mode.");
    const trip = this.cx.breaker.trip(reason, actor.username);
    if (!trip.ok) return fail(trip.error.code, trip.error.message);
    this.recordTrip(trip.value);
    this.applyTripAction(trip.value);
    return done(`Breaker tripped: ${reason}`);
  }

  resetBreaker(actor: Actor, reason: string, force: boolean): CommandResult {
    if (actor.role !== "admin" && actor.role !== "system") return fail("FORBIDDEN", "Only an admin can reset the breaker.");
    if (!reason.trim()) return fail("REASON_REQUIRED", "A breaker reset needs a reason.");
    if (this.cx.breaker && this.cx.breaker.state === "OPEN") {
      const reset = this.cx.breaker.reset({ manual: true, by: actor.username, reason, force });
      if (!reset.ok) return fail(reset.error.code, reset.error.message);
      this.cx.durably(() => {
        this.cx.store.appendBreakerEvent({
          ts: this.cx.clock.now(),
          kind: "RESET",
          reason: "MANUAL",
          message: reason,
          by: actor.username,
          action: null,
          detail: null,
        });
        this.saveBreaker();
      });
      this.cx.bus.publish({ type: "breaker", state: "CLOSED", reason: "RESET", message: reason, by: actor.username });
    } else if (this.cx.tradingState !== "HALTED") {
      return fail("NOT_TRIPPED", "The breaker is not tripped and trading is not halted.");
    }
    this.setTradingState("ACTIVE", `reset by ${actor.username}: ${reason}`, actor.username);
    return done("Breaker reset; trading is active again.");
  }

  /** HALTED closes the venue layer to new orders: what it still held (queued, waiting for a retry) ends DENIED, journaled. */
  private latchVenue(state: TradingState): void {
    if (state !== "HALTED") {
      this.cx.venue.resumeNewOrders?.();
      return;
    }
    const dropped = this.cx.venue.haltNewOrders?.() ?? [];
    const now = this.cx.clock.now();
    for (const coid of dropped) {
      this.cx.ledger.ingest(
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

  updateBreakerConfig(input: unknown, actor: Actor): CommandResult {
    const refuse = (result: CommandResult) => this.cx.audited(actor, "set_breaker_config", null, null, input, () => result);
    const breaker = this.cx.breaker;
    if (!breaker) return refuse(fail("NO_BREAKER", "The circuit breaker is disabled in this mode."));
    const parsed = breakerConfigSchema.safeParse(input);
    if (!parsed.success) return refuse(fail("VALIDATION", formatConfigErrors(parsed.error)));
    const result = this.cx.auditedChange(actor, "set_breaker_config", null, input, {
      what: "Breaker configuration",
      write: () => this.cx.store.setState("breakerConfig", parsed.data),
      apply: () => breaker.updateConfig(parsed.data),
    });
    if (result.ok) this.saveBreaker();
    return result;
  }

  // ---------------------------------------------------------------------------------------------
  // Breaker

  afterBreakerCall(trip: BreakerTrip | null): void {
    if (!trip) {
      if (this.cx.breaker) this.saveBreakerThrottled();
      return;
    }
    if (this.cx.ledger.bookingFill) {
      this.cx.ledger.tripsAfterCommit.push(trip); // recorded and acted on once the fill committed (afterFillCommit)
      return;
    }
    this.recordTrip(trip);
    this.applyTripAction(trip);
  }

  recordTrip(trip: BreakerTrip): void {
    this.cx.durably(() => {
      this.cx.store.appendBreakerEvent({
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
    this.cx.bus.publish({ type: "breaker", state: "OPEN", reason: trip.reason, message: trip.message, by: trip.by });
  }

  applyTripAction(trip: BreakerTrip): void {
    const reason = `breaker: ${trip.message}`;
    if (trip.action === "HALT") this.setTradingState("HALTED", reason, trip.by);
    else this.runHalt(trip.action === "HALT_CANCEL_FLATTEN", reason, trip.by, "emergency_stop");
  }

  private lastBreakerSave = 0;

  private saveBreakerThrottled(): void {
    const now = this.cx.clock.now();
    if (now - this.lastBreakerSave >= 5_000) this.saveBreaker();
  }

  saveBreaker(): void {
    if (!this.cx.breaker) return;
    this.lastBreakerSave = this.cx.clock.now();
    this.cx.store.setState("breaker", this.cx.breaker.toSnapshot());
  }

  /** Equity, and the portfolio VaR when the breaker has a VaR limit (measuring it costs a covariance per closed bar). */
  updateBreakerEquity(): void {
    const breaker = this.cx.breaker;
    if (!breaker) return;
    const equity = this.cx.accounting.equity().equity;
    const trip = breaker.updateEquity(equity);
    const measureVar = !trip && breaker.currentConfig.maxPortfolioVarPct !== null;
    this.afterBreakerCall(measureVar ? breaker.updatePortfolioVar(this.cx.gate.portfolioVarPct(equity)) : trip);
  }
}

/**
 * The arbitrage room: the desk file's `arbitrage:` pairs worked by the engine. On every quote of a watched market it
 * asks core/algos/arbitrage (detectArbitrage) whether the two venues' quotes, net of both fees and the expected
 * slippage, beat the pair's threshold within each venue's free balances; when they do it opens a round trip and sends
 * both legs as ordinary orders (taker-taker: two marketable IOC limits at once; maker-taker: the buy rests at the bid
 * and the sell takes once it has filled). Leg risk (a leg refused, partly filled or too slow) goes to decideLegRisk:
 * cancel the working leg, then hedge or unwind the imbalance with a market order, then escalate to a person. When both
 * sides are done the round trip's PnL net of fees is booked. Called only from inside the engine's queue.
 *
 * What it must never do:
 * - send a leg that is not journaled: the round trip (its leg recorded `sent`, with its client order id) is saved
 *   before the leg goes to the risk gate, whose own journal commits before the venue hears of it. After a crash a
 *   `sent` leg is looked up by its client order id: in the books, it is followed; not there, it never left. A leg is
 *   never sent twice.
 * - bypass the gate: every leg and repair is a new order through `gate.placeOrder` (DESIGN.md invariant 5), tagged
 *   `arbId` and owned by the strategy `arb:<pair>`.
 * - outlive a halt: a halt opens no round trip and sends no repair; the open legs are the emergency stop's (it cancels
 *   the orders and flattens the positions on both venues), and the round trip says so; once its legs have ended it is
 *   booked: the PnL of what matched net of every leg's fee, and the open quantity left to the stop's flatten.
 *
 * The opportunity log: a taken opportunity is one row; skips are aggregated in memory per (pair, reason code) and
 * written as one row with a count when the reason changes, when one is taken, or at most once per SKIP_FLUSH_MS of
 * desk time: a noisy market writes a row a minute per pair, not a row per quote. A crash loses at most the count of
 * the run not yet written (a minute of skips); a round trip is never in memory only.
 *
 * A leg's position (owner `arb:<pair>`, on its venue) has no exit rule: it is hedged by the other venue's, so the
 * symbol's stop-loss or take-profit must never close one side alone (the emergency stop still flattens both).
 *
 * This file is the room the engine calls (market data, order events, halt, restart, commands) and its work queue.
 * Next door: arbitrage-types (the journaled records), arbitrage-skips (the opportunity log's skips), arbitrage-legs
 * (reading the markets and the legs' orders, booking), arbitrage-orders (building and sending legs), arbitrage-choices (the on/off
 * choice per pair), arbitrage-view.
 */
import { type ArbDecision, type ArbPairConfig, decideLegRisk, detectArbitrage } from "../core/algos/arbitrage";
import { Decimal, isPositive, ZERO } from "../core/money";
import { isTerminal, type Order } from "../core/orders";
import type { MarketUpdate } from "../core/market-data";
import type { ArbRoundTripRow } from "../db/store";
import { book, inputsOf, journaled, minQtyOf, sideOf, syncLeg, venuesDown } from "./arbitrage-legs";
import { newRoundTrip, repairLeg, sendLeg } from "./arbitrage-orders";
import { PairChoices } from "./arbitrage-choices";
import { SkipLog } from "./arbitrage-skips";
import { DEFAULT_LEG_TIMEOUT_MS, HALTED_LOOKBACK, live, OPEN, type RoundTrip, type RoundTripLeg } from "./arbitrage-types";
import { arbitrageView, type ArbitrageView } from "./arbitrage-view";
import type { EngineContext } from "./context";
import type { Actor, CommandResult } from "./types";

// The records and the view are defined next door; importers keep reading them from here.
export * from "./arbitrage-types";
export type { ArbitrageView, RoundTripView } from "./arbitrage-view";

const legTimeoutOf = (pair: ArbPairConfig | undefined) => pair?.legTimeoutMs ?? DEFAULT_LEG_TIMEOUT_MS;

export class Arbitrage {
  private readonly pairs = new Map<string, ArbPairConfig>();
  private readonly choices: PairChoices;
  private readonly trips = new Map<string, RoundTrip>();
  private readonly timers = new Map<string, unknown>();
  private readonly skips: SkipLog;
  private readonly work: string[] = [];
  private working = false;
  /** After a round trip that needed a repair or traded nothing, the pair waits its leg time limit before the next one. */
  private readonly coolUntil = new Map<string, number>();
  /** Opportunities evaluated since the start, per pair (the live "seen" counter; the log has the persisted ones). */
  private readonly seen = new Map<string, number>();

  constructor(private readonly cx: EngineContext) {
    this.skips = new SkipLog(cx);
    for (const pair of cx.options.arbitrage ?? []) this.pairs.set(pair.id, { ...pair });
    this.choices = new PairChoices(cx, this.pairs);
  }

  get hasPairs(): boolean {
    return this.pairs.size > 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Market data: evaluate the pairs that watch this market

  onMarket(update: MarketUpdate, now: number): void {
    if (update.kind === "candle") return; // a candle carries no touch
    for (const pair of this.pairs.values()) {
      const watched = pair.markets.some((m) => m.symbol === update.symbol && (update.venue === undefined || update.venue === m.venue));
      if (!watched) continue;
      // The clock may move by data (tests, backtests): a round trip past its time limit is looked at now too.
      for (const trip of this.trips.values()) if (trip.pairId === pair.id && OPEN.has(trip.status) && now >= this.deadlineOf(trip, pair)) this.enqueue(trip.id);
      if (pair.enabled) this.evaluate(pair, now);
    }
  }

  private evaluate(pair: ArbPairConfig, now: number): void {
    this.seen.set(pair.id, (this.seen.get(pair.id) ?? 0) + 1);
    if (this.cx.stopInfo || this.cx.tradingState !== "ACTIVE") {
      this.skips.skip(
        pair.id,
        this.cx.tradingState === "HALTED" || this.cx.stopInfo ? "HALTED" : "PAUSED",
        `trading is ${this.cx.tradingState.toLowerCase()}: no new round trip`,
        null,
        now,
      );
      return;
    }
    const open = [...this.trips.values()].find((t) => t.pairId === pair.id && OPEN.has(t.status));
    if (open) {
      this.skips.skip(pair.id, "ROUND_TRIP_OPEN", `round trip ${open.id} is still open: one at a time per pair`, null, now);
      return;
    }
    const cool = this.coolUntil.get(pair.id);
    if (cool !== undefined && now < cool) {
      this.skips.skip(
        pair.id,
        "COOLING_DOWN",
        `the last round trip needed a repair or traded nothing: waiting until ${new Date(cool).toISOString()}`,
        null,
        now,
      );
      return;
    }
    const inputs = inputsOf(this.cx, pair);
    if (!inputs.ok) {
      this.skips.skip(pair.id, inputs.code, inputs.reason, null, now);
      return;
    }
    const decision = detectArbitrage(inputs.quotes[0], inputs.quotes[1], inputs.balances, inputs.settings, now);
    if (decision.kind === "skip") {
      this.skips.skip(pair.id, decision.code, decision.reason, decision.bestNetBps, now);
      return;
    }
    this.open(pair, decision, now);
  }

  // ---------------------------------------------------------------------------------------------
  // Opening a round trip

  private open(pair: ArbPairConfig, decision: Extract<ArbDecision, { kind: "opportunity" }>, now: number): void {
    const { trip, taken } = newRoundTrip(this.cx, pair, decision, this.cx.ids.next("arb"), now);
    const id = trip.id;
    const maker = pair.legs === "maker-taker";
    this.trips.set(id, trip);
    this.skips.flush(pair.id);
    const toSend = maker ? [trip.legs[0]!] : trip.legs;
    for (const l of toSend) {
      l.status = "sent";
      l.sentAt = now;
    }
    // Journal first: the round trip with its legs `sent` commits before either leg reaches the gate.
    this.cx.transaction(() => {
      this.cx.store.appendArbOpportunity(taken);
      this.persist(trip);
    });
    this.schedule(trip, now + pair.legTimeoutMs);
    // The queue is held while both legs go out: a leg that fills or fails at once is looked at after both were sent
    // (otherwise a leg refused at once would cancel the other before it left, and then it would still be sent).
    const held = this.working;
    this.working = true;
    try {
      for (const l of toSend) this.send(trip, l);
    } finally {
      this.working = held;
    }
    this.enqueue(id);
  }

  /** One leg through the risk gate; a leg that cannot go (or that the gate refuses) has ended here. */
  private send(trip: RoundTrip, leg: RoundTripLeg): void {
    const refused = sendLeg(this.cx, trip, leg);
    if (refused !== null) this.legEnded(trip, leg, "failed", refused);
  }

  private legEnded(trip: RoundTrip, leg: RoundTripLeg, status: "failed" | "cancelled", reason: string): void {
    leg.status = status;
    leg.reason = reason;
    this.note(trip, `${leg.role} leg ${leg.clientOrderId} on ${leg.venue} ${status}: ${reason}`);
    this.persist(trip);
    this.enqueue(trip.id);
  }

  // ---------------------------------------------------------------------------------------------
  // Events: a leg's order changed, a timer fired, a halt

  /** A leg's order changed (ledger.settleOrder): its fills and status are read back at processing time. */
  onOrder(order: Order): void {
    const id = order.tags.arbId;
    const trip = id ? this.trips.get(id) : undefined;
    if (!trip) return;
    if (trip.status === "halted") this.settleHalted(trip);
    else this.enqueue(trip.id);
  }

  /** A halt: no repair is sent; the emergency stop cancels the legs' orders and flattens both venues. */
  haltAll(reason: string): void {
    this.skips.flushAll();
    for (const trip of this.trips.values()) {
      if (!OPEN.has(trip.status)) continue;
      trip.status = "halted";
      // The halt run is set before the trading state changes (emergency.runHalt): whether it flattens is known now.
      const flattened = this.cx.emergency.halt?.flatten ?? false;
      trip.halt = { openQty: ZERO, flattened };
      // A leg recorded sent that never reached the books (refused at the gate by the halt itself) never will.
      for (const leg of trip.legs)
        if (leg.status === "sent" && !journaled(this.cx, leg.clientOrderId)) {
          leg.status = "failed";
          leg.reason = "never sent: trading halted";
        }
      this.note(
        trip,
        `halted (${reason}): no repair is sent; the emergency stop cancels the open legs${flattened ? " and flattens both venues" : " (it does not flatten)"}`,
      );
      this.persist(trip);
      this.clearTimer(trip.id);
      this.settleHalted(trip);
    }
  }

  private schedule(trip: RoundTrip, at: number): void {
    this.clearTimer(trip.id);
    const id = trip.id;
    const handle = this.cx.timers.setTimeout(
      () => {
        void this.cx.engine
          .run(() => {
            this.timers.delete(id);
            if (this.trips.has(id)) this.enqueue(id);
          })
          .catch((e: unknown) => this.cx.log("error", `arbitrage ${id} timer: ${String(e)}`));
      },
      Math.max(0, at - this.cx.clock.now()),
    );
    this.timers.set(id, handle);
  }

  private clearTimer(id: string): void {
    const handle = this.timers.get(id);
    if (handle !== undefined) this.cx.timers.clearTimeout(handle);
    this.timers.delete(id);
  }

  private deadlineOf(trip: RoundTrip, pair: ArbPairConfig | undefined): number {
    return trip.legsSentAt + legTimeoutOf(pair);
  }

  // ---------------------------------------------------------------------------------------------
  // The work queue: one round trip step at a time (a leg that fills while it is placed waits its turn).

  private enqueue(id: string): void {
    if (!this.work.includes(id)) this.work.push(id);
    if (this.working) return;
    this.working = true;
    try {
      for (let next = this.work.shift(); next !== undefined; next = this.work.shift()) {
        const trip = this.trips.get(next);
        if (trip && OPEN.has(trip.status)) this.step(trip);
      }
    } finally {
      this.working = false;
    }
  }

  /** Brings the legs up to their orders, then decides: wait, cancel, send the taker leg, repair, book the PnL or escalate. */
  private step(trip: RoundTrip): void {
    const pair = this.pairs.get(trip.pairId);
    const now = this.cx.clock.now();
    const changed = this.syncLegs(trip);
    if (this.cx.tradingState === "HALTED" || this.cx.stopInfo) {
      this.haltAll(this.cx.tradingStateInfo.reason);
      return;
    }
    const timeoutMs = legTimeoutOf(pair);
    const [buy, sell] = trip.legs as [RoundTripLeg, RoundTripLeg];
    // Maker-taker: the taker leg goes once the maker leg has ended (filled, or cancelled at the time limit), for what filled.
    if (sell.status === "pending") {
      if (live(buy)) {
        if (now >= trip.legsSentAt + timeoutMs) this.cancelLeg(trip, buy, `the maker leg is still working after ${timeoutMs} ms`);
        else if (changed) this.persist(trip);
        return;
      }
      if (isPositive(buy.filledQty)) {
        sell.qty = buy.filledQty;
        sell.status = "sent";
        sell.sentAt = now;
        trip.legsSentAt = now;
        this.note(trip, `maker leg done with ${buy.filledQty.toString()}: the taker leg sells it`);
        this.persist(trip);
        this.schedule(trip, now + timeoutMs);
        this.send(trip, sell);
      } else {
        sell.status = "cancelled";
        sell.reason = "the maker leg filled nothing";
        this.finish(trip, "done", "the maker leg filled nothing: no trade"); // booked as failed (nothing traded)
      }
      return;
    }
    // A repair in flight: wait for it, within the time limit.
    const repair = trip.legs.find((leg) => (leg.role === "hedge" || leg.role === "unwind") && live(leg));
    if (repair) {
      if (now >= (repair.sentAt ?? now) + timeoutMs) this.cancelLeg(trip, repair, `the ${repair.role} is still working after ${timeoutMs} ms`);
      else if (changed) this.persist(trip);
      return;
    }
    const action = decideLegRisk({
      buy: sideOf(trip, "BUY"),
      sell: sideOf(trip, "SELL"),
      openedAt: trip.legsSentAt,
      now,
      legTimeoutMs: timeoutMs,
      policy: pair?.repair ?? "unwind",
      attempted: trip.attempted,
      venuesDown: venuesDown(this.cx),
      minQty: minQtyOf(this.cx, trip),
    });
    switch (action.kind) {
      case "wait":
        if (changed) this.persist(trip);
        if (!this.timers.has(trip.id)) this.schedule(trip, action.until);
        return;
      case "cancel":
        for (const leg of trip.legs) if (live(leg) && action.venues.includes(leg.venue)) this.cancelLeg(trip, leg, action.reason);
        return;
      case "balanced":
        this.finish(trip, "done", action.reason);
        return;
      case "escalate":
        this.finish(trip, "escalated", action.reason);
        this.cx.bus.publish({ type: "alert", level: "warn", message: `Arbitrage round trip ${trip.id} (${trip.pairId}) needs a person: ${action.reason}` });
        return;
      case "repair": {
        const leg = repairLeg(trip, action, now);
        trip.attempted.push(action.repair);
        trip.legs.push(leg);
        trip.status = "repairing";
        this.note(trip, `${action.repair}: ${action.reason}`);
        this.persist(trip);
        this.schedule(trip, now + timeoutMs);
        this.send(trip, leg);
        return;
      }
    }
  }

  private cancelLeg(trip: RoundTrip, leg: RoundTripLeg, reason: string): void {
    const record = this.cx.books.orders.get(leg.clientOrderId);
    if (record && !isTerminal(record.order)) {
      if (record.order.status !== "PENDING_CANCEL") {
        this.note(trip, `cancel ${leg.role} leg ${leg.clientOrderId}: ${reason}`);
        this.persist(trip);
        this.cx.ledger.requestCancel(record);
      }
      return;
    }
    // Not in the books' working orders: what the store says is the answer (or it never left).
    if (!this.cx.store.getOrder(leg.clientOrderId)) this.legEnded(trip, leg, "cancelled", `never sent: ${reason}`);
    else this.enqueue(trip.id);
  }

  /** Every leg brought up to its order; true when something changed. */
  private syncLegs(trip: RoundTrip): boolean {
    return trip.legs.map((leg) => syncLeg(this.cx, leg, (text) => this.note(trip, text))).some(Boolean);
  }

  /** Both sides done: the PnL net of fees on the matched quantity (USDC and USD counted at par, as the pair says). */
  private finish(trip: RoundTrip, status: "done" | "escalated", reason: string): void {
    const pnl = book(trip);
    const tradedNothing = trip.boughtQty.isZero() && trip.soldQty.isZero();
    trip.status = status === "done" && tradedNothing ? "failed" : status;
    // A refused, repaired or empty round trip says the market (or the gate) is not taking it now: wait before the next.
    if (trip.status !== "done" || trip.attempted.length > 0) this.coolUntil.set(trip.pairId, this.cx.clock.now() + legTimeoutOf(this.pairs.get(trip.pairId)));
    this.note(trip, `${trip.status}: ${reason}; PnL net of fees ${pnl.toString()}`);
    this.persist(trip);
    this.clearTimer(trip.id);
  }

  /**
   * A halted round trip is booked once its legs have ended (the stop's cancels confirmed, or filled first): the PnL of
   * what matched net of every leg's fees, and the open quantity left to the emergency stop (its flatten takes it, at
   * the desk's risk, not as arbitrage PnL). Until then its PnL stays unknown (null), never a guess.
   */
  private settleHalted(trip: RoundTrip): void {
    if (trip.status !== "halted" || trip.pnl !== null) return;
    const changed = this.syncLegs(trip);
    if (trip.legs.some(live)) {
      if (changed) this.persist(trip);
      return;
    }
    const pnl = book(trip);
    const openQty = trip.boughtQty.minus(trip.soldQty).abs();
    const flattened = trip.halt?.flattened ?? false;
    trip.halt = { openQty, flattened };
    const left = openQty.isZero()
      ? "nothing left open"
      : `${openQty.toString()} left open to the emergency stop${flattened ? ", which flattens it" : " (it does not flatten: the position stays open)"}`;
    this.note(trip, `halted legs ended: PnL net of fees on the matched ${Decimal.min(trip.boughtQty, trip.soldQty).toString()} is ${pnl.toString()}; ${left}`);
    this.persist(trip);
  }

  private note(trip: RoundTrip, text: string): void {
    const now = this.cx.clock.now();
    trip.events.push({ ts: now, text });
    trip.updatedAt = now;
    this.cx.log(trip.status === "escalated" ? "warn" : "info", `arbitrage ${trip.id}: ${text}`);
  }

  private persist(trip: RoundTrip): void {
    trip.updatedAt = this.cx.clock.now();
    const row: ArbRoundTripRow = {
      id: trip.id,
      pairId: trip.pairId,
      status: trip.status,
      pnl: trip.pnl,
      data: trip,
      openedAt: trip.openedAt,
      updatedAt: trip.updatedAt,
    };
    this.cx.durably(() => this.cx.store.saveArbRoundTrip(row));
  }

  // ---------------------------------------------------------------------------------------------
  // Restart

  /**
   * At start (after reconciliation) and after a reload: open round trips come back. A leg recorded `sent` is looked up
   * by its client order id; not journaled, it never reached the venue (journal first) and counts as failed — it is
   * never sent again. Each round trip then resumes its leg-risk handling.
   */
  restore(): void {
    // The operator's choices survive a restart; a pair never touched follows the desk file.
    this.choices.restore();
    for (const id of [...this.timers.keys()]) this.clearTimer(id);
    this.trips.clear();
    this.work.length = 0;
    this.skips.clear();
    for (const row of this.cx.store.loadArbRoundTrips({ onlyOpen: true })) {
      const trip = row.data as RoundTrip;
      this.trips.set(trip.id, trip);
      for (const leg of trip.legs) {
        if (!live(leg)) continue;
        if (!journaled(this.cx, leg.clientOrderId)) {
          leg.status = "failed";
          leg.reason = "never journaled: the engine stopped before sending it";
          this.note(trip, `after a restart, ${leg.role} leg ${leg.clientOrderId} was never sent: it counts as failed and is not sent again`);
        }
      }
      this.note(trip, "resumed after a restart");
      this.persist(trip);
    }
    // Halted round trips whose legs had not ended when the engine stopped: booked once they have (or now, if they did).
    for (const row of this.cx.store.loadArbRoundTrips({ onlyOpen: false, limit: HALTED_LOOKBACK })) {
      if (row.status !== "halted" || row.pnl !== null || this.trips.has(row.id)) continue;
      const trip = row.data as RoundTrip;
      this.trips.set(trip.id, trip);
      this.settleHalted(trip);
    }
    for (const trip of [...this.trips.values()]) {
      this.schedule(trip, this.deadlineOf(trip, this.pairs.get(trip.pairId)));
      this.enqueue(trip.id);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Commands and views

  /**
   * Turns a pair on or off (no new round trip while off; an open one finishes). The choice is stored (engine state, in
   * the transaction of its audit row) and outlives a restart: the desk file's `enabled` only sets a pair never touched.
   * (arbitrage-choices)
   */
  setEnabled(pairId: string, enabled: boolean, actor: Actor, reason: string | null = null): CommandResult {
    return this.choices.set(pairId, enabled, actor, reason);
  }

  view(limits: { opportunities: number; roundTrips: number }): ArbitrageView {
    return arbitrageView(
      this.cx,
      { pairs: this.pairs.values(), choices: this.choices.all, trips: this.trips, skips: this.skips.pending, seen: this.seen },
      limits,
    );
  }
}

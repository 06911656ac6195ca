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
 */
import {
  type ArbBalance,
  type ArbDecision,
  type ArbLeg,
  type ArbPairConfig,
  type ArbQuote,
  type ArbSettings,
  decideLegRisk,
  detectArbitrage,
  roundTripPnl,
} from "../core/algos/arbitrage";
import type { Instrument } from "../core/instrument";
import { D, Decimal, isPositive, roundToStep, ZERO } from "../core/money";
import { isTerminal, type Order, type OrderSide, type OrderSpec } from "../core/orders";
import type { MarketUpdate } from "../core/market-data";
import { createExitState } from "../core/positions";
import type { ArbOpportunityRow, ArbRoundTripRow } from "../db/store";
import { ownerOf } from "./books";
import { done, fail, type EngineContext } from "./context";
import type { Actor, CommandResult, PositionRecord } from "./types";

/** Skips of one reason are written at most this often per pair (desk time). */
export const SKIP_FLUSH_MS = 60_000;

/** How many of the newest round trips a restart looks through for a halted one not yet booked. */
const HALTED_LOOKBACK = 200;

/** The engine-state key of the operator's on/off choices per pair (the desk file's `enabled` is the default for a pair never touched). */
export const PAIR_CHOICES_KEY = "arbitragePairs";

/** Who turned a pair on or off, and when (desk time). */
export interface PairChoice {
  enabled: boolean;
  by: string;
  at: number;
  reason: string | null;
}

/** done: both sides filled and matched (a repair may have helped); failed: nothing traded; escalated: a person decides. */
export type RoundTripStatus = "open" | "repairing" | "done" | "failed" | "escalated" | "halted";
export type LegRole = "buy" | "sell" | "hedge" | "unwind";
export type LegStatus = "pending" | "sent" | "working" | "filled" | "failed" | "cancelled";

export interface RoundTripLeg {
  role: LegRole;
  venue: string;
  symbol: string;
  side: OrderSide;
  clientOrderId: string;
  type: "LIMIT" | "MARKET";
  timeInForce: "IOC" | "GTC";
  qty: Decimal;
  price: Decimal | null;
  status: LegStatus;
  filledQty: Decimal;
  avgPrice: Decimal | null;
  /** In the market's quote currency. */
  fees: Decimal;
  reason: string | null;
  sentAt: number | null;
}

export interface RoundTrip {
  id: string;
  pairId: string;
  status: RoundTripStatus;
  openedAt: number;
  updatedAt: number;
  /** When the legs in flight count as too slow (reset when maker-taker sends its taker leg). */
  legsSentAt: number;
  buy: { venue: string; symbol: string };
  sell: { venue: string; symbol: string };
  qty: Decimal;
  netBps: Decimal;
  expectedProfit: Decimal;
  legs: RoundTripLeg[];
  attempted: ("hedge" | "unwind")[];
  events: { ts: number; text: string }[];
  pnl: Decimal | null;
  boughtQty: Decimal;
  soldQty: Decimal;
  /**
   * A halted round trip, once its legs have ended: the quantity bought and not sold (or sold and not bought) that the
   * room left to the emergency stop, and whether that stop flattens positions (it took this quantity) or leaves them.
   * Absent on round trips that were not halted (and on those stored before this was recorded).
   */
  halt?: { openQty: Decimal; flattened: boolean };
}

interface PendingSkip {
  code: string;
  reason: string;
  count: number;
  firstTs: number;
  lastTs: number;
  bestNetBps: Decimal | null;
}

const owner = (pairId: string) => `arb:${pairId}`;
const label = (m: { venue: string; symbol: string }) => `${m.venue} ${m.symbol}`;
const OPEN: ReadonlySet<RoundTripStatus> = new Set(["open", "repairing"]);

export class Arbitrage {
  private readonly pairs = new Map<string, ArbPairConfig>();
  /** The desk file's `enabled` per pair: what a pair the operator never touched starts with. */
  private readonly deskEnabled = new Map<string, boolean>();
  /** The operator's last choice per pair, as stored (restored at start and on reload). */
  private choices: Record<string, PairChoice> = {};
  private readonly trips = new Map<string, RoundTrip>();
  private readonly timers = new Map<string, unknown>();
  private readonly skips = new Map<string, PendingSkip>();
  private readonly work: string[] = [];
  private working = false;
  /** After a round trip that needed a repair or traded nothing, the pair waits its leg time limit before the next one. */
  private readonly coolUntil = new Map<string, number>();
  /** Opportunities evaluated since the start, per pair (the live "seen" counter; the log has the persisted ones). */
  readonly seen = new Map<string, number>();

  constructor(private readonly cx: EngineContext) {
    for (const pair of cx.options.arbitrage ?? []) {
      this.pairs.set(pair.id, { ...pair });
      this.deskEnabled.set(pair.id, pair.enabled);
    }
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
      this.skip(
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
      this.skip(pair.id, "ROUND_TRIP_OPEN", `round trip ${open.id} is still open: one at a time per pair`, null, now);
      return;
    }
    const cool = this.coolUntil.get(pair.id);
    if (cool !== undefined && now < cool) {
      this.skip(pair.id, "COOLING_DOWN", `the last round trip needed a repair or traded nothing: waiting until ${new Date(cool).toISOString()}`, null, now);
      return;
    }
    const inputs = this.inputsOf(pair);
    if (!inputs.ok) {
      this.skip(pair.id, inputs.code, inputs.reason, null, now);
      return;
    }
    const decision = detectArbitrage(inputs.quotes[0], inputs.quotes[1], inputs.balances, inputs.settings, now);
    if (decision.kind === "skip") {
      this.skip(pair.id, decision.code, decision.reason, decision.bestNetBps, now);
      return;
    }
    this.open(pair, decision, now);
  }

  /** Each market's quote (from the venue set), fees, rules and free balances, keyed by the market's label. */
  private inputsOf(
    pair: ArbPairConfig,
  ): { ok: true; quotes: [ArbQuote, ArbQuote]; balances: Record<string, ArbBalance>; settings: ArbSettings } | { ok: false; code: string; reason: string } {
    const set = this.cx.venues;
    const quotes: ArbQuote[] = [];
    const balances: Record<string, ArbBalance> = {};
    const instruments: Instrument[] = [];
    for (const market of pair.markets) {
      const instrument = set
        ? set.listing(market.venue, market.symbol)
        : this.cx.venue.id === market.venue
          ? this.cx.books.instruments.get(market.symbol)
          : undefined;
      if (!instrument) return { ok: false, code: "NOT_LISTED", reason: `${market.venue} does not list ${market.symbol}` };
      instruments.push(instrument);
      const quote = set?.quotes.get(market.venue)?.get(market.symbol);
      if (!quote || quote.bid === null || quote.ask === null) return { ok: false, code: "NO_QUOTE", reason: `no bid and ask for ${label(market)} yet` };
      const member = set ? set.member(market.venue) : this.cx.venue;
      const status = member.status();
      const state = set?.stateOf(market.venue) ?? "ACTIVE";
      const unavailable = !status.connected ? `down (${status.lastError ?? "not connected"})` : state !== "ACTIVE" ? state.toLowerCase() : undefined;
      quotes.push({
        venue: label(market),
        bid: D(quote.bid),
        ask: D(quote.ask),
        bidSize: null,
        askSize: null,
        takerFee: instrument.takerFee,
        makerFee: instrument.makerFee,
        ts: quote.ts,
        ...(unavailable !== undefined && { unavailable }),
      });
      balances[label(market)] = {
        base: this.cx.venueRoom.freeBalance(market.venue, instrument.base) ?? ZERO,
        quote: this.cx.venueRoom.freeBalance(market.venue, instrument.quote) ?? ZERO,
      };
    }
    const [a, b] = instruments as [Instrument, Instrument];
    const settings: ArbSettings = {
      thresholdBps: D(pair.thresholdBps),
      slippageBps: D(pair.slippageBps),
      legs: pair.legs,
      maxQty: D(pair.maxQty),
      maxQuoteAgeMs: pair.maxQuoteAgeMs,
      // Both legs trade one quantity: the coarser rules of the two markets.
      qtyStep: Decimal.max(a.qtyStep, b.qtyStep),
      minQty: Decimal.max(a.minQty, b.minQty),
      minNotional: Decimal.max(a.minNotional, b.minNotional),
    };
    return { ok: true, quotes: quotes as [ArbQuote, ArbQuote], balances, settings };
  }

  // ---------------------------------------------------------------------------------------------
  // The opportunity log

  private skip(pairId: string, code: string, reason: string, bestNetBps: Decimal | null, now: number): void {
    const pending = this.skips.get(pairId);
    if (pending && pending.code === code) {
      pending.count++;
      pending.lastTs = now;
      pending.reason = reason;
      if (bestNetBps !== null && (pending.bestNetBps === null || bestNetBps.greaterThan(pending.bestNetBps))) pending.bestNetBps = bestNetBps;
      if (now - pending.firstTs >= SKIP_FLUSH_MS) this.flushSkip(pairId);
      return;
    }
    if (pending) this.flushSkip(pairId);
    this.skips.set(pairId, { code, reason, count: 1, firstTs: now, lastTs: now, bestNetBps });
  }

  private flushSkip(pairId: string): void {
    const pending = this.skips.get(pairId);
    if (!pending) return;
    this.skips.delete(pairId);
    const row: ArbOpportunityRow = {
      pairId,
      outcome: "skipped",
      code: pending.code,
      reason: pending.reason,
      count: pending.count,
      firstTs: pending.firstTs,
      lastTs: pending.lastTs,
      bestNetBps: pending.bestNetBps?.toDecimalPlaces(2) ?? null,
      buyVenue: null,
      sellVenue: null,
      qty: null,
      roundTripId: null,
    };
    this.cx.durably(() => this.cx.store.appendArbOpportunity(row));
  }

  /** Skips still aggregated in memory, written now (a stop, a view that must be complete). */
  flushSkips(): void {
    for (const pairId of [...this.skips.keys()]) this.flushSkip(pairId);
  }

  // ---------------------------------------------------------------------------------------------
  // Opening a round trip

  private open(pair: ArbPairConfig, decision: Extract<ArbDecision, { kind: "opportunity" }>, now: number): void {
    const buy = pair.markets.find((m) => label(m) === decision.buyVenue)!;
    const sell = pair.markets.find((m) => label(m) === decision.sellVenue)!;
    const id = this.cx.ids.next("arb");
    const maker = pair.legs === "maker-taker";
    const slip = D(pair.slippageBps).dividedBy(10_000);
    const buyInstrument = this.instrumentOf(buy.venue, buy.symbol)!;
    const sellInstrument = this.instrumentOf(sell.venue, sell.symbol)!;
    // Taker legs are marketable limits allowing the expected slippage past the touch (IOC: what does not fill at once is cancelled).
    const buyPrice = roundToStep(maker ? decision.buyPrice : decision.buyPrice.times(D(1).plus(slip)), buyInstrument.priceTick, "down");
    const sellPrice = roundToStep(decision.sellPrice.times(D(1).minus(slip)), sellInstrument.priceTick, "up");
    const leg = (role: "buy" | "sell", market: { venue: string; symbol: string }, price: Decimal, resting: boolean): RoundTripLeg => ({
      role,
      venue: market.venue,
      symbol: market.symbol,
      side: role === "buy" ? "BUY" : "SELL",
      clientOrderId: `${id}.${role === "buy" ? "b" : "s"}`,
      type: "LIMIT",
      timeInForce: resting ? "GTC" : "IOC",
      qty: decision.qty,
      price,
      status: "pending",
      filledQty: ZERO,
      avgPrice: null,
      fees: ZERO,
      reason: null,
      sentAt: null,
    });
    const trip: RoundTrip = {
      id,
      pairId: pair.id,
      status: "open",
      openedAt: now,
      updatedAt: now,
      legsSentAt: now,
      buy,
      sell,
      qty: decision.qty,
      netBps: decision.netBps.toDecimalPlaces(2),
      expectedProfit: decision.expectedProfit.toDecimalPlaces(8),
      legs: [leg("buy", buy, buyPrice, maker), leg("sell", sell, sellPrice, false)],
      attempted: [],
      events: [{ ts: now, text: `opened: ${decision.reason}` }],
      pnl: null,
      boughtQty: ZERO,
      soldQty: ZERO,
    };
    this.trips.set(id, trip);
    this.flushSkip(pair.id);
    const taken: ArbOpportunityRow = {
      pairId: pair.id,
      outcome: "taken",
      code: "TAKEN",
      reason: decision.reason,
      count: 1,
      firstTs: now,
      lastTs: now,
      bestNetBps: trip.netBps,
      buyVenue: buy.venue,
      sellVenue: sell.venue,
      qty: decision.qty,
      roundTripId: id,
    };
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

  private instrumentOf(venue: string, symbol: string): Instrument | undefined {
    return this.cx.venues ? this.cx.venues.listing(venue, symbol) : this.cx.books.instruments.get(symbol);
  }

  /** One leg through the risk gate, booked to the pair's position on that venue (opened, added to or reduced). */
  private send(trip: RoundTrip, leg: RoundTripLeg): void {
    const strategy = owner(trip.pairId);
    const held = this.positionOn(leg.venue, leg.symbol, strategy);
    const reduceOnly = leg.role === "unwind";
    let newPosition: { id: string; side: "LONG" | "SHORT"; meta: PositionRecord["meta"]; exit: PositionRecord["exit"] } | null = null;
    if (!held) {
      if (reduceOnly) {
        this.legEnded(trip, leg, "failed", `no ${strategy} position on ${leg.venue} ${leg.symbol} to unwind`);
        return;
      }
      newPosition = {
        id: this.cx.ids.next("pos"),
        side: leg.side === "BUY" ? "LONG" : "SHORT",
        meta: { strategy, signalId: null, entryOrderId: leg.clientOrderId },
        // A leg is hedged by the other venue's: the symbol's stop-loss or take-profit must never close one side alone.
        exit: createExitState({}),
      };
    }
    const spec: OrderSpec = {
      clientOrderId: leg.clientOrderId,
      symbol: leg.symbol,
      side: leg.side,
      type: leg.type,
      quantity: leg.qty,
      ...(leg.price !== null && { price: leg.price }),
      timeInForce: leg.timeInForce,
      reduceOnly,
      tags: { positionId: held?.position.id ?? newPosition!.id, strategy, reason: "arbitrage", arbId: trip.id, arbLeg: leg.role },
      venue: leg.venue,
    };
    const refPrice = leg.price ?? this.cx.venueRoom.touch(leg.venue, leg.symbol, leg.side) ?? trip.legs[0]!.price ?? ZERO;
    const result = this.cx.gate.placeOrder(spec, { refPrice, newPosition });
    // A gate refusal leaves no order behind: the leg failed here. A venue refusal comes back through the ledger.
    if (!result.ok && !this.cx.books.orders.has(leg.clientOrderId) && !this.cx.store.getOrder(leg.clientOrderId)) {
      this.legEnded(trip, leg, "failed", `${result.error.code}: ${result.error.message}`);
    }
  }

  private positionOn(venue: string, symbol: string, strategy: string): PositionRecord | undefined {
    return this.cx.books.openPositionsFor(symbol, strategy).find((r) => this.cx.venueRoom.venueOfPosition(r) === venue && ownerOf(r.meta) === strategy);
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
    this.flushSkips();
    for (const trip of this.trips.values()) {
      if (!OPEN.has(trip.status)) continue;
      trip.status = "halted";
      // The halt run is set before the trading state changes (emergency.runHalt): whether it flattens is known now.
      const flattened = this.cx.emergency.halt?.flatten ?? false;
      trip.halt = { openQty: ZERO, flattened };
      // A leg recorded sent that never reached the books (refused at the gate by the halt itself) never will.
      for (const leg of trip.legs)
        if (leg.status === "sent" && !this.cx.books.orders.has(leg.clientOrderId) && !this.cx.store.getOrder(leg.clientOrderId)) {
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
    return trip.legsSentAt + (pair?.legTimeoutMs ?? 30_000);
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
    const changed = trip.legs.map((leg) => this.sync(trip, leg)).some(Boolean);
    if (this.cx.tradingState === "HALTED" || this.cx.stopInfo) {
      this.haltAll(this.cx.tradingStateInfo.reason);
      return;
    }
    const timeoutMs = pair?.legTimeoutMs ?? 30_000;
    const [buy, sell] = trip.legs as [RoundTripLeg, RoundTripLeg];
    const live = (leg: RoundTripLeg) => leg.status === "sent" || leg.status === "working";
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
      buy: this.sideOf(trip, "BUY"),
      sell: this.sideOf(trip, "SELL"),
      openedAt: trip.legsSentAt,
      now,
      legTimeoutMs: timeoutMs,
      policy: pair?.repair ?? "unwind",
      attempted: trip.attempted,
      venuesDown: this.venuesDown(),
      minQty: this.minQtyOf(trip),
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
        const n = trip.legs.filter((leg) => leg.role === action.repair).length + 1;
        // A hedge completes the lagging side on its market; an unwind reverses the leading side on its market.
        const onBuyMarket = action.repair === "hedge" ? action.order.side === "BUY" : action.order.side === "SELL";
        const market = onBuyMarket ? trip.buy : trip.sell;
        const leg: RoundTripLeg = {
          role: action.repair,
          venue: market.venue,
          symbol: market.symbol,
          side: action.order.side,
          clientOrderId: `${trip.id}.${action.repair === "hedge" ? "h" : "u"}${n}`,
          type: "MARKET",
          timeInForce: "IOC",
          qty: action.order.qty,
          price: null,
          status: "sent",
          filledQty: ZERO,
          avgPrice: null,
          fees: ZERO,
          reason: null,
          sentAt: now,
        };
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

  /** One side of the round trip over all its orders (legs and repairs): what was bought (or sold), and whether any still works. */
  private sideOf(trip: RoundTrip, side: OrderSide): ArbLeg {
    const legs = trip.legs.filter((leg) => leg.side === side);
    const primary = trip.legs.find((leg) => leg.role === (side === "BUY" ? "buy" : "sell"))!;
    const filledQty = legs.reduce((sum, leg) => sum.plus(leg.filledQty), ZERO);
    const working = legs.some((leg) => leg.status === "sent" || leg.status === "working");
    const status: ArbLeg["status"] = working
      ? "working"
      : primary.status === "filled"
        ? "filled"
        : primary.status === "cancelled"
          ? "cancelled"
          : primary.status === "failed"
            ? "failed"
            : "filled";
    return { venue: primary.venue, side, targetQty: primary.qty, filledQty, status };
  }

  private venuesDown(): string[] {
    const set = this.cx.venues;
    if (!set) return this.cx.venue.status().connected ? [] : [this.cx.venue.id];
    return set.ids().filter((id) => !set.member(id).status().connected || set.stateOf(id) === "HALTED");
  }

  private minQtyOf(trip: RoundTrip): Decimal {
    const a = this.instrumentOf(trip.buy.venue, trip.buy.symbol);
    const b = this.instrumentOf(trip.sell.venue, trip.sell.symbol);
    return Decimal.max(a?.minQty ?? ZERO, b?.minQty ?? ZERO, a?.qtyStep ?? ZERO, b?.qtyStep ?? ZERO);
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

  /** A leg's status, fills, average price and fees from its order; true when something changed. */
  private sync(trip: RoundTrip, leg: RoundTripLeg): boolean {
    if (leg.status === "pending" || leg.status === "failed" || leg.status === "cancelled" || leg.status === "filled") return false;
    const stored = this.cx.books.orders.get(leg.clientOrderId) ?? this.cx.store.getOrder(leg.clientOrderId);
    if (!stored) return false;
    const order = stored.order;
    let qty = ZERO;
    let notional = ZERO;
    let fees = ZERO;
    const instrument = this.instrumentOf(leg.venue, leg.symbol);
    for (const fill of this.cx.store.fillsForOrder(leg.clientOrderId)) {
      qty = qty.plus(fill.qty);
      notional = notional.plus(fill.qty.times(fill.price));
      // A fee charged in the base is valued at the fill's price (the PnL is in the quote).
      fees = fees.plus(instrument && fill.feeCurrency === instrument.base ? fill.fee.times(fill.price) : fill.fee);
    }
    const status: LegStatus =
      order.status === "FILLED"
        ? "filled"
        : order.status === "CANCELED" || order.status === "EXPIRED"
          ? "cancelled"
          : order.status === "REJECTED" || order.status === "DENIED"
            ? "failed"
            : "working";
    const changed = status !== leg.status || !qty.equals(leg.filledQty);
    leg.filledQty = qty;
    leg.avgPrice = isPositive(qty) ? notional.dividedBy(qty).toSignificantDigits(12) : null;
    leg.fees = fees;
    if (status !== leg.status) {
      leg.status = status;
      if (status !== "working") {
        leg.reason = order.reason ?? null;
        this.note(
          trip,
          `${leg.role} leg ${leg.clientOrderId} ${status}: ${qty.toString()} of ${leg.qty.toString()}${order.reason ? ` (${order.reason})` : ""}`,
        );
      }
    }
    return changed;
  }

  /** Both sides done: the PnL net of fees on the matched quantity (USDC and USD counted at par, as the pair says). */
  private finish(trip: RoundTrip, status: "done" | "escalated", reason: string): void {
    const pnl = this.book(trip);
    const tradedNothing = trip.boughtQty.isZero() && trip.soldQty.isZero();
    trip.status = status === "done" && tradedNothing ? "failed" : status;
    // A refused, repaired or empty round trip says the market (or the gate) is not taking it now: wait before the next.
    if (trip.status !== "done" || trip.attempted.length > 0)
      this.coolUntil.set(trip.pairId, this.cx.clock.now() + (this.pairs.get(trip.pairId)?.legTimeoutMs ?? 30_000));
    this.note(trip, `${trip.status}: ${reason}; PnL net of fees ${pnl.toString()}`);
    this.persist(trip);
    this.clearTimer(trip.id);
  }

  /** What both sides bought and sold over all their orders, and the PnL net of every leg's fees on the matched quantity. */
  private book(trip: RoundTrip): Decimal {
    const fillsOf = (side: OrderSide) => {
      const legs = trip.legs.filter((leg) => leg.side === side);
      const qty = legs.reduce((sum, leg) => sum.plus(leg.filledQty), ZERO);
      const notional = legs.reduce((sum, leg) => sum.plus(leg.avgPrice ? leg.avgPrice.times(leg.filledQty) : ZERO), ZERO);
      const fees = legs.reduce((sum, leg) => sum.plus(leg.fees), ZERO);
      return { qty, avgPrice: isPositive(qty) ? notional.dividedBy(qty) : ZERO, fees };
    };
    const bought = fillsOf("BUY");
    const sold = fillsOf("SELL");
    trip.boughtQty = bought.qty;
    trip.soldQty = sold.qty;
    trip.pnl = roundTripPnl(bought, sold).toDecimalPlaces(8);
    return trip.pnl;
  }

  /**
   * A halted round trip is booked once its legs have ended (the stop's cancels confirmed, or filled first): the PnL of
   * what matched net of every leg's fees, and the open quantity left to the emergency stop (its flatten takes it, at
   * the desk's risk, not as arbitrage PnL). Until then its PnL stays unknown (null), never a guess.
   */
  private settleHalted(trip: RoundTrip): void {
    if (trip.status !== "halted" || trip.pnl !== null) return;
    const changed = trip.legs.map((leg) => this.sync(trip, leg)).some(Boolean);
    if (trip.legs.some((leg) => leg.status === "sent" || leg.status === "working")) {
      if (changed) this.persist(trip);
      return;
    }
    const pnl = this.book(trip);
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
    // The operator's choices survive a restart (and a reload undoes one that did not commit); a pair never touched
    // (or one whose choice names a pair the desk file no longer has) follows the desk file.
    this.choices = this.cx.store.getState<Record<string, PairChoice>>(PAIR_CHOICES_KEY) ?? {};
    for (const pair of this.pairs.values()) pair.enabled = this.choices[pair.id]?.enabled ?? this.deskEnabled.get(pair.id) ?? pair.enabled;
    for (const id of [...this.timers.keys()]) this.clearTimer(id);
    this.trips.clear();
    this.work.length = 0;
    this.skips.clear();
    for (const row of this.cx.store.loadArbRoundTrips({ onlyOpen: true })) {
      const trip = row.data as RoundTrip;
      this.trips.set(trip.id, trip);
      for (const leg of trip.legs) {
        if (leg.status !== "sent" && leg.status !== "working") continue;
        if (!this.cx.books.orders.has(leg.clientOrderId) && !this.cx.store.getOrder(leg.clientOrderId)) {
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
   */
  setEnabled(pairId: string, enabled: boolean, actor: Actor, reason: string | null = null): CommandResult {
    const pair = this.pairs.get(pairId);
    if (!pair) return fail("NOT_FOUND", `There is no arbitrage pair ${pairId}; the pairs are ${[...this.pairs.keys()].join(", ") || "none"}.`);
    if (pair.enabled === enabled) return done(`Pair ${pairId} is already ${enabled ? "enabled" : "disabled"}.`);
    const choices = { ...this.choices, [pairId]: { enabled, by: actor.username, at: this.cx.clock.now(), reason } };
    // Stored first: memory follows only what committed.
    this.cx.durably(() => this.cx.store.setState(PAIR_CHOICES_KEY, choices));
    this.choices = choices;
    pair.enabled = enabled;
    this.cx.log("info", `arbitrage pair ${pairId} ${enabled ? "enabled" : "disabled"} by ${actor.username}`);
    return done(`Pair ${pairId} ${enabled ? "enabled: it takes opportunities again" : "disabled: no new round trip (an open one finishes)"}.`, {
      pairId,
      enabled,
    });
  }

  view(limits: { opportunities: number; roundTrips: number }): ArbitrageView {
    const counts = this.cx.store.arbOpportunityCounts();
    const trips = this.cx.store
      .loadArbRoundTrips({ onlyOpen: false, limit: limits.roundTrips })
      .map((row) => this.trips.get(row.id) ?? (row.data as RoundTrip));
    const allTrips = trips;
    const pairs = [...this.pairs.values()].map((pair) => {
      const pending = this.skips.get(pair.id);
      const mine = counts.filter((c) => c.pairId === pair.id);
      const taken = mine.filter((c) => c.outcome === "taken").reduce((s, c) => s + c.count, 0);
      const skipped = mine.filter((c) => c.outcome === "skipped").reduce((s, c) => s + c.count, 0) + (pending?.count ?? 0);
      const quotes = pair.markets.map((m) => {
        const q = this.cx.venues?.quotes.get(m.venue)?.get(m.symbol);
        return { venue: m.venue, symbol: m.symbol, bid: q?.bid ?? null, ask: q?.ask ?? null, ts: q?.ts ?? null };
      });
      const open = [...this.trips.values()].find((t) => t.pairId === pair.id && OPEN.has(t.status));
      return {
        id: pair.id,
        enabled: pair.enabled,
        changedBy: this.choices[pair.id] ? { by: this.choices[pair.id]!.by, at: this.choices[pair.id]!.at, reason: this.choices[pair.id]!.reason } : null,
        legs: pair.legs,
        repair: pair.repair,
        thresholdBps: pair.thresholdBps,
        slippageBps: pair.slippageBps,
        maxQty: pair.maxQty,
        legTimeoutSeconds: pair.legTimeoutMs / 1000,
        maxQuoteAgeSeconds: pair.maxQuoteAgeMs / 1000,
        quotes,
        openRoundTrip: open?.id ?? null,
        lastSkip: pending ? { code: pending.code, reason: pending.reason, count: pending.count, lastTs: pending.lastTs } : null,
        taken,
        skipped,
        seenSinceStart: this.seen.get(pair.id) ?? 0,
      };
    });
    const pendingRows: ArbitrageView["opportunities"] = [...this.skips.entries()].map(([pairId, p]) => ({
      id: null,
      pairId,
      outcome: "skipped",
      code: p.code,
      reason: p.reason,
      count: p.count,
      firstTs: p.firstTs,
      lastTs: p.lastTs,
      bestNetBps: p.bestNetBps?.toDecimalPlaces(2).toString() ?? null,
      buyVenue: null,
      sellVenue: null,
      qty: null,
      roundTripId: null,
    }));
    const stored = this.cx.store.loadArbOpportunities(limits.opportunities).map((row) => ({
      id: row.id ?? null,
      pairId: row.pairId,
      outcome: row.outcome,
      code: row.code,
      reason: row.reason,
      count: row.count,
      firstTs: row.firstTs,
      lastTs: row.lastTs,
      bestNetBps: row.bestNetBps?.toString() ?? null,
      buyVenue: row.buyVenue,
      sellVenue: row.sellVenue,
      qty: row.qty?.toString() ?? null,
      roundTripId: row.roundTripId,
    }));
    const skipCodes = new Map<string, number>();
    for (const c of counts) if (c.outcome === "skipped") skipCodes.set(c.code, (skipCodes.get(c.code) ?? 0) + c.count);
    for (const p of this.skips.values()) skipCodes.set(p.code, (skipCodes.get(p.code) ?? 0) + p.count);
    const booked = allTrips.filter((t) => t.pnl !== null);
    return {
      pairs,
      opportunities: [...pendingRows, ...stored].slice(0, limits.opportunities),
      roundTrips: trips.map(roundTripView),
      totals: {
        // Every look at a pair is taken or skipped (with the reason): seen = taken + skipped.
        seen: counts.reduce((s, c) => s + c.count, 0) + [...this.skips.values()].reduce((s, p) => s + p.count, 0),
        taken: counts.filter((c) => c.outcome === "taken").reduce((s, c) => s + c.count, 0),
        skipped: [...skipCodes.values()].reduce((s, n) => s + n, 0),
        skippedByCode: [...skipCodes.entries()].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count),
        roundTrips: allTrips.length,
        open: allTrips.filter((t) => OPEN.has(t.status)).length,
        // Over the round trips listed (the newest `roundTrips`).
        pnl: booked.reduce((sum, t) => sum.plus(t.pnl!), ZERO).toString(),
      },
    };
  }

  /** Live round trips (tests). */
  roundTrips(): RoundTrip[] {
    return [...this.trips.values()];
  }
}

export interface ArbitrageView {
  pairs: {
    id: string;
    enabled: boolean;
    /** The operator's last on/off choice (null: the desk file's setting, never changed). */
    changedBy: { by: string; at: number; reason: string | null } | null;
    legs: string;
    repair: string;
    thresholdBps: number;
    slippageBps: number;
    maxQty: string;
    legTimeoutSeconds: number;
    maxQuoteAgeSeconds: number;
    quotes: { venue: string; symbol: string; bid: number | null; ask: number | null; ts: number | null }[];
    openRoundTrip: string | null;
    lastSkip: { code: string; reason: string; count: number; lastTs: number } | null;
    taken: number;
    skipped: number;
    seenSinceStart: number;
  }[];
  /** The stored rows with their Decimals as strings (the view goes out as JSON). */
  opportunities: (Omit<ArbOpportunityRow, "id" | "bestNetBps" | "qty"> & { id: number | null; bestNetBps: string | null; qty: string | null })[];
  roundTrips: RoundTripView[];
  totals: { seen: number; taken: number; skipped: number; skippedByCode: { code: string; count: number }[]; roundTrips: number; open: number; pnl: string };
}

export interface RoundTripView {
  id: string;
  pairId: string;
  status: RoundTripStatus;
  openedAt: number;
  updatedAt: number;
  buyVenue: string;
  buySymbol: string;
  sellVenue: string;
  sellSymbol: string;
  qty: string;
  netBps: string;
  expectedProfit: string;
  boughtQty: string;
  soldQty: string;
  pnl: string | null;
  /** A halted round trip once its legs ended: the open quantity left to the emergency stop, and whether it flattens. */
  halt: { openQty: string; flattened: boolean } | null;
  fees: string;
  /** Repairs sent, in order (hedge, unwind). */
  repairs: string[];
  legs: {
    role: LegRole;
    venue: string;
    symbol: string;
    side: OrderSide;
    clientOrderId: string;
    type: string;
    qty: string;
    price: string | null;
    status: LegStatus;
    filledQty: string;
    avgPrice: string | null;
    fees: string;
    reason: string | null;
  }[];
  events: { ts: number; text: string }[];
}

function roundTripView(trip: RoundTrip): RoundTripView {
  const d = (x: Decimal | string | null | undefined) => (x === null || x === undefined ? null : D(x).toString());
  return {
    id: trip.id,
    pairId: trip.pairId,
    status: trip.status,
    openedAt: trip.openedAt,
    updatedAt: trip.updatedAt,
    buyVenue: trip.buy.venue,
    buySymbol: trip.buy.symbol,
    sellVenue: trip.sell.venue,
    sellSymbol: trip.sell.symbol,
    qty: d(trip.qty)!,
    netBps: d(trip.netBps)!,
    expectedProfit: d(trip.expectedProfit)!,
    boughtQty: d(trip.boughtQty)!,
    soldQty: d(trip.soldQty)!,
    pnl: d(trip.pnl),
    halt: trip.halt ? { openQty: d(trip.halt.openQty)!, flattened: trip.halt.flattened } : null,
    fees: trip.legs.reduce((sum, leg) => sum.plus(leg.fees), ZERO).toString(),
    repairs: [...trip.attempted],
    legs: trip.legs.map((leg) => ({
      role: leg.role,
      venue: leg.venue,
      symbol: leg.symbol,
      side: leg.side,
      clientOrderId: leg.clientOrderId,
      type: leg.type,
      qty: d(leg.qty)!,
      price: d(leg.price),
      status: leg.status,
      filledQty: d(leg.filledQty)!,
      avgPrice: d(leg.avgPrice),
      fees: d(leg.fees)!,
      reason: leg.reason,
    })),
    events: trip.events.slice(-20),
  };
}

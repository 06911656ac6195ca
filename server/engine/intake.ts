/**
 * Intake: a signal is checked (time window, exits on the protective side), deduplicated by id, checked against its
 * symbol's settings, sized, and handed to the risk gate as an entry; manual orders enter here too. Called only
 * from inside the engine's queue.
 */
import { type Instrument, roundQty } from "../core/instrument";
import { cmp, D, Decimal, isPositive, maxDec, onePlus, powerOfTenExponent, ZERO } from "../core/money";
import { leavesQty, type ContingencyType, type OrderSide, type OrderSpec } from "../core/orders";
import { stopLossWrongSide, takeProfitWrongSide, type PositionSide } from "../core/positions";
import { sizeByConfidence, sizeFixedFraction, sizeFixedRisk } from "../core/risk";
import { executionPrice } from "../core/sim/slippage";
import type { SignalRecord } from "../db/store";
import { DEFAULT_STRATEGY_CONFLICT, type StrategyConflictRule, type SymbolSettings } from "./settings";
import { MANUAL_OWNER, ownerOf } from "./books";
import { type Actor, type CommandResult, type ManualOrderRequest, type PositionRecord, type Signal, DEFAULT_SIGNAL_WINDOW } from "./types";
import { markDecimal, DecimalDown, fail, type EngineContext, resultMessage } from "./context";
import { scaleByExpectedReturn, sizeAtrFor, sizeKellyFor } from "./sizing-methods";
import { truncatedQuotient } from "../core/money-words";

/** A manual request's prices and time terms as an order spec carries them (intake, OCO legs, bracket exits). */
export function requestTerms(
  r: ManualOrderRequest,
): Pick<OrderSpec, "price" | "triggerPrice" | "trailingOffset" | "trailingOffsetType" | "activationPrice" | "timeInForce" | "expireAt"> {
  return {
    ...(r.price !== undefined && { price: r.price }),
    ...(r.triggerPrice !== undefined && { triggerPrice: r.triggerPrice }),
    ...(r.trailingOffset !== undefined && { trailingOffset: r.trailingOffset, trailingOffsetType: r.trailingOffsetType ?? "PRICE" }),
    ...(r.activationPrice !== undefined && { activationPrice: r.activationPrice }),
    timeInForce: r.timeInForce ?? "GTC",
    ...(r.expireAt !== undefined && { expireAt: r.expireAt }),
  };
}

/** How a manual order joins an order list (order-lists.ts). */
export interface ManualOrderLink {
  clientOrderId: string;
  listId: string;
  contingency: ContingencyType;
  linkedClientOrderIds: string[];
  tags: Record<string, string>;
  exceptClientOrderId?: string;
  /** Hold a trigger order in the engine (an OCO leg: the venue holds the coins for one sell only). */
  emulate?: boolean;
  /** A leg of a native list: journaled, then handed here instead of the venue (risk-gate placeOrder's `collect`). */
  collect?: (venueSpec: OrderSpec) => void;
}
import { sizeTowardTargetWeight } from "./target-weight";

/** No other owner holds the symbol (shared: most entries). */
const NO_CONFLICT = Object.freeze({ refusal: null, note: null });
/** No positions, so no venues of positions (shared: routeEntry only reads it). */
const NO_VENUES: readonly string[] = Object.freeze([]);

/** A signal's time for a message (the raw number when Date cannot print it). */
const when = (ts: number) => (Number.isFinite(ts) && Math.abs(ts) <= 8.64e15 ? new Date(ts).toISOString() : String(ts));
const minutes = (ms: number) => `${Math.round(ms / 6_000) / 10} minute${ms === 60_000 ? "" : "s"}`;

/** The signal onSignal is processing; `journaledOrderId`: the order whose transaction last wrote its provisional row. */
export interface SignalInFlight {
  signal: Signal;
  source: string;
  receivedAt: number;
  journaledOrderId: string | null;
}

/** DecimalDown at fewer digits, by precision (built on first use). */
const decimalDownAt: (typeof Decimal)[] = [];

/**
 * budget ÷ unitCost truncated (never rounded up) to 40 digits, or — when the quantity step is 10^-k and the budget
 * positive — to only the digits that reach the step: the quotient is below 10^(eb − ec + 1), so eb − ec + k + 2
 * digits hold every digit down to 10^-k (one to spare), and truncating there floors to the step exactly as truncating
 * at 40 does (roundQty then floors both to the same quantity). A 40-digit division costs three times more. Either is
 * truncatedQuotient's long division when the unit cost has at most ~15 digits (every price, fee and slippage here).
 */
export function affordableQuantity(budget: Decimal, unitCost: Decimal, step: Decimal): Decimal {
  const positive = isPositive(budget) && isPositive(unitCost);
  const stepExponent = positive ? powerOfTenExponent(step) : null;
  const precision = stepExponent === null || stepExponent > 0 ? 40 : Math.min(40, Math.max(1, budget.e - unitCost.e - stepExponent + 2));
  const quick = truncatedQuotient(budget, unitCost, precision); // null for what it cannot divide exactly
  if (quick !== null) return quick;
  if (precision >= 40) return new Decimal(new DecimalDown(budget).dividedBy(unitCost));
  const Down = (decimalDownAt[precision] ??= DecimalDown.clone({ precision }));
  return new Decimal(new Down(budget).dividedBy(unitCost));
}

export class Intake {
  constructor(private readonly cx: EngineContext) {}

  // ---------------------------------------------------------------------------------------------
  // Signals: validate → dedupe → per-symbol settings → risk gate → sizing → order → monitoring.

  onSignal(signal: Signal, source: string): CommandResult {
    const now = this.cx.clock.now();
    const existing = this.cx.store.getSignal(signal.id);
    if (existing) return fail("DUPLICATE_SIGNAL", `Signal ${signal.id} was already received (${existing.status.toLowerCase()}); it is not processed twice.`);
    // While it is processed, an order it sends records the signal in the intent's transaction (placeOrder):
    // a signal retried after a crash between the venue call and the row below is then still a duplicate.
    const inFlight: SignalInFlight = { signal, source, receivedAt: now, journaledOrderId: null };
    this.signalInFlight = inFlight;
    // Before sizing, so a target_weight entry sizes toward targets that include its own forecast.
    this.cx.gate.noteSignal(signal, now);
    let result: CommandResult;
    try {
      result = this.processSignal(signal, now);
    } finally {
      this.signalInFlight = null;
    }
    const status = result.ok ? "ACCEPTED" : result.error.code === "INTERNAL_ERROR" ? "FAILED" : "DENIED";
    // The row the last journaled order wrote already reads this when the answer is that order's acceptance: not rewritten.
    const written = result.ok && inFlight.journaledOrderId !== null && result.data?.clientOrderId === inFlight.journaledOrderId;
    if (!written) this.cx.durably(() => this.cx.store.saveSignal(this.signalRecord(signal, source, now, result)), result);
    this.cx.bus.publish({
      type: "signal",
      id: signal.id,
      symbol: signal.symbol,
      status,
      code: result.ok ? null : result.error.code,
      message: resultMessage(result),
    });
    return result;
  }

  signalInFlight: SignalInFlight | null = null;

  /**
   * Inside an order's journal transaction (placeOrder): the signal being processed is recorded as received, accepted
   * with this order. Once that transaction has committed, placeOrder notes the order in `journaledOrderId`: onSignal
   * does not rewrite a final row that reads the same.
   */
  saveSignalInFlight(inFlight: SignalInFlight, clientOrderId: string): void {
    this.cx.store.saveSignal(this.signalRow(inFlight.signal, inFlight.source, inFlight.receivedAt, "ACCEPTED", null, null, clientOrderId));
  }

  /**
   * A signal's own facts checked at intake: its time within the window around the engine's clock (a signal from
   * 1970 or beyond the date range is not about this market), and its exits on the side of the market where they
   * protect (a BUY's stop-loss below the mark and take-profit above; a SELL's the other way).
   */
  private checkSignalIntake(signal: Signal, now: number): CommandResult | null {
    const window = this.cx.options.signalWindow ?? DEFAULT_SIGNAL_WINDOW;
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
    const mark = this.cx.books.marks.get(signal.symbol);
    if (!mark) return null; // refused later with NO_MARKET_PRICE
    const long = signal.action === "BUY";
    const market = mark.last;
    if (signal.stopLoss != null && stopLossWrongSide(long ? "LONG" : "SHORT", signal.stopLoss, market)) {
      return fail(
        "STOP_LOSS_WRONG_SIDE",
        `The ${signal.action} signal's stopLoss ${signal.stopLoss} is ${long ? "at or above" : "at or below"} the market (${market}): it would fire at once. A ${long ? "long's stop is below" : "short's stop is above"} the market.`,
        {
          stopLoss: signal.stopLoss,
          market,
        },
      );
    }
    if (signal.takeProfit != null && takeProfitWrongSide(long ? "LONG" : "SHORT", signal.takeProfit, market)) {
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

  signalRecord(signal: Signal, source: string, receivedAt: number, result: CommandResult): SignalRecord {
    return result.ok
      ? this.signalRow(signal, source, receivedAt, "ACCEPTED", null, null, (result.data?.clientOrderId as string | undefined) ?? null)
      : this.signalRow(signal, source, receivedAt, result.error.code === "INTERNAL_ERROR" ? "FAILED" : "DENIED", result.error.code, result.error.message, null);
  }

  /** A signal's row as its outcome reads (the in-flight row is written for every order: no result object built for it). */
  private signalRow(
    signal: Signal,
    source: string,
    receivedAt: number,
    status: SignalRecord["status"],
    denyCode: string | null,
    denyReason: string | null,
    clientOrderId: string | null,
  ): SignalRecord {
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
      status,
      denyCode,
      denyReason,
      clientOrderId,
    };
  }

  private processSignal(signal: Signal, now: number): CommandResult {
    const instrument = this.cx.books.instruments.get(signal.symbol);
    if (!instrument) return fail("UNKNOWN_SYMBOL", `${signal.symbol} is not traded on ${this.cx.venue.id}.`);
    const unknownVenue = signal.venue === undefined ? null : this.cx.venueRoom.namedVenueRefusal(signal.venue);
    if (unknownVenue) return unknownVenue;
    const intake = this.checkSignalIntake(signal, now);
    if (intake) return intake;
    const settings = this.cx.gate.settingsFor(signal.symbol);
    if (!settings.enabled) return fail("SYMBOL_DISABLED", `Trading ${signal.symbol} is disabled in its settings.`);
    if (signal.confidence < settings.minConfidence) {
      return fail("MIN_CONFIDENCE", `Signal confidence ${signal.confidence} is below ${signal.symbol}'s minimum ${settings.minConfidence}.`);
    }
    // Positions belong to (symbol, strategy): a signal acts on its own strategy's positions only.
    const open = this.cx.books.openPositionsFor(signal.symbol, signal.strategy);
    if (signal.action === "CLOSE") {
      if (open.length === 0) return fail("NO_POSITION", `There is no open ${signal.symbol} position of strategy ${signal.strategy} to close.`);
      // Closes the strategy's positions and cancels its pending entries (each entry belongs to one of those positions).
      return this.cx.watchers.closePositions(open, "signal");
    }
    const wantSide: PositionSide = signal.action === "BUY" ? "LONG" : "SHORT";
    // (No list built from an empty one: most entries come with no position of their strategy open.)
    const opposite = open.length === 0 ? open : open.filter((r) => r.position.side !== wantSide);
    if (opposite.length > 0) return this.cx.watchers.closePositions(opposite, "signal");
    const conflict = this.conflictWithOthers(signal, wantSide);
    if (conflict.refusal) return conflict.refusal;
    if (wantSide === "SHORT" && instrument.kind === "spot") {
      return fail("SHORT_NOT_SUPPORTED", `${signal.symbol} is a spot market: a SELL signal closes a long position, and there is none open.`);
    }
    const mark = this.cx.books.marks.get(signal.symbol);
    if (!mark) return fail("NO_MARKET_PRICE", `No market price for ${signal.symbol} yet; the signal cannot be sized.`);
    const side: OrderSide = wantSide === "LONG" ? "BUY" : "SELL";
    // The venue: named, the one its position on this side lives on, or the best net price (recorded with the order).
    // None is opposite (returned above): every open position of the strategy is on this side.
    const sameSide = open;
    const route = this.cx.venueRoom.routeEntry(
      signal.symbol,
      side,
      signal.venue,
      sameSide.length === 0 ? NO_VENUES : sameSide.map((r) => this.cx.venueRoom.venueOfPosition(r)),
    );
    if (!route.ok) return route.result;
    const touch = side === "BUY" ? (mark.ask ?? mark.last) : (mark.bid ?? mark.last);
    const refPrice = this.cx.venueRoom.touch(route.venue, signal.symbol, side) ?? (touch === mark.last ? markDecimal(mark) : new Decimal(touch));
    const sized = this.size(signal, settings, route.instrument, refPrice, side, route.venue);
    if (!sized.ok) return sized.result;
    const existing = sameSide.find((r) => this.cx.venueRoom.venueOfPosition(r) === route.venue);
    // The entry's notional is read only by the symbol's execution defaults (default algo, split above): once, and only then.
    const notional = settings.execution ? sized.quantity.times(refPrice) : ZERO;
    const algo = this.cx.algos.algoFor(signal.algo, settings, notional);
    if (algo) {
      // The entry is worked by an algorithm: its children pass the gate one by one (engine/algos.ts).
      return this.cx.algos.start(
        { symbol: signal.symbol, side, quantity: sized.quantity, algo },
        {
          owner: signal.strategy,
          signalId: signal.id,
          startedBy: signal.strategy,
          // The arrival price is the routed venue's mark (its own quote, else the desk-level mark).
          arrivalPrice: markDecimal(this.cx.books.markAt(route.venue, signal.symbol) ?? mark),
          limitAtArrival: true,
          venue: route.venue,
        },
      );
    }
    const routeMode = signal.venue === undefined ? (signal.route ?? this.defaultRoute(settings, notional)) : undefined;
    if (routeMode && this.cx.routes.applies()) {
      // Split over the venues' books, or whole to the best one by its book (order-routes.ts); each child passes the gate.
      const routed = this.cx.routes.route(
        {
          symbol: signal.symbol,
          side,
          type: "MARKET",
          price: null,
          timeInForce: "GTC",
          postOnly: false,
          owner: signal.strategy,
          signalId: signal.id,
          confidence: signal.confidence,
          stopLoss: signal.stopLoss ?? null,
          takeProfit: signal.takeProfit ?? null,
          manualBy: null,
        },
        sized.quantity,
        routeMode,
      );
      // A split by the symbol's default, on a desk whose venues show no book, goes to the best quoted price instead.
      if (routed.ok || signal.route !== undefined || routed.error.code !== "NO_VISIBLE_BOOK") return routed;
    }
    const placed = this.cx.gate.placeEntry({
      venue: route.venue,
      route: route.choice?.summary, // absent and undefined read alike
      instrument: route.instrument,
      side,
      quantity: sized.quantity,
      refPrice,
      signal,
      positionRecord: existing ?? null,
      now,
      settings,
      equity: sized.equity,
    });
    // The acceptance says which rule let it share the symbol with another owner's position.
    if (!placed.ok || !conflict.note) return placed;
    return { ...placed, message: `${placed.message} ${conflict.note.sentence}`, data: { ...placed.data, conflictRule: conflict.note.rule } };
  }

  /**
   * The rule for an entry on a symbol where another owner (another strategy, or `manual`) holds a position
   * (riskLimits.strategyConflict, default `net`):
   * - `allow`: positions are independent, whatever their sides. Known limit: on a derivatives venue the venue holds the
   *   net of a long and a short, and a close is a reduce-only order checked against that net, so with opposite sides
   *   held the close of one is refused (INVALID_REDUCE_ONLY) until exits are sent against the net; `net` avoids this;
   * - `net`: an entry on the same side as the others' positions is allowed; an opposite-side entry is refused, since
   *   the venue would net it against their position (on a one-way venue, one net position per symbol) and the books
   *   would hold a long and a short the venue sees as one smaller position;
   * - `refuse`: no entry while another owner holds any position on the symbol.
   */
  private conflictWithOthers(
    signal: Signal,
    wantSide: PositionSide,
  ): { refusal: CommandResult | null; note: { rule: StrategyConflictRule; sentence: string } | null } {
    const all = this.cx.books.openPositionsFor(signal.symbol);
    if (all.length === 0) return NO_CONFLICT;
    const others = all.filter((r) => ownerOf(r.meta) !== signal.strategy);
    if (others.length === 0) return NO_CONFLICT;
    const rule = this.cx.riskLimits.strategyConflict ?? DEFAULT_STRATEGY_CONFLICT;
    const holders = [...new Set(others.map((r) => `${ownerOf(r.meta)} (${r.position.side.toLowerCase()})`))].join(", ");
    const against = others.filter((r) => r.position.side !== wantSide);
    const refused = rule === "refuse" || (rule === "net" && against.length > 0);
    if (refused) {
      const why =
        rule === "refuse" ? "no strategy enters a symbol another one holds" : `an opposite entry would net against their position at ${this.cx.venue.id}`;
      return {
        refusal: fail(
          "STRATEGY_CONFLICT",
          `Strategy ${signal.strategy}'s ${signal.action} on ${signal.symbol} refused by the conflict rule '${rule}': ${holders} hold${others.length === 1 ? "s" : ""} a position there and ${why}.`,
          { rule, holders: others.map((r) => ownerOf(r.meta)) },
        ),
        note: null,
      };
    }
    return { refusal: null, note: { rule, sentence: `Conflict rule '${rule}': taken beside ${holders}, each position kept apart.` } };
  }

  /** The symbol's default route for an entry of this notional (execution.splitAboveNotional), or undefined. */
  private defaultRoute(settings: SymbolSettings, notional: Decimal): "split" | undefined {
    const above = settings.execution?.splitAboveNotional;
    return above !== null && above !== undefined && notional.greaterThan(above) ? "split" : undefined;
  }

  private size(
    signal: Signal,
    settings: SymbolSettings,
    instrument: Instrument,
    price: Decimal,
    side: OrderSide,
    venue: string = this.cx.venue.id,
  ): { ok: true; quantity: Decimal; equity: Decimal } | { ok: false; result: CommandResult } {
    const deskEquity = this.cx.accounting.equity().equity;
    // Sized in the symbol's quote currency: on a desk trading several, the desk's equity converted at its rate.
    const mixed = this.cx.accounting.hasMixedQuotes();
    const rate = mixed ? this.cx.accounting.symbolRate(instrument.symbol) : null;
    if (mixed && !rate)
      return {
        ok: false,
        result: fail(
          "NO_CONVERSION_RATE",
          `${instrument.symbol} is quoted in ${instrument.quote}, which has no mark or fixed rate into ${this.cx.quote}: the signal cannot be sized.`,
        ),
      };
    const equity = rate ? deskEquity.dividedBy(rate) : deskEquity;
    const sizing = settings.sizing;
    if (sizing.method === "all_in") {
      // The whole equity, fee and expected slippage included; rounded down so the cost never exceeds it.
      const fillPrice = executionPrice(side, price, this.cx.expectedSlippageBps);
      // Never more than the venue says is free: its books, not ours, decide what an order may spend.
      const free = this.cx.venues ? this.cx.venueRoom.freeBalance(venue, instrument.quote) : this.cx.venue.freeBalance(instrument.quote);
      // A portfolio backtest narrows the budget (settings.ts, AllInSizing): one equity is shared between symbols.
      let wanted = equity;
      if (sizing.equityFraction !== undefined) wanted = equity.times(sizing.equityFraction);
      else if (sizing.notional !== undefined) wanted = D(sizing.notional);
      const budget = free !== null && cmp(free, wanted) < 0 ? free : wanted;
      // Back to the standard class at once: later arithmetic on qty must round like everything else.
      // (No fee: the fill price is the unit cost, not a product by one.)
      const fee = instrument.takerFee;
      const qty = affordableQuantity(budget, fee.isZero() ? fillPrice : fillPrice.times(onePlus(fee)), instrument.qtyStep);
      const stepped = roundQty(instrument, qty, "down");
      return isPositive(stepped)
        ? { ok: true, quantity: stepped, equity: deskEquity }
        : { ok: false, result: fail("ZERO_SIZE", `Equity ${equity.toString()} buys no ${instrument.base} at ${price.toString()}.`) };
    }
    // The instrument's steps and bounds, for every method below (all_in rounds on its own).
    const constraints = { qtyStep: instrument.qtyStep, minQty: instrument.minQty, ...(instrument.maxQty ? { maxQty: instrument.maxQty } : {}) };
    let outcome;
    switch (sizing.method) {
      case "fixed_fraction":
        outcome = sizeFixedFraction({ equity, fraction: sizing.fraction, price }, constraints);
        break;
      case "confidence":
        outcome = sizeByConfidence({ baseQty: equity.times(sizing.fraction).dividedBy(price), confidence: signal.confidence, price }, constraints);
        break;
      case "target_weight": {
        const sized = sizeTowardTargetWeight(this.cx, { symbol: instrument.symbol, side, price, equity, sizing }, constraints);
        if (!sized.ok) return sized;
        outcome = sized.outcome;
        break;
      }
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
      case "kelly":
        outcome = sizeKellyFor(this.cx.strategyRecords, signal, sizing, { equity, price }, constraints).outcome;
        break;
      case "atr": {
        const sized = sizeAtrFor(this.cx, signal.symbol, sizing, { equity, price }, constraints);
        if ("result" in sized) return sized;
        outcome = sized;
        break;
      }
    }
    if (!outcome.ok) return { ok: false, result: fail(outcome.error.code, outcome.error.message) };
    if (outcome.value.zeroReason) return { ok: false, result: fail(outcome.value.zeroReason.code, outcome.value.zeroReason.message) };
    if (!settings.expectedReturnScaling) return { ok: true, quantity: outcome.value.quantity, equity: deskEquity };
    const scaled = scaleByExpectedReturn(outcome.value.quantity, signal, settings.expectedReturnScaling, price, constraints);
    return scaled.ok ? { ok: true, quantity: scaled.quantity, equity: deskEquity } : scaled;
  }

  // ---------------------------------------------------------------------------------------------
  // Manual actions

  /**
   * `link`: an order-list leg (order-lists.ts): its preassigned clientOrderId, its list fields and tags, and the working
   * exit the gate leaves out (its OCO sibling).
   */
  onManualOrder(request: ManualOrderRequest, actor: Actor, link?: ManualOrderLink): CommandResult {
    if (request.algo) {
      return this.cx.algos.startManual(
        {
          symbol: request.symbol,
          side: request.side,
          quantity: request.quantity,
          algo: request.algo,
          ...(request.venue !== undefined && { venue: request.venue }),
          ...(request.price !== undefined && { limitPrice: request.price }),
          ...(request.endBehaviour && { endBehaviour: request.endBehaviour }),
        },
        actor,
      );
    }
    const instrument = this.cx.books.instruments.get(request.symbol);
    if (!instrument) return fail("UNKNOWN_SYMBOL", `${request.symbol} is not traded on ${this.cx.venue.id}.`);
    const unknownVenue = request.venue === undefined ? null : this.cx.venueRoom.namedVenueRefusal(request.venue);
    if (unknownVenue) return unknownVenue;
    // The named venue's own price (else the desk's mark): what a market order there is weighed at.
    const mark = this.cx.books.markAt(request.venue, request.symbol);
    const refPrice = request.price ? D(request.price) : mark ? markDecimal(mark) : null;
    if (!refPrice) return fail("NO_MARKET_PRICE", `No market price for ${request.symbol} yet.`);
    const wantSide: PositionSide = request.side === "BUY" ? "LONG" : "SHORT";
    // A person's orders belong to `manual`: they add to and reduce the manual position. An order that can only reduce
    // (reduce-only, or a sell on spot) reduces, when people hold nothing to reduce, the symbol's oldest filled position
    // on the other side, whoever owns it: the operator's resting take-profit on a strategy's position.
    const open = this.cx.books.openPositionsFor(request.symbol, MANUAL_OWNER);
    const holds = (r: PositionRecord) => r.position.side !== wantSide && isPositive(r.position.quantity);
    const onlyReduces = request.reduceOnly === true || (wantSide === "SHORT" && instrument.kind === "spot");
    const reducing = open.find(holds) ?? (onlyReduces ? this.cx.books.openPositionsFor(request.symbol).find(holds) : undefined);
    if (request.reduceOnly && !reducing)
      return fail("INVALID_REDUCE_ONLY", `There is no ${request.symbol} position this reduce-only ${request.side} would reduce.`);
    if (!request.reduceOnly && wantSide === "SHORT" && instrument.kind === "spot" && !reducing) {
      return fail("SHORT_NOT_SUPPORTED", `${request.symbol} is spot: selling needs a long position to sell from.`);
    }
    if (reducing && this.cx.books.openPositionsFor(request.symbol).length > 1) {
      // Several positions on the symbol: what this order may reduce is its target position less that position's
      // working exits (the gate's own check sums the whole symbol, which is the same thing when there is one). A
      // larger order would close the position and open the rest the other way.
      let working = ZERO;
      for (const w of this.cx.books.workingExitsFor(reducing.position.id)) if (w.order.side === request.side) working = working.plus(leavesQty(w.order));
      const room = maxDec(ZERO, reducing.position.quantity.minus(working));
      if (cmp(D(request.quantity), room) > 0) {
        return fail(
          "REDUCE_ONLY_OVERCOMMITTED",
          `${request.side} ${D(request.quantity).toString()} ${request.symbol} would reduce position ${reducing.position.id} (${ownerOf(reducing.meta)}, ${reducing.position.quantity.toString()}${working.isZero() ? "" : `, ${working.toString()} already on its way out`}): at most ${room.toString()} more can be.`,
          { positionId: reducing.position.id, room: room.toString() },
        );
      }
    }
    // A reduce goes to the venue its position lives on; an entry to the venue named, its position's, or the best net price.
    const reducingVenue = reducing ? this.cx.venueRoom.venueOfPosition(reducing) : undefined;
    if (reducing && request.venue !== undefined && request.venue !== reducingVenue)
      return fail(
        "WRONG_VENUE",
        `${request.symbol} position ${reducing.position.id} is held at ${reducingVenue}: a reducing order goes there, not to ${request.venue}.`,
      );
    const sameSide = open.filter((r) => r.position.side === wantSide);
    const routable = (request.type === "MARKET" || request.type === "LIMIT") && request.timeInForce !== "GTD";
    const routeMode =
      request.route ??
      (routable && !request.algo ? this.defaultRoute(this.cx.gate.settingsFor(request.symbol), D(request.quantity).times(refPrice)) : undefined);
    if (routeMode && !reducing && request.venue === undefined && this.cx.routes.applies()) {
      if ((request.type !== "MARKET" && request.type !== "LIMIT") || request.timeInForce === "GTD")
        return fail(
          "ROUTE_NOT_SUPPORTED",
          `Only MARKET and LIMIT orders (GTC, IOC or FOK) are routed over venues; send this ${request.type}${request.timeInForce === "GTD" ? " GTD" : ""} order without a route, or name its venue.`,
        );
      const routed = this.cx.routes.route(
        {
          symbol: request.symbol,
          side: request.side,
          type: request.type,
          price: request.type === "LIMIT" ? (request.price ?? null) : null,
          timeInForce: request.timeInForce ?? "GTC",
          postOnly: request.postOnly ?? false,
          owner: MANUAL_OWNER,
          signalId: null,
          confidence: null,
          stopLoss: null,
          takeProfit: null,
          manualBy: actor.username,
        },
        D(request.quantity),
        routeMode,
      );
      if (routed.ok || request.route !== undefined || routed.error.code !== "NO_VISIBLE_BOOK") return routed;
    }
    const route = reducing
      ? null
      : this.cx.venueRoom.routeEntry(
          request.symbol,
          request.side,
          request.venue,
          sameSide.map((r) => this.cx.venueRoom.venueOfPosition(r)),
        );
    if (route && !route.ok) return route.result;
    const venue = reducingVenue ?? (route?.ok ? route.venue : this.cx.venue.id);
    const target = reducing ?? sameSide.find((r) => this.cx.venueRoom.venueOfPosition(r) === venue) ?? null;
    const positionId = target?.position.id ?? this.cx.ids.next("pos");
    const isReduce = Boolean(reducing);
    const spec: OrderSpec = {
      clientOrderId: link?.clientOrderId ?? this.cx.ids.next("bst"),
      symbol: request.symbol,
      side: request.side,
      type: request.type,
      quantity: request.quantity,
      ...requestTerms(request),
      postOnly: request.postOnly ?? false,
      reduceOnly: isReduce || (request.reduceOnly ?? false),
      tags: {
        positionId,
        reason: isReduce ? "manual" : "entry",
        strategy: MANUAL_OWNER,
        manualBy: actor.username,
        ...(route?.ok && route.choice && { route: route.choice.summary }),
        ...link?.tags,
      },
      venue,
      ...(link && { listId: link.listId, contingency: link.contingency, linkedClientOrderIds: link.linkedClientOrderIds }),
    };
    return this.cx.gate.placeOrder(spec, {
      refPrice,
      ...(link?.exceptClientOrderId && { exceptClientOrderId: link.exceptClientOrderId }),
      ...(link?.emulate && { emulate: true }),
      ...(link?.collect && { collect: link.collect }),
      newPosition: target ? null : { id: positionId, side: wantSide, meta: { strategy: MANUAL_OWNER, signalId: null, entryOrderId: spec.clientOrderId } },
    });
  }
}

/**
 * The risk gate: every new order (signal entries, manual orders, exits, released triggers, flatten orders) is
 * checked here against the trading state, the limits and the portfolio, journaled (intent + submit, with the
 * signal's row and the audit row) and only then sent to the venue. Also the symbol-settings and risk-limit
 * commands, which change what the gate checks.
 */
import type { Instrument } from "../core/instrument";
import { add, cmp, type Decimal, decimalText, maxDec, ONE, sub, ZERO } from "../core/money";
import {
  applyOrderEvent,
  createOrder,
  isTerminal,
  leavesQty,
  TRIGGER_TYPES,
  validateOrderSpec,
  type Order,
  type OrderSide,
  type OrderSpec,
} from "../core/orders";
import { openPosition, type Position, type PositionSide } from "../core/positions";
import { checkPreTrade, type RiskPosition } from "../core/risk";
import type { VenueEvent } from "../core/orders/events";
import type { OrderMeta } from "../db/store";
import { riskLimitsSchema, symbolSettingsSchema, toRiskLimits, type SymbolSettings } from "./settings";
import type { Actor, CommandResult, EquityPoint, Signal, PositionRecord } from "./types";
import { fail, done, type EngineContext } from "./context";
import { reservedFromScratch } from "./open-orders";
import { MANUAL_OWNER, ownerOf } from "./books";
import { PortfolioGate } from "./portfolio-gate";
import type { AllocationMethod } from "../core/risk/portfolio-report";
import type { Result } from "../core/errors";

/** Open positions at their marks and what open entries reserve, as the gate counts them. */
export interface RiskPortfolio {
  /** Positions with a quantity, priced at the mark (the average entry price without one). */
  positions: RiskPosition[];
  /** Σ leaves × price (the mark for orders without a price) of open orders that add exposure, per symbol. */
  reservedBySymbol: Map<string, Decimal>;
  reservedTotal: Decimal;
  /** Cost of the open positions plus the reserved notional: the quote that is not free. */
  committed: Decimal;
}

/**
 * The gate's portfolio arithmetic, shared with the Risk page (services/risk.ts) so both count alike. `reserved`: the
 * order book's running sums (the engine: O(symbols)), or the open orders to sum from scratch (the definition the
 * running sums are tested against; the Risk page reads it that way). `positionMark`: a position's own mark (its
 * venue's, on a desk with several venues), else `markOf` its symbol. `rateOf`: on a desk whose symbols are quoted in
 * several currencies, units of the desk's quote per unit of a symbol's quote — prices, costs and reserves are counted in
 * the desk's quote (a symbol without a rate is left out here; equity lists it as unconverted and the gate refuses its entries).
 */
export function riskPortfolioOf<P extends { position: Position }>(
  positions: Iterable<P>,
  markOf: (symbol: string) => Decimal | null,
  reserved: { bySymbol: Map<string, Decimal>; total: Decimal } | { openOrders: Iterable<Order> },
  positionMark?: (entry: P) => Decimal | null,
  rateOf?: (symbol: string) => Decimal | null,
): RiskPortfolio {
  const open: RiskPosition[] = [];
  let committed = ZERO;
  for (const entry of positions) {
    const position = entry.position;
    if (position.quantity.isZero()) continue;
    const markPrice = (positionMark ? positionMark(entry) : markOf(position.symbol)) ?? position.avgEntryPrice ?? ZERO;
    const rate = rateOf ? rateOf(position.symbol) : null;
    if (rateOf && !rate) continue;
    open.push({ symbol: position.symbol, side: position.side, qty: position.quantity, markPrice: rate ? markPrice.times(rate) : markPrice });
    committed = add(committed, rate ? position.costBasis.times(rate) : position.costBasis);
  }
  let reservedBySymbol: Map<string, Decimal>;
  let reservedTotal: Decimal;
  if ("openOrders" in reserved) {
    reservedBySymbol = reservedFromScratch(reserved.openOrders, markOf);
    reservedTotal = ZERO;
    for (const amount of reservedBySymbol.values()) reservedTotal = reservedTotal.plus(amount);
  } else {
    reservedBySymbol = reserved.bySymbol;
    reservedTotal = reserved.total;
  }
  if (rateOf) {
    const converted = new Map<string, Decimal>();
    reservedTotal = ZERO;
    for (const [symbol, amount] of reservedBySymbol) {
      const rate = rateOf(symbol);
      if (!rate) continue;
      converted.set(symbol, amount.times(rate));
      reservedTotal = reservedTotal.plus(amount.times(rate));
    }
    reservedBySymbol = converted;
  }
  return { positions: open, reservedBySymbol, reservedTotal, committed: add(committed, reservedTotal) };
}

/** A GTD spec without its expiry, as a GTC (the engine expires it: expiries.ts). */
function withoutExpiry(spec: OrderSpec): OrderSpec {
  const { expireAt: _expireAt, ...rest } = spec;
  return { ...rest, timeInForce: "GTC" };
}

type WorkingExits = Map<string, Partial<Record<OrderSide, Decimal>>>;

/**
 * The portfolio for the risk gate; equity, the free quote and the working exits are computed on first read (the gate
 * reads the exits for reduce-only orders only; an entry never asks). Read within the check that built it.
 */
export class RiskPortfolioView {
  private equityValue: Decimal | null;
  private availableValue: Decimal | null = null;
  private exitsValue: WorkingExits | null = null;

  constructor(
    private readonly engine: { equity(): EquityPoint; realizedEquity(): Decimal },
    readonly positions: RiskPosition[],
    readonly reservedNotionalBySymbol: Map<string, Decimal>,
    private readonly committed: Decimal,
    knownEquity: Decimal | null,
    /** Where the working exits are summed from (no closure per order); `exceptClientOrderId` is left out. */
    private readonly exits: { workingReduceOnly(exceptClientOrderId?: string): WorkingExits } | null = null,
    private readonly exceptClientOrderId?: string,
  ) {
    this.equityValue = knownEquity;
  }

  get workingReduceOnlyBySymbol(): WorkingExits {
    return (this.exitsValue ??= this.exits ? this.exits.workingReduceOnly(this.exceptClientOrderId) : new Map());
  }

  get equity(): Decimal {
    return (this.equityValue ??= this.engine.equity().equity);
  }

  /** Cash (initial + realized net) less the cost of open positions and the notional reserved by open entries. */
  get availableQuote(): Decimal {
    return (this.availableValue ??= maxDec(ZERO, sub(this.engine.realizedEquity(), this.committed)));
  }
}

export class RiskGate {
  constructor(private readonly cx: EngineContext) {
    this.portfolioLimits = new PortfolioGate(cx);
  }

  /** Correlated-exposure and VaR limits (portfolio-gate.ts). */
  private readonly portfolioLimits: PortfolioGate;

  recentOrderTimes: number[] = [];

  private recentOrderTrimAt = 1000;

  placeEntry(input: {
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
    /** The venue it goes to and, when routed, the decision (recorded in its tags and intent). */
    venue?: string;
    route?: string;
  }): CommandResult {
    const { instrument, side, signal, now } = input;
    const clientOrderId = this.cx.ids.next("bst");
    const positionId = input.positionRecord?.position.id ?? this.cx.ids.next("pos");
    // Key by key in this order (the journal keeps the tags as written), each key in the literal: keys added after it
    // would go to a second (property) array, which every copy of the tags (createOrder's) then allocates too.
    const route = input.route;
    const tags: Record<string, string> = signal
      ? route === undefined
        ? { positionId, reason: "entry", signalId: signal.id, strategy: signal.strategy }
        : { positionId, reason: "entry", signalId: signal.id, strategy: signal.strategy, route }
      : route === undefined
        ? { positionId, reason: "entry" }
        : { positionId, reason: "entry", route };
    const spec: OrderSpec = {
      clientOrderId,
      symbol: instrument.symbol,
      side,
      type: "MARKET",
      quantity: input.quantity,
      timeInForce: "GTC",
      tags,
      venue: input.venue ?? this.cx.venue.id,
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
      equity: input.equity, // absent and undefined read alike
      confidence: signal?.confidence,
      newPosition: input.positionRecord ? null : { id: positionId, side: side === "BUY" ? "LONG" : "SHORT", meta },
    });
  }

  /**
   * Every new order passes here: validation, the risk gate, the journal, then the venue.
   * `newPosition`: an entry that opens a position (created OPENING in the same transaction as the intent).
   */
  placeOrder(
    spec: OrderSpec,
    ctx: {
      refPrice: Decimal;
      equity?: Decimal;
      confidence?: number;
      /** `exit`: the position's exit rules from the start (an arbitrage leg's: none); absent, the first fill sets the symbol's. */
      newPosition?: { id: string; side: PositionSide; meta: PositionRecord["meta"]; exit?: PositionRecord["exit"] } | null;
      /** A working exit not counted against this one: its OCO sibling (alternatives, only one of them executes). */
      exceptClientOrderId?: string;
      /** Hold a trigger order in the engine even where the venue could hold it (an order-list leg: see order-lists.ts). */
      emulate?: boolean;
      /**
       * A leg of a native order list (order-lists.ts): journaled here like any order, then handed to `collect` instead of
       * the venue; the list sends its legs in one request once every leg is journaled.
       */
      collect?: (venueSpec: OrderSpec) => void;
    },
  ): CommandResult {
    const stopped = this.cx.engine.refusalWhenStopped();
    if (stopped) return stopped;
    const now = this.cx.clock.now();
    // A desk with several venues checks the order against the rules of the venue it goes to (steps, ticks, fees differ).
    const instrument = (spec.venue !== undefined && this.cx.venues?.listing(spec.venue, spec.symbol)) || this.cx.books.instruments.get(spec.symbol);
    if (!instrument) return fail("UNKNOWN_SYMBOL", `${spec.symbol} is not traded on ${this.cx.venue.id}.`);
    const venueRefusal = this.cx.venueRoom.refusal(spec);
    if (venueRefusal) return venueRefusal;
    // The market at the venue the order goes to (its own quote, else the desk-level mark).
    const mark = this.cx.books.markAt(spec.venue, spec.symbol);
    // A Mark is a market snapshot (last, bid?, ask?) as it is.
    const validation = validateOrderSpec(spec, { instrument, market: mark, now });
    if (!validation.ok) return fail(validation.error.code, validation.error.message);
    // Stamped with this command's time (the spec's own ts, when it has one, is the creation time it asked for).
    const stamped = validation.value.ts === now ? validation.value : { ...validation.value, ts: now };
    // A GTD the venue cannot hold is sent as GTC and expired by the engine (expiries.ts); the tag says so in the books.
    const gtdByEngine = stamped.timeInForce === "GTD" && this.cx.venue.holdsNatively?.(stamped) === false;
    const normalized = gtdByEngine ? { ...stamped, tags: { ...stamped.tags, gtd: "engine" } } : stamped;
    const venueSpec: OrderSpec = gtdByEngine ? withoutExpiry(normalized) : normalized;
    const quantity = normalized.quantity;
    // Asked only while a lock is held (the question is built per order otherwise, to be answered "no").
    const locked =
      spec.reduceOnly || !this.cx.protections.mayRefuseEntries
        ? null
        : this.cx.protections.entryRefusal(spec.symbol, spec.tags?.strategy, now, {
            ...(spec.venue !== undefined && { venue: spec.venue }),
            // Routed by the desk (a smart route's child, or the best quoted venue): no venue was asked for.
            routed: spec.tags?.routeId !== undefined || spec.tags?.route !== undefined,
          });
    if (locked) return locked;
    // The order's price in the desk's quote (limits and equity are): 1 on a desk with one quote currency.
    const rate = this.cx.accounting.hasMixedQuotes() ? this.cx.accounting.symbolRate(spec.symbol) : ONE;
    if (!rate && !spec.reduceOnly)
      return fail(
        "NO_CONVERSION_RATE",
        `${spec.symbol} is quoted in ${this.cx.accounting.quoteOf(spec.symbol)}, which has no mark or fixed rate into ${this.cx.quote}: the order cannot be weighed against the desk's limits. Add desk.conversion_rates or trade the conversion pair.`,
      );
    const portfolio = this.riskPortfolio(ctx.equity, ctx.exceptClientOrderId);
    // The limit price (a Decimal once validated), else the reference price; in the desk's quote for the limits.
    const price = normalized.price ?? ctx.refPrice;
    const deskPrice = rate && rate !== ONE ? price.times(rate) : price;
    const reduceOnly = spec.reduceOnly ?? false;
    const gate = checkPreTrade({
      // Absent and undefined read alike there: no spread per order.
      order: {
        symbol: spec.symbol,
        side: spec.side,
        quantity,
        price: deskPrice,
        reduceOnly,
        confidence: ctx.confidence,
        expectedSlippageBps: this.cx.expectedSlippageBps > 0 && !reduceOnly ? this.cx.expectedSlippageBps : undefined,
      },
      tradingState: this.cx.tradingState,
      portfolio,
      recentOrderTimestamps: this.recentOrderTimes,
      now,
      limits: this.coreRiskLimits(),
      feeRate: instrument.takerFee,
      collectAll: false,
    });
    if (!gate.ok) return fail(gate.error.code, gate.error.message, { denials: gate.denials.map((d) => d.code) });
    if (!reduceOnly && spec.tags?.reason === "entry") {
      const denied = this.checkStrategyLimits(spec.tags?.strategy ?? MANUAL_OWNER, quantity, deskPrice, ctx.newPosition != null, ctx.equity);
      if (denied) return denied;
    }
    const statistical = this.portfolioLimits.check({ symbol: spec.symbol, side: spec.side, quantity, price: deskPrice, reduceOnly }, portfolio);
    if (statistical) return statistical;

    let order = createOrder(normalized);
    const meta: OrderMeta = {
      venue: spec.venue ?? this.cx.venue.id,
      positionId: spec.tags?.positionId ?? null,
      requestedPrice: price,
    };
    // A trigger order the venue cannot hold stays with the engine (EMULATED) until its trigger fires.
    const emulate = !ctx.collect && TRIGGER_TYPES.has(order.type) && (ctx.emulate === true || this.cx.venue.holdsNatively?.(venueSpec) === false);
    const submitted = applyOrderEvent(order, { type: emulate ? "emulate" : "submit", ts: now });
    if (!submitted.ok) return fail(submitted.error.code, submitted.error.message);
    // A simulator saving into this database (joinsDeskTransaction) is called inside the intent's transaction, after the
    // intent's rows: its own rows commit with them — one commit, and no moment where the venue holds an order the journal
    // does not (or the reverse). Every other venue is called only once the intent has committed.
    const joined = !emulate && !ctx.collect && this.cx.venue.joinsDeskTransaction === true;
    let sent: { events: VenueEvent[]; failed: boolean } | null = null;
    let accepted: Order | null = null;
    const inFlight = this.cx.intake.signalInFlight;
    // Journal first: the intent and the submit are durable before the venue hears of the order.
    this.cx.transaction(
      () => {
        if (ctx.newPosition) {
          const position = openPosition({ id: ctx.newPosition.id, symbol: spec.symbol, side: ctx.newPosition.side, ts: now });
          const record: PositionRecord = { position, exit: ctx.newPosition.exit ?? null, meta: ctx.newPosition.meta, exitOrderId: null };
          this.cx.books.positions.set(position.id, record);
          this.cx.books.persistPosition(record, position, record.exit);
        }
        this.cx.store.appendJournal({ clientOrderId: order.clientOrderId, type: "intent", source: "engine", payload: normalized, applied: true, ts: now });
        const first = emulate ? "emulate" : "submit";
        this.cx.store.appendJournal({
          clientOrderId: order.clientOrderId,
          type: first,
          source: "engine",
          payload: { type: first, ts: now },
          applied: true,
          ts: now,
        });
        // Provisional (onSignal writes the final row): the signal is known received from the moment its order may reach the venue.
        if (inFlight) this.cx.intake.saveSignalInFlight(inFlight, order.clientOrderId);
        order = submitted.order;
        this.cx.books.orders.set(order.clientOrderId, { order, meta });
        if (emulate) this.cx.books.emulated.add(order.clientOrderId);
        if (joined) {
          sent = this.sendToVenue(venueSpec, order.clientOrderId, now);
          accepted = this.cx.ledger.acceptInTransaction(order, sent.events);
          if (accepted) sent = { events: [], failed: false };
        }
        // The order's row once, as it stands when the transaction commits (accepted, when the venue's answer joined it).
        this.cx.store.saveOrder(accepted ?? order, meta);
      },
      // What the audit row says commits: read only while an audited action waits for its row (built only then).
      this.cx.auditDraft && !this.cx.auditDraft.written
        ? emulate
          ? `order ${order.clientOrderId} journaled, held by the engine until its trigger fires`
          : `order ${order.clientOrderId} journaled before it is sent to ${this.cx.venue.id}`
        : undefined,
    );
    if (inFlight) inFlight.journaledOrderId = order.clientOrderId; // its provisional row committed with the intent
    this.cx.expiries.watch(order);
    this.recentOrderTimes.push(now);
    // The gate counts the last minute itself; old times are dropped when the list has doubled since the last trim
    // (amortized O(1) per order, instead of a copy of the whole minute on every order at a high rate).
    if (this.recentOrderTimes.length > this.recentOrderTrimAt) {
      this.recentOrderTimes = this.recentOrderTimes.filter((t) => t > now - 60_000);
      this.recentOrderTrimAt = Math.max(1000, 2 * this.recentOrderTimes.length);
    }
    this.cx.bus.publish({ type: "order", order });
    if (emulate) {
      this.cx.emergency.afterBreakerCall(this.cx.breaker?.recordOrder() ?? null);
      return done(
        `${spec.side} ${quantity.toString()} ${spec.symbol} ${spec.type} held by the engine: ${this.cx.venue.id} cannot hold it, so it is released when its trigger fires.`,
        {
          clientOrderId: order.clientOrderId,
          status: order.status,
        },
      );
    }

    if (ctx.collect) {
      this.cx.emergency.afterBreakerCall(this.cx.breaker?.recordOrder() ?? null);
      ctx.collect(venueSpec);
      return done(`${spec.side} ${quantity.toString()} ${spec.symbol} ${spec.type} journaled; it goes to ${this.cx.venue.id} with its order list.`, {
        clientOrderId: order.clientOrderId,
        status: order.status,
      });
    }
    if (accepted) this.cx.ledger.settleAccepted(order.clientOrderId, accepted);
    const { events, failed } = sent ?? this.sendToVenue(venueSpec, order.clientOrderId, now);
    if (failed) this.onVenueError();
    this.cx.ledger.ingest(events, "venue");
    this.cx.emergency.afterBreakerCall(this.cx.breaker?.recordOrder() ?? null);
    const final = this.cx.books.orders.get(order.clientOrderId)?.order ?? this.cx.store.getOrder(order.clientOrderId)?.order ?? order;
    if (final.status === "REJECTED") return fail("VENUE_REJECTED", final.reason ?? "The venue rejected the order.", { clientOrderId: final.clientOrderId });
    return done(`${spec.side} ${decimalText(quantity)} ${spec.symbol} ${spec.type} sent (${final.status}).`, {
      clientOrderId: order.clientOrderId,
      status: final.status,
    });
  }

  /** The venue's answer to a new order; a synchronous refusal by the adapter (e.g. a final error before sending) is a reject. */
  private sendToVenue(venueSpec: OrderSpec, clientOrderId: string, now: number): { events: VenueEvent[]; failed: boolean } {
    try {
      return { events: this.cx.venue.submit(venueSpec, now), failed: false };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      return { events: [{ clientOrderId, event: { type: "reject", reason: message, ts: now } }], failed: true };
    }
  }

  /**
   * The per-strategy limits (after the order's, the symbol's and the portfolio's): how many open positions one owner (a
   * strategy, or `manual`) holds over all symbols — positions whose entry has not filled yet count, they are on their
   * way — and its exposure (its positions at their marks, its open entries and this order) as a share of equity.
   */
  private checkStrategyLimits(owner: string, quantity: Decimal, price: Decimal, opensPosition: boolean, knownEquity?: Decimal): CommandResult | null {
    const limits = this.cx.riskLimits;
    const maxPositions = limits.maxOpenPositionsPerStrategy;
    const maxPct = limits.maxStrategyExposurePct;
    if (maxPositions === undefined && maxPct === undefined) return null;
    const books = this.cx.books;
    if (maxPositions !== undefined && opensPosition) {
      let held = 0;
      for (const r of books.positions.values()) if (r.position.state !== "CLOSED" && ownerOf(r.meta) === owner) held++;
      if (held >= maxPositions) {
        return fail(
          "STRATEGY_MAX_POSITIONS",
          `Strategy ${owner} already holds ${held} open position(s), its limit (maxOpenPositionsPerStrategy ${maxPositions}): no new position is opened for it.`,
          { strategy: owner, held, limit: maxPositions },
        );
      }
    }
    if (maxPct !== undefined) {
      let exposure = quantity.times(price); // this order's notional, priced only when a limit reads it
      // In the desk's quote on a desk with several quote currencies (a symbol without a rate is not counted).
      const mixed = this.cx.accounting.hasMixedQuotes();
      const inDeskQuote = (symbol: string, amount: Decimal) => (mixed ? amount.times(this.cx.accounting.symbolRate(symbol) ?? ZERO) : amount);
      for (const r of books.positions.values()) {
        if (r.position.state === "CLOSED" || ownerOf(r.meta) !== owner || r.position.quantity.isZero()) continue;
        const mark = books.positionMarkOf(r) ?? r.position.avgEntryPrice ?? ZERO;
        exposure = exposure.plus(inDeskQuote(r.position.symbol, r.position.quantity.times(mark)));
      }
      for (const r of books.orders.values()) {
        const order = r.order;
        if (order.reduceOnly || isTerminal(order) || (order.tags.strategy ?? MANUAL_OWNER) !== owner) continue;
        const price = order.price ?? books.markOf(order.symbol);
        if (price) exposure = exposure.plus(inDeskQuote(order.symbol, leavesQty(order).times(price)));
      }
      const equity = knownEquity ?? this.cx.accounting.equity().equity;
      const limit = equity.times(maxPct).dividedBy(100);
      if (cmp(exposure, limit) > 0) {
        return fail(
          "STRATEGY_MAX_EXPOSURE",
          `Strategy ${owner}'s exposure would be ${exposure.toFixed(2)} ${this.cx.quote} with this order, above its limit of ${maxPct} % of equity (${limit.toFixed(2)}).`,
          { strategy: owner, exposure: exposure.toString(), limit: limit.toString() },
        );
      }
    }
    return null;
  }

  onVenueError(): void {
    this.cx.emergency.afterBreakerCall(this.cx.breaker?.recordError() ?? null);
  }

  /** A venue request failed (from the ResilientVenue decorator): the breaker counts consecutive errors. */
  noteVenueError(): void {
    void this.cx.engine.run(() => {
      this.onVenueError();
      this.cx.protections.onVenueFailure(this.cx.clock.now(), "a request failed");
    });
  }

  /** A venue request succeeded: the breaker's consecutive-error count starts over. */
  noteVenueSuccess(): void {
    void this.cx.engine.run(() => {
      this.cx.protections.onVenueSuccess(this.cx.clock.now());
      if (this.cx.breaker) this.cx.emergency.afterBreakerCall(this.cx.breaker.recordSuccess());
    });
  }

  /**
   * The portfolio as the risk gate sees it. Equity and the available quote are computed when the gate reads
   * them (percent limits; orders that add exposure): an exit that only shrinks a position needs neither.
   * `knownEquity`: when the caller has just computed it (sizing) in the same command, nothing has moved since.
   * Working reduce-only orders are counted against the positions they reduce (`exceptClientOrderId`: an order the
   * gate checks again, e.g. a released trigger, is not counted against itself).
   */
  riskPortfolio(knownEquity?: Decimal, exceptClientOrderId?: string): RiskPortfolioView {
    const books = this.cx.books;
    // Running sums kept by the order book as orders change (O(symbols), not O(open orders)).
    // A desk whose symbols are quoted in several currencies counts them all in its own (accounting.ts's rates).
    const rateOf = this.cx.accounting.hasMixedQuotes() ? this.cx.accounting.symbolRate : undefined;
    const portfolio = riskPortfolioOf(books.positions.values(), books.markOf, books.orders.reserved(books.markOf), books.positionMarkOf, rateOf);
    return new RiskPortfolioView(
      this.cx.accounting,
      portfolio.positions,
      portfolio.reservedBySymbol,
      portfolio.committed,
      knownEquity ?? null,
      books.orders,
      exceptClientOrderId,
    );
  }

  /** Target weights of an allocation method on the gate's covariance, for `target_weight` sizing (portfolio-gate.ts). */
  targetWeights(method: AllocationMethod): Result<Record<string, number>, string> {
    return this.portfolioLimits.targetWeights(method);
  }

  /** A received signal's expectedReturn, for max Sharpe and Kelly targets (portfolio-gate.ts). */
  noteSignal(signal: { symbol: string; action: string; expectedReturn?: number | null | undefined }, receivedAt: number): void {
    this.portfolioLimits.noteSignal(signal, receivedAt);
  }

  /** The portfolio's 99 % 1-day VaR in % of equity, for the breaker (portfolio-gate.ts); null while unmeasurable. */
  portfolioVarPct(equity: Decimal): number | null {
    return this.portfolioLimits.portfolioVarPct(this.riskPortfolio(equity));
  }

  /** The gate's running sums, for the consistency tests (they must equal a sum over `state().openOrders`). */
  openOrderSums(exceptClientOrderId?: string): {
    reservedBySymbol: Map<string, Decimal>;
    workingReduceOnlyBySymbol: Map<string, Partial<Record<OrderSide, Decimal>>>;
  } {
    return {
      reservedBySymbol: this.cx.books.orders.reserved(this.cx.books.markOf).bySymbol,
      workingReduceOnlyBySymbol: this.cx.books.orders.workingReduceOnly(exceptClientOrderId),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Settings

  updateSymbolSettings(symbol: string, input: unknown, actor: Actor): CommandResult {
    const refuse = (result: CommandResult) => this.cx.audited(actor, "set_symbol_settings", symbol, null, input, () => result);
    if (!this.cx.books.instruments.has(symbol)) return refuse(fail("UNKNOWN_SYMBOL", `${symbol} is not traded on ${this.cx.venue.id}.`));
    const parsed = symbolSettingsSchema.safeParse(input);
    if (!parsed.success) return refuse(fail("VALIDATION", parsed.error.issues.map((i) => `${i.path.join(".") || "settings"}: ${i.message}`).join("; ")));
    return this.cx.auditedChange(actor, "set_symbol_settings", symbol, input, {
      what: `Settings of ${symbol}`,
      write: () =>
        this.cx.store.saveSymbolSetting({
          symbol,
          enabled: parsed.data.enabled,
          settings: parsed.data,
          updatedAt: this.cx.clock.now(),
          updatedBy: actor.username,
        }),
      apply: () => {
        this.cx.symbolSettings.set(symbol, parsed.data);
        this.cachedRiskLimits = null;
      },
    });
  }

  updateRiskLimits(input: unknown, actor: Actor): CommandResult {
    const parsed = riskLimitsSchema.safeParse(input);
    if (!parsed.success) {
      const refusal = fail("VALIDATION", parsed.error.issues.map((i) => `${i.path.join(".") || "limits"}: ${i.message}`).join("; "));
      return this.cx.audited(actor, "set_risk_limits", null, null, input, () => refusal);
    }
    return this.cx.auditedChange(actor, "set_risk_limits", null, input, {
      what: "Risk limits",
      write: () => this.cx.store.setState("riskLimits", parsed.data),
      apply: () => {
        this.cx.riskLimits = parsed.data;
        this.cachedRiskLimits = null;
      },
    });
  }

  cachedRiskLimits: ReturnType<typeof toRiskLimits> | null = null;

  /** Forgets the cached limits (a reload reads the settings back from the books). */
  reset(): void {
    this.cachedRiskLimits = null;
  }

  /** The core's limits, rebuilt only when the settings change. */
  coreRiskLimits(): ReturnType<typeof toRiskLimits> {
    this.cachedRiskLimits ??= toRiskLimits(this.cx.riskLimits, this.cx.symbolSettings);
    return this.cachedRiskLimits;
  }

  settingsFor(symbol: string): SymbolSettings {
    return this.cx.symbolSettings.get(symbol) ?? this.cx.defaultSettings;
  }
}

/**
 * The simulator's matching rules: how a working order executes against the market the venue has seen — at the
 * touch (quotes treated as deep, books walked level by level), on the next print (trades, candles), resting as a
 * maker at price-time priority, or waiting in the trigger book — and how each fill moves balances and fees. The
 * state it keeps (books, balances, counters) is shared with MatchingEngine (matching-engine.ts), which adds the
 * requests, cancels, modifies, views and snapshots; the module header there lists the matching rules in full.
 *
 * Size (~700 lines): the execution paths (touch, print, resting, triggers, one symbol's market update) call each
 * other and share the books, balances and event buffer; split further they would pass most of this state around.
 */
import type { Instrument } from "../instrument";
import {
  add,
  cmp,
  Decimal,
  isPositive,
  type DecimalInput,
  maxDec,
  minDec,
  numberToDecimal,
  ONE,
  onePlus,
  roundToStep,
  sub,
  timesCompact,
  ZERO,
} from "../money";
import type { VenueEvent } from "../orders/events";
import { type MarketObservation } from "../orders/triggers";
import { ORDER_SIDES, TRIGGERABLE_LIMIT_TYPES, type OrderEvent, type OrderSide, type OrderStatus, type TriggerSource } from "../orders/types";
import { candlePath, type BookLevel, type MarketUpdate } from "../market-data";
import { seededRng, type Rng } from "../rng";
import { SimBalances } from "./balances";
import {
  applyConsumed,
  beyondDepthPrice,
  capQueueAhead,
  queueAheadAt,
  recordConsumed,
  recordedLevels,
  repayOnTrade,
  type BookFidelityConfig,
  type BookSide,
} from "./book-fidelity";
import { RollingVolume, commissionSchedule, feeRatesFor, type CommissionConfig, type CommissionSchedule, type FeeRates, type Liquidity } from "./commission";
import { type LatencyModel } from "./latency";
import { reservePerUnit } from "./order-checks";
import {
  BPS,
  bySide,
  filledNotionalOf,
  hasTouch,
  isMarketKind,
  newSymbolState,
  reason,
  type Budget,
  type FillEvent,
  type Level,
  type Print,
  type SimOrder,
  type SymbolState,
} from "./sim-order";
import { applySlippage, type SlippageConfig } from "./slippage";
import type { SimFill } from "./snapshot";
import { followTrailingStop, sweepTriggers } from "./trigger-book";

export interface MatchingEngineConfig {
  instruments: readonly Instrument[];
  initialBalances: Record<string, DecimalInput>;
  /** Default NONE. */
  slippage?: SlippageConfig;
  /** Default: each instrument's makerFee/takerFee. */
  commission?: CommissionConfig;
  /** Quote volume already traded in the last 30 days, for fee tiers. */
  initialVolume30d?: DecimalInput;
  /** Largest share of a trade's or bar's volume the venue fills per update and side, in (0, 1]. Default 1. */
  participationCap?: number;
  /** Default 0 (requests arrive when sent). */
  latencyMs?: LatencyModel;
  /** Default seededRng(0) (as seededRng(0): the same sequence, with state a snapshot can hold). */
  rng?: Rng;
  /** Resting limits also fill when the market only touches their price. Default false (must trade through). */
  fillOnTouch?: boolean;
  /** For orders without their own triggerSource. Default LAST. */
  triggerSource?: TriggerSource;
  /** Which price of the next candle fills waiting market orders. Default OPEN. */
  candleFillPrice?: "OPEN" | "CLOSE";
  /** Extra quote reserved for buys that execute at market (price unknown in advance). Default 200 bps. */
  marketReserveBufferBps?: number;
  /** Returns used for the REALISTIC slippage model's volatility. Default 20. */
  volatilityWindow?: number;
  /**
   * Book fidelity for recorded books (book-fidelity.ts): market orders go beyond the shown depth at a stated impact,
   * what our fills take stays out of later snapshots until the book refills, resting limits queue behind the recorded
   * size at their price. Default off: books are walked as they come and liquidity taken is back with the next snapshot.
   */
  bookFidelity?: BookFidelityConfig;
  /** Prefix of trade ids (`sim-1`, `sim-2`, …) and venue order ids (`sim-o-1`, …). Default "sim". */
  idPrefix?: string;
  /** How many recent fills the in-memory fill log keeps (see fills()). Default 10 000. */
  fillHistoryLimit?: number;
}

/** The matching rules and the state they work on; MatchingEngine (matching-engine.ts) is the venue built on them. */
export abstract class Matcher {
  protected readonly symbols = new Map<string, SymbolState>();
  protected readonly orders = new Map<string, SimOrder>();
  /** Working orders in acceptance order (deterministic iteration for cancelAll and expiry). */
  protected readonly open = new Map<string, SimOrder>();
  protected balanceBook: SimBalances;
  protected readonly slippage: SlippageConfig;
  protected readonly schedule: CommissionSchedule | null;
  protected volume30d: RollingVolume | null;
  protected readonly cap: Decimal;
  protected readonly latency: LatencyModel;
  protected readonly rng: Rng;
  protected readonly fillOnTouch: boolean;
  protected readonly defaultTriggerSource: TriggerSource;
  protected readonly candleFill: "OPEN" | "CLOSE";
  /** 1 + marketReserveBufferBps; null when the buffer is 0 (a factor of exactly 1). */
  protected readonly reserveBufferFactor: Decimal | null;
  /** The instruments' own fee rates as one object each (rates() without a schedule). */
  private readonly instrumentRates = new Map<Instrument, FeeRates>();
  /** reserveFactor() per rates object (there are a handful: one per instrument, or the schedule's tiers). */
  private readonly reserveFactors = new Map<FeeRates, Decimal | null>();
  protected readonly idPrefix: string;
  protected tradeSeq = 0;
  protected orderSeq = 0;
  protected gtdOpen = 0;
  protected out: VenueEvent[] = [];
  /** Bumped whenever orders, balances, pending requests or ids change (not by market data alone). */
  protected changes = 0;
  /** Counter behind listRank/openRank (their order is the lists' order, so lists can be rebuilt from records). */
  protected rankSeq = 0;
  /** Orders changed since the last takeTouched(), when a caller tracks them (trackTouched). */
  protected touched: Set<SimOrder> | null = null;
  /**
   * Recent fills, oldest first (see fills()): each fill's event as emitted, with its order beside it in fillLogOrders (the
   * rest of a SimFill is the order's, so a fill is logged without a copy), or a SimFill restored from a snapshot (its order
   * may be gone), with null beside it.
   */
  protected readonly fillLog: (FillEvent | SimFill)[] = [];
  protected readonly fillLogOrders: (SimOrder | null)[] = [];
  protected readonly fillHistoryLimit: number;
  protected readonly fidelity: BookFidelityConfig | null;

  constructor(config: MatchingEngineConfig) {
    const realistic = config.slippage?.model === "REALISTIC";
    for (const instrument of config.instruments) {
      this.symbols.set(instrument.symbol, newSymbolState(instrument, realistic ? (config.volatilityWindow ?? 20) : null));
    }
    const cap = config.participationCap ?? 1;
    if (!(cap > 0 && cap <= 1)) throw new RangeError(`participationCap ${cap} must be in (0, 1]`);
    this.balanceBook = new SimBalances(config.initialBalances);
    this.slippage = config.slippage ?? { model: "NONE" };
    this.schedule = config.commission ? commissionSchedule(config.commission) : null;
    this.volume30d = this.schedule && this.schedule.tiers.length > 0 ? new RollingVolume(config.initialVolume30d ?? 0) : null;
    this.cap = new Decimal(cap);
    this.latency = config.latencyMs ?? 0;
    this.rng = config.rng ?? seededRng(0);
    this.fillOnTouch = config.fillOnTouch ?? false;
    this.defaultTriggerSource = config.triggerSource ?? "LAST";
    this.candleFill = config.candleFillPrice ?? "OPEN";
    const reserveBuffer = new Decimal(config.marketReserveBufferBps ?? 200).dividedBy(BPS).plus(1);
    this.reserveBufferFactor = reserveBuffer.eq(1) ? null : reserveBuffer;
    this.idPrefix = config.idPrefix ?? "sim";
    this.fillHistoryLimit = Math.max(0, Math.floor(config.fillHistoryLimit ?? 10_000));
    const impactBps = config.bookFidelity?.impactBps;
    if (impactBps !== undefined && !(Number.isFinite(impactBps) && impactBps >= 0)) throw new RangeError(`bookFidelity.impactBps ${impactBps} must be ≥ 0`);
    this.fidelity = config.bookFidelity ?? null;
  }

  // -------------------------------------------------------------------------------------------
  // Funds, placement and execution

  protected logFill(order: SimOrder, event: FillEvent): void {
    if (this.fillHistoryLimit === 0) return;
    this.fillLog.push(event);
    this.fillLogOrders.push(order);
    if (this.fillLog.length > this.fillHistoryLimit + 1024) {
      const drop = this.fillLog.length - this.fillHistoryLimit;
      this.fillLog.splice(0, drop);
      this.fillLogOrders.splice(0, drop);
    }
  }

  protected emit(clientOrderId: string, event: OrderEvent): void {
    this.changes += 1;
    if (this.touched !== null) {
      const order = this.orders.get(clientOrderId);
      if (order) this.touched.add(order);
    }
    this.out.push({ clientOrderId, event });
  }

  protected rates(instrument: Instrument, now: number): FeeRates {
    if (!this.schedule) {
      // One rates object per instrument, not one per call (reserve and every fill ask).
      let rates = this.instrumentRates.get(instrument);
      if (rates === undefined) {
        rates = { maker: instrument.makerFee, taker: instrument.takerFee };
        this.instrumentRates.set(instrument, rates);
      }
      return rates;
    }
    return this.volume30d ? feeRatesFor(this.schedule, this.volume30d.total(now)) : this.schedule.base;
  }

  /** 1 + the higher fee rate (at least 0), once per rates object; null when it is exactly 1 (no fee: nothing to add). */
  private reserveFactor(rates: FeeRates): Decimal | null {
    let factor = this.reserveFactors.get(rates);
    if (factor === undefined) {
      const sum = onePlus(maxDec(ZERO, maxDec(rates.maker, rates.taker)));
      factor = sum.eq(1) ? null : sum;
      this.reserveFactors.set(rates, factor);
    }
    return factor;
  }

  /** Reserves what the order may spend; null on success, else a refusal reason. */
  protected reserveFor(order: SimOrder, state: SymbolState): string | null {
    const remaining = sub(order.quantity, order.filled);
    if (order.side === "SELL") {
      order.reservePerUnit = ONE;
    } else {
      const feeFactor = this.reserveFactor(this.rates(order.instrument, order.acceptedAt ?? order.sentAt));
      const perUnit = reservePerUnit(order, state, this.reserveBufferFactor, feeFactor);
      if (perUnit === null) {
        return reason("NO_MARKET_PRICE", `${order.instrument.symbol} has no market price yet to size the funds for a ${order.type} buy.`);
      }
      order.reservePerUnit = perUnit;
    }
    const amount = order.reservePerUnit === ONE ? remaining : timesCompact(order.reservePerUnit, remaining);
    if (!this.balanceBook.reserve(order.reserveCurrency, amount)) {
      const what =
        order.side === "BUY" ? `buying ${remaining.toString()} ${order.instrument.base}` : `selling ${remaining.toString()} ${order.instrument.base}`;
      return reason(
        "INSUFFICIENT_BALANCE",
        `${what} needs ${amount.toString()} ${order.reserveCurrency}, only ${this.balanceBook.free(order.reserveCurrency).toString()} ${order.reserveCurrency} is free.`,
      );
    }
    order.reserved = amount;
    return null;
  }

  /** Would this limit take liquidity now? Against the touch (inclusive), or the last price without one. */
  protected marketableNow(order: SimOrder, state: SymbolState): boolean {
    if (isMarketKind(order)) return true;
    const reference = hasTouch(state) ? bySide(order.side, state.ask, state.bid) : state.last;
    if (reference === undefined) return false;
    return order.side === "BUY" ? order.limitNum >= reference : order.limitNum <= reference;
  }

  /** Puts a live (accepted, untriggered-or-triggered) order to work: execute now, rest, or wait for a print. */
  protected goLive(order: SimOrder, state: SymbolState, now: number, print: Print | null): void {
    if (print) {
      this.executeOnPrint(order, state, print, now);
    } else if (hasTouch(state)) {
      this.executeOnTouch(order, state, now);
    } else if (isMarketKind(order) || order.tif === "IOC" || order.tif === "FOK" || this.marketableNow(order, state)) {
      order.phase = "WAITING";
      this.enlist(order);
      state.waiting.push(order);
    } else {
      this.rest(order, state);
    }
  }

  protected leftOver(order: SimOrder, state: SymbolState, now: number): void {
    if (order.phase === "DONE") return;
    if (order.tif === "IOC" || order.tif === "FOK") {
      this.finish(order, "CANCELED", {
        type: "cancel",
        reason: `${order.tif}: ${sub(order.quantity, order.filled).toString()} of ${order.quantity.toString()} ${order.instrument.base} could not be filled immediately.`,
        ts: now,
      });
    } else if (isMarketKind(order)) {
      order.phase = "WAITING";
      this.enlist(order);
      state.waiting.push(order);
    } else {
      this.rest(order, state);
    }
  }

  protected cancelFok(order: SimOrder, available: Decimal, now: number): void {
    this.finish(order, "CANCELED", {
      type: "cancel",
      reason: `FOK: only ${available.toString()} of ${order.quantity.toString()} ${order.instrument.base} was available, so nothing was filled.`,
      ts: now,
    });
  }

  protected spreadBps(state: SymbolState): number | undefined {
    if (state.bid === undefined || state.ask === undefined) return undefined;
    const mid = (state.bid + state.ask) / 2;
    return mid > 0 ? ((state.ask - state.bid) / mid) * 10_000 : undefined;
  }

  /** A taker price from a reference: slippage against the trader, never past the order's limit. */
  protected takerPrice(
    order: SimOrder,
    state: SymbolState,
    reference: Decimal,
    qty: Decimal,
    volume: number | undefined,
    spreadBps: number | undefined,
  ): Decimal {
    let price = reference;
    if (this.slippage.model !== "NONE") {
      price = applySlippage(
        this.slippage,
        order.side,
        reference,
        // The quantity as a number only for the models that size impact by it (a conversion costs a string round trip).
        {
          qty: this.slippage.model === "VOLUME" || this.slippage.model === "REALISTIC" ? qty.toNumber() : 0,
          volume,
          spreadBps,
          volatility: state.volatility?.value(),
        },
        order.instrument.priceTick,
      ).price;
    }
    if (order.limitPrice !== null && !isMarketKind(order)) {
      price = order.side === "BUY" ? minDec(price, order.limitPrice) : maxDec(price, order.limitPrice);
    }
    return price;
  }

  protected executeOnTouch(order: SimOrder, state: SymbolState, now: number): void {
    const isMarket = isMarketKind(order);
    const levels = bySide(order.side, state.bookAsks, state.bookBids);
    if (levels !== null) {
      const remaining = sub(order.quantity, order.filled);
      const within = (level: Level): boolean => isMarket || (order.side === "BUY" ? level.price <= order.limitNum : level.price >= order.limitNum);
      // With book fidelity a market order can always go beyond the shown depth (at its impact price).
      if (order.tif === "FOK" && !(isMarket && this.fidelity !== null)) {
        let available = ZERO;
        for (const level of levels) {
          if (!within(level)) break;
          available = available.plus(level.size);
          if (available.greaterThanOrEqualTo(remaining)) break;
        }
        if (available.lessThan(remaining)) {
          this.cancelFok(order, available, now);
          return;
        }
      }
      let depth = 0;
      for (const level of levels) depth += level.size.toNumber();
      // One slippage figure for the whole walk (impact of the full size against the visible depth).
      const bps =
        this.slippage.model === "NONE"
          ? 0
          : applySlippage(this.slippage, order.side, ONE, { qty: remaining.toNumber(), volume: depth, spreadBps: 0, volatility: state.volatility?.value() })
              .bps;
      for (const level of levels) {
        if (order.phase === "DONE" || !within(level)) break;
        if (level.size.isZero()) continue;
        const take = minDec(level.size, sub(order.quantity, order.filled));
        let price = bps > 0 ? applySlippage({ model: "FIXED", bps }, order.side, level.priceDec, { qty: 0 }, order.instrument.priceTick).price : level.priceDec;
        if (!isMarket) price = order.side === "BUY" ? minDec(price, order.limitPrice!) : maxDec(price, order.limitPrice!);
        this.take(state, order.side === "BUY" ? "asks" : "bids", level, take);
        this.fill(order, take, price, "TAKER", now);
      }
      if (isMarket && this.fidelity !== null && order.phase !== "DONE") this.fillBeyondDepth(order, state, now);
    } else {
      const touch = bySide(order.side, state.ask, state.bid)!;
      const marketable = isMarket || (order.side === "BUY" ? order.limitNum >= touch : order.limitNum <= touch);
      if (marketable) {
        const qty = sub(order.quantity, order.filled);
        const price = this.takerPrice(order, state, numberToDecimal(touch), qty, bySide(order.side, state.askSize, state.bidSize), 0);
        this.fill(order, qty, price, "TAKER", now);
      }
    }
    this.leftOver(order, state, now);
  }

  /** Takes `qty` from a level of the current book; with book fidelity, remembers it for the following snapshots. */
  protected take(state: SymbolState, side: BookSide, level: Level, qty: Decimal): void {
    level.size = level.size.minus(qty);
    if (this.fidelity !== null) recordConsumed(state.consumed[side], level.price, qty);
  }

  /** What a market order still wants after the shown book, at the impact price of book-fidelity.ts (rule 1). */
  protected fillBeyondDepth(order: SimOrder, state: SymbolState, now: number): void {
    const raw = bySide(order.side, state.rawAsks, state.rawBids);
    const remaining = sub(order.quantity, order.filled);
    if (raw === null || !isPositive(remaining)) return;
    const price = beyondDepthPrice(order.side, raw, remaining, order.instrument.priceTick, this.fidelity?.impactBps);
    if (price !== null) this.fill(order, remaining, price, "TAKER", now);
  }

  protected executeOnPrint(order: SimOrder, state: SymbolState, print: Print, now: number): void {
    const isMarket = isMarketKind(order);
    const marketable = isMarket || (order.side === "BUY" ? order.limitNum >= print.price : order.limitNum <= print.price);
    if (marketable) {
      const remaining = sub(order.quantity, order.filled);
      const budget = print.budget[order.side];
      const fillable = budget === null ? remaining : minDec(remaining, roundToStep(budget, order.instrument.qtyStep, "down"));
      if (order.tif === "FOK" && fillable.lessThan(remaining)) {
        this.cancelFok(order, fillable, now);
        return;
      }
      if (isPositive(fillable)) {
        const price = this.takerPrice(order, state, new Decimal(print.price), fillable, print.volume, this.spreadBps(state));
        if (budget !== null) print.budget[order.side] = budget.minus(fillable);
        this.fill(order, fillable, price, "TAKER", now);
      }
    }
    this.leftOver(order, state, now);
  }

  /** Inserts a limit into its side of the book at price-time priority. */
  protected rest(order: SimOrder, state: SymbolState): void {
    order.phase = "RESTING";
    // Book fidelity: the recorded size at its price queues ahead of it (a modified order queues again).
    const own = bySide(order.side, state.rawBids, state.rawAsks);
    order.queueAhead = this.fidelity !== null && own !== null ? queueAheadAt(order.side === "BUY" ? "bids" : "asks", own, order.limitNum) : null;
    this.enlist(order);
    const list = order.side === "BUY" ? state.buys : state.sells;
    const better = order.side === "BUY" ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = list[mid]!;
      // goes after every order with a better or equal price (time priority)
      if (better(order.limitNum, other.limitNum)) hi = mid;
      else lo = mid + 1;
    }
    list.splice(lo, 0, order);
  }

  protected watchTrigger(order: SimOrder, state: SymbolState): void {
    order.phase = "TRIGGER";
    this.enlist(order);
    state.triggers.push(order);
  }

  /** Stamps an order entering a list: its rank orders the list when a snapshot is rebuilt from records. */
  protected enlist(order: SimOrder): void {
    order.listRank = ++this.rankSeq;
    this.touched?.add(order);
  }

  /** Takes an order out of whatever list it is in (before a cancel, expiry or modify). */
  protected detach(order: SimOrder): void {
    const state = this.symbols.get(order.instrument.symbol)!;
    const list =
      order.phase === "RESTING"
        ? bySide(order.side, state.buys, state.sells)
        : order.phase === "TRIGGER"
          ? state.triggers
          : order.phase === "WAITING"
            ? state.waiting
            : null;
    if (list) {
      const index = list.indexOf(order);
      if (index >= 0) list.splice(index, 1);
    }
  }

  /** Ends an order: releases what it still reserves and emits the final event. */
  protected finish(order: SimOrder, status: OrderStatus, event: OrderEvent | null): void {
    if (isPositive(order.reserved)) this.balanceBook.release(order.reserveCurrency, order.reserved);
    order.reserved = ZERO;
    order.phase = "DONE";
    order.status = status;
    if (event?.type === "cancel" && event.reason !== undefined) order.reason = event.reason;
    this.open.delete(order.clientOrderId);
    if (order.expireAt !== null) this.gtdOpen -= 1;
    if (event) this.emit(order.clientOrderId, event);
  }

  /** Books one fill: balances, fee, order state, event. A buy the account cannot pay for is canceled instead. */
  protected fill(order: SimOrder, qty: Decimal, price: Decimal, liquidity: Liquidity, now: number): void {
    const instrument = order.instrument;
    const rates = this.rates(instrument, now);
    // A buy filled whole at the unit price it reserved at (a market buy at the touch it was sized on) costs exactly
    // its reservation, which is that same product (reserveFor): no second multiplication.
    const notional =
      order.side === "BUY" && qty === order.quantity && price === order.reservePerUnit && price !== ONE && order.filled.isZero()
        ? order.reserved
        : timesCompact(qty, price);
    const feeRate = liquidity === "MAKER" ? rates.maker : rates.taker;
    // timesCompact builds the fee's words at their exact length: it is kept by the order, the fill log and the desk's fill
    // record for the whole run.
    const fee = feeRate.isZero() ? ZERO : timesCompact(notional, feeRate);
    const filled = add(order.filled, qty);
    const completes = cmp(filled, order.quantity) >= 0;
    const release = completes ? order.reserved : minDec(order.reserved, timesCompact(order.reservePerUnit, qty));
    if (order.side === "BUY") {
      const cost = add(notional, fee);
      // Within the reservation (the usual case) there is nothing more to add up.
      if (cmp(cost, release) > 0 && cmp(cost, add(release, this.balanceBook.free(instrument.quote))) > 0) {
        this.finish(order, "CANCELED", {
          type: "cancel",
          reason: reason(
            "INSUFFICIENT_BALANCE",
            `buying ${qty.toString()} ${instrument.base} at ${price.toString()} costs ${cost.toString()} ${instrument.quote}, more than the order reserved and the free balance.`,
          ),
          ts: now,
        });
        return;
      }
      this.balanceBook.spend(instrument.quote, release, cost);
      this.balanceBook.credit(instrument.base, qty);
    } else {
      this.balanceBook.spend(instrument.base, release, qty);
      this.balanceBook.credit(instrument.quote, sub(notional, fee));
    }
    order.reserved = sub(order.reserved, release);
    // A first fill keeps its price (its cost is read as quantity × price); a sum from the second on (add: at its exact length).
    if (order.filledNotional === null && order.filled.isZero()) order.firstFillPrice = price;
    else order.filledNotional = add(filledNotionalOf(order), notional);
    order.filled = filled;
    order.fees = add(order.fees, fee);
    this.volume30d?.add(now, notional);
    this.tradeSeq += 1;
    const event: FillEvent = { type: "fill", tradeId: `${this.idPrefix}-${this.tradeSeq}`, qty, price, fee, liquidity, ts: now };
    this.emit(order.clientOrderId, event);
    this.logFill(order, event);
    if (completes) {
      this.finish(order, "FILLED", null); // the fill event above is the final one
    } else {
      order.status = "PARTIALLY_FILLED";
    }
  }

  // -------------------------------------------------------------------------------------------
  // Triggers (the trigger book: trigger-book.ts)

  /** Moves a trailing stop with the market; a move is a change a durable caller must save. */
  protected refreshTrailing(order: SimOrder, observation: MarketObservation): void {
    if (!followTrailingStop(order, observation)) return;
    this.changes += 1;
    this.touched?.add(order);
  }

  protected fire(order: SimOrder, state: SymbolState, now: number, print: Print | null): void {
    order.triggered = true;
    this.touched?.add(order);
    if (TRIGGERABLE_LIMIT_TYPES.has(order.type)) {
      order.status = "TRIGGERED";
      this.emit(order.clientOrderId, { type: "trigger", ts: now });
    }
    this.goLive(order, state, now, print);
  }

  /** Runs trigger orders over a sequence of observations (one, or a candle's path). */
  protected runTriggers(
    state: SymbolState,
    observations: readonly MarketObservation[],
    printAt: ((index: number, order: SimOrder) => Print) | null,
    now: number,
  ): void {
    if (state.triggers.length === 0) return;
    sweepTriggers(
      state,
      observations,
      (order, observation) => this.refreshTrailing(order, observation),
      (order, firedAt) => this.fire(order, state, now, printAt ? printAt(firedAt, order) : null),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Market data

  protected budget(volume: number): Budget {
    const cap = new Decimal(volume > 0 ? volume : 0).times(this.cap);
    return { BUY: cap, SELL: cap };
  }

  protected applyUpdate(state: SymbolState, update: MarketUpdate, now: number): void {
    switch (update.kind) {
      case "quote": {
        state.bid = update.bid;
        state.ask = update.ask;
        state.bidSize = update.bidSize;
        state.askSize = update.askSize;
        state.bookBids = null;
        state.bookAsks = null;
        state.rawBids = null;
        state.rawAsks = null;
        state.volatility?.add((update.bid + update.ask) / 2);
        this.onTouch(state, now);
        break;
      }
      case "book": {
        if (this.fidelity !== null) {
          const bids = recordedLevels(update.bids);
          const asks = recordedLevels(update.asks);
          state.bookBids = applyConsumed("bids", bids, state.rawBids, state.consumed.bids);
          state.bookAsks = applyConsumed("asks", asks, state.rawAsks, state.consumed.asks);
          state.rawBids = bids;
          state.rawAsks = asks;
          this.capQueues(state);
        } else {
          const toLevels = (levels: readonly BookLevel[]): Level[] =>
            levels.filter(([price, size]) => price > 0 && size > 0).map(([price, size]) => ({ price, priceDec: new Decimal(price), size: new Decimal(size) }));
          state.bookBids = toLevels(update.bids);
          state.bookAsks = toLevels(update.asks);
        }
        const bestBid = state.bookBids[0];
        const bestAsk = state.bookAsks[0];
        state.bid = bestBid?.price;
        state.ask = bestAsk?.price;
        state.bidSize = bestBid?.size.toNumber();
        state.askSize = bestAsk?.size.toNumber();
        if (state.bid !== undefined && state.ask !== undefined) state.volatility?.add((state.bid + state.ask) / 2);
        this.onTouch(state, now);
        break;
      }
      case "trade": {
        state.last = update.price;
        state.volatility?.add(update.price);
        const print: Print = { price: update.price, volume: update.qty, budget: this.budget(update.qty) };
        if (this.fidelity !== null) repayOnTrade(state.consumed, update.price, update.qty, update.aggressor);
        this.runWaiting(state, print, now);
        this.runTriggers(state, [{ last: update.price }], () => print, now);
        this.matchResting(state, update.price, update.price, print.budget, update.aggressor, now, update.qty);
        break;
      }
      case "candle": {
        state.last = update.close;
        state.volatility?.add(update.close);
        const budget = this.budget(update.volume);
        const fillPrice = this.candleFill === "OPEN" ? update.open : update.close;
        this.runWaiting(state, { price: fillPrice, volume: update.volume, budget }, now);
        const path = candlePath(update);
        const observations = path.map((price) => ({ last: price, bid: price, ask: price }));
        this.runTriggers(state, observations, (index, order) => ({ price: index === 0 ? update.open : order.triggerNum, volume: update.volume, budget }), now);
        this.matchResting(state, update.low, update.high, budget, undefined, now);
        break;
      }
      case "mark": {
        state.mark = update.price;
        this.runTriggers(state, [{ mark: update.price }], null, now);
        break;
      }
    }
  }

  /** A new quote or book: waiting orders execute against it, triggers watch it, resting limits it crosses fill. */
  protected onTouch(state: SymbolState, now: number): void {
    if (state.bid === undefined || state.ask === undefined) return;
    if (state.waiting.length > 0) {
      const waiting = state.waiting;
      state.waiting = [];
      for (const order of waiting) this.executeOnTouch(order, state, now);
    }
    // The observation only when some trigger watches it (most touches meet no trigger order).
    if (state.triggers.length > 0) this.runTriggers(state, [{ bid: state.bid, ask: state.ask }], null, now);
    if (state.buys.length > 0) this.matchRestingAgainstTouch(state, "BUY", now);
    if (state.sells.length > 0) this.matchRestingAgainstTouch(state, "SELL", now);
  }

  protected runWaiting(state: SymbolState, print: Print, now: number): void {
    if (state.waiting.length === 0) return;
    const waiting = state.waiting;
    state.waiting = [];
    for (const order of waiting) this.executeOnPrint(order, state, print, now);
  }

  protected crosses(side: OrderSide, limit: number, price: number, aggressor: OrderSide | undefined): boolean {
    if (side === "BUY") return limit > price || (this.fillOnTouch && limit === price && aggressor !== "BUY");
    return limit < price || (this.fillOnTouch && limit === price && aggressor !== "SELL");
  }

  /**
   * Resting limits a trade or candle traded through fill at their limit, as makers, within the volume budget. A trade
   * (tradeQty given) at the limit of an order that tracks its queue (book fidelity) first works off the queue ahead.
   */
  protected matchResting(
    state: SymbolState,
    low: number,
    high: number,
    budget: Budget,
    aggressor: OrderSide | undefined,
    now: number,
    tradeQty?: number,
  ): void {
    for (const side of ORDER_SIDES) {
      const list = bySide(side, state.buys, state.sells);
      if (list.length === 0) continue;
      const price = side === "BUY" ? low : high;
      let finished = false;
      for (const order of list) {
        let beyondQueue: Decimal | null = null;
        if (order.queueAhead !== null && tradeQty !== undefined && order.limitNum === price) {
          // A trade at the limit by an aggressor of the order's own side did not take from its side of the book.
          if (aggressor === side) continue;
          const traded = new Decimal(tradeQty);
          beyondQueue = maxDec(ZERO, traded.minus(order.queueAhead));
          order.queueAhead = maxDec(ZERO, order.queueAhead.minus(traded));
          this.changes += 1;
          this.touched?.add(order);
          if (!isPositive(beyondQueue)) continue;
        } else if (!this.crosses(side, order.limitNum, price, aggressor)) {
          // Sorted best first: past the traded price nothing fills; at it, an order behind may track its queue.
          if (order.limitNum === price) continue;
          break;
        }
        const available = budget[side];
        const remaining = sub(order.quantity, order.filled);
        let qty = available === null ? remaining : minDec(remaining, roundToStep(available, order.instrument.qtyStep, "down"));
        if (beyondQueue !== null) qty = minDec(qty, roundToStep(beyondQueue, order.instrument.qtyStep, "down"));
        if (!isPositive(qty)) {
          if (beyondQueue !== null && (available === null || isPositive(available))) continue;
          break;
        }
        if (available !== null) budget[side] = available.minus(qty);
        this.fill(order, qty, order.limitPrice!, "MAKER", now);
        if (order.phase === "DONE") finished = true;
      }
      if (finished) this.prune(state, side);
    }
  }

  /** Resting limits a new quote or book crosses fill at their limit, as makers (books: within the crossing depth). */
  protected matchRestingAgainstTouch(state: SymbolState, side: OrderSide, now: number): void {
    const list = bySide(side, state.buys, state.sells);
    const touch = bySide(side, state.ask, state.bid)!;
    const levels = bySide(side, state.bookAsks, state.bookBids);
    let finished = false;
    for (const order of list) {
      if (!this.crosses(side, order.limitNum, touch, undefined)) break;
      let qty = sub(order.quantity, order.filled);
      if (levels !== null) {
        let taken = ZERO;
        for (const level of levels) {
          if (taken.greaterThanOrEqualTo(qty) || !this.crosses(side, order.limitNum, level.price, undefined)) break;
          const take = minDec(level.size, qty.minus(taken));
          this.take(state, side === "BUY" ? "asks" : "bids", level, take);
          taken = taken.plus(take);
        }
        qty = taken;
      }
      if (!isPositive(qty)) break;
      this.fill(order, qty, order.limitPrice!, "MAKER", now);
      if (order.phase === "DONE") finished = true;
    }
    if (finished) this.prune(state, side);
  }

  /** A new snapshot caps the queue ahead of each resting limit that tracks it (book-fidelity.ts rule 3). */
  protected capQueues(state: SymbolState): void {
    for (const side of ORDER_SIDES) {
      const own = bySide(side, state.rawBids, state.rawAsks);
      if (own === null) continue;
      for (const order of bySide(side, state.buys, state.sells)) {
        if (order.queueAhead === null) continue;
        const capped = capQueueAhead(side === "BUY" ? "bids" : "asks", own, order.limitNum, order.queueAhead);
        if (!capped.equals(order.queueAhead)) {
          order.queueAhead = capped;
          this.changes += 1;
          this.touched?.add(order);
        }
      }
    }
  }

  protected prune(state: SymbolState, side: OrderSide): void {
    if (side === "BUY") state.buys = state.buys.filter((order) => order.phase === "RESTING");
    else state.sells = state.sells.filter((order) => order.phase === "RESTING");
  }
}

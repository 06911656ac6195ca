/**
 * The trading side of the test server: one Binance spot account backed by the simulator
 * (`MatchingEngine`). Binance's order parameters become an OrderSpec, the simulator's events and
 * views become Binance's JSON (orderId, clientOrderId, status NEW / PARTIALLY_FILLED / FILLED /
 * CANCELED / EXPIRED, executedQty, cummulativeQuoteQty, fills with tradeId …), and refusals become
 * Binance's error codes and messages. Checks the simulator does not know are done here the way
 * Binance does them: the symbol filters (PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE, NOTIONAL with market
 * orders checked against the last price, MAX_NUM_ORDERS, MAX_NUM_ALGO_ORDERS, TRAILING_DELTA), a stop
 * that would trigger at once, and a MARKET order that finds no liquidity (its remainder EXPIRES, it
 * never waits).
 *
 * Differences from Binance, on purpose or for simplicity:
 * - Commission is charged in the quote asset on both sides (as the simulator does); a buy locks its
 *   limit price × quantity × (1 + fee rate).
 * - By default a clientOrderId can never be reused, even after its order is closed; a reuse answers
 *   -2010 "Duplicate order sent.". With `clientOrderIdReuse: "whenClosed"` it works as on Binance: an
 *   id is unique among OPEN orders only, so a MARKET order sent again with the same id executes again
 *   (the order that matters to a client that re-sends after a lost answer). A lookup by
 *   origClientOrderId then finds the newest order with that id.
 * - PERCENT_PRICE_BY_SIDE is not checked. Trailing stops: STOP_LOSS / TAKE_PROFIT with trailingDelta
 *   (and optionally stopPrice as the activation price); trailing *_LIMIT orders answer -1014.
 * - OTO lists (`newOtoList`): the pending order waits off the book as PENDING_NEW, holding no balance, until the working
 *   order has filled in full.
 * - OCO lists (`newOcoList`): LIMIT_MAKER + STOP_LOSS / STOP_LOSS_LIMIT legs only (TAKE_PROFIT legs answer -1020). The stop
 *   leg waits off the simulator's book until its stop price trades (the simulator would lock the quantity twice;
 *   Binance locks it once), then its sibling expires and it goes to the book.
 * - Orders live in memory only: a restarted server starts empty.
 */
import { D, Decimal, ZERO, isMultipleOf, roundToStep, type DecimalInput } from "../../server/core/money";
import { type OrderSide, type OrderSpec, type OrderType, type TimeInForce } from "../../server/core/orders/types";
import { type MarketUpdate } from "../../server/core/market-data";
import { MatchingEngine, type SimOrderView } from "../../server/core/sim/matching-engine";
import { type VenueEvent } from "../../server/core/orders/events";
import { type BinanceApiError, BinanceErrors } from "./errors";
import { instrumentFor, type SymbolSpec } from "./exchange-info";

export type Params = Record<string, string>;

const CLIENT_ID = /^[.A-Z:/a-z0-9_-]{1,36}$/;
const CLIENT_ID_RANGE = "^[\\.A-Z\\:/a-z0-9_-]{1,36}$";
const NUMBER = /^([0-9]{1,20})(\.[0-9]{1,20})?$/;
const NUMBER_RANGE = "^([0-9]{1,20})(\\.[0-9]{1,20})?$";
const STOP_TYPES = new Set(["STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"]);
const MAX_TRADES_KEPT = 100_000;

interface OrderMeta {
  orderId: number;
  clientOrderId: string;
  /** The order's id in the simulator: the clientOrderId, or a derived one when the id was reused. */
  key: string;
  spec: SymbolSpec;
  /** Binance's type as placed (LIMIT, MARKET, STOP_LOSS_LIMIT, …). */
  type: string;
  side: OrderSide;
  timeInForce: string;
  price: Decimal;
  stopPrice: Decimal;
  trailingDelta: number | null;
  icebergQty: Decimal;
  origQuoteOrderQty: Decimal;
  stp: string;
  time: number;
  updateTime: number;
  /** -1 while a stop has not triggered. */
  workingTime: number;
  /** Set when the server ended the order itself (a MARKET order's unfilled remainder, an OCO leg its sibling expired). */
  forcedStatus: string | null;
  /** The OCO list it belongs to, or -1. */
  orderListId: number;
}

type Touch = { bid?: number; ask?: number; last?: number };

interface OrderListMeta {
  orderListId: number;
  contingencyType: "OCO" | "OTO";
  listClientOrderId: string;
  symbolId: string;
  /** OCO: the LIMIT_MAKER leg's key and the stop leg's key. OTO: the working order's key and the pending order's key. */
  limitKey: string;
  stopKey: string;
  status: "EXECUTING" | "ALL_DONE";
  transactionTime: number;
}

const OCO_TYPES = new Set(["STOP_LOSS_LIMIT", "STOP_LOSS", "LIMIT_MAKER", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"]);

/** A held OCO stop leg as the simulator would show it: accepted, nothing filled, nothing reserved. */
function heldView(spec: OrderSpec): SimOrderView {
  const quantity = D(spec.quantity);
  return {
    clientOrderId: spec.clientOrderId,
    venueOrderId: spec.clientOrderId,
    symbol: spec.symbol,
    side: spec.side,
    type: spec.type,
    timeInForce: spec.timeInForce ?? "GTC",
    status: "ACCEPTED",
    quantity,
    filledQty: ZERO,
    remainingQty: quantity,
    price: spec.price !== undefined ? D(spec.price) : null,
    triggerPrice: spec.triggerPrice !== undefined ? D(spec.triggerPrice) : null,
    triggered: false,
    avgFillPrice: null,
    feesPaid: ZERO,
    reservedCurrency: "",
    reserved: ZERO,
    sentAt: 0,
    acceptedAt: 0,
    reason: null,
  };
}

/** A new order that passed Binance's checks, ready to place. */
interface Prepared {
  spec: SymbolSpec;
  side: OrderSide;
  type: string;
  tif: string | undefined;
  qty: Decimal;
  price: Decimal | null;
  stopPrice: Decimal | null;
  trailingDelta: number | null;
  icebergQty: Decimal;
  quoteOrderQty: Decimal | null;
  clientOrderId: string;
  key: string;
  respType: string;
  isStop: boolean;
  stp: string;
}

export interface AccountTrade {
  id: number;
  orderId: number;
  clientOrderId: string;
  symbolId: string;
  price: Decimal;
  qty: Decimal;
  commission: Decimal;
  commissionAsset: string;
  time: number;
  isBuyer: boolean;
  isMaker: boolean;
}

export interface AccountOptions {
  specs: readonly SymbolSpec[];
  balances: Record<string, DecimalInput>;
  /** Fee rates as fractions; default 0.001 / 0.001 (Binance's base tier). */
  makerFee?: string;
  takerFee?: string;
  /** First orderId handed out (default 1). */
  firstOrderId?: number;
  /** Random-looking ids for cancel requests without newClientOrderId; injected for tests. */
  newCancelId?: () => string;
  /** See the header: "never" (default) or "whenClosed" (Binance). */
  clientOrderIdReuse?: "never" | "whenClosed";
}

/** An order as the account saw it, for tests that count executions per clientOrderId. */
export interface AccountOrder {
  orderId: number;
  clientOrderId: string;
  symbolId: string;
  side: OrderSide;
  type: string;
  status: string;
  origQty: Decimal;
  executedQty: Decimal;
  time: number;
}

function fmt(value: Decimal): string {
  return value.toFixed(8);
}

function num(params: Params, name: string, required: boolean): Decimal | null {
  const raw = params[name];
  if (raw === undefined || raw === "") {
    if (required) throw BinanceErrors.mandatory(name);
    return null;
  }
  if (!NUMBER.test(raw)) throw BinanceErrors.illegalChars(name, NUMBER_RANGE);
  return D(raw);
}

function int(params: Params, name: string): number | null {
  const raw = params[name];
  if (raw === undefined || raw === "") return null;
  if (!/^[0-9]{1,19}$/.test(raw)) throw BinanceErrors.illegalChars(name);
  return Number(raw);
}

export class BinanceAccount {
  readonly venue: MatchingEngine;
  private readonly specs = new Map<string, SymbolSpec>();
  private readonly metas = new Map<string, OrderMeta>();
  private readonly byOrderId = new Map<number, string>();
  /** clientOrderId → the simulator key of the newest order that used it. */
  private readonly latestKey = new Map<string, string>();
  private readonly reuse: "never" | "whenClosed";
  private readonly trades: AccountTrade[] = [];
  private nextOrderId: number;
  private nextTradeId = 1;
  private cancelSeq = 0;
  private readonly newCancelId: () => string;
  /** Last update time of the account (balances changed). */
  private updateTime = 0;
  private readonly makerFee: string;
  private readonly takerFee: string;
  /** OCO order lists by orderListId. */
  private readonly lists = new Map<number, OrderListMeta>();
  private nextOrderListId = 1;
  /**
   * OCO stop legs waiting for their trigger off the simulator's book, by key: Binance locks an OCO's quantity once for
   * both legs, the simulator would reserve it for each. The leg goes to the simulator when its stop price is reached
   * (its sibling expired first, releasing the reservation), so both never execute.
   */
  private readonly held = new Map<string, OrderSpec>();

  constructor(options: AccountOptions) {
    const maker = options.makerFee ?? "0.001";
    const taker = options.takerFee ?? "0.001";
    this.makerFee = maker;
    this.takerFee = taker;
    for (const spec of options.specs) this.specs.set(spec.id, spec);
    this.venue = new MatchingEngine({
      instruments: options.specs.map((s) => instrumentFor(s, { maker, taker })),
      initialBalances: options.balances,
      idPrefix: "bn",
    });
    this.nextOrderId = options.firstOrderId ?? 1;
    this.reuse = options.clientOrderIdReuse ?? "never";
    this.newCancelId =
      options.newCancelId ??
      (() => {
        this.cancelSeq += 1;
        return `cancel${String(this.cancelSeq).padStart(16, "0")}`;
      });
  }

  spec(symbolId: string | undefined): SymbolSpec {
    if (symbolId === undefined || symbolId === "") throw BinanceErrors.mandatory("symbol");
    const spec = this.specs.get(symbolId);
    if (!spec) throw BinanceErrors.invalidSymbol();
    return spec;
  }

  symbolIds(): string[] {
    return [...this.specs.keys()];
  }

  // -------------------------------------------------------------------------------------------
  // Events from the simulator

  private apply(events: readonly VenueEvent[]): void {
    for (const { clientOrderId: key, event } of events) {
      const meta = this.metas.get(key);
      if (!meta) continue;
      const clientOrderId = meta.clientOrderId;
      const ts = event.ts ?? meta.updateTime;
      meta.updateTime = Math.max(meta.updateTime, ts);
      if (meta.workingTime < 0 && (event.type === "trigger" || event.type === "fill")) meta.workingTime = ts;
      if (event.type === "fill") {
        this.trades.push({
          id: this.nextTradeId++,
          orderId: meta.orderId,
          clientOrderId,
          symbolId: meta.spec.id,
          price: D(event.price),
          qty: D(event.qty),
          commission: D(event.fee ?? 0),
          commissionAsset: meta.spec.quote,
          time: ts,
          isBuyer: meta.side === "BUY",
          isMaker: event.liquidity === "MAKER",
        });
        if (this.trades.length > MAX_TRADES_KEPT) this.trades.splice(0, this.trades.length - MAX_TRADES_KEPT);
        this.updateTime = Math.max(this.updateTime, ts);
      }
    }
  }

  /** Market data in: resting orders and stops react to it. */
  onMarketData(update: MarketUpdate, now: number): void {
    this.apply(this.venue.onMarketData(update, now));
    this.reactLists(update, now);
  }

  // -------------------------------------------------------------------------------------------
  // POST /api/v3/order

  newOrder(params: Params, now: number, touch: Touch): Record<string, unknown> {
    return this.place(this.prepare(params, touch), now);
  }

  /** Binance's checks of one new order (an OCO checks each of its legs the same way); nothing is placed yet. */
  private prepare(params: Params, touch: Touch, listed = 0): Prepared {
    const spec = this.spec(params.symbol);
    const sideRaw = params.side;
    if (!sideRaw) throw BinanceErrors.mandatory("side");
    if (sideRaw !== "BUY" && sideRaw !== "SELL") throw BinanceErrors.invalidSide();
    const side: OrderSide = sideRaw;
    const type = params.type;
    if (!type) throw BinanceErrors.mandatory("type");
    const known = ["LIMIT", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT", "LIMIT_MAKER"];
    if (!known.includes(type)) throw BinanceErrors.invalidOrderType();
    if (!spec.orderTypes.has(type)) throw BinanceErrors.orderTypeNotSupported();
    if (spec.info.status !== "TRADING") throw BinanceErrors.newOrderRejected("Market is closed.");

    const clientOrderId = params.newClientOrderId ?? `bts${String(this.nextOrderId).padStart(19, "0")}`;
    if (!CLIENT_ID.test(clientOrderId)) throw BinanceErrors.illegalChars("newClientOrderId", CLIENT_ID_RANGE);
    const respType = params.newOrderRespType ?? (type === "MARKET" || type === "LIMIT" ? "FULL" : "ACK");
    if (!["ACK", "RESULT", "FULL"].includes(respType)) throw BinanceErrors.illegalChars("newOrderRespType");

    const isLimitKind = type === "LIMIT" || type === "LIMIT_MAKER" || type === "STOP_LOSS_LIMIT" || type === "TAKE_PROFIT_LIMIT";
    const needsTif = type === "LIMIT" || type === "STOP_LOSS_LIMIT" || type === "TAKE_PROFIT_LIMIT";
    const isStop = STOP_TYPES.has(type);

    const tif = params.timeInForce;
    if (needsTif) {
      if (!tif) throw BinanceErrors.mandatory("timeInForce");
      if (!["GTC", "IOC", "FOK"].includes(tif)) throw BinanceErrors.invalidTimeInForce();
    } else if (tif !== undefined) {
      throw BinanceErrors.notRequired("timeInForce");
    }
    const price = num(params, "price", isLimitKind);
    if (!isLimitKind && price !== null) throw BinanceErrors.notRequired("price");
    const stopPrice = num(params, "stopPrice", false);
    const trailingDelta = int(params, "trailingDelta");
    if (!isStop && stopPrice !== null) throw BinanceErrors.notRequired("stopPrice");
    if (!isStop && trailingDelta !== null) throw BinanceErrors.notRequired("trailingDelta");
    if (isStop && stopPrice === null && trailingDelta === null) throw BinanceErrors.eitherParam("stopPrice", "trailingDelta");
    const quoteOrderQty = num(params, "quoteOrderQty", false);
    if (quoteOrderQty !== null && type !== "MARKET") throw BinanceErrors.notRequired("quoteOrderQty");
    let quantity = num(params, "quantity", false);
    if (quantity !== null && quoteOrderQty !== null) throw BinanceErrors.unsupportedCombination();
    if (quantity === null && quoteOrderQty === null) {
      if (type === "MARKET") throw BinanceErrors.eitherParam("quantity", "quoteOrderQty");
      throw BinanceErrors.mandatory("quantity");
    }
    const icebergQty = num(params, "icebergQty", false) ?? ZERO;

    const f = spec.filters;
    const priceOk = (p: Decimal): boolean =>
      !(f.minPrice.greaterThan(0) && p.lessThan(f.minPrice)) &&
      !(f.maxPrice.greaterThan(0) && p.greaterThan(f.maxPrice)) &&
      (f.tickSize.isZero() || isMultipleOf(p.minus(f.minPrice), f.tickSize));
    if (price !== null && !priceOk(price)) throw BinanceErrors.filterFailure("PRICE_FILTER");
    if (stopPrice !== null && !priceOk(stopPrice)) throw BinanceErrors.filterFailure("PRICE_FILTER");

    // quoteOrderQty: the quantity the quote amount buys (or must sell) at the touch, down to the step.
    if (quantity === null && quoteOrderQty !== null) {
      const ref = side === "BUY" ? (touch.ask ?? touch.last) : (touch.bid ?? touch.last);
      if (ref === undefined || !(ref > 0)) throw BinanceErrors.newOrderRejected("Order would not execute: the market has no price yet.");
      quantity = roundToStep(quoteOrderQty.dividedBy(ref), f.stepSize, "down");
    }
    const qty = quantity!;
    if (
      qty.lessThan(f.minQty) ||
      (f.maxQty.greaterThan(0) && qty.greaterThan(f.maxQty)) ||
      (!f.stepSize.isZero() && !isMultipleOf(qty.minus(f.minQty), f.stepSize))
    ) {
      throw BinanceErrors.filterFailure("LOT_SIZE");
    }
    const isMarketKind = type === "MARKET" || type === "STOP_LOSS" || type === "TAKE_PROFIT";
    if (isMarketKind && f.marketMaxQty.greaterThan(0) && qty.greaterThan(f.marketMaxQty)) throw BinanceErrors.filterFailure("MARKET_LOT_SIZE");
    if (f.notional) {
      const ref = price ?? stopPrice ?? (touch.last !== undefined ? new Decimal(touch.last) : null);
      const checkMin = !isMarketKind || f.notional.applyMinToMarket;
      const checkMax = f.notional.max.greaterThan(0) && (!isMarketKind || f.notional.applyMaxToMarket);
      if (ref !== null) {
        const notional = ref.times(qty);
        if ((checkMin && notional.lessThan(f.notional.min)) || (checkMax && notional.greaterThan(f.notional.max)))
          throw BinanceErrors.filterFailure(f.notional.filterType);
      }
    }
    if (trailingDelta !== null) {
      const td = spec.info.filters.find((x) => x.filterType === "TRAILING_DELTA");
      const min = Number(td?.minTrailingBelowDelta ?? 10);
      const max = Number(td?.maxTrailingBelowDelta ?? 2000);
      if (trailingDelta < min || trailingDelta > max) throw BinanceErrors.filterFailure("TRAILING_DELTA");
      if (type === "STOP_LOSS_LIMIT" || type === "TAKE_PROFIT_LIMIT") throw BinanceErrors.unsupportedCombination();
    }
    // `listed`: orders of the same OCO already counted (an OCO adds two orders to MAX_NUM_ORDERS).
    const open = this.openMetas(spec.id);
    if (open.length + listed >= f.maxNumOrders) throw BinanceErrors.filterFailure("MAX_NUM_ORDERS");
    if (isStop && open.filter((m) => STOP_TYPES.has(m.type)).length >= f.maxNumAlgoOrders) {
      throw BinanceErrors.filterFailure("MAX_NUM_ALGO_ORDERS");
    }
    const previous = this.latestKey.get(clientOrderId);
    const previousMeta = previous === undefined ? undefined : this.metas.get(previous);
    if (previousMeta && (this.reuse === "never" || this.isOpen(previousMeta, this.view(previousMeta.key)))) throw BinanceErrors.duplicateOrder();
    let key = clientOrderId;
    // A reused id gets its own key in the simulator (valid characters, never one already used).
    for (let n = this.nextOrderId; previousMeta && (this.venue.order(key) || this.held.has(key)); n++) key = `:reuse:${n}`;
    // An OCO's legs are judged against the last price together (the list's price relationship) instead.
    if (listed === 0 && isStop && stopPrice !== null && trailingDelta === null && touch.last !== undefined) {
      const last = new Decimal(touch.last);
      const isLoss = type === "STOP_LOSS" || type === "STOP_LOSS_LIMIT";
      const wouldTrigger = isLoss === (side === "SELL") ? stopPrice.greaterThanOrEqualTo(last) : stopPrice.lessThanOrEqualTo(last);
      if (wouldTrigger) throw BinanceErrors.stopWouldTrigger();
    }
    const stp =
      params.selfTradePreventionMode ?? (typeof spec.info.defaultSelfTradePreventionMode === "string" ? spec.info.defaultSelfTradePreventionMode : "NONE");
    return { spec, side, type, tif, qty, price, stopPrice, trailingDelta, icebergQty, quoteOrderQty, clientOrderId, key, respType, isStop, stp };
  }

  /** Places a prepared order on the simulator (or, an OCO's stop leg, holds it off the book: `hold`). */
  private place(p: Prepared, now: number, list?: { orderListId: number; hold: boolean }): Record<string, unknown> {
    const { spec, side, type, tif, qty, price, stopPrice, trailingDelta, icebergQty, quoteOrderQty, clientOrderId, key, respType, isStop } = p;
    const orderSpec = this.toSpec({ clientOrderId: key, spec, side, type, tif, qty, price, stopPrice, trailingDelta });
    if (list?.hold) this.held.set(key, orderSpec);
    const events = list?.hold ? [] : this.venue.submit(orderSpec, now);
    const rejection = events.find((e) => e.clientOrderId === key && e.event.type === "reject");
    if (rejection && rejection.event.type === "reject") throw this.rejectionError(rejection.event.reason);

    const orderId = this.nextOrderId++;
    const meta: OrderMeta = {
      orderId,
      clientOrderId,
      key,
      spec,
      type,
      side,
      timeInForce: tif ?? "GTC",
      price: price ?? ZERO,
      stopPrice: stopPrice ?? ZERO,
      trailingDelta,
      icebergQty,
      origQuoteOrderQty: quoteOrderQty ?? ZERO,
      stp: p.stp,
      time: now,
      updateTime: now,
      workingTime: isStop ? -1 : now,
      forcedStatus: null,
      orderListId: list?.orderListId ?? -1,
    };
    this.metas.set(key, meta);
    this.byOrderId.set(orderId, key);
    this.latestKey.set(clientOrderId, key);
    const tradesBefore = this.trades.length;
    this.apply(events);
    // Binance never parks a MARKET order: what the book could not fill expires at once.
    if (type === "MARKET" && this.venue.openOrders().some((o) => o.clientOrderId === key)) {
      this.apply(this.venue.cancel(key, now));
      meta.forcedStatus = "EXPIRED";
    }
    this.updateTime = now;
    const fills = this.trades.slice(tradesBefore).filter((t) => t.orderId === orderId);

    if (respType === "ACK") return { symbol: spec.id, orderId, orderListId: meta.orderListId, clientOrderId, transactTime: now };
    const view = this.view(key);
    const body: Record<string, unknown> = {
      symbol: spec.id,
      orderId,
      orderListId: meta.orderListId,
      clientOrderId,
      transactTime: now,
      price: fmt(meta.price),
      origQty: fmt(view.quantity),
      executedQty: fmt(view.filledQty),
      origQuoteOrderQty: fmt(meta.origQuoteOrderQty),
      cummulativeQuoteQty: fmt(this.quoteQty(view)),
      status: this.status(meta, view),
      timeInForce: meta.timeInForce,
      type,
      side,
      workingTime: meta.workingTime,
    };
    if (isStop) body.stopPrice = fmt(meta.stopPrice);
    if (trailingDelta !== null) body.trailingDelta = trailingDelta;
    if (icebergQty.greaterThan(0)) body.icebergQty = fmt(icebergQty);
    if (respType === "FULL") {
      body.fills = fills.map((t) => ({
        price: fmt(t.price),
        qty: fmt(t.qty),
        commission: fmt(t.commission),
        commissionAsset: t.commissionAsset,
        tradeId: t.id,
      }));
    }
    body.selfTradePreventionMode = meta.stp;
    return body;
  }

  private toSpec(o: {
    clientOrderId: string;
    spec: SymbolSpec;
    side: OrderSide;
    type: string;
    tif: string | undefined;
    qty: Decimal;
    price: Decimal | null;
    stopPrice: Decimal | null;
    trailingDelta: number | null;
  }): OrderSpec {
    const base: OrderSpec = { clientOrderId: o.clientOrderId, symbol: o.spec.symbol, side: o.side, type: "MARKET", quantity: o.qty };
    const tif = (o.tif ?? "GTC") as TimeInForce;
    const byType: Record<string, OrderType> = {
      MARKET: "MARKET",
      LIMIT: "LIMIT",
      LIMIT_MAKER: "LIMIT",
      STOP_LOSS: "STOP_MARKET",
      STOP_LOSS_LIMIT: "STOP_LIMIT",
      TAKE_PROFIT: "TAKE_PROFIT_MARKET",
      TAKE_PROFIT_LIMIT: "TAKE_PROFIT_LIMIT",
    };
    const spec: OrderSpec = { ...base, type: byType[o.type]! };
    if (o.price !== null) spec.price = o.price;
    if (o.type === "LIMIT" || o.type === "STOP_LOSS_LIMIT" || o.type === "TAKE_PROFIT_LIMIT") spec.timeInForce = tif;
    if (o.type === "LIMIT_MAKER") spec.postOnly = true;
    if (o.trailingDelta !== null) {
      spec.type = "TRAILING_STOP_MARKET";
      spec.trailingOffset = o.trailingDelta;
      spec.trailingOffsetType = "BASIS_POINTS";
      if (o.stopPrice !== null) spec.activationPrice = o.stopPrice;
    } else if (o.stopPrice !== null) {
      spec.triggerPrice = o.stopPrice;
    }
    return spec;
  }

  private rejectionError(reason: string): BinanceApiError {
    const code = reason.split(":")[0] ?? "";
    switch (code) {
      case "INSUFFICIENT_BALANCE":
        return BinanceErrors.insufficientBalance();
      case "DUPLICATE_CLIENT_ORDER_ID":
        return BinanceErrors.duplicateOrder();
      case "POST_ONLY_WOULD_TAKE":
        return BinanceErrors.wouldTake();
      case "QTY_PRECISION":
      case "MIN_QUANTITY":
      case "MAX_QUANTITY":
        return BinanceErrors.filterFailure("LOT_SIZE");
      case "PRICE_PRECISION":
        return BinanceErrors.filterFailure("PRICE_FILTER");
      case "MIN_NOTIONAL":
      case "MAX_NOTIONAL":
        return BinanceErrors.filterFailure("NOTIONAL");
      case "NO_MARKET_PRICE":
        return BinanceErrors.newOrderRejected("Order would not execute: the market has no price yet.");
      default:
        return BinanceErrors.newOrderRejected(reason);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Views

  private view(key: string): SimOrderView {
    const held = this.held.get(key);
    if (held) return heldView(held);
    const view = this.venue.order(key);
    if (!view) throw BinanceErrors.unknown(`order ${key} is missing from the simulator`);
    return view;
  }

  private quoteQty(view: SimOrderView): Decimal {
    return view.avgFillPrice === null ? ZERO : view.avgFillPrice.times(view.filledQty);
  }

  private status(meta: OrderMeta, view: SimOrderView): string {
    if (meta.forcedStatus) return meta.forcedStatus;
    // An OTO's pending order before its working order has filled in full.
    if (this.held.has(meta.key) && this.lists.get(meta.orderListId)?.contingencyType === "OTO") return "PENDING_NEW";
    switch (view.status) {
      case "PARTIALLY_FILLED":
      case "FILLED":
      case "EXPIRED":
      case "REJECTED":
        return view.status;
      case "CANCELED": {
        const reason = view.reason ?? "";
        return reason.startsWith("IOC:") || reason.startsWith("FOK:") || reason.startsWith("INSUFFICIENT_BALANCE") ? "EXPIRED" : "CANCELED";
      }
      default:
        return "NEW";
    }
  }

  private isOpen(meta: OrderMeta, view: SimOrderView): boolean {
    const s = this.status(meta, view);
    return s === "NEW" || s === "PARTIALLY_FILLED" || s === "PENDING_NEW";
  }

  /** GET /api/v3/order and openOrders entries. */
  private orderBody(meta: OrderMeta): Record<string, unknown> {
    const view = this.view(meta.key);
    return {
      symbol: meta.spec.id,
      orderId: meta.orderId,
      orderListId: meta.orderListId,
      clientOrderId: meta.clientOrderId,
      price: fmt(meta.price),
      origQty: fmt(view.quantity),
      executedQty: fmt(view.filledQty),
      cummulativeQuoteQty: fmt(this.quoteQty(view)),
      status: this.status(meta, view),
      timeInForce: meta.timeInForce,
      type: meta.type,
      side: meta.side,
      stopPrice: fmt(meta.stopPrice),
      ...(meta.trailingDelta !== null ? { trailingDelta: meta.trailingDelta } : {}),
      icebergQty: fmt(meta.icebergQty),
      time: meta.time,
      updateTime: meta.updateTime,
      isWorking: meta.workingTime >= 0,
      workingTime: meta.workingTime,
      origQuoteOrderQty: fmt(meta.origQuoteOrderQty),
      selfTradePreventionMode: meta.stp,
    };
  }

  private cancelBody(meta: OrderMeta, cancelId: string, now: number): Record<string, unknown> {
    const view = this.view(meta.key);
    const body: Record<string, unknown> = {
      symbol: meta.spec.id,
      origClientOrderId: meta.clientOrderId,
      orderId: meta.orderId,
      orderListId: meta.orderListId,
      clientOrderId: cancelId,
      transactTime: now,
      price: fmt(meta.price),
      origQty: fmt(view.quantity),
      executedQty: fmt(view.filledQty),
      origQuoteOrderQty: fmt(meta.origQuoteOrderQty),
      cummulativeQuoteQty: fmt(this.quoteQty(view)),
      status: this.status(meta, view),
      timeInForce: meta.timeInForce,
      type: meta.type,
      side: meta.side,
    };
    if (STOP_TYPES.has(meta.type)) body.stopPrice = fmt(meta.stopPrice);
    if (meta.trailingDelta !== null) body.trailingDelta = meta.trailingDelta;
    body.selfTradePreventionMode = meta.stp;
    return body;
  }

  /** The order a request names by orderId or origClientOrderId, on that symbol; undefined when none. */
  private find(spec: SymbolSpec, params: Params): OrderMeta | undefined {
    const orderId = int(params, "orderId");
    const orig = params.origClientOrderId;
    if (orderId === null && (orig === undefined || orig === "")) throw BinanceErrors.eitherParam("origClientOrderId", "orderId");
    const key = orderId !== null ? this.byOrderId.get(orderId) : this.latestKey.get(orig!);
    const meta = key === undefined ? undefined : this.metas.get(key);
    if (!meta || meta.spec.id !== spec.id) return undefined;
    if (orderId !== null && orig !== undefined && orig !== "" && meta.clientOrderId !== orig) return undefined;
    return meta;
  }

  // -------------------------------------------------------------------------------------------
  // Queries and cancels

  getOrder(params: Params): Record<string, unknown> {
    const spec = this.spec(params.symbol);
    const meta = this.find(spec, params);
    if (!meta) throw BinanceErrors.orderDoesNotExist();
    return this.orderBody(meta);
  }

  cancelOrder(params: Params, now: number): Record<string, unknown> {
    const spec = this.spec(params.symbol);
    const meta = this.find(spec, params);
    if (!meta || !this.isOpen(meta, this.view(meta.key))) throw BinanceErrors.unknownOrderOnCancel();
    const cancelId = params.newClientOrderId ?? this.newCancelId();
    // "Canceling an individual order from an order list will cancel the entire order list." (Binance, DELETE /api/v3/orderList)
    const list = this.lists.get(meta.orderListId);
    if (list) this.endList(list, "CANCELED", now);
    else this.cancelLeg(meta, "CANCELED", now);
    this.updateTime = now;
    return this.cancelBody(meta, cancelId, now);
  }

  /** Ends one open order: canceled on the simulator, or (a held OCO stop leg) marked ended off the book. */
  private cancelLeg(meta: OrderMeta, status: "CANCELED" | "EXPIRED", now: number): void {
    if (!this.isOpen(meta, this.view(meta.key))) return;
    if (this.held.has(meta.key)) meta.forcedStatus = status;
    else {
      this.apply(this.venue.cancel(meta.key, now));
      if (status === "EXPIRED") meta.forcedStatus = status;
    }
    meta.updateTime = now;
  }

  cancelOpenOrders(params: Params, now: number): Record<string, unknown>[] {
    const spec = this.spec(params.symbol);
    const open = this.openMetas(spec.id);
    if (open.length === 0) throw BinanceErrors.unknownOrderOnCancel();
    this.apply(this.venue.cancelAll(spec.symbol, now));
    for (const meta of open) if (this.held.has(meta.key)) meta.forcedStatus = "CANCELED";
    for (const list of this.lists.values()) if (list.symbolId === spec.id) list.status = "ALL_DONE";
    this.updateTime = now;
    return open.map((meta) => {
      meta.updateTime = now;
      return this.cancelBody(meta, this.newCancelId(), now);
    });
  }

  // -------------------------------------------------------------------------------------------
  // OCO order lists: POST /api/v3/orderList/oco, GET and DELETE /api/v3/orderList.
  // Binance's rules (binance-spot-api-docs rest-api.md "New Order list - OCO (TRADE)", errors.md, faqs/spot_glossary.md):
  // - one leg LIMIT_MAKER, the other STOP_LOSS or STOP_LOSS_LIMIT (TAKE_PROFIT legs are real on Binance but not
  //   implemented here: -1020); a SELL has the LIMIT_MAKER above (-1166) and the stop below (-1197), a BUY the mirror
  //   (-1165, -1196);
  // - prices: SELL limit price > last traded price > stopPrice, BUY limit price < last < stopPrice, else -2010 "The
  //   relationship of the prices for the orders is not correct.";
  // - each leg passes the filters of a single order; an OCO adds 2 orders to MAX_NUM_ORDERS;
  // - "if one of the orders execute, the other is automatically expired" (any fill of the LIMIT_MAKER, or the stop
  //   triggering); canceling one order of a list cancels the whole list.

  newOcoList(params: Params, now: number, touch: Touch): Record<string, unknown> {
    const spec = this.spec(params.symbol);
    if (spec.info.ocoAllowed === false) throw BinanceErrors.newOrderRejected("OCO orders are not supported for this symbol");
    const side = params.side;
    if (!side) throw BinanceErrors.mandatory("side");
    if (side !== "BUY" && side !== "SELL") throw BinanceErrors.invalidSide();
    if (params.quantity === undefined) throw BinanceErrors.mandatory("quantity");
    for (const name of ["aboveType", "belowType"]) {
      const t = params[name];
      if (!t) throw BinanceErrors.mandatory(name);
      if (!OCO_TYPES.has(t)) throw BinanceErrors.ocoTypeRejected();
      if (t.startsWith("TAKE_PROFIT")) throw BinanceErrors.unsupportedOperation();
    }
    for (const name of ["aboveTrailingDelta", "belowTrailingDelta", "aboveIcebergQty", "belowIcebergQty"])
      if (params[name] !== undefined) throw BinanceErrors.unsupportedOperation();
    const above = params.aboveType!;
    const below = params.belowType!;
    if (above === "LIMIT_MAKER" && below === "LIMIT_MAKER") throw BinanceErrors.bothOcoLimit();
    if (side === "SELL" && above !== "LIMIT_MAKER") throw BinanceErrors.sellOcoLimitAbove();
    if (side === "SELL" && !below.startsWith("STOP_LOSS")) throw BinanceErrors.sellOcoStopBelow();
    if (side === "BUY" && below !== "LIMIT_MAKER") throw BinanceErrors.buyOcoLimitBelow();
    if (side === "BUY" && !above.startsWith("STOP_LOSS")) throw BinanceErrors.buyOcoStopAbove();
    const leg = (prefix: "above" | "below"): Params => {
      const out: Params = { symbol: spec.id, side, type: params[`${prefix}Type`]!, quantity: params.quantity!, newOrderRespType: "RESULT" };
      for (const [from, to] of [
        ["Price", "price"],
        ["StopPrice", "stopPrice"],
        ["TimeInForce", "timeInForce"],
        ["ClientOrderId", "newClientOrderId"],
      ] as const) {
        const value = params[`${prefix}${from}`];
        if (value !== undefined) out[to] = value;
      }
      if (params.selfTradePreventionMode !== undefined) out.selfTradePreventionMode = params.selfTradePreventionMode;
      // Generated ids, one per leg (the single-order default would give both legs the same one).
      out.newClientOrderId ??= `bts${String(this.nextOrderId + (prefix === "above" ? 0 : 1)).padStart(19, "0")}`;
      return out;
    };
    const limitPrefix = side === "SELL" ? "above" : "below";
    const stopPrefix = side === "SELL" ? "below" : "above";
    const limitLeg = this.prepare(leg(limitPrefix), touch, 1);
    const stopLeg = this.prepare(leg(stopPrefix), touch, 1);
    if (limitLeg.clientOrderId === stopLeg.clientOrderId) throw BinanceErrors.duplicateOrder();
    const last = touch.last ?? (touch.bid !== undefined && touch.ask !== undefined ? (touch.bid + touch.ask) / 2 : undefined);
    if (last === undefined) throw BinanceErrors.newOrderRejected("Order would not execute: the market has no price yet.");
    const limitPrice = limitLeg.price!;
    const stopPrice = stopLeg.stopPrice!;
    const ordered = side === "SELL" ? limitPrice.greaterThan(last) && stopPrice.lessThan(last) : limitPrice.lessThan(last) && stopPrice.greaterThan(last);
    if (!ordered) throw BinanceErrors.newOrderRejected("The relationship of the prices for the orders is not correct.");
    const listClientOrderId = params.listClientOrderId ?? `bto${String(this.nextOrderListId).padStart(19, "0")}`;
    if (!CLIENT_ID.test(listClientOrderId)) throw BinanceErrors.illegalChars("listClientOrderId", CLIENT_ID_RANGE);
    for (const list of this.lists.values())
      if (list.listClientOrderId === listClientOrderId && list.status === "EXECUTING") throw BinanceErrors.duplicateOrder();

    const orderListId = this.nextOrderListId++;
    // The LIMIT_MAKER first: a refusal (balance, would take) leaves nothing placed.
    const limitBody = this.place(limitLeg, now, { orderListId, hold: false });
    const stopBody = this.place(stopLeg, now, { orderListId, hold: true });
    const list: OrderListMeta = {
      orderListId,
      contingencyType: "OCO",
      listClientOrderId,
      symbolId: spec.id,
      limitKey: limitLeg.key,
      stopKey: stopLeg.key,
      status: "EXECUTING",
      transactionTime: now,
    };
    this.lists.set(orderListId, list);
    const reports = side === "SELL" ? [stopBody, limitBody] : [limitBody, stopBody];
    this.reactLists(null, now); // the LIMIT_MAKER cannot have filled (it would have taken), kept for symmetry
    return {
      ...this.listBody(list),
      orderReports:
        params.newOrderRespType === "ACK"
          ? reports.map(({ symbol, orderId, orderListId: id, clientOrderId, transactTime }) => ({
              symbol,
              orderId,
              orderListId: id,
              clientOrderId,
              transactTime,
            }))
          : reports,
    };
  }

  // -------------------------------------------------------------------------------------------
  // OTO order lists: POST /api/v3/orderList/oto (binance-spot-api-docs rest-api.md "New Order list - OTO (TRADE)"):
  // - the working order is LIMIT or LIMIT_MAKER and goes on the book at once; the pending order (any type) waits, shown
  //   as PENDING_NEW, and is placed only when the working order is FULLY filled (a partial fill does not place it);
  // - the answer may show the working order FILLED and the pending one still PENDING_NEW;
  // - canceling either order cancels the list; a working order that expires expires the pending one;
  // - an OTO adds 2 orders to MAX_NUM_ORDERS.
  // Here the pending order holds no balance until placed, and the list stays EXECUTING until the pending order ends.
  // The code for a working type other than LIMIT / LIMIT_MAKER is not documented; -1116 "Invalid orderType." is used.

  newOtoList(params: Params, now: number, touch: Touch): Record<string, unknown> {
    const spec = this.spec(params.symbol);
    if (spec.info.otoAllowed === false) throw BinanceErrors.newOrderRejected("OTO orders are not supported for this symbol");
    for (const name of ["workingType", "workingSide", "workingPrice", "workingQuantity", "pendingType", "pendingSide", "pendingQuantity"])
      if (params[name] === undefined || params[name] === "") throw BinanceErrors.mandatory(name);
    if (params.workingType !== "LIMIT" && params.workingType !== "LIMIT_MAKER") throw BinanceErrors.invalidOrderType();
    const leg = (prefix: "working" | "pending", n: number): Params => {
      const out: Params = { symbol: spec.id, side: params[`${prefix}Side`]!, type: params[`${prefix}Type`]!, newOrderRespType: "RESULT" };
      for (const [from, to] of [
        ["Quantity", "quantity"],
        ["Price", "price"],
        ["StopPrice", "stopPrice"],
        ["TrailingDelta", "trailingDelta"],
        ["IcebergQty", "icebergQty"],
        ["TimeInForce", "timeInForce"],
        ["ClientOrderId", "newClientOrderId"],
      ] as const) {
        const value = params[`${prefix}${from}`];
        if (value !== undefined) out[to] = value;
      }
      if (params.selfTradePreventionMode !== undefined) out.selfTradePreventionMode = params.selfTradePreventionMode;
      out.newClientOrderId ??= `bts${String(this.nextOrderId + n).padStart(19, "0")}`;
      return out;
    };
    const workingLeg = this.prepare(leg("working", 0), touch, 1);
    const pendingLeg = this.prepare(leg("pending", 1), touch, 1);
    if (workingLeg.clientOrderId === pendingLeg.clientOrderId) throw BinanceErrors.duplicateOrder();
    const listClientOrderId = params.listClientOrderId ?? `bto${String(this.nextOrderListId).padStart(19, "0")}`;
    if (!CLIENT_ID.test(listClientOrderId)) throw BinanceErrors.illegalChars("listClientOrderId", CLIENT_ID_RANGE);
    for (const list of this.lists.values())
      if (list.listClientOrderId === listClientOrderId && list.status === "EXECUTING") throw BinanceErrors.duplicateOrder();

    const orderListId = this.nextOrderListId++;
    // The working order first: a refusal (balance, would take) leaves nothing placed.
    const workingBody = this.place(workingLeg, now, { orderListId, hold: false });
    const list: OrderListMeta = {
      orderListId,
      contingencyType: "OTO",
      listClientOrderId,
      symbolId: spec.id,
      limitKey: workingLeg.key,
      stopKey: pendingLeg.key,
      status: "EXECUTING",
      transactionTime: now,
    };
    this.lists.set(orderListId, list);
    const pendingBody = this.place(pendingLeg, now, { orderListId, hold: true });
    this.metas.get(pendingLeg.key)!.workingTime = -1;
    if (pendingBody.workingTime !== undefined) pendingBody.workingTime = -1;
    const reports = [workingBody, pendingBody];
    // After the answer is built, as on Binance: a working order that filled at once places the pending one now.
    this.reactLists(null, now);
    return {
      ...this.listBody(list),
      orderReports:
        params.newOrderRespType === "ACK"
          ? reports.map(({ symbol, orderId, orderListId: id, clientOrderId, transactTime }) => ({
              symbol,
              orderId,
              orderListId: id,
              clientOrderId,
              transactTime,
            }))
          : reports,
    };
  }

  /** An OTO after market data (or its placement): the working order filled in full places the pending one. */
  private reactOto(list: OrderListMeta, now: number): void {
    const working = this.metas.get(list.limitKey)!;
    const pending = this.metas.get(list.stopKey)!;
    const held = this.held.get(pending.key);
    if (!held) {
      if (!this.isOpen(pending, this.view(pending.key))) list.status = "ALL_DONE";
      return;
    }
    if (pending.forcedStatus !== null) {
      list.status = "ALL_DONE";
      return;
    }
    const view = this.view(working.key);
    if (view.status === "FILLED") {
      this.held.delete(pending.key);
      pending.updateTime = now;
      if (!STOP_TYPES.has(pending.type)) pending.workingTime = now;
      this.apply(this.venue.submit(held, now));
      // Binance never parks a MARKET order: what the book could not fill expires at once.
      if (pending.type === "MARKET" && this.venue.openOrders().some((o) => o.clientOrderId === pending.key)) {
        this.apply(this.venue.cancel(pending.key, now));
        pending.forcedStatus = "EXPIRED";
      }
      if (!this.isOpen(pending, this.view(pending.key))) list.status = "ALL_DONE";
      return;
    }
    if (!this.isOpen(working, view)) {
      this.cancelLeg(pending, "EXPIRED", now);
      list.status = "ALL_DONE";
    }
  }

  private listBody(list: OrderListMeta): Record<string, unknown> {
    const legs = [this.metas.get(list.stopKey)!, this.metas.get(list.limitKey)!].sort((a, b) => a.orderId - b.orderId);
    return {
      orderListId: list.orderListId,
      contingencyType: list.contingencyType,
      listStatusType: list.status === "EXECUTING" ? "EXEC_STARTED" : "ALL_DONE",
      listOrderStatus: list.status,
      listClientOrderId: list.listClientOrderId,
      transactionTime: list.transactionTime,
      symbol: list.symbolId,
      orders: legs.map((m) => ({ symbol: m.spec.id, orderId: m.orderId, clientOrderId: m.clientOrderId })),
    };
  }

  /** After market data (or a placement): a LIMIT_MAKER that executed expires its stop; a stop that triggers expires the LIMIT_MAKER. */
  private reactLists(update: MarketUpdate | null, now: number): void {
    for (const list of this.lists.values()) {
      if (list.status !== "EXECUTING") continue;
      if (list.contingencyType === "OTO") {
        this.reactOto(list, now);
        continue;
      }
      const limit = this.metas.get(list.limitKey)!;
      const stop = this.metas.get(list.stopKey)!;
      if (!this.held.has(stop.key)) continue;
      if (this.view(limit.key).filledQty.greaterThan(0)) {
        this.cancelLeg(stop, "EXPIRED", now);
        list.status = "ALL_DONE";
        continue;
      }
      if (!this.isOpen(limit, this.view(limit.key))) {
        this.endList(list, "EXPIRED", now);
        continue;
      }
      if (!update || update.symbol !== limit.spec.symbol) continue;
      const extreme = update.kind === "trade" ? update.price : update.kind === "candle" ? (stop.side === "SELL" ? update.low : update.high) : null;
      if (extreme === null) continue;
      const fires = stop.side === "SELL" ? stop.stopPrice.greaterThanOrEqualTo(extreme) : stop.stopPrice.lessThanOrEqualTo(extreme);
      if (!fires) continue;
      this.cancelLeg(limit, "EXPIRED", now);
      const spec = this.held.get(stop.key)!;
      this.held.delete(stop.key);
      stop.workingTime = now;
      stop.updateTime = now;
      // On the simulator the stop finds its trigger already reached and fires at once.
      this.apply(this.venue.submit(spec, now));
      list.status = "ALL_DONE";
    }
  }

  /** Ends every open leg of a list (a cancel of the list or of one of its orders). */
  private endList(list: OrderListMeta, status: "CANCELED" | "EXPIRED", now: number): void {
    for (const key of [list.limitKey, list.stopKey]) this.cancelLeg(this.metas.get(key)!, status, now);
    list.status = "ALL_DONE";
  }

  private findList(params: Params, idParam: "origClientOrderId" | "listClientOrderId"): OrderListMeta | undefined {
    const id = int(params, "orderListId");
    const clientId = params[idParam];
    if (id === null && (clientId === undefined || clientId === "")) throw BinanceErrors.eitherParam("orderListId", idParam);
    const lists = [...this.lists.values()].reverse();
    const list = id !== null ? this.lists.get(id) : lists.find((l) => l.listClientOrderId === clientId);
    if (list && id !== null && clientId !== undefined && clientId !== "" && list.listClientOrderId !== clientId) return undefined;
    return list;
  }

  getOrderList(params: Params): Record<string, unknown> {
    const list = this.findList(params, "origClientOrderId");
    if (!list) throw BinanceErrors.orderListDoesNotExist();
    return this.listBody(list);
  }

  cancelOrderList(params: Params, now: number): Record<string, unknown> {
    const spec = this.spec(params.symbol);
    const list = this.findList(params, "listClientOrderId");
    if (!list || list.symbolId !== spec.id || list.status !== "EXECUTING") throw BinanceErrors.unknownOrderListOnCancel();
    this.endList(list, "CANCELED", now);
    this.updateTime = now;
    const reports = [list.stopKey, list.limitKey].map((key) => this.cancelBody(this.metas.get(key)!, this.newCancelId(), now));
    return { ...this.listBody(list), orderReports: reports };
  }

  private openMetas(symbolId?: string): OrderMeta[] {
    const out: OrderMeta[] = [];
    const keys = [...this.venue.openOrders().map((v) => v.clientOrderId), ...[...this.held.keys()].filter((k) => this.metas.get(k)?.forcedStatus === null)];
    for (const key of keys) {
      const meta = this.metas.get(key);
      if (meta && (symbolId === undefined || meta.spec.id === symbolId)) out.push(meta);
    }
    return out.sort((a, b) => a.orderId - b.orderId);
  }

  openOrders(params: Params): Record<string, unknown>[] {
    const symbolId = params.symbol;
    if (symbolId !== undefined) this.spec(symbolId);
    return this.openMetas(symbolId).map((meta) => this.orderBody(meta));
  }

  openOrderCount(symbolId?: string): number {
    return this.openMetas(symbolId).length;
  }

  myTrades(params: Params): Record<string, unknown>[] {
    const spec = this.spec(params.symbol);
    const orderId = int(params, "orderId");
    const startTime = int(params, "startTime");
    const endTime = int(params, "endTime");
    const fromId = int(params, "fromId");
    const limit = Math.min(int(params, "limit") ?? 500, 1000);
    if (fromId !== null && (startTime !== null || endTime !== null)) throw BinanceErrors.unsupportedCombination();
    let list = this.trades.filter((t) => t.symbolId === spec.id);
    if (orderId !== null) list = list.filter((t) => t.orderId === orderId);
    if (fromId !== null) list = list.filter((t) => t.id >= fromId);
    if (startTime !== null) list = list.filter((t) => t.time >= startTime);
    if (endTime !== null) list = list.filter((t) => t.time <= endTime);
    const picked = fromId !== null || startTime !== null ? list.slice(0, limit) : list.slice(-limit);
    return picked.map((t) => ({
      symbol: t.symbolId,
      id: t.id,
      orderId: t.orderId,
      orderListId: -1,
      price: fmt(t.price),
      qty: fmt(t.qty),
      quoteQty: fmt(t.price.times(t.qty)),
      commission: fmt(t.commission),
      commissionAsset: t.commissionAsset,
      time: t.time,
      isBuyer: t.isBuyer,
      isMaker: t.isMaker,
      isBestMatch: true,
    }));
  }

  /** Every order placed so far (oldest first), with its status and executed quantity. */
  allOrders(): AccountOrder[] {
    return [...this.metas.values()]
      .sort((a, b) => a.orderId - b.orderId)
      .map((meta) => {
        const view = this.view(meta.key);
        return {
          orderId: meta.orderId,
          clientOrderId: meta.clientOrderId,
          symbolId: meta.spec.id,
          side: meta.side,
          type: meta.type,
          status: this.status(meta, view),
          origQty: view.quantity,
          executedQty: view.filledQty,
          time: meta.time,
        };
      });
  }

  /** Every fill so far (newest last), for tests and the admin endpoint. */
  allTrades(): readonly AccountTrade[] {
    return this.trades;
  }

  account(params: Params): Record<string, unknown> {
    const makerFee = this.makerFee;
    const takerFee = this.takerFee;
    const omitZero = params.omitZeroBalances === "true";
    const balances = Object.entries(this.venue.balances())
      .filter(([, b]) => !omitZero || !b.total.isZero())
      .map(([asset, b]) => ({ asset, free: fmt(b.free), locked: fmt(b.reserved) }));
    const bps = (rate: string): number => Number(D(rate).times(10_000).toFixed(0));
    return {
      makerCommission: bps(makerFee),
      takerCommission: bps(takerFee),
      buyerCommission: 0,
      sellerCommission: 0,
      commissionRates: { maker: fmt(D(makerFee)), taker: fmt(D(takerFee)), buyer: fmt(ZERO), seller: fmt(ZERO) },
      canTrade: true,
      canWithdraw: false,
      canDeposit: false,
      brokered: false,
      requireSelfTradePrevention: false,
      preventSor: false,
      updateTime: this.updateTime,
      accountType: "SPOT",
      balances,
      permissions: ["SPOT"],
      uid: 100000001,
    };
  }
}

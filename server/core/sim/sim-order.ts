/**
 * The matching engine's working records: one order as the venue holds it (SimOrder), one symbol's market state and
 * lists (SymbolState), requests in flight, a fill as emitted and logged (FillEvent), and the small helpers every room of
 * the simulator shares. Internal to core/sim: the outside sees SimOrderView (a copy) and SimOrderRecord (the snapshot form).
 */
import type { Instrument } from "../instrument";
import { Decimal, ONE, sub, timesCompact, ZERO } from "../money";
import type { BookLevel } from "../market-data";
import type { OrderChanges } from "../orders/events";
import type { OrderSide, OrderSpec, OrderStatus, OrderType, TimeInForce, TrailingState, TriggerSource } from "../orders/types";
import type { Liquidity } from "./commission";
import type { OrderPhase, SimFill } from "./snapshot";
import { RollingVolatility } from "./volatility";

/** The venue's view of one order. */
export interface SimOrderView {
  clientOrderId: string;
  venueOrderId: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  timeInForce: TimeInForce;
  status: OrderStatus;
  quantity: Decimal;
  filledQty: Decimal;
  remainingQty: Decimal;
  price: Decimal | null;
  triggerPrice: Decimal | null;
  triggered: boolean;
  avgFillPrice: Decimal | null;
  feesPaid: Decimal;
  reservedCurrency: string;
  reserved: Decimal;
  sentAt: number;
  acceptedAt: number | null;
  reason: string | null;
}

export interface SimOrder {
  seq: number;
  clientOrderId: string;
  venueOrderId: string;
  instrument: Instrument;
  side: OrderSide;
  type: OrderType;
  tif: TimeInForce;
  postOnly: boolean;
  quantity: Decimal;
  filled: Decimal;
  limitPrice: Decimal | null;
  limitNum: number;
  triggerPrice: Decimal | null;
  triggerNum: number;
  triggerSource: TriggerSource;
  trailing: TrailingState | null;
  expireAt: number | null;
  triggered: boolean;
  /** Where it is: being placed (in no list), watching its trigger, waiting for a print, resting, or finished. */
  phase: OrderPhase;
  status: OrderStatus;
  reserveCurrency: string;
  reservePerUnit: Decimal;
  reserved: Decimal;
  /**
   * What the fills cost in quote, kept as a sum from a second fill on (or as restored); null while the order has at most
   * one fill, whose cost is its quantity × firstFillPrice (filledNotionalOf): the simulator keeps every order for the
   * run, and most fill once, so most keep no Decimal of their own here.
   */
  filledNotional: Decimal | null;
  firstFillPrice: Decimal | null;
  fees: Decimal;
  sentAt: number;
  acceptedAt: number | null;
  reason: string | null;
  /** When the order entered its current list (book side, triggers, waiting) and the open set: a venue-wide counter. */
  listRank: number;
  openRank: number;
  /** Book fidelity (book-fidelity.ts): the recorded quantity still queued ahead of this resting limit; null = not tracked. */
  queueAhead: Decimal | null;
}

export interface Level {
  price: number;
  priceDec: Decimal;
  size: Decimal;
}

export interface SymbolState {
  instrument: Instrument;
  bid: number | undefined;
  ask: number | undefined;
  bidSize: number | undefined;
  askSize: number | undefined;
  last: number | undefined;
  mark: number | undefined;
  /** Set while the last touch came from a book snapshot (levels with what is left of them). */
  bookBids: Level[] | null;
  bookAsks: Level[] | null;
  /** Book fidelity only (book-fidelity.ts): the last snapshot as recorded, and what our fills took per price level. */
  rawBids: BookLevel[] | null;
  rawAsks: BookLevel[] | null;
  consumed: { bids: Map<number, Decimal>; asks: Map<number, Decimal> };
  /** Resting buy limits, best (highest) price first, then time. */
  buys: SimOrder[];
  /** Resting sell limits, best (lowest) price first, then time. */
  sells: SimOrder[];
  /** Trigger orders not yet triggered, in arrival order. */
  triggers: SimOrder[];
  /** Orders waiting for the next print (no touch to execute against). */
  waiting: SimOrder[];
  volatility: RollingVolatility | null;
}

export type Request =
  | { kind: "submit"; arrival: number; spec: OrderSpec; sentAt: number }
  | { kind: "cancel"; arrival: number; clientOrderId: string }
  | { kind: "cancelAll"; arrival: number; symbol: string | undefined }
  | { kind: "modify"; arrival: number; clientOrderId: string; changes: OrderChanges };

/** Remaining quantity fillable in the current update, per side (null = unlimited). */
export interface Budget {
  BUY: Decimal | null;
  SELL: Decimal | null;
}

/** A traded price an order meets: a trade, a candle's fill price, or a candle trigger point. */
export interface Print {
  price: number;
  volume: number;
  budget: Budget;
}

export const BPS = new Decimal(10_000);

/** A refusal reason: an UPPER_SNAKE code, then a sentence. */
export function reason(code: string, message: string): string {
  return `${code}: ${message}`;
}

export function bySide<T>(side: OrderSide, buy: T, sell: T): T {
  return side === "BUY" ? buy : sell;
}

export function isMarketKind(order: SimOrder): boolean {
  return order.type === "MARKET" || order.type === "STOP_MARKET" || order.type === "TAKE_PROFIT_MARKET" || order.type === "TRAILING_STOP_MARKET";
}

export function hasTouch(state: SymbolState): boolean {
  return state.bid !== undefined && state.ask !== undefined;
}

/** A symbol's state before any market data: no prices, empty lists. */
export function newSymbolState(instrument: Instrument, volatilityWindow: number | null): SymbolState {
  return {
    instrument,
    bid: undefined,
    ask: undefined,
    bidSize: undefined,
    askSize: undefined,
    last: undefined,
    mark: undefined,
    bookBids: null,
    bookAsks: null,
    rawBids: null,
    rawAsks: null,
    consumed: { bids: new Map(), asks: new Map() },
    buys: [],
    sells: [],
    triggers: [],
    waiting: [],
    volatility: volatilityWindow === null ? null : new RollingVolatility(volatilityWindow),
  };
}

/** The venue's view of one order (what openOrders() and order() return). */
export function orderView(order: SimOrder): SimOrderView {
  return {
    clientOrderId: order.clientOrderId,
    venueOrderId: order.venueOrderId,
    symbol: order.instrument.symbol,
    side: order.side,
    type: order.type,
    timeInForce: order.tif,
    status: order.status,
    quantity: order.quantity,
    filledQty: order.filled,
    remainingQty: sub(order.quantity, order.filled),
    price: order.limitPrice,
    triggerPrice: order.triggerPrice,
    triggered: order.triggered,
    avgFillPrice: order.filled.isZero() ? null : filledNotionalOf(order).dividedBy(order.filled),
    feesPaid: order.fees,
    reservedCurrency: order.reserveCurrency,
    reserved: order.reserved,
    sentAt: order.sentAt,
    acceptedAt: order.acceptedAt,
    reason: order.reason,
  };
}

/** What an order's fills cost in quote (see SimOrder.filledNotional). */
export function filledNotionalOf(order: SimOrder): Decimal {
  if (order.filledNotional !== null) return order.filledNotional;
  return order.firstFillPrice === null ? ZERO : timesCompact(order.filled, order.firstFillPrice);
}

/**
 * x × factor, where a null factor means exactly 1: x itself, with no multiplication, when x has at most 35 significant
 * digits (5 words of 7); a longer x is multiplied by one all the same, since the product rounds to the 40-digit precision.
 * A product's words are at their exact length (money.ts timesCompact): an order keeps what it reserves per unit for the whole run.
 */
export function scaled(x: Decimal, factor: Decimal | null): Decimal {
  if (factor !== null) return timesCompact(x, factor);
  return x.d !== undefined && x.d.length <= 5 ? x : x.times(ONE);
}

/** A fill event as the simulator emits it (every field set, as the fill log reads it back). */
export interface FillEvent {
  type: "fill";
  tradeId: string;
  qty: Decimal;
  price: Decimal;
  fee: Decimal;
  liquidity: Liquidity;
  ts: number;
}

/** A logged fill as a SimFill: the event's figures with its order's symbol, side and fee currency. */
export function simFillOf(order: SimOrder, event: FillEvent): SimFill {
  const instrument = order.instrument;
  return {
    tradeId: event.tradeId,
    clientOrderId: order.clientOrderId,
    symbol: instrument.symbol,
    side: order.side,
    qty: event.qty,
    price: event.price,
    fee: event.fee,
    feeCurrency: instrument.quote,
    liquidity: event.liquidity,
    ts: event.ts,
  };
}

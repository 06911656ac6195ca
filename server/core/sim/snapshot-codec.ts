/**
 * The simulator's snapshot codec: its working records (sim-order.ts) to and from the plain JSON-able shapes of
 * snapshot.ts — orders, requests in flight, per-symbol market state and lists, balances. The matching engine
 * calls it from toSnapshot() and fromSnapshot(); nothing here decides anything about matching.
 */
import { Decimal, type DecimalInput } from "../money";
import type { BookLevel } from "../market-data";
import type { OrderChanges } from "../orders/events";
import type { OrderSide, OrderSpec, OrderType, TimeInForce } from "../orders/types";
import { SimBalances, type BalanceView } from "./balances";
import { filledNotionalOf, type Level, type Request, type SimOrder, type SymbolState } from "./sim-order";
import {
  decodeInput,
  decodeNum,
  encodeInput,
  encodeNum,
  type ChangesSnapshot,
  type RequestSnapshot,
  type SimOrderRecord,
  type SimVenueSnapshot,
  type SnapNum,
  type SpecSnapshot,
  type SymbolSnapshot,
} from "./snapshot";
import { RollingVolatility } from "./volatility";

function encodeSpec(spec: OrderSpec): SpecSnapshot {
  const out: SpecSnapshot = { clientOrderId: spec.clientOrderId, symbol: spec.symbol, side: spec.side, type: spec.type };
  const inputs = ["quantity", "price", "triggerPrice", "trailingOffset", "activationPrice", "limitOffset"] as const;
  for (const key of inputs) {
    const value = encodeInput(spec[key]);
    if (value !== undefined) out[key] = value;
  }
  if (spec.triggerSource !== undefined) out.triggerSource = spec.triggerSource;
  if (spec.trailingOffsetType !== undefined) out.trailingOffsetType = spec.trailingOffsetType;
  if (spec.timeInForce !== undefined) out.timeInForce = spec.timeInForce;
  if (spec.expireAt !== undefined) out.expireAt = encodeNum(spec.expireAt);
  if (spec.postOnly !== undefined) out.postOnly = spec.postOnly;
  return out;
}

function decodeSpec(saved: SpecSnapshot): OrderSpec {
  const spec: OrderSpec = {
    clientOrderId: saved.clientOrderId,
    symbol: saved.symbol,
    side: saved.side as OrderSide,
    type: saved.type as OrderType,
    quantity: decodeInput(saved.quantity) as DecimalInput,
  };
  const inputs = ["price", "triggerPrice", "trailingOffset", "activationPrice", "limitOffset"] as const;
  for (const key of inputs) {
    const value = decodeInput(saved[key]);
    if (value !== undefined) spec[key] = value;
  }
  if (saved.triggerSource !== undefined) spec.triggerSource = saved.triggerSource;
  if (saved.trailingOffsetType !== undefined) spec.trailingOffsetType = saved.trailingOffsetType;
  if (saved.timeInForce !== undefined) spec.timeInForce = saved.timeInForce as TimeInForce;
  if (saved.expireAt !== undefined) spec.expireAt = decodeNum(saved.expireAt);
  if (saved.postOnly !== undefined) spec.postOnly = saved.postOnly;
  return spec;
}

function encodeChanges(changes: OrderChanges): ChangesSnapshot {
  const out: ChangesSnapshot = {};
  for (const key of ["quantity", "price", "triggerPrice"] as const) {
    const value = encodeInput(changes[key]);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function decodeChanges(saved: ChangesSnapshot): OrderChanges {
  const out: OrderChanges = {};
  for (const key of ["quantity", "price", "triggerPrice"] as const) {
    const value = decodeInput(saved[key]);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

export function encodeRequest(request: Request): RequestSnapshot {
  switch (request.kind) {
    case "submit":
      return { kind: "submit", arrival: request.arrival, spec: encodeSpec(request.spec), sentAt: request.sentAt };
    case "cancel":
      return { kind: "cancel", arrival: request.arrival, clientOrderId: request.clientOrderId };
    case "cancelAll":
      return { kind: "cancelAll", arrival: request.arrival, symbol: request.symbol ?? null };
    case "modify":
      return { kind: "modify", arrival: request.arrival, clientOrderId: request.clientOrderId, changes: encodeChanges(request.changes) };
  }
}

export function decodeRequest(saved: RequestSnapshot): Request {
  switch (saved.kind) {
    case "submit":
      return { kind: "submit", arrival: saved.arrival, spec: decodeSpec(saved.spec), sentAt: saved.sentAt };
    case "cancel":
      return { kind: "cancel", arrival: saved.arrival, clientOrderId: saved.clientOrderId };
    case "cancelAll":
      return { kind: "cancelAll", arrival: saved.arrival, symbol: saved.symbol ?? undefined };
    case "modify":
      return { kind: "modify", arrival: saved.arrival, clientOrderId: saved.clientOrderId, changes: decodeChanges(saved.changes) };
  }
}

/** The snapshot form of one order. */
export function orderToRecord(order: SimOrder): SimOrderRecord {
  const dec = (value: Decimal | null): string | null => (value === null ? null : value.toString());
  const trailing = order.trailing;
  return {
    seq: order.seq,
    clientOrderId: order.clientOrderId,
    venueOrderId: order.venueOrderId,
    symbol: order.instrument.symbol,
    side: order.side,
    type: order.type,
    tif: order.tif,
    postOnly: order.postOnly,
    quantity: order.quantity.toString(),
    filled: order.filled.toString(),
    limitPrice: dec(order.limitPrice),
    triggerPrice: dec(order.triggerPrice),
    triggerSource: order.triggerSource,
    trailing:
      trailing === null
        ? null
        : {
            offset: trailing.offset.toString(),
            offsetType: trailing.offsetType,
            activationPrice: dec(trailing.activationPrice),
            activated: trailing.activated,
            extremePrice: dec(trailing.extremePrice),
            limitOffset: dec(trailing.limitOffset),
          },
    expireAt: order.expireAt,
    triggered: order.triggered,
    phase: order.phase,
    status: order.status,
    reserveCurrency: order.reserveCurrency,
    reservePerUnit: order.reservePerUnit.toString(),
    reserved: order.reserved.toString(),
    filledNotional: filledNotionalOf(order).toString(),
    fees: order.fees.toString(),
    sentAt: order.sentAt,
    acceptedAt: order.acceptedAt,
    reason: order.reason,
    listRank: order.listRank,
    openRank: order.openRank,
    ...(order.queueAhead === null ? {} : { queueAhead: order.queueAhead.toString() }),
  };
}

/** An order back from its snapshot form; its symbol must be one the venue trades. */
export function orderFromRecord(record: SimOrderRecord, symbols: ReadonlyMap<string, SymbolState>): SimOrder {
  const state = symbols.get(record.symbol);
  if (!state) throw new RangeError(`SNAPSHOT_MISMATCH: order ${record.clientOrderId} is on ${record.symbol}, which the config does not trade.`);
  const dec = (value: string | null): Decimal | null => (value === null ? null : new Decimal(value));
  const limitPrice = dec(record.limitPrice);
  const triggerPrice = dec(record.triggerPrice);
  const trailing = record.trailing;
  return {
    seq: record.seq,
    clientOrderId: record.clientOrderId,
    venueOrderId: record.venueOrderId,
    instrument: state.instrument,
    side: record.side,
    type: record.type,
    tif: record.tif,
    postOnly: record.postOnly,
    quantity: new Decimal(record.quantity),
    filled: new Decimal(record.filled),
    limitPrice,
    limitNum: limitPrice === null ? Number.NaN : limitPrice.toNumber(),
    triggerPrice,
    triggerNum: triggerPrice === null ? Number.NaN : triggerPrice.toNumber(),
    triggerSource: record.triggerSource,
    trailing:
      trailing === null
        ? null
        : {
            offset: new Decimal(trailing.offset),
            offsetType: trailing.offsetType,
            activationPrice: dec(trailing.activationPrice),
            activated: trailing.activated,
            extremePrice: dec(trailing.extremePrice),
            limitOffset: dec(trailing.limitOffset),
          },
    expireAt: record.expireAt,
    triggered: record.triggered,
    phase: record.phase,
    status: record.status,
    reserveCurrency: record.reserveCurrency,
    reservePerUnit: new Decimal(record.reservePerUnit),
    reserved: new Decimal(record.reserved),
    filledNotional: new Decimal(record.filledNotional),
    firstFillPrice: null,
    fees: new Decimal(record.fees),
    sentAt: record.sentAt,
    acceptedAt: record.acceptedAt,
    reason: record.reason,
    listRank: record.listRank ?? 0,
    openRank: record.openRank ?? 0,
    queueAhead: record.queueAhead === undefined ? null : new Decimal(record.queueAhead),
  };
}

/** One symbol's market state and lists; `ids` names the orders of each list (and may note them as listed). */
export function encodeSymbolState(state: SymbolState, ids: (orders: readonly SimOrder[]) => string[]): SymbolSnapshot {
  return {
    symbol: state.instrument.symbol,
    bid: encodeNum(state.bid),
    ask: encodeNum(state.ask),
    bidSize: encodeNum(state.bidSize),
    askSize: encodeNum(state.askSize),
    last: encodeNum(state.last),
    mark: encodeNum(state.mark),
    bookBids: state.bookBids === null ? null : state.bookBids.map((level) => [encodeNum(level.price), level.size.toString()]),
    bookAsks: state.bookAsks === null ? null : state.bookAsks.map((level) => [encodeNum(level.price), level.size.toString()]),
    buys: ids(state.buys),
    sells: ids(state.sells),
    triggers: ids(state.triggers),
    waiting: ids(state.waiting),
    volatility: state.volatility?.toSnapshot() ?? null,
    // Book fidelity only (absent otherwise, so snapshots without it keep their shape).
    ...(state.rawBids === null ? {} : { rawBids: state.rawBids.map(([price, size]) => [encodeNum(price), encodeNum(size)]) }),
    ...(state.rawAsks === null ? {} : { rawAsks: state.rawAsks.map(([price, size]) => [encodeNum(price), encodeNum(size)]) }),
    ...(state.consumed.bids.size === 0 ? {} : { consumedBids: [...state.consumed.bids].map(([price, qty]) => [encodeNum(price), qty.toString()]) }),
    ...(state.consumed.asks.size === 0 ? {} : { consumedAsks: [...state.consumed.asks].map(([price, qty]) => [encodeNum(price), qty.toString()]) }),
  };
}

/** Puts a saved symbol's market state and lists back into `state`; `known` finds each listed order. */
export function restoreSymbolState(state: SymbolState, saved: SymbolSnapshot, known: (clientOrderId: string) => SimOrder): void {
  state.bid = decodeNum(saved.bid);
  state.ask = decodeNum(saved.ask);
  state.bidSize = decodeNum(saved.bidSize);
  state.askSize = decodeNum(saved.askSize);
  state.last = decodeNum(saved.last);
  state.mark = decodeNum(saved.mark);
  const levels = (saved: [SnapNum, string][] | null): Level[] | null =>
    saved === null
      ? null
      : saved.map(([price, size]) => {
          const p = decodeNum(price) ?? Number.NaN;
          return { price: p, priceDec: new Decimal(p), size: new Decimal(size) };
        });
  state.bookBids = levels(saved.bookBids);
  state.bookAsks = levels(saved.bookAsks);
  const raw = (saved: [SnapNum, SnapNum][] | undefined): BookLevel[] | null =>
    saved === undefined ? null : saved.map(([price, size]) => [decodeNum(price) ?? Number.NaN, decodeNum(size) ?? Number.NaN] as const);
  state.rawBids = raw(saved.rawBids);
  state.rawAsks = raw(saved.rawAsks);
  const owed = (saved: [SnapNum, string][] | undefined): Map<number, Decimal> =>
    new Map((saved ?? []).map(([price, qty]) => [decodeNum(price) ?? Number.NaN, new Decimal(qty)]));
  state.consumed = { bids: owed(saved.consumedBids), asks: owed(saved.consumedAsks) };
  state.buys = saved.buys.map(known);
  state.sells = saved.sells.map(known);
  state.triggers = saved.triggers.map(known);
  state.waiting = saved.waiting.map(known);
  if (state.volatility !== null && saved.volatility !== null) state.volatility = RollingVolatility.fromSnapshot(saved.volatility);
}

export function encodeBalances(view: Record<string, BalanceView>): SimVenueSnapshot["balances"] {
  const balances: SimVenueSnapshot["balances"] = {};
  for (const [currency, balance] of Object.entries(view)) {
    balances[currency] = { free: balance.free.toString(), reserved: balance.reserved.toString() };
  }
  return balances;
}

export function balancesFromSnapshot(saved: SimVenueSnapshot["balances"]): SimBalances {
  // Rebuilt through the public moves so each amount comes back exactly: x − x = 0, 0 + x = x.
  const balances = new SimBalances({});
  for (const [currency, { free, reserved }] of Object.entries(saved)) {
    const reservedDec = new Decimal(reserved);
    balances.credit(currency, reservedDec);
    balances.reserve(currency, reservedDec);
    balances.credit(currency, new Decimal(free));
  }
  return balances;
}

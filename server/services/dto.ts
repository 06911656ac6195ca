/**
 * What the API returns: plain JSON (decimals as strings, times as epoch ms), so the browser never needs
 * decimal.js and every number it shows is the exact value the books hold.
 */
import type { Instrument } from "../core/instrument";
import type { Decimal } from "../core/money";
import type { Order } from "../core/orders/types";
import { exitLevels, type ExitState } from "../core/positions/exits";
import { unrealizedPnl, unrealizedPnlPct, type Position } from "../core/positions/book";
import type { EquityPoint } from "../engine/types";

const s = (d: Decimal | null | undefined): string | null => (d === null || d === undefined ? null : d.toString());

/** What the API calls rows that no strategy placed: people's orders and positions (the issue 11 contract). */
export const MANUAL_STRATEGY = "manual";

/** A row's strategy as the API shows it: `manual` when none is recorded. */
export function strategyName(strategy: string | null | undefined): string {
  return strategy === null || strategy === undefined || strategy === "" ? MANUAL_STRATEGY : strategy;
}

export interface InstrumentDto {
  symbol: string;
  base: string;
  quote: string;
  priceTick: string;
  qtyStep: string;
  minQty: string;
  minNotional: string;
  makerFee: string;
  takerFee: string;
}

export function instrumentDto(i: Instrument): InstrumentDto {
  return {
    symbol: i.symbol,
    base: i.base,
    quote: i.quote,
    priceTick: i.priceTick.toString(),
    qtyStep: i.qtyStep.toString(),
    minQty: i.minQty.toString(),
    minNotional: i.minNotional.toString(),
    makerFee: i.makerFee.toString(),
    takerFee: i.takerFee.toString(),
  };
}

export interface OrderDto {
  clientOrderId: string;
  venueOrderId: string | null;
  /** The venue the order was sent to. */
  venue: string;
  symbol: string;
  side: "BUY" | "SELL";
  type: string;
  status: string;
  quantity: string;
  filledQty: string;
  price: string | null;
  triggerPrice: string | null;
  avgFillPrice: string | null;
  feesPaid: string;
  timeInForce: string;
  reduceOnly: boolean;
  postOnly: boolean;
  reason: string | null;
  positionId: string | null;
  tagReason: string | null;
  /** The strategy that placed it; `manual` for a person's order. */
  strategy: string;
  signalId: string | null;
  /** The parent order (engine/algos.ts) this order is a child of, or null. */
  parentId: string | null;
  /** The smart route it is a child of (engine/order-routes.ts): its siblings share it. */
  routeId: string | null;
  createdAt: number;
  updatedAt: number;
  /** The order list (OCO, OTO, bracket) it belongs to, and its role there (entry, stop_loss, take_profit, first, …). */
  listId: string | null;
  listRole: string | null;
  /** GTD expiry (epoch ms). */
  expireAt: number | null;
  /** Trailing stops: the offset and its unit. */
  trailingOffset: string | null;
  trailingOffsetType: string | null;
}

/** `venue`: the desk's venue, for an order that does not name its own (orders journaled before venues were recorded). */
export function orderDto(o: Order, venue: string): OrderDto {
  return {
    clientOrderId: o.clientOrderId,
    venueOrderId: o.venueOrderId,
    venue: o.venue ?? venue,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    status: o.status,
    quantity: o.quantity.toString(),
    filledQty: o.filledQty.toString(),
    price: s(o.price),
    triggerPrice: s(o.triggerPrice),
    avgFillPrice: s(o.avgFillPrice),
    feesPaid: o.feesPaid.toString(),
    timeInForce: o.timeInForce,
    reduceOnly: o.reduceOnly,
    postOnly: o.postOnly,
    reason: o.reason,
    positionId: o.tags.positionId ?? null,
    tagReason: o.tags.reason ?? null,
    strategy: strategyName(o.tags.strategy),
    signalId: o.tags.signalId ?? null,
    parentId: o.tags.parentId ?? null,
    routeId: o.tags.routeId ?? null,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
    listId: o.listId ?? null,
    listRole: o.tags.listRole ?? null,
    expireAt: o.expireAt ?? null,
    trailingOffset: o.trailing ? o.trailing.offset.toString() : null,
    trailingOffsetType: o.trailing ? o.trailing.offsetType : null,
  };
}

export interface PositionDto {
  id: string;
  venue: string;
  symbol: string;
  /** The strategy the position belongs to; `manual` for a person's. */
  strategy: string;
  side: "LONG" | "SHORT";
  state: string;
  quantity: string;
  avgEntryPrice: string | null;
  mark: number | null;
  notional: string | null;
  unrealizedPnl: string | null;
  unrealizedPnlPct: number | null;
  realizedPnlNet: string;
  fees: string;
  openedAt: number;
  ageMs: number;
  stopLoss: number | null;
  takeProfit: number | null;
  trailingStop: number | null;
  /** Take-profit ladder levels not yet fired. */
  ladder: { level: number; price: number; closeFraction: number }[];
}

/** `owner`: where the position trades and whose it is (the engine's books hold them beside the position). */
export function positionDto(
  p: Position,
  exit: ExitState | null,
  mark: number | null,
  now: number,
  owner: { venue: string; strategy: string | null },
): PositionDto {
  const levels = exit && p.avgEntryPrice ? exitLevels(p, exit) : null;
  const hasMark = mark !== null && p.quantity.greaterThan(0);
  return {
    id: p.id,
    venue: owner.venue,
    symbol: p.symbol,
    strategy: strategyName(owner.strategy),
    side: p.side,
    state: p.state,
    quantity: p.quantity.toString(),
    avgEntryPrice: s(p.avgEntryPrice),
    mark,
    notional: hasMark ? p.quantity.times(mark).toString() : null,
    unrealizedPnl: hasMark ? unrealizedPnl(p, mark).toString() : null,
    unrealizedPnlPct: hasMark ? unrealizedPnlPct(p, mark).toNumber() : null,
    realizedPnlNet: p.realizedPnlNet.toString(),
    fees: p.fees.toString(),
    openedAt: p.openedAt,
    ageMs: Math.max(0, now - p.openedAt),
    stopLoss: levels?.stopLoss ?? null,
    takeProfit: levels?.takeProfit ?? null,
    trailingStop: levels?.trailingStop ?? null,
    ladder: levels?.ladder ?? [],
  };
}

export interface EquityDto {
  ts: number;
  equity: string;
  realizedNet: string;
  unrealized: string;
  exposure: string;
  /** Amounts in currencies with no rate into the desk's quote, left out of the figures above (engine accounting.ts). */
  unconverted?: { currency: string; realizedNet: string; unrealized: string; exposure: string }[];
}

export function equityDto(p: EquityPoint): EquityDto {
  return {
    ts: p.ts,
    equity: p.equity.toString(),
    realizedNet: p.realizedNet.toString(),
    unrealized: p.unrealized.toString(),
    exposure: p.exposure.toString(),
    ...(p.unconverted && {
      unconverted: p.unconverted.map((u) => ({
        currency: u.currency,
        realizedNet: u.realizedNet.toString(),
        unrealized: u.unrealized.toString(),
        exposure: u.exposure.toString(),
      })),
    }),
  };
}

/** Decimal → string, deeply (types follow). For status objects with many decimal fields. */
export type Plain<T> = T extends Decimal
  ? string
  : T extends (infer U)[]
    ? Plain<U>[]
    : T extends Record<string, unknown>
      ? { [K in keyof T]: Plain<T[K]> }
      : T;

export function plain<T>(value: T): Plain<T> {
  if (value === null || value === undefined) return value as Plain<T>;
  if (typeof value === "object" && value !== null && "toFixed" in value && "isFinite" in value && "toString" in value && "d" in value) {
    return (value as unknown as Decimal).toString() as Plain<T>;
  }
  if (Array.isArray(value)) return value.map((v: unknown) => plain(v)) as Plain<T>;
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = plain(v);
    return out as Plain<T>;
  }
  return value as Plain<T>;
}

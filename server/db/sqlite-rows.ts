/**
 * The SQLite store's rows (db/sqlite-store.ts): the shape each table has as better-sqlite3 returns it (Prisma's model,
 * booleans as 0/1, decimals as text) and the pure conversions between those rows and the Store port's records. No
 * connection here: the store reads and writes, these only translate.
 */
import { Decimal } from "../core/money";
import { type Order } from "../core/orders/types";
import type { Position } from "../core/positions/book";
import { decodeJson, encodeJson } from "./codec";
import type {
  AuditLog,
  Balance,
  BreakerEvent,
  EquitySnapshot,
  Fill,
  OrderEvent,
  Order as PrismaOrder,
  Position as PrismaPosition,
  ReconciliationDrift,
  ParentOrder,
  OrderRoute,
  Signal,
  SymbolSetting,
  Trade,
} from "./generated/client";
import type {
  EquityRecord,
  FillRecord,
  JournalEntry,
  JournalSource,
  ArbOpportunityRow,
  SignalRecord,
  SignalStatus,
  StoredOrder,
  StoredPosition,
  ParentOrderRecord,
  OrderRouteRecord,
  TradeOutcome,
  TradeRecord,
} from "./store";

// ── row shapes ─────────────────────────────────────────────────────────────────────────────────────
// The tables are Prisma's (prisma/schema.prisma); a row here is its model as better-sqlite3 returns it: booleans as 0/1.
export type Bit = 0 | 1;
export type SqliteRow<T> = { [K in keyof T]: T[K] extends boolean ? Bit : T[K] };

export type JournalRow = SqliteRow<OrderEvent>;
export type OrderRow = Pick<PrismaOrder, "data" | "venue" | "positionId" | "requestedPrice">;
export type FillRow = SqliteRow<Fill>;
export type PositionRow = Pick<PrismaPosition, "data" | "exit" | "strategy" | "signalId">;
export type TradeRow = Trade;
export type SignalRow = Signal;
export type BalanceRow = Pick<Balance, "currency" | "free" | "reserved" | "total">;
export type EquityRow = EquitySnapshot;
export type BreakerRow = BreakerEvent;
export type AuditRow = AuditLog;
export type DriftRow = SqliteRow<ReconciliationDrift>;
export type SymbolSettingRow = SqliteRow<SymbolSetting>;
export type ParentOrderRow = SqliteRow<ParentOrder>;
export type OrderRouteRow = SqliteRow<OrderRoute>;

// ── conversions ────────────────────────────────────────────────────────────────────────────────────
export const bit = (b: boolean): Bit => (b ? 1 : 0);
export const dec = (s: string): Decimal => new Decimal(s);
export const decOrNull = (s: string | null): Decimal | null => (s === null ? null : new Decimal(s));
export const str = (d: Decimal | null | undefined): string | null => (d === null || d === undefined ? null : d.toString());
export interface ArbRoundTripDbRow {
  id: string;
  pairId: string;
  status: string;
  pnl: string | null;
  data: string;
  openedAt: number;
  updatedAt: number;
}
/** The row as SQLite holds it: Decimals as text, the outcome unchecked until read. */
export type ArbOpportunityDbRow = Omit<ArbOpportunityRow, "id" | "outcome" | "bestNetBps" | "qty"> & {
  id: number;
  outcome: string;
  bestNetBps: string | null;
  qty: string | null;
};
/** Codec JSON; undefined is stored as JSON null so NOT NULL columns stay valid. */
export interface OrderListDbRow {
  listId: string;
  kind: string;
  symbol: string;
  status: string;
  data: string;
  createdAt: number;
  updatedAt: number;
}

export const json = (value: unknown): string => encodeJson(value ?? null);
export const jsonOrNull = (value: unknown): string | null => (value === undefined || value === null ? null : encodeJson(value));
export const fromJson = (text: string | null): unknown => (text === null ? null : decodeJson<unknown>(text));
/** The format Prisma's SQLite adapter writes DateTime in (its default "iso8601"). */
export const prismaDateTime = (ms: number): string => new Date(ms).toISOString().replace("Z", "+00:00");

export function toJournal(row: JournalRow): JournalEntry {
  return {
    seq: row.seq,
    clientOrderId: row.clientOrderId,
    type: row.type,
    source: row.source as JournalSource,
    payload: decodeJson<unknown>(row.payload),
    applied: row.applied === 1,
    refusal: row.refusal,
    ts: row.ts,
  };
}

export function toStoredOrder(row: OrderRow): StoredOrder {
  return {
    order: decodeJson<Order>(row.data),
    meta: { venue: row.venue, positionId: row.positionId, requestedPrice: decOrNull(row.requestedPrice) },
  };
}

export function toFill(row: FillRow): FillRecord {
  return {
    venue: row.venue,
    tradeId: row.tradeId,
    clientOrderId: row.clientOrderId,
    symbol: row.symbol,
    side: row.side as FillRecord["side"],
    qty: dec(row.qty),
    price: dec(row.price),
    fee: dec(row.fee),
    feeCurrency: row.feeCurrency,
    liquidity: row.liquidity as FillRecord["liquidity"],
    positionId: row.positionId,
    late: row.late === 1,
    ts: row.ts,
  };
}

export function toStoredPosition(row: PositionRow): StoredPosition {
  return {
    position: decodeJson<Position>(row.data),
    exit: fromJson(row.exit),
    meta: { strategy: row.strategy, signalId: row.signalId },
  };
}

export function toTrade(row: TradeRow): TradeRecord {
  return {
    id: row.id,
    positionId: row.positionId,
    symbol: row.symbol,
    side: row.side as TradeRecord["side"],
    quantity: dec(row.quantity),
    entryPrice: dec(row.entryPrice),
    exitPrice: dec(row.exitPrice),
    entryTime: row.entryTime,
    exitTime: row.exitTime,
    fees: dec(row.fees),
    grossPnl: dec(row.grossPnl),
    pnl: dec(row.pnl),
    pnlPct: row.pnlPct,
    outcome: row.outcome as TradeOutcome,
    exitReason: row.exitReason,
    requestedPrice: decOrNull(row.requestedPrice),
    entrySlippageBps: row.entrySlippageBps,
    exitSlippageBps: row.exitSlippageBps,
    strategy: row.strategy,
    signalId: row.signalId,
    venue: row.venue,
  };
}

export function toSignal(row: SignalRow): SignalRecord {
  return {
    id: row.id,
    symbol: row.symbol,
    action: row.action as SignalRecord["action"],
    confidence: row.confidence,
    expectedReturn: row.expectedReturn,
    stopLoss: decOrNull(row.stopLoss),
    takeProfit: decOrNull(row.takeProfit),
    strategy: row.strategy,
    ts: row.ts,
    receivedAt: row.receivedAt,
    source: row.source,
    status: row.status as SignalStatus,
    denyCode: row.denyCode,
    denyReason: row.denyReason,
    clientOrderId: row.clientOrderId,
  };
}

export function toEquity(row: EquityRow): EquityRecord {
  return {
    ts: row.ts,
    equity: dec(row.equity),
    cash: dec(row.cash),
    unrealized: dec(row.unrealized),
    realized: dec(row.realized),
    fees: dec(row.fees),
    exposure: dec(row.exposure),
    cause: row.cause as EquityRecord["cause"],
  };
}

export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE";
}

export function parentOrderOf(r: ParentOrderRow, children: readonly { parentId: string; state: string }[] = []): ParentOrderRecord {
  return {
    id: r.id,
    symbol: r.symbol,
    side: r.side === "SELL" ? "SELL" : "BUY",
    algo: r.algo,
    status: r.status,
    targetQty: new Decimal(r.targetQty),
    filledQty: new Decimal(r.filledQty),
    state: r.state,
    meta: decodeJson<unknown>(r.meta),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    ...(r.progress !== null && { progress: r.progress }),
    ...(children.length > 0 && { children: children.map((c) => c.state) }),
  };
}

/** Child rows by parent id (the rows come ordered by parent, then slice). */
export function childrenByParent(rows: readonly { parentId: string; state: string }[]): Map<string, { parentId: string; state: string }[]> {
  const out = new Map<string, { parentId: string; state: string }[]>();
  for (const row of rows) {
    const list = out.get(row.parentId);
    if (list) list.push(row);
    else out.set(row.parentId, [row]);
  }
  return out;
}

/** An order_routes row as the engine keeps it. */
export function orderRouteOf(r: OrderRouteRow): OrderRouteRecord {
  return {
    id: r.id,
    symbol: r.symbol,
    side: r.side === "SELL" ? "SELL" : "BUY",
    mode: r.mode,
    requestedQty: dec(r.requestedQty),
    routedQty: dec(r.routedQty),
    status: r.status,
    data: decodeJson<unknown>(r.data),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

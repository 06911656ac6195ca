/**
 * Orders: the working orders (from the engine), every order ever sent (from the `orders` projection, paginated by
 * creation time), one order's journal timeline and fills, and the manual actions — cancel, cancel all, place.
 * Reads come from db/queries/orders.ts; changes are engine commands (audited by the engine).
 */
import { DomainError } from "../core/errors";
import type { Order, OrderStatus } from "../core/orders/types";
import { decodeJson } from "../db/codec";
import type { Prisma } from "../db/generated/client";
import { orderAttributions, orderRows, orderWithHistory } from "../db/queries/orders";
import { getRuntime } from "../engine/runtime";
import type { Actor, ManualOrderRequest } from "../engine/types";
import type { OrderListView, PlaceListRequest } from "../engine/order-lists";
import { instrumentDto, MANUAL_STRATEGY, orderDto, plain, type InstrumentDto, type OrderDto } from "./dto";
import { requireEngine, runCommand } from "./engine";
import { orderRouteOf, type OrderRouteDto } from "./order-routes";

/** An order's in-doubt marker as the Orders page shows it: since when, why, lookups so far and the next one. */
export interface OrderInDoubtDto {
  since: number;
  reason: string;
  lookups: number;
  nextLookupAt: number | null;
}

/**
 * Working orders matching the filter (newest first, each with its in-doubt marker or null), the instruments (for decimals
 * and the order form), the last prices and the desk's venues (the order form's venue menu).
 */
export function openOrders(filter: { venue?: string | undefined; symbol?: string | undefined; strategy?: string | undefined } = {}): {
  orders: (OrderDto & { inDoubt: OrderInDoubtDto | null })[];
  instruments: InstrumentDto[];
  marks: Record<string, number>;
  venues: string[];
  /** Each venue's own last prices (a desk with several venues). */
  venueMarks: Record<string, Record<string, number>>;
} {
  const engine = requireEngine();
  const state = engine.state();
  const doubts = inDoubtMarkers();
  const orders = state.openOrders
    .map((o) => ({ ...orderDto(o, engine.venueId()), inDoubt: doubts.get(o.clientOrderId) ?? null }))
    .filter(
      (o) =>
        (filter.venue === undefined || o.venue === filter.venue) &&
        (filter.symbol === undefined || o.symbol === filter.symbol) &&
        (filter.strategy === undefined || o.strategy === filter.strategy),
    )
    .sort((a, b) => b.createdAt - a.createdAt || (a.clientOrderId < b.clientOrderId ? 1 : -1));
  const marks = Object.fromEntries(Object.entries(state.marks).map(([symbol, m]) => [symbol, m.last]));
  return { orders, instruments: engine.instrumentList().map(instrumentDto), marks, venues: state.venues.map((v) => v.id), venueMarks: state.venueMarks };
}

export interface OrderListInput {
  venue?: string;
  symbol?: string;
  /** `manual` also matches orders without a recorded strategy. */
  strategy?: string;
  status?: OrderStatus[];
  side?: "BUY" | "SELL";
  fromMs?: number;
  toMs?: number;
  limit: number;
  cursor?: string;
}

/** The venues, symbols and strategies that occur in the orders (for the filter menus), each sorted. */
export async function orderFacets(): Promise<{ venues: string[]; symbols: string[]; strategies: string[] }> {
  const rows = await orderAttributions();
  const sorted = (values: string[]) => [...new Set(values)].sort();
  return { venues: sorted(rows.map((r) => r.venue)), symbols: sorted(rows.map((r) => r.symbol)), strategies: sorted(rows.map((r) => r.strategy)) };
}

/** The cursor is "<createdAt>:<clientOrderId>" of the last row seen (newest first). */
function parseCursor(cursor: string): { createdAt: number; id: string } {
  const at = cursor.indexOf(":");
  const createdAt = Number(cursor.slice(0, at));
  const id = cursor.slice(at + 1);
  if (at <= 0 || !Number.isFinite(createdAt) || id.length === 0)
    throw new DomainError("VALIDATION", "cursor is malformed: use the nextCursor of the previous page.");
  return { createdAt, id };
}

function fromRow(row: { data: string; venue: string }): OrderDto {
  return orderDto(decodeJson<Order>(row.data), row.venue);
}

/** The running engine's in-doubt markers by clientOrderId (none without an engine, e.g. in backtest mode). */
function inDoubtMarkers(): Map<string, OrderInDoubtDto> {
  const engine = getRuntime()?.engine;
  return new Map(
    (engine?.inDoubtList() ?? []).map((m) => [m.clientOrderId, { since: m.since, reason: m.reason, lookups: m.lookups, nextLookupAt: m.nextLookupAt }]),
  );
}

/** Rows of one strategy; `manual` also takes rows without one (a person's, in the API's words). */
function strategyWhere(strategy: string): Prisma.OrderWhereInput {
  return strategy === MANUAL_STRATEGY ? { OR: [{ strategy: null }, { strategy: MANUAL_STRATEGY }] } : { strategy };
}

/** All orders, newest first, filtered (each with its in-doubt marker or null); `nextCursor` is null on the last page. */
export async function listOrders(input: OrderListInput): Promise<{ orders: (OrderDto & { inDoubt: OrderInDoubtDto | null })[]; nextCursor: string | null }> {
  const and: Prisma.OrderWhereInput[] = [];
  if (input.venue) and.push({ venue: input.venue });
  if (input.symbol) and.push({ symbol: input.symbol });
  if (input.strategy) and.push(strategyWhere(input.strategy));
  if (input.status && input.status.length > 0) and.push({ status: { in: input.status } });
  if (input.side) and.push({ side: input.side });
  if (input.fromMs !== undefined) and.push({ createdAt: { gte: input.fromMs } });
  if (input.toMs !== undefined) and.push({ createdAt: { lt: input.toMs } });
  if (input.cursor) {
    const c = parseCursor(input.cursor);
    and.push({ OR: [{ createdAt: { lt: c.createdAt } }, { createdAt: c.createdAt, clientOrderId: { lt: c.id } }] });
  }
  const rows = await orderRows(and.length > 0 ? { AND: and } : {}, input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page[page.length - 1];
  const doubts = inDoubtMarkers();
  return {
    orders: page.map((row) => {
      const order = fromRow(row);
      return { ...order, inDoubt: doubts.get(order.clientOrderId) ?? null };
    }),
    nextCursor: rows.length > input.limit && last ? `${last.createdAt}:${last.clientOrderId}` : null,
  };
}

const str = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
};

/** A journal payload in a few readable words: qty@price fee for fills, the reason for rejects and cancels. */
export function summarizeEvent(type: string, payload: unknown): string {
  const p = (payload && typeof payload === "object" ? payload : {}) as Record<string, unknown>;
  switch (type) {
    case "intent": {
      const parts = [str(p.side), str(p.quantity), str(p.symbol), str(p.type)].filter(Boolean);
      if (p.price !== undefined) parts.push(`@ ${str(p.price)}`);
      if (p.triggerPrice !== undefined) parts.push(`trigger ${str(p.triggerPrice)}`);
      if (p.timeInForce) parts.push(str(p.timeInForce));
      if (typeof p.expireAt === "number") parts.push(`until ${new Date(p.expireAt).toISOString()}`);
      if (p.reduceOnly) parts.push("reduce-only");
      if (p.postOnly) parts.push("post-only");
      return parts.join(" ");
    }
    case "fill": {
      const fee = p.fee !== undefined ? ` fee ${str(p.fee)}` : "";
      const liq = p.liquidity ? ` (${str(p.liquidity)!.toLowerCase()})` : "";
      return `${str(p.qty)} @ ${str(p.price)}${fee}${liq} · trade ${str(p.tradeId)}`;
    }
    case "accept":
      return p.venueOrderId ? `venue order ${str(p.venueOrderId)}` : "accepted by the venue";
    case "reject":
    case "deny":
    case "cancelReject":
    case "modifyReject":
      return str(p.reason) ?? "no reason given";
    case "cancel":
      return str(p.reason) ?? "canceled";
    case "cancelRequest":
      // The reason says who asked: a person's "user", or the engine's "expired (GTD)", "oco: sibling filled" …
      return p.reason ? `cancel requested: ${str(p.reason)}` : "cancel requested";
    case "modifyRequest":
    case "modified": {
      const parts = [
        p.qty !== undefined && `qty ${str(p.qty)}`,
        p.price !== undefined && `price ${str(p.price)}`,
        p.triggerPrice !== undefined && `trigger ${str(p.triggerPrice)}`,
      ].filter(Boolean);
      return parts.length > 0 ? parts.join(", ") : type === "modified" ? "modified" : "modify requested";
    }
    case "submit":
      return "sent to the venue";
    case "trigger":
      return "trigger price reached";
    case "expire":
      return "expired";
    case "emulate":
      return "held locally until triggered";
    case "inDoubt":
      return `outcome unknown: in doubt, looked up by clientOrderId, never re-sent (${str(p.reason) ?? "no answer"})`;
    case "inDoubtResolved":
      return `doubt settled: ${str(p.resolution) ?? ""}`;
    case "release":
      return "released to the venue";
    case "reopen":
      return str(p.reason) ?? "still open at the venue: tracked again";
    default:
      return "";
  }
}

export interface OrderTimelineEvent {
  seq: number;
  ts: number;
  type: string;
  source: string;
  applied: boolean;
  refusal: string | null;
  summary: string;
  payload: unknown;
}

export interface OrderFillDto {
  tradeId: string;
  ts: number;
  side: string;
  qty: string;
  price: string;
  fee: string;
  feeCurrency: string;
  liquidity: string | null;
  late: boolean;
  positionId: string | null;
}

export async function orderDetail(clientOrderId: string): Promise<{
  order: OrderDto;
  venue: string;
  requestedPrice: string | null;
  instrument: InstrumentDto | null;
  events: OrderTimelineEvent[];
  fills: OrderFillDto[];
  /** The smart-routing decision it is a child of (order-routes.ts), or null. */
  route: OrderRouteDto | null;
  /** How the desk chose its one venue by quoted price (venue-room.ts), or null. */
  venueChoice: string | null;
}> {
  const found = await orderWithHistory(clientOrderId);
  if (!found) throw new DomainError("NOT_FOUND", `No order with the id ${clientOrderId}: check the id (client order ids look like bst-…).`);
  const { row, events, fills } = found;
  // Decimals for display: from the running engine's instruments (absent in backtest mode: the page falls back).
  const known = getRuntime()
    ?.engine.instrumentList()
    .find((i) => i.symbol === row.symbol);
  const instrument = known ? instrumentDto(known) : null;
  const decoded = decodeJson<Order>(row.data);
  return {
    route: await orderRouteOf(decoded),
    venueChoice: decoded.tags.route ?? null,
    order: fromRow(row),
    venue: row.venue,
    requestedPrice: row.requestedPrice,
    instrument,
    events: events.map((e) => {
      let payload: unknown;
      try {
        payload = plain(decodeJson<unknown>(e.payload));
      } catch {
        payload = e.payload;
      }
      return {
        seq: e.seq,
        ts: e.ts,
        type: e.type,
        source: e.source,
        applied: e.applied,
        refusal: e.refusal,
        summary: summarizeEvent(e.type, payload),
        payload,
      };
    }),
    fills: fills.map((f) => ({
      tradeId: f.tradeId,
      ts: f.ts,
      side: f.side,
      qty: f.qty,
      price: f.price,
      fee: f.fee,
      feeCurrency: f.feeCurrency,
      liquidity: f.liquidity,
      late: f.late,
      positionId: f.positionId,
    })),
  };
}

export function cancelOrder(input: { clientOrderId: string; reason?: string }, actor: Actor) {
  return runCommand({ kind: "cancelOrder", clientOrderId: input.clientOrderId, actor, reason: input.reason || null });
}

export function cancelAll(input: { symbol?: string; venue?: string; reason: string }, actor: Actor) {
  return runCommand({
    kind: "cancelAll",
    ...(input.symbol ? { symbol: input.symbol } : {}),
    ...(input.venue ? { venue: input.venue } : {}),
    actor,
    reason: input.reason,
  });
}

export async function placeOrder(input: ManualOrderRequest & { reason?: string }, actor: Actor) {
  const { reason, ...order } = input;
  // A routed order reads every venue's book: the venues that must be asked (ccxt) are asked first, outside the queue.
  if (order.route && order.venue === undefined) await requireEngine().refreshVisibleBooks(order.symbol);
  return runCommand({ kind: "manualOrder", order, actor, reason: reason || null });
}

/** An order list as the Orders page shows it: one unit, its legs in order with their orders (null: not sent yet). */
export interface OrderListDto {
  listId: string;
  kind: string;
  symbol: string;
  status: string;
  /** Who keeps the contingency: EMULATED (the engine) or NATIVE (the venue). */
  mode: string;
  /** The same, as the books say it: "native" (one order list at the venue) or "emulated" (the engine links the legs). */
  execution: "native" | "emulated";
  createdAt: number;
  updatedAt: number;
  createdBy: string;
  endReason: string | null;
  legs: { role: string; clientOrderId: string; sent: boolean; order: OrderDto | null; replaced: string[]; note: string | null }[];
}

function orderListDto(list: OrderListView, venue: string): OrderListDto {
  return {
    listId: list.listId,
    kind: list.kind,
    symbol: list.symbol,
    status: list.status,
    mode: list.mode,
    execution: list.execution,
    createdAt: list.createdAt,
    updatedAt: list.updatedAt,
    createdBy: list.createdBy,
    endReason: list.endReason,
    legs: list.legs.map((l) => ({
      role: l.role,
      clientOrderId: l.clientOrderId,
      sent: l.sent,
      order: l.order ? orderDto(l.order, venue) : null,
      replaced: l.replaced,
      note: l.note,
    })),
  };
}

/** Order lists, newest first: the working ones, or the last `limit` of all (`all`). */
export function orderLists(input: { all?: boolean; limit?: number } = {}): { lists: OrderListDto[] } {
  const engine = requireEngine();
  return { lists: engine.orderLists(input).map((l) => orderListDto(l, engine.venueId())) };
}

export function placeOrderList(input: PlaceListRequest & { reason?: string; idempotencyKey?: string }, actor: Actor) {
  const { reason, idempotencyKey: _idempotencyKey, ...list } = input;
  return runCommand({ kind: "placeOrderList", list, actor, reason: reason || null });
}

export function cancelOrderList(input: { listId: string; reason?: string }, actor: Actor) {
  return runCommand({ kind: "cancelOrderList", listId: input.listId, actor, reason: input.reason || null });
}

export function amendOrder(input: { clientOrderId: string; quantity?: string; price?: string; reason?: string }, actor: Actor) {
  return runCommand({
    kind: "modifyOrder",
    clientOrderId: input.clientOrderId,
    ...(input.quantity !== undefined && { quantity: input.quantity }),
    ...(input.price !== undefined && { price: input.price }),
    actor,
    reason: input.reason || null,
  });
}

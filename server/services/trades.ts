/**
 * History for the API: closed trades with server-side filters, sorting, pagination and exact totals (the queries are in
 * db/queries/trades.ts and trade-totals.ts), a trade's detail, and the CSV export. Rows are shaped here from the
 * table's own type (Prisma's `Trade`), never copied by hand.
 */
import { DomainError } from "../core/errors";
import { Decimal } from "../core/money";
import { db } from "../db/client";
import { type PrismaClient, type Trade } from "../db/generated/client";
import { tradeStrategies, tradeTotals, type TradeFilter, type TradeTotals } from "../db/queries/trade-totals";
import {
  cursorAfter,
  filterOf,
  instrumentDecimals,
  iterateTrades,
  MAX_OFFSET,
  MAX_PAGE_SIZE,
  tradeFacets as tradeFacetRows,
  tradePageRows,
  tradeWithLegs,
  type InstrumentDecimals,
  type SortBy,
  type SortDir,
} from "../db/queries/trades";
import type { TradeOutcome } from "../db/store";
import { strategyName } from "./dto";

export type { TradeFilter, TradeTotals } from "../db/queries/trade-totals";
export { SORT_BYS, type SortBy, type SortDir } from "../db/queries/trades";

export interface TradeListInput extends TradeFilter {
  sort: { by: SortBy; dir: SortDir };
  page?: number;
  pageSize?: number;
  /** From a previous answer's `nextCursor`: the rows after that page's last row (same filter and sort). */
  cursor?: string;
  /** Default true; false skips `total`/`totals` (the page asks for them separately to show rows sooner). */
  withTotals?: boolean;
}

/**
 * A History row: the `trades` row as the API shows it (quantity as `qty`, side and outcome narrowed, sort shadows left
 * out), with its venue (its symbol's, from `instruments`; null for a symbol the desk no longer lists) and its strategy
 * (`manual` when none is recorded).
 */
export type TradeRowDto = Pick<
  Trade,
  "id" | "positionId" | "symbol" | "entryPrice" | "exitPrice" | "entryTime" | "exitTime" | "durationMs" | "fees" | "grossPnl" | "pnl" | "pnlPct" | "exitReason"
> & { side: "LONG" | "SHORT"; qty: string; outcome: TradeOutcome; venue: string | null; strategy: string };

export interface TradeListResult {
  rows: TradeRowDto[];
  page: number | null;
  pageSize: number;
  /** Present when there may be more rows after this page. */
  nextCursor: string | null;
  total: number | null;
  totals: TradeTotals | null;
  /** priceTick / qtyStep of the symbols on this page, for fixed decimals. */
  instruments: Record<string, InstrumentDecimals>;
}

export function tradeRowDto(r: Trade): TradeRowDto {
  return {
    id: r.id,
    positionId: r.positionId,
    venue: r.venue,
    symbol: r.symbol,
    side: r.side as TradeRowDto["side"],
    qty: r.quantity,
    entryPrice: r.entryPrice,
    exitPrice: r.exitPrice,
    entryTime: r.entryTime,
    exitTime: r.exitTime,
    durationMs: r.durationMs,
    fees: r.fees,
    grossPnl: r.grossPnl,
    pnl: r.pnl,
    pnlPct: r.pnlPct,
    outcome: r.outcome as TradeRowDto["outcome"],
    exitReason: r.exitReason,
    strategy: strategyName(r.strategy),
  };
}

export async function listTrades(input: TradeListInput, client: PrismaClient = db()): Promise<TradeListResult> {
  const { by, dir } = input.sort;
  const pageSize = Math.min(MAX_PAGE_SIZE, input.pageSize ?? 50);
  const filter = filterOf(input);
  if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to) {
    throw new DomainError("VALIDATION", "The date range is empty: 'from' must be before 'to'.");
  }
  let offset = 0;
  let page: number | null = null;
  if (!input.cursor) {
    page = input.page ?? 1;
    offset = (page - 1) * pageSize;
    if (offset > MAX_OFFSET) {
      throw new DomainError(
        "VALIDATION",
        `Page ${page} is too deep (more than ${MAX_OFFSET.toLocaleString("en-US")} rows in); narrow the filters or reverse the sort.`,
      );
    }
  }
  // One extra row tells whether there is a next page.
  const rowsPromise = tradePageRows(by, dir, filter, { cursor: input.cursor, limit: pageSize + 1, offset }, client);
  const totalsPromise = input.withTotals === false ? Promise.resolve(null) : tradeTotals(client, filter);
  const [raw, totals] = await Promise.all([rowsPromise, totalsPromise]);
  const more = raw.length > pageSize;
  const rows = more ? raw.slice(0, pageSize) : raw;
  const last = rows.at(-1);
  const instruments = await instrumentDecimals(client, [...new Set(rows.map((r) => r.symbol))]);
  return {
    rows: rows.map(tradeRowDto),
    page,
    pageSize,
    nextCursor: more && last ? cursorAfter(last, by, dir) : null,
    total: totals?.count ?? null,
    totals,
    instruments,
  };
}

/** What the History filter menus offer: the venues, symbols, strategies and exit reasons that occur in the trades. */
export async function tradeFacets(client: PrismaClient = db()): Promise<{ venues: string[]; symbols: string[]; strategies: string[]; exitReasons: string[] }> {
  const [{ venues, symbols, exitReasons }, strategies] = await Promise.all([tradeFacetRows(client), tradeStrategies(client)]);
  return { venues, symbols, strategies, exitReasons };
}

export function totalsFor(filter: TradeFilter, client: PrismaClient = db()): Promise<TradeTotals> {
  if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to) {
    throw new DomainError("VALIDATION", "The date range is empty: 'from' must be before 'to'.");
  }
  return tradeTotals(client, filterOf(filter));
}

// ── detail ───────────────────────────────────────────────────────────────────────────────────────────────────

/** Slippage in basis points, positive = worse than asked (paid more on a buy, got less on a sell). */
export function slippageBps(requested: string | null, filled: string | null, side: "BUY" | "SELL"): number | null {
  if (!requested || !filled) return null;
  const req = new Decimal(requested);
  const fill = new Decimal(filled);
  if (req.isZero() || fill.isZero()) return null;
  const diff = side === "BUY" ? fill.minus(req) : req.minus(fill);
  return diff.dividedBy(req).times(10_000).toDecimalPlaces(4).toNumber();
}

export async function tradeDetail(id: string, client: PrismaClient = db()) {
  const legs = await tradeWithLegs(id, client);
  if (!legs) throw new DomainError("NOT_FOUND", `No closed trade with id '${id}'.`);
  const { trade, fills, orders, instrument } = legs;
  const entrySide = trade.side === "LONG" ? "BUY" : "SELL";
  const role = (side: string) => (side === entrySide ? ("entry" as const) : ("exit" as const));
  const entryOrder = orders.find((o) => o.side === entrySide && o.avgFillPrice !== null) ?? null;
  const exitOrders = orders.filter((o) => o.side !== entrySide && o.avgFillPrice !== null);
  const exitOrder = exitOrders.at(-1) ?? null;
  const sumFees = fills.reduce((s, f) => s.plus(f.fee), new Decimal(0));
  return {
    trade: {
      ...tradeRowDto(trade),
      requestedPrice: trade.requestedPrice,
      entrySlippageBps: trade.entrySlippageBps,
      exitSlippageBps: trade.exitSlippageBps,
      signalId: trade.signalId,
    },
    instrument: instrument ?? null,
    /** Requested vs filled, per leg: the trade's own record, else the order's requestedPrice. */
    execution: {
      entry: {
        requestedPrice: trade.requestedPrice ?? entryOrder?.requestedPrice ?? null,
        filledPrice: trade.entryPrice,
        slippageBps: trade.entrySlippageBps ?? slippageBps(entryOrder?.requestedPrice ?? null, trade.entryPrice, entrySide),
        orderId: entryOrder?.clientOrderId ?? null,
      },
      exit: {
        requestedPrice: exitOrder?.requestedPrice ?? null,
        filledPrice: trade.exitPrice,
        slippageBps: trade.exitSlippageBps ?? slippageBps(exitOrder?.requestedPrice ?? null, trade.exitPrice, entrySide === "BUY" ? "SELL" : "BUY"),
        orderId: exitOrder?.clientOrderId ?? null,
      },
    },
    fills: fills.map((f) => ({
      id: f.id,
      tradeId: f.tradeId,
      clientOrderId: f.clientOrderId,
      role: role(f.side),
      side: f.side as "BUY" | "SELL",
      qty: f.qty,
      price: f.price,
      fee: f.fee,
      feeCurrency: f.feeCurrency,
      liquidity: f.liquidity,
      late: f.late,
      ts: f.ts,
    })),
    /** Sum of the fills' fees (should equal trade.fees; shown side by side). */
    fillFees: sumFees.toString(),
    orders: orders.map((o) => ({
      clientOrderId: o.clientOrderId,
      role: role(o.side),
      side: o.side as "BUY" | "SELL",
      type: o.type,
      status: o.status,
      quantity: o.quantity,
      filledQty: o.filledQty,
      price: o.price,
      triggerPrice: o.triggerPrice,
      requestedPrice: o.requestedPrice,
      avgFillPrice: o.avgFillPrice,
      slippageBps: slippageBps(o.requestedPrice, o.avgFillPrice, o.side as "BUY" | "SELL"),
      feesPaid: o.feesPaid,
      reason: o.reason,
      reduceOnly: o.reduceOnly,
      createdAt: o.createdAt,
      updatedAt: o.updatedAt,
    })),
  };
}

export type TradeDetail = Awaited<ReturnType<typeof tradeDetail>>;

// ── export ───────────────────────────────────────────────────────────────────────────────────────────────────

// ── CSV ──────────────────────────────────────────────────────────────────────────────────────────────────────

export const CSV_COLUMNS = [
  "id",
  "positionId",
  "symbol",
  "side",
  "quantity",
  "entryPrice",
  "exitPrice",
  "entryTime",
  "exitTime",
  "durationMs",
  "fees",
  "grossPnl",
  "pnl",
  "pnlPct",
  "outcome",
  "exitReason",
  "requestedPrice",
  "entrySlippageBps",
  "exitSlippageBps",
  "strategy",
  "signalId",
  // Added last so that tools reading columns by position keep working.
  "venue",
] as const;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF; quotes doubled. Free text that a
 * spreadsheet would run as a formula (=, +, -, @ first) gets a leading apostrophe; numbers are never touched.
 */
export function csvField(value: string | number | null | undefined, text = false): string {
  if (value === null || value === undefined) return "";
  let s = String(value);
  if (text && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A trade as one CSV record (CRLF-terminated): decimals as the exact stored strings, times as ISO 8601 UTC; strategy
 * `manual` when none is recorded; `venue` the one it traded on (empty for a trade from before trades kept theirs, whose venue could not be recovered).
 */
export function tradeCsvLine(r: Trade): string {
  return (
    [
      csvField(r.id, true),
      csvField(r.positionId, true),
      csvField(r.symbol, true),
      csvField(r.side, true),
      csvField(r.quantity),
      csvField(r.entryPrice),
      csvField(r.exitPrice),
      csvField(iso(r.entryTime)),
      csvField(iso(r.exitTime)),
      csvField(r.durationMs),
      csvField(r.fees),
      csvField(r.grossPnl),
      csvField(r.pnl),
      csvField(r.pnlPct),
      csvField(r.outcome, true),
      csvField(r.exitReason, true),
      csvField(r.requestedPrice),
      csvField(r.entrySlippageBps),
      csvField(r.exitSlippageBps),
      csvField(strategyName(r.strategy), true),
      csvField(r.signalId, true),
      csvField(r.venue, true),
    ].join(",") + "\r\n"
  );
}

export const CSV_HEADER = `${CSV_COLUMNS.join(",")}\r\n`;

/** The filtered trades as a CSV byte stream: header, then rows chunk by chunk as the reader pulls. */
export function tradesCsvStream(filter: TradeFilter, dir: SortDir = "desc", client: PrismaClient = db()): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const chunks = iterateTrades(filter, dir, 2000, client);
  let headerSent = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(CSV_HEADER));
        return;
      }
      const next = await chunks.next();
      if (next.done) {
        controller.close();
        return;
      }
      controller.enqueue(encoder.encode(next.value.map(tradeCsvLine).join("")));
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}

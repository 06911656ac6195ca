/**
 * History: closed trades, with server-side filters, sorting, pagination, exact totals, a trade's detail, and the
 * rows for the CSV export. Built for a million rows (see scripts/bench/history.ts for the numbers):
 *
 * - Every sort has a total order: its column(s), then rowid (the table's own key, in insertion order), so pages
 *   never repeat or skip rows. exitTime, pnl (via pnlNum) and symbol (symbol, exitTime) are served by indexes;
 *   entryTime, pnlPct and duration have none yet and cost a top-N scan of the table (see the note in the report).
 * - Pages: a keyset cursor (after the last row) for scrolling on, or a page number. A page number is an OFFSET
 *   over rowids only (a covering index scan), and only the page's rows are then read from the table, so page
 *   1000 costs about as much as page 1. Offsets are capped at MAX_OFFSET rows.
 * - Totals (count, wins, losses, win rate, gross/net PnL, fees, average) are exact and come from the rollup in
 *   trade-totals.ts; `total` is its count.
 */
import { DomainError } from "../core/errors";
import { Decimal } from "../core/money";
import { db } from "../db/client";
import { Prisma, type PrismaClient } from "../db/generated/client";
import { filterSql, tradeTotals, whereSql, type TradeFilter, type TradeTotals } from "./trade-totals";

export type { TradeFilter, TradeTotals } from "./trade-totals";

export const SORT_BYS = ["exitTime", "entryTime", "pnl", "pnlPct", "symbol", "duration"] as const;
export type SortBy = (typeof SORT_BYS)[number];
export type SortDir = "asc" | "desc";

/** The columns behind each sort (constants: never from input), before the rowid tie-break. */
const SORT_COLUMNS: Record<SortBy, readonly ("exitTime" | "entryTime" | "pnlNum" | "pnlPct" | "symbol" | "durationMs")[]> = {
  exitTime: ["exitTime"],
  entryTime: ["entryTime"],
  pnl: ["pnlNum"],
  pnlPct: ["pnlPct"],
  symbol: ["symbol", "exitTime"],
  duration: ["durationMs"],
};

/** Sorts served by an index (others scan the table once per page). */
export const INDEXED_SORTS: ReadonlySet<SortBy> = new Set(["exitTime", "pnl", "symbol"]);

export const MAX_PAGE_SIZE = 200;
/** Deepest OFFSET a page number may reach; past it, use the cursor or narrow the filter. */
export const MAX_OFFSET = 500_000;

export interface TradeListInput extends TradeFilter {
  sort: { by: SortBy; dir: SortDir };
  page?: number;
  pageSize?: number;
  /** From a previous answer's `nextCursor`: the rows after that page's last row (same filter and sort). */
  cursor?: string;
  /** Default true; false skips `total`/`totals` (the page asks for them separately to show rows sooner). */
  withTotals?: boolean;
}

export interface TradeRowDto {
  id: string;
  positionId: string;
  symbol: string;
  side: "LONG" | "SHORT";
  qty: string;
  entryPrice: string;
  exitPrice: string;
  entryTime: number;
  exitTime: number;
  durationMs: number;
  fees: string;
  grossPnl: string;
  pnl: string;
  pnlPct: number;
  outcome: "WIN" | "LOSS" | "BREAKEVEN";
  exitReason: string;
  strategy: string | null;
}

export interface InstrumentDecimals {
  priceTick: string;
  qtyStep: string;
}

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

interface TradeRow {
  rid: number | bigint;
  id: string;
  positionId: string;
  symbol: string;
  side: string;
  quantity: string;
  entryPrice: string;
  exitPrice: string;
  entryTime: number;
  exitTime: number;
  durationMs: number;
  fees: string;
  grossPnl: string;
  pnl: string;
  pnlNum: number;
  pnlPct: number;
  outcome: string;
  exitReason: string;
  requestedPrice: string | null;
  entrySlippageBps: number | null;
  exitSlippageBps: number | null;
  strategy: string | null;
  signalId: string | null;
}

export function tradeRowDto(r: TradeRow): TradeRowDto {
  return {
    id: r.id,
    positionId: r.positionId,
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
    strategy: r.strategy,
  };
}

// ── cursors ──────────────────────────────────────────────────────────────────────────────────────────────────

interface CursorData {
  by: SortBy;
  dir: SortDir;
  /** The sort column values of the last row, then its rowid. */
  k: (string | number)[];
}

export function encodeCursor(c: CursorData): string {
  return Buffer.from(JSON.stringify(c)).toString("base64url");
}

function badCursor(why: string): DomainError {
  return new DomainError("VALIDATION", `The page cursor is not valid (${why}); start again from page 1.`);
}

export function decodeCursor(text: string, by: SortBy, dir: SortDir): CursorData {
  let c: unknown;
  try {
    c = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    throw badCursor("unreadable");
  }
  const cur = c as Partial<CursorData> | null;
  if (!cur || typeof cur !== "object" || cur.by !== by || cur.dir !== dir) throw badCursor("it belongs to another sort");
  const cols = SORT_COLUMNS[by];
  const k = cur.k;
  if (!Array.isArray(k) || k.length !== cols.length + 1) throw badCursor("wrong shape");
  for (const [i, v] of k.entries()) {
    const col = i < cols.length ? cols[i] : "rowid";
    const ok = col === "symbol" ? typeof v === "string" && v.length <= 64 : typeof v === "number" && Number.isFinite(v);
    if (!ok) throw badCursor("wrong values");
  }
  return { by, dir, k };
}

// ── queries ──────────────────────────────────────────────────────────────────────────────────────────────────

function orderSql(by: SortBy, dir: SortDir, alias = ""): Prisma.Sql {
  const d = dir === "asc" ? "ASC" : "DESC";
  return Prisma.raw([...SORT_COLUMNS[by], "rowid"].map((c) => `${alias}${c} ${d}`).join(", "));
}

/** (c1, c2, rowid) < (?, ?, ?) for desc, > for asc: the rows after the cursor's row. */
function keysetSql(c: CursorData): Prisma.Sql {
  const cols = Prisma.raw(`(${[...SORT_COLUMNS[c.by], "rowid"].join(", ")})`);
  const op = Prisma.raw(c.dir === "asc" ? ">" : "<");
  return Prisma.sql`${cols} ${op} (${Prisma.join(c.k)})`;
}

function cursorAfter(row: TradeRow, by: SortBy, dir: SortDir): string {
  const r = row as unknown as Record<string, string | number>;
  return encodeCursor({ by, dir, k: [...SORT_COLUMNS[by].map((c) => r[c]!), Number(row.rid)] });
}

async function instrumentDecimals(client: PrismaClient, symbols: string[]): Promise<Record<string, InstrumentDecimals>> {
  if (symbols.length === 0) return {};
  const rows = await client.instrument.findMany({ where: { symbol: { in: symbols } }, select: { symbol: true, priceTick: true, qtyStep: true } });
  return Object.fromEntries(rows.map((i) => [i.symbol, { priceTick: i.priceTick, qtyStep: i.qtyStep }]));
}

export function filterOf(input: TradeFilter): TradeFilter {
  const f: TradeFilter = {};
  if (input.symbol !== undefined) f.symbol = input.symbol;
  if (input.side !== undefined) f.side = input.side;
  if (input.outcome !== undefined) f.outcome = input.outcome;
  if (input.exitReason !== undefined) f.exitReason = input.exitReason;
  if (input.from !== undefined) f.from = input.from;
  if (input.to !== undefined) f.to = input.to;
  return f;
}

/**
 * One page: the inner query touches only an index (rowids, in the sort's order); the outer one reads just those
 * rows. CROSS JOIN pins that join order: otherwise SQLite may satisfy the outer ORDER BY by scanning the whole
 * table in index order and probing the page's rowids (100+ ms on a million rows instead of under 1 ms).
 */
export function pageSql(by: SortBy, dir: SortDir, where: Prisma.Sql, limit: number, offset: number): Prisma.Sql {
  return Prisma.sql`
    SELECT t.rowid AS rid, t.* FROM (
      SELECT rowid AS r FROM trades ${where} ORDER BY ${orderSql(by, dir)} LIMIT ${limit} OFFSET ${offset}
    ) AS k CROSS JOIN trades AS t ON t.rowid = k.r
    ORDER BY ${orderSql(by, dir, "t.")}`;
}

export async function listTrades(input: TradeListInput, client: PrismaClient = db()): Promise<TradeListResult> {
  const { by, dir } = input.sort;
  const pageSize = Math.min(MAX_PAGE_SIZE, input.pageSize ?? 50);
  const filter = filterOf(input);
  if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to) {
    throw new DomainError("VALIDATION", "The date range is empty: 'from' must be before 'to'.");
  }
  const conditions = filterSql(filter);
  let offset = 0;
  let page: number | null = null;
  if (input.cursor) {
    conditions.push(keysetSql(decodeCursor(input.cursor, by, dir)));
  } else {
    page = input.page ?? 1;
    offset = (page - 1) * pageSize;
    if (offset > MAX_OFFSET) {
      throw new DomainError(
        "VALIDATION",
        `Page ${page} is too deep (more than ${MAX_OFFSET.toLocaleString("en-US")} rows in); narrow the filters or reverse the sort.`,
      );
    }
  }
  const where = whereSql(conditions);
  // One extra row tells whether there is a next page.
  const rowsPromise = client.$queryRaw<TradeRow[]>(pageSql(by, dir, where, pageSize + 1, offset));
  const totalsPromise = input.withTotals === false ? Promise.resolve(null) : tradeTotals(client, filter);
  const [raw, totals] = await Promise.all([rowsPromise, totalsPromise]);
  const more = raw.length > pageSize;
  const rows = more ? raw.slice(0, pageSize) : raw;
  const last = rows.at(-1);
  return {
    rows: rows.map(tradeRowDto),
    page,
    pageSize,
    nextCursor: more && last ? cursorAfter(last, by, dir) : null,
    total: totals?.count ?? null,
    totals,
    instruments: await instrumentDecimals(client, [...new Set(rows.map((r) => r.symbol))]),
  };
}

export function totalsFor(filter: TradeFilter, client: PrismaClient = db()): Promise<TradeTotals> {
  if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to) {
    throw new DomainError("VALIDATION", "The date range is empty: 'from' must be before 'to'.");
  }
  return tradeTotals(client, filterOf(filter));
}

/**
 * Symbols and exit reasons that occur in the trades (for the filter menus), by a skip-scan over the
 * (symbol, exitTime) and (exitReason, exitTime) indexes: one index seek per distinct value, not a scan.
 */
export async function tradeFacets(client: PrismaClient = db()): Promise<{ symbols: string[]; exitReasons: string[] }> {
  const distinct = async (col: "symbol" | "exitReason") => {
    const c = Prisma.raw(col);
    const rows = await client.$queryRaw<{ v: string }[]>`
      WITH RECURSIVE d(v) AS (
        SELECT MIN(${c}) FROM trades
        UNION ALL
        SELECT (SELECT MIN(${c}) FROM trades WHERE ${c} > d.v) FROM d WHERE d.v IS NOT NULL LIMIT 1000
      ) SELECT v FROM d WHERE v IS NOT NULL`;
    return rows.map((r) => r.v);
  };
  const [symbols, exitReasons] = await Promise.all([distinct("symbol"), distinct("exitReason")]);
  return { symbols, exitReasons };
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
  const trade = await client.trade.findUnique({ where: { id } });
  if (!trade) throw new DomainError("NOT_FOUND", `No closed trade with id '${id}'.`);
  const [fills, orders, instrument] = await Promise.all([
    client.fill.findMany({ where: { positionId: trade.positionId }, orderBy: [{ ts: "asc" }, { id: "asc" }] }),
    client.order.findMany({ where: { positionId: trade.positionId }, orderBy: [{ createdAt: "asc" }] }),
    client.instrument.findUnique({ where: { symbol: trade.symbol }, select: { priceTick: true, qtyStep: true } }),
  ]);
  const entrySide = trade.side === "LONG" ? "BUY" : "SELL";
  const role = (side: string) => (side === entrySide ? ("entry" as const) : ("exit" as const));
  const entryOrder = orders.find((o) => o.side === entrySide && o.avgFillPrice !== null) ?? null;
  const exitOrders = orders.filter((o) => o.side !== entrySide && o.avgFillPrice !== null);
  const exitOrder = exitOrders.at(-1) ?? null;
  const sumFees = fills.reduce((s, f) => s.plus(f.fee), new Decimal(0));
  return {
    trade: {
      ...tradeRowDto({ ...trade, rid: 0 }),
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

/**
 * The filtered trades in exitTime order (desc or asc), chunk by chunk by keyset on (exitTime, rowid): memory stays
 * at one chunk whatever the size of the set.
 */
export async function* iterateTrades(filter: TradeFilter, dir: SortDir = "desc", chunk = 2000, client: PrismaClient = db()): AsyncGenerator<TradeRow[]> {
  let cursor: CursorData | null = null;
  for (;;) {
    const conditions = filterSql(filterOf(filter));
    if (cursor) conditions.push(keysetSql(cursor));
    const rows: TradeRow[] = await client.$queryRaw<TradeRow[]>`
      SELECT rowid AS rid, * FROM trades ${whereSql(conditions)} ORDER BY ${orderSql("exitTime", dir)} LIMIT ${chunk}`;
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < chunk) return;
    const last = rows.at(-1)!;
    cursor = { by: "exitTime", dir, k: [last.exitTime, Number(last.rid)] };
  }
}

export type { TradeRow };

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

/** A trade as one CSV record (CRLF-terminated): decimals as the exact stored strings, times as ISO 8601 UTC. */
export function tradeCsvLine(r: TradeRow): string {
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
      csvField(r.strategy, true),
      csvField(r.signalId, true),
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

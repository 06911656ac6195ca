/**
 * The read side of History (the `trades` table): sorts, keyset cursors, pages, facets, one trade with its legs, and the
 * chunked scan behind the CSV export. Built for a million rows (see scripts/bench/history.ts for the numbers):
 *
 * - Every sort has a total order: its column(s), then rowid (the table's own key, in insertion order), so pages
 *   never repeat or skip rows. exitTime, pnl (via pnlNum) and symbol (symbol, exitTime) are served by indexes;
 *   entryTime, pnlPct and duration have none yet and cost a top-N scan of the table (see the note in the report).
 * - Pages: a keyset cursor (after the last row) for scrolling on, or a page number. A page number is an OFFSET
 *   over rowids only (a covering index scan), and only the page's rows are then read from the table, so page
 *   1000 costs about as much as page 1. Offsets are capped at MAX_OFFSET rows.
 * - Totals come from the rollup in trade-totals.ts.
 *
 * Rows come back as the table holds them (Prisma's `Trade`); services/trades.ts shapes them for the API.
 */
import { DomainError } from "../../core/errors";
import { db } from "../client";
import { Prisma, type PrismaClient, type Trade } from "../generated/client";
import { filterSql, whereSql, type TradeFilter } from "./trade-totals";

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

/** A `trades` row as `SELECT rowid AS rid, *` returns it (rid: the keyset tie-break). */
export type TradeRow = Trade & { rid: number | bigint };

/** The decimals of a symbol, for fixed-width prices and quantities. */
export interface InstrumentDecimals {
  priceTick: string;
  qtyStep: string;
}

// ── cursors ──────────────────────────────────────────────────────────────────────────────────────────────────

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

export function cursorAfter(row: TradeRow, by: SortBy, dir: SortDir): string {
  const r = row as unknown as Record<string, string | number>;
  return encodeCursor({ by, dir, k: [...SORT_COLUMNS[by].map((c) => r[c]!), Number(row.rid)] });
}

export async function instrumentDecimals(client: PrismaClient, symbols: string[]): Promise<Record<string, InstrumentDecimals>> {
  if (symbols.length === 0) return {};
  const rows = await client.instrument.findMany({ where: { symbol: { in: symbols } }, select: { symbol: true, priceTick: true, qtyStep: true } });
  return Object.fromEntries(rows.map((i) => [i.symbol, { priceTick: i.priceTick, qtyStep: i.qtyStep }]));
}

export function filterOf(input: TradeFilter): TradeFilter {
  const f: TradeFilter = {};
  if (input.venue !== undefined) f.venue = input.venue;
  if (input.symbol !== undefined) f.symbol = input.symbol;
  if (input.strategy !== undefined) f.strategy = input.strategy;
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

/**
 * The rows of one page (ask for one more than the page holds to learn whether more follow): after `cursor` (from
 * `cursorAfter`) or at `offset`. Synchronous up to the query, so a bad cursor is refused before anything runs.
 */
export function tradePageRows(
  by: SortBy,
  dir: SortDir,
  filter: TradeFilter,
  page: { cursor?: string | undefined; limit: number; offset: number },
  client: PrismaClient = db(),
): Promise<TradeRow[]> {
  const conditions = filterSql(filter);
  if (page.cursor) conditions.push(keysetSql(decodeCursor(page.cursor, by, dir)));
  return client.$queryRaw<TradeRow[]>(pageSql(by, dir, whereSql(conditions), page.limit, page.offset));
}

/** One closed trade with the fills and orders of its position and its symbol's decimals; null when there is none. */
export async function tradeWithLegs(id: string, client: PrismaClient = db()) {
  const trade = await client.trade.findUnique({ where: { id } });
  if (!trade) return null;
  const [fills, orders, instrument] = await Promise.all([
    client.fill.findMany({ where: { positionId: trade.positionId }, orderBy: [{ ts: "asc" }, { id: "asc" }] }),
    client.order.findMany({ where: { positionId: trade.positionId }, orderBy: [{ createdAt: "asc" }] }),
    client.instrument.findUnique({ where: { symbol: trade.symbol }, select: { priceTick: true, qtyStep: true } }),
  ]);
  return { trade, fills, orders, instrument };
}

/**
 * Venues, symbols and exit reasons that occur in the trades (for the filter menus), by a skip-scan over the
 * (venue, exitTime), (symbol, exitTime) and (exitReason, exitTime) indexes: one index seek per distinct value, not a scan.
 */
export async function tradeFacets(client: PrismaClient = db()): Promise<{ venues: string[]; symbols: string[]; exitReasons: string[] }> {
  const distinct = async (col: "venue" | "symbol" | "exitReason") => {
    const c = Prisma.raw(col);
    const rows = await client.$queryRaw<{ v: string }[]>`
      WITH RECURSIVE d(v) AS (
        SELECT MIN(${c}) FROM trades
        UNION ALL
        SELECT (SELECT MIN(${c}) FROM trades WHERE ${c} > d.v) FROM d WHERE d.v IS NOT NULL LIMIT 1000
      ) SELECT v FROM d WHERE v IS NOT NULL`;
    return rows.map((r) => r.v);
  };
  const [venues, symbols, exitReasons] = await Promise.all([distinct("venue"), distinct("symbol"), distinct("exitReason")]);
  return { venues, symbols, exitReasons };
}

/** The trades closed in [from, to), with what the exact statistics need. */
export function tradesClosedBetween(from: number, to: number, client: PrismaClient = db()) {
  return client.trade.findMany({
    where: { exitTime: { gte: from, lt: to } },
    select: {
      positionId: true,
      symbol: true,
      side: true,
      quantity: true,
      entryPrice: true,
      exitPrice: true,
      entryTime: true,
      exitTime: true,
      fees: true,
      pnl: true,
      exitReason: true,
      strategy: true,
    },
  });
}

/** Net PnL (exact TEXT) and strategy of the trades closed at or after `since`: one UTC day's worth for the Overview. */
export function tradesClosedSince(since: number, client: PrismaClient = db()) {
  return client.trade.findMany({ where: { exitTime: { gte: since } }, select: { strategy: true, pnl: true } });
}

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

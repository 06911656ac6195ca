/**
 * In-memory rollups that keep the performance page fast on large books (a million trades, a year of 30-second equity
 * snapshots): trades per (symbol, UTC day) and equity snapshots per UTC hour, built by SQL aggregation and then kept
 * current incrementally (`rowid > last seen` for trades, `id > last seen` for snapshots — both tables are
 * append-only: the engine inserts and never updates or deletes them).
 *
 * A window [from, to) is answered from the whole days / hours inside it plus a direct, index-backed SQL aggregation of
 * the partial day / hour at each edge, so any from/to gives the same numbers as a full scan.
 *
 * Money sums here are REAL (pnlNum, CAST(fees AS REAL)): display values. Counts, durations and the equity's TEXT
 * first/last values are exact. One rollup per Prisma client (tests swap clients); rebuilt when the table shrinks.
 */
import { db } from "../client";
import { type PrismaClient } from "../generated/client";

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

type Row = Record<string, unknown>;
export const num = (v: unknown): number => (typeof v === "bigint" ? Number(v) : typeof v === "number" ? v : v === null || v === undefined ? 0 : Number(v));

// ---------------------------------------------------------------------------------------------------------------
// Trades per (symbol, day)

export interface TradeAgg {
  trades: number;
  wins: number;
  losses: number;
  net: number;
  profit: number;
  loss: number;
  fees: number;
  durSum: number;
  slipKnown: number;
  slipCost: number;
  bpsSum: number;
  bpsCount: number;
}

export const emptyTradeAgg = (): TradeAgg => ({
  trades: 0,
  wins: 0,
  losses: 0,
  net: 0,
  profit: 0,
  loss: 0,
  fees: 0,
  durSum: 0,
  slipKnown: 0,
  slipCost: 0,
  bpsSum: 0,
  bpsCount: 0,
});

export function addTradeAgg(into: TradeAgg, a: TradeAgg): TradeAgg {
  for (const k of Object.keys(into) as (keyof TradeAgg)[]) into[k] += a[k];
  return into;
}

// REAL zeros (0.0, not 0) in the sums: the driver types a column by its first row, and an integer 0 there truncated
// every later row's profit (a group of losses first).
/** Slippage cost per row: bps / 10 000 × quantity × price for the entry and the exit, where known. */
const TRADE_AGG_SQL = `SELECT symbol, COALESCE(NULLIF(strategy, ''), 'manual') AS strategy, CAST(exitTime / ${DAY_MS} AS INTEGER) AS d, COUNT(*) AS trades,
  SUM(pnlNum > 0) AS wins, SUM(pnlNum < 0) AS losses, SUM(pnlNum) AS net,
  SUM(CASE WHEN pnlNum > 0 THEN pnlNum ELSE 0.0 END) AS profit, SUM(CASE WHEN pnlNum < 0 THEN pnlNum ELSE 0.0 END) AS loss,
  SUM(CAST(fees AS REAL)) AS fees, SUM(durationMs) AS durSum,
  SUM(entrySlippageBps IS NOT NULL OR exitSlippageBps IS NOT NULL) AS slipKnown,
  SUM(COALESCE(entrySlippageBps * CAST(quantity AS REAL) * CAST(entryPrice AS REAL), 0) / 10000.0
    + COALESCE(exitSlippageBps * CAST(quantity AS REAL) * CAST(exitPrice AS REAL), 0) / 10000.0) AS slipCost,
  SUM(COALESCE(entrySlippageBps, 0.0) + COALESCE(exitSlippageBps, 0.0)) AS bpsSum,
  SUM((entrySlippageBps IS NOT NULL) + (exitSlippageBps IS NOT NULL)) AS bpsCount,
  MAX(rowid) AS maxRowid
  FROM trades`;

export interface TradeCell {
  symbol: string;
  /** `manual` for trades without a recorded strategy (a person's). */
  strategy: string;
  dayStart: number;
  agg: TradeAgg;
}

function tradeCell(r: Row): TradeCell & { maxRowid: number } {
  return {
    symbol: String(r.symbol),
    strategy: String(r.strategy),
    dayStart: num(r.d) * DAY_MS,
    maxRowid: num(r.maxRowid),
    agg: {
      trades: num(r.trades),
      wins: num(r.wins),
      losses: num(r.losses),
      net: num(r.net),
      profit: num(r.profit),
      loss: num(r.loss),
      fees: num(r.fees),
      durSum: num(r.durSum),
      slipKnown: num(r.slipKnown),
      slipCost: num(r.slipCost),
      bpsSum: num(r.bpsSum),
      bpsCount: num(r.bpsCount),
    },
  };
}

async function tradeCells(client: PrismaClient, where: string, ...args: number[]): Promise<(TradeCell & { maxRowid: number })[]> {
  const rows = await client.$queryRawUnsafe<Row[]>(`${TRADE_AGG_SQL} WHERE ${where} GROUP BY symbol, strategy, d`, ...args);
  return rows.map(tradeCell);
}

// ---------------------------------------------------------------------------------------------------------------
// Equity per hour

export interface EquityHour {
  hourStart: number;
  count: number;
  firstTs: number;
  /** Exact TEXT equity of the hour's first and last snapshot. */
  firstEquity: string;
  lastTs: number;
  lastEquity: string;
  firstNum: number;
  lastNum: number;
  lo: number;
  hi: number;
  /** Largest fall inside the hour, as a fraction of its (in-hour) peak. */
  dd: number;
}

/**
 * Per-hour aggregates of the snapshots matching `where` (in ts order), with the in-hour drawdown (one window function:
 * the running in-hour peak). The first and last snapshot of each hour come from SQLite's documented bare-column rule:
 * with a single MIN() or MAX() aggregate, the other columns are taken from the row that holds it.
 */
async function equityHours(client: PrismaClient, where: string, ...args: number[]): Promise<(EquityHour & { maxId: number })[]> {
  const hourOf = `CAST(ts / ${HOUR_MS} AS INTEGER)`;
  const [stats, firsts, lasts] = await Promise.all([
    client.$queryRawUnsafe<Row[]>(
      `SELECT h, COUNT(*) AS n, MIN(equityNum) AS lo, MAX(equityNum) AS hi, MAX(CASE WHEN pk > 0 THEN (pk - equityNum) / pk ELSE 0 END) AS dd, MAX(id) AS maxId
       FROM (SELECT id, equityNum, h, MAX(equityNum) OVER (PARTITION BY h ORDER BY ts, id ROWS UNBOUNDED PRECEDING) AS pk
             FROM (SELECT id, ts, equityNum, ${hourOf} AS h FROM equity_snapshots WHERE ${where}))
       GROUP BY h ORDER BY h`,
      ...args,
    ),
    client.$queryRawUnsafe<Row[]>(`SELECT ${hourOf} AS h, MIN(ts) AS ts, equity, equityNum FROM equity_snapshots WHERE ${where} GROUP BY h`, ...args),
    client.$queryRawUnsafe<Row[]>(`SELECT ${hourOf} AS h, MAX(ts) AS ts, equity, equityNum FROM equity_snapshots WHERE ${where} GROUP BY h`, ...args),
  ]);
  const firstOf = new Map(firsts.map((r) => [num(r.h), r]));
  const lastOf = new Map(lasts.map((r) => [num(r.h), r]));
  return stats.map((r) => {
    const h = num(r.h);
    const f = firstOf.get(h)!;
    const l = lastOf.get(h)!;
    return {
      hourStart: h * HOUR_MS,
      count: num(r.n),
      firstTs: num(f.ts),
      firstEquity: String(f.equity),
      firstNum: num(f.equityNum),
      lastTs: num(l.ts),
      lastEquity: String(l.equity),
      lastNum: num(l.equityNum),
      lo: num(r.lo),
      hi: num(r.hi),
      dd: num(r.dd),
      maxId: num(r.maxId),
    };
  });
}

/** `b` follows `a` in time: one hour (or span) made of both. */
export function mergeEquity(a: EquityHour, b: EquityHour): EquityHour {
  const cross = a.hi > 0 ? (a.hi - b.lo) / a.hi : 0;
  return {
    hourStart: a.hourStart,
    count: a.count + b.count,
    firstTs: a.firstTs,
    firstEquity: a.firstEquity,
    firstNum: a.firstNum,
    lastTs: b.lastTs,
    lastEquity: b.lastEquity,
    lastNum: b.lastNum,
    lo: Math.min(a.lo, b.lo),
    hi: Math.max(a.hi, b.hi),
    dd: Math.max(a.dd, b.dd, cross),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The rollup, per client

interface Rollup {
  trades: Map<string, TradeCell>;
  lastRowid: number;
  hours: Map<number, EquityHour>;
  lastSnapshotId: number;
  /** Serializes updates. */
  lock: Promise<unknown>;
}

const rollups = new WeakMap<PrismaClient, Rollup>();

function fresh(): Rollup {
  return { trades: new Map(), lastRowid: 0, hours: new Map(), lastSnapshotId: 0, lock: Promise.resolve() };
}

async function update(client: PrismaClient, r: Rollup): Promise<void> {
  const [maxes] = await client.$queryRawUnsafe<Row[]>("SELECT (SELECT MAX(rowid) FROM trades) AS t, (SELECT MAX(id) FROM equity_snapshots) AS e");
  const maxRowid = num(maxes?.t);
  const maxId = num(maxes?.e);
  // A table that shrank (a restored or replaced database): start again.
  if (maxRowid < r.lastRowid || maxId < r.lastSnapshotId) Object.assign(r, { ...fresh(), lock: r.lock });
  if (maxRowid > r.lastRowid) {
    for (const c of await tradeCells(client, "rowid > ? AND rowid <= ?", r.lastRowid, maxRowid)) {
      const key = `${c.symbol}|${c.strategy}|${c.dayStart}`;
      const have = r.trades.get(key);
      if (have) addTradeAgg(have.agg, c.agg);
      else r.trades.set(key, { symbol: c.symbol, strategy: c.strategy, dayStart: c.dayStart, agg: c.agg });
    }
    r.lastRowid = maxRowid;
  }
  if (maxId > r.lastSnapshotId) {
    for (const h of await equityHours(client, "id > ? AND id <= ?", r.lastSnapshotId, maxId)) {
      const have = r.hours.get(h.hourStart);
      r.hours.set(h.hourStart, have ? mergeEquity(have, h) : h);
    }
    r.lastSnapshotId = maxId;
  }
}

async function current(): Promise<{ client: PrismaClient; rollup: Rollup }> {
  const client = db();
  let r = rollups.get(client);
  if (!r) {
    r = fresh();
    rollups.set(client, r);
  }
  const rollup = r;
  const run = rollup.lock.then(() => update(client, rollup));
  rollup.lock = run.catch(() => undefined);
  await run;
  return { client, rollup };
}

/** Whole units inside [from, to) and the partial edges. */
function split(from: number, to: number, unit: number): { fullStart: number; fullEnd: number } {
  const fullStart = Math.ceil(from / unit) * unit;
  const fullEnd = Math.max(fullStart, Math.floor(Math.min(to, Number.MAX_SAFE_INTEGER) / unit) * unit);
  return { fullStart, fullEnd };
}

/** Trade aggregates per (symbol, strategy, day) for closed trades with exitTime in [from, to). */
export async function tradeWindow(from: number, to: number): Promise<TradeCell[]> {
  const { client, rollup } = await current();
  const { fullStart, fullEnd } = split(from, to, DAY_MS);
  const out: TradeCell[] = [];
  if (fullStart >= fullEnd) return tradeCells(client, "exitTime >= ? AND exitTime < ?", from, to);
  for (const c of rollup.trades.values())
    if (c.dayStart >= fullStart && c.dayStart < fullEnd) out.push({ symbol: c.symbol, strategy: c.strategy, dayStart: c.dayStart, agg: { ...c.agg } });
  if (from < fullStart) out.push(...(await tradeCells(client, "exitTime >= ? AND exitTime < ?", from, fullStart)));
  if (fullEnd < to) out.push(...(await tradeCells(client, "exitTime >= ? AND exitTime < ?", fullEnd, to)));
  return out;
}

/** Equity per hour (in time order) for snapshots with ts in [from, to). */
export async function equityWindow(from: number, to: number): Promise<EquityHour[]> {
  const { client, rollup } = await current();
  const { fullStart, fullEnd } = split(from, to, HOUR_MS);
  if (fullStart >= fullEnd) return equityHours(client, "ts >= ? AND ts < ?", from, to);
  const out: EquityHour[] = [];
  if (from < fullStart) out.push(...(await equityHours(client, "ts >= ? AND ts < ?", from, fullStart)));
  const inside = [...rollup.hours.values()].filter((h) => h.hourStart >= fullStart && h.hourStart < fullEnd).sort((a, b) => a.hourStart - b.hourStart);
  out.push(...inside);
  if (fullEnd < to) out.push(...(await equityHours(client, "ts >= ? AND ts < ?", fullEnd, to)));
  return out;
}

/**
 * Exact totals of closed trades for any History filter, fast on a million rows.
 *
 * Why not `SUM()` in SQL: money is TEXT (exact decimals). SQLite can only sum it as floats (`SUM(pnlNum)`), and an
 * exact sum in SQL (splitting the text into integer chunks) took ~5 s over 1,000,000 rows here; a plain float SUM
 * over the table still ~1 s (a full table scan). Both block the one Node process that also runs the engine.
 *
 * What we do: a rollup kept in memory per database, one cell per (symbol, side, outcome, exitReason, UTC day),
 * holding the count and the exact sums of net PnL, gross PnL and fees as scaled BigInts (10^-40). It is built
 * once (a chunked scan by rowid that yields to the event loop between chunks), then kept current cheaply: trades
 * are append-only (the engine only inserts), so each query folds in the rows above the high-water rowid.
 * A query sums the matching cells for the whole UTC days inside [from, to) and adds the two partial edge days
 * from SQL (small index range scans). Every figure is exact; a row whose text cannot be read exactly (it never
 * happens with the engine's Decimal strings) marks the totals `exact: false`.
 *
 * A safety net: every 60 s a query also checks COUNT(*) up to the high-water mark against the rollup and rebuilds
 * on a mismatch (rows deleted or rewritten behind the engine's back, e.g. a restored backup).
 */
import { Prisma, type PrismaClient } from "../generated/client";
import { quoteOfSymbol } from "../../core/instrument";
import { entryOf } from "../../core/maps";
import { Decimal } from "../../core/money";

export const DAY_MS = 86_400_000;
/** Fixed-point scale of the sums: 40 decimals covers every value Decimal (precision 40, toExpNeg −30) prints. */
const SCALE = 40;
const SCALE_ZEROS = "0".repeat(SCALE);
// Rows per build step: each step blocks the event loop (the engine shares it) for only a few tens of ms.
const BUILD_CHUNK = 10_000;
const VERIFY_EVERY_MS = 60_000;

export interface TradeFilter {
  /** The venue the trade was on. */
  venue?: string;
  symbol?: string;
  /** `manual` also matches trades without a recorded strategy (a person's). */
  strategy?: string;
  side?: "LONG" | "SHORT";
  outcome?: "WIN" | "LOSS" | "BREAKEVEN";
  exitReason?: string;
  /** Epoch ms on exitTime: from inclusive, to exclusive. */
  from?: number;
  to?: number;
}

export interface TradeTotals {
  count: number;
  wins: number;
  losses: number;
  breakeven: number;
  /** wins / count × 100 (breakeven trades count in the denominator); null without trades. */
  winRatePct: number | null;
  grossPnl: string;
  netPnl: string;
  fees: string;
  /** netPnl / count, to 10 decimals; null without trades. */
  avgPnl: string | null;
  /** False only when a row's decimal text could not be read exactly (then that row is summed via its float). */
  exact: boolean;
  /**
   * The same sums per quote currency of the trades' symbols (a trade's money is in its quote), sorted by currency.
   * The figures above add them all up: they mean something only when there is one currency here.
   */
  byCurrency: CurrencyTotals[];
}

export interface CurrencyTotals {
  /** "" for a symbol that names no quote. */
  currency: string;
  count: number;
  grossPnl: string;
  netPnl: string;
  fees: string;
  /** netPnl / count, to 10 decimals. */
  avgPnl: string;
}

/** Parses a decimal string into an integer of 10^-SCALE; null when it is not a plain exact decimal. */
export function toScaled(text: string): bigint | null {
  let s = text.trim();
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s)) {
    // Exponent notation ("1e-31") or garbage: let Decimal expand it, if it is a number at all.
    try {
      const d = new Decimal(s);
      if (!d.isFinite()) return null;
      s = d.toFixed();
    } catch {
      return null;
    }
  }
  const negative = s.startsWith("-");
  if (negative || s.startsWith("+")) s = s.slice(1);
  const dot = s.indexOf(".");
  const int = dot < 0 ? s : s.slice(0, dot);
  const frac = dot < 0 ? "" : s.slice(dot + 1);
  if (frac.length > SCALE) return null;
  const v = BigInt((int || "0") + frac + SCALE_ZEROS.slice(frac.length));
  return negative ? -v : v;
}

/** An integer of 10^-scale as a plain decimal string without trailing zeros ("-12.5", "0", "0.0001"). */
export function scaledToString(value: bigint, scale: number = SCALE): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, "0");
  const int = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale).replace(/0+$/, "");
  const text = frac ? `${int}.${frac}` : int;
  return negative && text !== "0" ? `-${text}` : text;
}

/**
 * Running sums of one group. The fast path keeps each sum as three safe integers — whole units, then two 9-digit
 * groups of the first 18 decimals — which plain Number additions keep exact (every partial is checked to stay a
 * safe integer). Anything else (more than 18 decimals, huge values, exponent notation) goes to `big`, exact BigInts
 * of 10^-40. Sums order: net PnL, gross PnL, fees.
 */
interface Agg {
  n: number;
  /** [pnl int, pnl hi, pnl lo, gross int, gross hi, gross lo, fees int, fees hi, fees lo] */
  f: number[];
  /** Exact 10^-40 sums for what the fast path cannot hold: [pnl, gross, fees]. */
  big: [bigint, bigint, bigint] | null;
  inexact: number;
}

const emptyAgg = (): Agg => ({ n: 0, f: [0, 0, 0, 0, 0, 0, 0, 0, 0], big: null, inexact: 0 });
const SAFE = 2 ** 52;
const TEN9 = 1_000_000_000;
const FRAC18 = "000000000000000000";
const TO_SCALE = 10n ** BigInt(SCALE - 18);

/** Moves the fast-path sums into `big` (when one gets near the safe-integer limit). */
function spill(agg: Agg): void {
  const big = agg.big ?? [0n, 0n, 0n];
  for (let k = 0; k < 3; k++) {
    const [i, h, l] = [agg.f[k * 3]!, agg.f[k * 3 + 1]!, agg.f[k * 3 + 2]!];
    big[k] = big[k]! + (BigInt(i) * 10n ** 18n + BigInt(h) * BigInt(TEN9) + BigInt(l)) * TO_SCALE;
    agg.f[k * 3] = agg.f[k * 3 + 1] = agg.f[k * 3 + 2] = 0;
  }
  agg.big = big;
}

function addBig(agg: Agg, k: number, v: bigint): void {
  agg.big ??= [0n, 0n, 0n];
  agg.big[k] = agg.big[k]! + v;
}

/** Adds one decimal text to sum k (0 pnl, 1 gross, 2 fees); returns false when the text is not a number. */
function addText(agg: Agg, k: number, text: string): boolean {
  let s = text;
  const negative = s.charCodeAt(0) === 45; // "-"
  if (negative) s = s.slice(1);
  const dot = s.indexOf(".");
  const intPart = dot < 0 ? s : s.slice(0, dot);
  const frac = dot < 0 ? "" : s.slice(dot + 1);
  const int = Number(intPart);
  // Fast path: plain digits only (an exponent or sign inside would make Number() read something else).
  if (frac.length <= 18 && intPart.length > 0 && intPart.length <= 12 && Number.isInteger(int) && !/[^0-9.-]/.test(text) && s.indexOf("-") < 0) {
    const padded = frac.length === 18 ? frac : frac + FRAC18.slice(frac.length);
    const hi = Number(padded.slice(0, 9));
    const lo = Number(padded.slice(9));
    const sign = negative ? -1 : 1;
    const base = k * 3;
    agg.f[base] = agg.f[base]! + sign * int;
    agg.f[base + 1] = agg.f[base + 1]! + sign * hi;
    agg.f[base + 2] = agg.f[base + 2]! + sign * lo;
    if (Math.abs(agg.f[base] ?? 0) > SAFE) spill(agg);
    return true;
  }
  const v = toScaled(text);
  if (v === null) return false;
  addBig(agg, k, v);
  return true;
}

function addRow(agg: Agg, row: RollupRow): void {
  agg.n += 1;
  const parts = row.v.split("|");
  for (let k = 0; k < 3; k++) {
    if (!addText(agg, k, parts[k] ?? "")) {
      // Not readable as an exact decimal (never with the engine's strings): use the float shadow, say so.
      agg.inexact += 1;
      const approx = k === 0 ? row.pnlNum : Number(parts[k]);
      addBig(agg, k, toScaled(Number.isFinite(approx) ? approx.toFixed(12) : "0") ?? 0n);
    }
  }
}

function addAgg(into: Agg, from: Agg): void {
  into.n += from.n;
  let spillNeeded = false;
  for (let i = 0; i < 9; i++) {
    const x = into.f[i]! + from.f[i]!;
    into.f[i] = x;
    if (x > SAFE || x < -SAFE) spillNeeded = true;
  }
  if (from.big) for (let k = 0; k < 3; k++) addBig(into, k, from.big[k]!);
  into.inexact += from.inexact;
  if (spillNeeded) spill(into);
}

/** The exact sum k as a 10^-40 BigInt. */
function exactSum(agg: Agg, k: number): bigint {
  const [i, h, l] = [agg.f[k * 3]!, agg.f[k * 3 + 1]!, agg.f[k * 3 + 2]!];
  return (BigInt(i) * 10n ** 18n + BigInt(h) * BigInt(TEN9) + BigInt(l)) * TO_SCALE + (agg.big?.[k] ?? 0n);
}

function totalsOf(agg: Agg, wins: number, losses: number, perCurrency: ReadonlyMap<string, Agg>): TradeTotals {
  const net = scaledToString(exactSum(agg, 0));
  const byCurrency = [...perCurrency]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, c]) => {
      const netPnl = scaledToString(exactSum(c, 0));
      return {
        currency,
        count: c.n,
        grossPnl: scaledToString(exactSum(c, 1)),
        netPnl,
        fees: scaledToString(exactSum(c, 2)),
        avgPnl: averageOf(netPnl, c.n),
      };
    });
  return {
    count: agg.n,
    wins,
    losses,
    breakeven: agg.n - wins - losses,
    winRatePct: agg.n > 0 ? (wins / agg.n) * 100 : null,
    grossPnl: scaledToString(exactSum(agg, 1)),
    netPnl: net,
    fees: scaledToString(exactSum(agg, 2)),
    avgPnl: agg.n > 0 ? averageOf(net, agg.n) : null,
    exact: agg.inexact === 0,
    byCurrency,
  };
}

/** A sum over `count` (> 0) trades, to 10 decimals. */
function averageOf(sum: string, count: number): string {
  return new Decimal(sum).dividedBy(count).toDecimalPlaces(10).toString();
}

/** Days per block: a query adds whole blocks inside its range, and single days only at the range's two ends. */
const BLOCK_DAYS = 32;

interface Cell {
  venue: string;
  symbol: string;
  /** The symbol's quote currency (what the totals per currency group by). */
  currency: string;
  strategy: string;
  side: string;
  outcome: string;
  exitReason: string;
  /** Every day of this cell. */
  all: Agg;
  blocks: Map<number, Agg>;
  days: Map<number, Agg>;
}

/** One trade as the rollup reads it: few columns (the driver adapter's cost is per value). */
export interface RollupRow {
  /** symbol, side, outcome, exitReason, strategy (`manual` when none), venue (empty when none) joined by U+001F (unit separator). */
  k: string;
  /** The UTC day number of exitTime. */
  d: number | bigint;
  /** pnl|grossPnl|fees */
  v: string;
  pnlNum: number;
}

/** The SQL conditions of a filter (parameterized; never string-built from input). */
export function filterSql(f: TradeFilter): Prisma.Sql[] {
  const where: Prisma.Sql[] = [];
  if (f.venue !== undefined) where.push(Prisma.sql`venue = ${f.venue}`);
  if (f.symbol !== undefined) where.push(Prisma.sql`symbol = ${f.symbol}`);
  if (f.strategy !== undefined) where.push(Prisma.sql`${STRATEGY_SQL} = ${f.strategy}`);
  if (f.side !== undefined) where.push(Prisma.sql`side = ${f.side}`);
  if (f.outcome !== undefined) where.push(Prisma.sql`outcome = ${f.outcome}`);
  if (f.exitReason !== undefined) where.push(Prisma.sql`exitReason = ${f.exitReason}`);
  if (f.from !== undefined) where.push(Prisma.sql`exitTime >= ${f.from}`);
  if (f.to !== undefined) where.push(Prisma.sql`exitTime < ${f.to}`);
  return where;
}

/** A trade's strategy as the API names it: `manual` when none is recorded (services/dto.ts MANUAL_STRATEGY). */
const STRATEGY_SQL = Prisma.raw(`COALESCE(NULLIF(strategy, ''), 'manual')`);

export function whereSql(conditions: Prisma.Sql[]): Prisma.Sql {
  return conditions.length ? Prisma.sql`WHERE ${Prisma.join(conditions, " AND ")}` : Prisma.empty;
}

const ROLLUP_COLUMNS = Prisma.raw(
  `symbol || char(31) || side || char(31) || outcome || char(31) || exitReason || char(31) || COALESCE(NULLIF(strategy, ''), 'manual') || char(31) || COALESCE(venue, '') AS k, CAST(exitTime / ${DAY_MS} AS INTEGER) AS d, pnl || '|' || grossPnl || '|' || fees AS v, pnlNum`,
);

class TradeRollup {
  private cells = new Map<string, Cell>();
  private highWater = 0;
  private count = 0;
  private verifiedAt = 0;
  private building: Promise<void> | null = null;
  private ready = false;
  private readonly scratch = emptyAgg();
  /** Where the last build's time went (benchmarks). */
  readonly timing = { queryMs: 0, foldMs: 0 };

  constructor(private readonly client: PrismaClient) {}

  private async maxRowid(): Promise<number> {
    const rows = await this.client.$queryRaw<{ m: number | bigint | null }[]>`SELECT MAX(rowid) AS m FROM trades`;
    return Number(rows[0]?.m ?? 0);
  }

  private fold(row: RollupRow): void {
    let cell = this.cells.get(row.k);
    if (!cell) {
      const [symbol = "", side = "", outcome = "", exitReason = "", strategy = "", venue = ""] = row.k.split("\u001f");
      cell = { venue, symbol, currency: quoteOfSymbol(symbol), strategy, side, outcome, exitReason, all: emptyAgg(), blocks: new Map(), days: new Map() };
      this.cells.set(row.k, cell);
    }
    const day = Number(row.d);
    const block = Math.floor(day / BLOCK_DAYS);
    let dayAgg = cell.days.get(day);
    if (!dayAgg) cell.days.set(day, (dayAgg = emptyAgg()));
    let blockAgg = cell.blocks.get(block);
    if (!blockAgg) cell.blocks.set(block, (blockAgg = emptyAgg()));
    const one = this.scratch;
    one.n = 0;
    one.f.fill(0);
    one.big = null;
    one.inexact = 0;
    addRow(one, row);
    addAgg(dayAgg, one);
    addAgg(blockAgg, one);
    addAgg(cell.all, one);
    this.count += 1;
  }

  /** Folds rows with rowid in (highWater, upTo], chunk by chunk (each await lets the engine run). */
  private async foldUpTo(upTo: number): Promise<void> {
    while (this.highWater < upTo) {
      const end = Math.min(upTo, this.highWater + BUILD_CHUNK);
      const t0 = performance.now();
      const rows = await this.client.$queryRaw<RollupRow[]>`SELECT ${ROLLUP_COLUMNS} FROM trades WHERE rowid > ${this.highWater} AND rowid <= ${end}`;
      const t1 = performance.now();
      for (const row of rows) this.fold(row);
      this.timing.queryMs += t1 - t0;
      this.timing.foldMs += performance.now() - t1;
      this.highWater = end;
    }
  }

  private async rebuild(): Promise<void> {
    this.cells = new Map();
    this.highWater = 0;
    this.count = 0;
    await this.foldUpTo(await this.maxRowid());
    this.verifiedAt = Date.now();
    this.ready = true;
  }

  /** Brings the rollup up to date (one build at a time; concurrent callers share it). Returns the high-water rowid. */
  async refresh(now = Date.now()): Promise<number> {
    while (this.building) await this.building;
    const run = async () => {
      if (!this.ready) return this.rebuild();
      const max = await this.maxRowid();
      if (max < this.highWater) return this.rebuild();
      if (now - this.verifiedAt > VERIFY_EVERY_MS) {
        const rows = await this.client.$queryRaw<{ c: number | bigint }[]>`SELECT COUNT(*) AS c FROM trades WHERE rowid <= ${this.highWater}`;
        if (Number(rows[0]?.c ?? 0) !== this.count) return this.rebuild();
        this.verifiedAt = now;
      }
      if (max > this.highWater) await this.foldUpTo(max);
    };
    this.building = run().finally(() => {
      this.building = null;
    });
    await this.building;
    return this.highWater;
  }

  /** A cell's sums over days [firstDay, endDay): the cell total, whole blocks, and single days at the ends. */
  private sumDays(cell: Cell, firstDay: number, endDay: number): Agg {
    if (firstDay === -Infinity && endDay === Infinity) return cell.all;
    const part = emptyAgg();
    const firstBlock = Math.ceil(firstDay / BLOCK_DAYS); // first block that starts inside the range
    const endBlock = Math.floor(endDay / BLOCK_DAYS); // blocks before this one end inside the range
    if (firstBlock < endBlock) {
      for (const [b, agg] of cell.blocks) if (b >= firstBlock && b < endBlock) addAgg(part, agg);
      const headEnd = firstBlock * BLOCK_DAYS;
      const tailStart = endBlock * BLOCK_DAYS;
      const ends = (day: number) => (day >= firstDay && day < headEnd) || (day >= tailStart && day < endDay);
      if (Number.isFinite(firstDay) || Number.isFinite(endDay)) {
        if (cell.days.size <= 2 * BLOCK_DAYS) {
          for (const [day, agg] of cell.days) if (ends(day)) addAgg(part, agg);
        } else {
          for (let day = Math.max(firstDay, headEnd - BLOCK_DAYS); day < headEnd; day++) if (day >= firstDay) addDay(part, cell, day);
          for (let day = tailStart; day < Math.min(endDay, tailStart + BLOCK_DAYS); day++) addDay(part, cell, day);
        }
      }
    } else {
      // No whole block inside: the range is under two blocks long (both ends finite).
      for (let day = firstDay; day < endDay; day++) addDay(part, cell, day);
    }
    return part;
  }

  async totals(f: TradeFilter): Promise<TradeTotals> {
    const highWater = await this.refresh();
    const from = f.from ?? -Infinity;
    const to = f.to ?? Infinity;
    // Whole UTC days inside [from, to) come from the rollup; the partial days at either edge from SQL.
    const firstDay = Number.isFinite(from) ? Math.ceil(from / DAY_MS) : -Infinity;
    const endDay = Number.isFinite(to) ? Math.floor(to / DAY_MS) : Infinity;
    const sum = emptyAgg();
    const perCurrency = new Map<string, Agg>();
    let wins = 0;
    let losses = 0;
    const edges: [number, number][] = [];
    if (firstDay < endDay) {
      for (const cell of this.cells.values()) {
        if ((f.symbol !== undefined && cell.symbol !== f.symbol) || (f.side !== undefined && cell.side !== f.side)) continue;
        if ((f.strategy !== undefined && cell.strategy !== f.strategy) || (f.venue !== undefined && cell.venue !== f.venue)) continue;
        if ((f.outcome !== undefined && cell.outcome !== f.outcome) || (f.exitReason !== undefined && cell.exitReason !== f.exitReason)) continue;
        const part = this.sumDays(cell, firstDay, endDay);
        addAgg(sum, part);
        addAgg(entryOf(perCurrency, cell.currency, emptyAgg), part);
        if (cell.outcome === "WIN") wins += part.n;
        else if (cell.outcome === "LOSS") losses += part.n;
      }
      if (Number.isFinite(from) && from < firstDay * DAY_MS) edges.push([from, firstDay * DAY_MS]);
      if (Number.isFinite(to) && endDay * DAY_MS < to) edges.push([endDay * DAY_MS, to]);
    } else if (from < to) {
      edges.push([from, to]); // less than a day apart: straight from SQL
    }
    for (const [a, b] of edges) {
      const where = whereSql([...filterSql({ ...f, from: a, to: b }), Prisma.sql`rowid <= ${highWater}`]);
      const rows = await this.client.$queryRaw<RollupRow[]>`SELECT ${ROLLUP_COLUMNS} FROM trades ${where}`;
      for (const row of rows) {
        addRow(sum, row);
        const [symbol = "", , outcome] = row.k.split("\u001f");
        addRow(entryOf(perCurrency, quoteOfSymbol(symbol), emptyAgg), row);
        if (outcome === "WIN") wins += 1;
        else if (outcome === "LOSS") losses += 1;
      }
    }
    return totalsOf(sum, wins, losses, perCurrency);
  }

  /** The strategies that occur in the trades (`manual` for none), from the cells: no scan of the table. */
  async strategies(): Promise<string[]> {
    await this.refresh();
    return [...new Set([...this.cells.values()].map((c) => c.strategy))].sort();
  }

  stats() {
    let days = 0;
    for (const c of this.cells.values()) days += c.days.size;
    return {
      cells: this.cells.size,
      dayCells: days,
      rows: this.count,
      highWater: this.highWater,
      buildQueryMs: Math.round(this.timing.queryMs),
      buildFoldMs: Math.round(this.timing.foldMs),
    };
  }
}

function addDay(into: Agg, cell: Cell, day: number): void {
  const agg = cell.days.get(day);
  if (agg) addAgg(into, agg);
}

const rollups = new WeakMap<PrismaClient, TradeRollup>();

function rollupFor(client: PrismaClient): TradeRollup {
  let r = rollups.get(client);
  if (!r) {
    r = new TradeRollup(client);
    rollups.set(client, r);
  }
  return r;
}

/** Exact totals of the trades matching the filter. The first call on a database builds the rollup. */
export function tradeTotals(client: PrismaClient, filter: TradeFilter): Promise<TradeTotals> {
  return rollupFor(client).totals(filter);
}

/** The strategies of all closed trades (the History and Performance filter menus). */
export function tradeStrategies(client: PrismaClient): Promise<string[]> {
  return rollupFor(client).strategies();
}

/** Builds (or refreshes) the rollup ahead of the first History visit, e.g. at server start. */
export async function warmTradeTotals(client: PrismaClient): Promise<void> {
  await rollupFor(client).refresh();
}

/** Size of the rollup (benchmarks, diagnostics). */
export function tradeRollupStats(client: PrismaClient) {
  return rollupFor(client).stats();
}

/** Tests: forget the rollup of a client (e.g. after rewriting rows behind its back). */
export function dropTradeRollup(client: PrismaClient): void {
  rollups.delete(client);
}

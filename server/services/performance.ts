/**
 * Performance: the equity curve, daily PnL, per-symbol trade statistics and the portfolio's ratios over a window.
 *
 * Speed: trades and equity snapshots are aggregated in SQL into in-memory rollups (per symbol and UTC day; per UTC
 * hour) that are updated incrementally (./performance-rollup.ts); a request reads the rollup plus the partial day or
 * hour at each edge of its window. The first request after a start pays one full aggregation.
 *
 * Where each number comes from (and whether it is exact):
 * - Trades are closed trades (`trades`) whose exitTime is in [from, to). Wins/losses count net pnl > 0 / < 0.
 *   Counts, win rates and average durations are exact.
 * - Money totals per symbol and for the portfolio (net PnL, gross profit/loss, fees, profit factor): EXACT when the
 *   window holds at most EXACT_TRADE_LIMIT trades (the rows' TEXT decimals through `computeTradeStats`,
 *   server/core/positions/stats.ts); above that, SQL sums over the REAL shadow `pnlNum` and CAST(fees AS REAL) —
 *   display values, `exact: false` (float error far below 0.01 quote).
 * - Daily PnL, per UTC day, two series: `equityChange` — close-to-close change of the equity snapshots (realized +
 *   unrealized − fees; the series Sharpe uses), exact (TEXT equity of each day's last snapshot through `dailyPnl`,
 *   server/core/risk/metrics.ts); `realized` — Σ pnlNum of the trades closed that day (display value).
 * - Sharpe: daily close-to-close returns of the snapshots in the window, √365, rf 0 (metrics.ts), exact inputs.
 * - Max drawdown %: over every snapshot in the window (composed from per-hour falls; REAL `equityNum`; display).
 * - Equity curve: at most ~`points` points, the last of each equal time bucket, from the snapshots themselves (short
 *   windows) or from hourly closes (long ones).
 * - Slippage cost (quote): Σ bps / 10 000 × notional over entries and exits whose slippage is known (the order's
 *   requested price was recorded); positive = paid, negative = price improvement. Approximate (bps are stored rounded
 *   to 4 places; REAL arithmetic). Total cost = fees + slippage cost.
 */
import { quoteOfSymbol } from "../core/instrument";
import { entryOf } from "../core/maps";
import { D, type Decimal, ZERO } from "../core/money";
import { type ClosedTrade, computeTradeStats, type TradeStats } from "../core/positions/stats";
import { dailyPnl, dailyReturns, sharpeRatio, type EquityPoint } from "../core/risk/metrics";
import { equityNumsBetween } from "../db/queries/equity";
import { tradesClosedBetween } from "../db/queries/trades";
import { strategyName } from "./dto";
import { addTradeAgg, DAY_MS, emptyTradeAgg, type EquityHour, equityWindow, type TradeAgg, tradeWindow } from "../db/queries/performance-rollup";

/** Above this many trades in the window, totals come from SQL over REAL columns instead of exact decimals. */
export const EXACT_TRADE_LIMIT = 5_000;

export interface PerformanceInput {
  from?: number | undefined;
  to?: number | undefined;
  /** Equity curve points (default 400). */
  points?: number | undefined;
}

export interface SymbolPerformance {
  symbol: string;
  /** The quote currency its money is in ("" for a symbol that names none). */
  currency: string;
  trades: number;
  wins: number;
  losses: number;
  winRatePct: number | null;
  netPnl: string;
  grossProfit: string;
  grossLoss: string;
  fees: string;
  avgDurationMs: number | null;
  profitFactor: number | null;
  /** Trades whose entry or exit slippage is known. */
  slippageKnown: number;
  /** Quote currency; positive = cost. Approximate. */
  slippageCost: number;
}

/**
 * The closed trades' money in one quote currency (a trade's PnL, fees and slippage are in its symbol's quote): the
 * portfolio's figures add every currency up, so they mean something only when there is one.
 */
export interface CurrencyPerformance {
  /** "" for a symbol that names no quote. */
  currency: string;
  trades: number;
  netPnl: string;
  grossProfit: string;
  fees: string;
  profitFactor: number | null;
  /** Approximate, as the symbols'. */
  slippageCost: number;
  totalCost: number;
}

/** A row's closed-trade figures, without its name. */
type TradeFigures = Omit<SymbolPerformance, "symbol" | "currency">;

/**
 * One strategy's closed trades (`manual`: trades no strategy placed), for the side-by-side comparison. `byCurrency`:
 * its money per quote currency (exact under the same rule as the row), for a strategy that trades symbols quoted in
 * several, whose netPnl and fees add them all up.
 */
export type StrategyPerformance = TradeFigures & { strategy: string; byCurrency: CurrencyPerformance[] };

export interface PerformanceSummary {
  from: number | null;
  to: number | null;
  /** True when money totals are exact decimals; false when they are SQL sums over REAL shadows (display values). */
  exact: boolean;
  exactTradeLimit: number;
  portfolio: TradeFigures & {
    sharpe: number | null;
    maxDrawdownPct: number | null;
    equityStart: string | null;
    equityEnd: string | null;
    equityChange: string | null;
    /** fees + slippage cost, quote currency (approximate when slippage is known). */
    totalCost: number;
    avgSlippageBps: number | null;
    /** Per quote currency, sorted by currency; exact under the same rule as bySymbol. */
    byCurrency: CurrencyPerformance[];
  };
  bySymbol: SymbolPerformance[];
  /** Per strategy, sorted by name; exact under the same rule as bySymbol. */
  byStrategy: StrategyPerformance[];
  equity: { ts: number; equity: number }[];
  daily: {
    day: string;
    dayStart: number;
    equityChange: string | null;
    equityChangePct: number | null;
    /** Σ of every currency's: meaningful alone on a desk with one quote currency. */
    realized: number;
    trades: number;
    /** The day's realized PnL and closed trades per quote currency, sorted by currency. */
    byCurrency: { currency: string; realized: number; trades: number }[];
  }[];
  snapshotCount: number;
  queryMs: number;
}

const numOrNull = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : v);
/** Plain decimal text (no exponent), no minus on zero. */
const dec = (d: Decimal): string => (d.isZero() ? "0" : d.toFixed());
/** A REAL sum as text, for the approximate path (8 decimals is far below what the desk shows). */
const approx = (n: number): string => {
  const r = Number(n.toFixed(8));
  return r === 0 ? "0" : String(r).includes("e") ? r.toFixed(8) : String(r);
};

/** Sums per-symbol rows by their quote currency, sorted by currency. */
function byCurrencyOf(rows: readonly SymbolPerformance[]): CurrencyPerformance[] {
  const groups = new Map<string, { trades: number; net: Decimal; profit: Decimal; loss: Decimal; fees: Decimal; slippage: number }>();
  for (const row of rows) {
    let g = groups.get(row.currency);
    if (g === undefined) groups.set(row.currency, (g = { trades: 0, net: ZERO, profit: ZERO, loss: ZERO, fees: ZERO, slippage: 0 }));
    g.trades += row.trades;
    g.net = g.net.plus(row.netPnl);
    g.profit = g.profit.plus(row.grossProfit);
    g.loss = g.loss.plus(row.grossLoss);
    g.fees = g.fees.plus(row.fees);
    g.slippage += row.slippageCost;
  }
  return [...groups]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, g]) => ({
      currency,
      trades: g.trades,
      netPnl: dec(g.net),
      grossProfit: dec(g.profit),
      fees: dec(g.fees),
      profitFactor: g.loss.isZero() ? null : g.profit.dividedBy(g.loss.abs()).toNumber(),
      slippageCost: g.slippage,
      totalCost: g.fees.toNumber() + g.slippage,
    }));
}

/** Below this many snapshots in the window the curve is drawn from the snapshots themselves, above from hourly closes. */
const DIRECT_CURVE_LIMIT = 20_000;

function fromAgg(a: TradeAgg): TradeFigures {
  return {
    trades: a.trades,
    wins: a.wins,
    losses: a.losses,
    winRatePct: a.trades === 0 ? null : (a.wins * 100) / a.trades,
    netPnl: approx(a.net),
    grossProfit: approx(a.profit),
    grossLoss: approx(a.loss),
    fees: approx(a.fees),
    avgDurationMs: a.trades === 0 ? null : a.durSum / a.trades,
    profitFactor: a.loss === 0 ? null : a.profit / Math.abs(a.loss),
    slippageKnown: a.slipKnown,
    slippageCost: a.slipCost,
  };
}

/** The exact money figures of computeTradeStats over the agg's counts and slippage. */
function withExact(base: TradeFigures, s: TradeStats): TradeFigures {
  return {
    ...base,
    trades: s.tradeCount,
    wins: s.winCount,
    losses: s.lossCount,
    winRatePct: s.winRatePct,
    netPnl: dec(s.totalPnl),
    grossProfit: dec(s.grossProfit),
    grossLoss: dec(s.grossLoss),
    fees: dec(s.totalFees),
    avgDurationMs: s.averageDurationMs,
    profitFactor: s.profitFactor,
  };
}

/** Exact: every trade's TEXT decimals through computeTradeStats, for the whole window and per strategy. */
async function exactStats(
  from: number,
  to: number,
): Promise<{ all: ReturnType<typeof computeTradeStats>; byStrategy: Map<string, ReturnType<typeof computeTradeStats>> }> {
  const rows = await tradesClosedBetween(from, to);
  const trades: (ClosedTrade & { strategy: string })[] = rows.map((r) => ({
    strategy: strategyName(r.strategy),
    positionId: r.positionId,
    symbol: r.symbol,
    side: r.side === "SHORT" ? "SHORT" : "LONG",
    qty: D(r.quantity),
    entryPrice: D(r.entryPrice),
    exitPrice: D(r.exitPrice),
    openedAt: r.entryTime,
    closedAt: r.exitTime,
    fees: D(r.fees),
    realizedPnl: D(r.pnl),
    exitReason: r.exitReason,
  }));
  const groups = new Map<string, ClosedTrade[]>();
  for (const t of trades) entryOf(groups, t.strategy, () => []).push(t);
  return { all: computeTradeStats(trades), byStrategy: new Map([...groups].map(([strategy, list]) => [strategy, computeTradeStats(list)])) };
}

/** Per-symbol rows from the rollup's sums, their money exact where the window's trades were read (`exact`). */
function symbolRows(aggs: ReadonlyMap<string, TradeAgg>, exact: Readonly<Record<string, TradeStats>> | undefined): SymbolPerformance[] {
  return [...aggs.keys()].sort().map((symbol) => {
    const figures = fromAgg(aggs.get(symbol)!);
    const s = exact?.[symbol];
    return { symbol, currency: quoteOfSymbol(symbol), ...(s ? withExact(figures, s) : figures) };
  });
}

/** Last point of each equal time bucket (the first point kept), at most ~`points`. */
function downsample(series: { ts: number; equity: number }[], points: number): { ts: number; equity: number }[] {
  if (series.length <= points) return series;
  const t0 = series[0]!.ts;
  const span = series[series.length - 1]!.ts - t0 + 1;
  const bucket = span / points;
  const out: { ts: number; equity: number }[] = [series[0]!];
  let current = -1;
  for (const p of series) {
    const b = Math.floor((p.ts - t0) / bucket);
    if (b === current) out[out.length - 1] = p;
    else {
      out.push(p);
      current = b;
    }
  }
  return out;
}

async function equityPart(from: number, to: number, points: number) {
  const hours = await equityWindow(from, to);
  const count = hours.reduce((n, h) => n + h.count, 0);
  if (count === 0) return { count, curve: [], daily: [], sharpe: null, maxDrawdownPct: null, first: null, last: null };
  const firstHour = hours[0]!;
  // Max drawdown: in-hour falls, and falls from the running peak before each hour to the hour's low.
  let peak = firstHour.firstNum; // nothing before the first hour: its first point precedes its low
  let dd = 0;
  for (const h of hours) {
    dd = Math.max(dd, h.dd, peak > 0 ? (peak - h.lo) / peak : 0);
    peak = Math.max(peak, h.hi);
  }
  // Daily PnL and returns: the first snapshot and each UTC day's last one give the same figures as every snapshot.
  const closes = new Map<number, EquityHour>();
  for (const h of hours) closes.set(Math.floor(h.hourStart / DAY_MS), h);
  const series: EquityPoint[] = [
    { ts: firstHour.firstTs, equity: D(firstHour.firstEquity) },
    ...[...closes.values()].map((h) => ({ ts: h.lastTs, equity: D(h.lastEquity) })),
  ];
  let curve: { ts: number; equity: number }[];
  if (count <= DIRECT_CURVE_LIMIT) {
    const rows = await equityNumsBetween(from, to);
    curve = downsample(
      rows.map((r) => ({ ts: r.ts, equity: r.equityNum })),
      points,
    );
  } else {
    curve = downsample([{ ts: firstHour.firstTs, equity: firstHour.firstNum }, ...hours.map((h) => ({ ts: h.lastTs, equity: h.lastNum }))], points);
  }
  return {
    count,
    curve,
    daily: dailyPnl(series),
    sharpe: sharpeRatio(dailyReturns(series)),
    maxDrawdownPct: dd * 100,
    first: series[0]!,
    last: series[series.length - 1]!,
  };
}

export async function performanceSummary(input: PerformanceInput = {}, options: { exactTradeLimit?: number } = {}): Promise<PerformanceSummary> {
  const started = performance.now();
  const from = input.from ?? 0;
  const to = input.to ?? Number.MAX_SAFE_INTEGER;
  const points = input.points ?? 400;
  const cells = await tradeWindow(from, to);
  const equity = await equityPart(from, to, points);

  const bySymbolAgg = new Map<string, TradeAgg>();
  const byStrategyAgg = new Map<string, TradeAgg>();
  /** strategy → symbol → sums: a strategy's money per currency comes from its symbols, as the portfolio's does. */
  const byStrategySymbolAgg = new Map<string, Map<string, TradeAgg>>();
  /** day → quote currency → sums: the day's realized PnL per currency (adding a BTC and a USDT PnL means nothing). */
  const byDayCurrency = new Map<number, Map<string, TradeAgg>>();
  const total = emptyTradeAgg();
  for (const c of cells) {
    addTradeAgg(entryOf(bySymbolAgg, c.symbol, emptyTradeAgg), c.agg);
    addTradeAgg(entryOf(byStrategyAgg, c.strategy, emptyTradeAgg), c.agg);
    addTradeAgg(
      entryOf(
        entryOf(byStrategySymbolAgg, c.strategy, () => new Map<string, TradeAgg>()),
        c.symbol,
        emptyTradeAgg,
      ),
      c.agg,
    );
    addTradeAgg(
      entryOf(
        entryOf(byDayCurrency, c.dayStart, () => new Map<string, TradeAgg>()),
        quoteOfSymbol(c.symbol),
        emptyTradeAgg,
      ),
      c.agg,
    );
    addTradeAgg(total, c.agg);
  }
  const exactTradeLimit = options.exactTradeLimit ?? EXACT_TRADE_LIMIT;
  const exact = total.trades <= exactTradeLimit;
  const stats = exact && total.trades > 0 ? await exactStats(from, to) : null;
  const bySymbol = symbolRows(bySymbolAgg, stats?.all.bySymbol);
  const byStrategy: StrategyPerformance[] = [...byStrategyAgg.keys()].sort().map((strategy) => {
    const figures = fromAgg(byStrategyAgg.get(strategy)!);
    const s = stats?.byStrategy.get(strategy);
    return {
      strategy,
      ...(s ? withExact(figures, s) : figures),
      byCurrency: byCurrencyOf(symbolRows(byStrategySymbolAgg.get(strategy)!, s?.bySymbol)),
    };
  });
  const portfolio = stats ? withExact(fromAgg(total), stats.all) : fromAgg(total);

  // Days: every day with an equity close or a closed trade.
  const days = new Map<number, PerformanceSummary["daily"][number]>();
  for (const d of equity.daily)
    days.set(d.dayStart, { day: d.day, dayStart: d.dayStart, equityChange: dec(d.pnl), equityChangePct: d.pnlPct, realized: 0, trades: 0, byCurrency: [] });
  for (const [dayStart, currencies] of byDayCurrency) {
    const row = days.get(dayStart) ?? {
      day: new Date(dayStart).toISOString().slice(0, 10),
      dayStart,
      equityChange: null,
      equityChangePct: null,
      realized: 0,
      trades: 0,
      byCurrency: [],
    };
    row.byCurrency = [...currencies].sort(([x], [y]) => x.localeCompare(y)).map(([currency, c]) => ({ currency, realized: c.net, trades: c.trades }));
    row.realized = row.byCurrency.reduce((sum, c) => sum + c.realized, 0);
    row.trades = row.byCurrency.reduce((sum, c) => sum + c.trades, 0);
    days.set(dayStart, row);
  }
  const daily = [...days.values()].sort((a, b) => a.dayStart - b.dayStart);

  const equityChange = equity.first && equity.last ? equity.last.equity.minus(equity.first.equity) : null;
  return {
    from: input.from ?? null,
    to: input.to ?? null,
    exact,
    exactTradeLimit,
    portfolio: {
      ...portfolio,
      sharpe: numOrNull(equity.sharpe),
      maxDrawdownPct: numOrNull(equity.maxDrawdownPct),
      equityStart: equity.first ? dec(equity.first.equity) : null,
      equityEnd: equity.last ? dec(equity.last.equity) : null,
      equityChange: equityChange ? dec(equityChange) : null,
      totalCost: Number(portfolio.fees) + total.slipCost,
      avgSlippageBps: total.bpsCount > 0 ? total.bpsSum / total.bpsCount : null,
      byCurrency: byCurrencyOf(bySymbol),
    },
    bySymbol,
    byStrategy,
    equity: equity.curve,
    daily,
    snapshotCount: equity.count,
    queryMs: Math.round((performance.now() - started) * 10) / 10,
  };
}

/**
 * risk.portfolio: the portfolio statistics of the Risk page — correlation, VaR/ES and its decomposition per position,
 * correlation clusters against their cap, target weights by method beside the current weights — and their history.
 *
 * Sources: prices from the runtime's MarketHistory (the desk's own market data, replay or live), positions, marks and
 * equity from the engine's state (what the gate sees now). The computation is the pure buildPortfolioRiskReport; this
 * module loads, caches (it costs ~200 ms for ten symbols) and maps Decimals to strings for JSON.
 *
 * Symbols: every symbol the history holds (the desk's traded symbols). A position in a symbol without history is left
 * out of the statistics and named in `notes`, never silently dropped. One symbol has no correlation to show: the
 * report then says so in `reason`.
 *
 * Expected returns (max Sharpe, Kelly): each symbol's freshest signal with an expectedReturn from the signals table
 * (core signalExpectedReturns: within SIGNAL_RETURN_DEFAULTS.freshnessMs of the engine's clock, spread over its
 * horizonMs onto the window's bars), the window's mean return otherwise; each target names the source per symbol.
 * The engine's targets (`target_weight` sizing, rebalance proposals) apply the same rules to the signals it has
 * received since it started (portfolio-gate.ts); after a restart they use the means until a strategy signals again.
 *
 * Settings: the correlation threshold and the correlated-exposure cap are the gate's own (`correlationThreshold`,
 * `maxCorrelatedExposurePct` in the risk limits). A cap the gate does not enforce (the limit off) is shown as off —
 * never as a default the gate ignores.
 */
import { z } from "zod";
import { type Clock, MINUTE_MS, type TimerHandle, type Timers } from "../core/clock";
import { DomainError } from "../core/errors";
import { type MarketHistory } from "../core/market-history";
import { Decimal, ZERO } from "../core/money";
import { buildPortfolioRiskReport, type PortfolioRiskReport, type RiskPosition, SIGNAL_RETURN_DEFAULTS, signalExpectedReturns } from "../core/risk";
import { db } from "../db/client";
import { signalForecastsSince } from "../db/queries/signals";
import { type RiskLimitsSettings } from "../engine/settings";
import { reservedFromScratch } from "../engine/open-orders";
import { requireRuntime } from "./engine";

/** Bar sizes the statistics can use (the history holds 5-minute bars). */
export const PORTFOLIO_BAR_MINUTES = [5, 15, 60, 240, 1440] as const;

export const PORTFOLIO_RISK_DEFAULTS = {
  barMinutes: 60,
  /** 30 days of hourly bars. */
  windowBars: 720,
  correlationThreshold: 0.7,
  /** Per-weight cap for the optimizers' targets (raised to 1/n when fewer than 1/cap symbols are traded). */
  weightCap: 0.4,
} as const;

/** The longest window the statistics may ask for: what the history keeps (35 days), less a day of slack. */
const MAX_WINDOW_MS = 34 * 24 * 60 * MINUTE_MS;

export const portfolioRiskInputSchema = z
  .object({
    barMinutes: z
      .number({ error: "barMinutes must be one of 5, 15, 60, 240 or 1440" })
      .refine((v) => (PORTFOLIO_BAR_MINUTES as readonly number[]).includes(v), { error: "barMinutes must be one of 5, 15, 60, 240 or 1440" })
      .optional(),
    windowBars: z
      .number({ error: "windowBars must be a whole number from 10 to 5000" })
      .int("windowBars must be a whole number from 10 to 5000")
      .min(10, "windowBars must be at least 10")
      .max(5000, "windowBars must be at most 5000")
      .optional(),
    correlationThreshold: z
      .number({ error: "correlationThreshold must be a number from 0.1 to 0.99" })
      .min(0.1, "correlationThreshold must be at least 0.1")
      .max(0.99, "correlationThreshold must be at most 0.99")
      .optional(),
  })
  .strict()
  .refine((v) => (v.windowBars ?? PORTFOLIO_RISK_DEFAULTS.windowBars) * (v.barMinutes ?? PORTFOLIO_RISK_DEFAULTS.barMinutes) * MINUTE_MS <= MAX_WINDOW_MS, {
    error: "windowBars × barMinutes must be at most 34 days (the desk keeps 35 days of prices)",
    path: ["windowBars"],
  });

export type PortfolioRiskInput = z.infer<typeof portfolioRiskInputSchema>;

/** How long a computed report is served again (the page polls; the figures move with hourly bars). */
export const PORTFOLIO_CACHE_MS = 5_000;

interface CacheEntry {
  at: number;
  value: Promise<PortfolioRiskView>;
}
const cache = new Map<string, CacheEntry>();
const MAX_CACHED = 16;

/** For tests that change the book between two reads inside the cache's lifetime. */
export function clearPortfolioRiskCache(): void {
  cache.clear();
}

export type PortfolioRiskView = ReturnType<typeof toView>;

export function portfolioRisk(input: PortfolioRiskInput = {}, now: number = Date.now()): Promise<PortfolioRiskView> {
  const key = JSON.stringify([input.barMinutes, input.windowBars, input.correlationThreshold]);
  const hit = cache.get(key);
  if (hit && now - hit.at < PORTFOLIO_CACHE_MS && now >= hit.at) return hit.value;
  // Bounded: expired entries go, and at most MAX_CACHED inputs are kept (a viewer may ask for many windows).
  for (const [k, entry] of cache) if (now - entry.at >= PORTFOLIO_CACHE_MS || now < entry.at) cache.delete(k);
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  const value = Promise.resolve().then(() => computePortfolioRisk(input));
  cache.set(key, { at: now, value });
  // A failed computation is not served again.
  value.catch(() => cache.delete(key));
  return value;
}

/** The gate's settings for the portfolio figures: its threshold, and its cluster cap only when it enforces one. */
function portfolioSettings(limits: RiskLimitsSettings): { correlationThreshold: number; maxCorrelatedExposurePct: number | undefined } {
  return {
    correlationThreshold: limits.correlationThreshold ?? PORTFOLIO_RISK_DEFAULTS.correlationThreshold,
    maxCorrelatedExposurePct: limits.maxCorrelatedExposurePct ?? undefined,
  };
}

/** The return kind the statistics use (the report's default, passed explicitly so the signals' conversion agrees). */
const RETURN_KIND = "log";

async function computePortfolioRisk(input: PortfolioRiskInput): Promise<PortfolioRiskView> {
  const runtime = requireRuntime();
  const history = runtime.marketHistory;
  if (!history) throw new DomainError("NO_MARKET_HISTORY", "This desk keeps no market history, so there are no portfolio statistics.");
  const engine = runtime.engine;
  // Signals are stamped with the engine's clock (recorded time in replay), so freshness is judged on it too.
  const signalsNow = engine.now();
  const forecasts = await signalForecastsSince(signalsNow - SIGNAL_RETURN_DEFAULTS.freshnessMs);
  const state = engine.state();
  const settings = portfolioSettings(engine.riskSettings().limits);
  const barMinutes = input.barMinutes ?? PORTFOLIO_RISK_DEFAULTS.barMinutes;
  const windowBars = input.windowBars ?? PORTFOLIO_RISK_DEFAULTS.windowBars;
  const threshold = input.correlationThreshold ?? settings.correlationThreshold;
  const positions: RiskPosition[] = state.positions
    .filter((p) => p.position.quantity.greaterThan(0))
    .map((p) => ({
      symbol: p.position.symbol,
      side: p.position.side,
      qty: p.position.quantity,
      markPrice: p.mark !== null ? new Decimal(p.mark) : (p.position.avgEntryPrice ?? ZERO),
    }));
  const reserved = reservedFromScratch(state.openOrders, (symbol) => {
    const mark = state.marks[symbol]?.last;
    return mark !== undefined ? new Decimal(mark) : null;
  });
  const equity = state.equity.equity;
  const expectedReturns = signalExpectedReturns(forecasts, {
    now: signalsNow,
    freshnessMs: SIGNAL_RETURN_DEFAULTS.freshnessMs,
    horizonMs: SIGNAL_RETURN_DEFAULTS.horizonMs,
    barMs: barMinutes * MINUTE_MS,
    kind: RETURN_KIND,
  });
  const report = buildReport(
    history,
    { barMinutes, windowBars, threshold, maxCorrelatedExposurePct: settings.maxCorrelatedExposurePct, expectedReturns },
    positions,
    equity,
    reserved,
  );
  return toView(report, {
    barMinutes,
    threshold,
    equity,
    quote: engine.instrumentList()[0]?.quote ?? null,
    positions,
    limitPct: settings.maxCorrelatedExposurePct ?? null,
  });
}

interface ReportSettings {
  barMinutes: number;
  windowBars: number;
  threshold: number;
  maxCorrelatedExposurePct: number | undefined;
  /** Per bar, by symbol, from the strategies' signals. */
  expectedReturns: Record<string, number>;
}

function buildReport(
  history: MarketHistory,
  settings: ReportSettings,
  positions: RiskPosition[],
  equity: Decimal,
  reserved: ReadonlyMap<string, Decimal>,
): PortfolioRiskReport {
  const symbols = history.symbols();
  const closes = history.closes(symbols);
  const report = buildPortfolioRiskReport({
    candlesBySymbol: closes,
    barMs: settings.barMinutes * MINUTE_MS,
    window: settings.windowBars,
    // The bar still forming is left out: market time as the history knows it (recorded time in replay).
    now: history.observedUntil() ?? undefined,
    positions,
    equity,
    reservedNotionalBySymbol: reserved,
    correlationThreshold: settings.threshold,
    maxCorrelatedExposurePct: settings.maxCorrelatedExposurePct,
    kind: RETURN_KIND,
    expectedReturns: settings.expectedReturns,
    // Caps that add up to less than 1 leave no feasible weights: with few symbols each may hold at least 1/n.
    weightCap: Math.max(PORTFOLIO_RISK_DEFAULTS.weightCap, symbols.length > 0 ? 1 / symbols.length : 1),
  });
  if (report.reason === null && symbols.length < 2) {
    // A trusted one-symbol "portfolio": its VaR is real, but there is nothing to correlate or allocate between.
    return { ...report, correlation: [], clusters: [], targets: [], targetProblems: [], reason: oneSymbolReason(symbols) };
  }
  if (symbols.length === 0) return { ...report, reason: "No market data yet: the feeds have delivered no prices." };
  if (symbols.length === 1 && report.reason !== null) return { ...report, reason: `${oneSymbolReason(symbols)} ${report.reason}` };
  return report;
}

function oneSymbolReason(symbols: string[]): string {
  return `The desk trades one symbol (${symbols[0]}): a one-symbol portfolio has no correlation to show and nothing to allocate between.`;
}

const pctOfEquity = (amount: Decimal, equity: Decimal) => (equity.greaterThan(0) ? amount.dividedBy(equity).times(100).toNumber() : null);

function toView(
  report: PortfolioRiskReport,
  x: { barMinutes: number; threshold: number; equity: Decimal; quote: string | null; positions: RiskPosition[]; limitPct: number | null },
) {
  const parametric95 = report.parametric?.levels[0] ?? null;
  const historical = report.historical;
  const measured = new Set(report.symbols);
  const unmeasured = [...new Set(x.positions.filter((p) => !measured.has(p.symbol)).map((p) => p.symbol))];
  return {
    asOf: report.asOf,
    window: { bars: report.window.bars, barMinutes: x.barMinutes, minHistory: report.window.minHistory, used: report.window.used },
    symbols: report.symbols,
    correlation: report.correlation,
    /** Per-bar volatility of each symbol's returns (empty until trusted). */
    volatility: report.volatility,
    var95Pct: report.var95Pct,
    var99Pct: report.var99Pct,
    es95Pct: report.es95Pct,
    /** The parametric 95 % VaR split by position: component VaR sums to the VaR. */
    decomposition: (parametric95?.positions ?? [])
      .filter((p) => p.exposure !== 0)
      .map((p) => ({
        symbol: p.symbol,
        exposure: p.exposure,
        marginalVar: p.marginalVar,
        componentVar: p.componentVar,
        componentVarPct: x.equity.greaterThan(0) ? (p.componentVar / x.equity.toNumber()) * 100 : null,
        share: p.share,
      })),
    historical: historical
      ? {
          scenarios: historical.scenarios,
          var95Pct: historical.levels[0]?.varPct ?? null,
          var99Pct: historical.levels[1]?.varPct ?? null,
          es95Pct: historical.levels[0]?.esPct ?? null,
          trusted: historical.levels.every((l) => l.trusted),
        }
      : null,
    correlationThreshold: x.threshold,
    /** The gate's cluster cap in % of equity (maxCorrelatedExposurePct); null when the limit is off. */
    correlatedExposureLimitPct: x.limitPct,
    clusters: report.clusters.map((c) => ({
      symbols: c.symbols,
      grossExposure: c.grossExposure.toString(),
      limit: c.limit?.toString() ?? null,
      pctOfEquity: pctOfEquity(c.grossExposure, x.equity),
      ratio: c.limit && c.limit.greaterThan(0) ? c.grossExposure.dividedBy(c.limit).toNumber() : null,
    })),
    targets: report.targets.map((t) => ({
      method: t.method,
      weights: t.weights,
      ...(t.expectedReturnSource && { expectedReturnSource: t.expectedReturnSource }),
    })),
    /** How a signal's expectedReturn becomes a per-bar forecast: the freshest within freshnessMs, spread over horizonMs. */
    signalReturns: { freshnessMs: SIGNAL_RETURN_DEFAULTS.freshnessMs, horizonMs: SIGNAL_RETURN_DEFAULTS.horizonMs },
    targetProblems: report.targetProblems,
    current: report.current,
    equity: x.equity.toString(),
    quote: x.quote,
    /** Positions left out of the statistics (no price history for their symbol). */
    notes: unmeasured.map((s) => `${s} has a position but no price history yet: it is not in the figures above.`),
    reason: report.reason,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// History of the figures

/** At most one point this often (wall clock). */
export const PORTFOLIO_POINT_EVERY_MS = 5 * MINUTE_MS;

/**
 * Records the current figures as one point when there are figures (a trusted window; one symbol has a VaR too) and the
 * last point is at least PORTFOLIO_POINT_EVERY_MS old. Returns whether a point was written.
 */
export async function recordPortfolioRiskPoint(now: number = Date.now(), everyMs: number = PORTFOLIO_POINT_EVERY_MS): Promise<boolean> {
  const view = await portfolioRisk({}, now);
  if (view.var95Pct === null || view.var99Pct === null || view.es95Pct === null || view.asOf === null) return false;
  const last = await db().portfolioRiskPoint.findFirst({ orderBy: { ts: "desc" }, select: { ts: true } });
  if (last && now - last.ts < everyMs) return false;
  const clusterPcts = view.clusters.map((c) => c.pctOfEquity).filter((p): p is number => p !== null);
  await db().portfolioRiskPoint.create({
    data: {
      ts: now,
      asOf: view.asOf,
      var95Pct: view.var95Pct,
      var99Pct: view.var99Pct,
      es95Pct: view.es95Pct,
      maxClusterExposurePct: clusterPcts.length > 0 ? Math.max(...clusterPcts) : null,
      symbols: view.symbols.length,
      // The allocation as it stood: target weights by method beside the current ones, for the page's history.
      targets: JSON.stringify(Object.fromEntries(view.targets.map((t) => [t.method, t.weights]))),
      current: JSON.stringify(view.current),
    },
  });
  return true;
}

export const portfolioHistoryInputSchema = z
  .object({
    sinceMs: z.number().int("sinceMs must be epoch milliseconds").nonnegative("sinceMs must be epoch milliseconds").optional(),
    limit: z.number().int().min(1, "limit must be at least 1").max(2000, "limit must be at most 2000").optional(),
  })
  .strict();

/** The recorded points, oldest first (the newest `limit`, default 500). */
export async function portfolioRiskHistory(input: z.infer<typeof portfolioHistoryInputSchema> = {}) {
  const rows = await db().portfolioRiskPoint.findMany({
    where: input.sinceMs !== undefined ? { ts: { gte: input.sinceMs } } : undefined,
    orderBy: { ts: "desc" },
    take: input.limit ?? 500,
  });
  return {
    everyMs: scheduledEveryMs,
    points: rows.reverse().map((r) => ({
      ts: r.ts,
      asOf: r.asOf,
      var95Pct: r.var95Pct,
      var99Pct: r.var99Pct,
      es95Pct: r.es95Pct,
      maxClusterExposurePct: r.maxClusterExposurePct,
      symbols: r.symbols,
      /** Target weights by method then ({method: {symbol: weight}}); null on points from before they were kept. */
      targets: parseWeights<Record<string, Record<string, number>>>(r.targets),
      current: parseWeights<Record<string, number>>(r.current),
    })),
  };
}

function parseWeights<T>(text: string | null): T | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null; // a damaged cell shows as no weights, never breaks the history
  }
}

/** The running schedule's interval, for the history's "a point every …" (the default until a schedule starts). */
let scheduledEveryMs = PORTFOLIO_POINT_EVERY_MS;

export interface PortfolioScheduleOptions {
  /** How often the figures and the allocation are computed and recorded (default PORTFOLIO_POINT_EVERY_MS). */
  everyMs?: number;
  /** Injected so tests drive the schedule without waiting; default the global timers (unref'd). */
  timers?: Timers;
  clock?: Clock;
  log?: (message: string) => void;
  /** What runs on each tick (default recordPortfolioRiskPoint). */
  record?: (now: number) => Promise<boolean>;
}

const globalTimers: Timers = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Computes the portfolio figures and the allocation (target weights by every method) on a schedule and records them
 * as a point (instrumentation-node.ts starts it once, every BASTION_PORTFOLIO_POINT_MINUTES). Each tick is scheduled after
 * the previous one finished, so a slow computation never piles up. Returns the stop function.
 */
export function startPortfolioRiskHistory(options: PortfolioScheduleOptions = {}): () => void {
  const everyMs = options.everyMs ?? PORTFOLIO_POINT_EVERY_MS;
  scheduledEveryMs = everyMs;
  const timers = options.timers ?? globalTimers;
  const clock = options.clock ?? { now: () => Date.now() };
  const log = options.log ?? ((m: string) => console.warn(m));
  const record = options.record ?? ((now: number) => recordPortfolioRiskPoint(now, everyMs));
  let stopped = false;
  let handle: { current: TimerHandle } | null = null;
  const tick = () => {
    record(clock.now())
      .catch((e: unknown) => {
        // The engine still starting is not worth a line; anything else is.
        if (!(e instanceof DomainError && e.code === "ENGINE_UNAVAILABLE"))
          log(`portfolio risk point not recorded: ${e instanceof Error ? e.message : String(e)}`);
      })
      .finally(() => {
        if (!stopped) handle = { current: timers.setTimeout(tick, everyMs) };
      });
  };
  handle = { current: timers.setTimeout(tick, everyMs) };
  return () => {
    stopped = true;
    if (handle !== null) timers.clearTimeout(handle.current);
  };
}

/**
 * The risk page: every limit in force with its current usage, exposure and concentration, historical VaR, the
 * drawdown series, daily PnL against the daily loss limit, and the breaker (config, state, history).
 *
 * Sources: the limits and the live state come from the engine (what the risk gate and the breaker use right now);
 * the history (equity snapshots, breaker events, order counts) comes from the database.
 *
 * Usage follows the gate's own arithmetic: exposure is |qty| × mark of the open positions (entry price without a
 * mark) plus the notional that open orders which add exposure reserve; a limit in % of equity is that % of the
 * current equity. Levels: above 75% of a limit is "warn", above 90% is "bad" (the UI colours and labels them).
 */
import { D, Decimal, ZERO } from "../core/money";
import { riskPortfolioOf } from "../engine/risk-gate";
import { dailyReturns, exposureConcentration, historicalVar, type VarEstimate } from "../core/risk";
import { utcDayStart } from "../core/clock";
import { breakerEventRows, recentBreakerEvents as queryRecentBreakerEvents } from "../db/queries/breaker-events";
import { dailyLastEquity, drawdownBuckets, firstEquityTs } from "../db/queries/equity";
import { ordersCreatedBetween } from "../db/queries/orders";
import { requireEngine } from "./engine";
import { plain, strategyName } from "./dto";

const DAY_MS = 86_400_000;
const HUNDRED = new Decimal(100);
/** Fewer daily returns than this and VaR is not reported: the 5% tail would be less than one observed day. */
export const MIN_VAR_OBSERVATIONS = 20;
/** VaR looks back this many days of daily closes. */
export const VAR_LOOKBACK_DAYS = 365;
export const WARN_ABOVE = 0.75;
export const BAD_ABOVE = 0.9;

export type LimitLevel = "ok" | "warn" | "bad" | "off";

export interface LimitUsage {
  /** Stable key: the setting's name, prefixed with "breaker." for the breaker's. */
  key: string;
  label: string;
  /** "gate": the risk gate denies new entries at the limit; "breaker": the breaker trips. */
  scope: "gate" | "breaker";
  /** What happens at the limit, in words. */
  effect: string;
  unit: "count" | "money" | "pct";
  /** Current value (decimal string); null when it cannot be measured now. */
  used: string | null;
  /** The limit (decimal string); null when no limit is set. */
  limit: string | null;
  /** used / limit (1 = at the limit); null without a limit or a measurement. */
  ratio: number | null;
  level: LimitLevel;
  /** Extra context, e.g. "positions 1,200.00 + open orders 300.00; limit = 100% of equity 10,000.00". */
  detail: string | null;
}

export function levelOf(ratio: number | null): LimitLevel {
  if (ratio === null || !Number.isFinite(ratio)) return "off";
  return ratio > BAD_ABOVE ? "bad" : ratio > WARN_ABOVE ? "warn" : "ok";
}

function usage(
  row: Omit<LimitUsage, "ratio" | "level" | "used" | "limit"> & { used: Decimal | number | null; limit: Decimal | number | null | undefined },
): LimitUsage {
  const used = row.used === null ? null : new Decimal(row.used);
  const limit = row.limit === null || row.limit === undefined ? null : new Decimal(row.limit);
  const ratio = used !== null && limit !== null && limit.greaterThan(0) ? used.dividedBy(limit).toNumber() : null;
  return { ...row, used: used?.toString() ?? null, limit: limit?.toString() ?? null, ratio, level: levelOf(ratio) };
}

const money = (d: Decimal) => d.toDecimalPlaces(2).toFixed(2);

// ---------------------------------------------------------------------------------------------------------------
// History from the database

interface DrawdownRow {
  ts: number;
  equity: number;
  peak: number;
  ddPct: number;
}

/**
 * Drawdown from the running peak (the peak before the window counts), one point per time bucket: the bucket's
 * deepest point, so no trough is lost to downsampling. Computed in SQLite with a window function (exact over every
 * snapshot; the core's `drawdown()` would need every row in memory).
 */
async function drawdownSeries(sinceMs: number, untilMs: number, points: number): Promise<DrawdownRow[]> {
  const span = Math.max(1, untilMs - sinceMs);
  const bucket = Math.max(1, Math.ceil(span / points));
  return drawdownBuckets(sinceMs, bucket);
}

/** Each UTC day's last equity snapshot over the look-back (one index seek per day). */
async function dailyCloses(now: number): Promise<{ ts: number; equity: Decimal }[]> {
  const first = await firstEquityTs();
  if (first === null) return [];
  const lastDay = utcDayStart(now);
  const firstDay = Math.max(utcDayStart(first), lastDay - VAR_LOOKBACK_DAYS * DAY_MS);
  return (await dailyLastEquity(firstDay, lastDay, DAY_MS)).map((r) => ({ ts: r.ts, equity: D(r.equity) }));
}

function varDto(v: VarEstimate | null) {
  return v ? { confidence: v.confidence, pct: v.pct, amount: money(v.amount), quantileReturn: v.quantileReturn, observations: v.observations } : null;
}

// ---------------------------------------------------------------------------------------------------------------
// The summary

export interface RiskSummaryInput {
  /** Start of the drawdown chart's window (epoch ms); default: 30 days before now. */
  sinceMs?: number;
  /** Most points in the drawdown series (default 400). */
  points?: number;
}

export async function riskSummary(input: RiskSummaryInput = {}) {
  const engine = requireEngine();
  const state = engine.state();
  const settings = engine.riskSettings();
  const { limits, breakerConfig } = settings;
  const now = state.equity.ts;
  const equity = state.equity.equity;
  const breaker = state.breaker;

  // Open positions at their marks, and what open orders reserve (as the gate counts them).
  const open = state.positions.filter((p) => p.position.quantity.greaterThan(0));
  // The definition the engine's running sums are tested against (open-order-sums.test.ts): the same figures.
  const markOf = (symbol: string) => {
    const mark = state.marks[symbol]?.last;
    return mark !== undefined ? new Decimal(mark) : null;
  };
  // Each position at its own mark (its venue's price on a desk with several venues), as the engine values it.
  // A desk trading several quote currencies counts everything in its own, at the engine's rates (as the gate does).
  const rates = state.symbolRates;
  const rateOf = rates ? (symbol: string) => (rates[symbol] ? new Decimal(rates[symbol]) : null) : undefined;
  const portfolio = riskPortfolioOf(open, markOf, { openOrders: state.openOrders }, (p) => (p.mark !== null ? new Decimal(p.mark) : null), rateOf);
  const riskPositions = portfolio.positions;
  const reserved = portfolio.reservedBySymbol;
  const reservedTotal = portfolio.reservedTotal;
  const concentration = exposureConcentration(riskPositions);
  const pctOfEquity = (pct: number | undefined) => (pct === undefined ? null : equity.greaterThan(0) ? equity.times(pct).dividedBy(HUNDRED) : ZERO);

  // Per symbol: exposure, share, and the per-symbol limits.
  const symbolExposureLimit = pctOfEquity(limits.maxSymbolExposurePct);
  const symbols = new Set([...concentration.bySymbol.map((r) => r.symbol), ...reserved.keys()]);
  const bySymbol = [...symbols]
    .map((symbol) => {
      const row = concentration.bySymbol.find((r) => r.symbol === symbol);
      const gross = row?.gross ?? ZERO;
      const held = reserved.get(symbol) ?? ZERO;
      const s = settings.symbolSettings[symbol] ?? settings.defaults;
      let netQty = ZERO;
      for (const p of riskPositions) if (p.symbol === symbol) netQty = p.side === "LONG" ? netQty.plus(p.qty) : netQty.minus(p.qty);
      const mark = state.marks[symbol]?.last ?? null;
      return {
        symbol,
        gross: gross.toString(),
        net: (row?.net ?? ZERO).toString(),
        reserved: held.toString(),
        share: row?.share ?? null,
        pctOfEquity: equity.greaterThan(0) ? gross.plus(held).dividedBy(equity).times(HUNDRED).toNumber() : null,
        mark,
        netQty: netQty.toString(),
        exposure: usage({
          key: "maxSymbolExposurePct",
          label: `${symbol} exposure`,
          scope: "gate",
          effect: "entries that add to it are denied (MAX_SYMBOL_EXPOSURE)",
          unit: "money",
          used: gross.plus(held),
          limit: symbolExposureLimit,
          detail: limits.maxSymbolExposurePct !== undefined ? `${limits.maxSymbolExposurePct}% of equity` : null,
        }),
        positionQty: usage({
          key: "maxPositionQty",
          label: `${symbol} position size`,
          scope: "gate",
          effect: "entries that grow it are denied (MAX_POSITION_SIZE)",
          unit: "count",
          used: netQty.abs(),
          limit: s.maxPositionQty ? D(s.maxPositionQty) : null,
          detail: null,
        }),
        positionNotional: usage({
          key: "maxPositionNotional",
          label: `${symbol} position notional`,
          scope: "gate",
          effect: "entries that grow it are denied (MAX_POSITION_SIZE)",
          unit: "money",
          used: mark !== null ? netQty.abs().times(mark) : gross,
          limit: s.maxPositionNotional ? D(s.maxPositionNotional) : null,
          detail: null,
        }),
      };
    })
    .sort((a, b) => new Decimal(b.gross).plus(b.reserved).comparedTo(new Decimal(a.gross).plus(a.reserved)) || a.symbol.localeCompare(b.symbol));

  // Per venue and per strategy: the open positions' gross exposure (|qty| × mark, the entry price without a mark, as
  // the gate counts it). Open orders' reservations are per symbol only (the gate reserves by symbol), so not here.
  const grossBy = (keyOf: (p: (typeof open)[number]) => string) => {
    const sums = new Map<string, { gross: Decimal; positions: number }>();
    for (const p of open) {
      // At the position's own mark (its venue's), in the desk's quote.
      const rate = rateOf ? rateOf(p.position.symbol) : null;
      if (rateOf && !rate) continue;
      const own = (p.mark !== null ? new Decimal(p.mark) : null) ?? p.position.avgEntryPrice ?? ZERO;
      const price = rate ? own.times(rate) : own;
      const key = keyOf(p);
      const row = sums.get(key) ?? { gross: ZERO, positions: 0 };
      sums.set(key, { gross: row.gross.plus(p.position.quantity.abs().times(price)), positions: row.positions + 1 });
    }
    return [...sums]
      .map(([key, row]) => ({
        key,
        gross: row.gross.toString(),
        positions: row.positions,
        share: concentration.gross.greaterThan(0) ? row.gross.dividedBy(concentration.gross).toNumber() : null,
        pctOfEquity: equity.greaterThan(0) ? row.gross.dividedBy(equity).times(HUNDRED).toNumber() : null,
      }))
      .sort((a, b) => new Decimal(b.gross).comparedTo(a.gross) || a.key.localeCompare(b.key));
  };
  const byVenue = grossBy((p) => p.venue).map(({ key, ...row }) => ({ venue: key, ...row }));
  const byStrategy = grossBy((p) => strategyName(p.strategy)).map(({ key, ...row }) => ({ strategy: key, ...row }));

  const ordersLastMinute = await ordersCreatedBetween(now - 60_000, now);
  const portfolioExposure = concentration.gross.plus(reservedTotal);
  const exposureDetail = `positions ${money(concentration.gross)} + open orders ${money(reservedTotal)}`;
  const largest = bySymbol[0];
  const tripEffect = `the breaker trips (${breakerConfig?.tripAction ?? "HALT"})`;

  const limitRows: LimitUsage[] = [
    usage({
      key: "maxOpenPositions",
      label: "Open positions",
      scope: "gate",
      effect: "new positions are denied (MAX_OPEN_POSITIONS)",
      unit: "count",
      used: open.length,
      limit: limits.maxOpenPositions,
      detail: null,
    }),
    usage({
      key: "maxPortfolioExposurePct",
      label: "Portfolio exposure",
      scope: "gate",
      effect: "entries that add exposure are denied (MAX_PORTFOLIO_EXPOSURE)",
      unit: "money",
      used: portfolioExposure,
      limit: pctOfEquity(limits.maxPortfolioExposurePct),
      detail: `${exposureDetail}${limits.maxPortfolioExposurePct !== undefined ? `; limit ${limits.maxPortfolioExposurePct}% of equity ${money(equity)}` : ""}`,
    }),
    ...(limits.maxPortfolioExposure !== undefined
      ? [
          usage({
            key: "maxPortfolioExposure",
            label: "Portfolio exposure (absolute)",
            scope: "gate",
            effect: "entries that add exposure are denied (MAX_PORTFOLIO_EXPOSURE)",
            unit: "money",
            used: portfolioExposure,
            limit: D(limits.maxPortfolioExposure),
            detail: exposureDetail,
          }),
        ]
      : []),
    usage({
      key: "maxSymbolExposurePct",
      label: largest ? `Largest symbol exposure (${largest.symbol})` : "Largest symbol exposure",
      scope: "gate",
      effect: "entries that add to that symbol are denied (MAX_SYMBOL_EXPOSURE)",
      unit: "money",
      used: largest ? new Decimal(largest.gross).plus(largest.reserved) : ZERO,
      limit: symbolExposureLimit,
      detail: limits.maxSymbolExposurePct !== undefined ? `limit ${limits.maxSymbolExposurePct}% of equity per symbol` : null,
    }),
    usage({
      key: "maxOrdersPerMinute",
      label: "Orders in the last minute",
      scope: "gate",
      effect: "new orders are denied (RATE_LIMIT)",
      unit: "count",
      used: ordersLastMinute,
      limit: limits.maxOrdersPerMinute,
      detail: null,
    }),
  ];

  if (breaker && breakerConfig) {
    const dailyLoss = Decimal.max(ZERO, breaker.dailyPnl.negated());
    limitRows.push(
      usage({
        key: "breaker.maxDailyLossPct",
        label: "Daily loss (%)",
        scope: "breaker",
        effect: tripEffect,
        unit: "pct",
        used: breaker.dailyLossPct,
        limit: breakerConfig.maxDailyLossPct,
        detail: breaker.dayStartEquity ? `realized since the UTC day start, against equity ${money(breaker.dayStartEquity)}` : "no equity reported yet",
      }),
      usage({
        key: "breaker.maxDailyLossAbs",
        label: "Daily loss",
        scope: "breaker",
        effect: tripEffect,
        unit: "money",
        used: dailyLoss,
        limit: breakerConfig.maxDailyLossAbs,
        detail: null,
      }),
      usage({
        key: "breaker.maxDrawdownPct",
        label: "Drawdown (%)",
        scope: "breaker",
        effect: tripEffect,
        unit: "pct",
        used: breaker.drawdownPct,
        limit: breakerConfig.maxDrawdownPct,
        detail: breaker.peakEquity ? `from peak equity ${money(breaker.peakEquity)}` : null,
      }),
      usage({
        key: "breaker.maxDrawdownAbs",
        label: "Drawdown",
        scope: "breaker",
        effect: tripEffect,
        unit: "money",
        used: breaker.drawdownAbs,
        limit: breakerConfig.maxDrawdownAbs,
        detail: null,
      }),
      usage({
        key: "breaker.maxConsecutiveLosses",
        label: "Consecutive losses",
        scope: "breaker",
        effect: tripEffect,
        unit: "count",
        used: breaker.consecutiveLosses,
        limit: breakerConfig.maxConsecutiveLosses,
        detail: null,
      }),
      usage({
        key: "breaker.maxOrdersPerMinute",
        label: "Orders per minute (breaker)",
        scope: "breaker",
        effect: tripEffect,
        unit: "count",
        used: breaker.ordersLastMinute,
        limit: breakerConfig.maxOrdersPerMinute,
        detail: "counted since the last reset",
      }),
      usage({
        key: "breaker.maxOrdersPerHour",
        label: "Orders per hour",
        scope: "breaker",
        effect: tripEffect,
        unit: "count",
        used: breaker.ordersLastHour,
        limit: breakerConfig.maxOrdersPerHour,
        detail: null,
      }),
      usage({
        key: "breaker.maxConsecutiveErrors",
        label: "Consecutive errors",
        scope: "breaker",
        effect: tripEffect,
        unit: "count",
        used: breaker.consecutiveErrors,
        limit: breakerConfig.maxConsecutiveErrors,
        detail: "venue rejects and timeouts in a row",
      }),
    );
  }

  // Daily PnL against the daily loss limit (the tighter of % and absolute).
  const dayStartEquity = breaker?.dayStartEquity ?? null;
  const lossLimitFromPct =
    breakerConfig?.maxDailyLossPct != null && dayStartEquity ? dayStartEquity.times(breakerConfig.maxDailyLossPct).dividedBy(HUNDRED) : null;
  const lossLimitAbs = breakerConfig?.maxDailyLossAbs != null ? new Decimal(breakerConfig.maxDailyLossAbs) : null;
  const lossLimit = lossLimitFromPct && lossLimitAbs ? Decimal.min(lossLimitFromPct, lossLimitAbs) : (lossLimitFromPct ?? lossLimitAbs);
  const dailyLoss = breaker ? Decimal.max(ZERO, breaker.dailyPnl.negated()) : null;
  const daily = {
    pnl: breaker ? breaker.dailyPnl.toString() : null,
    dayStartEquity: dayStartEquity?.toString() ?? null,
    lossPct: breaker?.dailyLossPct?.toNumber() ?? null,
    limitPct: breakerConfig?.maxDailyLossPct ?? null,
    limitAbs: breakerConfig?.maxDailyLossAbs ?? null,
    /** The loss (positive amount) at which the breaker trips: the tighter of the two limits. */
    lossLimit: lossLimit?.toString() ?? null,
    /** Loss so far / lossLimit; 0 when in profit. */
    ratio: dailyLoss && lossLimit && lossLimit.greaterThan(0) ? dailyLoss.dividedBy(lossLimit).toNumber() : null,
    /** Room left before the trip. */
    remaining: dailyLoss && lossLimit ? Decimal.max(ZERO, lossLimit.minus(dailyLoss)).toString() : null,
  };

  // Historical VaR on daily close-to-close returns.
  const closes = await dailyCloses(now);
  const returns = dailyReturns(closes);
  const enough = returns.length >= MIN_VAR_OBSERVATIONS;
  const value = {
    observations: returns.length,
    minObservations: MIN_VAR_OBSERVATIONS,
    lookbackDays: VAR_LOOKBACK_DAYS,
    var95: enough ? varDto(historicalVar(returns, 0.95, equity)) : null,
    var99: enough ? varDto(historicalVar(returns, 0.99, equity)) : null,
    note: enough
      ? returns.length < 100
        ? `Historical, ${returns.length} daily returns: VaR 99% is the worst observed day until there are 100.`
        : `Historical, ${returns.length} daily returns.`
      : `Not enough history: VaR needs ${MIN_VAR_OBSERVATIONS} daily returns and there ${returns.length === 1 ? "is 1" : `are ${returns.length}`}.`,
  };

  // The drawdown chart.
  const sinceMs = input.sinceMs ?? now - 30 * DAY_MS;
  const series = await drawdownSeries(sinceMs, Math.max(now, sinceMs + 1), input.points ?? 400);
  let maxDd: DrawdownRow | null = null;
  for (const r of series) if (!maxDd || r.ddPct > maxDd.ddPct) maxDd = r;

  return {
    now,
    equity: equity.toString(),
    tradingState: state.tradingState,
    limits: limitRows,
    exposure: {
      gross: concentration.gross.toString(),
      net: concentration.net.toString(),
      reserved: reservedTotal.toString(),
      pctOfEquity: equity.greaterThan(0) ? concentration.gross.dividedBy(equity).times(HUNDRED).toNumber() : null,
      herfindahl: concentration.herfindahl,
      /** 1 / HHI: how many equal positions the book is worth. */
      effectiveSymbols: concentration.herfindahl ? 1 / concentration.herfindahl : null,
      bySymbol,
      byVenue,
      byStrategy,
    },
    daily,
    var: value,
    drawdown: {
      sinceMs,
      series,
      max: maxDd ? { pct: maxDd.ddPct, ts: maxDd.ts, peak: maxDd.peak, equity: maxDd.equity } : null,
      current: series.length > 0 ? series[series.length - 1]!.ddPct : null,
    },
    breaker: breaker ? plain({ ...breaker, history: breaker.history.slice(-20) }) : null,
    breakerConfig,
    limitsSettings: limits,
  };
}

export type RiskSummary = Awaited<ReturnType<typeof riskSummary>>;

// ---------------------------------------------------------------------------------------------------------------
// Breaker history

export interface BreakerHistoryInput {
  limit?: number;
  /** Only events before this id (for paging back). */
  beforeId?: number;
  kinds?: ("TRIP" | "RESET" | "STATE")[];
}

/** Trips, resets and trading-state changes, newest first: who, when, why, and the action taken. */
export async function breakerHistory(input: BreakerHistoryInput = {}) {
  const take = input.limit ?? 100;
  const rows = await breakerEventRows(input, take + 1);
  const page = rows.slice(0, take);
  return {
    events: page.map((e) => ({
      id: e.id,
      ts: e.ts,
      kind: e.kind as "TRIP" | "RESET" | "STATE",
      reason: e.reason,
      message: e.message,
      by: e.by,
      action: e.action,
      detail: e.detail,
    })),
    nextBeforeId: rows.length > take ? page[page.length - 1]!.id : null,
  };
}

/** The latest breaker events by time, as stored (the breaker router's history). */
export function recentBreakerEvents(limit: number) {
  return queryRecentBreakerEvents(limit);
}

/**
 * One call from recorded candles and the current book to everything the Risk page and `risk.portfolio` show:
 * correlation, VaR/ES (parametric, with its decomposition, and historical), clusters and their caps, target weights
 * by each method, and current weights. Pure: the service loads candles and positions and maps Decimals to strings.
 *
 * Decisions:
 * - The headline var95Pct / var99Pct / es95Pct are parametric, the same model the VAR_LIMIT gate uses, so the page
 *   and the gate never disagree; the historical figures ride along for comparison.
 * - Until the window holds `minHistory` aligned returns, the report has an empty correlation, no VaR, no clusters
 *   and no targets, and says why in `reason` (the current weights are still shown).
 * - Max Sharpe and Kelly need expected returns. A symbol without one from `expectedReturns` (the strategies'
 *   signals) falls back to its mean return over the window, and the target says so in `expectedReturnSource`:
 *   a 30-day mean is a weak forecast and the page should show that it is one.
 * - Current weights are signed exposure / gross exposure over every open position (long +, short −), so they are
 *   comparable with target weights, which are fractions of the invested book.
 * - Floats for the statistics; exposures stay Decimal (clusters) as in limits.ts.
 */
import { type Decimal } from "../money";
import {
  type AllocationErrorCode,
  type AllocationOutcome,
  fractionalKellyWeights,
  maxSharpeWeights,
  minVarianceWeights,
  riskParityWeights,
  type WeightCaps,
} from "./allocation";
import { type CovarianceEstimateTrusted, estimateCovariance } from "./covariance";
import { type ExpectedReturnOrigin, expectedReturnVector } from "./expected-returns";
import { type Matrix } from "./linalg";
import { type ClusterExposure, clusterExposures, correlationClusters } from "./portfolio-limits";
import { exposuresFromPositions, type HistoricalVarReport, historicalPortfolioVar, type ParametricVarReport, parametricPortfolioVar } from "./portfolio-var";
import { alignReturns, type CandleInput, type MissingBarPolicy, resampleCandles, type ReturnKind } from "./returns";
import { type RiskPosition } from "./types";

export const ALLOCATION_METHODS = ["risk_parity", "min_variance", "max_sharpe", "kelly"] as const;
export type AllocationMethod = (typeof ALLOCATION_METHODS)[number];

export interface AllocationTarget {
  method: AllocationMethod;
  weights: Record<string, number>;
  /** For max_sharpe and kelly: where each symbol's expected return came from. */
  expectedReturnSource?: Record<string, ExpectedReturnOrigin>;
}

export interface PortfolioRiskReportInput {
  /** Candles per symbol (any bar size that divides `barMs`), oldest first or not. */
  candlesBySymbol: Readonly<Record<string, readonly CandleInput[]>>;
  barMs: number;
  /** Aligned returns in the window (e.g. 720 one-hour bars = 30 days). */
  window: number;
  /** Default: half the window. */
  minHistory?: number;
  /** Bars whose span is not over by then are left out (pass the clock's now). */
  now?: number;
  kind?: ReturnKind;
  missing?: MissingBarPolicy;
  positions: readonly RiskPosition[];
  equity: Decimal;
  reservedNotionalBySymbol?: ReadonlyMap<string, Decimal>;
  correlationThreshold: number;
  /** maxCorrelatedExposurePct, for each cluster's `limit`. */
  maxCorrelatedExposurePct?: number;
  /** Expected return per bar, from the strategies' signals, where one exists (signalExpectedReturns). */
  expectedReturns?: Readonly<Record<string, number>>;
  /** Per bar. Default 0. */
  riskFreeRate?: number;
  /** Per-weight cap for min variance, max Sharpe and Kelly. Default: none (1). */
  weightCap?: WeightCaps;
  /** Default 0.5 (half Kelly). */
  kellyFraction?: number;
}

export interface PortfolioRiskReport {
  /** Timestamp of the newest aligned bar (null when there is none). */
  asOf: number | null;
  window: { bars: number; barMs: number; minHistory: number; used: number };
  symbols: string[];
  /** Empty until trusted. */
  correlation: Matrix;
  volatility: number[];
  var95Pct: number | null;
  var99Pct: number | null;
  es95Pct: number | null;
  parametric: ParametricVarReport | null;
  historical: HistoricalVarReport | null;
  clusters: ClusterExposure[];
  targets: AllocationTarget[];
  /** Methods that produced no target, with the reason (e.g. no symbol expected to beat the risk-free rate). */
  targetProblems: { method: AllocationMethod; code: string; message: string }[];
  current: Record<string, number>;
  /** Why the statistics are missing; null when they are there. */
  reason: string | null;
}

export function buildPortfolioRiskReport(input: PortfolioRiskReportInput): PortfolioRiskReport {
  const symbols = Object.keys(input.candlesBySymbol);
  const minHistory = input.minHistory ?? Math.max(2, Math.ceil(input.window / 2));
  const bars = Object.fromEntries(symbols.map((s) => [s, resampleCandles(input.candlesBySymbol[s]!, input.barMs, { completeBefore: input.now })]));
  const aligned = alignReturns(bars, { barMs: input.barMs, kind: input.kind, missing: input.missing, symbols });
  const used = Math.min(aligned.rows.length, input.window);
  const report: PortfolioRiskReport = {
    asOf: aligned.timestamps[aligned.timestamps.length - 1] ?? null,
    window: { bars: input.window, barMs: input.barMs, minHistory, used },
    symbols,
    correlation: [],
    volatility: [],
    var95Pct: null,
    var99Pct: null,
    es95Pct: null,
    parametric: null,
    historical: null,
    clusters: [],
    targets: [],
    targetProblems: [],
    current: currentWeights(input.positions),
    reason: null,
  };
  if (aligned.problem) return { ...report, reason: aligned.problem };
  const estimate = estimateCovariance(symbols, aligned.rows, { window: input.window, minHistory, timestamps: aligned.timestamps });
  if (!estimate.trusted) return { ...report, reason: estimate.reason };

  const { exposures } = exposuresFromPositions(input.positions, symbols);
  const equity = input.equity.toNumber();
  const parametric = parametricPortfolioVar({ symbols, covariance: estimate.covariance, barMs: input.barMs, exposures, equity, confidences: [0.95, 0.99] });
  const windowRows = aligned.rows.slice(aligned.rows.length - used);
  const historical = historicalPortfolioVar({ rows: windowRows, kind: aligned.kind, barMs: input.barMs, exposures, equity, confidences: [0.95, 0.99] });
  const clusters = correlationClusters(symbols, estimate.correlation, { threshold: input.correlationThreshold }).filter((c) => c.length > 1);
  const { targets, targetProblems } = allocationTargets(estimate, input);
  return {
    ...report,
    correlation: estimate.correlation,
    volatility: estimate.volatility,
    var95Pct: parametric.levels[0]!.varPct,
    var99Pct: parametric.levels[1]!.varPct,
    es95Pct: parametric.levels[0]!.esPct,
    parametric,
    historical,
    clusters: clusterExposures(clusters, input.positions, {
      equity: input.equity,
      limitPct: input.maxCorrelatedExposurePct,
      reservedNotionalBySymbol: input.reservedNotionalBySymbol,
    }),
    targets,
    targetProblems,
  };
}

/** Signed exposure / gross exposure per symbol with a position (long +, short −); empty for a flat book. */
export function currentWeights(positions: readonly RiskPosition[]): Record<string, number> {
  const signed = new Map<string, number>();
  let gross = 0;
  for (const p of positions) {
    if (p.qty.isZero()) continue;
    const notional = p.qty.abs().times(p.markPrice.abs()).toNumber();
    signed.set(p.symbol, (signed.get(p.symbol) ?? 0) + (p.side === "LONG" ? notional : -notional));
  }
  for (const v of signed.values()) gross += Math.abs(v);
  const out: Record<string, number> = {};
  if (gross > 0) for (const [symbol, v] of signed) if (v !== 0) out[symbol] = v / gross;
  return out;
}

/** The options one allocation method reads (the report's, without the candles and the book). */
export type AllocationTargetOptions = Pick<PortfolioRiskReportInput, "expectedReturns" | "riskFreeRate" | "weightCap" | "kellyFraction">;

/** The target weights of one method on a trusted estimate, keyed by symbol (sizing's `target_weight` reads it). */
export function allocationTargetFor(
  method: AllocationMethod,
  estimate: CovarianceEstimateTrusted,
  options: AllocationTargetOptions = {},
): AllocationOutcome<Record<string, number>> {
  const { targets, targetProblems } = allocationTargets(estimate, options, [method]);
  const target = targets[0];
  if (target) return { ok: true, value: target.weights };
  const problem = targetProblems[0]!;
  return { ok: false, error: { code: problem.code as AllocationErrorCode, message: problem.message } };
}

function allocationTargets(
  estimate: CovarianceEstimateTrusted,
  input: AllocationTargetOptions,
  methods: readonly AllocationMethod[] = ALLOCATION_METHODS,
): { targets: AllocationTarget[]; targetProblems: PortfolioRiskReport["targetProblems"] } {
  const { symbols, covariance } = estimate;
  const targets: AllocationTarget[] = [];
  const targetProblems: PortfolioRiskReport["targetProblems"] = [];
  const { expected, source } = expectedReturnVector(symbols, estimate.mean, input.expectedReturns);
  const add = (method: AllocationMethod, outcome: AllocationOutcome<{ weights: number[] }>, withSource: boolean): void => {
    if (!outcome.ok) {
      targetProblems.push({ method, code: outcome.error.code, message: outcome.error.message });
      return;
    }
    const weights = Object.fromEntries(symbols.map((s, i) => [s, outcome.value.weights[i]!]));
    targets.push(withSource ? { method, weights, expectedReturnSource: { ...source } } : { method, weights });
  };
  const caps = input.weightCap;
  const wanted = new Set(methods);
  if (wanted.has("risk_parity")) add("risk_parity", riskParityWeights(covariance), false);
  if (wanted.has("min_variance")) add("min_variance", minVarianceWeights(covariance, { caps }), false);
  if (wanted.has("max_sharpe")) add("max_sharpe", maxSharpeWeights(expected, covariance, { caps, riskFreeRate: input.riskFreeRate }), true);
  if (wanted.has("kelly"))
    add("kelly", fractionalKellyWeights(expected, covariance, { caps, riskFreeRate: input.riskFreeRate, fraction: input.kellyFraction ?? 0.5 }), true);
  return { targets, targetProblems };
}

/**
 * Portfolio Value at Risk and expected shortfall, parametric (normal, from the covariance) and historical (from the
 * aligned return history applied to today's positions), with marginal and component VaR per position.
 *
 * Floats on purpose: VaR is a statistic of estimated returns. Positions arrive as Decimal and become signed float
 * exposures once, in `exposuresFromPositions`; no result here ever moves money.
 *
 * Conventions (each has alternatives):
 * - Exposure = signed notional at mark (long +, short −) in the quote currency. A position's P&L over a horizon is
 *   exposure × simple return. Losses and VaR are positive amounts; a VaR that would be a gain is reported as 0.
 * - Parametric: P&L ~ Normal(0, vᵀΣv) per bar (zero mean: over a day the mean is noise next to the deviation, and
 *   ignoring it errs cautious for a long book in a rising market). Scaled to the horizon by √(horizon / bar) —
 *   the square-root-of-time rule, exact for independent returns. VaR = z·σ, ES = σ·φ(z)/(1 − c). Log returns are
 *   treated as simple returns here (first order; the difference is far below the estimate's own error).
 *   Marginal VaR_i = z·(Σv)_i/σ_p (per unit of exposure), component VaR_i = v_i × marginal_i; the components sum to
 *   the VaR exactly (Euler).
 * - Historical, aggregation "overlapping" (default): each scenario is a run of h = horizon / bar consecutive aligned
 *   rows, compounded per symbol, and every start row gives one (overlapping windows: with 30 days of 1h bars that is
 *   ~700 one-day scenarios instead of 30, at the price of correlated scenarios). Positions are revalued exactly
 *   (exposure × (e^{Σ log r} − 1)). Aggregation "sqrt_time" uses one-bar scenarios and scales the loss quantile by
 *   √h instead, for when the history is shorter than a few horizons.
 * - Quantile: nearest rank, as metrics.ts: the k-th largest loss with k = ⌈n × (1 − c)⌉; ES is the mean of those
 *   k worst losses. A level needs n ≥ 1 / (1 − c) scenarios (20 for 95 %, 100 for 99 %) to be trusted.
 * - Percent figures are of equity, in percent units (2.5 = 2.5 %); null when equity is not positive.
 */
import { DAY_MS } from "../clock";
import { type Decimal } from "../money";
import { covarianceProblem, matVec, normalPdf, normalQuantile, type ReadonlyMatrix } from "./linalg";
import { type ReturnKind } from "./returns";
import { type RiskPosition } from "./types";

export const DEFAULT_CONFIDENCES: readonly number[] = [0.95, 0.99];

/** Signed float exposures in `symbols` order, and the positions whose symbol is not among them (no statistics). */
export function exposuresFromPositions(
  positions: readonly RiskPosition[],
  symbols: readonly string[],
): { exposures: number[]; unmeasured: { symbol: string; exposure: number }[] } {
  const index = new Map(symbols.map((s, i) => [s, i]));
  const exposures = new Array<number>(symbols.length).fill(0);
  const unmeasured: { symbol: string; exposure: number }[] = [];
  for (const p of positions) {
    if (p.qty.isZero()) continue;
    const notional = p.qty.abs().times(p.markPrice.abs()).toNumber();
    const signed = p.side === "LONG" ? notional : -notional;
    const i = index.get(p.symbol);
    if (i === undefined) unmeasured.push({ symbol: p.symbol, exposure: signed });
    else exposures[i]! += signed;
  }
  return { exposures, unmeasured };
}

export interface PositionVar {
  symbol: string;
  exposure: number;
  /** d VaR / d exposure: the VaR added per unit of extra exposure. */
  marginalVar: number;
  /** exposure × marginalVar; the components sum to the VaR. */
  componentVar: number;
  /** componentVar / VaR (0 when the VaR is 0). */
  share: number;
}

export interface VarLevel {
  confidence: number;
  var: number;
  es: number;
  varPct: number | null;
  esPct: number | null;
}

export interface ParametricVarLevel extends VarLevel {
  positions: PositionVar[];
}

export interface ParametricVarReport {
  method: "parametric";
  horizonMs: number;
  /** Standard deviation of the portfolio P&L over the horizon. */
  sigma: number;
  levels: ParametricVarLevel[];
}

export interface ParametricVarInput {
  symbols: readonly string[];
  /** Per-bar covariance of returns, in `symbols` order. */
  covariance: ReadonlyMatrix;
  barMs: number;
  /** Signed exposures in `symbols` order. */
  exposures: readonly number[];
  /** Equity for the percent figures (converted from Decimal by the caller or via `equityNumber`). */
  equity: number;
  horizonMs?: number;
  confidences?: readonly number[];
}

function checkCommon(symbolsLength: number, exposures: readonly number[], barMs: number, horizonMs: number, confidences: readonly number[]): void {
  if (exposures.length !== symbolsLength) throw new RangeError(`${exposures.length} exposures were given for ${symbolsLength} symbols.`);
  for (const e of exposures) if (!Number.isFinite(e)) throw new RangeError(`Every exposure must be a finite number, not ${e}.`);
  if (!(barMs > 0 && horizonMs > 0)) throw new RangeError(`The bar size and horizon must be positive (bar ${barMs} ms, horizon ${horizonMs} ms).`);
  for (const c of confidences) if (!(c > 0.5 && c < 1)) throw new RangeError(`A VaR confidence must be above 0.5 and below 1, not ${c}.`);
}

function pctOf(amount: number, equity: number): number | null {
  return equity > 0 ? (amount / equity) * 100 : null;
}

export function equityNumber(equity: Decimal): number {
  return equity.toNumber();
}

export function parametricPortfolioVar(input: ParametricVarInput): ParametricVarReport {
  const horizonMs = input.horizonMs ?? DAY_MS;
  const confidences = input.confidences ?? DEFAULT_CONFIDENCES;
  const n = input.symbols.length;
  checkCommon(n, input.exposures, input.barMs, horizonMs, confidences);
  const problem = covarianceProblem(input.covariance, n);
  if (problem) throw new RangeError(problem);
  const scale = Math.sqrt(horizonMs / input.barMs);
  const covTimesExposure = matVec(input.covariance, input.exposures);
  let variance = 0;
  for (let i = 0; i < n; i++) variance += input.exposures[i]! * covTimesExposure[i]!;
  const sigmaBar = Math.sqrt(Math.max(0, variance));
  const sigma = sigmaBar * scale;
  const levels = confidences.map((confidence): ParametricVarLevel => {
    const z = normalQuantile(confidence);
    const value = z * sigma;
    const es = (sigma * normalPdf(z)) / (1 - confidence);
    const positions = input.symbols.map((symbol, i): PositionVar => {
      const marginalVar = sigmaBar > 0 ? (z * scale * covTimesExposure[i]!) / sigmaBar : 0;
      const componentVar = input.exposures[i]! * marginalVar;
      return { symbol, exposure: input.exposures[i]!, marginalVar, componentVar, share: value > 0 ? componentVar / value : 0 };
    });
    return { confidence, var: value, es, varPct: pctOf(value, input.equity), esPct: pctOf(es, input.equity), positions };
  });
  return { method: "parametric", horizonMs, sigma, levels };
}

export type HistoricalAggregation = "overlapping" | "sqrt_time";

export interface HistoricalVarLevel extends VarLevel {
  trusted: boolean;
  /** Why the level is not trusted (too few scenarios); null when it is. */
  reason: string | null;
}

export interface HistoricalVarReport {
  method: "historical";
  aggregation: HistoricalAggregation;
  horizonMs: number;
  /** Scenarios the quantiles are taken over. */
  scenarios: number;
  levels: HistoricalVarLevel[];
}

export interface HistoricalVarInput {
  /** Aligned returns (returns.ts): rows[t][i] for symbol i, all on the same bar size. */
  rows: readonly (readonly number[])[];
  kind: ReturnKind;
  barMs: number;
  exposures: readonly number[];
  equity: number;
  horizonMs?: number;
  confidences?: readonly number[];
  aggregation?: HistoricalAggregation;
}

/** The P&L of each scenario: one per window of h rows ("overlapping") or one per row ("sqrt_time", unscaled). */
export function historicalPortfolioPnl(input: Pick<HistoricalVarInput, "rows" | "kind" | "exposures">, barsPerScenario: number): number[] {
  const { rows, exposures } = input;
  const n = exposures.length;
  // Prefix sums of log returns make every window's compounded return O(n).
  const prefix: number[][] = [new Array<number>(n).fill(0)];
  for (const row of rows) {
    const last = prefix[prefix.length - 1]!;
    prefix.push(last.map((s, i) => s + (input.kind === "log" ? row[i]! : Math.log1p(row[i]!))));
  }
  const pnl: number[] = [];
  for (let end = barsPerScenario; end < prefix.length; end++) {
    const from = prefix[end - barsPerScenario]!;
    const to = prefix[end]!;
    let total = 0;
    for (let i = 0; i < n; i++) if (exposures[i] !== 0) total += exposures[i]! * Math.expm1(to[i]! - from[i]!);
    pnl.push(total);
  }
  return pnl;
}

export function historicalPortfolioVar(input: HistoricalVarInput): HistoricalVarReport {
  const horizonMs = input.horizonMs ?? DAY_MS;
  const confidences = input.confidences ?? DEFAULT_CONFIDENCES;
  const aggregation = input.aggregation ?? "overlapping";
  checkCommon(input.exposures.length, input.exposures, input.barMs, horizonMs, confidences);
  for (const row of input.rows) {
    if (row.length !== input.exposures.length) throw new RangeError(`A return row has ${row.length} entries for ${input.exposures.length} exposures.`);
  }
  const ratio = horizonMs / input.barMs;
  let barsPerScenario = 1;
  let scale = 1;
  if (aggregation === "overlapping") {
    if (!Number.isInteger(ratio)) throw new RangeError(`The horizon (${horizonMs} ms) must be a whole number of bars (${input.barMs} ms) to aggregate.`);
    barsPerScenario = ratio;
  } else {
    scale = Math.sqrt(ratio);
  }
  const losses = historicalPortfolioPnl(input, barsPerScenario)
    .map((p) => -p)
    .sort((a, b) => b - a);
  const levels = confidences.map((confidence): HistoricalVarLevel => {
    const needed = Math.ceil(1_000_000 / Math.round((1 - confidence) * 1_000_000));
    if (losses.length === 0) {
      return {
        confidence,
        var: 0,
        es: 0,
        varPct: null,
        esPct: null,
        trusted: false,
        reason: `No ${aggregation === "overlapping" ? "full horizon" : "bar"} in the history.`,
      };
    }
    // Integer arithmetic on the tail, as metrics.ts, so that 20 × (1 − 0.95) is exactly 1, not 1.0000000000000009.
    const tailMillionths = Math.round((1 - confidence) * 1_000_000);
    const k = Math.max(1, Math.ceil((losses.length * tailMillionths) / 1_000_000));
    const tail = losses.slice(0, k);
    const value = Math.max(0, losses[k - 1]!) * scale;
    const es = Math.max(0, tail.reduce((s, x) => s + x, 0) / k) * scale;
    const trusted = losses.length >= needed;
    return {
      confidence,
      var: value,
      es,
      varPct: pctOf(value, input.equity),
      esPct: pctOf(es, input.equity),
      trusted,
      reason: trusted ? null : `Only ${losses.length} scenarios: a ${confidence * 100}% VaR needs at least ${needed}.`,
    };
  });
  return { method: "historical", aggregation, horizonMs, scenarios: losses.length, levels };
}

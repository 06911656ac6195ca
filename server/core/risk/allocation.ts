/**
 * Target weights for a long-only portfolio: inverse volatility, risk parity (equal risk contribution), minimum
 * variance, maximum Sharpe and fractional Kelly. Weights are fractions of the invested book: each method returns
 * weights ≥ 0 that sum to 1 and respect the per-weight caps it takes. Deterministic; no dependency.
 *
 * Floats on purpose: covariances, expected returns and weights are statistics, never money. Turning a weight into
 * an order quantity (Decimal, rounded down to the step) is sizing's job.
 *
 * Inputs share one period: a per-bar (or per-day) covariance with per-bar expected returns and risk-free rate.
 *
 * Methods:
 * - Risk parity: cyclical coordinate descent on ½yᵀΣy − Σ bᵢ ln yᵢ (Griveau-Billion, Richard & Roncalli, 2013), whose
 *   minimiser, normalised, gives risk contributions wᵢ(Σw)ᵢ / wᵀΣw equal to the budgets b (equal by default). No
 *   caps: a capped weight could not carry its equal share of risk, so caps belong to the other methods.
 * - Min variance, mean-variance, Kelly: one convex QP, min ½wᵀQw − cᵀw over {w : Σw = 1, 0 ≤ w ≤ cap}, solved by
 *   accelerated projected gradient (projection onto the capped simplex by bisection on its multiplier) with an
 *   active-set polish: once the iterate shows which weights sit at a bound, the KKT system on the free weights is
 *   solved exactly, and kept only if it is feasible and its multipliers have the right signs.
 * - Max Sharpe: along the long-only, capped efficient frontier w(λ) = argmin ½wᵀΣw − λ(μ − r_f)ᵀw, the Sharpe ratio
 *   is unimodal in λ (the frontier is concave), so a coarse log-spaced scan then a golden-section search finds it.
 * - Fractional Kelly (fraction k): the growth-optimal fully invested mix at risk aversion 1/k,
 *   argmax (μ − r_f)ᵀw − wᵀΣw / (2k). How much of equity to put behind the mix is sizing's business (kellySize).
 */
import { err, ok, type Result } from "../errors";
import { covarianceProblem, dot, eigenvalueBound, matVec, quadForm, type ReadonlyMatrix, solveLinear, sum } from "./linalg";

export type AllocationErrorCode =
  | "INVALID_COVARIANCE"
  | "INVALID_CAPS"
  | "INFEASIBLE_CAPS"
  | "INVALID_RETURNS"
  | "INVALID_FRACTION"
  | "INVALID_BUDGETS"
  | "ZERO_VOLATILITY"
  | "NO_POSITIVE_EXCESS_RETURN"
  | "NOT_CONVERGED";

export type AllocationOutcome<T> = Result<T, AllocationErrorCode>;

/** One cap for every weight, or one per symbol; 1 (no cap) by default. */
export type WeightCaps = number | readonly number[];

export interface SolverOptions {
  /** KKT residual accepted, relative to the scale of the objective's gradient. Default 1e-10. */
  tolerance?: number;
  maxIterations?: number;
}

function capsFor(n: number, caps: WeightCaps | undefined): AllocationOutcome<number[]> {
  const list = caps === undefined ? new Array<number>(n).fill(1) : typeof caps === "number" ? new Array<number>(n).fill(caps) : [...caps];
  if (list.length !== n) return err("INVALID_CAPS", `${list.length} weight caps were given for ${n} symbols.`);
  for (const c of list) if (!(Number.isFinite(c) && c >= 0 && c <= 1)) return err("INVALID_CAPS", `A weight cap must be between 0 and 1, not ${c}.`);
  if (sum(list) < 1 - 1e-12) return err("INFEASIBLE_CAPS", `The weight caps add up to ${Number(sum(list).toFixed(6))}: below 1, the weights cannot sum to 1.`);
  return ok(list.map((c) => Math.min(1, c)));
}

function checkCovariance(cov: ReadonlyMatrix): AllocationOutcome<number> {
  const n = cov.length;
  if (n === 0) return err("INVALID_COVARIANCE", "There are no symbols to allocate to.");
  const problem = covarianceProblem(cov, n);
  return problem ? err("INVALID_COVARIANCE", problem) : ok(n);
}

function checkReturns(expected: readonly number[], n: number, riskFreeRate: number): AllocationOutcome<number[]> {
  if (expected.length !== n) return err("INVALID_RETURNS", `${expected.length} expected returns were given for ${n} symbols.`);
  for (const r of expected) if (!Number.isFinite(r)) return err("INVALID_RETURNS", `Every expected return must be a finite number, not ${r}.`);
  if (!Number.isFinite(riskFreeRate)) return err("INVALID_RETURNS", `The risk-free rate must be a finite number, not ${riskFreeRate}.`);
  return ok(expected.map((r) => r - riskFreeRate));
}

// ---------------------------------------------------------------------------------------------------------------
// Capped simplex

/** Euclidean projection of v onto {w : Σw = 1, 0 ≤ w ≤ caps}: w = clip(v − τ, 0, cap), τ found by bisection. */
export function projectCappedSimplex(v: readonly number[], caps: readonly number[]): number[] {
  const n = v.length;
  const filled = (tau: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.min(caps[i]!, Math.max(0, v[i]! - tau));
    return s;
  };
  let lo = Math.min(...v) - 1;
  let hi = Math.max(...v);
  for (let k = 0; k < 200 && hi - lo > 0; k++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (filled(mid) > 1) lo = mid;
    else hi = mid;
  }
  const w = v.map((x, i) => Math.min(caps[i]!, Math.max(0, x - hi)));
  // Bisection leaves Σw a hair off 1: spread the rest over the weights strictly inside their bounds.
  const rest = 1 - sum(w);
  const free = w.map((x, i) => x > 0 && x < caps[i]!);
  const freeCount = free.filter(Boolean).length;
  if (freeCount > 0) for (let i = 0; i < n; i++) if (free[i]) w[i] = Math.min(caps[i]!, Math.max(0, w[i]! + rest / freeCount));
  return w;
}

/**
 * The KKT residual of w for min ½wᵀQw − cᵀw over the capped simplex: with g = Qw − c and ν the budget multiplier,
 * a free weight needs gᵢ = ν, one at 0 needs gᵢ ≥ ν, one at its cap gᵢ ≤ ν. Returns the largest violation (plus
 * infeasibility of w itself), absolute.
 */
export function cappedSimplexKktResidual(
  q: ReadonlyMatrix,
  c: readonly number[],
  caps: readonly number[],
  w: readonly number[],
  boundTolerance = 1e-9,
): number {
  const g = matVec(q, w).map((x, i) => x - c[i]!);
  const free: number[] = [];
  let minAtLower = Infinity;
  let maxAtUpper = -Infinity;
  let infeasible = Math.abs(sum(w) - 1);
  for (let i = 0; i < w.length; i++) {
    infeasible = Math.max(infeasible, -w[i]!, w[i]! - caps[i]!);
    const atLower = w[i]! <= boundTolerance;
    const atUpper = w[i]! >= caps[i]! - boundTolerance;
    if (atLower && atUpper) continue; // a cap of 0: the weight is fixed
    if (atLower) minAtLower = Math.min(minAtLower, g[i]!);
    else if (atUpper) maxAtUpper = Math.max(maxAtUpper, g[i]!);
    else free.push(g[i]!);
  }
  let nu: number;
  if (free.length > 0) nu = (Math.min(...free) + Math.max(...free)) / 2;
  else if (Number.isFinite(minAtLower) && Number.isFinite(maxAtUpper)) nu = (minAtLower + maxAtUpper) / 2;
  else nu = Number.isFinite(minAtLower) ? minAtLower : Number.isFinite(maxAtUpper) ? maxAtUpper : 0;
  let worst = 0;
  for (const gi of free) worst = Math.max(worst, Math.abs(gi - nu));
  if (Number.isFinite(minAtLower)) worst = Math.max(worst, nu - minAtLower);
  if (Number.isFinite(maxAtUpper)) worst = Math.max(worst, maxAtUpper - nu);
  return Math.max(worst, infeasible);
}

/** Solves the KKT system on the weights strictly inside their bounds, the others fixed where w has them. */
function polish(q: ReadonlyMatrix, c: readonly number[], caps: readonly number[], w: readonly number[]): number[] | null {
  const n = w.length;
  const eps = 1e-9;
  const fixed = w.map((x, i) => (x <= eps ? 0 : x >= caps[i]! - eps ? caps[i]! : null));
  const free = fixed.flatMap((f, i) => (f === null ? [i] : []));
  const out = fixed.map((f) => f ?? 0);
  const fixedSum = sum(out);
  if (free.length === 0) return Math.abs(fixedSum - 1) < 1e-12 ? out : null;
  // [Q_FF −1; 1ᵀ 0] [x; ν] = [c_F − Q_FA a; 1 − Σa]
  const m = free.length;
  const a: number[][] = [];
  const b: number[] = [];
  for (let r = 0; r < m; r++) {
    const i = free[r]!;
    const row = free.map((j) => q[i]![j]!);
    row.push(-1);
    a.push(row);
    let rhs = c[i]!;
    for (let j = 0; j < n; j++) if (fixed[j] !== null) rhs -= q[i]![j]! * out[j]!;
    b.push(rhs);
  }
  a.push([...new Array<number>(m).fill(1), 0]);
  b.push(1 - fixedSum);
  const x = solveLinear(a, b);
  if (!x) return null;
  for (let r = 0; r < m; r++) {
    const i = free[r]!;
    if (x[r]! < -1e-12 || x[r]! > caps[i]! + 1e-12) return null;
    out[i] = Math.min(caps[i]!, Math.max(0, x[r]!));
  }
  return out;
}

export interface QpSolution {
  weights: number[];
  iterations: number;
  kktResidual: number;
}

/**
 * min ½wᵀQw − cᵀw subject to Σw = 1, 0 ≤ w ≤ caps, for a symmetric positive semi-definite Q. Caps must be valid and
 * sum to at least 1 (the public functions check). NOT_CONVERGED if the KKT residual is still above tolerance.
 */
export function solveCappedSimplexQp(
  q: ReadonlyMatrix,
  c: readonly number[],
  caps: readonly number[],
  options: SolverOptions = {},
): AllocationOutcome<QpSolution> {
  const n = c.length;
  const maxIterations = options.maxIterations ?? 50_000;
  let maxAbsC = 0;
  for (const x of c) maxAbsC = Math.max(maxAbsC, Math.abs(x));
  const lipschitz = eigenvalueBound(q);
  const scale = Math.max(lipschitz, maxAbsC, 1e-300);
  const tolerance = (options.tolerance ?? 1e-10) * scale;
  const step = 1 / Math.max(lipschitz, 1e-12 * scale);

  let w = projectCappedSimplex(new Array<number>(n).fill(1 / n), caps);
  let y = w;
  let t = 1;
  let best: QpSolution | null = null;
  for (let k = 1; k <= maxIterations; k++) {
    const g = matVec(q, y);
    const next = projectCappedSimplex(
      y.map((x, i) => x - step * (g[i]! - c[i]!)),
      caps,
    );
    // Adaptive restart (O'Donoghue & Candès): drop the momentum when it points uphill.
    let uphill = 0;
    for (let i = 0; i < n; i++) uphill += (g[i]! - c[i]!) * (next[i]! - w[i]!);
    const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    if (uphill > 0) {
      t = 1;
      y = next;
    } else {
      y = next.map((x, i) => x + ((t - 1) / tNext) * (x - w[i]!));
      t = tNext;
    }
    w = next;
    if (k % 20 === 0 || k === maxIterations) {
      const candidates = [w];
      const polished = polish(q, c, caps, w);
      if (polished) candidates.unshift(polished);
      for (const candidate of candidates) {
        const residual = cappedSimplexKktResidual(q, c, caps, candidate);
        if (!best || residual < best.kktResidual) best = { weights: candidate, iterations: k, kktResidual: residual };
      }
      if (best && best.kktResidual <= tolerance) return ok(best);
    }
  }
  // (TypeScript loses the assignments made inside the loop above.)
  const last = best as QpSolution | null;
  return err("NOT_CONVERGED", `The optimiser did not converge in ${maxIterations} iterations (KKT residual ${last?.kktResidual ?? NaN}).`, {
    weights: last?.weights,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Methods

/** Fraction of portfolio variance each weight carries: wᵢ(Σw)ᵢ / wᵀΣw (sums to 1; all zero for a riskless book). */
export function riskContributions(weights: readonly number[], cov: ReadonlyMatrix): number[] {
  const sigmaW = matVec(cov, weights);
  const variance = dot(weights, sigmaW);
  return weights.map((w, i) => (variance > 0 ? (w * sigmaW[i]!) / variance : 0));
}

/**
 * Scales positive scores into weights summing to 1 under caps (water-filling): weights above their cap are pinned
 * there and the rest is shared in proportion to the scores of the others.
 */
export function capWeights(scores: readonly number[], caps: WeightCaps = 1): AllocationOutcome<number[]> {
  const capList = capsFor(scores.length, caps);
  if (!capList.ok) return capList;
  for (const s of scores) if (!(Number.isFinite(s) && s >= 0)) return err("INVALID_RETURNS", `Scores must be finite and not negative, not ${s}.`);
  const limits = capList.value;
  const weights = new Array<number>(scores.length).fill(0);
  const pinned = scores.map(() => false);
  for (let round = 0; round <= scores.length; round++) {
    const remaining = 1 - sum(weights.filter((_, i) => pinned[i]));
    const open = scores.flatMap((_, i) => (pinned[i] ? [] : [i]));
    if (open.length === 0) break;
    const total = sum(open.map((i) => scores[i]!));
    // All remaining scores zero: share equally (the caps still hold, below).
    for (const i of open) weights[i] = total > 0 ? (remaining * scores[i]!) / total : remaining / open.length;
    const over = open.filter((i) => weights[i]! > limits[i]!);
    if (over.length === 0) break;
    for (const i of over) {
      weights[i] = limits[i]!;
      pinned[i] = true;
    }
  }
  return ok(weights);
}

/** wᵢ ∝ 1/σᵢ, capped. ZERO_VOLATILITY when a symbol has none (its weight would be infinite). */
export function inverseVolatilityWeights(cov: ReadonlyMatrix, options: { caps?: WeightCaps } = {}): AllocationOutcome<number[]> {
  const valid = checkCovariance(cov);
  if (!valid.ok) return valid;
  const scores: number[] = [];
  for (let i = 0; i < cov.length; i++) {
    const variance = cov[i]![i]!;
    if (!(variance > 0)) return err("ZERO_VOLATILITY", `Symbol ${i} has zero volatility: its inverse-volatility weight is undefined.`, { index: i });
    scores.push(1 / Math.sqrt(variance));
  }
  return capWeights(scores, options.caps ?? 1);
}

export interface RiskParityResult {
  weights: number[];
  /** Fractions of variance per weight (equal to the budgets within tolerance). */
  riskContributions: number[];
  iterations: number;
}

export function riskParityWeights(
  cov: ReadonlyMatrix,
  options: { budgets?: readonly number[]; tolerance?: number; maxIterations?: number } = {},
): AllocationOutcome<RiskParityResult> {
  const valid = checkCovariance(cov);
  if (!valid.ok) return valid;
  const n = valid.value;
  const budgets = options.budgets ? [...options.budgets] : new Array<number>(n).fill(1 / n);
  if (budgets.length !== n || budgets.some((b) => !(Number.isFinite(b) && b > 0)) || Math.abs(sum(budgets) - 1) > 1e-9) {
    return err("INVALID_BUDGETS", `Risk budgets must be ${n} positive fractions summing to 1.`);
  }
  for (let i = 0; i < n; i++) {
    if (!(cov[i]![i]! > 0)) return err("ZERO_VOLATILITY", `Symbol ${i} has zero volatility: it cannot carry a share of the risk.`, { index: i });
  }
  const tolerance = options.tolerance ?? 1e-10;
  const maxIterations = options.maxIterations ?? 10_000;
  const y = cov.map((row, i) => 1 / Math.sqrt(row[i]!));
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    for (let i = 0; i < n; i++) {
      let others = 0;
      for (let j = 0; j < n; j++) if (j !== i) others += cov[i]![j]! * y[j]!;
      const variance = cov[i]![i]!;
      y[i] = (-others + Math.sqrt(others * others + 4 * variance * budgets[i]!)) / (2 * variance);
    }
    const total = sum(y);
    const weights = y.map((x) => x / total);
    const contributions = riskContributions(weights, cov);
    let gap = 0;
    for (let i = 0; i < n; i++) gap = Math.max(gap, Math.abs(contributions[i]! - budgets[i]!));
    if (gap <= tolerance) return ok({ weights, riskContributions: contributions, iterations: iteration });
  }
  return err("NOT_CONVERGED", `Risk parity did not converge in ${maxIterations} sweeps.`);
}

export interface PortfolioWeights {
  weights: number[];
  /** wᵀμ (only when expected returns were given). */
  expectedReturn: number | null;
  /** √(wᵀΣw). */
  volatility: number;
  iterations: number;
}

export function minVarianceWeights(cov: ReadonlyMatrix, options: { caps?: WeightCaps } & SolverOptions = {}): AllocationOutcome<PortfolioWeights> {
  const valid = checkCovariance(cov);
  if (!valid.ok) return valid;
  const caps = capsFor(valid.value, options.caps);
  if (!caps.ok) return caps;
  const solved = solveCappedSimplexQp(cov, new Array<number>(valid.value).fill(0), caps.value, options);
  if (!solved.ok) return solved;
  const { weights, iterations } = solved.value;
  return ok({ weights, expectedReturn: null, volatility: Math.sqrt(Math.max(0, quadForm(cov, weights))), iterations });
}

/** argmin ½wᵀΣw − λ(μ − r_f)ᵀw over the capped simplex: one point of the long-only efficient frontier. */
export function meanVarianceWeights(
  expected: readonly number[],
  cov: ReadonlyMatrix,
  options: { riskTolerance: number; riskFreeRate?: number; caps?: WeightCaps } & SolverOptions,
): AllocationOutcome<PortfolioWeights> {
  const valid = checkCovariance(cov);
  if (!valid.ok) return valid;
  const excess = checkReturns(expected, valid.value, options.riskFreeRate ?? 0);
  if (!excess.ok) return excess;
  const caps = capsFor(valid.value, options.caps);
  if (!caps.ok) return caps;
  if (!(Number.isFinite(options.riskTolerance) && options.riskTolerance >= 0)) {
    return err("INVALID_FRACTION", `The risk tolerance must be a finite number ≥ 0, not ${options.riskTolerance}.`);
  }
  return frontierPoint(expected, excess.value, cov, caps.value, options.riskTolerance, options);
}

function frontierPoint(
  expected: readonly number[],
  excess: readonly number[],
  cov: ReadonlyMatrix,
  caps: readonly number[],
  lambda: number,
  options: SolverOptions,
): AllocationOutcome<PortfolioWeights> {
  const solved = solveCappedSimplexQp(
    cov,
    excess.map((e) => lambda * e),
    caps,
    options,
  );
  if (!solved.ok) return solved;
  const { weights, iterations } = solved.value;
  return ok({ weights, expectedReturn: dot(weights, expected), volatility: Math.sqrt(Math.max(0, quadForm(cov, weights))), iterations });
}

export interface MaxSharpeResult extends PortfolioWeights {
  sharpe: number;
  /** The frontier's λ at the optimum. */
  riskTolerance: number;
}

export function maxSharpeWeights(
  expected: readonly number[],
  cov: ReadonlyMatrix,
  options: { riskFreeRate?: number; caps?: WeightCaps } & SolverOptions = {},
): AllocationOutcome<MaxSharpeResult> {
  const valid = checkCovariance(cov);
  if (!valid.ok) return valid;
  const riskFreeRate = options.riskFreeRate ?? 0;
  const excessResult = checkReturns(expected, valid.value, riskFreeRate);
  if (!excessResult.ok) return excessResult;
  const excess = excessResult.value;
  const caps = capsFor(valid.value, options.caps);
  if (!caps.ok) return caps;
  if (!excess.some((e, i) => e > 0 && caps.value[i]! > 0)) {
    return err("NO_POSITIVE_EXCESS_RETURN", "No symbol is expected to return more than the risk-free rate: there is no Sharpe ratio to maximise.");
  }
  const cache = new Map<number, { point: PortfolioWeights; sharpe: number }>();
  let failure: AllocationOutcome<never> | null = null;
  const evaluate = (lambda: number): number => {
    const hit = cache.get(lambda);
    if (hit) return hit.sharpe;
    const point = frontierPoint(expected, excess, cov, caps.value, lambda, options);
    if (!point.ok) {
      failure ??= point;
      return -Infinity;
    }
    const excessReturn = dot(point.value.weights, excess);
    const sharpe = point.value.volatility > 0 ? excessReturn / point.value.volatility : excessReturn > 0 ? Infinity : -Infinity;
    cache.set(lambda, { point: point.value, sharpe });
    return sharpe;
  };
  // λ has the units of variance / return: scan it log-spaced around that scale, then refine between neighbours.
  let maxExcess = 0;
  for (const e of excess) maxExcess = Math.max(maxExcess, Math.abs(e));
  const unit = Math.max(eigenvalueBound(cov), 1e-300) / maxExcess;
  const grid = [0];
  for (let k = -8; k <= 8; k++) grid.push(unit * 10 ** (k / 2));
  let bestIndex = 0;
  for (let i = 0; i < grid.length; i++) if (evaluate(grid[i]!) > evaluate(grid[bestIndex]!)) bestIndex = i;
  if (failure) return failure;
  let lo = grid[Math.max(0, bestIndex - 1)]!;
  let hi = grid[Math.min(grid.length - 1, bestIndex + 1)]!;
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = hi - ratio * (hi - lo);
  let b = lo + ratio * (hi - lo);
  for (let k = 0; k < 100 && hi - lo > 1e-12 * Math.max(hi, unit * 1e-6); k++) {
    if (evaluate(a) >= evaluate(b)) {
      hi = b;
      b = a;
      a = hi - ratio * (hi - lo);
    } else {
      lo = a;
      a = b;
      b = lo + ratio * (hi - lo);
    }
  }
  if (failure) return failure;
  let bestLambda = grid[bestIndex]!;
  for (const [lambda, entry] of cache) if (entry.sharpe > cache.get(bestLambda)!.sharpe) bestLambda = lambda;
  const best = cache.get(bestLambda)!;
  return ok({ ...best.point, sharpe: best.sharpe, riskTolerance: bestLambda });
}

export interface KellyResult extends PortfolioWeights {
  /** Expected log growth per period of the mix: r_f + (μ − r_f)ᵀw − ½wᵀΣw. */
  growthRate: number;
}

/** The fractional-Kelly mix (see the header): `fraction` in (0, 1], 0.5 = half Kelly. */
export function fractionalKellyWeights(
  expected: readonly number[],
  cov: ReadonlyMatrix,
  options: { fraction: number; riskFreeRate?: number; caps?: WeightCaps } & SolverOptions,
): AllocationOutcome<KellyResult> {
  if (!(Number.isFinite(options.fraction) && options.fraction > 0 && options.fraction <= 1)) {
    return err("INVALID_FRACTION", `The Kelly fraction must be above 0 and at most 1 (0.5 = half Kelly), not ${options.fraction}.`);
  }
  const riskFreeRate = options.riskFreeRate ?? 0;
  const point = meanVarianceWeights(expected, cov, { ...options, riskTolerance: options.fraction, riskFreeRate });
  if (!point.ok) return point;
  const { weights } = point.value;
  const excessReturn = dot(weights, expected) - riskFreeRate;
  return ok({ ...point.value, growthRate: riskFreeRate + excessReturn - 0.5 * quadForm(cov, weights) });
}

/**
 * Small dense linear algebra and normal-distribution helpers for the portfolio statistics (covariance, VaR,
 * allocation). Matrices here are a handful of symbols wide, so plain arrays and O(n³) elimination are enough; no
 * dependency. Everything is float: these are statistics, never money (CODE_STYLE.md, "Money and numbers").
 */

export type Matrix = number[][];
export type ReadonlyMatrix = readonly (readonly number[])[];

export function zeros(rows: number, cols: number = rows): Matrix {
  return Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
}

export function matVec(m: ReadonlyMatrix, v: readonly number[]): number[] {
  const out = new Array<number>(m.length).fill(0);
  for (let i = 0; i < m.length; i++) {
    const row = m[i]!;
    let s = 0;
    for (let j = 0; j < v.length; j++) s += row[j]! * v[j]!;
    out[i] = s;
  }
  return out;
}

export function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** vᵀ M v. */
export function quadForm(m: ReadonlyMatrix, v: readonly number[]): number {
  return dot(v, matVec(m, v));
}

export function sum(v: readonly number[]): number {
  let s = 0;
  for (const x of v) s += x;
  return s;
}

/**
 * Checks that a matrix is a usable covariance: square of size n, finite, symmetric (to a relative 1e-9) and with a
 * non-negative diagonal. Returns a sentence naming the first problem, or null. (Positive semi-definiteness is not
 * checked here: an estimate from data is PSD by construction, and the solvers cope with a singular one.)
 */
export function covarianceProblem(cov: ReadonlyMatrix, n: number): string | null {
  if (cov.length !== n) return `The covariance matrix has ${cov.length} rows for ${n} symbols.`;
  for (let i = 0; i < n; i++) {
    const row = cov[i]!;
    if (row.length !== n) return `Row ${i} of the covariance matrix has ${row.length} entries, not ${n}.`;
    for (let j = 0; j < n; j++) if (!Number.isFinite(row[j])) return `Covariance entry [${i}][${j}] is not a finite number (${row[j]}).`;
    if (row[i]! < 0) return `The variance of symbol ${i} is negative (${row[i]}).`;
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = cov[i]![j]!;
      const b = cov[j]![i]!;
      if (Math.abs(a - b) > 1e-9 * Math.max(Math.abs(a), Math.abs(b), Math.sqrt(cov[i]![i]! * cov[j]![j]!), 1e-300)) {
        return `The covariance matrix is not symmetric at [${i}][${j}] (${a} vs ${b}).`;
      }
    }
  }
  return null;
}

/**
 * Solves A x = b by Gaussian elimination with partial pivoting. Returns null when A is singular (a pivot below
 * `1e-13 ×` the largest entry of A): callers fall back to an iterative answer rather than trust a blown-up solution.
 */
export function solveLinear(a: ReadonlyMatrix, b: readonly number[]): number[] | null {
  const n = b.length;
  const m = a.map((row, i) => [...row.slice(0, n), b[i]!]);
  let scale = 0;
  for (const row of a) for (let j = 0; j < n; j++) scale = Math.max(scale, Math.abs(row[j]!));
  if (scale === 0) return null;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    if (Math.abs(m[pivot]![col]!) <= 1e-13 * scale) return null;
    if (pivot !== col) [m[pivot], m[col]] = [m[col]!, m[pivot]!];
    const pivotRow = m[col]!;
    for (let r = col + 1; r < n; r++) {
      const row = m[r]!;
      const factor = row[col]! / pivotRow[col]!;
      if (factor === 0) continue;
      for (let c = col; c <= n; c++) row[c]! -= factor * pivotRow[c]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    const row = m[r]!;
    let s = row[n]!;
    for (let c = r + 1; c < n; c++) s -= row[c]! * x[c]!;
    x[r] = s / row[r]!;
  }
  return x;
}

/** An upper bound on the largest eigenvalue of a symmetric matrix: the largest absolute row sum (Gershgorin). */
export function eigenvalueBound(m: ReadonlyMatrix): number {
  let bound = 0;
  for (const row of m) {
    let s = 0;
    for (const x of row) s += Math.abs(x);
    bound = Math.max(bound, s);
  }
  return bound;
}

/** The standard normal density. */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/**
 * The standard normal quantile Φ⁻¹(p) for p in (0, 1): Acklam's rational approximation (relative error below
 * 1.2e-9), plenty for a VaR whose inputs are estimates. NaN outside (0, 1).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return NaN;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

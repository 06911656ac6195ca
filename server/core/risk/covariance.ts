/**
 * Rolling covariance and correlation of aligned returns (returns.ts), kept incrementally: a new bar is added and,
 * once the window is full, the oldest dropped, each in O(n²) for n symbols. Floats: these are statistics.
 *
 * Numerical care: the window is kept as Welford co-moments (means and Σ (x − mean)(y − mean)), which add and remove
 * a row without the cancellation of raw running sums (Σxy − n·x̄ȳ loses every digit when returns are 1e-4 around a
 * mean of 1e-5). Removal can still accumulate rounding over a long run, so every `window` updates the co-moments are
 * recomputed exactly (two-pass) from the rows held: the cost stays O(n²) per bar on average.
 *
 * Trust: an estimate from fewer than `minHistory` rows, or from no more rows than symbols (a singular matrix, in
 * which some mix of the symbols looks riskless), is not trusted; `estimate()` then says why and gives no
 * matrix, so no caller (the gate, the Risk page) can use an untrusted correlation by accident.
 * Covariance is the sample covariance (divide by count − 1). A symbol whose variance is zero (it never moved in the
 * window) has correlation 0 with every other symbol and 1 with itself: no co-movement can be measured.
 */
import { type Matrix, type ReadonlyMatrix, zeros } from "./linalg";

export interface CovarianceEstimateTrusted {
  trusted: true;
  symbols: string[];
  /** Rows in the window. */
  count: number;
  /** Timestamp of the newest row, when rows were pushed with one. */
  asOf: number | null;
  mean: number[];
  /** Sample covariance per bar. */
  covariance: Matrix;
  correlation: Matrix;
  /** Per-bar standard deviation of each symbol. */
  volatility: number[];
}

export interface CovarianceEstimateUntrusted {
  trusted: false;
  symbols: string[];
  count: number;
  minHistory: number;
  reason: string;
}

export type CovarianceEstimate = CovarianceEstimateTrusted | CovarianceEstimateUntrusted;

export interface RollingCovarianceOptions {
  /** Rows kept (e.g. 720 one-hour bars = 30 days). */
  window: number;
  /** Rows needed before the estimate is trusted (at least 2, at most `window`). Default: half the window. */
  minHistory?: number;
}

export class RollingCovariance {
  readonly symbols: readonly string[];
  readonly window: number;
  readonly minHistory: number;
  private readonly n: number;
  /** Ring buffer of the rows in the window. */
  private readonly rows: number[][] = [];
  private head = 0;
  private count = 0;
  private readonly mean: number[];
  private readonly comoment: Matrix;
  private updatesSinceExact = 0;
  private lastTs: number | null = null;

  constructor(symbols: readonly string[], options: RollingCovarianceOptions) {
    const { window } = options;
    if (!(Number.isInteger(window) && window >= 2)) throw new RangeError(`The correlation window must be a whole number of at least 2 bars, not ${window}.`);
    const minHistory = options.minHistory ?? Math.max(2, Math.ceil(window / 2));
    if (!(Number.isInteger(minHistory) && minHistory >= 2 && minHistory <= window)) {
      throw new RangeError(`The minimum history must be a whole number from 2 to the window (${window}), not ${minHistory}.`);
    }
    if (new Set(symbols).size !== symbols.length) throw new RangeError("The symbols must be distinct.");
    this.symbols = [...symbols];
    this.window = window;
    this.minHistory = minHistory;
    this.n = symbols.length;
    this.mean = new Array<number>(this.n).fill(0);
    this.comoment = zeros(this.n);
  }

  get size(): number {
    return this.count;
  }

  /**
   * Adds one aligned row of returns (in `symbols` order) and drops the oldest when the window is full. `ts`, when
   * given, must increase: a bar pushed twice or out of order would silently double its weight.
   */
  push(row: readonly number[], ts?: number): void {
    if (row.length !== this.n) throw new RangeError(`A row needs ${this.n} returns, one per symbol, not ${row.length}.`);
    for (let i = 0; i < this.n; i++) if (!Number.isFinite(row[i])) throw new RangeError(`The return of ${this.symbols[i]} is not a finite number (${row[i]}).`);
    if (ts !== undefined) {
      if (this.lastTs !== null && !(ts > this.lastTs)) throw new RangeError(`Bars must arrive in time order: ${ts} is not after ${this.lastTs}.`);
      this.lastTs = ts;
    }
    const copy = [...row];
    if (this.count === this.window) {
      const oldest = this.rows[this.head]!;
      this.rows[this.head] = copy;
      this.head = (this.head + 1) % this.window;
      this.remove(oldest);
      this.add(copy);
    } else {
      this.rows.push(copy);
      this.add(copy);
    }
    if (++this.updatesSinceExact >= this.window) this.recomputeExactly();
  }

  /** The current estimate, or why it is not trusted yet. */
  estimate(): CovarianceEstimate {
    if (this.count < this.minHistory) {
      return {
        trusted: false,
        symbols: [...this.symbols],
        count: this.count,
        minHistory: this.minHistory,
        reason: `Not enough history yet: ${this.count} of the ${this.minHistory} bars needed before correlations are trusted.`,
      };
    }
    if (this.count <= this.n) {
      // Fewer rows than symbols + 1 make a singular covariance: some mix of the symbols would look riskless.
      return {
        trusted: false,
        symbols: [...this.symbols],
        count: this.count,
        minHistory: this.minHistory,
        reason: `Not enough history yet: ${this.count} bars for ${this.n} symbols; a covariance needs more bars than symbols.`,
      };
    }
    const covariance = zeros(this.n);
    for (let i = 0; i < this.n; i++) for (let j = 0; j < this.n; j++) covariance[i]![j] = this.comoment[i]![j]! / (this.count - 1);
    return {
      trusted: true,
      symbols: [...this.symbols],
      count: this.count,
      asOf: this.lastTs,
      mean: [...this.mean],
      covariance,
      correlation: correlationFromCovariance(covariance),
      volatility: covariance.map((row, i) => Math.sqrt(Math.max(0, row[i]!))),
    };
  }

  private add(x: readonly number[]): void {
    this.count++;
    const delta = new Array<number>(this.n);
    for (let i = 0; i < this.n; i++) {
      delta[i] = x[i]! - this.mean[i]!;
      this.mean[i]! += delta[i]! / this.count;
    }
    // C += (x − old mean)(x − new mean)ᵀ, symmetric by construction when filled from the upper triangle.
    for (let i = 0; i < this.n; i++) {
      for (let j = i; j < this.n; j++) {
        const v = this.comoment[i]![j]! + delta[i]! * (x[j]! - this.mean[j]!);
        this.comoment[i]![j] = v;
        this.comoment[j]![i] = v;
      }
    }
  }

  /** The exact inverse of add: with m the mean including x and m′ the mean without it, C′ = C − (x − m′)(x − m)ᵀ. */
  private remove(x: readonly number[]): void {
    if (this.count === 1) {
      this.count = 0;
      this.mean.fill(0);
      for (const row of this.comoment) row.fill(0);
      return;
    }
    const meanWith = [...this.mean];
    for (let i = 0; i < this.n; i++) this.mean[i] = (this.count * meanWith[i]! - x[i]!) / (this.count - 1);
    this.count--;
    for (let i = 0; i < this.n; i++) {
      for (let j = i; j < this.n; j++) {
        const v = this.comoment[i]![j]! - (x[i]! - this.mean[i]!) * (x[j]! - meanWith[j]!);
        this.comoment[i]![j] = v;
        this.comoment[j]![i] = v;
      }
    }
  }

  private recomputeExactly(): void {
    this.updatesSinceExact = 0;
    const exact = batchComoments(this.rows, this.n);
    for (let i = 0; i < this.n; i++) {
      this.mean[i] = exact.mean[i]!;
      for (let j = 0; j < this.n; j++) this.comoment[i]![j] = exact.comoment[i]![j]!;
    }
  }
}

function batchComoments(rows: readonly (readonly number[])[], n: number): { mean: number[]; comoment: Matrix } {
  const mean = new Array<number>(n).fill(0);
  for (const row of rows) for (let i = 0; i < n; i++) mean[i]! += row[i]!;
  for (let i = 0; i < n; i++) mean[i]! /= Math.max(1, rows.length);
  const comoment = zeros(n);
  for (const row of rows) {
    for (let i = 0; i < n; i++) {
      const di = row[i]! - mean[i]!;
      for (let j = i; j < n; j++) comoment[i]![j]! += di * (row[j]! - mean[j]!);
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) comoment[i]![j] = comoment[j]![i]!;
  return { mean, comoment };
}

/** Sample covariance (count − 1) of rows of returns, two-pass. Needs at least 2 rows. */
export function covarianceOf(rows: readonly (readonly number[])[]): Matrix {
  if (rows.length < 2) throw new RangeError(`A covariance needs at least 2 rows, not ${rows.length}.`);
  const n = rows[0]!.length;
  const { comoment } = batchComoments(rows, n);
  return comoment.map((row) => row.map((v) => v / (rows.length - 1)));
}

/** Correlation from covariance; a zero-variance symbol correlates 0 with the others (see the header). */
export function correlationFromCovariance(cov: ReadonlyMatrix): Matrix {
  const n = cov.length;
  const sd = cov.map((row, i) => Math.sqrt(Math.max(0, row[i]!)));
  const out = zeros(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) out[i]![j] = 1;
      else if (sd[i]! > 0 && sd[j]! > 0) out[i]![j] = Math.max(-1, Math.min(1, cov[i]![j]! / (sd[i]! * sd[j]!)));
      else out[i]![j] = 0;
    }
  }
  return out;
}

/** Estimates from a batch of aligned rows in one call: the last `window` rows through a fresh RollingCovariance. */
export function estimateCovariance(
  symbols: readonly string[],
  rows: readonly (readonly number[])[],
  options: RollingCovarianceOptions & { timestamps?: readonly number[] },
): CovarianceEstimate {
  const rolling = new RollingCovariance(symbols, options);
  const start = Math.max(0, rows.length - options.window);
  for (let t = start; t < rows.length; t++) rolling.push(rows[t]!, options.timestamps?.[t]);
  return rolling.estimate();
}

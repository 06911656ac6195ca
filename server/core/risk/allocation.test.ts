import { describe, expect, it } from "vitest";
import { seededRng, type Rng } from "../rng";
import {
  capWeights,
  fractionalKellyWeights,
  inverseVolatilityWeights,
  maxSharpeWeights,
  meanVarianceWeights,
  minVarianceWeights,
  projectCappedSimplex,
  riskContributions,
  riskParityWeights,
} from "./allocation";

type Matrix = number[][];

const mv = (m: Matrix, v: readonly number[]) => m.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
const dotp = (a: readonly number[], b: readonly number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const variance = (m: Matrix, w: readonly number[]) => dotp(w, mv(m, w));
const total = (v: readonly number[]) => v.reduce((s, x) => s + x, 0);

function unwrap<T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

/**
 * The KKT conditions of min f(w) over {Σw = 1, 0 ≤ w ≤ cap}, checked from the gradient of f alone (written here, not
 * taken from the solver): for one multiplier ν, ∂f/∂wᵢ = ν on weights inside their bounds, ≥ ν at 0, ≤ ν at the cap.
 * Returns the worst violation relative to `scale`.
 */
function kktViolation(gradient: readonly number[], w: readonly number[], caps: readonly number[], scale: number): number {
  const bound = 1e-7;
  const free = gradient.filter((_, i) => w[i]! > bound && w[i]! < caps[i]! - bound);
  const atZero = gradient.filter((_, i) => w[i]! <= bound && caps[i]! > bound);
  const atCap = gradient.filter((_, i) => w[i]! >= caps[i]! - bound && w[i]! > bound);
  let nu: number;
  if (free.length > 0) nu = free.reduce((s, g) => s + g, 0) / free.length;
  else nu = ((atZero.length ? Math.min(...atZero) : Math.max(...atCap)) + (atCap.length ? Math.max(...atCap) : Math.min(...atZero))) / 2;
  let worst = 0;
  for (const g of free) worst = Math.max(worst, Math.abs(g - nu));
  for (const g of atZero) worst = Math.max(worst, nu - g);
  for (const g of atCap) worst = Math.max(worst, g - nu);
  return worst / scale;
}

function expectFeasible(w: readonly number[], caps: readonly number[]): void {
  expect(Math.abs(total(w) - 1)).toBeLessThan(1e-9);
  w.forEach((x, i) => {
    expect(x).toBeGreaterThanOrEqual(0);
    expect(x).toBeLessThanOrEqual(caps[i]! + 1e-12);
  });
}

/** Gradient of −Sharpe: −μₑ/σ + (μₑᵀw/σ³) Σw. */
function negativeSharpeGradient(excess: readonly number[], cov: Matrix, w: readonly number[]): number[] {
  const sigma = Math.sqrt(variance(cov, w));
  const er = dotp(excess, w);
  const sw = mv(cov, w);
  return excess.map((e, i) => -e / sigma + (er / sigma ** 3) * sw[i]!);
}

/** Every weight vector on a grid of the capped simplex (2 or 3 assets). */
function grid(n: 2 | 3, step: number, caps: readonly number[]): number[][] {
  const points: number[][] = [];
  const k = Math.round(1 / step);
  for (let a = 0; a <= k; a++) {
    if (n === 2) points.push([a / k, 1 - a / k]);
    else for (let b = 0; a + b <= k; b++) points.push([a / k, b / k, 1 - (a + b) / k]);
  }
  return points.filter((w) => w.every((x, i) => x <= caps[i]! + 1e-12 && x >= -1e-12));
}

/** A random covariance like daily crypto returns: AAᵀ with a common factor, scaled to σ of a few percent. */
function randomCovariance(rng: Rng, n: number): Matrix {
  const a = Array.from({ length: n }, () => Array.from({ length: n + 1 }, () => rng.next() * 2 - 1));
  const factor = a.map(() => 0.5 + rng.next());
  const cov: Matrix = [];
  for (let i = 0; i < n; i++) {
    cov.push([]);
    for (let j = 0; j < n; j++) {
      let s = factor[i]! * factor[j]!;
      for (let k = 0; k <= n; k++) s += a[i]![k]! * a[j]![k]!;
      cov[i]!.push(s * 1e-4 * (1 + (rng.next() < 0.2 && i === j ? 3 : 0)));
    }
  }
  // Symmetrise (the random bump touches the diagonal only, so this is exact).
  return cov.map((row, i) => row.map((x, j) => (i <= j ? x : cov[j]![i]!)));
}

function randomCaps(rng: Rng, n: number): number[] {
  for (;;) {
    const caps = Array.from({ length: n }, () => (rng.next() < 0.3 ? 1 : 0.1 + 0.6 * rng.next()));
    if (total(caps) >= 1.05) return caps;
  }
}

// Two assets: σ 4 % and 2 %, correlation 0.3.
const COV2: Matrix = [
  [0.0016, 0.3 * 0.04 * 0.02],
  [0.3 * 0.04 * 0.02, 0.0004],
];
// Three assets with a strong pair (0.8) and a diversifier.
const COV3: Matrix = [
  [0.0009, 0.8 * 0.03 * 0.025, 0.1 * 0.03 * 0.05],
  [0.8 * 0.03 * 0.025, 0.000625, 0.2 * 0.025 * 0.05],
  [0.1 * 0.03 * 0.05, 0.2 * 0.025 * 0.05, 0.0025],
];
const MU3 = [0.002, 0.0012, 0.003];

describe("projectCappedSimplex", () => {
  it.each([
    [
      [0.2, 0.3, 0.5],
      [1, 1, 1],
      [0.2, 0.3, 0.5],
    ],
    [
      [1, 1, 1],
      [1, 1, 1],
      [1 / 3, 1 / 3, 1 / 3],
    ],
    [
      [2, 0, 0],
      [1, 1, 1],
      [1, 0, 0],
    ],
    [
      [2, 0, 0],
      [0.5, 1, 1],
      [0.5, 0.25, 0.25],
    ],
    [
      [0.9, 0.1, -5],
      [0.6, 0.6, 0.6],
      [0.6, 0.4, 0],
    ],
  ])("projects %j under caps %j", (v, caps, expected) => {
    projectCappedSimplex(v, caps).forEach((x, i) => expect(x).toBeCloseTo(expected[i]!, 12));
  });
});

describe("minVarianceWeights", () => {
  it("matches the two-asset closed form w₁ = (σ₂² − σ₁₂) / (σ₁² + σ₂² − 2σ₁₂)", () => {
    const w = unwrap(minVarianceWeights(COV2)).weights;
    const s12 = COV2[0]![1]!;
    const w1 = (0.0004 - s12) / (0.0016 + 0.0004 - 2 * s12);
    expect(w[0]).toBeCloseTo(w1, 10);
    expect(w[1]).toBeCloseTo(1 - w1, 10);
  });

  it.each<[string, Matrix, number[]]>([
    ["2 assets, no caps", COV2, [1, 1]],
    ["2 assets, the low-vol one capped at 0.7", COV2, [1, 0.7]],
    ["3 assets, no caps", COV3, [1, 1, 1]],
    ["3 assets, caps 0.5 / 0.4 / 0.3", COV3, [0.5, 0.4, 0.3]],
  ])("beats a brute-force grid and satisfies KKT: %s", (_label, cov, caps) => {
    const w = unwrap(minVarianceWeights(cov, { caps })).weights;
    expectFeasible(w, caps);
    const step = cov.length === 2 ? 1e-4 : 2e-3;
    let best = grid(cov.length as 2 | 3, step, caps)[0]!;
    for (const point of grid(cov.length as 2 | 3, step, caps)) if (variance(cov, point) < variance(cov, best)) best = point;
    expect(variance(cov, w)).toBeLessThanOrEqual(variance(cov, best) + 1e-15);
    w.forEach((x, i) => expect(Math.abs(x - best[i]!)).toBeLessThan(3 * step));
    expect(kktViolation(mv(cov, w), w, caps, Math.max(...cov.flat()))).toBeLessThan(1e-8);
  });
});

describe("maxSharpeWeights", () => {
  it.each<[string, number, number[]]>([
    ["no caps, r_f 0", 0, [1, 1, 1]],
    ["caps 0.5 / 0.6 / 0.4, r_f 0.0005", 0.0005, [0.5, 0.6, 0.4]],
    ["the best asset capped hard at 0.2, r_f 0.001", 0.001, [1, 1, 0.2]],
  ])("beats a brute-force grid and satisfies KKT on three assets: %s", (_label, riskFreeRate, caps) => {
    const result = unwrap(maxSharpeWeights(MU3, COV3, { riskFreeRate, caps }));
    expectFeasible(result.weights, caps);
    const excess = MU3.map((m) => m - riskFreeRate);
    const sharpe = (w: readonly number[]) => dotp(excess, w) / Math.sqrt(variance(COV3, w));
    expect(result.sharpe).toBeCloseTo(sharpe(result.weights), 12);
    let best = -Infinity;
    let bestPoint: number[] = [];
    for (const point of grid(3, 2e-3, caps)) {
      if (sharpe(point) > best) {
        best = sharpe(point);
        bestPoint = point;
      }
    }
    expect(result.sharpe).toBeGreaterThanOrEqual(best - 1e-12);
    result.weights.forEach((x, i) => expect(Math.abs(x - bestPoint[i]!)).toBeLessThan(0.02));
    const scale = Math.max(...excess.map(Math.abs)) / result.volatility;
    expect(kktViolation(negativeSharpeGradient(excess, COV3, result.weights), result.weights, caps, scale)).toBeLessThan(1e-6);
  });

  it("matches the unconstrained tangency portfolio w ∝ Σ⁻¹(μ − r_f) when that one is long-only", () => {
    // Two assets: Σ⁻¹μ by hand.
    const mu = [0.002, 0.0008];
    const [[a, b], [, d]] = COV2 as [[number, number], [number, number]];
    const det = a * d - b * b;
    const raw = [(d * mu[0]! - b * mu[1]!) / det, (-b * mu[0]! + a * mu[1]!) / det];
    const w = unwrap(maxSharpeWeights(mu, COV2)).weights;
    expect(w[0]).toBeCloseTo(raw[0]! / total(raw), 7);
  });

  it("refuses when nothing beats the risk-free rate", () => {
    const r = maxSharpeWeights([0.001, 0.0005], COV2, { riskFreeRate: 0.002 });
    expect(r.ok ? null : r.error.code).toBe("NO_POSITIVE_EXCESS_RETURN");
  });
});

describe("fractionalKellyWeights and meanVarianceWeights", () => {
  it("half Kelly is the frontier point at risk tolerance 0.5 and satisfies KKT", () => {
    const caps = [0.6, 0.6, 0.6];
    const kelly = unwrap(fractionalKellyWeights(MU3, COV3, { fraction: 0.5, caps }));
    const frontier = unwrap(meanVarianceWeights(MU3, COV3, { riskTolerance: 0.5, caps }));
    kelly.weights.forEach((x, i) => expect(x).toBeCloseTo(frontier.weights[i]!, 12));
    expectFeasible(kelly.weights, caps);
    const gradient = mv(COV3, kelly.weights).map((g, i) => g - 0.5 * MU3[i]!);
    expect(kktViolation(gradient, kelly.weights, caps, 0.003)).toBeLessThan(1e-8);
    expect(kelly.growthRate).toBeCloseTo(dotp(MU3, kelly.weights) - 0.5 * variance(COV3, kelly.weights), 15);
  });

  it("a larger Kelly fraction takes more risk", () => {
    const quarter = unwrap(fractionalKellyWeights(MU3, COV3, { fraction: 0.25 }));
    const full = unwrap(fractionalKellyWeights(MU3, COV3, { fraction: 1 }));
    expect(full.volatility).toBeGreaterThan(quarter.volatility);
    expect(full.expectedReturn!).toBeGreaterThan(quarter.expectedReturn!);
  });

  it.each([0, 1.5, NaN])("refuses a Kelly fraction of %d", (fraction) => {
    const r = fractionalKellyWeights(MU3, COV3, { fraction });
    expect(r.ok ? null : r.error.code).toBe("INVALID_FRACTION");
  });
});

describe("riskParityWeights and inverseVolatilityWeights", () => {
  it("two assets: risk parity is inverse volatility whatever the correlation", () => {
    const rp = unwrap(riskParityWeights(COV2)).weights;
    expect(rp[0]).toBeCloseTo(1 / 3, 10); // 1/0.04 : 1/0.02 = 1 : 2
    expect(unwrap(inverseVolatilityWeights(COV2))[0]).toBeCloseTo(1 / 3, 12);
  });

  it("three correlated assets: equal risk contributions, unlike inverse volatility", () => {
    const rp = unwrap(riskParityWeights(COV3));
    rp.riskContributions.forEach((c) => expect(c).toBeCloseTo(1 / 3, 9));
    riskContributions(rp.weights, COV3).forEach((c) => expect(c).toBeCloseTo(1 / 3, 9));
    const inverseVol = unwrap(inverseVolatilityWeights(COV3));
    expect(Math.max(...riskContributions(inverseVol, COV3)) - Math.min(...riskContributions(inverseVol, COV3))).toBeGreaterThan(0.05);
  });

  it("honours risk budgets", () => {
    const rp = unwrap(riskParityWeights(COV3, { budgets: [0.5, 0.25, 0.25] }));
    expect(rp.riskContributions[0]).toBeCloseTo(0.5, 9);
    expect(rp.riskContributions[2]).toBeCloseTo(0.25, 9);
  });

  it("caps inverse volatility by water-filling", () => {
    const w = unwrap(inverseVolatilityWeights(COV2, { caps: 0.6 }));
    expect(w).toEqual([0.4, 0.6]);
    expect(unwrap(capWeights([1, 1, 8], [1, 1, 0.5]))).toEqual([0.25, 0.25, 0.5]);
  });

  it.each<[string, () => { ok: boolean; error?: { code: string } }, string]>([
    [
      "a zero variance",
      () =>
        riskParityWeights([
          [0, 0],
          [0, 1],
        ]),
      "ZERO_VOLATILITY",
    ],
    [
      "an asymmetric matrix",
      () =>
        minVarianceWeights([
          [1, 0.5],
          [0.4, 1],
        ]),
      "INVALID_COVARIANCE",
    ],
    ["caps summing below 1", () => minVarianceWeights(COV2, { caps: 0.4 }), "INFEASIBLE_CAPS"],
    ["a cap above 1", () => minVarianceWeights(COV2, { caps: [2, 1] }), "INVALID_CAPS"],
    ["returns of the wrong length", () => maxSharpeWeights([0.1], COV2), "INVALID_RETURNS"],
    ["budgets not summing to 1", () => riskParityWeights(COV2, { budgets: [0.5, 0.6] }), "INVALID_BUDGETS"],
    ["no symbols", () => minVarianceWeights([]), "INVALID_COVARIANCE"],
  ])("refuses %s", (_label, run, code) => {
    const r = run();
    expect(r.ok ? null : r.error?.code).toBe(code);
  });
});

describe("properties on random covariance matrices (seeded)", () => {
  const rng = seededRng(20260107);
  const cases = Array.from({ length: 40 }, (_, k) => {
    const n = 2 + (k % 7);
    const cov = randomCovariance(rng, n);
    const caps = randomCaps(rng, n);
    const mu = Array.from({ length: n }, () => -0.001 + 0.004 * rng.next());
    mu[k % n] = Math.abs(mu[k % n]!) + 0.0005; // at least one asset beats r_f = 0
    return { k, n, cov, caps, mu };
  });

  it.each(cases)("case $k ($n assets): every method sums to 1 within its caps; RP contributions equal; KKT holds", ({ cov, caps, mu }) => {
    const scale = Math.max(...cov.flat());

    const minVar = unwrap(minVarianceWeights(cov, { caps })).weights;
    expectFeasible(minVar, caps);
    expect(kktViolation(mv(cov, minVar), minVar, caps, scale)).toBeLessThan(1e-8);

    const sharpe = unwrap(maxSharpeWeights(mu, cov, { caps }));
    expectFeasible(sharpe.weights, caps);
    const sharpeScale = Math.max(...mu.map(Math.abs)) / sharpe.volatility;
    expect(kktViolation(negativeSharpeGradient(mu, cov, sharpe.weights), sharpe.weights, caps, sharpeScale)).toBeLessThan(1e-5);
    // No corner or the min-variance point does better.
    const sharpeOf = (w: readonly number[]) => dotp(mu, w) / Math.sqrt(variance(cov, w));
    expect(sharpe.sharpe).toBeGreaterThanOrEqual(sharpeOf(minVar) - 1e-12);

    const kelly = unwrap(fractionalKellyWeights(mu, cov, { fraction: 0.5, caps })).weights;
    expectFeasible(kelly, caps);
    expect(
      kktViolation(
        mv(cov, kelly).map((g, i) => g - 0.5 * mu[i]!),
        kelly,
        caps,
        scale,
      ),
    ).toBeLessThan(1e-8);

    const rp = unwrap(riskParityWeights(cov));
    expectFeasible(rp.weights, new Array<number>(cov.length).fill(1));
    const contributions = riskContributions(rp.weights, cov);
    expect(Math.max(...contributions) - Math.min(...contributions)).toBeLessThan(1e-8);

    const inverseVol = unwrap(inverseVolatilityWeights(cov, { caps }));
    expectFeasible(inverseVol, caps);
  });
});

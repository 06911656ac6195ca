import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HOUR_MS, MINUTE_MS } from "../clock";
import { seededRng } from "../rng";
import { correlationFromCovariance, covarianceOf, estimateCovariance, RollingCovariance, type CovarianceEstimateTrusted } from "./covariance";
import { alignReturns, resampleCandles } from "./returns";

const PORTFOLIO = "/work/shared/data/market/portfolio";
const COINS = ["ada", "dash", "etc", "eth", "ltc", "nxt", "powr", "xlm", "xmr", "zec"];

function loadBars(coin: string, barMs: number): { ts: number; close: number }[] {
  const lines = readFileSync(`${PORTFOLIO}/${coin}-btc_5m_bittrex_2018-01-10_2018-01-30.csv`, "utf8").trim().split("\n").slice(1);
  const candles = lines.map((line) => {
    const cols = line.split(",");
    return { ts: Number(cols[0]), close: cols[4]! };
  });
  return resampleCandles(candles, barMs);
}

function recorded(barMs: number) {
  return alignReturns(Object.fromEntries(COINS.map((c) => [c, loadBars(c, barMs)])), { barMs, kind: "log" });
}

/** The textbook reference: means, then Σ (x − x̄)(y − ȳ) / (n − 1), then Pearson's r, each pair on its own. */
function referenceCovariance(rows: readonly (readonly number[])[], i: number, j: number): number {
  const n = rows.length;
  const meanI = rows.reduce((s, r) => s + r[i]!, 0) / n;
  const meanJ = rows.reduce((s, r) => s + r[j]!, 0) / n;
  return rows.reduce((s, r) => s + (r[i]! - meanI) * (r[j]! - meanJ), 0) / (n - 1);
}

function referenceCorrelation(rows: readonly (readonly number[])[], i: number, j: number): number {
  return referenceCovariance(rows, i, j) / Math.sqrt(referenceCovariance(rows, i, i) * referenceCovariance(rows, j, j));
}

function trusted(estimate: ReturnType<RollingCovariance["estimate"]>): CovarianceEstimateTrusted {
  if (!estimate.trusted) throw new Error(`expected a trusted estimate: ${estimate.reason}`);
  return estimate;
}

function expectClose(actual: number, expected: number, relative: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(relative * Math.max(Math.abs(expected), 1e-300));
}

describe("RollingCovariance on the recorded Bittrex portfolio", () => {
  it("matches a two-pass reference, 1h bars over 10 days, at every step once the window is full", () => {
    const aligned = recorded(HOUR_MS);
    const window = 240;
    const rolling = new RollingCovariance(aligned.symbols, { window, minHistory: 48 });
    let checked = 0;
    aligned.rows.forEach((row, t) => {
      rolling.push(row, aligned.timestamps[t]);
      if (t + 1 < window) return;
      const windowRows = aligned.rows.slice(t + 1 - window, t + 1);
      const estimate = trusted(rolling.estimate());
      expect(estimate.count).toBe(window);
      expect(estimate.asOf).toBe(aligned.timestamps[t]);
      for (let i = 0; i < COINS.length; i++) {
        for (let j = i; j < COINS.length; j++) {
          expectClose(estimate.covariance[i]![j]!, referenceCovariance(windowRows, i, j), 1e-9);
          expect(Math.abs(estimate.correlation[i]![j]! - referenceCorrelation(windowRows, i, j))).toBeLessThan(1e-9);
        }
      }
      checked++;
    });
    expect(checked).toBeGreaterThan(200);
  });

  it("incremental equals batch on 5m returns (a full day window rolled over ~5,700 bars)", () => {
    const aligned = recorded(5 * MINUTE_MS);
    expect(aligned.rows.length).toBeGreaterThan(5000);
    const window = 288;
    const rolling = new RollingCovariance(aligned.symbols, { window });
    for (let t = 0; t < aligned.rows.length; t++) {
      rolling.push(aligned.rows[t]!);
      if (t + 1 < window || t % 97 !== 0) continue;
      const batch = covarianceOf(aligned.rows.slice(t + 1 - window, t + 1));
      const estimate = trusted(rolling.estimate());
      for (let i = 0; i < COINS.length; i++) for (let j = 0; j < COINS.length; j++) expectClose(estimate.covariance[i]![j]!, batch[i]![j]!, 1e-9);
    }
    const whole = estimateCovariance(aligned.symbols, aligned.rows, { window });
    const last = trusted(rolling.estimate()).covariance;
    trusted(whole).covariance.forEach((row, i) => row.forEach((v, j) => expectClose(v, last[i]![j]!, 1e-9)));
  });

  it("finds the altcoins correlated in January 2018 (every pair's hourly correlation is positive)", () => {
    const aligned = recorded(HOUR_MS);
    const estimate = trusted(estimateCovariance(aligned.symbols, aligned.rows, { window: 480 }));
    for (let i = 0; i < COINS.length; i++) {
      expect(estimate.correlation[i]![i]).toBe(1);
      expect(estimate.volatility[i]).toBeCloseTo(Math.sqrt(estimate.covariance[i]![i]!), 15);
      for (let j = 0; j < COINS.length; j++) expect(estimate.correlation[i]![j]).toBeGreaterThan(0);
    }
  });
});

describe("RollingCovariance: trust, order and numerical care", () => {
  it("is not trusted before the minimum history and says how far along it is", () => {
    const rolling = new RollingCovariance(["A", "B"], { window: 10, minHistory: 4 });
    for (const [k, row] of [
      [1, 0.01],
      [2, -0.02],
      [3, 0.03],
    ].entries()) {
      rolling.push(row, k);
      expect(rolling.estimate()).toEqual({
        trusted: false,
        symbols: ["A", "B"],
        count: k + 1,
        minHistory: 4,
        reason: `Not enough history yet: ${k + 1} of the 4 bars needed before correlations are trusted.`,
      });
    }
    rolling.push([0.04, 0.01], 3);
    expect(rolling.estimate().trusted).toBe(true);
  });

  it("is not trusted with no more bars than symbols, whatever the minimum history", () => {
    const rolling = new RollingCovariance(["A", "B", "C"], { window: 10, minHistory: 2 });
    rolling.push([0.01, 0.02, 0.03]);
    rolling.push([0.02, -0.01, 0]);
    rolling.push([-0.01, 0.01, 0.02]);
    expect(rolling.estimate()).toMatchObject({
      trusted: false,
      reason: "Not enough history yet: 3 bars for 3 symbols; a covariance needs more bars than symbols.",
    });
    rolling.push([0, 0.01, -0.02]);
    expect(rolling.estimate().trusted).toBe(true);
  });

  it("defaults the minimum history to half the window", () => {
    expect(new RollingCovariance(["A"], { window: 720 }).minHistory).toBe(360);
  });

  it.each([
    ["a row of the wrong length", (r: RollingCovariance) => r.push([1]), "A row needs 2 returns, one per symbol, not 1."],
    ["a NaN return", (r: RollingCovariance) => r.push([1, NaN]), "The return of B is not a finite number (NaN)."],
    ["a bar out of order", (r: RollingCovariance) => (r.push([0, 0], 5), r.push([0, 0], 5)), "Bars must arrive in time order: 5 is not after 5."],
  ])("refuses %s", (_label, act, message) => {
    expect(() => act(new RollingCovariance(["A", "B"], { window: 5, minHistory: 2 }))).toThrow(message);
  });

  it.each([
    [{ window: 1 }, "The correlation window must be a whole number of at least 2 bars, not 1."],
    [{ window: 10, minHistory: 11 }, "The minimum history must be a whole number from 2 to the window (10), not 11."],
  ])("refuses options %j", (options, message) => {
    expect(() => new RollingCovariance(["A"], options)).toThrow(message);
  });

  it("stays exact where raw running sums would cancel: returns of 1e-6 around a level of 1e3", () => {
    const rng = seededRng(7);
    const rows = Array.from({ length: 3000 }, () => {
      const common = rng.next() - 0.5;
      return [1000 + 1e-6 * (common + rng.next()), 1000 + 1e-6 * (common - rng.next())];
    });
    const window = 500;
    const rolling = new RollingCovariance(["A", "B"], { window });
    rows.forEach((row) => rolling.push(row));
    const batch = covarianceOf(rows.slice(-window));
    const estimate = trusted(rolling.estimate());
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) expectClose(estimate.covariance[i]![j]!, batch[i]![j]!, 1e-6);
    // The naive Σxy/n − x̄ȳ on the same window loses every digit.
    const w = rows.slice(-window);
    const mean = (k: number) => w.reduce((s, r) => s + r[k]!, 0) / window;
    const naive = w.reduce((s, r) => s + r[0]! * r[1]!, 0) / window - mean(0) * mean(1);
    expect(Math.abs(naive - batch[0]![1]!)).toBeGreaterThan(100 * Math.abs(batch[0]![1]!));
  });

  it("gives a symbol that never moved correlation 0 with the others", () => {
    const rows = [
      [0.01, 0, 0.02],
      [-0.01, 0, -0.01],
      [0.02, 0, 0.03],
    ];
    const correlation = correlationFromCovariance(covarianceOf(rows));
    expect(correlation[0]![1]).toBe(0);
    expect(correlation[1]![1]).toBe(1);
    expect(correlation[0]![2]).toBeGreaterThan(0.9);
  });
});

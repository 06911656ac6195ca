import { describe, expect, it } from "vitest";
import { expectedReturnVector, forecastReturn, perBarReturn, type SignalForecast, signalExpectedReturns } from "./expected-returns";

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 11, 7, 12);
const opts = { now: NOW, freshnessMs: DAY, barMs: HOUR, horizonMs: DAY, kind: "log" as const };
const sig = (symbol: string, action: string, expectedReturn: number | null, agoMs: number): SignalForecast => ({
  symbol,
  action,
  expectedReturn,
  receivedAt: NOW - agoMs,
});

describe("perBarReturn", () => {
  it.each([
    { r: 0.02, kind: "log" as const, want: Math.log(1.02) / 24 },
    { r: 0.02, kind: "simple" as const, want: Math.pow(1.02, 1 / 24) - 1 },
    { r: -0.05, kind: "log" as const, want: Math.log(0.95) / 24 },
    { r: 0, kind: "simple" as const, want: 0 },
  ])("$r over a day is $want per hourly $kind bar", ({ r, kind, want }) => {
    expect(perBarReturn(r, HOUR, DAY, kind)).toBeCloseTo(want, 14);
  });

  it("compounds back to the trade's return over the horizon", () => {
    expect(Math.pow(1 + perBarReturn(0.1, HOUR, DAY, "simple"), 24) - 1).toBeCloseTo(0.1, 12);
    expect(Math.exp(perBarReturn(0.1, HOUR, DAY, "log") * 24) - 1).toBeCloseTo(0.1, 12);
  });
});

describe("forecastReturn", () => {
  it.each([
    { action: "BUY", expectedReturn: 0.03, want: 0.03 },
    { action: "SELL", expectedReturn: 0.03, want: -0.03 },
    { action: "SELL", expectedReturn: -0.02, want: 0.02 },
    { action: "CLOSE", expectedReturn: 0.03, want: null },
    { action: "BUY", expectedReturn: null, want: null },
    { action: "BUY", expectedReturn: Infinity, want: null },
    { action: "BUY", expectedReturn: -1, want: null },
    { action: "SELL", expectedReturn: 1, want: null },
  ])("$action $expectedReturn → $want", ({ action, expectedReturn, want }) => {
    expect(forecastReturn({ action, expectedReturn })).toBe(want);
  });
});

describe("signalExpectedReturns", () => {
  const perBar = (r: number) => Math.log1p(r) / 24;
  it.each<{ name: string; signals: SignalForecast[]; want: Record<string, number> }>([
    { name: "no signals: nothing", signals: [], want: {} },
    { name: "a BUY's return", signals: [sig("BTC/USDT", "BUY", 0.02, HOUR)], want: { "BTC/USDT": perBar(0.02) } },
    { name: "a SELL expects the price to fall: negated", signals: [sig("BTC/USDT", "SELL", 0.02, HOUR)], want: { "BTC/USDT": perBar(-0.02) } },
    {
      name: "the newest signal wins, in any order",
      signals: [sig("ETH/USDT", "BUY", 0.01, 3 * HOUR), sig("ETH/USDT", "BUY", 0.05, HOUR), sig("ETH/USDT", "BUY", 0.03, 2 * HOUR)],
      want: { "ETH/USDT": perBar(0.05) },
    },
    { name: "a stale signal is ignored", signals: [sig("BTC/USDT", "BUY", 0.02, DAY + 1)], want: {} },
    { name: "exactly at the freshness edge still counts", signals: [sig("BTC/USDT", "BUY", 0.02, DAY)], want: { "BTC/USDT": perBar(0.02) } },
    {
      name: "no expectedReturn: the older one with one counts",
      signals: [sig("BTC/USDT", "BUY", null, HOUR), sig("BTC/USDT", "BUY", 0.01, 2 * HOUR)],
      want: { "BTC/USDT": perBar(0.01) },
    },
    {
      name: "CLOSE has no direction: skipped",
      signals: [sig("BTC/USDT", "CLOSE", 0.04, HOUR), sig("BTC/USDT", "SELL", 0.01, 2 * HOUR)],
      want: { "BTC/USDT": perBar(-0.01) },
    },
    { name: "a SELL expecting 100 % (price to zero) is skipped", signals: [sig("BTC/USDT", "SELL", 1, HOUR)], want: {} },
    {
      name: "each symbol separately",
      signals: [sig("BTC/USDT", "BUY", 0.02, HOUR), sig("ETH/USDT", "SELL", 0.03, 2 * HOUR), sig("LTC/USDT", "BUY", 0.5, 2 * DAY)],
      want: { "BTC/USDT": perBar(0.02), "ETH/USDT": perBar(-0.03) },
    },
  ])("$name", ({ signals, want }) => {
    const got = signalExpectedReturns(signals, opts);
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    for (const [symbol, value] of Object.entries(want)) expect(got[symbol]).toBeCloseTo(value, 14);
  });

  it("converts to the bar the covariance uses (4 h bars hold 4× an hour's return)", () => {
    const hourly = signalExpectedReturns([sig("BTC/USDT", "BUY", 0.02, HOUR)], opts)["BTC/USDT"]!;
    const fourHourly = signalExpectedReturns([sig("BTC/USDT", "BUY", 0.02, HOUR)], { ...opts, barMs: 4 * HOUR })["BTC/USDT"]!;
    expect(fourHourly).toBeCloseTo(4 * hourly, 14);
  });
});

describe("expectedReturnVector", () => {
  it.each<{ name: string; fromSignals: Record<string, number> | undefined; want: number[]; source: Record<string, string> }>([
    { name: "no signals: all history", fromSignals: undefined, want: [0.1, 0.2, 0.3], source: { a: "history", b: "history", c: "history" } },
    { name: "a signal replaces its symbol's mean", fromSignals: { b: -0.5 }, want: [0.1, -0.5, 0.3], source: { a: "history", b: "signal", c: "history" } },
    { name: "a non-finite signal falls back", fromSignals: { a: NaN, c: 0.9 }, want: [0.1, 0.2, 0.9], source: { a: "history", b: "history", c: "signal" } },
    {
      name: "signals for symbols outside the window are ignored",
      fromSignals: { z: 1 },
      want: [0.1, 0.2, 0.3],
      source: { a: "history", b: "history", c: "history" },
    },
  ])("$name", ({ fromSignals, want, source }) => {
    const got = expectedReturnVector(["a", "b", "c"], [0.1, 0.2, 0.3], fromSignals);
    expect(got.expected).toEqual(want);
    expect(got.source).toEqual(source);
  });
});

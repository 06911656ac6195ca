import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runSmaCrossOracle } from "../core/backtest/oracle";
import { buildBacktestReport } from "../core/backtest/report";
import { D } from "../core/money";
import { createSmaCrossStrategy } from "../core/strategies/sma-cross";
import type { Strategy } from "../core/strategies/types";
import { candleColumnsOf, loadCandleColumns, loadCandlesCsv, type Candle } from "../venues/replay/csv";
import { runEngineBacktest, signalSources, type EngineBacktestInput } from "./backtest";

const REAL_FILE = join(import.meta.dirname, "..", "..", "data", "market", "btc-usdt_5m_2023-01-02_2023-02-09.csv");
const REAL = loadCandlesCsv(REAL_FILE);

function strategy(fast: number, slow: number) {
  const s = createSmaCrossStrategy({ fast, slow });
  if (!s.ok) throw new Error(s.error.message);
  return s.value;
}

function engineRun(candles: readonly Candle[], fast: number, slow: number, extra: Partial<EngineBacktestInput> = {}) {
  return runEngineBacktest({ candles, symbol: "BTC/USDT", strategy: strategy(fast, slow), capital: "10000", feeBps: 0, slippageBps: 0, ...extra });
}

function oracleRun(
  candles: readonly Candle[],
  fast: number,
  slow: number,
  extra: { feeBps?: number; slippageBps?: number; qtyStep?: string; capital?: string } = {},
) {
  const r = runSmaCrossOracle({
    candles,
    fast,
    slow,
    capital: extra.capital ?? "10000",
    feeBps: extra.feeBps ?? 0,
    slippage: extra.slippageBps ? { kind: "fixed", bps: D(extra.slippageBps) } : { kind: "none" },
    ...(extra.qtyStep ? { qtyStep: extra.qtyStep } : {}),
  });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/**
 * With a quantity step every number is short and the match is exact to the last digit. Without one, qty is a
 * 40-significant-digit quotient and the engine (position book) and the oracle (cash ledger) add and subtract in a
 * different order, so the last 2–4 of those 40 digits (≈1e-36 USDT) may differ: compare at `dp` decimals then.
 */
const asStrings = (trades: ReturnType<typeof engineRun>["trades"], dp?: number) => {
  const f = (d: { toString(): string }) => (dp === undefined ? d.toString() : D(d.toString()).toDecimalPlaces(dp).toString());
  return trades.map((t) => [t.entryTime, t.exitTime, t.side, f(t.qty), f(t.entryPrice), f(t.exitPrice), f(t.fees), f(t.pnl), t.exitReason]);
};

describe("the engine's backtest agrees with the independent oracle to the last digit", () => {
  it.each([
    [10, 30, 0, 0, undefined],
    [10, 30, 10, 0, undefined],
    [10, 30, 10, 5, undefined],
    [5, 50, 7.5, 2.5, undefined],
    [20, 60, 10, 3, "0.00001"],
  ] as const)("fast %i slow %i, fee %f bps, slippage %f bps, step %s", (fast, slow, feeBps, slippageBps, qtyStep) => {
    const engine = engineRun(REAL, fast, slow, { feeBps, slippageBps, ...(qtyStep ? { qtyStep } : {}) });
    const oracle = oracleRun(REAL, fast, slow, { feeBps, slippageBps, ...(qtyStep ? { qtyStep } : {}) });
    expect(engine.trades.length).toBeGreaterThan(50);
    const dp = qtyStep ? undefined : 25;
    const cut = (d: { toString(): string }) => (dp === undefined ? d.toString() : D(d.toString()).toDecimalPlaces(dp).toString());
    expect(asStrings(engine.trades, dp)).toEqual(asStrings(oracle.trades, dp));
    expect(cut(engine.finalEquity)).toBe(cut(oracle.finalEquity));
    // The curve at candle closes is market data in numbers: equal to the oracle's exact curve within 1e-9 relative.
    expect(engine.equityCurve.map((p) => p.ts)).toEqual(oracle.equityCurve.map((p) => p.ts));
    const worst = Math.max(...engine.equityCurve.map((p, i) => Math.abs(p.equity.toNumber() / oracle.equityCurve[i]!.equity.toNumber() - 1)));
    expect(worst).toBeLessThan(1e-9);
    expect(engine.equityCurve.at(-1)!.equity.toString()).toBe(engine.finalEquity.toString());
    expect(engine.fills).toBe(engine.trades.length * 2);
  });
});

describe("the hand-checked series", () => {
  // The oracle test's series (server/core/backtest/oracle.test.ts): crosses at 7, 11 and 14, fills at 8, 12 and 15,
  // the last position closed at the final close 44.0. With 25 bps fees the final equity is 438.9 exactly.
  const T0 = 1_672_531_200_000;
  const HAND: [number, number][] = [
    [41.0, 40.8],
    [40.8, 40.6],
    [40.6, 40.4],
    [40.4, 40.2],
    [40.2, 40.0],
    [40.0, 39.8],
    [39.8, 39.9],
    [39.9, 40.1],
    [40.0, 40.3],
    [40.3, 40.0],
    [40.0, 40.4],
    [40.4, 39.8],
    [40.1, 39.6],
    [39.6, 39.7],
    [39.7, 40.2],
    [39.9, 41.0],
    [41.0, 42.0],
    [42.0, 44.0],
  ];
  const candles: Candle[] = HAND.map(([open, close], i) => ({
    ts: T0 + i * 300_000,
    open,
    close,
    high: Math.max(open, close),
    low: Math.min(open, close),
    volume: 1,
  }));

  it("fee 25 bps: two trades, final equity 438.9", () => {
    const r = engineRun(candles, 2, 4, { capital: "401", feeBps: 25 });
    expect(asStrings(r.trades)).toEqual([
      [T0 + 8 * 300_000, T0 + 12 * 300_000, "LONG", "10", "40", "40.1", "2.0025", "-1.0025", "signal"],
      [T0 + 15 * 300_000, T0 + 18 * 300_000, "LONG", "10", "39.9", "44", "2.0975", "38.9025", "end_of_data"],
    ]);
    expect(r.finalEquity.toString()).toBe("438.9");
  });

  it("slippage 25 bps moves prices against the trader", () => {
    const r = engineRun(candles, 2, 4, { capital: "401", slippageBps: 25 });
    expect(r.trades[0]!.entryPrice.toString()).toBe("40.1"); // 40.0 × 1.0025
    expect(r.trades.at(-1)!.exitPrice.toString()).toBe("43.89"); // 44.0 × 0.9975
    expect(r.finalEquity.toString()).toBe("438.9");
  });
});

describe("determinism", () => {
  it("the same input gives a byte-identical report", () => {
    const report = () => {
      const r = engineRun(REAL, 10, 30, { feeBps: 10, slippageBps: 2 });
      return JSON.stringify(
        buildBacktestReport({
          trades: r.trades,
          equityCurve: r.equityCurve,
          initialCapital: "10000",
          candles: r.candles,
          elapsedMs: 0,
          params: { fast: 10, slow: 30 },
          deterministic: true,
        }),
      );
    };
    const a = report();
    expect(report()).toBe(a);
    expect(a).toContain('"tradeCount"');
  });
});

describe("candles as columns", () => {
  it("the loader's columns and the candle objects give the same run", () => {
    const extra = { feeBps: 10, slippageBps: 2, qtyStep: "0.00001" };
    const objects = engineRun(REAL, 10, 30, extra);
    const columns = runEngineBacktest({ candles: loadCandleColumns(REAL_FILE), symbol: "BTC/USDT", strategy: strategy(10, 30), capital: "10000", ...extra });
    expect(columns.trades.length).toBeGreaterThan(10);
    expect(asStrings(columns.trades)).toEqual(asStrings(objects.trades));
    expect(columns.numericEquityCurve.ts).toEqual(objects.numericEquityCurve.ts);
    expect(columns.numericEquityCurve.equity).toEqual(objects.numericEquityCurve.equity);
    expect(columns.finalEquity.toString()).toBe(objects.finalEquity.toString());
    expect([columns.candles, columns.orders, columns.fills]).toEqual([objects.candles, objects.orders, objects.fills]);
  });

  it("the strategy sees each candle's values in order (one lent object, refilled every step)", () => {
    const seen: Candle[] = [];
    const lent = new Set<object>();
    const inner = strategy(3, 8);
    const recording: Strategy = {
      name: inner.name,
      params: inner.params,
      warmup: inner.warmup,
      onCandle: (candle, ctx) => {
        lent.add(candle);
        seen.push({ ...(candle as Candle) });
        return inner.onCandle(candle, ctx);
      },
      reset: () => inner.reset(),
    };
    const candles = REAL.slice(0, 500);
    runEngineBacktest({ candles: candleColumnsOf(candles), symbol: "BTC/USDT", strategy: recording, capital: "10000", feeBps: 0, slippageBps: 0 });
    expect(seen).toEqual(candles);
    // One object for the run: why the Strategy contract says a strategy must not keep it (strategies/contract.test.ts).
    expect(lent.size).toBe(1);
  });

  it.each([
    [500, [50, 100, 150, 200, 250, 300, 350, 400, 450, 500]],
    [205, [20, 40, 60, 80, 100, 120, 140, 160, 180, 200]],
    [7, [1, 2, 3, 4, 5, 6, 7]],
    // Tenths longer than the loop's slices of 256 candles: still one call a tenth, none between.
    [3001, [300, 600, 900, 1200, 1500, 1800, 2100, 2400, 2700, 3000]],
  ])("%i candles: progress at every tenth, after that tenth's candles", (n, expected) => {
    let seen = 0;
    const calls: [number, number, number][] = [];
    const inner = strategy(3, 8);
    const counting: Strategy = { ...inner, onCandle: (candle, ctx) => (seen++, inner.onCandle(candle, ctx)), reset: () => inner.reset() };
    const candles = REAL.slice(0, n);
    runEngineBacktest({
      candles,
      symbol: "BTC/USDT",
      strategy: counting,
      capital: "10000",
      feeBps: 0,
      slippageBps: 0,
      onProgress: (done, total) => calls.push([done, total, seen]),
    });
    expect(calls).toEqual(expected.map((done) => [done, n, done]));
  });
});

describe("signalSources", () => {
  it("words a reason's source once per run and answers the same string for it after", () => {
    const sourceOf = signalSources();
    const first = sourceOf("sma-cross: SMA(10) crossed above SMA(30)");
    expect(first).toBe("backtest: sma-cross: SMA(10) crossed above SMA(30)");
    expect(sourceOf("sma-cross: SMA(10) crossed below SMA(30)")).toBe("backtest: sma-cross: SMA(10) crossed below SMA(30)");
    // Identity is not observable for strings; what is: the same text, whatever came between.
    expect(sourceOf("sma-cross: SMA(10) crossed above SMA(30)")).toBe(first);
  });

  it("still words every reason when a strategy words more than it remembers", () => {
    const sourceOf = signalSources();
    for (let i = 0; i < 200; i++) expect(sourceOf(`reason ${i}`)).toBe(`backtest: reason ${i}`);
    for (let i = 0; i < 200; i++) expect(sourceOf(`reason ${i}`)).toBe(`backtest: reason ${i}`);
  });
});

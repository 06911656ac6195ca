/**
 * `--exec`: entries and exits worked by an algorithm on the simulated clock. The default (no --exec) is the run it
 * always was, byte for byte; each algorithm reports its parents, children and each trade's shortfall.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseExecSpec } from "../core/algos/exec-spec";
import { buildBacktestReport } from "../core/backtest/report";
import { createSmaCrossStrategy } from "../core/strategies/sma-cross";
import { loadCandlesCsv } from "../venues/replay/csv";
import { runEngineBacktest, type EngineBacktestInput } from "./backtest";
import { parseBacktestArgs } from "./backtest-args";

const REAL = loadCandlesCsv(join(import.meta.dirname, "..", "..", "data", "market", "btc-usdt_5m_2023-01-02_2023-02-09.csv")).slice(0, 3000);

function run(extra: Partial<EngineBacktestInput> = {}) {
  const strategy = createSmaCrossStrategy({ fast: 10, slow: 30 });
  if (!strategy.ok) throw new Error(strategy.error.message);
  return runEngineBacktest({ candles: REAL, symbol: "BTC/USDT", strategy: strategy.value, capital: "10000", feeBps: 10, slippageBps: 5, ...extra });
}

function report(result: ReturnType<typeof run>): string {
  return JSON.stringify(
    buildBacktestReport({
      trades: result.trades,
      equityCurve: result.numericEquityCurve,
      initialCapital: "10000",
      candles: result.candles,
      elapsedMs: 0,
      params: {},
      deterministic: true,
    }),
  );
}

const spec = (text: string) => {
  const parsed = parseExecSpec(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
};

describe("backtest --exec", () => {
  it("market (explicit) trades exactly as the default run; only it carries the execution summary", () => {
    const plain = run();
    const market = run({ exec: spec("market") });
    expect(plain.execution).toBeUndefined();
    expect(report(market)).toBe(report(plain));
    expect(market.execution).toMatchObject({ algo: "market", parentOrders: 0, childOrders: 0, avgShortfallBps: 5 });
    expect(market.execution!.trades).toHaveLength(plain.trades.length);
    expect(market.execution!.trades.every((t) => t.entryShortfallBps === 5 && t.exitShortfallBps === 5)).toBe(true);
  });

  it("the default run's report is the one it was before --exec existed (its bytes' SHA-256, recorded from the main branch)", () => {
    expect(createHash("sha256").update(report(run())).digest("hex")).toBe("508161dc6cca6293e6c363bd6b283b051db10c94401aa7719c9087e00c788f6f");
  });

  it.each(["twap:30m", "vwap:30m", "iceberg:0.2", "pov:0.1"])("%s works every entry and exit as a parent with children", (text) => {
    const result = run({ exec: spec(text) });
    const execution = result.execution!;
    expect(execution.algo).toBe(text);
    expect(result.trades.length).toBeGreaterThan(5);
    expect(execution.parentOrders).toBeGreaterThanOrEqual(result.trades.length);
    expect(execution.childOrders).toBeGreaterThan(execution.parentOrders / 2);
    // Each trade has its entry's shortfall from its parent (not the market fallback, which is null for an algo).
    expect(execution.trades.filter((t) => t.entryShortfallBps === null)).toEqual([]);
    expect(execution.avgShortfallBps).not.toBeNull();
    // And the run differs from one market order each.
    expect(report(result)).not.toBe(report(run()));
  });

  it("a 30-minute TWAP on 5-minute candles sends six slices per full entry", () => {
    const result = run({ exec: spec("twap:30m") });
    const execution = result.execution!;
    expect(execution.childOrders / execution.parentOrders).toBeGreaterThan(4);
    expect(execution.childOrders / execution.parentOrders).toBeLessThanOrEqual(7);
  });

  it.each([
    ["market", { kind: "market" }],
    ["twap:30m", { kind: "twap", horizonSeconds: 1800 }],
    ["vwap:2h", { kind: "vwap", horizonSeconds: 7200 }],
    ["iceberg:0.2", { kind: "iceberg", fraction: 0.2 }],
    ["pov:0.1", { kind: "pov", rate: 0.1 }],
  ])("parses --exec %s", (text, expected) => {
    expect(parseExecSpec(text)).toEqual({ ok: true, value: expected });
  });

  it.each(["twap", "twap:0m", "twap:30x", "iceberg:0", "iceberg:1.5", "pov:-1", "limit"])("refuses --exec %s in words", (text) => {
    const parsed = parseBacktestArgs(["--data", "x.csv", "--exec", text], { isFile: () => true, cwd: "/" });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.message).toContain("--exec must be market, twap:DURATION");
  });

  it("the portfolio form takes --exec too (carried to its run, refused in the same words when bad)", () => {
    const parsed = parseBacktestArgs(["--data", "a.csv:ETH/BTC,b.csv:LTC/BTC", "--exec", "twap:30m"], { isFile: () => true, cwd: "/" });
    expect(parsed).toMatchObject({ ok: true, value: { legs: [{ symbol: "ETH/BTC" }, { symbol: "LTC/BTC" }], exec: { kind: "twap", horizonSeconds: 1800 } } });
    const bad = parseBacktestArgs(["--data", "a.csv:ETH/BTC,b.csv:LTC/BTC", "--exec", "twap"], { isFile: () => true, cwd: "/" });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.message).toContain("--exec must be market, twap:DURATION");
  });

  it("--exec is carried to the run's arguments, and absent without it", () => {
    const withExec = parseBacktestArgs(["--data", "x.csv", "--exec", "twap:30m"], { isFile: () => true, cwd: "/" });
    expect(withExec).toMatchObject({ ok: true, value: { exec: { kind: "twap", horizonSeconds: 1800 } } });
    const without = parseBacktestArgs(["--data", "x.csv"], { isFile: () => true, cwd: "/" });
    expect(without.ok && "exec" in without.value).toBe(false);
  });
});

describe("backtest --exec vwap: slices follow the volume profile learned from the candles before each parent", () => {
  const MIN = 60_000;
  const HOUR = 60 * MIN;
  const DAY = 24 * HOUR;
  const isBusy = (ts: number, busyFrom: number) => {
    const hour = Math.floor((ts % DAY) / HOUR);
    return hour >= busyFrom && hour < busyFrom + 4;
  };
  /** Five days of 5-minute candles: a price that swings every six hours, ten times the volume in four busy hours a day. */
  const synthetic = (busyFrom: (ts: number) => number) =>
    Array.from({ length: 5 * 288 }, (_, i) => {
      const ts = i * 5 * MIN;
      const price = (k: number) => Math.round((20_000 + 400 * Math.sin((2 * Math.PI * k) / 72)) * 100) / 100;
      const [open, close] = [price(i), price(i + 1)];
      return { ts, open, high: Math.max(open, close) + 5, low: Math.min(open, close) - 5, close, volume: isBusy(ts, busyFrom(ts)) ? 10 : 1 };
    });
  const PATTERN = synthetic(() => 12);

  const runOn = (candles: typeof PATTERN, text: string) => {
    const strategy = createSmaCrossStrategy({ fast: 10, slow: 30 });
    if (!strategy.ok) throw new Error(strategy.error.message);
    return runEngineBacktest({ candles, symbol: "BTC/USDT", strategy: strategy.value, capital: "10000", feeBps: 10, slippageBps: 5, exec: spec(text) })
      .execution!;
  };
  /** Per parent started after the first day with slices in busy and quiet hours: mean busy slice / mean quiet slice. */
  const busyToQuiet = (execution: ReturnType<typeof runOn>) =>
    execution.parents
      .filter((p) => p.createdAt >= DAY)
      .map((p) => {
        const slices = p.children.filter((c) => c.purpose.startsWith("slice"));
        const mean = (xs: typeof slices) => xs.reduce((a, c) => a + Number(c.qty), 0) / xs.length;
        const busy = slices.filter((c) => isBusy(c.placedAt, 12));
        const quiet = slices.filter((c) => !isBusy(c.placedAt, 12));
        return busy.length > 0 && quiet.length > 0 ? mean(busy) / mean(quiet) : null;
      })
      .filter((r): r is number => r !== null);

  it("VWAP sends bigger slices in the busy hours; TWAP's are even", () => {
    const vwap = busyToQuiet(runOn(PATTERN, "vwap:2h"));
    const twap = busyToQuiet(runOn(PATTERN, "twap:2h"));
    expect(vwap.length).toBeGreaterThan(3);
    expect(twap.length).toBeGreaterThan(3);
    // Ten times the volume: about ten times the slice (the first day's profile is already learned).
    for (const ratio of vwap) expect(ratio).toBeGreaterThan(5);
    for (const ratio of twap) expect(ratio).toBeCloseTo(1, 6);
  });

  it("never looks ahead: changing the volume after a time leaves every parent started before it as it was", () => {
    const cut = 3 * DAY;
    // From day 3 the busy hours move to 00:00–04:00.
    const moved = synthetic((ts) => (ts >= cut ? 0 : 12));
    const slices = (execution: ReturnType<typeof runOn>, before: boolean) =>
      execution.parents
        .filter((p) => p.createdAt < cut === before)
        .map((p) => `${p.id} ${p.createdAt} ${p.children.map((c) => `${c.placedAt}:${c.qty}`).join(",")}`);
    const original = runOn(PATTERN, "vwap:2h");
    const changed = runOn(moved, "vwap:2h");
    expect(slices(original, true).length).toBeGreaterThan(3);
    expect(slices(changed, true)).toEqual(slices(original, true));
    // And the parents after it did learn the new hours (the comparison can fail).
    expect(slices(changed, false)).not.toEqual(slices(original, false));
  });
});

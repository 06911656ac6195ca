/** The engine benches at toy sizes: they run, do the work they claim, and clean up (no timing assertions). */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { BACKTEST_DATA, backtestBench, benchCandles } from "./backtest";
import { coldBench, repeatCandleFile } from "./cold";
import { parseBacktestArgs } from "../../server/engine/backtest-args";
import { runBacktest } from "../../server/engine/backtest-service";
import { MEMORY_TMP } from "./desk";
import { restartRecoveryBench } from "./restart-recovery";
import { restingLimitsBench } from "./resting-limits";
import { signalsSqliteBench } from "./signals-sqlite";

const benchDirs = () => [...new Set([tmpdir(), MEMORY_TMP])].flatMap((dir) => readdirSync(dir).filter((name) => name.startsWith("bastion-bench-"))).sort();

describe("engine benches", () => {
  it.each([
    { qtyStep: null, name: "backtest_candles_per_sec" },
    { qtyStep: "0.00001", name: "backtest_candles_per_sec_qty_step" },
  ])("$name trades through the engine and reports against the target", ({ qtyStep, name }) => {
    const result = backtestBench({ name, qtyStep, candles: benchCandles().slice(0, 3000), warmupRuns: 0, timedRuns: 2 });
    expect(result).toMatchObject({ name, unit: "candles/s", target: 1_000_000, candles: 3000, qtyStep });
    expect(result.meetsTarget).toBe(result.value >= 1_000_000);
    expect(result.trades).toBeGreaterThan(0);
    expect(result.orders).toBe(result.trades * 2);
    expect(result.fills).toBeGreaterThanOrEqual(result.orders);
    expect(result.value).toBeGreaterThan(0);
  });

  it("cold run: one fresh npm run backtest process, its stages and the same result as in-process (grademark left out: no network)", () => {
    const result = coldBench({ name: "c", data: BACKTEST_DATA, rounds: 1, grademarkDir: null });
    if (!("bastion" in result)) throw new Error(result.skipped);
    const args = parseBacktestArgs(["--data", BACKTEST_DATA, "--strategy", "sma-cross", "--fast", "10", "--slow", "30", "--json"]);
    if (!args.ok || args.value.help) throw new Error("bad test arguments");
    const direct = runBacktest(args.value).report;
    expect(result).toMatchObject({ candles: 10_999, rounds: 1, grademark: { skipped: "not asked for" }, ratio: null, meetsTarget: null });
    expect(result.bastion).toMatchObject({ trades: direct.tradeCount, finalEquity: direct.finalEquity });
    // npm run backtest runs the CLI (scripts/backtest.ts) through its bundle launcher.
    expect(result.bastion.command).toMatch(/scripts\/run-backtest\.mjs$/);
    for (const ms of [result.bastion.backtestMs, result.bastion.inProcessMs, result.bastion.processWallMs, result.bastion.startupMs])
      expect(ms).toBeGreaterThan(0);
    expect(result.bastion.processWallMs).toBeGreaterThan(result.bastion.inProcessMs);
    expect(result.value).toBe(result.bastion.inProcessCandlesPerSec);
  });

  it.each([{ durableVenue: false }, { durableVenue: true }])(
    "signals on SQLite: one order and one fill per signal, four journal rows (durable venue: $durableVenue)",
    async ({ durableVenue }) => {
      const before = benchDirs();
      const result = await signalsSqliteBench({ name: "s", signals: 20, warmupSignals: 4, durableVenue });
      expect(result.rows).toEqual({ orders: 20, journal: 80, fills: 20, trades: 10, equitySnapshots: 20 });
      expect(result.venue).toBe(durableVenue ? "durable" : "memory");
      expect(result.ordersPerSec).toBe(result.value);
      expect(benchDirs()).toEqual(before);
    },
  );

  it("a long file for the cold run: copies end to end, in time order, the prices unchanged", () => {
    const rows = (file: string) => readFileSync(file, "utf8").trimEnd().split("\n").slice(1);
    const one = rows(BACKTEST_DATA);
    const long = repeatCandleFile(BACKTEST_DATA, 3);
    try {
      const three = rows(long.file);
      expect(three).toHaveLength(one.length * 3);
      const ts = three.map((r) => Number(r.split(",")[0]));
      for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThan(ts[i - 1]!);
      const rest = (r: string) => r.slice(r.indexOf(","));
      expect(three.slice(one.length * 2).map(rest)).toEqual(one.map(rest));
    } finally {
      rmSync(long.dir, { recursive: true, force: true });
    }
  });

  it("resting limits: every order placed through the engine stays open, first and last windows reported", async () => {
    const before = benchDirs();
    const result = await restingLimitsBench({ name: "rl", orders: 40, window: 10, roundTrips: 3 });
    expect(result).toMatchObject({ name: "rl", unit: "ms", target: 2000, orders: 40, window: 10, openAtEnd: 40 });
    expect(result.meetsTarget).toBe(result.value < 2000);
    expect(result.firstUsPerOrder).toBeGreaterThan(0);
    expect(result.lastUsPerOrder).toBeGreaterThan(0);
    expect(result.at10UsPerOrder).toBeGreaterThan(0);
    expect(result.at10kUsPerOrder).toBeGreaterThan(0);
    expect(result.at10kOverAt10).toBeCloseTo(result.at10kUsPerOrder / result.at10UsPerOrder, 1);
    expect(result.ownFile.value).toBeGreaterThan(0);
    // Each round trip opened and closed a position (the bench throws when one is left open).
    expect(result.roundTrips).toBe(3);
    expect(result.closeAt10UsPerRoundTrip).toBeGreaterThan(0);
    expect(result.closeAt10kOverAt10).toBeCloseTo(result.closeAt10kUsPerRoundTrip / result.closeAt10UsPerRoundTrip, 1);
    expect(benchDirs()).toEqual(before);
  });

  it("restart recovery restores every open order in both variants, cold and warm, without drift", async () => {
    const before = benchDirs();
    const result = await restartRecoveryBench({ name: "r", orders: 40, openInFilled: 4 });
    expect(result.open).toMatchObject({ orders: 40, openOrders: 40, cold: { restoredOpenOrders: 40, drifts: 0 }, warm: { restoredOpenOrders: 40, drifts: 0 } });
    expect(result.filled).toMatchObject({ orders: 40, openOrders: 4, cold: { restoredOpenOrders: 4, drifts: 0 }, warm: { restoredOpenOrders: 4, drifts: 0 } });
    expect(result.value).toBe(result.open.cold.engineStartMs);
    expect(benchDirs()).toEqual(before);
  });
});

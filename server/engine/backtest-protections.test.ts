/**
 * `npm run backtest -- … --config FILE` with the desk file's protections, over the shipped portfolio set (Bittrex, X/BTC,
 * 5-minute candles, 2018-01-10 → 2018-01-30). The moves used: the crash of the evening of 2018-01-16 (UTC), when XLM/BTC
 * and POWR/BTC moved 10 % or more within 5 minutes at 22:35 and ADA/BTC at 22:40, POWR/BTC again at 22:45 and 23:25.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isPortfolioRunArgs, type PortfolioRunArgs } from "../core/backtest/run-args";
import { parseBacktestArgs } from "./backtest-args";
import { runBacktest } from "./backtest-service";

const DIR = join(import.meta.dirname, "..", "..", "data", "market", "portfolio");
const file = (base: string) => `${join(DIR, `${base}-btc_5m_bittrex_2018-01-10_2018-01-30.csv`)}:${base.toUpperCase()}/BTC`;
const tmp = mkdtempSync(join(tmpdir(), "bastion-bt-protections-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A desk file with only the flash-move rule on. */
function deskFile(name: string, flashMove: string): string {
  const path = join(tmp, name);
  const off = "{ enabled: false }";
  writeFileSync(
    path,
    `protections:\n  flash_move: ${flashMove}\n  stale_data: ${off}\n  venue_unreachable: ${off}\n  strategy_failure: ${off}\n  system_overload: ${off}\n`,
  );
  return path;
}

function portfolioArgs(extra: string[]): PortfolioRunArgs {
  const parsed = parseBacktestArgs(["--data", ["ada", "xlm", "powr", "nxt"].map(file).join(","), "--deterministic", "--json", ...extra]);
  if (!parsed.ok) throw new Error(parsed.error.message);
  if (!("legs" in parsed.value) || !isPortfolioRunArgs(parsed.value)) throw new Error("expected the portfolio form");
  return parsed.value;
}

const at = (iso: string) => Date.parse(iso);

describe("backtest --config: protections from the desk file, and what fired", () => {
  const baseline = runBacktest(portfolioArgs([])).report;

  it("without --config the report lists no firing (an empty list)", () => {
    expect(baseline.protectionsFired).toEqual([]);
    expect(baseline.params).not.toHaveProperty("config");
  });

  it("a flash-move ALERT (10 % in 5 min) lists the 2018-01-16 crash and changes no trade", () => {
    const { report } = runBacktest(portfolioArgs(["--config", deskFile("alert.yaml", "{ move_pct: 10, window_seconds: 300, action: ALERT }")]));
    expect(report.params).toMatchObject({ config: "alert.yaml" });
    expect(report.protectionsFired.every((f) => f.rule === "FLASH_MOVE" && f.action === "ALERT")).toBe(true);
    const times = report.protectionsFired.map((f) => f.ts);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const crash = report.protectionsFired.filter((f) => f.ts >= at("2018-01-16T22:00:00Z") && f.ts < at("2018-01-17T00:00:00Z"));
    expect(crash).toEqual([
      { rule: "FLASH_MOVE", symbol: "XLM/BTC", ts: at("2018-01-16T22:35:00Z"), action: "ALERT" },
      { rule: "FLASH_MOVE", symbol: "POWR/BTC", ts: at("2018-01-16T22:35:00Z"), action: "ALERT" },
      { rule: "FLASH_MOVE", symbol: "ADA/BTC", ts: at("2018-01-16T22:40:00Z"), action: "ALERT" },
      { rule: "FLASH_MOVE", symbol: "POWR/BTC", ts: at("2018-01-16T22:45:00Z"), action: "ALERT" },
      { rule: "FLASH_MOVE", symbol: "POWR/BTC", ts: at("2018-01-16T23:25:00Z"), action: "ALERT" },
    ]);
    // NXT/BTC never moved 10 % within 5 minutes in these three weeks.
    expect(report.protectionsFired.some((f) => f.symbol === "NXT/BTC")).toBe(false);
    // An alert only tells: the trades are the run's without protections.
    expect([report.tradeCount, report.finalEquity]).toEqual([baseline.tradeCount, baseline.finalEquity]);
  });

  it("LOCK_SYMBOL keeps entries out of a locked symbol: the strategy's entries there are refused", () => {
    const { report } = runBacktest(
      portfolioArgs(["--config", deskFile("lock.yaml", "{ move_pct: 10, window_seconds: 300, action: LOCK_SYMBOL, lock_minutes: 720 }")]),
    );
    expect(report.protectionsFired.length).toBeGreaterThan(0);
    expect(report.protectionsFired.every((f) => f.action === "LOCK_SYMBOL")).toBe(true);
    expect(report.protectionsFired[0]).toMatchObject({ rule: "FLASH_MOVE", symbol: "ADA/BTC", ts: at("2018-01-11T04:35:00Z") });
    expect(report.refusedSignals["sma-cross"]).toBeGreaterThan(baseline.refusedSignals["sma-cross"]!);
    expect(report.tradeCount).toBeLessThan(baseline.tradeCount);
  });

  it("a bad desk file is a usage error with its line and key", () => {
    const bad = join(tmp, "bad.yaml");
    writeFileSync(bad, "protections:\n  flash_move: { move_pct: 500 }\n");
    const parsed = parseBacktestArgs(["--data", file("ada"), "--config", bad]);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok)
      expect(parsed.error.message).toMatch(/^--config: .*bad\.yaml line 2, protections\.flash_move\.move_pct: must be a number from 0\.1 to 100 \(got 500\)$/);
  });
});

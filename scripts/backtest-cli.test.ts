import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");

describe("npm run backtest -- … --json", () => {
  it("prints one JSON report and nothing else on stdout (progress goes to stderr)", () => {
    const run = spawnSync(
      "npm",
      [
        "run",
        "backtest",
        "--",
        "--data",
        "data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv",
        "--symbol",
        "BTC/USDT",
        "--strategy",
        "sma-cross",
        "--fast",
        "10",
        "--slow",
        "30",
        "--capital",
        "10000",
        "--fee-bps",
        "0",
        "--slippage",
        "none",
        "--json",
      ],
      { cwd: ROOT, encoding: "utf8", timeout: 120_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    for (const key of ["trades", "tradeCount", "finalEquity", "totalReturnPct", "maxDrawdownPct", "sharpe", "winRatePct", "candles", "elapsedMs"]) {
      expect(report).toHaveProperty(key);
    }
    expect(report.candles).toBe(10_999);
    expect(report.tradeCount).toBe((report.trades as unknown[]).length);
    expect(run.stderr).toMatch(/100%/);
  });

  it("the prebuilt bundle prints the same bytes as the TypeScript through tsx, and a backtest never loads better-sqlite3", () => {
    const args = ["-C", "react-server", "scripts/run-backtest.mjs", "--data", "data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv", "--json", "--deterministic"];
    // Logs every package the process loads through require (the bundle's externals are loaded that way).
    const dir = mkdtempSync(join(tmpdir(), "bastion-cli-"));
    const watch = join(dir, "watch.cjs");
    writeFileSync(
      watch,
      "const M = require('node:module'); const load = M._load; M._load = function (r, ...a) { if (r === 'better-sqlite3') process.stderr.write('LOADED better-sqlite3\\n'); return load.call(this, r, ...a); };",
    );
    const bundled = spawnSync(process.execPath, ["--require", watch, ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    rmSync(dir, { recursive: true, force: true });
    const viaTsx = spawnSync(process.execPath, args, {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, BASTION_BACKTEST_NO_BUNDLE: "1" },
    });
    expect(bundled.status, bundled.stderr).toBe(0);
    expect(viaTsx.status, viaTsx.stderr).toBe(0);
    expect(bundled.stderr).not.toMatch(/running without the prebuilt bundle/);
    expect(bundled.stdout).toBe(viaTsx.stdout);
    expect(bundled.stderr).not.toContain("LOADED better-sqlite3");
  });
});

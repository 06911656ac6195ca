import { spawnSync } from "node:child_process";
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
});

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const file = (coin: string) => `data/market/portfolio/${coin}-btc_5m_bittrex_2018-01-10_2018-01-30.csv`;

function backtest(args: string[]) {
  return spawnSync("npm", ["run", "--silent", "backtest", "--", ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
}

describe("npm run backtest with several files (the portfolio form)", () => {
  it("runs three shipped files with two strategies: one JSON report with per-symbol and per-strategy sections", () => {
    const run = backtest([
      "--data",
      file("eth"),
      "--symbol",
      "ETH/BTC",
      "--data",
      `${file("ltc")}:LTC/BTC,${file("xmr")}:XMR/BTC`,
      "--strategy",
      "sma-cross",
      "--strategy",
      "rsi-reversion:ETH/BTC+XMR/BTC",
      "--capital",
      "1",
      "--json",
      "--deterministic",
    ]);
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as {
      quote: string;
      symbols: string[];
      tradeCount: number;
      trades: { symbol: string; strategy: string }[];
      perSymbol: Record<string, { trades: number }>;
      perStrategy: Record<string, { trades: number }>;
      params: Record<string, unknown>;
    };
    expect(report.quote).toBe("BTC");
    expect(report.symbols).toEqual(["ETH/BTC", "LTC/BTC", "XMR/BTC"]);
    expect(Object.keys(report.perStrategy)).toEqual(["sma-cross", "rsi-reversion"]);
    expect(report.tradeCount).toBe(report.trades.length);
    expect(Object.values(report.perSymbol).reduce((n, s) => n + s.trades, 0)).toBe(report.tradeCount);
    expect(report.trades.filter((t) => t.strategy === "rsi-reversion").every((t) => t.symbol !== "LTC/BTC")).toBe(true);
    expect(report.params).toMatchObject({ instruments: "ETH/BTC=bittrex-2018,LTC/BTC=bittrex-2018,XMR/BTC=bittrex-2018", sizing: "equity×1/3" });
    expect(run.stderr).toMatch(/portfolio of 3 symbols/);
  });

  it("prints per-symbol and per-strategy tables without --json", () => {
    const run = backtest(["--data", file("eth"), "--data", file("zec"), "--capital", "1"]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Per symbol\nsymbol +trades +win % +net PnL +fees +exposure %$/m);
    expect(run.stdout).toMatch(/^ETH\/BTC +\d+ /m);
    expect(run.stdout).toMatch(/^ZEC\/BTC +\d+ /m);
    expect(run.stdout).toMatch(/^Per strategy\nstrategy +trades/m);
  });

  it("refuses a file named for another symbol, by name, before running", () => {
    const run = backtest(["--data", file("eth"), "--symbol", "LTC/BTC", "--data", file("ltc"), "--symbol", "ETH/BTC"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("eth-btc_5m_bittrex_2018-01-10_2018-01-30.csv holds ETH/BTC, not LTC/BTC");
    expect(run.stdout).toBe("");
  });
});

import { describe, expect, it } from "vitest";
import { D } from "../core/money";
import { isPortfolioRunArgs, portfolioReportParams, type PortfolioRunArgs } from "../core/backtest/run-args";
import { parseBacktestArgs } from "./backtest-args";

// Files are virtual: the injected check says which exist, so the table reads as the command lines it tests.
const EXISTING = new Set(["/d/eth-btc_5m.csv", "/d/ltc-btc_5m.csv", "/d/xmr-btc_5m.csv", "/d/btc-usdt_5m.csv", "/d/plain.csv", "/d/eth-usdt_5m.csv"]);
const options = { cwd: "/d", isFile: (path: string) => EXISTING.has(path) };

function parsePortfolio(argv: string[]): PortfolioRunArgs {
  const r = parseBacktestArgs(argv, options);
  if (!r.ok) throw new Error(r.error.message);
  if (r.value.help || !isPortfolioRunArgs(r.value)) throw new Error("expected the portfolio form");
  return r.value;
}

function problems(argv: string[]): string[] {
  const r = parseBacktestArgs(argv, options);
  if (r.ok) throw new Error("expected a refusal");
  return r.error.message.split("\n");
}

describe("parseBacktestArgs: the portfolio form", () => {
  const twoLegs = [
    { data: "/d/eth-btc_5m.csv", symbol: "ETH/BTC" },
    { data: "/d/ltc-btc_5m.csv", symbol: "LTC/BTC" },
  ];
  it.each<[string, string[], Partial<PortfolioRunArgs>]>([
    [
      "--data FILE --symbol SYM pairs",
      ["--data", "eth-btc_5m.csv", "--symbol", "ETH/BTC", "--data", "ltc-btc_5m.csv", "--symbol", "LTC/BTC"],
      { legs: twoLegs, strategies: [{ name: "sma-cross", symbols: null }], sizing: { kind: "share", fraction: null } },
    ],
    ["--data FILE:SYMBOL lists", ["--data", "eth-btc_5m.csv:ETH/BTC,ltc-btc_5m.csv:LTC/BTC"], { legs: twoLegs }],
    ["one FILE:SYMBOL item", ["--data=eth-btc_5m.csv:ETH/BTC"], { legs: [twoLegs[0]!] }],
    ["symbols from the files' names", ["--data", "eth-btc_5m.csv", "--data", "ltc-btc_5m.csv"], { legs: twoLegs }],
    [
      "--strategy repeated and NAME:SYM1+SYM2",
      ["--data", "eth-btc_5m.csv", "--data", "ltc-btc_5m.csv", "--strategy", "sma-cross", "--strategy", "rsi-reversion:LTC/BTC"],
      {
        strategies: [
          { name: "sma-cross", symbols: null },
          { name: "rsi-reversion", symbols: ["LTC/BTC"] },
        ],
      },
    ],
    ["--alloc", ["--data", "eth-btc_5m.csv", "--data", "ltc-btc_5m.csv", "--alloc", "0.25"], { sizing: { kind: "share", fraction: D("0.25") } }],
    ["--notional", ["--data", "eth-btc_5m.csv", "--data", "ltc-btc_5m.csv", "--notional=0.01"], { sizing: { kind: "notional", notional: D("0.01") } }],
    [
      "--compare-correlation-limit (it alone picks the portfolio form)",
      ["--data", "eth-btc_5m.csv", "--compare-correlation-limit", "25"],
      { legs: [{ data: "/d/eth-btc_5m.csv", symbol: "ETH/BTC" }], compareCorrelationLimitPct: 25 },
    ],
    ["--alloc alone makes one file a portfolio", ["--data", "eth-btc_5m.csv", "--symbol", "ETH/BTC", "--alloc", "1"], { legs: [twoLegs[0]!] }],
    [
      "a file whose name says no symbol, paired with --symbol",
      ["--data", "plain.csv", "--symbol", "ETH/BTC", "--data", "ltc-btc_5m.csv", "--symbol", "LTC/BTC"],
      { legs: [{ data: "/d/plain.csv", symbol: "ETH/BTC" }, twoLegs[1]!] },
    ],
  ])("reads %s", (_, argv, expected) => {
    const parsed = parsePortfolio(argv);
    expect(parsed).toMatchObject(expected);
    expect(parsed).toMatchObject({ fast: 10, slow: 30, json: false });
  });

  it.each<[string, string[], string[]]>([
    [
      "a file named for another symbol",
      ["--data", "eth-btc_5m.csv", "--symbol", "LTC/BTC", "--data", "xmr-btc_5m.csv", "--symbol", "XMR/BTC"],
      ["eth-btc_5m.csv holds ETH/BTC, not LTC/BTC: a backtest of LTC/BTC on it would trade one market on another's prices."],
    ],
    [
      "a FILE:SYMBOL item naming another symbol",
      ["--data", "eth-btc_5m.csv:XMR/BTC,ltc-btc_5m.csv:LTC/BTC"],
      ["eth-btc_5m.csv holds ETH/BTC, not XMR/BTC: a backtest of XMR/BTC on it would trade one market on another's prices."],
    ],
    [
      "fewer symbols than files",
      ["--data", "eth-btc_5m.csv", "--symbol", "ETH/BTC", "--data", "ltc-btc_5m.csv"],
      ["Give one --symbol per --data FILE, in the same order (2 plain files, 1 symbols); or write --data FILE:SYMBOL."],
    ],
    [
      "a file whose name says no symbol, without --symbol",
      ["--data", "plain.csv", "--data", "ltc-btc_5m.csv"],
      ["--data 'plain.csv': its name does not say its symbol; add --symbol SYMBOL after it or write FILE:SYMBOL."],
    ],
    [
      "a list item without its symbol",
      ["--data", "eth-btc_5m.csv:ETH/BTC,ltc-btc_5m.csv"],
      ["--data 'eth-btc_5m.csv:ETH/BTC,ltc-btc_5m.csv': every item of a list must be FILE:SYMBOL (e.g. eth-btc.csv:ETH/BTC), got 'ltc-btc_5m.csv'."],
    ],
    [
      "a missing file",
      ["--data", "eth-btc_5m.csv", "--data", "zec-btc_5m.csv"],
      ["--data must be an existing file, got 'zec-btc_5m.csv' (looked for /d/zec-btc_5m.csv)."],
    ],
    ["the same symbol twice", ["--data", "eth-btc_5m.csv:ETH/BTC,eth-btc_5m.csv:ETH/BTC"], ["ETH/BTC is given twice: one file per symbol."]],
    [
      "two quote currencies",
      ["--data", "eth-btc_5m.csv", "--data", "btc-usdt_5m.csv"],
      ["The symbols are quoted in BTC and USDT: one portfolio keeps one equity, so every symbol needs the same quote currency."],
    ],
    [
      "an unknown strategy",
      ["--data", "eth-btc_5m.csv", "--data", "ltc-btc_5m.csv", "--strategy", "macd"],
      ["--strategy must be one of: sma-cross, rsi-reversion (optionally NAME:SYM1+SYM2); got 'macd'."],
    ],
    [
      "a strategy on a symbol not given",
      ["--data", "eth-btc_5m.csv", "--strategy", "sma-cross:ETH/BTC+ZEC/BTC"],
      ["--strategy 'sma-cross:ETH/BTC+ZEC/BTC': ZEC/BTC is not among the --data symbols (ETH/BTC)."],
    ],
    [
      "a strategy twice",
      ["--data", "eth-btc_5m.csv", "--strategy", "sma-cross", "--strategy", "sma-cross"],
      ["--strategy sma-cross is given twice: list its symbols once (sma-cross:SYM1+SYM2)."],
    ],
    ["--alloc zero", ["--data", "eth-btc_5m.csv", "--alloc", "0"], ["--alloc must be a fraction greater than 0 and at most 1, got '0'."]],
    ["--alloc above 1", ["--data", "eth-btc_5m.csv", "--alloc", "1.5"], ["--alloc must be a fraction greater than 0 and at most 1, got '1.5'."]],
    ["--notional zero", ["--data", "eth-btc_5m.csv", "--notional", "0"], ["--notional must be an amount greater than 0, got '0'."]],
    ["--alloc and --notional", ["--data", "eth-btc_5m.csv", "--alloc", "0.5", "--notional", "1"], ["Give --alloc or --notional, not both."]],
    [
      "--compare-correlation-limit zero",
      ["--data", "eth-btc_5m.csv", "--compare-correlation-limit", "0"],
      ["--compare-correlation-limit must be a percentage of equity greater than 0 and at most 10000, got '0'."],
    ],
    [
      "the shared options are still checked",
      ["--data", "eth-btc_5m.csv", "--data", "ltc-btc_5m.csv", "--fast", "30", "--slow", "10"],
      ["--slow must be greater than --fast (30), got 10."],
    ],
    [
      "--alloc without any --data",
      ["--alloc", "0.5"],
      ["--data is required: one candle CSV per symbol (--data FILE --symbol SYMBOL, repeated, or --data FILE:SYMBOL,FILE:SYMBOL)."],
    ],
  ])("refuses %s", (_, argv, expected) => {
    expect(problems(argv)).toEqual(expected);
  });

  it("keeps the single-symbol form as it was: one --data, one --symbol, one --strategy (no file-name check)", () => {
    const r = parseBacktestArgs(["--data", "eth-btc_5m.csv", "--symbol", "BTC/USDT", "--strategy", "rsi-reversion"], options);
    expect(r.ok && !r.value.help && !isPortfolioRunArgs(r.value) && [r.value.data, r.value.symbol, r.value.strategy]).toEqual([
      "/d/eth-btc_5m.csv",
      "BTC/USDT",
      "rsi-reversion",
    ]);
  });

  it("writes the run's settings for the report in a stable order, files by name", () => {
    const parsed = parsePortfolio(["--data", "eth-btc_5m.csv", "--data", "ltc-btc_5m.csv", "--strategy", "sma-cross", "--strategy", "rsi-reversion:LTC/BTC"]);
    const params = portfolioReportParams(parsed, "ETH/BTC=plain,LTC/BTC=plain");
    expect(Object.keys(params)).toEqual([
      "data",
      "symbols",
      "strategies",
      "fast",
      "slow",
      "capital",
      "sizing",
      "instruments",
      "feeBps",
      "slippage",
      "qtyStep",
      "seed",
    ]);
    expect(params).toMatchObject({
      data: "eth-btc_5m.csv,ltc-btc_5m.csv",
      symbols: "ETH/BTC,LTC/BTC",
      strategies: "sma-cross,rsi-reversion:LTC/BTC",
      sizing: "equity×1/2",
    });
  });
});

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type BacktestRunArgs, backtestReportParams, isPortfolioRunArgs } from "../core/backtest/run-args";
import { BACKTEST_USAGE, parseBacktestArgs } from "./backtest-args";

const dir = mkdtempSync(join(tmpdir(), "bastion-backtest-args-"));
const file = join(dir, "candles.csv");
writeFileSync(file, "ts,open,high,low,close,volume\n");
mkdirSync(join(dir, "a-folder"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ISSUE_EXAMPLE = [
  "--data",
  file,
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
];

function parseOk(argv: string[]): BacktestRunArgs {
  const r = parseBacktestArgs(argv, { cwd: dir });
  if (!r.ok) throw new Error(r.error.message);
  if (r.value.help) throw new Error("unexpected help");
  if (isPortfolioRunArgs(r.value)) throw new Error("unexpected portfolio form");
  return r.value;
}

function problems(argv: string[]): string[] {
  const r = parseBacktestArgs(argv, { cwd: dir });
  if (r.ok) throw new Error("expected a refusal");
  expect(r.error.code).toBe("BACKTEST_ARGS_INVALID");
  expect(r.error.message).toBe((r.error.details?.problems as string[]).join("\n"));
  return r.error.details?.problems as string[];
}

describe("parseBacktestArgs", () => {
  it("reads the issue's example", () => {
    const a = parseOk(ISSUE_EXAMPLE);
    expect({ ...a, capital: a.capital.toFixed(), feeBps: a.feeBps.toFixed() }).toEqual({
      help: false,
      data: file,
      symbol: "BTC/USDT",
      strategy: "sma-cross",
      fast: 10,
      slow: 30,
      capital: "10000",
      feeBps: "0",
      slippage: { kind: "none" },
      json: true,
      seed: 0,
      qtyStep: null,
      deterministic: false,
      save: false,
    });
  });

  it("fills defaults, resolves a relative path and reads --name=value", () => {
    const a = parseOk(["--data=candles.csv", "--slippage=fixed:2.5", "--fee-bps", "7.5", "--qty-step", "0.00001", "--seed", "42", "--deterministic", "--save"]);
    expect(a.data).toBe(file);
    expect([a.symbol, a.strategy, a.fast, a.slow, a.capital.toFixed(), a.json]).toEqual(["BTC/USDT", "sma-cross", 10, 30, "10000", false]);
    expect(a.slippage.kind === "fixed" && a.slippage.bps.toFixed()).toBe("2.5");
    expect(a.feeBps.toFixed()).toBe("7.5");
    expect(a.qtyStep?.toFixed()).toBe("0.00001");
    expect([a.seed, a.deterministic, a.save]).toEqual([42, true, true]);
  });

  it("resolves relative paths against INIT_CWD by default (npm run starts in the package root)", () => {
    const before = process.env.INIT_CWD;
    process.env.INIT_CWD = dir;
    try {
      const r = parseBacktestArgs(["--data", "candles.csv"]);
      expect(r.ok && !r.value.help && !isPortfolioRunArgs(r.value) && r.value.data).toBe(file);
    } finally {
      if (before === undefined) delete process.env.INIT_CWD;
      else process.env.INIT_CWD = before;
    }
  });

  it("answers --help before anything else", () => {
    expect(parseBacktestArgs(["--fast", "abc", "--help"])).toEqual({ ok: true, value: { help: true } });
    expect(parseBacktestArgs(["-h"])).toEqual({ ok: true, value: { help: true } });
    expect(BACKTEST_USAGE).toContain("--slippage MODEL");
    for (const option of [
      "data",
      "symbol",
      "strategy",
      "fast",
      "slow",
      "capital",
      "fee-bps",
      "slippage",
      "qty-step",
      "seed",
      "json",
      "deterministic",
      "save",
      "help",
    ]) {
      expect(BACKTEST_USAGE).toContain(`--${option}`);
    }
  });

  it.each<[string, string[], string[]]>([
    ["--fast not a number", ["--fast", "abc"], ["--fast must be a whole number ≥ 1, got 'abc'."]],
    ["--fast zero", ["--fast", "0"], ["--fast must be a whole number ≥ 1, got '0'."]],
    ["--fast fractional", ["--fast", "2.5"], ["--fast must be a whole number ≥ 1, got '2.5'."]],
    ["--fast negative", ["--fast=-3"], ["--fast must be a whole number ≥ 1, got '-3'."]],
    ["--slow not above --fast", ["--fast", "30", "--slow", "10"], ["--slow must be greater than --fast (30), got 10."]],
    ["--slow equal to --fast", ["--fast", "10", "--slow", "10"], ["--slow must be greater than --fast (10), got 10."]],
    ["--slow not above the default --fast", ["--slow", "5"], ["--slow must be greater than --fast (10), got 5."]],
    ["--capital zero", ["--capital", "0"], ["--capital must be an amount greater than 0, got '0'."]],
    ["--capital text", ["--capital", "lots"], ["--capital must be an amount greater than 0, got 'lots'."]],
    ["--fee-bps negative", ["--fee-bps=-1"], ["--fee-bps must be a number of basis points from 0 to below 10000, got '-1'."]],
    ["--fee-bps 100 %", ["--fee-bps", "10000"], ["--fee-bps must be a number of basis points from 0 to below 10000, got '10000'."]],
    [
      "--slippage unknown model",
      ["--slippage", "random"],
      ["--slippage must be 'none' or 'fixed:N' with N basis points from 0 to below 10000 (e.g. fixed:5), got 'random'."],
    ],
    [
      "--slippage fixed without a number",
      ["--slippage", "fixed:"],
      ["--slippage must be 'none' or 'fixed:N' with N basis points from 0 to below 10000 (e.g. fixed:5), got 'fixed:'."],
    ],
    [
      "--slippage fixed negative",
      ["--slippage", "fixed:-2"],
      ["--slippage must be 'none' or 'fixed:N' with N basis points from 0 to below 10000 (e.g. fixed:5), got 'fixed:-2'."],
    ],
    ["--qty-step zero", ["--qty-step", "0"], ["--qty-step must be a quantity greater than 0, got '0'."]],
    ["--seed negative", ["--seed=-1"], ["--seed must be a whole number ≥ 0, got '-1'."]],
    ["--symbol without a slash", ["--symbol", "BTCUSDT"], ["--symbol must look like BASE/QUOTE in capitals (e.g. BTC/USDT), got 'BTCUSDT'."]],
    ["--strategy unknown", ["--strategy", "rsi"], ["--strategy must be one of: sma-cross, rsi-reversion; got 'rsi'."]],
    ["--json with a value", ["--json=yes"], ["--json takes no value, got 'yes'."]],
    ["an unknown option", ["--fats", "10"], ["Unknown option --fats (see --help).", "Unexpected argument '10': options start with -- (see --help)."]],
    ["a missing value", ["--fast"], ["--fast needs a value."]],
    ["a value that is an option", ["--fast", "--json"], ["--fast needs a value."]],
    [
      "--fast and --slow both wrong",
      ["--fast", "abc", "--slow", "x"],
      ["--fast must be a whole number ≥ 1, got 'abc'.", "--slow must be a whole number ≥ 2, got 'x'."],
    ],
    [
      "--fast wrong, --slow below it",
      ["--fast", "abc", "--slow", "1"],
      ["--fast must be a whole number ≥ 1, got 'abc'.", "--slow must be a whole number ≥ 2, got '1'."],
    ],
    ["an option twice", ["--fast", "5", "--fast", "6"], ["--fast was given twice."]],
  ])("%s", (_name, extra, expected) => {
    expect(problems(["--data", file, ...extra])).toEqual(expected);
  });

  it("lists every problem at once", () => {
    expect(problems(["--data", "nope.csv", "--fast", "abc", "--capital", "-5"])).toEqual([
      `--data must be an existing file, got 'nope.csv' (looked for ${join(dir, "nope.csv")}).`,
      "--fast must be a whole number ≥ 1, got 'abc'.",
      "--capital must be an amount greater than 0, got '-5'.",
    ]);
  });

  it("requires --data, an existing file", () => {
    expect(problems([])).toEqual(["--data is required: the candle CSV to test on (e.g. --data ../shared/data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv)."]);
    expect(problems(["--data", "a-folder"])[0]).toContain("--data must be an existing file, got 'a-folder'");
    expect(problems(["--data", ""])[0]).toContain("--data must be an existing file, got ''");
  });

  it("uses the injected file check", () => {
    const r = parseBacktestArgs(["--data", "/virtual/x.csv"], { isFile: (p) => p === "/virtual/x.csv" });
    expect(r.ok && !r.value.help && !isPortfolioRunArgs(r.value) && r.value.data).toBe("/virtual/x.csv");
  });
});

describe("backtestReportParams", () => {
  it("gives the settings in a stable order, with the data file's name only", () => {
    const params = backtestReportParams(parseOk(["--data", file, "--slippage=fixed:5", "--fee-bps", "10", "--qty-step", "0.001"]));
    expect(params).toEqual({
      data: "candles.csv",
      symbol: "BTC/USDT",
      strategy: "sma-cross",
      fast: 10,
      slow: 30,
      capital: "10000",
      feeBps: "10",
      slippage: "fixed:5",
      qtyStep: "0.001",
      seed: 0,
    });
    expect(Object.keys(params)).toEqual(["data", "symbol", "strategy", "fast", "slow", "capital", "feeBps", "slippage", "qtyStep", "seed"]);
  });
});

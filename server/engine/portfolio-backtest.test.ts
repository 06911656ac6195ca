import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decimalString } from "../core/backtest/report";
import type { BacktestTrade } from "../core/backtest/types";
import { D } from "../core/money";
import { createStrategy, type Strategy, type StrategyCandle, type StrategyName } from "../core/strategies";
import { type PortfolioRunArgs } from "../core/backtest/run-args";
import { runEngineBacktest } from "./backtest";
import { symbolSettingsSchema, withAllInBudget } from "./settings";
import { loadPortfolioLegs, portfolioInstrument, runBacktest } from "./backtest-service";
import { type PortfolioLeg, type PortfolioStrategy, runPortfolioBacktest } from "./portfolio-backtest";

const ROOT = join(import.meta.dirname, "..", "..");
const COINS = ["ada", "dash", "etc", "eth", "ltc", "nxt", "powr", "xlm", "xmr", "zec"];
const fileOf = (coin: string) => join(ROOT, `data/market/portfolio/${coin}-btc_5m_bittrex_2018-01-10_2018-01-30.csv`);
const symbolOf = (coin: string) => `${coin.toUpperCase()}/BTC`;

function args(coins: string[], strategies: PortfolioRunArgs["strategies"], sizing: PortfolioRunArgs["sizing"], capital = "1"): PortfolioRunArgs {
  return {
    help: false,
    legs: coins.map((c) => ({ data: fileOf(c), symbol: symbolOf(c) })),
    strategies,
    sizing,
    fast: 10,
    slow: 30,
    capital: D(capital),
    feeBps: D(0),
    slippage: { kind: "none" },
    json: true,
    seed: 0,
    qtyStep: null,
    deterministic: true,
    save: false,
  };
}

function strategy(name: StrategyName): Strategy {
  const made = createStrategy(name, { fast: 10, slow: 30 });
  if (!made.ok) throw new Error(made.error.message);
  return made.value;
}

/** A trade as exact text, so that a difference anywhere (time, quantity, price, fee, pnl) shows. */
const tradeText = (t: BacktestTrade) =>
  [
    t.entryTime,
    t.exitTime,
    t.side,
    decimalString(t.qty),
    decimalString(t.entryPrice),
    decimalString(t.exitPrice),
    decimalString(t.fees),
    decimalString(t.pnl),
    t.exitReason,
  ].join(" ");

const NOTIONAL = "0.02";
const SIZING = { method: "all_in", notional: NOTIONAL } as const;

/**
 * The oracle: each symbol alone, through the single-symbol runner (its own loop, its own engine), with the same
 * candles, instrument and per-entry notional. Returns the differences from the portfolio's trades of that symbol.
 */
function differencesFromOracle(
  legs: readonly PortfolioLeg[],
  strategyOf: (symbol: string) => StrategyName | null,
  portfolio: ReturnType<typeof runPortfolioBacktest>,
): string[] {
  const differences: string[] = [];
  for (const leg of legs) {
    const name = strategyOf(leg.symbol);
    const mine = portfolio.trades.filter((t) => t.symbol === leg.symbol);
    if (name === null) {
      if (mine.length > 0) differences.push(`${leg.symbol}: traded without a strategy`);
      continue;
    }
    const alone = runEngineBacktest({
      candles: leg.candles,
      symbol: leg.symbol,
      strategy: strategy(name),
      capital: "1",
      feeBps: 0,
      slippageBps: 0,
      instrument: leg.instrument,
      sizing: SIZING,
    });
    const expected = alone.trades.map(tradeText);
    const got = mine.map(tradeText);
    if (expected.length !== got.length) differences.push(`${leg.symbol}: ${got.length} trades, alone ${expected.length}`);
    for (let i = 0; i < Math.min(expected.length, got.length); i++) {
      if (expected[i] !== got[i]) differences.push(`${leg.symbol} trade ${i}: ${got[i]} ≠ alone ${expected[i]}`);
    }
    if (mine.some((t) => t.strategy !== name)) differences.push(`${leg.symbol}: a trade not attributed to ${name}`);
    const net = alone.finalEquity.minus(1);
    const mineNet = mine.reduce((sum, t) => sum.plus(t.pnl), D(0));
    if (!net.equals(mineNet)) differences.push(`${leg.symbol}: net ${mineNet.toFixed()} ≠ alone ${net.toFixed()}`);
  }
  return differences;
}

describe("portfolio backtest over the shipped portfolio set", () => {
  // Ten symbols through one engine; 0.02 BTC per entry from 1 BTC: even all ten held at once leave cash, so capital
  // never binds and the symbols do not interact.
  const legs = loadPortfolioLegs({ legs: COINS.map((c) => ({ data: fileOf(c), symbol: symbolOf(c) })), feeBps: D(0), qtyStep: null }).legs;

  it("equals ten single-symbol backtests (the oracle) trade for trade where the symbols do not interact", () => {
    const portfolio = runPortfolioBacktest({
      legs,
      strategies: [{ name: "sma-cross", symbols: null, create: () => strategy("sma-cross") }],
      capital: "1",
      slippageBps: 0,
      sizing: SIZING,
    });
    expect(portfolio.trades.length).toBeGreaterThan(100);
    expect(new Set(portfolio.trades.map((t) => t.symbol)).size).toBe(10);
    expect(Object.values(portfolio.refusedSignals)).toEqual([0]);
    expect(differencesFromOracle(legs, () => "sma-cross", portfolio)).toEqual([]);
    // One equity: the capital plus every symbol's net, exactly.
    expect(portfolio.finalEquity.toFixed()).toBe(
      D(1)
        .plus(portfolio.trades.reduce((s, t) => s.plus(t.pnl), D(0)))
        .toFixed(),
    );
  });

  it("equals the oracle with two strategies on disjoint symbols (NAME:SYM form), each trade under its strategy's name", () => {
    const smaOn = ["ETH/BTC", "LTC/BTC", "XMR/BTC"];
    const rsiOn = ["ADA/BTC", "DASH/BTC", "ZEC/BTC"];
    const strategies: PortfolioStrategy[] = [
      { name: "sma-cross", symbols: smaOn, create: () => strategy("sma-cross") },
      { name: "rsi-reversion", symbols: rsiOn, create: () => strategy("rsi-reversion") },
    ];
    const portfolio = runPortfolioBacktest({ legs, strategies, capital: "1", slippageBps: 0, sizing: SIZING });
    const strategyOf = (symbol: string): StrategyName | null => (smaOn.includes(symbol) ? "sma-cross" : rsiOn.includes(symbol) ? "rsi-reversion" : null);
    expect(portfolio.trades.some((t) => t.strategy === "rsi-reversion")).toBe(true);
    expect(differencesFromOracle(legs, strategyOf, portfolio)).toEqual([]);
  });

  it("the oracle catches one symbol's candles leaking into another symbol's strategy", () => {
    // The bug simulated: each symbol's strategy is fed the candle processed just before its own (at the same time, that
    // is another symbol's), relabelled with its own time; what a runner that mixed up its legs would do.
    let previous: StrategyCandle | null = null;
    const leaking = (): Strategy => {
      const inner = strategy("sma-cross");
      return {
        name: inner.name,
        params: inner.params,
        warmup: inner.warmup,
        reset: () => inner.reset(),
        onCandle: (candle, ctx) => {
          const seen: StrategyCandle = previous ? { ...previous, ts: candle.ts } : candle;
          previous = candle;
          return inner.onCandle(seen, ctx);
        },
      };
    };
    const leaky = runPortfolioBacktest({
      legs: legs.slice(0, 3),
      strategies: [{ name: "sma-cross", symbols: null, create: leaking }],
      capital: "1",
      slippageBps: 0,
      sizing: SIZING,
    });
    expect(leaky.trades.length).toBeGreaterThan(0);
    expect(differencesFromOracle(legs.slice(0, 3), () => "sma-cross", leaky).length).toBeGreaterThan(0);
  });

  it("the oracle catches trades booked under the wrong strategy or on a symbol that has none", () => {
    const portfolio = runPortfolioBacktest({
      legs: legs.slice(0, 2),
      strategies: [{ name: "sma-cross", symbols: null, create: () => strategy("sma-cross") }],
      capital: "1",
      slippageBps: 0,
      sizing: SIZING,
    });
    expect(differencesFromOracle(legs.slice(0, 2), (s) => (s === legs[0]!.symbol ? "sma-cross" : null), portfolio)).toContain(
      `${legs[1]!.symbol}: traded without a strategy`,
    );
    expect(differencesFromOracle(legs.slice(0, 1), () => "rsi-reversion", portfolio).length).toBeGreaterThan(0);
  });
});

describe("portfolio backtest report", () => {
  it("is deterministic: two runs give the same JSON, byte for byte", () => {
    const a = args(
      ["eth", "ltc", "xmr"],
      [
        { name: "sma-cross", symbols: null },
        { name: "rsi-reversion", symbols: null },
      ],
      { kind: "share", fraction: null },
    );
    const first = JSON.stringify(runBacktest(a).report);
    const second = JSON.stringify(runBacktest(a).report);
    expect(second).toBe(first);
    expect(first.length).toBeGreaterThan(1000);
  });

  it("has per-symbol and per-strategy sections that add up to the totals; one strategy owns a symbol's position at a time", () => {
    const { report } = runBacktest(
      args(
        ["eth", "ltc", "xmr"],
        [
          { name: "sma-cross", symbols: null },
          { name: "rsi-reversion", symbols: ["ETH/BTC"] },
        ],
        { kind: "share", fraction: null },
      ),
    );
    expect(Object.keys(report.perSymbol)).toEqual(["ETH/BTC", "LTC/BTC", "XMR/BTC"]);
    expect(Object.keys(report.perStrategy)).toEqual(["sma-cross", "rsi-reversion"]);
    expect(report.params).toMatchObject({ sizing: "equity×1/3", instruments: "ETH/BTC=bittrex-2018,LTC/BTC=bittrex-2018,XMR/BTC=bittrex-2018" });
    const sum = (rows: Record<string, { trades: number; netPnl: string; fees: string }>, key: "netPnl" | "fees") =>
      Object.values(rows)
        .reduce((s, r) => s.plus(r[key]), D(0))
        .toFixed();
    for (const rows of [report.perSymbol, report.perStrategy]) {
      expect(Object.values(rows).reduce((n, r) => n + r.trades, 0)).toBe(report.tradeCount);
      expect(sum(rows, "netPnl")).toBe(D(report.netPnl).toFixed());
      expect(sum(rows, "fees")).toBe(D(report.totalFees).toFixed());
    }
    // rsi-reversion ran on ETH/BTC only.
    expect(report.trades.filter((t) => t.strategy === "rsi-reversion").every((t) => t.symbol === "ETH/BTC")).toBe(true);
    expect(report.perStrategy["rsi-reversion"]!.trades).toBeGreaterThan(0);
    // Trades of one symbol never overlap in time: one position per symbol, owned by one strategy.
    for (const symbol of report.symbols) {
      const mine = report.trades.filter((t) => t.symbol === symbol);
      for (let i = 1; i < mine.length; i++) expect(mine[i]!.entryTime).toBeGreaterThanOrEqual(mine[i - 1]!.exitTime);
    }
    for (const rows of [report.perSymbol, report.perStrategy]) {
      for (const r of Object.values(rows)) {
        expect(r.exposurePct).not.toBeNull();
        expect(r.exposurePct!).toBeGreaterThan(0);
        expect(r.exposurePct!).toBeLessThanOrEqual(100);
      }
    }
  });

  it("sizes each entry all in of equity / number of symbols by default (fees included)", () => {
    const { report } = runBacktest(args(["eth", "ltc"], [{ name: "sma-cross", symbols: null }], { kind: "share", fraction: null }));
    const first = report.trades.reduce((a, t) => (t.entryTime < a.entryTime ? t : a));
    // Nothing was held before the first entry, so equity was the capital (1 BTC) and the budget half of it.
    const entryFee = D(first.qty).times(first.entryPrice).times("0.0025");
    const cost = D(first.qty).times(first.entryPrice).plus(entryFee);
    expect(cost.lessThanOrEqualTo("0.5")).toBe(true);
    expect(cost.greaterThan("0.49999")).toBe(true);
  });

  it("a fixed --notional sizes every entry at that notional whatever the equity", () => {
    const { report } = runBacktest(args(["eth", "ltc"], [{ name: "sma-cross", symbols: null }], { kind: "notional", notional: D("0.01") }));
    expect(report.tradeCount).toBeGreaterThan(10);
    for (const t of report.trades) {
      const cost = D(t.qty).times(t.entryPrice).times("1.0025");
      expect(cost.lessThanOrEqualTo("0.01")).toBe(true);
      expect(cost.greaterThan("0.0099999")).toBe(true);
    }
  });
});

describe("portfolio instruments", () => {
  const plain = { feeBps: D(7), qtyStep: null };
  it.each([
    ["data/market/portfolio/eth-btc_5m_bittrex_2018-01-10_2018-01-30.csv", "ETH/BTC", "bittrex-2018", "0.00000001", "0.0025"],
    ["data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv", "BTC/USDT", "binance", "0.00001", "0.001"],
    ["elsewhere/eth-btc_5m.csv", "ETH/BTC", "plain", "1e-40", "0.0007"],
    ["elsewhere/foo-usdt.csv", "FOO/USDT", "plain", "1e-40", "0.0007"],
  ])("%s as %s trades on %s rules", (file, symbol, rules, qtyStep, fee) => {
    const made = portfolioInstrument(file, symbol, plain);
    expect(made.rules).toBe(rules);
    expect(made.instrument.qtyStep.toString()).toBe(D(qtyStep).toString());
    expect(made.instrument.takerFee.toString()).toBe(D(fee).toString());
  });

  it("a Binance symbol's entries are rounded down to its quantity step", () => {
    const run = runBacktest({
      ...args([], [{ name: "sma-cross", symbols: null }], { kind: "share", fraction: D(1) }, "10000"),
      legs: [{ data: join(ROOT, "data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv"), symbol: "BTC/USDT" }],
    });
    expect(run.report.params.instruments).toBe("BTC/USDT=binance");
    expect(run.report.tradeCount).toBeGreaterThan(10);
    for (const t of run.report.trades) expect(D(t.qty).mod("0.00001").isZero()).toBe(true);
  });
});

describe("withAllInBudget (the backtests' all_in budget, outside the settings schema)", () => {
  const base = symbolSettingsSchema.parse({});
  it.each<[string, unknown, unknown]>([
    ["keeps plain all_in", { method: "all_in" }, base.sizing],
    ["carries an equity share", { method: "all_in", equityFraction: 0.25 }, { method: "all_in", equityFraction: 0.25 }],
    ["carries a notional as plain decimal text", { method: "all_in", notional: "1e-2" }, { method: "all_in", notional: "0.01" }],
    ["ignores other methods", { method: "fixed_fraction", fraction: 0.5 }, base.sizing],
  ])("%s", (_, sizing, expected) => {
    expect(withAllInBudget(base, sizing).sizing).toEqual(expected);
  });
  it.each<[string, unknown]>([
    ["a share of 0", { method: "all_in", equityFraction: 0 }],
    ["a share above 1", { method: "all_in", equityFraction: 1.5 }],
    ["a notional of 0", { method: "all_in", notional: "0" }],
    ["a notional that is no number", { method: "all_in", notional: "lots" }],
    ["both", { method: "all_in", equityFraction: 0.5, notional: "1" }],
  ])("refuses %s", (_, sizing) => {
    expect(() => withAllInBudget(base, sizing)).toThrow(RangeError);
  });
  it("people cannot set it: the settings schema drops it", () => {
    expect(symbolSettingsSchema.parse({ sizing: { method: "all_in", notional: "1" } }).sizing).toEqual({ method: "all_in" });
  });
});

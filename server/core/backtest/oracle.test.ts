// Tests may read the recorded market data fixture; the code under test stays pure.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { D, Decimal } from "../money";
import { SmaCrossStrategy } from "../strategies/sma-cross";
import { FIVE_MIN, HAND, handCandles, T0 } from "../../../test/backtest/hand-series";
import { type SmaCrossBacktestSpec, runSmaCrossOracle } from "./oracle";

const at = (i: number): number => T0 + i * FIVE_MIN;

function oracle(overrides: Partial<SmaCrossBacktestSpec> = {}) {
  const result = runSmaCrossOracle({ candles: handCandles, fast: 2, slow: 4, capital: "401", feeBps: 0, slippage: { kind: "none" }, ...overrides });
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

/** Decimals → strings, so toEqual compares values as written. */
function plain(value: unknown): unknown {
  if (Decimal.isDecimal(value)) return value.toFixed();
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

describe("the oracle on the hand-checked series", () => {
  it("finds the crosses of the table", () => {
    expect(oracle().crosses).toEqual([
      { index: 7, signal: "BUY", acted: true },
      { index: 11, signal: "SELL", acted: true },
      { index: 14, signal: "BUY", acted: true },
    ]);
  });

  it("fee 25 bps, no slippage: every number by hand", () => {
    // fee = 0.0025, 1 + fee = 1.0025.
    // Trade 1. equity 401 at open 8: qty = 401 / (40.0 × 1.0025) = 401 / 40.1 = 10; notional 400, fee 400 × 0.0025 = 1;
    //   cash 401 − 400 − 1 = 0. Sell at open 12: proceeds 10 × 40.1 = 401, fee 401 × 0.0025 = 1.0025;
    //   cash 401 − 1.0025 = 399.9975. fees 1 + 1.0025 = 2.0025; pnl 399.9975 − 401 = −1.0025 (a loss).
    // Trade 2. equity 399.9975 at open 15: qty = 399.9975 / (39.9 × 1.0025) = 399.9975 / 39.99975 = 10; notional 399,
    //   fee 399 × 0.0025 = 0.9975; cash 399.9975 − 399 − 0.9975 = 0. Still long after the last candle: sold at its
    //   close 44.0: proceeds 440, fee 1.1, cash 438.9. fees 0.9975 + 1.1 = 2.0975; pnl 438.9 − 399.9975 = 38.9025.
    // Final equity 438.9 = 401 − 1.0025 + 38.9025.
    const r = oracle({ feeBps: 25 });
    expect(plain(r.trades)).toEqual([
      {
        entryTime: at(8),
        exitTime: at(12),
        side: "LONG",
        qty: "10",
        entryPrice: "40",
        exitPrice: "40.1",
        fees: "2.0025",
        pnl: "-1.0025",
        exitReason: "signal",
      },
      {
        entryTime: at(15),
        exitTime: at(18),
        side: "LONG",
        qty: "10",
        entryPrice: "39.9",
        exitPrice: "44",
        fees: "2.0975",
        pnl: "38.9025",
        exitReason: "end_of_data",
      },
    ]);
    expect(plain(r.fills)).toEqual([
      { ts: at(8), candleIndex: 8, side: "BUY", qty: "10", price: "40", fee: "1" },
      { ts: at(12), candleIndex: 12, side: "SELL", qty: "10", price: "40.1", fee: "1.0025" },
      { ts: at(15), candleIndex: 15, side: "BUY", qty: "10", price: "39.9", fee: "0.9975" },
      { ts: at(18), candleIndex: 17, side: "SELL", qty: "10", price: "44", fee: "1.1" },
    ]);
    expect(r.finalEquity.toFixed()).toBe("438.9");
    expect(r.intervalMs).toBe(FIVE_MIN);
    // Equity at each close (time = open + 5 min): flat 401 through 7; long 10 (cash 0) at 8–11: 10 × close;
    // flat 399.9975 at 12–14; long 10 (cash 0) at 15–16; 438.9 after the end-of-data sale at 17.
    expect(r.equityCurve.map((p) => p.equity.toFixed())).toEqual([
      ...Array<string>(8).fill("401"),
      "403",
      "400",
      "404",
      "398",
      "399.9975",
      "399.9975",
      "399.9975",
      "410",
      "420",
      "438.9",
    ]);
    expect(r.equityCurve.map((p) => p.ts)).toEqual(HAND.map((_, i) => at(i + 1)));
  });

  it("fixed slippage 25 bps, no fee: every number by hand", () => {
    // 1 + 0.0025 = 1.0025 for buys, 1 − 0.0025 = 0.9975 for sells.
    // Trade 1: buy price 40.0 × 1.0025 = 40.1, qty 401 / 40.1 = 10, cash 0. Sell price 40.1 × 0.9975 = 39.99975,
    //   proceeds 399.9975; pnl −1.0025, fees 0.
    // Trade 2: buy price 39.9 × 1.0025 = 39.99975, qty 399.9975 / 39.99975 = 10, cash 0. End-of-data sell at
    //   44.0 × 0.9975 = 43.89, proceeds 438.9; pnl 38.9025. Final 438.9 (the same money as the fee case, other prices).
    const r = oracle({ slippage: { kind: "fixed", bps: D(25) } });
    expect(plain(r.trades)).toEqual([
      {
        entryTime: at(8),
        exitTime: at(12),
        side: "LONG",
        qty: "10",
        entryPrice: "40.1",
        exitPrice: "39.99975",
        fees: "0",
        pnl: "-1.0025",
        exitReason: "signal",
      },
      {
        entryTime: at(15),
        exitTime: at(18),
        side: "LONG",
        qty: "10",
        entryPrice: "39.99975",
        exitPrice: "43.89",
        fees: "0",
        pnl: "38.9025",
        exitReason: "end_of_data",
      },
    ]);
    expect(r.finalEquity.toFixed()).toBe("438.9");
  });

  it("no fee, no slippage: quantities are exact quotients, not rounded", () => {
    // qty1 = 401 / 40 = 10.025; sell at 40.1: 10.025 × 40.1 = 402.0025. qty2 = 402.0025 / 39.9 = 10.075250626566416040…
    // (a repeating decimal: decimal.js keeps 40 significant digits), sold at 44: ≈ 443.311027568922305764…
    const r = oracle();
    expect(r.trades.map((t) => t.qty.toFixed())).toEqual(["10.025", D("402.0025").dividedBy("39.9").toFixed()]);
    expect(r.trades[0]!.pnl.toFixed()).toBe("1.0025");
    expect(r.finalEquity.toFixed(12)).toBe("443.311027568922");
    expect(r.trades.every((t) => t.fees.isZero())).toBe(true);
  });

  it("fee and slippage together follow the formulas", () => {
    // fee 10 bps, slippage 5 bps. Buy at 40.0 × 1.0005 = 40.02; qty = 401 / (40.02 × 1.001) = 401 / 40.06002.
    const r = oracle({ feeBps: 10, slippage: { kind: "fixed", bps: D(5) } });
    const [buy, sell] = r.fills;
    expect(buy!.price.toFixed()).toBe("40.02");
    // the quotient rounded down at 40 significant digits: never more than the cash buys
    expect(buy!.qty.equals(new (Decimal.clone({ precision: 40, rounding: Decimal.ROUND_DOWN }))(401).dividedBy("40.06002"))).toBe(true);
    expect(buy!.qty.lessThanOrEqualTo(D(401).dividedBy("40.06002"))).toBe(true);
    expect(buy!.fee.equals(buy!.qty.times("40.02").times("0.001"))).toBe(true);
    expect(sell!.price.toFixed()).toBe("40.07995"); // 40.1 × 0.9995
    // the whole equity was spent, fee included (up to decimal.js's 40 significant digits)
    expect(buy!.qty.times(buy!.price).plus(buy!.fee).minus(401).abs().lessThan("1e-30")).toBe(true);
    const sumPnl = r.trades.reduce((s, t) => s.plus(t.pnl), D(0));
    expect(sumPnl.minus(r.finalEquity.minus(401)).abs().lessThan("1e-30")).toBe(true);
    expect(r.trades.map((t) => [t.entryTime, t.exitTime])).toEqual([
      [at(8), at(12)],
      [at(15), at(18)],
    ]);
  });

  it("rounds quantities down onto a step", () => {
    // fee 10 bps, slippage 5 bps: raw qty1 = 401 / 40.06002 = 10.00998…, step 0.001 → 10.009; cash left
    // 401 − 10.009 × 40.02 × 1.001 = 401 − 400.96018… > 0
    const r = oracle({ feeBps: 10, slippage: { kind: "fixed", bps: D(5) }, qtyStep: "0.001" });
    expect(r.trades[0]!.qty.toFixed()).toBe("10.009");
    const cashAfterBuy = D(401).minus(D("10.009").times("40.02").times("1.001"));
    expect(r.equityCurve[8]!.equity.equals(cashAfterBuy.plus(D("10.009").times("40.3")))).toBe(true);
    for (const t of r.trades) expect(t.qty.modulo("0.001").isZero()).toBe(true);
  });

  it("places no order when the step leaves nothing to buy", () => {
    const r = oracle({ qtyStep: "100" });
    expect(r.trades).toEqual([]);
    expect(r.fills).toEqual([]);
    expect(r.finalEquity.toFixed()).toBe("401");
    // the crosses up were acted on (a zero quantity is no order); never long, so the cross down at 11 does nothing
    expect(r.crosses).toEqual([
      { index: 7, signal: "BUY", acted: true },
      { index: 11, signal: "SELL", acted: false },
      { index: 14, signal: "BUY", acted: true },
    ]);
  });

  it("drops a signal on the last candle and handles short series", () => {
    // cut after candle 7 (the cross up): there is no open 8 to buy at
    const cut = runSmaCrossOracle({ candles: handCandles.slice(0, 8), fast: 2, slow: 4, capital: 401, feeBps: 0, slippage: { kind: "none" } });
    expect(cut.ok && cut.value.crosses).toEqual([{ index: 7, signal: "BUY", acted: false }]);
    expect(cut.ok && cut.value.trades).toEqual([]);
    // cut after candle 8: bought at open 8, closed at close 8 (40.3): qty 10.025 × 40.3 = 404.0075
    const one = runSmaCrossOracle({ candles: handCandles.slice(0, 9), fast: 2, slow: 4, capital: 401, feeBps: 0, slippage: { kind: "none" } });
    expect(one.ok && plain(one.value.trades.map((t) => [t.exitReason, t.exitTime, t.exitPrice, t.pnl]))).toEqual([["end_of_data", at(9), "40.3", "3.0075"]]);
    const none = runSmaCrossOracle({ candles: [], fast: 2, slow: 4, capital: 401, feeBps: 0, slippage: { kind: "none" } });
    expect(none.ok && plain([none.value.finalEquity, none.value.equityCurve, none.value.intervalMs])).toEqual(["401", [], 0]);
  });

  it("takes an explicit candle length", () => {
    const r = oracle({ intervalMs: 60_000 });
    expect(r.equityCurve[0]!.ts).toBe(T0 + 60_000);
    expect(r.trades[1]!.exitTime).toBe(at(17) + 60_000);
  });

  it.each<[string, Partial<SmaCrossBacktestSpec>, string, string]>([
    ["slow ≤ fast", { fast: 4, slow: 4 }, "BACKTEST_INVALID_SPEC", "slow must be"],
    ["zero capital", { capital: 0 }, "BACKTEST_INVALID_SPEC", "capital must be positive"],
    ["negative fee", { feeBps: -1 }, "BACKTEST_INVALID_SPEC", "fee"],
    ["fee of 100%", { feeBps: 10_000 }, "BACKTEST_INVALID_SPEC", "fee"],
    ["zero step", { qtyStep: 0 }, "BACKTEST_INVALID_SPEC", "step"],
    ["unordered candles", { candles: [handCandles[1]!, handCandles[0]!] }, "BACKTEST_INVALID_CANDLES", "does not come after"],
    ["a zero price", { candles: [{ ts: 1, open: 0, close: 1 }] }, "BACKTEST_INVALID_CANDLES", "not a positive price"],
    ["a text price", { candles: [{ ts: 1, open: 1, close: "abc" }] }, "BACKTEST_INVALID_CANDLES", "not a number"],
  ])("refuses %s", (_name, overrides, code, message) => {
    const r = runSmaCrossOracle({ candles: handCandles, fast: 2, slow: 4, capital: 401, feeBps: 0, slippage: { kind: "none" }, ...overrides });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.error.message).toContain(message);
    }
  });
});

describe("the oracle on the recorded BTC/USDT 5m candles", () => {
  const lines = readFileSync("/work/shared/data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv", "utf8").trim().split("\n").slice(1);
  const candles = lines.map((line) => {
    const [ts, open, , , close] = line.split(",");
    return { ts: Number(ts), open: open!, high: open!, low: close!, close: close! };
  });

  it.each([
    [10, 30, 0, 0],
    [10, 30, 10, 5],
    [5, 20, 7.5, 0],
  ])("fast %i / slow %i, fee %s bps, slippage %s bps: fills follow SmaCrossStrategy's intents, money adds up", (fast, slow, feeBps, slipBps) => {
    const r = runSmaCrossOracle({ candles, fast, slow, capital: 10_000, feeBps, slippage: slipBps ? { kind: "fixed", bps: D(slipBps) } : { kind: "none" } });
    if (!r.ok) throw new Error(r.error.message);
    const { trades, fills, finalEquity, equityCurve } = r.value;

    // An independent driver: the incremental strategy, with the position the oracle's rules imply.
    const strategy = new SmaCrossStrategy({ fast, slow });
    let position = "FLAT" as "FLAT" | "LONG";
    const expectedFillIndices: number[] = [];
    candles.forEach((c, i) => {
      const intent = strategy.onCandle(c, { position });
      if (intent && i < candles.length - 1) {
        expectedFillIndices.push(i + 1);
        position = intent.action === "OPEN_LONG" ? "LONG" : "FLAT";
      }
    });
    if (position === "LONG") expectedFillIndices.push(candles.length - 1);
    expect(fills.map((f) => f.candleIndex)).toEqual(expectedFillIndices);
    expect(trades.length).toBe(expectedFillIndices.length / 2);
    expect(trades.length).toBeGreaterThan(50);

    const fee = D(feeBps).dividedBy(10_000);
    let cash = D(10_000);
    for (const f of fills) {
      expect(f.fee.equals(f.qty.times(f.price).times(fee))).toBe(true);
      const candle = candles[f.candleIndex]!;
      // fills at the open carry the candle's open time; the end-of-data sale the last candle's close time
      const reference = f.ts > candle.ts ? candle.close : candle.open;
      expect(f.ts === candle.ts || (f.candleIndex === candles.length - 1 && f.ts === candle.ts + 300_000)).toBe(true);
      const factor = D(1).plus(
        D(slipBps)
          .dividedBy(10_000)
          .times(f.side === "BUY" ? 1 : -1),
      );
      expect(f.price.equals(D(reference).times(factor))).toBe(true);
      if (f.side === "BUY") {
        // the whole equity, fee included
        expect(f.qty.times(f.price).plus(f.fee).minus(cash).abs().lessThan(cash.times("1e-35"))).toBe(true);
        cash = cash.minus(f.qty.times(f.price)).minus(f.fee);
      } else {
        cash = cash.plus(f.qty.times(f.price)).minus(f.fee);
      }
    }
    expect(cash.equals(finalEquity)).toBe(true);
    expect(equityCurve[equityCurve.length - 1]!.equity.equals(finalEquity)).toBe(true);
    const sumPnl = trades.reduce((s, t) => s.plus(t.pnl), D(0));
    expect(sumPnl.minus(finalEquity.minus(10_000)).abs().lessThan("1e-25")).toBe(true);
  });
});

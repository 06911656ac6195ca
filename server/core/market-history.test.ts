import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HOUR_MS, MINUTE_MS } from "./clock";
import { MarketHistory } from "./market-history";
import { resampleCandles } from "./risk/returns";

const T = Date.UTC(2024, 0, 1);
const candle = (ts: number, close: number, extra: Partial<{ open: number; high: number; low: number; volume: number }> = {}) => ({
  ts,
  open: extra.open ?? close,
  high: extra.high ?? close,
  low: extra.low ?? close,
  close,
  volume: extra.volume ?? 1,
});

describe("MarketHistory", () => {
  it("merges 5m candles into hourly bars like resampleCandles does, on the recorded ETH/BTC file", () => {
    const rows = readFileSync("data/market/portfolio/eth-btc_5m_bittrex_2018-01-10_2018-01-30.csv", "utf8").trim().split("\n").slice(1);
    const candles = rows.map((line) => {
      const [ts, open, high, low, close, volume] = line.split(",").map(Number);
      return { ts: ts!, open: open!, high: high!, low: low!, close: close!, volume: volume! };
    });
    const history = new MarketHistory({ barMs: HOUR_MS, maxBars: 10_000 });
    for (const c of candles) expect(history.addCandle("ETH/BTC", c, 5 * MINUTE_MS)).toBe(true);
    const reference = resampleCandles(candles, HOUR_MS);
    const bars = history.barsOf("ETH/BTC");
    expect(bars).toHaveLength(reference.length);
    for (let i = 0; i < bars.length; i++) {
      const { sourceCount: _, ...expected } = reference[i]!;
      expect(bars[i]!.ts).toBe(expected.ts);
      expect(bars[i]!.open).toBe(expected.open);
      expect(bars[i]!.high).toBe(expected.high);
      expect(bars[i]!.low).toBe(expected.low);
      expect(bars[i]!.close).toBe(expected.close);
      expect(bars[i]!.volume).toBeCloseTo(expected.volume, 6);
    }
  });

  it("keeps the bound: at most maxBars bars per symbol, the newest ones", () => {
    const history = new MarketHistory({ barMs: MINUTE_MS, maxBars: 50 });
    for (let i = 0; i < 1000; i++) history.addCandle("A", candle(T + i * MINUTE_MS, 100 + i));
    const bars = history.barsOf("A");
    expect(bars).toHaveLength(50);
    expect(bars[0]!.ts).toBe(T + 950 * MINUTE_MS);
    expect(bars[49]!.close).toBe(1099);
    // A candle older than everything kept is refused rather than pushed in and dropped.
    expect(history.addCandle("A", candle(T, 1))).toBe(false);
  });

  it("keeps open and close by observation time whatever order they arrive in; highs and lows are the extremes", () => {
    const history = new MarketHistory({ barMs: HOUR_MS, maxBars: 10 });
    history.addPrice("A", T + 30 * MINUTE_MS, 105);
    history.addPrice("A", T + 50 * MINUTE_MS, 103);
    history.addPrice("A", T + 10 * MINUTE_MS, 101);
    history.addPrice("A", T + 20 * MINUTE_MS, 99);
    expect(history.barsOf("A")).toEqual([{ ts: T, open: 101, high: 105, low: 99, close: 103, volume: 0 }]);
  });

  it("a candle re-sent while it forms updates its bar instead of adding one", () => {
    const history = new MarketHistory({ barMs: 5 * MINUTE_MS, maxBars: 10 });
    history.addCandle("A", candle(T, 10, { open: 9, high: 10, low: 9 }));
    history.addCandle("A", candle(T, 11, { open: 9, high: 12, low: 9 }));
    expect(history.barsOf("A")).toEqual([{ ts: T, open: 9, high: 12, low: 9, close: 11, volume: 2 }]);
  });

  it("inserts a late bar in time order and gives closes per symbol in the order asked", () => {
    const history = new MarketHistory({ barMs: HOUR_MS, maxBars: 10 });
    history.addCandle("A", candle(T, 1));
    history.addCandle("A", candle(T + 2 * HOUR_MS, 3));
    history.addCandle("A", candle(T + HOUR_MS, 2));
    history.addCandle("B", candle(T, 7));
    expect(history.closes(["B", "A"])).toEqual({
      B: [{ ts: T, close: 7 }],
      A: [
        { ts: T, close: 1 },
        { ts: T + HOUR_MS, close: 2 },
        { ts: T + 2 * HOUR_MS, close: 3 },
      ],
    });
    expect(history.symbols()).toEqual(["A", "B"]);
    expect(history.latestTs()).toBe(T + 2 * HOUR_MS);
    // The last candle was observed until its close.
    expect(history.observedUntil()).toBe(T + 3 * HOUR_MS);
  });

  it("gives closes from a time on, never more than the newest maxBars", () => {
    const history = new MarketHistory({ barMs: HOUR_MS, maxBars: 3 });
    for (let i = 0; i < 5; i++) history.addCandle("A", candle(T + i * HOUR_MS, i + 1)); // 5 bars: the list trims only past a tenth over
    const closesOf = (since?: number) => history.closes(["A", "B"], since).A!.map((c) => c.close);
    expect(closesOf()).toEqual([3, 4, 5]);
    expect(closesOf(T + 3 * HOUR_MS)).toEqual([4, 5]);
    expect(closesOf(T + 3 * HOUR_MS + 1)).toEqual([5]); // between bars: from the next one
    expect(closesOf(T)).toEqual([3, 4, 5]);
    expect(closesOf(T + 9 * HOUR_MS)).toEqual([]);
    expect(history.closes(["B"], T).B).toEqual([]);
  });

  it.each([
    ["a non-positive price", () => candle(T, 0)],
    ["a NaN close", () => candle(T, NaN)],
    ["an infinite time", () => candle(Infinity, 1)],
  ])("refuses %s and counts no change", (_, make) => {
    const history = new MarketHistory({ barMs: HOUR_MS, maxBars: 10 });
    expect(history.addCandle("A", make())).toBe(false);
    expect(history.version).toBe(0);
    expect(history.symbols()).toEqual([]);
  });

  it("refuses a candle longer than a bar, and symbols beyond maxSymbols", () => {
    const history = new MarketHistory({ barMs: 5 * MINUTE_MS, maxBars: 10, maxSymbols: 2 });
    expect(history.addCandle("A", candle(T, 1), HOUR_MS)).toBe(false);
    expect(history.addPrice("A", T, 1)).toBe(true);
    expect(history.addPrice("B", T, 1)).toBe(true);
    expect(history.addPrice("C", T, 1)).toBe(false);
    expect(history.symbols()).toEqual(["A", "B"]);
  });

  it.each([
    [{ barMs: 0, maxBars: 10 }, /barMs/],
    [{ barMs: 1.5, maxBars: 10 }, /barMs/],
    [{ barMs: 1000, maxBars: 1 }, /maxBars/],
  ])("refuses bad options %j", (options, message) => {
    expect(() => new MarketHistory(options)).toThrow(message);
  });
});

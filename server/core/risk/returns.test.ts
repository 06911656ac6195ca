import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HOUR_MS, MINUTE_MS } from "../clock";
import { D } from "../money";
import { MarketHistory } from "../market-history";
import { alignReturns, resampleCandles, windowReturns, type CandleInput } from "./returns";

const M5 = 5 * MINUTE_MS;
const T0 = 1_515_560_400_000; // 2018-01-10 05:00 UTC, an hour boundary
const PORTFOLIO = "/work/shared/data/market/portfolio";

function loadCandles(coin: string): CandleInput[] {
  const lines = readFileSync(`${PORTFOLIO}/${coin}-btc_5m_bittrex_2018-01-10_2018-01-30.csv`, "utf8").trim().split("\n").slice(1);
  return lines.map((line) => {
    const [ts, open, high, low, close, volume] = line.split(",");
    return { ts: Number(ts), open: open!, high: high!, low: low!, close: close!, volume: volume! };
  });
}

describe("resampleCandles", () => {
  // Three 5m candles in the first hour (one missing span in between), one in the second.
  const candles: CandleInput[] = [
    { ts: T0, open: 10, high: 11, low: 9, close: 10.5, volume: 1 },
    { ts: T0 + M5, open: "10.5", high: "12", low: "10", close: "11", volume: "2" },
    { ts: T0 + 11 * M5, open: D("11"), high: D("11.5"), low: D("8"), close: D("9"), volume: D("3") },
    { ts: T0 + HOUR_MS + 2 * M5, open: 9, high: 9, low: 9, close: 9.5 },
  ];

  it("makes open/high/low/close/volume bars from numbers, strings and Decimals", () => {
    expect(resampleCandles(candles, HOUR_MS)).toEqual([
      { ts: T0, open: 10, high: 12, low: 8, close: 9, volume: 6, sourceCount: 3 },
      { ts: T0 + HOUR_MS, open: 9, high: 9, low: 9, close: 9.5, volume: 0, sourceCount: 1 },
    ]);
  });

  it("sorts unsorted candles first", () => {
    expect(resampleCandles([...candles].reverse(), HOUR_MS)).toEqual(resampleCandles(candles, HOUR_MS));
  });

  it("never invents a bar for a span without candles", () => {
    const bars = resampleCandles([candles[0]!, { ts: T0 + 3 * HOUR_MS, close: 12 }], HOUR_MS);
    expect(bars.map((b) => b.ts)).toEqual([T0, T0 + 3 * HOUR_MS]);
  });

  it.each([
    ["the forming bar is dropped", T0 + HOUR_MS + 30 * MINUTE_MS, [T0]],
    ["a bar whose span is over is kept", T0 + 2 * HOUR_MS, [T0, T0 + HOUR_MS]],
  ])("completeBefore: %s", (_label, completeBefore, expected) => {
    expect(resampleCandles(candles, HOUR_MS, { completeBefore }).map((b) => b.ts)).toEqual(expected);
  });

  it("skips candles without a positive finite close and refuses a bad bar size", () => {
    expect(
      resampleCandles(
        [
          { ts: T0, close: "abc" },
          { ts: T0, close: 0 },
          { ts: T0, close: 5 },
        ],
        HOUR_MS,
      ),
    ).toHaveLength(1);
    expect(() => resampleCandles(candles, 0)).toThrow(RangeError);
  });

  it("turns the recorded 5m ETH/BTC candles into hourly bars whose close is the hour's last 5m close", () => {
    const candles5m = loadCandles("eth");
    const bars = resampleCandles(candles5m, HOUR_MS);
    expect(bars.length).toBeGreaterThan(470);
    for (const bar of bars.slice(0, 50)) {
      const inHour = candles5m.filter((c) => c.ts >= bar.ts && c.ts < bar.ts + HOUR_MS);
      expect(bar.close).toBe(Number(inHour[inHour.length - 1]!.close));
      expect(bar.high).toBe(Math.max(...inHour.map((c) => Number(c.high))));
      expect(bar.sourceCount).toBe(inHour.length);
    }
  });
});

describe("alignReturns", () => {
  const bar = (k: number, close: number) => ({ ts: T0 + k * HOUR_MS, close });
  // B misses bar 2; A starts one bar earlier and ends one bar later than B.
  const closes = {
    A: [bar(-1, 99), bar(0, 100), bar(1, 110), bar(2, 121), bar(3, 121), bar(4, 133.1), bar(5, 140)],
    B: [bar(0, 50), bar(1, 45), bar(3, 54), bar(4, 27)],
  };

  it('"drop": keeps only rows where every symbol has a return from the previous bar', () => {
    const aligned = alignReturns(closes, { barMs: HOUR_MS, kind: "simple" });
    expect(aligned.symbols).toEqual(["A", "B"]);
    // The span is bars 0..4; B's missing bar 2 removes the returns into 2 and into 3.
    expect(aligned.timestamps).toEqual([T0 + HOUR_MS, T0 + 4 * HOUR_MS]);
    expect(aligned.rows[0]![0]).toBeCloseTo(0.1, 12);
    expect(aligned.rows[0]![1]).toBeCloseTo(-0.1, 12);
    expect(aligned.rows[1]![0]).toBeCloseTo(0.1, 12);
    expect(aligned.rows[1]![1]).toBeCloseTo(-0.5, 12);
    expect(aligned.missingBars).toEqual({ A: 0, B: 1 });
    expect(aligned.droppedRows).toBe(2);
    expect(aligned.problem).toBeNull();
  });

  it('"carry": a missing bar repeats the close, so the move lands on the next bar', () => {
    const aligned = alignReturns(closes, { barMs: HOUR_MS, kind: "log", missing: "carry" });
    expect(aligned.timestamps).toEqual([1, 2, 3, 4].map((k) => T0 + k * HOUR_MS));
    const b = aligned.rows.map((r) => r[1]);
    expect(b[0]).toBeCloseTo(Math.log(45 / 50), 12);
    expect(b[1]).toBe(0);
    expect(b[2]).toBeCloseTo(Math.log(54 / 45), 12);
    expect(aligned.missingBars).toEqual({ A: 0, B: 1 });
    expect(aligned.droppedRows).toBe(0);
  });

  it('"carry" starts each symbol from its last close at or before the common start', () => {
    const aligned = alignReturns({ A: [bar(0, 100), bar(2, 110)], B: [bar(1, 10), bar(2, 11)] }, { barMs: HOUR_MS, kind: "simple", missing: "carry" });
    expect(aligned.timestamps).toEqual([T0 + 2 * HOUR_MS]);
    expect(aligned.rows[0]![0]).toBeCloseTo(0.1, 12);
    expect(aligned.rows[0]![1]).toBeCloseTo(0.1, 12);
  });

  it.each([
    ["a symbol without bars", { A: [bar(0, 1), bar(1, 2)], B: [] }, "B has no bars."],
    ["no overlap", { A: [bar(0, 1)], B: [bar(5, 2)] }, "The symbols' bars do not overlap by two bars or more."],
  ])("says why nothing is usable: %s", (_label, input, problem) => {
    const aligned = alignReturns(input, { barMs: HOUR_MS });
    expect(aligned.problem).toBe(problem);
    expect(aligned.rows).toEqual([]);
  });

  it("aligns ten recorded symbols at 1h; ADA's 170-minute outage on 01-15 shows as missing bars", () => {
    const coins = ["ada", "dash", "etc", "eth", "ltc", "nxt", "powr", "xlm", "xmr", "zec"];
    const hourly = Object.fromEntries(coins.map((c) => [c, resampleCandles(loadCandles(c), HOUR_MS)]));
    const aligned = alignReturns(hourly, { barMs: HOUR_MS });
    expect(aligned.missingBars.ada).toBeGreaterThanOrEqual(2);
    // 2018-01-10 04:00 → 01-30 04:00: twenty days of hourly steps.
    expect(aligned.rows.length + aligned.droppedRows).toBe(480);
    expect(aligned.rows.length).toBeGreaterThan(470);
    for (const row of aligned.rows) for (const r of row) expect(Number.isFinite(r)).toBe(true);
    for (const ts of aligned.timestamps) expect(ts % HOUR_MS).toBe(0);
  });
});

describe("windowReturns", () => {
  // The rows a covariance over the window reads (the last `window`) must be those of the whole history's alignment,
  // whatever gaps the symbols have: the recent bars are tried first, the whole history when they hold too few rows.
  const fullRows = (history: MarketHistory, symbols: string[], barMs: number, until: number) => {
    const closes = history.closes(symbols);
    const bars = Object.fromEntries(symbols.map((s) => [s, resampleCandles(closes[s]!, barMs, { completeBefore: until })]));
    return alignReturns(bars, { barMs, symbols });
  };

  it("gives the whole history's last `window` rows, with gaps of any length in any symbol", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 3 }),
        fc.integer({ min: 2, max: 20 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 890 }), fc.integer({ min: 1, max: 120 })), { maxLength: 4 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (symbolCount, window, gaps, seed) => {
          const symbols = ["A/BTC", "B/BTC", "C/BTC"].slice(0, symbolCount);
          const history = new MarketHistory({ barMs: M5, maxBars: 2_000 });
          let x = seed;
          for (let i = 0; i < 900; i++) {
            for (const [k, symbol] of symbols.entries()) {
              // A gap: `length` bars of symbol k missing from bar `from` on.
              if (gaps.some(([g, from, length]) => g === k && i >= from && i < from + length)) continue;
              x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
              history.addCandle(symbol, { ts: T0 + i * M5, open: 1, high: 2, low: 0.5, close: 1 + x / 2_147_483_648 });
            }
          }
          const until = history.observedUntil()!;
          const recent = windowReturns(history, symbols, { barMs: HOUR_MS, window, until });
          const full = fullRows(history, symbols, HOUR_MS, until);
          expect(recent.problem).toBe(full.problem);
          expect(recent.rows.slice(-window)).toEqual(full.rows.slice(-window));
          expect(recent.timestamps.slice(-window)).toEqual(full.timestamps.slice(-window));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("reads only the recent bars when they hold the window", () => {
    const history = new MarketHistory({ barMs: M5, maxBars: 20_000 });
    for (let i = 0; i < 12 * 24 * 30; i++)
      for (const s of ["A/BTC", "B/BTC"]) history.addCandle(s, { ts: T0 + i * M5, open: 1, high: 1, low: 1, close: 1 + (i % 7) / 100 });
    const since: number[] = [];
    const spy = { closes: (symbols: readonly string[], from = -Infinity) => (since.push(from), history.closes(symbols, from)) };
    const until = history.observedUntil()!;
    const out = windowReturns(spy, ["A/BTC", "B/BTC"], { barMs: HOUR_MS, window: 120, until });
    expect(since).toEqual([(Math.floor(until / HOUR_MS) - 122) * HOUR_MS]);
    expect(out.rows.length).toBeGreaterThanOrEqual(120);
    expect(out.rows.length).toBeLessThan(130); // not 30 days of hours
  });
});

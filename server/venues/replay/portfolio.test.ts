import path from "node:path";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../core/clock";
import { FakeScheduler } from "../../../test/replay/fake-scheduler";
import { type Candle, loadCandlesCsv } from "./csv";
import { RECORDED_SETS, alignCandleSets, checkFileSymbol, symbolOfFile } from "./portfolio";
import { ReplayFeed, type ReplayUpdate } from "./replay-feed";

const BAR = 300_000;

function bars(start: number, n: number): Candle[] {
  return Array.from({ length: n }, (_, i) => ({ ts: start + i * BAR, open: 1, high: 1, low: 1, close: 1, volume: 1 }));
}

describe("a file's symbol", () => {
  it.each([
    ["data/market/portfolio/eth-btc_5m_bittrex_2018-01-10_2018-01-30.csv", "ETH/BTC"],
    ["/abs/btc-usdt_5m_2023-01-02_2023-02-09.csv", "BTC/USDT"],
    ["BTC-USDC_1m_binanceus.csv", "BTC/USDC"],
    ["candles.csv", null],
  ])("%s → %s", (file, symbol) => {
    expect(symbolOfFile(file)).toBe(symbol);
  });

  it("refuses a file named for another symbol, by name", () => {
    expect(() => checkFileSymbol("data/market/portfolio/eth-btc_5m_x.csv", "LTC/BTC")).toThrow(
      "REPLAY_SYMBOL_MISMATCH: eth-btc_5m_x.csv holds ETH/BTC, not LTC/BTC",
    );
    expect(() => checkFileSymbol("candles.csv", "BTC/USDT")).toThrow(
      /does not say which symbol it holds; name it <base>-<quote>_<bar>_….csv \(for BTC\/USDT: btc-usdt_…\)/,
    );
    expect(() => checkFileSymbol("btc-usdt_5m.csv", "BTC/USDT:USDT")).not.toThrow();
  });
});

describe("aligning recorded sets", () => {
  it("trims every set to the common window, keeping real gaps", () => {
    const gappy = bars(0, 10).filter((_, i) => i !== 4);
    const aligned = alignCandleSets([
      { symbol: "A/BTC", candles: bars(2 * BAR, 10) },
      { symbol: "B/BTC", candles: gappy },
    ]);
    expect(aligned.map((s) => [s.candles[0]!.ts, s.candles.at(-1)!.ts])).toEqual([
      [2 * BAR, 9 * BAR],
      [2 * BAR, 9 * BAR],
    ]);
    expect(aligned[1]!.candles).toHaveLength(7); // bars 2..9 without 4
  });

  it("refuses sets that never overlap, saying when each was recorded", () => {
    expect(() =>
      alignCandleSets([
        { symbol: "A/BTC", candles: bars(0, 3) },
        { symbol: "B/BTC", candles: bars(10 * BAR, 3) },
      ]),
    ).toThrow(/do not overlap in time.*A\/BTC 1970-01-01 00:00 → 1970-01-01 00:10; B\/BTC/);
    expect(() => alignCandleSets([])).toThrow("REPLAY_NO_DATA");
  });

  it("the shipped portfolio set loads, each file is its symbol, and trimmed sets share one window", () => {
    const set = RECORDED_SETS.portfolio;
    const loaded = set.files.map((file) => {
      const symbol = symbolOfFile(file)!;
      checkFileSymbol(file, symbol);
      return { symbol, candles: loadCandlesCsv(path.resolve(file)) };
    });
    expect(loaded.map((s) => s.symbol)).toEqual([
      "ADA/BTC",
      "DASH/BTC",
      "ETC/BTC",
      "ETH/BTC",
      "LTC/BTC",
      "NXT/BTC",
      "POWR/BTC",
      "XLM/BTC",
      "XMR/BTC",
      "ZEC/BTC",
    ]);
    const aligned = alignCandleSets(loaded);
    const windows = new Set(aligned.map((s) => `${s.candles[0]!.ts}-${s.candles.at(-1)!.ts}`));
    expect(windows.size).toBe(1);
    expect(aligned.every((s) => s.candles.length > 5_600)).toBe(true);
    const eth = set.instrument("ETH/BTC");
    expect([eth.quote, eth.priceTick.toString(), eth.minNotional.toString(), eth.takerFee.toString()]).toEqual(["BTC", "0.00000001", "0.0005", "0.0025"]);
  });

  it("feeds of aligned sets on one clock stay aligned across a loop, even with a gap in one of them", () => {
    const aligned = alignCandleSets([
      { symbol: "A/BTC", candles: bars(0, 6) },
      { symbol: "B/BTC", candles: bars(0, 6).filter((_, i) => i !== 2) },
    ]);
    const clock = new ManualClock(1_000_000);
    const scheduler = new FakeScheduler(clock);
    const got: ReplayUpdate[] = [];
    const feeds = aligned.map(
      (s) =>
        new ReplayFeed({
          symbol: s.symbol,
          source: { kind: "candles", candles: s.candles, barMs: BAR },
          speed: 300,
          loop: true,
          expandIntraBar: false,
          clock,
          scheduler,
          onUpdate: (u) => got.push(u),
        }),
    );
    feeds.forEach((f) => f.start());
    scheduler.advance(6 * 1_000 * 2 + 500); // two passes of six bars at one bar a second
    const at = (symbol: string) => got.filter((u) => u.symbol === symbol).map((u) => `${u.loop}:${u.recordedTs}@${u.ts}`);
    const a = at("A/BTC");
    const b = at("B/BTC");
    // B misses bar 2 in each pass; every other bar comes at the same desk time as A's, in both passes.
    expect(b).toEqual(a.filter((entry) => !entry.startsWith("0:600000@") && !entry.startsWith("1:600000@")));
    expect(a.filter((e) => e.startsWith("1:"))).toHaveLength(6);
  });
});

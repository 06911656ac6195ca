import { describe, expect, it } from "vitest";
import { pickMark, recordedUsdtMark } from "./recorded-marks";

const bar = (ts: number, close: number) => ({ ts, open: close, high: close, low: close, close, volume: 1 });
const candles = [bar(1000, 10), bar(1300, 11), bar(1600, 12)];

describe("recorded conversion marks", () => {
  it.each([
    [500, 10, false],
    [1000, 10, true],
    [1299, 10, true],
    [1300, 11, true],
    [1700, 12, true],
    [1900, 12, false],
  ] as const)("at %i the mark is the close %d (covers: %s)", (at, close, covers) => {
    const picked = pickMark(candles, at)!;
    expect([picked.candle.close, picked.covers]).toEqual([close, covers]);
  });

  it("has no mark without candles", () => expect(pickMark([], 1)).toBeNull());

  it("converts a BTC desk at the shipped BTC/USDT series, saying when it stands in for an unrecorded time", () => {
    // January 2018 (the portfolio replay): no BTC/USDT is recorded then, so the earliest shipped bar stands in.
    const jan2018 = Date.UTC(2018, 0, 20);
    const mark = recordedUsdtMark("BTC", jan2018)!;
    expect(mark).toMatchObject({ pair: "BTC/USDT", file: "data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv", covers: false, price: 16726.1 });
    expect(mark.ts).toBe(1672677900000);
    const inside = recordedUsdtMark("BTC", 1672678200000 + 60_000)!;
    expect(inside).toMatchObject({ covers: true, price: 16707.5 });
    expect(recordedUsdtMark("USDT", jan2018)).toBeNull();
    expect(recordedUsdtMark("XMR", jan2018)).toBeNull();
  });
});

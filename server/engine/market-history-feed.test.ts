import { describe, expect, it } from "vitest";
import { MINUTE_MS } from "../core/clock";
import { loadCandlesCsv } from "../venues/replay/csv";
import { iterateCandles, type ReplayUpdate } from "../venues/replay/replay-feed";
import { createMarketHistory, MARKET_HISTORY_BAR_MS, recordFeedUpdate, ReplayHistoryFeed } from "./market-history-feed";

const ETH = loadCandlesCsv("data/market/portfolio/eth-btc_5m_bittrex_2018-01-10_2018-01-30.csv");
const FIVE = 5 * MINUTE_MS;

describe("ReplayHistoryFeed", () => {
  it("pre-fills the rows before the start and the previous pass (rebased), so the history is full at once", () => {
    const history = createMarketHistory(10);
    const start = 100;
    new ReplayHistoryFeed(history, "ETH/BTC", ETH, { startIndex: start, rebaseOnLoop: true });
    const bars = history.barsOf("ETH/BTC");
    expect(bars).toHaveLength(history.maxBars);
    // The newest pre-filled bar is the row just before the start, as recorded.
    expect(bars[bars.length - 1]).toMatchObject({ ts: ETH[start - 1]!.ts, close: ETH[start - 1]!.close });
    // Before the first recorded row: the recording's end, one span earlier, divided by the loop's ratio.
    const span = ETH[ETH.length - 1]!.ts + FIVE - ETH[0]!.ts;
    const ratio = ETH[ETH.length - 1]!.close / ETH[0]!.open;
    const beforeFirst = bars.filter((b) => b.ts < ETH[0]!.ts);
    const lastOfPrevious = ETH[ETH.length - 1]!;
    expect(beforeFirst[beforeFirst.length - 1]!.ts).toBe(lastOfPrevious.ts - span);
    expect(beforeFirst[beforeFirst.length - 1]!.close).toBeCloseTo(lastOfPrevious.close / ratio, 12);
    // So the seam is continuous: the previous pass ends where the first recorded bar opens.
    expect(beforeFirst[beforeFirst.length - 1]!.close).toBeCloseTo(ETH[0]!.open, 12);
  });

  it("without the previous pass holds exactly the rows before the start", () => {
    const history = createMarketHistory(10);
    new ReplayHistoryFeed(history, "ETH/BTC", ETH, { startIndex: 100, rebaseOnLoop: true, previousPass: false });
    expect(history.barsOf("ETH/BTC").map((b) => b.ts)).toEqual(ETH.slice(0, 100).map((c) => c.ts));
  });

  it("keeps only the played candles (not their ticks), at recorded time shifted by the loops", () => {
    const history = createMarketHistory(1);
    const feed = new ReplayHistoryFeed(history, "ETH/BTC", ETH, { startIndex: 0, rebaseOnLoop: false });
    const played = [...iterateCandles(ETH.slice(0, 3), { symbol: "ETH/BTC", barMs: FIVE })].map((x) => x.update);
    for (const update of played) feed.onUpdate(update);
    expect(played.filter((u) => u.kind !== "candle").length).toBeGreaterThan(0);
    const bars = history.barsOf("ETH/BTC");
    expect(bars.slice(-3).map((b) => [b.ts, b.close])).toEqual(ETH.slice(0, 3).map((c) => [c.ts, c.close]));
    // The same row in the second pass lands one span later, not on top of the first pass.
    const span = ETH[ETH.length - 1]!.ts + FIVE - ETH[0]!.ts;
    const second = { ...played.find((u) => u.kind === "candle")!, loop: 1 } as ReplayUpdate;
    feed.onUpdate(second);
    expect(history.barsOf("ETH/BTC").at(-1)!.ts).toBe(ETH[0]!.ts + span);
  });
});

describe("recordFeedUpdate", () => {
  it("stores a feed's candles at the exchange's bar time and its trades at their time; quotes are not prices traded", () => {
    const history = createMarketHistory(1);
    const t = Date.UTC(2024, 0, 1, 12);
    recordFeedUpdate(history, { kind: "candle", symbol: "BTC/USDT", open: 10, high: 12, low: 9, close: 11, volume: 3, exchangeTs: t }, t + FIVE + 500);
    recordFeedUpdate(history, { kind: "trade", symbol: "ETH/USDT", price: 2000, qty: 1 }, t + 1000);
    recordFeedUpdate(history, { kind: "quote", symbol: "XRP/USDT", bid: 1, ask: 1.1 }, t + 1000);
    expect(history.barsOf("BTC/USDT")).toEqual([{ ts: t, open: 10, high: 12, low: 9, close: 11, volume: 3 }]);
    expect(history.barsOf("ETH/USDT")).toEqual([{ ts: t, open: 2000, high: 2000, low: 2000, close: 2000, volume: 1 }]);
    expect(history.symbols()).toEqual(["BTC/USDT", "ETH/USDT"]);
    expect(history.barMs).toBe(MARKET_HISTORY_BAR_MS);
  });
});

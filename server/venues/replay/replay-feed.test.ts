import { describe, expect, it } from "vitest";
import { ManualClock } from "../../core/clock";
import { fmt, makeVenue } from "../../../test/sim/core-helpers";
import { type Candle, type RecordedTrade, loadCandlesCsv, recordedFilePath } from "./csv";
import { FakeScheduler } from "../../../test/replay/fake-scheduler";
import { ReplayFeed, type ReplayFeedOptions, type ReplayUpdate, iterateCandles } from "./replay-feed";

const BAR = 300_000; // 5 minutes
const T0 = 1_700_000_000_000; // desk time at start

function candles(n: number, start = 1_000_000): Candle[] {
  return Array.from({ length: n }, (_, i) => ({ ts: start + i * BAR, open: 100 + i, high: 102 + i, low: 99 + i, close: 101 + i, volume: 8 }));
}

function setup(overrides: Partial<ReplayFeedOptions> & Pick<ReplayFeedOptions, "source">, lateBy?: () => number) {
  const clock = new ManualClock(T0);
  const scheduler = new FakeScheduler(clock, lateBy);
  const got: { update: ReplayUpdate; now: number }[] = [];
  const feed = new ReplayFeed({
    symbol: "BTC/USDT",
    speed: 60,
    loop: false,
    expandIntraBar: false,
    clock,
    scheduler,
    onUpdate: (update, now) => got.push({ update, now }),
    ...overrides,
  });
  return { clock, scheduler, got, feed, times: () => got.map((g) => g.now - T0) };
}

describe("ReplayFeed timing", () => {
  it("plays a 5-minute bar every 5 s at speed 60, each update stamped with the desk time and its recorded time", () => {
    const { scheduler, got, feed, times } = setup({ source: { kind: "candles", candles: candles(3) } });
    feed.start();
    scheduler.advance(4_999);
    expect(times()).toEqual([0]);
    scheduler.advance(1);
    expect(times()).toEqual([0, 5_000]);
    scheduler.advance(60_000);
    expect(times()).toEqual([0, 5_000, 10_000]);
    expect(got[1]!.update).toEqual({
      kind: "candle",
      symbol: "BTC/USDT",
      open: 101,
      high: 103,
      low: 100,
      close: 102,
      volume: 8,
      ts: T0 + 5_000,
      recordedTs: 1_000_000 + BAR,
      index: 1,
      loop: 0,
    });
    expect(got.every((g) => g.update.ts === g.now)).toBe(true);
  });

  it.each([
    [1, [0, 300_000, 600_000]],
    [300, [0, 1_000, 2_000]],
    [600, [0, 500, 1_000]],
    [7, [0, 42_858, 85_715]], // 300 000 / 7 = 42 857.14…: never early, rounded up to the ms
  ])("at speed %d the bars come at %j ms", (speed, expected) => {
    const { scheduler, feed, times } = setup({ source: { kind: "candles", candles: candles(3) }, speed });
    feed.start();
    scheduler.advance(10_000_000);
    expect(times()).toEqual(expected);
  });

  it("does not drift when every timer fires late: each emit stays on its anchor", () => {
    const { scheduler, feed, times } = setup({ source: { kind: "candles", candles: candles(200) } }, () => 7);
    feed.start();
    scheduler.advance(2_000_000);
    const t = times();
    expect(t).toHaveLength(200);
    // accumulating delays would put the last one 199 × 7 ms late
    t.forEach((at, k) => expect(at - k * 5_000).toBe(7));
  });

  it("catches up after a stall, at most maxBurst per firing", () => {
    const { clock, scheduler, feed, got } = setup({ source: { kind: "candles", candles: candles(10) }, maxBurst: 3 });
    feed.start();
    scheduler.runNext(); // t=0
    clock.advance(20_000); // the event loop was blocked for 20 s: 4 more bars are due
    scheduler.runNext();
    expect(got.map((g) => g.update.index)).toEqual([0, 1, 2, 3]);
    expect(scheduler.nextDue()).toBe(T0 + 20_000); // the rest follows at once
    scheduler.runNext();
    expect(got.map((g) => g.update.index)).toEqual([0, 1, 2, 3, 4]);
    expect(got.slice(1).every((g) => g.now === T0 + 20_000)).toBe(true);
    expect(scheduler.nextDue()).toBe(T0 + 25_000); // and the schedule is back on its anchor
  });

  it("starts at startIndex and finishes a non-looping replay", () => {
    const { scheduler, feed, got } = setup({ source: { kind: "candles", candles: candles(5) }, startIndex: 3 });
    feed.start();
    scheduler.advance(1_000_000);
    expect(got.map((g) => g.update.index)).toEqual([3, 4]);
    expect(feed.status()).toMatchObject({
      playing: false,
      finished: true,
      position: 5,
      total: 5,
      loops: 0,
      emitted: 2,
      lastUpdateAt: T0 + 5_000,
      lastRecordedTs: 1_000_000 + 4 * BAR,
    });
    expect(scheduler.pending).toBe(0);
  });
});

describe("ReplayFeed stop, resume and speed", () => {
  it("stop() cancels the timer; start() resumes from the recorded moment it left", () => {
    const { clock, scheduler, feed, times } = setup({ source: { kind: "candles", candles: candles(4) } });
    feed.start();
    scheduler.advance(7_500); // bars at 0 and 5 000; 2 500 ms into the wait for the third
    feed.stop();
    expect(scheduler.pending).toBe(0);
    expect(feed.status()).toMatchObject({ playing: false, finished: false, position: 2 });
    clock.advance(3_600_000);
    expect(times()).toEqual([0, 5_000]);
    feed.start();
    scheduler.advance(2_499);
    expect(times()).toHaveLength(2);
    scheduler.advance(1);
    expect(times()).toEqual([0, 5_000, 3_610_000]);
    scheduler.advance(5_000);
    expect(times()).toEqual([0, 5_000, 3_610_000, 3_615_000]);
  });

  it("stop() from inside onUpdate stops at once", () => {
    const clock = new ManualClock(T0);
    const scheduler = new FakeScheduler(clock);
    const seen: number[] = [];
    const feed: ReplayFeed = new ReplayFeed({
      symbol: "BTC/USDT",
      source: { kind: "candles", candles: candles(5) },
      speed: 60,
      loop: false,
      clock,
      scheduler,
      onUpdate: (u) => {
        seen.push(u.index);
        if (u.index === 1 && u.kind === "candle") feed.stop();
      },
    });
    feed.start();
    scheduler.advance(1_000_000);
    expect(seen.filter((_, i, all) => all.indexOf(seen[i]!) === i)).toEqual([0, 1]);
    expect(scheduler.pending).toBe(0);
  });

  it("setSpeed keeps the recorded moment reached and changes the pace from now", () => {
    const { scheduler, feed, times } = setup({ source: { kind: "candles", candles: candles(4) } });
    feed.start();
    scheduler.advance(2_500); // half-way to the second bar
    feed.setSpeed(300); // the remaining 150 s of recorded time take 500 ms
    scheduler.advance(100_000);
    expect(times()).toEqual([0, 3_000, 4_000, 5_000]);
    expect(feed.status().speed).toBe(300);
  });

  it("keeps playing when onUpdate throws, and reports it", () => {
    const errors: string[] = [];
    const { scheduler, feed } = setup({
      source: { kind: "candles", candles: candles(3) },
      onUpdate: (u) => {
        if (u.index === 1) throw new Error("boom");
      },
      onError: (e) => errors.push((e as Error).message),
    });
    feed.start();
    scheduler.advance(100_000);
    expect(feed.status()).toMatchObject({ emitted: 3, errors: 1, lastError: "boom", finished: true });
    expect(errors).toEqual(["boom"]);
  });
});

describe("ReplayFeed looping", () => {
  it("starts again at row 0 and keeps the pace across the seam; prices restart as recorded", () => {
    const { scheduler, feed, got, times } = setup({ source: { kind: "candles", candles: candles(3) }, loop: true, startIndex: 1 });
    feed.start();
    scheduler.advance(30_000);
    expect(got.map((g) => `${g.update.loop}:${g.update.index}`)).toEqual(["0:1", "0:2", "1:0", "1:1", "1:2", "2:0", "2:1"]);
    expect(times()).toEqual([0, 5_000, 10_000, 15_000, 20_000, 25_000, 30_000]);
    expect(got[2]!.update).toMatchObject({ kind: "candle", open: 100, recordedTs: 1_000_000 });
    expect(feed.status()).toMatchObject({ playing: true, loops: 2, position: 2, finished: false });
  });

  it("rebases each pass onto the previous pass's last close", () => {
    // first open 100, last close 102: pass k is scaled by 1.02^k
    const { scheduler, feed, got } = setup({ source: { kind: "candles", candles: candles(2) }, loop: true, rebaseOnLoop: true, priceTick: 0.01 });
    feed.start();
    scheduler.advance(25_000);
    const bars = got.map((g) => g.update).filter((u) => u.kind === "candle");
    expect(bars.map((b) => [b.loop, b.open, b.close])).toEqual([
      [0, 100, 101],
      [0, 101, 102],
      [1, 102, 103.02],
      [1, 103.02, 104.04],
      [2, 104.04, 105.08],
      [2, 105.08, 106.12],
    ]);
  });

  it("replays trades at their recorded pace, trades sharing a timestamp together, then loops with the gap", () => {
    const trades: RecordedTrade[] = [
      { ts: 10_000, tradeId: "a", price: 50, qty: 1, aggressor: "BUY" },
      { ts: 10_000, tradeId: "b", price: 49, qty: 2, aggressor: "SELL" },
      { ts: 13_000, tradeId: "c", price: 51, qty: 1, aggressor: "BUY" },
    ];
    const { scheduler, got, feed, times } = setup({ source: { kind: "trades", trades }, speed: 2, loop: true, loopGapMs: 1_000 });
    feed.start();
    scheduler.advance(2_000);
    expect(times()).toEqual([0, 0, 1_500, 2_000, 2_000]);
    expect(got[1]!.update).toEqual({
      kind: "trade",
      symbol: "BTC/USDT",
      price: 49,
      qty: 2,
      aggressor: "SELL",
      tradeId: "b",
      recordedTs: 10_000,
      index: 1,
      loop: 0,
      ts: T0,
    });
    expect(feed.status()).toMatchObject({ source: "trades", loops: 1 });
  });
});

describe("intrabar expansion", () => {
  function bars(expandOptions: Partial<ReplayFeedOptions>, bar: Candle) {
    const { scheduler, feed, got, times } = setup({ source: { kind: "candles", candles: [bar], barMs: BAR }, expandIntraBar: true, ...expandOptions });
    feed.start();
    scheduler.advance(10_000);
    return { got, times: times() };
  }

  it("plays an up bar open → low → high → close as quote + trade pairs at 0, ¼, ½, ¾ of the bar, then the candle", () => {
    const { got, times } = bars({ priceTick: 0.01 }, { ts: 0, open: 20_000, high: 20_100, low: 19_950, close: 20_050, volume: 4 });
    expect(
      got.map(({ update: u }) =>
        u.kind === "quote"
          ? `q ${u.point} ${u.bid}/${u.ask}`
          : u.kind === "trade"
            ? `t ${u.point} ${u.price}x${u.qty} ${u.aggressor ?? "-"}`
            : `${u.kind} expanded=${u.expanded}`,
      ),
    ).toEqual([
      "q open 19999/20001", // 1 bp wide: 0.5 bp (1 USDT at 20 000) each side
      "t open 20000x1 -",
      "q low 19949/19951", // 19 949.0025 / 19 950.9975, rounded outwards to the 0.01 tick
      "t low 19950x1 SELL",
      "q high 20098.99/20101.01",
      "t high 20100x1 BUY",
      "q close 20048.99/20051.01",
      "t close 20050x1 SELL",
      "candle expanded=true",
    ]);
    expect(times).toEqual([0, 0, 1_250, 1_250, 2_500, 2_500, 3_750, 3_750, 5_000]);
  });

  it("plays a down bar through its high first", () => {
    const { got } = bars({ intraBarTicks: "trades" }, { ts: 0, open: 100, high: 101, low: 98, close: 99, volume: 2 });
    expect(got.map(({ update: u }) => (u.kind === "trade" ? `${u.point} ${u.price}` : u.kind))).toEqual([
      "open 100",
      "high 101",
      "low 98",
      "close 99",
      "candle",
    ]);
  });

  it("quotes only, without tick rounding, spread as given", () => {
    const { got } = bars({ intraBarTicks: "quotes", spreadBps: 10 }, { ts: 0, open: 100, high: 100, low: 100, close: 100, volume: 0 });
    const quotes = got.filter((g) => g.update.kind === "quote").map((g) => g.update);
    expect(quotes).toHaveLength(4);
    expect(quotes[0]).toMatchObject({ bid: 99.95, ask: 100.05 });
  });

  it("adds evenly spaced steps along each leg with stepsPerLeg", () => {
    const { got, times } = bars({ intraBarTicks: "trades", stepsPerLeg: 2 }, { ts: 0, open: 100, high: 104, low: 98, close: 99, volume: 7 });
    expect(got.map(({ update: u }) => (u.kind === "trade" ? `${u.point} ${u.price} ${u.qty}` : u.kind))).toEqual([
      "open 100 1",
      "path 102 1",
      "high 104 1",
      "path 101 1",
      "low 98 1",
      "path 98.5 1",
      "close 99 1",
      "candle",
    ]);
    expect(times.slice(0, 3).map((t) => Math.round(t))).toEqual([0, 715, 1_429]); // 5 000 ms / 7 points, rounded up to the ms
  });

  it.each([
    // stepsPerLeg, what a SELL stop at 29 800 (LAST) gets on a bar 30 000 → 30 050 → 29 700 → 29 900
    [1, ["stop accept t0", "trade low stop fill 1@29700 fee 59.4 TAKER sim-1 t150000"]],
    [5, ["stop accept t0", "trade path stop fill 1@29770 fee 59.54 TAKER sim-1 t168750"]],
  ] as [number, string[]][])("lets a LAST-price stop trigger inside the bar on a simulated venue (stepsPerLeg %d)", (stepsPerLeg, expected) => {
    const venue = makeVenue();
    const bar: Candle = { ts: 0, open: 30_000, high: 30_050, low: 29_700, close: 29_900, volume: 40 };
    const out = venue
      .submit({ clientOrderId: "stop", symbol: "BTC/USDT", side: "SELL", type: "STOP_MARKET", quantity: "1", triggerPrice: "29800" }, 0)
      .map(fmt);
    for (const { at, update } of iterateCandles([bar], { symbol: "BTC/USDT", barMs: BAR, priceTick: 0.01, stepsPerLeg })) {
      if (update.kind === "candle" && update.expanded) continue; // already matched through its ticks
      out.push(...venue.onMarketData(update, at).map((e) => `${update.kind} ${update.point} ${fmt(e)}`));
    }
    expect(out).toEqual(expected);
  });
});

describe("iterateCandles", () => {
  it("yields what the feed plays at speed 1, at the recorded times", () => {
    const series = candles(3);
    const iterated = [...iterateCandles(series, { symbol: "BTC/USDT" })];
    expect(iterated).toHaveLength(27);
    expect(iterated[8]).toEqual({
      at: 1_000_000 + BAR,
      update: expect.objectContaining({ kind: "candle", expanded: true, ts: 1_000_000 + BAR, index: 0 }) as unknown,
    });
    const { scheduler, feed, got } = setup({ source: { kind: "candles", candles: series }, speed: 1, expandIntraBar: true });
    feed.start();
    scheduler.advance(10 * BAR);
    expect(got.map((g) => ({ ...g.update, ts: g.update.ts - T0 }))).toEqual(iterated.map(({ update }) => ({ ...update, ts: update.ts - 1_000_000 })));
  });

  it("iterates the recorded file without expansion: one candle per row at its close", () => {
    const series = loadCandlesCsv(recordedFilePath("btcUsdt5m"));
    let count = 0;
    let last = 0;
    let ordered = true;
    for (const { at, update } of iterateCandles(series, { symbol: "BTC/USDT", expandIntraBar: false })) {
      ordered &&= at > last;
      last = at;
      count += update.kind === "candle" ? 1 : 0;
    }
    expect(ordered).toBe(true);
    expect(count).toBe(10_999);
    expect(last).toBe(series.at(-1)!.ts + BAR);
  });
});

describe("options", () => {
  const clock = new ManualClock(0);
  const base = { symbol: "X", loop: false, speed: 60, clock, scheduler: new FakeScheduler(clock), onUpdate: () => undefined };
  it.each([
    [{ source: { kind: "candles", candles: [] } }, "REPLAY_NO_DATA: the candles recording for X has no rows."],
    [
      { speed: 0, source: { kind: "candles", candles: candles(2) } },
      "REPLAY_BAD_OPTION: speed must be a positive number (60 plays one recorded minute per second), got 0.",
    ],
    [{ startIndex: 2, source: { kind: "candles", candles: candles(2) } }, "REPLAY_BAD_OPTION: startIndex must be a row number from 0 to 1, got 2."],
    [{ source: { kind: "candles", candles: candles(1) } }, "REPLAY_BAD_OPTION: a single candle needs barMs: its bar length cannot be inferred."],
    [{ stepsPerLeg: 0, source: { kind: "candles", candles: candles(2) } }, "REPLAY_BAD_OPTION: stepsPerLeg must be a whole number from 1 to 100, got 0."],
    [{ spreadBps: -1, source: { kind: "candles", candles: candles(2) } }, "REPLAY_BAD_OPTION: spreadBps must be a number of basis points ≥ 0, got -1."],
  ] as [Partial<ReplayFeedOptions>, string][])("refuses %j", (options, message) => {
    expect(() => new ReplayFeed({ ...base, ...options } as ReplayFeedOptions)).toThrow(message);
  });
});

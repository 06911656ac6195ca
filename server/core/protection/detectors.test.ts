/**
 * Edges the recorded data does not show: re-arming, out-of-order points, a −0 scratch, the overload rule (no
 * recorded load exists: the samples here are made up) and the Protections facade.
 */
import { describe, expect, it } from "vitest";
import { D } from "../money";
import { FlashMoveDetector } from "./flash-move";
import { SystemOverloadDetector } from "./overload";
import { formatPrice } from "./types";
import { Protections } from "./protections";
import { protectionSettingsSchema } from "./settings";
import { StaleDataDetector } from "./stale-data";
import { StrategyFailureDetector } from "./strategy-health";
import { VenueUnreachableDetector } from "./venue-health";

const settings = (input: object) => protectionSettingsSchema.parse(input);

describe("FlashMoveDetector", () => {
  it("fires on the tick that completes the move, once, then measures from that price", () => {
    const detector = new FlashMoveDetector(settings({}).flashMove);
    expect(detector.observe("BTC/USDT", 100, 0)).toBeNull();
    expect(detector.observe("BTC/USDT", 96, 30_000)).toBeNull();
    const firing = detector.observe("BTC/USDT", 95, 59_000);
    expect(firing).toMatchObject({ rule: "FLASH_MOVE", ts: 59_000, measured: -5, bound: 5, action: "LOCK_SYMBOL", lockMinutes: 30 });
    expect(firing!.message).toBe("BTC/USDT fell 5% within 59 s (from 100 to 95), reaching the 5% in 1 min limit.");
    expect(detector.observe("BTC/USDT", 94.9, 60_000)).toBeNull();
    // The window restarted at 95: its low is now 94.9, and 94.9 → 99.7 (+5.06%) fires again.
    expect(detector.observe("BTC/USDT", 99.6, 65_000)).toBeNull();
    expect(detector.observe("BTC/USDT", 99.7, 70_000)!.measured).toBeCloseTo(5.058, 3);
  });

  it("ignores a point older than the last one, and bad prices", () => {
    const detector = new FlashMoveDetector(settings({}).flashMove);
    detector.observe("S", 100, 10_000);
    expect(detector.observe("S", 50, 5_000)).toBeNull();
    expect(detector.observe("S", Number.NaN, 11_000)).toBeNull();
    expect(detector.observe("S", 0, 11_000)).toBeNull();
    expect(detector.observe("S", 99, 12_000)).toBeNull();
  });

  it("a move spread over more than the window does not fire", () => {
    const detector = new FlashMoveDetector(settings({}).flashMove);
    const fired = [100, 98, 96, 94, 92].map((price, i) => detector.observe("S", price, i * 61_000));
    expect(fired.every((f) => f === null)).toBe(true);
  });

  it("a disabled rule never fires", () => {
    const detector = new FlashMoveDetector(settings({ flashMove: { enabled: false } }).flashMove);
    detector.observe("S", 100, 0);
    expect(detector.observe("S", 50, 1)).toBeNull();
  });
});

describe("StaleDataDetector per (venue, symbol)", () => {
  const settings = () => protectionSettingsSchema.parse({ staleData: { maxSilenceSeconds: 30 } }).staleData;

  it("a series held on a venue is stale when that venue is silent, whatever another venue quotes", () => {
    const stale = new StaleDataDetector(settings());
    stale.recordData("S", 0, "a");
    stale.recordData("S", 0, "b");
    for (let t = 5_000; t <= 40_000; t += 5_000) stale.recordData("S", t, "b");
    const held = [
      { symbol: "S", venue: "a" },
      { symbol: "S", venue: "b" },
    ];
    expect(stale.check(40_000, held).map((f) => f.message)).toEqual([expect.stringContaining("No market data for S at a for 40 s")]);
    expect(stale.check(45_000, held)).toEqual([]); // once per silence
    expect([stale.freshAt("S", "a", 40_000), stale.freshAt("S", "b", 40_000)]).toEqual([false, true]);
    // Data for every venue counts for each venue's series; a venue never quoted on its own follows any source.
    stale.recordData("S", 50_000);
    expect([stale.freshAt("S", "a", 60_000), stale.freshAt("S", "c", 60_000)]).toEqual([true, true]);
    // The symbol as a whole (a desk with one venue) is as fresh as its latest data from any source.
    expect(stale.check(60_000, ["S"])).toEqual([]);
  });
});

describe("VenueUnreachableDetector", () => {
  it("an idle venue is not unreachable; a request left unanswered is", () => {
    const detector = new VenueUnreachableDetector(settings({ venueUnreachable: { maxSecondsWithoutSuccess: 60 } }).venueUnreachable);
    detector.recordSuccess("binance", 0);
    expect(detector.check(600_000)).toEqual([]);
    detector.recordAttempt("binance", 600_000);
    const [firing] = detector.check(600_000);
    expect(firing).toMatchObject({ rule: "VENUE_UNREACHABLE", scope: { kind: "venue", venue: "binance" }, action: "PAUSE_ENTRIES", lockMinutes: null });
    expect(detector.check(700_000)).toEqual([]);
    detector.recordSuccess("binance", 700_001);
    detector.recordAttempt("binance", 700_002);
    expect(detector.check(760_001)).toHaveLength(1);
  });

  it("the last error, already scrubbed by the caller, is quoted", () => {
    const detector = new VenueUnreachableDetector(settings({ venueUnreachable: { maxConsecutiveFailures: 2 } }).venueUnreachable);
    expect(detector.recordFailure("kraken", 1, "ECONNREFUSED")).toBeNull();
    expect(detector.recordFailure("kraken", 2, "HTTP 503")!.message).toBe(
      "2 requests to kraken failed in a row, reaching the limit of 2. Last error: HTTP 503",
    );
  });
});

describe("StrategyFailureDetector", () => {
  it("a −0 scratch neither extends nor ends a losing streak", () => {
    const detector = new StrategyFailureDetector(settings({ strategyFailure: { maxLosingStreak: 2 } }).strategyFailure);
    expect(detector.recordTrade("s", "-1", 1)).toEqual([]);
    expect(detector.recordTrade("s", D(0).negated(), 2)).toEqual([]);
    expect(detector.status("s")!.losingStreak).toBe(1);
    expect(detector.recordTrade("s", "-1", 3)).toHaveLength(1);
  });

  it("drawdown runs from the strategy's own peak, not from its start, exactly in decimals", () => {
    const detector = new StrategyFailureDetector(settings({ strategyFailure: { maxLosingStreak: null, maxDrawdownAbs: 0.3 } }).strategyFailure);
    expect(detector.recordTrade("s", "1.0", 1)).toEqual([]);
    expect(detector.recordTrade("s", "-0.1", 2)).toEqual([]);
    expect(detector.recordTrade("s", "-0.1", 3)).toEqual([]);
    // 1.0 − 0.3 is still +0.7 from the start; 0.3 below the peak fires (0.1 + 0.1 + 0.1 is exact here).
    const [firing] = detector.recordTrade("s", "-0.1", 4);
    expect(firing).toMatchObject({ rule: "STRATEGY_FAILURE", scope: { kind: "strategy", strategy: "s" }, action: "LOCK_SYMBOL", lockMinutes: 240 });
    expect(firing!.message).toBe("Strategy s is 0.3 below its own peak realized PnL of 1, reaching the 0.3 limit.");
    detector.reset("s");
    expect(detector.status("s")).toBeNull();
  });
});

describe("SystemOverloadDetector (made-up samples: no recorded load exists)", () => {
  it.each([
    { samples: [{ eventLoopLagMs: 10, queueDepth: 3 }], fired: [] as string[] },
    { samples: [{ eventLoopLagMs: 2_500, queueDepth: 3 }], fired: ["lag"] },
    { samples: [{ eventLoopLagMs: 10, queueDepth: 5_000 }], fired: ["queue"] },
    {
      samples: [
        { eventLoopLagMs: 2_500, queueDepth: 3 },
        { eventLoopLagMs: 3_000, queueDepth: 9_000 },
      ],
      fired: ["lag"],
    },
    {
      samples: [
        { eventLoopLagMs: 2_500, queueDepth: 3 },
        { eventLoopLagMs: 5, queueDepth: 3 },
        { eventLoopLagMs: 10, queueDepth: 6_000 },
      ],
      fired: ["lag", "queue"],
    },
  ])("$samples → $fired", ({ samples, fired }) => {
    const detector = new SystemOverloadDetector(settings({}).systemOverload);
    const firings = samples.flatMap((sample, i) => detector.observe(sample, i) ?? []);
    expect(firings.map((f) => (f.message.startsWith("The event loop") ? "lag" : "queue"))).toEqual(fired);
    expect(firings.every((f) => f.scope.kind === "desk" && f.action === "PAUSE_ENTRIES")).toBe(true);
  });
});

describe("Protections", () => {
  it("routes each input to its detectors and returns what fired", () => {
    const protections = new Protections({
      volatility: { enabled: true, maxVolatilityPct: 1, minSamples: 2, windowMinutes: 5 },
      staleData: { maxSilenceSeconds: 60 },
    });
    expect(protections.onPrice("S", 100, 0)).toEqual([]);
    expect(protections.onPrice("S", 100.5, 1_000)).toEqual([]);
    expect(protections.onPrice("S", 110, 2_000).map((f) => f.rule)).toEqual(["FLASH_MOVE", "VOLATILITY"]);
    expect(protections.check(61_999, ["S"])).toEqual([]);
    expect(protections.check(62_000, ["S"]).map((f) => f.rule)).toEqual(["STALE_DATA"]);
    expect(protections.onTradeClosed("m", "-1", 1).length + protections.onPrediction("m", false, 1).length).toBe(0);
    expect(protections.onLoad({ eventLoopLagMs: 9_999, queueDepth: 0 }, 1).map((f) => f.rule)).toEqual(["SYSTEM_OVERLOAD"]);
    protections.onVenueAttempt("v", 0);
    protections.onVenueSuccess("v", 0);
    expect(protections.onVenueFailure("v", 1, "x")).toEqual([]);
  });

  it("refuses bad settings", () => {
    expect(() => new Protections({ flashMove: { movePct: -1 } })).toThrow(/movePct/);
  });
});

describe("prices in protection messages", () => {
  it.each([
    [0.00010334999999999999, "0.00010335"],
    [0.026099999999999998, "0.0261"],
    [20000, "20000"],
    [16721.52, "16721.52"],
  ])("%s reads as %s", (value, shown) => {
    expect(formatPrice(value)).toBe(shown);
  });

  it("a flash move on a rebased float names the price a person would read", () => {
    const detector = new FlashMoveDetector(settings({}).flashMove);
    expect(detector.observe("XLM/BTC", 0.00010334999999999999, 0)).toBeNull();
    const firing = detector.observe("XLM/BTC", 0.00010334999999999999 * 1.06, 1_000);
    expect(firing?.message).toContain("(from 0.00010335 to 0.000109551)");
  });
});

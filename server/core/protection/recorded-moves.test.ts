/**
 * Every detector on recorded market data (/work/shared/data/market, see its README): each row names the file,
 * the recorded move (UTC) it finds and what it must not find. Bars are fed as one price per bar: the close, at
 * the bar's open timestamp. Expected timestamps were found by scanning the files with an independent script
 * (a brute-force window, no deque) and checked by eye against the candles.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { D, type Decimal } from "../money";
import { sequentialIds } from "../ids";
import { FlashMoveDetector } from "./flash-move";
import { LockBook } from "./locks";
import { Protections } from "./protections";
import { protectionSettingsSchema } from "./settings";
import { StaleDataDetector } from "./stale-data";
import { StrategyFailureDetector } from "./strategy-health";
import { type ProtectionFiring } from "./types";
import { VenueUnreachableDetector } from "./venue-health";
import { VolatilityDetector } from "./volatility";

const MARKET = "/work/shared/data/market";
const PORTFOLIO = (coin: string) => `${MARKET}/portfolio/${coin}-btc_5m_bittrex_2018-01-10_2018-01-30.csv`;
const BINANCE_US = (quote: string) => `${MARKET}/cross-venue/btc-${quote}_1m_binanceus_2023-03-01_2023-03-21.csv`;

interface Bar {
  ts: number;
  /** The close as written in the file: PnL is computed from it exactly. */
  close: string;
  volume: number;
}

const cache = new Map<string, Bar[]>();
function bars(file: string): Bar[] {
  let loaded = cache.get(file);
  if (!loaded) {
    const lines = readFileSync(file, "utf8").trim().split("\n");
    expect(lines[0]).toBe("ts,open,high,low,close,volume");
    loaded = lines.slice(1).map((line) => {
      const [ts, , , , close, volume] = line.split(",");
      return { ts: Number(ts), close: close!, volume: Number(volume) };
    });
    cache.set(file, loaded);
  }
  return loaded;
}

const utc = (iso: string) => Date.parse(`${iso}:00Z`);

function summary(firings: ProtectionFiring[]) {
  return firings.map((f) => ({ ts: new Date(f.ts).toISOString().slice(0, 16), measured: Math.round(f.measured * 1000) / 1000 }));
}

describe("flash move on recorded candles", () => {
  it.each([
    {
      move: "XLM/BTC +12.65% in the 5-minute bar of 2018-01-15 14:10, then −6.32% at 14:15",
      file: PORTFOLIO("xlm"),
      movePct: 5,
      windowSeconds: 300,
      expected: [
        { ts: "2018-01-11T16:50", measured: 5.145 },
        { ts: "2018-01-15T14:10", measured: 12.647 },
        { ts: "2018-01-15T14:15", measured: -6.319 },
        { ts: "2018-01-16T22:30", measured: 5.129 },
        { ts: "2018-01-16T22:35", measured: 9.152 },
        { ts: "2018-01-22T06:35", measured: 5.285 },
      ],
    },
    {
      move: "NXT/BTC in the crash evening of 2018-01-16: −7.68% at 22:45, +7.96% at 22:50",
      file: PORTFOLIO("nxt"),
      movePct: 7,
      windowSeconds: 300,
      expected: [
        { ts: "2018-01-16T22:45", measured: -7.679 },
        { ts: "2018-01-16T22:50", measured: 7.955 },
      ],
    },
    {
      move: "POWR/BTC +10.87% at 2018-01-17 19:40, its only 10% bar",
      file: PORTFOLIO("powr"),
      movePct: 10,
      windowSeconds: 300,
      expected: [{ ts: "2018-01-17T19:40", measured: 10.868 }],
    },
    {
      move: "LTC/BTC over 30 min during the crash of 2018-01-16 21:30–22:40 (no single 5-min bar moved 5%)",
      file: PORTFOLIO("ltc"),
      movePct: 5,
      windowSeconds: 1800,
      expected: [
        { ts: "2018-01-16T21:30", measured: -5.537 },
        { ts: "2018-01-16T21:45", measured: 5.355 },
        { ts: "2018-01-16T22:05", measured: -5.138 },
        { ts: "2018-01-16T22:30", measured: -6.144 },
        { ts: "2018-01-16T22:40", measured: 7.031 },
        { ts: "2018-01-17T16:25", measured: 6.269 },
      ],
    },
    {
      move: "DASH/BTC, the quietest pair (largest bar −3.12% on 2018-01-16 21:40): nothing at 5% in 5 min",
      file: PORTFOLIO("dash"),
      movePct: 5,
      windowSeconds: 300,
      expected: [],
    },
    {
      move: "BTC/USDC on Binance.US around the USDC de-peg of 2023-03-11: 1.5% minutes at 07:15, 07:36, 08:04, 14:20, 14:21",
      file: BINANCE_US("usdc"),
      movePct: 1.5,
      windowSeconds: 60,
      expected: [
        { ts: "2023-03-03T01:31", measured: -1.539 },
        { ts: "2023-03-11T07:15", measured: 1.649 },
        { ts: "2023-03-11T07:36", measured: 1.533 },
        { ts: "2023-03-11T08:04", measured: -1.881 },
        { ts: "2023-03-11T14:20", measured: -1.524 },
        { ts: "2023-03-11T14:21", measured: 1.54 },
      ],
    },
    {
      move: "BTC/USD on Binance.US, same weeks: the de-peg day is calm in dollars; 1.5% minutes only on 03-03 01:31 and 03-13 14:08",
      file: BINANCE_US("usd"),
      movePct: 1.5,
      windowSeconds: 60,
      expected: [
        { ts: "2023-03-03T01:31", measured: -1.612 },
        { ts: "2023-03-13T14:08", measured: 1.661 },
      ],
    },
    { move: "BTC/USDC, the default 5% in one minute: never reached in March 2023", file: BINANCE_US("usdc"), movePct: 5, windowSeconds: 60, expected: [] },
    { move: "BTC/USDT, the default 5% in one minute: never reached in March 2023", file: BINANCE_US("usdt"), movePct: 5, windowSeconds: 60, expected: [] },
  ])("$move", ({ file, movePct, windowSeconds, expected }) => {
    const settings = protectionSettingsSchema.parse({ flashMove: { movePct, windowSeconds, action: "LOCK_SYMBOL", lockMinutes: 30 } }).flashMove;
    const detector = new FlashMoveDetector(settings);
    const firings: ProtectionFiring[] = [];
    for (const bar of bars(file)) {
      const firing = detector.observe("PAIR", Number(bar.close), bar.ts);
      if (firing) firings.push(firing);
    }
    expect(summary(firings)).toEqual(expected);
    for (const firing of firings) {
      expect(firing).toMatchObject({ rule: "FLASH_MOVE", scope: { kind: "symbol", symbol: "PAIR" }, action: "LOCK_SYMBOL", lockMinutes: 30, bound: movePct });
    }
  });

  it("a per-symbol override applies to that symbol only (XLM/BTC at 10% while the desk default stays 5%)", () => {
    const settings = protectionSettingsSchema.parse({ flashMove: { windowSeconds: 300, symbols: { "XLM/BTC": { movePct: 10, action: "HALT" } } } }).flashMove;
    const detector = new FlashMoveDetector(settings);
    const firings: ProtectionFiring[] = [];
    for (const bar of bars(PORTFOLIO("xlm"))) {
      const xlm = detector.observe("XLM/BTC", Number(bar.close), bar.ts);
      const copy = detector.observe("XLM-COPY", Number(bar.close), bar.ts);
      for (const firing of [xlm, copy]) if (firing) firings.push(firing);
    }
    // XLM/BTC: only its one 10% move (01-15 14:10, +12.65%; 01-16 22:35 was +9.15%); the copy: all six 5% moves.
    expect(
      firings.filter((f) => f.scope.kind === "symbol" && f.scope.symbol === "XLM/BTC").map((f) => [new Date(f.ts).toISOString().slice(0, 16), f.action]),
    ).toEqual([["2018-01-15T14:10", "HALT"]]);
    expect(firings.filter((f) => f.scope.kind === "symbol" && f.scope.symbol === "XLM-COPY")).toHaveLength(6);
  });
});

describe("stale data on recorded gaps", () => {
  /** Feeds every bar up to `now`, then asks the detector, every `stepMs` from the first bar to the last. */
  function scan(file: string, maxSilenceSeconds: number, stepMs: number, options: { isOpen?: boolean; tradesOnly?: boolean } = {}) {
    const rows = bars(file);
    const detector = new StaleDataDetector(protectionSettingsSchema.parse({ staleData: { maxSilenceSeconds } }).staleData);
    const firings: ProtectionFiring[] = [];
    let next = 0;
    for (let now = rows[0]!.ts; now <= rows[rows.length - 1]!.ts; now += stepMs) {
      for (; next < rows.length && rows[next]!.ts <= now; next++) {
        // A zero-volume minute is a bar made up by the exchange with no trade: no market data came.
        if (!options.tradesOnly || rows[next]!.volume > 0) detector.recordData("PAIR", rows[next]!.ts);
      }
      firings.push(...detector.check(now, options.isOpen === false ? [] : ["PAIR"]));
    }
    return firings;
  }

  it.each([
    {
      gap: "ADA/BTC: Bittrex's 170-minute outage after the 2018-01-15 11:55 bar, 30 min limit → one firing at 12:25",
      file: PORTFOLIO("ada"),
      limit: 1800,
      step: 300_000,
      expected: [{ ts: "2018-01-15T12:25", measured: 1800 }],
    },
    {
      gap: "ADA/BTC, 15 min limit: also the 25-minute gap after 2018-01-15 11:05 (at 11:20), then the outage (at 12:10)",
      file: PORTFOLIO("ada"),
      limit: 900,
      step: 300_000,
      expected: [
        { ts: "2018-01-15T11:20", measured: 900 },
        { ts: "2018-01-15T12:10", measured: 900 },
      ],
    },
    { gap: "ETH/BTC has no gap: nothing fires at 30 min", file: PORTFOLIO("eth"), limit: 1800, step: 300_000, expected: [] },
  ])("$gap", ({ file, limit, step, expected }) => {
    expect(summary(scan(file, limit, step))).toEqual(expected);
  });

  it("BTC/USDC on Binance.US: trade-less half hours (54 minutes from 2023-03-13 20:31) fire; BTC/USD never goes 30 minutes without a trade", () => {
    const usdc = summary(scan(BINANCE_US("usdc"), 1800, 60_000, { tradesOnly: true }));
    expect(usdc).toHaveLength(9);
    expect(usdc[0]).toEqual({ ts: "2023-03-04T10:10", measured: 1800 });
    expect(usdc).toContainEqual({ ts: "2023-03-13T21:01", measured: 1800 });
    expect(summary(scan(BINANCE_US("usd"), 1800, 60_000, { tradesOnly: true }))).toEqual([]);
  });

  it("ADA/BTC's outage fires nothing while no position in ADA is open", () => {
    expect(scan(PORTFOLIO("ada"), 1800, 300_000, { isOpen: false })).toEqual([]);
  });
});

describe("venue unreachable on the ADA/BTC outage (a poll every 5 minutes; a poll without a bar is a failed request)", () => {
  it.each([
    {
      rule: "5 failures in a row: the 5th empty poll of the 170-minute outage, 2018-01-15 12:20",
      settings: { maxConsecutiveFailures: 5, maxSecondsWithoutSuccess: 86_400 },
      expected: [{ ts: "2018-01-15T12:20", measured: 5 }],
    },
    {
      rule: "20 minutes without success: the 25-minute gap after 11:05 (at 11:25), then the outage after 11:55 (at 12:15)",
      settings: { maxConsecutiveFailures: 1_000, maxSecondsWithoutSuccess: 1_200 },
      expected: [
        { ts: "2018-01-15T11:25", measured: 1200 },
        { ts: "2018-01-15T12:15", measured: 1200 },
      ],
    },
  ])("$rule", ({ settings, expected }) => {
    const rows = bars(PORTFOLIO("ada"));
    const detector = new VenueUnreachableDetector(protectionSettingsSchema.parse({ venueUnreachable: settings }).venueUnreachable);
    const served = new Set(rows.map((bar) => bar.ts));
    const firings: ProtectionFiring[] = [];
    for (let now = rows[0]!.ts; now <= rows[rows.length - 1]!.ts; now += 300_000) {
      detector.recordAttempt("bittrex", now);
      if (served.has(now)) detector.recordSuccess("bittrex", now);
      else {
        const firing = detector.recordFailure("bittrex", now, "no bar");
        if (firing) firings.push(firing);
      }
      firings.push(...detector.check(now));
    }
    expect(summary(firings)).toEqual(expected);
    expect(firings.every((f) => f.scope.kind === "venue" && f.action === "PAUSE_ENTRIES")).toBe(true);
  });
});

describe("volatility on recorded candles (realized √Σr² of log returns)", () => {
  it.each([
    {
      period: "BTC/USDC, 4% per hour: only the de-peg morning, 2023-03-11 06:15 and 07:26",
      file: BINANCE_US("usdc"),
      settings: { maxVolatilityPct: 4, windowMinutes: 60, minSamples: 30 },
      expected: [
        { ts: "2023-03-11T06:15", measured: 4.041 },
        { ts: "2023-03-11T07:26", measured: 4.179 },
      ],
    },
    {
      period: "BTC/USD, same setting: dollar BTC never reached 4% per hour in March 2023",
      file: BINANCE_US("usd"),
      settings: { maxVolatilityPct: 4, windowMinutes: 60, minSamples: 30 },
      expected: [],
    },
    {
      period: "BTC/USD, 3% per hour: once, 2023-03-14 13:12 (the CPI-day rally)",
      file: BINANCE_US("usd"),
      settings: { maxVolatilityPct: 3, windowMinutes: 60, minSamples: 30 },
      expected: [{ ts: "2023-03-14T13:12", measured: 3.001 }],
    },
    {
      period: "XLM/BTC, 10% per hour: the 2018-01-15 14:10 spike and the crash evening 2018-01-16 22:35",
      file: PORTFOLIO("xlm"),
      settings: { maxVolatilityPct: 10, windowMinutes: 60, minSamples: 10 },
      expected: [
        { ts: "2018-01-15T14:10", measured: 12.008 },
        { ts: "2018-01-16T22:35", measured: 11.296 },
      ],
    },
    {
      period: "ETH/BTC, 5% per hour: 2018-01-16 08:50 and 22:35 (the crash)",
      file: PORTFOLIO("eth"),
      settings: { maxVolatilityPct: 5, windowMinutes: 60, minSamples: 10 },
      expected: [
        { ts: "2018-01-16T08:50", measured: 5.206 },
        { ts: "2018-01-16T22:35", measured: 5.023 },
      ],
    },
    { period: "DASH/BTC, 5% per hour: never", file: PORTFOLIO("dash"), settings: { maxVolatilityPct: 5, windowMinutes: 60, minSamples: 10 }, expected: [] },
  ])("$period", ({ file, settings, expected }) => {
    const detector = new VolatilityDetector(protectionSettingsSchema.parse({ volatility: { enabled: true, ...settings } }).volatility);
    const firings: ProtectionFiring[] = [];
    for (const bar of bars(file)) {
      const firing = detector.observe("PAIR", Number(bar.close), bar.ts);
      if (firing) firings.push(firing);
    }
    expect(summary(firings)).toEqual(expected);
  });

  it("with minSamples 30 and 5-minute bars (12 per hour) the rule can never fire: too few returns say nothing", () => {
    const detector = new VolatilityDetector(protectionSettingsSchema.parse({ volatility: { enabled: true, maxVolatilityPct: 1, minSamples: 30 } }).volatility);
    expect(bars(PORTFOLIO("xlm")).flatMap((bar) => detector.observe("PAIR", Number(bar.close), bar.ts) ?? [])).toEqual([]);
  });
});

describe("strategy failure of a naive momentum model on recorded candles", () => {
  /**
   * The model: after each bar that moved, predict the next bar moves the same way and trade 1 unit that way from
   * close to close. The trade's PnL is exact (Decimal from the file's strings); a prediction is right when the PnL
   * is positive. Momentum at 5 minutes was a poor model in January 2018: it fails on every count.
   */
  function run(coin: string, settings: Record<string, unknown>) {
    const rows = bars(PORTFOLIO(coin));
    const detector = new StrategyFailureDetector(protectionSettingsSchema.parse({ strategyFailure: settings }).strategyFailure);
    const firings: { reason: string; ts: string; message: string }[] = [];
    const keep = (reason: string, list: ProtectionFiring[]) =>
      firings.push(...list.map((f) => ({ reason, ts: new Date(f.ts).toISOString().slice(0, 16), message: f.message })));
    for (let i = 1; i + 1 < rows.length; i++) {
      const move: Decimal = D(rows[i]!.close).minus(rows[i - 1]!.close);
      if (move.isZero()) continue;
      const next = D(rows[i + 1]!.close).minus(rows[i]!.close);
      const pnl = move.isPositive() ? next : next.negated();
      const ts = rows[i + 1]!.ts;
      keep("trade", detector.recordTrade("momentum", pnl, ts));
      const accuracy = detector.recordPrediction("momentum", pnl.isPositive() && !pnl.isZero(), ts);
      if (accuracy) keep("accuracy", [accuracy]);
    }
    return firings;
  }

  it.each([
    { coin: "eth", check: "losing streak of 8", settings: { maxLosingStreak: 8 }, count: 16, first: "2018-01-13T13:10", text: "lost 8 trades in a row" },
    { coin: "xlm", check: "losing streak of 8", settings: { maxLosingStreak: 8 }, count: 6, first: "2018-01-13T11:25", text: "lost 8 trades in a row" },
    {
      coin: "eth",
      check: "0.005 BTC below its own peak",
      settings: { maxLosingStreak: null, maxDrawdownAbs: 0.005 },
      count: 2,
      first: "2018-01-11T03:30",
      text: "is 0.00579678 below its own peak realized PnL of 0.02248039",
    },
    {
      coin: "xlm",
      check: "0.000002 BTC below its own peak",
      settings: { maxLosingStreak: null, maxDrawdownAbs: 0.000002 },
      count: 9,
      first: "2018-01-11T00:15",
      text: "is 0.0000021 below its own peak realized PnL of 0.00000927",
    },
    {
      coin: "eth",
      check: "hit rate under 35% over 50 predictions",
      settings: { maxLosingStreak: null, minAccuracyPct: 35, accuracyWindow: 50 },
      count: 76,
      first: "2018-01-11T18:15",
      text: "right in 17 of its last 50 predictions (34%)",
    },
  ])("$coin/BTC: $check, first at $first", ({ coin, settings, count, first, text }) => {
    const firings = run(coin, settings);
    expect(firings).toHaveLength(count);
    expect(firings[0]!.ts).toBe(first);
    expect(firings[0]!.message).toContain(text);
  });
});

describe("recorded timestamps used above are what the files hold", () => {
  it("the XLM/BTC spike bar and the ADA/BTC outage are where the tests say", () => {
    const xlm = bars(PORTFOLIO("xlm"));
    const spike = xlm.findIndex((bar) => bar.ts === utc("2018-01-15T14:10"));
    expect(Number(xlm[spike]!.close) / Number(xlm[spike - 1]!.close)).toBeCloseTo(1.1265, 3);
    const ada = bars(PORTFOLIO("ada"));
    const before = ada.findIndex((bar) => bar.ts === utc("2018-01-15T11:55"));
    expect(ada[before + 1]!.ts - ada[before]!.ts).toBe(170 * 60_000);
  });
});

describe("a firing on recorded data becomes a lock that survives a restart", () => {
  it("XLM/BTC's +12.65% bar of 2018-01-15 14:10 locks XLM/BTC for 30 min; the saved book still refuses entries after a restart until 14:40", () => {
    const protections = new Protections({ flashMove: { windowSeconds: 300 } });
    const book = new LockBook(sequentialIds("run1"));
    for (const bar of bars(PORTFOLIO("xlm"))) {
      if (bar.ts > utc("2018-01-15T14:10")) break;
      for (const firing of protections.onPrice("XLM/BTC", Number(bar.close), bar.ts)) book.lockForFiring(firing);
      book.expire(bar.ts);
    }
    // The 2018-01-11 16:50 lock expired long ago; the 14:10 one is in force.
    expect(book.active(utc("2018-01-15T14:10")).map((lock) => [lock.rule, new Date(lock.until!).toISOString()])).toEqual([
      ["FLASH_MOVE", "2018-01-15T14:40:00.000Z"],
    ]);
    expect(book.history().map((entry) => entry.kind)).toEqual(["LOCKED", "EXPIRED", "LOCKED"]);

    const saved = JSON.stringify(book.snapshot());
    const restarted = LockBook.restore(JSON.parse(saved), sequentialIds("run2"));
    expect(restarted.ok).toBe(true);
    if (!restarted.ok) return;
    expect(restarted.value.blockingLock({ symbol: "XLM/BTC", strategy: "any" }, utc("2018-01-15T14:25"))?.reason).toContain("XLM/BTC rose 12.65% within 5 min");
    expect(restarted.value.blockingLock({ symbol: "ETH/BTC" }, utc("2018-01-15T14:25"))).toBeNull();
    expect(restarted.value.blockingLock({ symbol: "XLM/BTC" }, utc("2018-01-15T14:40"))).toBeNull();
  });
});

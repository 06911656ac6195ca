// Tests may read the recorded market data fixture; the code under test stays pure.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Decimal } from "../money";
import { createStrategy, isStrategyName } from "./index";
import { type CrossSignal, SmaCross, SmaCrossStrategy, createSmaCross, scaledClose, validateSmaCrossParams } from "./sma-cross";
import { type StrategyCandle, StrategyError, type StrategyPosition } from "./types";

const CSV = "/work/shared/data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv";

/** The recorded candles, closes kept as the file's text (a few lines, so this test does not depend on the loader). */
function loadCloses(): { ts: number; close: string }[] {
  const lines = readFileSync(CSV, "utf8").trim().split("\n");
  expect(lines[0]).toBe("ts,open,high,low,close,volume");
  return lines.slice(1).map((line) => {
    const cols = line.split(",");
    return { ts: Number(cols[0]), close: cols[4]! };
  });
}

/** close text → BigInt units of 10^−decimals (no floats anywhere). */
function units(text: string, decimals: number): bigint {
  const [int = "0", frac = ""] = text.split(".");
  return BigInt(int + frac.padEnd(decimals, "0"));
}

/**
 * The naive reference: for every candle, both sums recomputed from scratch in BigInt (O(n·slow)), the relation as
 * sign(fastSum × slow − slowSum × fast), and the cross rule read straight from the spec.
 */
function naiveSignals(closes: readonly string[], fast: number, slow: number): Map<number, CrossSignal> {
  const decimals = Math.max(0, ...closes.map((c) => (c.split(".")[1] ?? "").length));
  const u = closes.map((c) => units(c, decimals));
  const relation = (i: number): number => {
    let f = 0n;
    let s = 0n;
    for (let k = i - slow + 1; k <= i; k++) s += u[k]!;
    for (let k = i - fast + 1; k <= i; k++) f += u[k]!;
    const d = f * BigInt(slow) - s * BigInt(fast);
    return d > 0n ? 1 : d < 0n ? -1 : 0;
  };
  const out = new Map<number, CrossSignal>();
  for (let i = slow; i < closes.length; i++) {
    const now = relation(i);
    const before = relation(i - 1);
    if (now > 0 && before <= 0) out.set(i, "BUY");
    else if (now < 0 && before >= 0) out.set(i, "SELL");
  }
  return out;
}

function run(sma: SmaCross, closes: readonly (string | number | Decimal)[]): Map<number, CrossSignal> {
  const out = new Map<number, CrossSignal>();
  closes.forEach((close, i) => {
    const s = sma.update({ close });
    if (s) out.set(i, s);
  });
  return out;
}

/** What a float implementation (averages as doubles) would say: the thing exact comparisons exist to avoid. */
function floatSignals(closes: readonly number[], fast: number, slow: number): Map<number, CrossSignal> {
  const avg = (i: number, n: number): number => closes.slice(i - n + 1, i + 1).reduce((a, b) => a + b, 0) / n;
  const rel = (i: number): number => Math.sign(avg(i, fast) - avg(i, slow));
  const out = new Map<number, CrossSignal>();
  for (let i = slow; i < closes.length; i++) {
    if (rel(i) > 0 && rel(i - 1) <= 0) out.set(i, "BUY");
    else if (rel(i) < 0 && rel(i - 1) >= 0) out.set(i, "SELL");
  }
  return out;
}

describe("SmaCross on the recorded BTC/USDT 5m candles", () => {
  const candles = loadCloses();
  const closes = candles.map((c) => c.close);

  it("reads the whole file", () => {
    expect(candles.length).toBe(10_999);
  });

  it.each([
    [1, 2],
    [2, 4],
    [5, 20],
    [10, 30],
    [12, 26],
    [50, 200],
  ])("fast %i / slow %i: the same signal indices as the naive BigInt recomputation", (fast, slow) => {
    const expected = naiveSignals(closes, fast, slow);
    expect(expected.size).toBeGreaterThan(10);
    // closes as the file's text, as JavaScript numbers, and as Decimals: one answer
    expect([...run(new SmaCross({ fast, slow }), closes)]).toEqual([...expected]);
    expect([...run(new SmaCross({ fast, slow }), closes.map(Number))]).toEqual([...expected]);
    expect([
      ...run(
        new SmaCross({ fast, slow, decimals: 2 }),
        closes.map((c) => new Decimal(c)),
      ),
    ]).toEqual([...expected]);
  });

  it("alternates BUY and SELL after the first signal (a cross needs the other side in between)", () => {
    const signals = [...run(new SmaCross({ fast: 10, slow: 30 }), closes).values()];
    for (let k = 1; k < signals.length; k++) expect(signals[k]).not.toBe(signals[k - 1]);
  });

  it("checks candle order when ts is given", () => {
    const sma = new SmaCross({ fast: 2, slow: 4 });
    sma.update({ ts: candles[1]!.ts, close: closes[1]! });
    expect(() => sma.update({ ts: candles[0]!.ts, close: closes[0]! })).toThrow(expect.objectContaining({ code: "STRATEGY_CANDLE_ORDER" }) as Error);
    expect(() => sma.update({ ts: candles[1]!.ts, close: closes[1]! })).toThrow(StrategyError);
  });
});

describe("SmaCross edge cases", () => {
  const signalsOf = (fast: number, slow: number, closes: (string | number)[]): (CrossSignal | null)[] => {
    const sma = new SmaCross({ fast, slow });
    return closes.map((close) => sma.update({ close }));
  };

  it.each<[string, number, number, (string | number)[], (CrossSignal | null)[]]>([
    // fast 1 / slow 2: fast > slow ⇔ the close rose. Index 1 is the first defined relation: never a signal.
    ["no signal before slow candles and none at the first defined candle", 1, 2, [1, 2, 3], [null, null, null]],
    ["a fall after a rise is a cross down", 1, 2, [1, 2, 1], [null, null, "SELL"]],
    // equality (2 → 2) is neither a cross down from above nor a cross up; leaving it upwards is a cross up
    ["equality then up: BUY at the candle that leaves equality", 1, 2, [1, 2, 2, 3], [null, null, null, "BUY"]],
    ["equality then down: SELL at the candle that leaves equality", 1, 2, [1, 2, 2, 1], [null, null, null, "SELL"]],
    // fast ≤ slow at i−1 includes equality, so leaving an equality upwards is a cross up even right after one
    ["up, equal, up again: a second BUY", 1, 2, [2, 1, 2, 2, 3], [null, null, "BUY", null, "BUY"]],
    ["a flat series never crosses", 2, 4, [5, 5, 5, 5, 5, 5, 5], [null, null, null, null, null, null, null]],
    // fast 2 / slow 4 on 1,1,1,1,2: at index 4 fast 1.5 > slow 1.25, at index 3 equal → BUY at 4 (the first possible index)
    ["the first possible signal is at index slow", 2, 4, [1, 1, 1, 1, 2], [null, null, null, null, "BUY"]],
    // the float trap: at index 4 SMA(1) = 0.2 and SMA(3) = (0.1 + 0.3 + 0.2) / 3 = 0.2 exactly; doubles make it 0.20000000000000004
    ["exact equality where doubles see a cross down", 1, 3, ["0.1", "0.1", "0.1", "0.3", "0.2"], [null, null, null, "BUY", null]],
  ])("%s", (_name, fast, slow, closes, expected) => {
    expect(signalsOf(fast, slow, closes)).toEqual(expected);
  });

  it("the float trap is real: a double implementation emits a SELL there", () => {
    expect([...floatSignals([0.1, 0.1, 0.1, 0.3, 0.2], 1, 3)]).toEqual([
      [3, "BUY"],
      [4, "SELL"],
    ]);
  });

  it("rescales exactly when closes with more decimals arrive", () => {
    const closes = ["100", "100.5", "100.25", "99.125", "101", "100.0625", "98", "102.5", "97.03125", "103"];
    const sma = new SmaCross({ fast: 2, slow: 3 });
    expect([...run(sma, closes)]).toEqual([...naiveSignals(closes, 2, 3)]);
    expect(sma.averages()).toEqual({ fast: new Decimal("100.015625"), slow: new Decimal("100.84375") });
  });

  it("reports exact averages, null before slow candles", () => {
    const sma = new SmaCross({ fast: 2, slow: 3 });
    sma.update({ close: "1.1" });
    sma.update({ close: "2.2" });
    expect(sma.averages()).toBeNull();
    sma.update({ close: "3.3" });
    expect(sma.averages()).toEqual({ fast: new Decimal("2.75"), slow: new Decimal("2.2") });
    expect(sma.ready).toBe(true);
    expect(sma.seen).toBe(3);
  });

  it("reset forgets everything", () => {
    const closes = loadCloses()
      .slice(0, 500)
      .map((c) => c.close);
    const sma = new SmaCross({ fast: 3, slow: 7 });
    const first = run(sma, closes);
    sma.reset();
    expect(run(sma, closes)).toEqual(first);
  });

  it("accepts exponent notation and negative zero", () => {
    expect(scaledClose(1e-7)).toEqual({ units: 1, decimals: 7 });
    expect(scaledClose("1.5e3")).toEqual({ units: 1500, decimals: 0 });
    expect(scaledClose("-0.0")).toEqual({ units: 0, decimals: 0 });
    expect(scaledClose("16726.10")).toEqual({ units: 167261, decimals: 1 });
  });

  it.each<[string, string | number]>([
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["text", "abc"],
    ["empty", ""],
    ["a lone dot", "."],
  ])("refuses a %s close with STRATEGY_INVALID_PRICE", (_name, close) => {
    expect(() => new SmaCross({ fast: 1, slow: 2 }).update({ close })).toThrow(expect.objectContaining({ code: "STRATEGY_INVALID_PRICE" }) as Error);
  });

  it("refuses closes it cannot compare exactly", () => {
    expect(() => new SmaCross({ fast: 1, slow: 2 }).update({ close: "12345678901234567.8" })).toThrow(
      expect.objectContaining({ code: "STRATEGY_PRICE_TOO_PRECISE" }) as Error,
    );
    const fixed = new SmaCross({ fast: 1, slow: 2, decimals: 1 });
    fixed.update({ close: "1.5" });
    expect(() => fixed.update({ close: "1.25" })).toThrow(expect.objectContaining({ code: "STRATEGY_PRICE_TOO_PRECISE" }) as Error);
    // a rescale that would leave the safe range is refused before anything changes
    const adaptive = new SmaCross({ fast: 1, slow: 2 });
    adaptive.update({ close: "4000000000000000" });
    expect(() => adaptive.update({ close: "1.5" })).toThrow(expect.objectContaining({ code: "STRATEGY_PRICE_TOO_PRECISE" }) as Error);
    adaptive.update({ close: "4000000000000001" });
    expect(adaptive.averages()).toEqual({ fast: new Decimal("4000000000000001"), slow: new Decimal("4000000000000000.5") });
  });

  it("switches to BigInt sums and products beyond 2^53 and stays exact", () => {
    // scaled closes near 10^14: (slow + 1) × max > 2^53 → BigInt sums; and 99 × 100 × 10^12 > 2^53 → BigInt products
    fc.assert(
      fc.property(
        fc.constantFrom<[number, number, number]>([3, 100, 1e14], [99, 100, 1e12], [2, 5, 4e15]),
        fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 150, maxLength: 300 }),
        ([fast, slow, base], steps) => {
          let price = base;
          const closes = steps.map((s) => String((price += s)));
          expect([...run(new SmaCross({ fast, slow }), closes)]).toEqual([...naiveSignals(closes, fast, slow)]);
        },
      ),
      { numRuns: 60, seed: 7 },
    );
  });

  it("matches the naive recomputation on random prices with 0–4 decimals", () => {
    const price = fc
      .tuple(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 0, max: 4 }))
      .map(([n, d]) => (d === 0 ? String(n) : `${Math.floor(n / 10 ** d)}.${String(n % 10 ** d).padStart(d, "0")}`));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(price, { minLength: 0, maxLength: 80, size: "max" }),
        (fast, extra, closes) => {
          const slow = fast + extra;
          expect([...run(new SmaCross({ fast, slow }), closes)]).toEqual([...naiveSignals(closes, fast, slow)]);
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });
});

describe("sma-cross parameters", () => {
  it.each<[string, Record<string, unknown>, string | null]>([
    ["valid", { fast: 10, slow: 30 }, null],
    ["fast 1 slow 2", { fast: 1, slow: 2 }, null],
    ["fast 0", { fast: 0, slow: 30 }, "fast must be a whole number of candles ≥ 1, got 0"],
    ["fast fractional", { fast: 2.5, slow: 30 }, "fast must be a whole number"],
    ["fast as text", { fast: "10", slow: 30 }, "fast must be a whole number"],
    ["slow equal to fast", { fast: 10, slow: 10 }, "slow must be a whole number of candles greater than fast (10), got 10"],
    ["slow below fast", { fast: 10, slow: 5 }, "greater than fast"],
    ["slow missing", { fast: 10 }, "got undefined"],
    ["decimals negative", { fast: 1, slow: 2, decimals: -1 }, "decimals must be a whole number from 0 to 15"],
  ])("%s", (_name, params, message) => {
    const checked = validateSmaCrossParams(params);
    if (message === null) {
      expect(checked.ok).toBe(true);
      expect(createSmaCross(params).ok).toBe(true);
    } else {
      expect(checked.ok).toBe(false);
      if (!checked.ok) {
        expect(checked.error.code).toBe("STRATEGY_INVALID_PARAMS");
        expect(checked.error.message).toContain(message);
      }
      expect(() => new SmaCross(params as { fast: number; slow: number })).toThrow(StrategyError);
    }
  });
});

describe("SmaCrossStrategy", () => {
  const candle = (ts: number, close: number): StrategyCandle => ({ ts, open: close, high: close, low: close, close });
  // fast 1 / slow 2: a cross up where the close rises after falling — BUY at 2 and 6, SELL at 4
  const closes = [3, 2, 3, 4, 3, 2, 5];

  it("buys only when flat and sells only when long", () => {
    const positions: StrategyPosition[] = ["FLAT", "LONG", "SHORT"];
    for (const position of positions) {
      const strategy = new SmaCrossStrategy({ fast: 1, slow: 2 });
      const intents = closes.map((c, i) => strategy.onCandle(candle(i * 300_000, c), { position }));
      const actions = intents.map((x) => x?.action ?? null);
      if (position === "FLAT") expect(actions).toEqual([null, null, "OPEN_LONG", null, null, null, "OPEN_LONG"]);
      if (position === "LONG") expect(actions).toEqual([null, null, null, null, "CLOSE_LONG", null, null]);
      if (position === "SHORT") expect(actions).toEqual([null, null, null, null, null, null, null]);
    }
  });

  it("describes its intents", () => {
    const strategy = new SmaCrossStrategy({ fast: 1, slow: 2 });
    const intents = closes.slice(0, 3).map((c, i) => strategy.onCandle(candle(1000 + i, c), { position: "FLAT" }));
    expect(intents[2]).toEqual({ action: "OPEN_LONG", side: "BUY", candleTs: 1002, reason: "sma-cross: SMA(1) crossed above SMA(2)" });
    expect(strategy.name).toBe("sma-cross");
    expect(strategy.params).toEqual({ fast: 1, slow: 2 });
    expect(strategy.warmup).toBe(3);
  });

  it("is found in the registry", () => {
    expect(isStrategyName("sma-cross")).toBe(true);
    const created = createStrategy("sma-cross", { fast: 10, slow: 30 });
    expect(created.ok && created.value.name).toBe("sma-cross");
    const unknown = createStrategy("rsi", {});
    expect(!unknown.ok && unknown.error.code).toBe("STRATEGY_UNKNOWN");
    const bad = createStrategy("sma-cross", { fast: 30, slow: 10 });
    expect(!bad.ok && bad.error.code).toBe("STRATEGY_INVALID_PARAMS");
  });
});

describe("scaledClose's numeric fast path", () => {
  it("agrees with the text path for any finite number", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ min: -1e9, max: 1e9, noNaN: true, noDefaultInfinity: true }),
          fc.integer({ min: 0, max: 10 ** 9 }).map((n) => n / 100),
        ),
        (x) => {
          let viaText: { units: number; decimals: number } | string;
          try {
            viaText = scaledClose(String(x));
          } catch (e) {
            viaText = (e as Error).message;
          }
          let viaNumber: { units: number; decimals: number } | string;
          try {
            viaNumber = scaledClose(x);
          } catch (e) {
            viaNumber = (e as Error).message;
          }
          if (typeof viaText === "string" || typeof viaNumber === "string") return; // both refuse absurd precision; messages may differ
          expect(viaNumber).toEqual(viaText);
        },
      ),
      { numRuns: 2000, seed: 11 },
    );
  });
});

describe("toUnits' fast path (a close read at the decimals already held)", () => {
  /** Each update's cross, or the error code it threw, and the averages at the end. */
  const run = (closes: readonly (number | string)[]) => {
    const s = new SmaCross({ fast: 2, slow: 3 });
    const out: (string | null)[] = []; // a cross, or the code of what was thrown
    for (const close of closes) {
      try {
        out.push(s.update({ close }));
      } catch (e) {
        out.push(e instanceof StrategyError ? e.code : String(e));
      }
    }
    const averages = s.averages();
    return { out, averages: averages && { fast: averages.fast.toString(), slow: averages.slow.toString() } };
  };

  it("gives what the text path gives, up to and past 2^50 units and the safe-integer bound", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.oneof(fc.integer({ min: -(10 ** 6), max: 10 ** 6 }), fc.double({ min: -1e16, max: 1e16, noNaN: true })), fc.integer({ min: 0, max: 4 })),
          { minLength: 1, maxLength: 12 },
        ),
        (pairs) => {
          const closes = pairs.map(([n, k]) => Math.trunc(n) / 10 ** k);
          expect(run(closes)).toEqual(run(closes.map((x) => String(x))));
        },
      ),
      { numRuns: 3000, seed: 7 },
    );
  });

  it("reads negative zero and closes right at 2^50 units as the search does", () => {
    const closes = [2 ** 50 / 100, -0, 2 ** 50 / 100 - 0.01, 2 ** 50 / 100 + 0.01, 1.5, 2 ** 51 / 100];
    expect(run(closes)).toEqual(run(closes.map((x) => (Object.is(x, -0) ? "-0" : String(x)))));
  });
});

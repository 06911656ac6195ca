// Tests may read the recorded market data; the code under test stays pure.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createStrategy } from "./index";
import { type RsiReversionStrategy, WilderRsi, createRsiReversionStrategy, rsiOf, validateRsiReversionParams } from "./rsi-reversion";
import { type StrategyPosition, StrategyError } from "./types";

/** The textbook definition, recomputed from the whole history at every close (O(n²)): the reference. */
function referenceRsi(closes: readonly number[], period: number): (number | null)[] {
  return closes.map((_, i) => {
    if (i < period) return null;
    const changes = closes.slice(1, i + 1).map((c, k) => c - closes[k]!);
    let avgGain = changes.slice(0, period).reduce((a, d) => a + Math.max(d, 0), 0) / period;
    let avgLoss = changes.slice(0, period).reduce((a, d) => a + Math.max(-d, 0), 0) / period;
    for (const d of changes.slice(period)) {
      avgGain = (avgGain * (period - 1) + Math.max(d, 0)) / period;
      avgLoss = (avgLoss * (period - 1) + Math.max(-d, 0)) / period;
    }
    return rsiOf(avgGain, avgLoss);
  });
}

describe("Wilder's RSI", () => {
  it.each([
    { name: "only rises", closes: [1, 2, 3, 4], period: 3, last: 100 },
    { name: "only falls", closes: [4, 3, 2, 1], period: 3, last: 0 },
    { name: "flat", closes: [5, 5, 5, 5], period: 3, last: 50 },
    // gains 2, 0; losses 0, 1 → avgGain 1, avgLoss 0.5 → RS 2 → RSI 66.67 (worked by hand)
    { name: "hand-checked", closes: [10, 12, 11], period: 2, last: 100 - 100 / 3 },
    // next change +3 → avgGain (1·1 + 3)/2 = 2, avgLoss (0.5·1 + 0)/2 = 0.25 → RS 8 → RSI 88.89
    { name: "hand-checked, smoothed", closes: [10, 12, 11, 14], period: 2, last: 100 - 100 / 9 },
  ])("$name", ({ closes, period, last }) => {
    const rsi = new WilderRsi(period);
    const out = closes.map((c) => rsi.update(c));
    expect(out.slice(0, period).every((v) => v === null)).toBe(true);
    expect(out.at(-1)).toBeCloseTo(last, 10);
  });

  it("matches the reference on recorded BTC/USDT closes", () => {
    const lines = readFileSync("/work/shared/data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv", "utf8").trim().split("\n").slice(1, 1500);
    const closes = lines.map((l) => Number(l.split(",")[4]));
    for (const period of [2, 14, 30]) {
      const rsi = new WilderRsi(period);
      const fast = closes.map((c) => rsi.update(c));
      const ref = referenceRsi(closes, period);
      fast.forEach((v, i) => {
        if (ref[i] === null) expect(v).toBeNull();
        else expect(v).toBeCloseTo(ref[i]!, 9);
      });
    }
  });
});

describe("rsi-reversion parameters", () => {
  it.each([
    { params: {}, ok: true },
    { params: { period: 1 }, ok: false, words: "period must be a whole number of candles from 2" },
    { params: { period: 2.5 }, ok: false, words: "period" },
    { params: { oversold: 0 }, ok: false, words: "oversold must be an RSI level" },
    { params: { oversold: Number.NaN }, ok: false, words: "oversold" },
    { params: { oversold: 40, exit: 40 }, ok: false, words: "exit must be an RSI level above oversold (40)" },
    { params: { exit: "60" }, ok: false, words: "got '60'" },
  ])("$params", ({ params, ok, words }) => {
    const checked = validateRsiReversionParams(params);
    expect(checked.ok).toBe(ok);
    if (!checked.ok) expect(checked.error.message).toContain(words);
  });

  it("is in the registry", () => {
    const made = createStrategy("rsi-reversion", { period: 7 });
    expect(made.ok && made.value.name).toBe("rsi-reversion");
    expect(made.ok && made.value.warmup).toBe(8);
  });
});

describe("rsi-reversion strategy", () => {
  function strategy(period = 2, oversold = 30, exit = 55): RsiReversionStrategy {
    const made = createRsiReversionStrategy({ period, oversold, exit });
    if (!made.ok) throw new Error(made.error.message);
    return made.value;
  }

  it("opens when oversold while flat and closes above the exit while long", () => {
    const s = strategy();
    const candles = [100, 99, 97, 96, 99, 103].map((close, i) => ({ ts: i, open: close, high: close, low: close, close }));
    let position: StrategyPosition = "FLAT";
    const actions: string[] = [];
    for (const c of candles) {
      const intent = s.onCandle(c, { position });
      if (intent) {
        actions.push(`${c.ts}:${intent.action}`);
        position = intent.action === "OPEN_LONG" ? "LONG" : "FLAT";
      }
    }
    // RSI(2) after 99, 97 is 0 → open at ts 2; at 99 (ts 4) gains 3 vs losses → above 55 → close.
    expect(actions).toEqual(["2:OPEN_LONG", "4:CLOSE_LONG"]);
  });

  it("refuses candles out of order and bad prices", () => {
    const s = strategy();
    s.onCandle({ ts: 5, open: 1, high: 1, low: 1, close: 1 }, { position: "FLAT" });
    expect(() => s.onCandle({ ts: 5, open: 1, high: 1, low: 1, close: 1 }, { position: "FLAT" })).toThrow(StrategyError);
    expect(() => s.onCandle({ ts: 6, open: 1, high: 1, low: 1, close: "abc" }, { position: "FLAT" })).toThrow(/not a positive finite price/);
  });

  it("never opens while long nor closes while flat, and a reset replays the same intents", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1_000 }), { minLength: 3, maxLength: 200 }),
        fc.array(fc.boolean(), { maxLength: 200 }),
        (closes, flags) => {
          const s = strategy(3);
          const run = (): string[] => {
            s.reset();
            return closes.map((close, i) => {
              const position: StrategyPosition = flags[i] ? "LONG" : "FLAT";
              const intent = s.onCandle({ ts: i, open: close, high: close, low: close, close }, { position });
              if (intent?.action === "OPEN_LONG") expect(position).toBe("FLAT");
              if (intent?.action === "CLOSE_LONG") expect(position).toBe("LONG");
              return intent?.action ?? "-";
            });
          };
          expect(run()).toEqual(run());
        },
      ),
    );
  });
});

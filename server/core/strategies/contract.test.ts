/**
 * The Strategy contract's lent candle: a caller may hand the same object again with the next candle's values (the
 * backtest refills one object a run), so a strategy keeps numbers, never the object. Every registered strategy must
 * give the same intents whether each candle is a fresh object or one reused object.
 */
import { describe, expect, it } from "vitest";
import { createStrategy, STRATEGY_NAMES, type StrategyName } from "./index";
import type { SignalIntent, Strategy, StrategyCandle, StrategyContext } from "./types";

/** Parameters that make each strategy trade often on the series below (the test needs intents to compare). */
const PARAMS: Record<StrategyName, Record<string, number>> = {
  "sma-cross": { fast: 3, slow: 8 },
  "rsi-reversion": { period: 5, oversold: 35, exit: 55 },
};

/** A wavy series with cent prices (deterministic). */
function series(n: number): { ts: number; open: number; high: number; low: number; close: number; volume: number }[] {
  const cents = (x: number) => Math.round(x * 100) / 100;
  return Array.from({ length: n }, (_, i) => {
    const open = cents(100 + 10 * Math.sin(i / 7) + 3 * Math.sin(i / 2));
    const close = cents(100 + 10 * Math.sin((i + 1) / 7) + 3 * Math.sin((i + 1) / 2));
    return { ts: 60_000 * i, open, high: Math.max(open, close) + 0.5, low: Math.min(open, close) - 0.5, close, volume: 1 + (i % 5) };
  });
}

/** Feeds the series, the position following the intents; `reuse`: one candle object refilled for every call. */
function intentsOf(strategy: Strategy, reuse: boolean): SignalIntent[] {
  const intents: SignalIntent[] = [];
  const ctx: StrategyContext = { position: "FLAT" };
  const lent: StrategyCandle = { ts: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 };
  for (const bar of series(400)) {
    const candle = reuse ? Object.assign(lent, bar) : { ...bar };
    const intent = strategy.onCandle(candle, ctx);
    if (intent) {
      intents.push(intent);
      ctx.position = intent.action === "OPEN_LONG" ? "LONG" : intent.action === "CLOSE_LONG" ? "FLAT" : ctx.position;
    }
  }
  return intents;
}

function made(name: string, params: Record<string, number>): Strategy {
  const strategy = createStrategy(name, params);
  if (!strategy.ok) throw new Error(strategy.error.message);
  return strategy.value;
}

/** A strategy that breaks the contract: it keeps the previous candle object and compares closes with it. */
function keepingStrategy(): Strategy {
  let previous: StrategyCandle | null = null;
  return {
    name: "keeps-the-candle",
    params: {},
    warmup: 2,
    onCandle(candle, ctx) {
      const rose = previous !== null && Number(candle.close) > Number(previous.close);
      previous = candle;
      if (rose && ctx.position === "FLAT") return { action: "OPEN_LONG", side: "BUY", candleTs: candle.ts, reason: "rose" };
      if (!rose && ctx.position === "LONG") return { action: "CLOSE_LONG", side: "SELL", candleTs: candle.ts, reason: "fell" };
      return null;
    },
    reset() {
      previous = null;
    },
  };
}

describe("the Strategy contract: the candle is lent for the call", () => {
  it.each(STRATEGY_NAMES)("%s keeps no candle object (the same intents when one object is reused)", (name) => {
    const fresh = intentsOf(made(name, PARAMS[name]), false);
    expect(fresh.length).toBeGreaterThan(4);
    expect(intentsOf(made(name, PARAMS[name]), true)).toEqual(fresh);
  });

  it("tells a strategy that keeps the object apart (so the check above can fail)", () => {
    const fresh = intentsOf(keepingStrategy(), false);
    expect(fresh.length).toBeGreaterThan(4);
    // Reused, the kept object already holds the new close: nothing ever rose.
    expect(intentsOf(keepingStrategy(), true)).not.toEqual(fresh);
  });
});

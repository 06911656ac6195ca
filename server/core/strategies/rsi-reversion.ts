/**
 * rsi-reversion: a long-only mean-reversion strategy on Wilder's relative strength index.
 *
 * - Changes d_i = close_i − close_{i−1}; gain = max(d, 0), loss = max(−d, 0).
 * - The first averages are the plain means of the first `period` gains and losses; after that Wilder's smoothing:
 *   avg ← (avg × (period − 1) + x) / period. RSI = 100 − 100 / (1 + avgGain / avgLoss), 100 when avgLoss is 0 and
 *   avgGain > 0, 50 when both are 0 (a flat market is neither overbought nor oversold).
 * - While flat, a close whose RSI is below `oversold` opens a long; while long, a close whose RSI is above `exit`
 *   closes it. The engine fills either at the open of the next candle, as for sma-cross.
 *
 * Why floats: the RSI is a ratio of smoothed averages used only to decide *whether* to trade, never an amount of
 * money; IEEE doubles give the same result on every platform for the same closes, so runs stay deterministic.
 * Quantities and prices the engine derives from the intent remain decimals.
 */
import { type Result, err, ok } from "../errors";
import { type PriceValue, type SignalIntent, type Strategy, type StrategyCandle, type StrategyContext, StrategyError } from "./types";

// A type alias (not an interface) so it is assignable to StrategyParams.
export type RsiReversionParams = {
  /** Candles in the RSI (Wilder's 14 by default). */
  period: number;
  /** RSI below this opens a long while flat. */
  oversold: number;
  /** RSI above this closes the long. */
  exit: number;
};

export const RSI_DEFAULTS: RsiReversionParams = { period: 14, oversold: 30, exit: 55 };

const MAX_PERIOD = 1_000;

function shown(value: unknown): string {
  if (typeof value === "string") return `'${value}'`;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return value === undefined ? "nothing" : (JSON.stringify(value) ?? typeof value);
}

function isLevel(n: unknown): n is number {
  return typeof n === "number" && Number.isFinite(n) && n > 0 && n < 100;
}

/** Checks rsi-reversion parameters, taking the defaults for those not given. */
export function validateRsiReversionParams(params: Partial<Record<keyof RsiReversionParams, unknown>>): Result<RsiReversionParams, "STRATEGY_INVALID_PARAMS"> {
  const period = params.period ?? RSI_DEFAULTS.period;
  const oversold = params.oversold ?? RSI_DEFAULTS.oversold;
  const exit = params.exit ?? RSI_DEFAULTS.exit;
  if (typeof period !== "number" || !Number.isSafeInteger(period) || period < 2 || period > MAX_PERIOD) {
    return err("STRATEGY_INVALID_PARAMS", `rsi-reversion: period must be a whole number of candles from 2 to ${MAX_PERIOD}, got ${shown(period)}.`, { period });
  }
  if (!isLevel(oversold)) {
    return err("STRATEGY_INVALID_PARAMS", `rsi-reversion: oversold must be an RSI level between 0 and 100, got ${shown(oversold)}.`, { oversold });
  }
  if (!isLevel(exit) || exit <= oversold) {
    return err("STRATEGY_INVALID_PARAMS", `rsi-reversion: exit must be an RSI level above oversold (${oversold}) and below 100, got ${shown(exit)}.`, {
      oversold,
      exit,
    });
  }
  return ok({ period, oversold, exit });
}

function closeOf(value: PriceValue): number {
  const n = typeof value === "number" ? value : Number(value.toString());
  if (!Number.isFinite(n) || n <= 0) throw new StrategyError("STRATEGY_INVALID_PRICE", `A close of ${value.toString()} is not a positive finite price.`);
  return n;
}

/** Wilder's RSI, one close at a time: O(1) per close. */
export class WilderRsi {
  private previous: number | null = null;
  private seen = 0;
  private gainSum = 0;
  private lossSum = 0;
  private avgGain = 0;
  private avgLoss = 0;

  constructor(readonly period: number) {}

  /** Takes the next close; returns the RSI once `period` changes have been seen, null before. */
  update(close: number): number | null {
    const previous = this.previous;
    this.previous = close;
    if (previous === null) return null;
    const change = close - previous;
    const gain = change > 0 ? change : 0;
    const loss = change < 0 ? -change : 0;
    this.seen += 1;
    if (this.seen < this.period) {
      this.gainSum += gain;
      this.lossSum += loss;
      return null;
    }
    if (this.seen === this.period) {
      this.avgGain = (this.gainSum + gain) / this.period;
      this.avgLoss = (this.lossSum + loss) / this.period;
    } else {
      this.avgGain = (this.avgGain * (this.period - 1) + gain) / this.period;
      this.avgLoss = (this.avgLoss * (this.period - 1) + loss) / this.period;
    }
    return rsiOf(this.avgGain, this.avgLoss);
  }

  reset(): void {
    this.previous = null;
    this.seen = 0;
    this.gainSum = 0;
    this.lossSum = 0;
    this.avgGain = 0;
    this.avgLoss = 0;
  }
}

export function rsiOf(avgGain: number, avgLoss: number): number {
  if (avgLoss === 0) return avgGain === 0 ? 50 : 100;
  return 100 - 100 / (1 + avgGain / avgLoss);
}

/** rsi-reversion as a Strategy: long only, opens only when flat, closes only when long. */
export class RsiReversionStrategy implements Strategy {
  readonly name = "rsi-reversion";
  readonly warmup: number;
  private readonly rsi: WilderRsi;
  private lastTs = Number.NEGATIVE_INFINITY;

  constructor(readonly params: RsiReversionParams) {
    this.rsi = new WilderRsi(params.period);
    this.warmup = params.period + 1;
  }

  onCandle(candle: StrategyCandle, ctx: StrategyContext): SignalIntent | null {
    if (!(candle.ts > this.lastTs)) {
      throw new StrategyError("STRATEGY_CANDLE_ORDER", `Candle ${candle.ts} does not come after ${this.lastTs}; candles must arrive in time order.`);
    }
    const close = closeOf(candle.close);
    this.lastTs = candle.ts;
    const rsi = this.rsi.update(close);
    if (rsi === null) return null;
    const { period, oversold, exit } = this.params;
    if (ctx.position === "FLAT" && rsi < oversold) {
      return { action: "OPEN_LONG", side: "BUY", candleTs: candle.ts, reason: `rsi-reversion: RSI(${period}) ${rsi.toFixed(1)} below ${oversold}` };
    }
    if (ctx.position === "LONG" && rsi > exit) {
      return { action: "CLOSE_LONG", side: "SELL", candleTs: candle.ts, reason: `rsi-reversion: RSI(${period}) ${rsi.toFixed(1)} above ${exit}` };
    }
    return null;
  }

  reset(): void {
    this.rsi.reset();
    this.lastTs = Number.NEGATIVE_INFINITY;
  }
}

export function createRsiReversionStrategy(
  params: Partial<Record<keyof RsiReversionParams, unknown>>,
): Result<RsiReversionStrategy, "STRATEGY_INVALID_PARAMS"> {
  const checked = validateRsiReversionParams(params);
  return checked.ok ? ok(new RsiReversionStrategy(checked.value)) : checked;
}

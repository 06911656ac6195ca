/**
 * sma-cross: simple moving averages of closes over `fast` and `slow` candles.
 *
 * - SMA_n(i) = (close[i−n+1] + … + close[i]) / n, defined once `slow` candles have been seen.
 * - A cross up at candle i: fast > slow at i and fast ≤ slow at i−1 (both defined, so the first possible signal is
 *   the (slow+1)-th candle). A cross down: fast < slow at i and fast ≥ slow at i−1. Equality is never a cross; the
 *   cross happens at the first candle that leaves it.
 * - The strategy (SmaCrossStrategy) is long only: a cross up while flat opens a long, a cross down while long closes
 *   it; the engine fills either at the open of the next candle.
 *
 * Exactness. Averages are never computed: closes are scaled to integers (close × 10^d, with d the largest number of
 * decimals seen so far, or a fixed `decimals`) and kept in integer rolling sums, and fast > slow is decided exactly as
 * fastSum × slow > slowSum × fast. When a close with more decimals arrives, everything held is rescaled by a power of
 * ten, exactly (rare; O(slow)). Otherwise each candle costs O(1).
 *
 * Bounds (checked, never assumed):
 * - each scaled close must be a safe integer (|close| × 10^d < 2^53 ≈ 9.0e15, i.e. about 15 significant digits),
 *   or update throws STRATEGY_PRICE_TOO_PRECISE;
 * - the rolling sums stay JavaScript numbers while (slow + 1) × max|scaled close| < 2^53 (e.g. BTC at one decimal,
 *   scaled closes below 10^7: any slow up to 9 × 10^8); beyond that they switch to BigInt for the rest of the run;
 * - the products fastSum × slow and slowSum × fast are computed as numbers and recomputed in BigInt whenever one
 *   reaches 2^53 (a float product is ≥ 2^53 exactly when the true product is, so the test is sound). For BTC at one
 *   decimal that happens only when fast × slow > 9 × 10^8.
 */
import { Decimal, parseDecimal } from "../money";
import { type Result, err, ok } from "../errors";
import { type PriceValue, type SignalIntent, type Strategy, type StrategyCandle, type StrategyContext, StrategyError } from "./types";

export type CrossSignal = "BUY" | "SELL";

// A type alias (not an interface) so it is assignable to StrategyParams.
export type SmaCrossParams = {
  fast: number;
  slow: number;
  /**
   * Fixed number of decimals to scale closes by (0–15). Omitted: detected from the data as it arrives. With a fixed
   * scale, a close with more decimals throws STRATEGY_PRICE_TOO_PRECISE.
   */
  decimals?: number;
};

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const PLAIN_DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;
const MAX_DECIMALS = 15;

/** A parameter value as a person would write it (text quoted). */
function shown(value: unknown): string {
  if (typeof value === "string") return `'${value}'`;
  if (typeof value === "number" || typeof value === "boolean" || value === undefined || value === null) return String(value);
  return JSON.stringify(value) ?? typeof value;
}

function isWhole(n: unknown): n is number {
  return typeof n === "number" && Number.isSafeInteger(n);
}

/** Checks sma-cross parameters: fast a whole number ≥ 1, slow a whole number > fast, decimals 0–15 if given. */
export function validateSmaCrossParams(params: Partial<Record<keyof SmaCrossParams, unknown>>): Result<SmaCrossParams, "STRATEGY_INVALID_PARAMS"> {
  const { fast, slow, decimals } = params;
  if (!isWhole(fast) || fast < 1) {
    return err("STRATEGY_INVALID_PARAMS", `sma-cross: fast must be a whole number of candles ≥ 1, got ${shown(fast)}.`, { fast });
  }
  if (!isWhole(slow) || slow <= fast) {
    return err("STRATEGY_INVALID_PARAMS", `sma-cross: slow must be a whole number of candles greater than fast (${fast}), got ${shown(slow)}.`, {
      fast,
      slow,
    });
  }
  if (decimals !== undefined && (!isWhole(decimals) || decimals < 0 || decimals > MAX_DECIMALS)) {
    return err("STRATEGY_INVALID_PARAMS", `sma-cross: decimals must be a whole number from 0 to ${MAX_DECIMALS}, got ${shown(decimals)}.`, {
      decimals,
    });
  }
  return ok(decimals === undefined ? { fast, slow } : { fast, slow, decimals });
}

/** The plain decimal text of a price ("16726.1"), or a StrategyError for anything that is not a finite decimal. */
function plainText(value: PriceValue): string {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new StrategyError("STRATEGY_INVALID_PRICE", `A close of ${value} is not a finite price.`);
    const text = String(value); // the shortest text that reads back as this number: "16726.1", not 16726.0999…
    return text.includes("e") ? new Decimal(value).toFixed() : text;
  }
  if (typeof value === "string") {
    const trimmed = value.trim();
    if (PLAIN_DECIMAL.test(trimmed) && /\d/.test(trimmed)) return trimmed;
    const parsed = parseDecimal(trimmed); // exponent notation ("1.5e3")
    if (!parsed) throw new StrategyError("STRATEGY_INVALID_PRICE", `A close of '${value}' is not a decimal number.`);
    return parsed.toFixed();
  }
  if (!Decimal.isDecimal(value) || !value.isFinite()) {
    throw new StrategyError("STRATEGY_INVALID_PRICE", `A close of ${String(value)} is not a finite price.`);
  }
  return value.toFixed();
}

/** close → (integer units, decimals) with close = units / 10^decimals and no trailing zero decimals. */
export function scaledClose(value: PriceValue): { units: number; decimals: number } {
  const decimals = scaledNumberDecimals(value);
  if (decimals !== null) return { units: scaledUnits, decimals };
  return scaledText(value);
}

/** The units of the last scaledNumberDecimals that answered (a scratch slot: no object per candle). */
let scaledUnits = 0;

/**
 * Fast path for numbers (market data): the fewest decimals d with round(value × 10^d) / 10^d === value is the
 * shortest decimal that reads back as this number — what String(value) would give — without building text.
 * Returns d and leaves the units in `scaledUnits`; null when the number needs the text path.
 */
function scaledNumberDecimals(value: PriceValue): number | null {
  if (typeof value !== "number" || !Number.isFinite(value)) return null;
  for (let d = 0; d <= 10; d++) {
    const scale = pow10(d);
    const units = Math.round(value * scale);
    if (!Number.isSafeInteger(units)) break;
    if (units / scale === value) {
      scaledUnits = units === 0 ? 0 : units;
      return d;
    }
  }
  return null;
}

function scaledText(value: PriceValue): { units: number; decimals: number } {
  const text = plainText(value);
  const m = PLAIN_DECIMAL.exec(text);
  if (!m) throw new StrategyError("STRATEGY_INVALID_PRICE", `A close of '${text}' is not a decimal number.`);
  const sign = m[1] === "-" ? -1 : 1;
  const frac = (m[3] ?? "").replace(/0+$/, "");
  const digits = `${m[2] ?? ""}${frac}`.replace(/^0+/, "") || "0";
  const magnitude = Number(digits);
  if (!Number.isSafeInteger(magnitude)) {
    throw new StrategyError("STRATEGY_PRICE_TOO_PRECISE", `A close of ${text} has too many significant digits to compare averages exactly.`);
  }
  return { units: magnitude === 0 ? 0 : sign * magnitude, decimals: frac.length };
}

/** 10^0 … 10^22 (exact doubles), looked up per candle instead of computed. */
const POW10: readonly number[] = Array.from({ length: 23 }, (_, n) => 10 ** n);

function pow10(n: number): number {
  return POW10[n] ?? 10 ** n; // exact for n ≤ 22
}

function sign(n: number | bigint): -1 | 0 | 1 {
  return n > 0 ? 1 : n < 0 ? -1 : 0;
}

/**
 * The incremental sma-cross signal: feed closes in time order, get "BUY" on a cross up, "SELL" on a cross down.
 * The caller decides what a signal means given its position (see SmaCrossStrategy).
 */
export class SmaCross {
  readonly fast: number;
  readonly slow: number;
  private readonly fixedDecimals: number | undefined;
  /** The last `slow` scaled closes, a ring indexed by count % slow. */
  private readonly ring: number[];
  private count = 0;
  private decimals = 0;
  private maxAbs = 0;
  private fastSum = 0;
  private slowSum = 0;
  /** Set once the sums may leave the safe-integer range; from then on these are the sums. */
  private big: { fast: bigint; slow: bigint } | null = null;
  /** sign(fast SMA − slow SMA) at the previous candle; null while undefined. */
  private prevRelation: -1 | 0 | 1 | null = null;
  /** −Infinity before the first timestamped candle (a number field: no boxed value per candle). */
  private lastTs = Number.NEGATIVE_INFINITY;

  /** Throws a StrategyError (STRATEGY_INVALID_PARAMS) on bad parameters; use createSmaCross for a Result. */
  constructor(params: SmaCrossParams) {
    const checked = validateSmaCrossParams(params);
    if (!checked.ok) throw new StrategyError(checked.error.code, checked.error.message);
    this.fast = checked.value.fast;
    this.slow = checked.value.slow;
    this.fixedDecimals = checked.value.decimals;
    this.decimals = this.fixedDecimals ?? 0;
    this.ring = new Array<number>(this.slow).fill(0);
  }

  /** Candles seen. */
  get seen(): number {
    return this.count;
  }

  /** Whether both averages are defined (at least `slow` candles seen). */
  get ready(): boolean {
    return this.count >= this.slow;
  }

  /**
   * Feeds the next candle's close. `ts`, when given, must increase strictly (else STRATEGY_CANDLE_ORDER).
   * Returns the cross at this candle, or null (no cross, or not enough candles yet).
   */
  update(candle: { close: PriceValue; ts?: number }): CrossSignal | null {
    if (candle.ts !== undefined) {
      if (!(candle.ts > this.lastTs)) {
        throw new StrategyError("STRATEGY_CANDLE_ORDER", `Candle at ${candle.ts} does not come after the previous one at ${this.lastTs}.`);
      }
    }
    const v = this.toUnits(candle.close);
    if (candle.ts !== undefined) this.lastTs = candle.ts;

    const at = this.count;
    const slot = at % this.slow;
    const leavingSlow = at >= this.slow ? this.ring[slot]! : 0;
    const leavingFast = at >= this.fast ? this.ring[(at - this.fast) % this.slow]! : 0;
    this.ring[slot] = v;
    this.count = at + 1;
    const abs = Math.abs(v);
    if (abs > this.maxAbs) {
      this.maxAbs = abs;
      this.ensureSumRange();
    }
    if (this.big) {
      this.big.fast += BigInt(v) - BigInt(leavingFast);
      this.big.slow += BigInt(v) - BigInt(leavingSlow);
    } else {
      this.fastSum += v - leavingFast;
      this.slowSum += v - leavingSlow;
    }

    if (!this.ready) return null;
    const relation = this.relation();
    const prev = this.prevRelation;
    this.prevRelation = relation;
    if (prev === null) return null;
    if (relation > 0 && prev <= 0) return "BUY";
    if (relation < 0 && prev >= 0) return "SELL";
    return null;
  }

  /** The current averages as exact Decimals (for display and tests), or null before `slow` candles. */
  averages(): { fast: Decimal; slow: Decimal } | null {
    if (!this.ready) return null;
    const scale = new Decimal(10).pow(this.decimals);
    const fastSum = new Decimal(this.big ? this.big.fast.toString() : this.fastSum);
    const slowSum = new Decimal(this.big ? this.big.slow.toString() : this.slowSum);
    return { fast: fastSum.dividedBy(scale).dividedBy(this.fast), slow: slowSum.dividedBy(scale).dividedBy(this.slow) };
  }

  reset(): void {
    this.ring.fill(0);
    this.count = 0;
    this.decimals = this.fixedDecimals ?? 0;
    this.maxAbs = 0;
    this.fastSum = 0;
    this.slowSum = 0;
    this.big = null;
    this.prevRelation = null;
    this.lastTs = Number.NEGATIVE_INFINITY;
  }

  /** sign(fastSum / fast − slowSum / slow) = sign(fastSum × slow − slowSum × fast), exactly. */
  private relation(): -1 | 0 | 1 {
    if (!this.big) {
      const a = this.fastSum * this.slow;
      const b = this.slowSum * this.fast;
      if (Math.abs(a) <= MAX_SAFE && Math.abs(b) <= MAX_SAFE) return sign(a - b);
      return sign(BigInt(this.fastSum) * BigInt(this.slow) - BigInt(this.slowSum) * BigInt(this.fast));
    }
    return sign(this.big.fast * BigInt(this.slow) - this.big.slow * BigInt(this.fast));
  }

  /** A close in units of 10^−decimals, rescaling what is held when the close has more decimals. */
  private toUnits(close: PriceValue): number {
    // Fast path: a number that reads back exactly at the decimals already held needs no search and no rescale. The
    // search below would stop at some d ≤ this.decimals (it makes this very test at d = this.decimals) and return
    // units_d × 10^(decimals − d): an integer whose quotient by 10^decimals also reads back as `close`. Two integers
    // below 2^51 whose quotients by 10^decimals read back as the same double are equal (they differ by at most
    // |close| × 10^decimals × 2^−52 < 1), so below 2^50 this is that result.
    if (typeof close === "number" && this.decimals <= 10) {
      const scale = POW10[this.decimals]!;
      const direct = Math.round(close * scale);
      if (Math.abs(direct) < 2 ** 50 && direct / scale === close) return direct === 0 ? 0 : direct;
    }
    let units: number;
    let decimals = scaledNumberDecimals(close);
    if (decimals !== null) units = scaledUnits;
    else ({ units, decimals } = scaledText(close));
    if (decimals > this.decimals) {
      if (this.fixedDecimals !== undefined) {
        throw new StrategyError(
          "STRATEGY_PRICE_TOO_PRECISE",
          `A close of ${plainText(close)} has ${decimals} decimals; this sma-cross was set to ${this.fixedDecimals}.`,
        );
      }
      if (decimals > MAX_DECIMALS) {
        throw new StrategyError("STRATEGY_PRICE_TOO_PRECISE", `A close of ${plainText(close)} has more than ${MAX_DECIMALS} decimals.`);
      }
      this.rescale(decimals);
    }
    const scaled = units * pow10(this.decimals - decimals);
    if (!Number.isSafeInteger(scaled)) {
      throw new StrategyError(
        "STRATEGY_PRICE_TOO_PRECISE",
        `A close of ${plainText(close)} at ${this.decimals} decimals exceeds 2^53 units; averages could not be compared exactly.`,
      );
    }
    return scaled;
  }

  private rescale(decimals: number): void {
    const factor = pow10(decimals - this.decimals);
    const held = Math.min(this.count, this.slow);
    // Check everything before changing anything, so a refusal leaves the state as it was.
    for (let k = 0; k < held; k++) {
      if (!Number.isSafeInteger(this.ring[k]! * factor)) {
        throw new StrategyError(
          "STRATEGY_PRICE_TOO_PRECISE",
          `Rescaling closes to ${decimals} decimals exceeds 2^53 units; averages could not be compared exactly.`,
        );
      }
    }
    for (let k = 0; k < held; k++) this.ring[k] = this.ring[k]! * factor;
    this.decimals = decimals;
    this.maxAbs *= factor;
    this.ensureSumRange();
    if (this.big) {
      this.big.fast *= BigInt(factor);
      this.big.slow *= BigInt(factor);
    } else {
      // exact: |sum × factor| ≤ slow × maxAbs, within the bound ensureSumRange just checked
      this.fastSum *= factor;
      this.slowSum *= factor;
    }
  }

  /**
   * Moves the sums to BigInt once (slow + 1) × max|scaled close| may reach 2^53. Called before the sums take in the
   * newest close or a rescale, while they are still exact safe integers (the bound held until now).
   */
  private ensureSumRange(): void {
    if (this.big || (this.slow + 1) * this.maxAbs <= MAX_SAFE) return;
    this.big = { fast: BigInt(this.fastSum), slow: BigInt(this.slowSum) };
  }
}

/** sma-cross as a Strategy: long only, BUY only when flat, SELL only when long. */
export class SmaCrossStrategy implements Strategy {
  readonly name = "sma-cross";
  readonly params: SmaCrossParams;
  readonly warmup: number;
  private readonly signal: SmaCross;
  /** The intents' reasons, built once (the parameters never change). */
  private readonly upReason: string;
  private readonly downReason: string;

  /** Throws a StrategyError on bad parameters; use createSmaCrossStrategy for a Result. */
  constructor(params: SmaCrossParams) {
    this.signal = new SmaCross(params);
    this.params =
      params.decimals === undefined ? { fast: params.fast, slow: params.slow } : { fast: params.fast, slow: params.slow, decimals: params.decimals };
    // slow candles for both averages, one more for the previous relation a cross needs
    this.warmup = params.slow + 1;
    this.upReason = `sma-cross: SMA(${params.fast}) crossed above SMA(${params.slow})`;
    this.downReason = `sma-cross: SMA(${params.fast}) crossed below SMA(${params.slow})`;
  }

  onCandle(candle: StrategyCandle, ctx: StrategyContext): SignalIntent | null {
    const cross = this.signal.update(candle);
    if (cross === "BUY" && ctx.position === "FLAT") {
      return { action: "OPEN_LONG", side: "BUY", candleTs: candle.ts, reason: this.upReason };
    }
    if (cross === "SELL" && ctx.position === "LONG") {
      return { action: "CLOSE_LONG", side: "SELL", candleTs: candle.ts, reason: this.downReason };
    }
    return null;
  }

  reset(): void {
    this.signal.reset();
  }
}

export function createSmaCross(params: Partial<Record<keyof SmaCrossParams, unknown>>): Result<SmaCross, "STRATEGY_INVALID_PARAMS"> {
  const checked = validateSmaCrossParams(params);
  return checked.ok ? ok(new SmaCross(checked.value)) : checked;
}

export function createSmaCrossStrategy(params: Partial<Record<keyof SmaCrossParams, unknown>>): Result<SmaCrossStrategy, "STRATEGY_INVALID_PARAMS"> {
  const checked = validateSmaCrossParams(params);
  return checked.ok ? ok(new SmaCrossStrategy(checked.value)) : checked;
}

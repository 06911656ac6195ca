/**
 * Slippage models and order-size checks for the simulator and the risk gate.
 * These are estimates over plain numbers; only the resulting execution price is a Decimal.
 */
import { Decimal, roundToStep, timesCompact } from "../money";
import { type OrderSide } from "../orders/types";
import { err, ok, type Result } from "../errors";

/**
 * - NONE: fills at the reference price.
 * - FIXED: a constant cost in basis points.
 * - VOLUME: grows linearly with the order's share of the observed volume: bps = baseBps + k × (Q / V)
 *   (k = 100 adds 10 bps at 10 % of the volume).
 * - REALISTIC: half the spread still to be crossed + square-root market impact k · σ · √(Q / V) + fixed bps,
 *   with σ the recent volatility as a fraction (0.02 = 2 %).
 * `maxBps` caps the growing models.
 */
export type SlippageConfig =
  | { model: "NONE" }
  | { model: "FIXED"; bps: number }
  | { model: "VOLUME"; baseBps: number; k: number; maxBps?: number }
  | {
      model: "REALISTIC";
      impactK: number;
      fixedBps?: number;
      /** Used when the caller does not know the spread (a trade or candle feed). */
      defaultSpreadBps?: number;
      /** Used when the caller does not know the recent volatility. */
      defaultVolatility?: number;
      maxBps?: number;
    };

export interface SlippageContext {
  /** Order (or fill) quantity in base units. */
  qty: number;
  /**
   * Observed volume the order competes for, in base units (bar volume, trade size, visible depth).
   * Unknown → no volume-driven impact; zero or negative → the order is treated as the whole market.
   */
  volume?: number;
  /** Spread still to be crossed relative to the reference price, in bps (0 when the reference is already the touch). */
  spreadBps?: number;
  /** Recent volatility as a fraction. */
  volatility?: number;
}

/** The order's share of the observed volume (see SlippageContext.volume). */
export function shareOfVolume(qty: number, volume: number | undefined): number {
  if (volume === undefined) return 0;
  if (!(volume > 0)) return 1;
  return qty / volume;
}

function capped(value: number, max: number | undefined): number {
  return max === undefined ? value : Math.min(value, max);
}

/** Expected slippage in basis points (never negative: slippage always costs the trader). */
export function expectedSlippageBps(config: SlippageConfig, context: SlippageContext): number {
  let result: number;
  switch (config.model) {
    case "NONE":
      return 0;
    case "FIXED":
      result = config.bps;
      break;
    case "VOLUME":
      result = capped(config.baseBps + config.k * shareOfVolume(context.qty, context.volume), config.maxBps);
      break;
    case "REALISTIC": {
      const spreadBps = context.spreadBps ?? config.defaultSpreadBps ?? 0;
      const sigma = context.volatility ?? config.defaultVolatility ?? 0;
      const impactBps = config.impactK * sigma * Math.sqrt(shareOfVolume(context.qty, context.volume)) * 10_000;
      result = capped(spreadBps / 2 + impactBps + (config.fixedBps ?? 0), config.maxBps);
      break;
    }
  }
  return Number.isFinite(result) && result > 0 ? result : 0;
}

const BPS = new Decimal(10_000);

/**
 * Moves a reference price against the trader by `slippageBps`: up for a buy, down for a sell.
 * With a tick the result is rounded against the trader onto it (a buy up, a sell down).
 * bps are rounded to 1e-6 first so float noise does not leak into prices.
 */
type Multipliers = { bps: number; up: Decimal; down: Decimal };
/** The last two multipliers built: a fixed model (and the engine's expected slippage) ask for the same bps every time. */
let recentMultipliers: Multipliers | null = null;
let olderMultipliers: Multipliers | null = null;

function multipliers(bps: number): Multipliers {
  if (recentMultipliers?.bps === bps) return recentMultipliers;
  if (olderMultipliers?.bps === bps) return olderMultipliers;
  const fraction = new Decimal(bps).dividedBy(BPS);
  olderMultipliers = recentMultipliers;
  recentMultipliers = { bps, up: fraction.plus(1), down: new Decimal(1).minus(fraction) };
  return recentMultipliers;
}

export function executionPrice(side: OrderSide, referencePrice: Decimal, slippageBps: number, tick?: Decimal): Decimal {
  if (!(slippageBps > 0)) return referencePrice;
  const factor = multipliers(Math.round(slippageBps * 1e6) / 1e6);
  const raw = timesCompact(referencePrice, side === "BUY" ? factor.up : factor.down);
  return tick ? roundToStep(raw, tick, side === "BUY" ? "up" : "down") : raw;
}

export interface SlippedPrice {
  bps: number;
  price: Decimal;
}

/** Expected slippage and the execution price it gives for a side. */
export function applySlippage(config: SlippageConfig, side: OrderSide, referencePrice: Decimal, context: SlippageContext, tick?: Decimal): SlippedPrice {
  const slippage = expectedSlippageBps(config, context);
  return { bps: slippage, price: executionPrice(side, referencePrice, slippage, tick) };
}

// ---------------------------------------------------------------------------------------------
// Order size versus market volume

export type SizeCheckCode = "INVALID_SIZE" | "NO_PRICE" | "ZERO_VOLUME" | "VOLUME_SHARE_EXCEEDED" | "SLIPPAGE_EXCEEDED";

export interface SizeCheckConfig {
  /** Largest share of the observed volume one order may take, e.g. 0.1 for 10 % of the bar volume. */
  maxShareOfVolume?: number;
  /** Largest expected slippage allowed, in bps (needs `slippage`). */
  maxSlippageBps?: number;
  slippage?: SlippageConfig;
}

/** Size as a quantity in base units, or as a notional in quote (converted with the market price). */
export interface SizeCheckOrder {
  qty?: number | Decimal;
  notional?: number | Decimal;
}

export interface SizeCheckMarket {
  /** Observed volume in base units (e.g. the last bar's volume). */
  volume: number;
  /** Reference price, needed when the order is given as a notional. */
  price?: number;
  spreadBps?: number;
  volatility?: number;
}

export interface SizeCheck {
  qty: number;
  shareOfVolume: number;
  expectedSlippageBps: number;
}

function toNumber(value: number | Decimal | undefined): number | undefined {
  return value === undefined ? undefined : typeof value === "number" ? value : value.toNumber();
}

function pct(fraction: number): string {
  return `${Number((fraction * 100).toFixed(2))}%`;
}

/** Refuses orders too large for the market: zero volume, share of volume above the cap, slippage above the maximum. */
export function validateOrderSize(order: SizeCheckOrder, market: SizeCheckMarket, config: SizeCheckConfig): Result<SizeCheck, SizeCheckCode> {
  let qty = toNumber(order.qty);
  if (qty === undefined) {
    const notional = toNumber(order.notional);
    if (notional === undefined) return err("INVALID_SIZE", "The order has neither a quantity nor a notional.");
    if (market.price === undefined || !(market.price > 0)) {
      return err("NO_PRICE", `An order of ${notional} in quote currency needs a market price to be sized, and none is known.`);
    }
    qty = notional / market.price;
  }
  if (!Number.isFinite(qty) || !(qty > 0)) return err("INVALID_SIZE", `The order quantity ${qty} is not a positive number.`);
  if (!(market.volume > 0)) {
    return err("ZERO_VOLUME", `There was no traded volume to size an order of ${qty} against.`, { qty });
  }
  const share = qty / market.volume;
  if (config.maxShareOfVolume !== undefined && share > config.maxShareOfVolume) {
    return err(
      "VOLUME_SHARE_EXCEEDED",
      `An order of ${qty} is ${pct(share)} of the observed volume of ${market.volume}; the cap is ${pct(config.maxShareOfVolume)}.`,
      { qty, volume: market.volume, share, cap: config.maxShareOfVolume },
    );
  }
  const slippage = config.slippage
    ? expectedSlippageBps(config.slippage, { qty, volume: market.volume, spreadBps: market.spreadBps, volatility: market.volatility })
    : 0;
  if (config.maxSlippageBps !== undefined && slippage > config.maxSlippageBps) {
    const rounded = Number(slippage.toFixed(2));
    return err("SLIPPAGE_EXCEEDED", `An order of ${qty} is expected to slip ${rounded} bps; the maximum is ${config.maxSlippageBps} bps.`, {
      qty,
      expectedSlippageBps: slippage,
      max: config.maxSlippageBps,
    });
  }
  return ok({ qty, shareOfVolume: share, expectedSlippageBps: slippage });
}

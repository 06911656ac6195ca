/**
 * Instruments: what can be traded and the exchange's precision and limits for it.
 * ccxt only rounds; Bastion enforces tick/step, min/max quantity and min notional itself.
 */
import { cmp, D, type Decimal, isMultipleOf, isPositive, roundToStep, type DecimalInput } from "./money";
import { err, type Result } from "./errors";

export interface Instrument {
  /** Unified symbol, e.g. "BTC/USDT" (spot) or "BTC/USDT:USDT" (linear perpetual). */
  symbol: string;
  base: string;
  quote: string;
  /** The exchange's own id, e.g. "BTCUSDT". */
  venueSymbol: string;
  kind: "spot" | "swap" | "future" | "option";
  priceTick: Decimal;
  qtyStep: Decimal;
  minQty: Decimal;
  maxQty: Decimal | null;
  minNotional: Decimal;
  maxNotional: Decimal | null;
  /** Fee rates as fractions (0.001 = 10 bps). */
  makerFee: Decimal;
  takerFee: Decimal;
}

export interface InstrumentInput {
  symbol: string;
  base?: string;
  quote?: string;
  venueSymbol?: string;
  kind?: Instrument["kind"];
  priceTick: DecimalInput;
  qtyStep: DecimalInput;
  minQty?: DecimalInput;
  maxQty?: DecimalInput | null;
  minNotional?: DecimalInput;
  maxNotional?: DecimalInput | null;
  makerFee?: DecimalInput;
  takerFee?: DecimalInput;
}

/** The quote currency a unified symbol names: "ETH/BTC" → "BTC", "BTC/USDT:USDT" → "USDT"; "" when it names none. */
export function quoteOfSymbol(symbol: string): string {
  return symbol.split("/")[1]?.split(":")[0] ?? "";
}

export function makeInstrument(input: InstrumentInput): Instrument {
  const basePart = input.symbol.split("/")[0];
  const quotePart = input.symbol.includes("/") ? quoteOfSymbol(input.symbol) : undefined;
  const priceTick = D(input.priceTick);
  const qtyStep = D(input.qtyStep);
  if (!priceTick.isPositive() || priceTick.isZero()) throw new RangeError(`${input.symbol}: price tick must be positive`);
  if (!qtyStep.isPositive() || qtyStep.isZero()) throw new RangeError(`${input.symbol}: quantity step must be positive`);
  return {
    symbol: input.symbol,
    base: input.base ?? basePart ?? input.symbol,
    quote: input.quote ?? quotePart ?? "",
    venueSymbol: input.venueSymbol ?? input.symbol.replace("/", "").split(":")[0]!,
    kind: input.kind ?? "spot",
    priceTick,
    qtyStep,
    minQty: D(input.minQty ?? 0),
    maxQty: input.maxQty == null ? null : D(input.maxQty),
    minNotional: D(input.minNotional ?? 0),
    maxNotional: input.maxNotional == null ? null : D(input.maxNotional),
    makerFee: D(input.makerFee ?? 0),
    takerFee: D(input.takerFee ?? 0),
  };
}

/** Rounds a price to the tick. Default "nearest"; callers choose "down"/"up" to stay on the passive side. */
export function roundPrice(instrument: Instrument, price: DecimalInput, direction: "down" | "up" | "nearest" = "nearest"): Decimal {
  return roundToStep(D(price), instrument.priceTick, direction);
}

/** Rounds a quantity to the step, down by default so an order never exceeds what was sized. */
export function roundQty(instrument: Instrument, qty: DecimalInput, direction: "down" | "up" | "nearest" = "down"): Decimal {
  return roundToStep(D(qty), instrument.qtyStep, direction);
}

export type InstrumentCheckCode = "PRICE_PRECISION" | "QTY_PRECISION" | "MIN_QUANTITY" | "MAX_QUANTITY" | "MIN_NOTIONAL" | "MAX_NOTIONAL";

/** Checks a quantity (and, when known, a price) against the instrument's precision and limits. */
/** The passing answer, shared: every order is checked (callers only read it). */
const PASSES: { ok: true; value: true } = Object.freeze({ ok: true as const, value: true as const });

export function checkAgainstInstrument(instrument: Instrument, qty: Decimal, price: Decimal | null): Result<true, InstrumentCheckCode> {
  const s = instrument.symbol;
  if (!isMultipleOf(qty, instrument.qtyStep)) {
    return err("QTY_PRECISION", `${s}: quantity ${qty.toString()} is not a multiple of the step ${instrument.qtyStep.toString()}`, {
      qty: qty.toString(),
      step: instrument.qtyStep.toString(),
    });
  }
  if (price !== null && !isMultipleOf(price, instrument.priceTick)) {
    return err("PRICE_PRECISION", `${s}: price ${price.toString()} is not a multiple of the tick ${instrument.priceTick.toString()}`, {
      price: price.toString(),
      tick: instrument.priceTick.toString(),
    });
  }
  if (cmp(qty, instrument.minQty) < 0) {
    return err("MIN_QUANTITY", `${s}: quantity ${qty.toString()} is below the minimum ${instrument.minQty.toString()}`, {
      qty: qty.toString(),
      min: instrument.minQty.toString(),
    });
  }
  if (instrument.maxQty !== null && cmp(qty, instrument.maxQty) > 0) {
    return err("MAX_QUANTITY", `${s}: quantity ${qty.toString()} is above the maximum ${instrument.maxQty.toString()}`, {
      qty: qty.toString(),
      max: instrument.maxQty.toString(),
    });
  }
  // The notional is a multiplication: only when there is a bound to hold it against.
  if (price !== null && (isPositive(instrument.minNotional) || instrument.maxNotional !== null)) {
    const notional = qty.times(price);
    if (cmp(notional, instrument.minNotional) < 0) {
      return err(
        "MIN_NOTIONAL",
        `${s}: order value ${notional.toString()} ${instrument.quote} is below the minimum ${instrument.minNotional.toString()} ${instrument.quote}`,
        {
          notional: notional.toString(),
          min: instrument.minNotional.toString(),
        },
      );
    }
    if (instrument.maxNotional !== null && cmp(notional, instrument.maxNotional) > 0) {
      return err(
        "MAX_NOTIONAL",
        `${s}: order value ${notional.toString()} ${instrument.quote} is above the maximum ${instrument.maxNotional.toString()} ${instrument.quote}`,
        {
          notional: notional.toString(),
          max: instrument.maxNotional.toString(),
        },
      );
    }
  }
  return PASSES;
}

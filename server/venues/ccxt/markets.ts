/**
 * ccxt markets: the shape of a ccxt market the adapter reads, and the Instrument (core) built from it.
 * Lives beside the adapter because it knows ccxt's conventions (precision modes, limits); core stays free of them.
 */
import { makeInstrument, type Instrument } from "../../core/instrument";
import { D, Decimal } from "../../core/money";

/**
 * The subset of a ccxt market the adapter and the runtime read (structural, so fixtures and tests need no ccxt
 * object). ccxt 4.5 reports precision as tick sizes (TICK_SIZE mode) for most exchanges; older snapshots use
 * decimal places (DECIMAL_PLACES mode). The venue knows which and passes it.
 */
export interface CcxtMarketLike {
  id: string;
  symbol: string;
  base: string;
  quote: string;
  type?: string;
  spot?: boolean;
  swap?: boolean;
  future?: boolean;
  option?: boolean;
  contract?: boolean;
  linear?: boolean | undefined;
  inverse?: boolean | undefined;
  info?: unknown;
  precision?: { amount?: number | string | null; price?: number | string | null };
  limits?: {
    amount?: { min?: number | null; max?: number | null };
    cost?: { min?: number | null; max?: number | null };
  };
  maker?: number | null;
  taker?: number | null;
}

export type PrecisionMode = "TICK_SIZE" | "DECIMAL_PLACES";

function precisionToStep(value: number | string | null | undefined, mode: PrecisionMode, what: string, symbol: string): Decimal {
  if (value === null || value === undefined) throw new RangeError(`${symbol}: market has no ${what} precision`);
  const d = D(value);
  if (mode === "TICK_SIZE") return d;
  if (!d.isInteger() || d.isNegative()) throw new RangeError(`${symbol}: ${what} precision ${String(value)} is not a number of decimal places`);
  return new Decimal(10).pow(d.negated());
}

export function instrumentFromCcxtMarket(market: CcxtMarketLike, mode: PrecisionMode = "TICK_SIZE"): Instrument {
  const kind: Instrument["kind"] = market.option ? "option" : market.future ? "future" : market.swap ? "swap" : "spot";
  const maxQty = market.limits?.amount?.max;
  const maxCost = market.limits?.cost?.max;
  return makeInstrument({
    symbol: market.symbol,
    base: market.base,
    quote: market.quote,
    venueSymbol: market.id,
    kind,
    priceTick: precisionToStep(market.precision?.price, mode, "price", market.symbol),
    qtyStep: precisionToStep(market.precision?.amount, mode, "amount", market.symbol),
    minQty: market.limits?.amount?.min ?? 0,
    maxQty: maxQty ?? null,
    minNotional: market.limits?.cost?.min ?? 0,
    maxNotional: maxCost ?? null,
    makerFee: market.maker ?? 0,
    takerFee: market.taker ?? 0,
  });
}

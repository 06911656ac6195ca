/**
 * Rebalancing proposals (issue 14 §3): from the book as it is and the target weights of an allocation method, the
 * list of orders that would bring each symbol to fraction × weight × equity. A proposal only: an operator reviews it
 * and sends it (services/rebalance.ts), each order through the risk gate; nothing here sends anything.
 *
 * Decisions:
 * - Long-only targets (the optimizers' weights are ≥ 0). A symbol held but without a target (no history) is left
 *   alone and named in `skipped`, never sold on a guess; a short is bought back only as far as the target says.
 * - A gap within `band` of the book (default 1 %) is drift, not a trade. Quantities are rounded DOWN to the step,
 *   so an order never overshoots its target; an order below the venue's minimum quantity or the desk's minimum
 *   notional is skipped with the reason.
 * - A sale of a long is reduce-only and never more than the long: it can only shrink the position. Sales come first,
 *   so their proceeds are free before the buys go out.
 * - Money is Decimal; only the weights are floats (statistics).
 */
import { type Decimal, ZERO } from "../money";
import { type OrderSide } from "../orders/types";

export interface RebalanceHolding {
  symbol: string;
  /** Signed net quantity: long +, short −. */
  netQty: Decimal;
  markPrice: Decimal;
}

export interface RebalanceInstrument {
  symbol: string;
  qtyStep: Decimal;
  minQty: Decimal;
}

export interface RebalanceInput {
  /** Target weights of the invested book, ≥ 0, summing to 1 (allocation.ts). */
  targetWeights: Readonly<Record<string, number>>;
  /** The share of equity the whole book holds (the target_weight sizing fraction). */
  bookFraction: number;
  equity: Decimal;
  holdings: readonly RebalanceHolding[];
  instruments: readonly RebalanceInstrument[];
  /** Prices for symbols without a holding (the marks). */
  prices: Readonly<Record<string, Decimal>>;
  /** The desk's minimum order notional. */
  minNotional?: Decimal;
  /** A gap smaller than this share of the book is left alone. Default 0.01. */
  band?: number;
}

export interface RebalanceOrder {
  symbol: string;
  side: OrderSide;
  quantity: Decimal;
  price: Decimal;
  notional: Decimal;
  reduceOnly: boolean;
  currentNotional: Decimal;
  targetNotional: Decimal;
  targetWeight: number;
}

export interface RebalanceProposal {
  /** Sells first, then buys; each group by symbol. */
  orders: RebalanceOrder[];
  skipped: { symbol: string; reason: string }[];
  /** fraction × equity: what the weights are shares of. */
  book: Decimal;
}

export function proposeRebalance(input: RebalanceInput): RebalanceProposal {
  if (!(Number.isFinite(input.bookFraction) && input.bookFraction > 0 && input.bookFraction <= 1)) {
    throw new RangeError(`The book fraction must be above 0 and at most 1, not ${input.bookFraction}.`);
  }
  const band = input.band ?? 0.01;
  if (!(Number.isFinite(band) && band >= 0 && band < 1)) throw new RangeError(`The band must be from 0 to below 1, not ${band}.`);
  const book = input.equity.times(input.bookFraction);
  const tolerance = book.times(band);
  const net = new Map<string, { qty: Decimal; mark: Decimal }>();
  for (const h of input.holdings) {
    const prev = net.get(h.symbol);
    net.set(h.symbol, { qty: (prev?.qty ?? ZERO).plus(h.netQty), mark: h.markPrice });
  }
  const instruments = new Map(input.instruments.map((i) => [i.symbol, i]));
  const symbols = [...new Set([...Object.keys(input.targetWeights), ...net.keys()])].sort();
  const orders: RebalanceOrder[] = [];
  const skipped: RebalanceProposal["skipped"] = [];
  for (const symbol of symbols) {
    const weight = input.targetWeights[symbol];
    const held = net.get(symbol);
    if (weight === undefined) {
      if (held && !held.qty.isZero()) skipped.push({ symbol, reason: `${symbol} has no target weight (no price history): its position is left alone.` });
      continue;
    }
    const instrument = instruments.get(symbol);
    if (!instrument) {
      skipped.push({ symbol, reason: `${symbol} is not traded on this desk's venue.` });
      continue;
    }
    const price = held?.mark ?? input.prices[symbol];
    if (!price || !price.greaterThan(0)) {
      skipped.push({ symbol, reason: `${symbol} has no price yet.` });
      continue;
    }
    const qtyHeld = held?.qty ?? ZERO;
    const currentNotional = qtyHeld.times(price);
    const targetNotional = book.times(weight);
    const gap = targetNotional.minus(currentNotional);
    if (gap.abs().lessThanOrEqualTo(tolerance)) continue;
    const side: OrderSide = gap.greaterThan(0) ? "BUY" : "SELL";
    let quantity = gap.abs().dividedBy(price).dividedBy(instrument.qtyStep).floor().times(instrument.qtyStep);
    const reduceOnly = side === "SELL" && qtyHeld.greaterThan(0);
    if (reduceOnly && quantity.greaterThan(qtyHeld)) quantity = qtyHeld;
    const notional = quantity.times(price);
    if (quantity.isZero() || quantity.lessThan(instrument.minQty)) {
      skipped.push({
        symbol,
        reason: `${symbol}: the gap of ${gap.toDecimalPlaces(8).toString()} is below the minimum quantity ${instrument.minQty.toString()}.`,
      });
      continue;
    }
    if (input.minNotional && notional.lessThan(input.minNotional)) {
      skipped.push({
        symbol,
        reason: `${symbol}: the order of ${notional.toDecimalPlaces(8).toString()} is below the minimum notional ${input.minNotional.toString()}.`,
      });
      continue;
    }
    orders.push({ symbol, side, quantity, price, notional, reduceOnly, currentNotional, targetNotional, targetWeight: weight });
  }
  orders.sort((a, b) => (a.side === b.side ? a.symbol.localeCompare(b.symbol) : a.side === "SELL" ? -1 : 1));
  return { orders, skipped, book };
}

/** The book after the orders filled at their prices, for checks: symbol → signed notional. */
export function notionalsAfter(proposal: RebalanceProposal, holdings: readonly RebalanceHolding[]): Map<string, Decimal> {
  const out = new Map<string, Decimal>();
  for (const h of holdings) out.set(h.symbol, (out.get(h.symbol) ?? ZERO).plus(h.netQty.times(h.markPrice)));
  for (const o of proposal.orders) {
    const signed = o.side === "BUY" ? o.notional : o.notional.negated();
    out.set(o.symbol, (out.get(o.symbol) ?? ZERO).plus(signed));
  }
  return out;
}

/**
 * The arbitrage executor's pure decisions: whether two venues' quotes on one market offer a spread worth taking net
 * of both fees and the expected slippage (and how much, within each venue's balance), and what to do about leg risk
 * when one leg filled and the other failed, filled partly or is too slow. Both legs are ordinary orders for the
 * engine: each passes the risk gate, and the emergency stop flattens both venues.
 */
import { cmp, Decimal, isPositive, roundToStep, sub, ZERO } from "../money";
import { type OrderSide } from "../orders/types";

const BPS = new Decimal(10_000);

/** One market of a pair: a symbol on a venue. */
export interface ArbMarket {
  venue: string;
  symbol: string;
}

/**
 * An arbitrage pair as the desk file states it (engine/arbitrage.ts works it): the same asset on two markets, either
 * of which may be the buy side. Their quote currencies are treated as equal value (e.g. USDC = USD).
 */
export interface ArbPairConfig {
  id: string;
  markets: [ArbMarket, ArbMarket];
  thresholdBps: number;
  slippageBps: number;
  legs: "taker-taker" | "maker-taker";
  /** Decimal text, coins of the base. */
  maxQty: string;
  legTimeoutMs: number;
  maxQuoteAgeMs: number;
  repair: "hedge" | "unwind";
  enabled: boolean;
}

export interface ArbQuote {
  venue: string;
  bid: Decimal;
  ask: Decimal;
  /** Visible size at the touch; null when unknown (then only balances and maxQty bound the size). */
  bidSize: Decimal | null;
  askSize: Decimal | null;
  takerFee: Decimal;
  makerFee: Decimal;
  /** When the quote was seen (ms). */
  ts: number;
  /** Set when the venue is down or refusing: no opportunity uses it. */
  unavailable?: string;
}

export interface ArbBalance {
  base: Decimal;
  quote: Decimal;
}

export interface ArbSettings {
  /** The least net spread worth trading, after both fees and slippage, in bps. */
  thresholdBps: Decimal;
  /** Expected slippage per taker leg, in bps of its price. */
  slippageBps: Decimal;
  /** "maker-taker": the buy leg rests at the buy venue's bid (maker fee, no slippage), the sell leg takes. */
  legs: "taker-taker" | "maker-taker";
  maxQty: Decimal;
  /** A quote older than this is stale: two venues' prices must be simultaneous to compare. */
  maxQuoteAgeMs: number;
  qtyStep: Decimal;
  minQty: Decimal;
  minNotional: Decimal;
}

export type ArbSkipCode = "VENUE_UNAVAILABLE" | "STALE_QUOTE" | "INVALID_QUOTE" | "BELOW_THRESHOLD" | "TOO_SMALL";

export type ArbDecision =
  | {
      kind: "opportunity";
      buyVenue: string;
      sellVenue: string;
      /** Limit prices for the legs (the touch each takes or joins). */
      buyPrice: Decimal;
      sellPrice: Decimal;
      qty: Decimal;
      grossBps: Decimal;
      netBps: Decimal;
      /** Quote currency expected net of fees and slippage. */
      expectedProfit: Decimal;
      reason: string;
    }
  | { kind: "skip"; code: ArbSkipCode; reason: string; bestNetBps: Decimal | null };

interface Direction {
  buy: ArbQuote;
  sell: ArbQuote;
  buyPrice: Decimal;
  sellPrice: Decimal;
  /** Per unit, quote: paid on the buy venue, received on the sell venue (fees and slippage included). */
  buyCost: Decimal;
  sellProceeds: Decimal;
  grossBps: Decimal;
  netBps: Decimal;
}

function direction(buy: ArbQuote, sell: ArbQuote, settings: ArbSettings): Direction {
  const slippage = settings.slippageBps.dividedBy(BPS);
  const maker = settings.legs === "maker-taker";
  const buyPrice = maker ? buy.bid : buy.ask;
  const buyCost = buyPrice.times(new Decimal(1).plus(maker ? buy.makerFee : buy.takerFee.plus(slippage)));
  const sellPrice = sell.bid;
  const sellProceeds = sellPrice.times(new Decimal(1).minus(sell.takerFee).minus(slippage));
  return {
    buy,
    sell,
    buyPrice,
    sellPrice,
    buyCost,
    sellProceeds,
    grossBps: sellPrice.minus(buyPrice).dividedBy(buyPrice).times(BPS),
    netBps: sellProceeds.minus(buyCost).dividedBy(buyCost).times(BPS),
  };
}

function bps(d: Decimal): string {
  return d.toDecimalPlaces(1).toString();
}

/**
 * Looks at both directions (buy on a, sell on b, and the reverse) and returns the better one when its net spread
 * reaches the threshold and a tradable size fits the touch sizes, `maxQty` and the balances (quote on the buy venue,
 * base on the sell venue); otherwise a skip with the reason.
 */
export function detectArbitrage(a: ArbQuote, b: ArbQuote, balances: Readonly<Record<string, ArbBalance>>, settings: ArbSettings, now: number): ArbDecision {
  for (const quote of [a, b]) {
    if (quote.unavailable !== undefined) return { kind: "skip", code: "VENUE_UNAVAILABLE", reason: `${quote.venue}: ${quote.unavailable}`, bestNetBps: null };
    if (now - quote.ts > settings.maxQuoteAgeMs) {
      return {
        kind: "skip",
        code: "STALE_QUOTE",
        reason: `${quote.venue}'s quote is ${now - quote.ts} ms old (limit ${settings.maxQuoteAgeMs} ms)`,
        bestNetBps: null,
      };
    }
    if (!isPositive(quote.bid) || !isPositive(quote.ask) || cmp(quote.bid, quote.ask) > 0) {
      return {
        kind: "skip",
        code: "INVALID_QUOTE",
        reason: `${quote.venue}'s quote is not usable (bid ${quote.bid.toString()}, ask ${quote.ask.toString()})`,
        bestNetBps: null,
      };
    }
  }
  const ab = direction(a, b, settings);
  const ba = direction(b, a, settings);
  const best = cmp(ab.netBps, ba.netBps) >= 0 ? ab : ba;
  if (cmp(best.netBps, settings.thresholdBps) < 0) {
    return {
      kind: "skip",
      code: "BELOW_THRESHOLD",
      reason: `best net spread ${bps(best.netBps)} bps (buy ${best.buy.venue}, sell ${best.sell.venue}; gross ${bps(best.grossBps)} bps) is below ${settings.thresholdBps.toString()} bps`,
      bestNetBps: best.netBps,
    };
  }
  const buyBalance = balances[best.buy.venue] ?? { base: ZERO, quote: ZERO };
  const sellBalance = balances[best.sell.venue] ?? { base: ZERO, quote: ZERO };
  const bounds: [string, Decimal][] = [
    ["max quantity", settings.maxQty],
    [`${best.buy.venue} quote balance`, buyBalance.quote.dividedBy(best.buyCost)],
    [`${best.sell.venue} base balance`, sellBalance.base],
  ];
  if (settings.legs === "taker-taker" && best.buy.askSize !== null) bounds.push([`${best.buy.venue} ask size`, best.buy.askSize]);
  if (best.sell.bidSize !== null) bounds.push([`${best.sell.venue} bid size`, best.sell.bidSize]);
  const [limitedBy, bound] = bounds.reduce((min, x) => (cmp(x[1], min[1]) < 0 ? x : min));
  const qty = roundToStep(Decimal.max(bound, ZERO), settings.qtyStep, "down");
  if (!isPositive(qty) || cmp(qty, settings.minQty) < 0 || cmp(qty.times(best.buyPrice), settings.minNotional) < 0) {
    return {
      kind: "skip",
      code: "TOO_SMALL",
      reason: `net ${bps(best.netBps)} bps, but the ${limitedBy} allows only ${qty.toString()}`,
      bestNetBps: best.netBps,
    };
  }
  return {
    kind: "opportunity",
    buyVenue: best.buy.venue,
    sellVenue: best.sell.venue,
    buyPrice: best.buyPrice,
    sellPrice: best.sellPrice,
    qty,
    grossBps: best.grossBps,
    netBps: best.netBps,
    expectedProfit: best.sellProceeds.minus(best.buyCost).times(qty),
    reason: `buy ${best.buy.venue} at ${best.buyPrice.toString()}, sell ${best.sell.venue} at ${best.sellPrice.toString()}: net ${bps(best.netBps)} bps ≥ ${settings.thresholdBps.toString()} bps; size limited by the ${limitedBy}`,
  };
}

export interface ArbLeg {
  venue: string;
  side: OrderSide;
  targetQty: Decimal;
  filledQty: Decimal;
  status: "working" | "filled" | "failed" | "cancelled";
}

export interface LegRiskInput {
  buy: ArbLeg;
  sell: ArbLeg;
  openedAt: number;
  now: number;
  /** A leg still working this long after the opening is too slow. */
  legTimeoutMs: number;
  /** Fix an imbalance by completing the lagging leg (hedge) or reversing the excess of the leading one (unwind). */
  policy: "hedge" | "unwind";
  /** Repairs already tried for this round trip. */
  attempted: readonly ("hedge" | "unwind")[];
  /** Venues currently unreachable (a hedge is not sent there). */
  venuesDown: readonly string[];
  /** Below this the imbalance is dust that no venue accepts: recorded, not traded. */
  minQty: Decimal;
}

export type LegRiskAction =
  | { kind: "wait"; until: number; reason: string }
  | { kind: "balanced"; reason: string }
  | { kind: "cancel"; venues: string[]; reason: string }
  | { kind: "repair"; repair: "hedge" | "unwind"; order: { venue: string; side: OrderSide; qty: Decimal; type: "MARKET"; reduceOnly: boolean }; reason: string }
  /** Both repairs were tried (or none is possible): a person decides. */
  | { kind: "escalate"; reason: string };

/**
 * Leg risk. While both legs work within the time limit: wait. A leg still working when the other has ended badly or
 * the limit is past is canceled first (its fills are then known). With both legs done, the bought and sold
 * quantities must match; otherwise the policy's repair is sent as a market order — a hedge completes the lagging leg
 * on its venue (if up), an unwind sells back / buys back the leading leg's excess — and when that has been tried too,
 * the other; after both, a person decides.
 */
export function decideLegRisk(input: LegRiskInput): LegRiskAction {
  const { buy, sell } = input;
  const deadline = input.openedAt + input.legTimeoutMs;
  const working = [buy, sell].filter((leg) => leg.status === "working");
  const failed = [buy, sell].filter((leg) => leg.status === "failed" || leg.status === "cancelled");
  if (working.length > 0) {
    if (input.now < deadline && failed.length === 0) return { kind: "wait", until: deadline, reason: "both legs working within the time limit" };
    const why =
      failed.length > 0
        ? `the ${failed[0]!.side.toLowerCase()} leg on ${failed[0]!.venue} ${failed[0]!.status}`
        : `still working after ${input.legTimeoutMs} ms`;
    return { kind: "cancel", venues: working.map((leg) => leg.venue), reason: `${why}: cancel the working leg before repairing` };
  }
  const imbalance = sub(buy.filledQty, sell.filledQty); // > 0: long the excess (bought more than sold)
  const size = imbalance.abs();
  if (size.isZero() || cmp(size, input.minQty) < 0) {
    return {
      kind: "balanced",
      reason: size.isZero() ? `balanced at ${buy.filledQty.toString()}` : `residual ${imbalance.toString()} is below the minimum quantity`,
    };
  }
  const lagging = isPositive(imbalance) ? sell : buy;
  const leading = isPositive(imbalance) ? buy : sell;
  const canHedge = !input.venuesDown.includes(lagging.venue) && !input.attempted.includes("hedge");
  const canUnwind = !input.venuesDown.includes(leading.venue) && !input.attempted.includes("unwind");
  const hedge = { venue: lagging.venue, side: lagging.side, qty: size, type: "MARKET" as const, reduceOnly: false };
  const unwindSide: OrderSide = leading.side === "BUY" ? "SELL" : "BUY";
  const unwind = { venue: leading.venue, side: unwindSide, qty: size, type: "MARKET" as const, reduceOnly: true };
  const open = `${leading.side === "BUY" ? "bought" : "sold"} ${size.toString()} more on ${leading.venue} than the other leg matched`;
  if (input.policy === "hedge" && canHedge)
    return { kind: "repair", repair: "hedge", order: hedge, reason: `${open}: complete the ${lagging.side.toLowerCase()} on ${lagging.venue}` };
  if (canUnwind) return { kind: "repair", repair: "unwind", order: unwind, reason: `${open}: reverse it on ${leading.venue}` };
  if (canHedge)
    return {
      kind: "repair",
      repair: "hedge",
      order: hedge,
      reason: `${open}: the unwind is not possible, complete the ${lagging.side.toLowerCase()} on ${lagging.venue}`,
    };
  return {
    kind: "escalate",
    reason: `${open}, and ${input.attempted.length > 0 ? `${input.attempted.join(" and ")} already tried` : "both venues are down"}: a person decides`,
  };
}

/** Realized PnL of a round trip on the matched quantity, net of both legs' fees (quote currency). */
export function roundTripPnl(buy: { qty: Decimal; avgPrice: Decimal; fees: Decimal }, sell: { qty: Decimal; avgPrice: Decimal; fees: Decimal }): Decimal {
  const matched = Decimal.min(buy.qty, sell.qty);
  return sell.avgPrice.minus(buy.avgPrice).times(matched).minus(buy.fees).minus(sell.fees);
}

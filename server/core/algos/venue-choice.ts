/**
 * Which one venue takes an order, pure: the best quoted price net of the taker fee among the venues that can take it
 * (a buy pays ask × (1 + fee), a sell receives bid × (1 − fee)), with what every venue offered and why each was
 * chosen, passed over or skipped. `routeOrder` (routing.ts) splits a known quantity over visible books; a signal is
 * sized only once its venue is known, so the choice here needs only the touch price and the fee.
 */
import { cmp, Decimal } from "../money";
import { type OrderSide } from "../orders/types";

export interface VenueOffer {
  venue: string;
  /** The touch on the side taken (ask for a buy, bid for a sell), or the last price; null when the venue has none. */
  price: Decimal | null;
  /** Taker fee as a fraction (0.001 = 10 bps). */
  takerFee: Decimal;
  /** Set when the venue cannot take the order (down, paused, not listing the symbol): skipped with this reason. */
  unavailable?: string;
}

export interface VenueOfferOutcome {
  venue: string;
  price: Decimal | null;
  /** Price net of the taker fee: what one unit costs (buy) or brings (sell). */
  netPrice: Decimal | null;
  status: "chosen" | "passed" | "skipped";
  reason: string;
}

export interface VenueChoice {
  side: OrderSide;
  chosen: string | null;
  offers: VenueOfferOutcome[];
  /** One sentence: the choice and every venue's offer, as recorded with the order. */
  summary: string;
}

function netPrice(side: OrderSide, price: Decimal, fee: Decimal): Decimal {
  return side === "BUY" ? price.times(new Decimal(1).plus(fee)) : price.times(new Decimal(1).minus(fee));
}

/** The venue with the best net price (ties: the first listed); null when none can take the order. */
export function chooseVenue(side: OrderSide, offers: readonly VenueOffer[]): VenueChoice {
  let best: { venue: string; net: Decimal } | null = null;
  const nets = new Map<string, Decimal>();
  for (const offer of offers) {
    if (offer.unavailable || offer.price === null || !offer.price.isPositive()) continue;
    const net = netPrice(side, offer.price, offer.takerFee);
    nets.set(offer.venue, net);
    const better = side === "BUY" ? cmp(net, best?.net ?? net) < 0 : cmp(net, best?.net ?? net) > 0;
    if (!best || better) best = { venue: offer.venue, net };
  }
  const word = side === "BUY" ? "buy" : "sell";
  const outcomes: VenueOfferOutcome[] = offers.map((offer) => {
    const net = nets.get(offer.venue) ?? null;
    const fee = `${offer.takerFee.times(100).toString()}% fee`;
    if (offer.unavailable) return { venue: offer.venue, price: offer.price, netPrice: null, status: "skipped", reason: offer.unavailable };
    if (net === null) return { venue: offer.venue, price: offer.price, netPrice: null, status: "skipped", reason: "no price quoted yet" };
    const offered = `${word} ${offer.price!.toString()} + ${fee} = ${net.toString()} net`;
    if (best && offer.venue === best.venue)
      return { venue: offer.venue, price: offer.price, netPrice: net, status: "chosen", reason: `best net price: ${offered}` };
    return { venue: offer.venue, price: offer.price, netPrice: net, status: "passed", reason: offered };
  });
  const parts = outcomes.map((o) => `${o.venue} ${o.status === "chosen" ? "chosen" : o.status}: ${o.reason}`);
  const summary = best ? `Routed to ${best.venue} (${parts.join("; ")}).` : `No venue can take it (${parts.join("; ")}).`;
  return { side, chosen: best?.venue ?? null, offers: outcomes, summary };
}

/**
 * What the arbitrage room reads, without changing anything but the round trip it is given: a pair's inputs to
 * detectArbitrage (quotes, fees, rules and free balances of both markets), a leg brought up to its order (fills, average
 * price, fees, status), one side of a round trip as decideLegRisk sees it, and the booking of what both sides traded.
 */
import { type ArbBalance, type ArbLeg, type ArbPairConfig, type ArbQuote, type ArbSettings, roundTripPnl } from "../core/algos/arbitrage";
import type { Instrument } from "../core/instrument";
import { D, Decimal, isPositive, ZERO } from "../core/money";
import type { OrderSide } from "../core/orders";
import type { EngineContext } from "./context";
import { label, live, type LegStatus, type RoundTrip, type RoundTripLeg } from "./arbitrage-types";

export type PairInputs =
  { ok: true; quotes: [ArbQuote, ArbQuote]; balances: Record<string, ArbBalance>; settings: ArbSettings } | { ok: false; code: string; reason: string };

/** A leg's market rules (without a venue set: the one venue's instruments, whatever the venue named). */
export function instrumentOf(cx: EngineContext, venue: string, symbol: string): Instrument | undefined {
  return cx.venues ? cx.venues.listing(venue, symbol) : cx.books.instruments.get(symbol);
}

/** Whether a leg's order reached the journal (the books, or the store once it ended): not there, it never left. */
export function journaled(cx: EngineContext, clientOrderId: string): boolean {
  return cx.books.orders.has(clientOrderId) || Boolean(cx.store.getOrder(clientOrderId));
}

/** Each market's quote (from the venue set), fees, rules and free balances, keyed by the market's label. */
export function inputsOf(cx: EngineContext, pair: ArbPairConfig): PairInputs {
  const set = cx.venues;
  const quotes: ArbQuote[] = [];
  const balances: Record<string, ArbBalance> = {};
  const instruments: Instrument[] = [];
  for (const market of pair.markets) {
    // Without a venue set only the one venue lists anything.
    const instrument = set || cx.venue.id === market.venue ? instrumentOf(cx, market.venue, market.symbol) : undefined;
    if (!instrument) return { ok: false, code: "NOT_LISTED", reason: `${market.venue} does not list ${market.symbol}` };
    instruments.push(instrument);
    const quote = set?.quotes.get(market.venue)?.get(market.symbol);
    if (!quote || quote.bid === null || quote.ask === null) return { ok: false, code: "NO_QUOTE", reason: `no bid and ask for ${label(market)} yet` };
    const member = set ? set.member(market.venue) : cx.venue;
    const status = member.status();
    const state = set?.stateOf(market.venue) ?? "ACTIVE";
    const unavailable = !status.connected ? `down (${status.lastError ?? "not connected"})` : state !== "ACTIVE" ? state.toLowerCase() : undefined;
    quotes.push({
      venue: label(market),
      bid: D(quote.bid),
      ask: D(quote.ask),
      bidSize: null,
      askSize: null,
      takerFee: instrument.takerFee,
      makerFee: instrument.makerFee,
      ts: quote.ts,
      ...(unavailable !== undefined && { unavailable }),
    });
    balances[label(market)] = {
      base: cx.venueRoom.freeBalance(market.venue, instrument.base) ?? ZERO,
      quote: cx.venueRoom.freeBalance(market.venue, instrument.quote) ?? ZERO,
    };
  }
  const [a, b] = instruments as [Instrument, Instrument];
  const settings: ArbSettings = {
    thresholdBps: D(pair.thresholdBps),
    slippageBps: D(pair.slippageBps),
    legs: pair.legs,
    maxQty: D(pair.maxQty),
    maxQuoteAgeMs: pair.maxQuoteAgeMs,
    // Both legs trade one quantity: the coarser rules of the two markets.
    qtyStep: Decimal.max(a.qtyStep, b.qtyStep),
    minQty: Decimal.max(a.minQty, b.minQty),
    minNotional: Decimal.max(a.minNotional, b.minNotional),
  };
  return { ok: true, quotes: quotes as [ArbQuote, ArbQuote], balances, settings };
}

/** A leg's status, fills, average price and fees from its order; true when something changed. `note` records an end. */
export function syncLeg(cx: EngineContext, leg: RoundTripLeg, note: (text: string) => void): boolean {
  if (!live(leg)) return false;
  const stored = cx.books.orders.get(leg.clientOrderId) ?? cx.store.getOrder(leg.clientOrderId);
  if (!stored) return false;
  const order = stored.order;
  let qty = ZERO;
  let notional = ZERO;
  let fees = ZERO;
  const instrument = instrumentOf(cx, leg.venue, leg.symbol);
  for (const fill of cx.store.fillsForOrder(leg.clientOrderId)) {
    qty = qty.plus(fill.qty);
    notional = notional.plus(fill.qty.times(fill.price));
    // A fee charged in the base is valued at the fill's price (the PnL is in the quote).
    fees = fees.plus(instrument && fill.feeCurrency === instrument.base ? fill.fee.times(fill.price) : fill.fee);
  }
  const status: LegStatus =
    order.status === "FILLED"
      ? "filled"
      : order.status === "CANCELED" || order.status === "EXPIRED"
        ? "cancelled"
        : order.status === "REJECTED" || order.status === "DENIED"
          ? "failed"
          : "working";
  const changed = status !== leg.status || !qty.equals(leg.filledQty);
  leg.filledQty = qty;
  leg.avgPrice = isPositive(qty) ? notional.dividedBy(qty).toSignificantDigits(12) : null;
  leg.fees = fees;
  if (status !== leg.status) {
    leg.status = status;
    if (status !== "working") {
      leg.reason = order.reason ?? null;
      note(`${leg.role} leg ${leg.clientOrderId} ${status}: ${qty.toString()} of ${leg.qty.toString()}${order.reason ? ` (${order.reason})` : ""}`);
    }
  }
  return changed;
}

/** One side of the round trip over all its orders (legs and repairs): what was bought (or sold), and whether any still works. */
export function sideOf(trip: RoundTrip, side: OrderSide): ArbLeg {
  const legs = trip.legs.filter((leg) => leg.side === side);
  const primary = trip.legs.find((leg) => leg.role === (side === "BUY" ? "buy" : "sell"))!;
  const filledQty = legs.reduce((sum, leg) => sum.plus(leg.filledQty), ZERO);
  // Nothing working: the primary leg's end says how the side ended (a pending one never went out: nothing to wait for).
  const status: ArbLeg["status"] = legs.some(live) ? "working" : primary.status === "cancelled" || primary.status === "failed" ? primary.status : "filled";
  return { venue: primary.venue, side, targetQty: primary.qty, filledQty, status };
}

/** The venues down or halted (decideLegRisk sends no repair there). */
export function venuesDown(cx: EngineContext): string[] {
  const set = cx.venues;
  if (!set) return cx.venue.status().connected ? [] : [cx.venue.id];
  return set.ids().filter((id) => !set.member(id).status().connected || set.stateOf(id) === "HALTED");
}

/** The smallest quantity a repair can trade on both markets. */
export function minQtyOf(cx: EngineContext, trip: RoundTrip): Decimal {
  const a = instrumentOf(cx, trip.buy.venue, trip.buy.symbol);
  const b = instrumentOf(cx, trip.sell.venue, trip.sell.symbol);
  return Decimal.max(a?.minQty ?? ZERO, b?.minQty ?? ZERO, a?.qtyStep ?? ZERO, b?.qtyStep ?? ZERO);
}

/** What both sides bought and sold over all their orders, and the PnL net of every leg's fees on the matched quantity. */
export function book(trip: RoundTrip): Decimal {
  const fillsOf = (side: OrderSide) => {
    const legs = trip.legs.filter((leg) => leg.side === side);
    const qty = legs.reduce((sum, leg) => sum.plus(leg.filledQty), ZERO);
    const notional = legs.reduce((sum, leg) => sum.plus(leg.avgPrice ? leg.avgPrice.times(leg.filledQty) : ZERO), ZERO);
    const fees = legs.reduce((sum, leg) => sum.plus(leg.fees), ZERO);
    return { qty, avgPrice: isPositive(qty) ? notional.dividedBy(qty) : ZERO, fees };
  };
  const bought = fillsOf("BUY");
  const sold = fillsOf("SELL");
  trip.boughtQty = bought.qty;
  trip.soldQty = sold.qty;
  trip.pnl = roundTripPnl(bought, sold).toDecimalPlaces(8);
  return trip.pnl;
}

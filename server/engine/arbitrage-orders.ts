/**
 * The arbitrage room's orders: a new round trip with its two legs priced (taker legs are marketable limits allowing the
 * expected slippage; a maker buy rests at the bid) and its `taken` opportunity row, a repair leg (hedge or unwind, a
 * market order), and one leg sent through the risk gate, booked to the pair's position on its venue. The room journals
 * a round trip before any of its legs goes out; these only build and send.
 */
import type { ArbDecision, ArbPairConfig, LegRiskAction } from "../core/algos/arbitrage";
import { D, type Decimal, roundToStep, ZERO } from "../core/money";
import type { OrderSpec } from "../core/orders";
import { createExitState } from "../core/positions";
import type { ArbOpportunityRow } from "../db/store";
import { instrumentOf, journaled } from "./arbitrage-legs";
import { label, owner, type RoundTrip, type RoundTripLeg } from "./arbitrage-types";
import { ownerOf } from "./books";
import type { EngineContext } from "./context";
import type { PositionRecord } from "./types";

/** A round trip for a detected opportunity, its legs `pending`, and the opportunity row that records it taken. */
export function newRoundTrip(
  cx: EngineContext,
  pair: ArbPairConfig,
  decision: Extract<ArbDecision, { kind: "opportunity" }>,
  id: string,
  now: number,
): { trip: RoundTrip; taken: ArbOpportunityRow } {
  const buy = pair.markets.find((m) => label(m) === decision.buyVenue)!;
  const sell = pair.markets.find((m) => label(m) === decision.sellVenue)!;
  const maker = pair.legs === "maker-taker";
  const slip = D(pair.slippageBps).dividedBy(10_000);
  const buyInstrument = instrumentOf(cx, buy.venue, buy.symbol)!;
  const sellInstrument = instrumentOf(cx, sell.venue, sell.symbol)!;
  // Taker legs are marketable limits allowing the expected slippage past the touch (IOC: what does not fill at once is cancelled).
  const buyPrice = roundToStep(maker ? decision.buyPrice : decision.buyPrice.times(D(1).plus(slip)), buyInstrument.priceTick, "down");
  const sellPrice = roundToStep(decision.sellPrice.times(D(1).minus(slip)), sellInstrument.priceTick, "up");
  const leg = (role: "buy" | "sell", market: { venue: string; symbol: string }, price: Decimal, resting: boolean): RoundTripLeg => ({
    role,
    venue: market.venue,
    symbol: market.symbol,
    side: role === "buy" ? "BUY" : "SELL",
    clientOrderId: `${id}.${role === "buy" ? "b" : "s"}`,
    type: "LIMIT",
    timeInForce: resting ? "GTC" : "IOC",
    qty: decision.qty,
    price,
    status: "pending",
    filledQty: ZERO,
    avgPrice: null,
    fees: ZERO,
    reason: null,
    sentAt: null,
  });
  const trip: RoundTrip = {
    id,
    pairId: pair.id,
    status: "open",
    openedAt: now,
    updatedAt: now,
    legsSentAt: now,
    buy,
    sell,
    qty: decision.qty,
    netBps: decision.netBps.toDecimalPlaces(2),
    expectedProfit: decision.expectedProfit.toDecimalPlaces(8),
    legs: [leg("buy", buy, buyPrice, maker), leg("sell", sell, sellPrice, false)],
    attempted: [],
    events: [{ ts: now, text: `opened: ${decision.reason}` }],
    pnl: null,
    boughtQty: ZERO,
    soldQty: ZERO,
  };
  const taken: ArbOpportunityRow = {
    pairId: pair.id,
    outcome: "taken",
    code: "TAKEN",
    reason: decision.reason,
    count: 1,
    firstTs: now,
    lastTs: now,
    bestNetBps: trip.netBps,
    buyVenue: buy.venue,
    sellVenue: sell.venue,
    qty: decision.qty,
    roundTripId: id,
  };
  return { trip, taken };
}

/**
 * One leg through the risk gate, booked to the pair's position on that venue (opened, added to or reduced). Returns why
 * the leg failed here (nothing to unwind, or a gate refusal that left no order behind), or null when it went out: a venue
 * refusal comes back through the ledger.
 */
export function sendLeg(cx: EngineContext, trip: RoundTrip, leg: RoundTripLeg): string | null {
  const strategy = owner(trip.pairId);
  const held = positionOn(cx, leg.venue, leg.symbol, strategy);
  const reduceOnly = leg.role === "unwind";
  let newPosition: { id: string; side: "LONG" | "SHORT"; meta: PositionRecord["meta"]; exit: PositionRecord["exit"] } | null = null;
  if (!held) {
    if (reduceOnly) {
      return `no ${strategy} position on ${leg.venue} ${leg.symbol} to unwind`;
    }
    newPosition = {
      id: cx.ids.next("pos"),
      side: leg.side === "BUY" ? "LONG" : "SHORT",
      meta: { strategy, signalId: null, entryOrderId: leg.clientOrderId },
      // A leg is hedged by the other venue's: the symbol's stop-loss or take-profit must never close one side alone.
      exit: createExitState({}),
    };
  }
  const spec: OrderSpec = {
    clientOrderId: leg.clientOrderId,
    symbol: leg.symbol,
    side: leg.side,
    type: leg.type,
    quantity: leg.qty,
    ...(leg.price !== null && { price: leg.price }),
    timeInForce: leg.timeInForce,
    reduceOnly,
    tags: { positionId: held?.position.id ?? newPosition!.id, strategy, reason: "arbitrage", arbId: trip.id, arbLeg: leg.role },
    venue: leg.venue,
  };
  const refPrice = leg.price ?? cx.venueRoom.touch(leg.venue, leg.symbol, leg.side) ?? trip.legs[0]!.price ?? ZERO;
  const result = cx.gate.placeOrder(spec, { refPrice, newPosition });
  // A gate refusal leaves no order behind: the leg failed here. A venue refusal comes back through the ledger.
  if (!result.ok && !journaled(cx, leg.clientOrderId)) {
    return `${result.error.code}: ${result.error.message}`;
  }
  return null;
}

function positionOn(cx: EngineContext, venue: string, symbol: string, strategy: string): PositionRecord | undefined {
  return cx.books.openPositionsFor(symbol, strategy).find((r) => cx.venueRoom.venueOfPosition(r) === venue && ownerOf(r.meta) === strategy);
}

/** A repair: a hedge completes the lagging side on its market; an unwind reverses the leading side on its market. */
export function repairLeg(trip: RoundTrip, action: Extract<LegRiskAction, { kind: "repair" }>, now: number): RoundTripLeg {
  const n = trip.legs.filter((leg) => leg.role === action.repair).length + 1;
  const onBuyMarket = action.repair === "hedge" ? action.order.side === "BUY" : action.order.side === "SELL";
  const market = onBuyMarket ? trip.buy : trip.sell;
  return {
    role: action.repair,
    venue: market.venue,
    symbol: market.symbol,
    side: action.order.side,
    clientOrderId: `${trip.id}.${action.repair === "hedge" ? "h" : "u"}${n}`,
    type: "MARKET",
    timeInForce: "IOC",
    qty: action.order.qty,
    price: null,
    status: "sent",
    filledQty: ZERO,
    avgPrice: null,
    fees: ZERO,
    reason: null,
    sentAt: now,
  };
}

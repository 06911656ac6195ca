/**
 * The record of a closed trade: what a finished position becomes in the trade list (prices, PnL, outcome, slippage
 * against the requested prices). Pure: the engine passes in what it looked up (requested prices, the exit reason,
 * the time when the position has no close time).
 */
import { approxNumber, ratioNumber, roundReport, ZERO, type Decimal } from "../money";
import { averageEntryPrice, type Position, type PositionSide } from "./book";

export type TradeOutcome = "WIN" | "LOSS" | "BREAKEVEN";

/** A closed trade; the store's TradeRecord (db/store.ts) is this type. */
export interface BookedTrade {
  id: string;
  positionId: string;
  symbol: string;
  side: PositionSide;
  quantity: Decimal;
  entryPrice: Decimal;
  exitPrice: Decimal;
  entryTime: number;
  exitTime: number;
  fees: Decimal;
  grossPnl: Decimal;
  pnl: Decimal;
  pnlPct: number;
  outcome: TradeOutcome;
  exitReason: string;
  requestedPrice: Decimal | null;
  entrySlippageBps: number | null;
  exitSlippageBps: number | null;
  strategy: string | null;
  signalId: string | null;
  /**
   * The venue it traded on (its closing order's): a symbol listed on two venues has a trade list per venue. The engine
   * always books one; null only for a stored trade from before the column whose venue could not be recovered.
   */
  venue: string | null;
}

export interface TradeContext {
  /** Why the position closed (the closing order's reason tag; "signal" when it has none or says "entry"). */
  exitReason: string;
  /** The price the entry order asked for (null: a market entry without a reference). */
  entryRequested: Decimal | null;
  /** The price the closing order asked for. */
  exitRequested: Decimal | null;
  strategy: string | null;
  signalId: string | null;
  venue: string;
  /** The exit time when the position carries none (never for a position closed by a fill). */
  now: number;
}

/**
 * Slippage in bps (positive = against the trader), a report float to 4 places: the difference of two prices
 * in floats is exact to ~1e-12 of the price. null without a requested price.
 */
export function slippageBps(requestedPrice: Decimal | null, filled: Decimal, buy: boolean): number | null {
  if (!requestedPrice || requestedPrice.isZero() || filled.isZero()) return null;
  const requested = approxNumber(requestedPrice);
  const diff = buy ? approxNumber(filled) - requested : requested - approxNumber(filled);
  return roundReport((diff / requested) * 10_000, 4);
}

/** The reason a closing order gives for a trade's end: its `reason` tag, or "signal" (an entry tag or none). */
export function exitReasonOf(reasonTag: string | undefined): string {
  return reasonTag && reasonTag !== "entry" ? reasonTag : "signal";
}

export function tradeOutcome(pnl: Decimal): TradeOutcome {
  return pnl.isZero() ? "BREAKEVEN" : pnl.isNegative() ? "LOSS" : "WIN";
}

/** The trade record of a closed position. */
export function tradeRecordOf(position: Position, context: TradeContext): BookedTrade {
  const pnl = position.realizedPnlNet;
  const entryPrice = averageEntryPrice(position);
  const exitPrice = position.avgExitPrice ?? ZERO;
  return {
    id: `trd-${position.id}`,
    positionId: position.id,
    symbol: position.symbol,
    side: position.side,
    quantity: position.entryQuantity,
    entryPrice,
    exitPrice,
    entryTime: position.fills[0]?.ts ?? position.openedAt,
    exitTime: position.closedAt ?? context.now,
    fees: position.fees,
    grossPnl: position.realizedPnl,
    pnl,
    pnlPct: ratioNumber(pnl, position.entryNotional, 100, 6) ?? 0,
    outcome: tradeOutcome(pnl),
    exitReason: context.exitReason,
    requestedPrice: context.entryRequested,
    entrySlippageBps: slippageBps(context.entryRequested, entryPrice, position.side === "LONG"),
    exitSlippageBps: slippageBps(context.exitRequested, exitPrice, position.side === "SHORT"),
    strategy: context.strategy,
    signalId: context.signalId,
    venue: context.venue,
  };
}

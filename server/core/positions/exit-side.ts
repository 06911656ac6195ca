/**
 * Exit prices on the protective side of the market: a long's stop-loss below it and take-profit above it, a short's
 * the other way. A price on the wrong side (or at the market) would fire at once, so it is refused.
 */
import type { PositionSide } from "./book";

export interface WrongSideExit {
  code: "STOP_WRONG_SIDE" | "TAKE_PROFIT_WRONG_SIDE";
  message: string;
}

/** Whether a stop-loss at `price` would fire at once with the market at `market`. */
export function stopLossWrongSide(side: PositionSide, price: number, market: number): boolean {
  return side === "LONG" ? price >= market : price <= market;
}

/** Whether a take-profit at `price` would fire at once with the market at `market`. */
export function takeProfitWrongSide(side: PositionSide, price: number, market: number): boolean {
  return side === "LONG" ? price <= market : price >= market;
}

/** The refusal of new exit prices for a position (the stop checked first), or null when both protect. */
export function exitsWrongSide(side: PositionSide, exits: { stopLoss?: number | null; takeProfit?: number | null }, market: number): WrongSideExit | null {
  const name = side.toLowerCase();
  if (exits.stopLoss != null && stopLossWrongSide(side, exits.stopLoss, market)) {
    return { code: "STOP_WRONG_SIDE", message: `A ${name} stop-loss at ${exits.stopLoss} would fire at once: the market is at ${market}.` };
  }
  if (exits.takeProfit != null && takeProfitWrongSide(side, exits.takeProfit, market)) {
    return { code: "TAKE_PROFIT_WRONG_SIDE", message: `A ${name} take-profit at ${exits.takeProfit} would fire at once: the market is at ${market}.` };
  }
  return null;
}

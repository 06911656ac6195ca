/**
 * Small structural shapes the risk code reads. They are defined here (not imported from positions/ or breaker/)
 * so the risk gate depends only on what it needs: any position record with these fields fits.
 */
import { type Decimal } from "../money";

export type PositionSide = "LONG" | "SHORT";

/** One open position as the risk gate and the metrics see it. `qty` is the absolute size; `side` gives the direction. */
export interface RiskPosition {
  symbol: string;
  side: PositionSide;
  qty: Decimal;
  markPrice: Decimal;
}

/**
 * Backtest shapes shared by the oracle, the report and the engine's backtest runner.
 */
import { type Decimal } from "../money";
import { type OrderSide } from "../orders/types";
import { type PositionSide } from "../positions/book";
import { type EquityPoint } from "../risk/metrics";

export { type EquityPoint };

/** `--slippage none | fixed:N`: fixed moves every fill price N bps against the trader (buys up, sells down). */
export type SlippageSpec = { kind: "none" } | { kind: "fixed"; bps: Decimal };

/** Why a trade closed: the strategy's exit signal, or the end of the data (closed at the last candle's close). */
export type BacktestExitReason = "signal" | "end_of_data";

/** One round trip. Money and quantities are exact Decimals; times are epoch ms. */
export interface BacktestTrade {
  /** Time of the entry fill: the open time of the candle after the signal candle. */
  entryTime: number;
  /** Time of the exit fill: the next candle's open time, or the last candle's close time at the end of the data. */
  exitTime: number;
  side: PositionSide;
  qty: Decimal;
  /** Fill prices, slippage included. */
  entryPrice: Decimal;
  exitPrice: Decimal;
  /** Entry fee + exit fee. */
  fees: Decimal;
  /** Net of fees: exit proceeds − exit fee − (entry cost + entry fee) for a long. */
  pnl: Decimal;
  exitReason: BacktestExitReason;
}

/** One simulated fill (two per trade). */
export interface BacktestFill {
  ts: number;
  /** Index of the candle the fill happened in. */
  candleIndex: number;
  side: OrderSide;
  qty: Decimal;
  price: Decimal;
  fee: Decimal;
}

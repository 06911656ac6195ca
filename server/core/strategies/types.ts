/**
 * Built-in strategies: the interface the engine drives (live replay, paper and backtest alike).
 *
 * A strategy sees one closed candle at a time, in time order, together with the position it currently holds, and
 * answers with what it wants done about it (or null). It does not size orders, pick prices or talk to a venue: the
 * engine turns an intent into an order, passes it through the risk gate and executes it (in a backtest: at the open
 * of the next candle).
 */
import { type Decimal } from "../money";
import { type OrderSide } from "../orders/types";

/** A price or size as data feeds hand it over: a number, a decimal string or a Decimal. */
export type PriceValue = number | string | Decimal;

/** One OHLCV bar; `ts` is the bar's open time in epoch ms (the exchange's label for it). */
export interface StrategyCandle {
  ts: number;
  open: PriceValue;
  high: PriceValue;
  low: PriceValue;
  close: PriceValue;
  volume?: PriceValue;
}

/** The position the strategy holds on its symbol when the candle closes. */
export type StrategyPosition = "FLAT" | "LONG" | "SHORT";

export interface StrategyContext {
  position: StrategyPosition;
}

/**
 * What the strategy wants:
 * - OPEN_LONG: buy with the whole equity (the backtest sizes it as qty = equity / (price × (1 + fee))).
 * - CLOSE_LONG: sell the whole long position.
 * OPEN_SHORT / CLOSE_SHORT are reserved for strategies that go short; sma-cross is long only.
 */
export type StrategyAction = "OPEN_LONG" | "CLOSE_LONG" | "OPEN_SHORT" | "CLOSE_SHORT";

export interface SignalIntent {
  action: StrategyAction;
  /** The order side the action needs. */
  side: OrderSide;
  /** The candle (open time) whose close produced the intent. */
  candleTs: number;
  /** Human-readable reason for the audit trail, e.g. "sma-cross: SMA(10) crossed above SMA(30)". */
  reason: string;
}

/** Parameter values are JSON scalars so they can be stored with a run and shown as they are. */
export type StrategyParams = Readonly<Record<string, number | string | boolean>>;

export interface Strategy {
  /** Registry name, e.g. "sma-cross". */
  readonly name: string;
  readonly params: StrategyParams;
  /** Candles needed before the first intent is possible. */
  readonly warmup: number;
  /**
   * Feeds the next closed candle (strictly increasing ts) and returns the intent for this close, if any. The candle is
   * lent for the call: the caller may hand the same object again with the next candle's values (the backtest does), so
   * a strategy keeps the numbers it needs, never the object (contract.test.ts holds every built-in to it).
   */
  onCandle(candle: StrategyCandle, ctx: StrategyContext): SignalIntent | null;
  /** Forgets every candle seen (a fresh run with the same parameters). */
  reset(): void;
}

/** Coded errors of strategy construction and input. */
export type StrategyErrorCode =
  "STRATEGY_UNKNOWN" | "STRATEGY_INVALID_PARAMS" | "STRATEGY_INVALID_PRICE" | "STRATEGY_PRICE_TOO_PRECISE" | "STRATEGY_CANDLE_ORDER";

/**
 * Thrown by strategies on input that cannot be right (a malformed price, candles out of order): data loaders validate
 * candles before they reach a strategy, so this is a bug or corrupt data, not a trading refusal.
 */
export class StrategyError extends Error {
  constructor(
    readonly code: StrategyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "StrategyError";
  }
}

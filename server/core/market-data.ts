/**
 * Market data every feed produces and the engine and the simulated venue consume. Prices and sizes are
 * plain numbers (they arrive as numbers from feeds and are compared on every tick); fills convert them to Decimals.
 */
import { type OrderSide } from "./orders/types";

export interface QuoteUpdate {
  kind: "quote";
  symbol: string;
  /** The venue this data is from (a desk with several venues); absent: every venue's. */
  venue?: string;
  bid: number;
  ask: number;
  bidSize?: number;
  askSize?: number;
}

export interface TradeUpdate {
  kind: "trade";
  symbol: string;
  /** The venue this data is from (a desk with several venues); absent: every venue's. */
  venue?: string;
  price: number;
  qty: number;
  /** The side that took liquidity; with fillOnTouch only a SELL (or unknown) aggressor fills a bid resting at the trade price. */
  aggressor?: OrderSide;
}

/** One bar. Its path is assumed to be open → nearer extreme → other extreme → close (see candlePath). */
export interface CandleUpdate {
  kind: "candle";
  symbol: string;
  /** The venue this data is from (a desk with several venues); absent: every venue's. */
  venue?: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** [price, size]; bids best (highest) first, asks best (lowest) first. */
export type BookLevel = readonly [price: number, size: number];

export interface BookUpdate {
  kind: "book";
  symbol: string;
  /** The venue this data is from (a desk with several venues); absent: every venue's. */
  venue?: string;
  bids: readonly BookLevel[];
  asks: readonly BookLevel[];
}

export interface MarkUpdate {
  kind: "mark";
  symbol: string;
  /** The venue this data is from (a desk with several venues); absent: every venue's. */
  venue?: string;
  price: number;
}

export type MarketUpdate = QuoteUpdate | TradeUpdate | CandleUpdate | BookUpdate | MarkUpdate;

/**
 * The assumed intrabar path of a candle: an up bar (close ≥ open) visits the low before the high,
 * a down bar the high before the low. The usual conservative convention for bar backtests.
 */
export function candlePath(candle: CandleUpdate): [number, number, number, number] {
  return candle.close >= candle.open ? [candle.open, candle.low, candle.high, candle.close] : [candle.open, candle.high, candle.low, candle.close];
}

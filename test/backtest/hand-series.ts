/**
 * The SMA-cross oracle's hand-checked series, shared by the oracle's and the report's tests
 * (server/core/backtest/oracle.test.ts checks every number; report.test.ts builds a report on it).
 */
import type { OracleCandle } from "../../server/core/backtest/oracle";

export const T0 = 1_672_531_200_000; // 2023-01-01T00:00:00Z
export const FIVE_MIN = 300_000;

/**
 * The hand-made series: 18 five-minute candles, fast 2, slow 4. Opens follow the previous close except at the three
 * fills (8, 12, 15), chosen so that every number below is exact and small.
 *
 *  i  open  close  SMA2 (fast)            SMA4 (slow)                         relation
 *  0  41.0  40.8   —                      —
 *  1  40.8  40.6   —                      —
 *  2  40.6  40.4   —                      —
 *  3  40.4  40.2   40.3                   (40.8+40.6+40.4+40.2)/4 = 40.5      −  (first defined: never a signal)
 *  4  40.2  40.0   40.1                   40.3                                 −
 *  5  40.0  39.8   39.9                   40.1                                 −
 *  6  39.8  39.9   39.85                  159.9/4 = 39.975                     −
 *  7  39.9  40.1   40.0                   159.8/4 = 39.95                      +  ← cross up at 7 (flat): BUY at open 8
 *  8  40.0  40.3   40.2                   160.1/4 = 40.025                     +     bought 10 @ 40.0
 *  9  40.3  40.0   40.15                  160.3/4 = 40.075                     +
 * 10  40.0  40.4   40.2                   160.8/4 = 40.2                       0  (equality: not a cross down)
 * 11  40.4  39.8   40.1                   160.5/4 = 40.125                     −  ← cross down at 11 (fast ≥ slow at 10): SELL at open 12
 * 12  40.1  39.6   39.7                   159.8/4 = 39.95                      −     sold 10 @ 40.1
 * 13  39.6  39.7   39.65                  159.5/4 = 39.875                     −
 * 14  39.7  40.2   39.95                  159.3/4 = 39.825                     +  ← cross up at 14 (flat): BUY at open 15
 * 15  39.9  41.0   40.6                   160.5/4 = 40.125                     +     bought 10 @ 39.9
 * 16  41.0  42.0   41.5                   162.9/4 = 40.725                     +
 * 17  42.0  44.0   43.0                   167.2/4 = 41.8                       +     last candle: sold 10 @ close 44.0
 */
export const HAND: [open: string, close: string][] = [
  ["41.0", "40.8"],
  ["40.8", "40.6"],
  ["40.6", "40.4"],
  ["40.4", "40.2"],
  ["40.2", "40.0"],
  ["40.0", "39.8"],
  ["39.8", "39.9"],
  ["39.9", "40.1"],
  ["40.0", "40.3"],
  ["40.3", "40.0"],
  ["40.0", "40.4"],
  ["40.4", "39.8"],
  ["40.1", "39.6"],
  ["39.6", "39.7"],
  ["39.7", "40.2"],
  ["39.9", "41.0"],
  ["41.0", "42.0"],
  ["42.0", "44.0"],
];
export const handCandles: OracleCandle[] = HAND.map(([open, close], i) => ({ ts: T0 + i * FIVE_MIN, open, close }));

/**
 * Feeds the runtime's MarketHistory (the portfolio statistics' prices) from the market data the desk already receives:
 * the replay's candles, and the paper/live feeds' candles and trades. Kept out of runtime.ts so the runtime only
 * creates one history and hands it every update.
 *
 * Replay time is market time: a replayed candle is stored at its recorded open time shifted by the loops played
 * (pass k is k × the recording's span later, as ReplayFeed shifts it), not at the wall-clock moment it was played,
 * so 5-minute bars stay 5-minute bars at any replay speed.
 *
 * Pre-fill: before the replay's start index, the history already holds the recording's first rows (pass 0) and,
 * before them, the end of the recording as the previous pass (shifted back one span, prices divided by the loop's
 * rebase ratio): the same world the replay plays, continued backwards, so the figures are there at once instead of
 * after days of play. Never invented prices: every bar is a recorded one.
 */
import { DAY_MS, MINUTE_MS } from "../core/clock";
import { type MarketUpdate } from "../core/market-data";
import { MarketHistory } from "../core/market-history";
import { type Candle } from "../venues/replay/csv";
import { inferBarMs, type ReplayUpdate } from "../venues/replay/replay-feed";

/** The history's bar size: the recorded and exchange candles' size, so nothing is lost before resampling. */
export const MARKET_HISTORY_BAR_MS = 5 * MINUTE_MS;
/** Days kept: a 30-day window of any bar size, and a few days to spare. */
export const MARKET_HISTORY_DAYS = 35;
/** The paper/live feeds' candle timeframe (runtime.ts subscribes "5m"). */
export const LIVE_CANDLE_MS = 5 * MINUTE_MS;

export function createMarketHistory(days: number = MARKET_HISTORY_DAYS): MarketHistory {
  return new MarketHistory({ barMs: MARKET_HISTORY_BAR_MS, maxBars: Math.ceil((days * DAY_MS) / MARKET_HISTORY_BAR_MS) });
}

export interface ReplayHistoryOptions {
  /** The replay's startIndex: rows before it are pre-filled. */
  startIndex: number;
  /** As given to ReplayFeed: pass k's prices are multiplied by (last close / first open)^k. */
  rebaseOnLoop: boolean;
  /** Pre-fill the previous pass before the first row too (default true: the figures are there at once). */
  previousPass?: boolean;
}

/** One replayed symbol's candles into the history: the pre-fill at construction, then every played candle. */
export class ReplayHistoryFeed {
  private readonly candleMs: number;
  private readonly span: number;

  constructor(
    private readonly history: MarketHistory,
    private readonly symbol: string,
    candles: readonly Candle[],
    options: ReplayHistoryOptions,
  ) {
    this.candleMs = Math.min(inferBarMs(candles) ?? history.barMs, history.barMs);
    const first = candles[0];
    const last = candles[candles.length - 1];
    this.span = first && last ? last.ts + this.candleMs - first.ts : 0;
    if (!first || !last) return;
    const ratio = options.rebaseOnLoop ? last.close / first.open : 1;
    const start = candles[Math.min(options.startIndex, candles.length - 1)]!.ts;
    const keepFrom = start - history.maxBars * history.barMs;
    // The previous pass, back to what the history keeps, then the rows before the start.
    for (const c of options.previousPass === false ? [] : candles) {
      const ts = c.ts - this.span;
      if (ts >= keepFrom && ts < start) this.add({ ...c, ts }, 1 / ratio);
    }
    for (const c of candles.slice(0, options.startIndex)) this.add(c, 1);
  }

  /** Every replay update goes through here; only the played candles (after their ticks) are kept. */
  onUpdate(update: ReplayUpdate): void {
    if (update.kind !== "candle" || !update.expanded) return;
    this.history.addCandle(this.symbol, { ...update, ts: update.recordedTs + update.loop * this.span }, this.candleMs);
  }

  private add(c: Candle, factor: number): void {
    this.history.addCandle(
      this.symbol,
      { ts: c.ts, open: c.open * factor, high: c.high * factor, low: c.low * factor, close: c.close * factor, volume: c.volume },
      this.candleMs,
    );
  }
}

/** A paper/live feed's update: its candles at the exchange's bar time, its trades at their time (else `now`). */
export function recordFeedUpdate(history: MarketHistory, update: MarketUpdate & { exchangeTs?: number }, now: number): void {
  if (update.kind === "candle") history.addCandle(update.symbol, { ...update, ts: update.exchangeTs ?? now }, LIVE_CANDLE_MS);
  else if (update.kind === "trade") history.addPrice(update.symbol, update.exchangeTs ?? now, update.price, update.qty);
}

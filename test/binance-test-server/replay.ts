/**
 * Plays a recorded candle file (data/market/*.csv) into a test server as a live market: each bar
 * goes out as quotes and trades along its path (ReplayFeed's intra-bar expansion) so orders fill and
 * stops trigger inside the bar, and the bar itself goes to the klines at its close (with its recorded
 * open time, shifted by the recording's span on every loop so candle times keep increasing). It drives any
 * server with the same push methods (the Binance server, the Bitget server in ../bitget-test-server).
 */
import { type Clock } from "../../server/core/clock";
import { loadCandlesCsv } from "../../server/venues/replay/csv";
import { ReplayFeed, inferBarMs, type ReplayStatus, type ReplayUpdate } from "../../server/venues/replay/replay-feed";
import { type Timers } from "../../server/core/clock";
import { systemScheduler } from "../../server/venues/replay/scheduler";
import { KLINE_INTERVALS } from "./market-board";
import { type PushCandle } from "./server";

export interface ServerReplayOptions {
  /** A candle CSV (ts,open,high,low,close,volume). */
  file: string;
  /** Unified or Binance id; default BTC/USDT. */
  symbol?: string;
  /** Recorded ms per real ms (default 300: a 5-minute bar per second). */
  speed?: number;
  /** Start over at the end (default true), with prices rebased so a loop does not jump. */
  loop?: boolean;
  /** Quoted spread in basis points (default 1). */
  spreadBps?: number;
  clock?: Clock;
  scheduler?: Timers;
}

/** What a replay needs from a test server: its symbols' ids and ticks, and the push methods. */
export interface ReplayTarget {
  symbolSpec(symbol: string): { id: string; symbol: string; filters: { tickSize: { toNumber(): number } } };
  pushCandle(candle: PushCandle): void;
  pushQuote(symbol: string, bid: number, ask: number, bidSize?: number, askSize?: number): void;
  pushTrade(symbol: string, price: number, qty: number, aggressor?: "BUY" | "SELL"): void;
}

export interface ServerReplay {
  status(): ReplayStatus;
  stop(): void;
}

export function startReplay(server: ReplayTarget, options: ServerReplayOptions): ServerReplay {
  const spec = server.symbolSpec(options.symbol ?? "BTC/USDT");
  const candles = loadCandlesCsv(options.file);
  const barMs = inferBarMs(candles) ?? 60_000;
  const interval = Object.entries(KLINE_INTERVALS).find(([, ms]) => ms === barMs)?.[0];
  if (interval === undefined) throw new RangeError(`${options.file}: bars of ${barMs} ms match no Binance kline interval`);
  const first = candles[0]!;
  const last = candles[candles.length - 1]!;
  const span = last.ts + barMs - first.ts;
  const feed = new ReplayFeed({
    symbol: spec.symbol,
    source: { kind: "candles", candles, barMs },
    speed: options.speed ?? 300,
    loop: options.loop ?? true,
    rebaseOnLoop: true,
    spreadBps: options.spreadBps ?? 1,
    priceTick: spec.filters.tickSize.toNumber(),
    clock: options.clock ?? { now: () => Date.now() },
    scheduler: options.scheduler ?? systemScheduler,
    onUpdate: (update: ReplayUpdate) => {
      if (update.kind === "candle") {
        server.pushCandle({
          symbol: spec.id,
          open: update.open,
          high: update.high,
          low: update.low,
          close: update.close,
          volume: update.volume,
          interval,
          openTime: update.recordedTs + update.loop * span,
          // the bar's ticks already went to the simulator
          simulate: update.expanded !== true,
        });
      } else if (update.kind === "quote") {
        server.pushQuote(spec.id, update.bid, update.ask, update.bidSize ?? 1, update.askSize ?? 1);
      } else if (update.kind === "trade") {
        server.pushTrade(spec.id, update.price, update.qty, update.aggressor);
      }
    },
  });
  feed.start();
  return {
    status: () => feed.status(),
    stop: () => feed.stop(),
  };
}

/**
 * The runtime's market data: the recorded replay desk (every symbol's recording played as a time-aligned live feed), or
 * one ccxt feed per traded symbol (paper, live) — per (venue, symbol) with several live or paper venues, quotes tagged
 * with the venue — each feeding the engine's marks, the strategies' candles and the portfolio statistics' bars.
 */
import "server-only";
import type { AppConfig, Mode } from "../config";
import type { Instrument } from "../core/instrument";
import type { MarketHistory } from "../core/market-history";
import { createLiveStreamExchange, type LiveConfig } from "../venues/ccxt/live-config";
import { createCcxtExchange, type PublicExchange, type PublicFeedStatus } from "../venues/ccxt/public-feed";
import { createCcxtProExchange, StreamMarketFeed } from "../venues/ccxt/stream-feed";
import { seededRng } from "../core/rng";
import type { SymbolCandles } from "../venues/replay/portfolio";
import { systemScheduler } from "../venues/replay/scheduler";
import type { MarketUpdate } from "../venues/venue";
import type { Engine } from "./engine";
import { recordFeedUpdate } from "./market-history-feed";
import { startReplayDesk, type Lane, type StrategyRouter } from "./replay-desk";
import { log, wallClock } from "./runtime-base";
import type { LiveFeedVenue } from "./runtime-live";
import type { PaperFeedVenue } from "./runtime-paper-venues";

export interface FeedStatusView {
  kind: "replay" | "paper" | "live";
  connected: boolean;
  message: string;
  lastUpdateAt: number | null;
  detail?: Record<string, unknown>;
}

/** The started feeds: their status for /api/health and the header, and how to stop them. */
export interface DeskFeeds {
  feedStatus: () => FeedStatusView;
  stop: () => void;
}

/** The replay desk on the recorded sets: every lane warmed on the bars before the start, one feed per set. */
export function startReplayFeeds(options: {
  config: AppConfig;
  sets: SymbolCandles[];
  instruments: readonly Instrument[];
  marketHistory: MarketHistory;
  router: StrategyRouter;
  lanes: readonly Lane[];
  engine: Engine;
}): DeskFeeds {
  const { config, sets, instruments, marketHistory, router, lanes, engine } = options;
  const tick = new Map(instruments.map((i) => [i.symbol, i.priceTick.toNumber()]));
  // Every lane is warmed on the bars before the start, chosen a few bars before the first entry: a trade within seconds.
  const replay = startReplayDesk({
    sets,
    history: marketHistory,
    router,
    lanes,
    engine,
    speed: config.replay.speed,
    clock: wallClock,
    scheduler: systemScheduler,
    priceTick: (s) => tick.get(s) ?? 0.01,
    onError: (e) => log("warn", `replay update failed: ${String(e)}`),
    // The desk file may name the recorded time to start from (the arbitrage desk starts the eve of the USDC de-peg).
    ...(config.desk?.desk.replay?.start !== undefined && { startAt: Date.parse(config.desk.desk.replay.start) }),
  });
  log(
    "info",
    `replaying ${sets.map((s) => (s.venue ? `${s.symbol} on ${s.venue}` : s.symbol)).join(", ")} from ${new Date(replay.startTs).toISOString()} at ${config.replay.speed}×`,
  );
  return {
    feedStatus: () => {
      const all = replay.status();
      const s = all[0]!;
      const lastUpdates = all.map((x) => x.lastUpdateAt).filter((t): t is number => t !== null);
      const named = all.map((x) => (x.venue ? `${x.symbol} on ${x.venue}` : x.symbol));
      const what = all.length === 1 ? named[0]! : `${all.length} feeds (${named.join(", ")})`;
      return {
        kind: "replay",
        connected: all.every((x) => x.playing),
        message: `replaying ${what} at ${s.speed}× (candle ${s.position}/${s.total}, loop ${s.loops + 1})`,
        lastUpdateAt: lastUpdates.length > 0 ? Math.max(...lastUpdates) : null,
        detail: all.length === 1 ? { ...s } : { feeds: all },
      };
    },
    stop: () => replay.stop(),
  };
}

/** Paper and live: one ccxt feed per traded symbol, or per (venue, symbol) with several live or paper venues. */
export async function startExchangeFeeds(options: {
  config: AppConfig;
  mode: Mode;
  symbols: readonly string[];
  /** LIVE with one exchange: its configuration (streams are built like its REST instance); null in paper mode. */
  live: LiveConfig | null;
  /** LIVE with one exchange: the trading instance (markets loaded, the URL override applied); paper: null (a public one). */
  liveExchange: PublicExchange | null;
  /** Several live venues: each one's exchange and symbols (empty otherwise). */
  liveFeeds: readonly LiveFeedVenue[];
  /** Several paper venues: each one's public exchange and symbols (empty otherwise; runtime-paper-venues.ts). */
  paperFeeds?: readonly PaperFeedVenue[];
  strategySymbols: ReadonlySet<string>;
  router: StrategyRouter;
  marketHistory: MarketHistory;
  onMarket: (update: MarketUpdate) => void;
}): Promise<DeskFeeds> {
  const { config, mode, symbols, live, liveExchange, strategySymbols, router, marketHistory, onMarket } = options;
  const isLive = mode === "live";
  const exchangeId = config.exchange;
  // Websockets (ccxt pro, one instance per feed, built like the REST one) unless BASTION_WEBSOCKETS=off; REST polling otherwise or as the fallback.
  const websockets = config.websockets;
  type Stream = Awaited<ReturnType<typeof createCcxtProExchange>> | ReturnType<typeof createLiveStreamExchange>;
  const streamFor = async (liveConfig: LiveConfig | null): Promise<Stream> =>
    !websockets
      ? null
      : liveConfig
        ? createLiveStreamExchange(liveConfig, { timeoutMs: config.intervals.liveTimeoutMs })
        : await createCcxtProExchange(exchangeId, {});
  // Several venues (live, or paper from the desk file's ccxt venues): one feed per (venue, symbol) it lists, its quotes
  // tagged with the venue (routing compares them, positions are marked at them), the strategies' candles from the first
  // venue listing the symbol.
  const venueFeeds: { id: string; exchange: PublicExchange; symbols: readonly string[]; stream: () => Promise<Stream> }[] = [
    ...options.liveFeeds.map((v) => ({ id: v.id, exchange: v.exchange, symbols: v.symbols, stream: () => streamFor(v.config) })),
    ...(options.paperFeeds ?? []).map((v) => ({
      id: v.id,
      exchange: v.exchange,
      symbols: v.symbols,
      stream: async (): Promise<Stream> => (websockets && v.streams ? await createCcxtProExchange(v.exchangeId, {}) : null),
    })),
  ];
  const candleFrom = new Map<string, string>();
  for (const v of venueFeeds) for (const s of v.symbols) if (!candleFrom.has(s)) candleFrom.set(s, v.id);
  const specs: { symbol: string; exchange: PublicExchange; stream: () => Promise<Stream>; venueId: string | null; candles: boolean }[] =
    venueFeeds.length > 0
      ? venueFeeds.flatMap((v) =>
          v.symbols.map((symbol) => ({ symbol, exchange: v.exchange, stream: v.stream, venueId: v.id, candles: candleFrom.get(symbol) === v.id })),
        )
      : await oneExchangeSpecs();
  // One feed per traded symbol on the one exchange. LIVE: the trading exchange's instance (markets loaded, the URL
  // override applied); paper: a public one.
  async function oneExchangeSpecs() {
    const exchange = liveExchange ?? (await createCcxtExchange(exchangeId, {}));
    return symbols.map((symbol) => ({ symbol, exchange, stream: () => streamFor(live), venueId: null, candles: true }));
  }
  const streams = await Promise.all(specs.map((spec) => spec.stream()));
  // Quotes for every traded symbol (marks, exits, sizing); 5m candles of the symbols a strategy trades drive it.
  const feeds = specs.map(({ symbol: feedSymbol, exchange: feedExchange, venueId, candles }, i) => {
    let lastStatus: PublicFeedStatus | null = null;
    const strategyFeed = candles && strategySymbols.has(feedSymbol);
    const feed = new StreamMarketFeed({
      exchange: feedExchange,
      stream: streams[i] ?? null,
      symbol: feedSymbol,
      intervalMs: config.intervals.pollMs,
      trades: true,
      ...(strategyFeed ? { candles: { timeframe: "5m" } } : {}),
      // Paper fills walk the real book (the simulator's market orders consume its levels).
      ...(mode === "paper" ? { book: { depth: 20 } } : {}),
      clock: wallClock,
      scheduler: systemScheduler,
      rng: seededRng(Date.now() % 2 ** 31),
      onUpdate: (update, now) => {
        recordFeedUpdate(marketHistory, update, now);
        if (update.kind === "candle") {
          if (strategyFeed) router.onCandle(feedSymbol, { ...update, ts: update.exchangeTs ?? Date.now() });
        } else onMarket(venueId === null ? update : { ...update, venue: venueId });
      },
      onStatus: (status) => {
        if (status.lastError && lastStatus?.lastError?.message !== status.lastError.message) log("warn", status.message);
        lastStatus = status;
      },
    });
    feed.start();
    return feed;
  });
  return {
    feedStatus: () => {
      const all = feeds.map((f) => f.status());
      const s = all[0]!;
      const down = all.filter((x) => !x.connected);
      const lastUpdates = all.map((x) => x.lastUpdateAt).filter((t): t is number => t !== null);
      return {
        kind: isLive ? "live" : "paper",
        connected: down.length === 0,
        message: all.length === 1 ? s.message : down.length > 0 ? down.map((x) => x.message).join(" ") : all.map((x) => x.message).join(" · "),
        lastUpdateAt: lastUpdates.length > 0 ? Math.max(...lastUpdates) : null,
        detail: all.length === 1 ? { ...s } : { feeds: all },
      };
    },
    stop: () => {
      for (const feed of feeds) feed.stop();
    },
  };
}

/**
 * Market data over ccxt's `watch*` websockets, with REST polling (PublicMarketFeed) as the fallback.
 * Same contract as PublicMarketFeed: `onUpdate(update, now)` with the same update shapes, `status()`
 * with the same fields plus `transport` ("websocket" | "polling") and `fallbackReason`.
 *
 * One loop per channel (quotes by `watchTicker`; trades by `watchTrades` when asked; closed candles
 * by `watchOHLCV` when asked), each `await watchX()` in turn. ccxt reconnects by itself on the next
 * watch after a dropped connection; failures are classified by public-feed's `classifyFeedError`:
 * transient ones wait with the same backoff as the polling feed (base × 2^(n−1), capped, equal jitter
 * from the injected rng, on the injected scheduler) and watch again; after `maxStreamFailures`
 * consecutive transient failures on a channel, or any final error (NotSupported, BadSymbol, a bug),
 * the websockets are closed and the feed polls over REST instead, and status says why. Websockets
 * are also skipped from the start when the exchange has no pro instance or `has` lacks a needed
 * watch method (all or nothing: quotes, and trades/candles when asked). The fallback lasts until
 * stop(); start() tries websockets again.
 *
 * ccxt traps handled here (4.5.84):
 * - a `ws://` URL (a local test server) needs `await exchange.loadHttpProxyAgent()` first, else
 *   NotSupported "to use proxy with non-ssl ws:// urls";
 * - binance's watchTicker reads `options.watchTickers.name`, which defaults to `miniTicker` (no bid
 *   and ask): the feed passes `{ name: "ticker" }` (the documented param) for binance ids;
 * - markets: the pro instance takes the REST instance's markets (`setMarkets`) instead of loading
 *   them a second time.
 * Candles: ccxt gives the forming bar; a bar is emitted closed when a newer bar's first update arrives.
 */
import { type Clock } from "../../core/clock";
import { type Rng } from "../../core/rng";
import { type CandleUpdate, type QuoteUpdate, type TradeUpdate } from "../../core/market-data";
import { type Timers, type TimerHandle } from "../../core/clock";
import {
  classifyFeedError,
  FeedConfigError,
  PublicMarketFeed,
  type BackoffOptions,
  type FeedError,
  type OhlcvRow,
  type PublicExchange,
  type PublicFeedStatus,
  type PublicFeedUpdate,
  type TickerLike,
  type TradeLike,
} from "./public-feed";
import { backoffDelay, bookUpdate, isPrice, isSize, positive, type OrderBookLike } from "./public-feed";

export { backoffDelay };

// ---------------------------------------------------------------------------------------------
// The exchange, structurally (a ccxt.pro instance fits)

export interface StreamExchange {
  readonly id?: string;
  readonly has: Readonly<Record<string, unknown>>;
  watchTicker(symbol: string, params?: Record<string, unknown>): Promise<TickerLike>;
  watchTrades?(symbol: string, since?: number, limit?: number, params?: Record<string, unknown>): Promise<TradeLike[]>;
  watchOHLCV?(symbol: string, timeframe?: string, since?: number, limit?: number, params?: Record<string, unknown>): Promise<OhlcvRow[]>;
  watchOrderBook?(symbol: string, limit?: number, params?: Record<string, unknown>): Promise<OrderBookLike>;
  close(): Promise<unknown>;
  loadHttpProxyAgent?(): Promise<unknown>;
  markets?: unknown;
  setMarkets?(markets: never, currencies?: never): unknown;
}

export type FeedTransport = "websocket" | "polling";

export interface StreamFeedStatus extends PublicFeedStatus {
  transport: FeedTransport;
  /** Why the feed polls instead of streaming; null while streaming (or before start). */
  fallbackReason: string | null;
}

export interface StreamFeedOptions {
  /** The REST instance: markets for the stream instance, and the polling fallback. */
  exchange: PublicExchange;
  /** The ccxt pro instance (same options as the REST one), or null: poll. Closed by stop() and by the fallback. */
  stream: StreamExchange | null;
  symbol: string;
  /** Polling interval of the fallback (default 2 000 ms). */
  intervalMs?: number;
  trades?: boolean;
  candles?: { timeframe: string };
  /** Also stream the order book to this depth (watchOrderBook; the polling fallback uses fetchOrderBook). */
  book?: { depth: number };
  backoff?: BackoffOptions;
  /** Consecutive transient failures of one channel before polling instead (default 5). */
  maxStreamFailures?: number;
  /** Extra params for watchTicker; default `{ name: "ticker" }` for binance ids, else none. */
  tickerParams?: Record<string, unknown>;
  clock: Clock;
  scheduler: Timers;
  rng: Rng;
  onUpdate: (update: PublicFeedUpdate, now: number) => void;
  onStatus?: (status: StreamFeedStatus) => void;
}

type ChannelName = "quotes" | "trades" | "candles" | "book";

interface Channel {
  name: ChannelName;
  watch: () => Promise<unknown>;
  handle: (result: unknown, now: number) => void;
  connected: boolean;
  failures: number;
  lastError: FeedError | null;
  nextRetryAt: number | null;
}

const SEEN_TRADES_LIMIT = 10_000;

/** public-feed's backoff: base × 2^(n−1) capped at max, with equal jitter (a delay in [d/2, d)). */
function isBinance(id: string | undefined): boolean {
  return id !== undefined && id.startsWith("binance");
}

export class StreamMarketFeed {
  private readonly exchangeId: string;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly maxFailures: number;
  private readonly tickerParams: Record<string, unknown>;

  private running = false;
  private generation = 0;
  private transport: FeedTransport = "websocket";
  private fallbackReason: string | null = null;
  private fallback: PublicMarketFeed | null = null;
  private channels: Channel[] = [];
  private loops: Promise<void>[] = [];
  private closing: Promise<void> = Promise.resolve();
  private readonly sleepers = new Set<() => void>();
  private lastUpdateAt: number | null = null;
  private handlerErrors = 0;
  private marketsReady: Promise<void> | null = null;
  private marketsFailed = false;
  // trades: keys seen (insertion-ordered, bounded)
  private readonly seenTrades = new Set<string>();
  // candles: the forming bar, and the open time of the newest bar emitted
  private formingBar: { ts: number; row: OhlcvRow } | null = null;
  private candleWatermark = -Infinity;

  constructor(private readonly options: StreamFeedOptions) {
    this.exchangeId = options.exchange.id ?? options.stream?.id ?? "the exchange";
    this.baseMs = positive("backoff.baseMs", options.backoff?.baseMs ?? 1_000);
    this.maxMs = positive("backoff.maxMs", options.backoff?.maxMs ?? 60_000);
    this.maxFailures = Math.max(1, Math.floor(options.maxStreamFailures ?? 5));
    this.tickerParams = options.tickerParams ?? (isBinance(options.stream?.id ?? options.exchange.id) ? { name: "ticker" } : {});
  }

  /** Why websockets cannot serve this feed, or null when they can. */
  static unsupportedReason(
    stream: StreamExchange | null,
    wants: { trades?: boolean; candles?: unknown; book?: unknown },
    exchangeId = "the exchange",
  ): string | null {
    if (!stream) return `websockets are off for ${exchangeId}`;
    const missing: string[] = [];
    if (!stream.has.watchTicker) missing.push("watchTicker");
    if (wants.trades && (!stream.has.watchTrades || typeof stream.watchTrades !== "function")) missing.push("watchTrades");
    if (wants.candles && (!stream.has.watchOHLCV || typeof stream.watchOHLCV !== "function")) missing.push("watchOHLCV");
    if (wants.book && (!stream.has.watchOrderBook || typeof stream.watchOrderBook !== "function")) missing.push("watchOrderBook");
    return missing.length > 0 ? `ccxt has no websocket ${missing.join(", ")} for ${exchangeId}` : null;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const generation = ++this.generation;
    const reason = StreamMarketFeed.unsupportedReason(this.options.stream, this.options, this.exchangeId);
    if (reason !== null) {
      this.startPolling(reason);
      return;
    }
    this.transport = "websocket";
    this.fallbackReason = null;
    this.fallback = null;
    this.channels = this.makeChannels();
    this.loops = this.channels.map((channel) => this.loop(channel, generation));
    this.notify();
  }

  /** Stops streaming (closing the websockets) or polling. Await `idle()` for the sockets to be closed. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.generation++;
    this.wakeSleepers();
    this.fallback?.stop();
    if (this.transport === "websocket") this.closeStream();
    this.notify();
  }

  /** Resolves when the loops have ended after stop() (or a fallback) and the websockets are closed. */
  async idle(): Promise<void> {
    if (!this.running || this.transport === "polling") await Promise.all(this.loops);
    await this.closing;
    await this.fallback?.idle();
  }

  get updateHandlerErrors(): number {
    return this.handlerErrors + (this.fallback?.updateHandlerErrors ?? 0);
  }

  status(): StreamFeedStatus {
    if (this.transport === "polling" && this.fallback) {
      const inner = this.fallback.status();
      const prefix = this.fallbackReason !== null ? `Polling (${this.fallbackReason}). ` : "";
      return { ...inner, transport: "polling", fallbackReason: this.fallbackReason, message: `${prefix}${inner.message}` };
    }
    const channels = this.channels;
    const connected = this.running && channels.length > 0 && channels.every((c) => c.connected);
    const failing = channels.filter((c) => c.lastError !== null && !c.connected);
    const lastError = failing.map((c) => c.lastError!).sort((a, b) => b.at - a.at)[0] ?? null;
    const retries = failing.map((c) => c.nextRetryAt).filter((t): t is number => t !== null);
    const nextRetryAt = this.running && retries.length > 0 ? Math.max(...retries) : null;
    const consecutiveFailures = channels.reduce((n, c) => Math.max(n, c.failures), 0);
    return {
      exchange: this.exchangeId,
      symbol: this.options.symbol,
      running: this.running,
      connected,
      lastUpdateAt: this.lastUpdateAt,
      consecutiveFailures,
      lastError,
      nextRetryAt,
      message: this.describe(connected, lastError, nextRetryAt, consecutiveFailures),
      transport: this.transport,
      fallbackReason: this.fallbackReason,
    };
  }

  // -------------------------------------------------------------------------------------------

  private describe(connected: boolean, lastError: FeedError | null, nextRetryAt: number | null, failures: number): string {
    const { symbol } = this.options;
    if (this.fallbackReason !== null) return `Market data stopped: ${this.fallbackReason}`;
    if (!this.running) return lastError ? `Stopped. Last error: ${lastError.message}` : `Not streaming ${this.exchangeId} for ${symbol}.`;
    if (lastError) {
      if (nextRetryAt === null) return `${lastError.message} (websocket)`;
      const seconds = Math.max(0, Math.ceil((nextRetryAt - this.options.clock.now()) / 1000));
      return `Websocket: ${lastError.message} Reconnecting in ${seconds} s (${failures} failed ${failures === 1 ? "attempt" : "attempts"} so far; polling after ${this.maxFailures}).`;
    }
    if (!connected) return `Connecting to ${this.exchangeId}'s websocket for ${symbol}…`;
    return `Streaming ${symbol} from ${this.exchangeId} (websocket).`;
  }

  private notify(): void {
    this.options.onStatus?.(this.status());
  }

  private makeChannels(): Channel[] {
    const { symbol } = this.options;
    const stream = this.options.stream!;
    const base = { connected: false, failures: 0, lastError: null, nextRetryAt: null };
    const channels: Channel[] = [
      { ...base, name: "quotes", watch: () => stream.watchTicker(symbol, { ...this.tickerParams }), handle: (r, now) => this.onTicker(r as TickerLike, now) },
    ];
    if (this.options.trades) {
      channels.push({ ...base, name: "trades", watch: () => stream.watchTrades!(symbol), handle: (r, now) => this.onTrades(r as TradeLike[], now) });
    }
    const candles = this.options.candles;
    if (candles) {
      channels.push({
        ...base,
        name: "candles",
        watch: () => stream.watchOHLCV!(symbol, candles.timeframe),
        handle: (r, now) => this.onBars(r as OhlcvRow[], now),
      });
    }
    const book = this.options.book;
    if (book) {
      channels.push({
        ...base,
        name: "book",
        watch: () => stream.watchOrderBook!(symbol, book.depth),
        handle: (r, now) => {
          const update = bookUpdate(symbol, r as OrderBookLike, book.depth);
          if (update) this.emit(update, now);
        },
      });
    }
    return channels;
  }

  private async loop(channel: Channel, generation: number): Promise<void> {
    while (generation === this.generation) {
      try {
        await this.prepare();
        const result = await channel.watch();
        if (generation !== this.generation) return;
        const now = this.options.clock.now();
        channel.handle(result, now);
        const recovered = !channel.connected || channel.lastError !== null;
        channel.connected = true;
        channel.failures = 0;
        channel.lastError = null;
        channel.nextRetryAt = null;
        this.lastUpdateAt = now;
        if (recovered) this.notify();
      } catch (error) {
        if (generation !== this.generation) return;
        const now = this.options.clock.now();
        const classified =
          error instanceof NoQuoteError
            ? noQuote(this.exchangeId, this.options.symbol, now, error)
            : classifyFeedError(error, this.exchangeId, this.options.symbol, now);
        channel.connected = false;
        channel.failures++;
        channel.lastError = classified;
        if (!classified.transient || channel.failures >= this.maxFailures) {
          // short: the polling feed's own status says what is wrong now; the full error stays in the log detail
          const why = classified.transient
            ? `${channel.failures} websocket failures in a row on ${channel.name}, ${classified.code}`
            : `the websocket ${channel.name} failed, ${classified.code}`;
          this.startPolling(why);
          return;
        }
        const delay = backoffDelay(channel.failures, this.baseMs, this.maxMs, this.options.rng);
        channel.nextRetryAt = now + delay;
        this.notify();
        await this.sleep(delay);
        channel.nextRetryAt = null;
      }
    }
  }

  /** The pro instance's markets, taken from the REST instance (loaded once for both); the ws:// agent. */
  private prepare(): Promise<void> {
    if (this.marketsReady) return this.marketsReady;
    const run = async (): Promise<void> => {
      const stream = this.options.stream!;
      const rest = this.options.exchange;
      if (typeof stream.loadHttpProxyAgent === "function") await stream.loadHttpProxyAgent();
      if (!hasMarkets(stream.markets) && typeof stream.setMarkets === "function" && typeof rest.loadMarkets === "function") {
        if (!hasMarkets(rest.markets)) await rest.loadMarkets(this.marketsFailed);
        if (hasMarkets(rest.markets)) stream.setMarkets(rest.markets as never);
      }
    };
    const ready = run().catch((error: unknown) => {
      this.marketsFailed = true;
      if (this.marketsReady === ready) this.marketsReady = null;
      throw error;
    });
    this.marketsReady = ready;
    return ready;
  }

  private startPolling(reason: string): void {
    const wasStreaming = this.transport === "websocket" && this.channels.length > 0;
    this.generation++;
    this.wakeSleepers();
    this.transport = "polling";
    this.fallbackReason = reason;
    if (wasStreaming) this.closeStream();
    const { exchange, symbol, intervalMs, trades, candles, book, backoff, clock, scheduler, rng } = this.options;
    try {
      this.fallback = new PublicMarketFeed({
        exchange,
        symbol,
        ...(intervalMs !== undefined ? { intervalMs } : {}),
        ...(trades ? { trades } : {}),
        ...(candles ? { candles } : {}),
        ...(book ? { book } : {}),
        ...(backoff ? { backoff } : {}),
        clock,
        scheduler,
        rng,
        onUpdate: (update, now) => this.options.onUpdate(update, now),
        onStatus: () => this.notify(),
      });
    } catch (error) {
      // the REST instance cannot serve what was asked (no fetchTrades…): nothing to fall back to
      this.running = false;
      this.fallback = null;
      this.fallbackReason = `${reason}; and polling is impossible: ${error instanceof FeedConfigError ? error.message : String(error)}`;
      this.channels = [];
      this.notify();
      return;
    }
    this.fallback.start();
  }

  private closeStream(): void {
    const stream = this.options.stream;
    if (!stream) return;
    const previous = this.closing;
    this.closing = previous
      .then(() => stream.close())
      .then(
        () => undefined,
        () => undefined,
      );
    this.marketsReady = null;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let handle: TimerHandle = undefined;
      const wake = () => {
        this.sleepers.delete(wake);
        if (handle !== undefined) this.options.scheduler.clearTimeout(handle);
        resolve();
      };
      this.sleepers.add(wake);
      handle = this.options.scheduler.setTimeout(wake, ms);
    });
  }

  private wakeSleepers(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  private emit(update: PublicFeedUpdate, now: number): void {
    try {
      this.options.onUpdate(update, now);
    } catch {
      this.handlerErrors++;
    }
  }

  private onTicker(ticker: TickerLike, now: number): void {
    const { bid, ask } = ticker ?? {};
    if (!isPrice(bid) || !isPrice(ask)) throw new NoQuoteError();
    const quote: QuoteUpdate & { exchangeTs?: number; last?: number } = { kind: "quote", symbol: this.options.symbol, bid, ask };
    if (isSize(ticker.bidVolume)) quote.bidSize = ticker.bidVolume;
    if (isSize(ticker.askVolume)) quote.askSize = ticker.askVolume;
    if (isPrice(ticker.last)) quote.last = ticker.last;
    if (typeof ticker.timestamp === "number" && Number.isFinite(ticker.timestamp)) quote.exchangeTs = ticker.timestamp;
    this.emit(quote, now);
  }

  private onTrades(trades: readonly TradeLike[], now: number): void {
    const fresh = [...trades].filter((t) => typeof t.timestamp === "number" && Number.isFinite(t.timestamp)).sort((a, b) => a.timestamp! - b.timestamp!);
    for (const trade of fresh) {
      if (!isPrice(trade.price) || !isSize(trade.amount) || trade.amount <= 0) continue;
      const key = trade.id ?? `${trade.timestamp}:${trade.price}:${trade.amount}:${trade.side ?? ""}`;
      if (this.seenTrades.has(key)) continue;
      this.seenTrades.add(key);
      if (this.seenTrades.size > SEEN_TRADES_LIMIT) {
        const oldest = this.seenTrades.values().next().value;
        if (oldest !== undefined) this.seenTrades.delete(oldest);
      }
      const update: TradeUpdate & { exchangeTs: number; tradeId?: string } = {
        kind: "trade",
        symbol: this.options.symbol,
        price: trade.price,
        qty: trade.amount,
        exchangeTs: trade.timestamp!,
      };
      if (trade.side === "buy") update.aggressor = "BUY";
      else if (trade.side === "sell") update.aggressor = "SELL";
      if (trade.id) update.tradeId = trade.id;
      this.emit(update, now);
    }
  }

  private onBars(rows: readonly OhlcvRow[], now: number): void {
    const sorted = rows.filter((row) => [0, 1, 2, 3, 4].every((i) => typeof row[i] === "number" && Number.isFinite(row[i]))).sort((a, b) => a[0]! - b[0]!);
    for (const row of sorted) {
      const ts = row[0]!;
      const forming = this.formingBar;
      if (forming && ts < forming.ts) continue; // a late update of an older bar
      if (forming && ts > forming.ts && forming.ts > this.candleWatermark) {
        const [, open, high, low, close, volume] = forming.row;
        const bar: CandleUpdate & { exchangeTs: number } = {
          kind: "candle",
          symbol: this.options.symbol,
          open: open!,
          high: high!,
          low: low!,
          close: close!,
          volume: isSize(volume) ? volume : 0,
          exchangeTs: forming.ts,
        };
        this.candleWatermark = forming.ts;
        this.emit(bar, now);
      }
      this.formingBar = { ts, row };
    }
  }
}

class NoQuoteError extends Error {
  constructor() {
    super("the ticker has no bid and ask");
    this.name = "NoQuoteError";
  }
}

function noQuote(exchange: string, symbol: string, at: number, error: Error): FeedError {
  return {
    code: "FEED_NO_QUOTE",
    transient: true,
    message: `${exchange} sent no bid and ask for ${symbol}. The feed retries; if it persists, choose a more liquid symbol.`,
    detail: `${error.name}: ${error.message}`,
    at,
  };
}

function hasMarkets(markets: unknown): boolean {
  return typeof markets === "object" && markets !== null && Object.keys(markets).length > 0;
}

// ---------------------------------------------------------------------------------------------
// ccxt

/**
 * A ccxt **pro** exchange by id (websockets), with `enableRateLimit: true`, or null when ccxt has no
 * pro class for it. Imported on first use like createCcxtExchange.
 */
export async function createCcxtProExchange(id: string, options: Record<string, unknown> = {}): Promise<StreamExchange | null> {
  const ccxt = (await import("ccxt")).default;
  const pro = (ccxt as unknown as { pro?: Record<string, unknown> }).pro;
  const Constructor = pro?.[id];
  if (typeof Constructor !== "function") return null;
  return new (Constructor as new (config: Record<string, unknown>) => StreamExchange)({ ...options, enableRateLimit: true });
}

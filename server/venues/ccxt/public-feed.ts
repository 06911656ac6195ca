/**
 * Paper mode's market data: public quotes (and optionally trades and closed candles) polled from an
 * exchange, emitted as MarketUpdates for the simulated venue. No keys, no private endpoints.
 *
 * The exchange is anything with `fetchTicker` (a ccxt exchange instance fits; so does a test fake).
 * Polls run every `intervalMs` on the injected scheduler, anchored to their planned times (a slow
 * answer shortens the next wait; missed polls are skipped, never bunched).
 *
 * Failures are classified by the error's class (ccxt's hierarchy, read by name so a fake can throw
 * look-alikes): NetworkError and its kin (RequestTimeout, ExchangeNotAvailable/OnMaintenance,
 * DDoSProtection/RateLimitExceeded), and a raw `TypeError("fetch failed")` or errno code from a
 * non-ccxt client, are transient: the feed retries with exponential backoff (base × 2^(n−1), capped
 * at maxMs) and "equal jitter" from the injected rng (a delay in [d/2, d)). Anything else (BadSymbol,
 * NotSupported, AuthenticationError, a bug) is final: polling stops and status() says why. Every
 * message is a sentence a person can act on, starting with a code in `lastError.code`.
 *
 * Trades: the first fetch only primes the de-duplication (history from before start() is not
 * replayed as if it happened now); later fetches ask for trades since the newest one seen and emit
 * each trade once, by id (or timestamp+price+amount+side when the exchange gives no id). Candles:
 * only closed bars (every row but the newest) newer than the last one emitted; the first fetch
 * primes too.
 *
 * ccxt trap handled here: when `loadMarkets` fails, ccxt keeps the rejected promise and every later
 * call fails with the same error, so after a failure the feed calls `loadMarkets(true)` itself
 * while the exchange has no markets yet.
 */
import { type Exchange } from "ccxt";
import { type Clock } from "../../core/clock";
import { type Rng } from "../../core/rng";
import { type CandleUpdate, type MarketUpdate, type QuoteUpdate, type TradeUpdate } from "../../core/market-data";
import { type Timers, type TimerHandle } from "../../core/clock";
import { errorClassNames } from "./errors";

// ---------------------------------------------------------------------------------------------
// The exchange, structurally

export interface TickerLike {
  timestamp?: number | null;
  bid?: number | null;
  ask?: number | null;
  last?: number | null;
  bidVolume?: number | null;
  askVolume?: number | null;
}

export interface TradeLike {
  id?: string | null;
  timestamp?: number | null;
  price?: number | null;
  amount?: number | null;
  /** The taker's side, as ccxt reports public trades. */
  side?: string | null;
}

/** An order book as ccxt returns it: levels as [price, amount] (more fields may follow), best first. */
export interface OrderBookLike {
  bids: readonly (readonly (number | undefined)[])[];
  asks: readonly (readonly (number | undefined)[])[];
  timestamp?: number | null;
}

/** [timestamp, open, high, low, close, volume], as ccxt's fetchOHLCV returns. */
export type OhlcvRow = readonly (number | null | undefined)[];

export interface PublicExchange {
  readonly id?: string;
  fetchTicker(symbol: string): Promise<TickerLike>;
  fetchTrades?(symbol: string, since?: number, limit?: number): Promise<TradeLike[]>;
  fetchOHLCV?(symbol: string, timeframe?: string, since?: number, limit?: number): Promise<OhlcvRow[]>;
  fetchOrderBook?(symbol: string, limit?: number): Promise<OrderBookLike>;
  markets?: unknown;
  loadMarkets?(reload?: boolean): Promise<unknown>;
}

// ---------------------------------------------------------------------------------------------
// Errors

export type FeedErrorCode =
  "FEED_UNREACHABLE" | "FEED_TIMEOUT" | "FEED_RATE_LIMITED" | "FEED_UNAVAILABLE" | "FEED_NO_QUOTE" | "FEED_BAD_SYMBOL" | "FEED_NOT_SUPPORTED" | "FEED_FAILED";

export interface FeedError {
  code: FeedErrorCode;
  /** True when the feed retries. */
  transient: boolean;
  /** A sentence for a person. */
  message: string;
  /** The underlying error's class and message, for logs. */
  detail: string;
  /** Desk time of the failure. */
  at: number;
}

const OFFLINE_HINT = "Paper mode needs internet access to public market data; use replay mode offline.";
const ERRNO =
  /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ENETDOWN|ECONNABORTED|EPIPE|UND_ERR_CONNECT_TIMEOUT|UND_ERR_SOCKET)\b[\s:]*([\w.-]+(?::\d+)?)?/;

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === "string" ? error : (JSON.stringify(error) ?? String(error));
}

function causeText(error: unknown): string {
  const cause = (error as { cause?: { message?: unknown; code?: unknown; hostname?: unknown } } | null)?.cause;
  if (!cause || typeof cause !== "object") return "";
  return [cause.message, cause.code, cause.hostname].filter((part) => typeof part === "string").join(" ");
}

/** The ccxt message without its "binance GET https://… " prefix, shortened. */
function shortDetail(message: string, exchange: string): string {
  let text = message.trim();
  if (text.startsWith(`${exchange} `)) text = text.slice(exchange.length + 1);
  text = text.replace(/^(GET|POST|PUT|DELETE|PATCH)\s+\S+\s*/, "");
  text = text.replace(/\s+/g, " ");
  return text.length > 160 ? `${text.slice(0, 160)}…` : text || "no details";
}

function networkDetail(error: unknown, message: string, exchange: string): string {
  const text = `${message} ${causeText(error)}`;
  const errno = ERRNO.exec(text);
  if (errno) return `network unreachable: ${errno[1]}${errno[2] ? ` ${errno[2]}` : ""}`;
  const host = /https?:\/\/([^/\s]+)/.exec(message)?.[1];
  return `network error${host ? ` reaching ${host}` : ""}: ${shortDetail(message, exchange)}`;
}

/** Classifies a failed poll and words it for a person. */
export function classifyFeedError(error: unknown, exchange: string, symbol: string, at: number): FeedError {
  const names = errorClassNames(error);
  const is = (...candidates: string[]): boolean => candidates.some((name) => names.includes(name));
  const message = messageOf(error);
  const short = shortDetail(message, exchange);
  const detail = `${names[0] ?? "Error"}: ${message}`;
  const make = (code: FeedErrorCode, transient: boolean, text: string): FeedError => ({ code, transient, message: text, detail, at });

  if (error instanceof NoQuoteError)
    return make("FEED_NO_QUOTE", true, `${exchange} sent no bid and ask for ${symbol}. Paper mode retries; if it persists, choose a more liquid symbol.`);
  if (is("DDoSProtection", "RateLimitExceeded"))
    return make("FEED_RATE_LIMITED", true, `${exchange} is limiting our requests (${short}). The feed slows down and retries.`);
  if (is("RequestTimeout"))
    return make(
      "FEED_TIMEOUT",
      true,
      `${exchange} did not answer in time (${short}). The feed retries; if it persists, check the connection or use replay mode.`,
    );
  if (is("ExchangeNotAvailable", "OnMaintenance"))
    return make("FEED_UNAVAILABLE", true, `${exchange} is unavailable or under maintenance (${short}). The feed retries.`);
  const rawNetwork = error instanceof TypeError && /fetch failed|network/i.test(message);
  const errnoCode = (error as { code?: unknown } | null)?.code;
  if (is("NetworkError") || rawNetwork || (typeof errnoCode === "string" && ERRNO.test(errnoCode))) {
    return make("FEED_UNREACHABLE", true, `Cannot reach ${exchange} (${networkDetail(error, message, exchange)}). ${OFFLINE_HINT}`);
  }
  if (is("BadSymbol"))
    return make("FEED_BAD_SYMBOL", false, `${exchange} does not list ${symbol} (${short}). Choose a symbol the exchange lists; the feed stopped.`);
  if (is("NotSupported")) return make("FEED_NOT_SUPPORTED", false, `${exchange} cannot serve this market data (${short}). The feed stopped.`);
  return make(
    "FEED_FAILED",
    false,
    `${exchange} refused the market data request (${names[0] ?? "Error"}: ${short}). The feed stopped; check the exchange and symbol settings.`,
  );
}

class NoQuoteError extends Error {
  constructor() {
    super("the ticker has no bid and ask");
    this.name = "NoQuoteError";
  }
}

// ---------------------------------------------------------------------------------------------
// The feed

/** Updates the feed emits: `last` rides along on quotes, the exchange's time on quotes and trades, the id on trades. */
export type PublicFeedUpdate = MarketUpdate & { exchangeTs?: number; last?: number; tradeId?: string };

/** A ccxt order book as a `book` update: finite, positive levels only, best first, at most `depth` a side. */
export function bookUpdate(symbol: string, book: OrderBookLike, depth: number): PublicFeedUpdate | null {
  const side = (levels: OrderBookLike["bids"]): [number, number][] => {
    const out: [number, number][] = [];
    for (const level of levels) {
      const price = level[0];
      const size = level[1];
      if (typeof price === "number" && typeof size === "number" && price > 0 && size > 0 && Number.isFinite(price) && Number.isFinite(size))
        out.push([price, size]);
      if (out.length >= depth) break;
    }
    return out;
  };
  const bids = side(book.bids);
  const asks = side(book.asks);
  if (bids.length === 0 || asks.length === 0) return null;
  return { kind: "book", symbol, bids, asks, ...(typeof book.timestamp === "number" ? { exchangeTs: book.timestamp } : {}) };
}

/** Exponential backoff with jitter: a delay between half and all of base × 2^(failures−1), capped at maxMs. */
export function backoffDelay(failures: number, baseMs: number, maxMs: number, rng: Rng): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(failures, 1) - 1, 30));
  return Math.round(ceiling / 2 + (rng.next() * ceiling) / 2);
}

export interface BackoffOptions {
  /** First retry delay before jitter (default 1 000 ms). */
  baseMs?: number;
  /** Largest delay before jitter (default 60 000 ms). */
  maxMs?: number;
}

export interface PublicFeedOptions {
  exchange: PublicExchange;
  symbol: string;
  /** Between polls (default 2 000 ms). */
  intervalMs?: number;
  /** Also poll public trades (needs fetchTrades). Default false. */
  trades?: boolean;
  /** Also poll the order book to this depth (needs fetchOrderBook): book updates give the simulator depth to walk. */
  book?: { depth: number };
  /** Also poll closed candles of this timeframe (needs fetchOHLCV), e.g. { timeframe: "1m" }. */
  candles?: { timeframe: string };
  backoff?: BackoffOptions;
  clock: Clock;
  scheduler: Timers;
  /** Jitter for the backoff. */
  rng: Rng;
  onUpdate: (update: PublicFeedUpdate, now: number) => void;
  /** Called whenever the status changes (a poll succeeds after a failure, a failure, start, stop). */
  onStatus?: (status: PublicFeedStatus) => void;
}

export interface PublicFeedStatus {
  exchange: string;
  symbol: string;
  /** Polling, or waiting to retry. False before start(), after stop() and after a final error. */
  running: boolean;
  /** The last poll succeeded. */
  connected: boolean;
  /** Desk time of the last successful poll. */
  lastUpdateAt: number | null;
  consecutiveFailures: number;
  lastError: FeedError | null;
  /** When the next attempt after a failure is due; null when not backing off. */
  nextRetryAt: number | null;
  /** One sentence for the dashboard. */
  message: string;
}

export class FeedConfigError extends Error {
  constructor(
    readonly code: "UNKNOWN_EXCHANGE" | "FEED_BAD_OPTION",
    detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = "FeedConfigError";
  }
}

const SEEN_TRADES_LIMIT = 10_000;

export class PublicMarketFeed {
  private readonly exchangeId: string;
  private readonly intervalMs: number;
  private readonly baseMs: number;
  private readonly maxMs: number;

  private running = false;
  private connected = false;
  /** Bumped by start/stop: answers from an older run are ignored. */
  private generation = 0;
  private timer: TimerHandle = undefined;
  private inFlight: Promise<void> | null = null;
  private plannedAt = 0;
  private lastUpdateAt: number | null = null;
  private consecutiveFailures = 0;
  private lastError: FeedError | null = null;
  private nextRetryAt: number | null = null;
  private handlerErrors = 0;
  /** A poll failed since markets last loaded: ccxt may hold a rejected loadMarkets promise. */
  private marketsSuspect = false;
  // trades: newest timestamp seen, and the keys seen at or after it
  private tradesPrimed = false;
  private tradeWatermark = -Infinity;
  private readonly seenTrades = new Map<string, number>();
  // candles: open time of the newest closed bar emitted
  private candlesPrimed = false;
  private candleWatermark = -Infinity;

  constructor(private readonly options: PublicFeedOptions) {
    this.exchangeId = options.exchange.id ?? "the exchange";
    this.intervalMs = positive("intervalMs", options.intervalMs ?? 2_000);
    this.baseMs = positive("backoff.baseMs", options.backoff?.baseMs ?? 1_000);
    this.maxMs = positive("backoff.maxMs", options.backoff?.maxMs ?? 60_000);
    if (options.trades && typeof options.exchange.fetchTrades !== "function") {
      throw new FeedConfigError("FEED_BAD_OPTION", `${this.exchangeId} has no fetchTrades, so the feed cannot poll trades.`);
    }
    if (options.book && typeof options.exchange.fetchOrderBook !== "function") {
      throw new FeedConfigError("FEED_BAD_OPTION", `${this.exchangeId} has no fetchOrderBook, so the feed cannot poll the order book.`);
    }
    if (options.book && !(Number.isInteger(options.book.depth) && options.book.depth >= 1 && options.book.depth <= 1000)) {
      throw new FeedConfigError("FEED_BAD_OPTION", `The order book depth must be a whole number from 1 to 1000, got ${String(options.book.depth)}.`);
    }
    if (options.candles && typeof options.exchange.fetchOHLCV !== "function") {
      throw new FeedConfigError("FEED_BAD_OPTION", `${this.exchangeId} has no fetchOHLCV, so the feed cannot poll candles.`);
    }
  }

  /** Starts polling (the first poll is due at once). Also restarts a feed stopped by a final error. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.generation++;
    this.consecutiveFailures = 0;
    this.nextRetryAt = null;
    this.plannedAt = this.options.clock.now();
    this.timer = this.options.scheduler.setTimeout(this.tick, 0);
    this.notify();
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.generation++;
    this.connected = false;
    this.nextRetryAt = null;
    this.cancelTimer();
    this.notify();
  }

  /** Resolves when the poll in flight (if any) has finished: tests and shutdown await it. */
  async idle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  status(): PublicFeedStatus {
    return {
      exchange: this.exchangeId,
      symbol: this.options.symbol,
      running: this.running,
      connected: this.connected,
      lastUpdateAt: this.lastUpdateAt,
      consecutiveFailures: this.consecutiveFailures,
      lastError: this.lastError,
      nextRetryAt: this.nextRetryAt,
      message: this.describe(),
    };
  }

  /** Errors thrown by onUpdate (they never count as feed failures). */
  get updateHandlerErrors(): number {
    return this.handlerErrors;
  }

  // -------------------------------------------------------------------------------------------

  private describe(): string {
    const { symbol } = this.options;
    if (this.lastError && (!this.connected || !this.running)) {
      if (!this.running && this.lastError.transient) return `Stopped. Last error: ${this.lastError.message}`;
      if (!this.lastError.transient || this.nextRetryAt === null) return this.lastError.message;
      const seconds = Math.max(0, Math.ceil((this.nextRetryAt - this.options.clock.now()) / 1000));
      return `${this.lastError.message} Retry in ${seconds} s (${this.consecutiveFailures} failed ${this.consecutiveFailures === 1 ? "attempt" : "attempts"} so far).`;
    }
    if (!this.running) return `Not polling ${this.exchangeId} for ${symbol}.`;
    if (!this.connected) return `Connecting to ${this.exchangeId} for ${symbol}…`;
    return `Receiving ${symbol} from ${this.exchangeId}.`;
  }

  private notify(): void {
    this.options.onStatus?.(this.status());
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.options.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    if (!this.running) return;
    const generation = this.generation;
    const poll = this.poll(generation).finally(() => {
      if (this.inFlight === poll) this.inFlight = null;
    });
    this.inFlight = poll;
  };

  private async poll(generation: number): Promise<void> {
    const { exchange, symbol } = this.options;
    try {
      await this.ensureMarkets();
      const ticker = await exchange.fetchTicker(symbol);
      if (generation !== this.generation) return;
      const quote = this.quoteFrom(ticker);
      const trades = this.options.trades ? await exchange.fetchTrades!(symbol, Number.isFinite(this.tradeWatermark) ? this.tradeWatermark : undefined) : null;
      if (generation !== this.generation) return;
      const bars = this.options.candles ? await exchange.fetchOHLCV!(symbol, this.options.candles.timeframe) : null;
      if (generation !== this.generation) return;
      const book = this.options.book ? bookUpdate(symbol, await exchange.fetchOrderBook!(symbol, this.options.book.depth), this.options.book.depth) : null;
      if (generation !== this.generation) return;
      const now = this.options.clock.now();
      this.emit(quote, now);
      if (book) this.emit(book, now);
      if (trades) for (const update of this.newTrades(trades)) this.emit(update, now);
      if (bars) for (const update of this.newCandles(bars)) this.emit(update, now);
      this.marketsSuspect = false;
      const recovered = !this.connected || this.lastError !== null;
      this.connected = true;
      this.lastUpdateAt = now;
      this.consecutiveFailures = 0;
      this.lastError = null;
      this.nextRetryAt = null;
      this.plannedAt = Math.max(this.plannedAt + this.intervalMs, now);
      this.timer = this.options.scheduler.setTimeout(this.tick, this.plannedAt - now);
      if (recovered) this.notify();
    } catch (error) {
      if (generation !== this.generation) return;
      this.fail(error);
    }
  }

  private async ensureMarkets(): Promise<void> {
    const { exchange } = this.options;
    if (typeof exchange.loadMarkets !== "function" || !this.marketsSuspect) return;
    const markets = exchange.markets;
    const empty = markets === undefined || markets === null || (typeof markets === "object" && Object.keys(markets).length === 0);
    if (empty) await exchange.loadMarkets(true);
  }

  private fail(error: unknown): void {
    const now = this.options.clock.now();
    const classified = classifyFeedError(error, this.exchangeId, this.options.symbol, now);
    this.connected = false;
    this.marketsSuspect = true;
    this.consecutiveFailures++;
    this.lastError = classified;
    if (!classified.transient) {
      this.running = false;
      this.nextRetryAt = null;
      this.notify();
      return;
    }
    const delay = backoffDelay(this.consecutiveFailures, this.baseMs, this.maxMs, this.options.rng);
    this.nextRetryAt = now + delay;
    this.plannedAt = this.nextRetryAt;
    this.timer = this.options.scheduler.setTimeout(this.tick, delay);
    this.notify();
  }

  private emit(update: PublicFeedUpdate, now: number): void {
    try {
      this.options.onUpdate(update, now);
    } catch {
      this.handlerErrors++;
    }
  }

  private quoteFrom(ticker: TickerLike): PublicFeedUpdate {
    const { bid, ask } = ticker;
    if (!isPrice(bid) || !isPrice(ask)) throw new NoQuoteError();
    const quote: QuoteUpdate & { exchangeTs?: number; last?: number } = { kind: "quote", symbol: this.options.symbol, bid, ask };
    if (isSize(ticker.bidVolume)) quote.bidSize = ticker.bidVolume;
    if (isSize(ticker.askVolume)) quote.askSize = ticker.askVolume;
    if (isPrice(ticker.last)) quote.last = ticker.last;
    if (typeof ticker.timestamp === "number" && Number.isFinite(ticker.timestamp)) quote.exchangeTs = ticker.timestamp;
    return quote;
  }

  private newTrades(trades: readonly TradeLike[]): PublicFeedUpdate[] {
    const fresh: { ts: number; key: string; update: PublicFeedUpdate }[] = [];
    for (const trade of trades) {
      const ts = trade.timestamp;
      if (typeof ts !== "number" || !Number.isFinite(ts) || !isPrice(trade.price) || !isSize(trade.amount) || trade.amount <= 0) continue;
      if (ts < this.tradeWatermark) continue; // older than what was already seen
      const key = trade.id ?? `${ts}:${trade.price}:${trade.amount}:${trade.side ?? ""}`;
      if (this.seenTrades.has(key)) continue;
      this.seenTrades.set(key, ts);
      const update: TradeUpdate & { exchangeTs: number; tradeId?: string } = {
        kind: "trade",
        symbol: this.options.symbol,
        price: trade.price,
        qty: trade.amount,
        exchangeTs: ts,
      };
      if (trade.side === "buy") update.aggressor = "BUY";
      else if (trade.side === "sell") update.aggressor = "SELL";
      if (trade.id) update.tradeId = trade.id;
      fresh.push({ ts, key, update });
    }
    fresh.sort((a, b) => a.ts - b.ts);
    const last = fresh.at(-1);
    if (last && last.ts > this.tradeWatermark) this.tradeWatermark = last.ts;
    // keep only keys the next fetch (since the watermark) can return again
    if (this.seenTrades.size > 0) {
      for (const [key, ts] of this.seenTrades) if (ts < this.tradeWatermark) this.seenTrades.delete(key);
    }
    if (this.seenTrades.size > SEEN_TRADES_LIMIT) {
      const excess = this.seenTrades.size - SEEN_TRADES_LIMIT;
      let dropped = 0;
      for (const key of this.seenTrades.keys()) {
        if (dropped++ >= excess) break;
        this.seenTrades.delete(key);
      }
    }
    if (!this.tradesPrimed) {
      this.tradesPrimed = true;
      return [];
    }
    return fresh.map((entry) => entry.update);
  }

  private newCandles(rows: readonly OhlcvRow[]): PublicFeedUpdate[] {
    const bars: CandleUpdate[] = [];
    const times: number[] = [];
    const sorted = [...rows].filter((row) => typeof row[0] === "number").sort((a, b) => a[0]! - b[0]!);
    for (const row of sorted.slice(0, -1)) {
      const [ts, open, high, low, close, volume] = row;
      if (![ts, open, high, low, close].every((v) => typeof v === "number" && Number.isFinite(v))) continue;
      if (ts! <= this.candleWatermark) continue;
      bars.push({ kind: "candle", symbol: this.options.symbol, open: open!, high: high!, low: low!, close: close!, volume: isSize(volume) ? volume : 0 });
      times.push(ts!);
    }
    const newest = times.at(-1);
    if (newest !== undefined) this.candleWatermark = newest;
    if (!this.candlesPrimed) {
      this.candlesPrimed = true;
      return [];
    }
    return bars.map((bar, i) => ({ ...bar, exchangeTs: times[i]! }));
  }
}

/** A price an exchange sent that can be used: a finite number above zero. */
export function isPrice(value: number | null | undefined): value is number {
  return typeof value === "number" && Number.isFinite(value) && value > 0;
}

/** A size an exchange sent that can be used: a finite number, zero or more. */
export function isSize(value: number | null | undefined): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

/** A feed option in milliseconds, refused unless positive. */
export function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new FeedConfigError("FEED_BAD_OPTION", `${name} must be a positive number of milliseconds, got ${value}.`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// ccxt

/**
 * A ccxt exchange by id, with `enableRateLimit: true` (always, whatever `options` says). ccxt is
 * imported on first use (it takes about a second to load), so replay mode never pays for it.
 * Unknown ids are refused: `UNKNOWN_EXCHANGE: ccxt has no exchange "binanse". …`.
 */
export async function createCcxtExchange(id: string, options: Record<string, unknown> = {}): Promise<Exchange> {
  const ccxt = (await import("ccxt")).default;
  const known: readonly string[] = ccxt.exchanges;
  if (!known.includes(id)) {
    const lower = id.toLowerCase();
    const near = known.filter((name) => name === lower || (lower.length >= 3 && name.startsWith(lower.slice(0, 3)))).slice(0, 5);
    const hint = near.length > 0 ? ` Did you mean ${near.map((name) => `"${name}"`).join(", ")}?` : "";
    throw new FeedConfigError(
      "UNKNOWN_EXCHANGE",
      `ccxt has no exchange "${id}".${hint} Use a lower-case ccxt id such as "binance" (${known.length} are known).`,
    );
  }
  const Constructor = (ccxt as unknown as Record<string, new (config: Record<string, unknown>) => Exchange>)[id]!;
  return new Constructor({ ...options, enableRateLimit: true });
}

/**
 * Private websocket loops for the live venue: one `await watchX()` after the other, per channel
 * (my trades, order updates) and per traded symbol, on a ccxt pro instance.
 *
 * - A result goes to the channel's handler (CcxtVenue turns it into the same events as a poll).
 * - Failures are classified from ccxt's hierarchy (errors.ts): a transient one (network, timeout,
 *   rate limit, exchange down — a dropped socket is a NetworkError) waits base × 2^(n−1) (capped)
 *   on the injected timers and watches again (ccxt reconnects on the next watch); a final one
 *   (NotSupported, authentication, permission, a bug) ends that loop for good.
 * - `healthy()` is true while every loop runs and none has failed since its last watch call
 *   succeeded; the venue polls slowly while it is true and at the normal pace otherwise.
 *
 * ccxt 4.5.84 (binance): spot user data is no longer a REST listen key; the pro class connects to
 * `urls.api.ws["ws-api"].spot` and sends `userDataStream.subscribe.signature` (signed apiKey +
 * timestamp), answered `{ id, status: 200, result: { subscriptionId } }`, then events arrive as
 * `{ subscriptionId, event: { e: "executionReport", … } }`. USD-M futures still use a listen key
 * (`POST /fapi/v1/listenKey`, then `<ws.future>?listenKey=…` carrying ORDER_TRADE_UPDATE events).
 * A `ws://` URL (a local test server) needs `loadHttpProxyAgent()` first (see stream-feed.ts).
 *
 * ccxt trap (4.5.84, binance spot): the signature subscription creates a future nobody awaits
 * (`authenticate:signature:spot`) before connecting; when the connection fails, ccxt rejects it and
 * Node reports an unhandled rejection (which ends a process run with default settings). `start()`
 * therefore wraps the pro instance's `client()` so every future ccxt creates gets a no-op rejection
 * handler; callers awaiting a future still get its error.
 */
import type { TransientVenueError, FinalVenueError } from "../venue";
import { TransientVenueError as Transient } from "../venue";
import type { Timers } from "../../core/clock";

/** The private part of a ccxt pro instance, structurally. */
export interface UserStreamExchange {
  readonly id: string;
  readonly has: Readonly<Record<string, unknown>>;
  watchMyTrades?(symbol?: string, since?: number, limit?: number, params?: Record<string, unknown>): Promise<unknown[]>;
  watchOrders?(symbol?: string, since?: number, limit?: number, params?: Record<string, unknown>): Promise<unknown[]>;
  close(): Promise<unknown>;
  loadHttpProxyAgent?(): Promise<unknown>;
  markets?: unknown;
  setMarkets?(markets: never, currencies?: never): unknown;
  /** ccxt's websocket client per URL (wrapped by guardFutures). */
  client?(url: string): unknown;
}

const GUARDED = Symbol("bastion.guardedFutures");

/** See the header: every future of every websocket client gets a no-op rejection handler. Idempotent. */
export function guardFutures(stream: UserStreamExchange): void {
  const target = stream as UserStreamExchange & { [GUARDED]?: true; client?: (url: string) => unknown };
  if (target[GUARDED] || typeof target.client !== "function") return;
  const original = target.client.bind(stream);
  target[GUARDED] = true;
  target.client = (url: string) => {
    const client = original(url) as { [GUARDED]?: true; future?: (hash: string) => unknown } | null;
    if (client && !client[GUARDED] && typeof client.future === "function") {
      const future = client.future.bind(client);
      client[GUARDED] = true;
      client.future = (hash: string) => {
        const f = future(hash);
        if (f instanceof Promise) f.catch(() => undefined);
        return f;
      };
    }
    return client;
  };
}

export type UserChannel = "myTrades" | "orders";

export interface UserStreamStatus {
  running: boolean;
  healthy: boolean;
  /** Loops ended by a final error, with why. */
  stopped: { channel: UserChannel; symbol: string; reason: string }[];
  consecutiveFailures: number;
  lastError: string | null;
}

export interface UserStreamOptions {
  stream: UserStreamExchange;
  symbols: readonly string[];
  timers: Pick<Timers, "setTimeout"> & Partial<Timers>;
  backoff?: { baseMs?: number; maxMs?: number };
  classify: (error: unknown, action: string) => TransientVenueError | FinalVenueError;
  onTrades: (symbol: string, trades: unknown[]) => void;
  onOrders: (symbol: string, orders: unknown[]) => void;
  onHealth?: (healthy: boolean) => void;
  log: (level: "info" | "warn" | "error", message: string) => void;
}

interface Loop {
  channel: UserChannel;
  symbol: string;
  failures: number;
  stopped: string | null;
}

/** Which private channels the pro instance can watch (none when `has` lacks both). */
export function userChannels(stream: UserStreamExchange | null | undefined): UserChannel[] {
  if (!stream) return [];
  const out: UserChannel[] = [];
  if (stream.has.watchMyTrades && typeof stream.watchMyTrades === "function") out.push("myTrades");
  if (stream.has.watchOrders && typeof stream.watchOrders === "function") out.push("orders");
  return out;
}

export class UserStream {
  private readonly loops: Loop[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly sleepers = new Set<() => void>();
  private active = false;
  private lastError: string | null = null;
  private wasHealthy = false;

  constructor(private readonly options: UserStreamOptions) {}

  get channels(): UserChannel[] {
    return userChannels(this.options.stream);
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    guardFutures(this.options.stream);
    const channels = this.channels;
    this.loops.length = 0;
    for (const symbol of this.options.symbols) for (const channel of channels) this.loops.push({ channel, symbol, failures: 0, stopped: null });
    const ready = this.options.stream.loadHttpProxyAgent ? this.options.stream.loadHttpProxyAgent() : Promise.resolve();
    for (const loop of this.loops) this.track(ready.then(() => this.run(loop)));
    this.reportHealth();
  }

  /** Ends the loops and closes the pro instance's sockets. */
  async stop(): Promise<void> {
    if (!this.active) return;
    this.active = false;
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
    await Promise.allSettled([this.options.stream.close()]);
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    this.reportHealth();
  }

  healthy(): boolean {
    return this.active && this.loops.length > 0 && this.loops.every((l) => l.stopped === null && l.failures === 0);
  }

  status(): UserStreamStatus {
    return {
      running: this.active,
      healthy: this.healthy(),
      stopped: this.loops.filter((l) => l.stopped !== null).map((l) => ({ channel: l.channel, symbol: l.symbol, reason: l.stopped! })),
      consecutiveFailures: Math.max(0, ...this.loops.map((l) => l.failures)),
      lastError: this.lastError,
    };
  }

  private track(work: Promise<void>): void {
    const p = work.catch((e: unknown) => this.options.log("error", `user stream loop failed: ${String(e)}`));
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  private async run(loop: Loop): Promise<void> {
    const { stream } = this.options;
    const action = `watching ${loop.channel === "myTrades" ? "fills" : "order updates"} of ${loop.symbol}`;
    while (this.active) {
      let result: unknown[];
      try {
        result = loop.channel === "myTrades" ? await stream.watchMyTrades!(loop.symbol) : await stream.watchOrders!(loop.symbol);
      } catch (e) {
        if (!this.active) return;
        const error = this.options.classify(e, action);
        this.lastError = error.message;
        if (!(error instanceof Transient)) {
          loop.stopped = error.message;
          this.options.log("error", `${stream.id}: ${action} stopped (${error.message}); polling carries on at the normal pace`);
          this.reportHealth();
          return;
        }
        loop.failures++;
        this.reportHealth();
        const delay = this.delay(loop.failures);
        this.options.log("warn", `${stream.id}: ${action} failed (${error.message}); watching again in ${delay} ms, polling meanwhile`);
        await this.sleep(delay);
        continue;
      }
      if (!this.active) return;
      if (loop.failures > 0) {
        loop.failures = 0;
        this.lastError = null;
        this.reportHealth();
      }
      if (loop.channel === "myTrades") this.options.onTrades(loop.symbol, result);
      else this.options.onOrders(loop.symbol, result);
    }
  }

  private delay(failures: number): number {
    const base = this.options.backoff?.baseMs ?? 1_000;
    const max = this.options.backoff?.maxMs ?? 60_000;
    return Math.min(max, base * 2 ** Math.min(30, failures - 1));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let handle: unknown = null;
      const wake = () => {
        this.sleepers.delete(wake);
        if (handle !== null) this.options.timers.clearTimeout?.(handle);
        resolve();
      };
      this.sleepers.add(wake);
      handle = this.options.timers.setTimeout(wake, ms);
    });
  }

  private reportHealth(): void {
    const healthy = this.healthy();
    if (healthy !== this.wasHealthy) {
      this.wasHealthy = healthy;
      this.options.onHealth?.(healthy);
    }
  }
}

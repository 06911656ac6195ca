/**
 * The plumbing every simulated test exchange shares (the Binance-compatible ../binance-test-server, the
 * Bitget-compatible ../bitget-test-server): listening on 127.0.0.1 and closing with held requests dropped, reading
 * bodies up to a bound, the request log, fault injection (answers lost, delayed, "unknown", executed late or on the
 * first lookup), market data pushed into the board and the simulated account, and the /__admin endpoints.
 *
 * What is an exchange's own stays in its folder: the route table, parameter parsing, signatures, request limits and
 * the bodies of its errors — a subclass supplies those through the abstract methods below.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, type Socket } from "node:net";
import { type Clock } from "../../server/core/clock";
import { type BookLevel, type MarketUpdate } from "../../server/core/market-data";
import { FaultQueue, type FaultKind, type FaultPlan, type FaultRule } from "../binance-test-server/faults";
import { KLINE_INTERVALS, type KlineRow, type MarketBoard } from "../binance-test-server/market-board";

export type Params = Record<string, string>;

export interface RequestRecord {
  /** "POST /api/v3/order" */
  endpoint: string;
  /** Parameters as sent (without a signature). */
  params: Params;
  /** HTTP status sent, or what the fault did instead. */
  outcome: number | "hang" | "dropped" | "reset";
  /** The fault applied to this request, if any. */
  fault?: FaultKind;
  time: number;
}

/** A candle to push: open time and interval default to the current bar of "1m" on the server clock. */
export interface PushCandle {
  symbol: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  openTime?: number;
  /** Binance's interval names ("1m", "5m", …), as the replay sends them. */
  interval?: string;
  /** Also match resting orders and stops against the bar (default true). */
  simulate?: boolean;
}

export type TestServerTimers = { setTimeout(fn: () => void, ms: number): unknown };

export interface ExchangeServerOptions {
  clock?: Clock;
  /** Largest request body accepted, bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Timers for late answers and late executions (faults); default the real ones, unref'd. */
  timers?: TestServerTimers;
}

/** What the plumbing needs of an exchange's simulated account. */
interface SimulatedAccount {
  onMarketData(update: MarketUpdate, now: number): void;
}

const MAX_RECORDS = 10_000;

export abstract class ExchangeTestServer<Spec extends { id: string; symbol: string }> {
  readonly faults = new FaultQueue();
  abstract readonly account: SimulatedAccount;
  abstract readonly board: MarketBoard;
  protected readonly byUnified = new Map<string, Spec>();
  protected readonly byId = new Map<string, Spec>();
  protected readonly clock: Clock;
  protected readonly maxBody: number;
  protected readonly records: RequestRecord[] = [];
  protected readonly held = new Set<ServerResponse>();
  protected readonly timers: TestServerTimers;
  /** placeOnLookup: orders to place right after the first lookup of their client order id. */
  protected readonly placeAfterLookup = new Map<string, () => void>();
  protected readonly late = { executed: 0, refused: 0, scheduled: 0 };
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private listening = false;
  private port = 0;

  constructor(
    readonly specs: readonly Spec[],
    options: ExchangeServerOptions,
  ) {
    this.clock = options.clock ?? { now: () => Date.now() };
    this.maxBody = options.maxBodyBytes ?? 1 << 20;
    this.timers = options.timers ?? {
      setTimeout: (fn, ms) => {
        const timer = setTimeout(fn, ms);
        timer.unref();
        return timer;
      },
    };
    for (const spec of specs) {
      this.byUnified.set(spec.symbol, spec);
      this.byId.set(spec.id, spec);
    }
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  // -------------------------------------------------------------------------------------------
  // What each exchange says its own way

  /** Answers one request whose body has been read. */
  protected abstract dispatch(req: IncomingMessage, res: ServerResponse, body: string): void;
  /** An answer for an error nothing else caught. */
  protected abstract sendInternalError(res: ServerResponse, error: unknown): void;
  /** The exchange's "status unknown" answer (the order may or may not have been placed). */
  protected abstract unknownStatus(): { httpStatus: number; body: unknown };
  /** The exchange's 429 for the rateLimit fault (`headers`: those gathered so far). */
  protected abstract sendRateLimited(res: ServerResponse, delayMs: number, headers: Record<string, string>): void;
  /** The client order id a placement carries (placeOnLookup), undefined when `endpoint` is not the placement. */
  protected abstract placementId(endpoint: string, params: Params): string | undefined;
  /** The client order id a lookup asks for (placeOnLookup), undefined when `endpoint` is not the lookup. */
  protected abstract lookupId(endpoint: string, params: Params): string | undefined;
  /** The balances and whatever else GET /__admin/state adds, in the exchange's words. */
  protected abstract adminState(): Record<string, unknown>;
  /** JSON's Content-Type as the exchange sends it. */
  protected readonly jsonContentType: string = "application/json";
  /** The unit named when pushCandle gets an unknown interval ("kline", "candle"). */
  protected readonly candleWord: string = "candle";

  // -------------------------------------------------------------------------------------------
  // Listening

  async listen(port = 0): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.listening = true;
  }

  /** Base URL, e.g. http://127.0.0.1:4010 (each exchange's endpoints live under its own path). */
  get url(): string {
    if (!this.listening) throw new Error("the test server is not listening");
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stops listening and drops every connection, held requests included. */
  async close(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    for (const res of this.held) res.destroy();
    this.held.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Requests received so far (optionally of one endpoint), oldest first. */
  requests(endpoint?: string): RequestRecord[] {
    return endpoint === undefined ? [...this.records] : this.records.filter((r) => r.endpoint === endpoint);
  }

  addFault(rule: FaultRule): void {
    this.faults.add(rule);
  }

  /** A seeded random fault plan per endpoint (null: off). See faults.ts. */
  setFaultPlan(plan: FaultPlan | null): void {
    this.faults.setPlan(plan);
  }

  /** Faults applied so far by kind, and requests executed after their (lost) answer. */
  faultStats(): { injected: Partial<Record<FaultKind, number>>; lateExecuted: number; lateRefused: number; latePending: number; awaitingLookup: number } {
    return {
      injected: this.faults.injected(),
      lateExecuted: this.late.executed,
      lateRefused: this.late.refused,
      /** Executions still scheduled (their timer has not fired). */
      latePending: this.late.scheduled,
      /** placeOnLookup orders whose lookup has not come (placed only if it does). */
      awaitingLookup: this.placeAfterLookup.size,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Market data in

  /** The symbol's spec from a unified symbol ("BTC/USDT") or the exchange's id ("BTCUSDT"). */
  symbolSpec(symbol: string): Spec {
    const spec = this.byUnified.get(symbol) ?? this.byId.get(symbol);
    if (!spec) throw new RangeError(`the test server does not trade ${symbol}`);
    return spec;
  }

  /** Any simulator market update (symbol unified or the exchange's id). */
  push(update: MarketUpdate): void {
    const spec = this.symbolSpec(update.symbol);
    const now = this.clock.now();
    switch (update.kind) {
      case "quote":
        this.board.quote(spec.id, update.bid, update.ask, update.bidSize ?? 1, update.askSize ?? 1);
        break;
      case "trade":
        this.board.trade(spec.id, update.price, update.qty, now, update.aggressor);
        break;
      case "book":
        this.board.book(spec.id, update.bids, update.asks);
        break;
      case "candle":
        this.board.candle(spec.id, 60_000, { openTime: Math.floor(now / 60_000) * 60_000, ...update }, now);
        break;
      case "mark":
        break;
    }
    this.account.onMarketData({ ...update, symbol: spec.symbol }, now);
  }

  pushQuote(symbol: string, bid: number, ask: number, bidSize = 1, askSize = 1): void {
    this.push({ kind: "quote", symbol, bid, ask, bidSize, askSize });
  }

  pushTrade(symbol: string, price: number, qty: number, aggressor?: "BUY" | "SELL"): void {
    this.push(aggressor ? { kind: "trade", symbol, price, qty, aggressor } : { kind: "trade", symbol, price, qty });
  }

  pushBook(symbol: string, bids: BookLevel[], asks: BookLevel[]): void {
    this.push({ kind: "book", symbol, bids, asks });
  }

  pushCandle(candle: PushCandle): void {
    const spec = this.symbolSpec(candle.symbol);
    const interval = candle.interval ?? "1m";
    const ms = KLINE_INTERVALS[interval];
    if (ms === undefined) throw new RangeError(`unknown ${this.candleWord} interval ${interval}`);
    const now = this.clock.now();
    const row: KlineRow = {
      openTime: candle.openTime ?? Math.floor(now / ms) * ms,
      open: candle.open,
      high: candle.high,
      low: candle.low,
      close: candle.close,
      volume: candle.volume,
    };
    this.board.candle(spec.id, ms, row, now);
    if (candle.simulate !== false) {
      this.account.onMarketData(
        { kind: "candle", symbol: spec.symbol, open: row.open, high: row.high, low: row.low, close: row.close, volume: row.volume },
        now,
      );
    }
  }

  // -------------------------------------------------------------------------------------------
  // HTTP

  /** Logs a request; `params` as the exchange wants them kept (a subclass may drop a signature first). */
  protected record(endpoint: string, params: Params, outcome: RequestRecord["outcome"], fault?: FaultKind): void {
    this.records.push({ endpoint, params, outcome, time: this.clock.now(), ...(fault ? { fault } : {}) });
    if (this.records.length > MAX_RECORDS) this.records.splice(0, this.records.length - MAX_RECORDS);
  }

  protected send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.destroyed || res.writableEnded) return;
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, {
      "Content-Type": typeof body === "string" ? "text/html" : this.jsonContentType,
      "Content-Length": Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > this.maxBody) {
        this.send(res, 413, "Payload Too Large");
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (res.writableEnded) return;
      try {
        this.dispatch(req, res, Buffer.concat(chunks).toString("utf8"));
      } catch (error) {
        this.sendInternalError(res, error);
      }
    });
  }

  // -------------------------------------------------------------------------------------------
  // Faults

  /** placeOnLookup: the first lookup of a held order by its client id has been answered ("not found"): place it now. */
  protected afterLookup(endpoint: string, params: Params): void {
    const id = this.lookupId(endpoint, params);
    if (id === undefined) return;
    const place = this.placeAfterLookup.get(id);
    if (!place) return;
    this.placeAfterLookup.delete(id);
    place();
  }

  /** Executes a request whose answer is already gone; a refusal then (balance, filters) is only counted. */
  private executeLate(handle: (params: Params, now: number) => unknown, params: Params): void {
    try {
      handle(params, this.clock.now());
      this.late.executed += 1;
    } catch {
      this.late.refused += 1;
    }
  }

  /** Faults whose request is executed later or never, after a lost or "unknown" answer; true when handled. */
  protected deferredFault(
    kind: FaultKind,
    delayMs: number,
    res: ServerResponse,
    endpoint: string,
    params: Params,
    handle: (params: Params, now: number) => unknown,
  ): boolean {
    const later = (): void => {
      this.late.scheduled += 1;
      this.timers.setTimeout(() => {
        this.late.scheduled -= 1;
        this.executeLate(handle, params);
      }, delayMs);
    };
    switch (kind) {
      case "statusUnknown":
        if (delayMs <= 0) return false; // executed now, answered "unknown" (postFault)
        later();
        this.sendUnknown(res, endpoint, params, kind);
        return true;
      case "statusUnknownNotExecuted":
        this.sendUnknown(res, endpoint, params, kind);
        return true;
      case "placeOnLookup": {
        const id = this.placementId(endpoint, params);
        if (id !== undefined && id !== "") this.placeAfterLookup.set(id, () => this.executeLate(handle, params));
        this.sendUnknown(res, endpoint, params, kind);
        return true;
      }
      case "resetAfterExecute":
        if (delayMs <= 0) return false; // executed now, then reset (postFault)
        later();
        this.record(endpoint, params, "reset", kind);
        res.socket?.destroy();
        return true;
      case "resetBeforeExecute":
        this.record(endpoint, params, "reset", kind);
        res.socket?.destroy();
        return true;
      default:
        return false;
    }
  }

  private sendUnknown(res: ServerResponse, endpoint: string, params: Params, kind: FaultKind): void {
    const error = this.unknownStatus();
    this.record(endpoint, params, error.httpStatus, kind);
    this.send(res, error.httpStatus, error.body);
  }

  /** Faults that replace the request entirely; true when the request is done with. */
  protected preFault(kind: FaultKind, delayMs: number, res: ServerResponse, endpoint: string, params: Params, headers: Record<string, string>): boolean {
    switch (kind) {
      case "unavailable":
        this.record(endpoint, params, 503, kind);
        this.send(res, 503, "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>");
        return true;
      case "rateLimit":
        this.record(endpoint, params, 429, kind);
        this.sendRateLimited(res, delayMs, headers);
        return true;
      case "hang":
        this.record(endpoint, params, "hang", kind);
        this.hold(res);
        return true;
      default:
        return false;
    }
  }

  /** Faults applied after the request was executed. */
  protected postFault(
    kind: FaultKind,
    delayMs: number,
    res: ServerResponse,
    endpoint: string,
    params: Params,
    result: unknown,
    headers: Record<string, string> = {},
  ): void {
    switch (kind) {
      case "dropResponse":
        this.record(endpoint, params, "dropped", kind);
        this.hold(res);
        return;
      case "resetAfterExecute":
        this.record(endpoint, params, "reset", kind);
        res.socket?.destroy();
        return;
      case "statusUnknown":
        this.sendUnknown(res, endpoint, params, kind);
        return;
      case "delay": {
        this.record(endpoint, params, 200, kind);
        this.hold(res);
        this.timers.setTimeout(() => {
          this.held.delete(res);
          this.send(res, 200, result, headers);
        }, delayMs);
        return;
      }
      default:
        this.record(endpoint, params, 200);
        this.send(res, 200, result, headers);
    }
  }

  protected hold(res: ServerResponse): void {
    this.held.add(res);
    res.on("close", () => this.held.delete(res));
  }

  // -------------------------------------------------------------------------------------------
  // Admin (no auth, for tests and other processes)

  protected admin(method: string, pathname: string, body: string, res: ServerResponse): void {
    try {
      const json = (): Record<string, unknown> => {
        const parsed: unknown = body ? JSON.parse(body) : {};
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new TypeError("the body must be a JSON object");
        return parsed as Record<string, unknown>;
      };
      if (method === "POST" && pathname === "/__admin/market") {
        const m = json();
        if (m.kind === "candle") this.pushCandle(m as unknown as PushCandle);
        else this.push(m as unknown as MarketUpdate);
        this.send(res, 200, { ok: true });
      } else if (method === "POST" && pathname === "/__admin/faults") {
        this.faults.add(json() as unknown as FaultRule);
        this.send(res, 200, { ok: true, pending: this.faults.pending() });
      } else if (method === "POST" && pathname === "/__admin/faults/plan") {
        this.faults.setPlan(json() as unknown as FaultPlan);
        this.send(res, 200, { ok: true });
      } else if (method === "DELETE" && pathname === "/__admin/faults") {
        this.faults.clear();
        this.send(res, 200, { ok: true });
      } else if (method === "GET" && pathname === "/__admin/state") {
        const counts: Record<string, number> = {};
        for (const r of this.records) counts[r.endpoint] = (counts[r.endpoint] ?? 0) + 1;
        const { exchange, openOrders, fills, balances } = this.adminState();
        this.send(res, 200, {
          url: this.url,
          ...(exchange === undefined ? {} : { exchange }),
          openOrders,
          fills,
          balances,
          requests: counts,
          faults: this.faults.pending(),
          faultStats: this.faultStats(),
        });
      } else {
        this.send(res, 404, { ok: false, error: `no admin endpoint ${method} ${pathname}` });
      }
    } catch (error) {
      this.send(res, 400, { ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  }
}

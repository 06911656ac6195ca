/**
 * A Binance-compatible test exchange on 127.0.0.1: the subset of Binance's SPOT REST API that
 * ccxt's `binance` class (4.5.84) uses to load markets, read tickers, order books, candles and
 * trades, place / query / cancel orders, list open orders and fills, and read balances. Orders run
 * on the simulator (account.ts), prices come from what is pushed in (`push*`, the admin endpoint, or
 * a replay, replay.ts). Signed endpoints check Binance's HMAC-SHA256 signature, API key, timestamp
 * and recvWindow; request weight and order-count limits answer 429 like Binance; faults can be
 * injected per endpoint (faults.ts).
 *
 * Only ever listens on 127.0.0.1. The API key and secret are test values, not secrets.
 *
 * Admin (no auth, for tests and other processes such as an e2e run):
 *   POST   /__admin/market   {"kind":"quote","symbol":"BTCUSDT","bid":…,"ask":…} | trade | candle | book
 *   POST   /__admin/faults   {"endpoint":"POST /api/v3/order","kind":"dropResponse","times":1}
 *   POST   /__admin/faults/plan {"seed":7,"rules":[{"endpoint":"POST /api/v3/order","probabilities":{"statusUnknown":0.1}}]}
 *   DELETE /__admin/faults
 *   GET    /__admin/state    open orders, balances, fills, request counts
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, type Socket } from "node:net";
import { type Clock } from "../../server/core/clock";
import { type DecimalInput } from "../../server/core/money";
import { type BookLevel, type MarketUpdate } from "../../server/core/market-data";
import { BinanceAccount, type Params } from "./account";
import { BinanceApiError, BinanceErrors } from "./errors";
import { DEFAULT_RATE_LIMITS, exchangeInfoBody, loadSymbolSpecs, type SymbolSpec } from "./exchange-info";
import { FaultQueue, type FaultKind, type FaultPlan, type FaultRule } from "./faults";
import { KLINE_INTERVALS, MarketBoard, type KlineRow } from "./market-board";

export const TEST_API_KEY = "bastion-test-key-0000000000000000000000000000000000000000000000";
export const TEST_API_SECRET = "bastion-test-secret-000000000000000000000000000000000000000000000";

export interface BinanceTestServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  apiKey?: string;
  apiSecret?: string;
  /** Starting spot balances; default 100 000 USDT, 2 BTC, 20 ETH. */
  balances?: Record<string, DecimalInput>;
  /** Trade only these symbols (unified or Binance ids); default every spot market of the snapshot. */
  symbols?: readonly string[];
  /** A ccxt Binance markets snapshot; default server/venues/ccxt/fixtures/markets/binance.json. */
  marketsFile?: string;
  /** See loadSymbolSpecs; default adds STOP_LOSS and TAKE_PROFIT. */
  extraOrderTypes?: readonly string[];
  /** Server time; default the wall clock. */
  clock?: Clock;
  makerFee?: string;
  takerFee?: string;
  rateLimits?: Partial<typeof DEFAULT_RATE_LIMITS>;
  /** Largest request body accepted, bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Timers for late answers and late executions (faults); default the real ones, unref'd. */
  timers?: { setTimeout(fn: () => void, ms: number): unknown };
  /**
   * May a clientOrderId be used again? Binance: once the order that had it is closed ("whenClosed";
   * a re-sent MARKET order is then executed a second time). Default "never" (a reuse answers -2010).
   */
  clientOrderIdReuse?: "never" | "whenClosed";
}

export interface RequestRecord {
  /** "POST /api/v3/order" */
  endpoint: string;
  /** Parameters as sent, without the signature. */
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
  interval?: string;
  /** Also match resting orders and stops against the bar (default true). */
  simulate?: boolean;
}

interface Route {
  signed: boolean;
  weight: (params: Params) => number;
  order?: boolean;
  handle: (params: Params, now: number) => unknown;
}

const MAX_RECORDS = 10_000;

function splitSignature(raw: string): { rest: string; signature: string | undefined } {
  const match = /(^|&)signature=([^&]*)/.exec(raw);
  if (!match) return { rest: raw, signature: undefined };
  const rest = raw.slice(0, match.index) + raw.slice(match.index + match[0].length);
  return { rest: rest.startsWith("&") ? rest.slice(1) : rest, signature: decodeURIComponent(match[2]!) };
}

function parseParams(query: string, body: string): Params {
  const out: Params = {};
  for (const source of [query, body]) {
    if (!source) continue;
    for (const [key, value] of new URLSearchParams(source)) {
      if (key in out) throw BinanceErrors.duplicateParam();
      out[key] = value;
    }
  }
  return out;
}

export class BinanceTestServer {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly account: BinanceAccount;
  readonly board: MarketBoard;
  readonly faults = new FaultQueue();
  readonly specs: readonly SymbolSpec[];
  private readonly byUnified = new Map<string, SymbolSpec>();
  private readonly byId = new Map<string, SymbolSpec>();
  private readonly clock: Clock;
  private readonly limits: typeof DEFAULT_RATE_LIMITS;
  private readonly maxBody: number;
  private readonly routes: Map<string, Route>;
  private readonly records: RequestRecord[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<ServerResponse>();
  private readonly server: Server;
  private readonly timers: NonNullable<BinanceTestServerOptions["timers"]>;
  /** placeOnLookup: orders to place right after the first lookup of their clientOrderId. */
  private readonly placeAfterLookup = new Map<string, () => void>();
  private readonly late = { executed: 0, refused: 0, scheduled: 0 };
  private weightWindow = { minute: -1, used: 0 };
  private orderWindows = { tenSec: -1, usedTenSec: 0, day: -1, usedDay: 0 };
  private listening = false;
  private port = 0;

  constructor(options: BinanceTestServerOptions = {}) {
    this.apiKey = options.apiKey ?? TEST_API_KEY;
    this.apiSecret = options.apiSecret ?? TEST_API_SECRET;
    this.clock = options.clock ?? { now: () => Date.now() };
    this.limits = { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
    this.maxBody = options.maxBodyBytes ?? 1 << 20;
    this.timers = options.timers ?? {
      setTimeout: (fn, ms) => {
        const timer = setTimeout(fn, ms);
        timer.unref();
        return timer;
      },
    };
    this.specs = loadSymbolSpecs({ file: options.marketsFile, only: options.symbols, extraOrderTypes: options.extraOrderTypes });
    for (const spec of this.specs) {
      this.byUnified.set(spec.symbol, spec);
      this.byId.set(spec.id, spec);
    }
    this.account = new BinanceAccount({
      specs: this.specs,
      balances: options.balances ?? { USDT: "100000", BTC: "2", ETH: "20" },
      makerFee: options.makerFee,
      takerFee: options.takerFee,
      clientOrderIdReuse: options.clientOrderIdReuse,
    });
    this.board = new MarketBoard(this.specs.map((s) => s.id));
    this.routes = this.buildRoutes();
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  /** Starts a server and waits until it listens. */
  static async start(options: BinanceTestServerOptions = {}): Promise<BinanceTestServer> {
    const server = new BinanceTestServer(options);
    await server.listen(options.port ?? 0);
    return server;
  }

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

  /** Base URL, e.g. http://127.0.0.1:4010 (ccxt's spot endpoints live under /api/v3). */
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

  /** The symbol's spec from a unified symbol ("BTC/USDT") or a Binance id ("BTCUSDT"). */
  symbolSpec(symbol: string): SymbolSpec {
    const spec = this.byUnified.get(symbol) ?? this.byId.get(symbol);
    if (!spec) throw new RangeError(`the test server does not trade ${symbol}`);
    return spec;
  }

  /** Any simulator market update (symbol unified or Binance id). */
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
    if (ms === undefined) throw new RangeError(`unknown kline interval ${interval}`);
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
  // Routes

  private buildRoutes(): Map<string, Route> {
    const routes = new Map<string, Route>();
    const account = this.account;
    const board = this.board;
    const symbolsParam = (params: Params): string[] | undefined => {
      if (params.symbols === undefined) return undefined;
      let parsed: unknown;
      try {
        parsed = JSON.parse(params.symbols);
      } catch {
        throw BinanceErrors.illegalChars("symbols");
      }
      if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === "string")) throw BinanceErrors.illegalChars("symbols");
      for (const id of parsed) account.spec(id);
      return parsed;
    };
    const perSymbol = (params: Params, one: (id: string) => unknown): unknown => {
      if (params.symbol !== undefined) return one(account.spec(params.symbol).id);
      const ids = symbolsParam(params) ?? account.symbolIds();
      return ids.map(one);
    };
    const limitParam = (params: Params, def: number, max: number): number => {
      const raw = params.limit;
      if (raw === undefined) return def;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1) throw BinanceErrors.illegalChars("limit");
      return Math.min(n, max);
    };
    const optInt = (params: Params, name: string): number | undefined => {
      const raw = params[name];
      if (raw === undefined) return undefined;
      if (!/^[0-9]{1,19}$/.test(raw)) throw BinanceErrors.illegalChars(name);
      return Number(raw);
    };

    routes.set("GET /api/v3/ping", { signed: false, weight: () => 1, handle: () => ({}) });
    routes.set("GET /api/v3/time", { signed: false, weight: () => 1, handle: (_p, now) => ({ serverTime: now }) });
    routes.set("GET /api/v3/exchangeInfo", {
      signed: false,
      weight: () => 20,
      handle: (params, now) => {
        const only = params.symbol !== undefined ? [account.spec(params.symbol).id] : symbolsParam(params);
        return exchangeInfoBody(this.specs, now, this.limits, only);
      },
    });
    routes.set("GET /api/v3/ticker/bookTicker", {
      signed: false,
      weight: (p) => (p.symbol !== undefined ? 2 : 4),
      handle: (params) => perSymbol(params, (id) => board.bookTicker(id)),
    });
    routes.set("GET /api/v3/ticker/24hr", {
      signed: false,
      weight: (p) => (p.symbol !== undefined ? 2 : 80),
      handle: (params, now) => perSymbol(params, (id) => board.ticker24h(id, now)),
    });
    routes.set("GET /api/v3/ticker/price", {
      signed: false,
      weight: (p) => (p.symbol !== undefined ? 2 : 4),
      handle: (params, now) =>
        perSymbol(params, (id) => {
          const t = board.ticker24h(id, now);
          return { symbol: id, price: t.lastPrice };
        }),
    });
    routes.set("GET /api/v3/depth", {
      signed: false,
      weight: (p) => {
        const limit = Number(p.limit ?? 100);
        return limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250;
      },
      handle: (params) => board.depth(account.spec(params.symbol).id, limitParam(params, 100, 5000)),
    });
    routes.set("GET /api/v3/klines", {
      signed: false,
      weight: () => 2,
      handle: (params) => {
        const id = account.spec(params.symbol).id;
        if (!params.interval) throw BinanceErrors.mandatory("interval");
        const ms = KLINE_INTERVALS[params.interval];
        if (ms === undefined) throw BinanceErrors.invalidInterval();
        return board.klines(id, ms, { startTime: optInt(params, "startTime"), endTime: optInt(params, "endTime"), limit: limitParam(params, 500, 1000) });
      },
    });
    routes.set("GET /api/v3/aggTrades", {
      signed: false,
      weight: () => 2,
      handle: (params) =>
        board.aggTrades(account.spec(params.symbol).id, {
          fromId: optInt(params, "fromId"),
          startTime: optInt(params, "startTime"),
          endTime: optInt(params, "endTime"),
          limit: limitParam(params, 500, 1000),
        }),
    });
    routes.set("GET /api/v3/trades", {
      signed: false,
      weight: () => 25,
      handle: (params) =>
        (
          board.aggTrades(account.spec(params.symbol).id, { limit: limitParam(params, 500, 1000) }) as {
            a: number;
            p: string;
            q: string;
            T: number;
            m: boolean;
          }[]
        ).map((t) => ({
          id: t.a,
          price: t.p,
          qty: t.q,
          quoteQty: (Number(t.p) * Number(t.q)).toFixed(8),
          time: t.T,
          isBuyerMaker: t.m,
          isBestMatch: true,
        })),
    });
    routes.set("POST /api/v3/order", {
      signed: true,
      order: true,
      weight: () => 1,
      handle: (params, now) => {
        const spec = account.spec(params.symbol);
        const touch = board.touch(spec.id);
        return account.newOrder(params, now, { bid: touch.bid, ask: touch.ask, last: touch.last });
      },
    });
    routes.set("POST /api/v3/order/test", {
      signed: true,
      weight: () => 1,
      handle: (params) => {
        account.spec(params.symbol);
        return {};
      },
    });
    routes.set("GET /api/v3/order", { signed: true, weight: () => 4, handle: (params) => account.getOrder(params) });
    routes.set("DELETE /api/v3/order", { signed: true, weight: () => 1, handle: (params, now) => account.cancelOrder(params, now) });
    routes.set("DELETE /api/v3/openOrders", { signed: true, weight: () => 1, handle: (params, now) => account.cancelOpenOrders(params, now) });
    routes.set("GET /api/v3/openOrders", { signed: true, weight: (p) => (p.symbol !== undefined ? 6 : 80), handle: (params) => account.openOrders(params) });
    routes.set("GET /api/v3/myTrades", { signed: true, weight: () => 20, handle: (params) => account.myTrades(params) });
    routes.set("GET /api/v3/account", { signed: true, weight: () => 20, handle: (params) => account.account(params) });
    // sapi endpoints ccxt may touch with its default options: minimal valid answers.
    routes.set("GET /sapi/v1/system/status", { signed: false, weight: () => 1, handle: () => ({ status: 0, msg: "normal" }) });
    routes.set("GET /sapi/v1/capital/config/getall", {
      signed: true,
      weight: () => 10,
      handle: () => {
        const balances = account.venue.balances();
        const assets = new Set<string>();
        for (const spec of this.specs) {
          assets.add(spec.base);
          assets.add(spec.quote);
        }
        return [...assets].sort().map((coin) => ({
          coin,
          name: coin,
          depositAllEnable: false,
          withdrawAllEnable: false,
          free: (balances[coin]?.free ?? 0).toString(),
          locked: (balances[coin]?.reserved ?? 0).toString(),
          freeze: "0",
          withdrawing: "0",
          ipoing: "0",
          ipoable: "0",
          storage: "0",
          isLegalMoney: false,
          trading: true,
          networkList: [],
        }));
      },
    });
    routes.set("GET /sapi/v1/margin/allPairs", { signed: true, weight: () => 1, handle: () => [] });
    routes.set("GET /sapi/v1/margin/isolated/allPairs", { signed: true, weight: () => 10, handle: () => [] });
    return routes;
  }

  // -------------------------------------------------------------------------------------------
  // HTTP

  private record(endpoint: string, params: Params, outcome: RequestRecord["outcome"], fault?: FaultKind): void {
    const { signature: _omit, ...rest } = params;
    this.records.push({ endpoint, params: rest, outcome, time: this.clock.now(), ...(fault ? { fault } : {}) });
    if (this.records.length > MAX_RECORDS) this.records.splice(0, this.records.length - MAX_RECORDS);
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.destroyed || res.writableEnded) return;
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, {
      "Content-Type": typeof body === "string" ? "text/html" : "application/json;charset=UTF-8",
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
        this.send(res, 500, BinanceErrors.unknown(error instanceof Error ? error.message : String(error)).body());
      }
    });
  }

  private dispatch(req: IncomingMessage, res: ServerResponse, body: string): void {
    const method = req.method ?? "GET";
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const pathname = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = q < 0 ? "" : rawUrl.slice(q + 1);
    const endpoint = `${method} ${pathname}`;
    if (pathname.startsWith("/__admin/")) {
      this.admin(method, pathname, body, res);
      return;
    }
    const route = this.routes.get(endpoint);
    let params: Params = {};
    try {
      params = parseParams(query, body);
    } catch (error) {
      this.fail(res, endpoint, params, error);
      return;
    }
    if (!route) {
      this.record(endpoint, params, 404);
      this.send(res, 404, "<html><body><h1>404 Not Found</h1></body></html>");
      return;
    }
    const now = this.clock.now();
    const headers: Record<string, string> = {};
    try {
      // Request weight: every request counts, in fixed one-minute windows like Binance's.
      const minute = Math.floor(now / 60_000);
      if (this.weightWindow.minute !== minute) this.weightWindow = { minute, used: 0 };
      this.weightWindow.used += route.weight(params);
      headers["x-mbx-used-weight"] = String(this.weightWindow.used);
      headers["x-mbx-used-weight-1m"] = String(this.weightWindow.used);
      if (this.weightWindow.used > this.limits.requestWeightPerMinute) throw BinanceErrors.tooManyRequests(this.limits.requestWeightPerMinute);

      const fault = this.faults.take(endpoint);
      if (fault && this.preFault(fault.kind, fault.delayMs, res, endpoint, params, headers)) return;

      if (route.signed) this.authenticate(req, query, body, params, now);
      if (route.order) this.countOrder(now, headers);
      if (fault && this.deferredFault(fault.kind, fault.delayMs, res, endpoint, params, route)) return;
      const result = route.handle(params, now);
      if (fault) {
        this.postFault(fault.kind, fault.delayMs, res, endpoint, params, result, headers);
        return;
      }
      this.record(endpoint, params, 200);
      this.send(res, 200, result, headers);
    } catch (error) {
      this.fail(res, endpoint, params, error, headers);
    } finally {
      this.afterLookup(endpoint, params);
    }
  }

  /** placeOnLookup: the first lookup of a held order by clientOrderId has been answered ("does not exist"): place it now. */
  private afterLookup(endpoint: string, params: Params): void {
    if (endpoint !== "GET /api/v3/order" || params.origClientOrderId === undefined) return;
    const place = this.placeAfterLookup.get(params.origClientOrderId);
    if (!place) return;
    this.placeAfterLookup.delete(params.origClientOrderId);
    place();
  }

  /** Executes a request whose answer is already gone; a refusal then (balance, filters) is only counted. */
  private executeLate(route: Route, params: Params): void {
    try {
      route.handle(params, this.clock.now());
      this.late.executed += 1;
    } catch {
      this.late.refused += 1;
    }
  }

  /** Faults whose request is executed later or never, after a lost or "unknown" answer; true when handled. */
  private deferredFault(kind: FaultKind, delayMs: number, res: ServerResponse, endpoint: string, params: Params, route: Route): boolean {
    const later = (): void => {
      this.late.scheduled += 1;
      this.timers.setTimeout(() => {
        this.late.scheduled -= 1;
        this.executeLate(route, params);
      }, delayMs);
    };
    switch (kind) {
      case "statusUnknown":
        if (delayMs <= 0) return false; // executed now, answered -1007 (postFault)
        later();
        this.sendUnknown(res, endpoint, params, kind);
        return true;
      case "statusUnknownNotExecuted":
        this.sendUnknown(res, endpoint, params, kind);
        return true;
      case "placeOnLookup": {
        const coid = params.newClientOrderId;
        if (endpoint === "POST /api/v3/order" && coid !== undefined && coid !== "") this.placeAfterLookup.set(coid, () => this.executeLate(route, params));
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
    const error = BinanceErrors.statusUnknown();
    this.record(endpoint, params, error.httpStatus, kind);
    this.send(res, error.httpStatus, error.body());
  }

  private fail(res: ServerResponse, endpoint: string, params: Params, error: unknown, headers: Record<string, string> = {}): void {
    const apiError = error instanceof BinanceApiError ? error : BinanceErrors.unknown(error instanceof Error ? error.message : String(error));
    this.record(endpoint, params, apiError.httpStatus);
    if (apiError.httpStatus === 429) headers["Retry-After"] = "60";
    this.send(res, apiError.httpStatus, apiError.body(), headers);
  }

  /** Faults that replace the request entirely; true when the request is done with. */
  private preFault(kind: FaultKind, delayMs: number, res: ServerResponse, endpoint: string, params: Params, headers: Record<string, string>): boolean {
    switch (kind) {
      case "unavailable":
        this.record(endpoint, params, 503, kind);
        this.send(res, 503, "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>");
        return true;
      case "rateLimit":
        this.record(endpoint, params, 429, kind);
        // Retry-After in whole seconds: the fault's delay (rounded up), else Binance's usual minute.
        this.send(res, 429, BinanceErrors.tooManyRequests(this.limits.requestWeightPerMinute).body(), {
          ...headers,
          "Retry-After": String(delayMs > 0 ? Math.ceil(delayMs / 1000) : 60),
        });
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
  private postFault(
    kind: FaultKind,
    delayMs: number,
    res: ServerResponse,
    endpoint: string,
    params: Params,
    result: unknown,
    headers: Record<string, string>,
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

  private hold(res: ServerResponse): void {
    this.held.add(res);
    res.on("close", () => this.held.delete(res));
  }

  private authenticate(req: IncomingMessage, query: string, body: string, params: Params, now: number): void {
    const key = req.headers["x-mbx-apikey"];
    if (typeof key !== "string" || key.length === 0) throw BinanceErrors.apiKeyFormat();
    if (key !== this.apiKey) throw BinanceErrors.invalidApiKey();
    const q = splitSignature(query);
    const b = splitSignature(body);
    const signature = q.signature ?? b.signature;
    if (signature === undefined || signature === "") throw BinanceErrors.mandatory("signature");
    const payload = q.rest + b.rest;
    const expected = createHmac("sha256", this.apiSecret).update(payload).digest("hex");
    const given = Buffer.from(signature.toLowerCase(), "utf8");
    const wanted = Buffer.from(expected, "utf8");
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) throw BinanceErrors.badSignature();
    if (params.timestamp === undefined || !/^[0-9]{1,19}$/.test(params.timestamp)) throw BinanceErrors.mandatory("timestamp");
    const recvWindow = params.recvWindow === undefined ? 5000 : Number(params.recvWindow);
    if (!Number.isFinite(recvWindow) || recvWindow < 0) throw BinanceErrors.illegalChars("recvWindow");
    if (recvWindow > 60_000) throw BinanceErrors.invalidRecvWindow();
    const timestamp = Number(params.timestamp);
    if (timestamp >= now + 1000) throw BinanceErrors.timestampAhead();
    if (now - timestamp > recvWindow) throw BinanceErrors.timestampOutsideWindow();
  }

  private countOrder(now: number, headers: Record<string, string>): void {
    const tenSec = Math.floor(now / 10_000);
    const day = Math.floor(now / 86_400_000);
    const w = this.orderWindows;
    if (w.tenSec !== tenSec) {
      w.tenSec = tenSec;
      w.usedTenSec = 0;
    }
    if (w.day !== day) {
      w.day = day;
      w.usedDay = 0;
    }
    w.usedTenSec += 1;
    w.usedDay += 1;
    headers["x-mbx-order-count-10s"] = String(w.usedTenSec);
    headers["x-mbx-order-count-1d"] = String(w.usedDay);
    if (w.usedTenSec > this.limits.ordersPer10s) throw BinanceErrors.tooManyOrders(this.limits.ordersPer10s, "10 SECOND");
    if (w.usedDay > this.limits.ordersPerDay) throw BinanceErrors.tooManyOrders(this.limits.ordersPerDay, "1 DAY");
  }

  // -------------------------------------------------------------------------------------------
  // Admin

  private admin(method: string, pathname: string, body: string, res: ServerResponse): void {
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
        const balances: Record<string, { free: string; locked: string }> = {};
        for (const [asset, b] of Object.entries(this.account.venue.balances())) balances[asset] = { free: b.free.toString(), locked: b.reserved.toString() };
        this.send(res, 200, {
          url: this.url,
          openOrders: this.account.openOrderCount(),
          fills: this.account.allTrades().length,
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

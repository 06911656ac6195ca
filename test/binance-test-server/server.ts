/**
 * A Binance-compatible test exchange on 127.0.0.1: the subset of Binance's SPOT REST API that
 * ccxt's `binance` class (4.5.84) uses to load markets, read tickers, order books, candles and
 * trades, place / query / cancel orders, list open orders and fills, and read balances, plus OCO and OTO order lists
 * (`POST /api/v3/orderList/oco` and `/oto`, `GET` / `DELETE /api/v3/orderList`, account.ts has the rules). Orders run
 * on the simulator (account.ts), prices come from what is pushed in (`push*`, the admin endpoint, or
 * a replay, replay.ts). Signed endpoints check Binance's HMAC-SHA256 signature, API key, timestamp
 * and recvWindow; request weight and order-count limits answer 429 like Binance; faults can be
 * injected per endpoint (faults.ts). The plumbing it shares with the Bitget server (listening, the request log,
 * faults, market pushes, admin) is ../exchange-test-server/exchange-server.ts.
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
import { type IncomingMessage, type ServerResponse } from "node:http";
import { type DecimalInput } from "../../server/core/money";
import { ExchangeTestServer, type ExchangeServerOptions, type RequestRecord } from "../exchange-test-server/exchange-server";
import { BinanceAccount, type Params } from "./account";
import { BinanceApiError, BinanceErrors } from "./errors";
import { DEFAULT_RATE_LIMITS, exchangeInfoBody, loadSymbolSpecs, type SymbolSpec } from "./exchange-info";
import { type FaultKind } from "./faults";
import { KLINE_INTERVALS, MarketBoard } from "./market-board";

export const TEST_API_KEY = "bastion-test-key-0000000000000000000000000000000000000000000000";
export const TEST_API_SECRET = "bastion-test-secret-000000000000000000000000000000000000000000000";

export interface BinanceTestServerOptions extends ExchangeServerOptions {
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
  makerFee?: string;
  takerFee?: string;
  rateLimits?: Partial<typeof DEFAULT_RATE_LIMITS>;
  /**
   * May a clientOrderId be used again? Binance: once the order that had it is closed ("whenClosed";
   * a re-sent MARKET order is then executed a second time). Default "never" (a reuse answers -2010).
   */
  clientOrderIdReuse?: "never" | "whenClosed";
}

export type { RequestRecord, PushCandle } from "../exchange-test-server/exchange-server";

interface Route {
  signed: boolean;
  weight: (params: Params) => number;
  order?: boolean;
  handle: (params: Params, now: number) => unknown;
}

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

export class BinanceTestServer extends ExchangeTestServer<SymbolSpec> {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly account: BinanceAccount;
  readonly board: MarketBoard;
  protected override readonly jsonContentType = "application/json;charset=UTF-8";
  protected override readonly candleWord = "kline";
  private readonly limits: typeof DEFAULT_RATE_LIMITS;
  private readonly routes: Map<string, Route>;
  private weightWindow = { minute: -1, used: 0 };
  private orderWindows = { tenSec: -1, usedTenSec: 0, day: -1, usedDay: 0 };

  constructor(options: BinanceTestServerOptions = {}) {
    super(loadSymbolSpecs({ file: options.marketsFile, only: options.symbols, extraOrderTypes: options.extraOrderTypes }), options);
    this.apiKey = options.apiKey ?? TEST_API_KEY;
    this.apiSecret = options.apiSecret ?? TEST_API_SECRET;
    this.limits = { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
    this.account = new BinanceAccount({
      specs: this.specs,
      balances: options.balances ?? { USDT: "100000", BTC: "2", ETH: "20" },
      makerFee: options.makerFee,
      takerFee: options.takerFee,
      clientOrderIdReuse: options.clientOrderIdReuse,
    });
    this.board = new MarketBoard(this.specs.map((s) => s.id));
    this.routes = this.buildRoutes();
  }

  /** Starts a server and waits until it listens. */
  static async start(options: BinanceTestServerOptions = {}): Promise<BinanceTestServer> {
    const server = new BinanceTestServer(options);
    await server.listen(options.port ?? 0);
    return server;
  }

  // -------------------------------------------------------------------------------------------
  // Binance's words for the shared plumbing (../exchange-test-server/exchange-server.ts)

  /** The signature is not kept in the request log. */
  protected override record(endpoint: string, params: Params, outcome: RequestRecord["outcome"], fault?: FaultKind): void {
    const { signature: _omit, ...rest } = params;
    super.record(endpoint, rest, outcome, fault);
  }

  protected sendInternalError(res: ServerResponse, error: unknown): void {
    this.send(res, 500, BinanceErrors.unknown(error instanceof Error ? error.message : String(error)).body());
  }

  protected unknownStatus(): { httpStatus: number; body: unknown } {
    const error = BinanceErrors.statusUnknown();
    return { httpStatus: error.httpStatus, body: error.body() };
  }

  protected sendRateLimited(res: ServerResponse, delayMs: number, headers: Record<string, string>): void {
    // Retry-After in whole seconds: the fault's delay (rounded up), else Binance's usual minute.
    this.send(res, 429, BinanceErrors.tooManyRequests(this.limits.requestWeightPerMinute).body(), {
      ...headers,
      "Retry-After": String(delayMs > 0 ? Math.ceil(delayMs / 1000) : 60),
    });
  }

  protected placementId(endpoint: string, params: Params): string | undefined {
    // An OCO is placed when its above leg is looked up (placeOnLookup), an OTO when its working order is.
    if (endpoint === "POST /api/v3/order") return params.newClientOrderId;
    if (endpoint === "POST /api/v3/orderList/oco") return params.aboveClientOrderId;
    return endpoint === "POST /api/v3/orderList/oto" ? params.workingClientOrderId : undefined;
  }

  protected lookupId(endpoint: string, params: Params): string | undefined {
    return endpoint === "GET /api/v3/order" ? params.origClientOrderId : undefined;
  }

  protected adminState(): Record<string, unknown> {
    const balances: Record<string, { free: string; locked: string }> = {};
    for (const [asset, b] of Object.entries(this.account.venue.balances())) balances[asset] = { free: b.free.toString(), locked: b.reserved.toString() };
    return { openOrders: this.account.openOrderCount(), fills: this.account.allTrades().length, balances };
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
    routes.set("POST /api/v3/orderList/oco", {
      signed: true,
      order: true,
      weight: () => 1,
      handle: (params, now) => {
        const touch = board.touch(account.spec(params.symbol).id);
        return account.newOcoList(params, now, { bid: touch.bid, ask: touch.ask, last: touch.last });
      },
    });
    routes.set("POST /api/v3/orderList/oto", {
      signed: true,
      order: true,
      weight: () => 1,
      handle: (params, now) => {
        const touch = board.touch(account.spec(params.symbol).id);
        return account.newOtoList(params, now, { bid: touch.bid, ask: touch.ask, last: touch.last });
      },
    });
    routes.set("GET /api/v3/orderList", { signed: true, weight: () => 4, handle: (params) => account.getOrderList(params) });
    routes.set("DELETE /api/v3/orderList", { signed: true, weight: () => 1, handle: (params, now) => account.cancelOrderList(params, now) });
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

  protected dispatch(req: IncomingMessage, res: ServerResponse, body: string): void {
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
      if (fault && this.deferredFault(fault.kind, fault.delayMs, res, endpoint, params, route.handle)) return;
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

  private fail(res: ServerResponse, endpoint: string, params: Params, error: unknown, headers: Record<string, string> = {}): void {
    const apiError = error instanceof BinanceApiError ? error : BinanceErrors.unknown(error instanceof Error ? error.message : String(error));
    this.record(endpoint, params, apiError.httpStatus);
    if (apiError.httpStatus === 429) headers["Retry-After"] = "60";
    this.send(res, apiError.httpStatus, apiError.body(), headers);
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
}

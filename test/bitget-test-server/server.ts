/**
 * A Bitget-compatible test exchange on 127.0.0.1: the subset of Bitget's v2 classic-account SPOT REST API that
 * ccxt's `bitget` class (4.5.84, `options: { uta: false }`) uses to load spot markets and coins, read the time,
 * tickers, order books, candles and public trades, place / query / cancel orders (by orderId or clientOid),
 * cancel a symbol's orders, list open and past orders and fills, and read balances. Orders run on the simulator
 * (account.ts); prices come from what is pushed in (`push*`, the admin endpoint, or a replay through the
 * Binance server's replay.ts, which drives either server). Signed endpoints check Bitget's ACCESS-KEY,
 * ACCESS-SIGN (base64 HMAC-SHA256 of timestamp + METHOD + path[?query] + body), ACCESS-TIMESTAMP (within 30 s of
 * the server clock) and ACCESS-PASSPHRASE; plan (trigger) orders have their own book as on Bitget; every endpoint has a per-second request limit answered with Bitget's
 * 429; faults can be injected per endpoint with the Binance server's FaultQueue (same kinds, Bitget's bodies).
 *
 * Answers are Bitget's envelope `{ "code": "00000", "msg": "success", "requestTime": …, "data": … }`; errors
 * carry Bitget's codes (errors.ts). The market book and candles are the Binance server's MarketBoard, whose
 * Binance-shaped rows are re-dressed here as Bitget's.
 *
 * Only ever listens on 127.0.0.1. The key, secret and passphrase are test values, not secrets.
 *
 * Admin (no auth, for tests and other processes):
 *   POST   /__admin/market   {"kind":"quote","symbol":"BTCUSDT","bid":…,"ask":…} | trade | candle | book
 *   POST   /__admin/faults   {"endpoint":"POST /api/v2/spot/trade/place-order","kind":"dropResponse","times":1}
 *   POST   /__admin/faults/plan {"seed":7,"rules":[{"endpoint":"POST /api/v2/spot/trade/place-order","probabilities":{"statusUnknown":0.1}}]}
 *   DELETE /__admin/faults
 *   GET    /__admin/state    open orders, balances, fills, request counts
 *
 * The plumbing both test exchanges share (listening, the request log, faults, market pushes, admin) is
 * ../exchange-test-server/exchange-server.ts; the account and the error table live in their own files.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { type IncomingMessage, type ServerResponse } from "node:http";
import { type DecimalInput } from "../../server/core/money";
import { MarketBoard } from "../binance-test-server/market-board";
import { ExchangeTestServer, type ExchangeServerOptions, type RequestRecord } from "../exchange-test-server/exchange-server";
import { BitgetAccount, type Params } from "./account";
import { BitgetApiError, BitgetErrors } from "./errors";
import { loadBitgetSymbols, type BitgetSymbolSpec } from "./symbols";

export const BITGET_TEST_API_KEY = "bg_bastiontestkey00000000000000000";
export const BITGET_TEST_API_SECRET = "bastion-bitget-test-secret-0000000000000000000000000000000000000";
export const BITGET_TEST_PASSPHRASE = "bastiontestpass";

/** The hosts of ccxt's `bitget.urls.api`; every one must point at the test server. */
export const BITGET_API_HOSTS = ["spot", "mix", "user", "p2p", "broker", "margin", "common", "tax", "convert", "copy", "earn", "uta"] as const;

/** Bitget's window for ACCESS-TIMESTAMP: "within 30 seconds of the API server time". */
export const TIMESTAMP_WINDOW_MS = 30_000;

export interface BitgetTestServerOptions extends ExchangeServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  apiKey?: string;
  apiSecret?: string;
  passphrase?: string;
  /** Starting spot balances; default 100 000 USDT, 2 BTC, 20 ETH. */
  balances?: Record<string, DecimalInput>;
  /** Trade only these symbols (unified or Bitget ids); default every spot market of the snapshot. */
  symbols?: readonly string[];
  /** A ccxt Bitget markets snapshot; default server/venues/ccxt/fixtures/markets/bitget.json. */
  marketsFile?: string;
  /** Fee rates; default each symbol's recorded rates. */
  makerFee?: string;
  takerFee?: string;
  /** Requests per second per endpoint before 429 (default 20, Bitget's usual "20 times/1s"). */
  requestsPerSecond?: number;
}

/** The shared request log entry (the name tests know this server's by). */
export type BitgetRequestRecord = RequestRecord;

interface Route {
  signed: boolean;
  handle: (params: Params, now: number) => unknown;
}

const PLACE_ORDER = "POST /api/v2/spot/trade/place-order";
const ORDER_INFO = "GET /api/v2/spot/trade/orderInfo";

/** Bitget's spot candle granularities (ccxt sends 1min … 1h, 4h, 6Hutc …) → milliseconds. Monthly bars are not served. */
const GRANULARITY_MS: Record<string, number> = {
  "1min": 60_000,
  "3min": 180_000,
  "5min": 300_000,
  "15min": 900_000,
  "30min": 1_800_000,
  "1h": 3_600_000,
  "4h": 14_400_000,
  "6h": 21_600_000,
  "12h": 43_200_000,
  "1day": 86_400_000,
  "3day": 259_200_000,
  "1week": 604_800_000,
  "6Hutc": 21_600_000,
  "12Hutc": 43_200_000,
  "1Dutc": 86_400_000,
  "3Dutc": 259_200_000,
  "1Wutc": 604_800_000,
};

function toParams(source: Record<string, unknown>): Params {
  const out: Params = {};
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined || value === null) continue;
    out[key] = typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : JSON.stringify(value);
  }
  return out;
}

export class BitgetTestServer extends ExchangeTestServer<BitgetSymbolSpec> {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly passphrase: string;
  readonly account: BitgetAccount;
  readonly board: MarketBoard;
  private readonly perSecond: number;
  private readonly routes: Map<string, Route>;
  private readonly windows = new Map<string, { second: number; used: number }>();

  constructor(options: BitgetTestServerOptions = {}) {
    super(loadBitgetSymbols({ file: options.marketsFile, only: options.symbols }), options);
    this.apiKey = options.apiKey ?? BITGET_TEST_API_KEY;
    this.apiSecret = options.apiSecret ?? BITGET_TEST_API_SECRET;
    this.passphrase = options.passphrase ?? BITGET_TEST_PASSPHRASE;
    this.perSecond = options.requestsPerSecond ?? 20;
    this.account = new BitgetAccount({
      specs: this.specs,
      balances: options.balances ?? { USDT: "100000", BTC: "2", ETH: "20" },
      makerFee: options.makerFee,
      takerFee: options.takerFee,
    });
    this.board = new MarketBoard(this.specs.map((s) => s.id));
    this.routes = this.buildRoutes();
  }

  /** Starts a server and waits until it listens. */
  static async start(options: BitgetTestServerOptions = {}): Promise<BitgetTestServer> {
    const server = new BitgetTestServer(options);
    await server.listen(options.port ?? 0);
    return server;
  }

  // -------------------------------------------------------------------------------------------
  // Bitget's words for the shared plumbing (../exchange-test-server/exchange-server.ts)

  protected sendInternalError(res: ServerResponse, error: unknown): void {
    this.fail(res, "?", {}, BitgetErrors.internal(error instanceof Error ? error.message : String(error)));
  }

  protected unknownStatus(): { httpStatus: number; body: unknown } {
    const error = BitgetErrors.systemBusy();
    return { httpStatus: error.httpStatus, body: error.body(this.clock.now()) };
  }

  protected sendRateLimited(res: ServerResponse): void {
    this.send(res, 429, BitgetErrors.tooManyRequests().body(this.clock.now()));
  }

  protected placementId(endpoint: string, params: Params): string | undefined {
    return endpoint === PLACE_ORDER ? params.clientOid : undefined;
  }

  /** An empty clientOid is no lookup of a held order. */
  protected lookupId(endpoint: string, params: Params): string | undefined {
    return endpoint === ORDER_INFO && params.clientOid ? params.clientOid : undefined;
  }

  protected adminState(): Record<string, unknown> {
    const balances: Record<string, { available: string; frozen: string }> = {};
    for (const [coin, b] of Object.entries(this.account.venue.balances())) balances[coin] = { available: b.free.toFixed(), frozen: b.reserved.toFixed() };
    return { exchange: "bitget", openOrders: this.account.openOrderCount(), fills: this.account.allTrades().length, balances };
  }

  /** ccxt's `urls.api` for `new ccxt.bitget({ urls: { api: server.ccxtApiUrls() } })`: every host at this server. */
  ccxtApiUrls(): Record<(typeof BITGET_API_HOSTS)[number], string> {
    const url = this.url;
    return Object.fromEntries(BITGET_API_HOSTS.map((host) => [host, url])) as Record<(typeof BITGET_API_HOSTS)[number], string>;
  }

  // -------------------------------------------------------------------------------------------
  // Routes

  private buildRoutes(): Map<string, Route> {
    const routes = new Map<string, Route>();
    const account = this.account;
    const board = this.board;
    const limitParam = (params: Params, def: number, max: number): number => {
      const raw = params.limit;
      if (raw === undefined || raw === "") return def;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1) throw BitgetErrors.paramInvalid("limit");
      return Math.min(n, max);
    };
    const optInt = (params: Params, name: string): number | undefined => {
      const raw = params[name];
      if (raw === undefined || raw === "") return undefined;
      if (!/^[0-9]{1,19}$/.test(raw)) throw BitgetErrors.paramInvalid(name);
      return Number(raw);
    };
    const ids = (params: Params): string[] => (params.symbol ? [account.spec(params.symbol).id] : account.symbolIds());
    const candles = (params: Params, history: boolean): unknown[] => {
      const id = account.spec(params.symbol).id;
      if (!params.granularity) throw BitgetErrors.paramEmpty("granularity");
      const ms = GRANULARITY_MS[params.granularity];
      if (ms === undefined) throw BitgetErrors.paramInvalid("granularity");
      const endTime = optInt(params, "endTime");
      if (history && endTime === undefined) throw BitgetErrors.paramEmpty("endTime");
      const rows = board.klines(id, ms, {
        startTime: optInt(params, "startTime"),
        endTime,
        limit: limitParam(params, 100, history ? 200 : 1000),
      }) as (string | number)[][];
      // Binance row [openTime, o, h, l, c, volume, closeTime, quoteVolume, …] → Bitget [ts, o, h, l, c, baseVol, usdtVol, quoteVol].
      return rows.map((r) => [String(r[0]), r[1], r[2], r[3], r[4], r[5], r[7], r[7]]);
    };
    const publicTrades = (params: Params, def: number, max: number, history: boolean): unknown[] => {
      const id = account.spec(params.symbol).id;
      const list = board.aggTrades(id, {
        startTime: history ? optInt(params, "startTime") : undefined,
        endTime: history ? optInt(params, "endTime") : undefined,
        limit: limitParam(params, def, max),
      }) as { a: number; p: string; q: string; T: number; m: boolean }[];
      return list.map((t) => ({ symbol: id, tradeId: String(t.a), side: t.m ? "Sell" : "Buy", price: t.p, size: t.q, ts: String(t.T) })).reverse();
    };

    routes.set("GET /api/v2/public/time", { signed: false, handle: (_p, now) => ({ serverTime: String(now) }) });
    routes.set("GET /api/v2/spot/public/symbols", {
      signed: false,
      handle: (params) => (params.symbol ? [account.spec(params.symbol).info] : this.specs.map((s) => s.info)),
    });
    routes.set("GET /api/v2/spot/public/coins", {
      signed: false,
      handle: (params) => {
        const coins = [...new Set(this.specs.flatMap((s) => [s.base, s.quote]))].sort();
        return coins
          .filter((coin) => params.coin === undefined || params.coin === coin)
          .map((coin, i) => ({ coinId: String(i + 1), coin, transfer: "true", chains: [], areaCoin: "no" }));
      },
    });
    // Not served: margin and contracts. ccxt's fetchMarkets asks for margin pairs along with spot; no pairs → no margin.
    routes.set("GET /api/v2/margin/currencies", { signed: false, handle: () => [] });
    routes.set("GET /api/v2/mix/market/contracts", { signed: false, handle: () => [] });
    routes.set("GET /api/v2/spot/market/tickers", {
      signed: false,
      handle: (params, now) =>
        ids(params).map((id) => {
          const t = board.ticker24h(id, now) as Record<string, string | number>;
          const open = Number(t.openPrice);
          const change = open === 0 ? 0 : (Number(t.lastPrice) - open) / open;
          return {
            open: t.openPrice,
            symbol: id,
            high24h: t.highPrice,
            low24h: t.lowPrice,
            lastPr: t.lastPrice,
            quoteVolume: t.quoteVolume,
            baseVolume: t.volume,
            usdtVolume: t.quoteVolume,
            ts: String(now),
            bidPr: t.bidPrice,
            askPr: t.askPrice,
            bidSz: t.bidQty,
            askSz: t.askQty,
            openUtc: t.openPrice,
            changeUtc24h: change.toFixed(5),
            change24h: change.toFixed(5),
          };
        }),
    });
    routes.set("GET /api/v2/spot/market/orderbook", {
      signed: false,
      handle: (params, now) => {
        const depth = board.depth(account.spec(params.symbol).id, limitParam(params, 100, 150)) as { bids: unknown[]; asks: unknown[] };
        return { asks: depth.asks, bids: depth.bids, ts: String(now) };
      },
    });
    routes.set("GET /api/v2/spot/market/candles", { signed: false, handle: (params) => candles(params, false) });
    routes.set("GET /api/v2/spot/market/history-candles", { signed: false, handle: (params) => candles(params, true) });
    routes.set("GET /api/v2/spot/market/fills", { signed: false, handle: (params) => publicTrades(params, 100, 500, false) });
    routes.set("GET /api/v2/spot/market/fills-history", { signed: false, handle: (params) => publicTrades(params, 500, 1000, true) });

    routes.set(PLACE_ORDER, {
      signed: true,
      handle: (params, now) => {
        const touch = board.touch(account.spec(params.symbol).id);
        return account.placeOrder(params, now, { bid: touch.bid, ask: touch.ask, last: touch.last });
      },
    });
    routes.set("POST /api/v2/spot/trade/cancel-order", { signed: true, handle: (params, now) => account.cancelOrder(params, now) });
    routes.set("POST /api/v2/spot/trade/cancel-symbol-order", { signed: true, handle: (params, now) => account.cancelSymbolOrders(params, now) });
    routes.set(ORDER_INFO, { signed: true, handle: (params) => account.orderInfo(params) });
    routes.set("GET /api/v2/spot/trade/unfilled-orders", { signed: true, handle: (params) => account.unfilledOrders(params) });
    routes.set("GET /api/v2/spot/trade/history-orders", { signed: true, handle: (params) => account.historyOrders(params) });
    routes.set("GET /api/v2/spot/trade/fills", { signed: true, handle: (params) => account.fills(params) });
    // Plan (trigger) orders live in their own book: ccxt places, lists and cancels them apart from the regular ones.
    routes.set("POST /api/v2/spot/trade/place-plan-order", {
      signed: true,
      handle: (params, now) => {
        const touch = board.touch(account.spec(params.symbol).id);
        return account.placePlanOrder(params, now, { bid: touch.bid, ask: touch.ask, last: touch.last });
      },
    });
    routes.set("GET /api/v2/spot/trade/current-plan-order", { signed: true, handle: (params) => account.currentPlanOrders(params) });
    routes.set("GET /api/v2/spot/trade/history-plan-order", { signed: true, handle: (params) => account.historyPlanOrders(params) });
    routes.set("POST /api/v2/spot/trade/cancel-plan-order", { signed: true, handle: (params, now) => account.cancelPlanOrder(params, now) });
    routes.set("POST /api/v2/spot/trade/batch-cancel-plan-order", { signed: true, handle: (params, now) => account.batchCancelPlanOrders(params, now) });
    routes.set("GET /api/v2/spot/account/assets", { signed: true, handle: (params) => account.assets(params) });
    return routes;
  }

  // -------------------------------------------------------------------------------------------
  // HTTP

  private ok(data: unknown): unknown {
    return { code: "00000", msg: "success", requestTime: this.clock.now(), data };
  }

  private parseParams(method: string, query: string, body: string): Params {
    if (method !== "POST") return Object.fromEntries(new URLSearchParams(query));
    if (body.trim() === "") return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw BitgetErrors.paramInvalid("body: not JSON");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw BitgetErrors.paramInvalid("body: not a JSON object");
    return toParams(parsed as Record<string, unknown>);
  }

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
    let params: Params = {};
    try {
      params = this.parseParams(method, query, body);
    } catch (error) {
      this.fail(res, endpoint, params, error);
      return;
    }
    const route = this.routes.get(endpoint);
    if (!route) {
      this.fail(res, endpoint, params, BitgetErrors.notFound());
      return;
    }
    const now = this.clock.now();
    try {
      // Bitget limits each endpoint per second (per IP for public ones, per account for private ones).
      const second = Math.floor(now / 1000);
      const window = this.windows.get(endpoint);
      if (!window || window.second !== second) this.windows.set(endpoint, { second, used: 1 });
      else window.used += 1;
      if (this.windows.get(endpoint)!.used > this.perSecond) throw BitgetErrors.tooManyRequests();

      const fault = this.faults.take(endpoint);
      if (fault && this.preFault(fault.kind, fault.delayMs, res, endpoint, params, {})) return;
      if (route.signed) this.authenticate(req, method, pathname, query, body, now);
      if (fault && this.deferredFault(fault.kind, fault.delayMs, res, endpoint, params, route.handle)) return;
      const result = this.ok(route.handle(params, now));
      if (fault) {
        this.postFault(fault.kind, fault.delayMs, res, endpoint, params, result);
        return;
      }
      this.record(endpoint, params, 200);
      this.send(res, 200, result);
    } catch (error) {
      this.fail(res, endpoint, params, error);
    } finally {
      this.afterLookup(endpoint, params);
    }
  }

  private fail(res: ServerResponse, endpoint: string, params: Params, error: unknown): void {
    const apiError = error instanceof BitgetApiError ? error : BitgetErrors.internal(error instanceof Error ? error.message : String(error));
    this.record(endpoint, params, apiError.httpStatus);
    this.send(res, apiError.httpStatus, apiError.body(this.clock.now()));
  }

  /**
   * Bitget's signature: base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath + ("?" + queryString) + body)).
   * ccxt signs the query string unencoded and sends it percent-encoded, so both forms of it are accepted.
   */
  private authenticate(req: IncomingMessage, method: string, pathname: string, query: string, body: string, now: number): void {
    const header = (name: string): string | undefined => {
      const value = req.headers[name];
      return typeof value === "string" && value !== "" ? value : undefined;
    };
    const key = header("access-key");
    const sign = header("access-sign");
    const timestamp = header("access-timestamp");
    const passphrase = header("access-passphrase");
    if (key === undefined) throw BitgetErrors.accessKeyEmpty();
    if (sign === undefined) throw BitgetErrors.signEmpty();
    if (timestamp === undefined || !/^[0-9]{13}$/.test(timestamp)) throw BitgetErrors.timestampInvalid();
    if (passphrase === undefined) throw BitgetErrors.passphraseEmpty();
    if (method === "POST" && !/^application\/json/i.test(req.headers["content-type"] ?? "")) throw BitgetErrors.contentType();
    if (key !== this.apiKey) throw BitgetErrors.unknownApiKey();
    if (Math.abs(now - Number(timestamp)) > TIMESTAMP_WINDOW_MS) throw BitgetErrors.timestampExpired();
    if (passphrase !== this.passphrase) throw BitgetErrors.badPassphrase();
    const queries = new Set([query]);
    try {
      queries.add(decodeURIComponent(query));
    } catch {
      // not valid percent-encoding: only the raw form can match
    }
    const given = Buffer.from(sign, "utf8");
    const matches = [...queries].some((qs) => {
      const prehash = timestamp + method + pathname + (qs ? `?${qs}` : "") + body;
      const wanted = Buffer.from(createHmac("sha256", this.apiSecret).update(prehash).digest("base64"), "utf8");
      return given.length === wanted.length && timingSafeEqual(given, wanted);
    });
    if (!matches) throw BitgetErrors.badSign();
  }
}

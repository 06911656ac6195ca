/**
 * Test support: small in-memory Binance (spot REST v3) and Bitget (spot REST v2) exchanges behind
 * ccxt's `fetchImplementation` (WHATWG Request → Response), so ccxt signs, maps errors and times out
 * for real. They keep orders, trades and balances, answer in the exchanges' real JSON shapes (see the
 * recorded responses in fixtures/response/), record every request, and let a test script failures:
 * an HTTP error, a hang (ccxt's timeout fires), or a lost answer (the order is made, the answer never
 * arrives). Not a matching engine: market orders fill at once at `price[symbol]`, limits rest until
 * `fill()` is called.
 */
import ccxt, { type Exchange } from "ccxt";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface RecordedRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  headers: Record<string, string>;
  body: string;
  url: string;
}

/** An HTTP answer, a hang (until ccxt's timeout aborts), a lost answer (handled, never answered), a connection reset, a connection refused. */
export type Scripted = { status: number; body: unknown } | "hang" | "lose" | "reset" | "refused";

interface Route {
  method: string;
  path: string;
  handle(params: Record<string, string>): { status: number; body: unknown } | "hang";
}

function hang(signal: AbortSignal | undefined): Promise<Response> {
  return new Promise((_resolve, reject) => {
    const abort = () => reject(new DOMException("The operation was aborted.", "AbortError"));
    if (signal?.aborted) abort();
    signal?.addEventListener("abort", abort, { once: true });
  });
}

export class FakeHttp {
  readonly requests: RecordedRequest[] = [];
  private readonly routes: Route[] = [];
  /** Scripted answers, consumed in order, for requests matching method + path. */
  private readonly script: { method: string; path: string; answer: Scripted }[] = [];

  route(method: string, path: string, handle: Route["handle"]): void {
    this.routes.push({ method, path, handle });
  }

  /** The next request to method + path gets this answer instead of the normal one ("lose": handled, answer dropped). */
  next(method: string, path: string, answer: Scripted): void {
    this.script.push({ method, path, answer });
  }

  count(method: string, path: string): number {
    return this.requests.filter((r) => r.method === method && r.path === path).length;
  }

  readonly fetch = async (
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal } = {},
  ): Promise<Response> => {
    const u = new URL(url);
    const method = (init.method ?? "GET").toUpperCase();
    const body = typeof init.body === "string" ? init.body : "";
    const params: Record<string, string> = Object.fromEntries(u.searchParams.entries());
    if (body.startsWith("{")) {
      for (const [k, v] of Object.entries(JSON.parse(body) as Record<string, unknown>)) params[k] = typeof v === "string" ? v : JSON.stringify(v);
    } else if (body) {
      for (const [k, v] of new URLSearchParams(body).entries()) params[k] = v;
    }
    this.requests.push({ method, path: u.pathname, params, headers: { ...(init.headers ?? {}) }, body, url });
    const i = this.script.findIndex((s) => s.method === method && s.path === u.pathname);
    const scripted = i >= 0 ? this.script.splice(i, 1)[0]!.answer : null;
    if (scripted === "hang") return hang(init.signal);
    if (scripted === "reset") throw new TypeError("fetch failed", { cause: new Error("read ECONNRESET") });
    if (scripted === "refused") throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:443") }); // never connected: nothing sent
    const route = this.routes.find((r) => r.method === method && r.path === u.pathname);
    if (scripted && typeof scripted === "object") return json(scripted.status, scripted.body);
    if (!route) return json(404, { code: -1, msg: `no route ${method} ${u.pathname}` });
    const answer = route.handle(params);
    if (scripted === "lose" || answer === "hang") return hang(init.signal);
    return json(answer.status, answer.body);
  };
}

function json(status: number, body: unknown): Response {
  return new Response(typeof body === "string" ? body : JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

const FIXTURES = join(import.meta.dirname, "..", "..", "server", "venues", "ccxt", "fixtures");

export function loadMarkets(file: "binance.ticksize" | "bitget"): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, "markets", `${file}.json`), "utf8")) as Record<string, unknown>;
}

/** A recorded real HTTP response: `methods.<method>[description].httpResponse`. */
export function recorded(exchange: "binance" | "bitget", method: string, description: string): unknown {
  const data = JSON.parse(readFileSync(join(FIXTURES, "response", `${exchange}.json`), "utf8")) as {
    methods: Record<string, { description: string; httpResponse: unknown }[]>;
  };
  const found = data.methods[method]?.find((c) => c.description === description);
  if (!found) throw new Error(`no recorded ${exchange}.${method} "${description}"`);
  return found.httpResponse;
}

export const SECRETS = {
  binance: { apiKey: "BINANCEKEYabcdef0123456789", secret: "BINANCESECRETzyxw9876543210" },
  bitget: { apiKey: "bg_key_0123456789abcdef", secret: "bg_secret_fedcba9876543210", password: "bgPassphrase77" },
};

export function ccxtExchange(id: "binance" | "bitget", http: FakeHttp, extra: Record<string, unknown> = {}): Exchange {
  const markets = loadMarkets(id === "binance" ? "binance.ticksize" : "bitget");
  const Ctor = (ccxt as unknown as Record<string, new (config: Record<string, unknown>) => Exchange>)[id]!;
  return new Ctor({ ...SECRETS[id], markets, fetchImplementation: http.fetch, timeout: 300, options: id === "bitget" ? { uta: false } : {}, ...extra });
}

// ---------------------------------------------------------------------------------------------
// Binance spot

interface BOrder {
  symbol: string;
  orderId: number;
  clientOrderId: string;
  price: string;
  origQty: string;
  executedQty: string;
  cummulativeQuoteQty: string;
  status: "NEW" | "PARTIALLY_FILLED" | "FILLED" | "CANCELED" | "EXPIRED" | "REJECTED";
  timeInForce: string;
  type: string;
  side: "BUY" | "SELL";
  stopPrice: string;
  time: number;
  updateTime: number;
}

interface BTrade {
  symbol: string;
  id: number;
  orderId: number;
  price: string;
  qty: string;
  quoteQty: string;
  commission: string;
  commissionAsset: string;
  time: number;
  isBuyer: boolean;
  isMaker: boolean;
}

const dec = (n: number): string => n.toFixed(8);

export class FakeBinance {
  readonly http = new FakeHttp();
  readonly orders: BOrder[] = [];
  readonly trades: BTrade[] = [];
  readonly balances: Record<string, { free: string; locked: string }> = {
    USDT: { free: "10000.00000000", locked: "0.00000000" },
    BTC: { free: "0.50000000", locked: "0.00000000" },
  };
  /** Market orders fill here, per exchange symbol id (BTCUSDT). */
  readonly price: Record<string, number> = { BTCUSDT: 30000, ETHUSDT: 2000, LTCUSDT: 70 };
  private nextOrderId = 1000;
  private nextTradeId = 5000;
  now = 1_700_000_000_000;

  constructor() {
    const h = this.http;
    h.route("POST", "/api/v3/order", (p) => this.create(p));
    h.route("GET", "/api/v3/order", (p) => {
      const o = this.find(p);
      return o ? { status: 200, body: o } : { status: 400, body: { code: -2013, msg: "Order does not exist." } };
    });
    h.route("DELETE", "/api/v3/order", (p) => {
      const o = this.find(p);
      if (!o || !["NEW", "PARTIALLY_FILLED"].includes(o.status)) return { status: 400, body: { code: -2011, msg: "Unknown order sent." } };
      o.status = "CANCELED";
      return { status: 200, body: { ...o, origClientOrderId: o.clientOrderId, clientOrderId: `cancel-${o.orderId}` } };
    });
    h.route("GET", "/api/v3/openOrders", (p) => ({ status: 200, body: this.open(p.symbol) }));
    h.route("DELETE", "/api/v3/openOrders", (p) => {
      const open = this.open(p.symbol);
      if (open.length === 0) return { status: 400, body: { code: -2011, msg: "Unknown order sent." } };
      for (const o of open) o.status = "CANCELED";
      return { status: 200, body: open.map((o) => ({ ...o, origClientOrderId: o.clientOrderId, clientOrderId: `cancel-${o.orderId}` })) };
    });
    h.route("GET", "/api/v3/myTrades", (p) => ({
      status: 200,
      body: this.trades.filter((t) => t.symbol === p.symbol && (!p.startTime || t.time >= Number(p.startTime))),
    }));
    h.route("GET", "/api/v3/account", () => ({
      status: 200,
      body: {
        ...(recorded("binance", "fetchBalance", "Spot balance") as object),
        balances: Object.entries(this.balances).map(([asset, b]) => ({ asset, ...b })),
      },
    }));
  }

  open(symbol: string | undefined): BOrder[] {
    return this.orders.filter((o) => (!symbol || o.symbol === symbol) && (o.status === "NEW" || o.status === "PARTIALLY_FILLED"));
  }

  find(p: Record<string, string>): BOrder | undefined {
    return this.orders.find((o) => o.symbol === p.symbol && (p.origClientOrderId ? o.clientOrderId === p.origClientOrderId : String(o.orderId) === p.orderId));
  }

  /** Fills a resting order (fully) at its limit price — as the exchange would while nobody polls. */
  fill(clientOrderId: string, price?: number): BTrade {
    const o = this.orders.find((x) => x.clientOrderId === clientOrderId)!;
    const qty = Number(o.origQty) - Number(o.executedQty);
    return this.execute(o, qty, price ?? Number(o.price), true);
  }

  private execute(o: BOrder, qty: number, price: number, maker: boolean): BTrade {
    this.now += 1;
    const trade: BTrade = {
      symbol: o.symbol,
      id: this.nextTradeId++,
      orderId: o.orderId,
      price: dec(price),
      qty: dec(qty),
      quoteQty: dec(qty * price),
      commission: dec(qty * price * 0.001),
      commissionAsset: "USDT",
      time: this.now,
      isBuyer: o.side === "BUY",
      isMaker: maker,
    };
    this.trades.push(trade);
    this.settle(o, qty, price, qty * price * 0.001);
    o.executedQty = dec(Number(o.executedQty) + qty);
    o.cummulativeQuoteQty = dec(Number(o.cummulativeQuoteQty) + qty * price);
    o.status = Number(o.executedQty) >= Number(o.origQty) ? "FILLED" : "PARTIALLY_FILLED";
    o.updateTime = this.now;
    return trade;
  }

  /** The account moves with each execution, as reconciliation's balance checks expect (fees in USDT, as the trades say). */
  private settle(o: BOrder, qty: number, price: number, commission: number): void {
    const base = o.symbol.replace(/USDT$/, "");
    const move = (asset: string, delta: number) => {
      const b = this.balances[asset] ?? { free: dec(0), locked: dec(0) };
      this.balances[asset] = { ...b, free: dec(Number(b.free) + delta) };
    };
    const notional = qty * price;
    move("USDT", o.side === "BUY" ? -notional - commission : notional - commission);
    move(base, o.side === "BUY" ? qty : -qty);
  }

  private create(p: Record<string, string>): { status: number; body: unknown } {
    if (this.orders.some((o) => o.clientOrderId === p.newClientOrderId)) return { status: 400, body: { code: -2010, msg: "Duplicate order sent." } };
    this.now += 1;
    const o: BOrder = {
      symbol: p.symbol!,
      orderId: this.nextOrderId++,
      clientOrderId: p.newClientOrderId ?? `web_${this.nextOrderId}`,
      price: p.price ?? "0.00000000",
      origQty: p.quantity ?? "0",
      executedQty: "0.00000000",
      cummulativeQuoteQty: "0.00000000",
      status: "NEW",
      timeInForce: p.timeInForce ?? "GTC",
      type: p.type!,
      side: p.side as "BUY" | "SELL",
      stopPrice: p.stopPrice ?? "0.00000000",
      time: this.now,
      updateTime: this.now,
    };
    this.orders.push(o);
    const fills: BTrade[] = [];
    if (o.type === "MARKET") fills.push(this.execute(o, Number(o.origQty), this.price[o.symbol] ?? 1, false));
    return {
      status: 200,
      body: {
        ...o,
        orderListId: -1,
        transactTime: this.now,
        workingTime: this.now,
        fills: fills.map((t) => ({ price: t.price, qty: t.qty, commission: t.commission, commissionAsset: t.commissionAsset, tradeId: t.id })),
        selfTradePreventionMode: "EXPIRE_MAKER",
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Bitget spot (classic v2)

interface GOrder {
  userId: string;
  symbol: string;
  orderId: string;
  clientOid: string;
  price: string;
  size: string;
  orderType: "limit" | "market";
  side: "buy" | "sell";
  status: "live" | "partially_filled" | "filled" | "cancelled";
  priceAvg: string;
  baseVolume: string;
  quoteVolume: string;
  enterPointSource: string;
  orderSource: string;
  force: string;
  cTime: string;
  uTime: string;
  triggerPrice?: string;
  plan?: boolean;
}

const ok = (data: unknown) => ({ status: 200, body: { code: "00000", msg: "success", requestTime: Date.now(), data } });

export class FakeBitget {
  readonly http = new FakeHttp();
  readonly orders: GOrder[] = [];
  readonly fills: unknown[] = [];
  private nextId = 1136353550487961000n;
  now = 1_700_000_000_000;

  constructor() {
    const h = this.http;
    const place = (plan: boolean) => (p: Record<string, string>) => {
      if (this.orders.some((o) => o.clientOid === p.clientOid))
        return { status: 400, body: { code: "43118", msg: "clientOid duplicate", requestTime: 0, data: null } };
      this.now += 1;
      const o: GOrder = {
        userId: "7393346635",
        symbol: p.symbol!,
        orderId: String(this.nextId++),
        clientOid: p.clientOid ?? "",
        price: p.price ?? p.executePrice ?? "0",
        size: p.size ?? "0",
        orderType: (p.orderType as "limit" | "market") ?? "limit",
        side: p.side as "buy" | "sell",
        status: "live",
        priceAvg: "0",
        baseVolume: "0",
        quoteVolume: "0",
        enterPointSource: "API",
        orderSource: "normal",
        force: p.force ?? "gtc",
        cTime: String(this.now),
        uTime: String(this.now),
        ...(plan ? { triggerPrice: p.triggerPrice ?? "0", plan: true } : {}),
      };
      this.orders.push(o);
      return ok({ orderId: o.orderId, clientOid: o.clientOid });
    };
    h.route("POST", "/api/v2/spot/trade/place-order", place(false));
    h.route("POST", "/api/v2/spot/trade/place-plan-order", place(true));
    h.route("GET", "/api/v2/spot/trade/orderInfo", (p) =>
      ok(this.orders.filter((o) => !o.plan && (p.clientOid ? o.clientOid === p.clientOid : o.orderId === p.orderId))),
    );
    h.route("GET", "/api/v2/spot/trade/unfilled-orders", (p) => ok(this.live(p.symbol, false)));
    h.route("GET", "/api/v2/spot/trade/current-plan-order", (p) =>
      ok({
        nextFlag: false,
        idLessThan: "",
        orderList: this.live(p.symbol, true).map((o) => ({ ...o, planType: "amount", triggerType: "fill_price", executePrice: o.price, status: "live" })),
      }),
    );
    h.route("POST", "/api/v2/spot/trade/cancel-order", (p) => {
      const o = this.orders.find((x) => x.symbol === p.symbol && (p.clientOid ? x.clientOid === p.clientOid : x.orderId === p.orderId) && x.status === "live");
      if (!o) return { status: 400, body: { code: "43001", msg: "The order does not exist", requestTime: 0, data: null } };
      o.status = "cancelled";
      return ok({ orderId: o.orderId, clientOid: o.clientOid });
    });
    h.route("POST", "/api/v2/spot/trade/cancel-symbol-order", (p) => {
      for (const o of this.live(p.symbol, false)) o.status = "cancelled";
      return ok({ symbol: p.symbol });
    });
    h.route("POST", "/api/v2/spot/trade/batch-cancel-plan-order", (p) => {
      const symbols = JSON.parse(p.symbolList ?? "[]") as string[];
      const done = this.orders.filter((o) => o.plan && o.status === "live" && symbols.includes(o.symbol));
      for (const o of done) o.status = "cancelled";
      return ok({ successList: done.map((o) => ({ orderId: o.orderId, clientOid: o.clientOid })), failureList: [] });
    });
    h.route("GET", "/api/v2/spot/trade/fills", (p) => ok(this.fills.filter((f) => (f as { symbol: string }).symbol === p.symbol)));
    h.route("GET", "/api/v2/spot/account/assets", () =>
      ok([
        { coin: "USDT", available: "1000.5", frozen: "20", locked: "0", limitAvailable: "0", uTime: "1700000000000" },
        { coin: "LTC", available: "0.25", frozen: "0", locked: "0.1", limitAvailable: "0", uTime: "1700000000000" },
      ]),
    );
  }

  live(symbol: string | undefined, plan: boolean): GOrder[] {
    return this.orders.filter((o) => (!symbol || o.symbol === symbol) && o.status === "live" && (o.plan ?? false) === plan);
  }
}

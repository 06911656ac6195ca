/**
 * The trading side of the Bitget test server: one Bitget classic spot account backed by the simulator
 * (`MatchingEngine`), the way the Binance server's account.ts is. Bitget's v2 order parameters (symbol, side,
 * orderType, force, price, size, clientOid) become an OrderSpec; the simulator's events and views become
 * Bitget's JSON (orderId / clientOid as strings, status live / partially_filled / filled / cancelled, size,
 * priceAvg, baseVolume, quoteVolume, feeDetail as a JSON string, fills with tradeId and feeDetail), and
 * refusals become Bitget's codes (errors.ts). Checks the simulator does not know are made here as Bitget
 * makes them: price and size decimals (40808 checkBDScale), min / max quantity, the minimum order value in
 * USDT (45110), a MARKET order that finds no liquidity (its remainder is cancelled, it never waits).
 *
 * Differences from Bitget, on purpose or for simplicity:
 * - A market BUY's `size` is the quote amount to spend (as on Bitget); it becomes the base quantity that
 *   amount buys at the best ask, rounded down to the step, before it reaches the simulator.
 * - Commission is charged in the quote coin on both sides (as the simulator does); Bitget charges a buy's
 *   fee in the base coin.
 * - A post_only order that would take is accepted and cancelled at once (Bitget's behaviour), with no fill.
 * - A clientOid can never be used again, even after its order is closed (40786 "Duplicate clientOid").
 * - Plan (trigger) orders: a plan whose trigger is above the last price at placement waits for the price to rise to
 *   it, one below waits for a fall (the simulator's take-profit / stop kinds); it triggers on the last price
 *   (mark_price is taken as the last price: spot has no mark). Once triggered it becomes a regular order with a
 *   new orderId and the plan's clientOid, so its fills and lookups name the clientOid the client chose.
 * - Margin and batch-place endpoints are not served.
 * - Orders live in memory only: a restarted server starts empty.
 *
 * Over 600 lines: regular and plan orders share the order records, the simulator, the views and the lists;
 * split apart, both halves would need most of this class.
 */
import { D, type Decimal, ZERO, roundToStep, type DecimalInput } from "../../server/core/money";
import { type OrderSide, type OrderSpec, type TimeInForce } from "../../server/core/orders/types";
import { type MarketUpdate } from "../../server/core/market-data";
import { MatchingEngine, type SimOrderView } from "../../server/core/sim/matching-engine";
import { type VenueEvent } from "../../server/core/orders/events";
import { BitgetErrors } from "./errors";
import { bitgetInstrument, type BitgetSymbolSpec } from "./symbols";

export type Params = Record<string, string>;

const CLIENT_OID = /^[A-Za-z0-9_\-.:#/]{1,50}$/;
const NUMBER = /^[0-9]{1,20}(\.[0-9]{1,20})?$/;
const MAX_TRADES_KEPT = 100_000;
/** Bitget ids are 19-digit numbers sent as strings. */
const ORDER_ID_BASE = 1_200_000_000_000_000_000n;
const TRADE_ID_BASE = 1_300_000_000_000_000_000n;
export const TEST_USER_ID = "7264631750";

/** A closed-at-birth order that never reached the simulator's book (a post_only that would have taken). */
interface FrozenView {
  quantity: Decimal;
  status: "CANCELED";
}

interface OrderMeta {
  orderId: string;
  clientOid: string;
  spec: BitgetSymbolSpec;
  orderType: "limit" | "market";
  side: "buy" | "sell";
  price: Decimal;
  /** Bitget's `size` as placed: base quantity, or the quote amount of a market buy. */
  size: Decimal;
  cTime: number;
  uTime: number;
  /** Set when the server ended the order itself (a market order's unfilled remainder, IOC / FOK / post_only). */
  forcedCancel: boolean;
  cancelReason: string;
  frozen: FrozenView | null;
  /** A plan (trigger) order; its regular orderId is "" until it triggers. */
  plan: PlanInfo | null;
}

interface PlanInfo {
  planId: string;
  triggerPrice: Decimal;
  triggerType: string;
  planType: string;
}

export interface BitgetTrade {
  tradeId: string;
  orderId: string;
  clientOid: string;
  symbolId: string;
  side: "buy" | "sell";
  orderType: "limit" | "market";
  price: Decimal;
  size: Decimal;
  fee: Decimal;
  feeCoin: string;
  time: number;
  maker: boolean;
}

/** An order as the account saw it, for tests that count executions per clientOid. */
export interface BitgetAccountOrder {
  orderId: string;
  clientOid: string;
  symbolId: string;
  side: "buy" | "sell";
  orderType: "limit" | "market";
  status: string;
  size: Decimal;
  filled: Decimal;
  cTime: number;
}

export interface BitgetAccountOptions {
  specs: readonly BitgetSymbolSpec[];
  balances: Record<string, DecimalInput>;
  /** Fee rates as fractions; default each symbol's recorded makerFeeRate / takerFeeRate. */
  makerFee?: string;
  takerFee?: string;
}

function str(value: Decimal): string {
  return value.toFixed();
}

function decimalParam(params: Params, name: string, required: boolean): Decimal | null {
  const raw = params[name];
  if (raw === undefined || raw === "") {
    if (required) throw BitgetErrors.paramEmpty(name);
    return null;
  }
  if (!NUMBER.test(raw)) throw BitgetErrors.paramInvalid(name);
  return D(raw);
}

function checkScale(name: string, value: Decimal, scale: number): void {
  if (value.decimalPlaces() > scale) throw BitgetErrors.scale(name, value.toFixed(), scale);
}

export class BitgetAccount {
  readonly venue: MatchingEngine;
  private readonly specs = new Map<string, BitgetSymbolSpec>();
  private readonly metas = new Map<string, OrderMeta>();
  private readonly byClientOid = new Map<string, string>();
  private readonly byOrderId = new Map<string, string>();
  private readonly byPlanId = new Map<string, string>();
  private readonly trades: BitgetTrade[] = [];
  private orderSeq = 0n;
  private tradeSeq = 0n;
  private readonly updateTimes = new Map<string, number>();

  constructor(options: BitgetAccountOptions) {
    for (const spec of options.specs) this.specs.set(spec.id, spec);
    this.venue = new MatchingEngine({
      instruments: options.specs.map((s) =>
        bitgetInstrument(s, { maker: options.makerFee ?? s.info.makerFeeRate ?? "0.001", taker: options.takerFee ?? s.info.takerFeeRate ?? "0.001" }),
      ),
      initialBalances: options.balances,
      idPrefix: "bg",
    });
  }

  spec(symbolId: string | undefined): BitgetSymbolSpec {
    if (symbolId === undefined || symbolId === "") throw BitgetErrors.paramEmpty("symbol");
    const spec = this.specs.get(symbolId);
    if (!spec) throw BitgetErrors.paramDoesNotExist(symbolId);
    return spec;
  }

  symbolIds(): string[] {
    return [...this.specs.keys()];
  }

  // -------------------------------------------------------------------------------------------
  // Events from the simulator

  private apply(events: readonly VenueEvent[]): void {
    for (const { clientOrderId: key, event } of events) {
      const meta = this.metas.get(key);
      if (!meta) continue;
      const ts = event.ts ?? meta.uTime;
      meta.uTime = Math.max(meta.uTime, ts);
      if (meta.plan && meta.orderId === "" && (event.type === "trigger" || event.type === "fill")) {
        // The plan triggered: Bitget places the regular order now, under a new orderId.
        meta.orderId = this.nextOrderId();
        this.byOrderId.set(meta.orderId, key);
      }
      if (event.type !== "fill") continue;
      this.tradeSeq += 1n;
      this.trades.push({
        tradeId: String(TRADE_ID_BASE + this.tradeSeq),
        orderId: meta.orderId,
        clientOid: meta.clientOid,
        symbolId: meta.spec.id,
        side: meta.side,
        orderType: meta.orderType,
        price: D(event.price),
        size: D(event.qty),
        fee: D(event.fee ?? 0),
        feeCoin: meta.spec.quote,
        time: ts,
        maker: event.liquidity === "MAKER",
      });
      if (this.trades.length > MAX_TRADES_KEPT) this.trades.splice(0, this.trades.length - MAX_TRADES_KEPT);
      this.touch(meta.spec.base, ts);
      this.touch(meta.spec.quote, ts);
    }
  }

  private touch(coin: string, ts: number): void {
    this.updateTimes.set(coin, Math.max(this.updateTimes.get(coin) ?? 0, ts));
  }

  /** Market data in: resting orders react to it. */
  onMarketData(update: MarketUpdate, now: number): void {
    this.apply(this.venue.onMarketData(update, now));
  }

  // -------------------------------------------------------------------------------------------
  // POST /api/v2/spot/trade/place-order

  /** What every placement names, checked in Bitget's order: symbol, side, orderType, force, clientOid. */
  private orderBasics(params: Params): {
    spec: BitgetSymbolSpec;
    side: "buy" | "sell";
    orderType: "limit" | "market";
    force: string;
    clientOid: string | undefined;
  } {
    const spec = this.spec(params.symbol);
    const side = params.side;
    if (!side) throw BitgetErrors.paramEmpty("side");
    if (side !== "buy" && side !== "sell") throw BitgetErrors.paramInvalid("side");
    const orderType = params.orderType;
    if (!orderType) throw BitgetErrors.paramEmpty("orderType");
    if (orderType !== "limit" && orderType !== "market") throw BitgetErrors.paramInvalid("orderType");
    if (spec.info.status !== "online") throw BitgetErrors.symbolOffline();
    const force = (params.force ?? "gtc").toLowerCase();
    if (!["gtc", "post_only", "fok", "ioc"].includes(force)) throw BitgetErrors.paramInvalid("force");
    const clientOid = params.clientOid;
    if (clientOid !== undefined && clientOid !== "" && !CLIENT_OID.test(clientOid)) throw BitgetErrors.paramInvalid("clientOid");
    if (clientOid && this.byClientOid.has(clientOid)) throw BitgetErrors.duplicateClientOid();
    return { spec, side, orderType, force, clientOid };
  }

  placeOrder(params: Params, now: number, market: { bid?: number; ask?: number; last?: number }): { orderId: string; clientOid: string } {
    const { spec, side, orderType, force, clientOid } = this.orderBasics(params);

    const f = spec.filters;
    const size = decimalParam(params, "size", true)!;
    if (size.isZero()) throw BitgetErrors.paramInvalid("size");
    const isLimit = orderType === "limit";
    const price = isLimit ? decimalParam(params, "price", true)! : null;
    if (price !== null) {
      if (price.isZero()) throw BitgetErrors.paramInvalid("price");
      checkScale("price", price, f.pricePrecision);
    }
    const isQuoteSized = !isLimit && side === "buy";
    checkScale("size", size, isQuoteSized ? f.quotePrecision : f.quantityPrecision);

    let qty = size;
    if (isQuoteSized) {
      if (!f.minNotional.isZero() && size.lessThan(f.minNotional)) throw BitgetErrors.belowMinAmount(f.minNotional.toFixed(), spec.quote);
      const ask = market.ask ?? market.last;
      if (ask === undefined || !(ask > 0)) throw BitgetErrors.noPrice();
      qty = roundToStep(size.dividedBy(ask), f.stepSize, "down");
    } else {
      const ref = price ?? (market.bid !== undefined ? D(market.bid) : market.last !== undefined ? D(market.last) : null);
      if (ref === null && !f.minNotional.isZero()) throw BitgetErrors.noPrice();
      if (ref !== null && !f.minNotional.isZero() && ref.times(size).lessThan(f.minNotional))
        throw BitgetErrors.belowMinAmount(f.minNotional.toFixed(), spec.quote);
    }
    if (qty.isZero() || qty.lessThan(f.minQty)) throw BitgetErrors.qtyBelowMin();
    if (!f.maxQty.isZero() && qty.greaterThan(f.maxQty)) throw BitgetErrors.qtyAboveMax();

    const orderId = this.nextOrderId();
    // Bitget makes up a clientOid when none is sent; the order's id keeps it unique.
    const oid = clientOid || `bg${orderId}`;
    const tif: TimeInForce = force === "ioc" ? "IOC" : force === "fok" ? "FOK" : "GTC";
    const orderSpec: OrderSpec = {
      clientOrderId: oid,
      symbol: spec.symbol,
      side: side.toUpperCase() as OrderSide,
      type: isLimit ? "LIMIT" : "MARKET",
      quantity: qty,
    };
    if (isLimit) {
      orderSpec.price = price!;
      orderSpec.timeInForce = tif;
      if (force === "post_only") orderSpec.postOnly = true;
    }
    const meta: OrderMeta = {
      orderId,
      clientOid: oid,
      spec,
      orderType,
      side,
      price: price ?? ZERO,
      size,
      cTime: now,
      uTime: now,
      forcedCancel: false,
      cancelReason: "",
      frozen: null,
      plan: null,
    };
    const events = this.venue.submit(orderSpec, now);
    const rejection = events.find((e) => e.clientOrderId === oid && e.event.type === "reject");
    if (rejection && rejection.event.type === "reject") {
      const code = rejection.event.reason.split(":")[0] ?? "";
      if (code !== "POST_ONLY_WOULD_TAKE") throw this.rejectionError(code);
      meta.frozen = { quantity: qty, status: "CANCELED" };
      meta.forcedCancel = true;
      meta.cancelReason = "post_only order would match immediately";
    }
    this.metas.set(oid, meta);
    this.byClientOid.set(oid, oid);
    this.byOrderId.set(orderId, oid);
    this.apply(events);
    // Bitget never parks a market order: what the book could not fill is cancelled at once.
    if (!isLimit && this.venue.openOrders().some((o) => o.clientOrderId === oid)) {
      this.apply(this.venue.cancel(oid, now));
      meta.forcedCancel = true;
      meta.cancelReason = "market order remainder cancelled: no liquidity";
    }
    this.touch(spec.base, now);
    this.touch(spec.quote, now);
    return { orderId, clientOid: oid };
  }

  private nextOrderId(): string {
    this.orderSeq += 1n;
    return String(ORDER_ID_BASE + this.orderSeq);
  }

  // -------------------------------------------------------------------------------------------
  // POST /api/v2/spot/trade/place-plan-order

  placePlanOrder(params: Params, now: number, market: { bid?: number; ask?: number; last?: number }): { orderId: string; clientOid: string } {
    const { spec, side, orderType, clientOid } = this.orderBasics(params);
    const triggerType = params.triggerType ?? "fill_price";
    if (triggerType !== "fill_price" && triggerType !== "mark_price") throw BitgetErrors.paramInvalid("triggerType");
    const isLimit = orderType === "limit";
    const planType = params.planType ?? (!isLimit && side === "buy" ? "total" : "amount");
    if (planType !== "amount" && planType !== "total") throw BitgetErrors.paramInvalid("planType");
    const f = spec.filters;
    const triggerPrice = decimalParam(params, "triggerPrice", true)!;
    if (triggerPrice.isZero()) throw BitgetErrors.paramInvalid("triggerPrice");
    checkScale("triggerPrice", triggerPrice, f.pricePrecision);
    const executePrice = isLimit ? decimalParam(params, "executePrice", true)! : null;
    if (executePrice !== null) {
      if (executePrice.isZero()) throw BitgetErrors.paramInvalid("executePrice");
      checkScale("executePrice", executePrice, f.pricePrecision);
    }
    const size = decimalParam(params, "size", true)!;
    if (size.isZero()) throw BitgetErrors.paramInvalid("size");
    checkScale("size", size, planType === "total" ? f.quotePrecision : f.quantityPrecision);
    const reference = executePrice ?? triggerPrice;
    // A plan sized in quote ("total") buys what that amount is worth at its execute (or trigger) price.
    const qty = planType === "total" ? roundToStep(size.dividedBy(reference), f.stepSize, "down") : size;
    const value = planType === "total" ? size : reference.times(qty);
    if (!f.minNotional.isZero() && value.lessThan(f.minNotional)) throw BitgetErrors.belowMinAmount(f.minNotional.toFixed(), spec.quote);
    if (qty.isZero() || qty.lessThan(f.minQty)) throw BitgetErrors.qtyBelowMin();
    if (!f.maxQty.isZero() && qty.greaterThan(f.maxQty)) throw BitgetErrors.qtyAboveMax();
    const last = market.last ?? (market.bid !== undefined && market.ask !== undefined ? (market.bid + market.ask) / 2 : undefined);
    if (last === undefined) throw BitgetErrors.noPrice();

    const planId = this.nextOrderId();
    const oid = clientOid || `bg${planId}`;
    // Above the market: wait for a rise; below: wait for a fall. In the simulator's words that is a buy stop or a
    // sell take-profit (rise), a sell stop or a buy take-profit (fall).
    const rises = triggerPrice.greaterThan(last);
    const kind = rises === (side === "buy") ? "STOP" : "TAKE_PROFIT";
    const orderSpec: OrderSpec = {
      clientOrderId: oid,
      symbol: spec.symbol,
      side: side.toUpperCase() as OrderSide,
      type: isLimit ? (`${kind}_LIMIT` as const) : (`${kind}_MARKET` as const),
      quantity: qty,
      triggerPrice,
    };
    if (executePrice !== null) orderSpec.price = executePrice;
    const meta: OrderMeta = {
      orderId: "",
      clientOid: oid,
      spec,
      orderType,
      side,
      price: executePrice ?? ZERO,
      size,
      cTime: now,
      uTime: now,
      forcedCancel: false,
      cancelReason: "",
      frozen: null,
      plan: { planId, triggerPrice, triggerType, planType },
    };
    const events = this.venue.submit(orderSpec, now);
    const rejection = events.find((e) => e.clientOrderId === oid && e.event.type === "reject");
    if (rejection && rejection.event.type === "reject") throw this.rejectionError(rejection.event.reason.split(":")[0] ?? "");
    this.metas.set(oid, meta);
    this.byClientOid.set(oid, oid);
    this.byPlanId.set(planId, oid);
    this.apply(events);
    if (!isLimit && meta.orderId !== "" && this.venue.openOrders().some((o) => o.clientOrderId === oid)) {
      this.apply(this.venue.cancel(oid, now));
      meta.forcedCancel = true;
      meta.cancelReason = "market order remainder cancelled: no liquidity";
    }
    return { orderId: planId, clientOid: oid };
  }

  /** A plan order that has not triggered (and was not cancelled): it lives in the plan book only. */
  private isWaitingPlan(meta: OrderMeta): boolean {
    return meta.plan !== null && meta.orderId === "";
  }

  private planBody(meta: OrderMeta): Record<string, unknown> {
    const plan = meta.plan!;
    const waiting = this.isWaitingPlan(meta);
    const open = waiting && this.view(meta).open;
    return {
      orderId: plan.planId,
      clientOid: meta.clientOid,
      symbol: meta.spec.id,
      size: str(meta.size),
      executePrice: str(meta.price),
      triggerPrice: str(plan.triggerPrice),
      status: open ? "live" : waiting ? "cancelled" : "executed",
      orderType: meta.orderType,
      side: meta.side,
      planType: plan.planType,
      triggerType: plan.triggerType,
      enterPointSource: "API",
      cTime: String(meta.cTime),
      uTime: String(meta.uTime),
    };
  }

  private plans(params: Params, keep: (meta: OrderMeta) => boolean): { nextFlag: boolean; idLessThan: string; orderList: Record<string, unknown>[] } {
    const spec = this.spec(params.symbol);
    const limit = Math.min(intParam(params, "limit") ?? 100, 100);
    const list = [...this.metas.values()]
      .filter((m) => m.plan !== null && m.spec.id === spec.id && keep(m))
      .sort((a, b) => (BigInt(b.plan!.planId) > BigInt(a.plan!.planId) ? 1 : -1))
      .slice(0, limit);
    return { nextFlag: false, idLessThan: list[list.length - 1]?.plan!.planId ?? "", orderList: list.map((m) => this.planBody(m)) };
  }

  /** GET current-plan-order: plans still waiting for their trigger. */
  currentPlanOrders(params: Params): ReturnType<BitgetAccount["plans"]> {
    return this.plans(params, (m) => this.isWaitingPlan(m) && this.view(m).open);
  }

  /** GET history-plan-order: plans that triggered or were cancelled. */
  historyPlanOrders(params: Params): ReturnType<BitgetAccount["plans"]> {
    return this.plans(params, (m) => !this.isWaitingPlan(m) || !this.view(m).open);
  }

  cancelPlanOrder(params: Params, now: number): { result: string } {
    const planId = params.orderId;
    const clientOid = params.clientOid;
    if (!planId && !clientOid) throw BitgetErrors.paramEmpty("orderId");
    const key = planId ? this.byPlanId.get(planId) : this.byClientOid.get(clientOid!);
    const meta = key === undefined ? undefined : this.metas.get(key);
    if (!meta || !this.isWaitingPlan(meta) || !this.view(meta).open) throw BitgetErrors.planNotExist();
    this.apply(this.venue.cancel(meta.clientOid, now));
    meta.uTime = now;
    return { result: "success" };
  }

  /** POST batch-cancel-plan-order: every waiting plan of the listed symbols (all symbols without a list). */
  batchCancelPlanOrders(params: Params, now: number): { successList: { orderId: string; clientOid: string }[]; failureList: never[] } {
    let symbols: string[] | null = null;
    if (params.symbolList) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(params.symbolList);
      } catch {
        throw BitgetErrors.paramInvalid("symbolList");
      }
      if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === "string")) throw BitgetErrors.paramInvalid("symbolList");
      symbols = parsed.map((id: string) => this.spec(id).id);
    }
    const successList: { orderId: string; clientOid: string }[] = [];
    for (const meta of this.metas.values()) {
      if (!this.isWaitingPlan(meta) || !this.view(meta).open || (symbols !== null && !symbols.includes(meta.spec.id))) continue;
      this.apply(this.venue.cancel(meta.clientOid, now));
      meta.uTime = now;
      successList.push({ orderId: meta.plan!.planId, clientOid: meta.clientOid });
    }
    return { successList, failureList: [] };
  }

  private rejectionError(code: string): Error {
    switch (code) {
      case "INSUFFICIENT_BALANCE":
        return BitgetErrors.insufficientBalance();
      case "DUPLICATE_CLIENT_ORDER_ID":
        return BitgetErrors.duplicateClientOid();
      case "QTY_PRECISION":
      case "MIN_QUANTITY":
        return BitgetErrors.qtyBelowMin();
      case "MAX_QUANTITY":
        return BitgetErrors.qtyAboveMax();
      case "NO_MARKET_PRICE":
        return BitgetErrors.noPrice();
      default:
        return BitgetErrors.paramInvalid(code.toLowerCase());
    }
  }

  // -------------------------------------------------------------------------------------------
  // Views

  private view(meta: OrderMeta): { quantity: Decimal; filledQty: Decimal; avgFillPrice: Decimal | null; feesPaid: Decimal; status: string; open: boolean } {
    if (meta.frozen) return { quantity: meta.frozen.quantity, filledQty: ZERO, avgFillPrice: null, feesPaid: ZERO, status: "cancelled", open: false };
    const view: SimOrderView | undefined = this.venue.order(meta.clientOid);
    if (!view) throw BitgetErrors.internal(`order ${meta.clientOid} is missing from the simulator`);
    let status: string;
    let open = false;
    if (view.status === "FILLED") status = "filled";
    else if (meta.forcedCancel || view.status === "CANCELED" || view.status === "EXPIRED" || view.status === "REJECTED" || view.status === "DENIED")
      status = "cancelled";
    else {
      open = true;
      status = view.filledQty.isZero() ? "live" : "partially_filled";
    }
    return { quantity: view.quantity, filledQty: view.filledQty, avgFillPrice: view.avgFillPrice, feesPaid: view.feesPaid, status, open };
  }

  /** Bitget's feeDetail: a JSON string, the fee as a negative number under its coin (written by hand: no float). */
  private feeDetail(meta: OrderMeta, fee: Decimal): string {
    const neg = fee.isZero() ? "0" : `-${fee.toFixed()}`;
    const coin = meta.spec.quote;
    return `{"newFees":{"c":0,"d":0,"deduction":false,"r":${neg},"t":${neg},"totalDeductionFee":0},"${coin}":{"deduction":false,"feeCoinCode":"${coin}","totalDeductionFee":0,"totalFee":${neg}}}`;
  }

  /** GET orderInfo / history-orders entries. */
  private orderBody(meta: OrderMeta): Record<string, unknown> {
    const v = this.view(meta);
    const body: Record<string, unknown> = {
      userId: TEST_USER_ID,
      symbol: meta.spec.id,
      orderId: meta.orderId,
      clientOid: meta.clientOid,
      price: str(meta.price),
      size: str(meta.size),
      orderType: meta.orderType,
      side: meta.side,
      status: v.status,
      priceAvg: v.avgFillPrice === null ? "0" : str(v.avgFillPrice),
      baseVolume: str(v.filledQty),
      quoteVolume: str(v.avgFillPrice === null ? ZERO : v.avgFillPrice.times(v.filledQty)),
      enterPointSource: "API",
      orderSource: meta.orderType === "market" ? "market" : "normal",
      cancelReason: meta.cancelReason,
      cTime: String(meta.cTime),
      uTime: String(meta.uTime),
      tpslType: "normal",
      triggerPrice: null,
      baseCoin: meta.spec.base,
      quoteCoin: meta.spec.quote,
    };
    // An order without fills has no fee detail (ccxt parses the string, so never an empty one).
    if (!v.filledQty.isZero()) body.feeDetail = this.feeDetail(meta, v.feesPaid);
    return body;
  }

  /** GET unfilled-orders entries: there Bitget sends the limit price as priceAvg and the fill average as basePrice. */
  private openOrderBody(meta: OrderMeta): Record<string, unknown> {
    const v = this.view(meta);
    return {
      userId: TEST_USER_ID,
      symbol: meta.spec.id,
      orderId: meta.orderId,
      clientOid: meta.clientOid,
      priceAvg: str(meta.price),
      size: str(meta.size),
      orderType: meta.orderType,
      side: meta.side,
      status: v.status,
      basePrice: v.avgFillPrice === null ? "0" : str(v.avgFillPrice),
      baseVolume: str(v.filledQty),
      quoteVolume: str(v.avgFillPrice === null ? ZERO : v.avgFillPrice.times(v.filledQty)),
      enterPointSource: "API",
      orderSource: meta.orderType === "market" ? "market" : "normal",
      presetTakeProfitPrice: "",
      executeTakeProfitPrice: "",
      presetStopLossPrice: "",
      executeStopLossPrice: "",
      cTime: String(meta.cTime),
      uTime: String(meta.uTime),
      tpslType: "normal",
      triggerPrice: null,
    };
  }

  /** The order a request names by orderId or clientOid (orderId wins when both are sent). */
  private find(params: Params): OrderMeta | undefined {
    const orderId = params.orderId;
    const clientOid = params.clientOid;
    if ((orderId === undefined || orderId === "") && (clientOid === undefined || clientOid === "")) throw BitgetErrors.paramEmpty("orderId");
    const key = orderId !== undefined && orderId !== "" ? this.byOrderId.get(orderId) : this.byClientOid.get(clientOid!);
    return key === undefined ? undefined : this.metas.get(key);
  }

  // -------------------------------------------------------------------------------------------
  // Queries and cancels

  /** GET /api/v2/spot/trade/orderInfo: a list of one order, or an empty list (ccxt: OrderNotFound). */
  orderInfo(params: Params): Record<string, unknown>[] {
    const meta = this.find(params);
    return meta && !this.isWaitingPlan(meta) ? [this.orderBody(meta)] : [];
  }

  cancelOrder(params: Params, now: number): { orderId: string; clientOid: string } {
    const spec = this.spec(params.symbol);
    const meta = this.find(params);
    if (!meta || meta.spec.id !== spec.id || this.isWaitingPlan(meta) || !this.view(meta).open) throw BitgetErrors.orderNotExist();
    this.apply(this.venue.cancel(meta.clientOid, now));
    meta.uTime = now;
    return { orderId: meta.orderId, clientOid: meta.clientOid };
  }

  /** POST cancel-symbol-order: every open order of the symbol (none is not an error). */
  cancelSymbolOrders(params: Params, now: number): { symbol: string } {
    const spec = this.spec(params.symbol);
    // One by one: the simulator's cancel-all would take the waiting plans too, which Bitget keeps in their own book.
    for (const meta of this.openMetas(spec.id)) {
      if (this.isWaitingPlan(meta)) continue;
      this.apply(this.venue.cancel(meta.clientOid, now));
      meta.uTime = now;
    }
    return { symbol: spec.id };
  }

  private openMetas(symbolId?: string): OrderMeta[] {
    const out: OrderMeta[] = [];
    for (const view of this.venue.openOrders()) {
      const meta = this.metas.get(view.clientOrderId);
      if (meta && (symbolId === undefined || meta.spec.id === symbolId)) out.push(meta);
    }
    return out;
  }

  private listed(metas: OrderMeta[], params: Params): OrderMeta[] {
    const startTime = intParam(params, "startTime");
    const endTime = intParam(params, "endTime");
    const idLessThan = params.idLessThan;
    if (idLessThan && !/^[0-9]{1,20}$/.test(idLessThan)) throw BitgetErrors.paramInvalid("idLessThan");
    const limit = Math.min(intParam(params, "limit") ?? 100, 100);
    let list = metas;
    if (params.orderId) list = list.filter((m) => m.orderId === params.orderId);
    if (startTime !== null) list = list.filter((m) => m.cTime >= startTime);
    if (endTime !== null) list = list.filter((m) => m.cTime <= endTime);
    if (idLessThan) list = list.filter((m) => BigInt(m.orderId) < BigInt(idLessThan));
    // Newest first, like Bitget.
    return list.sort((a, b) => (BigInt(b.orderId) > BigInt(a.orderId) ? 1 : -1)).slice(0, limit);
  }

  unfilledOrders(params: Params): Record<string, unknown>[] {
    const symbolId = params.symbol ? this.spec(params.symbol).id : undefined;
    const open = this.openMetas(symbolId).filter((m) => !this.isWaitingPlan(m));
    return this.listed(open, params).map((m) => this.openOrderBody(m));
  }

  historyOrders(params: Params): Record<string, unknown>[] {
    const symbolId = params.symbol ? this.spec(params.symbol).id : undefined;
    const closed = [...this.metas.values()].filter((m) => (symbolId === undefined || m.spec.id === symbolId) && !this.isWaitingPlan(m) && !this.view(m).open);
    return this.listed(closed, params).map((m) => this.orderBody(m));
  }

  fills(params: Params): Record<string, unknown>[] {
    const symbolId = params.symbol ? this.spec(params.symbol).id : undefined;
    const startTime = intParam(params, "startTime");
    const endTime = intParam(params, "endTime");
    const limit = Math.min(intParam(params, "limit") ?? 100, 100);
    let list = this.trades.filter((t) => symbolId === undefined || t.symbolId === symbolId);
    if (params.orderId) list = list.filter((t) => t.orderId === params.orderId);
    if (startTime !== null) list = list.filter((t) => t.time >= startTime);
    if (endTime !== null) list = list.filter((t) => t.time <= endTime);
    if (params.idLessThan) {
      if (!/^[0-9]{1,20}$/.test(params.idLessThan)) throw BitgetErrors.paramInvalid("idLessThan");
      list = list.filter((t) => BigInt(t.tradeId) < BigInt(params.idLessThan!));
    }
    return [...list]
      .reverse()
      .slice(0, limit)
      .map((t) => ({
        userId: TEST_USER_ID,
        symbol: t.symbolId,
        orderId: t.orderId,
        tradeId: t.tradeId,
        orderType: t.orderType,
        side: t.side,
        priceAvg: str(t.price),
        size: str(t.size),
        amount: str(t.price.times(t.size)),
        feeDetail: { deduction: "no", feeCoin: t.feeCoin, totalDeductionFee: "", totalFee: t.fee.isZero() ? "0" : `-${t.fee.toFixed()}` },
        tradeScope: t.maker ? "maker" : "taker",
        cTime: String(t.time),
        uTime: String(t.time),
      }));
  }

  /** GET /api/v2/spot/account/assets. */
  assets(params: Params): Record<string, unknown>[] {
    const all = params.assetType === "all";
    return Object.entries(this.venue.balances())
      .filter(([coin, b]) => (params.coin === undefined || params.coin === coin) && (all || params.coin !== undefined || !b.total.isZero()))
      .map(([coin, b]) => ({
        coin,
        available: str(b.free),
        frozen: str(b.reserved),
        locked: "0",
        limitAvailable: "0",
        uTime: String(this.updateTimes.get(coin) ?? 0),
      }));
  }

  openOrderCount(symbolId?: string): number {
    return this.openMetas(symbolId).length;
  }

  /** Every order placed so far (oldest first). */
  allOrders(): BitgetAccountOrder[] {
    return [...this.metas.values()]
      .sort((a, b) => (BigInt(a.orderId) > BigInt(b.orderId) ? 1 : -1))
      .map((m) => {
        const v = this.view(m);
        return {
          orderId: m.orderId,
          clientOid: m.clientOid,
          symbolId: m.spec.id,
          side: m.side,
          orderType: m.orderType,
          status: v.status,
          size: m.size,
          filled: v.filledQty,
          cTime: m.cTime,
        };
      });
  }

  /** Every fill so far (newest last). */
  allTrades(): readonly BitgetTrade[] {
    return this.trades;
  }
}

function intParam(params: Params, name: string): number | null {
  const raw = params[name];
  if (raw === undefined || raw === "") return null;
  if (!/^[0-9]{1,19}$/.test(raw)) throw BitgetErrors.paramInvalid(name);
  return Number(raw);
}

/**
 * A scripted venue for the arbitrage engine tests: each new order is answered as the test says (fill in full, fill
 * part then cancel the rest, rest without filling, reject), so leg risk can be driven leg by leg. It keeps its orders
 * and fills and answers the reads reconciliation makes, so an engine restarted on the same venue finds what it sent.
 */
import { D, Decimal, ZERO } from "../server/core/money";
import type { ArbPairConfig } from "../server/core/algos/arbitrage";
import type { Instrument } from "../server/core/instrument";
import type { OrderSpec, OrderStatus } from "../server/core/orders";
import type { VenueEvent } from "../server/core/orders/events";
import type { MarketUpdate, Venue, VenueBalance, VenueFill, VenueOrderSnapshot, VenueStatus } from "../server/venues/venue";

export type LegScript = { kind: "fill"; price?: Decimal } | { kind: "partial"; fraction: number } | { kind: "rest" } | { kind: "reject"; reason: string };

interface Held {
  spec: OrderSpec;
  status: OrderStatus;
  filled: Decimal;
  avg: Decimal | null;
}

export class ScriptedVenue implements Venue {
  readonly kind = "sim" as const;
  /** The answer to the next new orders, by side (default: fill in full at the order's price or the touch). */
  readonly script: { BUY: LegScript[]; SELL: LegScript[] } = { BUY: [], SELL: [] };
  readonly orders = new Map<string, Held>();
  readonly fills: VenueFill[] = [];
  readonly submitted: OrderSpec[] = [];
  private touch: { bid: number; ask: number } | null = null;
  private sink: (events: VenueEvent[]) => void = () => undefined;
  private trade = 0;

  constructor(
    readonly id: string,
    private readonly listed: Instrument[],
    private readonly balances: Record<string, string>,
  ) {}

  instruments(): Instrument[] {
    return this.listed;
  }

  setEventSink(sink: (events: VenueEvent[]) => void): void {
    this.sink = sink;
  }

  submit(spec: OrderSpec, now: number): VenueEvent[] {
    this.submitted.push(spec);
    const script = this.script[spec.side].shift() ?? { kind: "fill" };
    if (script.kind === "reject") return [{ clientOrderId: spec.clientOrderId, event: { type: "reject", reason: script.reason, ts: now } }];
    const held: Held = { spec, status: "ACCEPTED", filled: ZERO, avg: null };
    this.orders.set(spec.clientOrderId, held);
    const events: VenueEvent[] = [{ clientOrderId: spec.clientOrderId, event: { type: "accept", venueOrderId: `v-${spec.clientOrderId}`, ts: now } }];
    if (script.kind === "rest") return events;
    const qty = D(spec.quantity);
    const part = script.kind === "partial" ? qty.times(script.fraction).toDecimalPlaces(5, Decimal.ROUND_DOWN) : qty;
    const price = script.kind === "fill" && script.price ? script.price : this.priceFor(spec);
    events.push(...this.fill(spec.clientOrderId, part, price, now));
    if (script.kind === "partial") {
      held.status = "CANCELED";
      events.push({ clientOrderId: spec.clientOrderId, event: { type: "cancel", reason: "IOC: the rest found no liquidity", ts: now } });
    }
    return events;
  }

  private priceFor(spec: OrderSpec): Decimal {
    if (spec.price !== undefined) return D(spec.price);
    if (!this.touch) throw new Error(`${this.id}: no quote to fill a market order at`);
    return D(spec.side === "BUY" ? this.touch.ask : this.touch.bid);
  }

  private fill(clientOrderId: string, qty: Decimal, price: Decimal, now: number): VenueEvent[] {
    const held = this.orders.get(clientOrderId)!;
    const instrument = this.listed.find((i) => i.symbol === held.spec.symbol)!;
    const fee = qty.times(price).times(instrument.takerFee);
    const tradeId = `${this.id}-t${++this.trade}`;
    held.avg = held.avg === null ? price : held.avg.times(held.filled).plus(price.times(qty)).dividedBy(held.filled.plus(qty));
    held.filled = held.filled.plus(qty);
    held.status = held.filled.greaterThanOrEqualTo(D(held.spec.quantity)) ? "FILLED" : "PARTIALLY_FILLED";
    this.fills.push({
      tradeId,
      clientOrderId,
      symbol: held.spec.symbol,
      side: held.spec.side,
      qty,
      price,
      fee,
      feeCurrency: instrument.quote,
      liquidity: "TAKER",
      ts: now,
    });
    return [{ clientOrderId, event: { type: "fill", tradeId, qty, price, fee, liquidity: "TAKER", ts: now } }];
  }

  /** A resting order fills later (pushed through the event sink, as an exchange would). */
  fillLater(clientOrderId: string, qty: Decimal | null, now: number): void {
    const held = this.orders.get(clientOrderId);
    if (!held) throw new Error(`${this.id}: no order ${clientOrderId}`);
    this.sink(this.fill(clientOrderId, qty ?? D(held.spec.quantity).minus(held.filled), this.priceFor(held.spec), now));
  }

  cancel(clientOrderId: string, now: number): VenueEvent[] {
    const held = this.orders.get(clientOrderId);
    if (!held || held.status === "FILLED" || held.status === "CANCELED") return [];
    held.status = "CANCELED";
    return [{ clientOrderId, event: { type: "cancel", ts: now } }];
  }

  cancelAll(symbol: string | undefined, now: number): VenueEvent[] {
    const out: VenueEvent[] = [];
    for (const [coid, held] of this.orders) if (symbol === undefined || held.spec.symbol === symbol) out.push(...this.cancel(coid, now));
    return out;
  }

  modify(): VenueEvent[] {
    return [];
  }

  onMarketData(update: MarketUpdate): VenueEvent[] {
    if (update.kind === "quote") this.touch = { bid: update.bid, ask: update.ask };
    return [];
  }

  advanceTo(): VenueEvent[] {
    return [];
  }

  private snapshot(coid: string, held: Held): VenueOrderSnapshot {
    return {
      clientOrderId: coid,
      venueOrderId: `v-${coid}`,
      symbol: held.spec.symbol,
      side: held.spec.side,
      type: held.spec.type,
      status: held.status,
      quantity: D(held.spec.quantity),
      filledQty: held.filled,
      price: held.spec.price === undefined ? null : D(held.spec.price),
      triggerPrice: null,
      avgFillPrice: held.avg,
      reason: null,
    };
  }

  fetchOrder(clientOrderId: string): Promise<VenueOrderSnapshot | null> {
    const held = this.orders.get(clientOrderId);
    return Promise.resolve(held ? this.snapshot(clientOrderId, held) : null);
  }

  fetchOpenOrders(): Promise<VenueOrderSnapshot[]> {
    return Promise.resolve(
      [...this.orders].filter(([, h]) => h.status === "ACCEPTED" || h.status === "PARTIALLY_FILLED").map(([coid, h]) => this.snapshot(coid, h)),
    );
  }

  fetchFills(since: number): Promise<VenueFill[]> {
    return Promise.resolve(this.fills.filter((f) => f.ts >= since));
  }

  fetchBalances(): Promise<VenueBalance[]> {
    return Promise.resolve(Object.entries(this.balances).map(([currency, amount]) => ({ currency, free: D(amount), reserved: ZERO, total: D(amount) })));
  }

  freeBalance(currency: string): Decimal | null {
    const amount = this.balances[currency];
    return amount === undefined ? null : D(amount);
  }

  status(): VenueStatus {
    return { connected: true, latencyMs: 1, lastError: null };
  }

  async close(): Promise<void> {}
}

/** The pair these tests trade: BTC/USDC at sim-a against BTC/USD at sim-b, taker legs, unwound when a leg fails. */
export const USDC_USD_PAIR: ArbPairConfig = {
  id: "usdc-usd",
  markets: [
    { venue: "sim-a", symbol: "BTC/USDC" },
    { venue: "sim-b", symbol: "BTC/USD" },
  ],
  thresholdBps: 20,
  slippageBps: 2,
  legs: "taker-taker",
  maxQty: "0.1",
  legTimeoutMs: 10_000,
  maxQuoteAgeMs: 5_000,
  repair: "unwind",
  enabled: true,
};

/** Shared fixtures for the simulator's tests. */
import { makeInstrument } from "../../server/core/instrument";
import { D } from "../../server/core/money";
import { type OrderSpec } from "../../server/core/orders/types";
import { type BookLevel, type BookUpdate, type CandleUpdate, type MarketUpdate, type QuoteUpdate, type TradeUpdate } from "../../server/core/market-data";
import { MatchingEngine, type MatchingEngineConfig } from "../../server/core/sim/matching-engine";
import { type OrderChanges, type VenueEvent } from "../../server/core/orders/events";

export const BTC = makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.001", makerFee: "0.001", takerFee: "0.002" });
export const ETH = makeInstrument({ symbol: "ETH/USDT", priceTick: "0.01", qtyStep: "0.001", makerFee: "0.001", takerFee: "0.002" });

export function makeVenue(overrides: Partial<MatchingEngineConfig> = {}): MatchingEngine {
  return new MatchingEngine({ instruments: [BTC, ETH], initialBalances: { USDT: "1000000", BTC: "10", ETH: "10" }, ...overrides });
}

export function quote(bid: number, ask: number, sizes: { bidSize?: number; askSize?: number } = {}, symbol = "BTC/USDT"): QuoteUpdate {
  return { kind: "quote", symbol, bid, ask, ...sizes };
}

export function trade(price: number, qty = 10, aggressor?: "BUY" | "SELL", symbol = "BTC/USDT"): TradeUpdate {
  return aggressor ? { kind: "trade", symbol, price, qty, aggressor } : { kind: "trade", symbol, price, qty };
}

export function candle(open: number, high: number, low: number, close: number, volume = 100, symbol = "BTC/USDT"): CandleUpdate {
  return { kind: "candle", symbol, open, high, low, close, volume };
}

export function book(bids: BookLevel[], asks: BookLevel[], symbol = "BTC/USDT"): BookUpdate {
  return { kind: "book", symbol, bids, asks };
}

/** One line per event, with exact decimal strings: "o1 fill 1@30000 fee 60 TAKER sim-1 t0". */
export function fmt({ clientOrderId: id, event }: VenueEvent): string {
  const t = event.ts === undefined ? "" : ` t${event.ts}`;
  switch (event.type) {
    case "fill":
      return `${id} fill ${D(event.qty).toString()}@${D(event.price).toString()} fee ${D(event.fee ?? 0).toString()} ${event.liquidity ?? "?"} ${event.tradeId}${t}`;
    case "reject":
    case "cancelReject":
    case "modifyReject":
      return `${id} ${event.type} ${event.reason.split(":")[0]!}${t}`;
    case "modified": {
      const parts = [
        event.qty === undefined ? "" : ` qty=${D(event.qty).toString()}`,
        event.price === undefined ? "" : ` price=${D(event.price).toString()}`,
        event.triggerPrice === undefined ? "" : ` trigger=${D(event.triggerPrice).toString()}`,
      ];
      return `${id} modified${parts.join("")}${t}`;
    }
    default:
      return `${id} ${event.type}${t}`;
  }
}

export function lines(events: VenueEvent[]): string[] {
  return events.map(fmt);
}

/** Balances as strings: { USDT: "free/reserved", … }. */
export function balanceStrings(venue: MatchingEngine): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [currency, b] of Object.entries(venue.balances())) out[currency] = `${b.free.toString()}/${b.reserved.toString()}`;
  return out;
}

export type Step =
  | { md: MarketUpdate; t?: number }
  | { submit: Partial<OrderSpec> & Pick<OrderSpec, "clientOrderId" | "side" | "type">; t?: number }
  | { cancel: string; t?: number }
  | { cancelAll: string | undefined; t?: number }
  | { modify: string; changes: OrderChanges; t?: number }
  | { advance: number };

/** Runs steps in order (t defaults to 0) and returns every event as a line. */
export function run(venue: MatchingEngine, steps: Step[]): string[] {
  const out: VenueEvent[] = [];
  for (const step of steps) {
    if ("advance" in step) out.push(...venue.advanceTo(step.advance));
    else if ("md" in step) out.push(...venue.onMarketData(step.md, step.t ?? 0));
    else if ("submit" in step) out.push(...venue.submit({ symbol: "BTC/USDT", quantity: "1", ...step.submit }, step.t ?? 0));
    else if ("cancel" in step) out.push(...venue.cancel(step.cancel, step.t ?? 0));
    else if ("cancelAll" in step) out.push(...venue.cancelAll(step.cancelAll, step.t ?? 0));
    else out.push(...venue.modify(step.modify, step.changes, step.t ?? 0));
  }
  return lines(out);
}

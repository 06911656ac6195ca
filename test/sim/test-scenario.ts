/** A scenario shared by the SimVenue tests and the child process they kill (crash-child.ts). */
import { makeInstrument } from "../../server/core/instrument";
import { type OrderSpec } from "../../server/core/orders/types";
import { type MarketUpdate } from "../../server/core/market-data";
import { type MatchingEngineConfig } from "../../server/core/sim/matching-engine";
import { type OrderChanges, type VenueEvent } from "../../server/core/orders/events";
import { type Venue } from "../../server/venues/venue";

export const BTC = makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.001", makerFee: "0.001", takerFee: "0.002" });
export const ETH = makeInstrument({ symbol: "ETH/USDT", priceTick: "0.01", qtyStep: "0.001", makerFee: "0.001", takerFee: "0.002" });

export function simConfig(overrides: Partial<MatchingEngineConfig> = {}): MatchingEngineConfig {
  return { instruments: [BTC, ETH], initialBalances: { USDT: "1000000", BTC: "10", ETH: "10" }, ...overrides };
}

export type SimStep =
  | { md: MarketUpdate; t: number }
  | { submit: Omit<OrderSpec, "symbol"> & { symbol?: string }; t: number }
  | { cancel: string; t: number }
  | { cancelAll: string | null; t: number }
  | { modify: string; changes: OrderChanges; t: number }
  | { advance: number };

export function applyStep(venue: Venue, step: SimStep): VenueEvent[] {
  if ("advance" in step) return venue.advanceTo(step.advance);
  if ("md" in step) return venue.onMarketData(step.md, step.t);
  if ("submit" in step) return venue.submit({ symbol: "BTC/USDT", ...step.submit }, step.t);
  if ("cancel" in step) return venue.cancel(step.cancel, step.t);
  if ("cancelAll" in step) return venue.cancelAll(step.cancelAll ?? undefined, step.t);
  return venue.modify(step.modify, step.changes, step.t);
}

const trade = (price: number, qty = 2, symbol = "BTC/USDT"): MarketUpdate => ({ kind: "trade", symbol, price, qty });

/**
 * Trades, resting limits, stops, a trailing stop, a modify, partial fills (participation cap 0.5),
 * cancels and GTD expiry over both symbols, with latency. Ends with steps that produce events.
 */
export function scenarioSteps(): SimStep[] {
  const steps: SimStep[] = [];
  let price = 30000;
  for (let i = 0; i < 60; i++) {
    const t = i * 100;
    price += ((i * 7919) % 11) - 5;
    steps.push({ md: trade(price, 1 + (i % 3)), t });
    steps.push({ md: trade(2000 + (i % 7), 3, "ETH/USDT"), t: t + 1 });
    if (i % 6 === 0) steps.push({ submit: { clientOrderId: `b${i}`, side: "BUY", type: "LIMIT", price: String(price - 3), quantity: "1.5" }, t: t + 2 });
    if (i % 9 === 4) steps.push({ submit: { clientOrderId: `m${i}`, side: "SELL", type: "MARKET", quantity: "0.7" }, t: t + 2 });
    if (i % 10 === 5)
      steps.push({ submit: { clientOrderId: `s${i}`, side: "SELL", type: "STOP_MARKET", triggerPrice: String(price - 8), quantity: "0.4" }, t: t + 3 });
    if (i % 12 === 7) steps.push({ cancel: `b${i - 7}`, t: t + 4 });
    if (i === 3)
      steps.push({ submit: { clientOrderId: "trail", side: "SELL", type: "TRAILING_STOP_MARKET", trailingOffset: "12", quantity: "0.5" }, t: t + 5 });
    if (i === 8) steps.push({ submit: { clientOrderId: "eth", symbol: "ETH/USDT", side: "BUY", type: "LIMIT", price: "2001", quantity: "2" }, t: t + 5 });
    if (i === 10) steps.push({ modify: "eth", changes: { price: "2003" }, t: t + 6 });
    if (i === 20)
      steps.push({
        submit: { clientOrderId: "gtd", side: "SELL", type: "LIMIT", price: "31000", quantity: "1", timeInForce: "GTD", expireAt: 2600 },
        t: t + 5,
      });
    if (i === 40) steps.push({ cancelAll: "ETH/USDT", t: t + 7 });
  }
  steps.push({ advance: 6100 });
  steps.push({ submit: { clientOrderId: "last", side: "BUY", type: "LIMIT", price: "29000", quantity: "0.1" }, t: 6100 });
  steps.push({ advance: 6200 });
  return steps;
}

export const scenarioConfig = (): MatchingEngineConfig => simConfig({ latencyMs: 20, participationCap: 0.5 });

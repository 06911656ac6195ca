/**
 * Test support for native order lists (OCO, OTO) through ResilientVenue: the instrument, a scripted list request that
 * fails the way a venue does, and a harness with a manual clock and timers so retries run without waiting.
 */
import { makeInstrument } from "../server/core/instrument";
import type { OrderSpec } from "../server/core/orders/types";
import { seededRng } from "../server/core/rng";
import { ResilientVenue, type ResilienceOptions } from "../server/engine/resilient-venue";
import type { SimVenue } from "../server/venues/sim/sim-venue";
import { FinalVenueError, TransientVenueError, type InDoubtReport, type VenueEvent } from "../server/venues/venue";

export const BTC = makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.00001", minNotional: "5", takerFee: "0.001", makerFee: "0.001" });
export const T0 = Date.UTC(2024, 0, 1);

export type Step = "ok" | "final" | "rate-limited" | "timeout-after-sending" | "silent";

/** One list request as the venue answers it: the next scripted step decides whether `send` runs and what is thrown. */
export function scriptedListCall(script: Step[], refusal: string, send: () => VenueEvent[]): VenueEvent[] {
  const step = script.shift() ?? "ok";
  if (step === "final") throw new FinalVenueError(refusal, "VENUE_REFUSED");
  if (step === "rate-limited") throw new TransientVenueError("RATE_LIMITED: too many requests; nothing was done", "RATE_LIMITED");
  if (step === "silent") return [];
  const events = send();
  if (step === "timeout-after-sending") throw new TransientVenueError("TIMEOUT: request timed out after sending", "TIMEOUT");
  return events;
}

/** A resting BUY LIMIT at 29 000 for 0.1 BTC, changed by `over`. */
export const order = (clientOrderId: string, over: Partial<OrderSpec>): OrderSpec => ({
  clientOrderId,
  symbol: "BTC/USDT",
  side: "BUY",
  type: "LIMIT",
  quantity: "0.1",
  price: "29000",
  timeInForce: "GTC",
  ...over,
});

/** Fast retries on an injected clock and timers. */
export const resilientOptions = (now: () => number, timers: ResilienceOptions["timers"]): ResilienceOptions => ({
  ratePerSecond: 100,
  burst: 100,
  maxAttempts: 3,
  baseDelayMs: 10,
  maxDelayMs: 100,
  now,
  timers,
  rng: seededRng(1),
});

/** `inner` behind a ResilientVenue, with a BTC quote, its events and in-doubt reports collected, and a clock to advance. */
export function resilientHarness<V extends SimVenue>(inner: V) {
  let now = T0;
  const due: { at: number; fn: () => void }[] = [];
  const venue = new ResilientVenue(
    inner,
    resilientOptions(() => now, { setTimeout: (fn, ms) => due.push({ at: now + ms, fn }) }),
  );
  const events: VenueEvent[] = [];
  const doubts: InDoubtReport[] = [];
  venue.setEventSink((e) => events.push(...e));
  venue.setInDoubtSink((r) => doubts.push(r));
  inner.onMarketData({ kind: "quote", symbol: "BTC/USDT", bid: 30_000, ask: 30_000.5 }, now);
  const advance = (ms: number) => {
    now += ms;
    for (const t of due.splice(0).sort((a, b) => a.at - b.at))
      if (t.at <= now) t.fn();
      else due.push(t);
  };
  return { inner, venue, events, doubts, advance };
}

export const kinds = (events: VenueEvent[]) => events.map((e) => `${e.clientOrderId}:${e.event.type}`);

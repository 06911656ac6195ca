/**
 * ResilientVenue with native OCO lists: a list is one request whose two legs share one fate — refused together, retried
 * together when certainly not executed, in doubt together (never re-sent) when the answer is lost, dropped together by
 * a halt — and each leg's flight is tracked by its own clientOrderId.
 */
import { describe, expect, it } from "vitest";
import { makeInstrument } from "../core/instrument";
import type { OrderSpec } from "../core/orders/types";
import { seededRng } from "../core/rng";
import { SimVenue } from "../venues/sim/sim-venue";
import { FinalVenueError, TransientVenueError, type InDoubtReport, type OcoListSpec, type VenueEvent } from "../venues/venue";
import { ResilientVenue } from "./resilient-venue";

const BTC = makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.00001", minNotional: "5", takerFee: "0.001", makerFee: "0.001" });
const T0 = Date.UTC(2024, 0, 1);

type Step = "ok" | "final" | "rate-limited" | "timeout-after-sending" | "silent";

/** The simulator with a native OCO entry point and scripted failures (each leg placed as the venue would). */
class OcoVenue extends SimVenue {
  readonly script: Step[] = [];
  calls = 0;
  holdsOcoNatively(): boolean {
    return true;
  }
  submitOco(list: OcoListSpec, now: number): VenueEvent[] {
    this.calls++;
    const step = this.script.shift() ?? "ok";
    if (step === "final") throw new FinalVenueError("The relationship of the prices for the orders is not correct.", "VENUE_REFUSED");
    if (step === "rate-limited") throw new TransientVenueError("RATE_LIMITED: too many requests; nothing was done", "RATE_LIMITED");
    if (step === "silent") return [];
    const events = list.legs.flatMap((leg) => this.submit(leg, now));
    if (step === "timeout-after-sending") throw new TransientVenueError("TIMEOUT: request timed out after sending", "TIMEOUT");
    return events;
  }
}

const leg = (clientOrderId: string, over: Partial<OrderSpec>): OrderSpec => ({
  clientOrderId,
  symbol: "BTC/USDT",
  side: "BUY",
  type: "LIMIT",
  quantity: "0.1",
  price: "29000",
  timeInForce: "GTC",
  ...over,
});
const list = (reduceOnly = false): OcoListSpec => ({
  listId: "lst-1",
  legs: [leg("tp-1", { reduceOnly }), leg("sl-1", { type: "STOP_LIMIT", triggerPrice: "31000", price: "31100", reduceOnly })],
});

function harness(script: Step[]) {
  const inner = new OcoVenue({ instruments: [BTC], initialBalances: { USDT: "100000" } });
  inner.script.push(...script);
  let now = T0;
  const due: { at: number; fn: () => void }[] = [];
  const venue = new ResilientVenue(inner, {
    ratePerSecond: 100,
    burst: 100,
    maxAttempts: 3,
    baseDelayMs: 10,
    maxDelayMs: 100,
    now: () => now,
    timers: { setTimeout: (fn, ms) => due.push({ at: now + ms, fn }) },
    rng: seededRng(1),
  });
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

const kinds = (events: VenueEvent[]) => events.map((e) => `${e.clientOrderId}:${e.event.type}`);

describe("a native OCO list through ResilientVenue", () => {
  it.each<[string, Step[], string[], string[], number]>([
    ["accepted: both legs answered", ["ok"], ["tp-1:accept", "sl-1:accept"], [], 1],
    ["refused: both legs rejected with the venue's words", ["final"], ["tp-1:reject", "sl-1:reject"], [], 1],
    ["rate limited (never executed): the list is sent again, once", ["rate-limited", "ok"], ["tp-1:accept", "sl-1:accept"], [], 2],
    ["the answer lost after sending: both legs in doubt, never sent again", ["timeout-after-sending"], [], ["tp-1", "sl-1"], 1],
  ])("%s", (_name, script, expected, inDoubt, calls) => {
    const h = harness(script);
    const now = T0;
    h.events.push(...h.venue.submitOco(list(), now));
    for (let i = 0; i < 10; i++) h.advance(50);
    expect(kinds(h.events)).toEqual(expected);
    expect(h.doubts.map((d) => d.clientOrderId)).toEqual(inDoubt);
    expect(h.inner.calls).toBe(calls);
    if (script[0] === "final") expect(h.events.every((e) => e.event.type === "reject" && e.event.reason.includes("relationship of the prices"))).toBe(true);
  });

  it("tracks each leg's flight until the venue answers it", () => {
    const h = harness(["silent"]);
    h.venue.submitOco(list(), T0);
    expect([h.venue.requestInFlight("tp-1"), h.venue.requestInFlight("sl-1")]).toEqual([true, true]);
  });

  it("a halt refuses a new list, drops a queued one (both ids), and lets a reduce-only list through", () => {
    const h = harness(["rate-limited", "ok"]);
    h.venue.submitOco(list(), T0); // waits for its retry
    expect(h.venue.haltNewOrders().sort()).toEqual(["sl-1", "tp-1"]);
    h.advance(500);
    expect(h.inner.calls).toBe(1); // the retry was dropped
    expect(() => h.venue.submitOco({ ...list(), listId: "lst-2" }, T0)).toThrow(/TRADING_HALTED/);
    expect(
      kinds(
        h.venue.submitOco(
          { listId: "lst-3", legs: list(true).legs.map((l) => ({ ...l, clientOrderId: `${l.clientOrderId}-r` })) as [OrderSpec, OrderSpec] },
          T0,
        ),
      ),
    ).toEqual(["tp-1-r:accept", "sl-1-r:accept"]);
  });
});

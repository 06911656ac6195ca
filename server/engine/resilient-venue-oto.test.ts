/**
 * ResilientVenue with native OTO lists: a list is one request whose two orders share one fate — refused together,
 * retried together when certainly not executed, in doubt together (never re-sent) when the answer is lost, dropped
 * together by a halt — and each order's flight is tracked by its own clientOrderId. A VenueSet hands the list to the
 * venue its orders name.
 */
import { describe, expect, it } from "vitest";
import { makeInstrument } from "../core/instrument";
import type { OrderSpec } from "../core/orders/types";
import { seededRng } from "../core/rng";
import { SimVenue } from "../venues/sim/sim-venue";
import { FinalVenueError, TransientVenueError, type InDoubtReport, type OtoListSpec, type VenueEvent } from "../venues/venue";
import { ResilientVenue } from "./resilient-venue";
import { VenueSet } from "./venue-set";

const BTC = makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.00001", minNotional: "5", takerFee: "0.001", makerFee: "0.001" });
const T0 = Date.UTC(2024, 0, 1);

type Step = "ok" | "final" | "rate-limited" | "timeout-after-sending" | "silent";

/** The simulator with a native OTO entry point and scripted failures (both orders reported accepted, as the venue answers). */
class OtoVenue extends SimVenue {
  readonly script: Step[] = [];
  calls = 0;
  holdsOtoNatively(): boolean {
    return true;
  }
  submitOto(list: OtoListSpec, now: number): VenueEvent[] {
    this.calls++;
    const step = this.script.shift() ?? "ok";
    if (step === "final") throw new FinalVenueError("Account has insufficient balance for requested action.", "VENUE_REFUSED");
    if (step === "rate-limited") throw new TransientVenueError("RATE_LIMITED: too many requests; nothing was done", "RATE_LIMITED");
    if (step === "silent") return [];
    const events = [...this.submit(list.working, now), { clientOrderId: list.pending.clientOrderId, event: { type: "accept" as const, ts: now } }];
    if (step === "timeout-after-sending") throw new TransientVenueError("TIMEOUT: request timed out after sending", "TIMEOUT");
    return events;
  }
}

const order = (clientOrderId: string, over: Partial<OrderSpec>): OrderSpec => ({
  clientOrderId,
  symbol: "BTC/USDT",
  side: "BUY",
  type: "LIMIT",
  quantity: "0.1",
  price: "29000",
  timeInForce: "GTC",
  ...over,
});
const list = (reduceOnly = false, suffix = ""): OtoListSpec => ({
  listId: `oto-1${suffix}`,
  working: order(`entry-1${suffix}`, { reduceOnly }),
  pending: order(`exit-1${suffix}`, { side: "SELL", price: "31000", reduceOnly }),
});

function harness(script: Step[]) {
  const inner = new OtoVenue({ instruments: [BTC], initialBalances: { USDT: "100000", BTC: "1" } });
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

describe("a native OTO list through ResilientVenue", () => {
  it.each<[string, Step[], string[], string[], number]>([
    ["accepted: both orders answered", ["ok"], ["entry-1:accept", "exit-1:accept"], [], 1],
    ["refused: both orders rejected with the venue's words", ["final"], ["entry-1:reject", "exit-1:reject"], [], 1],
    ["rate limited (never executed): the list is sent again, once", ["rate-limited", "ok"], ["entry-1:accept", "exit-1:accept"], [], 2],
    ["the answer lost after sending: both orders in doubt, never sent again", ["timeout-after-sending"], [], ["entry-1", "exit-1"], 1],
  ])("%s", (_name, script, expected, inDoubt, calls) => {
    const h = harness(script);
    h.events.push(...h.venue.submitOto(list(), T0));
    for (let i = 0; i < 10; i++) h.advance(50);
    expect(kinds(h.events)).toEqual(expected);
    expect(h.doubts.map((d) => d.clientOrderId)).toEqual(inDoubt);
    expect(h.inner.calls).toBe(calls);
    if (script[0] === "final") expect(h.events.every((e) => e.event.type === "reject" && e.event.reason.includes("insufficient balance"))).toBe(true);
  });

  it("tracks each order's flight until the venue answers it", () => {
    const h = harness(["silent"]);
    h.venue.submitOto(list(), T0);
    expect([h.venue.requestInFlight("entry-1"), h.venue.requestInFlight("exit-1")]).toEqual([true, true]);
  });

  it("a halt refuses a new list, drops a queued one (both ids), and lets a reduce-only list through", () => {
    const h = harness(["rate-limited", "ok"]);
    h.venue.submitOto(list(), T0); // waits for its retry
    expect(h.venue.haltNewOrders().sort()).toEqual(["entry-1", "exit-1"]);
    h.advance(500);
    expect(h.inner.calls).toBe(1); // the retry was dropped
    expect(() => h.venue.submitOto(list(false, "-b"), T0)).toThrow(/TRADING_HALTED/);
    expect(kinds(h.venue.submitOto(list(true, "-r"), T0))).toEqual(["entry-1-r:accept", "exit-1-r:accept"]);
  });

  it("a venue without native OTO lists refuses the list as one", () => {
    const inner = new SimVenue({ instruments: [BTC], initialBalances: { USDT: "100000" } });
    const venue = new ResilientVenue(inner, {
      ratePerSecond: 100,
      burst: 100,
      maxAttempts: 3,
      baseDelayMs: 10,
      maxDelayMs: 100,
      now: () => T0,
      timers: { setTimeout: () => undefined },
      rng: seededRng(1),
    });
    expect(venue.holdsOtoNatively(list())).toBe(false);
    expect(kinds(venue.submitOto(list(), T0))).toEqual(["entry-1:reject", "exit-1:reject"]);
  });
});

describe("a native OTO list through a VenueSet", () => {
  it("goes to the venue its orders name; a venue without native OTO lists says no and refuses one sent anyway", () => {
    const native = new OtoVenue({ instruments: [BTC], initialBalances: { USDT: "100000" } }, { id: "bn" });
    const plain = new SimVenue({ instruments: [BTC], initialBalances: { USDT: "100000" } }, { id: "sim" });
    const set = new VenueSet([plain, native]);
    const on = (venue: string): OtoListSpec => ({ ...list(), working: { ...list().working, venue }, pending: { ...list().pending, venue } });
    expect([set.holdsOtoNatively(on("bn")), set.holdsOtoNatively(on("sim"))]).toEqual([true, false]);
    expect(kinds(set.submitOto(on("bn"), T0))).toEqual(["entry-1:accept", "exit-1:accept"]);
    expect(native.calls).toBe(1);
    expect(() => set.submitOto(on("sim"), T0)).toThrow(/OTO_NOT_NATIVE/);
  });
});

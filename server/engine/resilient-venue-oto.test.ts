/**
 * ResilientVenue with native OTO lists: a list is one request whose two orders share one fate — refused together,
 * retried together when certainly not executed, in doubt together (never re-sent) when the answer is lost, dropped
 * together by a halt — and each order's flight is tracked by its own clientOrderId. A VenueSet hands the list to the
 * venue its orders name.
 */
import { describe, expect, it } from "vitest";
import { BTC, kinds, order, resilientHarness, resilientOptions, scriptedListCall, T0, type Step } from "../../test/resilient-list-venue";
import { SimVenue } from "../venues/sim/sim-venue";
import type { OtoListSpec, VenueEvent } from "../venues/venue";
import { ResilientVenue } from "./resilient-venue";
import { VenueSet } from "./venue-set";

/** The simulator with a native OTO entry point and scripted failures (both orders reported accepted, as the venue answers). */
class OtoVenue extends SimVenue {
  readonly script: Step[] = [];
  calls = 0;
  holdsOtoNatively(): boolean {
    return true;
  }
  submitOto(list: OtoListSpec, now: number): VenueEvent[] {
    this.calls++;
    return scriptedListCall(this.script, "Account has insufficient balance for requested action.", () => [
      ...this.submit(list.working, now),
      { clientOrderId: list.pending.clientOrderId, event: { type: "accept" as const, ts: now } },
    ]);
  }
}

const list = (reduceOnly = false, suffix = ""): OtoListSpec => ({
  listId: `oto-1${suffix}`,
  working: order(`entry-1${suffix}`, { reduceOnly }),
  pending: order(`exit-1${suffix}`, { side: "SELL", price: "31000", reduceOnly }),
});

function harness(script: Step[]) {
  const inner = new OtoVenue({ instruments: [BTC], initialBalances: { USDT: "100000", BTC: "1" } });
  inner.script.push(...script);
  return resilientHarness(inner);
}

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
    const venue = new ResilientVenue(
      inner,
      resilientOptions(() => T0, { setTimeout: () => undefined }),
    );
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

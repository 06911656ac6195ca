/**
 * ResilientVenue with native OCO lists: a list is one request whose two legs share one fate — refused together, retried
 * together when certainly not executed, in doubt together (never re-sent) when the answer is lost, dropped together by
 * a halt — and each leg's flight is tracked by its own clientOrderId.
 */
import { describe, expect, it } from "vitest";
import type { OrderSpec } from "../core/orders/types";
import { BTC, kinds, order, resilientHarness, scriptedListCall, T0, type Step } from "../../test/resilient-list-venue";
import { SimVenue } from "../venues/sim/sim-venue";
import type { OcoListSpec, VenueEvent } from "../venues/venue";

/** The simulator with a native OCO entry point and scripted failures (each leg placed as the venue would). */
class OcoVenue extends SimVenue {
  readonly script: Step[] = [];
  calls = 0;
  holdsOcoNatively(): boolean {
    return true;
  }
  submitOco(list: OcoListSpec, now: number): VenueEvent[] {
    this.calls++;
    return scriptedListCall(this.script, "The relationship of the prices for the orders is not correct.", () =>
      list.legs.flatMap((leg) => this.submit(leg, now)),
    );
  }
}

const list = (reduceOnly = false): OcoListSpec => ({
  listId: "lst-1",
  legs: [order("tp-1", { reduceOnly }), order("sl-1", { type: "STOP_LIMIT", triggerPrice: "31000", price: "31100", reduceOnly })],
});

function harness(script: Step[]) {
  const inner = new OcoVenue({ instruments: [BTC], initialBalances: { USDT: "100000" } });
  inner.script.push(...script);
  return resilientHarness(inner);
}

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

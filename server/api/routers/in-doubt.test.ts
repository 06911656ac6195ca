/** The orders in doubt through the API: shown on the Orders and Reconciliation pages; adopted or marked not placed by a trader, audited. */
import { afterEach, describe, expect, it } from "vitest";
import { seededRng } from "../../core/rng";
import { db } from "../../db/client";
import type { Timers } from "../../core/clock";
import { ResilientVenue } from "../../engine/resilient-venue";
import type { SimVenue } from "../../venues/sim/sim-venue";
import { TransientVenueError, type VenueEvent } from "../../venues/venue";
import { callerFor, openTestDesk, trpcError, type TestDesk } from "../../../test/desk-support";

/** Timers that never fire by themselves: the lookups wait for the test. */
const heldTimers: Timers = { setTimeout: () => null, clearTimeout: () => undefined };

let desk: TestDesk;
let sim: SimVenue;
afterEach(async () => {
  await desk.close();
});

async function deskWithDoubts(): Promise<void> {
  desk = await openTestDesk({
    engine: { timers: heldTimers },
    wrapVenue: (venue) => {
      sim = venue;
      return new ResilientVenue(venue, {
        ratePerSecond: 100,
        burst: 100,
        maxAttempts: 3,
        baseDelayMs: 10,
        maxDelayMs: 100,
        now: () => Date.now(),
        timers: heldTimers,
        rng: seededRng(1),
      });
    },
  });
}

/** The next submission's answer is lost: `landed` says whether the simulated exchange executed it anyway. */
function loseNextAnswer(landed: boolean): void {
  const original = sim.submit.bind(sim);
  sim.submit = (spec, now): VenueEvent[] => {
    sim.submit = original;
    if (landed) original(spec, now);
    throw new TransientVenueError("TIMEOUT: binance did not answer in time; the outcome is unknown.", "TIMEOUT");
  };
}

async function marketBuy(): Promise<string> {
  const placed = await callerFor("trader").orders.place({ symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.01" });
  return String(placed.data?.clientOrderId);
}

describe("orders in doubt through the API", () => {
  it("shows the marker on the Orders page and lists it on the Reconciliation page with the drift", async () => {
    await deskWithDoubts();
    loseNextAnswer(false);
    const coid = await marketBuy();
    const viewer = callerFor("viewer");
    const open = await viewer.orders.open();
    expect(open.orders.find((o) => o.clientOrderId === coid)).toMatchObject({
      status: "SUBMITTED",
      inDoubt: { reason: expect.stringMatching(/^TIMEOUT: /) as unknown, lookups: 0 },
    });
    const all = await viewer.orders.list({});
    expect(all.orders.find((o) => o.clientOrderId === coid)?.inDoubt).toMatchObject({ lookups: 0 });
    const listed = await viewer.reconciliation.inDoubt();
    expect(listed.orders).toMatchObject([
      { clientOrderId: coid, symbol: "BTC/USDT", lookups: 0, fenceMs: null, order: { side: "BUY", quantity: "0.01", status: "SUBMITTED" } },
    ]);
    const drifts = await viewer.reconciliation.drifts({ status: "open" });
    expect(drifts.rows.map((r) => [r.kind, r.subject])).toEqual([["ORDER_IN_DOUBT", coid]]);
    const detail = await viewer.orders.detail({ clientOrderId: coid });
    expect(detail.events.map((e) => e.type)).toEqual(["intent", "submit", "inDoubt"]);
    expect(detail.events[2]!.summary).toMatch(/^outcome unknown: in doubt, looked up by clientOrderId, never re-sent/);
  });

  it("a trader adopts what the venue shows, or marks it not placed with a reason; viewers cannot; all audited", async () => {
    await deskWithDoubts();
    loseNextAnswer(false);
    const missing = await marketBuy();
    loseNextAnswer(true);
    const landed = await marketBuy();
    const trader = callerFor("trader");
    expect((await trpcError(callerFor("viewer").reconciliation.adoptInDoubt({ clientOrderId: landed }))).code).toBe("FORBIDDEN");
    const noReason = await trpcError(trader.reconciliation.markNotPlaced({ clientOrderId: missing, reason: "" }));
    expect(noReason.code).toBe("BAD_REQUEST");
    expect(noReason.message).toContain("give a reason");
    expect((await trpcError(trader.reconciliation.adoptInDoubt({ clientOrderId: missing }))).domainCode).toBe("NOT_AT_VENUE");

    const adopted = await trader.reconciliation.adoptInDoubt({ clientOrderId: landed, reason: "seen on the exchange" });
    expect(adopted.message).toMatch(/adopted as sim shows it: FILLED, 1 fill/);
    const notPlaced = await trader.reconciliation.markNotPlaced({ clientOrderId: missing, reason: "not in the exchange's order history" });
    expect(notPlaced.data).toMatchObject({ status: "REJECTED" });
    expect((await callerFor("viewer").reconciliation.inDoubt()).orders).toEqual([]);
    expect((await callerFor("viewer").reconciliation.drifts({ status: "open" })).rows).toEqual([]);
    const audit = await db().auditLog.findMany({ where: { action: { in: ["in_doubt_adopt", "in_doubt_not_placed"] } }, orderBy: { id: "asc" } });
    expect(audit.map((a) => [a.action, a.target, a.result, a.actor])).toEqual([
      ["in_doubt_adopt", missing, "REFUSED", "tina"],
      ["in_doubt_adopt", landed, "OK", "tina"],
      ["in_doubt_not_placed", missing, "OK", "tina"],
    ]);
    await expect(sim.fetchOrder(missing)).resolves.toBeNull();
  });
});

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { db } from "../../db/client";
import type { SimVenue } from "../../venues/sim/sim-venue";
import { callerFor, openTestDesk, trpcError, type TestDesk } from "../../../test/desk-support";

let desk: TestDesk;
let venue: SimVenue;

beforeEach(async () => {
  desk = await openTestDesk();
  // The test desk's simulated venue, to place orders behind Bastion's back (as a person on the exchange's site would).
  venue = desk.engine["cx"].venue as SimVenue;
});
afterEach(async () => {
  await desk.close();
});

async function unknownOrder(clientOrderId = "web-1"): Promise<void> {
  const now = desk.clock.now();
  venue.submit({ clientOrderId, symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.003", price: "19950", ts: now }, now);
  await desk.engine.reconcile();
}

describe("reconciliation.drifts and unknownOrders (viewer)", () => {
  it("lists drifts with filters, open or resolved, and the unknown orders that can be adopted or canceled", async () => {
    await unknownOrder("web-1");
    await unknownOrder("web-2");
    const viewer = callerFor("viewer");
    const all = await viewer.reconciliation.drifts({});
    expect(all.rows.map((r) => [r.kind, r.subject, r.resolved, r.actionable])).toEqual([
      ["UNKNOWN_ORDER", "web-2", false, true],
      ["UNKNOWN_ORDER", "web-1", false, true],
    ]);
    expect(all).toMatchObject({ total: 2, open: 2, kinds: ["UNKNOWN_ORDER"] });
    expect(all.rows[0]!.detail).toMatchObject({ symbol: "BTC/USDT", side: "BUY", qty: "0.003", price: "19950" });
    const unknown = await viewer.reconciliation.unknownOrders();
    expect(unknown.orders.map((u) => u.clientOrderId).sort()).toEqual(["web-1", "web-2"]);
    expect(unknown).toMatchObject({ venue: "sim", instruments: [{ symbol: "BTC/USDT", priceTick: "0.01" }, { symbol: "ETH/USDT" }] });

    await callerFor("trader").reconciliation.cancel({ clientOrderId: "web-2", reason: "not ours" });
    const open = await viewer.reconciliation.drifts({ status: "open" });
    expect(open.rows.map((r) => r.subject)).toEqual(["web-1"]);
    const resolved = await viewer.reconciliation.drifts({ status: "resolved" });
    expect(resolved.rows.map((r) => [r.subject, r.resolution, r.actionable])).toEqual([["web-2", "canceled at the venue", false]]);
    expect(resolved.rows[0]!.resolvedAt).not.toBeNull();
    expect((await viewer.reconciliation.drifts({ kind: "UNKNOWN_ORDER", subject: "web-1" })).total).toBe(1);
    expect((await viewer.reconciliation.drifts({ kind: "MISSED_FILL" })).rows).toEqual([]);
    expect((await viewer.reconciliation.drifts({ limit: 1, offset: 1 })).rows.map((r) => r.subject)).toEqual(["web-1"]);
    // Resolution rows are not drifts of their own; asked for by kind they are there.
    expect((await viewer.reconciliation.drifts({ kind: "UNKNOWN_ORDER_CANCELED" })).rows.map((r) => r.subject)).toEqual(["web-2"]);
    expect(JSON.parse(JSON.stringify(all))).toEqual(all);
  });

  it("needs a session; refuses malformed filters with plain messages", async () => {
    expect((await trpcError(callerFor(null).reconciliation.drifts({}))).code).toBe("UNAUTHORIZED");
    const viewer = callerFor("viewer");
    for (const [input, message] of [
      [{ status: "later" }, "status must be open, resolved or all"],
      [{ limit: 0 }, "limit must be 1 to 500"],
      [{ limit: Number.NaN }, "limit"],
      [{ offset: -1 }, "offset must be 0 or more"],
      [{ kind: "drop table" }, "kind must look like UNKNOWN_ORDER"],
      [{ fromMs: 10, toMs: 5 }, "fromMs must be before toMs"],
      [{ extra: 1 }, "extra"],
    ] as const) {
      const error = await trpcError(viewer.reconciliation.drifts(input as never));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toContain(message);
    }
  });
});

describe("reconciliation choices (trader, audited)", () => {
  it("adopts an unknown order: tracked, journaled, its fill booked to a position", async () => {
    await unknownOrder();
    const trader = callerFor("trader");
    const adopted = await trader.reconciliation.adopt({ clientOrderId: "web-1", reason: "placed from my phone" });
    expect(adopted.message).toContain("Order web-1 adopted: BUY 0.003 BTC/USDT LIMIT (ACCEPTED)");
    expect((await callerFor("viewer").orders.open()).orders.map((o: { clientOrderId: string }) => o.clientOrderId)).toContain("web-1");
    desk.clock.advance(1000);
    await desk.engine.marketData({ kind: "trade", symbol: "BTC/USDT", price: 19_940, qty: 1, aggressor: "SELL" });
    expect(desk.engine.state().positions.map((p) => p.position.quantity.toString())).toEqual(["0.003"]);
    expect((await callerFor("viewer").reconciliation.drifts({ status: "open" })).rows).toEqual([]);
    const audit = await db().auditLog.findMany({ where: { action: "adopt_order" } });
    expect(audit).toMatchObject([{ actor: "tina", target: "web-1", reason: "placed from my phone", result: "OK" }]);
    const again = await trpcError(trader.reconciliation.adopt({ clientOrderId: "web-1" }));
    expect(again.domainCode).toBe("ALREADY_TRACKED");
  });

  it("cancels an unknown order at the venue; refuses one that is not unknown", async () => {
    await unknownOrder();
    const trader = callerFor("trader");
    expect((await trpcError(trader.reconciliation.cancel({ clientOrderId: "nope" }))).domainCode).toBe("NOT_UNKNOWN");
    const canceled = await trader.reconciliation.cancel({ clientOrderId: "web-1" });
    expect(canceled.message).toBe("Unknown order web-1 canceled at sim.");
    expect(await venue.fetchOpenOrders()).toEqual([]);
    expect((await callerFor("viewer").reconciliation.unknownOrders()).orders).toEqual([]);
  });

  it("acknowledges a drift once, with the reason in the audit log", async () => {
    await unknownOrder();
    const [drift] = (await callerFor("viewer").reconciliation.drifts({})).rows;
    const trader = callerFor("trader");
    const ack = await trader.reconciliation.acknowledge({ id: drift!.id, reason: "known, leaving it" });
    expect(ack.message).toBe(`Drift #${drift!.id} (UNKNOWN_ORDER web-1) acknowledged.`);
    const after = await callerFor("viewer").reconciliation.drifts({ status: "resolved" });
    expect(after.rows.map((r) => [r.id, r.resolution])).toEqual([[drift!.id, "acknowledged by tina: known, leaving it"]]);
    expect((await trpcError(trader.reconciliation.acknowledge({ id: drift!.id }))).domainCode).toBe("ALREADY_RESOLVED");
    expect((await trpcError(trader.reconciliation.acknowledge({ id: 9999 }))).domainCode).toBe("NOT_FOUND");
    expect(await db().auditLog.findMany({ where: { action: "acknowledge_drift" }, select: { actor: true, reason: true, result: true } })).toEqual([
      { actor: "tina", reason: "known, leaving it", result: "OK" },
    ]);
  });

  it("a viewer is FORBIDDEN on every choice, and nothing changes", async () => {
    await unknownOrder();
    const viewer = callerFor("viewer");
    const [drift] = (await viewer.reconciliation.drifts({})).rows;
    for (const call of [
      viewer.reconciliation.adopt({ clientOrderId: "web-1" }),
      viewer.reconciliation.cancel({ clientOrderId: "web-1" }),
      viewer.reconciliation.acknowledge({ id: drift!.id }),
    ]) {
      expect((await trpcError(call)).code).toBe("FORBIDDEN");
    }
    expect((await viewer.reconciliation.unknownOrders()).orders.map((u) => u.clientOrderId)).toEqual(["web-1"]);
    expect((await viewer.reconciliation.drifts({ status: "open" })).total).toBe(1);
  });

  it("refuses malformed choices", async () => {
    const trader = callerFor("trader");
    expect((await trpcError(trader.reconciliation.adopt({ clientOrderId: "" }))).message).toContain("clientOrderId is required");
    expect((await trpcError(trader.reconciliation.cancel({ clientOrderId: "a b" }))).message).toContain("clientOrderId may contain");
    expect((await trpcError(trader.reconciliation.acknowledge({ id: -1 }))).message).toContain("id must be positive");
    expect((await trpcError(trader.reconciliation.acknowledge({ id: 1.5 }))).message).toContain("id must be a whole number");
  });
});

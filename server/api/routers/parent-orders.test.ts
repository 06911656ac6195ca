import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { callerFor, openTestDesk, trpcError, type TestDesk } from "../../../test/desk-support";

let desk: TestDesk;
beforeEach(async () => {
  desk = await openTestDesk();
});
afterEach(async () => {
  await desk.close();
});

const twap = {
  symbol: "BTC/USDT",
  side: "BUY" as const,
  quantity: "0.04",
  algo: { kind: "twap" as const, horizonSeconds: 3600, intervalSeconds: 900 },
};

describe("orders.startParent / parents / parentAction", () => {
  it("a trader starts a TWAP; a viewer reads its progress and children; cancel is audited", async () => {
    const started = await callerFor("trader").orders.startParent({ ...twap, reason: "work it" });
    const parentId = String(started.data?.parentId);
    expect(started.message).toContain("twap 1h/15m BUY 0.04 BTC/USDT");
    const { parents } = await callerFor("viewer").orders.parents();
    expect(parents).toHaveLength(1);
    expect(parents[0]).toMatchObject({ id: parentId, status: "working", targetQty: "0.04", filledQty: "0.01", childrenSent: 1, slicesLeft: 3 });
    expect(parents[0]!.children[0]).toMatchObject({ clientOrderId: `${parentId}.1`, status: "filled" });
    // The child is an order like any other, linked to its parent.
    const open = await callerFor("viewer").orders.list({ limit: 10 });
    expect(open.orders.map((o) => o.clientOrderId)).toContain(`${parentId}.1`);

    const cancelled = await callerFor("trader").orders.parentAction({ parentId, action: "cancel", reason: "enough" });
    expect(cancelled.data).toMatchObject({ status: "cancelled" });
    const audit = await desk.tdb.client.auditLog.findMany({ orderBy: { id: "asc" } });
    expect(audit.map((a) => [a.action, a.target, a.result])).toEqual([
      ["start_parent_order", "BTC/USDT", "OK"],
      ["cancel_parent_order", parentId, "OK"],
    ]);
  });

  it("a viewer cannot start or cancel; bad inputs are refused in words", async () => {
    expect((await trpcError(callerFor("viewer").orders.startParent(twap))).code).toBe("FORBIDDEN");
    expect((await trpcError(callerFor("viewer").orders.parentAction({ parentId: "par-1", action: "cancel" }))).code).toBe("FORBIDDEN");
    const bad = await trpcError(callerFor("trader").orders.startParent({ ...twap, algo: { kind: "twap", horizonSeconds: 0, intervalSeconds: 60 } }));
    expect(bad.message).toContain("horizonSeconds must be at least 1 s");
    const iceberg = await trpcError(callerFor("trader").orders.startParent({ ...twap, algo: { kind: "iceberg", displayQty: "0.01" } }));
    expect(iceberg.domainCode).toBe("INVALID_PARENT");
    expect(iceberg.message).toContain("limit price");
    const unknown = await trpcError(callerFor("trader").orders.parentAction({ parentId: "par-404", action: "pause" }));
    expect(unknown.domainCode).toBe("NOT_FOUND");
  });
});

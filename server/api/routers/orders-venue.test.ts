/** The order form's venue menu reads the desk's venues from orders.open, and orders.place (and startParent) send a named venue on. */
import { afterEach, describe, expect, it } from "vitest";
import { BTC, callerFor, ETH, openTestDesk, type TestDesk } from "../../../test/desk-support";
import { SimVenue } from "../../venues/sim/sim-venue";

let desk: TestDesk | null = null;
afterEach(async () => {
  await desk?.close();
  desk = null;
});

const sim = (id: string) => new SimVenue({ instruments: [BTC, ETH], initialBalances: { USDT: "100000" } }, { id });

describe("orders.open venues and orders.place with a venue", () => {
  it("a one-venue desk lists its one venue (the form shows no menu)", async () => {
    desk = await openTestDesk();
    const open = await callerFor("viewer").orders.open();
    expect(open.venues).toHaveLength(1);
  });

  it("a desk with several venues lists them, and a named venue is where the order goes", async () => {
    desk = await openTestDesk({ engine: { venues: [sim("sim-a"), sim("sim-b")] } });
    expect((await callerFor("viewer").orders.open()).venues).toEqual(["sim-a", "sim-b"]);
    const placed = await callerFor("trader").orders.place({ symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.01", price: "19000", venue: "sim-b" });
    const open = await callerFor("viewer").orders.open();
    expect(open.orders.find((o) => o.clientOrderId === placed.data?.clientOrderId)).toMatchObject({ venue: "sim-b" });
  });

  it("orders.startParent with a venue works the parent there: its children go to that venue", async () => {
    desk = await openTestDesk({ engine: { venues: [sim("sim-a"), sim("sim-b")] } });
    const twap = { kind: "twap" as const, horizonSeconds: 3600, intervalSeconds: 900 };
    const started = await callerFor("trader").orders.startParent({ symbol: "BTC/USDT", side: "BUY", quantity: "0.04", algo: twap, venue: "sim-b" });
    const { parents } = await callerFor("viewer").orders.parents();
    const child = parents.find((p) => p.id === started.data?.parentId)!.children[0]!;
    const orders = (await callerFor("viewer").orders.list({ limit: 10 })).orders;
    expect(orders.find((o) => o.clientOrderId === child.clientOrderId)).toMatchObject({ venue: "sim-b" });
  });
});

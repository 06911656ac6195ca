import { afterEach, describe, expect, it } from "vitest";
import { makeInstrument } from "../../core/instrument";
import { SimVenue } from "../../venues/sim/sim-venue";
import { callerFor, ETH, openTestDesk, trpcError, type TestDesk } from "../../../test/desk-support";
import { RoutingTestVenue } from "../../../test/routing-venues";

let desk: TestDesk | null = null;
afterEach(async () => {
  await desk?.close();
  desk = null;
});

const btc = (takerFee: string) =>
  makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.001", minQty: "0.001", minNotional: "5", makerFee: takerFee, takerFee });

/** Two venues: a thin and cheap at the touch, b deeper with a lower fee. */
async function twoVenueDesk() {
  const venues = [
    new RoutingTestVenue(new SimVenue({ instruments: [btc("0.001"), ETH], initialBalances: { USDT: "100000" }, idPrefix: "a" }, { id: "sim-a" })),
    new RoutingTestVenue(new SimVenue({ instruments: [btc("0.0005"), ETH], initialBalances: { USDT: "100000" }, idPrefix: "b" }, { id: "sim-b" })),
  ];
  desk = await openTestDesk({ capital: "200000", engine: { venues } });
  await desk.engine.marketData({
    kind: "book",
    symbol: "BTC/USDT",
    venue: "sim-a",
    asks: [
      [20000, 0.2],
      [20040, 1],
    ],
    bids: [[19990, 1]],
  });
  await desk.engine.marketData({
    kind: "book",
    symbol: "BTC/USDT",
    venue: "sim-b",
    asks: [
      [20005, 0.3],
      [20030, 1],
    ],
    bids: [[19985, 1]],
  });
  return { desk, venues };
}

describe("orders.place with a route, and the decision in orders.detail", () => {
  it("splits over the venues' books and shows every venue's offer, the choice and the children in each child's detail", async () => {
    const { desk } = await twoVenueDesk();
    const placed = await callerFor("trader").orders.place({ symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.5", route: "split", reason: "size" });
    expect(placed.message).toMatch(/^BUY 0.5 BTC\/USDT routed \(split\): /);
    const routeId = String(placed.data?.routeId);
    const children = placed.data?.children as string[];
    expect(children).toHaveLength(2);
    for (const id of children) {
      const detail = await callerFor("viewer").orders.detail({ clientOrderId: id });
      expect(detail.order.routeId).toBe(routeId);
      expect(detail.route).toMatchObject({ routeId, mode: "split", status: "ROUTED", requestedQty: "0.5", routedQty: "0.5", refused: [], stopped: null });
      const round = detail.route!.rounds[0]!;
      expect(round.venues.map((v) => [v.venue, v.status, v.bestPrice, v.visibleQty, v.allocatedQty])).toEqual([
        ["sim-a", "allocated", "20000", "1.2", "0.2"],
        ["sim-b", "allocated", "20005", "1.3", "0.3"],
      ]);
      expect(round.venues[0]!.reason).toMatch(/^0.2 at avg 20000/);
      expect(round.children.map((c) => [c.venue, c.qty, c.status, c.filledQty])).toEqual([
        ["sim-a", "0.2", "FILLED", "0.2"],
        ["sim-b", "0.3", "FILLED", "0.3"],
      ]);
    }
    expect(await desk.tdb.client.auditLog.findFirst({ where: { action: "manual_order" } })).toMatchObject({ actor: "tina", result: "OK" });
  });

  it("an order sent to one venue by quoted price shows that choice; an unrouted order shows no route", async () => {
    const { desk } = await twoVenueDesk();
    void desk;
    const placed = await callerFor("trader").orders.place({ symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.01" });
    const detail = await callerFor("viewer").orders.detail({ clientOrderId: String(placed.data?.clientOrderId) });
    expect(detail.route).toBeNull();
    expect(detail.venueChoice).toMatch(/^Routed to sim-/);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["a route with a named venue", { route: "split", venue: "sim-a" }, "route is for an order without a venue: leave out venue, or route"],
    ["an unknown route", { route: "cheapest" }, "route must be split (over the venues' visible books) or best (whole to the single best venue)"],
  ])("refuses %s in words", async (_name, extra, message) => {
    await twoVenueDesk();
    const error = await trpcError(callerFor("trader").orders.place({ symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.5", ...extra }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain(message);
  });
});

/**
 * A smart-order route interrupted by a crash between saving its decision and placing its children: on restart the
 * children the gate journaled are followed as usual, those never journaled are recorded as not placed with the reason
 * and never re-sent (an operator re-submits), and the route is finished instead of showing ROUTING forever.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createMigratedDb } from "../../test/db";
import { RoutingTestVenue } from "../../test/routing-venues";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { makeInstrument } from "../core/instrument";
import { openSqliteStore } from "../db/sqlite-store";
import type { JournalEntry, Store } from "../db/store";
import { SimVenue } from "../venues/sim/sim-venue";
import { Engine } from "./engine";
import { RESTART_NOT_PLACED, type RouteData } from "./order-routes";
import type { Actor } from "./types";

const T0 = Date.UTC(2024, 0, 2, 12, 0, 0);
const trader: Actor = { username: "tina", role: "trader" };
const BTC = makeInstrument({
  symbol: "BTC/USDT",
  priceTick: "0.01",
  qtyStep: "0.001",
  minQty: "0.001",
  minNotional: "5",
  makerFee: "0.001",
  takerFee: "0.001",
});
/** Three thin books: a buy of 1.2 is split over all three. */
const BOOKS: Record<string, [number, number][]> = {
  "sim-a": [[20000, 0.4]],
  "sim-b": [[20001, 0.4]],
  "sim-c": [[20002, 0.4]],
};

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn();
});

function venues(): RoutingTestVenue[] {
  return Object.keys(BOOKS).map((id) => new RoutingTestVenue(new SimVenue({ instruments: [BTC], initialBalances: { USDT: "1000000" }, idPrefix: id }, { id })));
}

async function desk(store: Store, v: RoutingTestVenue[], clock: ManualClock, ids: string) {
  const engine = new Engine({
    venues: v,
    store,
    clock,
    ids: sequentialIds(ids),
    initialEquity: "3000000",
    breaker: null,
    protections: null,
    defaultSymbolSettings: { stopLossPct: null, takeProfitLevels: [], trailing: null },
  });
  const alerts: string[] = [];
  engine.bus.subscribe((e) => {
    if (e.type === "alert") alerts.push(e.message);
  });
  await engine.start();
  clock.advance(1000);
  await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 19990, ask: 20000 });
  for (const [venue, asks] of Object.entries(BOOKS)) await engine.marketData({ kind: "book", symbol: "BTC/USDT", venue, asks, bids: [[19990, 1]] });
  return { engine, alerts };
}

const submitted = (v: RoutingTestVenue[]) => v.flatMap((x) => x.submitted.map((s) => s.clientOrderId));

/** The SQLite file the engine writes, with a process that dies when the gate journals the route's child `dieAt`. */
function crashingStore(path: string, clock: ManualClock, dieAt: RegExp) {
  const store = openSqliteStore({ path, clock });
  const append = store.appendJournal.bind(store);
  store.appendJournal = (entry: JournalEntry) => {
    if (dieAt.test(entry.clientOrderId)) throw new Error("the process died");
    return append(entry);
  };
  return store;
}

describe("a route interrupted by a restart before its children were placed", () => {
  it.each([
    { case: "none journaled", dieAt: /^rte-1\.1$/, placedBefore: 0 },
    { case: "the first journaled", dieAt: /^rte-1\.2$/, placedBefore: 1 },
  ])("$case: journaled children are followed, the others recorded not placed, nothing re-sent", async ({ dieAt, placedBefore }) => {
    const dir = mkdtempSync(join(tmpdir(), "bastion-routes-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = createMigratedDb(dir);
    const clock = new ManualClock(T0);
    const v = venues();
    const firstStore = crashingStore(path, clock, dieAt);
    const first = await desk(firstStore, v, clock, "");
    await first.engine
      .execute({
        kind: "manualOrder",
        order: { symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "1.2", route: "split" },
        actor: trader,
        reason: null,
      })
      .catch(() => null);
    const before = firstStore.getOrderRoute("rte-1")!;
    expect(before.status).toBe("ROUTING"); // the decision was saved; the crash came while its children were placed
    expect((before.data as RouteData).rounds[0]!.children).toHaveLength(3);
    expect(submitted(v)).toHaveLength(placedBefore);
    firstStore.close(); // the process is gone

    const store = openSqliteStore({ path, clock });
    cleanups.push(() => store.close());
    const second = await desk(store, v, clock, "r2");
    const route = store.getOrderRoute("rte-1")!;
    const data = route.data as RouteData;
    const children = data.rounds[0]!.children;
    expect(children.map((c) => c.outcome)).toEqual(["sent", "sent", "sent"].map((o, i) => (i < placedBefore ? o : "refused")));
    for (const c of children.slice(placedBefore)) expect(c.reason).toBe(RESTART_NOT_PLACED);
    expect(data.stopped).toBe(RESTART_NOT_PLACED);
    expect(route.status).toBe(placedBefore === 0 ? "FAILED" : "PARTIAL");
    expect(route.routedQty.toString()).toBe(placedBefore === 0 ? "0" : children[0]!.qty);
    // Never re-sent: the venues saw only what left before the crash; an alert asks a person to re-submit.
    expect(submitted(v)).toHaveLength(placedBefore);
    expect(second.alerts.some((a) => a.includes(RESTART_NOT_PLACED) && a.includes("re-submit"))).toBe(true);
    // A journaled child is followed as usual: it filled at its venue and the position holds it.
    if (placedBefore > 0) {
      expect(store.getOrder(children[0]!.clientOrderId)!.order.status).toBe("FILLED");
      expect(second.engine.state().positions.map((p) => p.position.quantity.toString())).toEqual([children[0]!.qty]);
    }
    // Finished: a further restart has nothing to do.
    expect(store.loadOpenOrderRoutes()).toEqual([]);
  });

  it("every child journaled, the crash before the route's last save: finished as routed, no alert, nothing re-sent", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bastion-routes-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = createMigratedDb(dir);
    const clock = new ManualClock(T0);
    const v = venues();
    const firstStore = openSqliteStore({ path, clock });
    const save = firstStore.saveOrderRoute.bind(firstStore);
    firstStore.saveOrderRoute = (record) => {
      if (record.status !== "ROUTING") throw new Error("the process died");
      save(record);
    };
    const first = await desk(firstStore, v, clock, "");
    await first.engine
      .execute({
        kind: "manualOrder",
        order: { symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "1.2", route: "split" },
        actor: trader,
        reason: null,
      })
      .catch(() => null);
    expect(firstStore.getOrderRoute("rte-1")!.status).toBe("ROUTING");
    expect(submitted(v)).toHaveLength(3);
    firstStore.close();

    const store = openSqliteStore({ path, clock });
    cleanups.push(() => store.close());
    const second = await desk(store, v, clock, "r2");
    const route = store.getOrderRoute("rte-1")!;
    const data = route.data as RouteData;
    expect(data.rounds[0]!.children.map((c) => c.outcome)).toEqual(["sent", "sent", "sent"]);
    expect([route.status, route.routedQty.toString(), data.stopped]).toEqual(["ROUTED", "1.2", null]);
    expect(second.alerts.filter((a) => a.includes("rte-1"))).toEqual([]);
    expect(submitted(v)).toHaveLength(3);
  });
});

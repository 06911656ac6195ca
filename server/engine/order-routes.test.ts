import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { makeInstrument, type Instrument } from "../core/instrument";
import { D } from "../core/money";
import { MAX_BOOK_AGE_MS, routeOrder, type Level, type VenueBook } from "../core/algos/routing";
import { MemoryStore } from "../db/memory-store";
import { SimVenue } from "../venues/sim/sim-venue";
import { RoutingTestVenue } from "../../test/routing-venues";
import { Engine } from "./engine";
import type { RouteData } from "./order-routes";
import type { Actor, CommandResult, ManualOrderRequest } from "./types";

const T0 = Date.UTC(2024, 0, 2, 12, 0, 0);
const trader: Actor = { username: "tina", role: "trader" };
const btc = (takerFee: string): Instrument =>
  makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.001", minQty: "0.001", minNotional: "5", makerFee: takerFee, takerFee });

/** Three venues of different depth and fees: a is cheap at the touch and thin, b deep and dear, c cheap in fees. */
const VENUES: { id: string; fee: string; asks: [number, number][]; bids: [number, number][] }[] = [
  {
    id: "sim-a",
    fee: "0.001",
    asks: [
      [20000, 0.3],
      [20010, 0.5],
      [20050, 2],
    ],
    bids: [
      [19990, 0.4],
      [19980, 1],
    ],
  },
  {
    id: "sim-b",
    fee: "0.0026",
    asks: [
      [20001, 0.25],
      [20005, 1],
    ],
    bids: [
      [19995, 0.2],
      [19985, 2],
    ],
  },
  {
    id: "sim-c",
    fee: "0.0006",
    asks: [
      [20002, 0.15],
      [20003, 0.35],
      [20100, 5],
    ],
    bids: [
      [19989, 1],
      [19970, 1],
    ],
  },
];

async function desk(only = VENUES.map((v) => v.id), splitAboveNotional: string | null = null) {
  const clock = new ManualClock(T0);
  const store = new MemoryStore();
  const specs = VENUES.filter((v) => only.includes(v.id));
  const venues = specs.map(
    (v) => new RoutingTestVenue(new SimVenue({ instruments: [btc(v.fee)], initialBalances: { USDT: "1000000" }, idPrefix: v.id }, { id: v.id })),
  );
  const engine = new Engine({
    venues,
    store,
    clock,
    ids: sequentialIds(),
    initialEquity: String(1_000_000 * specs.length),
    breaker: null,
    protections: null,
    defaultSymbolSettings: {
      minConfidence: 0.5,
      sizing: { method: "fixed_fraction", fraction: 0.01 },
      stopLossPct: null,
      takeProfitLevels: [],
      trailing: null,
      ...(splitAboveNotional !== null && {
        execution: { orderTimeoutSeconds: 30, retryAttempts: 3, chaserEnd: "cancel", defaultAlgo: null, defaultAlgoAboveNotional: null, splitAboveNotional },
      }),
    },
  });
  await engine.start();
  clock.advance(1000);
  await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 19990, ask: 20000 });
  for (const v of specs) await engine.marketData({ kind: "book", symbol: "BTC/USDT", venue: v.id, asks: v.asks, bids: v.bids });
  const byId = new Map(venues.map((v) => [v.id, v]));
  return { engine, store, clock, venue: (id: string) => byId.get(id)!, specs };
}

type Desk = Awaited<ReturnType<typeof desk>>;

const order = (d: Desk, o: Partial<ManualOrderRequest> = {}): Promise<CommandResult> =>
  d.engine.execute({
    kind: "manualOrder",
    order: { symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "1.2", route: "split", ...o },
    actor: trader,
    reason: null,
  });

/** What routing.ts says over the same books (every venue up), venue → quantity. */
function expected(side: "BUY" | "SELL", qty: string, mode: "split" | "single", venues = VENUES): Record<string, string> {
  const lv = (levels: [number, number][]): Level[] => levels.map(([p, s]) => [D(p), D(s)] as const);
  const books: VenueBook[] = venues.map((v) => ({
    venue: v.id,
    asks: lv(v.asks),
    bids: lv(v.bids),
    takerFee: D(v.fee),
    minQty: D("0.001"),
    minNotional: D("5"),
  }));
  const decision = routeOrder({ side, qty: D(qty), qtyStep: D("0.001"), mode, limitPrice: null, venues: books });
  return Object.fromEntries(decision.allocations.map((a) => [a.venue, a.qty.toString()]));
}

function childrenOf(d: Desk, routeId: string) {
  return d.store
    .loadOrders({ onlyOpen: false })
    .filter((r) => r.order.tags.routeId === routeId)
    .map((r) => ({ venue: r.meta.venue, qty: r.order.quantity.toString(), status: r.order.status, id: r.order.clientOrderId }));
}

const routeOf = (d: Desk, result: CommandResult) => d.store.getOrderRoute(String(result.ok && result.data?.routeId))!;

describe("smart order routing in the engine", () => {
  it("splits a buy over three venues as routing.ts says, one filled child per venue, and records the decision", async () => {
    const d = await desk();
    const result = await order(d);
    expect(result).toMatchObject({ ok: true });
    const want = expected("BUY", "1.2", "split");
    expect(Object.keys(want).length).toBeGreaterThan(1); // the books make it a real split
    const route = routeOf(d, result);
    const children = childrenOf(d, route.id);
    expect(Object.fromEntries(children.map((c) => [c.venue, c.qty]))).toEqual(want);
    expect(children.every((c) => c.status === "FILLED")).toBe(true);
    // Each child filled at its own venue, from its own book.
    for (const c of children) expect(d.store.fillsForOrder(c.id).every((f) => f.venue === c.venue)).toBe(true);
    expect(route).toMatchObject({ mode: "split", status: "ROUTED", side: "BUY", symbol: "BTC/USDT" });
    expect(route.requestedQty.toString()).toBe("1.2");
    expect(route.routedQty.toString()).toBe("1.2");
    const data = route.data as RouteData;
    expect(data.rounds).toHaveLength(1);
    expect(data.rounds[0]!.summary).toMatch(/^split over \d venues: /);
    expect(data.rounds[0]!.venues.map((v) => [v.venue, v.status])).toEqual(VENUES.map((v) => [v.id, want[v.id] ? "allocated" : "unused"]));
    expect(data.rounds[0]!.venues.find((v) => v.venue === "sim-a")).toMatchObject({ bestPrice: "20000", visibleQty: "2.8", takerFee: "0.001" });
    expect(data.rounds[0]!.children.map((c) => c.outcome)).toEqual(children.map(() => "sent"));
  });

  it("best: the whole quantity to the single venue that fills it cheapest", async () => {
    const d = await desk();
    const result = await order(d, { route: "best", quantity: "0.5" });
    const want = expected("BUY", "0.5", "single");
    expect(Object.keys(want)).toHaveLength(1);
    const children = childrenOf(d, routeOf(d, result).id);
    expect(Object.fromEntries(children.map((c) => [c.venue, c.qty]))).toEqual(want);
  });

  it("a venue that refuses its child is skipped with the refusal and its share routed again over the others", async () => {
    const d = await desk();
    d.venue("sim-c").refuseWith = "Account has insufficient balance for requested action.";
    const alerts: string[] = [];
    d.engine.bus.subscribe((e) => {
      if (e.type === "alert") alerts.push(e.message);
    });
    const result = await order(d);
    expect(result).toMatchObject({ ok: true });
    const route = routeOf(d, result);
    const data = route.data as RouteData;
    expect(data.refused).toEqual([{ venue: "sim-c", reason: "Account has insufficient balance for requested action." }]);
    expect(data.rounds).toHaveLength(2);
    const cChild = data.rounds[0]!.children.find((c) => c.venue === "sim-c")!;
    expect(cChild).toMatchObject({ outcome: "refused", reason: "VENUE_REJECTED: Account has insufficient balance for requested action." });
    expect(data.rounds[1]!.cause).toContain(`sim-c refused ${cChild.clientOrderId}`);
    expect(data.rounds[1]!.qty).toBe(cChild.qty);
    const skipped = data.rounds[1]!.venues.find((v) => v.venue === "sim-c")!;
    expect(skipped.status).toBe("skipped");
    expect(skipped.reason).toBe("refused its order: Account has insufficient balance for requested action.");
    // Everything is placed and filled at a and b; c has only the refused child.
    const children = childrenOf(d, route.id);
    const filled = children.filter((c) => c.status === "FILLED");
    expect(filled.every((c) => c.venue !== "sim-c")).toBe(true);
    expect(filled.reduce((s, c) => s.plus(c.qty), D(0)).toString()).toBe("1.2");
    expect(children.filter((c) => c.venue === "sim-c").map((c) => c.status)).toEqual(["REJECTED"]);
    expect(route).toMatchObject({ status: "ROUTED" });
    expect(alerts).toEqual([
      `Route ${route.id} (BUY 1.2 BTC/USDT): sim-c refused ${cChild.clientOrderId} (Account has insufficient balance for requested action.); routed again.`,
    ]);
  });

  it("a venue that is down is skipped with its reason; the split uses the others", async () => {
    const d = await desk();
    d.venue("sim-a").down = true;
    const result = await order(d);
    const data = routeOf(d, result).data as RouteData;
    expect(data.rounds[0]!.venues[0]).toMatchObject({ venue: "sim-a", status: "skipped", reason: "down (sim-a is unreachable)" });
    const children = childrenOf(d, routeOf(d, result).id);
    expect(Object.fromEntries(children.map((c) => [c.venue, c.qty]))).toEqual(expected("BUY", "1.2", "split", VENUES.slice(1)));
    expect(d.venue("sim-a").submitted).toHaveLength(0);
  });

  it("a child a venue rejects later (as a real exchange answers) is routed again over the other venues", async () => {
    const d = await desk();
    d.venue("sim-c").holdSubmits = true;
    const result = await order(d);
    const route = routeOf(d, result);
    const bChild = (route.data as RouteData).rounds[0]!.children.find((c) => c.venue === "sim-c")!;
    expect(bChild.outcome).toBe("sent");
    d.clock.advance(50);
    d.venue("sim-c").push([{ clientOrderId: bChild.clientOrderId, event: { type: "reject", reason: "Margin is insufficient.", ts: d.clock.now() } }]);
    await d.engine.run(() => undefined); // the venue's answer joined the queue: wait for it
    const after = d.store.getOrderRoute(route.id)!;
    const data = after.data as RouteData;
    expect(data.refused).toEqual([{ venue: "sim-c", reason: "Margin is insufficient." }]);
    expect(data.rounds).toHaveLength(2);
    expect(data.rounds[0]!.children.find((c) => c.venue === "sim-c")).toMatchObject({ outcome: "refused", reason: "VENUE_REJECTED: Margin is insufficient." });
    expect(data.rounds[1]!.cause).toContain(`sim-c rejected ${bChild.clientOrderId}`);
    const filled = childrenOf(d, route.id).filter((c) => c.status === "FILLED");
    expect(filled.reduce((s, c) => s.plus(c.qty), D(0)).toString()).toBe("1.2");
    expect(filled.every((c) => c.venue !== "sim-c")).toBe(true);
    expect(after.status).toBe("ROUTED");
  });

  it("stops after MAX_ROUTE_ROUNDS and when no venue is left, saying so", async () => {
    const d = await desk(["sim-a", "sim-b"]);
    d.venue("sim-a").refuseWith = "a says no";
    d.venue("sim-b").refuseWith = "b says no";
    const result = await order(d);
    expect(result).toMatchObject({ ok: false, error: { code: "ROUTE_FAILED" } });
    const route = d.store.getOrderRoute(String(result.data?.routeId))!;
    const data = route.data as RouteData;
    expect(route.status).toBe("FAILED");
    expect(data.refused.map((r) => r.venue).sort()).toEqual(["sim-a", "sim-b"]);
    expect(data.stopped).toMatch(/^no other venue can take the/);
  });

  /** A fresh book at one venue (its spec's levels), on the desk's clock now. */
  const refresh = (d: Desk, id: string) => {
    const v = VENUES.find((x) => x.id === id)!;
    return d.engine.marketData({ kind: "book", symbol: "BTC/USDT", venue: id, asks: v.asks, bids: v.bids });
  };
  const STALE = `stale: its book is ${MAX_BOOK_AGE_MS + 1} ms old (the limit is ${MAX_BOOK_AGE_MS} ms)`;

  it("a venue whose book went stale is skipped and the decision says so; the fresh venue takes it all", async () => {
    const d = await desk(["sim-a", "sim-b"]);
    d.clock.advance(MAX_BOOK_AGE_MS + 1);
    await refresh(d, "sim-b");
    const result = await order(d);
    expect(result).toMatchObject({ ok: true });
    const data = routeOf(d, result).data as RouteData;
    expect(data.rounds[0]!.venues[0]).toMatchObject({ venue: "sim-a", status: "skipped", reason: STALE });
    expect(data.rounds[0]!.untrusted).toEqual([{ venue: "sim-a", kind: "stale", reason: STALE }]);
    const children = childrenOf(d, routeOf(d, result).id);
    expect(Object.fromEntries(children.map((c) => [c.venue, c.qty]))).toEqual(expected("BUY", "1.2", "split", [VENUES[1]!]));
    expect(d.venue("sim-a").submitted).toHaveLength(0);
    // Within the bound both are trusted again: no venue is left out of the decision.
    await refresh(d, "sim-a");
    const again = await order(d, { quantity: "0.2" });
    expect((routeOf(d, again).data as RouteData).rounds[0]!.untrusted).toBeUndefined();
  });

  it("refuses in one sentence when one venue is down and the other stale; nothing is sent or saved", async () => {
    const d = await desk(["sim-a", "sim-b"]);
    d.venue("sim-a").down = true;
    d.clock.advance(MAX_BOOK_AGE_MS + 1);
    const result = await order(d);
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: "NO_ROUTE",
        message: `No venue can be trusted with a BUY of 1.2 BTC/USDT right now, so nothing was routed: sim-a down (sim-a is unreachable); sim-b ${STALE}.`,
      },
    });
    expect(result.data?.untrusted).toEqual([
      { venue: "sim-a", kind: "down", reason: "down (sim-a is unreachable)" },
      { venue: "sim-b", kind: "stale", reason: STALE },
    ]);
    expect(d.store.loadOrders({ onlyOpen: false })).toHaveLength(0);
    expect(d.store.loadOpenOrderRoutes()).toEqual([]);
    expect(d.venue("sim-a").submitted.length + d.venue("sim-b").submitted.length).toBe(0);
  });

  it("a re-route after a later rejection skips a venue whose book has gone stale since the first round", async () => {
    const d = await desk();
    d.venue("sim-c").holdSubmits = true;
    const result = await order(d);
    const route = routeOf(d, result);
    const cChild = (route.data as RouteData).rounds[0]!.children.find((c) => c.venue === "sim-c")!;
    expect((route.data as RouteData).rounds[0]!.untrusted).toBeUndefined();
    d.clock.advance(MAX_BOOK_AGE_MS + 1);
    await refresh(d, "sim-a"); // sim-b has been silent since the first round
    const bSubmitted = d.venue("sim-b").submitted.length;
    d.venue("sim-c").push([{ clientOrderId: cChild.clientOrderId, event: { type: "reject", reason: "Margin is insufficient.", ts: d.clock.now() } }]);
    await d.engine.run(() => undefined);
    const data = d.store.getOrderRoute(route.id)!.data as RouteData;
    expect(data.rounds).toHaveLength(2);
    expect(data.rounds[1]!.untrusted).toEqual([{ venue: "sim-b", kind: "stale", reason: STALE }]);
    expect(data.rounds[1]!.children.map((c) => [c.venue, c.qty])).toEqual([["sim-a", cChild.qty]]);
    expect(d.venue("sim-b").submitted).toHaveLength(bSubmitted);
  });

  it("a route stopped because the only venue left went stale says so in its saved record", async () => {
    const d = await desk(["sim-a", "sim-b"]);
    d.venue("sim-b").holdSubmits = true;
    const result = await order(d);
    const route = routeOf(d, result);
    const bChild = (route.data as RouteData).rounds[0]!.children.find((c) => c.venue === "sim-b")!;
    d.clock.advance(MAX_BOOK_AGE_MS + 1);
    d.venue("sim-b").push([{ clientOrderId: bChild.clientOrderId, event: { type: "reject", reason: "Margin is insufficient.", ts: d.clock.now() } }]);
    await d.engine.run(() => undefined);
    const data = d.store.getOrderRoute(route.id)!.data as RouteData;
    expect(data.rounds).toHaveLength(1);
    expect(data.stopped).toBe(`no other venue can take the ${bChild.qty} sim-b rejected (no venue can take any of the quantity; not trusted: sim-a ${STALE})`);
  });

  it.each<[string, (d: Desk) => void, Partial<ManualOrderRequest>, string]>([
    ["no venue shows a book", (d) => d.specs.forEach((v) => (d.venue(v.id).hideBook = true)), {}, "NO_VISIBLE_BOOK"],
    ["every venue is down (not a missing book)", (d) => d.specs.forEach((v) => (d.venue(v.id).down = true)), {}, "NO_ROUTE"],
    ["a stop order is not routed", () => undefined, { type: "STOP_MARKET", triggerPrice: "21000" }, "ROUTE_NOT_SUPPORTED"],
  ])("refuses in words: %s", async (_name, arrange, over, code) => {
    const d = await desk();
    arrange(d);
    d.clock.advance(1000);
    await d.engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 19990, ask: 20000 }); // no sizes: no cached depth either
    const result = await order(d, over);
    expect(result).toMatchObject({ ok: false, error: { code } });
    expect(d.store.loadOrders({ onlyOpen: false })).toHaveLength(0);
  });

  it("a signal may ask for a split: its sized entry is routed, each child an entry of the strategy", async () => {
    const d = await desk();
    const result = await d.engine.execute({
      kind: "signal",
      signal: { id: "sig-r1", symbol: "BTC/USDT", action: "BUY", confidence: 0.9, strategy: "momo", ts: d.clock.now(), route: "split" },
      source: "test",
    });
    expect(result).toMatchObject({ ok: true });
    expect(typeof result.data?.routeId).toBe("string");
    const route = routeOf(d, result);
    const children = d.store.loadOrders({ onlyOpen: false }).filter((r) => r.order.tags.routeId === route.id);
    expect(children.length).toBeGreaterThan(0);
    expect(children.every((r) => r.order.tags.strategy === "momo" && r.order.tags.signalId === "sig-r1")).toBe(true);
    expect(d.store.getSignal("sig-r1")).toMatchObject({ status: "ACCEPTED", clientOrderId: children[0]!.order.clientOrderId });
  });

  it("a LIMIT routes only the levels within its price; every child rests at that price for what the book did not show", async () => {
    const d = await desk();
    // Within 20003: a 0.3 at 20000, b 0.25 at 20001, c 0.15 + 0.35 at 20002/20003 — 1.05 visible of the 1.2 asked.
    const result = await order(d, { type: "LIMIT", price: "20003" });
    const route = routeOf(d, result);
    expect(route).toMatchObject({ status: "PARTIAL" });
    expect(route.routedQty.toString()).toBe("1.05");
    const data = route.data as RouteData;
    expect(data.rounds[0]!.unroutedQty).toBe("0.15");
    expect(data.rounds[0]!.venues.map((v) => [v.venue, v.visibleQty])).toEqual([
      ["sim-a", "0.3"],
      ["sim-b", "0.25"],
      ["sim-c", "0.5"],
    ]);
    const children = d.store.loadOrders({ onlyOpen: false }).filter((r) => r.order.tags.routeId === route.id);
    expect(children.every((r) => r.order.type === "LIMIT" && r.order.price?.toString() === "20003")).toBe(true);
    expect(Object.fromEntries(children.map((r) => [r.meta.venue, r.order.quantity.toString()]))).toEqual({ "sim-a": "0.3", "sim-b": "0.25", "sim-c": "0.5" });
    expect(result).toMatchObject({ ok: true, message: expect.stringContaining("0.15 not routed") as unknown });
  });

  it.each<[string, string, boolean, string | null]>([
    ["above the symbol's splitAboveNotional: split by default", "1000", true, "split"],
    ["below it: one venue by quoted price, as before", "100000000", true, null],
    ["above it but no venue shows a book: one venue by quoted price", "1000", false, null],
  ])("a signal without a route, %s", async (_name, above, books, mode) => {
    const d = await desk(undefined, above);
    if (!books) {
      d.specs.forEach((v) => (d.venue(v.id).hideBook = true));
      d.clock.advance(1000);
      await d.engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 19990, ask: 20000 });
    }
    const result = await d.engine.execute({
      kind: "signal",
      signal: { id: `sig-${above}-${books}`, symbol: "BTC/USDT", action: "BUY", confidence: 0.9, strategy: "momo", ts: d.clock.now() },
      source: "test",
    });
    expect(result).toMatchObject({ ok: true });
    const entry = d.store.getOrder(String(result.data?.clientOrderId))!;
    expect(entry.order.tags.routeId !== undefined).toBe(mode !== null);
    if (mode) expect(d.store.getOrderRoute(entry.order.tags.routeId!)).toMatchObject({ mode });
    else expect(entry.order.tags.route).toMatch(/^Routed to sim-/);
  });
});

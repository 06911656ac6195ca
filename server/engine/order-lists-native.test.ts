/**
 * OCO lists native and emulated, one behaviour: the same OCO placed through the engine on the Binance test server (ccxt,
 * one native `POST /api/v3/orderList/oco`; the exchange expires the other leg) and on the simulator (emulated by the
 * engine) ends the same way — one leg executes, the other ends unfilled, the position closes, the list is DONE — and the
 * books say which way it ran and agree with the venue. A lost answer on the list's creation puts both legs in doubt;
 * they are found by their ids, never sent twice. OTO lists likewise: the same outcome natively (one
 * `POST /api/v3/orderList/oto`, the exchange places the secondary on the primary's full fill) and emulated, the shapes
 * that stay emulated on Binance said by the books, and a lost answer settled by lookups. Waits are on conditions (the exchange is polled), never fixed sleeps.
 */
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { timeOrderedIds } from "../core/ids";
import { makeInstrument } from "../core/instrument";
import type { MarketUpdate } from "../core/market-data";
import { D, isPositive } from "../core/money";
import { isTerminal } from "../core/orders";
import { seededRng } from "../core/rng";
import { MemoryStore } from "../db/memory-store";
import { openSqliteStore } from "../db/sqlite-store";
import type { Store, StoreHistory } from "../db/store";
import { createMigratedDb } from "../../test/db";
import { BinanceTestServer, type FaultKind } from "../../test/binance-test-server";
import { liveExchangesFor } from "../../test/binance-test-server/live-exchange";
import { CcxtVenue } from "../venues/ccxt/ccxt-venue";
import { SimVenue } from "../venues/sim/sim-venue";
import type { Venue } from "../venues/venue";
import { Engine } from "./engine";
import { ResilientVenue } from "./resilient-venue";
import type { Actor } from "./types";

const trader: Actor = { username: "tina", role: "trader" };
const clock = { now: () => Date.now() };
const BTC = makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.00001", minNotional: "5", makerFee: "0.001", takerFee: "0.001" });

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

interface Desk {
  execution: "native" | "emulated";
  engine: Engine;
  store: Store & StoreHistory;
  close(): Promise<void>;
  /** The market moves: the venue sees it, then the engine. */
  move(updates: MarketUpdate[]): Promise<void>;
  /** One round of the venue's news reaching the engine (a real exchange is polled). */
  tick(): Promise<void>;
  /** Open orders at the venue. */
  venueOpenOrders(): Promise<number>;
  /** The status the venue shows for an order of ours. */
  venueStatus(clientOrderId: string): Promise<string | null>;
  server: BinanceTestServer | null;
}

function resilient(venue: Venue): ResilientVenue {
  return new ResilientVenue(venue, {
    ratePerSecond: 100,
    burst: 100,
    maxAttempts: 4,
    baseDelayMs: 20,
    maxDelayMs: 200,
    now: () => Date.now(),
    timers: { setTimeout: (fn, ms) => setTimeout(fn, ms) },
    rng: seededRng(1),
  });
}

async function engineOn<S extends Store & StoreHistory = MemoryStore>(venue: Venue, given?: S): Promise<{ engine: Engine; store: S }> {
  const store = given ?? (new MemoryStore() as unknown as S);
  const engine = new Engine({
    venue,
    store,
    clock,
    ids: timeOrderedIds(() => Date.now(), seededRng(2).next),
    initialEquity: "100000",
    breaker: { maxOrdersPerMinute: 1_000, maxOrdersPerHour: 10_000 },
    riskLimits: { maxOpenPositions: 10, maxPortfolioExposurePct: 100, minNotional: "5", maxOrdersPerMinute: 1_000, maxSymbolExposurePct: 100 },
    inDoubtPolicy: { firstDelayMs: 100, factor: 2, maxDelayMs: 400, alertAfterLookups: 5 },
  });
  await engine.start();
  return { engine, store };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A desk on the Binance test server; `reuse`: a restart (the same exchange and books, a new process's engine and venue). */
async function binanceDesk(reuse?: { server: BinanceTestServer; store: Store & StoreHistory }): Promise<Desk> {
  const server = reuse?.server ?? (await BinanceTestServer.start({ symbols: ["BTC/USDT"] }));
  if (!reuse) closers.push(() => server.close());
  const { exchange, emergency } = liveExchangesFor(server.url, { timeoutMs: 2_000 });
  const ccxt = await CcxtVenue.open({ exchange, emergencyExchange: emergency, symbols: ["BTC/USDT"], clock, pollIntervalMs: 0 });
  const venue = resilient(ccxt);
  closers.push(() => venue.close());
  const { engine, store } = await engineOn(venue, reuse?.store);
  const push = (u: MarketUpdate): void => {
    if (u.kind === "quote") server.pushQuote("BTCUSDT", u.bid, u.ask, 50, 50);
    else if (u.kind === "trade") server.pushTrade("BTCUSDT", u.price, u.qty ?? 0.01, u.aggressor);
  };
  const tick = async () => {
    await ccxt.pollOnce();
    await ccxt.idle();
    await engine.run(() => undefined);
    await pause(5);
  };
  return {
    execution: "native",
    engine,
    store,
    server,
    async move(updates) {
      for (const u of updates) {
        push(u);
        await engine.marketData(u);
      }
      await tick();
    },
    tick,
    venueOpenOrders: () => Promise.resolve(server.account.openOrderCount()),
    close: () => venue.close(),
    venueStatus: async (id) => (await ccxt.fetchOrder(id))?.status ?? null,
  };
}

async function simDesk(): Promise<Desk> {
  const sim = new SimVenue({ instruments: [BTC], initialBalances: { USDT: "100000" } });
  const { engine, store } = await engineOn(sim);
  closers.push(() => sim.close());
  return {
    execution: "emulated",
    engine,
    store,
    server: null,
    async move(updates) {
      for (const u of updates) await engine.marketData(u);
    },
    tick: async () => {
      await pause(5);
    },
    venueOpenOrders: async () => (await sim.fetchOpenOrders()).length,
    close: () => sim.close(),
    venueStatus: async (id) => (await sim.fetchOrder(id))?.status ?? null,
  };
}

async function until<T>(desk: Desk, what: string, probe: () => T | null | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await desk.tick();
  }
}

const quote = (bid: number, ask: number): MarketUpdate => ({ kind: "quote", symbol: "BTC/USDT", bid, ask });
const trade = (price: number, aggressor: "BUY" | "SELL"): MarketUpdate => ({ kind: "trade", symbol: "BTC/USDT", price, qty: 1, aggressor });

/**
 * A long of 0.5 BTC, then its OCO exit: take-profit LIMIT 30 200 / stop-loss STOP_LIMIT 29 800 → 29 750 (inside the
 * default exit rules' 2 % levels and 1.5 % trailing activation, which would otherwise close the position first).
 */
async function longWithOco(desk: Desk): Promise<{ listId: string; takeProfit: string; stopLoss: string; execution: unknown }> {
  await desk.move([quote(30_000, 30_000.5), trade(30_000, "BUY")]);
  const bought = await desk.engine.execute({
    kind: "manualOrder",
    order: { symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.5" },
    actor: trader,
    reason: null,
  });
  expect(bought).toMatchObject({ ok: true });
  await until(desk, "the long", () => desk.engine.state().positions.find((p) => p.position.quantity.equals(D("0.5"))));
  const placed = await desk.engine.execute({
    kind: "placeOrderList",
    list: {
      kind: "OCO",
      first: { symbol: "BTC/USDT", side: "SELL", type: "LIMIT", quantity: "0.5", price: "30200" },
      second: { symbol: "BTC/USDT", side: "SELL", type: "STOP_LIMIT", quantity: "0.5", triggerPrice: "29800", price: "29750" },
    },
    actor: trader,
    reason: null,
  });
  expect(placed).toMatchObject({ ok: true });
  const data = placed.ok
    ? (placed.data as { listId: string; clientOrderIds: string[]; execution: unknown })
    : { listId: "", clientOrderIds: [], execution: null };
  return { listId: data.listId, takeProfit: data.clientOrderIds[0]!, stopLoss: data.clientOrderIds[1]!, execution: data.execution };
}

const DESKS: [string, () => Promise<Desk>][] = [
  ["Binance (native order list)", binanceDesk],
  ["the simulator (emulated by the engine)", simDesk],
];

describe("an OCO behaves the same natively and emulated; the books say which", () => {
  it.each(
    DESKS.flatMap(([name, make]) => [
      [name, "the take-profit fills", [quote(30_200, 30_201), trade(30_201, "BUY")], "takeProfit", make] as const,
      [name, "the stop triggers", [quote(29_760, 29_770), trade(29_760, "SELL"), trade(29_760, "SELL")], "stopLoss", make] as const,
    ]),
  )("%s: %s", async (_name, _case, moves, executedLeg, make) => {
    const desk = await make();
    const oco = await longWithOco(desk);
    expect(oco.execution).toBe(desk.execution);
    const list = () => desk.engine.orderLists({ all: true }).find((l) => l.listId === oco.listId);
    expect(list()).toMatchObject({ execution: desk.execution, mode: desk.execution === "native" ? "NATIVE" : "EMULATED", status: "WORKING" });
    await until(desk, "the legs working", () => list()?.legs.every((l) => l.order && ["ACCEPTED", "EMULATED"].includes(l.order.status)));
    if (desk.server) {
      expect(desk.server.requests("POST /api/v3/orderList/oco")).toHaveLength(1); // one request for the pair
      expect(desk.server.requests("POST /api/v3/order")).toHaveLength(1); // the entry only
      expect(await desk.venueOpenOrders()).toBe(2);
    }

    await desk.move([...moves]);
    await until(desk, "the list done", () => list()?.status === "DONE", 5_000).catch((e: unknown) => {
      throw new Error(
        `${String(e)}: legs ${JSON.stringify(list()?.legs.map((l) => [l.role, l.order?.status, l.order?.filledQty.toString(), l.order?.reason]))}`,
      );
    });
    const executed = executedLeg === "takeProfit" ? oco.takeProfit : oco.stopLoss;
    const other = executedLeg === "takeProfit" ? oco.stopLoss : oco.takeProfit;
    const orders = Object.fromEntries(list()!.legs.map((l) => [l.clientOrderId, l.order!]));
    expect(orders[executed]).toMatchObject({ status: "FILLED" });
    expect(orders[executed]!.filledQty.toString()).toBe("0.5");
    expect(isTerminal(orders[other]!) && !isPositive(orders[other]!.filledQty)).toBe(true);
    expect(list()).toMatchObject({ execution: desk.execution, endReason: "executed" });
    expect(desk.engine.state().positions.filter((p) => !p.position.quantity.isZero())).toEqual([]);
    expect(
      desk.store
        .fillsForOrder(executed)
        .reduce((sum, f) => sum.plus(f.qty), D(0))
        .toString(),
    ).toBe("0.5");

    // The books agree with the venue: nothing open there, each leg as the books have it, and the other leg's end was no drift.
    await desk.engine.reconcile({ graceMs: 0 });
    expect(await desk.venueOpenOrders()).toBe(0);
    expect(await desk.venueStatus(executed)).toBe("FILLED");
    // (An emulated stop never reached the venue: the engine held it, so the venue knows nothing of it.)
    expect(await desk.venueStatus(other)).toBe(orders[other]!.venueOrderId === null ? null : orders[other]!.status);
    // The exchange ended the other leg itself: the engine never sent a cancel for it (nor anything else twice).
    if (desk.server) expect(desk.server.requests("DELETE /api/v3/order")).toEqual([]);
    const legDrifts = desk.store.listDrifts().filter((d) => [executed, other].includes(d.subject));
    expect(legDrifts).toEqual([]);
  });
});

describe("a native OCO whose creation answer is lost", () => {
  it.each<[FaultKind, number | undefined]>([
    ["dropResponse", undefined],
    ["statusUnknown", 300],
  ])("%s: both legs in doubt, found by their ids, the list never sent twice", async (fault, delayMs) => {
    const desk = await binanceDesk();
    desk.server!.addFault({ endpoint: "POST /api/v3/orderList/oco", kind: fault, ...(delayMs !== undefined && { delayMs }) });
    const oco = await longWithOco(desk);
    expect(oco.execution).toBe("native");
    const legs = [oco.takeProfit, oco.stopLoss];
    await until(desk, "both legs in doubt", () => legs.every((id) => desk.engine.state().inDoubt.some((m) => m.clientOrderId === id)));
    await until(desk, "both legs found working", () => legs.every((id) => desk.store.getOrder(id)?.order.status === "ACCEPTED"));
    await until(desk, "the doubt settled", () => desk.engine.state().inDoubt.length === 0);
    expect(desk.server!.requests("POST /api/v3/orderList/oco")).toHaveLength(1);
    expect(desk.server!.account.allOrders().filter((o) => legs.includes(o.clientOrderId))).toHaveLength(2);
    expect(await desk.venueOpenOrders()).toBe(2);

    // It then works as any native list: the take-profit fills, the exchange expires the stop, the books follow.
    await desk.move([quote(30_200, 30_201), trade(30_201, "BUY")]);
    await until(desk, "the list done", () => desk.engine.orderLists({ all: true }).find((l) => l.listId === oco.listId)?.status === "DONE");
    expect(desk.store.getOrder(oco.stopLoss)?.order.status).toBe("EXPIRED");
    expect(desk.engine.state().positions.filter((p) => !p.position.quantity.isZero())).toEqual([]);
    expect(desk.server!.requests("POST /api/v3/orderList/oco")).toHaveLength(1);
  });
});

describe("a bracket's exits, and a person's cancel, natively and emulated", () => {
  it.each(DESKS)("%s: a market entry fills whole, its stop-loss + take-profit go out as one pair, the take-profit ends the trade", async (_name, make) => {
    const desk = await make();
    await desk.move([quote(30_000, 30_000.5), trade(30_000, "BUY")]);
    const placed = await desk.engine.execute({
      kind: "placeOrderList",
      list: {
        kind: "BRACKET",
        entry: { symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.5" },
        stopLoss: { type: "STOP_LIMIT", triggerPrice: "29800", price: "29750" },
        takeProfit: { type: "LIMIT", price: "30200" },
      },
      actor: trader,
      reason: null,
    });
    expect(placed).toMatchObject({ ok: true });
    const listId = placed.ok ? String(placed.data?.listId) : "";
    const list = () => desk.engine.orderLists({ all: true }).find((l) => l.listId === listId);
    await until(desk, "the exits working", () =>
      list()
        ?.legs.slice(1)
        .every((l) => l.order && ["ACCEPTED", "EMULATED"].includes(l.order.status)),
    );
    expect(list()?.execution).toBe(desk.execution);
    if (desk.server) expect(desk.server.requests("POST /api/v3/orderList/oco")).toHaveLength(1);
    await desk.move([quote(30_200, 30_201), trade(30_201, "BUY")]);
    await until(desk, "the bracket done", () => list()?.status === "DONE");
    const [, stopLoss, takeProfit] = list()!.legs;
    expect(takeProfit!.order).toMatchObject({ status: "FILLED" });
    expect(isTerminal(stopLoss!.order!) && !isPositive(stopLoss!.order!.filledQty)).toBe(true);
    expect(desk.engine.state().positions.filter((p) => !p.position.quantity.isZero())).toEqual([]);
    expect(await desk.venueOpenOrders()).toBe(0);
  });

  it.each(DESKS)("%s: canceling the list ends both legs (natively: one cancel, the venue ends the other); a native leg is not amended", async (_name, make) => {
    const desk = await make();
    const oco = await longWithOco(desk);
    const list = () => desk.engine.orderLists({ all: true }).find((l) => l.listId === oco.listId);
    await until(desk, "the legs working", () => list()?.legs.every((l) => l.order && ["ACCEPTED", "EMULATED"].includes(l.order.status)));
    const amended = await desk.engine.execute({ kind: "modifyOrder", clientOrderId: oco.takeProfit, price: "30300", actor: trader, reason: null });
    if (desk.execution === "native") expect(amended).toMatchObject({ ok: false, error: { code: "NATIVE_LIST_LEG" } });
    else expect(amended).toMatchObject({ ok: true });
    const canceled = await desk.engine.execute({ kind: "cancelOrderList", listId: oco.listId, actor: trader, reason: null });
    expect(canceled).toMatchObject({ ok: true });
    await until(desk, "the list canceled", () => list()?.status === "CANCELED");
    expect(list()?.legs.map((l) => l.order?.status)).toEqual(["CANCELED", "CANCELED"]);
    expect(await desk.venueOpenOrders()).toBe(0);
    if (desk.server) expect(desk.server.requests("DELETE /api/v3/order")).toHaveLength(1);
    expect(
      desk.engine
        .state()
        .positions.find((p) => !p.position.quantity.isZero())
        ?.position.quantity.toString(),
    ).toBe("0.5");
  });
});

describe("a native list found ended by reconciliation", () => {
  it("the venue's expiry of the other leg is booked without a drift (the executed leg's fill, unreported, is a missed fill)", async () => {
    const desk = await binanceDesk();
    const oco = await longWithOco(desk);
    await until(desk, "the legs working", () => [oco.takeProfit, oco.stopLoss].every((id) => desk.store.getOrder(id)?.order.status === "ACCEPTED"));
    // The market moves at the exchange only: no poll reports it, reconciliation finds it.
    desk.server!.pushQuote("BTCUSDT", 30_200, 30_201, 50, 50);
    desk.server!.pushTrade("BTCUSDT", 30_201, 1, "BUY");
    await desk.engine.reconcile({ graceMs: 0 });
    expect(desk.store.getOrder(oco.takeProfit)?.order.status).toBe("FILLED");
    expect(desk.store.getOrder(oco.stopLoss)?.order.status).toBe("EXPIRED");
    expect(desk.engine.orderLists({ all: true }).find((l) => l.listId === oco.listId)?.status).toBe("DONE");
    const drifts = desk.store.listDrifts();
    expect(drifts.filter((d) => d.subject === oco.stopLoss)).toEqual([]);
    expect(drifts.filter((d) => d.subject === oco.takeProfit).map((d) => d.kind)).toEqual(["MISSED_FILL"]);
  });
});

describe("the emergency stop with an OCO working", () => {
  it.each(DESKS)("%s: both legs canceled, the position flattened, nothing left at the venue", async (_name, make) => {
    const desk = await make();
    const oco = await longWithOco(desk);
    const list = () => desk.engine.orderLists({ all: true }).find((l) => l.listId === oco.listId);
    await until(desk, "the legs working", () => list()?.legs.every((l) => l.order && ["ACCEPTED", "EMULATED"].includes(l.order.status)));
    expect(await desk.engine.execute({ kind: "emergencyStop", flatten: true, actor: trader, reason: "drill" })).toMatchObject({ ok: true });
    await until(desk, "the list ended", () => list()?.status === "CANCELED");
    await until(desk, "flat", () => desk.engine.state().positions.every((p) => p.position.quantity.isZero()));
    expect(list()?.legs.map((l) => l.order?.status)).toEqual(["CANCELED", "CANCELED"]);
    expect(list()?.endReason).toBe("ended by the halt");
    expect(await desk.venueOpenOrders()).toBe(0);
  });
});

describe("a native list across a restart", () => {
  it("comes back native from the books, and still ends by the venue's events (no engine cancel, no drift)", async () => {
    const path = createMigratedDb();
    closers.push(() => Promise.resolve(rmSync(dirname(path), { recursive: true, force: true })));
    const server = await BinanceTestServer.start({ symbols: ["BTC/USDT"] });
    closers.push(() => server.close());
    const before = await binanceDesk({ server, store: openSqliteStore({ path, clock }) });
    const oco = await longWithOco(before);
    await until(before, "the legs working", () => [oco.takeProfit, oco.stopLoss].every((id) => before.store.getOrder(id)?.order.status === "ACCEPTED"));
    await before.close();

    const after = await binanceDesk({ server, store: openSqliteStore({ path, clock }) });
    const list = () => after.engine.orderLists({ all: true }).find((l) => l.listId === oco.listId);
    expect(list()).toMatchObject({ execution: "native", status: "WORKING" });
    await after.move([quote(30_200, 30_201), trade(30_201, "BUY")]);
    await until(after, "the list done", () => list()?.status === "DONE");
    expect(after.store.getOrder(oco.takeProfit)?.order.status).toBe("FILLED");
    expect(after.store.getOrder(oco.stopLoss)?.order.status).toBe("EXPIRED");
    expect(server.requests("DELETE /api/v3/order")).toEqual([]);
    expect(server.requests("POST /api/v3/orderList/oco")).toHaveLength(1);
    expect(after.store.listDrifts().filter((d) => d.subject === oco.stopLoss)).toEqual([]);
  });
});

type OtoShape = "buy more, then sell" | "sell, then buy back" | "buy, then sell";

/**
 * An OTO of 0.5 BTC at 29 900 / 30 200. "buy more, then sell": from a long of 0.5, buy 0.5 more, then sell 0.5 — both
 * orders pass the gate now and the primary reduces nothing, so Binance holds it natively. "sell, then buy back": the
 * primary closes the long, so the secondary is booked only after it (emulated everywhere). "buy, then sell": from flat,
 * the sell cannot pass the gate on spot before the buy has filled (emulated everywhere).
 */
async function placeOto(desk: Desk, shape: OtoShape): Promise<{ listId: string; primary: string; secondary: string; execution: unknown }> {
  await desk.move([quote(30_000, 30_000.5), trade(30_000, "BUY")]);
  if (shape !== "buy, then sell") {
    const bought = await desk.engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.5" },
      actor: trader,
      reason: null,
    });
    expect(bought).toMatchObject({ ok: true });
    await until(desk, "the long", () => desk.engine.state().positions.find((p) => p.position.quantity.equals(D("0.5"))));
  }
  const [first, second] = shape === "sell, then buy back" ? (["SELL", "BUY"] as const) : (["BUY", "SELL"] as const);
  const placed = await desk.engine.execute({
    kind: "placeOrderList",
    list: {
      kind: "OTO",
      primary: { symbol: "BTC/USDT", side: first, type: "LIMIT", quantity: "0.5", price: first === "SELL" ? "30200" : "29900" },
      secondary: { symbol: "BTC/USDT", side: second, type: "LIMIT", quantity: "0.5", price: second === "SELL" ? "30200" : "29900" },
    },
    actor: trader,
    reason: null,
  });
  if (!placed.ok) throw new Error(JSON.stringify(placed));
  const data = placed.data as { listId: string; clientOrderIds: string[]; execution: unknown };
  return { listId: data.listId, primary: data.clientOrderIds[0]!, secondary: data.clientOrderIds[1]!, execution: data.execution };
}

const filledQty = (desk: Desk, id: string): string => desk.store.getOrder(id)?.order.filledQty.toString() ?? "0";
const up: MarketUpdate[] = [quote(30_200, 30_201), trade(30_201, "BUY")];
const down: MarketUpdate[] = [quote(29_890, 29_900), trade(29_899, "SELL")];

describe("an OTO behaves the same natively and emulated; the books say which", () => {
  it.each(
    DESKS.flatMap(([name, make]) =>
      (["buy more, then sell", "sell, then buy back", "buy, then sell"] as const).map((shape) => {
        const native = name.startsWith("Binance") && shape === "buy more, then sell";
        return [name, shape, native ? "native" : "emulated", make] as const;
      }),
    ),
  )("%s, %s: %s; the secondary executes only after the primary has filled", async (_name, shape, execution, make) => {
    const desk = await make();
    const oto = await placeOto(desk, shape);
    expect(oto.execution).toBe(execution);
    const list = () => desk.engine.orderLists({ all: true }).find((l) => l.listId === oto.listId);
    expect(list()).toMatchObject({ kind: "OTO", execution, status: "WORKING" });
    await until(desk, "the primary working", () => desk.store.getOrder(oto.primary)?.order.status === "ACCEPTED");
    if (desk.server) {
      expect(desk.server.requests("POST /api/v3/orderList/oto")).toHaveLength(execution === "native" ? 1 : 0); // one request for both orders
      // The long's market buy, if any, and emulated the primary (the secondary goes once it fills); natively nothing more.
      expect(desk.server.requests("POST /api/v3/order").length).toBe(execution === "native" ? 1 : shape === "buy, then sell" ? 1 : 2);
    }
    const [primaryMove, secondaryMove] = shape === "sell, then buy back" ? [up, down] : [down, up];
    // The secondary's price trades first: nothing executes (natively it waits at the venue, emulated it is not sent).
    await desk.move(secondaryMove);
    await desk.tick();
    expect([filledQty(desk, oto.primary), filledQty(desk, oto.secondary)]).toEqual(["0", "0"]);
    // The primary fills; the secondary then works, and executes when its price trades.
    await desk.move(primaryMove);
    await until(desk, "the primary filled", () => desk.store.getOrder(oto.primary)?.order.status === "FILLED");
    await until(desk, "the secondary working", () => desk.store.getOrder(oto.secondary)?.order.status === "ACCEPTED", 3_000).catch((e: unknown) => {
      throw new Error(`${String(e)}: ${JSON.stringify(desk.store.getOrder(oto.secondary)?.order)}`);
    });
    await desk.move(secondaryMove);
    await until(desk, "the list done", () => list()?.status === "DONE").catch((e: unknown) => {
      throw new Error(
        `${String(e)}: legs ${JSON.stringify(list()?.legs.map((l) => [l.role, l.order?.status, l.order?.filledQty.toString(), l.order?.reason]))}`,
      );
    });
    expect([filledQty(desk, oto.primary), filledQty(desk, oto.secondary)]).toEqual(["0.5", "0.5"]);
    expect(list()).toMatchObject({ execution, endReason: "executed" });
    const held = desk.engine.state().positions.reduce((sum, p) => sum.plus(p.position.quantity), D(0));
    expect(held.toString()).toBe(shape === "buy, then sell" ? "0" : "0.5");

    await desk.engine.reconcile({ graceMs: 0 });
    expect(await desk.venueOpenOrders()).toBe(0);
    expect([await desk.venueStatus(oto.primary), await desk.venueStatus(oto.secondary)]).toEqual(["FILLED", "FILLED"]);
    expect(desk.store.listDrifts().filter((d) => [oto.primary, oto.secondary].includes(d.subject))).toEqual([]);
  });

  it.each(DESKS)("%s: canceling the list before the primary fills ends it, nothing left at the venue", async (_name, make) => {
    const desk = await make();
    const oto = await placeOto(desk, "buy more, then sell");
    const list = () => desk.engine.orderLists({ all: true }).find((l) => l.listId === oto.listId);
    await until(desk, "the primary working", () => desk.store.getOrder(oto.primary)?.order.status === "ACCEPTED");
    expect(await desk.engine.execute({ kind: "cancelOrderList", listId: oto.listId, actor: trader, reason: null })).toMatchObject({ ok: true });
    await until(desk, "the list canceled", () => list()?.status === "CANCELED");
    expect(await desk.venueOpenOrders()).toBe(0);
    expect(desk.store.getOrder(oto.primary)?.order.status).toBe("CANCELED");
    // Natively the venue ended the pending order with the list (one cancel sent); emulated it was never sent.
    if (desk.server) {
      await until(desk, "the secondary canceled", () => desk.store.getOrder(oto.secondary)?.order.status === "CANCELED");
      expect(desk.server.requests("DELETE /api/v3/order")).toHaveLength(1);
      await desk.engine.reconcile({ graceMs: 0 });
      expect(desk.store.listDrifts().filter((d) => [oto.primary, oto.secondary].includes(d.subject))).toEqual([]);
    } else expect(desk.store.getOrder(oto.secondary)).toBeNull();
  });
});

describe("a native OTO whose creation answer is lost", () => {
  it.each<[FaultKind, number | undefined]>([
    ["dropResponse", undefined],
    ["statusUnknown", 300],
  ])("%s: both orders in doubt, found by their ids, the list never sent twice", async (fault, delayMs) => {
    const desk = await binanceDesk();
    desk.server!.addFault({ endpoint: "POST /api/v3/orderList/oto", kind: fault, ...(delayMs !== undefined && { delayMs }) });
    const oto = await placeOto(desk, "buy more, then sell");
    expect(oto.execution).toBe("native");
    const ids = [oto.primary, oto.secondary];
    await until(desk, "both orders in doubt", () => ids.every((id) => desk.engine.state().inDoubt.some((m) => m.clientOrderId === id)));
    await until(desk, "both orders found", () => ids.every((id) => desk.store.getOrder(id)?.order.status === "ACCEPTED"));
    await until(desk, "the doubt settled", () => desk.engine.state().inDoubt.length === 0);
    expect(desk.server!.requests("POST /api/v3/orderList/oto")).toHaveLength(1);
    expect(desk.server!.account.allOrders().filter((o) => ids.includes(o.clientOrderId))).toHaveLength(2);

    // It then works as any native OTO: the primary fills, the venue places the secondary, which fills; no drift.
    await desk.move(down);
    await until(desk, "the primary filled", () => desk.store.getOrder(oto.primary)?.order.status === "FILLED");
    await desk.move(up);
    await until(desk, "the list done", () => desk.engine.orderLists({ all: true }).find((l) => l.listId === oto.listId)?.status === "DONE");
    expect(desk.server!.requests("POST /api/v3/orderList/oto")).toHaveLength(1);
    await desk.engine.reconcile({ graceMs: 0 });
    // The doubt and its resolution are recorded for each order; nothing else disagreed with the venue.
    const kinds = (id: string) =>
      [
        ...new Set(
          desk.store
            .listDrifts()
            .filter((d) => d.subject === id)
            .map((d) => d.kind),
        ),
      ].sort();
    expect(ids.map(kinds)).toEqual([
      ["IN_DOUBT_RESOLVED", "ORDER_IN_DOUBT"],
      ["IN_DOUBT_RESOLVED", "ORDER_IN_DOUBT"],
    ]);
  });
});

describe("a native OTO found moved on by reconciliation", () => {
  it("the primary's fill and the secondary the exchange placed and filled are booked; the list ends without a drift on its orders beyond the missed fills", async () => {
    const desk = await binanceDesk();
    const oto = await placeOto(desk, "buy more, then sell");
    await until(desk, "both orders accepted", () => [oto.primary, oto.secondary].every((id) => desk.store.getOrder(id)?.order.status === "ACCEPTED"));
    // The market moves at the exchange only: no poll reports it, reconciliation finds it.
    desk.server!.pushQuote("BTCUSDT", 29_890, 29_900, 50, 50);
    desk.server!.pushTrade("BTCUSDT", 29_899, 1, "SELL");
    desk.server!.pushQuote("BTCUSDT", 30_200, 30_201, 50, 50);
    desk.server!.pushTrade("BTCUSDT", 30_201, 1, "BUY");
    await desk.engine.reconcile({ graceMs: 0 });
    expect(desk.store.getOrder(oto.primary)?.order.status).toBe("FILLED");
    expect(desk.store.getOrder(oto.secondary)?.order.status).toBe("FILLED");
    expect(desk.engine.orderLists({ all: true }).find((l) => l.listId === oto.listId)?.status).toBe("DONE");
    const kinds = (id: string) =>
      desk.store
        .listDrifts()
        .filter((d) => d.subject === id)
        .map((d) => d.kind);
    expect([kinds(oto.primary), kinds(oto.secondary)]).toEqual([["MISSED_FILL"], ["MISSED_FILL"]]);
    const held = desk.engine.state().positions.reduce((sum, p) => sum.plus(p.position.quantity), D(0));
    expect(held.toString()).toBe("0.5");
  });
});

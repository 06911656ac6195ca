/**
 * The arbitrage room on two scripted venues: a spread worth taking opens a round trip whose legs pass the gate; leg
 * risk (a refused leg, a partial fill, a slow leg) is repaired as the pair says; a halt stops new round trips; a
 * restart mid-round-trip resumes the leg-risk handling without sending a leg again; skips are aggregated.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ScriptedVenue, USDC_USD_PAIR as PAIR } from "../../test/arb-venue";
import { createMigratedDb } from "../../test/db";
import { FakeScheduler } from "../../test/replay/fake-scheduler";
import type { ArbPairConfig } from "../core/algos/arbitrage";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { makeInstrument } from "../core/instrument";
import { D } from "../core/money";
import { MemoryStore } from "../db/memory-store";
import { openSqliteStore } from "../db/sqlite-store";
import type { Store } from "../db/store";
import { SKIP_FLUSH_MS } from "./arbitrage";
import { Engine } from "./engine";
import type { Actor } from "./types";

const T0 = Date.UTC(2023, 2, 11, 12, 0, 0);
const rules = { priceTick: "0.01", qtyStep: "0.00001", minQty: "0.00001", minNotional: "5" };
const USDC = makeInstrument({ symbol: "BTC/USDC", ...rules, makerFee: "0", takerFee: "0.001" });
const USD = makeInstrument({ symbol: "BTC/USD", ...rules, makerFee: "0.0016", takerFee: "0.0026" });
const admin: Actor = { username: "ada", role: "admin" };

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn();
});

function venues() {
  return {
    a: new ScriptedVenue("sim-a", [USDC], { BTC: "1", USDC: "50000" }),
    b: new ScriptedVenue("sim-b", [USD], { BTC: "1", USD: "50000" }),
  };
}

function desk(options: { pair?: Partial<ArbPairConfig>; store?: Store; v?: ReturnType<typeof venues>; clock?: ManualClock; ids?: string } = {}) {
  const clock = options.clock ?? new ManualClock(T0);
  const timers = new FakeScheduler(clock);
  const v = options.v ?? venues();
  const store = options.store ?? new MemoryStore();
  const engine = new Engine({
    venues: [v.a, v.b],
    store,
    clock,
    timers,
    ids: sequentialIds(options.ids ?? ""),
    initialEquity: "100000",
    quoteCurrency: "USDC",
    // The pair compares USDC and USD at par; the gate weighs a BTC/USD leg in the desk's USDC at the same peg.
    conversionRates: { USD: "1" },
    breaker: null,
    arbitrage: [{ ...PAIR, ...options.pair }],
  });
  return { engine, store, clock, timers, v };
}
type Desk = ReturnType<typeof desk>;

/** A quote on each venue (bid/ask around `mid`), one second apart. */
async function quotes(d: Desk, midA: number, midB: number): Promise<void> {
  d.clock.advance(1000);
  await d.engine.marketData({ kind: "quote", symbol: "BTC/USDC", bid: midA - 0.5, ask: midA + 0.5, venue: "sim-a" });
  await d.engine.marketData({ kind: "quote", symbol: "BTC/USD", bid: midB - 0.5, ask: midB + 0.5, venue: "sim-b" });
}

const view = (d: Desk) => d.engine.arbitrage({ opportunities: 50, roundTrips: 20 });

/** A migrated SQLite file in a temporary folder (removed after the test) and a clock at T0, for desks that restart. */
function dbOnDisk(): { path: string; clock: ManualClock } {
  const dir = mkdtempSync(join(tmpdir(), "bastion-arb-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return { path: createMigratedDb(dir), clock: new ManualClock(T0) };
}

/** A started desk on disk whose first round trip is open: its buy leg rests at venue b. */
async function restingTripOnDisk() {
  const { path, clock } = dbOnDisk();
  const v = venues();
  const first = desk({ store: openSqliteStore({ path, clock }), v, clock });
  await first.engine.start();
  v.b.script.BUY.push({ kind: "rest" });
  await quotes(first, 21_000, 19_943);
  return { path, clock, v, first };
}

describe("the arbitrage room", () => {
  it("takes a spread above the threshold net of fees: both legs through the gate, PnL net of fees when both are done", async () => {
    const d = desk();
    await d.engine.start();
    // BTC/USDC 530 bp over BTC/USD (the de-peg): buy on sim-b (USD), sell on sim-a (USDC).
    await quotes(d, 21_000, 19_943);
    const [trip] = view(d).roundTrips;
    expect(trip).toMatchObject({ status: "done", buyVenue: "sim-b", sellVenue: "sim-a", qty: "0.1", boughtQty: "0.1", soldQty: "0.1" });
    // Every leg is an ordinary order: through the gate, journaled, owned by the pair's strategy, on its venue.
    const legs = d.store.loadOrders({ onlyOpen: false }).filter((o) => o.order.tags.arbId === trip!.id);
    expect(legs.map((o) => [o.meta.venue, o.order.symbol, o.order.side, o.order.status, o.order.tags.strategy])).toEqual([
      ["sim-b", "BTC/USD", "BUY", "FILLED", "arb:usdc-usd"],
      ["sim-a", "BTC/USDC", "SELL", "FILLED", "arb:usdc-usd"],
    ]);
    // Taker limits allow the 2 bp slippage past the touch: buy 19943.5 × 1.0002, sell 20999.5 × 0.9998 (to the tick).
    expect(d.v.b.submitted[0]).toMatchObject({ type: "LIMIT", timeInForce: "IOC", price: D("19947.48") });
    expect(d.v.a.submitted[0]).toMatchObject({ type: "LIMIT", timeInForce: "IOC", price: D("20995.31") });
    const buyFee = D("19947.48").times("0.1").times("0.0026");
    const sellFee = D("20995.31").times("0.1").times("0.001");
    const pnl = D("20995.31").minus("19947.48").times("0.1").minus(buyFee).minus(sellFee);
    expect(trip!.pnl).toBe(pnl.toDecimalPlaces(8).toString());
    expect(view(d).opportunities[0]).toMatchObject({ outcome: "taken", roundTripId: trip!.id, buyVenue: "sim-b", sellVenue: "sim-a" });
  });

  it("a leg's position carries no exit rule: a move past the symbol's 2 % stop-loss does not close one side of the hedge", async () => {
    const d = desk();
    await d.engine.start();
    await quotes(d, 21_000, 19_943);
    const legsBefore = d.engine.state().positions.filter((p) => p.strategy === "arb:usdc-usd");
    expect(legsBefore.map((p) => [p.venue, p.position.side, p.position.quantity.toString()])).toEqual([
      ["sim-b", "LONG", "0.1"],
      ["sim-a", "SHORT", "0.1"],
    ]);
    expect(d.engine.settingsFor("BTC/USD").stopLossPct).toBe(2);
    for (const p of legsBefore) expect(p.exit?.config).toEqual({});
    // BTC falls 5 % on both venues (and the spread closes): no stop fires, no order but the legs'.
    d.engine.executeSync({ kind: "setArbitragePair", pairId: "usdc-usd", enabled: false, actor: admin, reason: null });
    await quotes(d, 18_950, 18_950);
    expect(d.store.loadOrders({ onlyOpen: false }).filter((o) => !o.order.tags.arbId)).toEqual([]);
    expect(
      d.engine
        .state()
        .positions.filter((p) => p.strategy === "arb:usdc-usd")
        .map((p) => p.position.quantity.toString()),
    ).toEqual(["0.1", "0.1"]);
  });

  it("skips a spread that fees eat, with the reason; skips of one reason are one row per minute, not one per quote", async () => {
    const d = desk();
    await d.engine.start();
    for (let i = 0; i < 30; i++) await quotes(d, 20_000 + (i % 3), 20_001); // within ±10 bp: below 20 bp after 36 bp of fees
    expect(view(d).roundTrips).toEqual([]);
    // The very first quote found no quote on the other venue yet: that run of one reason was written when the reason changed.
    expect(d.store.loadArbOpportunities(100).map((r) => [r.code, r.count])).toEqual([["NO_QUOTE", 1]]);
    const live = view(d).opportunities;
    expect(live).toHaveLength(2);
    // The 59 evaluations since (30 s of quotes) are one run, still aggregated in memory.
    expect(live[0]).toMatchObject({ outcome: "skipped", code: "BELOW_THRESHOLD", count: 59, id: null });
    expect(live[0]!.reason).toContain("is below 20 bps");
    for (let i = 0; i < 40; i++) await quotes(d, 20_000, 20_001);
    const rows = d.store.loadArbOpportunities(100);
    expect(rows.map((r) => [r.code, r.count])).toEqual([
      ["BELOW_THRESHOLD", 120], // flushed once SKIP_FLUSH_MS had passed: one row for a minute of quotes
      ["NO_QUOTE", 1],
    ]);
    expect(rows[0]!.lastTs - rows[0]!.firstTs).toBeGreaterThanOrEqual(SKIP_FLUSH_MS);
    expect(view(d).totals.skipped).toBe(140);
    expect(view(d).totals.taken).toBe(0);
  });

  it("a leg the venue refuses: the other leg's fill is unwound on its venue, and the loss booked", async () => {
    const d = desk();
    await d.engine.start();
    d.v.a.script.SELL.push({ kind: "reject", reason: "insufficient liquidity" });
    await quotes(d, 21_000, 19_943);
    const [trip] = view(d).roundTrips;
    expect(trip!.legs.map((l) => [l.role, l.venue, l.side, l.status, l.filledQty])).toEqual([
      ["buy", "sim-b", "BUY", "filled", "0.1"],
      ["sell", "sim-a", "SELL", "failed", "0"],
      ["unwind", "sim-b", "SELL", "filled", "0.1"],
    ]);
    expect(trip!.status).toBe("done");
    // The unwind is a reduce-only market order on the buy venue, through the gate.
    const unwind = d.store.getOrder(trip!.legs[2]!.clientOrderId)!;
    expect(unwind.order).toMatchObject({ type: "MARKET", reduceOnly: true, side: "SELL", symbol: "BTC/USD" });
    // Bought at 19947.48 and sold back at the bid 19942.5: a loss of the spread and both fees.
    expect(D(trip!.pnl!).isNegative()).toBe(true);
    expect(trip!.events.some((e) => e.text.includes("unwind"))).toBe(true);
    expect(d.engine.state().positions.filter((p) => p.position.quantity.greaterThan(0))).toEqual([]);
  });

  it("a partial fill is hedged when the pair says hedge: the lagging leg is completed on its venue", async () => {
    const d = desk({ pair: { repair: "hedge" } });
    await d.engine.start();
    d.v.a.script.SELL.push({ kind: "partial", fraction: 0.4 });
    await quotes(d, 21_000, 19_943);
    const [trip] = view(d).roundTrips;
    expect(trip!.legs.map((l) => [l.role, l.venue, l.side, l.status, l.filledQty])).toEqual([
      ["buy", "sim-b", "BUY", "filled", "0.1"],
      ["sell", "sim-a", "SELL", "cancelled", "0.04"],
      ["hedge", "sim-a", "SELL", "filled", "0.06"],
    ]);
    expect(trip).toMatchObject({ status: "done", boughtQty: "0.1", soldQty: "0.1" });
    expect(d.store.getOrder(trip!.legs[2]!.clientOrderId)!.order).toMatchObject({ type: "MARKET", reduceOnly: false, symbol: "BTC/USDC" });
  });

  it("a slow leg is cancelled at the time limit (clock-injected), then its imbalance unwound", async () => {
    const d = desk();
    await d.engine.start();
    d.v.b.script.BUY.push({ kind: "rest" });
    await quotes(d, 21_000, 19_943);
    expect(view(d).roundTrips[0]).toMatchObject({ status: "open" });
    d.timers.advance(9_000);
    expect(view(d).roundTrips[0]).toMatchObject({ status: "open" });
    d.timers.advance(2_000);
    await d.engine.run(() => undefined);
    const [trip] = view(d).roundTrips;
    expect(trip!.legs.map((l) => [l.role, l.venue, l.side, l.status, l.filledQty])).toEqual([
      ["buy", "sim-b", "BUY", "cancelled", "0"],
      ["sell", "sim-a", "SELL", "filled", "0.1"],
      ["unwind", "sim-a", "BUY", "filled", "0.1"],
    ]);
    expect(trip!.status).toBe("done");
    expect(trip!.events.some((e) => e.text.includes("still working after 10000 ms"))).toBe(true);
  });

  it("maker-taker: the buy rests at the bid; the taker sell goes for what filled once the maker leg ends", async () => {
    // Maker fee 0 on sim-a (BTC/USDC): buy there at its bid, sell on sim-b. BTC/USD 300 bp over BTC/USDC here.
    const d = desk({ pair: { legs: "maker-taker" } });
    await d.engine.start();
    d.v.a.script.BUY.push({ kind: "rest" });
    await quotes(d, 20_000, 20_600);
    let [trip] = view(d).roundTrips;
    expect(trip!.legs.map((l) => [l.role, l.venue, l.status])).toEqual([
      ["buy", "sim-a", "working"],
      ["sell", "sim-b", "pending"],
    ]);
    expect(d.v.a.submitted[0]).toMatchObject({ side: "BUY", type: "LIMIT", timeInForce: "GTC", price: D("19999.5") });
    expect(d.v.b.submitted).toEqual([]);
    // 0.03 of 0.1 fills at the bid, then the time limit: the rest is cancelled, and the taker sells the 0.03.
    d.v.a.fillLater(trip!.legs[0]!.clientOrderId, D("0.03"), d.clock.now());
    await d.engine.run(() => undefined);
    d.timers.advance(10_000);
    await d.engine.run(() => undefined);
    [trip] = view(d).roundTrips;
    expect(trip!.legs.map((l) => [l.role, l.venue, l.side, l.status, l.filledQty])).toEqual([
      ["buy", "sim-a", "BUY", "cancelled", "0.03"],
      ["sell", "sim-b", "SELL", "filled", "0.03"],
    ]);
    expect(d.v.b.submitted[0]).toMatchObject({ side: "SELL", timeInForce: "IOC", quantity: D("0.03") });
    expect(trip).toMatchObject({ status: "done", boughtQty: "0.03", soldQty: "0.03" });
    expect(D(trip!.pnl!).greaterThan(0)).toBe(true);
  });

  it("after both repairs fail, a person decides (escalated, alert)", async () => {
    const d = desk();
    await d.engine.start();
    const alerts: string[] = [];
    d.engine.bus.subscribe((e) => {
      if (e.type === "alert") alerts.push(e.message);
    });
    d.v.a.script.SELL.push({ kind: "reject", reason: "insufficient liquidity" }, { kind: "reject", reason: "market closed" });
    d.v.b.script.SELL.push({ kind: "reject", reason: "market closed" });
    await quotes(d, 21_000, 19_943);
    const [trip] = view(d).roundTrips;
    expect(trip!.legs.map((l) => [l.role, l.status])).toEqual([
      ["buy", "filled"],
      ["sell", "failed"],
      ["unwind", "failed"],
      ["hedge", "failed"],
    ]);
    expect(trip!.status).toBe("escalated");
    expect(alerts.some((m) => m.includes("needs a person"))).toBe(true);
  });

  it("a halt opens no round trip and leaves open legs to the emergency stop, which flattens both venues", async () => {
    const d = desk();
    await d.engine.start();
    d.v.b.script.BUY.push({ kind: "rest" });
    await quotes(d, 21_000, 19_943);
    expect(view(d).roundTrips[0]).toMatchObject({ status: "open" });
    const stop = await d.engine.execute({ kind: "emergencyStop", flatten: true, actor: admin, reason: "test halt" });
    expect(stop).toMatchObject({ ok: true });
    await d.engine.run(() => undefined);
    const [trip] = view(d).roundTrips;
    expect(trip!.status).toBe("halted");
    // The resting buy was cancelled by the stop, the filled sell flattened by it (no repair by the room).
    expect(d.v.b.orders.get(trip!.legs[0]!.clientOrderId)!.status).toBe("CANCELED");
    expect(trip!.legs).toHaveLength(2);
    const flatten = d.store.loadOrders({ onlyOpen: false }).filter((o) => o.order.tags.reason === "emergency_stop");
    expect(flatten.map((o) => [o.meta.venue, o.order.side])).toEqual([["sim-a", "BUY"]]);
    // Booked once its legs ended: nothing matched, so the PnL is the sell's fee; the 0.1 sold was left to the flatten.
    const sellFee = D("20995.31").times("0.1").times("0.001");
    expect(trip).toMatchObject({
      pnl: sellFee.negated().toDecimalPlaces(8).toString(),
      boughtQty: "0",
      soldQty: "0.1",
      halt: { openQty: "0.1", flattened: true },
    });
    expect(view(d).totals.pnl).toBe(trip!.pnl);
    // No new round trip while halted, however wide the spread.
    d.v.b.script.BUY.length = 0;
    await quotes(d, 21_000, 19_943);
    expect(view(d).roundTrips).toHaveLength(1);
    expect(view(d).opportunities[0]).toMatchObject({ outcome: "skipped", code: "HALTED" });
  });

  it("a halted round trip keeps the PnL of what matched, net of every leg's fee, and the open quantity the flatten took", async () => {
    const d = desk();
    await d.engine.start();
    d.v.b.script.BUY.push({ kind: "rest" });
    await quotes(d, 21_000, 19_943);
    const buyLeg = view(d).roundTrips[0]!.legs[0]!.clientOrderId;
    // 0.06 of the resting buy fills, then the desk is stopped with a flatten: the rest of the buy is cancelled by the stop.
    d.v.b.fillLater(buyLeg, D("0.06"), d.clock.now());
    await d.engine.run(() => undefined);
    expect(view(d).roundTrips[0]).toMatchObject({ status: "open", pnl: null });
    await d.engine.execute({ kind: "emergencyStop", flatten: true, actor: admin, reason: "test halt" });
    await d.engine.run(() => undefined);
    const [trip] = view(d).roundTrips;
    expect(trip!.legs.map((l) => [l.role, l.status, l.filledQty])).toEqual([
      ["buy", "cancelled", "0.06"],
      ["sell", "filled", "0.1"],
    ]);
    const buyFee = D("19947.48").times("0.06").times("0.0026");
    const sellFee = D("20995.31").times("0.1").times("0.001");
    const pnl = D("20995.31").minus("19947.48").times("0.06").minus(buyFee).minus(sellFee);
    expect(trip).toMatchObject({
      status: "halted",
      boughtQty: "0.06",
      soldQty: "0.1",
      pnl: pnl.toDecimalPlaces(8).toString(),
      halt: { openQty: "0.04", flattened: true },
    });
    expect(view(d).totals.pnl).toBe(trip!.pnl);
    expect(trip!.events.at(-1)!.text).toContain("0.04 left open to the emergency stop, which flattens it");
  });

  it("a halt that does not flatten says the open quantity stays open", async () => {
    const d = desk();
    await d.engine.start();
    d.v.b.script.BUY.push({ kind: "rest" });
    await quotes(d, 21_000, 19_943);
    await d.engine.execute({ kind: "emergencyStop", flatten: false, actor: admin, reason: "test halt" });
    await d.engine.run(() => undefined);
    const [trip] = view(d).roundTrips;
    expect(trip).toMatchObject({ status: "halted", halt: { openQty: "0.1", flattened: false } });
    expect(trip!.pnl).not.toBeNull();
  });

  it("a disabled pair takes nothing; enabling it again takes the spread", async () => {
    const d = desk({ pair: { enabled: false } });
    await d.engine.start();
    await quotes(d, 21_000, 19_943);
    expect(view(d).roundTrips).toEqual([]);
    const on = await d.engine.execute({ kind: "setArbitragePair", pairId: "usdc-usd", enabled: true, actor: admin, reason: "de-peg" });
    expect(on).toMatchObject({ ok: true });
    expect((d.store as MemoryStore).listAudit().map((a) => [a.action, a.target, a.result])).toEqual([["enable_arbitrage_pair", "usdc-usd", "OK"]]);
    await quotes(d, 21_000, 19_943);
    expect(view(d).roundTrips.length).toBeGreaterThan(0);
    expect(view(d).roundTrips.every((t) => t.status === "done")).toBe(true);
  });
});

describe("the operator's on/off choice", () => {
  it("outlives a restart: the stored choice wins over the desk file, and the view says who made it and when", async () => {
    const { path, clock } = dbOnDisk();
    const first = desk({ store: openSqliteStore({ path, clock }), clock });
    await first.engine.start();
    // Never touched: the desk file's setting, nobody named.
    expect(view(first).pairs[0]).toMatchObject({ enabled: true, changedBy: null });
    const off = await first.engine.execute({ kind: "setArbitragePair", pairId: "usdc-usd", enabled: false, actor: admin, reason: "venue maintenance" });
    expect(off).toMatchObject({ ok: true });
    first.store.close();
    // The desk file still says enabled: the operator's choice is what the restarted engine follows.
    clock.advance(60_000);
    const second = desk({ store: openSqliteStore({ path, clock }), clock, ids: "r2" });
    cleanups.push(() => second.store.close());
    await second.engine.start();
    expect(view(second).pairs[0]).toMatchObject({ enabled: false, changedBy: { by: "ada", at: T0, reason: "venue maintenance" } });
    await quotes(second, 21_000, 19_943);
    expect(view(second).roundTrips).toEqual([]);
    // Enabled again: stored too, and a third start follows it.
    await second.engine.execute({ kind: "setArbitragePair", pairId: "usdc-usd", enabled: true, actor: admin, reason: null });
    second.store.close();
    const third = desk({ store: openSqliteStore({ path, clock }), clock, ids: "r3", pair: { enabled: false } });
    cleanups.push(() => third.store.close());
    await third.engine.start();
    expect(view(third).pairs[0]).toMatchObject({ enabled: true, changedBy: { by: "ada", reason: null } });
    await quotes(third, 21_000, 19_943);
    expect(view(third).roundTrips.length).toBeGreaterThan(0);
  });
});

describe("a restart mid-round-trip", () => {
  it("resumes leg risk after a crash: the working leg is followed, never sent again, and the imbalance repaired", async () => {
    const { path, clock, v, first } = await restingTripOnDisk();
    const tripId = view(first).roundTrips[0]!.id;
    const buyLeg = `${tripId}.b`;
    expect(view(first).roundTrips[0]).toMatchObject({ status: "open" });
    // The engine dies (no clean stop); the resting buy fills half while it is down.
    first.store.close();
    clock.advance(3_000);
    v.b.orders.get(buyLeg)!.status = "PARTIALLY_FILLED";
    v.b.fillLater(buyLeg, D("0.05"), clock.now());
    const second = desk({ store: openSqliteStore({ path, clock }), v, clock, ids: "r2" });
    cleanups.push(() => second.store.close());
    await second.engine.start();
    const submittedBefore = v.a.submitted.length + v.b.submitted.length;
    expect(view(second).roundTrips[0]).toMatchObject({ id: tripId, status: "open" });
    expect(view(second).roundTrips[0]!.events.some((e) => e.text.includes("resumed after a restart"))).toBe(true);
    // Past the time limit: the working buy is cancelled (not re-sent), then the 0.05 sold beyond it is bought back.
    second.timers.advance(10_000);
    await second.engine.run(() => undefined);
    const [trip] = view(second).roundTrips;
    expect(trip!.legs.map((l) => [l.role, l.venue, l.side, l.status, l.filledQty])).toEqual([
      ["buy", "sim-b", "BUY", "cancelled", "0.05"],
      ["sell", "sim-a", "SELL", "filled", "0.1"],
      ["unwind", "sim-a", "BUY", "filled", "0.05"],
    ]);
    expect(trip!.status).toBe("done");
    const sent = [...v.a.submitted, ...v.b.submitted].map((s) => s.clientOrderId);
    expect(sent.filter((c) => c === buyLeg)).toHaveLength(1);
    expect(v.a.submitted.length + v.b.submitted.length).toBe(submittedBefore + 1); // only the unwind
  });

  it("a round trip halted before its legs ended is booked after a restart, once they have", async () => {
    const { path, clock, v, first } = await restingTripOnDisk();
    const [row] = first.store.loadArbRoundTrips({ onlyOpen: true });
    // The engine dies right after the halt was recorded, before the stop's cancel of the resting buy was confirmed.
    const data = row!.data as Record<string, unknown>;
    first.store.saveArbRoundTrip({ ...row!, status: "halted", data: { ...data, status: "halted", halt: { openQty: D(0), flattened: true } } });
    first.store.close();
    // While it is down, 0.05 of the buy fills and the cancel takes the rest.
    clock.advance(2_000);
    const buyLeg = `${row!.id}.b`;
    v.b.orders.get(buyLeg)!.status = "PARTIALLY_FILLED";
    v.b.fillLater(buyLeg, D("0.05"), clock.now());
    v.b.cancel(buyLeg, clock.now());
    const second = desk({ store: openSqliteStore({ path, clock }), v, clock, ids: "r2" });
    cleanups.push(() => second.store.close());
    await second.engine.start();
    const [trip] = view(second).roundTrips;
    expect(trip!.legs.map((l) => [l.role, l.status, l.filledQty])).toEqual([
      ["buy", "cancelled", "0.05"],
      ["sell", "filled", "0.1"],
    ]);
    expect(trip).toMatchObject({ status: "halted", boughtQty: "0.05", soldQty: "0.1", halt: { openQty: "0.05", flattened: true } });
    expect(D(trip!.pnl!).greaterThan(0)).toBe(true);
    expect(v.a.submitted.length + v.b.submitted.length).toBe(2); // nothing sent again, no repair
  });

  it("a leg journaled in the round trip but never handed to the gate counts as failed and is never sent", async () => {
    const { path, clock } = dbOnDisk();
    const store = openSqliteStore({ path, clock });
    // A crash between the round trip's commit and its legs' intents: both legs `sent`, no order in the books.
    store.saveArbRoundTrip({
      id: "arb-x",
      pairId: "usdc-usd",
      status: "open",
      pnl: null,
      openedAt: T0,
      updatedAt: T0,
      data: {
        id: "arb-x",
        pairId: "usdc-usd",
        status: "open",
        openedAt: T0,
        updatedAt: T0,
        legsSentAt: T0,
        buy: { venue: "sim-b", symbol: "BTC/USD" },
        sell: { venue: "sim-a", symbol: "BTC/USDC" },
        qty: D("0.1"),
        netBps: D("450"),
        expectedProfit: D("90"),
        legs: (["buy", "sell"] as const).map((role) => ({
          role,
          venue: role === "buy" ? "sim-b" : "sim-a",
          symbol: role === "buy" ? "BTC/USD" : "BTC/USDC",
          side: role === "buy" ? "BUY" : "SELL",
          clientOrderId: `arb-x.${role[0]}`,
          type: "LIMIT",
          timeInForce: "IOC",
          qty: D("0.1"),
          price: D("20000"),
          status: "sent",
          filledQty: D(0),
          avgPrice: null,
          fees: D(0),
          reason: null,
          sentAt: T0,
        })),
        attempted: [],
        events: [],
        pnl: null,
        boughtQty: D(0),
        soldQty: D(0),
      },
    });
    const v = venues();
    const d = desk({ store, v, clock });
    cleanups.push(() => store.close());
    await d.engine.start();
    const [trip] = view(d).roundTrips;
    expect(trip).toMatchObject({ status: "failed", pnl: "0" }); // nothing traded
    expect(trip!.legs.map((l) => l.status)).toEqual(["failed", "failed"]);
    expect(v.a.submitted).toEqual([]);
    expect(v.b.submitted).toEqual([]);
  });
});

/**
 * One exit at a time (issue 9, item 4), on a venue that confirms later: the simulator executes at once, but its
 * answers (acks, fills, cancel confirmations) are held until the test delivers them, as a real exchange's arrive.
 */
import { VenueReads } from "../../test/venue-reads";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { D, type Decimal } from "../core/money";
import type { OrderSpec } from "../core/orders";
import { MemoryStore } from "../db/memory-store";
import { openSqliteStore } from "../db/sqlite-store";
import type { Store } from "../db/store";
import { createMigratedDb } from "../../test/db";
import { SimVenue } from "../venues/sim/sim-venue";
import type { MarketUpdate, OrderChanges, Venue, VenueEvent } from "../venues/venue";
import { Engine } from "./engine";
import type { Actor, CommandResult, Signal } from "./types";
import { ManualTimers } from "../../test/manual-timers";
import { BTC } from "../../test/instruments";

const T0 = Date.UTC(2024, 0, 2, 12, 0, 0);
const tina: Actor = { username: "tina", role: "trader" };
const tom: Actor = { username: "tom", role: "trader" };

interface Request {
  kind: "submit" | "cancel" | "cancelAll";
  clientOrderId: string | null;
  side?: string;
  type?: string;
  quantity?: string;
  reduceOnly?: boolean;
}

/** The simulator behind a delay: requests execute there at once, their answers wait in `held` until delivered. */
class LateVenue extends VenueReads<SimVenue> implements Venue {
  readonly id = "sim";
  readonly kind = "sim" as const;
  readonly requests: Request[] = [];
  private held: VenueEvent[] = [];
  private sink: (events: VenueEvent[]) => void = () => undefined;
  setEventSink(sink: (events: VenueEvent[]) => void): void {
    this.sink = sink;
  }
  submit(spec: OrderSpec, now: number): VenueEvent[] {
    this.requests.push({
      kind: "submit",
      clientOrderId: spec.clientOrderId,
      side: spec.side,
      type: spec.type,
      quantity: D(spec.quantity).toString(),
      reduceOnly: spec.reduceOnly ?? false,
    });
    this.held.push(...this.inner.submit(spec, now));
    return [];
  }
  cancel(clientOrderId: string, now: number): VenueEvent[] {
    this.requests.push({ kind: "cancel", clientOrderId });
    this.held.push(...this.inner.cancel(clientOrderId, now));
    return [];
  }
  cancelAll(symbol: string | undefined, now: number): VenueEvent[] {
    this.requests.push({ kind: "cancelAll", clientOrderId: null });
    this.held.push(...this.inner.cancelAll(symbol, now));
    return [];
  }
  modify(clientOrderId: string, changes: OrderChanges, now: number) {
    return this.inner.modify(clientOrderId, changes, now);
  }
  onMarketData(update: MarketUpdate, now: number): VenueEvent[] {
    // Matching happens at the venue now; its answers arrive later like the rest.
    this.held.push(...this.inner.onMarketData(update, now));
    return [];
  }
  advanceTo(now: number) {
    return this.inner.advanceTo(now);
  }
  /** Delivers the held answers (all, or those of one order), one event at a time, and lets the engine process them. */
  async deliver(clientOrderId?: string): Promise<number> {
    const now = clientOrderId === undefined ? this.held : this.held.filter((e) => e.clientOrderId === clientOrderId);
    this.held = clientOrderId === undefined ? [] : this.held.filter((e) => e.clientOrderId !== clientOrderId);
    for (const event of now) this.sink([event]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    return now.length;
  }
  sells(): Request[] {
    return this.requests.filter((r) => r.kind === "submit" && r.side === "SELL");
  }
}

let n = 0;
function buy(extra: Partial<Signal> = {}): Signal {
  return { id: `sig-${++n}`, symbol: "BTC/USDT", action: "BUY", confidence: 0.8, strategy: "test", ts: T0, ...extra };
}

async function longDesk(options: { stopLossPct?: number | null; store?: Store; venuePath?: string; clock?: ManualClock } = {}) {
  const late = new LateVenue(
    new SimVenue({ instruments: [BTC], initialBalances: { USDT: "10000" } }, options.venuePath ? { statePath: options.venuePath } : {}),
  );
  const clock = options.clock ?? new ManualClock(T0);
  const store = options.store ?? new MemoryStore();
  const timers = new ManualTimers();
  const engine = new Engine({
    venue: late,
    store,
    clock,
    ids: sequentialIds(),
    initialEquity: "10000",
    breaker: null,
    timers,
    emergencyConfirmMs: 5_000,
    defaultSymbolSettings: {
      minConfidence: 0.5,
      sizing: { method: "fixed_fraction", fraction: 0.2 },
      stopLossPct: options.stopLossPct === undefined ? null : options.stopLossPct,
      takeProfitLevels: [],
      trailing: null,
      maxAgeMinutes: null,
    },
  });
  const alerts: string[] = [];
  engine.bus.subscribe((e) => {
    if (e.type === "alert") alerts.push(e.message);
  });
  await engine.start();
  const quote = async (price: number) => {
    clock.advance(1000);
    await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: price - 0.5, ask: price + 0.5 });
  };
  await quote(20000);
  expect(await engine.execute({ kind: "signal", signal: buy(), source: "test" })).toMatchObject({ ok: true });
  await late.deliver();
  const position = engine.state().positions[0]!.position;
  expect(position.quantity.toString()).toBe("0.09999");
  late.requests.length = 0;
  const close = (actor: Actor, extra: { fraction?: number; quantity?: string } = {}) =>
    engine.execute({ kind: "closePosition", positionId: position.id, actor, reason: "out", ...extra });
  return { engine, store, late, clock, timers, quote, position, close, alerts };
}

/** Coins sold at the venue (its own balance book): never more than the desk bought. */
function btcHeld(late: LateVenue): Decimal {
  return late.inner.freeBalance("BTC") ?? D(0);
}

function pendingOf(result: CommandResult): boolean {
  return result.ok && result.data?.pending === true;
}

describe("one exit at a time, on a venue that confirms later", () => {
  it("a double-click on Close sends one exit; the second waits for it", async () => {
    const { engine, late, close, store } = await longDesk();
    const first = await close(tina);
    const second = await close(tina);
    expect(first).toMatchObject({ ok: true });
    expect(second.ok && second.message).toContain("no second exit sent");
    expect(late.sells()).toEqual([expect.objectContaining({ kind: "submit", side: "SELL", type: "MARKET", quantity: "0.09999", reduceOnly: true })]);
    expect(late.requests.filter((r) => r.kind === "cancel")).toEqual([]);
    await late.deliver();
    expect(engine.state().positions).toHaveLength(0);
    expect(late.sells()).toHaveLength(1);
    expect(btcHeld(late).toString()).toBe("0");
    expect((store as MemoryStore).listTrades()).toHaveLength(1);
    expect((store as MemoryStore).listDrifts().map((d) => d.kind)).not.toContain("OVER_CLOSE");
  });

  it("two traders closing at once (one in full, one in part) send one exit between them", async () => {
    const { engine, late, close, store } = await longDesk();
    const [a, b] = await Promise.all([close(tina), close(tom, { fraction: 0.5 })]);
    expect(a).toMatchObject({ ok: true });
    expect(pendingOf(b)).toBe(true);
    expect(late.sells()).toHaveLength(1);
    await late.deliver();
    expect(engine.state().positions).toHaveLength(0);
    expect(late.sells()).toHaveLength(1);
    expect(btcHeld(late).toString()).toBe("0");
    expect((store as MemoryStore).listAudit().map((x) => `${x.actor}:${x.result}`)).toEqual(["tina:OK", "tom:OK"]);
  });

  it("a stop-loss racing a manual close: the stop's exit is working, the close sends nothing more", async () => {
    const { engine, late, close, quote } = await longDesk({ stopLossPct: 2 });
    await quote(19500); // below the 2 % stop: the stop-loss sends its market exit (not confirmed yet)
    expect(late.sells()).toHaveLength(1);
    const manual = await close(tina);
    expect(pendingOf(manual)).toBe(true);
    await quote(19400); // the stop is still breached: still one exit
    expect(late.sells()).toHaveLength(1);
    await late.deliver();
    expect(engine.state().positions).toHaveLength(0);
    expect(late.sells()).toHaveLength(1);
    expect(btcHeld(late).toString()).toBe("0");
  });

  it("a manual close working first: the stop-loss sends nothing more", async () => {
    const { engine, late, close, quote } = await longDesk({ stopLossPct: 2 });
    expect(await close(tina)).toMatchObject({ ok: true });
    await quote(19500);
    expect(late.sells()).toHaveLength(1);
    await late.deliver();
    expect(engine.state().positions).toHaveLength(0);
    expect(btcHeld(late).toString()).toBe("0");
  });

  it("a resting take-profit is replaced only after its cancel is confirmed", async () => {
    const { engine, late, close, position } = await longDesk();
    const tp = await engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "SELL", type: "LIMIT", quantity: position.quantity.toString(), price: "25000" },
      actor: tina,
      reason: "take profit",
    });
    const tpId = tp.ok ? (tp.data?.clientOrderId as string) : "";
    await late.deliver();
    late.requests.length = 0;
    const closing = await close(tina);
    expect(pendingOf(closing)).toBe(true);
    // The cancel went out; the market exit waits for its confirmation (the limit could still fill).
    expect(late.requests).toEqual([{ kind: "cancel", clientOrderId: tpId }]);
    await late.deliver(tpId);
    expect(late.sells()).toEqual([expect.objectContaining({ type: "MARKET", quantity: "0.09999", reduceOnly: true })]);
    await late.deliver();
    expect(engine.state().positions).toHaveLength(0);
    expect(btcHeld(late).toString()).toBe("0");
  });

  it("a stop-loss with a resting take-profit limit cancels it first, then sells", async () => {
    const { engine, late, quote, position } = await longDesk({ stopLossPct: 2 });
    await engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "SELL", type: "LIMIT", quantity: position.quantity.toString(), price: "25000" },
      actor: tina,
      reason: "take profit",
    });
    await late.deliver();
    late.requests.length = 0;
    await quote(19500);
    expect(late.requests.map((r) => r.kind)).toEqual(["cancel"]);
    await quote(19400);
    expect(late.requests.map((r) => r.kind)).toEqual(["cancel"]);
    await late.deliver();
    expect(late.sells()).toEqual([expect.objectContaining({ type: "MARKET", quantity: "0.09999" })]);
    await late.deliver();
    expect(engine.state().positions).toHaveLength(0);
    expect((await late.inner.fetchFills(0)).filter((f) => f.side === "SELL")).toHaveLength(1);
  });

  it("a CLOSE signal and close-all while an exit works send nothing more", async () => {
    const { engine, late, close } = await longDesk();
    await close(tina);
    expect(await engine.execute({ kind: "signal", signal: { ...buy(), action: "CLOSE" }, source: "test" })).toMatchObject({ ok: true });
    expect(await engine.execute({ kind: "closeAll", actor: tom, reason: null })).toMatchObject({ ok: true });
    expect(late.sells()).toHaveLength(1);
    await late.deliver();
    expect(engine.state().positions).toHaveLength(0);
    expect(btcHeld(late).toString()).toBe("0");
  });

  it("the risk gate counts working exits: a manual reduce-only sell beyond what they leave is refused, with a code", async () => {
    const { engine, late, close } = await longDesk();
    await close(tina, { quantity: "0.06" });
    const sell = (quantity: string) =>
      engine.execute({
        kind: "manualOrder",
        order: { symbol: "BTC/USDT", side: "SELL", type: "MARKET", quantity, reduceOnly: true },
        actor: tom,
        reason: null,
      });
    const refused = await sell("0.09999");
    expect(refused).toMatchObject({ ok: false, error: { code: "REDUCE_ONLY_OVERCOMMITTED" } });
    expect(refused.ok ? "" : refused.error.message).toContain("at most 0.03999 more can be");
    expect(await sell("0.03999")).toMatchObject({ ok: true });
    await late.deliver();
    expect(engine.state().positions).toHaveLength(0);
    expect(late.sells().map((s) => s.quantity)).toEqual(["0.06", "0.03999"]);
    expect(btcHeld(late).toString()).toBe("0");
  });

  it("an exit that ends short of flat is followed by one for what is left, when a full close waited", async () => {
    const { engine, late, close } = await longDesk();
    // A partial exit working; then a full close: the partial one is canceled first, the rest follows its end.
    expect(await close(tina, { quantity: "0.04" })).toMatchObject({ ok: true });
    const full = await close(tom);
    expect(pendingOf(full)).toBe(true);
    expect(late.sells()).toHaveLength(1);
    await late.deliver(); // the partial exit filled before its cancel: the rest (0.05999) goes out now
    expect(late.sells().map((s) => s.quantity)).toEqual(["0.04", "0.05999"]);
    await late.deliver();
    expect(engine.state().positions).toHaveLength(0);
    expect(btcHeld(late).toString()).toBe("0");
  });

  it("the emergency flatten while a stop-loss exit is on its way sends no second sell", async () => {
    const { engine, late, timers, quote } = await longDesk({ stopLossPct: 2 });
    await quote(19500); // the stop-loss's market sell is out, not confirmed
    expect(late.sells()).toHaveLength(1);
    await engine.execute({ kind: "emergencyStop", flatten: true, actor: tina, reason: "test" });
    await timers.fireAll(); // the cancel of the stop's exit is not confirmed in time: the flatten decides now
    expect(late.sells()).toHaveLength(1);
    await late.deliver(); // the exit had filled before the cancel reached it
    expect(engine.state().positions).toHaveLength(0);
    expect(late.sells()).toHaveLength(1);
    expect(btcHeld(late).toString()).toBe("0");
    expect(engine.state().emergency).toMatchObject({ step: "done" });
  });

  it("the emergency flatten waits for unconfirmed cancels of resting exits instead of selling twice", async () => {
    const { engine, late, timers, position } = await longDesk();
    await engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "SELL", type: "LIMIT", quantity: position.quantity.toString(), price: "25000" },
      actor: tina,
      reason: "take profit",
    });
    await late.deliver();
    late.requests.length = 0;
    await engine.execute({ kind: "emergencyStop", flatten: true, actor: tina, reason: "test" });
    await timers.fireAll(); // the venue did not confirm the cancel in time
    expect(late.sells()).toHaveLength(0);
    await late.deliver(); // the cancel is confirmed: now the flatten sells
    expect(late.sells()).toEqual([expect.objectContaining({ type: "MARKET", quantity: "0.09999", reduceOnly: true })]);
    await late.deliver();
    expect(engine.state().positions).toHaveLength(0);
    expect(btcHeld(late).toString()).toBe("0");
  });
});

describe("a close waiting for its exits survives a restart", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("the take-profit's cancel is confirmed while the engine is down: the restart sends the close", async () => {
    const dbPath = createMigratedDb();
    dirs.push(dirname(dbPath));
    const venuePath = join(dirname(dbPath), "venue.db");
    const clock = new ManualClock(T0);
    const first = await longDesk({ store: openSqliteStore({ path: dbPath, clock }), venuePath, clock });
    await first.engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "SELL", type: "LIMIT", quantity: first.position.quantity.toString(), price: "25000" },
      actor: tina,
      reason: "take profit",
    });
    await first.late.deliver();
    expect(pendingOf(await first.close(tina))).toBe(true);
    // The venue canceled the limit; the engine stops before hearing of it.
    first.store.close();
    await first.late.inner.close();

    const venue = new SimVenue({ instruments: [BTC], initialBalances: { USDT: "10000" } }, { statePath: venuePath });
    const engine = new Engine({
      venue,
      store: openSqliteStore({ path: dbPath, clock }),
      clock,
      ids: sequentialIds("r"),
      initialEquity: "10000",
      breaker: null,
    });
    clock.advance(1000);
    await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 19999.5, ask: 20000.5 });
    await engine.start();
    expect(engine.state().positions).toHaveLength(0);
    expect(venue.freeBalance("BTC")?.toString()).toBe("0");
    expect((await venue.fetchFills(0)).filter((f) => f.side === "SELL")).toHaveLength(1);
    await venue.close();
  });
});

/**
 * The algos room's lifecycles on a real engine: TWAP to the end, an iceberg filled in parts and refilled, the chaser
 * re-pricing, pause/resume/cancel, a halt, gate and venue refusals, and restarts (on SQLite) that resume or stop and
 * never send a slice twice.
 */
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createMigratedDb } from "../../test/db";
import { ManualClock, type Timers } from "../core/clock";
import { parseParentState, serializeParentState } from "../core/algos/serialize";
import { sequentialIds } from "../core/ids";
import { makeInstrument } from "../core/instrument";
import { D } from "../core/money";
import type { OrderSpec } from "../core/orders";
import { MemoryStore } from "../db/memory-store";
import { openSqliteStore, type SqliteStore } from "../db/sqlite-store";
import type { ParentChildRecord, ParentOrderRecord, ParentProgressRecord, Store } from "../db/store";
import type { VenueEvent } from "../venues/venue";
import { SimVenue } from "../venues/sim/sim-venue";
import { Engine, type EngineOptions } from "./engine";
import type { Actor, ParentOrderRequest } from "./types";

const BTC = makeInstrument({
  symbol: "BTC/USDT",
  priceTick: "0.01",
  qtyStep: "0.001",
  minQty: "0.001",
  minNotional: "5",
  makerFee: "0.001",
  takerFee: "0.001",
});
const T0 = Date.UTC(2024, 0, 2, 12, 0, 0);
const trader: Actor = { username: "tina", role: "trader" };

/** Timers that fire when the test says the time has come. */
class DueTimers implements Timers {
  private next = 1;
  readonly pending = new Map<number, { fn: () => void; at: number }>();
  constructor(private readonly clock: ManualClock) {}
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { fn, at: this.clock.now() + ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  fireDue(): void {
    for (const [id, timer] of [...this.pending]) {
      if (timer.at > this.clock.now()) continue;
      this.pending.delete(id);
      timer.fn();
    }
  }
}

/** A venue that refuses the next `refusals` submits (what a real exchange does when it is unhappy). */
class RefusingVenue extends SimVenue {
  refusals = 0;
  submitted: string[] = [];
  override submit(spec: OrderSpec, now: number): VenueEvent[] {
    this.submitted.push(spec.clientOrderId);
    if (this.refusals > 0) {
      this.refusals--;
      return [{ clientOrderId: spec.clientOrderId, event: { type: "reject", reason: "-2010 insufficient liquidity", ts: now } }];
    }
    return super.submit(spec, now);
  }
}

interface Desk {
  engine: Engine;
  store: Store;
  clock: ManualClock;
  venue: RefusingVenue;
  timers: DueTimers;
}

function venue(statePath?: string): RefusingVenue {
  return new RefusingVenue({ instruments: [BTC], initialBalances: { USDT: "100000" } }, statePath ? { statePath } : {});
}

function desk(store: Store = new MemoryStore(), simVenue = venue(), clock = new ManualClock(T0), overrides: Partial<EngineOptions> = {}): Desk {
  const timers = new DueTimers(clock);
  const engine = new Engine({
    venue: simVenue,
    store,
    clock,
    ids: sequentialIds(),
    initialEquity: "100000",
    timers,
    breaker: null,
    defaultSymbolSettings: { minConfidence: 0.5, sizing: { method: "fixed_fraction", fraction: 0.2 }, stopLossPct: null, takeProfitLevels: [], trailing: null },
    ...overrides,
  });
  return { engine, store, clock, venue: simVenue, timers };
}

async function quote(d: Desk, price: number, advanceMs = 1000): Promise<void> {
  d.clock.advance(advanceMs);
  d.timers.fireDue();
  await d.engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: price - 0.5, ask: price + 0.5 });
}

async function trade(d: Desk, price: number, qty: number, advanceMs = 1000): Promise<void> {
  d.clock.advance(advanceMs);
  d.timers.fireDue();
  await d.engine.marketData({ kind: "trade", symbol: "BTC/USDT", price, qty });
}

function start(d: Desk, parent: Partial<ParentOrderRequest> & Pick<ParentOrderRequest, "algo">) {
  return d.engine.execute({
    kind: "startParent",
    parent: { symbol: "BTC/USDT", side: "BUY", quantity: "1", ...parent },
    actor: trader,
    reason: "test",
  });
}

/** A started in-memory desk with a first quote at 20000 (a second later). */
async function quotedDesk(): Promise<Desk> {
  const d = desk();
  await d.engine.start();
  await quote(d, 20000);
  return d;
}

const parent = (d: Desk, id = "par-1") => d.engine.parentOrders().find((p) => p.id === id)!;

describe("TWAP through the engine", () => {
  it("sends every slice through the gate with its parent link, fills the target and reports the shortfall", async () => {
    const d = await quotedDesk();
    const started = await start(d, { algo: { kind: "twap", horizonSeconds: 240, intervalSeconds: 60 } });
    expect(started).toMatchObject({ ok: true, data: { parentId: "par-1" } });
    // The first slice goes at once.
    expect(parent(d)).toMatchObject({ status: "working", filledQty: "0.25", childrenSent: 1, slicesLeft: 3, nextSliceAt: T0 + 1000 + 60_000 });
    for (let i = 0; i < 4; i++) await quote(d, 20010 + i * 10, 60_000);
    const view = parent(d);
    expect(view).toMatchObject({ status: "done", filledQty: "1", childrenSent: 4, slicesLeft: 0 });
    expect(view.children.map((c) => c.clientOrderId)).toEqual(["par-1.1", "par-1.2", "par-1.3", "par-1.4"]);
    // Each slice's timer fires before the next quote: bought at the asks 20000.5, 20000.5, 20010.5, 20020.5 against an
    // arrival (the mark) of 20000.
    expect(view.avgPrice).toBe("20008");
    expect(view.shortfallBps).toBe(4);
    // Each child is an order of its own, journaled before it was sent, tagged with its parent, on one manual position.
    for (const child of view.children) {
      const stored = d.store.getOrder(child.clientOrderId)!;
      expect(stored.order.tags.parentId).toBe("par-1");
      expect(d.store.journalFor(child.clientOrderId).map((e) => e.type)).toEqual(["intent", "submit", "accept", "fill"]);
    }
    const positions = d.engine.state().positions;
    expect(positions).toHaveLength(1);
    expect(positions[0]!.position.quantity.toString()).toBe("1");
    // Audited like every manual action.
    expect((d.store as MemoryStore).listAudit().map((a) => [a.action, a.result])).toEqual([["start_parent_order", "OK"]]);
  });

  it("fires its slices from timers when no market data comes", async () => {
    const d = await quotedDesk();
    await start(d, { algo: { kind: "twap", horizonSeconds: 120, intervalSeconds: 60 } });
    d.clock.advance(60_000);
    d.timers.fireDue();
    await d.engine.run(() => undefined);
    expect(parent(d)).toMatchObject({ status: "done", filledQty: "1", childrenSent: 2 });
  });

  it("skips slices while the touch is beyond the limit-price guard and crosses nothing beyond it", async () => {
    const d = await quotedDesk();
    await start(d, { limitPrice: "20005", endBehaviour: "cancel", algo: { kind: "twap", horizonSeconds: 180, intervalSeconds: 60 } });
    // Slice 1 at 20000.5 (inside the guard) fills as a limit IOC at the guard.
    expect(parent(d).filledQty).toBe("0.333");
    await quote(d, 20100, 59_000); // the market moves beyond the guard before slice 2 is due
    await quote(d, 20100, 1_000); // slice 2: skipped
    await quote(d, 20100, 60_000); // slice 3: skipped
    await quote(d, 20100, 60_000); // horizon over
    const view = parent(d);
    expect(view.status).toBe("done");
    expect(view.filledQty).toBe("0.333");
    expect(view.reason).toContain("remainder cancelled");
  });

  it("pauses (canceling nothing live), resumes and cancels; a cancelled parent sends nothing more", async () => {
    const d = await quotedDesk();
    await start(d, { algo: { kind: "twap", horizonSeconds: 300, intervalSeconds: 60 } });
    expect(await d.engine.execute({ kind: "pauseParent", parentId: "par-1", actor: trader, reason: "wait" })).toMatchObject({ ok: true });
    await quote(d, 20000, 60_000);
    expect(parent(d)).toMatchObject({ status: "paused", childrenSent: 1 });
    expect(await d.engine.execute({ kind: "pauseParent", parentId: "par-1", actor: trader, reason: null })).toMatchObject({
      ok: false,
      error: { code: "INVALID_STATE" },
    });
    await d.engine.execute({ kind: "resumeParent", parentId: "par-1", actor: trader, reason: null });
    // The missed slice rolls into the next one sent on resume.
    expect(parent(d)).toMatchObject({ status: "working", childrenSent: 2, filledQty: "0.4" });
    expect(await d.engine.execute({ kind: "cancelParent", parentId: "par-1", actor: trader, reason: "enough" })).toMatchObject({ ok: true });
    await quote(d, 20000, 60_000);
    expect(parent(d)).toMatchObject({ status: "cancelled", childrenSent: 2, filledQty: "0.4" });
    expect(await d.engine.execute({ kind: "cancelParent", parentId: "nope", actor: trader, reason: null })).toMatchObject({
      ok: false,
      error: { code: "NOT_FOUND" },
    });
  });
});

describe("iceberg with partial fills", () => {
  it("shows the display quantity, books partial fills once, refills, and cancels its resting child when cancelled", async () => {
    const d = await quotedDesk();
    await start(d, { limitPrice: "19990", algo: { kind: "iceberg", displayQty: "0.2" } });
    const open = () => d.engine.state().openOrders;
    expect(open()).toHaveLength(1);
    expect(open()[0]).toMatchObject({ clientOrderId: "par-1.1", type: "LIMIT" });
    expect(open()[0]!.quantity.toString()).toBe("0.2");
    await trade(d, 19989, 0.05); // a partial fill of the visible part
    expect(parent(d)).toMatchObject({ filledQty: "0.05", childrenSent: 1 });
    await trade(d, 19989, 0.5); // the rest of the visible part: refilled
    expect(parent(d)).toMatchObject({ filledQty: "0.2", childrenSent: 2 });
    expect(open().map((o) => o.clientOrderId)).toEqual(["par-1.2"]);
    expect(await d.engine.execute({ kind: "cancelParent", parentId: "par-1", actor: trader, reason: "stop" })).toMatchObject({ ok: true });
    expect(open()).toHaveLength(0);
    expect(d.store.getOrder("par-1.2")!.order.status).toBe("CANCELED");
    expect(parent(d)).toMatchObject({ status: "cancelled", filledQty: "0.2" });
    expect(d.engine.state().positions[0]!.position.quantity.toString()).toBe("0.2");
  });
});

describe("halts and refusals", () => {
  it("an emergency stop finishes every parent at once and cancels the working child first", async () => {
    const d = await quotedDesk();
    await start(d, { limitPrice: "19990", algo: { kind: "iceberg", displayQty: "0.2" } });
    await start(d, { algo: { kind: "twap", horizonSeconds: 600, intervalSeconds: 60 } });
    await d.engine.execute({ kind: "emergencyStop", flatten: false, actor: { username: "ada", role: "admin" }, reason: "test halt" });
    expect(parent(d, "par-1").status).toBe("cancelled");
    expect(parent(d, "par-2").status).toBe("cancelled");
    expect(parent(d, "par-1").reason).toContain("halted");
    expect(d.store.getOrder("par-1.1")!.order.status).toBe("CANCELED");
    const before = d.venue.submitted.length;
    await quote(d, 20000, 60_000);
    await quote(d, 20000, 60_000);
    expect(d.venue.submitted.length).toBe(before);
    // A halted desk starts no parent.
    expect(await start(d, { algo: { kind: "twap", horizonSeconds: 60, intervalSeconds: 60 } })).toMatchObject({ ok: false, error: { code: "TRADING_HALTED" } });
  });

  it("a venue refusal is retried with the next child; maxRejections refusals in a row fail the parent", async () => {
    const d = await quotedDesk();
    d.venue.refusals = 1;
    await start(d, { algo: { kind: "twap", horizonSeconds: 120, intervalSeconds: 60 } });
    // The refused slice 1 rolls into slice 2.
    expect(parent(d).children[0]).toMatchObject({ status: "rejected", reason: "-2010 insufficient liquidity" });
    await quote(d, 20000, 60_000);
    expect(parent(d)).toMatchObject({ status: "done", filledQty: "1" });

    d.venue.refusals = 10;
    await start(d, { algo: { kind: "twap", horizonSeconds: 240, intervalSeconds: 60 } });
    for (let i = 0; i < 3; i++) await quote(d, 20000, 60_000);
    const failed = parent(d, "par-2");
    expect(failed.status).toBe("failed");
    expect(failed.reason).toContain("3 children refused in a row");
    expect(failed.children).toHaveLength(3);
  });

  it("a gate refusal (entries paused) reaches the parent as a refused child", async () => {
    const d = await quotedDesk();
    await d.engine.execute({ kind: "pause", actor: trader, reason: "calm" });
    await start(d, { algo: { kind: "twap", horizonSeconds: 60, intervalSeconds: 60 }, endBehaviour: "cancel" });
    const view = parent(d);
    expect(view.children[0]!.status).toBe("rejected");
    expect(view.children[0]!.reason).toMatch(/^[A-Z_]+: /);
    expect(d.store.getOrder("par-1.1")).toBeNull();
  });
});

describe("chaser", () => {
  it("re-prices an unfilled limit entry toward the touch N times, then crosses (per the symbol's execution settings)", async () => {
    const d = desk();
    await d.engine.start();
    await d.engine.execute({
      kind: "setSymbolSettings",
      symbol: "BTC/USDT",
      settings: { execution: { orderTimeoutSeconds: 10, retryAttempts: 2, chaserEnd: "cross" } },
      actor: trader,
    });
    await quote(d, 20000);
    await start(d, { algo: { kind: "chaser", entryPrice: "19900" } });
    expect(d.engine.state().openOrders[0]!.price!.toString()).toBe("19900");
    await quote(d, 20000, 10_000); // timed out: re-priced to the bid
    expect(d.engine.state().openOrders.map((o) => [o.clientOrderId, o.price!.toString()])).toEqual([["par-1.2", "19999.5"]]);
    // Its timer fires before this quote arrives: re-priced to the bid it knew.
    await quote(d, 20010, 10_000);
    expect(d.engine.state().openOrders.map((o) => [o.clientOrderId, o.price!.toString()])).toEqual([["par-1.3", "19999.5"]]);
    await quote(d, 20020, 10_000); // out of re-prices: the remainder crosses
    const view = parent(d);
    expect(view).toMatchObject({ status: "done", filledQty: "1", childrenSent: 4 });
    expect(view.children[3]).toMatchObject({ purpose: "cross remainder", type: "MARKET", status: "filled" });
  });
});

/** A store that tells what each parent save wrote. */
class CountingStore extends MemoryStore {
  readonly whole: string[] = [];
  readonly steps: { children: string[]; bytes: number; progress: string }[] = [];
  override saveParentOrder(record: ParentOrderRecord): void {
    this.whole.push(record.id);
    super.saveParentOrder(record);
  }
  override saveParentProgress(progress: ParentProgressRecord, children: readonly ParentChildRecord[]): void {
    const bytes = progress.progress.length + children.reduce((n, c) => n + c.state.length, 0);
    this.steps.push({ children: children.map((c) => c.clientOrderId), bytes, progress: progress.progress });
    super.saveParentProgress(progress, children);
  }
}

describe("the parent's journal", () => {
  it("saves a parent whole once, then per slice only its progress and the children that changed", async () => {
    const store = new CountingStore();
    const d = desk(store);
    await d.engine.start();
    await quote(d, 20000);
    await start(d, { quantity: "0.6", algo: { kind: "twap", horizonSeconds: 60, intervalSeconds: 1 } });
    for (let i = 0; i < 60; i++) await quote(d, 20000, 1000);
    expect(parent(d)).toMatchObject({ status: "done", childrenSent: 60 });
    expect(store.whole).toEqual(["par-1"]);
    // Each step writes the slice it sent (and the one it finished), never the children before them again.
    expect(Math.max(...store.steps.map((s) => s.children.length))).toBeLessThanOrEqual(2);
    // Every child once it changed after the whole save (the first one, saved whole as sent, when it filled).
    const written = store.steps.flatMap((s) => s.children);
    expect(new Set(written).size).toBe(60);
    // So a slice costs the same to save at the end as at the start (sixty children in, not sixty times more).
    const early = store.steps.slice(1, 6).reduce((n, s) => n + s.bytes, 0);
    const late = store.steps.slice(-6, -1).reduce((n, s) => n + s.bytes, 0);
    expect(late).toBeLessThan(early * 1.5);
    // The progress carries no spec, no schedule and no children.
    for (const step of store.steps) expect(step.progress).not.toMatch(/"spec"|"slices"|"children"/);
  });
});

describe("restarts", () => {
  const paths: string[] = [];
  afterEach(() => {
    for (const path of paths.splice(0)) rmSync(dirname(path), { recursive: true, force: true });
  });

  /** A fresh migrated database and a simulator state file beside it, deleted after the test. */
  function durablePaths(): { dbPath: string; venuePath: string } {
    const dbPath = createMigratedDb();
    paths.push(dbPath);
    return { dbPath, venuePath: `${dirname(dbPath)}/venue.db` };
  }

  /** A started desk on the SQLite file and the durable simulator's state file. */
  async function durableDesk(dbPath: string, venuePath: string, clock: ManualClock): Promise<Desk> {
    const d = desk(openSqliteStore({ path: dbPath, clock }), venue(venuePath), clock);
    await d.engine.start();
    return d;
  }

  async function closeDesk(d: Desk): Promise<void> {
    (d.store as SqliteStore).close();
    await d.venue.close();
  }

  async function crashAndRestart(old: Desk, dbPath: string, venuePath: string): Promise<Desk> {
    await closeDesk(old);
    return durableDesk(dbPath, venuePath, new ManualClock(old.clock.now()));
  }

  it("resumes a TWAP after a restart and never sends a slice twice", async () => {
    const { dbPath, venuePath } = durablePaths();
    let d = await durableDesk(dbPath, venuePath, new ManualClock(T0));
    await quote(d, 20000);
    await start(d, { algo: { kind: "twap", horizonSeconds: 240, intervalSeconds: 60 } });
    await quote(d, 20000, 60_000);
    expect(parent(d).childrenSent).toBe(2);
    d = await crashAndRestart(d, dbPath, venuePath);
    expect(parent(d)).toMatchObject({ status: "working", filledQty: "0.5", childrenSent: 2 });
    await quote(d, 20000, 60_000);
    await quote(d, 20000, 60_000);
    const view = parent(d);
    expect(view).toMatchObject({ status: "done", filledQty: "1", childrenSent: 4 });
    expect(d.venue.submitted).toEqual(["par-1.3", "par-1.4"]);
    await closeDesk(d);
  });

  it("a child journaled as sent but never reached the books is not resent: it is refused and the next child takes its place", async () => {
    const { dbPath, venuePath } = durablePaths();
    let d = await durableDesk(dbPath, venuePath, new ManualClock(T0));
    await quote(d, 20000);
    await start(d, { algo: { kind: "twap", horizonSeconds: 240, intervalSeconds: 60 } });
    // The crash came after the parent saved slice 2 as sent and before its order intent committed.
    const row = d.store.getParentOrder("par-1")!;
    const state = parseParentState(row.state);
    if (!state.ok) throw new Error("bad state");
    const lost = {
      ...state.value.children[0]!,
      clientOrderId: "par-1.2",
      slice: 2,
      status: "sent" as const,
      filledQty: D(0),
      filledNotional: D(0),
      tradeIds: [],
    };
    const crashed = { ...state.value, children: [...state.value.children, lost] };
    d.store.saveParentOrder({ ...row, state: serializeParentState(crashed) });
    d = await crashAndRestart(d, dbPath, venuePath);
    const view = parent(d);
    expect(view.children[1]).toMatchObject({ clientOrderId: "par-1.2", status: "rejected" });
    expect(view.children[1]!.reason).toContain("never journaled");
    await quote(d, 20000, 60_000);
    await quote(d, 20000, 60_000);
    await quote(d, 20000, 60_000);
    expect(parent(d)).toMatchObject({ status: "done", filledQty: "1" });
    expect(d.venue.submitted).not.toContain("par-1.2");
    await closeDesk(d);
  });

  it("a parent saved in parts on SQLite (whole once, then progress and changed children) reads back as it ran", async () => {
    const dbPath = createMigratedDb();
    paths.push(dbPath);
    const venuePath = `${dirname(dbPath)}/venue.db`;
    const clock = new ManualClock(T0);
    let d = desk(openSqliteStore({ path: dbPath, clock }), venue(venuePath), clock);
    await d.engine.start();
    await quote(d, 20000);
    await start(d, { algo: { kind: "twap", horizonSeconds: 600, intervalSeconds: 60 } });
    for (let i = 0; i < 10; i++) await quote(d, 20000 + i, 60_000);
    const ran = parent(d);
    expect(ran).toMatchObject({ status: "done", childrenSent: 10 });
    // The first whole save knew one child; the other nine and the end came in parts.
    const row = d.store.getParentOrder("par-1")!;
    const first = parseParentState(row.state);
    expect(first.ok && first.value.children.length).toBe(1);
    expect(row.children).toHaveLength(10);
    d = await crashAndRestart(d, dbPath, venuePath);
    expect(parent(d)).toEqual(ran);
    expect(d.venue.submitted).toEqual([]);
    (d.store as SqliteStore).close();
    await d.venue.close();
  });

  it("restartPolicy stop: the parent cancels its working child and stops after a restart", async () => {
    const { dbPath, venuePath } = durablePaths();
    let d = await durableDesk(dbPath, venuePath, new ManualClock(T0));
    await quote(d, 20000);
    await start(d, { limitPrice: "19990", restartPolicy: "stop", algo: { kind: "iceberg", displayQty: "0.2" } });
    expect(d.engine.state().openOrders).toHaveLength(1);
    d = await crashAndRestart(d, dbPath, venuePath);
    expect(parent(d)).toMatchObject({ status: "cancelled", reason: "stopped after a restart" });
    expect(d.engine.state().openOrders).toHaveLength(0);
    expect(d.venue.submitted).toEqual([]);
    await closeDesk(d);
  });
});

import { describe, expect, it } from "vitest";
import { D } from "../core/money";
import { MemoryStore } from "./memory-store";
import { makeFill, makeOrder, makePosition, makeTrade, runStoreContract } from "../../test/store-contract";

runStoreContract("MemoryStore", () => new MemoryStore());

describe("MemoryStore specifics", () => {
  it("keeps object references (no encoding on the hot path)", () => {
    const store = new MemoryStore();
    const order = makeOrder("o-1");
    const meta = { venue: "sim", positionId: null, requestedPrice: D("1") };
    store.saveOrder(order, meta);
    expect(store.getOrder("o-1")?.order).toBe(order);
  });

  it("refuses writes after close", () => {
    const store = new MemoryStore();
    store.close();
    expect(() => store.setState("k", 1)).toThrow(expect.objectContaining({ code: "STORE_CLOSED" }));
  });

  it("clears its undo log once the outermost transaction ends", () => {
    const store = new MemoryStore();
    store.transaction(() => store.setState("a", 1));
    // a later failing transaction must not undo the committed one
    expect(() =>
      store.transaction(() => {
        store.setState("b", 2);
        throw new Error("x");
      }),
    ).toThrow("x");
    expect([store.getState("a"), store.getState("b")]).toEqual([1, null]);
  });

  it("a rolled-back transaction restores a key it overwrote and removes a key it added, each set once or more", () => {
    const store = new MemoryStore();
    store.setState("kept", 1);
    store.saveOrder(makeOrder("o-1"), { venue: "sim", positionId: null, requestedPrice: null });
    const saved = store.getOrder("o-1");
    expect(() =>
      store.transaction(() => {
        store.setState("kept", 2);
        store.setState("added", 3);
        store.setState("added", 4);
        store.saveOrder(makeOrder("o-1"), { venue: "sim", positionId: "p-1", requestedPrice: null });
        store.saveOrder(makeOrder("o-2"), { venue: "sim", positionId: null, requestedPrice: null });
        throw new Error("rolled back");
      }),
    ).toThrow("rolled back");
    expect([store.getState("kept"), store.getState("added")]).toEqual([1, null]);
    expect(store.getOrder("o-1")).toBe(saved);
    expect(store.getOrder("o-2")).toBeNull();
    expect(store.loadOrders({ onlyOpen: false }).map((o) => o.order.clientOrderId)).toEqual(["o-1"]);
  });

  it("builds its per-order journal and fill lists on the first read; they follow later writes and rollbacks", () => {
    const store = new MemoryStore();
    const entry = (clientOrderId: string, type: string, ts: number) => ({ clientOrderId, type, source: "engine" as const, payload: {}, applied: true, ts });
    store.appendJournal(entry("o-1", "intent", 1));
    store.insertFill(makeFill("t-1"));
    expect(store.journalFor("o-1").map((e) => e.type)).toEqual(["intent"]);
    expect(store.fillsForOrder("o-1").map((f) => f.tradeId)).toEqual(["t-1"]);
    // Read once: later writes show in them.
    store.appendJournal(entry("o-1", "accept", 2));
    store.appendJournal(entry("o-2", "intent", 3));
    store.insertFill(makeFill("t-2"));
    expect(store.journalFor("o-1").map((e) => e.type)).toEqual(["intent", "accept"]);
    expect(store.journalFor("o-2").map((e) => e.type)).toEqual(["intent"]);
    expect(store.fillsForOrder("o-1").map((f) => f.tradeId)).toEqual(["t-1", "t-2"]);
    // Read inside a transaction that rolls back: what it wrote is gone from them too.
    expect(() =>
      store.transaction(() => {
        store.appendJournal(entry("o-1", "fill", 4));
        store.insertFill(makeFill("t-3"));
        expect(store.journalFor("o-1").map((e) => e.type)).toEqual(["intent", "accept", "fill"]);
        expect(store.fillsForOrder("o-1").map((f) => f.tradeId)).toEqual(["t-1", "t-2", "t-3"]);
        store.appendJournal(entry("o-3", "intent", 5));
        throw new Error("rolled back");
      }),
    ).toThrow("rolled back");
    expect(store.journalFor("o-1").map((e) => e.type)).toEqual(["intent", "accept"]);
    expect(store.journalFor("o-3")).toEqual([]);
    expect(store.fillsForOrder("o-1").map((f) => f.tradeId)).toEqual(["t-1", "t-2"]);
    expect(store.hasFill("sim", "t-3")).toBe(false);
    // Written before any read, inside a transaction that commits: the first read finds it.
    const fresh = new MemoryStore();
    fresh.transaction(() => {
      fresh.appendJournal(entry("o-1", "intent", 1));
      fresh.insertFill(makeFill("t-1"));
    });
    expect(fresh.journalFor("o-1").map((e) => e.seq)).toEqual([1]);
    expect(fresh.fillsForOrder("o-1").map((f) => f.tradeId)).toEqual(["t-1"]);
  });
});

describe('MemoryStore with history "open" (a backtest\'s store)', () => {
  const entry = (clientOrderId: string, type: string, ts: number) => ({ clientOrderId, type, source: "engine" as const, payload: {}, applied: true, ts });
  const noMeta = { strategy: null, signalId: null };

  it("keeps no journal entries and no closed positions, and says so when asked for them; what a run reads is kept", () => {
    const store = new MemoryStore({ history: "open" });
    expect([store.appendJournal(entry("o-1", "intent", 1)), store.appendJournal(entry("o-1", "accept", 2))]).toEqual([1, 2]);
    for (const read of [() => store.journalFor("o-1"), () => store.journalSince(0, 10), () => store.listPositions()])
      expect(read).toThrow(/keeps no history of finished records, so .* cannot be read back/);
    expect(() => store.listPositions()).toThrow(expect.objectContaining({ code: "HISTORY_NOT_KEPT" }));
    store.savePosition(makePosition("p-1", 1), null, noMeta);
    store.savePosition(makePosition("p-2", 2), null, noMeta);
    expect(store.loadOpenPositions().map((p) => p.position.id)).toEqual(["p-1", "p-2"]);
    store.savePosition(makePosition("p-1", 1, true), null, noMeta);
    expect(store.loadOpenPositions().map((p) => p.position.id)).toEqual(["p-2"]);
    // Orders (ended ones too), fills, signals and trades are kept as ever.
    store.saveOrder(makeOrder("o-1", {}, "FILLED"), { venue: "sim", positionId: "p-1", requestedPrice: D("100") });
    store.insertFill(makeFill("t-1"));
    store.insertTrade(makeTrade("tr-1", "p-1"));
    expect(store.getOrder("o-1")?.meta.requestedPrice?.toString()).toBe("100");
    expect([store.hasFill("sim", "t-1"), store.fillsForOrder("o-1").length, store.listFills().length]).toEqual([true, 1, 1]);
    expect(store.listTrades().map((t) => t.id)).toEqual(["tr-1"]);
  });

  it("a rolled-back close brings the open position back; a rolled-back append still never gives its seq again", () => {
    const store = new MemoryStore({ history: "open" });
    store.savePosition(makePosition("p-1", 1), null, noMeta);
    expect(() =>
      store.transaction(() => {
        store.appendJournal(entry("o-1", "fill", 2));
        store.savePosition(makePosition("p-1", 1, true), null, noMeta);
        expect(store.loadOpenPositions()).toEqual([]);
        throw new Error("rolled back");
      }),
    ).toThrow("rolled back");
    expect(store.loadOpenPositions().map((p) => p.position.id)).toEqual(["p-1"]);
    expect(store.appendJournal(entry("o-1", "fill", 3))).toBe(2);
  });
});

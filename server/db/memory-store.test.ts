import { describe, expect, it } from "vitest";
import { D } from "../core/money";
import { MemoryStore } from "./memory-store";
import { makeOrder, runStoreContract } from "../../test/store-contract";

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
});

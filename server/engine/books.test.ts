/**
 * Books.persistPosition: what the store keeps of each position (its strategy and signal), when the saves of several
 * positions follow one another (persistPosition shares one meta object between consecutive saves with the same fields).
 */
import { afterEach, describe, expect, it } from "vitest";
import { openTestDesk, type TestDesk } from "../../test/desk-support";

let desk: TestDesk | null = null;
afterEach(async () => {
  await desk?.close();
  desk = null;
});

describe("persistPosition", () => {
  it("saves each position with its own strategy and signal, whichever position was saved before it", async () => {
    desk = await openTestDesk({ engine: { defaultSymbolSettings: { minConfidence: 0, sizing: { method: "fixed_fraction", fraction: 0.2 } } } });
    // Saves in turn: BTC opened and filled, ETH (same strategy, another signal) opened and filled, BTC closed, ETH closed.
    for (const [id, symbol, action] of [
      ["s-1", "BTC/USDT", "BUY"],
      ["s-2", "ETH/USDT", "BUY"],
      ["s-3", "BTC/USDT", "CLOSE"],
      ["s-4", "ETH/USDT", "CLOSE"],
    ] as const) {
      desk.clock.advance(1000);
      await desk.signal(action, { id, symbol, strategy: "a" });
    }
    const saved = desk.store.listPositions().map((p) => ({ symbol: p.position.symbol, state: p.position.state, meta: p.meta }));
    expect(saved).toEqual([
      { symbol: "BTC/USDT", state: "CLOSED", meta: { strategy: "a", signalId: "s-1" } },
      { symbol: "ETH/USDT", state: "CLOSED", meta: { strategy: "a", signalId: "s-2" } },
    ]);
  });
});

/**
 * Books.persistPosition: what the store keeps of each position (its strategy and signal), when the saves of several
 * positions follow one another (persistPosition shares one meta object between consecutive saves with the same fields).
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { MemoryStore } from "../db/memory-store";
import { SimVenue } from "../venues/sim/sim-venue";
import { Engine } from "./engine";
import type { Signal } from "./types";
import { BTC, ETH } from "../../test/instruments";

const T0 = Date.UTC(2024, 0, 2, 12, 0, 0);

function signal(id: string, symbol: string, action: Signal["action"], strategy: string): Signal {
  return { id, symbol, action, confidence: 1, strategy, ts: T0 };
}

describe("persistPosition", () => {
  it("saves each position with its own strategy and signal, whichever position was saved before it", async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(T0);
    const engine = new Engine({
      venue: new SimVenue({ instruments: [BTC, ETH], initialBalances: { USDT: "10000" } }),
      store,
      clock,
      ids: sequentialIds(),
      initialEquity: "10000",
      breaker: null,
      defaultSymbolSettings: {
        minConfidence: 0,
        sizing: { method: "fixed_fraction", fraction: 0.2 },
        stopLossPct: null,
        takeProfitLevels: [],
        trailing: null,
        maxAgeMinutes: null,
      },
    });
    await engine.start();
    await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 20000, ask: 20000 });
    await engine.marketData({ kind: "quote", symbol: "ETH/USDT", bid: 2000, ask: 2000 });
    // Saves in turn: BTC opened and filled, ETH (same strategy, another signal) opened and filled, BTC closed, ETH closed.
    for (const [id, symbol, action, strategy] of [
      ["s-1", "BTC/USDT", "BUY", "a"],
      ["s-2", "ETH/USDT", "BUY", "a"],
      ["s-3", "BTC/USDT", "CLOSE", "a"],
      ["s-4", "ETH/USDT", "CLOSE", "a"],
    ] as const) {
      clock.advance(1000);
      expect(await engine.execute({ kind: "signal", signal: signal(id, symbol, action, strategy), source: "test" })).toMatchObject({ ok: true });
    }
    const saved = store.listPositions().map((p) => ({ symbol: p.position.symbol, state: p.position.state, meta: p.meta }));
    expect(saved).toEqual([
      { symbol: "BTC/USDT", state: "CLOSED", meta: { strategy: "a", signalId: "s-1" } },
      { symbol: "ETH/USDT", state: "CLOSED", meta: { strategy: "a", signalId: "s-2" } },
    ]);
  });
});

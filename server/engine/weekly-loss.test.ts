/**
 * The breaker's weekly loss limit in the engine: losing trades on two days of one UTC week add up and halt the desk
 * with WEEKLY_LOSS_PCT, while each day stays under the daily limit.
 */
import { describe, expect, it } from "vitest";
import { BTC } from "../../test/desk-support";
import { DAY_MS, ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { MemoryStore } from "../db/memory-store";
import { SimVenue } from "../venues/sim/sim-venue";
import { Engine } from "./engine";

/** Monday 2024-01-15 10:00 UTC. */
const MONDAY = Date.UTC(2024, 0, 15, 10, 0, 0);

let n = 0;

async function openDesk(maxWeeklyLossPct: number | null) {
  const clock = new ManualClock(MONDAY);
  const store = new MemoryStore();
  const engine = new Engine({
    venue: new SimVenue({ instruments: [BTC], initialBalances: { USDT: "10000" } }),
    store,
    clock,
    ids: sequentialIds(),
    initialEquity: "10000",
    breaker: {
      maxDailyLossPct: 3,
      maxWeeklyLossPct,
      maxDrawdownPct: null,
      maxConsecutiveLosses: null,
      maxOrdersPerMinute: 1000,
      maxOrdersPerHour: 10_000,
      tripAction: "HALT",
    },
    defaultSymbolSettings: {
      minConfidence: 0.5,
      sizing: { method: "fixed_fraction", fraction: 0.2 },
      stopLossPct: null,
      takeProfitLevels: [],
      trailing: null,
      maxAgeMinutes: null,
    },
  });
  await engine.start();
  const quote = async (price: number) => {
    clock.advance(1000);
    await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: price - 0.5, ask: price + 0.5 });
  };
  /** A long bought at 20000 and sold at 18000: about 2 % of equity lost (20 % of it in the trade, 10 % down). */
  const losingTrade = async () => {
    await quote(20000);
    for (const action of ["BUY", "SELL"] as const) {
      if (action === "SELL") await quote(18000);
      const result = await engine.execute({
        kind: "signal",
        signal: { id: `sig-${++n}`, symbol: "BTC/USDT", action, confidence: 0.9, strategy: "test", ts: clock.now() },
        source: "test",
      });
      expect(result.ok, result.ok ? "" : result.error.message).toBe(true);
    }
  };
  return { engine, clock, store, losingTrade };
}

describe("weekly loss limit", () => {
  it("two days' losses in one week trip the breaker (WEEKLY_LOSS_PCT) though each day is under the daily limit", async () => {
    const d = await openDesk(3);
    await d.losingTrade();
    expect(d.engine.state().tradingState).toBe("ACTIVE");
    d.clock.advance(DAY_MS); // Tuesday: a new day, the same week
    await d.losingTrade();
    const state = d.engine.state();
    expect(state.tradingState).toBe("HALTED");
    expect(state.breaker).toMatchObject({ state: "OPEN", reason: "WEEKLY_LOSS_PCT" });
    expect(state.breaker?.message).toMatch(/^Weekly loss of 4\.\d+% \(realized PnL -\d+(\.\d+)? on week-start equity 99\d\d(\.\d+)?\) reached the 3% limit\.$/);
    expect(d.store.listBreakerEvents().some((e) => e.kind === "TRIP" && e.reason === "WEEKLY_LOSS_PCT")).toBe(true);
  });

  it("without the weekly limit the same week stays active", async () => {
    const d = await openDesk(null);
    await d.losingTrade();
    d.clock.advance(DAY_MS);
    await d.losingTrade();
    expect(d.engine.state().tradingState).toBe("ACTIVE");
  });
});

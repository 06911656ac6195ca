/** Settings changes are engine commands like the others: one dispatch, audited, and (as before) not refused by the stop latch. */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { MemoryStore } from "../db/memory-store";
import { SimVenue } from "../venues/sim/sim-venue";
import { Engine } from "./engine";
import { DEFAULT_RISK_LIMITS } from "./settings";
import type { Actor, EngineCommand } from "./types";
import { BTC } from "../../test/instruments";

const admin: Actor = { username: "ada", role: "admin" };

function desk() {
  const store = new MemoryStore();
  const venue = new SimVenue({ instruments: [BTC], initialBalances: { USDT: "10000" } });
  const engine = new Engine({ venue, store, clock: new ManualClock(Date.UTC(2024, 0, 2)), ids: sequentialIds(), initialEquity: "10000" });
  return { engine, store };
}

describe("settings commands", () => {
  it.each<[string, EngineCommand, string, (engine: Engine) => unknown, unknown]>([
    [
      "risk limits",
      { kind: "setRiskLimits", limits: { ...DEFAULT_RISK_LIMITS, maxOpenPositions: 3 }, actor: admin },
      "set_risk_limits",
      (engine) => engine.riskSettings().limits.maxOpenPositions,
      3,
    ],
    [
      "a symbol's settings",
      { kind: "setSymbolSettings", symbol: "BTC/USDT", settings: { enabled: false }, actor: admin },
      "set_symbol_settings",
      (engine) => engine.settingsFor("BTC/USDT").enabled,
      false,
    ],
    [
      "the breaker's configuration",
      { kind: "setBreakerConfig", config: { maxConsecutiveLosses: 7 }, actor: admin },
      "set_breaker_config",
      (engine) => engine.riskSettings().breakerConfig?.maxConsecutiveLosses,
      7,
    ],
  ])("%s: applied through execute and executeSync, one audit row each", async (_name, command, action, read, expected) => {
    for (const run of ["execute", "executeSync"] as const) {
      const { engine, store } = desk();
      await engine.start();
      const result = run === "execute" ? await engine.execute(command) : engine.executeSync(command);
      expect(result.ok).toBe(true);
      expect(read(engine)).toEqual(expected);
      expect(store.listAudit().map((row) => [row.action, row.result])).toEqual([[action, "OK"]]);
    }
  });

  it("a refused change is audited as refused and changes nothing", async () => {
    const { engine, store } = desk();
    await engine.start();
    const result = await engine.execute({ kind: "setSymbolSettings", symbol: "DOGE/USDT", settings: {}, actor: admin });
    expect(result).toMatchObject({ ok: false, error: { code: "UNKNOWN_SYMBOL" } });
    expect(store.listAudit().map((row) => [row.action, row.result])).toEqual([["set_symbol_settings", "REFUSED"]]);
  });

  it("while trading is stopped, orders are refused but settings are still saved (they call no venue)", async () => {
    const { engine } = desk();
    await engine.start();
    engine.stopTrading("LEASE_LOST", "another process holds the lease");
    expect(await engine.execute({ kind: "pause", actor: admin, reason: null })).toMatchObject({ ok: false, error: { code: "LEASE_LOST" } });
    const result = await engine.execute({ kind: "setRiskLimits", limits: { ...DEFAULT_RISK_LIMITS, maxOpenPositions: 4 }, actor: admin });
    expect(result.ok).toBe(true);
    expect(engine.riskSettings().limits.maxOpenPositions).toBe(4);
  });
});

/**
 * The protections room in a running engine (test/desk-support: SQLite store, simulated venue, manual clock): a flash
 * move locks its symbol (entries refused with PROTECTION_LOCK, exits pass), locks expire, an admin lifts one (audited),
 * a restart keeps it, each action is applied, and the bus carries the protection event.
 *
 * The flash move is the shape of BTC/USDT's fall on 2018-01-16 (portfolio data: more than 5 % inside a minute),
 * played as 20 000 → 18 600 (−7 %) one second apart on the test desk's BTC/USDT.
 */
import { afterEach, describe, expect, it } from "vitest";
import { sequentialIds } from "../core/ids";
import type { ProtectionAction, ProtectionFiring } from "../core/protection";
import { BTC, codeOf, ETH, openTestDesk, type TestDesk, type TestDeskOptions } from "../../test/desk-support";
import { SimVenue } from "../venues/sim/sim-venue";
import { Engine } from "./engine";
import { resultMessage } from "./context";
import type { Actor } from "./types";

const ADMIN: Actor = { username: "ada", role: "admin" };
const TRADER: Actor = { username: "tina", role: "trader" };
/** No stop or take-profit: the flash move itself must not close the test's position. */
const NO_EXITS = {
  minConfidence: 0.5,
  sizing: { method: "fixed_fraction" as const, fraction: 0.1 },
  stopLossPct: null,
  takeProfitLevels: [],
  trailing: null,
  maxAgeMinutes: null,
};

let desk: TestDesk | null = null;
afterEach(async () => {
  await desk?.close();
  desk = null;
});

async function open(options: TestDeskOptions["engine"] = {}): Promise<{ desk: TestDesk; firings: ProtectionFiring[]; alerts: string[] }> {
  desk = await openTestDesk({ engine: { defaultSymbolSettings: NO_EXITS, protections: {}, ...options } });
  const firings: ProtectionFiring[] = [];
  const alerts: string[] = [];
  desk.engine.bus.subscribe((event) => {
    if (event.type === "protection") firings.push(event.firing);
    if (event.type === "alert") alerts.push(event.message);
  });
  return { desk, firings, alerts };
}

async function flashCrash(d: TestDesk): Promise<void> {
  await d.quote(20_000);
  await d.quote(18_600);
}

describe("protections in the engine", () => {
  it("system overload: an event-loop lag the runtime measured past the bound pauses entries; a tick under it does nothing", async () => {
    const { desk: d, firings } = await open({ protections: { systemOverload: { maxEventLoopLagMs: 500 } } });
    await d.quote(20_000);
    await d.engine.tick({ eventLoopLagMs: 120 });
    expect(firings).toEqual([]);
    await d.engine.tick({ eventLoopLagMs: 800 });
    expect(firings.map((f) => [f.rule, f.action])).toEqual([["SYSTEM_OVERLOAD", "PAUSE_ENTRIES"]]);
    // Paused entries: the trading state only lets reducing orders through, and a new entry is refused.
    expect(d.engine.state().tradingState).toBe("REDUCING");
    expect((await d.trySignal("BUY")).ok).toBe(false);
  });

  it("a flash move locks its symbol: a new entry is refused with PROTECTION_LOCK, an exit still passes, the bus hears it", async () => {
    const { desk: d, firings, alerts } = await open();
    await d.signal("BUY");
    const position = d.engine.state().positions.find((p) => p.position.symbol === "BTC/USDT")!;
    expect(position.position.quantity.greaterThan(0)).toBe(true);

    await flashCrash(d);
    expect(firings.map((f) => [f.rule, f.scope, f.action, f.lockMinutes])).toEqual([["FLASH_MOVE", { kind: "symbol", symbol: "BTC/USDT" }, "LOCK_SYMBOL", 30]]);
    expect(alerts.some((a) => a.startsWith("Protection FLASH_MOVE on BTC/USDT (LOCK_SYMBOL)"))).toBe(true);
    const [lock] = d.engine.protections().locks;
    expect(lock).toMatchObject({ rule: "FLASH_MOVE", scope: { kind: "symbol", symbol: "BTC/USDT" }, until: d.clock.now() + 30 * 60_000 });

    const refused = await d.trySignal("BUY");
    expect(refused.ok).toBe(false);
    expect(codeOf(refused)).toBe("PROTECTION_LOCK");
    expect(resultMessage(refused)).toContain("FLASH_MOVE");
    expect(resultMessage(refused)).toContain(`until ${new Date(lock!.until!).toISOString()}`);
    // A manual entry is refused alike; another symbol is not locked.
    await expect(d.order({ symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.01" })).rejects.toThrow(/PROTECTION_LOCK/);
    expect((await d.trySignal("BUY", { symbol: ETH.symbol })).ok).toBe(true);

    // The exit passes: the position is closed while the lock holds.
    const close = await d.engine.execute({ kind: "closePosition", positionId: position.position.id, actor: TRADER, reason: "take it off" });
    expect(close.ok).toBe(true);
    expect(d.engine.state().positions.some((p) => p.position.id === position.position.id)).toBe(false);
    expect(d.engine.protections().firings[0]?.rule).toBe("FLASH_MOVE");
  });

  it("a lock expires with its time: the engine's tick removes it and entries pass again", async () => {
    const { desk: d } = await open();
    await flashCrash(d);
    expect(codeOf(await d.trySignal("BUY"))).toBe("PROTECTION_LOCK");
    d.clock.advance(29 * 60_000);
    await d.engine.tick();
    expect(d.engine.protections().locks).toHaveLength(1);
    d.clock.advance(60_000);
    await d.engine.tick();
    expect(d.engine.protections().locks).toEqual([]);
    expect((await d.trySignal("BUY")).ok).toBe(true);
  });

  it("an admin lifts a lock with a reason (audited); a trader cannot, nor can a lift without a reason", async () => {
    const { desk: d } = await open();
    await flashCrash(d);
    const lockId = d.engine.protections().locks[0]!.id;

    const byTrader = await d.engine.execute({ kind: "liftProtectionLock", lockId, actor: TRADER, reason: "I want in" });
    expect(byTrader).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    const noReason = await d.engine.execute({ kind: "liftProtectionLock", lockId, actor: ADMIN, reason: "  " });
    expect(noReason).toMatchObject({ ok: false, error: { code: "LIFT_REASON_REQUIRED" } });
    expect(codeOf(await d.trySignal("BUY"))).toBe("PROTECTION_LOCK");

    const lifted = await d.engine.execute({ kind: "liftProtectionLock", lockId, actor: ADMIN, reason: "feed glitch, checked on the venue" });
    expect(lifted.ok).toBe(true);
    expect(d.engine.protections().locks).toEqual([]);
    expect((await d.trySignal("BUY")).ok).toBe(true);
    const rows = d.store.listAudit().filter((r) => r.action === "lift_protection_lock");
    expect(rows.map((r) => [r.actor, r.target, r.reason, r.result])).toEqual([
      ["tina", lockId, "I want in", "REFUSED"],
      ["ada", lockId, "  ", "REFUSED"],
      ["ada", lockId, "feed glitch, checked on the venue", "OK"],
    ]);
    const again = await d.engine.execute({ kind: "liftProtectionLock", lockId, actor: ADMIN, reason: "twice" });
    expect(again).toMatchObject({ ok: false, error: { code: "LOCK_NOT_FOUND" } });
  });

  it("a restart keeps the lock: the engine built again on the same store refuses the entry", async () => {
    const { desk: d } = await open();
    await flashCrash(d);
    const before = d.engine.protections();
    const engine = new Engine({
      venue: new SimVenue({ instruments: [BTC, ETH], initialBalances: { USDT: "100000" } }),
      store: d.store,
      clock: d.clock,
      ids: sequentialIds("r"),
      initialEquity: "100000",
      breaker: null,
      defaultSymbolSettings: NO_EXITS,
    });
    await engine.start();
    expect(engine.protections()).toEqual(before);
    await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 18_600, ask: 18_601 });
    const refused = await engine.execute({
      kind: "signal",
      signal: { id: "sig-after-restart", symbol: "BTC/USDT", action: "BUY", confidence: 0.9, strategy: "test", ts: d.clock.now() },
      source: "test",
    });
    expect(refused).toMatchObject({ ok: false, error: { code: "PROTECTION_LOCK" } });
  });

  it("a losing streak locks the strategy, not the symbol or the desk", async () => {
    const { desk: d, firings } = await open({ protections: { strategyFailure: { maxLosingStreak: 1, lockMinutes: 60 } } });
    await d.signal("BUY", { strategy: "sma" });
    const position = d.engine.state().positions.find((p) => p.position.symbol === "BTC/USDT")!;
    await d.quote(19_900);
    expect((await d.engine.execute({ kind: "closePosition", positionId: position.position.id, actor: TRADER, reason: "cut" })).ok).toBe(true);
    expect(firings.map((f) => [f.rule, f.scope])).toEqual([["STRATEGY_FAILURE", { kind: "strategy", strategy: "sma" }]]);
    expect(codeOf(await d.trySignal("BUY", { strategy: "sma", symbol: ETH.symbol }))).toBe("PROTECTION_LOCK");
    expect((await d.trySignal("BUY", { strategy: "other" })).ok).toBe(true);
  });

  it("stale data with a position open fires on the engine's tick", async () => {
    const { desk: d, firings } = await open({ protections: { staleData: { maxSilenceSeconds: 60 } } });
    await d.signal("BUY");
    d.clock.advance(61_000);
    await d.engine.tick();
    expect(firings.map((f) => [f.rule, f.scope, f.action])).toEqual([["STALE_DATA", { kind: "symbol", symbol: "BTC/USDT" }, "ALERT"]]);
    expect(d.engine.protections().locks).toEqual([]);
  });

  it("venue failures reported by the resilient layer fire VENUE_UNREACHABLE and pause entries", async () => {
    const { desk: d, firings } = await open({ protections: { venueUnreachable: { maxConsecutiveFailures: 3 } } });
    for (let i = 0; i < 3; i++) d.engine.noteVenueError();
    await d.engine.tick();
    expect(firings.map((f) => [f.rule, f.action])).toEqual([["VENUE_UNREACHABLE", "PAUSE_ENTRIES"]]);
    expect(d.engine.state().tradingState).toBe("REDUCING");
  });

  const ACTIONS: { action: ProtectionAction; state: string; locks: number; openOrders: number; positions: number }[] = [
    { action: "ALERT", state: "ACTIVE", locks: 0, openOrders: 1, positions: 1 },
    { action: "LOCK_SYMBOL", state: "ACTIVE", locks: 1, openOrders: 1, positions: 1 },
    { action: "PAUSE_ENTRIES", state: "REDUCING", locks: 1, openOrders: 1, positions: 1 },
    { action: "HALT", state: "HALTED", locks: 0, openOrders: 1, positions: 1 },
    { action: "HALT_CANCEL", state: "HALTED", locks: 0, openOrders: 0, positions: 1 },
    { action: "HALT_CANCEL_FLATTEN", state: "HALTED", locks: 0, openOrders: 0, positions: 0 },
  ];
  it.each(ACTIONS)("a flash move with action $action: trading $state, $locks lock(s), $openOrders open order(s), $positions position(s)", async (row) => {
    const { desk: d, firings } = await open({ protections: { flashMove: { action: row.action } } });
    await d.signal("BUY");
    await d.order({ symbol: "ETH/USDT", side: "BUY", type: "LIMIT", quantity: "0.01", price: "1000" });
    await flashCrash(d);
    expect(firings.map((f) => f.action)).toEqual([row.action]);
    const state = d.engine.state();
    expect(state.tradingState).toBe(row.state);
    expect(d.engine.protections().locks).toHaveLength(row.locks);
    expect(state.openOrders).toHaveLength(row.openOrders);
    expect(state.positions.filter((p) => p.position.quantity.greaterThan(0))).toHaveLength(row.positions);
    if (row.action === "PAUSE_ENTRIES") expect((await d.trySignal("BUY", { symbol: ETH.symbol })).ok).toBe(false);
  });
});

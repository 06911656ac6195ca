import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createMigratedDb } from "../../test/db";
import { FakeScheduler } from "../../test/replay/fake-scheduler";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { loadConfig } from "../config";
import { openSqliteStore, type SqliteStore } from "../db/sqlite-store";
import { loadCandlesCsv } from "../venues/replay/csv";
import { SimVenue } from "../venues/sim/sim-venue";
import { AlertRules, DEFAULT_ALERT_SETTINGS } from "../core/alerts";
import { alertInput } from "./alerts";
import { Engine } from "./engine";
import {
  buildLanes,
  chooseStartTs,
  createStrategyRouter,
  defaultRiskLimits,
  deskAlertSettings,
  replayBreaker,
  REPLAY_PROTECTIONS,
  simulatedDesk,
  startReplayDesk,
  type SignalOutcome,
} from "./replay-desk";

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** The zero-config replay desk as the runtime builds it, on a temp database, a manual clock and fake timers. */
async function zeroConfigDesk() {
  const config = loadConfig({});
  const dir = mkdtempSync(join(tmpdir(), "bastion-replay-desk-"));
  const clock = new ManualClock(T0);
  const scheduler = new FakeScheduler(clock);
  const store: SqliteStore = openSqliteStore({ path: createMigratedDb(dir), clock });
  const sim = simulatedDesk(config, () => {
    throw new Error("the zero-config desk takes no Binance instruments");
  });
  const venue = new SimVenue({
    instruments: sim.instruments,
    initialBalances: sim.initialBalances,
    slippage: { model: "REALISTIC", impactK: 0.1, fixedBps: 1 },
    participationCap: 0.25,
    latencyMs: 20,
  });
  const engine = new Engine({
    venue,
    store,
    clock,
    ids: sequentialIds(),
    initialEquity: sim.capital,
    quoteCurrency: sim.instruments[0]!.quote,
    breaker: replayBreaker(config.symbols.length),
    protections: REPLAY_PROTECTIONS,
    riskLimits: defaultRiskLimits(sim.instruments[0]!.quote, config.symbols.length),
  });
  await engine.start();
  const outcomes: SignalOutcome[] = [];
  const lanes = buildLanes(config.strategies);
  const router = createStrategyRouter({ engine, lanes, clock, onSignal: (o) => outcomes.push(o) });
  const sets = config.replay.files.map(({ symbol, file }) => ({ symbol, candles: loadCandlesCsv(file) }));
  const tick = new Map(sim.instruments.map((i) => [i.symbol, i.priceTick.toNumber()]));
  const replay = startReplayDesk({
    sets,
    router,
    lanes,
    engine,
    speed: config.replay.speed,
    clock,
    scheduler,
    priceTick: (s) => tick.get(s)!,
  });
  cleanups.push(async () => {
    replay.stop();
    await engine.run(() => undefined);
    await venue.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  /** Moves desk time on in 100 ms steps, letting the engine's promises settle between them. */
  const advance = async (ms: number, each?: () => void) => {
    for (let t = 0; t < ms; t += 100) {
      scheduler.advance(100);
      await engine.run(() => undefined);
      await new Promise((resolve) => setImmediate(resolve));
      each?.();
    }
  };
  // The alert rules at the defaults and at the replay's thresholds, on the same bus events (as the runtime maps them).
  const slippage = { atDefaults: [] as string[], atReplay: [] as string[] };
  const defaultRules = new AlertRules(DEFAULT_ALERT_SETTINGS);
  const replayRules = new AlertRules(deskAlertSettings("replay", null));
  engine.bus.subscribe((event) => {
    if (event.type !== "fill") return;
    const input = alertInput(
      event,
      clock.now(),
      (id) => store.getOrder(id)?.meta.requestedPrice?.toString() ?? null,
      (id) => store.getOrder(id)?.order ?? null,
    );
    if (!input) return;
    for (const signal of defaultRules.observe(input)) if (signal.op === "raise") slippage.atDefaults.push(signal.message);
    for (const signal of replayRules.observe(input)) if (signal.op === "raise") slippage.atReplay.push(signal.message);
  });
  return { config, sim, engine, outcomes, advance, replay, store, slippage };
}

describe("the zero-config replay desk", () => {
  it("is the portfolio set: ten BTC-quoted symbols, 1 BTC, two strategies on disjoint symbols, speed 300", () => {
    const config = loadConfig({});
    expect(config.mode).toBe("replay");
    expect(config.replay).toMatchObject({ set: "portfolio", speed: 300 });
    expect(config.symbols).toHaveLength(10);
    expect(config.symbols.every((s) => s.endsWith("/BTC"))).toBe(true);
    expect(config.strategies.map((s) => s.kind)).toEqual(["sma-cross", "rsi-reversion"]);
    const [a, b] = config.strategies;
    expect(a!.symbols.filter((s) => b!.symbols.includes(s))).toEqual([]);
    expect([...a!.symbols, ...b!.symbols].sort()).toEqual([...config.symbols].sort());
    const sim = simulatedDesk(config, () => []);
    expect(sim.capital).toBe("1");
    expect(sim.instruments[0]!.quote).toBe("BTC");
  });

  it("trades within 15 s of desk time, then holds positions on at least 3 symbols from both strategies", async () => {
    const desk = await zeroConfigDesk();
    let firstFill: number | null = null;
    let mostOpen = 0;
    const openSymbols = () => desk.config.symbols.filter((s) => desk.engine.openPosition(s) !== null);
    await desk.advance(15_000, () => {
      if (firstFill === null && openSymbols().length > 0) firstFill = desk.engine.now();
    });
    const accepted = desk.outcomes.filter((o) => o.result.ok);
    expect(accepted.length, JSON.stringify(desk.outcomes.map((o) => o.result))).toBeGreaterThan(0);
    expect(accepted[0]!.at - T0).toBeLessThanOrEqual(15_000);
    // The first position is filled (a trade) within 15 s of the start.
    expect(firstFill).not.toBeNull();
    expect(firstFill! - T0).toBeLessThanOrEqual(15_000);
    // Five recorded hours (300 bars) later: positions on several symbols, and both strategies have signalled.
    await desk.advance(300_000, () => {
      mostOpen = Math.max(mostOpen, openSymbols().length);
    });
    expect(mostOpen).toBeGreaterThanOrEqual(3);
    const byStrategy = new Set(desk.outcomes.filter((o) => o.result.ok && o.action === "BUY").map((o) => o.lane.id));
    expect([...byStrategy].sort()).toEqual(["rsi-reversion", "sma-cross"]);
    // Each signal is attributed to the strategy that runs on its symbol.
    for (const o of desk.outcomes) expect(desk.config.strategies.find((s) => s.id === o.lane.id)!.symbols).toContain(o.lane.symbol);
    // Its fills raise no slippage alert at the replay's thresholds; at the live defaults, a fill now and then a bar step
    // away from its arrival price does (REPLAY_ALERTS says why).
    expect(desk.slippage.atReplay).toEqual([]);
    expect(desk.slippage.atDefaults.length).toBeGreaterThan(0);
  }, 60_000);
});

describe("the replay desk's alert thresholds", () => {
  it("replay raises the slippage bounds; a desk file's alerts win key by key; other modes keep the defaults", () => {
    expect(deskAlertSettings("replay", null)).toEqual({ ...DEFAULT_ALERT_SETTINGS, slippageWarnBps: 150, slippageCriticalBps: 500 });
    expect(deskAlertSettings("replay", { slippageWarnBps: 80 })).toMatchObject({ slippageWarnBps: 80, slippageCriticalBps: 500 });
    expect(deskAlertSettings("paper", null)).toEqual(DEFAULT_ALERT_SETTINGS);
    expect(deskAlertSettings("live", { latencyMs: 5_000 })).toEqual({ ...DEFAULT_ALERT_SETTINGS, latencyMs: 5_000 });
  });
});

describe("the replay start", () => {
  it("is a few bars before the first entry any lane takes, on a bar every set has", () => {
    const bar = 300_000;
    const flat = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ ts: from + i * bar, open: 1, high: 1, low: 1, close: 1, volume: 1 }));
    // rsi-reversion enters on the first oversold close: a steady fall from bar 20 on.
    const falling = flat(40).map((c, i) => (i < 20 ? c : { ...c, open: 1 - (i - 19) * 0.01, high: 1, low: 0.5, close: 1 - (i - 19) * 0.01 }));
    const lanes = buildLanes([{ id: "rsi", kind: "rsi-reversion", params: { period: 5, oversold: 30, exit: 55 }, symbols: ["A/BTC"] }]);
    const startTs = chooseStartTs(
      [
        { symbol: "A/BTC", candles: falling },
        { symbol: "B/BTC", candles: flat(40) },
      ],
      lanes,
      3,
    );
    const entry = falling.findIndex((c) => lanes[0]!.strategy.onCandle(c, { position: "FLAT" })?.action === "OPEN_LONG");
    expect(entry).toBeGreaterThan(19);
    expect(startTs).toBe((entry - 3) * bar);
  });
});

/**
 * The committed cross-venue desk file played as the runtime plays it: two simulated venues, each fed its own recording
 * (Binance.US 1m, Kraken 5m, March 2023), time-aligned on one clock; routing compares the venues' real quotes net of fee.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createMigratedDb } from "../../test/db";
import { FakeScheduler } from "../../test/replay/fake-scheduler";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { D } from "../core/money";
import { loadConfig } from "../config";
import { openSqliteStore } from "../db/sqlite-store";
import { loadCandlesCsv, type Candle } from "../venues/replay/csv";
import { simulatedVenue, simulatedVenueEntries } from "./desk-venues";
import { Engine } from "./engine";
import { buildLanes, createStrategyRouter, simulatedDesk, startReplayDesk } from "./replay-desk";
import { deskInstruments } from "./runtime";
import { VenueSet } from "./venue-set";

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
/** 2023-03-03 03:00: Kraken's 03:20 bar closes ~35 bp under Binance.US's, more than the 16 bp fee difference. */
const START = Date.UTC(2023, 2, 3, 3, 0);
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function crossVenueDesk() {
  const config = loadConfig({ BASTION_CONFIG: "config/desk.cross-venue.example.yaml", BASTION_STRATEGY: "off" });
  const dir = mkdtempSync(join(tmpdir(), "bastion-cross-venue-"));
  const clock = new ManualClock(T0);
  const scheduler = new FakeScheduler(clock);
  const store = openSqliteStore({ path: createMigratedDb(dir), clock });
  const sim = simulatedDesk(config, deskInstruments);
  const entries = simulatedVenueEntries(config.desk);
  const venues = entries.map((entry, i) =>
    simulatedVenue(entry, sim.instruments, { initialBalances: sim.initialBalances, seed: i + 1, statePath: join(dir, `sim-${entry.id}.db`) }),
  );
  const set = new VenueSet(venues);
  const engine = new Engine({ venue: set, store, clock, ids: sequentialIds(), initialEquity: "20000", quoteCurrency: "USDT" });
  await engine.start();
  const lanes = buildLanes(config.strategies);
  const router = createStrategyRouter({ engine, lanes, clock });
  const sets = config.replay.files.map(({ symbol, file, venue }) => ({ symbol, candles: loadCandlesCsv(file), ...(venue && { venue }) }));
  const replay = startReplayDesk({
    sets,
    router,
    lanes,
    engine,
    speed: config.replay.speed,
    clock,
    scheduler,
    priceTick: () => 0.01,
    startAt: START,
  });
  cleanups.push(async () => {
    replay.stop();
    await engine.run(() => undefined);
    await set.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const advance = async (ms: number) => {
    scheduler.advance(ms);
    await engine.run(() => undefined);
  };
  return { config, engine, set, store, sets, replay, clock, advance, speed: config.replay.speed };
}

/** The recorded bar holding recorded time `ts`. */
function barAt(candles: readonly Candle[], barMs: number, ts: number): Candle | undefined {
  return candles.find((c) => c.ts <= ts && ts < c.ts + barMs);
}

describe("the cross-venue desk file in replay", () => {
  it("plays each venue its own recording; a routed signal goes to the venue cheaper net of its fee", async () => {
    const desk = await crossVenueDesk();
    expect(desk.sets.map((s) => [s.venue, s.candles.length > 0])).toEqual([
      ["sim-binanceus", true],
      ["sim-kraken", true],
    ]);
    expect(desk.replay.status().map((s) => s.venue)).toEqual(["sim-binanceus", "sim-kraken"]);
    const bars = { "sim-binanceus": { candles: desk.sets[0]!.candles, barMs: 60_000 }, "sim-kraken": { candles: desk.sets[1]!.candles, barMs: 300_000 } };
    const fee = { "sim-binanceus": 0.001, "sim-kraken": 0.0026 };
    const ids = ["sim-binanceus", "sim-kraken"] as const;
    let differed = 0;
    const routed: { venue: string; expected: string; asks: Record<string, number> }[] = [];
    let seq = 0;
    // 30 recorded minutes in 6-recorded-second steps (100 ms of desk time at 60×).
    for (let step = 0; step < 300; step++) {
      await desk.advance(100);
      const quotes = ids.map((id) => desk.set.quotes.get(id)!.get("BTC/USDT"));
      if (quotes.some((q) => !q || q.ask === null)) continue;
      // Each venue's quote lies inside its own recording's bar at that recorded time (1 bp spread around the path).
      for (const [i, id] of ids.entries()) {
        const q = quotes[i]!;
        const recorded = START + (q.ts - T0) * desk.speed;
        const bar = barAt(bars[id].candles, bars[id].barMs, recorded);
        expect(bar, `${id} at ${new Date(recorded).toISOString()}`).toBeDefined();
        expect(q.last).toBeGreaterThanOrEqual(bar!.low * 0.9998);
        expect(q.last).toBeLessThanOrEqual(bar!.high * 1.0002);
      }
      if (quotes[0]!.last !== quotes[1]!.last) differed++;
      // A routed entry at each change of the cheaper venue (own strategy id each, so no position pulls the next one).
      const net = ids.map((id, i) => quotes[i]!.ask! * (1 + fee[id]));
      const expected = net[0]! <= net[1]! ? ids[0] : ids[1];
      if (routed.length > 0 && routed[routed.length - 1]!.expected === expected) continue;
      const result = await desk.engine.execute({
        kind: "signal",
        signal: { id: `route-${++seq}`, symbol: "BTC/USDT", action: "BUY", confidence: 0.75, strategy: `route-${seq}`, ts: desk.clock.now() },
        source: "strategy",
      });
      expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
      const clientOrderId = result.ok ? (result.data?.clientOrderId as string) : "";
      const stored = desk.store.getOrder(clientOrderId);
      routed.push({ venue: String(stored?.meta.venue), expected, asks: { [ids[0]]: quotes[0]!.ask!, [ids[1]]: quotes[1]!.ask! } });
    }
    // Two recordings, two prices: the venues' quotes differ nearly all the time.
    expect(differed).toBeGreaterThan(200);
    // Binance.US (lower fee) first, then Kraken once its ask is lower by more than the fee difference.
    expect(routed.map((r) => r.expected).slice(0, 2), JSON.stringify(routed)).toEqual(["sim-binanceus", "sim-kraken"]);
    for (const r of routed) expect(r.venue, JSON.stringify(r)).toBe(r.expected);
    const kraken = routed.find((r) => r.expected === "sim-kraken")!;
    expect(D(kraken.asks["sim-kraken"]!).lessThan(kraken.asks["sim-binanceus"]!)).toBe(true);
  });
});

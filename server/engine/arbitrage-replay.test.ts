/**
 * The arbitrage executor over the real recordings (data/market/cross-venue/, March 2023), played as the runtime plays
 * them: two simulated venues, each fed its own recording, on one clock. The committed arbitrage desk (BTC/USDC on
 * Binance.US against BTC/USD on Kraken) must trade the USDC de-peg of 2023-03-11; the same executor on BTC/USDT across
 * the two venues, whose books agree within about ±10 bp, must trade nothing after fees (every look skipped, with why).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
import { loadCandlesCsv } from "../venues/replay/csv";
import { simulatedVenue, simulatedVenueEntries } from "./desk-venues";
import { Engine } from "./engine";
import { buildLanes, createStrategyRouter, deskProtections, simulatedDesk, startReplayDesk } from "./replay-desk";
import { deskInstruments } from "./runtime";
import { patched } from "./desk-file";
import { DEFAULT_RISK_LIMITS } from "./settings";
import { VenueSet } from "./venue-set";

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const DAY = 86_400_000;
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function arbitrageDesk(configPath: string, startAt: number) {
  const config = loadConfig({ BASTION_CONFIG: configPath, BASTION_STRATEGY: "off" });
  const dir = mkdtempSync(join(tmpdir(), "bastion-arb-replay-"));
  const clock = new ManualClock(T0);
  const scheduler = new FakeScheduler(clock);
  const store = openSqliteStore({ path: createMigratedDb(dir), clock });
  const sim = simulatedDesk(config, deskInstruments);
  const venues = simulatedVenueEntries(config.desk).map((entry, i) =>
    simulatedVenue(entry, sim.instruments, { initialBalances: sim.initialBalances, seed: i + 1, statePath: join(dir, `sim-${entry.id}.db`) }),
  );
  const set = new VenueSet(venues);
  const engine = new Engine({
    venue: set,
    store,
    clock,
    timers: scheduler,
    ids: sequentialIds(),
    initialEquity: "300000",
    quoteCurrency: sim.instruments[0]!.quote,
    breaker: null,
    // The protections the runtime runs a replay desk with (flash moves alert; a losing streak locks the strategy).
    protections: deskProtections("replay", config.desk!.protections),
    // The desk file's limits, as the runtime puts them in force (the gate's order rate among them).
    riskLimits: patched(DEFAULT_RISK_LIMITS, config.desk!.risk, true),
    arbitrage: config.desk!.arbitrage,
    conversionRates: config.desk!.conversionRates,
  });
  await engine.start();
  const lanes = buildLanes(config.strategies);
  const router = createStrategyRouter({ engine, lanes, clock });
  const sets = config.replay.files.map(({ symbol, file, venue }) => ({ symbol, candles: loadCandlesCsv(file), ...(venue && { venue }) }));
  const replay = startReplayDesk({ sets, router, lanes, engine, speed: config.replay.speed, clock, scheduler, priceTick: () => 0.01, startAt });
  cleanups.push(async () => {
    replay.stop();
    await engine.run(() => undefined);
    await set.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  /** Plays `recordedMs` of the recordings, in steps of a recorded minute. */
  const play = async (recordedMs: number) => {
    const stepMs = Math.round(60_000 / config.replay.speed);
    for (let t = 0; t < recordedMs / config.replay.speed; t += stepMs) {
      scheduler.advance(stepMs);
      await engine.run(() => undefined);
    }
  };
  /** The recorded time a desk time plays. */
  const recorded = (deskTs: number) => startAt + (deskTs - T0) * config.replay.speed;
  return { config, engine, store, play, recorded, sets };
}

describe("the arbitrage desk over the recorded March 2023 data", () => {
  it("BTC/USDC on Binance.US against BTC/USD on Kraken: takes the USDC de-peg of 03-11, net of both fees", async () => {
    const desk = await arbitrageDesk("config/desk.arbitrage.example.yaml", Date.UTC(2023, 2, 11, 0, 0));
    expect(desk.sets.map((s) => [s.venue, s.symbol])).toEqual([
      ["sim-binanceus", "BTC/USDC"],
      ["sim-kraken", "BTC/USD"],
    ]);
    await desk.play(DAY / 4); // 03-11 00:00 → 06:00: three quiet hours, then USDC leaves its peg (~03:30)
    const view = desk.engine.arbitrage({ opportunities: 500, roundTrips: 500 });
    const trips = view.roundTrips;
    expect(trips.length).toBeGreaterThan(0);
    // None in the quiet hours; the first at the 02:21 wick (Binance.US's BTC/USDC up 145 bp for a minute, a first
    // tremor), the rest as USDC left its peg from ~03:30. Every one sold the dear BTC/USDC against BTC/USD.
    const opened = trips.map((t) => desk.recorded(t.openedAt));
    expect(Math.min(...opened)).toBeGreaterThanOrEqual(Date.UTC(2023, 2, 11, 2, 21));
    expect(opened.filter((ts) => ts >= Date.UTC(2023, 2, 11, 3, 30)).length).toBeGreaterThan(trips.length / 2);
    for (const trip of trips) {
      expect([trip.sellVenue, trip.sellSymbol, trip.buyVenue, trip.buySymbol]).toEqual(["sim-binanceus", "BTC/USDC", "sim-kraken", "BTC/USD"]);
      expect(D(trip.netBps).greaterThanOrEqualTo(30)).toBe(true);
    }
    // Done round trips booked a PnL net of both fees; the de-peg's spread (hundreds of bp) beats the 36 bp of fees.
    // Some sell legs find no taker at their limit as the price runs (IOC): those are unwound at a small loss, and the
    // pair cools down; the matched ones carry the de-peg's spread.
    const matched = trips.filter((t) => t.status === "done" && t.repairs.length === 0);
    expect(matched.length).toBeGreaterThan(3);
    for (const t of matched) expect(D(t.pnl!).greaterThan(0), JSON.stringify(t)).toBe(true);
    const total = trips.reduce((sum, t) => sum.plus(t.pnl ?? 0), D(0));
    expect(total.greaterThan(0)).toBe(true);
    expect(D(view.totals.pnl).equals(total)).toBe(true);
    // Every trip buys BTC/USD: one currency, the same sum.
    expect(view.totals.pnlByCurrency.map((c) => [c.currency, D(c.pnl).equals(total)])).toEqual([["USD", true]]);
    expect(view.totals.taken).toBe(trips.length);
    // Before the de-peg the books agreed: those looks were skipped as below the threshold, with the reason.
    expect(view.totals.skippedByCode.find((c) => c.code === "BELOW_THRESHOLD")?.count ?? 0).toBeGreaterThan(100);
  });

  it("BTC/USDT on both venues, same pair settings: the ±10 bp noise is never traded after fees", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bastion-arb-usdt-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // The committed desk with BTC/USDT on both venues in place of BTC/USDC and BTC/USD (same fees, balances, pair settings).
    const path = join(dir, "desk.yaml");
    const example = readFileSync("config/desk.arbitrage.example.yaml", "utf8");
    writeFileSync(
      path,
      example
        .replaceAll("BTC/USDC", "BTC/USDT")
        .replaceAll("BTC/USD]", "BTC/USDT]")
        .replaceAll("BTC/USD }", "BTC/USDT }")
        .replace("symbols: [BTC/USDT, BTC/USDT]", "symbols: [BTC/USDT]")
        .replace(/USDC: 50000|USD: 50000/g, "USDT: 50000")
        .replace("btc-usdc_1m_binanceus", "btc-usdt_1m_binanceus")
        .replace("btc-usd_5m_kraken", "btc-usdt_5m_kraken")
        .replace(/start: .*/, "start: 2023-03-01T00:00:00Z"),
    );
    const desk = await arbitrageDesk(path, Date.UTC(2023, 2, 1, 0, 0));
    expect(desk.sets.map((s) => [s.venue, s.symbol])).toEqual([
      ["sim-binanceus", "BTC/USDT"],
      ["sim-kraken", "BTC/USDT"],
    ]);
    // 03-01 00:00 → 06:00. Not a vacuous window: a pair with threshold 0 and 1 bp of slippage opens four
    // round trips here (03:13, 04:47–04:48: the 1-minute and 5-minute bars' extremes apart by more than both fees).
    await desk.play(DAY / 4);
    const view = desk.engine.arbitrage({ opportunities: 500, roundTrips: 500 });
    expect(view.roundTrips).toEqual([]);
    expect(view.totals.taken).toBe(0);
    expect(desk.store.loadOrders({ onlyOpen: false })).toEqual([]);
    // Every look was skipped with the reason: below the threshold net of both fees and the slippage.
    const belowThreshold = view.totals.skippedByCode.find((c) => c.code === "BELOW_THRESHOLD")?.count ?? 0;
    expect(belowThreshold).toBeGreaterThan(1000);
    expect(belowThreshold).toBe(view.totals.skipped - (view.totals.skippedByCode.find((c) => c.code === "NO_QUOTE")?.count ?? 0));
    const runs = view.opportunities.filter((o) => o.code === "BELOW_THRESHOLD" && o.bestNetBps !== null);
    expect(runs.length).toBeGreaterThan(0);
    for (const o of runs) expect(D(o.bestNetBps!).lessThan(30)).toBe(true);
  });
});

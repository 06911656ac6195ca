/**
 * Arbitrage crash-test child (run with `node --import tsx`): one desk with two durable simulated venues (sim-a, sim-b,
 * each in its own SQLite file, both listing BTC/USDT) and one arbitrage pair across them, driven by a seeded stream of
 * quotes whose venues drift apart now and then (an opportunity) until the parent kills it with SIGKILL. See
 * ../../server/engine/crash-arbitrage.test.ts.
 *
 * Args: <dbPath> <venueDir> <seed> [mode]
 * - mode `run` (default): take the lease (waiting out the killed owner's heartbeat), start (restore + reconcile + the
 *   room's restore), print `READY`, then loop: a quote on each venue, a yield to the timers (legs have a 150 ms limit).
 *   Prints `TICK <n>` once per round trip, at a seeded step (1–60) of the steps it is open (n counts them), so the
 *   parent's kill lands while one is open, at some point of its life; exits by itself after MAX_RUN_MS (a safety net). Odd seeds run the pair maker-taker (the buy rests at the
 *   bid), even ones taker-taker; requests reach the venues after 20 ms of latency, so taker legs are in flight too.
 * - mode `verify`: take the lease, start, then quote both venues at one price (no spread) until no round trip is open
 *   and no order works (the room finishes, repairs or escalates what the kills left), print one JSON line, exit 0.
 */
import { randomInt } from "node:crypto";
import { join } from "node:path";
import type { ArbPairConfig } from "../../server/core/algos/arbitrage";
import type { Clock } from "../../server/core/clock";
import { timeOrderedIds } from "../../server/core/ids";
import { makeInstrument } from "../../server/core/instrument";
import { seededRng } from "../../server/core/rng";
import { openSqliteStore } from "../../server/db/sqlite-store";
import { Engine } from "../../server/engine/engine";
import { SimVenue } from "../../server/venues/sim/sim-venue";
import { acquireChildLease } from "./child-lease";

const BTC = makeInstrument({
  symbol: "BTC/USDT",
  priceTick: "0.01",
  qtyStep: "0.00001",
  minQty: "0.00001",
  minNotional: "5",
  makerFee: "0",
  takerFee: "0.001",
});
const BASE = 30_000;
const MAX_RUN_MS = 15_000;
const VERIFY_MS = 8_000;
const LEASE_STALE_MS = 300;

const [dbPath, venueDir, seedArg, mode = "run"] = process.argv.slice(2);
if (dbPath === undefined || venueDir === undefined || seedArg === undefined || (mode !== "run" && mode !== "verify")) {
  process.stderr.write("usage: arb-child.ts <dbPath> <venueDir> <seed> [run|verify]\n");
  process.exit(2);
}
const seed = Number(seedArg);

export const ARB_PAIR: ArbPairConfig = {
  id: "btc-ab",
  markets: [
    { venue: "sim-a", symbol: "BTC/USDT" },
    { venue: "sim-b", symbol: "BTC/USDT" },
  ],
  thresholdBps: 10,
  slippageBps: 2,
  legs: seed % 2 === 1 ? "maker-taker" : "taker-taker",
  maxQty: "0.01",
  legTimeoutMs: 150,
  maxQuoteAgeMs: 5_000,
  repair: seed % 3 === 0 ? "hedge" : "unwind",
  enabled: true,
};

const wallClock: Clock = { now: () => Date.now() };
const rng = seededRng(seed);
const rand = (): number => rng.next();
const round2 = (x: number): number => Math.round(x * 100) / 100;
/** Lets the engine's timers (leg time limits) and the venues' callbacks run between steps: a yield, not a sleep. */
const yieldToTimers = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const store = openSqliteStore({ path: dbPath, synchronous: "NORMAL", clock: wallClock });
const ownerId = `arb-crash-${process.pid}-${randomInt(1_000_000)}`;

function venue(id: string): SimVenue {
  return new SimVenue(
    { instruments: [BTC], initialBalances: { BTC: "1", USDT: "50000" }, latencyMs: 20, idPrefix: id },
    { id, statePath: join(venueDir!, `${id}.db`), synchronous: "NORMAL", lockTimeoutMs: 5000 },
  );
}

async function main(): Promise<void> {
  await acquireChildLease(store, ownerId, LEASE_STALE_MS);
  const a = venue("sim-a");
  const b = venue("sim-b");
  const engine = new Engine({
    venues: [a, b],
    store,
    clock: wallClock,
    ids: timeOrderedIds(
      () => Date.now(),
      () => randomInt(281_474_976_710_655) / 281_474_976_710_655,
    ),
    initialEquity: "160000",
    quoteCurrency: "USDT",
    breaker: null,
    protections: null,
    riskLimits: { maxOpenPositions: 50, maxPortfolioExposurePct: 90, maxSymbolExposurePct: 90, minNotional: "5" },
    arbitrage: [ARB_PAIR],
  });
  await engine.start();
  const open = () => engine.arbitrage({ opportunities: 1, roundTrips: 1 }).pairs[0]?.openRoundTrip ?? null;
  const quote = async (venueId: string, mid: number) => {
    const half = mid * 0.0001;
    await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: round2(mid - half), ask: round2(mid + half), venue: venueId });
  };

  if (mode === "verify") {
    const until = Date.now() + VERIFY_MS;
    for (;;) {
      await quote("sim-a", BASE);
      await quote("sim-b", BASE);
      await yieldToTimers();
      if (open() === null && !engine.hasWorkingOrders()) break;
      if (Date.now() > until) {
        process.stderr.write(`verify: round trip ${String(open())} still open after ${VERIFY_MS} ms\n`);
        process.exit(4);
      }
    }
    const view = engine.arbitrage({ opportunities: 1, roundTrips: 500 });
    process.stdout.write(`${JSON.stringify({ tradingState: engine.currentTradingState, roundTrips: view.totals.roundTrips, open: view.totals.open })}\n`);
    await a.close();
    await b.close();
    store.releaseLease(ownerId);
    store.close();
    process.exit(0);
  }

  process.stdout.write("READY\n");
  const startedAt = Date.now();
  let mid = BASE * (1 + (rand() - 0.5) * 0.002);
  // A dislocation: one venue's price away from the other's by 30–80 bp for a few steps (the opportunity).
  let away = { venue: "sim-a", bps: 0, steps: 0 };
  let n = 0;
  let ticks = 0;
  // One TICK per round trip, at a seeded step of its life (legs in flight, a cancel, a repair …): where the kill lands.
  let watched: { trip: string | null; steps: number; tickAt: number } = { trip: null, steps: 0, tickAt: 0 };
  for (;;) {
    n++;
    mid = mid * (1 + (rand() - 0.5) * 0.0006) + (BASE - mid) * 0.01;
    if (away.steps > 0) away.steps--;
    else if (rand() < 0.08)
      away = { venue: rand() < 0.5 ? "sim-a" : "sim-b", bps: (rand() < 0.5 ? -1 : 1) * (30 + rand() * 50), steps: 3 + Math.floor(rand() * 15) };
    else away.bps = 0;
    for (const id of rand() < 0.5 ? ["sim-a", "sim-b"] : ["sim-b", "sim-a"]) {
      const noise = (rand() - 0.5) * 0.0002;
      await quote(id, mid * (1 + noise + (id === away.venue ? away.bps / 10_000 : 0)));
    }
    await yieldToTimers();
    const trip = open();
    if (trip !== null && trip !== watched.trip) watched = { trip, steps: 0, tickAt: 1 + Math.floor(rand() * 60) };
    if (trip !== null && ++watched.steps === watched.tickAt) {
      ticks++;
      process.stdout.write(`TICK ${ticks}\n`);
    }
    if (n % 10 === 0) store.heartbeat(ownerId, Date.now());
    if (Date.now() - startedAt > MAX_RUN_MS) process.exit(3);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`arbitrage crash child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

/**
 * Crash-test child (run with `node --import tsx`): one desk — Bastion's SQLite database, the durable
 * simulated venue in its own SQLite file, the Engine — driven by a seeded random stream as fast as it
 * can go, until the parent kills it with SIGKILL. See ../crash.test.ts.
 *
 * Args: <dbPath> <venueStatePath> <seed> [mode] (a venueStatePath equal to dbPath keeps the venue's tables in Bastion's database)
 * - mode `run` (default): take the lease (the previous owner was killed: wait until its heartbeat is
 *   stale), start (restore + reconcile), print `READY <drifts>`, then loop: random-walk quotes (and some
 *   trades) for BTC/USDT and ETH/USDT, BUY/SELL/CLOSE signals, manual LIMIT orders away from the market,
 *   cancels, partial and full closes, a rare cancel-all, parent orders (short TWAPs, icebergs below the market). Prints `TICK <n>` every TICK_EVERY iterations.
 *   Early in the stream it sends again the last 3 signals that made an order before the restart (a
 *   webhook retrying what it never got an answer for) and prints `RETRY <result code>` for each.
 *   Exits by itself after MAX_RUN_MS (a safety net: the test kills it long before).
 * - mode `verify`: take the lease, start (restore + reconcile), print one JSON line, close and exit 0.
 *
 * Ids come from the wall clock plus crypto randomness, so clientOrderIds never repeat across restarts.
 */
import Database from "better-sqlite3";
import { randomInt } from "node:crypto";
import type { Clock } from "../../server/core/clock";
import { timeOrderedIds } from "../../server/core/ids";
import { makeInstrument, roundQty, type Instrument } from "../../server/core/instrument";
import { D } from "../../server/core/money";
import { seededRng } from "../../server/core/rng";
import { openSqliteStore } from "../../server/db/sqlite-store";
import { acquireChildLease } from "./child-lease";
import { SimVenue } from "../../server/venues/sim/sim-venue";
import { Engine } from "../../server/engine/engine";
import type { Actor, Signal } from "../../server/engine/types";

export const CRASH_INSTRUMENTS: Instrument[] = [
  makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.00001", minQty: "0.00001", minNotional: "5", makerFee: "0.001", takerFee: "0.001" }),
  makeInstrument({ symbol: "ETH/USDT", priceTick: "0.01", qtyStep: "0.0001", minQty: "0.0001", minNotional: "5", makerFee: "0.001", takerFee: "0.001" }),
];
const BASE_PRICE: Record<string, number> = { "BTC/USDT": 30_000, "ETH/USDT": 2_000 };
const TICK_EVERY = 10;
const MAX_RUN_MS = 30_000;
const LEASE_STALE_MS = 300;

const trader: Actor = { username: "crash-trader", role: "trader" };
const admin: Actor = { username: "crash-admin", role: "admin" };

const [dbPath, venuePath, seedArg, mode = "run"] = process.argv.slice(2);
if (dbPath === undefined || venuePath === undefined || seedArg === undefined || (mode !== "run" && mode !== "verify")) {
  process.stderr.write("usage: child.ts <dbPath> <venueStatePath> <seed> [run|verify]\n");
  process.exit(2);
}

const wallClock: Clock = { now: () => Date.now() };
const rng = seededRng(Number(seedArg));
const rand = (): number => rng.next();
const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(rand() * items.length)];
const round2 = (x: number): number => Math.round(x * 100) / 100;

const store = openSqliteStore({ path: dbPath, synchronous: "NORMAL", clock: wallClock });
const ownerId = `crash-${process.pid}-${randomInt(1_000_000)}`;

async function main(): Promise<void> {
  await acquireChildLease(store, ownerId, LEASE_STALE_MS);
  // The venue's path the same as Bastion's: the simulator keeps its tables in Bastion's database (SimVenue's `desk`), and a
  // new order's intent and the venue's acceptance commit in one transaction.
  const venue = new SimVenue(
    { instruments: CRASH_INSTRUMENTS, initialBalances: { USDT: "10000" } },
    venuePath === dbPath ? { desk: store } : { statePath: venuePath!, synchronous: "NORMAL", lockTimeoutMs: 5000 },
  );
  const engine = new Engine({
    venue,
    store,
    clock: wallClock,
    ids: timeOrderedIds(
      () => Date.now(),
      () => randomInt(281_474_976_710_655) / 281_474_976_710_655,
    ),
    initialEquity: "10000",
    // Loose: a trip would stop the stream (the loop resets it as an admin if it ever trips).
    breaker: {
      maxDailyLossPct: 50,
      maxDrawdownPct: 50,
      maxConsecutiveLosses: null,
      maxOrdersPerMinute: null,
      maxOrdersPerHour: null,
      maxConsecutiveErrors: null,
      cooldownMinutes: 0,
      tripAction: "HALT_CANCEL",
    },
    // Off like the loose breaker: random restarts jump prices and a lock would stop the stream.
    protections: null,
    riskLimits: { maxOpenPositions: 50, maxPortfolioExposurePct: 90, maxSymbolExposurePct: 60, minNotional: "10" },
    defaultSymbolSettings: {
      minConfidence: 0.3,
      sizing: { method: "fixed_fraction", fraction: 0.05 },
      stopLossPct: 1,
      takeProfitLevels: [
        { pct: 0.8, closeFraction: 0.5 },
        { pct: 1.6, closeFraction: 1 },
      ],
      trailing: { activationPct: 0.5, distancePct: 0.4 },
      maxAgeMinutes: 1,
    },
    equitySnapshotOnFill: true,
  });
  const { drifts } = await engine.start();

  if (mode === "verify") {
    const state = engine.state();
    process.stdout.write(
      `${JSON.stringify({ drifts, tradingState: state.tradingState, openOrders: state.openOrders.length, openPositions: state.positions.length, equity: state.equity.equity.toString() })}\n`,
    );
    await venue.close();
    store.releaseLease(ownerId);
    store.close();
    process.exit(0);
  }

  // A webhook whose signal was in flight when the previous process died sends it again: the last few
  // signals that produced an order come back with the same id (each must be refused as a duplicate).
  const reader = new Database(dbPath, { readonly: true });
  const retries = reader.prepare("SELECT signalId, symbol FROM orders WHERE signalId IS NOT NULL ORDER BY createdAt DESC LIMIT 3").all() as {
    signalId: string;
    symbol: string;
  }[];
  reader.close();

  process.stdout.write(`READY ${drifts}\n`);
  const startedAt = Date.now();
  // Each incarnation starts near the base price (a restart may see a jump, as a real one would).
  const mid: Record<string, number> = {};
  for (const [symbol, base] of Object.entries(BASE_PRICE)) mid[symbol] = base * (1 + (rand() - 0.5) * 0.01);
  let n = 0;
  let signals = 0;

  for (;;) {
    n++;
    const instrument = pick(CRASH_INSTRUMENTS)!;
    const symbol = instrument.symbol;
    const base = BASE_PRICE[symbol]!;
    // A random walk, pulled back towards the base so it stays within a few percent.
    let price = mid[symbol]! * (1 + (rand() - 0.5) * 0.004) + (base - mid[symbol]!) * 0.01;
    price = Math.max(base * 0.9, Math.min(base * 1.1, price));
    mid[symbol] = price;
    const half = price * 0.0001;
    await engine.marketData({ kind: "quote", symbol, bid: round2(price - half), ask: round2(price + half) });
    if (rand() < 0.15) await engine.marketData({ kind: "trade", symbol, price: round2(price), qty: 1 });

    const r = rand();
    if (n === 4 && retries.length > 0) {
      for (const retry of retries) {
        const signal: Signal = { id: retry.signalId, symbol: retry.symbol, action: "BUY", confidence: 0.9, strategy: "crash", ts: Date.now() };
        const result = await engine.execute({ kind: "signal", signal, source: "crash-test-retry" });
        process.stdout.write(`RETRY ${result.ok ? "OK" : result.error.code}\n`);
      }
    } else if (r < 0.22) {
      const action: Signal["action"] = r < 0.13 ? "BUY" : r < 0.19 ? "SELL" : "CLOSE";
      signals++;
      const signal: Signal = {
        id: `sig-${ownerId}-${signals}`,
        symbol,
        action,
        confidence: 0.4 + rand() * 0.6,
        strategy: "crash",
        ts: Date.now(),
      };
      await engine.execute({ kind: "signal", signal, source: "crash-test" });
    } else if (r < 0.3) {
      // A resting BUY limit below the market: it fills if the walk comes down to it.
      const limit = round2(price * (1 - 0.001 - rand() * 0.01));
      const qty = roundQty(instrument, D(20 + rand() * 60).dividedBy(limit), "down");
      await engine.execute({
        kind: "manualOrder",
        order: { symbol, side: "BUY", type: "LIMIT", quantity: qty.toString(), price: limit.toFixed(2) },
        actor: trader,
        reason: "crash test dip buy",
      });
    } else if (r < 0.34) {
      // A resting SELL limit above the market, reducing a long if there is one.
      const long = engine.state().positions.find((p) => p.position.symbol === symbol && p.position.side === "LONG" && p.position.quantity.greaterThan(0));
      if (long) {
        const limit = round2(price * (1 + 0.001 + rand() * 0.01));
        const qty = roundQty(instrument, long.position.quantity.times(0.3 + rand() * 0.7), "down");
        if (qty.greaterThan(0)) {
          await engine.execute({
            kind: "manualOrder",
            order: { symbol, side: "SELL", type: "LIMIT", quantity: qty.toString(), price: limit.toFixed(2) },
            actor: trader,
            reason: "crash test take profit",
          });
        }
      }
    } else if (r < 0.39) {
      const open = engine.state().openOrders.filter((o) => o.type === "LIMIT");
      const order = pick(open);
      if (order) await engine.execute({ kind: "cancelOrder", clientOrderId: order.clientOrderId, actor: trader, reason: "crash test cancel" });
    } else if (r < 0.405) {
      const position = pick(engine.state().positions.filter((p) => p.position.quantity.greaterThan(0)));
      if (position) {
        await engine.execute({
          kind: "closePosition",
          positionId: position.position.id,
          ...(rand() < 0.5 ? { fraction: 0.5 } : {}),
          actor: trader,
          reason: "crash test close",
        });
      }
    } else if (r < 0.407) {
      await engine.execute({ kind: "cancelAll", actor: trader, reason: "crash test cancel all" });
    } else if (r < 0.425 && engine.parentOrders(20).filter((p) => p.status === "working").length < 3) {
      // A parent order: a short TWAP at market, or an iceberg resting below it (children of ~15 USDT each).
      const slice = roundQty(instrument, D(15 + rand() * 5).dividedBy(price), "up");
      const twap = rand() < 0.6;
      await engine.execute({
        kind: "startParent",
        parent: twap
          ? { symbol, side: "BUY", quantity: slice.times(4).toString(), algo: { kind: "twap", horizonSeconds: 4, intervalSeconds: 1 } }
          : {
              symbol,
              side: "BUY",
              quantity: slice.times(3).toString(),
              limitPrice: round2(price * (1 - 0.0005 - rand() * 0.003)).toFixed(2),
              algo: { kind: "iceberg", displayQty: slice.toString() },
              restartPolicy: rand() < 0.5 ? "resume" : "stop",
            },
        actor: trader,
        reason: "crash test parent",
      });
    }

    if (n % TICK_EVERY === 0) {
      store.heartbeat(ownerId, Date.now());
      if (engine.currentTradingState !== "ACTIVE") {
        await engine.execute({ kind: "resetBreaker", actor: admin, reason: "crash test: keep the stream going", force: true });
      }
      process.stdout.write(`TICK ${n}\n`);
      if (Date.now() - startedAt > MAX_RUN_MS) process.exit(3);
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`crash child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

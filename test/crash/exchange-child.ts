/**
 * Crash-test child at the exchange boundary (run with `node -C react-server --import tsx`: it loads live-config, marked server-only): one LIVE desk — Bastion's
 * SQLite database, the engine, ResilientVenue → CcxtVenue → a real ccxt `binance` instance — trading
 * against the Binance-compatible test server that the PARENT runs (with its fault plan), until the
 * parent kills it with SIGKILL. See ../crash-exchange.test.ts.
 *
 * Args: <dbPath> <serverUrl> <seed> [run|verify]
 * - `run`: take the lease (waiting out a killed owner's heartbeat), start (restore + reconcile with the
 *   exchange), print `READY <drifts>`, then loop: quotes (to the server's admin endpoint and the
 *   engine), BUY/SELL signals, resting BUY limits, cancels. `TICK <n>` every few iterations.
 * - `verify`: take the lease, start, wait until the venue is quiet, reconcile once more, print one
 *   JSON line, exit 0.
 */
import { randomInt } from "node:crypto";
import type { Clock } from "../../server/core/clock";
import { timeOrderedIds } from "../../server/core/ids";
import { seededRng } from "../../server/core/rng";
import { openSqliteStore } from "../../server/db/sqlite-store";
import { acquireChildLease } from "./child-lease";
import { liveExchangesFor } from "../binance-test-server/live-exchange";
import { liveEngine, liveResilient, STRESS_DESK, wallClock } from "../live-desk";
import { CcxtVenue } from "../../server/venues/ccxt/ccxt-venue";
import { type Engine } from "../../server/engine/engine";
import type { Actor } from "../../server/engine/types";

export const EXCHANGE_CRASH_SYMBOLS = ["BTC/USDT", "ETH/USDT"] as const;
const IDS: Record<string, string> = { "BTC/USDT": "BTCUSDT", "ETH/USDT": "ETHUSDT" };
const BASE_PRICE: Record<string, number> = { "BTC/USDT": 30_000, "ETH/USDT": 2_000 };
const LEASE_STALE_MS = 300;
const MAX_RUN_MS = 30_000;
const TIMEOUT_MS = 300;

const trader: Actor = { username: "crash-trader", role: "trader" };

const [dbPath, url, seedArg, mode = "run"] = process.argv.slice(2);
if (dbPath === undefined || url === undefined || seedArg === undefined || (mode !== "run" && mode !== "verify")) {
  process.stderr.write("usage: exchange-child.ts <dbPath> <serverUrl> <seed> [run|verify]\n");
  process.exit(2);
}

const clock: Clock = wallClock;
const rng = seededRng(Number(seedArg));
const store = openSqliteStore({ path: dbPath, synchronous: "NORMAL", clock });
const ownerId = `xcrash-${process.pid}-${randomInt(1_000_000)}`;

async function until(probe: () => boolean, boundMs: number): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!probe() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function main(): Promise<void> {
  await acquireChildLease(store, ownerId, LEASE_STALE_MS);
  // The test exchange has no weight limit: a fast bucket keeps the run short (see chaos/run.ts).
  const { exchange, emergency } = liveExchangesFor(url!, { timeoutMs: TIMEOUT_MS, unthrottled: true });
  const venue = await CcxtVenue.open({
    exchange,
    emergencyExchange: emergency,
    symbols: [...EXCHANGE_CRASH_SYMBOLS],
    clock,
    pollIntervalMs: 150,
  });
  let engineRef: Engine | null = null;
  const resilient = liveResilient(venue, {
    ratePerSecond: 200,
    burst: 50,
    maxAttempts: 6,
    baseDelayMs: 20,
    maxDelayMs: 300,
    rng: seededRng(Number(seedArg) + 1),
    engine: () => engineRef,
  });
  const engine = liveEngine({
    venue: resilient,
    store,
    ids: timeOrderedIds(
      () => Date.now(),
      () => randomInt(281_474_976_710_655) / 281_474_976_710_655,
    ),
    ...STRESS_DESK,
  });
  engineRef = engine;
  const mid: Record<string, number> = { ...BASE_PRICE };
  const quote = async (symbol: string): Promise<void> => {
    const m = mid[symbol]!;
    const bid = Math.round(m * 0.99995 * 100) / 100;
    const ask = Math.round(m * 1.00005 * 100) / 100;
    await fetch(`${url}/__admin/market`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "quote", symbol, bid, ask, bidSize: 1_000, askSize: 1_000 }),
    });
    await engine.marketData({ kind: "quote", symbol, bid, ask });
  };
  const { drifts } = await engine.start();

  if (mode === "verify") {
    const quiet = async (): Promise<void> => {
      await until(() => resilient.pending === 0, 20_000);
      await venue.idle();
      await venue.pollOnce();
    };
    await quiet();
    const again = await engine.reconcile();
    await quiet();
    const state = engine.state();
    process.stdout.write(`${JSON.stringify({ drifts, again, tradingState: state.tradingState, openOrders: state.openOrders.length })}\n`);
    await resilient.close();
    store.releaseLease(ownerId);
    store.close();
    process.exit(0);
  }

  for (const symbol of EXCHANGE_CRASH_SYMBOLS) await quote(symbol);
  process.stdout.write(`READY ${drifts}\n`);
  const startedAt = Date.now();
  let n = 0;
  for (;;) {
    n++;
    const symbol = EXCHANGE_CRASH_SYMBOLS[n % 2]!;
    mid[symbol] = Math.max(BASE_PRICE[symbol]! * 0.97, Math.min(BASE_PRICE[symbol]! * 1.03, mid[symbol]! * (1 + (rng.next() - 0.5) * 0.002)));
    await quote(symbol);
    const r = rng.next();
    const signalId = `xsig-${ownerId}-${n}`;
    if (r < 0.4) {
      await engine.execute({
        kind: "signal",
        signal: { id: signalId, symbol, action: "BUY", confidence: 0.9, strategy: "xcrash", ts: Date.now() },
        source: "crash-test",
      });
    } else if (r < 0.55) {
      await engine.execute({
        kind: "signal",
        signal: { id: signalId, symbol, action: "SELL", confidence: 0.9, strategy: "xcrash", ts: Date.now() },
        source: "crash-test",
      });
    } else if (r < 0.85) {
      const price = (mid[symbol] * (1 - 0.0005 - rng.next() * 0.004)).toFixed(2);
      await engine.execute({
        kind: "manualOrder",
        order: { symbol, side: "BUY", type: "LIMIT", quantity: symbol === "BTC/USDT" ? "0.0005" : "0.01", price },
        actor: trader,
        reason: "crash test dip buy",
      });
    } else {
      const open = engine.state().openOrders.filter((o) => o.type === "LIMIT" && o.status === "ACCEPTED");
      const order = open[Math.floor(rng.next() * open.length)];
      if (order) await engine.execute({ kind: "cancelOrder", clientOrderId: order.clientOrderId, actor: trader, reason: "crash test cancel" });
    }
    if (rng.next() < 0.2) {
      await fetch(`${url}/__admin/market`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ kind: "trade", symbol: IDS[symbol], price: Math.round(mid[symbol] * 0.9985 * 100) / 100, qty: 50, aggressor: "SELL" }),
      });
    }
    if (n % 5 === 0) {
      store.heartbeat(ownerId, Date.now());
      process.stdout.write(`TICK ${n}\n`);
      if (Date.now() - startedAt > MAX_RUN_MS) process.exit(3);
    }
    // Let answers, lookups and polls run between commands, as they would between real signals.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`exchange crash child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

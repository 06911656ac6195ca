/**
 * A desk for the end-to-end benches: the real Engine journaling to SQLite (a migrated temp file) in front
 * of a SimVenue, in memory or durable (its own state file, or its tables in the desk's database). Mirrors the engine tests' setup; the limits
 * that would stop a long run (breaker trips, orders-per-minute) are lifted so every signal trades.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../../server/core/clock";
import { sequentialIds } from "../../server/core/ids";
import { makeInstrument } from "../../server/core/instrument";
import { openSqliteStore, type SqliteStore } from "../../server/db/sqlite-store";
import { createMigratedDb } from "../../test/db";
import { Engine } from "../../server/engine/engine";
import { DEFAULT_RISK_LIMITS } from "../../server/engine/settings";
import type { Signal } from "../../server/engine/types";
import { SimVenue } from "../../server/venues/sim/sim-venue";

export const BENCH_SYMBOL = "BTC/USDT";
export const BENCH_INSTRUMENT = makeInstrument({
  symbol: BENCH_SYMBOL,
  priceTick: "0.01",
  qtyStep: "0.00001",
  minQty: "0.00001",
  minNotional: "5",
  makerFee: "0.001",
  takerFee: "0.001",
});
export const BENCH_T0 = Date.UTC(2024, 0, 2, 12, 0, 0);
/** Large enough that thousands of losing round trips (fees and spread) never run the account dry. */
export const BENCH_CAPITAL = "10000000";

export interface DeskFiles {
  dir: string;
  dbPath: string;
  venuePath: string;
}

/** tmpfs when the machine has one: for files whose write speed is not what a bench measures. */
export const MEMORY_TMP = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();

/** A temp dir with a migrated database; `inMemoryFs` puts it on tmpfs (Linux), else in the OS temp dir (a disk). */
export function makeDeskFiles(prefix: string, options: { inMemoryFs?: boolean } = {}): DeskFiles {
  const dir = mkdtempSync(join(options.inMemoryFs ? MEMORY_TMP : tmpdir(), `bastion-bench-${prefix}-`));
  return { dir, dbPath: createMigratedDb(dir), venuePath: join(dir, "venue.db") };
}

export function removeDeskFiles(files: DeskFiles): void {
  rmSync(files.dir, { recursive: true, force: true });
}

export interface Desk {
  engine: Engine;
  store: SqliteStore;
  venue: SimVenue;
  clock: ManualClock;
}

export interface DeskOptions {
  /** Durable venue (its own SQLite state file) when set. */
  venuePath?: string;
  /** Durable venue with its tables in the desk's database (SimVenue `desk`, as a new replay desk runs); wins over venuePath. */
  venueInDesk?: boolean;
  /** The venue file's `synchronous` (FULL, its default, fsyncs every commit). */
  venueSynchronous?: "FULL" | "NORMAL";
  clock?: ManualClock;
}

export function openVenue(options: DeskOptions, store?: SqliteStore): SimVenue {
  return new SimVenue(
    { instruments: [BENCH_INSTRUMENT], initialBalances: { USDT: BENCH_CAPITAL } },
    options.venueInDesk && store
      ? { desk: store }
      : options.venuePath
        ? { statePath: options.venuePath, ...(options.venueSynchronous ? { synchronous: options.venueSynchronous } : {}) }
        : {},
  );
}

export function makeEngine(store: SqliteStore, venue: SimVenue, clock: ManualClock): Engine {
  return new Engine({
    venue,
    store,
    clock,
    ids: sequentialIds(`r${clock.now()}`),
    initialEquity: BENCH_CAPITAL,
    // The breaker stays in the path (orders, trades and equity are recorded) but never trips.
    breaker: {
      maxDailyLossPct: null,
      maxDrawdownPct: null,
      maxConsecutiveLosses: null,
      maxOrdersPerMinute: null,
      maxOrdersPerHour: null,
      maxConsecutiveErrors: null,
    },
    riskLimits: { ...DEFAULT_RISK_LIMITS, maxOrdersPerMinute: 100_000 },
    // 0.1 % of the capital per entry (about 10 000 USDT): every BUY opens, every SELL closes, with exit rules
    // that a flat quote never fires.
    defaultSymbolSettings: {
      minConfidence: 0.5,
      sizing: { method: "fixed_fraction", fraction: 0.001 },
      stopLossPct: 2,
      takeProfitLevels: [
        { pct: 3, closeFraction: 0.5 },
        { pct: 6, closeFraction: 1 },
      ],
      trailing: null,
      maxAgeMinutes: 24 * 60,
    },
  });
}

export function openDesk(dbPath: string, options: DeskOptions = {}): Desk {
  const clock = options.clock ?? new ManualClock(BENCH_T0);
  const store = openSqliteStore({ path: dbPath, clock });
  const venue = openVenue(options, store);
  return { engine: makeEngine(store, venue, clock), store, venue, clock };
}

/** The venue first: one in the desk's database writes its last state through the store. */
export async function closeDesk(desk: Desk): Promise<void> {
  try {
    await desk.venue.close();
  } finally {
    desk.store.close();
  }
}

export async function quote(desk: Desk, mid = 20_000): Promise<void> {
  desk.clock.advance(1000);
  await desk.engine.marketData({ kind: "quote", symbol: BENCH_SYMBOL, bid: mid - 0.5, ask: mid + 0.5 });
}

let signalSeq = 0;
export function benchSignal(action: Signal["action"], ts: number): Signal {
  return { id: `bench-${process.pid}-${++signalSeq}`, symbol: BENCH_SYMBOL, action, confidence: 0.8, strategy: "bench", ts };
}

/** n signals alternating BUY (opens) and SELL (closes), each an order, a fill and a position change; throws on a refusal. */
export async function tradeSignals(desk: Desk, n: number, onProgress?: (done: number) => void): Promise<void> {
  for (let i = 0; i < n; i++) {
    desk.clock.advance(100);
    const action = i % 2 === 0 ? "BUY" : "SELL";
    const result = await desk.engine.execute({ kind: "signal", signal: benchSignal(action, desk.clock.now()), source: "bench" });
    if (!result.ok) throw new Error(`BENCH_SIGNAL_REFUSED: signal ${i + 1} (${action}) was refused: ${result.error.code} ${result.error.message}`);
    if (onProgress && (i + 1) % 1000 === 0) onProgress(i + 1);
  }
}

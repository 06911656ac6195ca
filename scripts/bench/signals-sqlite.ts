/**
 * signals_per_sec_sqlite: signals end to end through the engine with the journal on SQLite. Each signal
 * is validated, deduplicated, risk-checked, sized, journaled (intent, submit, accept, fill), sent to the
 * simulated venue, filled, booked to a position (BUY opens, SELL closes and writes a trade), with an
 * equity snapshot per fill, as on the live desk. Measured with an in-memory venue and with a durable one
 * (its own state file, synchronous FULL: one fsync per venue request). The files live in the OS temp dir, on
 * disk: the journal's writes are part of what is measured.
 */
import Database from "better-sqlite3";
import { closeDesk, makeDeskFiles, openDesk, quote, removeDeskFiles, tradeSignals } from "./desk";

export interface SignalsBenchResult {
  name: string;
  unit: "signals/s";
  value: number;
  ordersPerSec: number;
  signals: number;
  warmupSignals: number;
  elapsedMs: number;
  venue: "memory" | "durable";
  /** Rows the timed signals left (counted in the database afterwards). */
  rows: { orders: number; journal: number; fills: number; trades: number; equitySnapshots: number };
}

function countRows(dbPath: string): SignalsBenchResult["rows"] {
  const db = new Database(dbPath, { readonly: true });
  try {
    const count = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    return {
      orders: count("orders"),
      journal: count("order_events"),
      fills: count("fills"),
      trades: count("trades"),
      equitySnapshots: count("equity_snapshots"),
    };
  } finally {
    db.close();
  }
}

export async function signalsSqliteBench(options: {
  name: string;
  signals: number;
  warmupSignals?: number;
  durableVenue: boolean;
  log?: (line: string) => void;
}): Promise<SignalsBenchResult> {
  const warmup = options.warmupSignals ?? 200;
  if (options.signals % 2 !== 0 || warmup % 2 !== 0) throw new Error("BENCH_ODD_SIGNALS: use even counts so every BUY has its SELL.");
  const files = makeDeskFiles("signals");
  try {
    const desk = openDesk(files.dbPath, options.durableVenue ? { venuePath: files.venuePath } : {});
    await desk.engine.start();
    await quote(desk);
    await tradeSignals(desk, warmup);
    const before = countRows(files.dbPath);
    const start = performance.now();
    await tradeSignals(desk, options.signals, (done) => options.log?.(`  ${options.name}: ${done}/${options.signals} signals`));
    const elapsed = performance.now() - start;
    await closeDesk(desk);
    const after = countRows(files.dbPath);
    const rows = {
      orders: after.orders - before.orders,
      journal: after.journal - before.journal,
      fills: after.fills - before.fills,
      trades: after.trades - before.trades,
      equitySnapshots: after.equitySnapshots - before.equitySnapshots,
    };
    if (rows.orders !== options.signals || rows.fills !== options.signals) {
      throw new Error(`BENCH_LOST_WORK: ${options.signals} signals left ${rows.orders} orders and ${rows.fills} fills; each should be one order and one fill.`);
    }
    const rate = (options.signals * 1000) / elapsed;
    return {
      name: options.name,
      unit: "signals/s",
      value: Math.round(rate),
      ordersPerSec: Math.round((rows.orders * 1000) / elapsed),
      signals: options.signals,
      warmupSignals: warmup,
      elapsedMs: Math.round(elapsed),
      venue: options.durableVenue ? "durable" : "memory",
      rows,
    };
  } finally {
    removeDeskFiles(files);
  }
}

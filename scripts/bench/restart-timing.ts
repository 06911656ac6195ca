/** One timed restart over existing files: store, durable venue, then new Engine + start (restore + reconcile). */
import { ManualClock } from "../../server/core/clock";
import { openSqliteStore } from "../../server/db/sqlite-store";
import { closeDesk, makeEngine, openVenue } from "./desk";

export interface RestartTiming {
  /** Opening the SQLite store (pragmas, table check). */
  openStoreMs: number;
  /** Constructing the durable venue: it restores its own state file. */
  openVenueMs: number;
  /** new Engine(...) + await engine.start(): restore from the journal, reconcile with the venue. */
  engineStartMs: number;
  /** The three above: from nothing to a desk ready to trade. */
  totalMs: number;
  drifts: number;
  restoredOpenOrders: number;
}

export async function timeRestart(files: { dbPath: string; venuePath: string }, now: number): Promise<RestartTiming> {
  const clock = new ManualClock(now);
  const t0 = performance.now();
  const store = openSqliteStore({ path: files.dbPath, clock });
  const t1 = performance.now();
  const venue = openVenue({ venuePath: files.venuePath });
  const t2 = performance.now();
  const engine = makeEngine(store, venue, clock);
  const { drifts } = await engine.start();
  const t3 = performance.now();
  const restoredOpenOrders = engine.state().openOrders.length;
  await closeDesk({ engine, store, venue, clock });
  const ms = (a: number, b: number) => Math.round((b - a) * 10) / 10;
  return { openStoreMs: ms(t0, t1), openVenueMs: ms(t1, t2), engineStartMs: ms(t2, t3), totalMs: ms(t0, t3), drifts, restoredOpenOrders };
}

/**
 * Found by the crash test (crash.test.ts, an ORPHAN_FILL drift): when a fill closes a position, the engine cancels the
 * orders still working for it once that fill has committed (ledger.ts, finishPosition). A process killed between that
 * commit and the cancel's journal entry leaves an order working for a closed position; the restart must send that
 * cancel, or the order fills later and its fill belongs to no position.
 */
import { dyingStore } from "../../test/dying-store";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createMigratedDb } from "../../test/db";
import { BTC } from "../../test/instruments";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { openSqliteStore, type SqliteStore } from "../db/sqlite-store";
import { SimVenue } from "../venues/sim/sim-venue";
import { Engine } from "./engine";
import type { Actor } from "./types";

const T0 = Date.UTC(2024, 0, 2, 12, 0, 0);
const trader: Actor = { username: "tina", role: "trader" };

const cleanup: string[] = [];
afterEach(() => {
  for (const dir of cleanup.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** `shared`: the venue keeps its tables in Bastion's database (SimVenue's `desk`), else in a file of its own. */
function desk(store: SqliteStore, venuePath: string, clock: ManualClock, ids: string, shared: boolean) {
  const venue = new SimVenue({ instruments: [BTC], initialBalances: { USDT: "10000" } }, shared ? { desk: store } : { statePath: venuePath });
  const engine = new Engine({ venue, store, clock, ids: sequentialIds(ids), initialEquity: "10000", breaker: null });
  return { venue, engine };
}

async function quote(engine: Engine, clock: ManualClock, price: number): Promise<void> {
  clock.advance(1000);
  await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: price - 0.5, ask: price + 0.5 });
}

function manual(engine: Engine, side: "BUY" | "SELL", quantity: string, price?: string) {
  return engine.execute({
    kind: "manualOrder",
    order: price === undefined ? { symbol: "BTC/USDT", side, type: "MARKET", quantity } : { symbol: "BTC/USDT", side, type: "LIMIT", quantity, price },
    actor: trader,
    reason: null,
  });
}

describe.each([
  { where: "its own file", shared: false },
  { where: "Bastion's database", shared: true },
])("a restart after a kill between a position's closing fill and the cancels it calls for (the venue's state in $where)", ({ shared }) => {
  it("cancels the orders still working for the closed position, so none of them fills later without a position", async () => {
    const dbPath = createMigratedDb();
    cleanup.push(dirname(dbPath));
    const venuePath = join(dirname(dbPath), "venue.db");
    const clock = new ManualClock(T0);
    const sqlite = openSqliteStore({ path: dbPath, clock });
    // The process dies as the first cancel is about to be journaled: every later write of Bastion's is lost.
    const dyingAt = dyingStore(sqlite, (key, args) => key === "appendJournal" && (args[0] as { type?: string }).type === "cancelRequest");
    const dying = dyingAt.store;
    const a = desk(dying, venuePath, clock, "a", shared);
    await a.engine.start();
    await quote(a.engine, clock, 20_000);
    expect(await manual(a.engine, "BUY", "0.002")).toMatchObject({ ok: true });
    const [position] = a.engine.state().positions;
    // A resting buy adding to the same (manual) position.
    const placed = await manual(a.engine, "BUY", "0.001", "19000");
    expect(placed).toMatchObject({ ok: true });
    const limitId = placed.ok ? (placed.data?.clientOrderId as string) : "";
    expect(sqlite.getOrder(limitId)?.meta.positionId).toBe(position!.position.id);
    // A sell of the whole position closes it; its fill commits, then the process dies before the limit's cancel is journaled.
    await manual(a.engine, "SELL", "0.002").catch(() => undefined);
    expect(dyingAt.dead).toBe(true);
    expect(sqlite.listFills()).toHaveLength(2);
    expect(sqlite.loadOpenPositions()).toEqual([]);
    expect(sqlite.getOrder(limitId)?.order.status).toBe("ACCEPTED");
    // A killed process writes nothing more: a venue with a file of its own has committed every call already (close() adds
    // only its market state), one in Bastion's database goes with the connection.
    if (!shared) await a.venue.close();
    sqlite.close();

    const store = openSqliteStore({ path: dbPath, clock });
    const b = desk(store, venuePath, clock, "b", shared);
    await b.engine.start();
    // The cancel the first process owed is sent by the restart.
    expect(store.getOrder(limitId)?.order).toMatchObject({ status: "CANCELED", reason: expect.stringContaining("closed") as unknown });
    expect((await b.venue.fetchOrder(limitId))?.status).toBe("CANCELED");
    expect(b.engine.state().openOrders).toEqual([]);
    // The market comes down through the old limit: nothing fills, no fill without a position.
    await quote(b.engine, clock, 18_900);
    expect(store.fillsForOrder(limitId)).toEqual([]);
    expect(store.listDrifts().map((d) => d.kind)).not.toContain("ORPHAN_FILL");
    expect(b.engine.state().positions).toEqual([]);
    await b.venue.close();
    store.close();
  });
});

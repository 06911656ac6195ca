/**
 * A restart while a request is on the wire to a simulated venue with latency (the replay and paper desks run theirs at
 * 20 ms): the exchange has received it by the time the desk is back, so the start must find it there — not mark it
 * NEVER_SENT and then book its fill against a refused order.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createMigratedDb } from "../../test/db";
import { FakeScheduler } from "../../test/replay/fake-scheduler";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { makeInstrument } from "../core/instrument";
import { openSqliteStore, type SqliteStore } from "../db/sqlite-store";
import { SimVenue } from "../venues/sim/sim-venue";
import { Engine } from "./engine";

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const BTC = makeInstrument({
  symbol: "BTC/USDT",
  priceTick: "0.01",
  qtyStep: "0.00001",
  minQty: "0.00001",
  minNotional: "5",
  makerFee: "0.001",
  takerFee: "0.001",
});

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function desk(store: SqliteStore, venuePath: string, clock: ManualClock, ids: string) {
  const venue = new SimVenue({ instruments: [BTC], initialBalances: { USDT: "100000" }, latencyMs: 20 }, { statePath: venuePath });
  const engine = new Engine({ venue, store, clock, timers: new FakeScheduler(clock), ids: sequentialIds(ids), initialEquity: "100000", breaker: null });
  return { venue, engine };
}

describe("a restart with a request in flight to a simulated venue", () => {
  it("finds the order the venue received while the desk was down, and books its fill to it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bastion-inflight-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = createMigratedDb(dir);
    const venuePath = join(dir, "venue.db");
    const clock = new ManualClock(T0);
    const store1 = openSqliteStore({ path, clock });
    const first = desk(store1, venuePath, clock, "");
    await first.engine.start();
    await first.engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 30_000, ask: 30_001 });
    const placed = await first.engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.01" },
      actor: { username: "ada", role: "admin" },
      reason: null,
    });
    expect(placed).toMatchObject({ ok: true });
    const [sent] = store1.loadOrders({ onlyOpen: true });
    expect(sent!.order.status).toBe("SUBMITTED"); // on the wire: 20 ms of latency, not accepted yet
    // The desk dies; the venue's file keeps the request in flight.
    await first.venue.close();
    store1.close();
    clock.advance(5_000);
    const store2 = openSqliteStore({ path, clock });
    cleanups.push(() => store2.close());
    const second = desk(store2, venuePath, clock, "r2-");
    cleanups.push(() => second.venue.close());
    await second.engine.start();
    await second.engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 30_000, ask: 30_001 });
    const order = store2.getOrder(sent!.order.clientOrderId)!;
    expect(order.order.status).toBe("FILLED");
    expect(order.order.filledQty.toString()).toBe("0.01");
    expect(store2.fillsForOrder(sent!.order.clientOrderId)).toHaveLength(1);
    expect(second.engine.state().positions.map((p) => p.position.quantity.toString())).toEqual(["0.01"]);
  });
});

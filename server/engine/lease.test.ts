import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { openSqliteStore, type SqliteStore } from "../db/sqlite-store";
import { createMigratedDb } from "../../test/db";
import { SimVenue } from "../venues/sim/sim-venue";
import { Engine } from "./engine";
import { LeaseKeeper, synchronousFor, type IntervalTimers } from "./lease";
import { BTC } from "../../test/instruments";

/** Intervals fired by hand. */
class ManualIntervals implements IntervalTimers {
  private next = 1;
  readonly active = new Map<number, () => void>();
  setInterval(fn: () => void): unknown {
    const id = this.next++;
    this.active.set(id, fn);
    return id;
  }
  clearInterval(handle: unknown): void {
    this.active.delete(handle as number);
  }
  tick(): void {
    for (const fn of [...this.active.values()]) fn();
  }
}

const cleanup: string[] = [];
const stores: SqliteStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  for (const dir of cleanup.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function twoConnections() {
  const path = createMigratedDb();
  cleanup.push(dirname(path));
  const ours = openSqliteStore({ path });
  const theirs = openSqliteStore({ path });
  stores.push(ours, theirs);
  return { ours, theirs };
}

/** Who holds the lease and when it last beat, as another process sees it (its own take-over attempt, refused). */
function holderSeenBy(store: SqliteStore, now: number) {
  const probe = store.acquireLease({ ownerId: "probe", pid: 9, host: "p", now, staleAfterMs: 1e12 });
  return probe.ok ? null : probe.holder;
}

/** Process A takes the lease on `store`: stale after 15 s, a heartbeat every 3 s. */
function acquireAsA(store: SqliteStore, options: Pick<Parameters<typeof LeaseKeeper.acquire>[1], "timers" | "now" | "onLost">) {
  return LeaseKeeper.acquire(store, { ownerId: "A", pid: 1, host: "a", staleAfterMs: 15_000, heartbeatMs: 3_000, ...options });
}

describe("LeaseKeeper", () => {
  it("starts the heartbeat the moment the lease is taken, before anything else runs", () => {
    const { ours, theirs } = twoConnections();
    const timers = new ManualIntervals();
    let now = 1_000;
    const lost: string[] = [];
    const leased = acquireAsA(ours, { timers, now: () => now, onLost: (r) => lost.push(r) });
    expect(leased.ok).toBe(true);
    expect(timers.active.size).toBe(1);
    // A slow start (an exchange read taking 20 s) does not let the lease go stale: the heartbeat keeps it.
    for (let i = 0; i < 7; i++) {
      now += 3_000;
      timers.tick();
    }
    expect(holderSeenBy(theirs, now)).toMatchObject({ ownerId: "A", heartbeatAt: 22_000 });
    expect(theirs.acquireLease({ ownerId: "B", pid: 2, host: "b", now: now + 1, staleAfterMs: 15_000 }).ok).toBe(false);
    expect(lost).toEqual([]);
  });

  it("a heartbeat that finds the lease taken over stops the engine's trading at once, once", async () => {
    const { ours, theirs } = twoConnections();
    const timers = new ManualIntervals();
    let now = 0;
    const clock = new ManualClock(0);
    const venue = new SimVenue({ instruments: [BTC], initialBalances: { USDT: "10000" } });
    const engine = new Engine({ venue, store: ours, clock, ids: sequentialIds(), initialEquity: "10000", breaker: null });
    const lost: string[] = [];
    const leased = acquireAsA(ours, {
      timers,
      now: () => now,
      onLost: (reason) => {
        engine.stopTrading("LEASE_LOST", reason);
        lost.push(reason);
      },
    });
    expect(leased.ok).toBe(true);
    await engine.start();
    // This process froze for 20 s; another engine took the database over.
    now = 20_000;
    expect(theirs.acquireLease({ ownerId: "B", pid: 2, host: "b", now, staleAfterMs: 15_000 })).toEqual({ ok: true });
    timers.tick();
    expect(lost).toEqual(["another process took the engine lease over"]);
    expect(timers.active.size).toBe(0);
    expect(engine.state().stopped).toMatchObject({ code: "LEASE_LOST" });
    expect(await engine.execute({ kind: "cancelAll", actor: { username: "tina", role: "trader" }, reason: null })).toMatchObject({
      ok: false,
      error: { code: "LEASE_LOST" },
    });
    timers.tick();
    expect(lost).toHaveLength(1);
    if (leased.ok) leased.keeper.release(); // not ours any more: B keeps it
    expect(holderSeenBy(theirs, now)).toMatchObject({ ownerId: "B" });
  });

  it("a heartbeat that cannot be written counts as lost", () => {
    const { ours } = twoConnections();
    const timers = new ManualIntervals();
    const lost: string[] = [];
    const leased = acquireAsA(ours, { timers, now: () => 1, onLost: (r) => lost.push(r) });
    expect(leased.ok).toBe(true);
    ours.close();
    timers.tick();
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatch(/^the lease heartbeat could not be written \(/);
  });

  it("says who holds the lease when it cannot be taken, and starts no heartbeat", () => {
    const { ours, theirs } = twoConnections();
    const timers = new ManualIntervals();
    expect(theirs.acquireLease({ ownerId: "B", pid: 2, host: "b", now: 0, staleAfterMs: 15_000 })).toEqual({ ok: true });
    const leased = acquireAsA(ours, { timers, now: () => 1_000, onLost: () => undefined });
    expect(leased).toMatchObject({ ok: false, holder: { ownerId: "B", pid: 2, host: "b" } });
    expect(timers.active.size).toBe(0);
  });

  it("LIVE opens the database with synchronous=FULL; replay and paper with NORMAL", () => {
    expect(synchronousFor("live")).toBe("FULL");
    expect(synchronousFor("paper")).toBe("NORMAL");
    expect(synchronousFor("replay")).toBe("NORMAL");
  });
});

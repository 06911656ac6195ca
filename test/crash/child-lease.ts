/**
 * A crash child's start: take the engine lease on the database, waiting out the heartbeat of the child the parent
 * just killed (its lease goes stale after `staleAfterMs`), as the runtime would after a crash.
 */
import { hostname } from "node:os";
import type { SqliteStore } from "../../server/db/sqlite-store";

/** Takes the lease for `ownerId`, retrying every 50 ms for up to 10 s; throws LEASE_HELD naming the holder after that. */
export async function acquireChildLease(store: SqliteStore, ownerId: string, staleAfterMs: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const lease = store.acquireLease({ ownerId, pid: process.pid, host: hostname(), now: Date.now(), staleAfterMs });
    if (lease.ok) return;
    if (Date.now() > deadline) throw new Error(`LEASE_HELD: the lease is held by ${lease.holder.ownerId} (pid ${lease.holder.pid}).`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The read side of the breaker's log: trips, resets and trading-state changes. */
import { db } from "../client";

/** The latest events by time, newest first. */
export function recentBreakerEvents(take: number) {
  return db().breakerEvent.findMany({ orderBy: { ts: "desc" }, take });
}

/** Newest first by id, before `beforeId` when given, of the given kinds (all when none), at most `take`. */
export function breakerEventRows(filter: { beforeId?: number | undefined; kinds?: string[] | undefined }, take: number) {
  return db().breakerEvent.findMany({
    where: { ...(filter.beforeId !== undefined && { id: { lt: filter.beforeId } }), ...(filter.kinds?.length && { kind: { in: filter.kinds } }) },
    orderBy: { id: "desc" },
    take,
  });
}

/** The read side of executions. */
import { db } from "../client";

/** The latest fills, newest first. */
export function recentFills(take: number) {
  return db().fill.findMany({ orderBy: { ts: "desc" }, take });
}

/** The latest `take` fills, newest first, with what an exposure history needs (symbol, side, quantity, price, time). */
export function latestFillLegs(take: number) {
  return db().fill.findMany({ orderBy: [{ ts: "desc" }, { id: "desc" }], take, select: { symbol: true, side: true, qty: true, price: true, ts: true } });
}

/** The read side of executions. */
import { db } from "../client";

/** The latest fills, newest first. */
export function recentFills(take: number) {
  return db().fill.findMany({ orderBy: { ts: "desc" }, take });
}

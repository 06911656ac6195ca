/** The read side of the alert center: occurrences (active = not acknowledged yet, history = acknowledged) and their changes. */
import { db } from "../client";

export interface AlertFilter {
  severity?: string | undefined;
  kind?: string | undefined;
}

/** Occurrences waiting for acknowledgement (or acknowledged, for the history), newest last seen first, at most `take`. */
export function alertRows(acknowledged: boolean, filter: AlertFilter, take: number) {
  return db().alert.findMany({
    where: {
      acknowledgedAt: acknowledged ? { not: null } : null,
      ...(filter.severity !== undefined && { severity: filter.severity }),
      ...(filter.kind !== undefined && { kind: filter.kind }),
    },
    orderBy: acknowledged ? { acknowledgedAt: "desc" } : { lastSeen: "desc" },
    take,
  });
}

/** Unacknowledged occurrences counted by severity. */
export async function unacknowledgedBySeverity(): Promise<Record<string, number>> {
  const groups = await db().alert.groupBy({ by: ["severity"], where: { acknowledgedAt: null }, _count: { _all: true } });
  return Object.fromEntries(groups.map((g) => [g.severity, g._count._all]));
}

/** The changes of one occurrence, oldest first (bounded). */
export function alertChanges(alertId: string, take: number) {
  return db().alertHistory.findMany({ where: { alertId }, orderBy: { id: "asc" }, take });
}

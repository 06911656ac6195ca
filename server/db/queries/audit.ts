/** The read side of the audit log (append-only: nothing here or anywhere updates or deletes an entry). */
import { db } from "../client";

export interface AuditFilter {
  actor?: string | undefined;
  action?: string | undefined;
  result?: "OK" | "REFUSED" | "ERROR" | undefined;
  /** Entries about this symbol: its target, or a `symbol` in its params (an order, a cancel-all of one symbol …). */
  symbol?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
  /** The id of the last entry already shown: older entries (smaller ids) follow. */
  cursor?: number | undefined;
}

/** Newest first, at most `take` rows. Uses the (actor, ts), (action, ts) and ts indexes. */
export function auditRows(filter: AuditFilter, take: number) {
  return db().auditLog.findMany({
    where: {
      ...(filter.actor ? { actor: filter.actor } : {}),
      ...(filter.action ? { action: filter.action } : {}),
      ...(filter.result ? { result: filter.result } : {}),
      // The symbol is checked by the edge's schema (letters, digits, / and :), so it cannot break out of the JSON text.
      ...(filter.symbol ? { OR: [{ target: filter.symbol }, { params: { contains: `"symbol":"${filter.symbol}"` } }] } : {}),
      ...(filter.from !== undefined || filter.to !== undefined
        ? { ts: { ...(filter.from !== undefined ? { gte: filter.from } : {}), ...(filter.to !== undefined ? { lt: filter.to } : {}) } }
        : {}),
      ...(filter.cursor !== undefined ? { id: { lt: filter.cursor } } : {}),
    },
    orderBy: { id: "desc" },
    take,
  });
}

/** The actors and actions that occur, for the filter selects (DISTINCT over indexed columns). */
export async function auditActorsAndActions(): Promise<{ actors: string[]; actions: string[]; symbols: string[] }> {
  // Raw SQL: Prisma's `distinct` would read every row and de-duplicate in memory.
  const [actors, actions, symbols] = await Promise.all([
    db().$queryRaw<{ v: string }[]>`SELECT DISTINCT actor AS v FROM audit_log ORDER BY actor LIMIT 500`,
    db().$queryRaw<{ v: string }[]>`SELECT DISTINCT action AS v FROM audit_log ORDER BY action LIMIT 500`,
    // The symbols named in params (no index: one pass over the log; the log holds people's actions, not the engine's).
    db().$queryRaw<{ v: string }[]>`SELECT DISTINCT json_extract(params, '$.symbol') AS v FROM audit_log
      WHERE json_valid(params) AND json_type(params, '$.symbol') = 'text' ORDER BY v LIMIT 500`,
  ]);
  return { actors: actors.map((a) => a.v), actions: actions.map((a) => a.v), symbols: symbols.map((a) => a.v) };
}

/** The read side of the `orders` projection and its journal: pages by creation time, one order's history, recent counts. */
import { db } from "../client";
import { Prisma } from "../generated/client";

/** Newest first by (createdAt, clientOrderId), at most `take`: the id, the time, the venue and the whole order as JSON. */
export function orderRows(where: Prisma.OrderWhereInput, take: number) {
  return db().order.findMany({
    where,
    orderBy: [{ createdAt: "desc" }, { clientOrderId: "desc" }],
    take,
    select: { clientOrderId: true, createdAt: true, venue: true, data: true },
  });
}

/** One order's row, its journal in order and its fills; null when there is no such order. */
export async function orderWithHistory(clientOrderId: string) {
  const row = await db().order.findUnique({ where: { clientOrderId } });
  if (!row) return null;
  const [events, fills] = await Promise.all([
    db().orderEvent.findMany({ where: { clientOrderId }, orderBy: { seq: "asc" } }),
    db().fill.findMany({ where: { clientOrderId }, orderBy: [{ ts: "asc" }, { id: "asc" }] }),
  ]);
  return { row, events, fills };
}

/** Orders created in (since, until]: the order-rate figure. */
export function ordersCreatedBetween(since: number, until: number): Promise<number> {
  return db().order.count({ where: { createdAt: { gt: since, lte: until } } });
}

/**
 * The distinct (venue, symbol, strategy) of all orders, `manual` for orders without a strategy: the filter menus.
 * One pass over the table (no index covers strategy); bounded output (combinations, not rows).
 */
export function orderAttributions(): Promise<{ venue: string; symbol: string; strategy: string }[]> {
  return db().$queryRaw<{ venue: string; symbol: string; strategy: string }[]>(
    Prisma.sql`SELECT DISTINCT venue, symbol, COALESCE(NULLIF(strategy, ''), 'manual') AS strategy FROM orders LIMIT 10000`,
  );
}

/** The read side of executions. */
import { db } from "../client";

/** The latest fills, newest first, each with the strategy of its order (null: none recorded, or the order is unknown). */
export async function recentFills(take: number) {
  const fills = await db().fill.findMany({ orderBy: { ts: "desc" }, take });
  const orders = await db().order.findMany({
    where: { clientOrderId: { in: [...new Set(fills.map((f) => f.clientOrderId))] } },
    select: { clientOrderId: true, strategy: true },
  });
  const strategyOf = new Map(orders.map((o) => [o.clientOrderId, o.strategy]));
  return fills.map((f) => ({ ...f, strategy: strategyOf.get(f.clientOrderId) ?? null }));
}

/** The latest `take` fills, newest first, with what an exposure history needs (symbol, side, quantity, price, time). */
export function latestFillLegs(take: number) {
  return db().fill.findMany({ orderBy: [{ ts: "desc" }, { id: "desc" }], take, select: { symbol: true, side: true, qty: true, price: true, ts: true } });
}

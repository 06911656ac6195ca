/** The read side of routing decisions (engine/order-routes.ts): one route and the current rows of its child orders. */
import { db } from "../client";

export async function orderRouteWithChildren(routeId: string, childIds: readonly string[]) {
  const [route, children] = await Promise.all([
    db().orderRoute.findUnique({ where: { id: routeId } }),
    childIds.length === 0
      ? Promise.resolve([])
      : db().order.findMany({ where: { clientOrderId: { in: [...childIds] } }, select: { clientOrderId: true, venue: true, data: true } }),
  ]);
  return { route, children };
}

/** A route's row alone (its child ids are in its data). */
export function orderRouteRow(routeId: string) {
  return db().orderRoute.findUnique({ where: { id: routeId } });
}

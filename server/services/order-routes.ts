/**
 * A routing decision as the order detail shows it (engine/order-routes.ts keeps it): per round what each venue offered,
 * what was chosen and why, the child orders with their current status, and the venues skipped with their reasons.
 */
import type { Order } from "../core/orders/types";
import { decodeJson } from "../db/codec";
import { orderRouteRow, orderRouteWithChildren } from "../db/queries/order-routes";
import type { RouteData, RouteRound } from "../engine/order-routes";

export interface OrderRouteDto {
  routeId: string;
  mode: string;
  status: string;
  requestedQty: string;
  routedQty: string;
  createdAt: number;
  refused: { venue: string; reason: string }[];
  stopped: string | null;
  rounds: (Omit<RouteRound, "children"> & {
    children: (RouteRound["children"][number] & { status: string | null; filledQty: string | null; avgFillPrice: string | null })[];
  })[];
}

/** The route an order belongs to (its tag routeId), or null. */
export async function orderRouteOf(order: Pick<Order, "tags">): Promise<OrderRouteDto | null> {
  const routeId = order.tags.routeId;
  if (!routeId) return null;
  const row = await orderRouteRow(routeId);
  if (!row) return null;
  const data = decodeJson<RouteData>(row.data);
  const ids = data.rounds.flatMap((r) => r.children.map((c) => c.clientOrderId));
  const { children } = await orderRouteWithChildren(routeId, ids);
  const now = new Map(children.map((c) => [c.clientOrderId, decodeJson<Order>(c.data)]));
  return {
    routeId: row.id,
    mode: row.mode,
    status: row.status,
    requestedQty: row.requestedQty,
    routedQty: row.routedQty,
    createdAt: row.createdAt,
    refused: data.refused,
    stopped: data.stopped,
    rounds: data.rounds.map((round) => ({
      ...round,
      children: round.children.map((child) => {
        const order = now.get(child.clientOrderId);
        return {
          ...child,
          status: order?.status ?? null,
          filledQty: order ? order.filledQty.toString() : null,
          avgFillPrice: order?.avgFillPrice ? order.avgFillPrice.toString() : null,
        };
      }),
    })),
  };
}

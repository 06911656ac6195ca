/**
 * How an entry without a named venue may ask to be routed (engine/order-routes.ts): `split` over the venues' visible
 * books at the least total cost, or `best`, whole to the single venue that fills it cheapest. The schema is the
 * edge's (tRPC, webhook signals).
 */
import { z } from "zod";

export const ROUTE_MODES = ["split", "best"] as const;
export type RouteMode = (typeof ROUTE_MODES)[number];

export const routeModeSchema = z.enum(ROUTE_MODES, {
  error: "route must be split (over the venues' visible books) or best (whole to the single best venue)",
});

/** The first fill at or after a time: how long a freshly started desk took to trade (the Overview says it; e2e measures it). */
import { db } from "../client";

export async function firstFillSince(since: number): Promise<number | null> {
  const fill = await db().fill.findFirst({ where: { ts: { gte: since } }, orderBy: { ts: "asc" }, select: { ts: true } });
  return fill ? Number(fill.ts) : null;
}

/** The read side of received signals (what came in, from where, and what became of it). */
import { db } from "../client";

export interface SignalFilter {
  symbol?: string | undefined;
  status?: "ACCEPTED" | "DENIED" | "FAILED" | undefined;
  /** Only signals received before this time (epoch ms): the next page. */
  beforeMs?: number | undefined;
}

/** Newest first by arrival, at most `take`. */
export function signalRows(filter: SignalFilter, take: number) {
  return db().signal.findMany({
    where: {
      ...(filter.symbol ? { symbol: filter.symbol } : {}),
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.beforeMs ? { receivedAt: { lt: filter.beforeMs } } : {}),
    },
    orderBy: { receivedAt: "desc" },
    take,
  });
}

/** Signals received at or after `since`, counted per strategy and status (the Overview's per-strategy figures). */
export async function signalCountsByStrategy(since: number): Promise<{ strategy: string; status: string; count: number }[]> {
  const rows = await db().signal.groupBy({ by: ["strategy", "status"], where: { receivedAt: { gte: since } }, _count: { _all: true } });
  return rows.map((r) => ({ strategy: r.strategy, status: r.status, count: r._count._all }));
}

/** The newest signals received at or after `since` that carry an expectedReturn (the optimizers' forecasts), at most `take`. */
export function signalForecastsSince(since: number, take = 2000) {
  return db().signal.findMany({
    where: { receivedAt: { gte: since }, expectedReturn: { not: null } },
    select: { symbol: true, action: true, expectedReturn: true, receivedAt: true },
    orderBy: { receivedAt: "desc" },
    take,
  });
}

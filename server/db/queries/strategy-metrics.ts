/**
 * The read side of the Strategies page and its export: the signals received and the closed trades of a window, with only
 * the columns the per-strategy metrics need. Each read is capped; the caller says when a cap was reached.
 */
import { db } from "../client";
import type { PrismaClient } from "../generated/client";

export interface MetricsWindow {
  /** Epoch ms, inclusive: signals by arrival, trades by exit. */
  from?: number | undefined;
  /** Epoch ms, exclusive. */
  to?: number | undefined;
  strategy?: string | undefined;
}

const range = (w: MetricsWindow) =>
  w.from === undefined && w.to === undefined ? undefined : { ...(w.from !== undefined && { gte: w.from }), ...(w.to !== undefined && { lt: w.to }) };

/** Signals received in the window, oldest first, at most `take`. */
export function metricsSignalRows(w: MetricsWindow, take: number, client: PrismaClient = db()) {
  const receivedAt = range(w);
  return client.signal.findMany({
    where: { ...(receivedAt && { receivedAt }), ...(w.strategy !== undefined && { strategy: w.strategy }) },
    select: { id: true, strategy: true, action: true, confidence: true, expectedReturn: true, status: true, denyCode: true },
    orderBy: { receivedAt: "asc" },
    take,
  });
}

/** Trades closed in the window, oldest first, at most `take`; a strategy filter of `manual` also finds trades no strategy owns. */
export function metricsTradeRows(w: MetricsWindow, take: number, client: PrismaClient = db()) {
  const exitTime = range(w);
  const owner = w.strategy === undefined ? {} : w.strategy === "manual" ? { OR: [{ strategy: "manual" }, { strategy: null }] } : { strategy: w.strategy };
  return client.trade.findMany({
    where: { ...(exitTime && { exitTime }), ...owner },
    select: {
      id: true,
      strategy: true,
      signalId: true,
      symbol: true,
      side: true,
      quantity: true,
      entryPrice: true,
      exitPrice: true,
      grossPnl: true,
      fees: true,
      pnl: true,
    },
    orderBy: { exitTime: "asc" },
    take,
  });
}

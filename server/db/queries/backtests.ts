/** The read side of stored backtest runs (db/backtests.ts writes them). */
import { db } from "../client";

/** Every column but the (large) report. */
const LIST_SELECT = {
  id: true,
  createdAt: true,
  status: true,
  dataSet: true,
  symbol: true,
  strategy: true,
  params: true,
  candles: true,
  tradeCount: true,
  finalEquity: true,
  totalReturnPct: true,
  maxDrawdownPct: true,
  sharpe: true,
  winRatePct: true,
  elapsedMs: true,
  error: true,
} as const;

/** Newest first, without the reports. */
export function backtestRunRows(take: number) {
  return db().backtestRun.findMany({ select: LIST_SELECT, orderBy: { createdAt: "desc" }, take });
}

export function backtestRunById(id: string) {
  return db().backtestRun.findUnique({ where: { id } });
}

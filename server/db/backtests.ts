/** Stored backtest runs (the Backtests page and `npm run backtest -- --save`). */
import { randomUUID } from "node:crypto";
import type { BacktestReport } from "../core/backtest/report";
import { db } from "./client";

export async function saveBacktestRun(input: {
  report: BacktestReport;
  curve: [number, number][];
  dataSet: string;
  symbol: string;
  strategy: string;
}): Promise<string> {
  const { report } = input;
  const id = `bt-${randomUUID().slice(0, 8)}`;
  await db().backtestRun.create({
    data: {
      id,
      createdAt: Date.now(),
      status: "DONE",
      dataSet: input.dataSet,
      symbol: input.symbol,
      strategy: input.strategy,
      params: JSON.stringify(report.params),
      candles: report.candles,
      tradeCount: report.tradeCount,
      finalEquity: report.finalEquity,
      totalReturnPct: report.totalReturnPct ?? 0,
      maxDrawdownPct: report.maxDrawdownPct,
      sharpe: report.sharpe,
      winRatePct: report.winRatePct,
      elapsedMs: report.elapsedMs,
      report: JSON.stringify({ ...report, curve: input.curve }),
    },
  });
  return id;
}

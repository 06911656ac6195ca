/**
 * Strategies (a model is a strategy): per strategy, what it sent and what became of it, read from the books (signals,
 * trades) and measured by server/core/strategy-metrics. Shaped for the page (money as exact decimal strings) and for the
 * model's own training loop (JSON, and CSV with one row per signal).
 *
 * Each read is capped at ROW_LIMIT rows per table (oldest first in the window); `truncated` says when a cap was hit, so
 * a long window is narrowed rather than silently cut.
 */
import { D } from "../core/money";
import { signalOutcomes, strategyMetrics, type SignalFact, type SignalOutcome, type StrategyMetrics, type TradeFact } from "../core/strategy-metrics";
import { metricsSignalRows, metricsTradeRows, type MetricsWindow } from "../db/queries/strategy-metrics";
import { csvField } from "./trades";

export const ROW_LIMIT = 100_000;

export interface StrategyMetricsInput extends MetricsWindow {
  buckets?: number | undefined;
}

const money = (d: { toFixed(): string } | null) => (d === null ? null : d.toFixed());

export function strategyMetricsDto(m: StrategyMetrics) {
  return {
    strategy: m.strategy,
    signals: m.signals,
    direction: m.direction,
    expectedReturn: m.expectedReturn,
    calibration: m.calibration,
    pnl: {
      ...m.pnl,
      grossPnl: m.pnl.grossPnl.toFixed(),
      fees: m.pnl.fees.toFixed(),
      netPnl: m.pnl.netPnl.toFixed(),
      avgWin: money(m.pnl.avgWin),
      avgLoss: money(m.pnl.avgLoss),
      bySymbol: m.pnl.bySymbol.map((s) => ({ symbol: s.symbol, trades: s.trades, netPnl: s.netPnl.toFixed() })),
      byCurrency: m.pnl.byCurrency.map((c) => ({ currency: c.currency, trades: c.trades, netPnl: c.netPnl.toFixed(), fees: c.fees.toFixed(), share: c.share })),
    },
  };
}

export type StrategyMetricsDto = ReturnType<typeof strategyMetricsDto>;

async function readFacts(input: MetricsWindow): Promise<{ signals: SignalFact[]; trades: TradeFact[]; truncated: boolean }> {
  const [signalRows, tradeRows] = await Promise.all([metricsSignalRows(input, ROW_LIMIT + 1), metricsTradeRows(input, ROW_LIMIT + 1)]);
  const truncated = signalRows.length > ROW_LIMIT || tradeRows.length > ROW_LIMIT;
  const signals = signalRows.slice(0, ROW_LIMIT).map((r) => ({
    id: r.id,
    strategy: r.strategy,
    action: r.action as SignalFact["action"],
    confidence: r.confidence,
    expectedReturn: r.expectedReturn,
    status: r.status as SignalFact["status"],
    denyCode: r.denyCode,
  }));
  const trades = tradeRows.slice(0, ROW_LIMIT).map((r) => ({
    id: r.id,
    strategy: r.strategy,
    signalId: r.signalId,
    symbol: r.symbol,
    side: r.side as TradeFact["side"],
    quantity: D(r.quantity),
    entryPrice: D(r.entryPrice),
    exitPrice: D(r.exitPrice),
    grossPnl: D(r.grossPnl),
    fees: D(r.fees),
    pnl: D(r.pnl),
  }));
  return { signals, trades, truncated };
}

/** The metrics of every strategy in the window (signals by arrival, trades by exit). */
export async function strategyMetricsReport(input: StrategyMetricsInput) {
  const { signals, trades, truncated } = await readFacts(input);
  const strategies = strategyMetrics(signals, trades, input.buckets === undefined ? {} : { buckets: input.buckets });
  return {
    window: { from: input.from ?? null, to: input.to ?? null },
    strategies: strategies.map(strategyMetricsDto),
    signalCount: signals.length,
    tradeCount: trades.length,
    truncated,
    rowLimit: ROW_LIMIT,
  };
}

export type StrategyOutcomeDto = Omit<SignalOutcome, "pnl"> & { pnl: string | null };

/** The JSON export: the metrics and one row per signal with the trade it opened. */
export async function strategyExportJson(input: StrategyMetricsInput) {
  const { signals, trades, truncated } = await readFacts(input);
  return {
    window: { from: input.from ?? null, to: input.to ?? null },
    truncated,
    strategies: strategyMetrics(signals, trades, input.buckets === undefined ? {} : { buckets: input.buckets }).map(strategyMetricsDto),
    outcomes: signalOutcomes(signals, trades).map((o): StrategyOutcomeDto => ({ ...o, pnl: money(o.pnl) })),
  };
}

export const OUTCOME_CSV_HEADER = [
  "signalId",
  "strategy",
  "action",
  "confidence",
  "expectedReturn",
  "status",
  "denyCode",
  "tradeId",
  "symbol",
  "realizedReturn",
  "directionHit",
  "pnl",
  "win",
] as const;

const flag = (b: boolean | null) => (b === null ? null : b ? "1" : "0");

/** The CSV export (RFC 4180, CRLF): one row per signal, the trade it opened and how it went. */
export async function strategyOutcomesCsv(input: MetricsWindow): Promise<string> {
  const { signals, trades } = await readFacts(input);
  const lines = signalOutcomes(signals, trades).map((o) =>
    [
      csvField(o.signalId, true),
      csvField(o.strategy, true),
      csvField(o.action, true),
      csvField(o.confidence),
      csvField(o.expectedReturn),
      csvField(o.status, true),
      csvField(o.denyCode, true),
      csvField(o.tradeId, true),
      csvField(o.symbol, true),
      csvField(o.realizedReturn),
      csvField(flag(o.directionHit)),
      csvField(money(o.pnl)),
      csvField(flag(o.win)),
    ].join(","),
  );
  return [OUTCOME_CSV_HEADER.join(","), ...lines].map((l) => `${l}\r\n`).join("");
}

/**
 * The portfolio backtest's report: today's single-run report (totals over the one shared equity, report.ts) with every
 * trade naming its symbol and strategy, plus `perSymbol` and `perStrategy` sections, and the text tables the CLI prints.
 *
 * Per group (a symbol, or a strategy over all its symbols):
 * - trades, wins (net pnl > 0), winRatePct (null without trades), netPnl = Σ trade pnl (net of fees), fees = Σ fees.
 * - exposureMs = Σ (exitTime − entryTime): how long the group held a position. exposurePct = exposureMs / (span × the
 *   number of symbols the group covers) × 100, so 100 means "in the market on every one of its symbols all the time".
 *   span is the run's first candle open → last candle close.
 * Groups come in the order the run was given (symbols as given, strategies as given), not sorted, so the report reads as
 * the command line does; key order is fixed, so identical runs give identical JSON.
 */
import { D, type Decimal, ZERO } from "../money";
import { type BacktestReport, type BacktestReportTrade, decimalString } from "./report";
import { type BacktestTrade } from "./types";

export interface PortfolioReportTrade extends BacktestReportTrade {
  symbol: string;
  strategy: string;
}

export interface PortfolioGroupStats {
  trades: number;
  wins: number;
  winRatePct: number | null;
  netPnl: string;
  fees: string;
  exposureMs: number;
  exposurePct: number | null;
}

/** A protection that fired during the run (the desk file's `protections:`, with `--config`). */
export interface ProtectionFired {
  rule: string;
  /** The symbol it concerned; null for a rule about the desk, a venue or a strategy. */
  symbol: string | null;
  ts: number;
  action: string;
}

export interface PortfolioReport extends Omit<BacktestReport, "trades" | "equityCurve"> {
  quote: string;
  /** In the order they fired; empty when none did (or the run had no protections). */
  protectionsFired: ProtectionFired[];
  symbols: string[];
  strategies: string[];
  skippedSignals: Record<string, number>;
  refusedSignals: Record<string, number>;
  perSymbol: Record<string, PortfolioGroupStats>;
  perStrategy: Record<string, PortfolioGroupStats>;
  trades: PortfolioReportTrade[];
}

export interface PortfolioReportInput {
  /** The totals, built by buildBacktestReport over all trades and the portfolio's equity curve. */
  totals: BacktestReport;
  trades: readonly (BacktestTrade & { symbol: string; strategy: string })[];
  quote: string;
  symbols: readonly string[];
  /** Strategy name → the symbols it ran on. */
  strategies: readonly { name: string; symbols: readonly string[] }[];
  spanMs: number;
  skippedSignals: Record<string, number>;
  refusedSignals: Record<string, number>;
  protectionsFired?: readonly ProtectionFired[];
}

function groupStats(trades: readonly BacktestTrade[], spanMs: number, symbolCount: number): PortfolioGroupStats {
  let net: Decimal = ZERO;
  let fees: Decimal = ZERO;
  let wins = 0;
  let exposureMs = 0;
  for (const t of trades) {
    net = net.plus(t.pnl);
    fees = fees.plus(t.fees);
    if (t.pnl.greaterThan(0)) wins++;
    exposureMs += Math.max(0, t.exitTime - t.entryTime);
  }
  const room = spanMs * symbolCount;
  return {
    trades: trades.length,
    wins,
    winRatePct: trades.length === 0 ? null : (wins * 100) / trades.length,
    netPnl: decimalString(D(net)),
    fees: decimalString(D(fees)),
    exposureMs,
    // A percentage of time held: a float statistic, not money.
    exposurePct: room > 0 ? (exposureMs * 100) / room : null,
  };
}

export function buildPortfolioReport(input: PortfolioReportInput): PortfolioReport {
  const { totals } = input;
  const perSymbol: Record<string, PortfolioGroupStats> = {};
  for (const symbol of input.symbols) {
    perSymbol[symbol] = groupStats(
      input.trades.filter((t) => t.symbol === symbol),
      input.spanMs,
      1,
    );
  }
  const perStrategy: Record<string, PortfolioGroupStats> = {};
  for (const s of input.strategies) {
    perStrategy[s.name] = groupStats(
      input.trades.filter((t) => t.strategy === s.name),
      input.spanMs,
      s.symbols.length,
    );
  }
  return {
    params: totals.params,
    quote: input.quote,
    symbols: [...input.symbols],
    strategies: input.strategies.map((s) => s.name),
    candles: totals.candles,
    tradeCount: totals.tradeCount,
    initialCapital: totals.initialCapital,
    finalEquity: totals.finalEquity,
    netPnl: totals.netPnl,
    totalReturnPct: totals.totalReturnPct,
    maxDrawdownPct: totals.maxDrawdownPct,
    sharpe: totals.sharpe,
    winRatePct: totals.winRatePct,
    profitFactor: totals.profitFactor,
    totalFees: totals.totalFees,
    elapsedMs: totals.elapsedMs,
    skippedSignals: { ...input.skippedSignals },
    refusedSignals: { ...input.refusedSignals },
    protectionsFired: (input.protectionsFired ?? []).map((f) => ({ ...f })),
    perSymbol,
    perStrategy,
    trades: input.trades.map((t, i) => ({ symbol: t.symbol, strategy: t.strategy, ...totals.trades[i]! })),
  };
}

function table(title: string, key: string, rows: Record<string, PortfolioGroupStats>): string {
  const head = [key, "trades", "win %", "net PnL", "fees", "exposure %"];
  const body = Object.entries(rows).map(([name, s]) => [
    name,
    String(s.trades),
    s.winRatePct === null ? "-" : s.winRatePct.toFixed(1),
    s.netPnl,
    s.fees,
    s.exposurePct === null ? "-" : s.exposurePct.toFixed(1),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ");
  return [title, line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

/** The report as text: the totals, then one table per symbol and one per strategy (what `npm run backtest` prints without --json). */
export function formatPortfolioReport(report: PortfolioReport): string {
  const pct = (n: number | null) => (n === null ? "-" : `${n.toFixed(2)} %`);
  const totals = [
    `Portfolio backtest: ${report.symbols.length} symbols, ${report.strategies.join(", ")}; equity in ${report.quote}`,
    `  candles         ${report.candles}`,
    `  trades          ${report.tradeCount}`,
    `  initial capital ${report.initialCapital}`,
    `  final equity    ${report.finalEquity}`,
    `  net PnL         ${report.netPnl} (${pct(report.totalReturnPct)})`,
    `  max drawdown    ${pct(report.maxDrawdownPct)}`,
    `  win rate        ${pct(report.winRatePct)}`,
    `  fees            ${report.totalFees}`,
    `  skipped signals ${Object.values(report.skippedSignals).reduce((a, b) => a + b, 0)} (symbol held by another strategy)`,
    `  refused signals ${Object.values(report.refusedSignals).reduce((a, b) => a + b, 0)} (by the engine)`,
  ].join("\n");
  return [totals, table("Per symbol", "symbol", report.perSymbol), table("Per strategy", "strategy", report.perStrategy)].join("\n\n");
}

/**
 * Trade statistics from closed trades and open positions.
 *
 * Money (PnL, fees, averages of money) is Decimal. Ratios and percentages (win rate, profit factor) and durations
 * are plain numbers: they are shown, never booked.
 * A trade is a win when its net realized PnL is > 0, a loss when < 0; a break-even trade counts in tradeCount only.
 * Undefined ratios are null: win rate and averages with no trades, average win without wins, average loss
 * without losses, and the profit factor when there are no losing trades (gross profit / 0; show it as "∞" when
 * grossProfit > 0). null, not Infinity, because these values travel as JSON.
 */
import { type Decimal, ZERO } from "../money";
import { type Result, err, ok } from "../errors";
import { type Position, type PositionSide } from "./book";

export interface ClosedTrade {
  readonly positionId: string;
  readonly symbol: string;
  readonly side: PositionSide;
  /** Total quantity entered over the position's life. */
  readonly qty: Decimal;
  /** Volume-weighted average of all entry fills. */
  readonly entryPrice: Decimal;
  /** Volume-weighted average of all exit fills. */
  readonly exitPrice: Decimal;
  readonly openedAt: number;
  readonly closedAt: number;
  readonly fees: Decimal;
  /** Net of fees. */
  readonly realizedPnl: Decimal;
  /** Why it closed: an ExitReason ("stop_loss" …) or "manual", "signal", "emergency_stop" … */
  readonly exitReason: string;
}

/** The closed trade of a CLOSED position that had fills. */
export function closedTradeFromPosition(position: Position, exitReason: string): Result<ClosedTrade, "NOT_CLOSED" | "NO_FILLS"> {
  if (position.state !== "CLOSED" || position.closedAt === null) {
    return err("NOT_CLOSED", `Position ${position.id} is ${position.state}; only closed positions are trades.`, { positionId: position.id });
  }
  if (position.entryQuantity.isZero() || position.exitQuantity.isZero()) {
    return err("NO_FILLS", `Position ${position.id} closed without fills; it is not a trade.`, { positionId: position.id });
  }
  return ok({
    positionId: position.id,
    symbol: position.symbol,
    side: position.side,
    qty: position.entryQuantity,
    entryPrice: position.entryNotional.dividedBy(position.entryQuantity),
    exitPrice: position.exitNotional.dividedBy(position.exitQuantity),
    openedAt: position.openedAt,
    closedAt: position.closedAt,
    fees: position.fees,
    realizedPnl: position.realizedPnlNet,
    exitReason,
  });
}

export interface TradeStats {
  /** Positions not CLOSED. */
  openCount: number;
  tradeCount: number;
  winCount: number;
  lossCount: number;
  breakevenCount: number;
  /** Wins / trades × 100; null without trades. */
  winRatePct: number | null;
  /** Σ net realized PnL. */
  totalPnl: Decimal;
  /** totalPnl / trades; null without trades. */
  averagePnl: Decimal | null;
  /** Σ PnL of winning trades (≥ 0). */
  grossProfit: Decimal;
  /** Σ PnL of losing trades (≤ 0, negative sign kept). */
  grossLoss: Decimal;
  /** grossProfit / |grossLoss|; null when there is no loss (see file comment). */
  profitFactor: number | null;
  /** Mean of closedAt − openedAt, ms; null without trades. */
  averageDurationMs: number | null;
  /** Highest / lowest net PnL (the earliest closed on ties); null without trades. */
  bestTrade: ClosedTrade | null;
  worstTrade: ClosedTrade | null;
  averageWin: Decimal | null;
  /** Negative. */
  averageLoss: Decimal | null;
  /**
   * Expected net PnL per trade: winRate × averageWin + lossRate × averageLoss. Algebraically this is averagePnl
   * (break-even trades add 0), and it is computed that way to stay exact. null without trades.
   */
  expectancy: Decimal | null;
  totalFees: Decimal;
}

export interface TradeStatsReport extends TradeStats {
  bySymbol: Record<string, TradeStats>;
}

function statsOf(trades: readonly ClosedTrade[], openCount: number): TradeStats {
  let totalPnl = ZERO;
  let grossProfit = ZERO;
  let grossLoss = ZERO;
  let totalFees = ZERO;
  let winCount = 0;
  let lossCount = 0;
  let durationSum = 0;
  let best: ClosedTrade | null = null;
  let worst: ClosedTrade | null = null;
  // Ties go to the earliest closed, whatever the input order.
  const ordered = [...trades].sort((a, b) => a.closedAt - b.closedAt);
  for (const t of ordered) {
    totalPnl = totalPnl.plus(t.realizedPnl);
    totalFees = totalFees.plus(t.fees);
    durationSum += t.closedAt - t.openedAt;
    if (t.realizedPnl.greaterThan(0)) {
      winCount += 1;
      grossProfit = grossProfit.plus(t.realizedPnl);
    } else if (t.realizedPnl.lessThan(0)) {
      lossCount += 1;
      grossLoss = grossLoss.plus(t.realizedPnl);
    }
    if (best === null || t.realizedPnl.greaterThan(best.realizedPnl)) best = t;
    if (worst === null || t.realizedPnl.lessThan(worst.realizedPnl)) worst = t;
  }
  const n = trades.length;
  const averageWin = winCount > 0 ? grossProfit.dividedBy(winCount) : null;
  const averageLoss = lossCount > 0 ? grossLoss.dividedBy(lossCount) : null;
  const averagePnl = n === 0 ? null : totalPnl.dividedBy(n);
  return {
    openCount,
    tradeCount: n,
    winCount,
    lossCount,
    breakevenCount: n - winCount - lossCount,
    winRatePct: n === 0 ? null : (winCount * 100) / n,
    totalPnl,
    averagePnl,
    grossProfit,
    grossLoss,
    profitFactor: grossLoss.isZero() ? null : grossProfit.dividedBy(grossLoss.abs()).toNumber(),
    averageDurationMs: n === 0 ? null : durationSum / n,
    bestTrade: best,
    worstTrade: worst,
    averageWin,
    averageLoss,
    // winRate × averageWin + lossRate × averageLoss = (grossProfit + grossLoss) / n, computed without the rounding
    // of the intermediate averages.
    expectancy: averagePnl,
    totalFees,
  };
}

/** The totals a backtest report shows: statsOf's counts, gross profit and loss, fees and profit factor. */
export interface TradeTotals {
  tradeCount: number;
  winCount: number;
  lossCount: number;
  winRatePct: number | null;
  grossProfit: Decimal;
  grossLoss: Decimal;
  profitFactor: number | null;
  totalFees: Decimal;
}

/**
 * TradeStats' totals without the rest (no averages, best or worst, nothing per symbol): a backtest report of thousands
 * of trades shows only these. The same sums in the same order (by closedAt, ties in input order), so the same Decimals.
 */
export function tradeTotals(trades: readonly Pick<ClosedTrade, "realizedPnl" | "fees" | "closedAt">[]): TradeTotals {
  let ordered = trades;
  for (let i = 1; i < trades.length; i++) {
    if (trades[i]!.closedAt < trades[i - 1]!.closedAt) {
      ordered = [...trades].sort((a, b) => a.closedAt - b.closedAt);
      break;
    }
  }
  let grossProfit = ZERO;
  let grossLoss = ZERO;
  let totalFees = ZERO;
  let winCount = 0;
  let lossCount = 0;
  for (const t of ordered) {
    const pnl = t.realizedPnl;
    // Adding zero gives the same sum (a backtest without fees has thousands of them).
    if (!t.fees.isZero()) totalFees = totalFees.plus(t.fees);
    // The sign without comparing to a new Decimal(0), as greaterThan(0) would.
    if (!pnl.isZero()) {
      if (pnl.isPositive()) {
        winCount += 1;
        grossProfit = grossProfit.plus(pnl);
      } else if (pnl.isNegative()) {
        lossCount += 1;
        grossLoss = grossLoss.plus(pnl);
      }
    }
  }
  const n = trades.length;
  return {
    tradeCount: n,
    winCount,
    lossCount,
    winRatePct: n === 0 ? null : (winCount * 100) / n,
    grossProfit,
    grossLoss,
    profitFactor: grossLoss.isZero() ? null : grossProfit.dividedBy(grossLoss.abs()).toNumber(),
    totalFees,
  };
}

/** Statistics over all trades, and the same per symbol (symbols with only open positions included). */
export function computeTradeStats(trades: readonly ClosedTrade[], positions: readonly Position[] = []): TradeStatsReport {
  const open = positions.filter((p) => p.state !== "CLOSED");
  const symbols = new Set<string>([...trades.map((t) => t.symbol), ...open.map((p) => p.symbol)]);
  const bySymbol: Record<string, TradeStats> = {};
  for (const symbol of [...symbols].sort()) {
    bySymbol[symbol] = statsOf(
      trades.filter((t) => t.symbol === symbol),
      open.filter((p) => p.symbol === symbol).length,
    );
  }
  return { ...statsOf(trades, open.length), bySymbol };
}

/**
 * A strategy's running record of closed trades — count, wins, losses and their sums — kept by the engine as trades close,
 * so that Kelly sizing can read the measured win rate and payoff ratio without reading the books. Pure and serializable
 * (sums as exact decimal strings), so the engine persists it in the trade's own transaction.
 */
import { D, type Decimal } from "../money";

export interface StrategyTally {
  trades: number;
  wins: number;
  losses: number;
  /** Σ net PnL of winning trades (exact decimal text). */
  winSum: string;
  /** Σ |net PnL| of losing trades (exact decimal text). */
  lossSum: string;
}

export const EMPTY_TALLY: StrategyTally = { trades: 0, wins: 0, losses: 0, winSum: "0", lossSum: "0" };

/** The tally with one more closed trade (net PnL); a break-even trade counts as a trade only. */
export function addTrade(tally: StrategyTally, pnl: Decimal): StrategyTally {
  return addTradeToSums({ tally, winSum: null, lossSum: null }, pnl).tally;
}

/**
 * A tally with its sums as Decimals, when the caller kept them from the last addition (null: parsed from the text),
 * so that a running record does not parse its own sums again for every trade.
 */
export interface TallyWithSums {
  tally: StrategyTally;
  winSum: Decimal | null;
  lossSum: Decimal | null;
}

/** addTrade, keeping the sums it computed as Decimals for the next one. */
export function addTradeToSums(current: TallyWithSums, pnl: Decimal): TallyWithSums {
  const { tally } = current;
  // Sign checks (no Decimal 0 built per comparison); a zero, even a negative one, is a break-even.
  const zero = pnl.isZero();
  if (!zero && pnl.s > 0) {
    const winSum = (current.winSum ?? D(tally.winSum)).plus(pnl);
    return { tally: { ...tally, trades: tally.trades + 1, wins: tally.wins + 1, winSum: winSum.toFixed() }, winSum, lossSum: current.lossSum };
  }
  if (!zero && pnl.s < 0) {
    // sum + |pnl| = sum − pnl: the same exact sum, rounded the same way, without building |pnl|.
    const lossSum = (current.lossSum ?? D(tally.lossSum)).minus(pnl);
    return { tally: { ...tally, trades: tally.trades + 1, losses: tally.losses + 1, lossSum: lossSum.toFixed() }, winSum: current.winSum, lossSum };
  }
  return { tally: { ...tally, trades: tally.trades + 1 }, winSum: current.winSum, lossSum: current.lossSum };
}

export interface KellyEvidence {
  trades: number;
  /** wins / trades (a statistic: floating). */
  winRate: number | null;
  /** average win / average loss; null without both a win and a loss. */
  payoffRatio: number | null;
}

export function kellyEvidence(tally: StrategyTally): KellyEvidence {
  const winRate = tally.trades === 0 ? null : tally.wins / tally.trades;
  const payoffRatio =
    tally.wins === 0 || tally.losses === 0 ? null : D(tally.winSum).dividedBy(tally.wins).dividedBy(D(tally.lossSum).dividedBy(tally.losses)).toNumber();
  return { trades: tally.trades, winRate, payoffRatio };
}

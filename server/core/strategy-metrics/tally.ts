/**
 * A strategy's running record of closed trades — count, wins, losses and their sums — kept by the engine as trades close,
 * so that Kelly sizing can read the measured win rate and payoff ratio without reading the books. Pure and serializable
 * (sums as exact decimal strings; a RunningTally writes them when read), so the engine persists it in the trade's own
 * transaction.
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
  return addTradeKeepingSums(tally, pnl).toJSON();
}

/**
 * A tally that keeps its sums as Decimals and writes their text only when it is read: the engine stores one per closed
 * trade (in the trade's transaction), and an in-memory store never reads the text back, so a backtest builds no sum text
 * per trade. The text is what addTrade writes (a sum's toFixed, or the text it was read from while unchanged), and
 * JSON.stringify writes the plain tally (toJSON). Immutable, like a plain tally.
 */
export class RunningTally implements StrategyTally {
  constructor(
    readonly trades: number,
    readonly wins: number,
    readonly losses: number,
    readonly winTotal: Decimal,
    readonly lossTotal: Decimal,
    private winText: string | undefined,
    private lossText: string | undefined,
  ) {}

  get winSum(): string {
    return (this.winText ??= this.winTotal.toFixed());
  }

  get lossSum(): string {
    return (this.lossText ??= this.lossTotal.toFixed());
  }

  /** A plain tally as a running one, its texts kept as they are. */
  static of(tally: StrategyTally): RunningTally {
    if (tally instanceof RunningTally) return tally;
    return new RunningTally(tally.trades, tally.wins, tally.losses, D(tally.winSum), D(tally.lossSum), tally.winSum, tally.lossSum);
  }

  /** With one more closed trade (net PnL); a break-even trade counts as a trade only. An unchanged sum keeps its text. */
  plus(pnl: Decimal): RunningTally {
    // Sign checks (no Decimal 0 built per comparison); a zero, even a negative one, is a break-even.
    const zero = pnl.isZero();
    if (!zero && pnl.s > 0) {
      return new RunningTally(this.trades + 1, this.wins + 1, this.losses, this.winTotal.plus(pnl), this.lossTotal, undefined, this.lossText);
    }
    if (!zero && pnl.s < 0) {
      // sum + |pnl| = sum − pnl: the same exact sum, rounded the same way, without building |pnl|.
      return new RunningTally(this.trades + 1, this.wins, this.losses + 1, this.winTotal, this.lossTotal.minus(pnl), this.winText, undefined);
    }
    return new RunningTally(this.trades + 1, this.wins, this.losses, this.winTotal, this.lossTotal, this.winText, this.lossText);
  }

  /** The plain tally, keys in StrategyTally's order: a store persists the same JSON a plain tally gives. */
  toJSON(): StrategyTally {
    return { trades: this.trades, wins: this.wins, losses: this.losses, winSum: this.winSum, lossSum: this.lossSum };
  }
}

/** addTrade as a RunningTally: the sums carry over as Decimals (a plain tally's text is parsed once, here). */
export function addTradeKeepingSums(tally: StrategyTally, pnl: Decimal): RunningTally {
  return RunningTally.of(tally).plus(pnl);
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
    tally.wins === 0 || tally.losses === 0
      ? null
      : sumOf(tally, "win").dividedBy(tally.wins).dividedBy(sumOf(tally, "loss").dividedBy(tally.losses)).toNumber();
  return { trades: tally.trades, winRate, payoffRatio };
}

/** A tally's sum as a Decimal: a running tally's own (the value its text is written from), else parsed. */
function sumOf(tally: StrategyTally, which: "win" | "loss"): Decimal {
  if (tally instanceof RunningTally) return which === "win" ? tally.winTotal : tally.lossTotal;
  return D(which === "win" ? tally.winSum : tally.lossSum);
}

/**
 * Strategy failure: a strategy's losing streak, its realized PnL below its own peak, or its model's direction
 * hit rate below a floor. A firing is scoped to the strategy: its action locks that strategy, not the desk.
 *
 * PnL is money, so it is a Decimal; the hit rate is a statistic (a float). The drawdown runs from the strategy's
 * own peak of cumulative realized PnL (starting at 0), not from the desk's start — the complaint about kill
 * switches measuring from the start instead of the peak. Each reason fires once per episode: a win ends a
 * streak, a new peak ends a drawdown, a hit rate back at the floor ends a failure; `reset` (after an admin lifts
 * the lock) starts the strategy over.
 */
import { D, type Decimal, ZERO, maxDec, type DecimalInput } from "../money";
import { type StrategyFailureSettings } from "./settings";
import { type ProtectionFiring, formatPct } from "./types";

export type StrategyFailureReason = "LOSING_STREAK" | "DRAWDOWN" | "ACCURACY";

interface StrategyRecord {
  losingStreak: number;
  cumulativePnl: Decimal;
  peakPnl: Decimal;
  /** The last `accuracyWindow` predictions, true = right direction. */
  outcomes: boolean[];
  firing: Set<StrategyFailureReason>;
}

export class StrategyFailureDetector {
  private readonly strategies = new Map<string, StrategyRecord>();

  constructor(private readonly settings: StrategyFailureSettings) {}

  private record(strategy: string): StrategyRecord {
    let record = this.strategies.get(strategy);
    if (!record) {
      record = { losingStreak: 0, cumulativePnl: ZERO, peakPnl: ZERO, outcomes: [], firing: new Set() };
      this.strategies.set(strategy, record);
    }
    return record;
  }

  /**
   * A closed trade's realized PnL (net of fees). A loss extends the streak, a win ends it, a scratch (0) leaves
   * it as is, as in the breaker. Returns the firings this trade caused (streak and drawdown may both fire).
   */
  recordTrade(strategy: string, pnl: DecimalInput, ts: number): ProtectionFiring[] {
    const rule = this.settings;
    const record = this.record(strategy);
    const amount = D(pnl);
    // Compare with 0 rather than isNegative(): decimal.js keeps the sign of zero, and a −0 scratch is not a loss.
    if (amount.lessThan(0)) record.losingStreak += 1;
    else if (amount.greaterThan(0)) {
      record.losingStreak = 0;
      record.firing.delete("LOSING_STREAK");
    }
    record.cumulativePnl = record.cumulativePnl.plus(amount);
    if (record.cumulativePnl.greaterThanOrEqualTo(record.peakPnl)) {
      record.peakPnl = record.cumulativePnl;
      record.firing.delete("DRAWDOWN");
    }
    if (!rule.enabled) return [];
    const firings: ProtectionFiring[] = [];
    if (rule.maxLosingStreak !== null && record.losingStreak >= rule.maxLosingStreak && !record.firing.has("LOSING_STREAK")) {
      record.firing.add("LOSING_STREAK");
      firings.push(
        this.firing(strategy, ts, `Strategy ${strategy} lost ${record.losingStreak} trades in a row, reaching the limit of ${rule.maxLosingStreak}.`, {
          measured: record.losingStreak,
          bound: rule.maxLosingStreak,
        }),
      );
    }
    const drawdown = maxDec(ZERO, record.peakPnl.minus(record.cumulativePnl));
    if (rule.maxDrawdownAbs !== null && drawdown.greaterThanOrEqualTo(D(rule.maxDrawdownAbs)) && !record.firing.has("DRAWDOWN")) {
      record.firing.add("DRAWDOWN");
      firings.push(
        this.firing(
          strategy,
          ts,
          `Strategy ${strategy} is ${drawdown.toString()} below its own peak realized PnL of ${record.peakPnl.toString()}, reaching the ${D(rule.maxDrawdownAbs).toString()} limit.`,
          { measured: drawdown.toNumber(), bound: rule.maxDrawdownAbs },
        ),
      );
    }
    return firings;
  }

  /** A prediction's outcome: was the signal's direction right? Fires when the rolling hit rate is below the floor. */
  recordPrediction(strategy: string, isCorrect: boolean, ts: number): ProtectionFiring | null {
    const rule = this.settings;
    const record = this.record(strategy);
    record.outcomes.push(isCorrect);
    if (record.outcomes.length > rule.accuracyWindow) record.outcomes.splice(0, record.outcomes.length - rule.accuracyWindow);
    if (!rule.enabled || rule.minAccuracyPct === null || record.outcomes.length < rule.accuracyWindow) return null;
    const hits = record.outcomes.filter(Boolean).length;
    // A hit rate is a statistic: a float is fine here.
    const accuracyPct = (hits / record.outcomes.length) * 100;
    if (accuracyPct >= rule.minAccuracyPct) {
      record.firing.delete("ACCURACY");
      return null;
    }
    if (record.firing.has("ACCURACY")) return null;
    record.firing.add("ACCURACY");
    return this.firing(
      strategy,
      ts,
      `Strategy ${strategy} got the direction right in ${hits} of its last ${record.outcomes.length} predictions (${formatPct(accuracyPct)}%), below the ${formatPct(rule.minAccuracyPct)}% floor.`,
      { measured: accuracyPct, bound: rule.minAccuracyPct },
    );
  }

  /** Starts a strategy over (an admin lifted its lock): streak, peak and predictions forgotten. */
  reset(strategy: string): void {
    this.strategies.delete(strategy);
  }

  status(strategy: string): { losingStreak: number; cumulativePnl: Decimal; peakPnl: Decimal; predictions: number } | null {
    const record = this.strategies.get(strategy);
    return record
      ? { losingStreak: record.losingStreak, cumulativePnl: record.cumulativePnl, peakPnl: record.peakPnl, predictions: record.outcomes.length }
      : null;
  }

  private firing(strategy: string, ts: number, message: string, numbers: { measured: number; bound: number }): ProtectionFiring {
    const action = this.settings.action;
    return {
      rule: "STRATEGY_FAILURE",
      scope: { kind: "strategy", strategy },
      ts,
      action,
      lockMinutes: action === "LOCK_SYMBOL" ? this.settings.lockMinutes : null,
      message,
      ...numbers,
    };
  }
}

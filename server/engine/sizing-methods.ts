/**
 * The sizing methods that need more than the signal and equity: `kelly` reads the strategy's own record of closed trades
 * (kept here as trades close, persisted in the trade's transaction so it survives restarts), `atr` reads the recent bars
 * of the desk's market history; and the `expectedReturnScaling` setting scales any method's size by the signal's
 * expectedReturn. Intake (intake.ts) calls these; they answer a core SizeOutcome or a refusal in words.
 */
import { atr, finishSize, sizeByVolatility, sizeFixedFraction, sizeKelly, type SizeOutcome, type SizingConstraints } from "../core/risk";
import { type Decimal, D } from "../core/money";
import { addTradeKeepingSums, EMPTY_TALLY, kellyEvidence, type StrategyTally } from "../core/strategy-metrics/tally";
import type { TradeRecord } from "../db/store";
import { type EngineContext, fail } from "./context";
import type { SymbolSettings } from "./settings";
import type { CommandResult, Signal } from "./types";

type KellySizing = Extract<SymbolSettings["sizing"], { method: "kelly" }>;
type AtrSizing = Extract<SymbolSettings["sizing"], { method: "atr" }>;
type Refusal = { ok: false; result: CommandResult };

/** The store state key of the per-strategy records. */
export const STRATEGY_RECORDS_KEY = "strategyRecords";

/**
 * The map as a fresh plain object (a rollback restores the one before), filled by a loop: Object.fromEntries walks a map
 * through the iterator protocol, a share of every closed trade's cost. The same keys in the same order; a key that
 * assignment would not define as its own ("__proto__") takes Object.fromEntries.
 */
function plainRecordOf(records: Map<string, StrategyTally>): Record<string, StrategyTally> {
  const out: Record<string, StrategyTally> = {};
  for (const [strategy, tally] of records) {
    if (strategy === "__proto__") return Object.fromEntries(records);
    out[strategy] = tally;
  }
  return out;
}

/** Per strategy, the running record of its closed trades (core/strategy-metrics/tally.ts). */
export class StrategyRecords {
  private records: Map<string, StrategyTally> | null = null;

  constructor(private readonly cx: EngineContext) {}

  private all(): Map<string, StrategyTally> {
    this.records ??= new Map(Object.entries(this.cx.store.getState<Record<string, StrategyTally>>(STRATEGY_RECORDS_KEY) ?? {}));
    return this.records;
  }

  tallyOf(strategy: string): StrategyTally {
    return this.all().get(strategy) ?? EMPTY_TALLY;
  }

  /** Inside the closing fill's transaction: the record is durable with the trade, or neither is. */
  onTradeClosed(trade: TradeRecord): void {
    if (!trade.strategy) return;
    const records = this.all();
    // A running tally: its sums stay Decimals between trades and become text only when read (persisting writes it).
    records.set(trade.strategy, addTradeKeepingSums(records.get(trade.strategy) ?? EMPTY_TALLY, trade.pnl));
    this.cx.store.setState(STRATEGY_RECORDS_KEY, plainRecordOf(records));
  }

  /** A rolled-back transaction: the next read starts again from the store. */
  forget(): void {
    this.records = null;
  }
}

/**
 * Fractional Kelly from the strategy's record; fixed_fraction with fallbackFraction until the record holds minTrades
 * trades with at least one win and one loss (no payoff ratio before that). A strategy with no edge sizes to zero (NO_EDGE).
 */
export function sizeKellyFor(
  records: StrategyRecords,
  signal: Signal,
  sizing: KellySizing,
  input: { equity: Decimal; price: Decimal },
  constraints: SizingConstraints,
): { outcome: SizeOutcome; basis: string } {
  const evidence = kellyEvidence(records.tallyOf(signal.strategy));
  if (evidence.trades < sizing.minTrades || evidence.winRate === null || evidence.payoffRatio === null) {
    return {
      outcome: sizeFixedFraction({ equity: input.equity, fraction: sizing.fallbackFraction, price: input.price }, constraints),
      basis: `fallback: ${evidence.trades} of ${sizing.minTrades} trades`,
    };
  }
  const outcome = sizeKelly(
    { ...input, winRate: evidence.winRate, payoffRatio: evidence.payoffRatio, multiplier: sizing.multiplier, maxFraction: sizing.maxFraction },
    constraints,
  );
  return { outcome, basis: `kelly: win rate ${evidence.winRate.toFixed(3)}, payoff ${evidence.payoffRatio.toFixed(3)} over ${evidence.trades} trades` };
}

/** Volatility sizing from the last period + 1 bars of the desk's market history; refused (NO_ATR) without enough of them. */
export function sizeAtrFor(
  cx: EngineContext,
  symbol: string,
  sizing: AtrSizing,
  input: { equity: Decimal; price: Decimal },
  constraints: SizingConstraints,
): SizeOutcome | Refusal {
  const bars = cx.options.marketHistory?.barsOf(symbol).slice(-(sizing.period + 1)) ?? [];
  const value = atr(bars, sizing.period);
  if (!value.ok) {
    return { ok: false, result: fail("NO_ATR", `atr sizing needs ${sizing.period + 1} bars of ${symbol}'s market history, and there are ${bars.length}.`) };
  }
  return sizeByVolatility({ ...input, riskFraction: sizing.riskFraction, atr: value.value, atrMultiple: sizing.atrMultiple }, constraints);
}

/**
 * The size × expectedReturn / reference, at most × maxMultiplier, rounded down again to the instrument's step. No
 * expectedReturn: unchanged. An expectedReturn ≤ 0 (the sender expects nothing from the trade): refused.
 */
export function scaleByExpectedReturn(
  quantity: Decimal,
  signal: Signal,
  scaling: NonNullable<SymbolSettings["expectedReturnScaling"]>,
  price: Decimal,
  constraints: SizingConstraints,
): { ok: true; quantity: Decimal } | Refusal {
  const expected = signal.expectedReturn;
  if (expected === undefined || expected === null) return { ok: true, quantity };
  if (!(expected > 0)) {
    return {
      ok: false,
      result: fail("NO_EXPECTED_RETURN", `Signal ${signal.id} expects a return of ${expected}: sizing by expectedReturn takes no position.`),
    };
  }
  const multiplier = Math.min(scaling.maxMultiplier, expected / scaling.reference);
  const finished = finishSize(quantity.times(D(multiplier.toPrecision(12))), price, constraints);
  if (!finished.ok) return { ok: false, result: fail(finished.error.code, finished.error.message) };
  if (finished.value.zeroReason) return { ok: false, result: fail(finished.value.zeroReason.code, finished.value.zeroReason.message) };
  return { ok: true, quantity: finished.value.quantity };
}

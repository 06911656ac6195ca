/**
 * `target_weight` sizing (issue 14 §3): an entry sizes toward its symbol's target weight from an allocation method
 * (risk parity, min variance, max Sharpe, Kelly) on the gate's covariance. The symbol may hold
 * fraction × weight × equity; the entry buys the gap between that and what the symbol already holds on its side
 * (positions at their marks plus open entries). Kept out of intake.ts, which only dispatches to it.
 *
 * Without a trusted covariance there is no target: the entry is refused (NO_TARGET_WEIGHT) with the reason, never
 * sized by a guess.
 */
import { type Decimal, ZERO } from "../core/money";
import { type OrderSide } from "../core/orders";
import { sizeToTargetWeight, type SizeOutcome, type SizingConstraints } from "../core/risk";
import { type AllocationMethod } from "../core/risk/portfolio-report";
import { type EngineContext, fail } from "./context";
import type { CommandResult } from "./types";

export function sizeTowardTargetWeight(
  cx: EngineContext,
  input: { symbol: string; side: OrderSide; price: Decimal; equity: Decimal; sizing: { fraction: number; allocation: AllocationMethod } },
  constraints: SizingConstraints,
): { ok: true; outcome: SizeOutcome } | { ok: false; result: CommandResult } {
  const targets = cx.gate.targetWeights(input.sizing.allocation);
  if (!targets.ok) return { ok: false, result: fail("NO_TARGET_WEIGHT", `${input.symbol} cannot be sized by target weight. ${targets.error.message}`) };
  const weight = targets.value[input.symbol];
  if (weight === undefined) {
    return {
      ok: false,
      result: fail("NO_TARGET_WEIGHT", `${input.symbol} has no ${input.sizing.allocation} target weight: the desk keeps no market history for it.`),
    };
  }
  const portfolio = cx.gate.riskPortfolio(input.equity);
  const wanted = input.side === "BUY" ? "LONG" : "SHORT";
  let held: Decimal = portfolio.reservedNotionalBySymbol.get(input.symbol) ?? ZERO;
  for (const p of portfolio.positions) if (p.symbol === input.symbol && p.side === wanted) held = held.plus(p.qty.abs().times(p.markPrice.abs()));
  return {
    ok: true,
    outcome: sizeToTargetWeight(
      { equity: input.equity, targetWeight: weight, bookFraction: input.sizing.fraction, heldNotional: held, price: input.price, symbol: input.symbol },
      constraints,
    ),
  };
}

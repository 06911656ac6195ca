/**
 * The arbitrage executor's read side and its one control: pairs with live state, recent opportunities (taken, or
 * skipped with the reason), round trips with legs and PnL net of fees, totals; turning a pair on or off as an engine
 * command (audited by the engine).
 */
import type { ArbitrageView } from "../engine/arbitrage";
import { getRuntime } from "../engine/runtime";
import type { Actor } from "../engine/types";
import { runCommand } from "./engine";

const EMPTY: ArbitrageView = {
  pairs: [],
  opportunities: [],
  roundTrips: [],
  totals: { seen: 0, taken: 0, skipped: 0, skippedByCode: [], roundTrips: 0, open: 0, pnl: "0", pnlByCurrency: [] },
};

/** Newest first; an empty view without a running engine or without pairs. `now`: the engine's clock (replay runs its own). */
export function arbitrageView(input: { opportunities: number; roundTrips: number }): ArbitrageView & { now: number | null } {
  const engine = getRuntime()?.engine;
  if (!engine) return { ...EMPTY, now: null };
  return { ...engine.arbitrage(input), now: engine.now() };
}

export function setArbitragePair(input: { pairId: string; enabled: boolean; reason?: string }, actor: Actor) {
  return runCommand({ kind: "setArbitragePair", pairId: input.pairId, enabled: input.enabled, actor, reason: input.reason || null });
}

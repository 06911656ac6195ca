/** Signals from any source (webhook, tRPC, a person) into the engine. */
import type { SignalInput } from "../api/schemas";
import type { CommandResult } from "../engine/types";
import { requireEngine } from "./engine";

export function submitSignal(input: SignalInput, source: string, now = Date.now()): Promise<CommandResult> {
  const signal = {
    id: input.id,
    symbol: input.symbol,
    action: input.action,
    confidence: input.confidence,
    strategy: input.strategy,
    ts: input.ts ?? now,
    ...(input.expectedReturn !== undefined && { expectedReturn: input.expectedReturn }),
    ...(input.stopLoss !== undefined && { stopLoss: input.stopLoss }),
    ...(input.takeProfit !== undefined && { takeProfit: input.takeProfit }),
  };
  return requireEngine().execute({ kind: "signal", signal, source });
}

/** Signals from any source (webhook, tRPC, a person) into the engine. */
import type { SignalInput } from "../core/input-schemas";
import type { Actor, CommandResult } from "../engine/types";
import { requireEngine } from "./engine";

/** `actor`: a person sent it; the engine audits it in the same command. A signal without a time gets the engine's. */
export function submitSignal(input: SignalInput, source: string, actor?: Actor): Promise<CommandResult> {
  const engine = requireEngine();
  const signal = {
    id: input.id,
    symbol: input.symbol,
    action: input.action,
    confidence: input.confidence,
    strategy: input.strategy,
    ts: input.ts ?? engine.now(),
    ...(input.expectedReturn !== undefined && { expectedReturn: input.expectedReturn }),
    ...(input.stopLoss !== undefined && { stopLoss: input.stopLoss }),
    ...(input.takeProfit !== undefined && { takeProfit: input.takeProfit }),
  };
  return engine.execute({ kind: "signal", signal, source, ...(actor && { actor }) });
}

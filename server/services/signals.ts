/** Signals from any source (webhook, tRPC, a person) into the engine, and the list of what came in. */
import { signalRows, type SignalFilter } from "../db/queries/signals";
import type { Actor, CommandResult, Signal } from "../engine/types";
import { requireEngine } from "./engine";

/** A signal as it arrives (checked at the edge by api/webhooks/signal-schema.ts): its time may be left to the engine. */
export type SignalRequest = Omit<Signal, "ts"> & { ts?: number };

/** `actor`: a person sent it; the engine audits it in the same command. A signal without a time gets the engine's. */
export async function submitSignal(input: SignalRequest, source: string, actor?: Actor): Promise<CommandResult> {
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
    ...(input.venue !== undefined && { venue: input.venue }),
    ...(input.algo !== undefined && { algo: input.algo }),
    ...(input.route !== undefined && { route: input.route }),
  };
  if (signal.route && signal.venue === undefined) await engine.refreshVisibleBooks(signal.symbol);
  return engine.execute({ kind: "signal", signal, source, ...(actor && { actor }) });
}

/** Received signals, newest first (the raw rows: every field is plain JSON already). */
export function listSignals(input: SignalFilter & { limit: number }) {
  const { limit, ...filter } = input;
  return signalRows(filter, limit);
}

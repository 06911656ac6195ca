/** The API's way to the engine: the running runtime, or a clear refusal. Routers call these, never the engine's internals. */
import { DomainError } from "../core/errors";
import type { Engine } from "../engine/engine";
import { getRuntime, runtimeState, type Runtime } from "../engine/runtime";
import type { CommandResult, EngineCommand } from "../engine/types";

export function requireRuntime(): Runtime {
  const runtime = getRuntime();
  if (!runtime) {
    const state = runtimeState();
    const why = state.error ?? (state.mode === "backtest" ? "the server runs in backtest mode (no live engine)" : "it is still starting");
    throw new DomainError("ENGINE_UNAVAILABLE", `The trading engine is not running: ${why}.`);
  }
  return runtime;
}

export function requireEngine(): Engine {
  return requireRuntime().engine;
}

/** A command's result, or its refusal as a DomainError (code + message) for the API edge. */
export function commandValue(result: CommandResult): { message: string; data?: Record<string, unknown> } {
  if (!result.ok) throw new DomainError(result.error.code, result.error.message, result.data);
  return result.data ? { message: result.message, data: result.data } : { message: result.message };
}

export async function runCommand(command: EngineCommand): Promise<{ message: string; data?: Record<string, unknown> }> {
  return commandValue(await requireEngine().execute(command));
}

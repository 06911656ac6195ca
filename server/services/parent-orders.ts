/**
 * Parent orders (TWAP, VWAP, iceberg, POV, chaser): the list with progress and children for the Orders page, and the
 * trader's actions — start, pause, resume, cancel — as engine commands (audited by the engine).
 */
import type { ParentView } from "../engine/algos";
import { getRuntime } from "../engine/runtime";
import type { Actor, ParentOrderRequest } from "../engine/types";
import { runCommand } from "./engine";

/** Newest first; none without a running engine (e.g. in backtest mode). */
export function listParentOrders(input: { limit: number }): { parents: ParentView[] } {
  const engine = getRuntime()?.engine;
  return { parents: engine?.parentOrders(input.limit) ?? [] };
}

export function startParentOrder(input: ParentOrderRequest & { reason?: string }, actor: Actor) {
  const { reason, ...parent } = input;
  return runCommand({ kind: "startParent", parent, actor, reason: reason || null });
}

export function parentOrderAction(input: { parentId: string; action: "pause" | "resume" | "cancel"; reason?: string }, actor: Actor) {
  const kind = input.action === "pause" ? "pauseParent" : input.action === "resume" ? "resumeParent" : "cancelParent";
  return runCommand({ kind, parentId: input.parentId, actor, reason: input.reason || null });
}

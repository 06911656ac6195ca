/**
 * What the runtime's rooms share (runtime.ts, runtime-live.ts, runtime-feeds.ts, runtime-duties.ts): the wall clock
 * wired in once for the process, the process log, and StartError (a start that failed, and whether to try again).
 */
import "server-only";
import type { Clock } from "../core/clock";

export const wallClock: Clock = { now: () => Date.now() };

export function log(level: "info" | "warn" | "error", message: string): void {
  const line = `${new Date().toISOString()} [bastion] ${level.toUpperCase()} ${message}`;
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** A start failure; `retryMs` set when starting again later may succeed (the exchange was unreachable). */
export class StartError extends Error {
  constructor(
    message: string,
    readonly retryMs: number | null = null,
  ) {
    super(message);
  }
}

/** How long a request takes to reach the simulated venue. */
import { type Rng } from "../rng";

/** A fixed delay in ms, or a fixed part plus a uniform integer jitter in [0, jitterMs] drawn from the venue's Rng. */
export type LatencyModel = number | { fixedMs: number; jitterMs?: number };

export function sampleLatency(model: LatencyModel, rng: Rng): number {
  if (typeof model === "number") return Math.max(0, model);
  const jitter = model.jitterMs ?? 0;
  // Draw only when there is jitter, so a fixed model never consumes randomness.
  const extra = jitter > 0 ? Math.floor(rng.next() * (Math.floor(jitter) + 1)) : 0;
  return Math.max(0, model.fixedMs) + extra;
}

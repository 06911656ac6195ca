/** Seeded randomness (mulberry32): the simulator and backtests are deterministic for a given seed. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
}

/** An Rng whose state can be read and set (the simulator snapshots it). */
export interface CapturableRng extends Rng {
  getState(): number;
  setState(state: number): void;
}

export function isCapturableRng(rng: Rng): rng is CapturableRng {
  const candidate = rng as Partial<CapturableRng>;
  return typeof candidate.getState === "function" && typeof candidate.setState === "function";
}

export function seededRng(seed: number): CapturableRng {
  let state = seed >>> 0;
  return {
    next(): number {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    getState: () => state,
    setState(next: number): void {
      state = next >>> 0;
    },
  };
}

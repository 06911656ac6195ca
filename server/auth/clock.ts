import { type Clock } from "../core/clock";

/** The wall clock (auth is outside the core; tests pass a ManualClock instead). */
export const wallClock: Clock = { now: () => Date.now() };

/** Per-strategy (per-model) measurement: signals, direction, expectedReturn, calibration, PnL attribution. */
export * from "./metrics";
export * from "./tally";

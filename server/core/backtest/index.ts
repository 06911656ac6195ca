/** Backtests: shared shapes, the sma-cross reference implementation (oracle) and the JSON report. */
export * from "./types";
export * from "./oracle";
export * from "./report";
export * from "./portfolio-report";

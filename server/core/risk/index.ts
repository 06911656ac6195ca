/** The pre-trade risk gate, TradingState, position sizing and risk metrics. */
export * from "./types";
export * from "./trading-state";
export * from "./limits";
export * from "./sizing";
export * from "./metrics";

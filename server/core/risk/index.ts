/** The pre-trade risk gate, TradingState, position sizing, risk metrics, and the portfolio statistics (correlation, VaR, allocation). */
export * from "./types";
export * from "./trading-state";
export * from "./limits";
export * from "./limit-validation";
export * from "./sizing";
export * from "./metrics";
export * from "./returns";
export * from "./covariance";
export * from "./portfolio-var";
export * from "./portfolio-limits";
export * from "./allocation";
export { normalQuantile, normalPdf, type Matrix, type ReadonlyMatrix } from "./linalg";
export * from "./portfolio-report";
export * from "./rebalance";
export * from "./expected-returns";

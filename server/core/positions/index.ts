/** Positions: the book and exact PnL, exit rules, trade statistics. */
export * from "./book";
export * from "./exits";
export * from "./stats";
export * from "./exit-side";
export * from "./trade-record";

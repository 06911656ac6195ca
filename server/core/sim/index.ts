/** The execution simulator: slippage, fees, size checks and the matching engine (a simulated exchange; SimVenue puts it behind the port). */
export { MatchingEngine, type MatchingEngineConfig, type SimOrderView } from "./matching-engine";
export { type BalanceView } from "./balances";
export { type LatencyModel, sampleLatency } from "./latency";
export { type BookFidelityConfig } from "./book-fidelity";
export {
  type SlippageConfig,
  type SlippageContext,
  type SlippedPrice,
  type SizeCheckConfig,
  type SizeCheckCode,
  type SizeCheck,
  applySlippage,
  executionPrice,
  expectedSlippageBps,
  shareOfVolume,
  validateOrderSize,
} from "./slippage";
export {
  type CommissionConfig,
  type CommissionSchedule,
  type FeeTier,
  type FeeRates,
  type Liquidity,
  commissionSchedule,
  commissionFor,
  feeRatesFor,
  fillCommission,
  RollingVolume,
} from "./commission";
export { RollingVolatility } from "./volatility";

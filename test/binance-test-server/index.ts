/** A Binance-compatible test exchange on 127.0.0.1, backed by the simulator (see server.ts). */
export { BinanceTestServer, TEST_API_KEY, TEST_API_SECRET, type BinanceTestServerOptions, type PushCandle, type RequestRecord } from "./server";
export { BinanceApiError, BinanceErrors } from "./errors";
export { FAULT_KINDS, EXECUTING_FAULTS, type FaultKind, type FaultPlan, type FaultPlanRule, type FaultRule } from "./faults";
export { type AccountOrder, type AccountTrade } from "./account";
export { loadSymbolSpecs, DEFAULT_MARKETS_FILE, type SymbolSpec } from "./exchange-info";
export { startReplay, type ReplayTarget, type ServerReplay, type ServerReplayOptions } from "./replay";

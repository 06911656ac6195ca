/** A Bitget-compatible test exchange on 127.0.0.1, backed by the simulator (see server.ts). */
export {
  BitgetTestServer,
  BITGET_API_HOSTS,
  BITGET_TEST_API_KEY,
  BITGET_TEST_API_SECRET,
  BITGET_TEST_PASSPHRASE,
  TIMESTAMP_WINDOW_MS,
  type BitgetRequestRecord,
  type BitgetTestServerOptions,
} from "./server";
export { BitgetApiError, BitgetErrors } from "./errors";
export { type BitgetAccountOrder, type BitgetTrade } from "./account";
export { loadBitgetSymbols, DEFAULT_BITGET_MARKETS_FILE, type BitgetSymbolSpec } from "./symbols";
// The replay and the fault kinds are the Binance server's, exchange-neutral.
export { startReplay, type ServerReplay, type ServerReplayOptions } from "../binance-test-server/replay";
export { FAULT_KINDS, EXECUTING_FAULTS, type FaultKind, type FaultPlan, type FaultRule } from "../binance-test-server/faults";

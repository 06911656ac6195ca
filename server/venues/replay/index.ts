/** Recorded market data (data/market/) and replay: CSV loaders, the replay feed, the backtest iterator, injected timers. */
export {
  type Candle,
  type RecordedTrade,
  type RecordedBook,
  type RecordedBbo,
  CsvFormatError,
  CANDLE_HEADER,
  TRADE_HEADER,
  BBO_HEADER,
  bookHeader,
  RECORDED_FILES,
  recordedFilePath,
  parseCandlesCsv,
  parseTradesCsv,
  loadCandlesCsv,
  loadTradesCsv,
  parseBookSnapshotsCsv,
  parseBboCsv,
  loadBookSnapshotsCsv,
  loadBboCsv,
} from "./csv";
export {
  type ReplayUpdate,
  type ReplayMeta,
  type ReplayFeedOptions,
  type ReplayStatus,
  type ReplaySource,
  type IntraBarPoint,
  type IntraBarTicks,
  type CandleExpansionOptions,
  type IterateCandlesOptions,
  ReplayFeed,
  ReplayError,
  iterateCandles,
  inferBarMs,
} from "./replay-feed";
export { systemScheduler } from "./scheduler";
export { type RecordedSet, type SymbolCandles, RECORDED_SETS, alignCandleSets, bittrexBtcInstrument, checkFileSymbol, symbolOfFile } from "./portfolio";

/**
 * A desk on the recorded ten-symbol portfolio (Bittrex altcoins against BTC) for the portfolio gate's and
 * risk.portfolio's tests: a real engine on a migrated SQLite file, installed as the process runtime, and a
 * MarketHistory fed with the recorded candles the way the replay feeds it.
 */
import { useFreshDb as freshDb, type TestDb } from "./auth-support";
import { ManualClock, MINUTE_MS } from "../server/core/clock";
import { sequentialIds } from "../server/core/ids";
import { type MarketHistory } from "../server/core/market-history";
import { openSqliteStore, type SqliteStore } from "../server/db/sqlite-store";
import { EventBus } from "../server/engine/bus";
import { Engine } from "../server/engine/engine";
import { createMarketHistory, ReplayHistoryFeed } from "../server/engine/market-history-feed";
import { runtimeState } from "../server/engine/runtime";
import { DEFAULT_RISK_LIMITS, type RiskLimitsSettings } from "../server/engine/settings";
import { loadCandlesCsv } from "../server/venues/replay/csv";
import { alignCandleSets, bittrexBtcInstrument, RECORDED_SETS, symbolOfFile } from "../server/venues/replay/portfolio";
import { SimVenue } from "../server/venues/sim/sim-venue";

export const PORTFOLIO_SETS = alignCandleSets(RECORDED_SETS.portfolio.files.map((file) => ({ symbol: symbolOfFile(file)!, candles: loadCandlesCsv(file) })));
/** Five minutes after the last recorded bar: the desk's clock. */
export const PORTFOLIO_T_END = PORTFOLIO_SETS[0]!.candles[PORTFOLIO_SETS[0]!.candles.length - 1]!.ts + 5 * MINUTE_MS;

export interface PortfolioDesk {
  tdb: TestDb;
  store: SqliteStore;
  clock: ManualClock;
  engine: Engine;
  history: MarketHistory;
}

export interface PortfolioDeskOptions {
  /** The desk's instruments. */
  traded: readonly string[];
  /** Over the desk's defaults (minNotional 0.01 BTC). */
  limits?: RiskLimitsSettings;
  /** The symbols whose candles the history holds, and how many of the first recorded rows (default: all). */
  history: { symbols: readonly string[]; rows?: number };
  /** Whether the engine reads the history (its portfolio gate). */
  engineReadsHistory: boolean;
  /** Quote each traded symbol at the close of the last row the history holds (default: the last recorded row). */
  quoteAtHistoryEnd?: boolean;
}

export async function openPortfolioDesk(options: PortfolioDeskOptions): Promise<PortfolioDesk> {
  const tdb = freshDb();
  const clock = new ManualClock(PORTFOLIO_T_END);
  const store = openSqliteStore({ path: tdb.path, clock });
  const venue = new SimVenue({ instruments: options.traded.map(bittrexBtcInstrument), initialBalances: { BTC: "1" } });
  const history = createMarketHistory();
  for (const set of PORTFOLIO_SETS.filter((s) => options.history.symbols.includes(s.symbol))) {
    const rows = options.history.rows ?? set.candles.length;
    // Only the rows before the start, no previous pass: exactly `rows` recorded bars.
    new ReplayHistoryFeed(history, set.symbol, set.candles.slice(0, rows), { startIndex: rows, rebaseOnLoop: false, previousPass: false });
  }
  const engine = new Engine({
    venue,
    store,
    clock,
    ids: sequentialIds(),
    initialEquity: "1",
    quoteCurrency: "BTC",
    breaker: null,
    // Bittrex's minimum is 0.0005 BTC; the desk's default (10, meant for USDT) would refuse every BTC order.
    riskLimits: { ...DEFAULT_RISK_LIMITS, minNotional: "0.01", ...options.limits },
    defaultSymbolSettings: {
      minConfidence: 0.5,
      sizing: { method: "fixed_fraction", fraction: 0.1 },
      stopLossPct: null,
      takeProfitLevels: [],
      trailing: null,
      maxAgeMinutes: null,
    },
    ...(options.engineReadsHistory && { marketHistory: history }),
  });
  await engine.start();
  for (const symbol of options.traded) {
    const set = PORTFOLIO_SETS.find((s) => s.symbol === symbol)!;
    const row = options.quoteAtHistoryEnd ? (options.history.rows ?? set.candles.length) - 1 : set.candles.length - 1;
    const last = set.candles[row]!.close;
    clock.advance(1);
    await engine.marketData({ kind: "quote", symbol, bid: last * 0.999, ask: last * 1.001 });
  }
  runtimeState().runtime = {
    mode: "replay",
    engine,
    bus: new EventBus(),
    startedAt: PORTFOLIO_T_END,
    feedStatus: () => ({ kind: "replay", connected: true, message: "", lastUpdateAt: null }),
    venueStatus: () => venue.status(),
    marketHistory: history,
    stop: () => Promise.resolve(),
  };
  return { tdb, store, clock, engine, history };
}

/** Uninstalls the runtime and closes the store and the database. */
export async function closePortfolioDesk(desk: PortfolioDesk): Promise<void> {
  runtimeState().runtime = null;
  desk.store.close();
  await desk.tdb.close();
}

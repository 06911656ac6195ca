/**
 * A desk on the recorded multi-symbol portfolio (Bittrex altcoins against BTC, data/market/portfolio/) with a
 * MarketHistory holding the recorded 5-minute candles, the way the replay feeds it: the gate's covariance is
 * trusted from the start. One builder for every test of the portfolio statistics (VaR breaker, target weights,
 * rebalancing, the portfolio gate, risk.portfolio): in memory (`openPortfolioDesk`) or on a migrated SQLite file behind
 * `db()` and the runtime the routers read (`openSqlitePortfolioDesk`).
 */
import { expect } from "vitest";
import { ManualClock, MINUTE_MS } from "../server/core/clock";
import { sequentialIds } from "../server/core/ids";
import { type MarketHistory } from "../server/core/market-history";
import { MemoryStore } from "../server/db/memory-store";
import { openSqliteStore, type SqliteStore } from "../server/db/sqlite-store";
import type { Store } from "../server/db/store";
import { EventBus } from "../server/engine/bus";
import { Engine, type EngineOptions } from "../server/engine/engine";
import { createMarketHistory, ReplayHistoryFeed } from "../server/engine/market-history-feed";
import { runtimeState } from "../server/engine/runtime";
import { DEFAULT_RISK_LIMITS, type SymbolSettingsInput } from "../server/engine/settings";
import type { CommandResult } from "../server/engine/types";
import { loadCandlesCsv } from "../server/venues/replay/csv";
import { alignCandleSets, bittrexBtcInstrument, RECORDED_SETS, symbolOfFile } from "../server/venues/replay/portfolio";
import { SimVenue } from "../server/venues/sim/sim-venue";
import { useFreshDb as freshDb, type TestDb } from "./auth-support";

export const PORTFOLIO_SETS = alignCandleSets(RECORDED_SETS.portfolio.files.map((file) => ({ symbol: symbolOfFile(file)!, candles: loadCandlesCsv(file) })));
/** Every recorded symbol, in the sets' order. */
export const PORTFOLIO_SYMBOLS = PORTFOLIO_SETS.map((s) => s.symbol);
/** Just after the last recorded candle closed. */
export const PORTFOLIO_END = PORTFOLIO_SETS[0]!.candles[PORTFOLIO_SETS[0]!.candles.length - 1]!.ts + 5 * MINUTE_MS;

/** The close of the symbol's row `rows - 1` (default: its last recorded row). */
export function lastClose(symbol: string, rows?: number): number {
  const set = PORTFOLIO_SETS.find((s) => s.symbol === symbol)!;
  return set.candles[(rows ?? set.candles.length) - 1]!.close;
}

export interface PortfolioDesk<S extends Store = MemoryStore> {
  engine: Engine;
  venue: SimVenue;
  store: S;
  clock: ManualClock;
  history: MarketHistory;
  /** A quote at the symbol's last recorded close (spread 0.2 %), a millisecond later. */
  quote(symbol: string): Promise<void>;
  /** A strategy's signal (confidence 0.9), and nothing else: a market order waits for the next quote. */
  send(symbol: string, action?: "BUY" | "CLOSE"): Promise<CommandResult>;
  /** `send`, then a quote so a market order fills. */
  signal(symbol: string, action?: "BUY" | "CLOSE"): Promise<CommandResult>;
  /** `signal` that must be accepted. */
  buy(symbol: string): Promise<void>;
}

export interface PortfolioDeskOptions {
  traded: string[];
  /** Every symbol's sizing (default: 10 % of equity). */
  sizing?: SymbolSettingsInput["sizing"];
  breaker?: EngineOptions["breaker"];
  /** Over the desk's defaults with a BTC-sized minimum notional. */
  riskLimits?: EngineOptions["riskLimits"];
  /** Hand the MarketHistory to the engine (default); false: only the runtime sees it. */
  history?: boolean;
  /** The history holds only these symbols (default: every recorded one). */
  historySymbols?: readonly string[];
  /** The history holds only the first `historyRows` recorded rows of each symbol (default: all). */
  historyRows?: number;
  /** The opening quotes are at the close of row `quoteRows - 1` (default: the last recorded row). */
  quoteRows?: number;
}

/** The desk on the store `openStore` makes, started, with one opening quote per traded symbol. */
async function buildPortfolioDesk<S extends Store>(options: PortfolioDeskOptions, openStore: (clock: ManualClock) => S): Promise<PortfolioDesk<S>> {
  const clock = new ManualClock(PORTFOLIO_END);
  const store = openStore(clock);
  const history = createMarketHistory();
  for (const set of PORTFOLIO_SETS.filter((s) => !options.historySymbols || options.historySymbols.includes(s.symbol))) {
    const rows = options.historyRows ?? set.candles.length;
    // Only the rows before the start, no previous pass: exactly `rows` recorded bars.
    new ReplayHistoryFeed(history, set.symbol, set.candles.slice(0, rows), { startIndex: rows, rebaseOnLoop: false, previousPass: false });
  }
  const venue = new SimVenue({ instruments: options.traded.map(bittrexBtcInstrument), initialBalances: { BTC: "1" } });
  const engine = new Engine({
    venue,
    store,
    clock,
    ids: sequentialIds(),
    initialEquity: "1",
    quoteCurrency: "BTC",
    breaker: options.breaker ?? null,
    // Bittrex's minimum is 0.0005 BTC; the desk's default (10, meant for USDT) would refuse every BTC order.
    riskLimits: { ...DEFAULT_RISK_LIMITS, minNotional: "0.01", ...options.riskLimits },
    defaultSymbolSettings: {
      minConfidence: 0.5,
      sizing: options.sizing ?? { method: "fixed_fraction", fraction: 0.1 },
      stopLossPct: null,
      takeProfitLevels: [],
      trailing: null,
      maxAgeMinutes: null,
    },
    ...(options.history !== false && { marketHistory: history }),
  });
  await engine.start();
  const quoteAt = async (symbol: string, rows?: number) => {
    const last = lastClose(symbol, rows);
    clock.advance(1);
    await engine.marketData({ kind: "quote", symbol, bid: last * 0.999, ask: last * 1.001 });
  };
  for (const symbol of options.traded) await quoteAt(symbol, options.quoteRows);
  const quote = (symbol: string) => quoteAt(symbol);
  let n = 0;
  const send = (symbol: string, action: "BUY" | "CLOSE" = "BUY") =>
    engine.execute({
      kind: "signal",
      signal: { id: `sig-${++n}`, symbol, action, confidence: 0.9, strategy: "test", ts: clock.now() },
      source: "test",
    });
  const signal = async (symbol: string, action: "BUY" | "CLOSE" = "BUY") => {
    const result = await send(symbol, action);
    await quote(symbol);
    return result;
  };
  const buy = async (symbol: string) => {
    const result = await signal(symbol);
    expect(result.ok, result.ok ? "" : `${result.error.code} ${result.error.message}`).toBe(true);
  };
  return { engine, venue, store, clock, history, quote, send, signal, buy };
}

/** The in-memory desk, its gate measuring correlation over 30 days of 1h bars. */
export function openPortfolioDesk(options: PortfolioDeskOptions): Promise<PortfolioDesk> {
  return buildPortfolioDesk(
    { ...options, riskLimits: { correlationBarMinutes: 60, correlationWindowBars: 720, ...options.riskLimits } },
    () => new MemoryStore(),
  );
}

/** Makes the desk the runtime the routers and services read (`runtimeState()`), in replay mode. */
export function installPortfolioRuntime(desk: PortfolioDesk<Store>): void {
  runtimeState().runtime = {
    mode: "replay",
    engine: desk.engine,
    bus: new EventBus(),
    startedAt: PORTFOLIO_END,
    feedStatus: () => ({ kind: "replay", connected: true, message: "", lastUpdateAt: null }),
    venueStatus: () => desk.venue.status(),
    marketHistory: desk.history,
    stop: () => Promise.resolve(),
  };
}

export interface SqlitePortfolioDesk extends PortfolioDesk<SqliteStore> {
  tdb: TestDb;
  /** Forgets the runtime, closes the store and deletes the database. */
  close(): Promise<void>;
}

/** The desk on a fresh migrated SQLite file (behind `db()` too), installed as the runtime. */
export async function openSqlitePortfolioDesk(options: PortfolioDeskOptions): Promise<SqlitePortfolioDesk> {
  const tdb = freshDb();
  const desk = await buildPortfolioDesk(options, (clock) => openSqliteStore({ path: tdb.path, clock }));
  installPortfolioRuntime(desk);
  return {
    ...desk,
    tdb,
    async close() {
      runtimeState().runtime = null;
      desk.store.close();
      await tdb.close();
    },
  };
}

/**
 * A desk on the recorded multi-symbol portfolio (Bittrex altcoins against BTC, data/market/portfolio/) with a
 * MarketHistory holding every recorded 5-minute candle, the way the replay feeds it: the gate's covariance is
 * trusted from the start. For engine tests of the portfolio statistics (VaR breaker, target weights, rebalancing).
 */
import { expect } from "vitest";
import { ManualClock, MINUTE_MS } from "../server/core/clock";
import { sequentialIds } from "../server/core/ids";
import { type MarketHistory } from "../server/core/market-history";
import { MemoryStore } from "../server/db/memory-store";
import { Engine, type EngineOptions } from "../server/engine/engine";
import { createMarketHistory, ReplayHistoryFeed } from "../server/engine/market-history-feed";
import { DEFAULT_RISK_LIMITS, type SymbolSettingsInput } from "../server/engine/settings";
import type { CommandResult } from "../server/engine/types";
import { loadCandlesCsv } from "../server/venues/replay/csv";
import { alignCandleSets, bittrexBtcInstrument, RECORDED_SETS, symbolOfFile } from "../server/venues/replay/portfolio";
import { SimVenue } from "../server/venues/sim/sim-venue";

export const PORTFOLIO_SETS = alignCandleSets(RECORDED_SETS.portfolio.files.map((file) => ({ symbol: symbolOfFile(file)!, candles: loadCandlesCsv(file) })));
/** Just after the last recorded candle closed. */
export const PORTFOLIO_END = PORTFOLIO_SETS[0]!.candles[PORTFOLIO_SETS[0]!.candles.length - 1]!.ts + 5 * MINUTE_MS;

export function lastClose(symbol: string): number {
  const set = PORTFOLIO_SETS.find((s) => s.symbol === symbol)!;
  return set.candles[set.candles.length - 1]!.close;
}

export interface PortfolioDesk {
  engine: Engine;
  store: MemoryStore;
  clock: ManualClock;
  history: MarketHistory;
  /** A quote at the symbol's last recorded close (spread 0.2 %), a millisecond later. */
  quote(symbol: string): Promise<void>;
  /** A strategy's signal, then a quote so a market order fills. */
  signal(symbol: string, action?: "BUY" | "CLOSE"): Promise<CommandResult>;
  /** `signal` that must be accepted. */
  buy(symbol: string): Promise<void>;
}

export async function openPortfolioDesk(options: {
  traded: string[];
  sizing: SymbolSettingsInput["sizing"];
  breaker?: EngineOptions["breaker"];
  riskLimits?: EngineOptions["riskLimits"];
  history?: boolean;
}): Promise<PortfolioDesk> {
  const clock = new ManualClock(PORTFOLIO_END);
  const store = new MemoryStore();
  const history = createMarketHistory();
  for (const set of PORTFOLIO_SETS) {
    new ReplayHistoryFeed(history, set.symbol, set.candles, { startIndex: set.candles.length, rebaseOnLoop: false, previousPass: false });
  }
  const engine = new Engine({
    venue: new SimVenue({ instruments: options.traded.map(bittrexBtcInstrument), initialBalances: { BTC: "1" } }),
    store,
    clock,
    ids: sequentialIds(),
    initialEquity: "1",
    quoteCurrency: "BTC",
    breaker: options.breaker ?? null,
    // Bittrex's minimum is 0.0005 BTC; the desk's default (10, meant for USDT) would refuse every BTC order.
    riskLimits: { ...DEFAULT_RISK_LIMITS, minNotional: "0.01", correlationBarMinutes: 60, correlationWindowBars: 720, ...options.riskLimits },
    defaultSymbolSettings: { minConfidence: 0.5, sizing: options.sizing, stopLossPct: null, takeProfitLevels: [], trailing: null, maxAgeMinutes: null },
    ...(options.history !== false && { marketHistory: history }),
  });
  await engine.start();
  const quote = async (symbol: string) => {
    const last = lastClose(symbol);
    clock.advance(1);
    await engine.marketData({ kind: "quote", symbol, bid: last * 0.999, ask: last * 1.001 });
  };
  for (const symbol of options.traded) await quote(symbol);
  let n = 0;
  const signal = async (symbol: string, action: "BUY" | "CLOSE" = "BUY") => {
    const result = await engine.execute({
      kind: "signal",
      signal: { id: `sig-${++n}`, symbol, action, confidence: 0.9, strategy: "test", ts: clock.now() },
      source: "test",
    });
    await quote(symbol);
    return result;
  };
  const buy = async (symbol: string) => {
    const result = await signal(symbol);
    expect(result.ok, result.ok ? "" : `${result.error.code} ${result.error.message}`).toBe(true);
  };
  return { engine, store, clock, history, quote, signal, buy };
}

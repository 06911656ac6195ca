/**
 * Portfolio VaR as a breaker input: the engine measures the 99 % 1-day parametric VaR (the gate's covariance on the
 * recorded multi-symbol history) with each equity update and the breaker trips PORTFOLIO_VAR_PCT when it reaches
 * `maxPortfolioVarPct`; an admin changes the bound through the settings command, audited.
 */
import { describe, expect, it } from "vitest";
import { ManualClock, MINUTE_MS } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { MemoryStore } from "../db/memory-store";
import { loadCandlesCsv } from "../venues/replay/csv";
import { alignCandleSets, bittrexBtcInstrument, RECORDED_SETS, symbolOfFile } from "../venues/replay/portfolio";
import { SimVenue } from "../venues/sim/sim-venue";
import { Engine } from "./engine";
import { createMarketHistory, ReplayHistoryFeed } from "./market-history-feed";
import { DEFAULT_RISK_LIMITS } from "./settings";

const SETS = alignCandleSets(RECORDED_SETS.portfolio.files.map((file) => ({ symbol: symbolOfFile(file)!, candles: loadCandlesCsv(file) })));
const T_END = SETS[0]!.candles[SETS[0]!.candles.length - 1]!.ts + 5 * MINUTE_MS;
const TRADED = ["ADA/BTC", "XLM/BTC"];
const ADMIN = { username: "ada", role: "admin" as const };

async function openDesk(maxPortfolioVarPct: number | null, options: { history?: boolean } = {}) {
  const clock = new ManualClock(T_END);
  const store = new MemoryStore();
  const history = createMarketHistory();
  for (const set of SETS) new ReplayHistoryFeed(history, set.symbol, set.candles, { startIndex: set.candles.length, rebaseOnLoop: false, previousPass: false });
  const engine = new Engine({
    venue: new SimVenue({ instruments: TRADED.map(bittrexBtcInstrument), initialBalances: { BTC: "1" } }),
    store,
    clock,
    ids: sequentialIds(),
    initialEquity: "1",
    quoteCurrency: "BTC",
    breaker: {
      maxDailyLossPct: null,
      maxDrawdownPct: null,
      maxConsecutiveLosses: null,
      maxOrdersPerMinute: 1000,
      maxOrdersPerHour: 10_000,
      maxPortfolioVarPct,
      tripAction: "HALT",
    },
    riskLimits: { ...DEFAULT_RISK_LIMITS, minNotional: "0.01", correlationBarMinutes: 60, correlationWindowBars: 720 },
    defaultSymbolSettings: {
      minConfidence: 0.5,
      sizing: { method: "fixed_fraction", fraction: 0.3 },
      stopLossPct: null,
      takeProfitLevels: [],
      trailing: null,
      maxAgeMinutes: null,
    },
    ...(options.history !== false && { marketHistory: history }),
  });
  await engine.start();
  const quote = async (symbol: string) => {
    const set = SETS.find((s) => s.symbol === symbol)!;
    const last = set.candles[set.candles.length - 1]!.close;
    clock.advance(1);
    await engine.marketData({ kind: "quote", symbol, bid: last * 0.999, ask: last * 1.001 });
  };
  for (const symbol of TRADED) await quote(symbol);
  let n = 0;
  const buy = async (symbol: string) => {
    const result = await engine.execute({
      kind: "signal",
      signal: { id: `sig-${++n}`, symbol, action: "BUY", confidence: 0.9, strategy: "test", ts: clock.now() },
      source: "test",
    });
    expect(result.ok, result.ok ? "" : `${result.code} ${result.message}`).toBe(true);
    await quote(symbol);
  };
  return { engine, store, buy, quote };
}

describe("portfolio VaR as a breaker input", () => {
  it("measures the VaR with the equity and trips PORTFOLIO_VAR_PCT once the held positions reach the bound", async () => {
    const d = await openDesk(100);
    await d.buy("ADA/BTC");
    const measured = d.engine.state().breaker?.portfolioVarPct ?? null;
    expect(measured).not.toBeNull();
    expect(measured!).toBeGreaterThan(0);
    expect(d.engine.state().tradingState).toBe("ACTIVE");

    const config = { ...d.engine.riskSettings().breakerConfig!, maxPortfolioVarPct: Number((measured! * 1.5).toFixed(2)) };
    expect((await d.engine.execute({ kind: "setBreakerConfig", config, actor: ADMIN })).ok).toBe(true);
    expect(d.store.listAudit().some((a) => a.action === "set_breaker_config" && a.actor === "ada")).toBe(true);
    await d.quote("ADA/BTC");
    expect(d.engine.state().tradingState).toBe("ACTIVE"); // under the bound

    await d.buy("XLM/BTC"); // ρ ADA–XLM 0.65: the second position adds most of its own VaR
    const state = d.engine.state();
    expect(state.tradingState).toBe("HALTED");
    expect(state.breaker).toMatchObject({ state: "OPEN", reason: "PORTFOLIO_VAR_PCT" });
    expect(state.breaker?.message).toMatch(/^Portfolio 1-day 99% VaR of [\d.]+% of equity [\d.]+ reached the [\d.]+% limit\.$/);
    expect(d.store.listBreakerEvents().some((e) => e.kind === "TRIP" && e.reason === "PORTFOLIO_VAR_PCT")).toBe(true);
  });

  it("without the bound the same positions keep the desk active and the VaR is not measured", async () => {
    const d = await openDesk(null);
    await d.buy("ADA/BTC");
    await d.buy("XLM/BTC");
    expect(d.engine.state().tradingState).toBe("ACTIVE");
    expect(d.engine.state().breaker?.portfolioVarPct).toBeNull();
  });

  it("without market history the VaR cannot be measured and never trips", async () => {
    const d = await openDesk(0.01, { history: false });
    await d.buy("ADA/BTC");
    expect(d.engine.state().tradingState).toBe("ACTIVE");
    expect(d.engine.state().breaker?.portfolioVarPct).toBeNull();
  });
});

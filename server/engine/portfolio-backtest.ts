/**
 * A portfolio backtest: several symbols (one candle series each) and several strategies through one engine, one
 * simulated venue and one equity in the symbols' common quote currency, on a simulated clock.
 *
 * The candles of all symbols are merged in time order (equal times in the order the symbols were given). Per candle of
 * symbol S, exactly as the single-symbol runner (backtest.ts) does for its one symbol:
 *   1. the clock moves to the candle's open; S's pending intent (from S's previous candle) is sent to the engine as a
 *      signal with its strategy's name and fills at the open;
 *   2. with working orders or exit rules the bar's path is played as touches of S;
 *   3. S's mark is set at the close and every strategy that runs on S sees the candle — only S's candles, each
 *      (strategy, symbol) pair has its own strategy instance;
 * and after the last candle of a time the equity curve gets a point (cash + positions marked at their last close).
 * At the end each open position is closed at its symbol's last close, at that candle's close time ("end_of_data").
 *
 * Ownership. Today's engine holds one position per symbol. The position belongs to the strategy whose signal opened it:
 * another strategy's entry on a held symbol is skipped (counted in `skippedSignals`), and only the owner's exit closes it.
 * A strategy sees itself as flat on a symbol another strategy holds.
 *
 * Sizing (the same rule the per-symbol oracle uses): every entry is all in of a budget, fees and slippage included —
 * either a share of the current equity (`equityFraction`, default 1 / number of symbols, so that every symbol can be
 * held at once) or a fixed notional in quote currency (`notional`: capital never binds while capital ≥ symbols ×
 * notional × (1 + fee), so the symbols do not interact). The budget is capped by the free balance.
 *
 * Desk settings (`npm run backtest -- … --config FILE`): risk limits, breaker and protections go to the engine as they
 * would on a desk. With protections, every candle's path (open, the extremes, close, all at the candle's open time) is
 * played as touches of its symbol, so the detectors see each price; a 5-minute candle is one instant to them. What
 * fired is listed in `protectionsFired` (from the engine's bus).
 *
 * `--exec ALGO` (as in the single-symbol runner): each entry is a signal asking for the algorithm and each exit a parent
 * selling the open position, worked on the simulated clock (a parent's due slice goes out with its symbol's market
 * data; POV takes its share of each candle's volume). A new signal on a symbol stops that symbol's working parents
 * first. The symbol belongs to the strategy whose entry parent started, from its start (before anything fills) until
 * it is flat with no parent working. At the end, working parents stop and open positions close at the last close with
 * one market order each. The result's `execution` gives each trade's entry and exit shortfall.
 */
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { type Instrument } from "../core/instrument";
import { approxNumber, D, Decimal, type DecimalInput } from "../core/money";
import type { NumericEquityCurve } from "../core/backtest/report";
import type { BacktestTrade } from "../core/backtest/types";
import type { Strategy, StrategyPosition } from "../core/strategies/types";
import { MemoryStore } from "../db/memory-store";
import type { TradeRecord } from "../db/store";
import type { Candle } from "../venues/replay/csv";
import { execAlgoRequest, type ExecSpec } from "../core/algos/exec-spec";
import {
  type AllInSizing,
  BacktestEngine,
  backtestTradeOf,
  backtestVenue,
  backtestVolumeHistory,
  executionSummary,
  type ExecutionSummary,
  signalSources,
  smallestGap,
} from "./backtest";
import { EventBus } from "./bus";
import { SYSTEM } from "./types";
import type { EngineOptions } from "./context";
import type { ProtectionFired } from "../core/backtest/portfolio-report";
import { createMarketHistory } from "./market-history-feed";
import type { RiskLimitsSettings } from "./settings";

export interface PortfolioLeg {
  symbol: string;
  candles: readonly Candle[];
  instrument: Instrument;
}

export interface PortfolioStrategy {
  name: string;
  /** The symbols it runs on; null: every symbol. */
  symbols: readonly string[] | null;
  /** A fresh instance for one symbol (each pair keeps its own state). */
  create: (symbol: string) => Strategy;
}

export interface PortfolioBacktestInput {
  legs: readonly PortfolioLeg[];
  strategies: readonly PortfolioStrategy[];
  capital: DecimalInput;
  slippageBps: number;
  sizing: AllInSizing;
  intervalMs?: number;
  /**
   * Risk limits in force (default none). With the statistical limits (maxCorrelatedExposurePct, maxVarPct) the engine
   * gets a market history fed with every played candle at its close, so the gate measures what it would have known then.
   */
  riskLimits?: RiskLimitsSettings;
  breaker?: EngineOptions["breaker"];
  protections?: EngineOptions["protections"];
  /** `--exec`: entries and exits worked by this algorithm; absent (or market): one market order each. */
  exec?: ExecSpec;
}

export interface PortfolioTrade extends BacktestTrade {
  symbol: string;
  strategy: string;
}

export interface PortfolioBacktestResult {
  trades: PortfolioTrade[];
  numericEquityCurve: NumericEquityCurve;
  /** Candles consumed, over all symbols. */
  candles: number;
  /** Distinct candle times (points of the equity curve). */
  times: number;
  finalEquity: Decimal;
  quote: string;
  /** First candle open → last candle close, over all symbols (ms). */
  spanMs: number;
  /** Candles per symbol (after alignment by the caller). */
  candlesPerSymbol: Record<string, number>;
  /** Entries not sent because another strategy held the symbol, per strategy. */
  skippedSignals: Record<string, number>;
  /** Signals the engine refused (e.g. a budget too small for the venue's minimum), per strategy. */
  refusedSignals: Record<string, number>;
  /** Protections that fired, in order (none without `protections`). */
  protectionsFired: ProtectionFired[];
  /** Only with `exec`: parents, children and each trade's shortfall (in `trades` order). */
  execution?: ExecutionSummary;
}

interface Slot {
  strategy: string;
  instance: Strategy;
  context: { position: StrategyPosition };
}

interface LegState {
  leg: PortfolioLeg;
  interval: number;
  slots: Slot[];
  pending: { action: "BUY" | "SELL"; strategy: string; reason: string } | null;
  /** The strategy whose signal opened the symbol's position; null when flat. */
  owner: string | null;
}

export function runPortfolioBacktest(input: PortfolioBacktestInput): PortfolioBacktestResult {
  if (input.legs.length === 0) throw new RangeError("a portfolio backtest needs at least one symbol");
  const quote = input.legs[0]!.instrument.quote;
  for (const leg of input.legs) {
    if (leg.instrument.quote !== quote)
      throw new RangeError(`${leg.symbol} is quoted in ${leg.instrument.quote}, not ${quote}: one equity needs one quote currency`);
  }
  const symbols = input.legs.map((l) => l.symbol);
  if (new Set(symbols).size !== symbols.length) throw new RangeError(`a symbol is given twice: ${symbols.join(", ")}`);

  const states: LegState[] = input.legs.map((leg) => ({
    leg,
    interval: input.intervalMs ?? smallestGap(leg.candles),
    slots: input.strategies
      .filter((s) => s.symbols === null || s.symbols.includes(leg.symbol))
      .map((s) => ({ strategy: s.name, instance: s.create(leg.symbol), context: { position: "FLAT" } })),
    pending: null,
    owner: null,
  }));

  // Time order over all symbols; a stable sort keeps the symbols' order among equal times.
  const events: { state: LegState; index: number }[] = [];
  for (const state of states) state.leg.candles.forEach((_, index) => events.push({ state, index }));
  events.sort((a, b) => a.state.leg.candles[a.index]!.ts - b.state.leg.candles[b.index]!.ts);

  const first = events[0];
  const clock = new ManualClock(first ? first.state.leg.candles[first.index]!.ts : 0);
  const balances: Record<string, Decimal> = { [quote]: D(input.capital) };
  for (const leg of input.legs) balances[leg.instrument.base] = D(0);
  const venue = backtestVenue(
    input.legs.map((l) => l.instrument),
    balances,
    input.slippageBps,
  );
  const closed: TradeRecord[] = [];
  const limits = input.riskLimits ?? {};
  const statistical = limits.maxCorrelatedExposurePct != null || limits.maxVarPct != null;
  const exec = input.exec;
  const algoMode = exec !== undefined && exec.kind !== "market";
  const history = statistical ? createMarketHistory() : exec?.kind === "vwap" ? backtestVolumeHistory(states.map((s) => s.interval)) : null;
  const store = new MemoryStore({ history: "open" }); // what the run reads (MemoryStoreOptions)
  const engine = new BacktestEngine(closed, {
    ...(history && { marketHistory: history }),
    bus: new EventBus(0),
    venue,
    store,
    clock,
    ids: sequentialIds(),
    initialEquity: input.capital,
    quoteCurrency: quote,
    breaker: input.breaker ?? null,
    riskLimits: limits,
    ...(input.protections != null && { protections: input.protections }),
    defaultSymbolSettings: { minConfidence: 0, sizing: input.sizing, stopLossPct: null, takeProfitLevels: [], trailing: null, maxAgeMinutes: null },
    expectedSlippageBps: input.slippageBps,
    equitySnapshotOnFill: false,
    // Parents' timers are served by the candles (a due timer is delivered with its symbol's market data).
    ...(algoMode && { timers: { setTimeout: () => null, clearTimeout: () => undefined } }),
  });
  void engine.start();
  const protected_ = input.protections != null;
  const protectionsFired: ProtectionFired[] = [];
  engine.bus.subscribe((event) => {
    if (event.type !== "protection") return;
    const { rule, scope, ts, action } = event.firing;
    protectionsFired.push({ rule, symbol: scope.kind === "symbol" ? scope.symbol : null, ts, action });
  });

  const skippedSignals: Record<string, number> = {};
  const refusedSignals: Record<string, number> = {};
  for (const s of input.strategies) {
    skippedSignals[s.name] = 0;
    refusedSignals[s.name] = 0;
  }
  let signalSeq = 0;
  const sourceOf = signalSources();
  const lastTouch = new Map<string, number>();
  const touch = (symbol: string, price: number) => {
    if (algoMode) lastTouch.set(symbol, price);
    engine.executeMarketData({ kind: "quote", symbol, bid: price, ask: price });
  };
  const send = (state: LegState, action: "BUY" | "SELL", strategy: string, reason: string) => {
    const symbol = state.leg.symbol;
    const result = engine.executeSync({
      kind: "signal",
      signal: { id: `bt-${++signalSeq}`, symbol, action: action === "BUY" ? "BUY" : "CLOSE", confidence: 1, strategy, ts: clock.now() },
      source: sourceOf(reason),
    });
    if (!result.ok) refusedSignals[strategy] = (refusedSignals[strategy] ?? 0) + 1;
    const open = engine.openPosition(symbol);
    state.owner = open ? (state.owner ?? strategy) : null;
  };
  /** A symbol's working parents stop (an entry still buying must not outlive the exit that follows it). */
  const stopParents = (symbol: string) => {
    for (const parentId of engine.liveParentIds(symbol)) engine.executeSync({ kind: "cancelParent", parentId, actor: SYSTEM, reason: "next signal" });
  };
  /** The owner once parents moved: kept while the position is open or a parent works, released when flat and idle. */
  const syncOwner = (state: LegState) => {
    if (engine.openPosition(state.leg.symbol) === null && !engine.hasLiveParents(state.leg.symbol)) state.owner = null;
  };
  /** `--exec`: an entry is a signal asking for the algorithm, an exit a parent selling what is held. */
  const sendWorked = (state: LegState, action: "BUY" | "SELL", strategy: string, reason: string) => {
    const symbol = state.leg.symbol;
    stopParents(symbol);
    if (action === "SELL") {
      const open = engine.openPosition(symbol);
      if (open) {
        const result = engine.executeSync({
          kind: "startParent",
          parent: {
            symbol,
            side: "SELL",
            quantity: open.quantity.toString(),
            algo: execAlgoRequest(exec!, open.quantity.toString(), state.interval)!,
            // An iceberg rests at the arrival price, as an entry's does.
            ...(exec!.kind === "iceberg" && { limitPrice: new Decimal(lastTouch.get(symbol) ?? 0).toString() }),
          },
          actor: SYSTEM,
          reason,
        });
        if (!result.ok) refusedSignals[strategy] = (refusedSignals[strategy] ?? 0) + 1;
      }
    } else {
      const result = engine.executeSync({
        kind: "signal",
        signal: {
          id: `bt-${++signalSeq}`,
          symbol,
          action: "BUY",
          confidence: 1,
          strategy,
          ts: clock.now(),
          algo: execAlgoRequest(exec!, "1000000000000", state.interval)!,
        },
        source: sourceOf(reason),
      });
      if (!result.ok) refusedSignals[strategy] = (refusedSignals[strategy] ?? 0) + 1;
      // The symbol is the strategy's from its entry's start: another strategy's entry waits, as on a held symbol.
      else state.owner = strategy;
    }
    syncOwner(state);
  };

  const curveTs: number[] = [];
  const curveEq: number[] = [];
  for (let e = 0; e < events.length; e++) {
    const { state, index } = events[e]!;
    const { symbol, candles } = state.leg;
    const candle = candles[index]!;
    clock.set(Math.max(clock.now(), candle.ts));
    let busy = false;
    const working = algoMode && engine.hasLiveParents(symbol);
    // POV takes its share of what traded: the candle's volume, before its prices.
    if (working && exec.kind === "pov") engine.noteTradedVolume(symbol, candle.volume);
    if (state.pending || working || protected_ || engine.hasWorkingOrders() || engine.hasExitRules()) {
      touch(symbol, candle.open);
      if (state.pending) {
        (algoMode ? sendWorked : send)(state, state.pending.action, state.pending.strategy, state.pending.reason);
        state.pending = null;
      }
      busy = protected_ || engine.hasWorkingOrders() || engine.hasExitRules() || (algoMode && engine.hasLiveParents(symbol));
    }
    if (busy) {
      const [first, second] = candle.close >= candle.open ? [candle.low, candle.high] : [candle.high, candle.low];
      touch(symbol, first);
      touch(symbol, second);
      touch(symbol, candle.close);
    }
    if (working || (algoMode && busy)) syncOwner(state);
    engine.setMark(symbol, candle.close, candle.ts + state.interval);
    history?.addCandle(symbol, candle, state.interval);
    for (const slot of state.slots) {
      const position: StrategyPosition = state.owner === slot.strategy ? "LONG" : "FLAT";
      slot.context.position = position;
      const intent = slot.instance.onCandle(candle, slot.context);
      if (!intent || index + 1 >= candles.length || state.pending) continue;
      if (intent.action === "OPEN_LONG" && position === "FLAT") {
        if (state.owner !== null) skippedSignals[slot.strategy] = (skippedSignals[slot.strategy] ?? 0) + 1;
        else state.pending = { action: "BUY", strategy: slot.strategy, reason: intent.reason };
      } else if (intent.action === "CLOSE_LONG" && position === "LONG") {
        state.pending = { action: "SELL", strategy: slot.strategy, reason: intent.reason };
      }
    }
    const next = events[e + 1];
    if (!next || next.state.leg.candles[next.index]!.ts !== candle.ts) {
      // Money is exact inside the engine; the curve is market data as numbers (as in the single-symbol runner).
      curveTs.push(candle.ts + state.interval);
      curveEq.push(approxNumber(engine.equity().equity));
    }
  }

  // End of data: working parents stop (what they filled stays held), then each open position closes at its own symbol's
  // last close, in the order of those close times.
  if (algoMode)
    for (const state of states) {
      stopParents(state.leg.symbol);
      syncOwner(state);
    }
  const endOfData = new Set<string>();
  const ending = states.filter((s) => s.owner !== null && s.leg.candles.length > 0);
  ending.sort((a, b) => a.leg.candles[a.leg.candles.length - 1]!.ts + a.interval - (b.leg.candles[b.leg.candles.length - 1]!.ts + b.interval));
  for (const state of ending) {
    const last = state.leg.candles[state.leg.candles.length - 1]!;
    clock.set(Math.max(clock.now(), last.ts + state.interval));
    touch(state.leg.symbol, last.close);
    const before = closed.length;
    send(state, "SELL", state.owner!, "end of data");
    for (const t of closed.slice(before)) endOfData.add(t.id);
  }
  const finalEquity = engine.realizedEquity();

  const firstTs = first ? first.state.leg.candles[first.index]!.ts : 0;
  const lastClose =
    curveTs.length > 0 ? Math.max(...states.map((s) => (s.leg.candles.length > 0 ? s.leg.candles[s.leg.candles.length - 1]!.ts + s.interval : 0))) : 0;
  const candlesPerSymbol: Record<string, number> = {};
  for (const s of states) candlesPerSymbol[s.leg.symbol] = s.leg.candles.length;
  return {
    trades: closed.map((t) => ({
      symbol: t.symbol,
      strategy: t.strategy ?? "",
      ...backtestTradeOf(t, endOfData.has(t.id) ? "end_of_data" : "signal"),
    })),
    numericEquityCurve: { ts: Float64Array.from(curveTs), equity: Float64Array.from(curveEq), last: finalEquity },
    candles: events.length,
    times: curveTs.length,
    finalEquity,
    quote,
    spanMs: Math.max(0, lastClose - firstTs),
    candlesPerSymbol,
    skippedSignals,
    refusedSignals,
    protectionsFired,
    ...(exec && { execution: executionSummary(exec, engine, store, closed) }),
  };
}

export interface CorrelationLimitComparison {
  limitPct: number;
  without: PortfolioBacktestResult;
  with: PortfolioBacktestResult;
}

/**
 * The same portfolio backtest twice: without and with the correlated-exposure limit (`limitPct` % of equity per
 * cluster; the other correlation settings from `riskLimits`), for the report's comparison.
 */
export function compareCorrelationLimit(input: PortfolioBacktestInput, limitPct: number): CorrelationLimitComparison {
  const base = input.riskLimits ?? {};
  const without = runPortfolioBacktest({ ...input, riskLimits: { ...base, maxCorrelatedExposurePct: null } });
  const withLimit = runPortfolioBacktest({ ...input, riskLimits: { ...base, maxCorrelatedExposurePct: limitPct } });
  return { limitPct, without, with: withLimit };
}

/** Return, max drawdown (both % of capital, floats for a report), trades and refused entries of one run. */
export function comparisonFigures(result: PortfolioBacktestResult, capital: DecimalInput) {
  const start = approxNumber(D(capital));
  let peak = start;
  let maxDrawdownPct = 0;
  for (const equity of result.numericEquityCurve.equity) {
    peak = Math.max(peak, equity);
    if (peak > 0) maxDrawdownPct = Math.max(maxDrawdownPct, ((peak - equity) / peak) * 100);
  }
  const refused = Object.values(result.refusedSignals).reduce((a, b) => a + b, 0);
  return {
    returnPct: start > 0 ? ((approxNumber(result.finalEquity) - start) / start) * 100 : 0,
    maxDrawdownPct,
    trades: result.trades.length,
    refused,
  };
}

/** The report section: one line per run, then the difference. */
export function formatCorrelationComparison(comparison: CorrelationLimitComparison, capital: DecimalInput): string {
  const a = comparisonFigures(comparison.without, capital);
  const b = comparisonFigures(comparison.with, capital);
  const row = (name: string, f: typeof a) =>
    `  ${name.padEnd(28)} return ${f.returnPct.toFixed(2).padStart(7)}%  max drawdown ${f.maxDrawdownPct.toFixed(2).padStart(6)}%  trades ${String(f.trades).padStart(4)}  refused ${String(f.refused).padStart(4)}`;
  return [
    `Correlation limit comparison (clusters capped at ${comparison.limitPct}% of equity):`,
    row("without the limit", a),
    row(`with the limit (${comparison.limitPct}%)`, b),
    `  difference: return ${(b.returnPct - a.returnPct).toFixed(2)} points, max drawdown ${(b.maxDrawdownPct - a.maxDrawdownPct).toFixed(2)} points, ${b.refused - a.refused} more entries refused`,
  ].join("\n");
}

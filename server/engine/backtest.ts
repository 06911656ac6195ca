/**
 * Backtests run the real engine (risk gate, journal, FSM, simulated venue, position book) on a simulated
 * clock, with an in-memory store. Per candle i:
 *   1. the clock moves to the candle's open time; intents from candle i−1 are executed against a touch at
 *      the open (quote bid = ask = open), so they fill at the open ± the simulator's slippage;
 *   2. when positions have exit rules or orders are working, the bar's path (open → nearer extreme →
 *      other extreme → close) is played as touches so stops, take-profits and resting limits act inside
 *      the bar, as the replay does;
 *   3. the strategy sees the closed candle and may return an intent for the next open;
 *   4. the equity curve gets a point at the candle's close time (cash + position marked at the close).
 * After the last candle an open position is closed at the last close ("end_of_data").
 * The same data and parameters give the same trades and numbers (no wall clock, no randomness).
 */
import { DAY_MS, ManualClock } from "../core/clock";
import { MarketHistory } from "../core/market-history";
import type { ParentView } from "./algos";
import { MARKET_HISTORY_BAR_MS, MARKET_HISTORY_DAYS } from "./market-history-feed";
import { sequentialIds } from "../core/ids";
import { type Instrument, makeInstrument } from "../core/instrument";
import { approxNumber, D, Decimal, type DecimalInput } from "../core/money";
import type { BacktestExitReason, BacktestTrade } from "../core/backtest/types";
import { CurveScan, type NumericEquityCurve } from "../core/backtest/report";
import type { Strategy, StrategyPosition } from "../core/strategies/types";
import { MemoryStore } from "../db/memory-store";
import type { TradeRecord } from "../db/store";
import { type Candle, type CandleColumns, candleColumnsOf } from "../venues/replay/csv";
import { SimVenue } from "../venues/sim/sim-venue";
import { EventBus } from "./bus";
import { Engine } from "./engine";
import type { AllInSizing } from "./settings";
import { SYSTEM } from "./types";
import { execAlgoRequest, execLabel, type ExecSpec } from "../core/algos/exec-spec";

export type { AllInSizing };

export interface EngineBacktestInput {
  /** Objects (converted once), or the loader's columns (loadCandleColumns: a long file without an object per candle). */
  candles: readonly Candle[] | CandleColumns;
  symbol: string;
  strategy: Strategy;
  capital: DecimalInput;
  /** Fee per fill in bps of its notional. */
  feeBps: DecimalInput;
  /** Fixed slippage against the trader, in bps (0 = none). */
  slippageBps: number;
  /** Quantity step; null or absent: no rounding (the quantity keeps decimal.js's 40 digits, rounded down). */
  qtyStep?: DecimalInput | null;
  /** Candle length; defaults to the smallest gap between candles (the columns carry it). */
  intervalMs?: number;
  /** A venue's rules instead of the unrounded instrument (feeBps and qtyStep are then unused): a portfolio's per-symbol check. */
  instrument?: Instrument;
  /** The all_in budget (equity share or fixed notional); default the whole equity. */
  sizing?: AllInSizing;
  onProgress?: (done: number, total: number) => void;
  /** `--exec`: every entry and exit worked by this algorithm on the simulated clock; absent: one market order each (today's run, unchanged). */
  exec?: ExecSpec;
}

/** What `--exec` adds to the report: the parents and children it made, and each trade's cost against its arrival price. */
export interface ExecutionSummary {
  algo: string;
  parentOrders: number;
  childOrders: number;
  /** Mean implementation shortfall of the executions (entries and exits), in bps; a statistic (float). */
  avgShortfallBps: number | null;
  /** Per trade (the report's order): entry and exit shortfall in bps against the mark when the signal came. */
  trades: { entryShortfallBps: number | null; exitShortfallBps: number | null }[];
  /** The parents with their children, newest first (tests look at the slices; not part of the report). */
  parents: ParentView[];
}

export interface EngineBacktestResult {
  trades: BacktestTrade[];
  /** Equity at each candle close: money marked at the close as a number (exact at the last point). */
  equityCurve: { ts: number; equity: Decimal }[];
  /** The same curve as numbers (what the report reads: no Decimal per candle). */
  numericEquityCurve: NumericEquityCurve;
  candles: number;
  finalEquity: Decimal;
  /** Orders the engine placed and fills it booked (for the report and the tests). */
  orders: number;
  fills: number;
  /** Only with `exec`. */
  execution?: ExecutionSummary;
}

/** A closed trade as the backtest reports it (the single and the portfolio runner). */
export function backtestTradeOf(t: TradeRecord, exitReason: BacktestExitReason): BacktestTrade {
  return {
    entryTime: t.entryTime,
    exitTime: t.exitTime,
    side: t.side,
    qty: t.quantity,
    entryPrice: t.entryPrice,
    exitPrice: t.exitPrice,
    fees: t.fees,
    pnl: t.pnl,
    exitReason,
  };
}

/**
 * VWAP's market history in a backtest: bars of the candles' size (a history refuses candles longer than its bars, and
 * at least the desk's 5 minutes), fed each candle at its close, so a parent's profile is learned from what had traded
 * before it started.
 */
export function backtestVolumeHistory(candleMs: readonly number[]): MarketHistory {
  const barMs = Math.max(MARKET_HISTORY_BAR_MS, ...candleMs);
  return new MarketHistory({ barMs, maxBars: Math.ceil((MARKET_HISTORY_DAYS * DAY_MS) / barMs) });
}

/**
 * A backtest's simulated venue (the single and the portfolio run): a fixed slippage, or none; a market buy reserves
 * exactly what all-in sizing spends (the touch plus that slippage, fees included); and no log of recent fills, which is
 * what a restarted engine asks a venue (reconciliation) — a backtest is never restarted (its store, history "open",
 * keeps no journal either).
 */
export function backtestVenue(instruments: Instrument[], initialBalances: Record<string, DecimalInput>, slippageBps: number): SimVenue {
  return new SimVenue({
    instruments,
    initialBalances,
    slippage: slippageBps > 0 ? { model: "FIXED", bps: slippageBps } : { model: "NONE" },
    marketReserveBufferBps: slippageBps,
    fillHistoryLimit: 0,
  });
}

/** Distinct reasons whose sources signalSources remembers (a strategy words a few; one that words each differently is not held). */
const REMEMBERED_REASONS = 64;

/**
 * A run's signal source for a strategy's reason ("backtest: <reason>"), one string per reason: every signal's record
 * keeps its source for the whole run, and a string built per signal (a 32-byte cons over the same two parts) was kept
 * with each of them.
 */
export function signalSources(): (reason: string) => string {
  const known = new Map<string, string>();
  return (reason) => {
    let source = known.get(reason);
    if (source === undefined) {
      source = `backtest: ${reason}`;
      if (known.size < REMEMBERED_REASONS) known.set(reason, source);
    }
    return source;
  };
}

/** Candles a call of the candle loop runs (see runEngineBacktest). */
const CANDLE_SLICE = 256;

/** Steps so fine that nothing a 40-digit quantity or a bps-slipped price carries is rounded away. */
const NO_ROUNDING = "1e-40";

/**
 * The engine with the backtest's trade list as it closes trades. One class for every run: a class made per
 * run gives each run's engine its own hidden classes, and the engine's call sites go megamorphic across runs.
 */
export class BacktestEngine extends Engine {
  constructor(
    private readonly closedTrades: TradeRecord[],
    options: ConstructorParameters<typeof Engine>[0],
  ) {
    super(options);
  }

  protected override onTradeClosed(trade: TradeRecord): void {
    this.closedTrades.push(trade);
    super.onTradeClosed(trade);
  }
}

export function smallestGap(candles: readonly Candle[]): number {
  let gap = Infinity;
  for (let i = 1; i < candles.length; i++) {
    const d = candles[i]!.ts - candles[i - 1]!.ts;
    if (d > 0 && d < gap) gap = d;
  }
  return Number.isFinite(gap) ? gap : 0;
}

export function runEngineBacktest(input: EngineBacktestInput): EngineBacktestResult {
  const { symbol, strategy } = input;
  // `as`: Array.isArray does not narrow a readonly array out of the union.
  const columns = Array.isArray(input.candles) ? candleColumnsOf(input.candles as readonly Candle[]) : (input.candles as CandleColumns);
  const count = columns.length;
  const { ts: tsColumn, open: openColumn, high: highColumn, low: lowColumn, close: closeColumn, volume: volumeColumn } = columns;
  const feeRate = D(input.feeBps).dividedBy(10_000);
  const interval = input.intervalMs ?? columns.smallestGap;
  const [base = symbol, quoteCcy = "USDT"] = symbol.split(/[/:]/);
  const instrument =
    input.instrument ??
    makeInstrument({
      symbol,
      base,
      quote: quoteCcy,
      priceTick: NO_ROUNDING,
      qtyStep: input.qtyStep ?? NO_ROUNDING,
      makerFee: feeRate,
      takerFee: feeRate,
    });
  const clock = new ManualClock(count > 0 ? tsColumn[0]! : 0);
  const exec = input.exec;
  const algoMode = exec !== undefined && exec.kind !== "market";
  // What the run reads, not the history of every finished order (see MemoryStoreOptions).
  const store = new MemoryStore({ history: "open" });
  const volumeHistory = exec?.kind === "vwap" ? backtestVolumeHistory([interval]) : null;
  const venue = backtestVenue([instrument], { [quoteCcy]: D(input.capital), [base]: 0 }, input.slippageBps);
  const trades: TradeRecord[] = [];
  const engine = new BacktestEngine(trades, {
    // Nobody reconnects to a backtest's bus: it keeps no history to catch up from.
    bus: new EventBus(0),
    venue,
    store,
    clock,
    ids: sequentialIds(),
    ...(volumeHistory && { marketHistory: volumeHistory }),
    initialEquity: input.capital,
    quoteCurrency: quoteCcy,
    breaker: null,
    // Like the breaker: off, so the engine agrees with the oracle (a backtest with protections is still to come).
    protections: null,
    riskLimits: {},
    defaultSymbolSettings: {
      minConfidence: 0,
      sizing: input.sizing ?? { method: "all_in" },
      stopLossPct: null,
      takeProfitLevels: [],
      trailing: null,
      maxAgeMinutes: null,
    },
    expectedSlippageBps: input.slippageBps,
    equitySnapshotOnFill: false,
    // Parents' timers are served by the candles (a due timer is delivered with the market data): no wall-clock timer.
    ...(algoMode && { timers: { setTimeout: () => null, clearTimeout: () => undefined } }),
  });
  // An in-memory venue and store answer at once: start() resolves synchronously in effect.
  void engine.start();

  let lastTouch = 0;
  const touch = (price: number) => {
    lastTouch = price;
    engine.executeMarketData({ kind: "quote", symbol, bid: price, ask: price });
  };
  let pending: { action: "BUY" | "SELL"; candleTs: number; reason: string } | null = null;
  let position = "FLAT" as StrategyPosition; // `as`: act() changes it, which narrowing cannot see
  let signalSeq = 0;
  const sourceOf = signalSources();
  // The curve at candle closes is market data (numbers, DESIGN allows it); money stays exact at every fill
  // (flatEquity, finalEquity). Building a Decimal per candle cost more than the rest of the loop.
  const curveTs = new Float64Array(count);
  const curveEq = new Float64Array(count);
  let flatEquity = D(input.capital);
  // What the report's drawdown needs from every point but the last, noted as the point is written (report.ts).
  const curveScan = new CurveScan(flatEquity.toNumber());
  const lastIndex = count - 1;
  let flatNum = flatEquity.toNumber();
  let heldNum = 0;
  let heldCashNum = 0;
  const progressEvery = Math.max(1, Math.floor(count / 10));
  const strategyContext: { position: StrategyPosition } = { position };

  /** Live parents are stopped (an entry still buying must not outlive the exit that follows it). */
  const stopParents = () => {
    // The ids of the working (or paused) parents, not the views of every parent so far (each signal built up to 1,000).
    for (const parentId of engine.liveParentIds(symbol)) engine.executeSync({ kind: "cancelParent", parentId, actor: SYSTEM, reason: "next signal" });
  };
  const act = (action: "BUY" | "SELL", reason: string, exitReason: BacktestExitReason) => {
    if (algoMode) stopParents();
    if (exitReason === "end_of_data") {
      engine.executeSync({ kind: "closeAll", actor: SYSTEM, reason, exitReason });
    } else if (algoMode && action === "SELL") {
      const open = engine.openPosition(symbol);
      if (open)
        engine.executeSync({
          kind: "startParent",
          parent: {
            symbol,
            side: "SELL",
            quantity: open.quantity.toString(),
            algo: execAlgoRequest(exec, open.quantity.toString(), interval)!,
            // An iceberg rests at the arrival price, as an entry's does.
            ...(exec.kind === "iceberg" && { limitPrice: new Decimal(lastTouch).toString() }),
          },
          actor: SYSTEM,
          reason,
        });
    } else if (algoMode) {
      engine.executeSync({
        kind: "signal",
        signal: {
          id: `bt-${++signalSeq}`,
          symbol,
          action: "BUY",
          confidence: 1,
          strategy: strategy.name,
          ts: clock.now(),
          algo: execAlgoRequest(exec, "1000000000000", interval)!,
        },
        source: sourceOf(reason),
      });
    } else {
      engine.executeSync({
        kind: "signal",
        signal: { id: `bt-${++signalSeq}`, symbol, action: action === "BUY" ? "BUY" : "CLOSE", confidence: 1, strategy: strategy.name, ts: clock.now() },
        source: sourceOf(reason),
      });
    }
    syncHeld();
  };
  /** The position as the curve and the strategy see it (after every act, and every candle while a parent works). */
  const syncHeld = () => {
    const open = engine.openPosition(symbol);
    position = open ? (open.side === "LONG" ? "LONG" : "SHORT") : "FLAT";
    if (open) {
      // The curve is floats: cash not at the market = equity when last flat + the position's realized net
      // (its fees so far) − its cost; marked at each close below.
      heldNum = approxNumber(open.quantity);
      heldCashNum = flatNum + approxNumber(open.realizedPnlNet) - approxNumber(open.costBasis);
    } else {
      // Flat: equity is exact again (the last point of the curve and the report use it).
      heldNum = 0;
      flatEquity = engine.realizedEquity();
      flatNum = approxNumber(flatEquity);
    }
  };

  // One candle object for the run, refilled each step: the Strategy contract lends the candle for the call (a strategy
  // keeps numbers, never the object; strategies/contract.test.ts holds every built-in to it), and so does addCandle.
  // NaN, not 0: the fields are doubles from the start (a 0 would make them small-integer fields that the first price widens).
  const candle: Candle = { ts: NaN, open: NaN, high: NaN, low: NaN, close: NaN, volume: NaN };
  // Whether orders work or exits are watched (the bar's path is then played): it changes only while the engine is driven
  // (a touch, a signal, a parent's volume), so it is asked again after a candle that drove it, not at every candle (a
  // position held for hours with no exit rule was asked, and its exits looked at, every minute).
  let watched = engine.hasWorkingOrders() || engine.hasExitRules();
  const runCandles = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const ts = tsColumn[i]!;
      const open = openColumn[i]!;
      const high = highColumn[i]!;
      const low = lowColumn[i]!;
      const close = closeColumn[i]!;
      const volume = volumeColumn[i]!;
      candle.ts = ts;
      candle.open = open;
      candle.high = high;
      candle.low = low;
      candle.close = close;
      candle.volume = volume;
      clock.set(Math.max(clock.now(), ts));
      // The open is market data only when an intent is sized at it or orders and exits are watched; otherwise
      // the close mark below replaces it before anything reads it.
      let busy = false;
      const working = algoMode && engine.hasLiveParents();
      // POV takes its share of what traded: the candle's volume, before its prices.
      if (working && exec.kind === "pov") engine.noteTradedVolume(symbol, volume);
      const driven = pending !== null || working || watched;
      if (driven) {
        touch(open);
        if (pending) {
          act(pending.action, pending.reason, "signal");
          pending = null;
        }
        busy = engine.hasWorkingOrders() || engine.hasExitRules() || (algoMode && engine.hasLiveParents());
      }
      if (busy) {
        // The bar's path: open → the nearer extreme (low on an up bar) → the other → close.
        const up = close >= open;
        touch(up ? low : high);
        touch(up ? high : low);
        touch(close);
      }
      if (working || (algoMode && busy)) syncHeld();
      if (driven) watched = engine.hasWorkingOrders() || engine.hasExitRules();
      engine.setMark(symbol, close, ts + interval);
      volumeHistory?.addCandle(symbol, candle, interval);
      strategyContext.position = position;
      const intent = strategy.onCandle(candle, strategyContext);
      if (intent && i + 1 < count) {
        if (intent.action === "OPEN_LONG" && position === "FLAT") pending = { action: "BUY", candleTs: ts, reason: intent.reason };
        else if (intent.action === "CLOSE_LONG" && position === "LONG") pending = { action: "SELL", candleTs: ts, reason: intent.reason };
      }
      const pointTs = ts + interval;
      const pointEquity = position === "FLAT" ? flatNum : heldCashNum + heldNum * close;
      curveTs[i] = pointTs;
      curveEq[i] = pointEquity;
      if (i < lastIndex) curveScan.note(pointTs, pointEquity);
    }
  };
  // The candles 256 at a time, with the progress between the slices at each tenth: the loop (runCandles, optimized once)
  // never meets the progress call, whose first run a tenth of the way in would deoptimize it (no feedback at that call
  // yet) and leave the rest of that tenth to the interpreter until it is compiled again. Short slices rather than
  // tenths: a cold process runs the loop's first calls unoptimized, and a function called often is compiled and entered
  // sooner than one long call is (30k file, fresh processes: in-process CPU ~4 % lower than with tenths).
  const onProgress = input.onProgress;
  let nextProgress = progressEvery;
  for (let from = 0; from < count;) {
    const to = Math.min(count, from + CANDLE_SLICE, nextProgress);
    runCandles(from, to);
    from = to;
    if (to === nextProgress) {
      onProgress?.(to, count);
      nextProgress += progressEvery;
    }
  }

  if (algoMode && count > 0 && engine.hasLiveParents()) {
    stopParents();
    syncHeld();
  }
  if (count > 0 && position !== "FLAT") {
    clock.set(Math.max(clock.now(), tsColumn[count - 1]! + interval));
    touch(closeColumn[count - 1]!);
    act("SELL", "end of data", "end_of_data");
    if (curveEq.length > 0) curveEq[curveEq.length - 1] = flatNum;
  }
  // Decimals for the curve only when someone reads it (the report does; a benchmark loop need not).
  let curve: { ts: number; equity: Decimal }[] | null = null;
  const lastFlat = flatEquity;

  const fills = store.listFills();
  const out: BacktestTrade[] = trades.map((t) => backtestTradeOf(t, t.exitReason === "end_of_data" ? "end_of_data" : "signal"));
  return {
    trades: out,
    get equityCurve() {
      curve ??= Array.from(curveTs, (ts, i) => ({ ts, equity: i === curveTs.length - 1 ? lastFlat : new Decimal(curveEq[i]!) }));
      return curve;
    },
    numericEquityCurve: { ts: curveTs, equity: curveEq, last: lastFlat, scan: curveScan },
    candles: count,
    finalEquity: engine.equity().equity,
    orders: new Set(fills.map((f) => f.clientOrderId)).size,
    fills: fills.length,
    ...(exec && { execution: executionSummary(exec, engine, store, trades) }),
  };
}

/**
 * Each trade's entry and exit cost against its arrival price: a parent's shortfall, or a market order's slippage against
 * the touch. `trades` in the report's order (the single-symbol and the portfolio runner both pass their closed trades).
 */
export function executionSummary(exec: ExecSpec, engine: Engine, store: MemoryStore, trades: readonly TradeRecord[]): ExecutionSummary {
  const parents = engine.parentOrders(Number.MAX_SAFE_INTEGER);
  const entryByPosition = new Map<string, number | null>();
  const exitByPosition = new Map<string, number | null>();
  const metaById = new Map(store.loadParentOrders({ onlyOpen: false }).map((row) => [row.id, row.meta]));
  for (const parent of parents) {
    const reduces = (metaById.get(parent.id) as { reducePositionId?: string | null } | undefined)?.reducePositionId ?? null;
    const positionId = reduces ?? parent.children.map((c) => store.getOrder(c.clientOrderId)?.meta.positionId).find((p) => p) ?? null;
    if (!positionId || parent.shortfallBps === null) continue;
    const map = reduces ? exitByPosition : entryByPosition;
    if (!map.has(positionId)) map.set(positionId, parent.shortfallBps);
  }
  const perTrade = trades.map((t) => ({
    entryShortfallBps: entryByPosition.get(t.positionId) ?? (exec.kind === "market" ? round2(t.entrySlippageBps) : null),
    exitShortfallBps: exitByPosition.get(t.positionId) ?? round2(t.exitSlippageBps),
  }));
  const values = perTrade.flatMap((t) => [t.entryShortfallBps, t.exitShortfallBps]).filter((v): v is number => v !== null);
  return {
    algo: execLabel(exec),
    parentOrders: parents.length,
    childOrders: parents.reduce((n, p) => n + p.children.length, 0),
    avgShortfallBps: values.length === 0 ? null : round2(values.reduce((a, b) => a + b, 0) / values.length),
    trades: perTrade,
    parents,
  };
}

/** Two decimals for display (a statistic). */
function round2(x: number | null): number | null {
  return x === null ? null : Math.round(x * 100) / 100;
}

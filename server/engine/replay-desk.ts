/**
 * The desk's built-in strategies and its multi-symbol replay.
 *
 * Strategies. Each desk strategy (an id, a registry kind, its params, its symbols) runs as one lane per symbol: its own
 * Strategy instance, fed that symbol's closed bars and the position the desk holds on it, turning intents into engine
 * signals attributed to the strategy's id. The zero-config portfolio desk gives its two strategies disjoint symbols, so a
 * symbol's position is always that one strategy's (positions per (symbol, strategy) come with issue 11's engine work).
 *
 * Replay. One ReplayFeed per symbol on the same clock and speed over time-aligned candle sets (portfolio.ts), all started
 * at the same desk time from the same recorded bar, so the feeds stay in step; each loops with its own rebase. The start
 * bar is chosen so that the desk trades at once: a few bars before the earliest entry any lane takes after its
 * warm-up, and every lane is warmed on the bars before it (so a fresh desk shows a trade within seconds, not minutes).
 *
 * Several venues, each its own recording (desk-file venues[].replay): a set that names its venue is played to that
 * venue only (every update carries `venue`; the VenueSet matches it there and keeps that venue's quotes, which routing
 * compares). Feeds of different bar lengths (Binance.US 1m, Kraken 5m) share the clock and the recorded start, so
 * their ticks interleave in recorded time. The strategies and the portfolio statistics take a symbol's bars from its
 * first set only (the first venue listed): two venues' bars of one symbol would feed a lane twice. The books keep one
 * mark per symbol (the latest price from either venue); per-venue prices live in the VenueSet's quotes.
 */
import { DEFAULT_ALERT_SETTINGS, type AlertSettings } from "../core/alerts";
import type { ProtectionSettingsInput } from "../core/protection/settings";
import type { Clock, Timers } from "../core/clock";
import type { BreakerConfig } from "../core/breaker/config";
import type { Instrument } from "../core/instrument";
import { createStrategy, type Strategy, type StrategyPosition } from "../core/strategies";
import type { CommandResult } from "./types";
import { alignCandleSets, RECORDED_SETS, type SymbolCandles } from "../venues/replay/portfolio";
import { ReplayFeed, type ReplayStatus, type ReplayUpdate } from "../venues/replay/replay-feed";
import type { MarketUpdate } from "../venues/venue";
import type { Engine } from "./engine";
import { ReplayHistoryFeed } from "./market-history-feed";
import type { MarketHistory } from "../core/market-history";
import { DEFAULT_RISK_LIMITS, type RiskLimitsSettings } from "./settings";

/** A strategy the desk runs: registry kind and params, on these symbols, signals attributed to `id`. */
export interface StrategyAssignment {
  id: string;
  kind: string;
  params: Readonly<Record<string, unknown>>;
  symbols: readonly string[];
}

/** sma-cross on the large caps, rsi-reversion on the smaller, noisier coins: disjoint, so attribution is unambiguous. */
export const PORTFOLIO_STRATEGIES: readonly StrategyAssignment[] = [
  { id: "sma-cross", kind: "sma-cross", params: { fast: 10, slow: 30 }, symbols: ["ETH/BTC", "LTC/BTC", "DASH/BTC", "XMR/BTC", "ZEC/BTC"] },
  {
    id: "rsi-reversion",
    kind: "rsi-reversion",
    params: { period: 14, oversold: 30, exit: 55 },
    symbols: ["ADA/BTC", "ETC/BTC", "NXT/BTC", "POWR/BTC", "XLM/BTC"],
  },
];

/** One strategy on one symbol. */
export interface Lane {
  id: string;
  symbol: string;
  strategy: Strategy;
  /** The strategy needs strictly increasing bar times; a replay burst can deliver two in one millisecond. */
  lastTs: number;
}

export interface SignalOutcome {
  lane: Lane;
  action: "BUY" | "CLOSE";
  at: number;
  result: CommandResult;
}

type Bar = { ts: number; open: number; high: number; low: number; close: number; volume: number };

/** One lane per (strategy, symbol); throws on an unknown kind or bad params (the desk file checked them already). */
export function buildLanes(assignments: readonly StrategyAssignment[]): Lane[] {
  const lanes: Lane[] = [];
  for (const a of assignments) {
    for (const symbol of a.symbols) {
      const created = createStrategy(a.kind, a.params);
      if (!created.ok) throw new Error(`strategy ${a.id}: ${created.error.code}: ${created.error.message}`);
      lanes.push({ id: a.id, symbol, strategy: created.value, lastTs: 0 });
    }
  }
  return lanes;
}

export interface StrategyRouterOptions {
  engine: Engine;
  lanes: readonly Lane[];
  clock: Clock;
  /** Makes signal ids unique across restarts (the runtime passes a random suffix). */
  idSuffix?: () => string;
  onSignal?: (outcome: SignalOutcome) => void;
  onError?: (error: unknown) => void;
}

export interface StrategyRouter {
  /** Feeds a closed bar of `symbol` to the lanes on it; their intents go to the engine as signals. */
  onCandle(symbol: string, bar: Bar): void;
  /** Symbols at least one lane trades. */
  symbols(): string[];
}

export function createStrategyRouter(options: StrategyRouterOptions): StrategyRouter {
  const { engine, lanes, clock } = options;
  let seq = 0;
  const idSuffix = options.idSuffix ?? (() => String(++seq));
  return {
    symbols: () => [...new Set(lanes.map((l) => l.symbol))],
    onCandle(symbol, bar) {
      for (const lane of lanes) {
        if (lane.symbol !== symbol) continue;
        const candle = { ...bar, ts: Math.max(bar.ts, lane.lastTs + 1) };
        lane.lastTs = candle.ts;
        const open = engine.openPosition(symbol, lane.id);
        const position: StrategyPosition = open ? (open.side === "LONG" ? "LONG" : "SHORT") : "FLAT";
        const intent = lane.strategy.onCandle(candle, { position });
        if (!intent) continue;
        const action = intent.action === "OPEN_LONG" ? "BUY" : intent.action === "CLOSE_LONG" ? "CLOSE" : null;
        if (!action) continue;
        const at = clock.now();
        void engine
          .execute({
            kind: "signal",
            signal: { id: `${lane.id}-${symbol}-${candle.ts}-${idSuffix()}`, symbol, action, confidence: 0.75, strategy: lane.id, ts: at },
            source: "strategy",
          })
          .then((result) => options.onSignal?.({ lane, action, at, result }))
          .catch((e: unknown) => options.onError?.(e));
      }
    },
  };
}

/** Bars every set has (a set with a gap there would start late and play out of step). */
function commonTimes(sets: readonly SymbolCandles[]): number[] {
  let common = new Set(sets[0]!.candles.map((c) => c.ts));
  for (const set of sets.slice(1)) {
    const mine = new Set(set.candles.map((c) => c.ts));
    common = new Set([...common].filter((ts) => mine.has(ts)));
  }
  return [...common].sort((a, b) => a - b);
}

/**
 * The recorded bar to start playing from: `lead` bars before the earliest entry (OPEN_LONG while flat) any lane takes,
 * on a bar every set has. Strategies are reset afterwards.
 */
export function chooseStartTs(sets: readonly SymbolCandles[], lanes: readonly Lane[], lead: number): number {
  const common = commonTimes(sets);
  if (common.length === 0) throw new Error("the recorded sets share no bar time");
  let earliest = Infinity;
  for (const lane of lanes) {
    const set = sets.find((s) => s.symbol === lane.symbol);
    if (!set) continue;
    for (const candle of set.candles) {
      if (candle.ts >= earliest) break;
      const intent = lane.strategy.onCandle(candle, { position: "FLAT" });
      if (intent?.action === "OPEN_LONG") {
        earliest = candle.ts;
        break;
      }
    }
    lane.strategy.reset();
  }
  if (earliest === Infinity) return common[0]!;
  // The last common bar at least `lead` bars before the entry (a bar is the smallest gap between common bars).
  const bar = Math.min(...common.slice(1).map((ts, i) => ts - common[i]!));
  const target = earliest - lead * (Number.isFinite(bar) ? bar : 0);
  let start = common[0]!;
  for (const ts of common) if (ts <= target) start = ts;
  return start;
}

export interface ReplayDeskOptions {
  sets: readonly SymbolCandles[];
  /** Bars for the portfolio statistics, pre-filled from the recording and fed by every feed (optional). */
  history?: MarketHistory;
  router: StrategyRouter;
  lanes: readonly Lane[];
  engine: Engine;
  speed: number;
  clock: Clock;
  scheduler: Timers;
  priceTick: (symbol: string) => number;
  /** Bars between the start and the first entry (default 3: at the default speed of 300 a bar a second, a trade within ~4 s). */
  lead?: number;
  onError?: (error: unknown) => void;
  /** The recorded bar to start from (default: chosen from the lanes' first entry, see chooseStartTs). */
  startAt?: number;
}

export interface ReplayDesk {
  startTs: number;
  feeds: ReplayFeed[];
  status(): (ReplayStatus & { venue?: string })[];
  stop(): void;
}

/** Aligns the sets, warms every lane on the bars before the start, and starts one feed per symbol at the same desk time. */
export function startReplayDesk(options: ReplayDeskOptions): ReplayDesk {
  const { router, lanes, engine } = options;
  const sets = alignCandleSets(options.sets);
  const startTs = options.startAt ?? chooseStartTs(sets, lanes, options.lead ?? 3);
  for (const lane of lanes) {
    const set = sets.find((s) => s.symbol === lane.symbol);
    for (const candle of set?.candles ?? []) {
      if (candle.ts >= startTs) break;
      lane.strategy.onCandle(candle, { position: "FLAT" });
      lane.lastTs = candle.ts;
    }
  }
  const onMarket = (update: MarketUpdate) => {
    engine.marketData(update).catch((e: unknown) => options.onError?.(e));
  };
  const feeds = sets.map((set, i) => {
    // A symbol's first set feeds the strategies and the statistics; the others only their venue (see the header).
    const primary = sets.findIndex((s) => s.symbol === set.symbol) === i;
    const venue = set.venue;
    const startIndex = Math.max(
      0,
      set.candles.findIndex((c) => c.ts >= startTs),
    );
    // The portfolio statistics (risk.portfolio) see the recorded bars before the start at once, then every played bar.
    const history = options.history && primary ? new ReplayHistoryFeed(options.history, set.symbol, set.candles, { startIndex, rebaseOnLoop: true }) : null;
    return new ReplayFeed({
      symbol: set.symbol,
      source: { kind: "candles", candles: set.candles },
      speed: options.speed,
      loop: true,
      rebaseOnLoop: true,
      startIndex,
      priceTick: options.priceTick(set.symbol),
      stepsPerLeg: 3,
      clock: options.clock,
      scheduler: options.scheduler,
      onUpdate: (update: ReplayUpdate) => {
        history?.onUpdate(update);
        if (update.kind === "candle" && update.expanded) {
          if (primary) router.onCandle(set.symbol, update);
        } else onMarket(venue === undefined ? update : { ...update, venue });
      },
      onError: (e) => options.onError?.(e),
    });
  });
  // Started in one synchronous pass: every feed anchors at the same desk time and recorded bar.
  for (const feed of feeds) feed.start();
  return {
    startTs,
    feeds,
    status: () => feeds.map((f, i) => ({ ...f.status(), ...(sets[i]!.venue !== undefined && { venue: sets[i]!.venue }) })),
    stop: () => {
      for (const feed of feeds) feed.stop();
    },
  };
}

/** The simulated venue a replay or paper desk starts with: its instruments, capital and balances. */
export function simulatedDesk(
  config: { mode: string; symbols: readonly string[]; capital: string | null; replay: { set: "portfolio" | null } },
  otherInstruments: (symbols: string[]) => Instrument[],
): { instruments: Instrument[]; capital: string; initialBalances: Record<string, string | number> } {
  // The portfolio set's rules are Bittrex's of the time (portfolio.ts); other symbols take Binance's recorded ones.
  const instruments =
    config.mode === "replay" && config.replay.set === "portfolio"
      ? config.symbols.map(RECORDED_SETS.portfolio.instrument)
      : otherInstruments([...config.symbols]);
  const quote = instruments[0]!.quote;
  // Capital is in the quote currency: 1 BTC for a BTC-quoted desk (the portfolio set), 10000 otherwise.
  const capital = config.capital ?? (quote === "BTC" ? "1" : "10000");
  return { instruments, capital, initialBalances: { [quote]: capital, ...Object.fromEntries(instruments.map((i) => [i.base, 0])) } };
}

/**
 * The default limits of a desk without a desk file. A BTC-quoted desk's smallest order is 0.01 BTC (the default 10 is
 * meant for USDT). The order rate counts desk time, and a replay of several symbols packs that many markets into it:
 * the per-minute cap grows with the symbol count.
 */
export function defaultRiskLimits(quote: string, symbols = 1): RiskLimitsSettings {
  const limits = quote === "BTC" ? { ...DEFAULT_RISK_LIMITS, minNotional: "0.01" } : DEFAULT_RISK_LIMITS;
  return symbols > 1 ? { ...limits, maxOrdersPerMinute: (limits.maxOrdersPerMinute ?? 60) * symbols } : limits;
}

/**
 * Protections for a replay desk. Replay runs hours of recorded prices per desk minute (speed 300: five hours a minute),
 * so protections measured in desk time would lock every symbol for the rest of the demo: a flash move alerts (it shows in
 * the header and is delivered) and a failing strategy rests 5 minutes.
 */
export const REPLAY_PROTECTIONS = { flashMove: { action: "ALERT" }, strategyFailure: { maxLosingStreak: 12, lockMinutes: 5 } } as const;

/**
 * The protections a desk runs with, in every mode: a desk file's `protections:` win rule by rule (a rule it sets is taken
 * whole, its missing values at the defaults) over the replay desk's own; without either, the defaults.
 */
export function deskProtections(mode: string, fromFile: ProtectionSettingsInput | null | undefined): ProtectionSettingsInput {
  return { ...(mode === "replay" ? REPLAY_PROTECTIONS : {}), ...fromFile };
}

/**
 * Alert thresholds of a replay desk. At speed 300 the simulator's 20 ms arrival latency spans 6 s of recorded market, and
 * the feed walks each 5-minute bar in a few steps: now and then a market order fills one step away from its arrival
 * price, up to ~100 bps on the thin 2018 BTC-quoted markets (zero-config desk, measured: median 2 bps, 1–3 % of fills
 * over 50 bps, none over 100). That is the replay's granularity, not execution quality, and one such fill kept the header
 * red for the whole demo; a fill 150 bps off its arrival price still alerts.
 */
export const REPLAY_ALERTS = { slippageWarnBps: 150, slippageCriticalBps: 500 } as const satisfies Partial<AlertSettings>;

/** The alert thresholds a desk runs with: the defaults, the replay desk's own, then a desk file's `alerts:` key by key. */
export function deskAlertSettings(mode: string, fromFile: Partial<AlertSettings> | null | undefined): AlertSettings {
  return { ...DEFAULT_ALERT_SETTINGS, ...(mode === "replay" ? REPLAY_ALERTS : {}), ...fromFile };
}

/**
 * The breaker of a replay desk (a desk file's breaker section wins). The demo strategies lose often on 5-minute noise: a
 * longer losing streak before the breaker halts. Order-rate caps count desk time, and at speed 300 one desk minute is
 * five recorded hours of every replayed symbol: the caps grow with the symbol count.
 */
export function replayBreaker(symbols: number): Partial<BreakerConfig> {
  return symbols > 1 ? { maxConsecutiveLosses: 12, maxOrdersPerMinute: 30 * symbols, maxOrdersPerHour: 500 * symbols } : { maxConsecutiveLosses: 12 };
}

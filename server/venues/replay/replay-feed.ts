/**
 * Replay: recorded candles or trades played as a live feed on the desk's clock.
 *
 * Time. Each row has a recorded event time (see below). Playback maps recorded time onto desk time
 * from one anchor: an event due at recorded time `e` fires at `t0 + (e − e0) / speed`, where `t0` is
 * the desk time at start() and `e0` the recorded time playback started from. Every timer is set
 * from that formula, never by adding delays up, so late timers never accumulate into drift; a late
 * timer emits everything that has fallen due (at most `maxBurst` per firing) and the schedule stays
 * on its anchor. At speed 60 one recorded minute takes one real second: a 5-minute bar every 5 s.
 *
 * What an update carries. `onUpdate(update, now)` gets the desk time `now` (also in `update.ts`,
 * the time the desk runs on) and the recording's own time in `update.recordedTs` (a candle's open
 * time, a trade's time), plus `index` (row) and `loop` (pass number, from 0).
 *
 * Candles without expansion go out once each, at their close (open time + bar length): that is
 * when a live feed would know the bar. With `expandIntraBar` (the default) a bar is first played as
 * ticks along the path the simulator assumes for a bar (core/market-data.ts `candlePath`):
 * open → the nearer extreme → the other extreme → close, i.e. an up bar (close ≥ open) visits its
 * low first, a down bar its high first. By default the four points go out at 0, ¼, ½ and ¾ of the
 * bar (`stepsPerLeg` adds evenly spaced points along each leg), each as a quote (bid/ask
 * `spreadBps` apart around the price, rounded outwards to `priceTick` if given) followed by a trade
 * of volume/points (aggressor BUY when the price rose from the previous point, SELL when it fell,
 * unknown at the open). Trades make LAST-price stops trigger, quotes give market orders a touch and
 * fill BID_ASK stops and crossed limits, so stops and limits trigger inside the bar as the desk
 * watches. One difference from matching the candle whole: the simulator fills a stop on a candle at
 * its trigger price (it assumes a continuous path), while on ticks a stop fills at the tick that
 * crosses it, i.e. up to one step beyond the trigger (the step is a whole leg with stepsPerLeg 1). The candle itself then goes out at the bar's close with
 * `expanded: true`: give it to charts and bar strategies, but not to a simulated venue, which has
 * already matched the bar's ticks (it would match the bar a second time).
 *
 * Looping. After the last row playback starts again at row 0 (not at startIndex). Recorded time
 * keeps running: pass k is shifted by k × the recording's span (last bar's close − first bar's open;
 * for trades last − first + `loopGapMs`). Prices restart from the recording as is, so a loop jumps
 * from the last close to the first open (BTC/USDT 5m: 21,925.7 → 16,727.3, about −24 %), and stops
 * fire at that gap. With `rebaseOnLoop` every price of pass k is multiplied by (last close / first
 * open)^k instead, so each pass continues from where the previous one ended (volumes unchanged).
 *
 * Errors thrown by `onUpdate` do not stop playback: they are counted and the last one is kept in
 * status(), and `onError` (if given) is called.
 */
import { type Clock } from "../../core/clock";
import { candlePath, type CandleUpdate, type MarketUpdate, type QuoteUpdate, type TradeUpdate } from "../../core/market-data";
import { type Candle, type RecordedTrade } from "./csv";
import { type Timers, type TimerHandle } from "../../core/clock";

/** Which point of a bar's path a synthesized tick is: an extreme, or "path" for a step between two of them. */
export type IntraBarPoint = "open" | "high" | "low" | "close" | "path";

/** Fields replay adds to every update it emits. */
export interface ReplayMeta {
  /** Desk time the update is delivered at (the `now` passed to onUpdate; for iterateCandles, the recorded time). */
  ts: number;
  /** The row's own recorded time: a candle's open time, a trade's time. Not shifted by loops. */
  recordedTs: number;
  /** Row index in the recording. */
  index: number;
  /** Pass over the recording, 0 first. */
  loop: number;
  /** On ticks synthesized inside a bar: which point of the bar's path. */
  point?: IntraBarPoint;
  /** On a candle whose path already went out as ticks (do not feed it to a simulated venue). */
  expanded?: boolean;
  /** On replayed trades: the recorded trade id. */
  tradeId?: string;
}

export type ReplayUpdate = MarketUpdate & ReplayMeta;

export type IntraBarTicks = "quotes+trades" | "quotes" | "trades";

export interface CandleExpansionOptions {
  /** Play each bar as ticks along its path before the candle (default true). */
  expandIntraBar?: boolean;
  /** Which ticks (default "quotes+trades"). */
  intraBarTicks?: IntraBarTicks;
  /**
   * Ticks per leg of the path (open → first extreme → second extreme → close), evenly spaced in price
   * and time (default 1: four points a bar). A stop fills at the first tick that crosses it, so with
   * coarse ticks a stop inside a leg fills at the leg's end; more steps bring fills closer to the trigger.
   */
  stepsPerLeg?: number;
  /** Quoted spread around each path price, in basis points of the price (default 1). */
  spreadBps?: number;
  /** Instrument price tick: quotes are rounded outwards onto it, rebased prices to the nearest tick. */
  priceTick?: number;
}

export type ReplaySource =
  | { kind: "candles"; candles: readonly Candle[]; /** Bar length; default: the smallest gap between rows. */ barMs?: number }
  | { kind: "trades"; trades: readonly RecordedTrade[] };

export interface ReplayFeedOptions extends CandleExpansionOptions {
  symbol: string;
  source: ReplaySource;
  /** Recorded ms per real ms: 60 plays one recorded minute per second. */
  speed: number;
  loop: boolean;
  /** Row to start from (default 0). Later passes start at row 0. */
  startIndex?: number;
  /** Multiply prices so each pass continues from the previous pass's last price (default false). */
  rebaseOnLoop?: boolean;
  /** Trades only: recorded ms between the last trade and the first trade of the next pass (default 1000). */
  loopGapMs?: number;
  /** Most updates emitted by one timer firing when playback is behind (default 1000); the rest follow at once on a new timer. */
  maxBurst?: number;
  clock: Clock;
  scheduler: Timers;
  onUpdate: (update: ReplayUpdate, now: number) => void;
  onError?: (error: unknown, update: ReplayUpdate) => void;
}

export interface ReplayStatus {
  symbol: string;
  source: "candles" | "trades";
  playing: boolean;
  /** True when a non-looping replay played its last row. */
  finished: boolean;
  speed: number;
  /** Row the next update comes from. */
  position: number;
  total: number;
  /** Completed passes over the recording. */
  loops: number;
  /** Updates emitted so far. */
  emitted: number;
  /** Desk time of the last emitted update, null before the first. */
  lastUpdateAt: number | null;
  /** Recorded time of the last emitted update's row, null before the first. */
  lastRecordedTs: number | null;
  /** Errors thrown by onUpdate. */
  errors: number;
  lastError: string | null;
}

export class ReplayError extends Error {
  constructor(
    readonly code: "REPLAY_NO_DATA" | "REPLAY_BAD_OPTION" | "REPLAY_SYMBOL_MISMATCH",
    detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = "ReplayError";
  }
}

/** One planned update: `offset` is recorded ms after the row's time. */
interface Planned {
  offset: number;
  update: Omit<ReplayUpdate, "ts">;
}

// ---------------------------------------------------------------------------------------------
// Planning (shared by ReplayFeed and iterateCandles)

interface Expansion {
  expand: boolean;
  quotes: boolean;
  trades: boolean;
  stepsPerLeg: number;
  halfSpread: number;
  tick: number | undefined;
  tickDecimals: number;
}

function expansionOf(options: CandleExpansionOptions): Expansion {
  const spreadBps = options.spreadBps ?? 1;
  if (!Number.isFinite(spreadBps) || spreadBps < 0)
    throw new ReplayError("REPLAY_BAD_OPTION", `spreadBps must be a number of basis points ≥ 0, got ${spreadBps}.`);
  const tick = options.priceTick;
  if (tick !== undefined && !(Number.isFinite(tick) && tick > 0))
    throw new ReplayError("REPLAY_BAD_OPTION", `priceTick must be a positive number, got ${tick}.`);
  const ticks = options.intraBarTicks ?? "quotes+trades";
  const stepsPerLeg = options.stepsPerLeg ?? 1;
  if (!Number.isInteger(stepsPerLeg) || stepsPerLeg < 1 || stepsPerLeg > 100)
    throw new ReplayError("REPLAY_BAD_OPTION", `stepsPerLeg must be a whole number from 1 to 100, got ${stepsPerLeg}.`);
  return {
    stepsPerLeg,
    expand: options.expandIntraBar ?? true,
    quotes: ticks !== "trades",
    trades: ticks !== "quotes",
    halfSpread: spreadBps / 20_000,
    tick,
    tickDecimals: tick === undefined ? 0 : decimalsOf(tick),
  };
}

function decimalsOf(step: number): number {
  const text = step.toString();
  const exp = /e-(\d+)$/.exec(text);
  if (exp) return Number(exp[1]);
  const dot = text.indexOf(".");
  return dot < 0 ? 0 : text.length - dot - 1;
}

/** Rounds onto the tick grid: "down", "up" or "nearest"; the 1e-9 slack absorbs binary fractions (0.1 + 0.2). */
function onTick(price: number, x: Expansion, how: "down" | "up" | "nearest"): number {
  const tick = x.tick;
  if (tick === undefined) return price;
  const units = price / tick;
  const n = how === "down" ? Math.floor(units + 1e-9) : how === "up" ? Math.ceil(units - 1e-9) : Math.round(units);
  return Number((n * tick).toFixed(x.tickDecimals));
}

function quoteAt(symbol: string, price: number, x: Expansion): QuoteUpdate {
  const bid = onTick(price * (1 - x.halfSpread), x, "down");
  let ask = onTick(price * (1 + x.halfSpread), x, "up");
  if (x.tick !== undefined && x.halfSpread > 0 && ask <= bid) ask = onTick(bid + x.tick, x, "nearest");
  return { kind: "quote", symbol, bid, ask };
}

function scaledCandle(symbol: string, candle: Candle, factor: number, x: Expansion): CandleUpdate {
  if (factor === 1) return { kind: "candle", symbol, open: candle.open, high: candle.high, low: candle.low, close: candle.close, volume: candle.volume };
  const scale = (price: number): number => onTick(price * factor, x, "nearest");
  return {
    kind: "candle",
    symbol,
    open: scale(candle.open),
    high: scale(candle.high),
    low: scale(candle.low),
    close: scale(candle.close),
    volume: candle.volume,
  };
}

function planCandle(symbol: string, candle: Candle, index: number, loop: number, factor: number, barMs: number, x: Expansion): Planned[] {
  const bar = scaledCandle(symbol, candle, factor, x);
  const meta = { recordedTs: candle.ts, index, loop };
  if (!x.expand) return [{ offset: barMs, update: { ...bar, ...meta } }];
  const path = candlePath(bar);
  const labels: IntraBarPoint[] = bar.close >= bar.open ? ["open", "low", "high", "close"] : ["open", "high", "low", "close"];
  // open, then each leg of the path in stepsPerLeg equal steps (the last step lands on the leg's end)
  const points: { price: number; point: IntraBarPoint }[] = [{ price: path[0], point: "open" }];
  for (let leg = 1; leg < 4; leg++) {
    const from = path[leg - 1]!;
    const to = path[leg]!;
    for (let s = 1; s <= x.stepsPerLeg; s++) {
      points.push(
        s === x.stepsPerLeg ? { price: to, point: labels[leg]! } : { price: onTick(from + ((to - from) * s) / x.stepsPerLeg, x, "nearest"), point: "path" },
      );
    }
  }
  const planned: Planned[] = [];
  const qty = bar.volume / points.length;
  for (let i = 0; i < points.length; i++) {
    const { price, point } = points[i]!;
    const offset = (barMs * i) / points.length;
    if (x.quotes) planned.push({ offset, update: { ...quoteAt(symbol, price, x), ...meta, point } });
    if (x.trades) {
      const previous = i === 0 ? price : points[i - 1]!.price;
      const trade: TradeUpdate = { kind: "trade", symbol, price, qty };
      if (price > previous) trade.aggressor = "BUY";
      else if (price < previous) trade.aggressor = "SELL";
      planned.push({ offset, update: { ...trade, ...meta, point } });
    }
  }
  planned.push({ offset: barMs, update: { ...bar, ...meta, expanded: true } });
  return planned;
}

function planTrade(symbol: string, trade: RecordedTrade, index: number, loop: number, factor: number, x: Expansion): Planned[] {
  const price = factor === 1 ? trade.price : onTick(trade.price * factor, x, "nearest");
  const update: TradeUpdate = { kind: "trade", symbol, price, qty: trade.qty, aggressor: trade.aggressor };
  return [{ offset: 0, update: { ...update, recordedTs: trade.ts, index, loop, tradeId: trade.tradeId } }];
}

/** Bar length: the smallest positive gap between consecutive candles (gaps in the data are missing bars). */
export function inferBarMs(candles: readonly Candle[]): number | undefined {
  let best: number | undefined;
  for (let i = 1; i < candles.length; i++) {
    const gap = candles[i]!.ts - candles[i - 1]!.ts;
    if (gap > 0 && (best === undefined || gap < best)) best = gap;
  }
  return best;
}

function resolveBarMs(candles: readonly Candle[], barMs: number | undefined): number {
  if (barMs !== undefined) {
    if (!(Number.isFinite(barMs) && barMs > 0)) throw new ReplayError("REPLAY_BAD_OPTION", `barMs must be a positive number of milliseconds, got ${barMs}.`);
    return barMs;
  }
  const inferred = inferBarMs(candles);
  if (inferred === undefined) throw new ReplayError("REPLAY_BAD_OPTION", "a single candle needs barMs: its bar length cannot be inferred.");
  return inferred;
}

// ---------------------------------------------------------------------------------------------
// Backtests: no timers

export interface IterateCandlesOptions extends CandleExpansionOptions {
  symbol: string;
  barMs?: number;
}

/**
 * The updates of a candle series in order, with the recorded time each becomes known (`at`, also
 * in `update.ts`): the same ticks and candles a ReplayFeed plays, for a backtest's simulated clock.
 */
export function* iterateCandles(candles: readonly Candle[], options: IterateCandlesOptions): Generator<{ at: number; update: ReplayUpdate }> {
  if (candles.length === 0) return;
  const x = expansionOf(options);
  const barMs = resolveBarMs(candles, options.barMs);
  for (let index = 0; index < candles.length; index++) {
    const candle = candles[index]!;
    for (const planned of planCandle(options.symbol, candle, index, 0, 1, barMs, x)) {
      const at = candle.ts + planned.offset;
      yield { at, update: { ...planned.update, ts: at } as ReplayUpdate };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The live feed

interface NextEvent {
  /** Recorded time on the looped timeline. */
  e: number;
  planned: Planned;
}

export class ReplayFeed {
  private readonly rows: readonly { ts: number }[];
  private readonly x: Expansion;
  private readonly barMs: number;
  /** Recorded length of one pass (the shift between passes). */
  private readonly span: number;
  /** Price factor from one pass to the next (1 without rebasing). */
  private readonly loopRatio: number;
  private readonly maxBurst: number;
  private readonly startIndex: number;

  private speed: number;
  private playing = false;
  private finished = false;
  private timer: TimerHandle = undefined;
  // cursor
  private loop = 0;
  private index: number;
  private plan: Planned[] | null = null;
  private step = 0;
  // anchor: desk time t0 corresponds to recorded time e0
  private t0 = 0;
  private e0 = 0;
  /** Recorded time reached when stopped (resume continues from it). */
  private pausedAt: number | null = null;
  // status
  private emitted = 0;
  private lastUpdateAt: number | null = null;
  private lastRecordedTs: number | null = null;
  private errors = 0;
  private lastError: string | null = null;

  constructor(private readonly options: ReplayFeedOptions) {
    const { source } = options;
    this.rows = source.kind === "candles" ? source.candles : source.trades;
    if (this.rows.length === 0) throw new ReplayError("REPLAY_NO_DATA", `the ${source.kind} recording for ${options.symbol} has no rows.`);
    this.x = expansionOf(options);
    this.speed = checkSpeed(options.speed);
    const startIndex = options.startIndex ?? 0;
    if (!Number.isInteger(startIndex) || startIndex < 0 || startIndex >= this.rows.length) {
      throw new ReplayError("REPLAY_BAD_OPTION", `startIndex must be a row number from 0 to ${this.rows.length - 1}, got ${startIndex}.`);
    }
    this.startIndex = startIndex;
    this.index = startIndex;
    const maxBurst = options.maxBurst ?? 1000;
    if (!Number.isInteger(maxBurst) || maxBurst < 1) throw new ReplayError("REPLAY_BAD_OPTION", `maxBurst must be a whole number ≥ 1, got ${maxBurst}.`);
    this.maxBurst = maxBurst;
    const first = this.rows[0]!;
    const last = this.rows[this.rows.length - 1]!;
    if (source.kind === "candles") {
      this.barMs = resolveBarMs(source.candles, source.barMs);
      this.span = last.ts + this.barMs - first.ts;
      this.loopRatio = options.rebaseOnLoop ? source.candles[source.candles.length - 1]!.close / source.candles[0]!.open : 1;
    } else {
      const gap = options.loopGapMs ?? 1000;
      if (!(Number.isFinite(gap) && gap >= 0)) throw new ReplayError("REPLAY_BAD_OPTION", `loopGapMs must be ≥ 0, got ${gap}.`);
      this.barMs = 0;
      this.span = last.ts - first.ts + gap;
      this.loopRatio = options.rebaseOnLoop ? source.trades[source.trades.length - 1]!.price / source.trades[0]!.price : 1;
    }
  }

  /** Starts or resumes playback. The next update is due at once (or, after stop(), where playback left off). A finished replay starts over from startIndex. */
  start(): void {
    if (this.playing) return;
    if (this.finished) {
      this.finished = false;
      this.loop = 0;
      this.index = this.startIndex;
      this.plan = null;
      this.step = 0;
      this.pausedAt = null;
    }
    const next = this.peek();
    if (!next) return;
    this.playing = true;
    this.t0 = this.options.clock.now();
    this.e0 = this.pausedAt ?? next.e;
    this.pausedAt = null;
    this.schedule(next);
  }

  /** Pauses playback; start() resumes from the same recorded moment. */
  stop(): void {
    if (!this.playing) return;
    this.pausedAt = this.recordedNow();
    this.playing = false;
    this.cancelTimer();
  }

  /** Changes the speed from now on, keeping the recorded moment reached so far. */
  setSpeed(speed: number): void {
    const checked = checkSpeed(speed);
    if (this.playing) {
      this.e0 = this.recordedNow();
      this.t0 = this.options.clock.now();
      this.speed = checked;
      this.cancelTimer();
      const next = this.peek();
      if (next) this.schedule(next);
    } else {
      this.speed = checked;
    }
  }

  status(): ReplayStatus {
    return {
      symbol: this.options.symbol,
      source: this.options.source.kind,
      playing: this.playing,
      finished: this.finished,
      speed: this.speed,
      position: this.index,
      total: this.rows.length,
      loops: this.loop,
      emitted: this.emitted,
      lastUpdateAt: this.lastUpdateAt,
      lastRecordedTs: this.lastRecordedTs,
      errors: this.errors,
      lastError: this.lastError,
    };
  }

  // -------------------------------------------------------------------------------------------

  /** Recorded time that corresponds to the desk's now, never past the next event. */
  private recordedNow(): number {
    const reached = this.e0 + (this.options.clock.now() - this.t0) * this.speed;
    const next = this.peek();
    return next ? Math.min(reached, next.e) : reached;
  }

  private dueOf(e: number): number {
    return this.t0 + (e - this.e0) / this.speed;
  }

  private schedule(next: NextEvent): void {
    const delay = Math.max(0, Math.ceil(this.dueOf(next.e) - this.options.clock.now()));
    this.timer = this.options.scheduler.setTimeout(this.fire, delay);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.options.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    if (!this.playing) return;
    const now = this.options.clock.now();
    let burst = 0;
    for (let next = this.peek(); next; next = this.peek()) {
      if (this.dueOf(next.e) > now || burst >= this.maxBurst) break;
      this.advance();
      this.emit(next.planned, now);
      burst++;
      if (!this.playing) return; // stop() from inside onUpdate
    }
    const next = this.peek();
    if (!next) {
      this.playing = false;
      this.finished = true;
      return;
    }
    this.schedule(next);
  };

  private emit(planned: Planned, now: number): void {
    const update = { ...planned.update, ts: now } as ReplayUpdate;
    this.emitted++;
    this.lastUpdateAt = now;
    this.lastRecordedTs = update.recordedTs;
    try {
      this.options.onUpdate(update, now);
    } catch (error) {
      this.errors++;
      this.lastError = error instanceof Error ? error.message : String(error);
      this.options.onError?.(error, update);
    }
  }

  /** The next event, or null when a non-looping replay has played everything. */
  private peek(): NextEvent | null {
    const plan = this.currentPlan();
    if (!plan) return null;
    const planned = plan[this.step]!;
    return { e: this.rows[this.index]!.ts + this.loop * this.span + planned.offset, planned };
  }

  private advance(): void {
    const plan = this.currentPlan();
    if (!plan) return;
    this.step++;
    if (this.step < plan.length) return;
    this.plan = null;
    this.step = 0;
    this.index++;
    if (this.index >= this.rows.length && this.options.loop) {
      this.index = 0;
      this.loop++;
    }
  }

  private currentPlan(): Planned[] | null {
    if (this.plan) return this.plan;
    if (this.index >= this.rows.length) return null;
    const { source, symbol } = this.options;
    const factor = this.loopRatio === 1 ? 1 : Math.pow(this.loopRatio, this.loop);
    this.plan =
      source.kind === "candles"
        ? planCandle(symbol, source.candles[this.index]!, this.index, this.loop, factor, this.barMs, this.x)
        : planTrade(symbol, source.trades[this.index]!, this.index, this.loop, factor, this.x);
    return this.plan;
  }
}

function checkSpeed(speed: number): number {
  if (!(Number.isFinite(speed) && speed > 0))
    throw new ReplayError("REPLAY_BAD_OPTION", `speed must be a positive number (60 plays one recorded minute per second), got ${speed}.`);
  return speed;
}

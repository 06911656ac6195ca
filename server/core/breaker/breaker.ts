/**
 * The circuit breaker: watches realized daily loss, equity drawdown from peak, losing streaks,
 * order rates and error streaks, and latches OPEN (TradingState HALTED) when a limit is reached.
 *
 * Rules where the brief left a choice (see also config.ts):
 * - A limit trips when the value reaches it (≥). Limits are evaluated in LIMIT_REASONS order and
 *   the first breach is the reason. Mutating calls (recordTrade/Order/Error/Success, updateEquity)
 *   evaluate every limit after applying their change and return the trip, if they caused one.
 * - While OPEN nothing trips again (no second trip); counters keep counting for the status view.
 * - Consecutive losses: PnL < 0 extends the streak, PnL > 0 ends it, PnL = 0 (a scratch) leaves it as is.
 * - Daily PnL is realized PnL (recordTrade) since the UTC day start, reset lazily at the first call
 *   after UTC midnight; the day-start equity is the last equity known at that moment (or the first
 *   one reported that day), so the engine should report equity at startup. Unrealized losses are
 *   caught by the drawdown limits.
 * - Weekly PnL works like daily PnL over the UTC week (Monday 00:00 UTC), with the week-start equity.
 * - Portfolio VaR is measured by the engine (core/risk on its market history) and handed in with
 *   `updatePortfolioVar`; the breaker only compares it. Null (not measurable yet) never trips: the gate's
 *   VaR limit already refuses entries it cannot measure. A reset forgets the figure, so the next
 *   measurement decides again (a portfolio still above the limit trips again: reduce it first).
 * - Order windows are sliding: an order counts toward the minute while now − t < 60 s (an order
 *   exactly 60 s old no longer counts), toward the hour while now − t < 3600 s; older timestamps are dropped.
 * - Only `tick()` resets automatically, and reports it, so the engine sees every state change.
 *   MANUAL trips never reset automatically.
 * - A reset clears what could re-trip at once: consecutive losses and errors to 0, the order windows
 *   emptied, daily PnL restarted at 0 with the day-start equity and the peak equity re-based to the
 *   current equity. The history keeps what happened before.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS, type Clock, utcDayStart } from "../clock";
import { D, Decimal, ZERO, maxDec } from "../money";
import { type Result, err, ok } from "../errors";
import { countAfter } from "../recent-times";
import { type BreakerConfig, type BreakerConfigInput, breakerConfigSchema, formatConfigErrors } from "./config";
import { BREAKER_SNAPSHOT_VERSION, type BreakerSnapshot, breakerSnapshotSchema } from "./snapshot";
import {
  type BreakerHistoryEntry,
  type BreakerResetEntry,
  type BreakerResetRefusal,
  type BreakerResetRequest,
  type BreakerState,
  type BreakerStatus,
  type BreakerTickOutcome,
  type BreakerTradingState,
  type BreakerTrip,
  type BreakerTripRefusal,
  type LimitReason,
  SYSTEM_ACTOR,
} from "./types";

/** How many trips and resets `status().history` keeps. */
export const HISTORY_LIMIT = 100;

const HUNDRED = D(100);

/** The numbers the limits are measured on. */
interface Counters {
  /** Start (UTC ms) of the day `dailyPnl` belongs to. */
  dayStart: number;
  /** Realized PnL since dayStart or the last reset. */
  dailyPnl: Decimal;
  dayStartEquity: Decimal | null;
  /** Start (UTC ms) of the week (Monday) `weeklyPnl` belongs to. */
  weekStart: number;
  /** Realized PnL since weekStart or the last reset. */
  weeklyPnl: Decimal;
  weekStartEquity: Decimal | null;
  equity: Decimal | null;
  peakEquity: Decimal | null;
  /** Last portfolio VaR handed in, % of equity (a float: a statistic); null when unmeasured. */
  portfolioVarPct: number | null;
  consecutiveLosses: number;
  consecutiveErrors: number;
  /** Order timestamps within the last hour, in recording order. */
  orderTimes: number[];
}

interface Metrics {
  dailyLoss: Decimal;
  dailyLossPct: Decimal | null;
  weeklyLoss: Decimal;
  weeklyLossPct: Decimal | null;
  drawdownAbs: Decimal;
  drawdownPct: Decimal | null;
  ordersLastMinute: number;
  ordersLastHour: number;
}

/** Monday 00:00 UTC of the week `ms` falls in (1970-01-01 was a Thursday, 3 days after a Monday). */
export function utcWeekStart(ms: number): number {
  const day = Math.floor(ms / DAY_MS);
  return (day - ((((day + 3) % 7) + 7) % 7)) * DAY_MS;
}

/** The counters as they are at `now`: a new UTC day (week) starts with no PnL and the last known equity. */
function rolledToDay(c: Counters, now: number): Counters {
  const today = utcDayStart(now);
  const week = utcWeekStart(now);
  if (today === c.dayStart && week === c.weekStart) return c;
  const rolled = today === c.dayStart ? c : { ...c, dayStart: today, dailyPnl: ZERO, dayStartEquity: c.equity };
  return week === c.weekStart ? rolled : { ...rolled, weekStart: week, weeklyPnl: ZERO, weekStartEquity: c.equity };
}

function percentOf(part: Decimal, whole: Decimal | null): Decimal | null {
  return whole !== null && whole.greaterThan(0) ? part.dividedBy(whole).times(HUNDRED) : null;
}

function measure(c: Counters, now: number): Metrics {
  const dailyLoss = c.dailyPnl.isNegative() ? c.dailyPnl.negated() : ZERO;
  const weeklyLoss = c.weeklyPnl.isNegative() ? c.weeklyPnl.negated() : ZERO;
  const drawdownAbs = c.peakEquity !== null && c.equity !== null ? maxDec(ZERO, c.peakEquity.minus(c.equity)) : ZERO;
  // age < window ⇔ t > now − window (integer ms); O(log n) per order instead of a walk over the hour's orders.
  const ordersLastMinute = countAfter(c.orderTimes, now - MINUTE_MS);
  const ordersLastHour = countAfter(c.orderTimes, now - HOUR_MS);
  return {
    dailyLoss,
    dailyLossPct: percentOf(dailyLoss, c.dayStartEquity),
    weeklyLoss,
    weeklyLossPct: percentOf(weeklyLoss, c.weekStartEquity),
    drawdownAbs,
    drawdownPct: percentOf(drawdownAbs, c.peakEquity),
    ordersLastMinute,
    ordersLastHour,
  };
}

/** Percentages in messages: at most 2 decimals, e.g. "12.5". */
function pct(d: Decimal): string {
  return d.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toString();
}

/** The first limit reached, in LIMIT_REASONS order, with a sentence carrying the numbers. */
function findBreach(config: BreakerConfig, c: Counters, m: Metrics): { reason: LimitReason; message: string } | null {
  const dailyPnl = c.dailyPnl.toString();
  if (config.maxDailyLossPct !== null && m.dailyLossPct !== null && m.dailyLossPct.greaterThanOrEqualTo(config.maxDailyLossPct)) {
    return {
      reason: "DAILY_LOSS_PCT",
      message: `Daily loss of ${pct(m.dailyLossPct)}% (realized PnL ${dailyPnl} on day-start equity ${String(c.dayStartEquity)}) reached the ${config.maxDailyLossPct}% limit.`,
    };
  }
  if (config.maxDailyLossAbs !== null && m.dailyLoss.greaterThanOrEqualTo(D(config.maxDailyLossAbs))) {
    return {
      reason: "DAILY_LOSS_ABS",
      message: `Daily loss of ${m.dailyLoss.toString()} (realized PnL ${dailyPnl}) reached the ${D(config.maxDailyLossAbs).toString()} limit.`,
    };
  }
  if (config.maxWeeklyLossPct !== null && m.weeklyLossPct !== null && m.weeklyLossPct.greaterThanOrEqualTo(config.maxWeeklyLossPct)) {
    return {
      reason: "WEEKLY_LOSS_PCT",
      message: `Weekly loss of ${pct(m.weeklyLossPct)}% (realized PnL ${c.weeklyPnl.toString()} on week-start equity ${String(c.weekStartEquity)}) reached the ${config.maxWeeklyLossPct}% limit.`,
    };
  }
  const drawdownContext = `from peak equity ${String(c.peakEquity)} (equity ${String(c.equity)})`;
  if (config.maxDrawdownPct !== null && m.drawdownPct !== null && m.drawdownPct.greaterThanOrEqualTo(config.maxDrawdownPct)) {
    return {
      reason: "DRAWDOWN_PCT",
      message: `Drawdown of ${pct(m.drawdownPct)}% ${drawdownContext} reached the ${config.maxDrawdownPct}% limit.`,
    };
  }
  if (config.maxDrawdownAbs !== null && m.drawdownAbs.greaterThanOrEqualTo(D(config.maxDrawdownAbs))) {
    return {
      reason: "DRAWDOWN_ABS",
      message: `Drawdown of ${m.drawdownAbs.toString()} ${drawdownContext} reached the ${D(config.maxDrawdownAbs).toString()} limit.`,
    };
  }
  if (config.maxPortfolioVarPct !== null && c.portfolioVarPct !== null && c.portfolioVarPct >= config.maxPortfolioVarPct) {
    return {
      reason: "PORTFOLIO_VAR_PCT",
      message: `Portfolio 1-day 99% VaR of ${Number(c.portfolioVarPct.toFixed(2))}% of equity ${String(c.equity)} reached the ${config.maxPortfolioVarPct}% limit.`,
    };
  }
  if (config.maxConsecutiveLosses !== null && c.consecutiveLosses >= config.maxConsecutiveLosses) {
    return {
      reason: "CONSECUTIVE_LOSSES",
      message: `${c.consecutiveLosses} losing trades in a row reached the limit of ${config.maxConsecutiveLosses}.`,
    };
  }
  if (config.maxOrdersPerMinute !== null && m.ordersLastMinute >= config.maxOrdersPerMinute) {
    return {
      reason: "ORDER_RATE_MINUTE",
      message: `${m.ordersLastMinute} orders in the last minute reached the limit of ${config.maxOrdersPerMinute} per minute.`,
    };
  }
  if (config.maxOrdersPerHour !== null && m.ordersLastHour >= config.maxOrdersPerHour) {
    return {
      reason: "ORDER_RATE_HOUR",
      message: `${m.ordersLastHour} orders in the last hour reached the limit of ${config.maxOrdersPerHour} per hour.`,
    };
  }
  if (config.maxConsecutiveErrors !== null && c.consecutiveErrors >= config.maxConsecutiveErrors) {
    return {
      reason: "CONSECUTIVE_ERRORS",
      message: `${c.consecutiveErrors} errors in a row reached the limit of ${config.maxConsecutiveErrors}.`,
    };
  }
  return null;
}

function minutesToMs(minutes: number): number {
  return Math.round(minutes * MINUTE_MS);
}

/** "4 min 30 s", "2 h 5 min", "45 s". */
export function formatDuration(ms: number): string {
  const totalSeconds = Math.ceil(Math.max(0, ms) / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const parts: string[] = [];
  if (hours > 0) parts.push(`${hours} h`);
  if (minutes > 0) parts.push(`${minutes} min`);
  if (seconds > 0 || parts.length === 0) parts.push(`${seconds} s`);
  return parts.join(" ");
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

function requireFinite(value: Decimal, what: string): Decimal {
  if (!value.isFinite()) throw new TypeError(`${what} must be a finite decimal, got ${value.toString()}`);
  return value;
}

function parseConfig(config: unknown): Result<BreakerConfig, "INVALID_BREAKER_CONFIG"> {
  const parsed = breakerConfigSchema.safeParse(config);
  return parsed.success ? ok(parsed.data) : err("INVALID_BREAKER_CONFIG", formatConfigErrors(parsed.error));
}

export class CircuitBreaker {
  private config: BreakerConfig;
  private counters: Counters;
  private tripped: BreakerTrip | null = null;
  private history: BreakerHistoryEntry[] = [];

  /** Throws on an invalid config (a programming error); use `CircuitBreaker.create` for user input. */
  constructor(
    config: BreakerConfigInput,
    private readonly clock: Clock,
  ) {
    const parsed = parseConfig(config);
    if (!parsed.ok) throw new TypeError(parsed.error.message);
    this.config = parsed.value;
    this.counters = {
      dayStart: utcDayStart(clock.now()),
      dailyPnl: ZERO,
      dayStartEquity: null,
      weekStart: utcWeekStart(clock.now()),
      weeklyPnl: ZERO,
      weekStartEquity: null,
      equity: null,
      peakEquity: null,
      portfolioVarPct: null,
      consecutiveLosses: 0,
      consecutiveErrors: 0,
      orderTimes: [],
    };
  }

  /** Validates untrusted settings; the refusal message lists every problem. */
  static create(config: unknown, clock: Clock): Result<CircuitBreaker, "INVALID_BREAKER_CONFIG"> {
    const parsed = parseConfig(config);
    return parsed.ok ? ok(new CircuitBreaker(parsed.value, clock)) : parsed;
  }

  /** Restores a persisted breaker: an OPEN breaker comes back OPEN, with the same trip and history. */
  static fromSnapshot(snapshot: unknown, config: unknown, clock: Clock): Result<CircuitBreaker, "INVALID_SNAPSHOT" | "INVALID_BREAKER_CONFIG"> {
    const created = CircuitBreaker.create(config, clock);
    if (!created.ok) return created;
    const parsed = breakerSnapshotSchema.safeParse(snapshot);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "snapshot"}: ${i.message}`).join("; ");
      return err("INVALID_SNAPSHOT", `The saved circuit breaker state cannot be read (${problems}).`);
    }
    const s = parsed.data;
    const breaker = created.value;
    const dec = (v: string | null) => (v === null ? null : D(v));
    breaker.counters = {
      dayStart: s.dayStart,
      dailyPnl: D(s.dailyPnl),
      dayStartEquity: dec(s.dayStartEquity),
      weekStart: s.weekStart ?? utcWeekStart(s.dayStart),
      weeklyPnl: D(s.weeklyPnl ?? s.dailyPnl),
      weekStartEquity: s.weekStartEquity !== undefined ? dec(s.weekStartEquity) : dec(s.dayStartEquity),
      equity: dec(s.equity),
      peakEquity: dec(s.peakEquity),
      portfolioVarPct: s.portfolioVarPct ?? null,
      consecutiveLosses: s.consecutiveLosses,
      consecutiveErrors: s.consecutiveErrors,
      orderTimes: [...s.orderTimes],
    };
    breaker.tripped = s.trip === null ? null : { ...s.trip };
    breaker.history = s.history.slice(-HISTORY_LIMIT).map((e) => ({ ...e }));
    return ok(breaker);
  }

  toSnapshot(): BreakerSnapshot {
    const c = this.counters;
    const str = (d: Decimal | null) => (d === null ? null : d.toString());
    return {
      version: BREAKER_SNAPSHOT_VERSION,
      state: this.state,
      trip: this.tripped === null ? null : { ...this.tripped },
      dayStart: c.dayStart,
      dailyPnl: c.dailyPnl.toString(),
      dayStartEquity: str(c.dayStartEquity),
      weekStart: c.weekStart,
      weeklyPnl: c.weeklyPnl.toString(),
      weekStartEquity: str(c.weekStartEquity),
      equity: str(c.equity),
      peakEquity: str(c.peakEquity),
      portfolioVarPct: c.portfolioVarPct,
      consecutiveLosses: c.consecutiveLosses,
      consecutiveErrors: c.consecutiveErrors,
      orderTimes: [...c.orderTimes],
      history: this.history.map((e) => ({ ...e })),
    };
  }

  get state(): BreakerState {
    return this.tripped === null ? "CLOSED" : "OPEN";
  }

  get tradingState(): BreakerTradingState {
    return this.tripped === null ? "ACTIVE" : "HALTED";
  }

  get currentConfig(): BreakerConfig {
    return { ...this.config };
  }

  /**
   * Replaces the settings. Does not evaluate the limits: the next mutating call, `checkAndTrip()` or
   * `tick()` does. The time of a pending automatic reset follows the new settings.
   */
  updateConfig(config: unknown): Result<BreakerConfig, "INVALID_BREAKER_CONFIG"> {
    const parsed = parseConfig(config);
    if (parsed.ok) this.config = parsed.value;
    return parsed;
  }

  /** A closed trade's realized PnL (after fees). */
  recordTrade(pnl: Decimal): BreakerTrip | null {
    requireFinite(pnl, "trade PnL");
    const c = this.advance();
    c.dailyPnl = c.dailyPnl.plus(pnl);
    c.weeklyPnl = c.weeklyPnl.plus(pnl);
    if (pnl.lessThan(0)) c.consecutiveLosses += 1;
    else if (pnl.greaterThan(0)) c.consecutiveLosses = 0;
    return this.evaluate();
  }

  /** An order sent to a venue (child orders included). */
  recordOrder(): BreakerTrip | null {
    const c = this.advance();
    c.orderTimes.push(this.clock.now());
    return this.evaluate();
  }

  /** A failed venue call or engine step. */
  recordError(): BreakerTrip | null {
    this.advance().consecutiveErrors += 1;
    return this.evaluate();
  }

  /** A successful venue call: ends the error streak. */
  recordSuccess(): BreakerTrip | null {
    this.advance().consecutiveErrors = 0;
    return this.evaluate();
  }

  /** Account equity (balances + unrealized PnL) in the account currency. */
  updateEquity(equity: Decimal): BreakerTrip | null {
    requireFinite(equity, "equity");
    const c = this.advance();
    c.equity = equity;
    if (c.dayStartEquity === null) c.dayStartEquity = equity;
    if (c.weekStartEquity === null) c.weekStartEquity = equity;
    if (c.peakEquity === null || equity.greaterThan(c.peakEquity)) c.peakEquity = equity;
    return this.evaluate();
  }

  /**
   * The portfolio's 99 % 1-day VaR as % of equity, measured by the engine; null when it cannot be measured.
   * A negative or non-finite figure is a programming error.
   */
  updatePortfolioVar(varPct: number | null): BreakerTrip | null {
    if (varPct !== null && !(Number.isFinite(varPct) && varPct >= 0)) throw new TypeError(`portfolio VaR % must be a finite number ≥ 0, got ${varPct}`);
    this.advance().portfolioVarPct = varPct;
    return this.evaluate();
  }

  /** Evaluates every limit; trips on the first breach (LIMIT_REASONS order). Never resets. */
  checkAndTrip(): BreakerTrip | null {
    this.advance();
    return this.evaluate();
  }

  /**
   * The scheduler's heartbeat: rolls the UTC day, resets automatically when due
   * (autoResetAfterMinutes set, requireManualReset off, not a MANUAL trip, cooldown over), then
   * evaluates the limits.
   */
  tick(): BreakerTickOutcome {
    this.advance();
    let reset: BreakerResetEntry | null = null;
    const resetsAt = this.resetsAt();
    if (resetsAt !== null && this.clock.now() >= resetsAt) {
      const minutes = this.config.autoResetAfterMinutes ?? 0;
      const done = this.reset({ manual: false, by: SYSTEM_ACTOR, reason: `automatic reset ${minutes} min after the trip` });
      if (done.ok) reset = done.value;
    }
    return { reset, trip: this.evaluate() };
  }

  /** A person trips the breaker (emergency stop). Refused while already OPEN: one trip per latch. */
  trip(reason: string, by: string): Result<BreakerTrip, BreakerTripRefusal> {
    const who = by.trim();
    const why = reason.trim();
    if (who === "") return err("TRIP_USER_REQUIRED", "A manual trip must name the person tripping the breaker.");
    if (why === "") return err("TRIP_REASON_REQUIRED", "A manual trip needs a reason.");
    if (this.tripped !== null) {
      return err(
        "ALREADY_TRIPPED",
        `The circuit breaker is already tripped (${this.tripped.reason}, by ${this.tripped.by} at ${isoTime(this.tripped.trippedAt)}).`,
        { reason: this.tripped.reason, trippedAt: this.tripped.trippedAt },
      );
    }
    this.advance();
    return ok(this.open("MANUAL", `Tripped manually by ${who}: ${why}`, who));
  }

  /**
   * Closes an OPEN breaker. A manual reset needs a user and a reason; it may `force` past the
   * cooldown. An automatic reset is refused with requireManualReset, after a MANUAL trip, without
   * autoResetAfterMinutes, or before it is due.
   */
  reset(request: BreakerResetRequest): Result<BreakerResetEntry, BreakerResetRefusal> {
    const trip = this.tripped;
    if (trip === null) return err("NOT_TRIPPED", "The circuit breaker is not tripped; there is nothing to reset.");
    const now = this.clock.now();
    const by = request.by.trim();
    const reason = request.reason.trim();
    const force = request.force === true;
    if (request.manual) {
      if (by === "") return err("RESET_USER_REQUIRED", "A manual reset must name the person resetting the breaker.");
      if (reason === "") {
        return err("RESET_REASON_REQUIRED", "A manual reset needs a reason: say what was checked before trading resumes.");
      }
    } else {
      if (force) return err("FORCE_REQUIRES_MANUAL", "Only a person can force a reset during the cooldown.");
      if (this.config.requireManualReset) {
        return err("MANUAL_RESET_REQUIRED", "The breaker is set to require a manual reset: an admin must reset it with a reason.");
      }
      if (trip.reason === "MANUAL") {
        return err("MANUAL_RESET_REQUIRED", `The breaker was tripped by ${trip.by}; only a manual reset with a reason can lift it.`);
      }
    }
    const cooldownLeft = this.cooldownRemainingMs(now);
    if (cooldownLeft > 0 && !(request.manual && force)) {
      return err(
        "COOLDOWN_ACTIVE",
        `The breaker tripped ${formatDuration(now - trip.trippedAt)} ago and stays tripped for ${this.config.cooldownMinutes} min after a trip (${formatDuration(cooldownLeft)} left). An admin can force the reset with a reason.`,
        { cooldownRemainingMs: cooldownLeft },
      );
    }
    if (!request.manual) {
      const resetsAt = this.resetsAt();
      if (resetsAt === null) {
        return err("AUTO_RESET_DISABLED", "Automatic reset is off (autoResetAfterMinutes is not set): an admin must reset the breaker.");
      }
      if (now < resetsAt) {
        return err("AUTO_RESET_NOT_DUE", `The automatic reset is due at ${isoTime(resetsAt)} (${formatDuration(resetsAt - now)} from now).`, {
          resetsAt,
        });
      }
    }

    const c = this.advance();
    // Re-base everything that measured the trip, so the breaker does not re-trip on the same numbers.
    c.consecutiveLosses = 0;
    c.consecutiveErrors = 0;
    c.orderTimes = [];
    c.dailyPnl = ZERO;
    c.dayStartEquity = c.equity;
    c.weeklyPnl = ZERO;
    c.weekStartEquity = c.equity;
    c.peakEquity = c.equity;
    c.portfolioVarPct = null;
    this.tripped = null;
    const entry: BreakerResetEntry = {
      kind: "RESET",
      at: now,
      by: request.manual ? by : by || SYSTEM_ACTOR,
      reason: reason || "automatic reset",
      manual: request.manual,
      forced: request.manual && force && cooldownLeft > 0,
      trippedReason: trip.reason,
    };
    this.remember(entry);
    return ok(entry);
  }

  status(): BreakerStatus {
    const now = this.clock.now();
    const c = rolledToDay(this.counters, now);
    const m = measure(c, now);
    const t = this.tripped;
    return {
      state: this.state,
      tradingState: this.tradingState,
      reason: t?.reason ?? null,
      message: t?.message ?? null,
      action: t?.action ?? null,
      trippedAt: t?.trippedAt ?? null,
      trippedBy: t?.by ?? null,
      resetsAt: this.resetsAt(),
      dailyPnl: c.dailyPnl,
      dayStartEquity: c.dayStartEquity,
      dailyLossPct: m.dailyLossPct,
      weeklyPnl: c.weeklyPnl,
      weekStartEquity: c.weekStartEquity,
      weeklyLossPct: m.weeklyLossPct,
      consecutiveLosses: c.consecutiveLosses,
      equity: c.equity,
      peakEquity: c.peakEquity,
      drawdownAbs: m.drawdownAbs,
      drawdownPct: m.drawdownPct,
      portfolioVarPct: c.portfolioVarPct,
      ordersLastMinute: m.ordersLastMinute,
      ordersLastHour: m.ordersLastHour,
      consecutiveErrors: c.consecutiveErrors,
      cooldownRemainingMs: this.cooldownRemainingMs(now),
      history: this.history.map((e) => ({ ...e })),
    };
  }

  /** When `tick()` will reset the breaker: trippedAt + max(autoResetAfterMinutes, cooldownMinutes). */
  private resetsAt(): number | null {
    const t = this.tripped;
    const autoMinutes = this.config.autoResetAfterMinutes;
    if (t === null || t.reason === "MANUAL" || this.config.requireManualReset || autoMinutes === null) return null;
    return t.trippedAt + minutesToMs(Math.max(autoMinutes, this.config.cooldownMinutes));
  }

  private cooldownRemainingMs(now: number): number {
    if (this.tripped === null) return 0;
    return Math.max(0, this.tripped.trippedAt + minutesToMs(this.config.cooldownMinutes) - now);
  }

  /** Brings the counters to the clock's time (new UTC day, order timestamps older than an hour dropped). */
  private advance(): Counters {
    const now = this.clock.now();
    const c = rolledToDay(this.counters, now);
    // Times are appended as the clock reads them, oldest first: drop the expired head without copying the rest
    // on every call (measure() checks each age itself, so an entry left behind by a clock set back counts right).
    const times = c.orderTimes;
    let expired = 0;
    while (expired < times.length && now - times[expired]! >= HOUR_MS) expired++;
    if (expired > 0) c.orderTimes = times.slice(expired);
    this.counters = c;
    return c;
  }

  private evaluate(): BreakerTrip | null {
    if (this.tripped !== null) return null;
    const now = this.clock.now();
    const breach = findBreach(this.config, this.counters, measure(this.counters, now));
    return breach === null ? null : this.open(breach.reason, breach.message, SYSTEM_ACTOR);
  }

  private open(reason: BreakerTrip["reason"], message: string, by: string): BreakerTrip {
    const trip: BreakerTrip = { reason, message, action: this.config.tripAction, trippedAt: this.clock.now(), by };
    this.tripped = trip;
    this.remember({ kind: "TRIP", at: trip.trippedAt, by, reason, message, action: trip.action });
    return { ...trip };
  }

  private remember(entry: BreakerHistoryEntry): void {
    this.history.push(entry);
    if (this.history.length > HISTORY_LIMIT) this.history.splice(0, this.history.length - HISTORY_LIMIT);
  }
}

/** Shapes the circuit breaker hands to the engine, the API and the persistence layer. */
import type { Decimal } from "../money";
import type { TripAction } from "./config";

/**
 * Why the breaker tripped. All but MANUAL are limits and are evaluated in this order: when several
 * are breached at once, the first one in this list is the reported reason. Money lost comes first
 * (daily, weekly, then drawdown; % before absolute), then money at risk (portfolio VaR), then the
 * losing streak, then runaway order rates, then system health.
 */
export const LIMIT_REASONS = [
  "DAILY_LOSS_PCT",
  "DAILY_LOSS_ABS",
  "WEEKLY_LOSS_PCT",
  "DRAWDOWN_PCT",
  "DRAWDOWN_ABS",
  "PORTFOLIO_VAR_PCT",
  "CONSECUTIVE_LOSSES",
  "ORDER_RATE_MINUTE",
  "ORDER_RATE_HOUR",
  "CONSECUTIVE_ERRORS",
] as const;
export type LimitReason = (typeof LIMIT_REASONS)[number];

export const TRIP_REASONS = [...LIMIT_REASONS, "MANUAL"] as const;
export type TripReason = (typeof TRIP_REASONS)[number];

/** CLOSED: trading allowed. OPEN: tripped and latched until a reset. */
export type BreakerState = "CLOSED" | "OPEN";
/** The breaker's own view of the engine's TradingState. */
export type BreakerTradingState = "ACTIVE" | "HALTED";

/** Who trips the breaker when a limit is breached. */
export const SYSTEM_ACTOR = "system";

/** Returned by the call that tripped the breaker, so the engine can run `action`. */
export interface BreakerTrip {
  reason: TripReason;
  /** A sentence with the numbers, e.g. "Drawdown of 12.5% from peak equity 12000 … reached the 10% limit." */
  message: string;
  action: TripAction;
  trippedAt: number;
  /** "system" for limit breaches, the user name for manual trips. */
  by: string;
}

export interface BreakerTripEntry {
  kind: "TRIP";
  at: number;
  by: string;
  reason: TripReason;
  message: string;
  action: TripAction;
}

export interface BreakerResetEntry {
  kind: "RESET";
  at: number;
  by: string;
  /** Why the person (or the system) reset it. */
  reason: string;
  manual: boolean;
  /** True when a person overrode the cooldown. */
  forced: boolean;
  /** The reason of the trip this reset lifted. */
  trippedReason: TripReason;
}

export type BreakerHistoryEntry = BreakerTripEntry | BreakerResetEntry;

export interface BreakerResetRequest {
  /** true: a person resets (needs `by` and a non-empty `reason`); false: an automatic reset. */
  manual: boolean;
  by: string;
  reason: string;
  /** A person may override the cooldown; the history records it as forced. */
  force?: boolean;
}

export type BreakerResetRefusal =
  | "NOT_TRIPPED"
  | "RESET_USER_REQUIRED"
  | "RESET_REASON_REQUIRED"
  | "FORCE_REQUIRES_MANUAL"
  | "MANUAL_RESET_REQUIRED"
  | "AUTO_RESET_DISABLED"
  | "AUTO_RESET_NOT_DUE"
  | "COOLDOWN_ACTIVE";

export type BreakerTripRefusal = "ALREADY_TRIPPED" | "TRIP_USER_REQUIRED" | "TRIP_REASON_REQUIRED";

/** What `tick()` did: at most one automatic reset, then at most one trip. */
export interface BreakerTickOutcome {
  reset: BreakerResetEntry | null;
  trip: BreakerTrip | null;
}

export interface BreakerStatus {
  state: BreakerState;
  tradingState: BreakerTradingState;
  reason: TripReason | null;
  message: string | null;
  action: TripAction | null;
  trippedAt: number | null;
  trippedBy: string | null;
  /** When `tick()` will reset the breaker by itself; null when OPEN without auto reset, or CLOSED. */
  resetsAt: number | null;
  /** Realized PnL since the start of the UTC day or the last reset, whichever is later. */
  dailyPnl: Decimal;
  /** Equity at that same moment; null until an equity has been reported. */
  dayStartEquity: Decimal | null;
  /** Today's realized loss as a positive % of dayStartEquity (0 when in profit); null without a positive dayStartEquity. */
  dailyLossPct: Decimal | null;
  /** Realized PnL since the start of the UTC week (Monday 00:00) or the last reset, whichever is later. */
  weeklyPnl: Decimal;
  weekStartEquity: Decimal | null;
  /** This week's realized loss as a positive % of weekStartEquity; null without a positive weekStartEquity. */
  weeklyLossPct: Decimal | null;
  consecutiveLosses: number;
  equity: Decimal | null;
  /** Highest equity since the breaker started or was last reset. */
  peakEquity: Decimal | null;
  /** peakEquity − equity, never negative; 0 until an equity has been reported. */
  drawdownAbs: Decimal;
  /** drawdownAbs as % of peakEquity; null without a positive peak. */
  drawdownPct: Decimal | null;
  /**
   * The portfolio's 99 % 1-day parametric VaR as % of equity, as the engine last measured it (a float: a statistic);
   * null until measured, when it cannot be measured (too little history), and after a reset.
   */
  portfolioVarPct: number | null;
  ordersLastMinute: number;
  ordersLastHour: number;
  consecutiveErrors: number;
  /** Time left before a reset is allowed (0 when CLOSED or after the cooldown). */
  cooldownRemainingMs: number;
  /** Trips and resets, oldest first, at most the last 100. */
  history: BreakerHistoryEntry[];
}

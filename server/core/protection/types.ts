/**
 * Shapes shared by the protection detectors, the lock book and the engine that runs them.
 * A detector reports a firing; what happens next (an alert, a lock, a halt) is the firing's action,
 * resolved from the settings — a detector never acts by itself.
 */

/** The rules, in the order the settings list them. */
export const PROTECTION_RULES = ["FLASH_MOVE", "STALE_DATA", "VENUE_UNREACHABLE", "VOLATILITY", "STRATEGY_FAILURE", "SYSTEM_OVERLOAD"] as const;
export type ProtectionRule = (typeof PROTECTION_RULES)[number];

/**
 * What the engine does when a rule fires, mildest first. LOCK_SYMBOL refuses new entries on the firing's
 * symbol (or strategy) for `lockMinutes`; PAUSE_ENTRIES refuses new entries desk-wide; the HALT family is
 * the breaker's trip actions (the trading state becomes HALTED).
 */
export const PROTECTION_ACTIONS = ["ALERT", "LOCK_SYMBOL", "PAUSE_ENTRIES", "HALT", "HALT_CANCEL", "HALT_CANCEL_FLATTEN"] as const;
export type ProtectionAction = (typeof PROTECTION_ACTIONS)[number];

/** What a lock (or a firing) applies to. A venue firing locks nothing by itself: its action decides. */
export type ProtectionScope = { kind: "symbol"; symbol: string } | { kind: "strategy"; strategy: string } | { kind: "venue"; venue: string } | { kind: "desk" };

/** One rule firing: which rule, on what, when, what to do and the numbers behind it. */
export interface ProtectionFiring {
  rule: ProtectionRule;
  scope: ProtectionScope;
  /** Epoch ms of the observation that made the rule fire. */
  ts: number;
  action: ProtectionAction;
  /** How long a LOCK_SYMBOL (or a strategy lock) lasts; null for the other actions. */
  lockMinutes: number | null;
  /** A sentence with the numbers, e.g. "XLM/BTC rose 12.65% within 5 min (from 0.00005 to …)". */
  message: string;
  /** The measured value and the bound it crossed, for display in the alert center and the report (never computed on). */
  measured: number;
  bound: number;
}

/** A short readable name of a scope for messages and keys: "XLM/BTC", "strategy sma", "venue binance", "desk". */
export function scopeLabel(scope: ProtectionScope): string {
  switch (scope.kind) {
    case "symbol":
      return scope.symbol;
    case "strategy":
      return `strategy ${scope.strategy}`;
    case "venue":
      return `venue ${scope.venue}`;
    case "desk":
      return "desk";
  }
}

/** A stable key of a scope (map keys, equality). */
export function scopeKey(scope: ProtectionScope): string {
  switch (scope.kind) {
    case "symbol":
      return `symbol:${scope.symbol}`;
    case "strategy":
      return `strategy:${scope.strategy}`;
    case "venue":
      return `venue:${scope.venue}`;
    case "desk":
      return "desk";
  }
}

/** Percentages in messages: at most 2 decimals. */
/**
 * A market price as a person reads it: ten significant digits at most, so a replayed or rebased float
 * (0.00010334999999999999) reads as the price it stands for (0.00010335).
 */
export function formatPrice(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(10))) : String(value);
}

export function formatPct(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** Durations in messages: "90 s", "5 min", "2 h". */
export function formatSpan(ms: number): string {
  if (ms % 3_600_000 === 0 && ms >= 3_600_000) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000} min`;
  return `${Math.round(ms / 100) / 10} s`;
}

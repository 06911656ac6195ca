/**
 * Protection settings, validated at the edge with zod (the desk file, the settings page).
 *
 * Every rule has `enabled`, an `action` and, for locks, `lockMinutes`. The market rules (flash move, stale data,
 * volatility) take desk-wide values plus per-symbol overrides under `symbols`: `resolveSymbolRule` merges them.
 * A bound is crossed when the measured value REACHES it (≥), as in the breaker. Values are plain JSON numbers;
 * the strategy drawdown is money and is compared as a Decimal by the detector.
 */
import { z } from "zod";
import { MAX_BREAKER_MINUTES } from "../breaker/config";
import { PROTECTION_ACTIONS, type ProtectionAction } from "./types";

function describe(input: unknown): string {
  // An input echoed in a message is short: never a megabyte back to the caller.
  if (typeof input === "string") return JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input);
  if (input === undefined) return "nothing";
  if (typeof input === "number" || typeof input === "boolean" || input === null) return String(input);
  return typeof input;
}

/**
 * A finite number from `min` to `max` (whole when `int`), refused with the range in words. The words are built on the
 * first refusal, not when the schema is: the first toLocaleString of a process starts ICU's number formatting
 * (~15 ms), and these schemas are built at module load, which every cold `npm run backtest` pays.
 */
function bounded(name: string, min: number, max: number, options: { int?: boolean; unit?: string } = {}) {
  let range: string | null = null;
  const message = (input: unknown) => {
    range ??= `${options.int ? "a whole number" : "a number"} from ${min.toLocaleString("en-US")} to ${max.toLocaleString("en-US")}${options.unit ? ` ${options.unit}` : ""}`;
    return `${name} must be ${range} (got ${describe(input)}).`;
  };
  const base = z.number({ error: (issue) => message(issue.input) });
  const whole = options.int ? base.int({ error: (issue) => message(issue.input) }) : base;
  return whole.gte(min, { error: (issue) => message(issue.input) }).lte(max, { error: (issue) => message(issue.input) });
}

function flag(name: string) {
  return z.boolean({ error: (issue) => `${name} must be true or false (got ${describe(issue.input)}).` });
}

function action(name: string, allowed: readonly ProtectionAction[] = PROTECTION_ACTIONS) {
  return z.enum(allowed as [ProtectionAction, ...ProtectionAction[]], {
    error: (issue) => `${name} must be one of ${allowed.join(", ")} (got ${describe(issue.input)}).`,
  });
}

/** Actions that make sense for a rule without a symbol or strategy to lock. */
const DESK_ACTIONS: readonly ProtectionAction[] = PROTECTION_ACTIONS.filter((a) => a !== "LOCK_SYMBOL");

const lockMinutes = (name: string) => bounded(name, 1, MAX_BREAKER_MINUTES, { int: true, unit: "minutes (30 days)" });

function unknownKeys(what: string) {
  return {
    error: (issue: { code: string; keys?: string[] }) =>
      issue.code === "unrecognized_keys" && issue.keys
        ? `Unknown ${what} setting${issue.keys.length > 1 ? "s" : ""}: ${issue.keys.join(", ")}.`
        : `${what} settings must be an object.`,
  };
}

/** Symbol names as the engine writes them ("BTC/USDT"): short, printable, no spaces. */
const symbolKey = z.string().regex(/^[A-Za-z0-9._:/-]{1,40}$/);

/** Per-symbol overrides of a market rule, keyed by symbol. */
function overrides<T extends z.ZodType>(rule: string, values: T) {
  return z.record(symbolKey, values, {
    error: (issue) =>
      issue.code === "invalid_key"
        ? `${rule}.symbols keys must be symbols of 1–40 letters, digits or . _ : / - (got ${describe(issue.input)}).`
        : `${rule}.symbols must be an object of symbol → settings.`,
  });
}

const flashMoveFields = {
  enabled: flag("flashMove.enabled"),
  /** The move, in % of the window's extreme, that fires. */
  movePct: bounded("flashMove.movePct", 0.1, 100),
  windowSeconds: bounded("flashMove.windowSeconds", 1, 86_400, { int: true, unit: "seconds" }),
  action: action("flashMove.action"),
  lockMinutes: lockMinutes("flashMove.lockMinutes"),
};
const flashMoveSchema = z.strictObject(
  {
    enabled: flashMoveFields.enabled.default(true),
    movePct: flashMoveFields.movePct.default(5),
    windowSeconds: flashMoveFields.windowSeconds.default(60),
    action: flashMoveFields.action.default("LOCK_SYMBOL"),
    lockMinutes: flashMoveFields.lockMinutes.default(30),
    symbols: overrides("flashMove", z.strictObject(flashMoveFields, unknownKeys("flashMove symbol")).partial()).default({}),
  },
  unknownKeys("flashMove"),
);

const staleDataFields = {
  enabled: flag("staleData.enabled"),
  /** Seconds without market data for a symbol with an open position. */
  maxSilenceSeconds: bounded("staleData.maxSilenceSeconds", 1, 86_400, { int: true, unit: "seconds" }),
  action: action("staleData.action"),
  lockMinutes: lockMinutes("staleData.lockMinutes"),
};
const staleDataSchema = z.strictObject(
  {
    enabled: staleDataFields.enabled.default(true),
    maxSilenceSeconds: staleDataFields.maxSilenceSeconds.default(120),
    action: staleDataFields.action.default("ALERT"),
    lockMinutes: staleDataFields.lockMinutes.default(15),
    symbols: overrides("staleData", z.strictObject(staleDataFields, unknownKeys("staleData symbol")).partial()).default({}),
  },
  unknownKeys("staleData"),
);

const volatilityFields = {
  enabled: flag("volatility.enabled"),
  windowMinutes: bounded("volatility.windowMinutes", 1, 10_080, { int: true, unit: "minutes (a week)" }),
  /** Realized volatility over the window, √Σr² of log returns, in %. */
  maxVolatilityPct: bounded("volatility.maxVolatilityPct", 0.01, 1_000),
  /** Returns needed in the window before the rule may fire (a few points say nothing about volatility). */
  minSamples: bounded("volatility.minSamples", 2, 100_000, { int: true }),
  action: action("volatility.action"),
  lockMinutes: lockMinutes("volatility.lockMinutes"),
};
const volatilitySchema = z.strictObject(
  {
    enabled: volatilityFields.enabled.default(false),
    windowMinutes: volatilityFields.windowMinutes.default(60),
    maxVolatilityPct: volatilityFields.maxVolatilityPct.default(5),
    minSamples: volatilityFields.minSamples.default(10),
    action: volatilityFields.action.default("ALERT"),
    lockMinutes: volatilityFields.lockMinutes.default(60),
    symbols: overrides("volatility", z.strictObject(volatilityFields, unknownKeys("volatility symbol")).partial()).default({}),
  },
  unknownKeys("volatility"),
);

const venueUnreachableSchema = z.strictObject(
  {
    enabled: flag("venueUnreachable.enabled").default(true),
    /** Failed requests in a row; any success clears the streak. */
    maxConsecutiveFailures: bounded("venueUnreachable.maxConsecutiveFailures", 1, 1_000, { int: true }).default(5),
    /** Seconds without a successful request (counted from the first request the detector saw). */
    maxSecondsWithoutSuccess: bounded("venueUnreachable.maxSecondsWithoutSuccess", 1, 86_400, { int: true, unit: "seconds" }).default(120),
    action: action("venueUnreachable.action", DESK_ACTIONS).default("PAUSE_ENTRIES"),
  },
  unknownKeys("venueUnreachable"),
);

const strategyFailureSchema = z.strictObject(
  {
    enabled: flag("strategyFailure.enabled").default(true),
    /** Losing trades in a row; null disables it. */
    maxLosingStreak: bounded("strategyFailure.maxLosingStreak", 1, 1_000, { int: true }).nullable().default(5),
    /** The strategy's realized PnL below its own peak, in the account currency (from 1e-8: desks may count in BTC); null disables it. */
    maxDrawdownAbs: bounded("strategyFailure.maxDrawdownAbs", 0.00000001, 1e12).nullable().default(null),
    /** Direction hit rate of the last `accuracyWindow` predictions, in %; null disables it. */
    minAccuracyPct: bounded("strategyFailure.minAccuracyPct", 0, 100).nullable().default(null),
    accuracyWindow: bounded("strategyFailure.accuracyWindow", 5, 10_000, { int: true }).default(50),
    /** LOCK_SYMBOL locks the strategy (not a symbol, not the desk). */
    action: action("strategyFailure.action").default("LOCK_SYMBOL"),
    lockMinutes: lockMinutes("strategyFailure.lockMinutes").default(240),
  },
  unknownKeys("strategyFailure"),
);

const systemOverloadSchema = z.strictObject(
  {
    enabled: flag("systemOverload.enabled").default(true),
    maxEventLoopLagMs: bounded("systemOverload.maxEventLoopLagMs", 1, 600_000, { int: true, unit: "ms" }).default(2_000),
    maxQueueDepth: bounded("systemOverload.maxQueueDepth", 1, 10_000_000, { int: true }).default(5_000),
    action: action("systemOverload.action", DESK_ACTIONS).default("PAUSE_ENTRIES"),
  },
  unknownKeys("systemOverload"),
);

export const protectionSettingsSchema = z.strictObject(
  {
    flashMove: flashMoveSchema.prefault({}),
    staleData: staleDataSchema.prefault({}),
    venueUnreachable: venueUnreachableSchema.prefault({}),
    volatility: volatilitySchema.prefault({}),
    strategyFailure: strategyFailureSchema.prefault({}),
    systemOverload: systemOverloadSchema.prefault({}),
  },
  unknownKeys("protection"),
);

/** Validated settings, every field present (defaults filled in). */
export type ProtectionSettings = z.output<typeof protectionSettingsSchema>;
/** What a caller may hand in: any subset of the settings. */
export type ProtectionSettingsInput = z.input<typeof protectionSettingsSchema>;
export type FlashMoveSettings = ProtectionSettings["flashMove"];
export type StaleDataSettings = ProtectionSettings["staleData"];
export type VolatilitySettings = ProtectionSettings["volatility"];
export type VenueUnreachableSettings = ProtectionSettings["venueUnreachable"];
export type StrategyFailureSettings = ProtectionSettings["strategyFailure"];
export type SystemOverloadSettings = ProtectionSettings["systemOverload"];

let defaults: ProtectionSettings | null = null;

/**
 * Every rule at its default (the schema's own), parsed on first use: zod's first parse of this schema costs a cold
 * process ~3 ms, and a desk or backtest without protections never needs it.
 */
export function defaultProtectionSettings(): ProtectionSettings {
  return (defaults ??= protectionSettingsSchema.parse({}));
}

/** A market rule's values for one symbol: its override where it has one, the desk-wide value elsewhere. */
export function resolveSymbolRule<R extends { symbols: Record<string, Partial<Omit<R, "symbols">>> }>(rule: R, symbol: string): Omit<R, "symbols"> {
  const { symbols, ...deskWide } = rule;
  const override = Object.hasOwn(symbols, symbol) ? symbols[symbol] : undefined;
  return { ...deskWide, ...(override ?? {}) };
}

/** One readable sentence per problem. */
export function formatProtectionSettingsErrors(error: z.ZodError): string {
  return error.issues.map((issue) => issue.message).join(" ");
}

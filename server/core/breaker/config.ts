/**
 * Circuit breaker settings, validated at the edge with zod.
 *
 * Every limit is optional: `null` disables it. A limit trips the breaker when the measured value
 * REACHES it (≥), e.g. `maxConsecutiveLosses: 3` trips on the third loss in a row and
 * `maxOrdersPerMinute: 30` trips when the 30th order within 60 s is recorded.
 *
 * Limits are plain JSON numbers (settings are stored and edited as JSON); the breaker converts the
 * money limits to Decimal before comparing, so comparisons stay exact.
 */
import { z } from "zod";

/** What the engine does when the breaker trips; the trading state becomes HALTED in every case. */
export const TRIP_ACTIONS = ["HALT", "HALT_CANCEL", "HALT_CANCEL_FLATTEN"] as const;
export type TripAction = (typeof TRIP_ACTIONS)[number];

function describe(input: unknown): string {
  // An input echoed in a message is short: never a megabyte back to the caller.
  if (typeof input === "string") return JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input);
  if (input === undefined) return "nothing";
  if (typeof input === "number" || typeof input === "boolean" || input === null) return String(input);
  return typeof input;
}

function finiteNumber(name: string, nullable = true) {
  const hint = nullable ? ", or null to disable it" : "";
  return z.number({
    error: (issue) => `${name} must be a finite number${hint} (got ${describe(issue.input)}).`,
  });
}

/*
 * Sane ranges: a value of the right type but absurd (a cooldown of 1e300 minutes, a loss limit of 5e-324 %) is
 * refused with the range in words, never saved.
 */

/** A percentage from 0.01 to 100. */
function percentLimit(name: string) {
  const message = (input: unknown) => `${name} must be a percentage from 0.01 to 100 (got ${describe(input)}); use null to disable it.`;
  return finiteNumber(name)
    .gte(0.01, { error: (issue) => message(issue.input) })
    .lte(100, { error: (issue) => message(issue.input) })
    .nullable();
}

/** A money amount in the account currency, from a cent to a trillion (zero would trip on no loss at all). */
function amountLimit(name: string) {
  const message = (input: unknown) => `${name} must be an amount from 0.01 to 1,000,000,000,000 (got ${describe(input)}); use null to disable it.`;
  return finiteNumber(name)
    .gte(0.01, { error: (issue) => message(issue.input) })
    .lte(1e12, { error: (issue) => message(issue.input) })
    .nullable();
}

/** A count of events from 1 (0 would trip before anything happened) to `max`. */
function countLimit(name: string, max: number) {
  const message = (input: unknown) =>
    `${name} must be a whole number from 1 to ${max.toLocaleString("en-US")} (got ${describe(input)}); use null to disable it.`;
  return finiteNumber(name)
    .int({ error: (issue) => message(issue.input) })
    .gte(1, { error: (issue) => message(issue.input) })
    .lte(max, { error: (issue) => message(issue.input) })
    .nullable();
}

/** The longest wait the breaker accepts: 30 days, in minutes. */
export const MAX_BREAKER_MINUTES = 43_200;

export const breakerConfigSchema = z.strictObject(
  {
    /** Realized loss since the UTC day start (or the last reset), as % of that moment's equity. */
    maxDailyLossPct: percentLimit("maxDailyLossPct").default(5),
    /** Realized loss since the UTC day start (or the last reset), in the account currency. */
    maxDailyLossAbs: amountLimit("maxDailyLossAbs").default(null),
    /** Realized loss since the UTC week start (Monday 00:00, or the last reset), as % of that moment's equity. */
    maxWeeklyLossPct: percentLimit("maxWeeklyLossPct").default(null),
    /** Equity drawdown from the peak, as % of the peak. */
    maxDrawdownPct: percentLimit("maxDrawdownPct").default(15),
    /** Equity drawdown from the peak, in the account currency. */
    maxDrawdownAbs: amountLimit("maxDrawdownAbs").default(null),
    /**
     * The portfolio's 99 % 1-day parametric VaR (the figure the gate's maxVarPct uses), as % of equity. The engine
     * measures it with every equity update; an unmeasured VaR (too little history) never trips.
     */
    maxPortfolioVarPct: percentLimit("maxPortfolioVarPct").default(null),
    maxConsecutiveLosses: countLimit("maxConsecutiveLosses", 1_000).default(5),
    /** Orders recorded in the last 60 s (sliding window). */
    maxOrdersPerMinute: countLimit("maxOrdersPerMinute", 10_000).default(30),
    /** Orders recorded in the last 3600 s (sliding window). */
    maxOrdersPerHour: countLimit("maxOrdersPerHour", 100_000).default(500),
    /** Errors in a row (venue rejects, timeouts …); any success clears the streak. */
    maxConsecutiveErrors: countLimit("maxConsecutiveErrors", 1_000).default(5),
    /**
     * Minutes after a system trip at which `tick()` resets the breaker by itself; null = never.
     * Ignored while `requireManualReset` is true, and never applied to MANUAL trips (an emergency
     * stop pulled by a person is lifted by a person).
     */
    autoResetAfterMinutes: finiteNumber("autoResetAfterMinutes")
      .gte(1, {
        error: (issue) =>
          `autoResetAfterMinutes must be from 1 to ${MAX_BREAKER_MINUTES.toLocaleString("en-US")} minutes (30 days) (got ${describe(issue.input)}); use null to never reset automatically.`,
      })
      .lte(MAX_BREAKER_MINUTES, {
        error: (issue) =>
          `autoResetAfterMinutes must be from 1 to ${MAX_BREAKER_MINUTES.toLocaleString("en-US")} minutes (30 days) (got ${describe(issue.input)}); use null to never reset automatically.`,
      })
      .nullable()
      .default(null),
    /** When true only a person (manual reset with a reason) can close the breaker. */
    requireManualReset: z.boolean({ error: (issue) => `requireManualReset must be true or false (got ${describe(issue.input)}).` }).default(true),
    /**
     * The minimum time the breaker stays OPEN after a trip: every reset, manual or automatic, is
     * refused until this many minutes have passed since the trip, unless a person forces it
     * (`reset({ manual: true, force: true, … })`, recorded as forced). 0 = no cooldown.
     * An automatic reset therefore happens at trippedAt + max(autoResetAfterMinutes, cooldownMinutes).
     */
    cooldownMinutes: finiteNumber("cooldownMinutes", false)
      .gte(0, {
        error: (issue) => `cooldownMinutes must be from 0 to ${MAX_BREAKER_MINUTES.toLocaleString("en-US")} minutes (30 days) (got ${describe(issue.input)}).`,
      })
      .lte(MAX_BREAKER_MINUTES, {
        error: (issue) => `cooldownMinutes must be from 0 to ${MAX_BREAKER_MINUTES.toLocaleString("en-US")} minutes (30 days) (got ${describe(issue.input)}).`,
      })
      .default(0),
    tripAction: z
      .enum(TRIP_ACTIONS, {
        error: (issue) => `tripAction must be one of ${TRIP_ACTIONS.join(", ")} (got ${describe(issue.input)}).`,
      })
      .default("HALT_CANCEL"),
  },
  {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `Unknown breaker setting${issue.keys.length > 1 ? "s" : ""}: ${issue.keys.join(", ")}.`
        : "Breaker settings must be an object.",
  },
);

/** Validated settings, every field present (defaults filled in). */
export type BreakerConfig = z.output<typeof breakerConfigSchema>;
/** What a caller may hand in: any subset of the settings. */
export type BreakerConfigInput = z.input<typeof breakerConfigSchema>;

export const DEFAULT_BREAKER_CONFIG: BreakerConfig = breakerConfigSchema.parse({});

/** One readable sentence per problem, e.g. "maxDrawdownPct must be a percentage above 0 and at most 100 (got 150)." */
export function formatConfigErrors(error: z.ZodError): string {
  return error.issues.map((issue) => issue.message).join(" ");
}

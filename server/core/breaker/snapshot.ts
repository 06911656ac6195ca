/**
 * The breaker's latched state as plain JSON (decimals as strings), so the engine can persist it and
 * a tripped breaker stays tripped across restarts.
 */
import { z } from "zod";
import { parseDecimal } from "../money";
import { TRIP_ACTIONS } from "./config";
import { TRIP_REASONS } from "./types";

export const BREAKER_SNAPSHOT_VERSION = 1;

const decimalString = z.string().refine((s) => parseDecimal(s) !== null, { error: "must be a finite decimal string" });
const epochMs = z.number().int().nonnegative();
const count = z.number().int().nonnegative();

const tripSchema = z.object({
  reason: z.enum(TRIP_REASONS),
  message: z.string(),
  action: z.enum(TRIP_ACTIONS),
  trippedAt: epochMs,
  by: z.string(),
});

const historyEntrySchema = z.discriminatedUnion("kind", [
  tripSchema.omit({ trippedAt: true }).extend({ kind: z.literal("TRIP"), at: epochMs }),
  z.object({
    kind: z.literal("RESET"),
    at: epochMs,
    by: z.string(),
    reason: z.string(),
    manual: z.boolean(),
    forced: z.boolean(),
    trippedReason: z.enum(TRIP_REASONS),
  }),
]);

export const breakerSnapshotSchema = z
  .object({
    version: z.literal(BREAKER_SNAPSHOT_VERSION),
    state: z.enum(["CLOSED", "OPEN"]),
    trip: tripSchema.nullable(),
    dayStart: epochMs,
    dailyPnl: decimalString,
    dayStartEquity: decimalString.nullable(),
    /** Optional: snapshots written before the weekly limit existed start the week at their day. */
    weekStart: epochMs.optional(),
    weeklyPnl: decimalString.optional(),
    weekStartEquity: decimalString.nullable().optional(),
    equity: decimalString.nullable(),
    peakEquity: decimalString.nullable(),
    /** Optional: snapshots written before the VaR input existed have no measurement. */
    portfolioVarPct: z.number().nonnegative().nullable().optional(),
    consecutiveLosses: count,
    consecutiveErrors: count,
    orderTimes: z.array(epochMs),
    history: z.array(historyEntrySchema),
  })
  .refine((s) => (s.state === "OPEN") === (s.trip !== null), {
    error: "state must be OPEN exactly when a trip is recorded",
  });

export type BreakerSnapshot = z.output<typeof breakerSnapshotSchema>;

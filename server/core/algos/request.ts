/**
 * What a person, a signal or a desk setting asks of an algorithm (`algo: { kind, … }`), as a zod schema with bounds,
 * and its translation into the state machine's AlgoConfig. Durations arrive in seconds (people type seconds), the
 * config holds ms. Pure: the settings' defaults (chaser timeout and retries) are passed in.
 */
import { z } from "zod";
import { D, type Decimal } from "../money";
import { learnVolumeProfile, type VolumeProfile } from "./volume-profile";
import type { AlgoConfig, EndBehaviour, RestartPolicy } from "./types";

const seconds = (what: string, min: number, max: number) =>
  z
    .number({ error: `${what} must be a number of seconds` })
    .int(`${what} must be a whole number of seconds`)
    .min(min, `${what} must be at least ${min} s`)
    .max(max, `${what} must be at most ${max} s`);
const fraction = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .min(0, `${what} must be from 0 to 1`)
    .max(1, `${what} must be from 0 to 1`);
const positiveDecimal = (what: string) =>
  z
    .string({ error: `${what} must be a decimal number in a string` })
    .max(40, `${what} is too long`)
    .regex(/^\d+(\.\d+)?$/, `${what} must be a positive decimal number, e.g. "0.5"`)
    .refine((v) => D(v).greaterThan(0), `${what} must be above zero`);

const DAY = 86_400;

export const algoRequestSchema = z.discriminatedUnion(
  "kind",
  [
    z
      .object({
        kind: z.literal("twap"),
        horizonSeconds: seconds("horizonSeconds", 1, 7 * DAY),
        intervalSeconds: seconds("intervalSeconds", 1, 7 * DAY),
        sizeJitter: fraction("sizeJitter").optional(),
        timeJitter: fraction("timeJitter").optional(),
      })
      .strict(),
    z
      .object({
        kind: z.literal("vwap"),
        horizonSeconds: seconds("horizonSeconds", 1, 7 * DAY),
        intervalSeconds: seconds("intervalSeconds", 1, 7 * DAY),
      })
      .strict(),
    z
      .object({
        kind: z.literal("iceberg"),
        /** The visible quantity; or `displayFraction` of the order (one of the two). */
        displayQty: positiveDecimal("displayQty").optional(),
        displayFraction: z.number().gt(0, "displayFraction must be above 0").max(1, "displayFraction must be at most 1").optional(),
        displayJitter: z.number().min(0).max(0.9, "displayJitter must be from 0 to 0.9").optional(),
        horizonSeconds: seconds("horizonSeconds", 1, 30 * DAY).optional(),
      })
      .strict()
      .refine((v) => (v.displayQty === undefined) !== (v.displayFraction === undefined), "an iceberg needs displayQty or displayFraction (one of the two)"),
    z
      .object({
        kind: z.literal("pov"),
        rate: z.number({ error: "rate must be a number" }).gt(0, "rate must be above 0").max(1, "rate must be at most 1"),
        maxSliceQty: positiveDecimal("maxSliceQty"),
        horizonSeconds: seconds("horizonSeconds", 1, 7 * DAY).optional(),
      })
      .strict(),
    z
      .object({
        kind: z.literal("chaser"),
        entryPrice: positiveDecimal("entryPrice").optional(),
        timeoutSeconds: seconds("timeoutSeconds", 1, DAY).optional(),
        retryAttempts: z.number().int("retryAttempts must be a whole number").min(0).max(100, "retryAttempts must be at most 100").optional(),
      })
      .strict(),
  ],
  { error: "algo.kind must be one of twap, vwap, iceberg, pov, chaser" },
);
export type AlgoRequest = z.infer<typeof algoRequestSchema>;

export const END_BEHAVIOURS = ["cross", "cancel", "leave"] as const satisfies readonly EndBehaviour[];
export const RESTART_POLICIES = ["resume", "stop"] as const satisfies readonly RestartPolicy[];

/** The chaser's defaults from the desk settings (`order_timeout_seconds`, `retry_attempts`). */
export interface ChaserDefaults {
  timeoutSeconds: number;
  retryAttempts: number;
}

/** The state machine's config for a request (`profile`: VWAP's learned volume profile; flat when none). */
export function algoConfigOf(request: AlgoRequest, defaults: ChaserDefaults, targetQty: Decimal, profile?: VolumeProfile): AlgoConfig {
  switch (request.kind) {
    case "twap":
      return {
        kind: "twap",
        horizonMs: request.horizonSeconds * 1000,
        intervalMs: request.intervalSeconds * 1000,
        sizeJitter: request.sizeJitter ?? 0,
        timeJitter: request.timeJitter ?? 0,
      };
    case "vwap":
      return {
        kind: "vwap",
        horizonMs: request.horizonSeconds * 1000,
        intervalMs: request.intervalSeconds * 1000,
        profile: profile ?? learnVolumeProfile([], 3_600_000),
      };
    case "iceberg":
      return {
        kind: "iceberg",
        // A fraction of the order is a display size like any other (rounded to the step by the planner).
        displayQty: request.displayQty !== undefined ? D(request.displayQty) : targetQty.times(request.displayFraction ?? 1),
        displayJitter: request.displayJitter ?? 0,
        horizonMs: request.horizonSeconds === undefined ? null : request.horizonSeconds * 1000,
      };
    case "pov":
      return {
        kind: "pov",
        rate: D(request.rate),
        maxSliceQty: D(request.maxSliceQty),
        horizonMs: request.horizonSeconds === undefined ? null : request.horizonSeconds * 1000,
      };
    case "chaser":
      return {
        kind: "chaser",
        entryPrice: request.entryPrice === undefined ? null : D(request.entryPrice),
        timeoutMs: (request.timeoutSeconds ?? defaults.timeoutSeconds) * 1000,
        retryAttempts: request.retryAttempts ?? defaults.retryAttempts,
      };
  }
}

/** A short label for lists and reports ("twap 30m/1m", "iceberg 0.1"). */
export function algoLabel(request: AlgoRequest): string {
  const dur = (s: number) => (s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`);
  switch (request.kind) {
    case "twap":
    case "vwap":
      return `${request.kind} ${dur(request.horizonSeconds)}/${dur(request.intervalSeconds)}`;
    case "iceberg":
      return `iceberg ${request.displayQty ?? `${(request.displayFraction ?? 1) * 100}%`}`;
    case "pov":
      return `pov ${request.rate}`;
    case "chaser":
      return "chaser";
  }
}

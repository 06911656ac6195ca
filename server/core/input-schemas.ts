/** Input schemas shared by tRPC procedures and the webhook: everything that enters is checked here, in plain words. */
import { z } from "zod";

/** A lone UTF-16 surrogate (not a character; SQLite and UTF-8 cannot hold it). */
const LONE_SURROGATE = /\p{Surrogate}/u;
/** Control characters (C0, DEL, C1) and bidi overrides: invisible, or they reorder what a person reads. */
const CONTROL = /[\p{Cc}\p{Bidi_Control}\u2028\u2029]/u;

export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/** Text a person reads: well-formed, without control characters. */
export function isPersonText(s: string): boolean {
  return isWellFormed(s) && !CONTROL.test(s);
}

/**
 * Every string an input carries: well-formed Unicode (a lone surrogate cannot reach the database) and bounded.
 * `person: true` for text a person reads (reasons, names): no control characters either.
 */
export const text = (what: string, opts: { max: number; min?: number; person?: boolean; trim?: boolean }) => {
  let s = z.string({ error: `${what} must be text` });
  if (opts.trim !== false) s = s.trim();
  if (opts.min !== undefined && opts.min > 0) s = s.min(opts.min, opts.min === 1 ? `${what} is required` : `${what} needs at least ${opts.min} characters`);
  s = s.max(opts.max, `${what} must be at most ${opts.max} characters`);
  s = s.refine((v) => !LONE_SURROGATE.test(v), `${what} contains a broken character (a lone UTF-16 surrogate)`);
  if (opts.person) s = s.refine((v) => !CONTROL.test(v), `${what} must not contain control characters (line breaks, tabs, direction overrides)`);
  return s;
};

/**
 * A manual mutation's optional idempotency key (server/api/idempotency.ts reads it and takes it out of the input
 * before the schema runs; listed in the schemas so that the client's types know it).
 */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{8,100}$/, "idempotencyKey must be 8 to 100 letters, digits, - or _")
  .optional();

/** A client order id as the desk's inputs take it (the routers' lookups and choices). */
export const clientOrderIdSchema = z
  .string({ error: "clientOrderId is required" })
  .trim()
  .min(1, "clientOrderId is required")
  .max(64, "clientOrderId must be at most 64 characters")
  .regex(/^[A-Za-z0-9._:/-]+$/, "clientOrderId may contain letters, digits and . _ : / - only");

/** A time filter or expiry in epoch milliseconds; `what` names the field in the message. */
export const epochMsSchema = (what: string) =>
  z
    .number({ error: `${what} must be epoch milliseconds` })
    .int(`${what} must be epoch milliseconds`)
    .nonnegative(`${what} must be epoch milliseconds`);

/** The times a timestamp may take: JavaScript's date range (±8.64e15 ms), and not before 1970. */
export const EPOCH_MS_MAX = 8.64e15;

/** Text cut to `max` characters (never in the middle of a surrogate pair), saying how much was left out. */
export function capText(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = /[\uD800-\uDBFF]/.test(s.charAt(max - 1)) ? max - 1 : max;
  return `${s.slice(0, cut)}… (${s.length - cut} more characters)`;
}

/** An input echoed in a message: at most 40 characters. */
export function shortText(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

export const symbolSchema = z
  .string({ error: "symbol is required" })
  .trim()
  .regex(/^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}(:[A-Z0-9]{1,20})?$/, "symbol must look like BTC/USDT");

/** What a signal asks for; the engine's name for one of these is `SignalAction` (engine/types.ts). */
export const SIGNAL_ACTIONS = ["BUY", "SELL", "CLOSE"] as const;

export const reasonSchema = text("the reason", { max: 500, person: true });
export const requiredReasonSchema = text("the reason", { max: 500, person: true }).check(z.minLength(3, "give a reason (at least 3 characters)"));

/** A positive decimal quantity or price as a string: refuses NaN, Infinity, negatives, exponents and absurd sizes. */
export const positiveDecimalString = (what: string) =>
  z.union([z.string(), z.number()], { error: `${what} must be a number` }).transform((v, ctx) => {
    const s = typeof v === "number" ? (Number.isFinite(v) ? String(v) : "") : v.trim();
    if (!/^\d+(\.\d+)?$/.test(s)) {
      ctx.addIssue({ code: "custom", message: `${what} must be a positive decimal number like 0.015, got '${shortText(String(v))}'` });
      return z.NEVER;
    }
    const n = Number(s);
    if (!(n > 0)) {
      ctx.addIssue({ code: "custom", message: `${what} must be above 0` });
      return z.NEVER;
    }
    if (n > 1e12) {
      ctx.addIssue({ code: "custom", message: `${what} ${shortText(s)} is absurdly large` });
      return z.NEVER;
    }
    return s;
  });

/** A venue id as the desk names one (`binance-main`, `sim-a`). */
export const venueIdSchema = z
  .string({ error: "venue must be text" })
  .trim()
  .regex(/^[A-Za-z0-9._-]{1,40}$/, "venue must be a venue id such as binance-main (letters, digits, . _ -, at most 40)");

/** A strategy name as a filter (`sma-cross`, `manual` for what people placed). */
export const strategyNameSchema = text("strategy", { min: 1, max: 64, person: true });

/** The attribution filters every list of orders, positions and trades takes (applied in the query). */
export const attributionFilterShape = {
  venue: venueIdSchema.optional(),
  symbol: symbolSchema.optional(),
  strategy: strategyNameSchema.optional(),
};

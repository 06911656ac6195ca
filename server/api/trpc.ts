/**
 * tRPC base: superjson, the error shape, and the procedure ladder public → viewer → trader → admin.
 *
 * Errors: `error.data.code` is tRPC's code (UNAUTHORIZED, FORBIDDEN …); `error.data.domainCode` is ours
 * (BAD_CREDENTIALS, TRADING_HALTED …, or VALIDATION for bad input); `error.data.zodError` holds input problems as
 * `{ formErrors: string[], fieldErrors: { [field]: string[] } }` and the message then lists them in plain words.
 * Unexpected errors say "Internal error" in production (the route handler logs them).
 */
import { initTRPC } from "@trpc/server";
import { hasRole, withArticle, type Role } from "../auth/roles";
import type { Actor } from "../engine/types";
import { type Context } from "./context";
import { DomainError, isDomainError, toTrpcError } from "./errors";
import { scrubDeep } from "./venue-errors";
import { runOnce, splitIdempotencyKey } from "./idempotency";
import { capText } from "../core/input-schemas";
import { plainInputTransformer } from "./plain-input";

export interface FlatInputError {
  formErrors: string[];
  fieldErrors: Record<string, string[]>;
}

interface IssueLike {
  message: string;
  path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>;
}

function inputIssues(cause: unknown): IssueLike[] | null {
  if (!(cause instanceof Error)) return null;
  const issues = (cause as { issues?: unknown }).issues;
  if (!Array.isArray(issues) || issues.length === 0) return null;
  return issues.every((i) => typeof (i as { message?: unknown }).message === "string") ? (issues as IssueLike[]) : null;
}

export function flattenIssues(issues: IssueLike[]): FlatInputError {
  const flat: FlatInputError = { formErrors: [], fieldErrors: {} };
  for (const issue of issues) {
    const path = (issue.path ?? []).map((p) => String(typeof p === "object" ? p.key : p));
    if (path.length === 0) flat.formErrors.push(issue.message);
    else (flat.fieldErrors[path.join(".")] ??= []).push(issue.message);
  }
  return flat;
}

function sentence(s: string): string {
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

/** Caps on what an error echoes back: an input of a megabyte must not come back in the message (or the log). */
export const MESSAGE_LIMITS = { perIssue: 300, total: 2_000 } as const;

function capFlat(flat: FlatInputError): FlatInputError {
  const cap = (m: string) => capText(m, MESSAGE_LIMITS.perIssue);
  return {
    formErrors: flat.formErrors.slice(0, 20).map(cap),
    fieldErrors: Object.fromEntries(
      Object.entries(flat.fieldErrors)
        .slice(0, 50)
        .map(([field, msgs]) => [capText(field, 100), msgs.slice(0, 5).map(cap)]),
    ),
  };
}

function describe(flat: FlatInputError): string {
  // zod's generic messages start with "Invalid input: " themselves; say it once.
  const clean = (m: string) => m.replace(/^Invalid input: /, "");
  const parts = [
    ...flat.formErrors.map(clean),
    ...Object.entries(flat.fieldErrors).map(([field, msgs]) => `${field}: ${msgs.map((m) => sentence(clean(m))).join(" ")}`),
  ];
  return `Invalid input: ${parts.map(sentence).join(" ")}`;
}

const t = initTRPC.context<Context>().create({
  transformer: plainInputTransformer,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const issues = error.code === "BAD_REQUEST" ? inputIssues(cause) : null;
    const zodError = issues ? capFlat(flattenIssues(issues)) : null;
    const domainCode = isDomainError(cause) ? cause.code : zodError ? "VALIDATION" : null;
    let message = capText(zodError ? describe(zodError) : shape.message, MESSAGE_LIMITS.total);
    if (error.code === "INTERNAL_SERVER_ERROR" && !isDomainError(cause) && process.env.NODE_ENV === "production") {
      message = "Internal error; the server log has the details.";
    }
    return {
      ...shape,
      message,
      data: { ...shape.data, domainCode, zodError, details: isDomainError(cause) ? (cause.details ?? null) : null },
    };
  },
});

export const router = t.router;
export const mergeRouters = t.mergeRouters;
export const createCallerFactory = t.createCallerFactory;
export const middleware = t.middleware;

/** DomainErrors thrown anywhere below become tRPC errors with the right code (the formatter adds domainCode). */
const mapDomainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.code === "INTERNAL_SERVER_ERROR" && isDomainError(result.error.cause)) {
    throw toTrpcError(result.error.cause);
  }
  return result;
});

/** The person a procedure acts for, as the engine and the audit log name them. */
export function actorOf(user: { username: string; role: Role }): Actor {
  return { username: user.username, role: user.role };
}

/** Signed in with at least `required`; the context then carries `user` and `actor` (so routers never build one). */
function requireRole(required: Role) {
  return t.middleware(({ ctx, next }) => {
    const user = ctx.user;
    if (!user) throw toTrpcError(new DomainError("UNAUTHORIZED", "Sign in first."));
    if (!hasRole(user.role, required)) {
      throw toTrpcError(new DomainError("FORBIDDEN", `This needs the ${required} role; you are ${withArticle(user.role)}.`, { required, actual: user.role }));
    }
    return next({ ctx: { ...ctx, user, actor: actorOf(user) } });
  });
}

/**
 * Manual mutations (trader and admin, but user management) take an optional `idempotencyKey` (./idempotency.ts):
 * taken out of the input before the schema reads it, and a retried call with the same key gets the first answer
 * instead of acting twice.
 */
const idempotent = t.middleware(async ({ ctx, type, path, getRawInput, next }) => {
  // Not user management: its answers carry one-time passwords, which are never kept.
  if (type !== "mutation" || !ctx.user || path.startsWith("auth.")) return next();
  const split = splitIdempotencyKey(await getRawInput());
  if (!split) return next();
  const { key, input } = split;
  type Result = Awaited<ReturnType<typeof next>>;
  return runOnce<Result>(
    { actor: ctx.user.username, key, path, input },
    () => next({ getRawInput: () => Promise.resolve(input) }),
    // The shape tRPC's procedure caller reads from a middleware.
    (data) => ({ ok: true, data, marker: "middlewareMarker" }) as unknown as Result,
  );
});

/** Anyone, signed in or not (sign-in, me, health). */
export const publicProcedure = t.procedure.use(mapDomainErrors);
/**
 * Viewers read exchange errors as a category and a sentence of ours, not the exchange's own text (venue-errors.ts).
 * Subscriptions scrub per event themselves (live-events.ts).
 */
const scrubVenueErrorsForViewers = t.middleware(async ({ ctx, type, next }) => {
  const result = await next();
  if (!result.ok || type === "subscription" || ctx.user?.role !== "viewer") return result;
  return { ...result, data: scrubDeep(result.data) };
});

/** Signed in: sees everything, changes nothing. */
export const viewerProcedure = publicProcedure.use(requireRole("viewer")).use(scrubVenueErrorsForViewers);
/** Close, cancel, manual orders, pause/resume, emergency stop. */
export const traderProcedure = publicProcedure.use(requireRole("trader")).use(idempotent);
/** Breaker reset, limits and settings, users. */
export const adminProcedure = publicProcedure.use(requireRole("admin")).use(idempotent);

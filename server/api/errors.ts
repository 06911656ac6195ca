/**
 * Domain errors → tRPC errors, at the edge only. Routers throw (or `unwrap`) DomainErrors; the procedures'
 * middleware (./trpc.ts) turns them into TRPCErrors with `toTrpcError`, and the error formatter puts the domain
 * code in `error.data.domainCode` (tRPC's own `error.data.code` stays the tRPC code).
 */
import { TRPCError } from "@trpc/server";
import { DomainError, isDomainError } from "../core/errors";

export { DomainError, isDomainError };

export type TrpcCode = TRPCError["code"];

/**
 * Known domain codes and their tRPC codes. A code not listed is a refusal of a well-formed request by the domain
 * (risk limits, order validation, state …) and maps to PRECONDITION_FAILED.
 */
export const TRPC_CODE_FOR: Readonly<Record<string, TrpcCode>> = {
  // input and identity
  VALIDATION: "BAD_REQUEST",
  BAD_REQUEST: "BAD_REQUEST",
  INVALID_USERNAME: "BAD_REQUEST",
  INVALID_ROLE: "BAD_REQUEST",
  WEAK_PASSWORD: "BAD_REQUEST",
  UNAUTHORIZED: "UNAUTHORIZED",
  BAD_CREDENTIALS: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  ACCOUNT_DISABLED: "FORBIDDEN",
  RATE_LIMITED: "TOO_MANY_REQUESTS",
  // lookups and conflicts
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  ALREADY_EXISTS: "CONFLICT",
  DUPLICATE: "CONFLICT",
  LAST_ADMIN: "CONFLICT",
  // trading state
  TRADING_HALTED: "PRECONDITION_FAILED",
  REDUCING_ONLY: "PRECONDITION_FAILED",
  BREAKER_TRIPPED: "PRECONDITION_FAILED",
  // infrastructure
  ENGINE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  VENUE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  VENUE_ERROR: "BAD_GATEWAY",
  // the engine's database failed (memory reloaded) or this process lost its lease: the desk cannot act now
  STORE_ERROR: "SERVICE_UNAVAILABLE",
  STORE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  LEASE_LOST: "SERVICE_UNAVAILABLE",
  TIMEOUT: "TIMEOUT",
  NOT_IMPLEMENTED: "NOT_IMPLEMENTED",
  INTERNAL: "INTERNAL_SERVER_ERROR",
};

export function trpcCodeFor(domainCode: string): TrpcCode {
  return TRPC_CODE_FOR[domainCode] ?? "PRECONDITION_FAILED";
}

/** Any thrown value → a TRPCError. DomainErrors keep their message and ride along as `cause`. */
export function toTrpcError(e: unknown): TRPCError {
  if (e instanceof TRPCError) return e;
  if (isDomainError(e)) return new TRPCError({ code: trpcCodeFor(e.code), message: e.message, cause: e });
  return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: e instanceof Error ? e.message : String(e), cause: e });
}

/** The value of a core `Result`, or throw its refusal as a DomainError (keeps routers one line long). */
export function unwrap<T>(result: { ok: true; value: T } | { ok: false; error: { code: string; message: string; details?: Record<string, unknown> } }): T {
  if (result.ok) return result.value;
  throw DomainError.from(result.error);
}

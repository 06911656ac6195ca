/**
 * The one refusal vocabulary, from the core to the API edge: a code a program can match and a sentence a person
 * understands.
 *
 * - `Refusal` is the value: every refusal in the code base has this shape, whatever produced it.
 * - `Result<T>`, the order FSM's `ApplyResult` and the engine's `CommandResult` all say "no" the same way:
 *   `{ ok: false, error: Refusal }`.
 * - `DomainError` is the thrown form for services (auth, engine commands, repositories); `toTrpcError`
 *   (server/api/errors.ts) maps it to a tRPC error at the edge. `DomainError.from(result.error)` throws a refusal.
 *
 * This file has no imports on purpose: every layer can use it.
 */
export interface Refusal<C extends string = string> {
  code: C;
  message: string;
  /** Optional machine-readable context (limit, actual value, symbol …). */
  details?: Record<string, unknown>;
}

export type Result<T, C extends string = string> = { ok: true; value: T } | { ok: false; error: Refusal<C> };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function err<C extends string>(code: C, message: string, details?: Record<string, unknown>): { ok: false; error: Refusal<C> } {
  return { ok: false, error: refusal(code, message, details) };
}

export function refusal<C extends string>(code: C, message: string, details?: Record<string, unknown>): Refusal<C> {
  return details ? { code, message, details } : { code, message };
}

export class DomainError extends Error implements Refusal {
  override readonly name = "DomainError";
  readonly code: string;
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.code = code;
    if (details) this.details = details;
  }

  /** From a refusal value `{ code, message, details? }`. */
  static from(e: Refusal): DomainError {
    return new DomainError(e.code, e.message, e.details);
  }
}

/** True for a DomainError, also across duplicated module instances (bundler chunks). */
export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError || (e instanceof Error && e.name === "DomainError" && typeof (e as { code?: unknown }).code === "string");
}

/**
 * A typed refusal that crosses the API edge: a code a program can match and a plain sentence a person understands.
 * Services (auth, engine commands, repositories) throw it; `toTrpcError` (./errors.ts) maps it to a tRPC error.
 * Shape-compatible with the core's value type `DomainError` (server/core/result.ts), so a core refusal can be thrown
 * with `DomainError.from(result.error)`.
 *
 * This file has no imports on purpose: server/auth and the engine can use it without depending on tRPC.
 */
export class DomainError extends Error {
  override readonly name = "DomainError";
  readonly code: string;
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.code = code;
    if (details) this.details = details;
  }

  /** From a core refusal value `{ code, message, details? }`. */
  static from(e: { code: string; message: string; details?: Record<string, unknown> }): DomainError {
    return new DomainError(e.code, e.message, e.details);
  }
}

/** True for a DomainError, also across duplicated module instances (bundler chunks). */
export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError || (e instanceof Error && e.name === "DomainError" && typeof (e as { code?: unknown }).code === "string");
}

/**
 * Domain refusals are values, not exceptions: a code a program can match and a message a person understands.
 */
export interface DomainError<C extends string = string> {
  code: C;
  message: string;
  /** Optional machine-readable context (limit, actual value, symbol …). */
  details?: Record<string, unknown>;
}

export type Result<T, C extends string = string> = { ok: true; value: T } | { ok: false; error: DomainError<C> };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function err<C extends string>(code: C, message: string, details?: Record<string, unknown>): { ok: false; error: DomainError<C> } {
  return { ok: false, error: details ? { code, message, details } : { code, message } };
}

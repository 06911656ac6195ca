/**
 * Append-only audit entries written outside the engine (sign-in, sign-out, user management, backtest runs) — the engine
 * writes its own in the command's transaction (DESIGN.md invariant 9). In db so auth and services share one `audited`.
 */
import { boundedJson, boundedText } from "../core/bounded-json";
import { type Clock } from "../core/clock";
import { isDomainError } from "../core/errors";
import { db } from "./client";

const wallClock: Clock = { now: () => Date.now() };

export interface AuditEntry {
  actor: string;
  role: string;
  action: string;
  target?: string | null;
  reason?: string | null;
  /** Never include passwords or tokens. */
  params?: Record<string, unknown> | null;
  result: "OK" | "REFUSED" | "ERROR";
  detail?: string | null;
}

export async function recordAudit(entry: AuditEntry, clock: Clock = wallClock): Promise<void> {
  await db().auditLog.create({
    data: {
      ts: clock.now(),
      actor: entry.actor,
      role: entry.role,
      action: entry.action,
      target: boundedText(entry.target, 200),
      reason: boundedText(entry.reason),
      // Bounded and safe whatever the caller put in (see core/bounded-json).
      params: entry.params ? JSON.stringify(boundedJson(entry.params)) : null,
      result: entry.result,
      detail: boundedText(entry.detail),
    },
  });
}

/** Who acted, as the audit log records them: a signed-in person (the API's `ctx.actor`) or a tool (`cli:alice`, role "cli"). */
export interface Auditor {
  username: string;
  role: string;
}

/**
 * Runs a user-management action and audits it: OK, REFUSED (a DomainError, with its message) or ERROR. The one wrapper
 * for the API's auth router and the user CLI (the engine audits its own commands inside their transaction).
 */
export async function audited<T>(by: Auditor, action: string, target: string | null, params: Record<string, unknown> | null, fn: () => Promise<T>): Promise<T> {
  const base = { actor: by.username, role: by.role, action, target, params };
  let value: T;
  try {
    value = await fn();
  } catch (e) {
    const entry: AuditEntry = { ...base, result: isDomainError(e) ? "REFUSED" : "ERROR", detail: e instanceof Error ? e.message : String(e) };
    // the caller gets the original error even when the audit write fails too
    await recordAudit(entry).catch((auditError: unknown) => console.error(`audit: could not record ${action} by ${entry.actor}:`, auditError));
    throw e;
  }
  await recordAudit({ ...base, result: "OK" });
  return value;
}

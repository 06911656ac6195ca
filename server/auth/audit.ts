/** Append-only audit entries for sign-in, sign-out and user management (DESIGN.md invariant 7). */
import { boundedJson, boundedText } from "../core/bounded-json";
import { type Clock } from "../core/clock";
import { db } from "../db/client";
import { wallClock } from "./clock";

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

/**
 * The audit log, read-only. `audit_log` is append-only (DESIGN.md invariant 7): the engine and the auth code append
 * to it; there is no procedure that updates or deletes an entry, and none may be added.
 */
import type { AuditLog } from "../db/generated/client";
import { auditActorsAndActions, auditRows, type AuditFilter } from "../db/queries/audit";

export interface AuditListInput extends AuditFilter {
  limit: number;
}

/** An audit row as the API shows it: the params as one readable line instead of their JSON. */
export type AuditEntryDto = Omit<AuditLog, "params"> & {
  /** `key=value, …` from the JSON params, at most PARAMS_SUMMARY_MAX characters. */
  paramsSummary: string | null;
};

const PARAMS_SUMMARY_MAX = 200;

function scalar(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "string") return v.length > 40 ? `${v.slice(0, 39)}…` : v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  const json = JSON.stringify(v);
  return json.length > 40 ? `${json.slice(0, 39)}…` : json;
}

/** One line a person can read: `flatten=true, percent=50`. Unparseable params are shown as they are (truncated). */
export function summarizeParams(params: string | null): string | null {
  if (params === null || params === "") return null;
  let text: string;
  try {
    const value: unknown = JSON.parse(params);
    if (value && typeof value === "object" && !Array.isArray(value)) {
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      if (entries.length === 0) return null;
      text = entries.map(([k, v]) => `${k}=${scalar(v)}`).join(", ");
    } else {
      text = scalar(value);
    }
  } catch {
    text = params;
  }
  return text.length > PARAMS_SUMMARY_MAX ? `${text.slice(0, PARAMS_SUMMARY_MAX - 1)}…` : text;
}

/** Newest first; `nextCursor` is null on the last page. */
export async function listAudit(input: AuditListInput): Promise<{ entries: AuditEntryDto[]; nextCursor: number | null }> {
  const { limit, ...filter } = input;
  const rows = await auditRows(filter, limit + 1);
  const page = rows.slice(0, input.limit);
  return {
    entries: page.map((r) => ({
      id: r.id,
      ts: r.ts,
      actor: r.actor,
      role: r.role,
      action: r.action,
      target: r.target,
      reason: r.reason,
      result: r.result,
      detail: r.detail,
      paramsSummary: summarizeParams(r.params),
    })),
    nextCursor: rows.length > input.limit ? page[page.length - 1]!.id : null,
  };
}

/** The actors and actions that occur, for the filter selects. */
export function auditFacets(): Promise<{ actors: string[]; actions: string[]; symbols: string[] }> {
  return auditActorsAndActions();
}

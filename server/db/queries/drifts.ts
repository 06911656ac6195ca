/**
 * The read side of reconciliation drifts. The table is append-only: a drift is resolved either when it was recorded
 * (`resolved`), or by a later resolution row (kinds in `resolutionKinds`) whose `detail.resolves` names it by id
 * (`{ id }`) or by kind on the same subject (`{ kind }`).
 */
import { db } from "../client";
import { decodeJson } from "../codec";
import type { Prisma } from "../generated/client";

export interface DriftResolution {
  id: number;
  ts: number;
  resolution: string | null;
}

/** Which drifts later rows resolved: by id, and by `kind\u0000subject`. */
export interface DriftResolutions {
  byId: Map<number, DriftResolution>;
  byKindSubject: Map<string, DriftResolution>;
}

/** A drift's JSON detail, or the text itself when it is not JSON. */
export function driftDetail(text: string): unknown {
  try {
    return decodeJson<unknown>(text);
  } catch {
    return text;
  }
}

export async function driftResolutions(resolutionKinds: readonly string[]): Promise<DriftResolutions> {
  const rows = await db().reconciliationDrift.findMany({ where: { kind: { in: [...resolutionKinds] } }, orderBy: { id: "asc" } });
  const byId = new Map<number, DriftResolution>();
  const byKindSubject = new Map<string, DriftResolution>();
  for (const row of rows) {
    const resolves = (driftDetail(row.detail) as { resolves?: { id?: unknown; kind?: unknown } } | null)?.resolves;
    const value = { id: row.id, ts: row.ts, resolution: row.resolution };
    if (typeof resolves?.id === "number") byId.set(resolves.id, value);
    if (typeof resolves?.kind === "string") byKindSubject.set(`${resolves.kind}\u0000${row.subject}`, value);
  }
  return { byId, byKindSubject };
}

export interface DriftQuery {
  status: "open" | "resolved" | "all";
  kind?: string;
  subject?: string;
  fromMs?: number;
  toMs?: number;
  limit: number;
  offset: number;
}

/** One page of drifts (newest first) with the filter's total, the open count and the kinds that occur. */
export async function driftPage(input: DriftQuery, resolutionKinds: readonly string[], { byId, byKindSubject }: DriftResolutions) {
  const resolvedIds = [...byId.keys()];
  const resolvedPairs = [...byKindSubject.keys()].map((key) => {
    const [kind, subject] = key.split("\u0000") as [string, string];
    return { kind, subject };
  });
  const laterResolved: Prisma.ReconciliationDriftWhereInput[] = [...(resolvedIds.length > 0 ? [{ id: { in: resolvedIds } }] : []), ...resolvedPairs];
  const isResolved = { OR: [{ resolved: true }, ...laterResolved] };
  const isOpen = { resolved: false, ...(laterResolved.length > 0 ? { NOT: { OR: laterResolved } } : {}) };
  const base = {
    kind: input.kind !== undefined ? input.kind : { notIn: [...resolutionKinds] },
    ...(input.subject !== undefined && { subject: input.subject }),
    ...((input.fromMs !== undefined || input.toMs !== undefined) && {
      ts: { ...(input.fromMs !== undefined && { gte: input.fromMs }), ...(input.toMs !== undefined && { lt: input.toMs }) },
    }),
  };
  const where = input.status === "open" ? { AND: [base, isOpen] } : input.status === "resolved" ? { AND: [base, isResolved] } : base;
  const [rows, total, open, kinds] = await Promise.all([
    db().reconciliationDrift.findMany({ where, orderBy: { id: "desc" }, take: input.limit, skip: input.offset }),
    db().reconciliationDrift.count({ where }),
    db().reconciliationDrift.count({ where: { AND: [{ kind: { notIn: [...resolutionKinds] } }, isOpen] } }),
    db().reconciliationDrift.findMany({ distinct: ["kind"], select: { kind: true }, orderBy: { kind: "asc" } }),
  ]);
  return { rows, total, open, kinds: kinds.map((k) => k.kind) };
}

export function driftById(id: number) {
  return db().reconciliationDrift.findUnique({ where: { id } });
}

/** The latest drifts, resolution rows included (the overview's alerts). */
export function recentDrifts(take: number) {
  return db().reconciliationDrift.findMany({ orderBy: { ts: "desc" }, take });
}

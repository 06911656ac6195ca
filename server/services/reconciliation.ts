/**
 * Reconciliation, for the dashboard: every drift recorded (resolved or not), the unknown orders the engine found
 * at the venue, and the trader's choices — adopt or cancel an unknown order, acknowledge a drift — as audited
 * engine commands.
 *
 * The drift table is append-only: a drift is resolved either when it was recorded (`resolved`), or by a later
 * resolution row (kinds in DRIFT_RESOLUTION_KINDS) whose `detail.resolves` names it by id (`{ id }`, an
 * acknowledgement) or by kind on the same subject (`{ kind }`, e.g. an UNKNOWN_ORDER adopted, canceled or gone).
 */
import { DomainError } from "../core/errors";
import { decodeJson } from "../db/codec";
import { db } from "../db/client";
import { DRIFT_RESOLUTION_KINDS, type UnknownOrder } from "../engine/engine";
import type { InDoubtView } from "../engine/in-doubt";
import type { Actor } from "../engine/types";
import { instrumentDto, orderDto, type InstrumentDto, type OrderDto } from "./dto";
import { commandValue, requireEngine } from "./engine";

const RESOLUTIONS: readonly string[] = DRIFT_RESOLUTION_KINDS;

export interface DriftDto {
  id: number;
  ts: number;
  venue: string;
  kind: string;
  subject: string;
  detail: unknown;
  resolved: boolean;
  resolution: string | null;
  /** When a later row resolved it (null when resolved on the spot or open). */
  resolvedAt: number | null;
  /** An unknown order still open at the venue: a trader can adopt or cancel it. */
  actionable: boolean;
}

export interface DriftListInput {
  status: "open" | "resolved" | "all";
  kind?: string;
  subject?: string;
  fromMs?: number;
  toMs?: number;
  limit: number;
  offset: number;
}

interface Resolution {
  id: number;
  ts: number;
  resolution: string | null;
}

function detailOf(text: string): unknown {
  try {
    return decodeJson<unknown>(text);
  } catch {
    return text;
  }
}

/** Which drifts later rows resolved: by id, and by kind + subject. */
async function resolutions(): Promise<{ byId: Map<number, Resolution>; byKindSubject: Map<string, Resolution> }> {
  const rows = await db().reconciliationDrift.findMany({ where: { kind: { in: [...RESOLUTIONS] } }, orderBy: { id: "asc" } });
  const byId = new Map<number, Resolution>();
  const byKindSubject = new Map<string, Resolution>();
  for (const row of rows) {
    const resolves = (detailOf(row.detail) as { resolves?: { id?: unknown; kind?: unknown } } | null)?.resolves;
    const value = { id: row.id, ts: row.ts, resolution: row.resolution };
    if (typeof resolves?.id === "number") byId.set(resolves.id, value);
    if (typeof resolves?.kind === "string") byKindSubject.set(`${resolves.kind}\u0000${row.subject}`, value);
  }
  return { byId, byKindSubject };
}

export async function listDrifts(input: DriftListInput): Promise<{ rows: DriftDto[]; total: number; open: number; kinds: string[] }> {
  const { byId, byKindSubject } = await resolutions();
  const resolvedIds = [...byId.keys()];
  const resolvedPairs = [...byKindSubject.keys()].map((key) => {
    const [kind, subject] = key.split("\u0000") as [string, string];
    return { kind, subject };
  });
  const laterResolved = [...(resolvedIds.length > 0 ? [{ id: { in: resolvedIds } }] : []), ...resolvedPairs];
  const isResolved = { OR: [{ resolved: true }, ...laterResolved] };
  const isOpen = { resolved: false, ...(laterResolved.length > 0 ? { NOT: { OR: laterResolved } } : {}) };
  const base = {
    kind: input.kind !== undefined ? input.kind : { notIn: [...RESOLUTIONS] },
    ...(input.subject !== undefined && { subject: input.subject }),
    ...((input.fromMs !== undefined || input.toMs !== undefined) && {
      ts: { ...(input.fromMs !== undefined && { gte: input.fromMs }), ...(input.toMs !== undefined && { lt: input.toMs }) },
    }),
  };
  const where = input.status === "open" ? { AND: [base, isOpen] } : input.status === "resolved" ? { AND: [base, isResolved] } : base;
  const [rows, total, open, kinds] = await Promise.all([
    db().reconciliationDrift.findMany({ where, orderBy: { id: "desc" }, take: input.limit, skip: input.offset }),
    db().reconciliationDrift.count({ where }),
    db().reconciliationDrift.count({ where: { AND: [{ kind: { notIn: [...RESOLUTIONS] } }, isOpen] } }),
    db().reconciliationDrift.findMany({ distinct: ["kind"], select: { kind: true }, orderBy: { kind: "asc" } }),
  ]);
  const unknown = new Set(unknownOrdersOrEmpty().map((u) => u.clientOrderId));
  return {
    rows: rows.map((row) => {
      const later = byId.get(row.id) ?? byKindSubject.get(`${row.kind}\u0000${row.subject}`) ?? null;
      const resolved = row.resolved || later !== null;
      return {
        id: row.id,
        ts: row.ts,
        venue: row.venue,
        kind: row.kind,
        subject: row.subject,
        detail: detailOf(row.detail),
        resolved,
        resolution: row.resolution ?? later?.resolution ?? null,
        resolvedAt: row.resolved ? null : (later?.ts ?? null),
        actionable: !resolved && row.kind === "UNKNOWN_ORDER" && unknown.has(row.subject),
      };
    }),
    total,
    open,
    kinds: kinds.map((k) => k.kind),
  };
}

function unknownOrdersOrEmpty(): UnknownOrder[] {
  try {
    return requireEngine().unknownOrderList();
  } catch {
    return [];
  }
}

/** Orders open at the venue that Bastion's books do not have, as the last reconciliation saw them (with the desk's instruments, for decimals). */
export function unknownOrders(): { orders: UnknownOrder[]; instruments: InstrumentDto[]; venue: string } {
  const engine = requireEngine();
  return { orders: engine.unknownOrderList(), instruments: engine.instrumentList().map(instrumentDto), venue: engine.venueId() };
}

export async function adoptOrder(clientOrderId: string, actor: Actor, reason: string | null) {
  return commandValue(await requireEngine().adoptOrder(clientOrderId, actor, reason));
}

export async function cancelUnknownOrder(clientOrderId: string, actor: Actor, reason: string | null) {
  return commandValue(await requireEngine().cancelUnknownOrder(clientOrderId, actor, reason));
}

/** An order in doubt with what the books hold of it. */
export interface InDoubtOrderDto extends InDoubtView {
  order: OrderDto | null;
}

/** Orders whose submission had an unknown outcome: looked up by clientOrderId until the venue or a person settles them. */
export function inDoubtOrders(): { orders: InDoubtOrderDto[]; instruments: InstrumentDto[]; venue: string } {
  const engine = requireEngine();
  const open = new Map(engine.state().openOrders.map((o) => [o.clientOrderId, o]));
  return {
    orders: engine.inDoubtList().map((m) => {
      const order = open.get(m.clientOrderId);
      return { ...m, order: order ? orderDto(order) : null };
    }),
    instruments: engine.instrumentList().map(instrumentDto),
    venue: engine.venueId(),
  };
}

export async function adoptInDoubt(clientOrderId: string, actor: Actor, reason: string | null) {
  return commandValue(await requireEngine().adoptInDoubt(clientOrderId, actor, reason));
}

export async function markNotPlaced(clientOrderId: string, actor: Actor, reason: string) {
  return commandValue(await requireEngine().markInDoubtNotPlaced(clientOrderId, actor, reason));
}

export async function acknowledgeDrift(id: number, actor: Actor, reason: string | null) {
  const engine = requireEngine();
  const row = await db().reconciliationDrift.findUnique({ where: { id } });
  if (!row || RESOLUTIONS.includes(row.kind)) throw new DomainError("NOT_FOUND", `There is no drift #${id}.`);
  const { byId, byKindSubject } = await resolutions();
  if (row.resolved || byId.has(id) || byKindSubject.has(`${row.kind}\u0000${row.subject}`)) {
    throw new DomainError("ALREADY_RESOLVED", `Drift #${id} (${row.kind} ${row.subject}) is already resolved.`);
  }
  return commandValue(await engine.acknowledgeDrift({ id, kind: row.kind, subject: row.subject }, actor, reason));
}

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
import type { ReconciliationDrift } from "../db/generated/client";
import { driftById, driftDetail, driftPage, driftResolutions, type DriftQuery } from "../db/queries/drifts";
import { DRIFT_RESOLUTION_KINDS, type UnknownOrder } from "../engine/engine";
import type { InDoubtView } from "../engine/in-doubt";
import type { Actor } from "../engine/types";
import { instrumentDto, orderDto, type InstrumentDto, type OrderDto } from "./dto";
import { commandValue, requireEngine } from "./engine";

const RESOLUTIONS: readonly string[] = DRIFT_RESOLUTION_KINDS;

/** A drift row as the API shows it: its detail decoded, whether (and when) it is resolved, and whether a trader can act on it. */
export type DriftDto = Omit<ReconciliationDrift, "detail"> & {
  detail: unknown;
  /** When a later row resolved it (null when resolved on the spot or open). */
  resolvedAt: number | null;
  /** An unknown order still open at the venue: a trader can adopt or cancel it. */
  actionable: boolean;
};

export type DriftListInput = DriftQuery;

export async function listDrifts(input: DriftListInput): Promise<{ rows: DriftDto[]; total: number; open: number; kinds: string[] }> {
  const resolutions = await driftResolutions(RESOLUTIONS);
  const { byId, byKindSubject } = resolutions;
  const { rows, total, open, kinds } = await driftPage(input, RESOLUTIONS, resolutions);
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
        detail: driftDetail(row.detail),
        resolved,
        resolution: row.resolution ?? later?.resolution ?? null,
        resolvedAt: row.resolved ? null : (later?.ts ?? null),
        actionable: !resolved && row.kind === "UNKNOWN_ORDER" && unknown.has(row.subject),
      };
    }),
    total,
    open,
    kinds,
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
      return { ...m, order: order ? orderDto(order, engine.venueId()) : null };
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
  const row = await driftById(id);
  if (!row || RESOLUTIONS.includes(row.kind)) throw new DomainError("NOT_FOUND", `There is no drift #${id}.`);
  const { byId, byKindSubject } = await driftResolutions(RESOLUTIONS);
  if (row.resolved || byId.has(id) || byKindSubject.has(`${row.kind}\u0000${row.subject}`)) {
    throw new DomainError("ALREADY_RESOLVED", `Drift #${id} (${row.kind} ${row.subject}) is already resolved.`);
  }
  return commandValue(await engine.acknowledgeDrift({ id, kind: row.kind, subject: row.subject }, actor, reason));
}

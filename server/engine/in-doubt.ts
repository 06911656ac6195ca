/**
 * Orders in doubt (DESIGN invariant 3): a submission whose outcome is unknown (a timeout, "status unknown", a 5xx,
 * a connection lost after sending) is never sent again. The order keeps its FSM status (SUBMITTED) and the books
 * carry this marker — persisted, so it survives a restart — until the venue says what became of the order:
 * - it is looked up by clientOrderId with growing delays (`nextLookupDelayMs`);
 * - found → its state and fills are applied and the marker cleared;
 * - not found → never placed ONLY where the venue documents a fence (a receive window its matching engine itself
 *   enforces) and a lookup sent after the fence plus a clock-skew margin still did not find it (`fenceVerdict`);
 *   otherwise it stays in doubt, an alert is raised after a few lookups, and a person decides (adopt what the venue
 *   shows, or mark it not placed) from the Reconciliation page.
 * Pure: no I/O, time passed in.
 */
import { acceptEvent, type VenueEvent, venueFillEvent } from "../core/orders/events";
import type { VenueFill, VenueOrderSnapshot } from "../venues/venue";

export interface InDoubtMarker {
  clientOrderId: string;
  symbol: string;
  /** When the order went in doubt. */
  since: number;
  /** When the request that may have landed was sent (the fence counts from here). */
  sentAt: number;
  /** The venue's words. */
  reason: string;
  /** Lookups that did not settle it. */
  lookups: number;
  nextLookupAt: number | null;
  lastLookupAt: number | null;
  lastLookupError: string | null;
  /** The venue's documented fence for this order (ms after sending), or null: none can be relied on. */
  fenceMs: number | null;
  /** The operator was alerted (once). */
  alerted: boolean;
}

export interface InDoubtPolicy {
  /** The first lookup, after the order went in doubt. */
  firstDelayMs: number;
  /** Each later lookup waits this many times longer… */
  factor: number;
  /** …up to this. */
  maxDelayMs: number;
  /** Lookups that find nothing before the operator is alerted (without a fence that settles it). */
  alertAfterLookups: number;
  /** Added to a fence: our clock and the venue's may disagree by this much. */
  clockSkewMarginMs: number;
}

export const DEFAULT_IN_DOUBT_POLICY: InDoubtPolicy = { firstDelayMs: 1_000, factor: 2, maxDelayMs: 60_000, alertAfterLookups: 3, clockSkewMarginMs: 5_000 };

/** The pause before lookup number `lookups + 1`: first, first × factor, … capped. */
export function nextLookupDelayMs(lookups: number, policy: InDoubtPolicy): number {
  return Math.min(policy.maxDelayMs, Math.round(policy.firstDelayMs * policy.factor ** Math.max(0, lookups)));
}

/**
 * What a lookup that did not find the order means. `lookupSentAt`: when that lookup was sent (a lookup sent before
 * the fence passed proves nothing: the order could still arrive).
 */
export function fenceVerdict(
  marker: Pick<InDoubtMarker, "fenceMs" | "sentAt">,
  lookupSentAt: number,
  policy: Pick<InDoubtPolicy, "clockSkewMarginMs">,
): "never-placed" | "wait" | "no-fence" {
  if (marker.fenceMs === null) return "no-fence";
  return lookupSentAt >= marker.sentAt + marker.fenceMs + policy.clockSkewMarginMs ? "never-placed" : "wait";
}

/**
 * The events that bring an order the books hold to what the venue shows: accept (`needsAccept`: the books have not
 * seen one), the fills not booked yet, then its end. `booked(tradeId)`: already in the books.
 * Fees: `quoteFee` turns a venue fill's fee into the quote currency the books count in.
 */
export function eventsFromSnapshot(
  needsAccept: boolean,
  snapshot: VenueOrderSnapshot,
  fills: VenueFill[],
  now: number,
  booked: (tradeId: string) => boolean,
  quoteFee: (fill: VenueFill) => VenueFill["fee"],
): VenueEvent[] {
  const coid = snapshot.clientOrderId;
  const events: VenueEvent[] = [];
  const own = fills.filter((f) => f.clientOrderId === coid);
  if (snapshot.status === "REJECTED" && own.length === 0) {
    return [{ clientOrderId: coid, event: { type: "reject", reason: snapshot.reason ?? "rejected by the venue", ts: now } }];
  }
  if (needsAccept) events.push(acceptEvent(coid, snapshot.venueOrderId, now));
  for (const f of own) {
    if (booked(f.tradeId)) continue;
    events.push(venueFillEvent(coid, f, quoteFee(f)));
  }
  if (snapshot.status === "CANCELED")
    events.push({ clientOrderId: coid, event: { type: "cancel", reason: snapshot.reason ?? "canceled at the venue", ts: now } });
  if (snapshot.status === "EXPIRED") events.push({ clientOrderId: coid, event: { type: "expire", ts: now } });
  return events;
}

/** The marker as the API shows it: every field (none is internal or secret); a copy, so the books' marker stays theirs. */
export type InDoubtView = InDoubtMarker;

export function inDoubtView(marker: InDoubtMarker): InDoubtView {
  return { ...marker };
}

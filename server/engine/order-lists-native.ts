/**
 * Native order lists: an OCO pair, a bracket's exits (once its entry filled whole) or an OTO sent to the venue as ONE
 * request (`submitOco` / `submitOto`), where the venue holds such lists (`holdsOcoNatively` / `holdsOtoNatively`).
 * Here: the native/emulated decision at placing, sending the pair (both legs pass the gate and are journaled first),
 * the OTO fallback when the secondary cannot pass the gate yet (the primary goes alone, the list is emulated), and the
 * questions other rooms ask about native legs. The list's state and emulated lifecycle live in order-lists.ts
 * (`OrderLists`, which owns this room and lends it the list's bookkeeping through `NativeListHost`).
 *
 * The venue cancels one OCO leg when the other executes; that end arrives as the leg's own venue event (never an unknown
 * order or a drift). An OTO stays emulated when its primary reduces a position (the secondary would be booked to the
 * position it closes) or its secondary cannot pass the gate before the primary has filled (a spot sell of coins the
 * primary buys). A native OTO's venue places the secondary only on a FULL fill, so a primary canceled after a partial
 * fill ends the list (emulated, a pro-rata secondary goes out).
 */
import { type Decimal, isPositive } from "../core/money";
import type { Order, OrderSpec } from "../core/orders";
import type { OcoListSpec, OtoListSpec, VenueEvent } from "../venues/venue";
import { MANUAL_OWNER } from "./books";
import { requestTerms, type ManualOrderLink } from "./intake";
import type { Actor, CommandResult, ManualOrderRequest, PositionRecord } from "./types";
import { done, fail, type EngineContext } from "./context";
import type { ListLeg, ListLegRole, OrderListKind, OrderListState, OrderListStatus } from "./order-lists-state";

/** Pairs of alternatives (one executing cancels the other). */
export const ALTERNATIVES: Record<OrderListKind, readonly ListLegRole[]> = { OCO: ["first", "second"], OTO: [], BRACKET: ["stop_loss", "take_profit"] };

/** The legs a native list holds at the venue as one unit (ending one there ends the other): an OCO pair, or both OTO orders. */
export function inVenueList(list: OrderListState, role: ListLegRole): boolean {
  return list.execution === "native" && (list.kind === "OTO" || ALTERNATIVES[list.kind].includes(role));
}

/** A leg's alternative (its OCO sibling), if it has one. */
export function siblingLeg(list: OrderListState, leg: ListLeg): ListLeg | null {
  const pair = ALTERNATIVES[list.kind];
  if (!pair.includes(leg.role)) return null;
  return list.legs.find((l) => l !== leg && pair.includes(l.role)) ?? null;
}

/** The order fields a leg's request gives as asked (no terms, tags or routing): previews and shape checks start here. */
export function legOrderFields(l: ListLeg): Pick<OrderSpec, "clientOrderId" | "symbol" | "side" | "type" | "quantity"> {
  const r = l.request;
  return { clientOrderId: l.clientOrderId, symbol: r.symbol, side: r.side, type: r.type, quantity: r.quantity };
}

/** Whether a position is one this order would reduce (the opposite side, still open). */
function reduces(request: ManualOrderRequest): (r: PositionRecord) => boolean {
  const wantSide = request.side === "BUY" ? "LONG" : "SHORT";
  return (r) => r.position.side !== wantSide && isPositive(r.position.quantity);
}

/** What the emulated room lends this one: its bookkeeping of a list. */
export interface NativeListHost {
  working(listId: string): OrderListState | undefined;
  save(list: OrderListState): void;
  settle(list: OrderListState): void;
  endList(list: OrderListState, reason: string, status: OrderListStatus): void;
  noteLeg(list: OrderListState, leg: ListLeg, result: CommandResult): void;
  orderOf(clientOrderId: string): Order | null;
  linkOf(list: OrderListState, leg: ListLeg, placedSibling: ListLeg | null, native?: boolean): ManualOrderLink;
  bracketLegSpec(
    list: OrderListState,
    leg: ListLeg,
    quantity: Decimal,
    positionId: string | null,
  ): { spec: OrderSpec; refPrice: Decimal } | { error: CommandResult };
}

export class NativeLists {
  constructor(
    private readonly cx: EngineContext,
    private readonly host: NativeListHost,
  ) {}

  /**
   * A new OCO or OTO list as one native venue list, where the venue holds it: the placing's answer (an OTO may fall
   * back to emulated after all, `sendPrimaryAlone`); null when the list is emulated (the caller sends its legs).
   */
  placeNative(list: OrderListState, actor: Actor): CommandResult | null {
    const { listId, legs } = list;
    if (list.kind === "OCO" && this.venueHoldsOco(this.ocoPreview(list))) {
      const placed = this.sendNativePair(list, [legs[0]!, legs[1]!], (l, collect, sibling) =>
        this.cx.intake.onManualOrder(l.request, actor, { ...this.host.linkOf(list, l, sibling, true), collect }),
      );
      if (!placed.ok) return placed;
      return done(`OCO list ${listId} placed at ${this.cx.venue.id} as one native order list (${legs.map((l) => l.clientOrderId).join(", ")}).`, {
        listId,
        clientOrderIds: legs.map((l) => l.clientOrderId),
        roles: legs.map((l) => l.role),
        execution: "native",
      });
    }
    // A primary that reduces a position stays emulated: a native secondary, booked now, would belong to the position
    // the primary closes (and be canceled with it); emulated, it is booked once the primary has filled.
    if (list.kind === "OTO" && !this.wouldReduce(legs[0]!.request) && this.venueHoldsOto(this.otoPreview(list))) {
      // Both orders pass the gate and are journaled now; the venue places the secondary when the primary fills in full.
      const placed = this.sendNativePair(
        list,
        [legs[0]!, legs[1]!],
        (l, collect) => this.cx.intake.onManualOrder(l.request, actor, { ...this.host.linkOf(list, l, null, true), collect }),
        ([working, pending], now) => this.cx.venue.submitOto!({ listId, working, pending }, now),
        (primarySpec) => this.sendPrimaryAlone(list, primarySpec),
      );
      if (!placed.ok || list.execution === "emulated") return placed;
      return done(
        `OTO list ${listId} placed at ${this.cx.venue.id} as one native order list (${legs.map((l) => l.clientOrderId).join(", ")}); the venue sends the secondary once the primary fills.`,
        { listId, clientOrderIds: legs.map((l) => l.clientOrderId), roles: legs.map((l) => l.role), execution: "native" },
      );
    }
    return null;
  }

  /** Whether the venue would hold this pair as one native OCO list. */
  private venueHoldsOco(pair: OcoListSpec): boolean {
    return typeof this.cx.venue.submitOco === "function" && this.cx.venue.holdsOcoNatively?.(pair) === true;
  }

  /** Whether an order would reduce an open position, as intake judges it (a person's position, else any it can only reduce). */
  private wouldReduce(request: ManualOrderRequest): boolean {
    const holds = reduces(request);
    const onlyReduces = request.reduceOnly === true || (request.side === "SELL" && this.cx.books.instruments.get(request.symbol)?.kind === "spot");
    return (
      this.cx.books.openPositionsFor(request.symbol, MANUAL_OWNER).some(holds) || (onlyReduces && this.cx.books.openPositionsFor(request.symbol).some(holds))
    );
  }

  /** Whether the venue would hold this pair as one native OTO list. */
  private venueHoldsOto(pair: OtoListSpec): boolean {
    return typeof this.cx.venue.submitOto === "function" && this.cx.venue.holdsOtoNatively?.(pair) === true;
  }

  /** An OTO's orders as the venue would see them (as ocoPreview). */
  private otoPreview(list: OrderListState): OtoListSpec {
    const [working, pending] = this.ocoPreview(list).legs;
    return { listId: list.listId, working, pending };
  }

  /** An OCO's legs as the venue would see them, before the gate (which adds tags, position and venue routing). */
  private ocoPreview(list: OrderListState): OcoListSpec {
    // On a desk with several venues, legs that reduce a position go to its venue (as intake routes them).
    const first = list.legs[0]!.request;
    const venue = first.venue ?? this.reducedPositionVenue(first);
    const spec = (l: ListLeg): OrderSpec => ({ ...legOrderFields(l), ...requestTerms(l.request), ...(venue !== undefined && { venue }) });
    return { listId: list.listId, legs: [spec(list.legs[0]!), spec(list.legs[1]!)] };
  }

  /** The venue of the position an order would reduce (a person's first, else the symbol's oldest), if any. */
  private reducedPositionVenue(request: ManualOrderRequest): string | undefined {
    if (!this.cx.venues) return undefined;
    const holds = reduces(request);
    const reducing = this.cx.books.openPositionsFor(request.symbol, MANUAL_OWNER).find(holds) ?? this.cx.books.openPositionsFor(request.symbol).find(holds);
    return reducing ? this.cx.venueRoom.venueOfPosition(reducing) : undefined;
  }

  /**
   * Sends two alternatives as one native order list. Each leg passes the gate and is journaled (intent + submit) by
   * `place`, which hands its venue spec to `collect` instead of sending it; once both are journaled, one venue request
   * carries them. A leg the gate refuses ends the other one, never sent. A request whose answer is lost puts both legs
   * in doubt (ResilientVenue): they are looked up by their ids, never sent again.
   */
  private sendNativePair(
    list: OrderListState,
    pair: [ListLeg, ListLeg],
    place: (leg: ListLeg, collect: (venueSpec: OrderSpec) => void, placedSibling: ListLeg | null) => CommandResult,
    submit: (specs: [OrderSpec, OrderSpec], now: number) => VenueEvent[] = (specs, now) => this.cx.venue.submitOco!({ listId: list.listId, legs: specs }, now),
    /** OTO: the second order refused before it was journaled — the first goes out alone and the engine emulates the rest. */
    aloneIfSecondRefused?: (firstSpec: OrderSpec) => CommandResult,
  ): CommandResult {
    const collected: OrderSpec[] = [];
    const journaled: ListLeg[] = [];
    list.execution = "native";
    list.mode = "NATIVE";
    this.host.save(list);
    for (const leg of pair) {
      leg.sent = true; // before the venue answers: a fill reported at once must find its leg sent
      this.host.save(list);
      const result = place(leg, (venueSpec) => collected.push(venueSpec), journaled[0] ?? null);
      if (!result.ok) {
        if (!this.host.orderOf(leg.clientOrderId)) leg.sent = false;
        if (aloneIfSecondRefused && journaled.length === 1 && !leg.sent) return aloneIfSecondRefused(collected[0]!);
        for (const other of journaled) this.endUnsent(other.clientOrderId, `its OCO sibling ${leg.clientOrderId} was refused (${result.error.code})`);
        if (list.kind === "OCO") this.host.endList(list, `${leg.role} refused: ${result.error.code}: ${result.error.message}`, "CANCELED");
        else this.host.noteLeg(list, leg, result);
        const undone = journaled.length > 0 ? ` The other leg (${journaled.map((l) => l.clientOrderId).join(", ")}) was not sent.` : "";
        return fail(
          result.error.code,
          `${list.kind} list ${list.listId}: the ${leg.role.replace("_", "-")} order was refused: ${result.error.message}${undone}`,
          {
            listId: list.listId,
            ...result.data,
          },
        );
      }
      journaled.push(leg);
    }
    const now = this.cx.clock.now();
    const venueList: OcoListSpec = { listId: list.listId, legs: [collected[0]!, collected[1]!] };
    let events: VenueEvent[];
    try {
      events = submit(venueList.legs, now);
    } catch (e) {
      // Refused before anything was sent (the adapter's own checks): both legs end REJECTED with its words.
      const reason = e instanceof Error ? e.message : String(e);
      events = venueList.legs.map((l) => ({ clientOrderId: l.clientOrderId, event: { type: "reject" as const, reason, ts: now } }));
      this.cx.gate.onVenueError();
    }
    this.cx.ledger.ingest(events, "venue");
    const rejected = venueList.legs.map((l) => this.host.orderOf(l.clientOrderId)).find((o) => o?.status === "REJECTED");
    if (rejected)
      return fail("VENUE_REJECTED", `${list.kind} list ${list.listId}: ${rejected.reason ?? "the venue rejected the order list."}`, { listId: list.listId });
    this.host.settle(list);
    return done(`order list ${list.listId} sent`, { listId: list.listId });
  }

  /**
   * An OTO whose secondary cannot pass the gate yet (on spot a sell needs the coins the primary buys): the list is
   * emulated after all — its primary, journaled, goes to the venue alone; the secondary is judged and sent when it fills.
   */
  private sendPrimaryAlone(list: OrderListState, primarySpec: OrderSpec): CommandResult {
    list.execution = "emulated";
    list.mode = "EMULATED";
    this.host.save(list);
    const now = this.cx.clock.now();
    let events: VenueEvent[];
    try {
      events = this.cx.venue.submit(primarySpec, now);
    } catch (e) {
      events = [{ clientOrderId: primarySpec.clientOrderId, event: { type: "reject", reason: e instanceof Error ? e.message : String(e), ts: now } }];
      this.cx.gate.onVenueError();
    }
    this.cx.ledger.ingest(events, "venue");
    const primary = this.host.orderOf(primarySpec.clientOrderId);
    if (primary?.status === "REJECTED") {
      this.host.settle(list);
      return fail("VENUE_REJECTED", `OTO list ${list.listId}: ${primary.reason ?? "the venue rejected the primary order."}`, { listId: list.listId });
    }
    this.host.settle(list);
    return done(`OTO list ${list.listId} placed (${primarySpec.clientOrderId}). The secondary is sent once the primary fills.`, {
      listId: list.listId,
      clientOrderIds: list.legs.map((l) => l.clientOrderId),
      roles: list.legs.map((l) => l.role),
      execution: "emulated",
    });
  }

  /** A leg journaled for a native list that never left (its sibling was refused): it ends REJECTED, never sent. */
  private endUnsent(clientOrderId: string, why: string): void {
    const now = this.cx.clock.now();
    this.cx.ledger.ingest([{ clientOrderId, event: { type: "reject", reason: `NOT_SENT: ${why}; nothing reached the venue.`, ts: now } }], "venue");
  }

  /** The bracket's exits as one native OCO list, when the venue holds it; false: not native here (the emulated path runs). */
  sendNativeBracketPair(list: OrderListState, pair: [ListLeg, ListLeg], quantity: Decimal, positionId: string | null): boolean {
    const built = pair.map((leg) => this.host.bracketLegSpec(list, leg, quantity, positionId));
    const [first, second] = built;
    if (!first || !second || "error" in first || "error" in second) return false;
    if (!this.venueHoldsOco({ listId: list.listId, legs: [first.spec, second.spec] })) return false;
    const result = this.sendNativePair(list, pair, (leg, collect, placedSibling) => {
      const { spec, refPrice } = leg === pair[0] ? first : second;
      return this.cx.gate.placeOrder(spec, { refPrice, collect, ...(placedSibling && { exceptClientOrderId: placedSibling.clientOrderId }) });
    });
    // A leg the gate refused was noted by sendNativePair; a list the venue refused is noted here (an unprotected position).
    if (!result.ok && result.error.code === "VENUE_REJECTED") this.host.noteLeg(list, pair[0], result);
    return true;
  }

  /** Whether an order is a leg of a working native order list (an OCO pair, or an OTO's orders). */
  isNativeLeg(clientOrderId: string): boolean {
    const listId = this.host.orderOf(clientOrderId)?.listId;
    const list = listId ? this.host.working(listId) : undefined;
    return list !== undefined && list.legs.some((l) => l.clientOrderId === clientOrderId && inVenueList(list, l.role));
  }

  /** Whether two orders are the two legs of one native OCO list (the venue cancels one when the other executes). */
  nativeSiblings(clientOrderId: string, otherClientOrderId: string): boolean {
    const order = this.host.orderOf(clientOrderId);
    const list = order?.listId ? this.host.working(order.listId) : undefined;
    if (!list || list.execution !== "native") return false;
    const leg = list.legs.find((l) => l.clientOrderId === clientOrderId);
    return leg !== undefined && siblingLeg(list, leg)?.clientOrderId === otherClientOrderId;
  }
}

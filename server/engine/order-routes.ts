/**
 * The routes room: smart order routing of an entry over a desk's venues. The decision is core/algos/routing.ts over
 * each venue's visible book (venue-books.ts) and taker fee — split at the least total cost, or the single best venue —
 * and each venue allocation becomes one child order through the risk gate, tagged `routeId` so the Orders page shows
 * them as one unit. A venue that is down, paused, does not list the symbol, shows no book or a book older than
 * MAX_BOOK_AGE_MS on the desk's clock (routing.ts `untrustedVenue`) is skipped with its reason, and the round records
 * the venues it did not trust;
 * a venue that refuses its child (at once, or later as a real exchange answers) is skipped from then on and the child's
 * quantity is routed again over the others, at most MAX_ROUTE_ROUNDS times per route.
 *
 * What it must never do:
 * - place a child the route record does not know: the decision is saved (journal first) before its children are sent,
 *   and saved again with their outcomes;
 * - bypass the gate: every child is `gate.placeOrder` (DESIGN.md invariant 5); a gate denial stops the route (it is not
 *   the venue's fault, so another venue would be denied the same);
 * - route an order that reduces a position (it goes where the position lives) or one that names its venue.
 */
import { MAX_BOOK_AGE_MS, MAX_VISIBLE_DEPTH, routeOrder, untrustedVenue, type RouteDecision, type Untrusted, type VenueBook } from "../core/algos/routing";
import { cmp, D, Decimal, isPositive, ZERO } from "../core/money";
import type { Order, OrderSide, OrderSpec } from "../core/orders";
import type { RouteMode } from "../core/algos/route-mode";
import type { OrderRouteRecord } from "../db/store";
import { ownerOf } from "./books";
import { done, fail, resultMessage, type EngineContext } from "./context";
import type { CommandResult, PositionRecord } from "./types";

/** Rounds of routing per route (the first, then one per venue refusal): bounded, so a desk of refusing venues ends. */
export const MAX_ROUTE_ROUNDS = 4;

/** Venue refusals that make the venue skip the rest of the route (anything else the gate said stops the route). */
const VENUE_REFUSALS = new Set(["VENUE_REJECTED", "VENUE_HALTED", "VENUE_PAUSED", "UNKNOWN_SYMBOL", "UNKNOWN_VENUE"]);

const NO_BOOK = "shows no order book";

/** Why a child saved with its route's decision but never journaled by the gate is not placed (see restore). */
export const RESTART_NOT_PLACED = "interrupted by a restart before its children were placed; not re-sent";

/** What every child of a route is made of (kept with the route, so a later re-route builds the same children). */
export interface RouteTemplate {
  symbol: string;
  side: OrderSide;
  type: "MARKET" | "LIMIT";
  /** The limit price (LIMIT): no level beyond it is routed to, every child rests at it. */
  price: string | null;
  timeInForce: "GTC" | "IOC" | "FOK";
  postOnly: boolean;
  /** Who the positions belong to: the signal's strategy, or `manual`. */
  owner: string;
  signalId: string | null;
  confidence: number | null;
  stopLoss: number | null;
  takeProfit: number | null;
  manualBy: string | null;
}

/** One venue's line in a round, as stored (decimals as strings). */
export interface RouteVenueLine {
  venue: string;
  status: "allocated" | "unused" | "skipped";
  reason: string;
  bestPrice: string | null;
  visibleQty: string;
  takerFee: string;
  allocatedQty: string;
  wholeQtyNetAmount: string | null;
}

export interface RouteChild {
  clientOrderId: string;
  venue: string;
  qty: string;
  avgPrice: string;
  /** sent: the gate passed it and the venue took it (or has not answered); refused: it said no (reason). */
  outcome: "sent" | "refused";
  reason: string | null;
}

export interface RouteRound {
  round: number;
  at: number;
  qty: string;
  /** Why this round ran: the first routing, or which child was refused. */
  cause: string;
  summary: string;
  unroutedQty: string;
  netAmount: string;
  avgNetPrice: string | null;
  venues: RouteVenueLine[];
  /**
   * The venues this round did not trust (down, or their book stale), with why; absent in routes saved before it was
   * recorded. Their lines in `venues` say the same, as skipped.
   */
  untrusted?: { venue: string; kind: Untrusted["kind"]; reason: string }[];
  children: RouteChild[];
}

/** A routing decision and the venues it did not trust (they are skipped in it with the same reason). */
type Decision = RouteDecision & { untrusted: { venue: string; kind: Untrusted["kind"]; reason: string }[] };

export interface RouteData {
  template: RouteTemplate;
  /** Venues skipped for the rest of the route after refusing a child, with the refusal. */
  refused: { venue: string; reason: string }[];
  rounds: RouteRound[];
  /** Why the route stopped early (a gate denial, rounds used up), or null. */
  stopped: string | null;
}

function routeStatus(requested: Decimal, routed: Decimal): string {
  return !isPositive(routed) ? "FAILED" : cmp(routed, requested) < 0 ? "PARTIAL" : "ROUTED";
}

const str = (d: Decimal | null): string | null => (d === null ? null : d.toString());

/** The venues a decision did not trust, for a route stopped without a round to record them in. */
function untrustedNote(decision: Decision): string {
  return decision.untrusted.length === 0 ? "" : `; not trusted: ${decision.untrusted.map((u) => `${u.venue} ${u.reason}`).join("; ")}`;
}

export class OrderRoutes {
  /** Set while a route places its children: their refusals are handled by that loop, not by onChildOrder. */
  private placing: string | null = null;

  constructor(private readonly cx: EngineContext) {}

  /** Whether a route can be asked for: a desk with more than one venue. */
  applies(): boolean {
    return (this.cx.venues?.ids().length ?? 0) > 1;
  }

  /**
   * Routes `quantity` of an entry (see the header): saves the decision, places the children, re-routes what venues
   * refused. Refused in words when no venue shows a book (a split needs visible depth) or none can take any of it.
   */
  route(template: RouteTemplate, quantity: Decimal, mode: RouteMode): CommandResult {
    const set = this.cx.venues;
    if (!set) return fail("NO_ROUTE", "Routing needs a desk with several venues.");
    const now = this.cx.clock.now();
    const routeId = this.cx.ids.next("rte");
    const data: RouteData = { template, refused: [], rounds: [], stopped: null };
    const first = this.decide(template, quantity, mode, data.refused);
    if (first.allocations.length === 0) {
      // No venue could be trusted with it: said in one sentence, naming each one and why (no fallback: the quoted
      // prices of a desk whose venues are down or silent are no better than their books).
      if (first.untrusted.length > 0 && first.venues.every((v) => v.status === "skipped")) {
        return fail(
          "NO_ROUTE",
          `No venue can be trusted with a ${template.side} of ${quantity.toString()} ${template.symbol} right now, so nothing was routed: ${first.venues.map((v) => `${v.venue} ${v.reason}`).join("; ")}.`,
          { venues: first.venues.map((v) => ({ venue: v.venue, status: v.status, reason: v.reason })), untrusted: first.untrusted },
        );
      }
      // Every venue skipped and some only for want of a book: routing by book is impossible here (the default falls back).
      const noBook = first.venues.every((v) => v.status === "skipped") && first.venues.some((v) => v.reason.startsWith(NO_BOOK));
      return fail(
        noBook ? "NO_VISIBLE_BOOK" : "NO_ROUTE",
        `No venue can take a ${template.side} of ${quantity.toString()} ${template.symbol} by its visible book: ${first.venues.map((v) => `${v.venue}: ${v.reason}`).join("; ")}.${noBook ? " Send it without a route to go to the best quoted price." : ""}`,
        { venues: first.venues.map((v) => ({ venue: v.venue, status: v.status, reason: v.reason })) },
      );
    }
    const record: OrderRouteRecord = {
      id: routeId,
      symbol: template.symbol,
      side: template.side,
      mode,
      requestedQty: quantity,
      routedQty: ZERO,
      status: "ROUTING",
      data,
      createdAt: now,
      updatedAt: now,
    };
    this.runRounds(record, first, "first routing");
    const routed = record.routedQty;
    const rounds = data.rounds;
    const children = rounds.flatMap((r) => r.children);
    const sent = children.filter((c) => c.outcome === "sent");
    const message = `${template.side} ${quantity.toString()} ${template.symbol} routed (${mode}): ${sent.map((c) => `${c.venue} ${c.qty}`).join(", ") || "nothing sent"}${
      data.refused.length > 0 ? `; refused by ${data.refused.map((r) => `${r.venue} (${r.reason})`).join(", ")}` : ""
    }${cmp(routed, quantity) < 0 ? `; ${quantity.minus(routed).toString()} not routed` : ""}${data.stopped ? `; stopped: ${data.stopped}` : ""}.`;
    const result = {
      routeId,
      clientOrderId: sent[0]?.clientOrderId ?? null,
      children: sent.map((c) => c.clientOrderId),
      routedQty: routed.toString(),
      status: record.status,
    };
    return sent.length > 0 ? done(message, result) : fail("ROUTE_FAILED", message, result);
  }

  /** The routing decision over every venue now; `refused` venues are skipped with their refusal. */
  private decide(template: RouteTemplate, quantity: Decimal, mode: RouteMode, refused: readonly { venue: string; reason: string }[]): Decision {
    const set = this.cx.venues!;
    const now = this.cx.clock.now();
    const books: VenueBook[] = [];
    const untrusted: Decision["untrusted"] = [];
    let qtyStep: Decimal | null = null;
    for (const venue of set.ids()) {
      const instrument = set.listing(venue, template.symbol);
      const status = set.member(venue).status();
      const state = set.stateOf(venue);
      const refusal = refused.find((r) => r.venue === venue);
      const book = instrument ? set.visibleBookAt(venue, template.symbol, MAX_VISIBLE_DEPTH) : null;
      const fetchError = set.books.fetchErrors.get(venue);
      const trust =
        instrument && !refusal ? untrustedVenue({ connected: status.connected, lastError: status.lastError, bookTs: book?.ts }, now, MAX_BOOK_AGE_MS) : null;
      const unavailable = !instrument
        ? `does not list ${template.symbol}`
        : refusal
          ? `refused its order: ${refusal.reason}`
          : trust?.kind === "down"
            ? trust.reason
            : state !== "ACTIVE"
              ? `${state.toLowerCase()} (${set.states.get(venue)?.reason ?? ""})`
              : !book
                ? `${NO_BOOK} for ${template.symbol}${fetchError ? ` (fetching it failed: ${fetchError})` : ""}`
                : trust?.reason;
      if (trust && unavailable === trust.reason) untrusted.push({ venue, kind: trust.kind, reason: trust.reason });
      if (instrument && (qtyStep === null || cmp(instrument.qtyStep, qtyStep) > 0)) qtyStep = instrument.qtyStep;
      books.push({
        venue,
        ...(unavailable !== undefined && { unavailable }),
        bids: book?.bids ?? [],
        asks: book?.asks ?? [],
        takerFee: instrument?.takerFee ?? ZERO,
        minQty: instrument?.minQty ?? ZERO,
        minNotional: instrument?.minNotional ?? ZERO,
      });
    }
    const decision = routeOrder({
      side: template.side,
      qty: quantity,
      qtyStep: qtyStep ?? this.cx.books.instruments.get(template.symbol)?.qtyStep ?? new Decimal("0.00000001"),
      mode: mode === "best" ? "single" : "split",
      limitPrice: template.price === null ? null : D(template.price),
      venues: books,
    });
    return { ...decision, untrusted };
  }

  /** Places the decision's children, re-routing refused quantity, until all is placed or the rounds are used up. */
  private runRounds(record: OrderRouteRecord, decision: Decision, cause: string): void {
    const data = record.data as RouteData;
    let current: Decision | null = decision;
    let why = cause;
    while (current) {
      const round: RouteRound = {
        round: data.rounds.length + 1,
        at: this.cx.clock.now(),
        qty: current.requestedQty.toString(),
        cause: why,
        summary: current.summary,
        unroutedQty: current.unfilledQty.toString(),
        netAmount: current.netAmount.toString(),
        avgNetPrice: str(current.avgNetPrice),
        venues: current.venues.map((v) => ({
          venue: v.venue,
          status: v.status,
          reason: v.reason,
          bestPrice: str(v.bestPrice),
          visibleQty: v.visibleQty.toString(),
          takerFee: v.takerFee.toString(),
          allocatedQty: v.allocatedQty.toString(),
          wholeQtyNetAmount: str(v.wholeQtyNetAmount),
        })),
        ...(current.untrusted.length > 0 && { untrusted: current.untrusted }),
        children: [],
      };
      const n0 = data.rounds.reduce((sum, r) => sum + r.children.length, 0);
      round.children = current.allocations.map((a, i) => ({
        clientOrderId: `${record.id}.${n0 + i + 1}`,
        venue: a.venue,
        qty: a.qty.toString(),
        avgPrice: a.avgPrice.toString(),
        outcome: "sent",
        reason: null,
      }));
      data.rounds.push(round);
      // ROUTING until this round's children are placed: a restart finds a route interrupted here (see restore).
      record.status = "ROUTING";
      // Journal first: the decision and the children it is about to send are durable before any of them is placed.
      this.save(record, `route ${record.id} decided (${current.summary}); its child orders are sent next`);
      let refusedQty = ZERO;
      const causes: string[] = [];
      this.placing = record.id;
      try {
        for (const child of round.children) {
          if (data.stopped) {
            child.outcome = "refused";
            child.reason = `not sent: ${data.stopped}`;
            continue;
          }
          const result = this.placeChild(record.id, data.template, child);
          if (result.ok) {
            record.routedQty = record.routedQty.plus(child.qty);
            continue;
          }
          child.outcome = "refused";
          child.reason = `${result.error.code}: ${result.error.message}`;
          if (VENUE_REFUSALS.has(result.error.code)) {
            data.refused.push({ venue: child.venue, reason: result.error.message });
            refusedQty = refusedQty.plus(child.qty);
            causes.push(`${child.venue} refused ${child.clientOrderId} (${result.error.message})`);
          } else {
            data.stopped = `the risk gate denied ${child.clientOrderId}: ${resultMessage(result)}`;
          }
        }
      } finally {
        this.placing = null;
      }
      current = null;
      if (isPositive(refusedQty) && !data.stopped) {
        if (data.rounds.length >= MAX_ROUTE_ROUNDS) data.stopped = `${MAX_ROUTE_ROUNDS} rounds of routing used; ${refusedQty.toString()} not routed again`;
        else {
          current = this.decide(data.template, refusedQty, record.mode as RouteMode, data.refused);
          why = `re-routing ${refusedQty.toString()}: ${causes.join("; ")}`;
          if (current.allocations.length === 0) {
            data.stopped = `no other venue can take the ${refusedQty.toString()} refused (${current.summary}${untrustedNote(current)})`;
            current = null;
          }
        }
      }
      record.status = routeStatus(record.requestedQty, record.routedQty);
      this.save(record);
      if (causes.length > 0 || data.stopped) this.alert(record, current ? `${causes.join("; ")}; routed again` : (data.stopped ?? causes.join("; ")));
    }
  }

  /**
   * At start (after reconciliation) and after a reload: a route still ROUTING was interrupted between saving a round's
   * decision and saving its children's outcomes. A child journaled by the gate (in the books or the store) left and is
   * followed as usual (its venue events come through onChildOrder). A child never journaled never reached its venue:
   * it is recorded as not placed and never re-sent — the market has moved since the decision, so an operator re-submits
   * what is missing (an alert says so) rather than the desk sending it silently on a restart.
   */
  restore(): void {
    for (const record of this.cx.store.loadOpenOrderRoutes()) {
      const data = record.data as RouteData;
      let routed = ZERO;
      const missing: RouteChild[] = [];
      for (const child of data.rounds.flatMap((r) => r.children)) {
        if (child.outcome !== "sent") continue;
        const stored = this.cx.books.orders.get(child.clientOrderId) ?? this.cx.store.getOrder(child.clientOrderId);
        if (!stored) {
          child.outcome = "refused";
          child.reason = RESTART_NOT_PLACED;
          missing.push(child);
        } else if (stored.order.status === "REJECTED" && !isPositive(stored.order.filledQty)) {
          // Refused before the crash and not yet recorded here: not routed again either (the operator re-submits).
          child.outcome = "refused";
          child.reason = `VENUE_REJECTED: ${stored.order.reason ?? "rejected by the venue"}`;
        } else routed = routed.plus(child.qty);
      }
      if (missing.length > 0) data.stopped ??= RESTART_NOT_PLACED;
      record.routedQty = routed;
      record.status = routeStatus(record.requestedQty, routed);
      this.save(record);
      this.cx.log(missing.length > 0 ? "warn" : "info", `route ${record.id} finished after a restart: ${missing.length} child order(s) not placed`);
      if (missing.length > 0) {
        const qty = missing.reduce((sum, c) => sum.plus(c.qty), ZERO);
        this.alert(
          record,
          `${RESTART_NOT_PLACED}: ${missing.map((c) => `${c.clientOrderId} (${c.venue} ${c.qty})`).join(", ")}; ${qty.toString()} is for an operator to re-submit`,
        );
      }
    }
  }

  /** A person watching the desk hears of a venue refusing a routed child and of a route that stopped short. */
  private alert(record: OrderRouteRecord, what: string): void {
    this.cx.bus.publish({
      type: "alert",
      level: "warn",
      message: `Route ${record.id} (${record.side} ${record.requestedQty.toString()} ${record.symbol}): ${what}.`,
    });
  }

  /** `committed`: what an audited command's row says when this write is its first (durably). */
  private save(record: OrderRouteRecord, committed?: string): void {
    record.updatedAt = this.cx.clock.now();
    this.cx.durably(() => this.cx.store.saveOrderRoute({ ...record, data: structuredClone(record.data) }), committed);
  }

  /** One child: an entry at its venue, adding to the owner's position there or opening one. */
  private placeChild(routeId: string, template: RouteTemplate, child: RouteChild): CommandResult {
    const wantSide = template.side === "BUY" ? "LONG" : "SHORT";
    const target: PositionRecord | null =
      this.cx.books
        .openPositionsFor(template.symbol, template.owner)
        .find((r) => ownerOf(r.meta) === template.owner && r.position.side === wantSide && this.cx.venueRoom.venueOfPosition(r) === child.venue) ?? null;
    const positionId = target?.position.id ?? this.cx.ids.next("pos");
    const spec: OrderSpec = {
      clientOrderId: child.clientOrderId,
      symbol: template.symbol,
      side: template.side,
      type: template.type,
      quantity: D(child.qty),
      ...(template.price !== null && { price: template.price }),
      timeInForce: template.timeInForce,
      postOnly: template.postOnly,
      reduceOnly: false,
      tags: {
        positionId,
        reason: "entry",
        strategy: template.owner,
        routeId,
        ...(template.signalId !== null && { signalId: template.signalId }),
        ...(template.manualBy !== null && { manualBy: template.manualBy }),
      },
      venue: child.venue,
    };
    return this.cx.gate.placeOrder(spec, {
      refPrice: template.price !== null ? D(template.price) : D(child.avgPrice),
      ...(template.confidence !== null && { confidence: template.confidence }),
      newPosition: target
        ? null
        : {
            id: positionId,
            side: wantSide,
            meta: {
              strategy: template.owner,
              signalId: template.signalId,
              stopLoss: template.stopLoss,
              takeProfit: template.takeProfit,
              entryOrderId: child.clientOrderId,
            },
          },
    });
  }

  /**
   * A routed child changed (ledger.ts): rejected by its venue after the route placed it (a real exchange answers
   * later), its venue is skipped from then on and its quantity routed again over the others.
   */
  onChildOrder(order: Order): void {
    const routeId = order.tags.routeId;
    if (!routeId || this.placing === routeId || order.status !== "REJECTED" || isPositive(order.filledQty)) return;
    const record = this.cx.store.getOrderRoute(routeId);
    if (!record || !this.cx.venues) return;
    const data = record.data as RouteData;
    const child = data.rounds.flatMap((r) => r.children).find((c) => c.clientOrderId === order.clientOrderId);
    if (!child || child.outcome === "refused") return;
    const reason = order.reason ?? "rejected by the venue";
    child.outcome = "refused";
    child.reason = `VENUE_REJECTED: ${reason}`;
    if (!data.refused.some((r) => r.venue === child.venue)) data.refused.push({ venue: child.venue, reason });
    record.routedQty = record.routedQty.minus(child.qty);
    const qty = D(child.qty);
    if (data.stopped || data.rounds.length >= MAX_ROUTE_ROUNDS) {
      data.stopped ??= `${MAX_ROUTE_ROUNDS} rounds of routing used; ${qty.toString()} not routed again`;
      record.status = routeStatus(record.requestedQty, record.routedQty);
      this.save(record);
      this.alert(record, `${child.venue} rejected ${child.clientOrderId}: ${data.stopped}`);
      return;
    }
    const next = this.decide(data.template, qty, record.mode as RouteMode, data.refused);
    if (next.allocations.length === 0) {
      data.stopped = `no other venue can take the ${qty.toString()} ${child.venue} rejected (${next.summary}${untrustedNote(next)})`;
      record.status = routeStatus(record.requestedQty, record.routedQty);
      this.save(record);
      this.alert(record, data.stopped);
      return;
    }
    this.runRounds(record, next, `re-routing ${qty.toString()}: ${child.venue} rejected ${child.clientOrderId} (${reason})`);
  }
}

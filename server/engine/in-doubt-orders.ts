/**
 * Orders in doubt (in-doubt.ts has the pure rules): a submission with an unknown outcome is never sent again; it is
 * looked up with growing delays until the venue says what became of it, or a person decides (adopt, not placed).
 */
import { isTerminal, type Order } from "../core/orders";
import type { InDoubtReport, VenueFill, VenueOrderSnapshot } from "../venues/venue";
import { eventsFromSnapshot, fenceVerdict, inDoubtView, nextLookupDelayMs, type InDoubtMarker, type InDoubtView } from "./in-doubt";
import type { Actor, CommandResult, OrderRecord } from "./types";
import { fail, done, type EngineContext } from "./context";

export class InDoubtOrders {
  constructor(private readonly cx: EngineContext) {}

  /** Orders whose submission had an unknown outcome (in-doubt.ts), persisted in the store's state "inDoubtOrders". */
  readonly inDoubt = new Map<string, InDoubtMarker>();

  readonly inDoubtTimers = new Map<string, unknown>();

  /** Forgets the markers (a reload reads them back); their lookup timers stay, so a marker read back is not looked up twice. */
  reset(): void {
    this.inDoubt.clear();
  }

  // ---------------------------------------------------------------------------------------------
  // Orders in doubt (in-doubt.ts): a submission with an unknown outcome is never sent again; it is looked up by
  // clientOrderId until the venue says what became of it, a documented fence proves it never placed, or a person decides.

  /** The venue layer could not tell whether a submission executed. */
  markInDoubt(report: InDoubtReport): void {
    const coid = report.clientOrderId;
    const record = this.cx.books.orders.get(coid);
    if (!record || isTerminal(record.order) || this.inDoubt.has(coid)) return;
    const now = this.cx.clock.now();
    const marker: InDoubtMarker = {
      clientOrderId: coid,
      symbol: record.order.symbol,
      since: now,
      sentAt: report.sentAt,
      reason: report.reason,
      lookups: 0,
      nextLookupAt: now + nextLookupDelayMs(0, this.cx.inDoubtPolicy),
      lastLookupAt: null,
      lastLookupError: null,
      fenceMs: this.cx.venueRoom.atVenueOf(coid, () => this.cx.venue.submitFenceMs?.(record.order.symbol) ?? null),
      alerted: false,
    };
    // Journal first: memory holds the marker only once the store does.
    this.cx.transaction(() => {
      this.cx.store.appendJournal({
        clientOrderId: coid,
        type: "inDoubt",
        source: "venue",
        payload: { reason: report.reason, sentAt: report.sentAt, fenceMs: marker.fenceMs },
        applied: true,
        ts: now,
      });
      this.saveInDoubt([...this.inDoubt.values(), marker]);
    });
    this.inDoubt.set(coid, marker);
    this.cx.reconciliation.drift("ORDER_IN_DOUBT", coid, { symbol: marker.symbol, reason: report.reason, fenceMs: marker.fenceMs }, false, null);
    this.cx.bus.publish({
      type: "alert",
      level: "warn",
      message: `Order ${coid}: ${this.cx.venue.id} did not say whether it was placed (${report.reason}). It is in doubt, looked up by its id, and not re-sent.`,
    });
    this.cx.bus.publish({ type: "order", order: record.order });
    this.scheduleInDoubtLookup(coid);
  }

  private saveInDoubt(markers: InDoubtMarker[] = [...this.inDoubt.values()]): void {
    this.cx.store.setState("inDoubtOrders", markers);
  }

  scheduleInDoubtLookup(coid: string): void {
    const marker = this.inDoubt.get(coid);
    if (!marker) return;
    const previous = this.inDoubtTimers.get(coid);
    if (previous !== undefined) this.cx.timers.clearTimeout(previous);
    const delay = Math.max(0, (marker.nextLookupAt ?? this.cx.clock.now()) - this.cx.clock.now());
    this.inDoubtTimers.set(
      coid,
      this.cx.timers.setTimeout(() => {
        this.inDoubtTimers.delete(coid);
        void this.lookUpInDoubt(coid).catch((e: unknown) => this.cx.log("error", `in-doubt lookup of ${coid}: ${String(e)}`));
      }, delay),
    );
  }

  /** One lookup by clientOrderId (the venue read happens outside the queue; its result is applied in it). */
  private lookUpInDoubt(coid: string): Promise<void> {
    // A desk with several venues: the lookup, its fills and its verdict are the order's own venue's.
    return this.cx.venueRoom.atVenueOf(coid, () => this.lookUpInDoubtAtVenue(coid));
  }

  private async lookUpInDoubtAtVenue(coid: string): Promise<void> {
    if (!this.inDoubt.has(coid)) return;
    const sentAt = this.cx.clock.now();
    let snapshot: VenueOrderSnapshot | null = null;
    let fills: VenueFill[] = [];
    let readError: string | null = null;
    try {
      snapshot = await this.cx.venue.fetchOrder(coid);
      if (snapshot) fills = await this.fillsOf(coid);
    } catch (e) {
      readError = e instanceof Error ? e.message : String(e);
    }
    await this.cx.engine.run(() => this.applyInDoubtLookup(coid, snapshot, fills, readError, sentAt));
  }

  private async fillsOf(coid: string): Promise<VenueFill[]> {
    const since = this.cx.books.orders.get(coid)?.order.createdAt ?? 0;
    return (await this.cx.venue.fetchFills(Math.max(0, since - 60_000))).filter((f) => f.clientOrderId === coid);
  }

  private applyInDoubtLookup(coid: string, snapshot: VenueOrderSnapshot | null, fills: VenueFill[], readError: string | null, lookupSentAt: number): void {
    const marker = this.inDoubt.get(coid);
    const record = this.cx.books.orders.get(coid);
    if (!marker) return;
    if (!record) {
      this.resolveInDoubt(coid, "the order left the books");
      return;
    }
    const now = this.cx.clock.now();
    marker.lastLookupAt = lookupSentAt;
    if (snapshot) {
      this.applyFoundInDoubt(record, snapshot, fills, "found at the venue by its clientOrderId");
      return;
    }
    marker.lookups++;
    marker.lastLookupError = readError;
    if (readError === null && fenceVerdict(marker, lookupSentAt, this.cx.inDoubtPolicy) === "never-placed") {
      const windowS = (marker.fenceMs ?? 0) / 1000;
      this.cx.ledger.ingest(
        [
          {
            clientOrderId: coid,
            event: {
              type: "reject",
              reason: `NEVER_PLACED: not at ${this.cx.venue.id} after its ${windowS} s receive window (+ ${this.cx.inDoubtPolicy.clockSkewMarginMs / 1000} s for clock skew) had passed; the venue refuses it after that, so it was never placed. Not re-sent.`,
              ts: now,
            },
          },
        ],
        "venue",
      );
      this.resolveInDoubt(coid, "never placed: not found after the venue's fence");
      return;
    }
    if (!marker.alerted && marker.lookups >= this.cx.inDoubtPolicy.alertAfterLookups) {
      marker.alerted = true;
      this.cx.bus.publish({
        type: "alert",
        level: "error",
        message: `Order ${coid} (${record.order.side} ${record.order.quantity.toString()} ${record.order.symbol}) is in doubt: ${this.cx.venue.id} did not answer whether it was placed, and ${marker.lookups} lookup(s) have not found it. It is not re-sent. Resolve it on the Reconciliation page.`,
      });
    }
    marker.nextLookupAt = now + nextLookupDelayMs(marker.lookups, this.cx.inDoubtPolicy);
    this.saveInDoubt();
    this.cx.bus.publish({ type: "order", order: record.order });
    this.scheduleInDoubtLookup(coid);
  }

  /** Applies what the venue shows for an order in doubt (accept, fills, its end); the marker is cleared. */
  private applyFoundInDoubt(record: OrderRecord, snapshot: VenueOrderSnapshot, fills: VenueFill[], how: string): void {
    const now = this.cx.clock.now();
    const order = record.order;
    // An order the halt asked to cancel (PENDING_CANCEL) has not been acknowledged either: its accept records the venue's id.
    const needsAccept =
      order.status === "SUBMITTED" || ((order.status === "PENDING_CANCEL" || order.status === "PENDING_UPDATE") && order.venueOrderId === null);
    const events = eventsFromSnapshot(
      needsAccept,
      snapshot,
      fills,
      now,
      (tradeId) => this.cx.store.hasFill(this.cx.venue.id, tradeId),
      (fill) => this.cx.reconciliation.quoteFee(fill, record.order.symbol).fee,
    );
    this.cx.ledger.ingest(events, "venue");
    this.resolveInDoubt(order.clientOrderId, `${how}: ${snapshot.status}`);
    // Found working while trading is halted: the halt's cancel-all could not know it; it is canceled now.
    const after = this.cx.books.orders.get(order.clientOrderId);
    if (this.cx.tradingState === "HALTED" && after && !isTerminal(after.order) && !after.order.reduceOnly) this.cx.ledger.requestCancel(after);
    if (this.cx.tradingState === "HALTED" && events.some((e) => e.event.type === "fill")) {
      this.cx.bus.publish({
        type: "alert",
        level: "error",
        message: `Order ${order.clientOrderId} was in doubt during the halt and turned out to have fills: check the positions (flatten if needed).`,
      });
    }
  }

  /** Clears the marker (journaled, the drift resolved). */
  private resolveInDoubt(coid: string, resolution: string): void {
    if (!this.inDoubt.has(coid)) return;
    const now = this.cx.clock.now();
    this.cx.transaction(() => {
      this.cx.store.appendJournal({ clientOrderId: coid, type: "inDoubtResolved", source: "engine", payload: { resolution }, applied: true, ts: now });
      this.saveInDoubt([...this.inDoubt.values()].filter((m) => m.clientOrderId !== coid));
    });
    this.inDoubt.delete(coid);
    const timer = this.inDoubtTimers.get(coid);
    if (timer !== undefined) this.cx.timers.clearTimeout(timer);
    this.inDoubtTimers.delete(coid);
    this.cx.reconciliation.drift("IN_DOUBT_RESOLVED", coid, { resolves: { kind: "ORDER_IN_DOUBT" } }, true, resolution, "info");
    const order = this.cx.books.orders.get(coid)?.order ?? this.cx.store.getOrder(coid)?.order;
    if (order) this.cx.bus.publish({ type: "order", order });
  }

  /** Any answer from the venue (accepted, filled, rejected, canceled…) settles the doubt. */
  onInDoubtOrderChanged(order: Order): void {
    if (!this.inDoubt.has(order.clientOrderId)) return;
    if (order.status === "SUBMITTED" || order.status === "PENDING_CANCEL" || order.status === "PENDING_UPDATE") return;
    this.resolveInDoubt(order.clientOrderId, `the venue answered: ${order.status}`);
  }

  /** Orders in doubt (oldest first). */
  inDoubtList(): InDoubtView[] {
    return [...this.inDoubt.values()].map(inDoubtView).sort((a, b) => a.since - b.since);
  }

  /** Operator: look the order up now and apply what the venue shows (audited). Nothing found: it stays in doubt. */
  async adoptInDoubt(clientOrderId: string, actor: Actor, reason: string | null): Promise<CommandResult> {
    let snapshot: VenueOrderSnapshot | null = null;
    let fills: VenueFill[] = [];
    let readError: string | null = null;
    if (this.inDoubt.has(clientOrderId)) {
      try {
        snapshot = await this.cx.venue.fetchOrder(clientOrderId);
        if (snapshot) fills = await this.fillsOf(clientOrderId);
      } catch (e) {
        readError = e instanceof Error ? e.message : String(e);
      }
    }
    return this.cx.engine.run(() =>
      this.cx.audited(actor, "in_doubt_adopt", clientOrderId, reason, {}, () => {
        const record = this.cx.books.orders.get(clientOrderId);
        if (!this.inDoubt.has(clientOrderId) || !record)
          return fail("NOT_IN_DOUBT", `Order ${clientOrderId} is not in doubt (it may have been settled meanwhile).`);
        if (readError !== null)
          return fail("VENUE_UNAVAILABLE", `Could not look order ${clientOrderId} up at ${this.cx.venue.id}: ${readError} It stays in doubt.`);
        if (!snapshot) {
          return fail(
            "NOT_AT_VENUE",
            `${this.cx.venue.id} shows no order ${clientOrderId} right now, so there is nothing to adopt. It stays in doubt; mark it not placed if you are sure.`,
          );
        }
        this.applyFoundInDoubt(record, snapshot, fills, `adopted by ${actor.username}`);
        const status = this.cx.books.orders.get(clientOrderId)?.order.status ?? this.cx.store.getOrder(clientOrderId)?.order.status ?? record.order.status;
        return done(`Order ${clientOrderId} adopted as ${this.cx.venue.id} shows it: ${snapshot.status}, ${fills.length} fill(s); now ${status}.`, {
          clientOrderId,
          status,
          fills: fills.length,
        });
      }),
    );
  }

  /**
   * Operator: the order was not placed. Looked up once more first (found → refused: adopt it instead); then it ends
   * REJECTED with the operator's reason, audited. It is not re-sent.
   */
  async markInDoubtNotPlaced(clientOrderId: string, actor: Actor, reason: string): Promise<CommandResult> {
    let snapshot: VenueOrderSnapshot | null = null;
    let readError: string | null = null;
    if (this.inDoubt.has(clientOrderId) && reason.trim()) {
      try {
        snapshot = await this.cx.venue.fetchOrder(clientOrderId);
      } catch (e) {
        readError = e instanceof Error ? e.message : String(e);
      }
    }
    return this.cx.engine.run(() =>
      this.cx.audited(actor, "in_doubt_not_placed", clientOrderId, reason, {}, () => {
        if (!reason.trim()) return fail("REASON_REQUIRED", "Marking an order not placed needs a reason.");
        const record = this.cx.books.orders.get(clientOrderId);
        if (!this.inDoubt.has(clientOrderId) || !record)
          return fail("NOT_IN_DOUBT", `Order ${clientOrderId} is not in doubt (it may have been settled meanwhile).`);
        if (readError !== null)
          return fail(
            "VENUE_UNAVAILABLE",
            `Could not check ${this.cx.venue.id} for order ${clientOrderId} first: ${readError} Try again when the venue answers.`,
          );
        if (snapshot) return fail("FOUND_AT_VENUE", `${this.cx.venue.id} shows order ${clientOrderId} (${snapshot.status}): it was placed. Adopt it instead.`);
        this.cx.ledger.ingest(
          [
            {
              clientOrderId,
              event: { type: "reject", reason: `NOT_PLACED: marked not placed by ${actor.username}: ${reason.trim()}`, ts: this.cx.clock.now() },
            },
          ],
          "venue",
        );
        this.resolveInDoubt(clientOrderId, `marked not placed by ${actor.username}`);
        const status = this.cx.books.orders.get(clientOrderId)?.order.status ?? this.cx.store.getOrder(clientOrderId)?.order.status ?? "REJECTED";
        return done(`Order ${clientOrderId} marked not placed (${status}); it is not re-sent.`, { clientOrderId, status });
      }),
    );
  }
}

/**
 * A Venue decorator that makes any venue safe to call from the engine:
 * - two lanes, each with its own token bucket and queue. The routine lane carries new orders; the urgent lane
 *   carries cancels, cancel-all and reduce-only orders (exits, the emergency flatten), so those never wait behind
 *   routine orders (DESIGN invariant 6). cancelAll is never queued at all;
 * - a request known NOT to have executed (rate limited, refused before processing, a connection that never opened)
 *   is retried with exponential backoff and jitter, up to `maxAttempts`, then the order is rejected;
 * - a submission whose outcome is unknown (a timeout, "status unknown", a 5xx, a connection lost after sending) is
 *   NEVER sent again: it is reported to the in-doubt sink (the engine marks the order in doubt and looks it up by
 *   clientOrderId with growing delays; DESIGN invariant 3). A later signal makes a new order with a new id;
 * - final failures (insufficient funds, invalid order, authentication) reject at once with the venue's words;
 * - while halted (a latch the engine sets when it halts), new orders are refused; `haltNewOrders` empties the
 *   routine queue and kills pending retries of new orders and returns their ids (the engine ends them DENIED);
 *   an order whose request was already on its way when the latch closed is canceled as soon as it is acknowledged;
 * - `requestInFlight` says whether a request for an order is queued, waiting for a retry, or sent and unanswered,
 *   so reconciliation never calls such an order "never sent";
 * - every failure and success is reported (the engine feeds them to the breaker's consecutive-error count).
 * Cancels: a cancel whose outcome is unknown is checked by looking the order up; other transient failures are
 * retried (a cancel sent twice does no harm).
 */
import type { Timers } from "../core/clock";
import type { Instrument } from "../core/instrument";
import type { Rng } from "../core/rng";
import type { OrderSpec } from "../core/orders/types";
import {
  FinalVenueError,
  TransientVenueError,
  placedIds,
  reportsAsyncFailures,
  type InDoubtReport,
  type OcoListSpec,
  type OtoListSpec,
  type VenueRequest,
  type MarketUpdate,
  type OrderChanges,
  type Venue,
  type VenueBalance,
  type VenueEvent,
  type VenueFill,
  type VenueOrderSnapshot,
  type VenuePosition,
  type VenueStatus,
  type VisibleBook,
} from "../venues/venue";

export interface ResilienceOptions {
  /** Requests per second the venue allows for routine orders (the bucket refills at this rate). */
  ratePerSecond: number;
  /** Bucket size: requests that may go at once after a quiet period. */
  burst: number;
  /** The urgent lane's own small budget (cancels, reduce-only orders). Default 10 per second, burst 10. */
  urgentRatePerSecond?: number;
  urgentBurst?: number;
  /**
   * New orders sent and not answered yet, at most (default: the burst, at most 10). The rest wait in the routine queue,
   * which a halt empties: an asynchronous venue's own queue (ccxt's throttle) never holds more than this many, so
   * little can still reach the exchange after a stop.
   */
  maxInFlight?: number;
  /** Attempts for a request known not to have executed before giving up (including the first). */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  now: () => number;
  timers: Pick<Timers, "setTimeout">;
  rng: Rng;
  onError?: (error: Error) => void;
  onSuccess?: () => void;
  log?: (level: "info" | "warn" | "error", message: string) => void;
}

export type { InDoubtReport };

/**
 * Codes of transient failures where the venue certainly did not execute the request: it refused it before
 * processing, or the connection never opened. Only these are retried for a new order.
 */
export const NOT_EXECUTED_CODES: ReadonlySet<string> = new Set(["RATE_LIMITED", "EXCHANGE_MAINTENANCE", "CLOCK_DRIFT", "NOT_CONNECTED", "VENUE_CLOSED"]);

/** The request certainly did not execute (see NOT_EXECUTED_CODES): safe to send again. */
export function isNotExecuted(error: unknown): boolean {
  return error instanceof TransientVenueError && NOT_EXECUTED_CODES.has(error.code);
}

/** A transient failure that may have executed: a timeout, a 5xx, a connection lost after sending, "status unknown". */
export function isOutcomeUnknown(error: unknown): boolean {
  return error instanceof TransientVenueError && !isNotExecuted(error);
}

type Request = VenueRequest;
type Lane = "routine" | "urgent";

function requestKey(request: Request): string {
  switch (request.kind) {
    case "submit":
      return `submit:${request.spec.clientOrderId}`;
    case "submitOco":
      return `submitOco:${request.list.listId}`;
    case "submitOto":
      return `submitOto:${request.list.listId}`;
    case "cancel":
      return `cancel:${request.clientOrderId}`;
    case "cancelAll":
      return `cancelAll:${request.symbol ?? "*"}`;
  }
}

/** A request that places orders (one, or an OCO or OTO list's two). */
type Placement = Extract<Request, { kind: "submit" | "submitOco" | "submitOto" }>;

function isPlacement(request: Request): request is Placement {
  return request.kind === "submit" || request.kind === "submitOco" || request.kind === "submitOto";
}

function laneOf(request: Request): Lane {
  if (request.kind === "submit") return request.spec.reduceOnly !== true ? "routine" : "urgent";
  if (request.kind === "submitOco") return request.list.legs.every((l) => l.reduceOnly === true) ? "urgent" : "routine";
  if (request.kind === "submitOto") return request.list.working.reduceOnly === true && request.list.pending.reduceOnly === true ? "urgent" : "routine";
  return "urgent";
}

class Bucket {
  private tokens: number;
  private lastRefill: number;
  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.lastRefill = now();
  }

  take(): boolean {
    const now = this.now();
    const elapsed = Math.max(0, now - this.lastRefill);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSecond) / 1000);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  get refillMs(): number {
    return Math.ceil(1000 / this.ratePerSecond);
  }
}

/** Events that answer a submission (the order's request is no longer in flight once one arrives). */
const ANSWERS = new Set(["accept", "reject", "fill", "cancel", "expire", "deny"]);
const MAX_TRACKED = 10_000;

export class ResilientVenue implements Venue {
  readonly id: string;
  readonly kind: Venue["kind"];
  private sink: (events: VenueEvent[]) => void = () => undefined;
  private inDoubtSink: ((report: InDoubtReport) => void) | null = null;
  private readonly buckets: Record<Lane, Bucket>;
  private readonly queues: Record<Lane, { request: Request; attempt: number }[]> = { routine: [], urgent: [] };
  private readonly drainScheduled: Record<Lane, boolean> = { routine: false, urgent: false };
  /** Attempt number of requests in flight at an asynchronous venue (for their late failures). */
  private readonly attempts = new Map<string, number>();
  /** Passed through where the inner venue reports derivatives positions (reads are not rate limited here). */
  readonly fetchPositions?: () => Promise<VenuePosition[]>;
  /** Requests waiting for a retry timer, by key (a halt removes new orders from here; their timers then do nothing). */
  private readonly retrying = new Map<string, Request>();
  /** Submissions sent and not answered yet: clientOrderId → when sent, and whether a new order (routine lane). */
  private readonly unanswered = new Map<string, { sentAt: number; routine: boolean }>();
  private routineUnanswered = 0;
  private readonly maxInFlight: number;
  /** New orders whose request was on its way when the halt latched: canceled as soon as the venue acknowledges them. */
  private readonly cancelOnArrival = new Set<string>();
  private halted = false;
  /** Forwarded: a simulator saving into the desk's database answers inside the engine's transaction (Venue.joinsDeskTransaction). */
  readonly joinsDeskTransaction: boolean;

  constructor(
    private readonly inner: Venue,
    private readonly options: ResilienceOptions,
  ) {
    if (inner.fetchVisibleBook) this.fetchVisibleBook = (symbol, depth) => inner.fetchVisibleBook!(symbol, depth);
    this.id = inner.id;
    this.kind = inner.kind;
    if (inner.fetchPositions) this.fetchPositions = () => inner.fetchPositions!();
    this.joinsDeskTransaction = inner.joinsDeskTransaction === true;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? Math.min(options.burst, 10));
    this.buckets = {
      routine: new Bucket(options.ratePerSecond, options.burst, options.now),
      urgent: new Bucket(options.urgentRatePerSecond ?? 10, options.urgentBurst ?? 10, options.now),
    };
  }

  instruments(): Instrument[] {
    return this.inner.instruments();
  }

  setEventSink(sink: (events: VenueEvent[]) => void): void {
    this.sink = sink;
    this.inner.setEventSink((events) => this.sink(this.observe(events)));
    // A real exchange answers later: its late failures take the same path as synchronous ones.
    if (reportsAsyncFailures(this.inner)) {
      this.inner.setFailureSink((request, error) => {
        this.options.onError?.(error);
        const key = requestKey(request);
        const attempt = this.attempts.get(key) ?? 1;
        this.attempts.delete(key);
        const ids = placedIds(request);
        const sentAt = ids.length > 0 ? this.unanswered.get(ids[0]!)?.sentAt : undefined;
        for (const id of ids) this.answered(id);
        this.deliver(this.onFailure(request, attempt, error, sentAt));
      });
    }
  }

  /** Where submissions with an unknown outcome are reported (the engine's in-doubt process). */
  setInDoubtSink(sink: (report: InDoubtReport) => void): void {
    this.inDoubtSink = sink;
  }

  deskTransactionRolledBack(): void {
    this.inner.deskTransactionRolledBack?.();
  }

  /** A fence the venue documents for a submission (see Venue.submitFenceMs), forwarded. */
  submitFenceMs(symbol: string): number | null {
    return this.inner.submitFenceMs?.(symbol) ?? null;
  }

  submit(spec: OrderSpec, _now: number): VenueEvent[] {
    if (this.halted && spec.reduceOnly !== true) {
      throw new FinalVenueError(`TRADING_HALTED: trading is halted; ${this.id} takes no new order (only cancels and reduce-only closes).`, "TRADING_HALTED");
    }
    return this.send({ kind: "submit", spec }, 1);
  }

  holdsNatively(spec: OrderSpec): boolean {
    return this.inner.holdsNatively?.(spec) ?? true;
  }

  holdsOcoNatively(list: OcoListSpec): boolean {
    return this.inner.holdsOcoNatively?.(list) ?? false;
  }

  /** An OCO list is one request: one rate-limit token, one flight for both legs, never re-sent when its outcome is unknown. */
  submitOco(list: OcoListSpec, _now: number): VenueEvent[] {
    if (this.halted && list.legs.some((l) => l.reduceOnly !== true)) {
      throw new FinalVenueError(`TRADING_HALTED: trading is halted; ${this.id} takes no new order (only cancels and reduce-only closes).`, "TRADING_HALTED");
    }
    return this.send({ kind: "submitOco", list }, 1);
  }

  holdsOtoNatively(list: OtoListSpec): boolean {
    return this.inner.holdsOtoNatively?.(list) ?? false;
  }

  /** An OTO list is one request like an OCO list: one token, one flight for both orders, never re-sent when in doubt. */
  submitOto(list: OtoListSpec, _now: number): VenueEvent[] {
    if (this.halted && (list.working.reduceOnly !== true || list.pending.reduceOnly !== true)) {
      throw new FinalVenueError(`TRADING_HALTED: trading is halted; ${this.id} takes no new order (only cancels and reduce-only closes).`, "TRADING_HALTED");
    }
    return this.send({ kind: "submitOto", list }, 1);
  }

  cancel(clientOrderId: string, _now: number): VenueEvent[] {
    return this.send({ kind: "cancel", clientOrderId }, 1);
  }

  /** The emergency path: batch cancels are never queued behind any rate limiter. */
  cancelAll(symbol: string | undefined, _now: number): VenueEvent[] {
    return this.attempt({ kind: "cancelAll", symbol }, 1);
  }

  modify(clientOrderId: string, changes: OrderChanges, now: number): VenueEvent[] {
    this.buckets.routine.take();
    return this.observe(this.inner.modify(clientOrderId, changes, now));
  }

  onMarketData(update: MarketUpdate, now: number): VenueEvent[] {
    return this.observe(this.inner.onMarketData(update, now));
  }

  advanceTo(now: number): VenueEvent[] {
    return this.observe(this.inner.advanceTo(now));
  }

  fetchOrder(clientOrderId: string): Promise<VenueOrderSnapshot | null> {
    return this.inner.fetchOrder(clientOrderId);
  }

  fetchOpenOrders(): Promise<VenueOrderSnapshot[]> {
    return this.inner.fetchOpenOrders();
  }

  fetchFills(since: number): Promise<VenueFill[]> {
    return this.inner.fetchFills(since);
  }

  fetchBalances(): Promise<VenueBalance[]> {
    return this.inner.fetchBalances();
  }

  freeBalance(currency: string): ReturnType<Venue["freeBalance"]> {
    return this.inner.freeBalance(currency);
  }

  // Book reads for routing pass through: they are reads, not requests the lanes order.
  visibleBook(symbol: string, depth: number): VisibleBook | null {
    return this.inner.visibleBook?.(symbol, depth) ?? null;
  }

  /** Present only when the venue behind can be asked for its book (the venue set skips the others). */
  readonly fetchVisibleBook?: (symbol: string, depth: number) => Promise<VisibleBook>;

  exchangeName(): string {
    return this.inner.exchangeName?.() ?? (this.inner.kind === "sim" ? "simulator" : this.inner.id);
  }

  status(): VenueStatus {
    return this.inner.status();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Requests waiting for a rate limiter (both lanes; for status screens and tests). */
  get pending(): number {
    return this.queues.routine.length + this.queues.urgent.length;
  }

  /** Whether a request for this order is queued, waiting for a retry, or sent and not answered yet. */
  requestInFlight(clientOrderId: string): boolean {
    if (this.unanswered.has(clientOrderId)) return true;
    if (this.retrying.has(`submit:${clientOrderId}`) || this.retrying.has(`cancel:${clientOrderId}`)) return true;
    for (const request of this.retrying.values())
      if ((request.kind === "submitOco" || request.kind === "submitOto") && placedIds(request).includes(clientOrderId)) return true;
    const queued = (q: { request: Request }[]) =>
      q.some(({ request }) => (request.kind === "cancel" ? request.clientOrderId === clientOrderId : placedIds(request).includes(clientOrderId)));
    return queued(this.queues.routine) || queued(this.queues.urgent);
  }

  /**
   * The halt latch: from now on new orders are refused; queued new orders and pending retries of new orders are
   * dropped (returned, so the engine ends them DENIED); orders already on their way are canceled on arrival.
   * Cancels and reduce-only orders are kept (they move to the urgent lane).
   */
  haltNewOrders(): string[] {
    this.halted = true;
    const dropped: string[] = [];
    for (const item of this.queues.routine.splice(0)) {
      if (isPlacement(item.request) && laneOf(item.request) === "routine") dropped.push(...placedIds(item.request));
      else this.queues.urgent.push(item);
    }
    if (this.queues.urgent.length > 0) this.scheduleDrain("urgent");
    for (const [key, request] of [...this.retrying]) {
      if (!isPlacement(request) || laneOf(request) !== "routine") continue;
      this.retrying.delete(key);
      dropped.push(...placedIds(request));
    }
    for (const [coid, flight] of this.unanswered) if (flight.routine) this.cancelOnArrival.add(coid);
    if (dropped.length > 0)
      this.options.log?.("warn", `${this.id}: halted: ${dropped.length} new order(s) dropped before reaching the venue: ${dropped.join(", ")}`);
    return dropped;
  }

  /** The halt was reset: new orders may go again. */
  resumeNewOrders(): void {
    this.halted = false;
    this.cancelOnArrival.clear();
  }

  get isHalted(): boolean {
    return this.halted;
  }

  // ---------------------------------------------------------------------------------------------

  /** Watches events on their way to the engine: answers end a request's flight; a late arrival after a halt is canceled. */
  private observe(events: VenueEvent[]): VenueEvent[] {
    const toCancel: string[] = [];
    for (const { clientOrderId, event } of events) {
      if (!ANSWERS.has(event.type)) continue;
      this.answered(clientOrderId);
      if (this.cancelOnArrival.delete(clientOrderId) && (event.type === "accept" || event.type === "fill")) toCancel.push(clientOrderId);
    }
    if (toCancel.length > 0) {
      // After the events are delivered, so the engine knows the order is open before its cancel is answered.
      this.options.timers.setTimeout(() => {
        for (const coid of toCancel) {
          this.options.log?.("warn", `${this.id}: ${coid} reached the venue after the halt: canceling it`);
          this.deliver(this.send({ kind: "cancel", clientOrderId: coid }, 1));
        }
      }, 0);
    }
    return events;
  }

  private answered(clientOrderId: string): void {
    const flight = this.unanswered.get(clientOrderId);
    if (!flight) return;
    this.unanswered.delete(clientOrderId);
    if (flight.routine) this.routineUnanswered--;
  }

  /** Room for one more request in this lane: new orders also wait while `maxInFlight` are unanswered. */
  private mayGo(lane: Lane): boolean {
    if (lane === "routine" && this.routineUnanswered >= this.maxInFlight) return false;
    return this.buckets[lane].take();
  }

  private send(request: Request, attempt: number): VenueEvent[] {
    const lane = laneOf(request);
    if (this.queues[lane].length > 0 || !this.mayGo(lane)) {
      this.queues[lane].push({ request, attempt });
      this.scheduleDrain(lane);
      return [];
    }
    return this.attempt(request, attempt);
  }

  private scheduleDrain(lane: Lane): void {
    if (this.drainScheduled[lane]) return;
    this.drainScheduled[lane] = true;
    this.options.timers.setTimeout(() => {
      this.drainScheduled[lane] = false;
      const queue = this.queues[lane];
      while (queue.length > 0 && this.mayGo(lane)) {
        const next = queue.shift()!;
        this.deliver(this.attempt(next.request, next.attempt));
      }
      if (queue.length > 0) this.scheduleDrain(lane);
    }, this.buckets[lane].refillMs);
  }

  private deliver(events: VenueEvent[]): void {
    if (events.length > 0) this.sink(events);
  }

  private attempt(request: Request, attempt: number): VenueEvent[] {
    const now = this.options.now();
    if (isPlacement(request) && this.halted && laneOf(request) === "routine") {
      // Cannot happen through submit() (it refuses) or the queues (the halt empties them); kept as a last guard.
      return placedIds(request).map((clientOrderId) => ({
        clientOrderId,
        event: { type: "deny" as const, reason: "TRADING_HALTED: trading was halted before this order left.", ts: now },
      }));
    }
    const async = reportsAsyncFailures(this.inner);
    if (async) {
      this.attempts.set(requestKey(request), attempt);
      if (this.attempts.size > MAX_TRACKED) this.attempts.delete(this.attempts.keys().next().value!);
    }
    for (const id of placedIds(request)) {
      const routine = laneOf(request) === "routine";
      this.answered(id); // a retry replaces its earlier flight
      this.unanswered.set(id, { sentAt: now, routine });
      if (routine) this.routineUnanswered++;
      if (this.unanswered.size > MAX_TRACKED) this.answered(this.unanswered.keys().next().value!);
    }
    try {
      let events: VenueEvent[];
      switch (request.kind) {
        case "submit":
          events = this.inner.submit(request.spec, now);
          break;
        case "submitOco":
          if (!this.inner.submitOco) throw new FinalVenueError(`OCO_NOT_NATIVE: ${this.id} has no native OCO lists.`, "OCO_NOT_NATIVE");
          events = this.inner.submitOco(request.list, now);
          break;
        case "submitOto":
          if (!this.inner.submitOto) throw new FinalVenueError(`OTO_NOT_NATIVE: ${this.id} has no native OTO lists.`, "OTO_NOT_NATIVE");
          events = this.inner.submitOto(request.list, now);
          break;
        case "cancel":
          events = this.inner.cancel(request.clientOrderId, now);
          break;
        case "cancelAll":
          events = this.inner.cancelAll(request.symbol, now);
          break;
      }
      this.options.onSuccess?.();
      return this.observe(events);
    } catch (e) {
      for (const id of placedIds(request)) this.answered(id);
      const error = e instanceof Error ? e : new Error(String(e));
      this.options.onError?.(error);
      return this.onFailure(request, attempt, error, now);
    }
  }

  private onFailure(request: Request, attempt: number, error: Error, sentAt?: number): VenueEvent[] {
    const subject = request.kind === "cancel" ? request.clientOrderId : isPlacement(request) ? placedIds(request).join("+") : null;
    const now = this.options.now();
    // Every order a placement carries ends the same way (an OCO list is accepted or refused as one).
    const rejectAll = (reason: string): VenueEvent[] =>
      placedIds(request).map((clientOrderId) => ({ clientOrderId, event: { type: "reject" as const, reason, ts: now } }));
    if (error instanceof FinalVenueError || !(error instanceof TransientVenueError)) {
      this.options.log?.("warn", `${this.id}: ${request.kind} ${subject ?? ""} refused: ${error.message}`);
      if (isPlacement(request)) return rejectAll(`${codeOf(error)}: ${error.message}`);
      if (request.kind === "cancel")
        return [{ clientOrderId: request.clientOrderId, event: { type: "cancelReject", reason: `${codeOf(error)}: ${error.message}`, ts: now } }];
      return [];
    }
    if (isPlacement(request) && isOutcomeUnknown(error)) {
      // The order (an OCO list: both legs) may exist: never sent again. The engine's in-doubt process looks each up by clientOrderId.
      for (const coid of placedIds(request)) {
        this.options.log?.("warn", `${this.id}: the outcome of ${coid} is unknown (${error.message}); it is in doubt and is not sent again`);
        this.cancelOnArrival.delete(coid);
        const reason = error.message.startsWith(`${error.code}:`) ? error.message : `${error.code}: ${error.message}`;
        const report: InDoubtReport = { clientOrderId: coid, reason, sentAt: sentAt ?? now, ts: now };
        if (this.inDoubtSink) this.inDoubtSink(report);
        else this.options.log?.("error", `${this.id}: ${coid} is in doubt and nobody listens for it; reconciliation must settle it`);
      }
      return [];
    }
    if (request.kind === "cancel" && isOutcomeUnknown(error) && error.code === "TIMEOUT") {
      // The cancel may have landed: look before sending it again.
      this.options.log?.("warn", `${this.id}: cancel ${request.clientOrderId} timed out; looking the order up before anything is re-sent`);
      this.later(attempt, () => void this.lookUpCancel(request, attempt));
      return [];
    }
    if (attempt >= this.options.maxAttempts) {
      this.options.log?.("error", `${this.id}: ${request.kind} ${subject ?? ""} failed after ${attempt} attempts: ${error.message}`);
      if (isPlacement(request)) return rejectAll(`VENUE_UNAVAILABLE: gave up after ${attempt} attempts: ${error.message}`);
      if (request.kind === "cancel") {
        return [
          {
            clientOrderId: request.clientOrderId,
            event: { type: "cancelReject", reason: `VENUE_UNAVAILABLE: gave up after ${attempt} attempts: ${error.message}`, ts: now },
          },
        ];
      }
      return [];
    }
    // Known not executed (or a cancel, which may be sent twice): retried after a pause, unless a halt drops it first.
    const key = requestKey(request);
    this.retrying.set(key, request);
    this.later(attempt, () => {
      if (this.retrying.get(key) !== request) return; // dropped by a halt
      this.retrying.delete(key);
      this.deliver(this.send(request, attempt + 1));
    });
    return [];
  }

  /** Exponential backoff with full jitter: a random delay up to base × 2^(attempt−1), capped. */
  private later(attempt: number, fn: () => void): void {
    const ceiling = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (attempt - 1));
    const delay = Math.max(1, Math.round(ceiling / 2 + (ceiling / 2) * this.options.rng.next()));
    this.options.timers.setTimeout(fn, delay);
  }

  private async lookUpCancel(request: Extract<Request, { kind: "cancel" }>, attempt: number): Promise<void> {
    const clientOrderId = request.clientOrderId;
    let snapshot: VenueOrderSnapshot | null;
    try {
      snapshot = await this.inner.fetchOrder(clientOrderId);
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      this.options.onError?.(error);
      if (attempt >= this.options.maxAttempts) {
        this.options.log?.(
          "error",
          `${this.id}: cancel of ${clientOrderId} still unknown after ${attempt} lookups (${error.message}); reconciliation will settle it`,
        );
        return;
      }
      this.later(attempt + 1, () => void this.lookUpCancel(request, attempt + 1));
      return;
    }
    const now = this.options.now();
    // Whatever the venue says now is the truth; if still open, ask again.
    if (snapshot && !["CANCELED", "FILLED", "EXPIRED", "REJECTED"].includes(snapshot.status)) this.deliver(this.send(request, attempt + 1));
    else if (snapshot?.status === "CANCELED") this.deliver([{ clientOrderId, event: { type: "cancel", reason: "canceled (confirmed by lookup)", ts: now } }]);
  }
}

function codeOf(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : "VENUE_REFUSED";
}

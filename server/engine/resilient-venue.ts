/**
 * A Venue decorator that makes any venue safe to call from the engine:
 * - a per-venue rate limiter (token bucket) keeps requests under the venue's limits: a request that finds the
 *   bucket empty waits its turn (its events then arrive through the sink);
 * - transient failures (network, rate limit, exchange unavailable) are retried with exponential backoff and jitter,
 *   up to a limit, then the order is rejected with the last error;
 * - a submission whose outcome is unknown (a timeout: the order may or may not exist) is never sent again blindly:
 *   the order is first looked up by clientOrderId; found → its state and fills are reported; not found → it is re-sent;
 * - final failures (insufficient funds, invalid order, authentication) reject at once with the venue's words;
 * - every failure and success is reported (the engine feeds them to the breaker's consecutive-error count).
 * Cancels take the same path (a cancel is retried; a cancel that times out is checked by looking the order up).
 */
import type { Instrument } from "../core/instrument";
import type { Rng } from "../core/rng";
import type { OrderSpec } from "../core/orders/types";
import {
  FinalVenueError,
  TransientVenueError,
  reportsAsyncFailures,
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
} from "../venues/venue";

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
}

export interface ResilienceOptions {
  /** Requests per second the venue allows (the bucket refills at this rate). */
  ratePerSecond: number;
  /** Bucket size: requests that may go at once after a quiet period. */
  burst: number;
  /** Attempts for a transient failure before giving up (including the first). */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  now: () => number;
  timers: Timers;
  rng: Rng;
  onError?: (error: Error) => void;
  onSuccess?: () => void;
  log?: (level: "info" | "warn" | "error", message: string) => void;
}

/** A timeout: the request may have reached the venue. Venue adapters throw it when they cannot know. */
export function isOutcomeUnknown(error: unknown): boolean {
  return error instanceof TransientVenueError && error.code === "TIMEOUT";
}

type Request = VenueRequest;

function requestKey(request: Request): string {
  return request.kind === "submit" ? `submit:${request.spec.clientOrderId}` : request.kind === "cancel" ? `cancel:${request.clientOrderId}` : `cancelAll:${request.symbol ?? "*"}`;
}

export class ResilientVenue implements Venue {
  readonly id: string;
  readonly kind: Venue["kind"];
  private sink: (events: VenueEvent[]) => void = () => undefined;
  private tokens: number;
  private lastRefill: number;
  private readonly waiting: { request: Request; attempt: number }[] = [];
  private drainScheduled = false;
  /** Attempt number of requests in flight at an asynchronous venue (for their late failures). */
  private readonly attempts = new Map<string, number>();
  /** Passed through where the inner venue reports derivatives positions (reads are not rate limited here). */
  readonly fetchPositions?: () => Promise<VenuePosition[]>;

  constructor(
    private readonly inner: Venue,
    private readonly options: ResilienceOptions,
  ) {
    this.id = inner.id;
    this.kind = inner.kind;
    if (inner.fetchPositions) this.fetchPositions = () => inner.fetchPositions!();
    this.tokens = options.burst;
    this.lastRefill = options.now();
  }

  instruments(): Instrument[] {
    return this.inner.instruments();
  }

  setEventSink(sink: (events: VenueEvent[]) => void): void {
    this.sink = sink;
    this.inner.setEventSink(sink);
    // A real exchange answers later: its late failures take the same path as synchronous ones.
    if (reportsAsyncFailures(this.inner)) {
      this.inner.setFailureSink((request, error) => {
        this.options.onError?.(error);
        const key = requestKey(request);
        const attempt = this.attempts.get(key) ?? 1;
        this.attempts.delete(key);
        this.deliver(this.onFailure(request, attempt, error));
      });
    }
  }

  submit(spec: OrderSpec, _now: number): VenueEvent[] {
    return this.send({ kind: "submit", spec }, 1);
  }

  holdsNatively(spec: OrderSpec): boolean {
    return this.inner.holdsNatively?.(spec) ?? true;
  }

  cancel(clientOrderId: string, _now: number): VenueEvent[] {
    return this.send({ kind: "cancel", clientOrderId }, 1);
  }

  /** The emergency path: batch cancels are never queued behind the rate limiter. */
  cancelAll(symbol: string | undefined, _now: number): VenueEvent[] {
    return this.attempt({ kind: "cancelAll", symbol }, 1);
  }

  modify(clientOrderId: string, changes: OrderChanges, now: number): VenueEvent[] {
    this.take();
    return this.inner.modify(clientOrderId, changes, now);
  }

  onMarketData(update: MarketUpdate, now: number): VenueEvent[] {
    return this.inner.onMarketData(update, now);
  }

  advanceTo(now: number): VenueEvent[] {
    return this.inner.advanceTo(now);
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

  status(): VenueStatus {
    return this.inner.status();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Requests waiting for the rate limiter or a retry (for status screens and tests). */
  get pending(): number {
    return this.waiting.length;
  }

  // ---------------------------------------------------------------------------------------------

  private refill(): void {
    const now = this.options.now();
    const elapsed = Math.max(0, now - this.lastRefill);
    this.tokens = Math.min(this.options.burst, this.tokens + (elapsed * this.options.ratePerSecond) / 1000);
    this.lastRefill = now;
  }

  private take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private send(request: Request, attempt: number): VenueEvent[] {
    if (this.waiting.length > 0 || !this.take()) {
      this.waiting.push({ request, attempt });
      this.scheduleDrain();
      return [];
    }
    return this.attempt(request, attempt);
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    const wait = Math.ceil(1000 / this.options.ratePerSecond);
    this.options.timers.setTimeout(() => {
      this.drainScheduled = false;
      while (this.waiting.length > 0 && this.take()) {
        const next = this.waiting.shift()!;
        this.deliver(this.attempt(next.request, next.attempt));
      }
      if (this.waiting.length > 0) this.scheduleDrain();
    }, wait);
  }

  private deliver(events: VenueEvent[]): void {
    if (events.length > 0) this.sink(events);
  }

  private attempt(request: Request, attempt: number): VenueEvent[] {
    const now = this.options.now();
    if (reportsAsyncFailures(this.inner)) {
      this.attempts.set(requestKey(request), attempt);
      if (this.attempts.size > 10_000) this.attempts.delete(this.attempts.keys().next().value!);
    }
    try {
      const events =
        request.kind === "submit"
          ? this.inner.submit(request.spec, now)
          : request.kind === "cancel"
            ? this.inner.cancel(request.clientOrderId, now)
            : this.inner.cancelAll(request.symbol, now);
      this.options.onSuccess?.();
      return events;
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      this.options.onError?.(error);
      return this.onFailure(request, attempt, error);
    }
  }

  private onFailure(request: Request, attempt: number, error: Error): VenueEvent[] {
    const subject = request.kind === "submit" ? request.spec.clientOrderId : request.kind === "cancel" ? request.clientOrderId : null;
    const now = this.options.now();
    if (error instanceof FinalVenueError || !(error instanceof TransientVenueError)) {
      this.options.log?.("warn", `${this.id}: ${request.kind} ${subject ?? ""} refused: ${error.message}`);
      if (request.kind === "submit") return [{ clientOrderId: request.spec.clientOrderId, event: { type: "reject", reason: `${codeOf(error)}: ${error.message}`, ts: now } }];
      if (request.kind === "cancel") return [{ clientOrderId: request.clientOrderId, event: { type: "cancelReject", reason: `${codeOf(error)}: ${error.message}`, ts: now } }];
      return [];
    }
    if (isOutcomeUnknown(error) && subject) {
      // The request may have landed: look before sending anything again.
      this.options.log?.("warn", `${this.id}: ${request.kind} ${subject} timed out; looking it up by clientOrderId before anything is re-sent`);
      this.later(attempt, () => void this.lookUp(request, attempt, error));
      return [];
    }
    if (attempt >= this.options.maxAttempts) {
      this.options.log?.("error", `${this.id}: ${request.kind} ${subject ?? ""} failed after ${attempt} attempts: ${error.message}`);
      if (request.kind === "submit") {
        return [{ clientOrderId: request.spec.clientOrderId, event: { type: "reject", reason: `VENUE_UNAVAILABLE: gave up after ${attempt} attempts: ${error.message}`, ts: now } }];
      }
      if (request.kind === "cancel") {
        return [{ clientOrderId: request.clientOrderId, event: { type: "cancelReject", reason: `VENUE_UNAVAILABLE: gave up after ${attempt} attempts: ${error.message}`, ts: now } }];
      }
      return [];
    }
    this.later(attempt, () => this.deliver(this.send(request, attempt + 1)));
    return [];
  }

  /** Exponential backoff with full jitter: a random delay up to base × 2^(attempt−1), capped. */
  private later(attempt: number, fn: () => void): void {
    const ceiling = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (attempt - 1));
    const delay = Math.max(1, Math.round(ceiling / 2 + (ceiling / 2) * this.options.rng.next()));
    this.options.timers.setTimeout(fn, delay);
  }

  private async lookUp(request: Request, attempt: number, cause: Error): Promise<void> {
    if (request.kind === "cancelAll") return;
    const clientOrderId = request.kind === "submit" ? request.spec.clientOrderId : request.clientOrderId;
    let snapshot: VenueOrderSnapshot | null;
    try {
      snapshot = await this.inner.fetchOrder(clientOrderId);
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      this.options.onError?.(error);
      if (attempt >= this.options.maxAttempts) {
        this.options.log?.("error", `${this.id}: ${clientOrderId} still unknown after ${attempt} lookups (${error.message}); reconciliation will settle it`);
        return;
      }
      this.later(attempt + 1, () => void this.lookUp(request, attempt + 1, cause));
      return;
    }
    const now = this.options.now();
    if (request.kind === "cancel") {
      // Whatever the venue says now is the truth; if still open, ask again.
      if (snapshot && !["CANCELED", "FILLED", "EXPIRED", "REJECTED"].includes(snapshot.status)) this.deliver(this.send(request, attempt + 1));
      else if (snapshot?.status === "CANCELED") this.deliver([{ clientOrderId, event: { type: "cancel", reason: "canceled (confirmed by lookup)", ts: now } }]);
      return;
    }
    if (!snapshot) {
      this.options.log?.("info", `${this.id}: ${clientOrderId} is not at the venue: sending it (attempt ${attempt + 1})`);
      this.deliver(this.send(request, attempt + 1));
      return;
    }
    // It exists: report it as the venue sees it — accepted, with its fills — and never send it again.
    const events: VenueEvent[] = [];
    if (snapshot.status === "REJECTED") {
      events.push({ clientOrderId, event: { type: "reject", reason: snapshot.reason ?? "rejected by the venue", ts: now } });
    } else {
      events.push({ clientOrderId, event: { type: "accept", ...(snapshot.venueOrderId ? { venueOrderId: snapshot.venueOrderId } : {}), ts: now } });
      try {
        const fills = await this.inner.fetchFills(0);
        const base = this.inner.instruments().find((i) => i.symbol === snapshot.symbol)?.base;
        for (const f of fills) {
          if (f.clientOrderId !== clientOrderId) continue;
          // The books count fees in the quote currency: a fee charged in the base coin is worth fee × price.
          const fee = base !== undefined && f.feeCurrency === base ? f.fee.times(f.price) : f.fee;
          events.push({ clientOrderId, event: { type: "fill", tradeId: f.tradeId, qty: f.qty, price: f.price, fee, ...(f.liquidity ? { liquidity: f.liquidity } : {}), ts: f.ts } });
        }
      } catch {
        // Fills will be found by reconciliation; the order itself is known now.
      }
      if (snapshot.status === "CANCELED") events.push({ clientOrderId, event: { type: "cancel", reason: snapshot.reason ?? "canceled at the venue", ts: now } });
      if (snapshot.status === "EXPIRED") events.push({ clientOrderId, event: { type: "expire", ts: now } });
    }
    this.deliver(events);
  }
}

function codeOf(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : "VENUE_REFUSED";
}

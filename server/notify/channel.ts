/**
 * One outbound channel: filter → rate limit → bounded queue → one delivery at a time, retried with exponential
 * backoff on injected timers. `offer` is synchronous and never throws or waits: the engine publishes and
 * forgets, so a channel that is down only fills its own queue (to its bound) and never slows the caller.
 *
 * - Order is kept: a notification being retried holds the channel; the ones behind it wait (they are events
 *   in time order, and a receiver that is down for one is down for all).
 * - Rate limit: a token bucket; critical notifications and test messages are exempt (an emergency stop is never
 *   dropped for being the eleventh message of the minute). Over the limit, a notification is recorded and dropped.
 * - Queue bound: when full, the oldest queued notification of the lowest severity makes room, if it is not more
 *   severe than the newcomer; otherwise the newcomer is dropped. Each drop is recorded.
 * - Every attempt is recorded (delivered / failed with the next attempt's time / gave_up) with a scrubbed error.
 */
import { type Clock } from "../core/clock";
import { type DeliveryAttempt, type DeliveryOutcome, type DeliveryRepository } from "./delivery-log";
import { type ChannelFilter, OPEN_FILTER, matchesFilter } from "./filter";
import { TokenBucket } from "./rate-limit";
import { type Notification, type NotifyTimers, type Transport, asDeliveryError, scrub, severityRank } from "./types";

export interface RetryPolicy {
  /** Tries per notification, the first included. */
  maxAttempts: number;
  /** Delay before the 2nd attempt; doubled each time after, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 2_000, maxDelayMs: 300_000 };

export interface ChannelOptions {
  /** Unique among channels: the repository and the page key on it. */
  name: string;
  transport: Transport;
  filter?: ChannelFilter;
  /** null: no rate limit. */
  rateLimit?: { capacity: number; perMinute: number } | null;
  retry?: RetryPolicy;
  /** Notifications waiting (the one being delivered included), at most. */
  maxQueue?: number;
  clock: Clock;
  timers: NotifyTimers;
  repository: DeliveryRepository;
  /** Everything secret this channel knows: scrubbed from every error and log line. */
  secrets: readonly string[];
  log?: (level: "info" | "warn" | "error", message: string) => void;
}

export type OfferResult = "queued" | "filtered" | "rate_limited" | "dropped";

interface Pending {
  notification: Notification;
  attempt: number;
}

export function backoffDelay(policy: RetryPolicy, failedAttempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempt - 1));
}

export class NotificationChannel {
  readonly name: string;
  private readonly filter: ChannelFilter;
  private readonly bucket: TokenBucket | null;
  private readonly retry: RetryPolicy;
  private readonly maxQueue: number;
  private readonly queue: Pending[] = [];
  private isSending = false;
  private retryTimer: unknown = null;
  private isClosed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: ChannelOptions) {
    this.name = options.name;
    this.filter = options.filter ?? OPEN_FILTER;
    this.bucket = options.rateLimit ? new TokenBucket(options.rateLimit.capacity, options.rateLimit.perMinute, options.clock) : null;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.maxQueue = Math.max(1, options.maxQueue ?? 100);
  }

  /** Takes a notification for delivery, or says why not. Never throws, never waits. */
  offer(notification: Notification): OfferResult {
    try {
      if (this.isClosed || !matchesFilter(this.filter, notification)) return "filtered";
      const isExempt = notification.severity === "critical" || notification.kind === "test";
      if (!isExempt && this.bucket && !this.bucket.tryTake()) {
        this.recordAttempt(notification, 0, "rate_limited", null, null);
        return "rate_limited";
      }
      if (this.queue.length >= this.maxQueue && !this.makeRoomFor(notification)) {
        this.recordAttempt(notification, 0, "dropped", `The ${this.name} queue is full (${this.maxQueue}).`, null);
        return "dropped";
      }
      this.queue.push({ notification, attempt: 0 });
      this.pump();
      return "queued";
    } catch (error) {
      // A broken repository or log must never reach the engine.
      this.safeLog("error", `notification channel ${this.name}: ${this.scrubbed(error)}`);
      return "dropped";
    }
  }

  /** Notifications waiting, the one in flight or backing off included. */
  get pending(): number {
    return this.queue.length;
  }

  /** Resolves when nothing is waiting or in flight (shutdown, tests). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && !this.isSending) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops: cancels the pending retry and refuses new notifications; what is queued is abandoned. */
  close(): void {
    this.isClosed = true;
    if (this.retryTimer !== null) this.options.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.queue.length = 0;
    this.settleIdle();
  }

  private makeRoomFor(incoming: Notification): boolean {
    // The head may be in flight; never evict it.
    let victim = -1;
    for (let i = this.isSending || this.retryTimer !== null ? 1 : 0; i < this.queue.length; i++) {
      if (victim === -1 || severityRank(this.queue[i]!.notification.severity) < severityRank(this.queue[victim]!.notification.severity)) victim = i;
    }
    if (victim === -1 || severityRank(this.queue[victim]!.notification.severity) > severityRank(incoming.severity)) return false;
    const [evicted] = this.queue.splice(victim, 1);
    this.recordAttempt(evicted!.notification, 0, "dropped", `The ${this.name} queue is full (${this.maxQueue}): dropped for a newer notification.`, null);
    return true;
  }

  private pump(): void {
    if (this.isSending || this.retryTimer !== null || this.isClosed) return;
    const head = this.queue[0];
    if (!head) {
      this.settleIdle();
      return;
    }
    this.isSending = true;
    head.attempt += 1;
    const attempt = head.attempt;
    Promise.resolve()
      .then(() => this.options.transport.send(head.notification))
      .then(
        () => this.finish(head, attempt, null),
        (error: unknown) => this.finish(head, attempt, error),
      )
      .catch((error: unknown) => this.safeLog("error", `notification channel ${this.name}: ${this.scrubbed(error)}`));
  }

  private finish(head: Pending, attempt: number, error: unknown): void {
    this.isSending = false;
    if (this.isClosed) {
      // Closed while this attempt was in flight: its outcome no longer matters, but idle() waiters do.
      this.settleIdle();
      return;
    }
    if (error === null) {
      this.queue.shift();
      this.recordAttempt(head.notification, attempt, "delivered", null, null);
      this.pump();
      return;
    }
    const failure = asDeliveryError(error, this.options.secrets);
    if (!failure.isRetryable || attempt >= this.retry.maxAttempts) {
      this.queue.shift();
      this.recordAttempt(head.notification, attempt, "gave_up", failure.message, null);
      this.safeLog("warn", `notification ${head.notification.id} to ${this.name} abandoned after ${attempt} attempt(s): ${failure.message}`);
      this.pump();
      return;
    }
    const delay = Math.min(this.retry.maxDelayMs, Math.max(backoffDelay(this.retry, attempt), failure.retryAfterMs ?? 0));
    this.recordAttempt(head.notification, attempt, "failed", failure.message, this.options.clock.now() + delay);
    this.retryTimer = this.options.timers.setTimeout(() => {
      this.retryTimer = null;
      this.pump();
    }, delay);
  }

  private recordAttempt(notification: Notification, attempt: number, outcome: DeliveryOutcome, error: string | null, nextAttemptAt: number | null): void {
    const entry: DeliveryAttempt = {
      channel: this.name,
      notificationId: notification.id,
      kind: notification.kind,
      severity: notification.severity,
      attempt,
      ts: this.options.clock.now(),
      outcome,
      error: error === null ? null : scrub(error, this.options.secrets),
      nextAttemptAt,
    };
    try {
      this.options.repository.record(entry);
    } catch (recordError) {
      this.safeLog("error", `notification channel ${this.name} could not record a delivery: ${this.scrubbed(recordError)}`);
    }
  }

  private settleIdle(): void {
    if (this.isSending || (this.queue.length > 0 && !this.isClosed)) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private scrubbed(error: unknown): string {
    return scrub(error instanceof Error ? error.message : String(error), this.options.secrets);
  }

  private safeLog(level: "info" | "warn" | "error", message: string): void {
    try {
      this.options.log?.(level, scrub(message, this.options.secrets));
    } catch {
      // Logging is best effort here: the caller is the engine.
    }
  }
}

/**
 * Every delivery attempt is recorded: the Notifications page shows each channel's deliveries and its last error.
 * The repository is a port; this in-memory one serves tests and the dev server (the SQLite table is the merger's).
 */
import { type NotificationKind, type Severity } from "./types";

export type DeliveryOutcome =
  /** The receiver accepted it. */
  | "delivered"
  /** This attempt failed; another follows after a backoff. */
  | "failed"
  /** The last attempt failed (or the failure cannot be retried): the notification is abandoned. */
  | "gave_up"
  /** Not sent: over the channel's rate limit. */
  | "rate_limited"
  /** Not sent: the channel's queue was full (a channel that is down backs up to its bound, never further). */
  | "dropped";

export interface DeliveryAttempt {
  channel: string;
  notificationId: string;
  kind: NotificationKind;
  severity: Severity;
  /** 1 for the first try; 0 when nothing was sent (rate_limited, dropped). */
  attempt: number;
  /** Epoch ms the outcome was known. */
  ts: number;
  outcome: DeliveryOutcome;
  /** Scrubbed: never a secret, never a token-bearing URL. */
  error: string | null;
  /** When the next attempt is due, for "failed". */
  nextAttemptAt: number | null;
}

export interface DeliveryRepository {
  record(attempt: DeliveryAttempt): void;
}

/** Keeps the last `keep` attempts; listeners hear each one (tests wait on them instead of sleeping). */
export class InMemoryDeliveryRepository implements DeliveryRepository {
  private readonly attempts: DeliveryAttempt[] = [];
  private readonly listeners = new Set<(attempt: DeliveryAttempt) => void>();

  constructor(private readonly keep = 1_000) {}

  record(attempt: DeliveryAttempt): void {
    this.attempts.push({ ...attempt });
    if (this.attempts.length > this.keep) this.attempts.splice(0, this.attempts.length - this.keep);
    for (const listener of this.listeners) listener(attempt);
  }

  /** Attempts oldest first, optionally of one channel. */
  list(channel?: string): DeliveryAttempt[] {
    return this.attempts.filter((attempt) => channel === undefined || attempt.channel === channel).map((attempt) => ({ ...attempt }));
  }

  /** The last error of a channel (the Notifications page), or null. */
  lastError(channel: string): { ts: number; error: string } | null {
    for (let i = this.attempts.length - 1; i >= 0; i--) {
      const attempt = this.attempts[i]!;
      if (attempt.channel === channel && attempt.error !== null) return { ts: attempt.ts, error: attempt.error };
    }
    return null;
  }

  subscribe(listener: (attempt: DeliveryAttempt) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

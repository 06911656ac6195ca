/**
 * What leaves the desk: one notification (the webhook's JSON body is exactly its six public fields) and the small
 * ports a channel needs — timers and a clock injected, a repository for every delivery attempt.
 * Never import the engine here: server/notify sits below it in the folder table; the dispatcher takes the bus by shape.
 */

export const SEVERITIES = ["info", "warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** The kinds the dispatcher produces from bus events, plus "test" for the "send test message" button. */
export const NOTIFICATION_KINDS = ["emergency", "breaker", "protection", "tradingState", "alert", "signal", "drift", "fill", "test"] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** Delivered when a channel names no kinds: the contract (emergency stop, breaker trip, protection fired). */
export const DEFAULT_KINDS: readonly NotificationKind[] = ["emergency", "breaker", "protection", "test"];

export interface Notification {
  /** Unique across restarts (a receiver may dedupe on it; retries resend the same id). */
  id: string;
  kind: NotificationKind;
  severity: Severity;
  /** Epoch ms of the event. */
  ts: number;
  /** One line, e.g. "Protection FLASH_MOVE fired on XLM/BTC". */
  title: string;
  /** The sentence with the numbers. */
  detail: string;
  /** The symbol the event is about, for channel filters; not part of the webhook body. */
  symbol?: string | null;
}

/** The webhook contract's body: exactly these fields, in this order. */
export function publicBody(notification: Notification): { id: string; kind: NotificationKind; severity: Severity; ts: number; title: string; detail: string } {
  const { id, kind, severity, ts, title, detail } = notification;
  return { id, kind, severity, ts, title, detail };
}

/** Timers are injected: retries and timeouts run on a fake scheduler in tests. */
export interface NotifyTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Why one delivery attempt failed. `message` has been scrubbed of every secret. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    /** A later attempt may succeed (connection refused, timeout, 5xx, 429). */
    readonly isRetryable: boolean,
    /** The receiver asked us to wait this long (HTTP Retry-After, Telegram retry_after). */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = "DeliveryError";
  }
}

/** How one channel sends one notification; throws a DeliveryError. */
export interface Transport {
  /** "webhook", "telegram", "email". */
  readonly type: string;
  send(notification: Notification): Promise<void>;
}

/**
 * Replaces each secret (and its URL-encoded form) in a text with "***", and cuts the text short: whatever a
 * receiver or a socket says may end up in the Notifications page.
 */
export function scrub(text: string, secrets: readonly string[], maxLength = 500): string {
  let clean = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) clean = clean.split(form).join("***");
  }
  return clean.length > maxLength ? `${clean.slice(0, maxLength)}…` : clean;
}

/** A failure of any kind as a scrubbed DeliveryError (network errors are retryable). */
export function asDeliveryError(error: unknown, secrets: readonly string[]): DeliveryError {
  if (error instanceof DeliveryError) return new DeliveryError(scrub(error.message, secrets), error.isRetryable, error.retryAfterMs);
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : null;
  const code = (cause as { code?: unknown } | null)?.code ?? (error as { code?: unknown } | null)?.code;
  const text = error instanceof Error ? error.message : String(error);
  const detail = typeof code === "string" ? `${text} (${code})` : cause ? `${text}: ${cause.message}` : text;
  return new DeliveryError(scrub(detail, secrets), true);
}

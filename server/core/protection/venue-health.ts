/**
 * Venue unreachable: N failed requests in a row, or no successful request for N seconds.
 *
 * The engine reports each request's outcome (`recordSuccess`, `recordFailure`) and asks on a schedule
 * (`check`): the time rule needs a clock tick, since a venue that answers nothing produces no outcome at all.
 * The silence rule applies only while the desk is waiting on the venue — a request sent (`recordAttempt`) or failed
 * since the last success — so an idle venue is not called unreachable. The silence is counted from the last
 * success, or from the first thing seen for that venue. Fires once per outage; the next success re-arms it.
 */
import { type ProtectionFiring, formatSpan } from "./types";
import { type VenueUnreachableSettings } from "./settings";

interface VenueHealth {
  lastSuccess: number | null;
  firstSeen: number;
  consecutiveFailures: number;
  lastError: string | null;
  /** A request was sent or failed after the last success. */
  isWaiting: boolean;
  reported: boolean;
}

export class VenueUnreachableDetector {
  private readonly venues = new Map<string, VenueHealth>();

  constructor(private readonly settings: VenueUnreachableSettings) {}

  private health(venue: string, ts: number): VenueHealth {
    let health = this.venues.get(venue);
    if (!health) {
      health = { lastSuccess: null, firstSeen: ts, consecutiveFailures: 0, lastError: null, isWaiting: false, reported: false };
      this.venues.set(venue, health);
    }
    return health;
  }

  recordSuccess(venue: string, ts: number): void {
    const health = this.health(venue, ts);
    health.lastSuccess = Math.max(ts, health.lastSuccess ?? ts);
    health.consecutiveFailures = 0;
    health.lastError = null;
    health.isWaiting = false;
    health.reported = false;
  }

  /** A request left for the venue (its outcome comes later, or never). */
  recordAttempt(venue: string, ts: number): void {
    this.health(venue, ts).isWaiting = true;
  }

  /** Records a failed request; returns the firing when it completes the streak. `error` must already be scrubbed. */
  recordFailure(venue: string, ts: number, error: string): ProtectionFiring | null {
    const health = this.health(venue, ts);
    health.consecutiveFailures += 1;
    health.lastError = error;
    health.isWaiting = true;
    return this.evaluate(venue, health, ts);
  }

  /** Firings for venues silent too long (or failing too often), each once per outage. */
  check(now: number): ProtectionFiring[] {
    const firings: ProtectionFiring[] = [];
    for (const [venue, health] of this.venues) {
      const firing = this.evaluate(venue, health, now);
      if (firing) firings.push(firing);
    }
    return firings;
  }

  private evaluate(venue: string, health: VenueHealth, now: number): ProtectionFiring | null {
    const rule = this.settings;
    if (!rule.enabled || health.reported) return null;
    const base = { rule: "VENUE_UNREACHABLE" as const, scope: { kind: "venue" as const, venue }, ts: now, action: rule.action, lockMinutes: null };
    const lastError = health.lastError ? ` Last error: ${health.lastError}` : "";
    if (health.consecutiveFailures >= rule.maxConsecutiveFailures) {
      health.reported = true;
      return {
        ...base,
        message: `${health.consecutiveFailures} requests to ${venue} failed in a row, reaching the limit of ${rule.maxConsecutiveFailures}.${lastError}`,
        measured: health.consecutiveFailures,
        bound: rule.maxConsecutiveFailures,
      };
    }
    const since = health.lastSuccess ?? health.firstSeen;
    const silenceMs = now - since;
    if (health.isWaiting && silenceMs >= rule.maxSecondsWithoutSuccess * 1000) {
      health.reported = true;
      return {
        ...base,
        message: `No successful request to ${venue} for ${formatSpan(silenceMs)}; the limit is ${formatSpan(rule.maxSecondsWithoutSuccess * 1000)}.${lastError}`,
        measured: silenceMs / 1000,
        bound: rule.maxSecondsWithoutSuccess,
      };
    }
    return null;
  }

  /** The status view: failures in a row and the last success per venue. */
  status(): { venue: string; consecutiveFailures: number; lastSuccess: number | null; isReported: boolean }[] {
    return [...this.venues].map(([venue, h]) => ({ venue, consecutiveFailures: h.consecutiveFailures, lastSuccess: h.lastSuccess, isReported: h.reported }));
  }
}

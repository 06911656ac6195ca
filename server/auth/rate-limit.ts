/**
 * Sign-in rate limiting, in memory (one process serves the desk). Failed attempts are counted per username and
 * per client IP in a sliding window; when either count reaches its limit, sign-in is refused (even with the right
 * password) until the oldest counted failure leaves the window.
 *
 * Defaults: 5 failures per username and 20 per IP in 15 minutes (several people may share an IP). A success clears
 * the username's count but not the IP's (a valid account must not reset an attacker's IP budget). When the IP is
 * unknown (no trusted proxy, see context.ts) only the username limit applies: one shared "unknown" bucket would let
 * one attacker lock everybody out.
 */
import { MINUTE_MS, type Clock } from "../core/clock";
import { wallClock } from "./clock";

export interface RateLimitOptions {
  clock?: Clock;
  maxPerUsername?: number;
  maxPerIp?: number;
  windowMs?: number;
  /** Bound on tracked keys; the least recently failed keys are forgotten first. */
  maxKeys?: number;
}

export type RateLimitDecision = { ok: true } | { ok: false; retryAfterMs: number; message: string };

export const UNKNOWN_IP = "unknown";

export function lockoutMessage(retryAfterMs: number): string {
  const minutes = Math.max(1, Math.ceil(retryAfterMs / MINUTE_MS));
  return `Too many sign-in attempts; try again in ${minutes} ${minutes === 1 ? "minute" : "minutes"}.`;
}

export class SignInRateLimiter {
  private readonly clock: Clock;
  private readonly maxPerUsername: number;
  private readonly maxPerIp: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  /** key → failure times (ascending). Map order = least recently failed first. */
  private readonly failures = new Map<string, number[]>();

  constructor(opts: RateLimitOptions = {}) {
    this.clock = opts.clock ?? wallClock;
    this.maxPerUsername = opts.maxPerUsername ?? 5;
    this.maxPerIp = opts.maxPerIp ?? 20;
    this.windowMs = opts.windowMs ?? 15 * MINUTE_MS;
    this.maxKeys = opts.maxKeys ?? 10_000;
  }

  private keys(username: string, ip: string): Array<[string, number]> {
    const keys: Array<[string, number]> = [[`user:${username.trim().toLowerCase()}`, this.maxPerUsername]];
    if (ip && ip !== UNKNOWN_IP) keys.push([`ip:${ip}`, this.maxPerIp]);
    return keys;
  }

  private recent(key: string, now: number): number[] {
    const times = this.failures.get(key);
    if (!times) return [];
    const kept = times.filter((t) => t > now - this.windowMs);
    if (kept.length === 0) this.failures.delete(key);
    else if (kept.length !== times.length) this.failures.set(key, kept);
    return kept;
  }

  /** May this username try to sign in from this IP now? */
  check(username: string, ip: string): RateLimitDecision {
    const now = this.clock.now();
    let retryAfterMs = 0;
    for (const [key, max] of this.keys(username, ip)) {
      const times = this.recent(key, now);
      if (times.length >= max) {
        // allowed again when enough failures have left the window to go below the limit
        const freeAt = times[times.length - max]! + this.windowMs;
        retryAfterMs = Math.max(retryAfterMs, freeAt - now);
      }
    }
    return retryAfterMs > 0 ? { ok: false, retryAfterMs, message: lockoutMessage(retryAfterMs) } : { ok: true };
  }

  recordFailure(username: string, ip: string): void {
    const now = this.clock.now();
    for (const [key] of this.keys(username, ip)) {
      const times = this.recent(key, now);
      this.failures.delete(key); // re-insert: most recently failed last
      this.failures.set(key, [...times, now]);
    }
    while (this.failures.size > this.maxKeys) {
      const oldest = this.failures.keys().next().value;
      if (oldest === undefined) break;
      this.failures.delete(oldest);
    }
  }

  recordSuccess(username: string): void {
    this.failures.delete(`user:${username.trim().toLowerCase()}`);
  }

  reset(): void {
    this.failures.clear();
  }
}

const globalForLimiter = globalThis as unknown as { bastionSignInLimiter?: SignInRateLimiter };

/** The process-wide limiter the sign-in procedure uses. */
export function signInLimiter(): SignInRateLimiter {
  globalForLimiter.bastionSignInLimiter ??= new SignInRateLimiter();
  return globalForLimiter.bastionSignInLimiter;
}

/** Tests: replace the process-wide limiter (undefined → a fresh default one on next use). */
export function setSignInLimiterForTests(limiter: SignInRateLimiter | undefined): void {
  globalForLimiter.bastionSignInLimiter = limiter;
}

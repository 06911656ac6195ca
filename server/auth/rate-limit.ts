/**
 * Sign-in rate limiting, in memory (one process serves the desk).
 *
 * The rule (README "Signing in"):
 * - An attempt is counted when it starts, before the password is checked, so a thousand parallel guesses are a
 *   thousand counted attempts, not one. A right password takes its own attempt back and clears its pair.
 * - The lockout is keyed by (username, where): 5 failed attempts in 15 minutes lock that username *from that
 *   place* only. "Where" is the browser's device id when it carries a valid device cookie for this username
 *   (device.ts: given at each successful sign-in), else the client address. An attacker who hammers "admin" locks
 *   only themselves out; the admin signs in from a device that signed in before, or from another address.
 * - An address (when known, see context.ts) has 20 attempts per 15 minutes across all usernames (attempts from a
 *   device cookie are not counted there).
 * - At most 2 checks run at once per username and 4 per address; more are refused with "try again in a moment".
 * - When the address is unknown (no trusted proxy) all new devices share it: a local attacker can lock a new
 *   device out of one username for 15 minutes at a time, but never a device that has signed in before.
 */
import { MINUTE_MS, type Clock } from "../core/clock";
import { wallClock } from "./clock";

export interface RateLimitOptions {
  clock?: Clock;
  /** Failed attempts per (username, device or address) in the window. */
  maxPerPair?: number;
  /** Attempts per known address, across usernames. */
  maxPerIp?: number;
  windowMs?: number;
  maxConcurrentPerUser?: number;
  maxConcurrentPerIp?: number;
  /** Bound on tracked keys; the least recently used keys are forgotten first. */
  maxKeys?: number;
}

export type RateLimitDecision = { ok: true } | { ok: false; retryAfterMs: number; message: string };

export const UNKNOWN_IP = "unknown";

export function lockoutMessage(retryAfterMs: number): string {
  const minutes = Math.max(1, Math.ceil(retryAfterMs / MINUTE_MS));
  return `Too many sign-in attempts; try again in ${minutes} ${minutes === 1 ? "minute" : "minutes"}.`;
}

export const BUSY_MESSAGE = "Another sign-in for this account or address is being checked; try again in a moment.";

/** One attempt in flight. Exactly one of succeeded/failed is honoured; both release the attempt's slots. */
export interface SignInAttempt {
  /** The password was right: the attempt is taken back and the (username, where) pair is cleared. */
  succeeded(): void;
  /** The attempt stays counted. */
  failed(): void;
  /** No verdict on the password (the server was busy or failed): the attempt is taken back. */
  abandoned(): void;
}

export type BeginDecision = { ok: true; attempt: SignInAttempt } | { ok: false; retryAfterMs: number; message: string };

export class SignInRateLimiter {
  private readonly clock: Clock;
  private readonly maxPerPair: number;
  private readonly maxPerIp: number;
  private readonly windowMs: number;
  private readonly maxConcurrentPerUser: number;
  private readonly maxConcurrentPerIp: number;
  private readonly maxKeys: number;
  /** key → attempt times (ascending). Map order = least recently used first. */
  private readonly attempts = new Map<string, number[]>();
  private readonly inFlight = new Map<string, number>();

  constructor(opts: RateLimitOptions = {}) {
    this.clock = opts.clock ?? wallClock;
    this.maxPerPair = opts.maxPerPair ?? 5;
    this.maxPerIp = opts.maxPerIp ?? 20;
    this.windowMs = opts.windowMs ?? 15 * MINUTE_MS;
    this.maxConcurrentPerUser = opts.maxConcurrentPerUser ?? 2;
    this.maxConcurrentPerIp = opts.maxConcurrentPerIp ?? 4;
    this.maxKeys = opts.maxKeys ?? 10_000;
  }

  private static user(username: string): string {
    return username.trim().toLowerCase();
  }

  /**
   * Counted keys and their limits: the pair always; the address when it is known and the browser has no device
   * cookie for this username (a device that signed in before is not held back by others on its address).
   */
  private keys(username: string, ip: string, device: string | null): Array<[string, number]> {
    const where = device ? `device:${device}` : `ip:${ip}`;
    const keys: Array<[string, number]> = [[`pair:${SignInRateLimiter.user(username)}|${where}`, this.maxPerPair]];
    if (!device && ip && ip !== UNKNOWN_IP) keys.push([`ip:${ip}`, this.maxPerIp]);
    return keys;
  }

  private flightKeys(username: string, ip: string): Array<[string, number]> {
    const keys: Array<[string, number]> = [[`user:${SignInRateLimiter.user(username)}`, this.maxConcurrentPerUser]];
    if (ip && ip !== UNKNOWN_IP) keys.push([`ip:${ip}`, this.maxConcurrentPerIp]);
    return keys;
  }

  private recent(key: string, now: number): number[] {
    const times = this.attempts.get(key);
    if (!times) return [];
    const kept = times.filter((t) => t > now - this.windowMs);
    if (kept.length === 0) this.attempts.delete(key);
    else if (kept.length !== times.length) this.attempts.set(key, kept);
    return kept;
  }

  /** May this username try to sign in from here now? (Counts nothing.) */
  check(username: string, ip: string, device: string | null = null): RateLimitDecision {
    const now = this.clock.now();
    let retryAfterMs = 0;
    for (const [key, max] of this.keys(username, ip, device)) {
      const times = this.recent(key, now);
      if (times.length >= max) {
        // allowed again when enough attempts have left the window to go below the limit
        const freeAt = times[times.length - max]! + this.windowMs;
        retryAfterMs = Math.max(retryAfterMs, freeAt - now);
      }
    }
    return retryAfterMs > 0 ? { ok: false, retryAfterMs, message: lockoutMessage(retryAfterMs) } : { ok: true };
  }

  /**
   * Starts an attempt: refused when locked out or when too many checks for this username or address are running;
   * otherwise counted now, before any password is checked. Synchronous, so concurrent callers cannot all pass.
   */
  begin(username: string, ip: string, device: string | null = null): BeginDecision {
    const gate = this.check(username, ip, device);
    if (!gate.ok) return gate;
    const flights = this.flightKeys(username, ip);
    if (flights.some(([key, max]) => (this.inFlight.get(key) ?? 0) >= max)) {
      return { ok: false, retryAfterMs: 1000, message: BUSY_MESSAGE };
    }
    for (const [key] of flights) this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    const now = this.clock.now();
    const counted = this.keys(username, ip, device);
    for (const [key] of counted) this.push(key, now);
    let open = true;
    const release = () => {
      if (!open) return false;
      open = false;
      for (const [key] of flights) {
        const n = (this.inFlight.get(key) ?? 1) - 1;
        if (n <= 0) this.inFlight.delete(key);
        else this.inFlight.set(key, n);
      }
      return true;
    };
    return {
      ok: true,
      attempt: {
        succeeded: () => {
          if (!release()) return;
          const [pair, ...others] = counted;
          if (pair) this.attempts.delete(pair[0]);
          // take back this attempt only: a valid account must not reset an attacker's budget on the address
          for (const [key] of others) this.unpush(key, now);
        },
        failed: () => {
          release();
        },
        abandoned: () => {
          if (!release()) return;
          for (const [key] of counted) this.unpush(key, now);
        },
      },
    };
  }

  private push(key: string, now: number): void {
    const times = this.recent(key, now);
    this.attempts.delete(key); // re-insert: most recently used last
    this.attempts.set(key, [...times, now]);
    while (this.attempts.size > this.maxKeys) {
      const oldest = this.attempts.keys().next().value;
      if (oldest === undefined) break;
      this.attempts.delete(oldest);
    }
  }

  private unpush(key: string, at: number): void {
    const times = this.attempts.get(key);
    if (!times) return;
    const i = times.lastIndexOf(at);
    if (i >= 0) times.splice(i, 1);
    if (times.length === 0) this.attempts.delete(key);
  }

  /** Counts a failed attempt after the fact (kept for callers that check first; sign-in uses begin()). */
  recordFailure(username: string, ip: string, device: string | null = null): void {
    const now = this.clock.now();
    for (const [key] of this.keys(username, ip, device)) this.push(key, now);
  }

  reset(): void {
    this.attempts.clear();
    this.inFlight.clear();
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

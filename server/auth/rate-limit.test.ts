import { describe, expect, it } from "vitest";
import { ManualClock, MINUTE_MS } from "../core/clock";
import { lockoutMessage, SignInRateLimiter, UNKNOWN_IP } from "./rate-limit";

function limiter(clock: ManualClock, extra: Partial<{ maxPerUsername: number; maxPerIp: number; maxKeys: number }> = {}) {
  return new SignInRateLimiter({ clock, windowMs: 15 * MINUTE_MS, maxPerUsername: 5, maxPerIp: 20, ...extra });
}

describe("SignInRateLimiter", () => {
  it("locks a username after 5 failures in 15 minutes, and says for how long", () => {
    const clock = new ManualClock(1_000_000);
    const rl = limiter(clock);
    for (let i = 0; i < 5; i++) {
      expect(rl.check("alice", "10.0.0.1").ok).toBe(true);
      rl.recordFailure("alice", "10.0.0.1");
      clock.advance(MINUTE_MS);
    }
    // failures at 0..4 min; now = 5 min; the first leaves the window at 15 min
    const d = rl.check("alice", "10.0.0.9");
    expect(d).toEqual({ ok: false, retryAfterMs: 10 * MINUTE_MS, message: "Too many sign-in attempts; try again in 10 minutes." });
    expect(rl.check("ALICE ", "10.0.0.1").ok).toBe(false); // same user, any case
    expect(rl.check("bob", "10.0.0.2").ok).toBe(true); // others unaffected
    clock.advance(10 * MINUTE_MS - 1);
    expect(rl.check("alice", "10.0.0.1").ok).toBe(false);
    clock.advance(1);
    expect(rl.check("alice", "10.0.0.1").ok).toBe(true);
  });

  it("limits an IP across usernames", () => {
    const clock = new ManualClock(0);
    const rl = limiter(clock, { maxPerIp: 3 });
    for (const name of ["a1", "a2", "a3"]) rl.recordFailure(name, "10.0.0.1");
    expect(rl.check("a4", "10.0.0.1").ok).toBe(false);
    expect(rl.check("a4", "10.0.0.2").ok).toBe(true);
  });

  it("does not share one bucket between clients of unknown address", () => {
    const clock = new ManualClock(0);
    const rl = limiter(clock, { maxPerIp: 3 });
    for (const name of ["a1", "a2", "a3", "a4"]) rl.recordFailure(name, UNKNOWN_IP);
    expect(rl.check("a5", UNKNOWN_IP).ok).toBe(true);
  });

  it("a success clears the username's failures but not the IP's", () => {
    const clock = new ManualClock(0);
    const rl = limiter(clock, { maxPerIp: 6 });
    for (let i = 0; i < 4; i++) rl.recordFailure("alice", "10.0.0.1");
    rl.recordSuccess("alice");
    for (let i = 0; i < 4; i++) rl.recordFailure("alice", "10.0.0.2");
    expect(rl.check("alice", "10.0.0.3").ok).toBe(true); // 4 since the success
    rl.recordFailure("alice", "10.0.0.2");
    expect(rl.check("alice", "10.0.0.3").ok).toBe(false);
    rl.recordSuccess("alice");
    rl.recordFailure("zed", "10.0.0.1");
    rl.recordFailure("zed", "10.0.0.1");
    expect(rl.check("bob", "10.0.0.1").ok).toBe(false); // 6 failures from .1 in the window
  });

  it("forgets the least recently failed keys beyond its bound", () => {
    const clock = new ManualClock(0);
    const rl = limiter(clock, { maxPerUsername: 1, maxKeys: 2 });
    rl.recordFailure("a", UNKNOWN_IP);
    rl.recordFailure("b", UNKNOWN_IP);
    rl.recordFailure("c", UNKNOWN_IP);
    expect(rl.check("a", UNKNOWN_IP).ok).toBe(true);
    expect(rl.check("c", UNKNOWN_IP).ok).toBe(false);
  });

  it.each([[1, "1 minute"], [60_000, "1 minute"], [60_001, "2 minutes"], [14 * MINUTE_MS + 1, "15 minutes"]])("lockoutMessage(%i) says %s", (ms, text) => {
    expect(lockoutMessage(ms)).toBe(`Too many sign-in attempts; try again in ${text}.`);
  });
});

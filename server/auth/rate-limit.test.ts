import { describe, expect, it } from "vitest";
import { ManualClock, MINUTE_MS } from "../core/clock";
import { BUSY_MESSAGE, lockoutMessage, SignInRateLimiter, UNKNOWN_IP, type SignInAttempt } from "./rate-limit";

function limiter(
  clock: ManualClock,
  extra: Partial<{ maxPerPair: number; maxPerIp: number; maxKeys: number; maxConcurrentPerUser: number; maxConcurrentPerIp: number }> = {},
) {
  return new SignInRateLimiter({ clock, windowMs: 15 * MINUTE_MS, maxPerPair: 5, maxPerIp: 20, maxConcurrentPerUser: 100, maxConcurrentPerIp: 100, ...extra });
}

function started(rl: SignInRateLimiter, user: string, ip: string, device: string | null = null): SignInAttempt {
  const d = rl.begin(user, ip, device);
  if (!d.ok) throw new Error(`refused: ${d.message}`);
  return d.attempt;
}

function fail(rl: SignInRateLimiter, user: string, ip: string, device: string | null = null): void {
  started(rl, user, ip, device).failed();
}

describe("SignInRateLimiter", () => {
  it("locks a (username, address) pair after 5 failures in 15 minutes, and says for how long", () => {
    const clock = new ManualClock(1_000_000);
    const rl = limiter(clock);
    for (let i = 0; i < 5; i++) {
      fail(rl, "alice", "10.0.0.1");
      clock.advance(MINUTE_MS);
    }
    // failures at 0..4 min; now = 5 min; the first leaves the window at 15 min
    const d = rl.begin("alice", "10.0.0.1");
    expect(d).toEqual({ ok: false, retryAfterMs: 10 * MINUTE_MS, message: "Too many sign-in attempts; try again in 10 minutes." });
    expect(rl.begin("ALICE ", "10.0.0.1").ok).toBe(false); // same user, any case
    expect(rl.check("bob", "10.0.0.2").ok).toBe(true); // others unaffected
    clock.advance(10 * MINUTE_MS - 1);
    expect(rl.check("alice", "10.0.0.1").ok).toBe(false);
    clock.advance(1);
    expect(rl.check("alice", "10.0.0.1").ok).toBe(true);
  });

  it("an attacker cannot lock the admin out: another address, or a known device on the same one, still gets in", () => {
    const clock = new ManualClock(0);
    const rl = limiter(clock);
    // the attacker keeps failing, for hours, as fast as the limiter lets them, from an address and from "unknown"
    let guesses = 0;
    for (let minute = 0; minute < 6 * 60; minute++) {
      for (const ip of ["6.6.6.6", UNKNOWN_IP]) {
        const d = rl.begin("admin", ip);
        if (d.ok) {
          guesses++;
          d.attempt.failed();
        }
      }
      clock.advance(MINUTE_MS);
    }
    expect(guesses).toBeLessThanOrEqual(2 * 5 * ((6 * 60) / 15)); // 5 per 15 minutes per place
    for (let i = 0; i < 5; i++) {
      const d = rl.begin("admin", "6.6.6.6");
      if (d.ok) d.attempt.failed();
    }
    expect(rl.check("admin", "6.6.6.6").ok).toBe(false); // the attacker's own place is locked
    expect(rl.begin("admin", "10.0.0.7").ok).toBe(true); // the admin from their own address
    expect(rl.begin("admin", UNKNOWN_IP, "device-of-the-admin").ok).toBe(true); // a browser that signed in before
    expect(rl.begin("admin", "6.6.6.6", "device-of-the-admin").ok).toBe(true); // even behind the attacker's address
  });

  it("counts an attempt when it starts: parallel guesses cannot all pass the check", () => {
    const clock = new ManualClock(0);
    const rl = limiter(clock);
    const admitted = Array.from({ length: 50 }, () => rl.begin("alice", "10.0.0.1")).filter((d) => d.ok);
    expect(admitted).toHaveLength(5);
  });

  it("caps the checks running at once per username and per address", () => {
    const clock = new ManualClock(0);
    const rl = limiter(clock, { maxConcurrentPerUser: 2, maxConcurrentPerIp: 3, maxPerPair: 100, maxPerIp: 100 });
    const a = started(rl, "alice", "10.0.0.1");
    started(rl, "alice", "10.0.0.2");
    expect(rl.begin("alice", "10.0.0.3")).toEqual({ ok: false, retryAfterMs: 1000, message: BUSY_MESSAGE });
    a.failed();
    a.failed(); // twice releases once
    started(rl, "alice", "10.0.0.3");
    expect(rl.begin("alice", "10.0.0.4").ok).toBe(false);
    // per address
    started(rl, "b1", "10.9.9.9");
    started(rl, "b2", "10.9.9.9");
    started(rl, "b3", "10.9.9.9");
    expect(rl.begin("b4", "10.9.9.9").ok).toBe(false);
    expect(rl.begin("b4", "10.9.9.8").ok).toBe(true);
  });

  it("limits an address across usernames", () => {
    const clock = new ManualClock(0);
    const rl = limiter(clock, { maxPerIp: 3 });
    for (const name of ["a1", "a2", "a3"]) fail(rl, name, "10.0.0.1");
    expect(rl.check("a4", "10.0.0.1").ok).toBe(false);
    expect(rl.check("a4", "10.0.0.2").ok).toBe(true);
  });

  it("does not share one address bucket between clients of unknown address", () => {
    const clock = new ManualClock(0);
    const rl = limiter(clock, { maxPerIp: 3 });
    for (const name of ["a1", "a2", "a3", "a4"]) fail(rl, name, UNKNOWN_IP);
    expect(rl.check("a5", UNKNOWN_IP).ok).toBe(true);
  });

  it("a success clears its pair and takes back only its own attempt on the address", () => {
    const clock = new ManualClock(0);
    const rl = limiter(clock, { maxPerIp: 6 });
    for (let i = 0; i < 4; i++) fail(rl, "alice", "10.0.0.1");
    started(rl, "alice", "10.0.0.1").succeeded();
    expect(rl.check("alice", "10.0.0.1").ok).toBe(true);
    fail(rl, "zed", "10.0.0.1");
    fail(rl, "zed", "10.0.0.1");
    expect(rl.check("bob", "10.0.0.1").ok).toBe(false); // 6 failures from .1 in the window
  });

  it("an abandoned attempt (server busy) is not counted", () => {
    const clock = new ManualClock(0);
    const rl = limiter(clock, { maxPerPair: 1 });
    started(rl, "alice", "10.0.0.1").abandoned();
    expect(rl.check("alice", "10.0.0.1").ok).toBe(true);
  });

  it("forgets the least recently used keys beyond its bound", () => {
    const clock = new ManualClock(0);
    const rl = limiter(clock, { maxPerPair: 1, maxKeys: 2 });
    fail(rl, "a", UNKNOWN_IP);
    fail(rl, "b", UNKNOWN_IP);
    fail(rl, "c", UNKNOWN_IP);
    expect(rl.check("a", UNKNOWN_IP).ok).toBe(true);
    expect(rl.check("c", UNKNOWN_IP).ok).toBe(false);
  });

  it.each([
    [1, "1 minute"],
    [60_000, "1 minute"],
    [60_001, "2 minutes"],
    [14 * MINUTE_MS + 1, "15 minutes"],
  ])("lockoutMessage(%i) says %s", (ms, text) => {
    expect(lockoutMessage(ms)).toBe(`Too many sign-in attempts; try again in ${text}.`);
  });
});

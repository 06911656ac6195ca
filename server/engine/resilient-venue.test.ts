import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { makeInstrument } from "../core/instrument";
import type { OrderSpec } from "../core/orders/types";
import { seededRng } from "../core/rng";
import { MemoryStore } from "../db/memory-store";
import { SimVenue } from "../venues/sim/sim-venue";
import { FinalVenueError, TransientVenueError, type VenueEvent } from "../venues/venue";
import { Engine } from "./engine";
import { ResilientVenue, type Timers } from "./resilient-venue";

const BTC = makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.00001", minNotional: "5", takerFee: "0.001", makerFee: "0.001" });

/** The simulator with scripted failures, as a flaky exchange would produce them. */
class FlakyVenue extends SimVenue {
  readonly script: ("transient" | "timeout-after" | "timeout-before" | "final" | "ok")[] = [];
  submits = 0;
  override submit(spec: OrderSpec, now: number): VenueEvent[] {
    const step = this.script.shift() ?? "ok";
    if (step === "transient") throw new TransientVenueError("ECONNRESET: connection reset by peer", "NETWORK");
    if (step === "timeout-before") throw new TransientVenueError("request timed out", "TIMEOUT");
    if (step === "final") throw new FinalVenueError("Account has insufficient balance for requested action.", "INSUFFICIENT_FUNDS");
    this.submits++;
    const events = super.submit(spec, now);
    if (step === "timeout-after") throw new TransientVenueError("request timed out after sending", "TIMEOUT"); // the order exists; the answer is lost
    return events;
  }
}

class FakeTimers implements Timers {
  private queue: { at: number; fn: () => void }[] = [];
  constructor(private readonly clock: ManualClock) {}
  setTimeout(fn: () => void, ms: number): unknown {
    this.queue.push({ at: this.clock.now() + ms, fn });
    return null;
  }
  /** Advances time, running due timers in order (and the promises they start). */
  async advance(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at);
      const next = this.queue[0];
      if (!next || next.at > end) break;
      this.queue.shift();
      this.clock.set(Math.max(this.clock.now(), next.at));
      next.fn();
      for (let i = 0; i < 10; i++) await Promise.resolve();
    }
    this.clock.set(end);
    for (let i = 0; i < 10; i++) await Promise.resolve();
  }
}

async function desk(options: { ratePerSecond?: number; burst?: number } = {}) {
  const clock = new ManualClock(Date.UTC(2024, 0, 1));
  const timers = new FakeTimers(clock);
  const flaky = new FlakyVenue({ instruments: [BTC], initialBalances: { USDT: "100000" } });
  const errors: string[] = [];
  let engine: Engine | null = null;
  const venue = new ResilientVenue(flaky, {
    ratePerSecond: options.ratePerSecond ?? 100,
    burst: options.burst ?? 10,
    maxAttempts: 4,
    baseDelayMs: 100,
    maxDelayMs: 2000,
    now: () => clock.now(),
    timers,
    rng: seededRng(1),
    onError: (e) => {
      errors.push(e.message);
      engine?.noteVenueError();
    },
    onSuccess: () => engine?.noteVenueSuccess(),
  });
  const store = new MemoryStore();
  engine = new Engine({ venue, store, clock, ids: sequentialIds(), initialEquity: "100000", breaker: { maxConsecutiveErrors: 3, tripAction: "HALT" } });
  await engine.start();
  await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 20000, ask: 20001 });
  const buy = (qty = "0.01") => engine.execute({ kind: "manualOrder", order: { symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: qty }, actor: { username: "t", role: "trader" }, reason: null });
  return { engine, store, flaky, venue, timers, errors, buy };
}

describe("ResilientVenue", () => {
  it("retries a transient failure with backoff, then the order fills once", async () => {
    const d = await desk();
    d.flaky.script.push("transient", "transient");
    const placed = await d.buy();
    expect(placed).toMatchObject({ ok: true, data: { status: "SUBMITTED" } });
    await d.timers.advance(5_000);
    const state = d.engine.state();
    expect(state.positions[0]?.position.quantity.toString()).toBe("0.01");
    expect(d.flaky.submits).toBe(1);
    expect(d.errors).toHaveLength(2);
  });

  it("a submit that timed out after reaching the venue is looked up, never sent twice", async () => {
    const d = await desk();
    d.flaky.script.push("timeout-after");
    await d.buy();
    await d.timers.advance(5_000);
    expect(d.flaky.submits).toBe(1);
    const coid = d.store.listFills()[0]?.clientOrderId;
    expect(coid).toBeDefined();
    expect(d.store.fillsForOrder(coid!)).toHaveLength(1);
    expect(d.engine.state().positions[0]?.position.quantity.toString()).toBe("0.01");
    expect(d.store.getOrder(coid!)?.order.status).toBe("FILLED");
  });

  it("a submit that timed out before reaching the venue is sent after the lookup finds nothing", async () => {
    const d = await desk();
    d.flaky.script.push("timeout-before");
    await d.buy();
    expect(d.flaky.submits).toBe(0);
    await d.timers.advance(5_000);
    expect(d.flaky.submits).toBe(1);
    expect(d.engine.state().positions[0]?.position.quantity.toString()).toBe("0.01");
  });

  it("a final error rejects at once with the venue's words", async () => {
    const d = await desk();
    d.flaky.script.push("final");
    const placed = await d.buy();
    expect(placed).toMatchObject({ ok: false, code: "VENUE_REJECTED" });
    expect(!placed.ok && placed.message).toMatch(/INSUFFICIENT_FUNDS: Account has insufficient balance/);
  });

  it("gives up after the attempt limit, rejects, and the breaker counts the errors and trips", async () => {
    const d = await desk();
    d.flaky.script.push("transient", "transient", "transient", "transient");
    await d.buy();
    await d.timers.advance(20_000);
    const state = d.engine.state();
    expect(state.positions).toHaveLength(0);
    expect(d.store.listAudit()).toHaveLength(1);
    expect(state.breaker).toMatchObject({ state: "OPEN", reason: "CONSECUTIVE_ERRORS" });
    expect(state.tradingState).toBe("HALTED");
  });

  it("the rate limiter spaces requests out; the queued ones still fill", async () => {
    const d = await desk({ ratePerSecond: 2, burst: 1 });
    const results = await Promise.all([d.buy(), d.buy(), d.buy()]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(d.flaky.submits).toBe(1);
    expect(d.venue.pending).toBe(2);
    await d.timers.advance(600);
    expect(d.flaky.submits).toBe(2);
    await d.timers.advance(600);
    expect(d.flaky.submits).toBe(3);
    expect(d.engine.state().positions[0]?.position.quantity.toString()).toBe("0.03");
  });
});

/**
 * The emergency stop beats everything (DESIGN invariant 6), end to end: the engine → ResilientVenue → CcxtVenue →
 * a real ccxt `binance` → the Binance-compatible test server. ResilientVenue's timers are injected (its rate-limited
 * queue moves only when the test says so), so "nothing left the queue after the stop" is checked without waiting on
 * the wall clock; the exchange answers are awaited as events (polling a condition, never a fixed sleep).
 */
import { afterEach, describe, expect, it } from "vitest";
import { MemoryStore } from "../db/memory-store";
import { BinanceTestServer } from "../../test/binance-test-server";
import { CcxtVenue } from "../venues/ccxt/ccxt-venue";
import { type Timers } from "../core/clock";
import { liveExchangesFor } from "../../test/binance-test-server/live-exchange";
import { LIVE_RISK_LIMITS, liveEngine, liveResilient, liveSymbolSettings, pollFor, wallClock } from "../../test/live-desk";

/** The resilience layer's timers, run only on demand. */
class HeldTimers implements Pick<Timers, "setTimeout"> {
  private queue: (() => void)[] = [];
  setTimeout(fn: () => void, _ms: number): unknown {
    this.queue.push(fn);
    return null;
  }
  /** Runs every timer due (and those they schedule), up to a bound. */
  runAll(max = 1_000): number {
    let ran = 0;
    while (this.queue.length > 0 && ran < max) {
      this.queue.shift()!();
      ran++;
    }
    return ran;
  }
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

describe("emergency lane against the Binance test server", () => {
  it("30 signals queued behind the rate limiter, the stop is pulled: no order reaches the exchange after it; every open order ends canceled", async () => {
    const server = await BinanceTestServer.start({ symbols: ["BTC/USDT"] });
    closers.push(() => server.close());
    server.pushQuote("BTCUSDT", 30_000, 30_000.5, 50, 50);
    const { exchange, emergency } = liveExchangesFor(server.url, { timeoutMs: 5_000 });
    const venue = await CcxtVenue.open({ exchange, emergencyExchange: emergency, symbols: ["BTC/USDT"], clock: wallClock, pollIntervalMs: 0 });
    const timers = new HeldTimers();
    const resilient = liveResilient(venue, { ratePerSecond: 1, burst: 5, maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 500, timers });
    closers.push(() => resilient.close());
    const store = new MemoryStore();
    const engine = liveEngine({
      venue: resilient,
      store,
      riskLimits: { ...LIVE_RISK_LIMITS, maxOpenPositions: 100 },
      defaultSymbolSettings: liveSymbolSettings(0.001),
      emergencyConfirmMs: 15_000,
    });
    await engine.start();
    await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 30_000, ask: 30_000.5 });

    // Five resting orders at the exchange (the bucket's burst), then a burst of 30 signals: all queued.
    const trader = { username: "tina", role: "trader" as const };
    for (let i = 0; i < 5; i++) {
      const placed = await engine.execute({
        kind: "manualOrder",
        order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.001", price: String(25_000 + i) },
        actor: trader,
        reason: null,
      });
      expect(placed).toMatchObject({ ok: true });
    }
    await venue.idle();
    await pollFor("5 resting orders accepted", () => engine.state().openOrders.filter((o) => o.status === "ACCEPTED").length === 5);
    for (let i = 0; i < 30; i++) {
      const r = await engine.execute({
        kind: "signal",
        signal: { id: `burst-${i}`, symbol: "BTC/USDT", action: "BUY", confidence: 0.8, strategy: "burst", ts: Date.now() },
        source: "test",
      });
      expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
    }
    expect(resilient.pending).toBe(30);
    const sentBeforeStop = server.requests("POST /api/v3/order").length;
    expect(sentBeforeStop).toBe(5);

    const started = performance.now();
    const stop = await engine.execute({ kind: "emergencyStop", flatten: false, actor: { username: "admin", role: "admin" }, reason: "burst drill" });
    expect(stop).toMatchObject({ ok: true, data: { progress: { ordersToCancel: 5 } } });
    expect(resilient.pending).toBe(0);
    await venue.idle();
    await pollFor("the emergency stop done", () => engine.state().emergency?.step === "done");
    console.info(
      `[emergency-lane] stop with 30 queued orders dropped and 5 resting orders canceled, confirmed in ${(performance.now() - started).toFixed(0)} ms`,
    );
    // Whatever the rate limiter or a retry would still have sent now gets its chance: nothing goes.
    timers.runAll();
    await venue.idle();
    expect(server.requests("POST /api/v3/order")).toHaveLength(sentBeforeStop);
    expect(server.account.openOrderCount()).toBe(0);
    expect(engine.state().openOrders).toEqual([]);
    expect(engine.state().emergency).toMatchObject({ ordersToCancel: 5, ordersCanceled: 5 });
    expect(engine.state().tradingState).toBe("HALTED");
    const orders = store.loadOrders({ onlyOpen: false }).map((o) => o.order);
    expect(orders.filter((o) => o.status === "DENIED" && o.reason?.startsWith("TRADING_HALTED"))).toHaveLength(30);
    expect(orders.filter((o) => o.status === "CANCELED")).toHaveLength(5);
  });
});

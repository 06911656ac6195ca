import { describe, expect, it } from "vitest";
import { ManualClock, type Timers } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { makeInstrument } from "../core/instrument";
import type { OrderSpec } from "../core/orders/types";
import { seededRng } from "../core/rng";
import { MemoryStore } from "../db/memory-store";
import { SimVenue } from "../venues/sim/sim-venue";
import { FinalVenueError, TransientVenueError, type VenueEvent, type VenueOrderSnapshot } from "../venues/venue";
import { Engine } from "./engine";
import { ResilientVenue } from "./resilient-venue";
import type { DomainEvent } from "./types";

const BTC = makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.00001", minNotional: "5", takerFee: "0.001", makerFee: "0.001" });

type Step = "refused" | "reset-before" | "reset-after" | "timeout-after" | "timeout-before" | "unknown-then-place-on-lookup" | "final" | "ok";

/** The simulator with scripted failures, as a flaky exchange would produce them. */
class FlakyVenue extends SimVenue {
  readonly script: Step[] = [];
  submits = 0;
  /** Orders whose "status unknown" answer hid an execution that happens when they are first looked up. */
  private readonly placeOnLookup = new Map<string, OrderSpec>();
  fence: number | null = null;
  lookups = 0;

  override submit(spec: OrderSpec, now: number): VenueEvent[] {
    const step = this.script.shift() ?? "ok";
    if (step === "refused") throw new TransientVenueError("RATE_LIMITED: too many requests; nothing was done", "RATE_LIMITED");
    if (step === "reset-before") throw new TransientVenueError("NOT_CONNECTED: connect ECONNREFUSED", "NOT_CONNECTED");
    if (step === "timeout-before") throw new TransientVenueError("request timed out", "TIMEOUT");
    if (step === "final") throw new FinalVenueError("Account has insufficient balance for requested action.", "INSUFFICIENT_FUNDS");
    if (step === "unknown-then-place-on-lookup") {
      this.placeOnLookup.set(spec.clientOrderId, spec);
      throw new TransientVenueError(
        "TIMEOUT: Timeout waiting for response from backend server. Send status unknown; execution status unknown. (code -1007)",
        "TIMEOUT",
      );
    }
    this.submits++;
    if (this.holdAnswers && step === "ok") {
      this.heldSpecs.push(spec);
      return [];
    }
    const events = super.submit(spec, now);
    if (step === "timeout-after") throw new TransientVenueError("request timed out after sending", "TIMEOUT"); // the order exists; the answer is lost
    if (step === "reset-after") throw new TransientVenueError("NETWORK: ECONNRESET: connection reset by peer", "NETWORK"); // executed, then the socket dropped
    return events;
  }

  override fetchOrder(clientOrderId: string): Promise<VenueOrderSnapshot | null> {
    this.lookups++;
    const late = this.placeOnLookup.get(clientOrderId);
    if (late) {
      // The exchange executes it only now, after this (first) lookup found nothing.
      this.placeOnLookup.delete(clientOrderId);
      const result = super.fetchOrder(clientOrderId);
      this.submits++;
      super.submit(late, Date.UTC(2024, 0, 1));
      return result;
    }
    return super.fetchOrder(clientOrderId);
  }

  submitFenceMs(_symbol: string): number | null {
    return this.fence;
  }

  /** Submissions that reach the exchange later (a real exchange's queue): executed and answered on `releaseAnswers`. */
  holdAnswers = false;
  private heldSpecs: OrderSpec[] = [];
  releaseAnswers(): void {
    for (const spec of this.heldSpecs.splice(0)) this.later(super.submit(spec, Date.UTC(2024, 0, 1)));
  }

  /** Cancel-all answers held back (a real exchange confirms later) until `releaseCancels`. */
  holdCancels = false;
  private held: VenueEvent[] = [];
  private later: (events: VenueEvent[]) => void = () => undefined;
  override setEventSink(sink: (events: VenueEvent[]) => void): void {
    super.setEventSink(sink);
    this.later = sink;
  }
  override cancelAll(symbol: string | undefined, now: number): VenueEvent[] {
    const events = super.cancelAll(symbol, now);
    if (!this.holdCancels) return events;
    this.held.push(...events);
    return [];
  }
  releaseCancels(): void {
    const events = this.held.splice(0);
    this.later(events);
  }
}

/** Injected timers: time moves only when a test says so. */
class FakeTimers implements Timers {
  private queue: { id: number; at: number; fn: () => void }[] = [];
  private nextId = 1;
  constructor(private readonly clock: ManualClock) {}
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.queue.push({ id, at: this.clock.now() + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.queue = this.queue.filter((t) => t.id !== handle);
  }
  /** Advances time, running due timers in order (and the promises they start). */
  async advance(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.queue[0];
      if (!next || next.at > end) break;
      this.queue.shift();
      this.clock.set(Math.max(this.clock.now(), next.at));
      next.fn();
      for (let i = 0; i < 20; i++) await Promise.resolve();
    }
    this.clock.set(end);
    for (let i = 0; i < 20; i++) await Promise.resolve();
  }
}

const trader = { username: "t", role: "trader" as const };

async function desk(options: { ratePerSecond?: number; burst?: number; store?: MemoryStore; clock?: ManualClock; flaky?: FlakyVenue; quote?: boolean } = {}) {
  const clock = options.clock ?? new ManualClock(Date.UTC(2024, 0, 1));
  const timers = new FakeTimers(clock);
  const flaky = options.flaky ?? new FlakyVenue({ instruments: [BTC], initialBalances: { USDT: "100000" } });
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
  const store = options.store ?? new MemoryStore();
  engine = new Engine({
    venue,
    store,
    clock,
    ids: sequentialIds(options.store ? "r" : ""),
    initialEquity: "100000",
    breaker: { maxConsecutiveErrors: 3, tripAction: "HALT", maxOrdersPerMinute: null, maxOrdersPerHour: null },
    riskLimits: { maxOpenPositions: 100, maxPortfolioExposurePct: 100, minNotional: "5", maxOrdersPerMinute: 1_000, maxSymbolExposurePct: 100 },
    timers,
    emergencyConfirmMs: 10_000,
  });
  const alerts: string[] = [];
  engine.bus.subscribe((e: DomainEvent) => {
    if (e.type === "alert") alerts.push(e.message);
  });
  await engine.start();
  if (options.quote !== false) await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 20000, ask: 20001 });
  const buy = (qty = "0.01") =>
    engine.execute({ kind: "manualOrder", order: { symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: qty }, actor: trader, reason: null });
  const limit = (price: string, qty = "0.01") =>
    engine.execute({ kind: "manualOrder", order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: qty, price }, actor: trader, reason: null });
  return { engine, store, flaky, venue, timers, clock, errors, alerts, buy, limit };
}

const coidOf = (r: { ok: boolean; data?: Record<string, unknown> }) => (r.ok ? String(r.data?.clientOrderId) : "");

describe("ResilientVenue: retries only what certainly did not execute", () => {
  it("retries a request refused before execution (rate limited, connection never opened) with backoff, then the order fills once", async () => {
    const d = await desk();
    d.flaky.script.push("refused", "reset-before");
    const placed = await d.buy();
    expect(placed).toMatchObject({ ok: true, data: { status: "SUBMITTED" } });
    await d.timers.advance(5_000);
    expect(d.engine.state().positions[0]?.position.quantity.toString()).toBe("0.01");
    expect(d.flaky.submits).toBe(1);
    expect(d.errors).toHaveLength(2);
  });

  it("a connection dropped after sending is NOT retried: the order is in doubt and executes once", async () => {
    const d = await desk();
    d.flaky.script.push("reset-after");
    const coid = coidOf(await d.buy());
    expect(d.engine.state().inDoubt).toMatchObject([{ clientOrderId: coid, lookups: 0, reason: "NETWORK: ECONNRESET: connection reset by peer" }]);
    expect(d.store.getOrder(coid)?.order.status).toBe("SUBMITTED");
    await d.timers.advance(10_000);
    expect(d.flaky.submits).toBe(1); // the old path re-sent it after the retry: a doubled market order
    expect(d.store.getOrder(coid)?.order.status).toBe("FILLED");
    expect(d.engine.state().inDoubt).toEqual([]);
    expect(d.engine.state().positions[0]?.position.quantity.toString()).toBe("0.01");
  });

  it("a final error rejects at once with the venue's words", async () => {
    const d = await desk();
    d.flaky.script.push("final");
    const placed = await d.buy();
    expect(placed).toMatchObject({ ok: false, error: { code: "VENUE_REJECTED" } });
    expect(!placed.ok && placed.error.message).toMatch(/INSUFFICIENT_FUNDS: Account has insufficient balance/);
  });

  it("gives up after the attempt limit, rejects, and the breaker counts the errors and trips", async () => {
    const d = await desk();
    d.flaky.script.push("refused", "refused", "refused", "refused");
    await d.buy();
    await d.timers.advance(20_000);
    const state = d.engine.state();
    expect(state.positions).toHaveLength(0);
    expect(d.flaky.submits).toBe(0);
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

describe("orders in doubt: never sent again blindly", () => {
  it("a submit that timed out after reaching the venue is found by its lookup: state and fill applied, never sent twice", async () => {
    const d = await desk();
    d.flaky.script.push("timeout-after");
    const coid = coidOf(await d.buy());
    await d.timers.advance(5_000);
    expect(d.flaky.submits).toBe(1);
    expect(d.store.fillsForOrder(coid)).toHaveLength(1);
    expect(d.engine.state().positions[0]?.position.quantity.toString()).toBe("0.01");
    expect(d.store.getOrder(coid)?.order.status).toBe("FILLED");
    expect(d.store.journalFor(coid).map((e) => e.type)).toEqual(["intent", "submit", "inDoubt", "accept", "inDoubtResolved", "fill"]);
    expect(d.engine.state().inDoubt).toEqual([]);
  });

  it("'status unknown' (-1007) and the exchange executes it after the first lookup: still one execution, found by a later lookup", async () => {
    const d = await desk();
    d.flaky.script.push("unknown-then-place-on-lookup");
    const coid = coidOf(await d.buy());
    await d.timers.advance(1_000); // first lookup: nothing there (the exchange executes it right after)
    expect(d.flaky.lookups).toBe(1);
    expect(d.store.getOrder(coid)?.order.status).toBe("SUBMITTED");
    expect(d.engine.state().inDoubt).toMatchObject([{ clientOrderId: coid, lookups: 1 }]);
    await d.timers.advance(2_000); // the second lookup, 2 s later, finds it
    expect(d.flaky.submits).toBe(1); // the old path re-sent it after the empty lookup: two executions
    expect(d.store.getOrder(coid)?.order.status).toBe("FILLED");
    expect(d.store.fillsForOrder(coid)).toHaveLength(1);
    expect(d.engine.state().positions[0]?.position.quantity.toString()).toBe("0.01");
  });

  it("not found and no fence: it stays in doubt (SUBMITTED, marker in the books), lookups slow down, the operator is alerted; nothing re-sends it", async () => {
    const d = await desk();
    d.flaky.script.push("timeout-before");
    const coid = coidOf(await d.buy());
    await d.timers.advance(1_000 + 2_000 + 4_000); // lookups at +1 s, +3 s, +7 s
    expect(d.flaky.lookups).toBe(3);
    const [marker] = d.engine.state().inDoubt;
    expect(marker).toMatchObject({ clientOrderId: coid, lookups: 3, fenceMs: null, alerted: true, nextLookupAt: d.clock.now() + 8_000 });
    expect(d.alerts.filter((a) => a.includes(coid))).toHaveLength(2);
    expect(d.alerts[0]).toMatch(/did not say whether it was placed.*in doubt.*not re-sent/);
    expect(d.alerts[1]).toMatch(/is in doubt.*3 lookup\(s\) have not found it.*not re-sent.*Reconciliation page/);
    await d.timers.advance(120_000);
    expect(d.flaky.submits).toBe(0); // the old path sent it again after the first empty lookup
    expect(d.store.getOrder(coid)?.order.status).toBe("SUBMITTED");
    expect(d.alerts.filter((a) => a.includes(coid))).toHaveLength(2); // the second (a person is needed) once
    expect(d.store.listDrifts().filter((r) => r.kind === "ORDER_IN_DOUBT" && r.subject === coid)).toHaveLength(1);
    // Scheduled reconciliation does not call it never sent.
    await d.engine.reconcile({ graceMs: 0 });
    expect(d.store.getOrder(coid)?.order.status).toBe("SUBMITTED");
    expect(d.store.listDrifts().some((r) => r.kind === "NEVER_SENT")).toBe(false);
  });

  it("with a venue fence: not found after the fence + the clock-skew margin means never placed (REJECTED with the reason); not before", async () => {
    const d = await desk();
    d.flaky.fence = 10_000;
    d.flaky.script.push("timeout-before");
    const coid = coidOf(await d.buy());
    await d.timers.advance(1_000 + 2_000 + 4_000 + 7_000); // lookups at 1, 3, 7 s (before 10 + 5 s) and 15 s
    expect(d.store.getOrder(coid)?.order.status).toBe("SUBMITTED");
    await d.timers.advance(1_000); // lookup at 15 s: fence + margin passed
    expect(d.store.getOrder(coid)?.order).toMatchObject({ status: "REJECTED" });
    expect(d.store.getOrder(coid)?.order.reason).toMatch(/^NEVER_PLACED: not at sim after its 10 s receive window \(\+ 5 s for clock skew\)/);
    expect(d.engine.state().inDoubt).toEqual([]);
    expect(d.flaky.submits).toBe(0);
  });

  it("survives a restart: the marker is persisted and the lookups resume", async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(Date.UTC(2024, 0, 1));
    const flaky = new FlakyVenue({ instruments: [BTC], initialBalances: { USDT: "100000" } });
    const first = await desk({ store, clock, flaky });
    flaky.script.push("unknown-then-place-on-lookup");
    const coid = coidOf(await first.buy());
    await first.timers.advance(1_000);
    expect(first.engine.state().inDoubt).toMatchObject([{ clientOrderId: coid, lookups: 1 }]);
    // A new process on the same books (the old one's timers die with it).
    const second = await desk({ store, clock, flaky, quote: false });
    expect(store.getOrder(coid)?.order.status).toBe("FILLED"); // the start's reconciliation found it at the venue
    expect(second.engine.state().inDoubt).toEqual([]);
  });

  it("a restart with the order still missing: it stays in doubt, not 'never sent'", async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(Date.UTC(2024, 0, 1));
    const flaky = new FlakyVenue({ instruments: [BTC], initialBalances: { USDT: "100000" } });
    const first = await desk({ store, clock, flaky });
    flaky.script.push("timeout-before");
    const coid = coidOf(await first.buy());
    await first.timers.advance(1);
    const second = await desk({ store, clock, flaky, quote: false });
    expect(store.getOrder(coid)?.order.status).toBe("SUBMITTED");
    expect(second.engine.state().inDoubt).toMatchObject([{ clientOrderId: coid }]);
    await second.timers.advance(1_000);
    expect(second.engine.state().inDoubt).toMatchObject([{ clientOrderId: coid, lookups: 1 }]);
  });

  it("the operator adopts what the venue shows, or marks it not placed (reason required, audited, checked at the venue first)", async () => {
    const d = await desk();
    d.flaky.script.push("timeout-before", "timeout-after");
    const missing = coidOf(await d.buy());
    const landed = coidOf(await d.buy());
    await d.timers.advance(1);
    expect(
      d.engine
        .state()
        .inDoubt.map((m) => m.clientOrderId)
        .sort(),
    ).toEqual([missing, landed].sort());

    expect(await d.engine.adoptInDoubt(missing, trader, null)).toMatchObject({ ok: false, error: { code: "NOT_AT_VENUE" } });
    expect(await d.engine.markInDoubtNotPlaced(missing, trader, "  ")).toMatchObject({ ok: false, error: { code: "REASON_REQUIRED" } });
    expect(await d.engine.markInDoubtNotPlaced(landed, trader, "checked the exchange")).toMatchObject({ ok: false, error: { code: "FOUND_AT_VENUE" } });

    expect(await d.engine.adoptInDoubt(landed, trader, "seen on the exchange")).toMatchObject({ ok: true, data: { status: "FILLED", fills: 1 } });
    const notPlaced = await d.engine.markInDoubtNotPlaced(missing, trader, "not on the exchange's order history");
    expect(notPlaced).toMatchObject({ ok: true, data: { status: "REJECTED" } });
    expect(d.store.getOrder(missing)?.order.reason).toBe("NOT_PLACED: marked not placed by t: not on the exchange's order history");
    expect(d.engine.state().inDoubt).toEqual([]);
    expect(d.store.listAudit().map((a) => [a.action, a.result])).toEqual([
      ["manual_order", "OK"],
      ["manual_order", "OK"],
      ["in_doubt_adopt", "REFUSED"],
      ["in_doubt_not_placed", "REFUSED"],
      ["in_doubt_not_placed", "REFUSED"],
      ["in_doubt_adopt", "OK"],
      ["in_doubt_not_placed", "OK"],
    ]);
    expect(await d.engine.adoptInDoubt(missing, trader, null)).toMatchObject({ ok: false, error: { code: "NOT_IN_DOUBT" } });
    await d.timers.advance(60_000);
    expect(d.flaky.submits).toBe(1);
  });

  it("scheduled reconciliation never marks an order never-sent while its request waits behind the rate limiter", async () => {
    const d = await desk({ ratePerSecond: 1, burst: 1 });
    await d.limit("19000");
    const queued = coidOf(await d.limit("19001"));
    expect(d.venue.requestInFlight(queued)).toBe(true);
    await d.engine.reconcile({ graceMs: 0 });
    expect(d.store.getOrder(queued)?.order.status).toBe("SUBMITTED"); // the old reconciliation: REJECTED "NEVER_SENT", then sent anyway
    await d.timers.advance(1_000);
    expect(d.store.getOrder(queued)?.order.status).toBe("ACCEPTED");
    expect(d.venue.requestInFlight(queued)).toBe(false);
  });
});

describe("the emergency lane", () => {
  it("a burst of 30 orders queued behind the rate limiter, the stop is pulled: none reaches the venue after it, all end DENIED (journaled), every open order is canceled", async () => {
    const d = await desk({ ratePerSecond: 1, burst: 3 });
    const placed = [];
    for (let i = 0; i < 30; i++) placed.push(await d.limit(String(19_000 + i)));
    expect(placed.every((r) => r.ok)).toBe(true);
    expect(d.flaky.submits).toBe(3);
    expect(d.venue.pending).toBe(27);
    // One retry of a refused order is pending too.
    d.flaky.script.push("refused");
    const retried = coidOf(await d.limit("18000"));
    expect(d.venue.requestInFlight(retried)).toBe(true);

    const stop = await d.engine.execute({ kind: "emergencyStop", flatten: false, actor: { username: "admin", role: "admin" }, reason: "drill" });
    expect(stop).toMatchObject({ ok: true, data: { progress: { ordersToCancel: 3 } } });
    const submitsAtStop = d.flaky.submits;
    await d.timers.advance(60_000);
    expect(d.flaky.submits).toBe(submitsAtStop); // nothing reached the venue after the stop
    expect(d.venue.pending).toBe(0);
    const orders = d.store.loadOrders({ onlyOpen: false }).map((o) => o.order);
    expect(orders.filter((o) => o.status === "DENIED")).toHaveLength(28);
    expect(orders.filter((o) => o.status === "CANCELED")).toHaveLength(3);
    expect(orders.filter((o) => !["DENIED", "CANCELED"].includes(o.status))).toEqual([]);
    const denied = orders.find((o) => o.status === "DENIED")!;
    expect(denied.reason).toMatch(/^TRADING_HALTED: /);
    expect(d.store.journalFor(denied.clientOrderId).map((e) => e.type)).toEqual(["intent", "submit", "deny"]);
    expect(d.store.getOrder(retried)?.order.status).toBe("DENIED");
    expect(d.engine.state().openOrders).toEqual([]);
    expect(d.engine.state().emergency).toMatchObject({ step: "done", ordersToCancel: 3, ordersCanceled: 3 });
  });

  it("an order in doubt when the stop is pulled, found working at the venue later: it is canceled then", async () => {
    const d = await desk();
    d.flaky.script.push("unknown-then-place-on-lookup");
    const coid = coidOf(await d.limit("19000"));
    const steps: string[] = [];
    d.engine.bus.subscribe((e: DomainEvent) => {
      if (e.type === "emergency") steps.push(e.progress.message);
    });
    const stop = await d.engine.execute({ kind: "emergencyStop", flatten: false, actor: { username: "admin", role: "admin" }, reason: "drill" });
    // Not waited for (no cancel-all can confirm it), but said.
    expect(stop).toMatchObject({ ok: true, data: { progress: { step: "done", ordersToCancel: 0 } } });
    expect(steps).toContain("Canceling 0 open order(s) on sim. 1 order(s) in doubt are looked up and canceled if found.");
    await d.timers.advance(1_000); // first lookup: nothing yet (the exchange places it right after)
    expect(await d.flaky.fetchOpenOrders()).toHaveLength(1);
    await d.timers.advance(2_000); // second lookup: found working → canceled
    expect(await d.flaky.fetchOpenOrders()).toEqual([]);
    expect(d.store.getOrder(coid)?.order.status).toBe("CANCELED");
    expect(d.engine.state().inDoubt).toEqual([]);
  });

  it("an order in doubt when the stop is pulled, found filled later: booked, and an alert says a position appeared", async () => {
    const d = await desk();
    d.flaky.script.push("unknown-then-place-on-lookup");
    const coid = coidOf(await d.buy());
    await d.engine.execute({ kind: "emergencyStop", flatten: false, actor: { username: "admin", role: "admin" }, reason: "drill" });
    await d.timers.advance(3_000);
    expect(d.store.getOrder(coid)?.order.status).toBe("FILLED");
    expect(d.engine.state().positions[0]?.position.quantity.toString()).toBe("0.01");
    expect(d.alerts.some((a) => a.includes(coid) && a.includes("check the positions"))).toBe(true);
  });

  it("while halted the venue layer refuses new orders; reduce-only orders and cancels still go", async () => {
    const d = await desk();
    await d.engine.execute({ kind: "emergencyStop", flatten: false, actor: { username: "admin", role: "admin" }, reason: "drill" });
    expect(d.venue.isHalted).toBe(true);
    expect(() => d.venue.submit({ clientOrderId: "x-1", symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.01" }, d.clock.now())).toThrow(
      /TRADING_HALTED/,
    );
    expect(
      d.venue.submit({ clientOrderId: "x-2", symbol: "BTC/USDT", side: "SELL", type: "MARKET", quantity: "0.01", reduceOnly: true }, d.clock.now()),
    ).not.toHaveLength(0);
    await d.engine.execute({ kind: "resetBreaker", actor: { username: "admin", role: "admin" }, reason: "drill over" });
    expect(d.venue.isHalted).toBe(false);
  });

  it("at most maxInFlight new orders are sent and unanswered: the rest wait in the queue a halt empties", async () => {
    const d = await desk({ burst: 10 });
    d.flaky.holdAnswers = true; // answers come later, as from a real exchange
    const coids = [];
    for (let i = 0; i < 14; i++) coids.push(coidOf(await d.limit(String(19_000 + i))));
    expect(d.flaky.submits).toBe(10); // the default window: the burst, at most 10
    expect(d.venue.pending).toBe(4);
    d.flaky.releaseAnswers();
    await d.timers.advance(100);
    expect(d.flaky.submits).toBe(14);
    d.flaky.releaseAnswers();
    await d.timers.advance(100);
    expect(coids.map((c) => d.store.getOrder(c)?.order.status)).toEqual(coids.map(() => "ACCEPTED"));
  });

  it("a new order sent before the halt that reaches the exchange after the cancel-all is canceled on arrival", async () => {
    const d = await desk();
    d.flaky.holdAnswers = true;
    const coid = coidOf(await d.limit("19000"));
    await d.engine.execute({ kind: "emergencyStop", flatten: false, actor: { username: "admin", role: "admin" }, reason: "drill" });
    expect(await d.flaky.fetchOpenOrders()).toEqual([]); // not there yet when the cancel-all ran
    d.flaky.holdAnswers = false;
    d.flaky.releaseAnswers(); // it lands now, and is acknowledged
    await d.timers.advance(10_000);
    expect(await d.flaky.fetchOpenOrders()).toEqual([]);
    expect(d.store.getOrder(coid)?.order.status).toBe("CANCELED");
  });

  it("cancels never wait behind routine orders: the routine queue is full, the cancel goes at once", async () => {
    const d = await desk({ ratePerSecond: 1, burst: 1 });
    const first = coidOf(await d.limit("19000"));
    for (let i = 0; i < 10; i++) await d.limit(String(19_001 + i));
    expect(d.venue.pending).toBe(10);
    const cancel = await d.engine.execute({ kind: "cancelOrder", clientOrderId: first, actor: trader, reason: null });
    expect(cancel).toMatchObject({ ok: true });
    expect(d.store.getOrder(first)?.order.status).toBe("CANCELED"); // at once, not after the 10 queued orders
    expect(d.venue.pending).toBe(10);
  });

  it("pressing the stop twice runs it once and answers with the running one's progress", async () => {
    const d = await desk();
    for (let i = 0; i < 3; i++) await d.limit(String(19_000 + i));
    d.flaky.holdCancels = true; // the venue confirms the cancels later: the first stop is still running
    const steps: string[] = [];
    d.engine.bus.subscribe((e: DomainEvent) => {
      if (e.type === "emergency") steps.push(e.progress.step);
    });
    const admin = { username: "admin", role: "admin" as const };
    const one = await d.engine.execute({ kind: "emergencyStop", flatten: true, actor: admin, reason: "first" });
    expect(one).toMatchObject({ ok: true, data: { progress: { step: "canceling", ordersToCancel: 3 } } });
    const two = await d.engine.execute({ kind: "emergencyStop", flatten: true, actor: admin, reason: "second" });
    expect(two).toMatchObject({ ok: true, data: { alreadyRunning: true, progress: { step: "canceling", ordersToCancel: 3, ordersCanceled: 0 } } });
    expect(steps.filter((s) => s === "halted")).toHaveLength(1);
    d.flaky.releaseCancels();
    await d.timers.advance(1);
    expect(d.engine.state().emergency).toMatchObject({ step: "done", ordersToCancel: 3, ordersCanceled: 3 });
    expect(steps.filter((s) => s === "halted")).toHaveLength(1);
    expect(d.store.listAudit().filter((a) => a.action === "emergency_stop")).toHaveLength(2); // both presses audited
  });
});

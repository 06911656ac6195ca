/**
 * The parent state machine with each planner, driven by a fake venue on a manual clock. One file over 600 lines
 * because the Harness below is shared by every block and this change was limited to server/core/algos (test support
 * belongs in test/, not beside production code): moving Harness to test/ lets this split per algorithm.
 */
import { describe, expect, it } from "vitest";
import { makeInstrument, type Instrument } from "../instrument";
import { D, Decimal, isMultipleOf, sumDec } from "../money";
import { parentProgress, startParent, stepParent } from "./parent";
import { parseParentState, serializeParentState } from "./serialize";
import { implementationShortfallBps } from "./shortfall";
import { learnVolumeProfile, profileShare } from "./volume-profile";
import { type AlgoConfig, type ChildOrderSpec, type ParentEvent, type ParentIntent, type ParentSpec, type ParentState, type TwapConfig } from "./types";

const BTC = makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.001", minQty: "0.001", minNotional: "10" });
const MIN = 60_000;

function makeSpec(algo: AlgoConfig, over: Partial<ParentSpec> = {}): ParentSpec {
  return {
    id: "p1",
    symbol: "BTC/USDT",
    side: "BUY",
    targetQty: D("1"),
    limitPrice: null,
    arrivalPrice: D("20000"),
    startAt: 0,
    seed: 42,
    algo,
    endBehaviour: "cross",
    restartPolicy: "resume",
    maxRejections: 3,
    ...over,
  };
}

const twap = (over: Partial<TwapConfig> = {}): TwapConfig => ({
  kind: "twap",
  horizonMs: 60 * MIN,
  intervalMs: 6 * MIN,
  sizeJitter: 0,
  timeJitter: 0,
  ...over,
});

/** How the fake venue answers a placed child: the events it sends back, in order. */
type VenueReaction = (child: ChildOrderSpec, harness: Harness) => ParentEvent[];

const fillAt =
  (price: string): VenueReaction =>
  (child) => [
    { type: "childAccepted", clientOrderId: child.clientOrderId },
    { type: "childFilled", clientOrderId: child.clientOrderId, tradeId: `${child.clientOrderId}-t1`, qty: child.qty, price: D(price) },
  ];
const acceptOnly: VenueReaction = (child) => [{ type: "childAccepted", clientOrderId: child.clientOrderId }];
/** An IOC that finds nothing: accepted, then its rest canceled. */
const iocNothing: VenueReaction = (child) => [
  { type: "childAccepted", clientOrderId: child.clientOrderId },
  { type: "childCancelled", clientOrderId: child.clientOrderId, reason: "IOC rest" },
];

/**
 * Drives a parent like the engine would: applies events, answers placed children with a fake venue reaction,
 * acknowledges cancels, and fires the timers the parent asked for on a manual clock.
 */
class Harness {
  state: ParentState;
  now = 0;
  readonly intents: { at: number; intent: ParentIntent }[] = [];
  readonly placed: { at: number; child: ChildOrderSpec }[] = [];
  private timers: number[] = [];
  constructor(
    spec: ParentSpec,
    public venue: VenueReaction | null = fillAt("20000"),
    public ackCancels = true,
    readonly instrument: Instrument = BTC,
  ) {
    this.now = spec.startAt;
    const started = startParent(spec, { now: this.now, instrument });
    if (!started.ok) throw new Error(started.error.message);
    this.state = started.value.state;
    this.react(started.value.intents);
  }
  static fromState(state: ParentState, now: number, venue: VenueReaction | null, instrument: Instrument = BTC): Harness {
    const harness = Object.create(Harness.prototype) as Harness;
    Object.assign(harness, { state, now, intents: [], placed: [], timers: [], venue, ackCancels: true, instrument });
    return harness;
  }
  private events = 0;
  send(event: ParentEvent): ParentIntent[] {
    if (++this.events > 5_000) throw new Error("runaway: more than 5,000 events");
    const result = stepParent(this.state, event, { now: this.now, instrument: this.instrument });
    this.state = result.state;
    this.react(result.intents);
    return result.intents;
  }
  private react(intents: ParentIntent[]): void {
    const queue: ParentEvent[] = [];
    for (const intent of intents) {
      this.intents.push({ at: this.now, intent });
      if (intent.type === "scheduleTimer") this.timers.push(intent.at);
      if (intent.type === "placeChild") {
        this.placed.push({ at: this.now, child: intent.child });
        if (this.venue) queue.push(...this.venue(intent.child, this));
      }
      if (intent.type === "cancelChild" && this.ackCancels) queue.push({ type: "childCancelled", clientOrderId: intent.clientOrderId });
    }
    for (const event of queue) this.send(event);
  }
  /** Fires every timer due up to `t` in time order, then sets the clock to `t`. */
  advanceTo(t: number): void {
    for (;;) {
      const due = this.timers.filter((at) => at <= t).sort((a, b) => a - b)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((at) => at !== due);
      this.now = Math.max(this.now, due);
      this.send({ type: "timer", at: due });
    }
    this.now = Math.max(this.now, t);
  }
  kinds(): string[] {
    return this.intents.map((i) => i.intent.type);
  }
  finished(): ParentIntent | undefined {
    return this.intents.find((i) => i.intent.type === "finish")?.intent;
  }
}

const qtys = (h: Harness): Decimal[] => h.placed.map((p) => p.child.qty);

describe("TWAP", () => {
  it.each<[string, string, Partial<TwapConfig>, number]>([
    ["even, 10 slices", "1", {}, 10],
    ["horizon not a multiple of the interval", "1", { horizonMs: 50 * MIN, intervalMs: 7 * MIN }, 8],
    ["uneven split on a coarse step", "0.007", { horizonMs: 3 * MIN, intervalMs: MIN }, 3],
    ["randomized sizes and times", "2.345", { sizeJitter: 0.5, timeJitter: 0.9 }, 10],
    // 0.01 BTC over 40 slices: 0.00025 each is below the step and the 10 USDT minimum, so they merge into 10 of 0.001.
    ["min notional merges slices", "0.01", { horizonMs: 40 * MIN, intervalMs: MIN }, 10],
  ])("%s: slices sum exactly to the target, each on the step and above the minimums", (_name, target, config, expectedSlices) => {
    const h = new Harness(makeSpec(twap(config), { targetQty: D(target) }));
    h.advanceTo(2 * 60 * MIN);
    expect(h.placed).toHaveLength(expectedSlices);
    const sizes = qtys(h);
    expect(sumDec(sizes).toString()).toBe(D(target).toString());
    for (const qty of sizes) {
      expect(isMultipleOf(qty, BTC.qtyStep)).toBe(true);
      expect(qty.times(20000).greaterThanOrEqualTo(10)).toBe(true);
    }
    expect(h.finished()).toMatchObject({ type: "finish", status: "done" });
    expect(h.state.filledQty.toString()).toBe(D(target).toString());
  });

  it("sends each slice inside its interval, within the time jitter, and sizes within the jitter bounds", () => {
    const config = twap({ sizeJitter: 0.3, timeJitter: 0.5 });
    const h = new Harness(makeSpec(config, { targetQty: D("10") }));
    h.advanceTo(2 * 60 * MIN);
    expect(h.placed).toHaveLength(10);
    h.placed.forEach((p, k) => {
      expect(p.at).toBeGreaterThanOrEqual(k * config.intervalMs);
      expect(p.at).toBeLessThan(k * config.intervalMs + 0.5 * config.intervalMs);
    });
    // Weights 1 ± 0.3 normalized: a share lies within [0.7/1.3, 1.3/0.7] of an even slice (plus a step of rounding).
    for (const qty of qtys(h)) {
      expect(qty.toNumber()).toBeGreaterThanOrEqual(1 * (0.7 / 1.3) - 0.001);
      expect(qty.toNumber()).toBeLessThanOrEqual(1 * (1.3 / 0.7) + 0.001);
    }
    expect(new Set(qtys(h).map(String)).size).toBeGreaterThan(1);
  });

  it("is reproducible with the same seed and differs with another", () => {
    const run = (seed: number) => {
      const h = new Harness(makeSpec(twap({ sizeJitter: 0.5, timeJitter: 0.8 }), { seed, targetQty: D("3") }));
      h.advanceTo(2 * 60 * MIN);
      return h.placed.map((p) => `${p.at}:${p.child.qty.toString()}`);
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it("never prices a child beyond the guard and skips a slice while the touch is beyond it", () => {
    const h = new Harness(makeSpec(twap(), { limitPrice: D("20100") }));
    // Slice 1 went out at start (no touch known yet): a limit IOC at the guard.
    expect(h.placed[0]!.child).toMatchObject({ type: "LIMIT", timeInForce: "IOC", price: D("20100") });
    h.send({ type: "market", bid: D("20190"), ask: D("20200") });
    h.advanceTo(6 * MIN);
    expect(h.placed).toHaveLength(1); // slice 2 skipped
    h.send({ type: "market", bid: D("20040"), ask: D("20050") });
    h.advanceTo(12 * MIN);
    expect(h.placed).toHaveLength(2);
    // Slice 3 carries slice 2's share.
    expect(h.placed[1]!.child.qty.toString()).toBe("0.2");
    for (const p of h.placed) expect(p.child.price!.lessThanOrEqualTo(D("20100"))).toBe(true);
  });

  it("pause cancels the working child first, places nothing while paused, and resume catches up in one child", () => {
    const h = new Harness(makeSpec(twap()), acceptOnly);
    expect(h.placed).toHaveLength(1);
    const intents = h.send({ type: "pause" });
    expect(intents[0]).toMatchObject({ type: "cancelChild", clientOrderId: "p1.1" });
    expect(h.state.status).toBe("paused");
    h.venue = fillAt("20000");
    h.advanceTo(30 * MIN);
    expect(h.placed).toHaveLength(1);
    h.send({ type: "resume" });
    // Slices 1-6 (0.6) were due by minute 30 and none filled: one child catches up.
    expect(h.placed).toHaveLength(2);
    expect(h.placed[1]!.child).toMatchObject({ qty: D("0.6"), purpose: "slices 2-6/10" });
    h.advanceTo(2 * 60 * MIN);
    expect(h.state.filledQty.toString()).toBe("1");
    expect(h.state.status).toBe("done");
  });

  it("cancel cancels the working child first and finishes only once it is gone", () => {
    const h = new Harness(makeSpec(twap()), acceptOnly, false);
    const intents = h.send({ type: "cancel", reason: "by hand" });
    expect(intents.map((i) => i.type)).toEqual(["cancelChild"]);
    expect(h.state.status).toBe("completing");
    h.send({ type: "childCancelled", clientOrderId: "p1.1" });
    expect(h.state.status).toBe("cancelled");
    expect(h.finished()).toEqual({ type: "finish", status: "cancelled", reason: "by hand" });
    h.advanceTo(2 * 60 * MIN);
    expect(h.placed).toHaveLength(1);
  });

  it("halt cancels the live child and finishes at once; nothing more is placed; a late fill is still booked", () => {
    const h = new Harness(makeSpec(twap()), acceptOnly, false);
    const intents = h.send({ type: "halt", reason: "emergency stop" });
    expect(intents).toEqual([
      { type: "cancelChild", clientOrderId: "p1.1", reason: "halted: emergency stop" },
      { type: "finish", status: "cancelled", reason: "halted: emergency stop" },
    ]);
    h.advanceTo(2 * 60 * MIN);
    expect(h.placed).toHaveLength(1);
    h.send({ type: "childFilled", clientOrderId: "p1.1", tradeId: "late", qty: D("0.05"), price: D("20000") });
    expect(h.state.filledQty.toString()).toBe("0.05");
    expect(h.placed).toHaveLength(1);
  });

  it("rolls a partial fill's remainder into the next slice and still ends exactly at the target", () => {
    const half: VenueReaction = (child) => [
      { type: "childAccepted", clientOrderId: child.clientOrderId },
      {
        type: "childFilled",
        clientOrderId: child.clientOrderId,
        tradeId: `${child.clientOrderId}-a`,
        qty: child.qty.dividedBy(2).toDecimalPlaces(3, Decimal.ROUND_DOWN),
        price: D("20000"),
      },
      { type: "childCancelled", clientOrderId: child.clientOrderId, reason: "IOC rest" },
    ];
    const h = new Harness(makeSpec(twap()), half);
    h.advanceTo(6 * MIN);
    expect(qtys(h).map(String)).toEqual(["0.1", "0.15"]);
    h.venue = fillAt("20000");
    h.advanceTo(2 * 60 * MIN);
    expect(h.state.filledQty.toString()).toBe("1");
    expect(h.state.status).toBe("done");
  });

  it("books a trade once: a repeated fill is ignored", () => {
    const h = new Harness(makeSpec(twap()), acceptOnly);
    const fill: ParentEvent = { type: "childFilled", clientOrderId: "p1.1", tradeId: "t1", qty: D("0.04"), price: D("20000") };
    h.send(fill);
    const again = stepParent(h.state, fill, { now: h.now, instrument: BTC });
    expect(again.ignored).toMatch(/already booked/);
    expect(again.state.filledQty.toString()).toBe("0.04");
  });

  it("a rejected child's quantity rolls into the next slice; maxRejections in a row fail the parent", () => {
    let rejectNext = 1;
    const sometimesReject: VenueReaction = (child, harness) =>
      rejectNext-- > 0 ? [{ type: "childRejected", clientOrderId: child.clientOrderId, reason: "risk gate: order rate" }] : fillAt("20000")(child, harness);
    const h = new Harness(makeSpec(twap()), sometimesReject);
    h.advanceTo(6 * MIN);
    expect(qtys(h).map(String)).toEqual(["0.1", "0.2"]);
    expect(h.state.status).toBe("working");

    const failing = new Harness(makeSpec(twap()), (child) => [{ type: "childRejected", clientOrderId: child.clientOrderId, reason: "insufficient balance" }]);
    failing.advanceTo(2 * 60 * MIN);
    expect(failing.placed).toHaveLength(3);
    expect(failing.state.status).toBe("failed");
    expect(failing.finished()).toMatchObject({
      status: "failed",
      reason: expect.stringMatching(/3 children refused in a row.*insufficient balance/) as unknown,
    });
  });

  it.each<["cross" | "cancel" | "leave", string[], string]>([
    ["cross", ["cross remainder"], "remainder crossed"],
    ["cancel", [], "remainder cancelled"],
    ["leave", [], "last child left working"],
  ])("end of horizon with quantity left (%s)", (endBehaviour, extraPurposes, reason) => {
    const h = new Harness(makeSpec(twap({ horizonMs: 3 * MIN, intervalMs: MIN }), { endBehaviour, limitPrice: D("20000") }), iocNothing);
    h.advanceTo(10 * MIN);
    expect(h.placed.map((p) => p.child.purpose)).toEqual(["slice 1/3", "slice 2/3", "slice 3/3", ...extraPurposes]);
    if (endBehaviour === "cross") expect(h.placed[3]!.child).toMatchObject({ qty: D("1"), type: "LIMIT", timeInForce: "IOC", price: D("20000") });
    expect(h.finished()).toMatchObject({ status: "done", reason: expect.stringContaining(reason) as unknown });
  });

  it("at the horizon a still-working child is cancelled before the remainder is crossed", () => {
    // A venue that accepts and never fills: each slice is cancelled when the next is due, the last at the horizon.
    const h = new Harness(makeSpec(twap({ horizonMs: 2 * MIN, intervalMs: MIN })), acceptOnly);
    h.advanceTo(2 * MIN);
    const kinds = h.intents.filter((i) => i.at === 2 * MIN).map((i) => i.intent.type);
    expect(kinds.slice(0, 2)).toEqual(["cancelChild", "placeChild"]);
    expect(h.placed.at(-1)!.child).toMatchObject({ purpose: "cross remainder", type: "MARKET", qty: D("1") });
  });

  it("ignores a stale timer", () => {
    const h = new Harness(makeSpec(twap()));
    const result = stepParent(h.state, { type: "timer", at: 123 }, { now: 123, instrument: BTC });
    expect(result.ignored).toMatch(/stale timer/);
    expect(result.intents).toEqual([]);
  });

  it("refuses a target off the step or below the minimum, and an iceberg without a price", () => {
    const bad = (spec: ParentSpec) => startParent(spec, { now: 0, instrument: BTC });
    expect(bad(makeSpec(twap(), { targetQty: D("1.0005") }))).toMatchObject({ ok: false, error: { code: "INVALID_PARENT" } });
    expect(bad(makeSpec(twap(), { targetQty: D("0.0001") }))).toMatchObject({ ok: false });
    expect(bad(makeSpec(twap({ intervalMs: 0 })))).toMatchObject({ ok: false });
    expect(bad(makeSpec({ kind: "iceberg", displayQty: D("0.1"), displayJitter: 0, horizonMs: null }))).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/limit price/) as unknown },
    });
  });
});

describe("restart from the stored state", () => {
  it("a slice sent but not acknowledged is looked up, never resent, and the parent completes exactly", () => {
    const h = new Harness(makeSpec(twap()), null);
    h.advanceTo(6 * MIN); // slice 1 at 0 sent; at 6 min nothing happens (slice 1 still unanswered, it is not "working")
    expect(h.placed).toHaveLength(1);
    expect(h.state.children[0]!.status).toBe("sent");

    // Crash: the engine stored the state with the intent (journal first) and restarts from it.
    const stored = parseParentState(serializeParentState(h.state));
    if (!stored.ok) throw new Error(stored.error.message);
    expect(stored.value).toEqual(h.state);
    const restarted = Harness.fromState(stored.value, 7 * MIN, fillAt("20000"));
    const intents = restarted.send({ type: "restart" });
    expect(intents.filter((i) => i.type === "placeChild")).toEqual([]);
    expect(intents[0]).toEqual({ type: "reconcileChild", clientOrderId: "p1.1" });
    expect(restarted.state.children[0]!.status).toBe("in_doubt");

    // The lookup finds it filled at the venue.
    restarted.send({ type: "childFilled", clientOrderId: "p1.1", tradeId: "x1", qty: D("0.1"), price: D("20000") });
    restarted.advanceTo(2 * 60 * MIN);
    const ids = [...h.placed, ...restarted.placed].map((p) => p.child.clientOrderId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(restarted.state.filledQty.toString()).toBe("1");
    expect(restarted.state.status).toBe("done");
    expect(restarted.state.children.map((c) => c.qty.toString())).toEqual(["0.1", "0.1", "0.1", "0.1", "0.1", "0.1", "0.1", "0.1", "0.1", "0.1"]);
  });

  it("a child the lookup finds never placed is rejected and its quantity rolls on", () => {
    const h = new Harness(makeSpec(twap()), null);
    const restarted = Harness.fromState(h.state, 60_000, fillAt("20000"));
    restarted.send({ type: "restart" });
    restarted.send({ type: "childRejected", clientOrderId: "p1.1", reason: "not found at the venue" });
    restarted.advanceTo(2 * 60 * MIN);
    expect(restarted.state.filledQty.toString()).toBe("1");
    expect(restarted.placed[0]!.child.qty.toString()).toBe("0.2");
  });

  it("restart policy stop cancels what is live and stops", () => {
    const h = new Harness(makeSpec(twap(), { restartPolicy: "stop" }), acceptOnly);
    const restarted = Harness.fromState(h.state, MIN, null);
    const intents = restarted.send({ type: "restart" });
    expect(intents).toEqual([{ type: "cancelChild", clientOrderId: "p1.1", reason: "stopped after a restart" }]);
    restarted.send({ type: "childCancelled", clientOrderId: "p1.1" });
    expect(restarted.state.status).toBe("cancelled");
    restarted.advanceTo(2 * 60 * MIN);
    expect(restarted.placed).toHaveLength(0);
  });

  it("re-arms the lost timer on resume", () => {
    const h = new Harness(makeSpec(twap()));
    const stored = parseParentState(serializeParentState(h.state));
    if (!stored.ok) throw new Error(stored.error.message);
    const restarted = Harness.fromState(stored.value, 3 * MIN, fillAt("20000"));
    const intents = restarted.send({ type: "restart" });
    expect(intents).toEqual([{ type: "scheduleTimer", at: 6 * MIN }]);
  });
});

describe("VWAP", () => {
  // Hourly profile: the 14:00 hour trades three times the rest.
  const candles = Array.from({ length: 48 }, (_, i) => ({ ts: i * 60 * MIN, volume: i % 24 === 14 ? 3 : 1 }));
  const profile = learnVolumeProfile(candles, 60 * MIN);

  it("learns a normalized profile", () => {
    expect(profile.shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(profile.shares[14]! / profile.shares[13]!).toBeCloseTo(3, 12);
    expect(profileShare(profile, 0, 24 * 60 * MIN)).toBeCloseTo(1, 12);
    expect(profileShare(profile, 13.5 * 60 * MIN, 14.5 * 60 * MIN)).toBeCloseTo(profile.shares[13]! / 2 + profile.shares[14]! / 2, 12);
  });

  it("sizes slices by the profile and sums exactly to the target", () => {
    const spec = makeSpec({ kind: "vwap", horizonMs: 4 * 60 * MIN, intervalMs: 60 * MIN, profile }, { startAt: 12 * 60 * MIN, targetQty: D("1.2") });
    const h = new Harness(spec);
    h.advanceTo(20 * 60 * MIN);
    // Hours 12, 13, 14, 15 with weights 1, 1, 3, 1.
    expect(qtys(h).map(String)).toEqual(["0.2", "0.2", "0.6", "0.2"]);
    expect(h.placed.map((p) => p.at)).toEqual([12, 13, 14, 15].map((hour) => hour * 60 * MIN));
  });

  it("learns from the recorded candles: a full day of shares sums to 1 and busier hours get bigger slices", async () => {
    const { readFileSync } = await import("node:fs");
    const rows = readFileSync("/work/shared/data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv", "utf8").trim().split("\n").slice(1);
    const recorded = rows.map((line) => {
      const [ts, , , , , volume] = line.split(",");
      return { ts: Number(ts), volume: Number(volume) };
    });
    const learned = learnVolumeProfile(recorded, 60 * MIN);
    expect(learned.shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const h = new Harness(makeSpec({ kind: "vwap", horizonMs: 24 * 60 * MIN, intervalMs: 60 * MIN, profile: learned }, { targetQty: D("5") }));
    h.advanceTo(30 * 60 * MIN);
    expect(sumDec(qtys(h)).toString()).toBe("5");
    const busiest = learned.shares.indexOf(Math.max(...learned.shares));
    const quietest = learned.shares.indexOf(Math.min(...learned.shares));
    expect(h.placed.find((p) => p.at === busiest * 60 * MIN)!.child.qty.greaterThan(h.placed.find((p) => p.at === quietest * 60 * MIN)!.child.qty)).toBe(true);
  });
});

describe("iceberg", () => {
  const iceberg = (over: Partial<{ displayQty: Decimal; displayJitter: number; horizonMs: number | null }> = {}): AlgoConfig => ({
    kind: "iceberg",
    displayQty: D("0.3"),
    displayJitter: 0,
    horizonMs: null,
    ...over,
  });

  it("shows the display quantity at the limit and refills as each fills; the last takes the rest", () => {
    const h = new Harness(makeSpec(iceberg(), { limitPrice: D("19990") }));
    expect(qtys(h).map(String)).toEqual(["0.3", "0.3", "0.3", "0.1"]);
    for (const p of h.placed) expect(p.child).toMatchObject({ type: "LIMIT", timeInForce: "GTC", price: D("19990") });
    expect(h.state.status).toBe("done");
  });

  it("does not refill on a partial fill, only once the visible part is done", () => {
    const h = new Harness(makeSpec(iceberg(), { limitPrice: D("19990") }), acceptOnly);
    h.send({ type: "childFilled", clientOrderId: "p1.1", tradeId: "a", qty: D("0.1"), price: D("19990") });
    expect(h.placed).toHaveLength(1);
    h.send({ type: "childFilled", clientOrderId: "p1.1", tradeId: "b", qty: D("0.2"), price: D("19990") });
    expect(h.placed).toHaveLength(2);
    expect(h.placed[1]!.child.purpose).toBe("refill 1");
  });

  it("randomizes the display within bounds, reproducibly, and still sums to the target", () => {
    const run = (seed: number) => new Harness(makeSpec(iceberg({ displayJitter: 0.5 }), { limitPrice: D("19990"), seed, targetQty: D("5") }));
    const a = run(3);
    expect(sumDec(qtys(a)).toString()).toBe("5");
    for (const qty of qtys(a).slice(0, -1)) {
      expect(qty.toNumber()).toBeGreaterThanOrEqual(0.15);
      expect(qty.toNumber()).toBeLessThanOrEqual(0.45);
    }
    expect(qtys(run(3)).map(String)).toEqual(qtys(a).map(String));
    expect(qtys(run(4)).map(String)).not.toEqual(qtys(a).map(String));
  });

  it("cancel cancels the resting child first", () => {
    const h = new Harness(makeSpec(iceberg(), { limitPrice: D("19990") }), acceptOnly);
    const intents = h.send({ type: "cancel" });
    expect(intents[0]).toMatchObject({ type: "cancelChild", clientOrderId: "p1.1" });
    expect(h.state.status).toBe("cancelled");
  });
});

describe("POV", () => {
  const pov: AlgoConfig = { kind: "pov", rate: D("0.1"), maxSliceQty: D("0.25"), horizonMs: null };

  it("follows a share of traded volume, capped per child", () => {
    const h = new Harness(makeSpec(pov));
    expect(h.placed).toHaveLength(0);
    h.send({ type: "market", bid: D("19999"), ask: D("20000"), tradedVolume: D("1.5") });
    expect(qtys(h).map(String)).toEqual(["0.15"]);
    h.send({ type: "market", tradedVolume: D("0.0001") }); // 0.10001 × 1.5001 − 0.15: below a step
    expect(h.placed).toHaveLength(1);
    h.send({ type: "market", tradedVolume: D("5") }); // allowed 0.65 − 0.15 = 0.5, capped at 0.25 a child
    expect(qtys(h).map(String)).toEqual(["0.15", "0.25", "0.25"]);
    expect(h.state.filledQty.toString()).toBe("0.65");
  });

  it("waits while the touch is beyond the guard", () => {
    const h = new Harness(makeSpec(pov, { limitPrice: D("20000") }));
    h.send({ type: "market", bid: D("20049"), ask: D("20050"), tradedVolume: D("3") });
    expect(h.placed).toHaveLength(0);
    h.send({ type: "market", bid: D("19999"), ask: D("20000") });
    expect(h.placed[0]!.child).toMatchObject({ qty: D("0.25"), type: "LIMIT", price: D("20000"), timeInForce: "IOC" });
  });
});

describe("chaser", () => {
  const chaser = (retryAttempts: number): AlgoConfig => ({ kind: "chaser", entryPrice: D("19900"), timeoutMs: 30_000, retryAttempts });

  it.each<["cross" | "cancel", string[], string]>([
    ["cross", ["entry", "re-price 1/2", "re-price 2/2", "cross remainder"], "done"],
    ["cancel", ["entry", "re-price 1/2", "re-price 2/2"], "done"],
  ])("re-prices to the touch after the timeout up to N times, then %s", (endBehaviour, purposes, status) => {
    const h = new Harness(makeSpec(chaser(2), { endBehaviour, limitPrice: D("20010") }), acceptOnly);
    h.send({ type: "market", bid: D("19950.005"), ask: D("19960") });
    h.advanceTo(30_000);
    h.send({ type: "market", bid: D("20030"), ask: D("20040") });
    h.advanceTo(60_000);
    h.advanceTo(90_000);
    expect(h.placed.map((p) => p.child.purpose)).toEqual(purposes);
    // Entry at its price, re-price 1 joins the bid (rounded down for a buy), re-price 2 is held at the guard.
    expect(h.placed.slice(0, 3).map((p) => p.child.price!.toString())).toEqual(["19900", "19950", "20010"]);
    expect(h.placed.slice(0, 3).map((p) => p.at)).toEqual([0, 30_000, 60_000]);
    if (endBehaviour === "cross") {
      expect(h.placed[3]!.child).toMatchObject({ type: "LIMIT", timeInForce: "IOC", price: D("20010"), qty: D("1") });
      expect(h.state.status).toBe("completing"); // until the cross child is done
      h.send({ type: "childFilled", clientOrderId: "p1.4", tradeId: "x", qty: D("1"), price: D("20005") });
    }
    expect(h.state.status).toBe(status);
  });

  it("a sell chases the ask, rounds up to the tick and is held at the guard from below", () => {
    const h = new Harness(makeSpec(chaser(1), { side: "SELL", limitPrice: D("20000"), endBehaviour: "cancel" }), acceptOnly);
    h.send({ type: "market", bid: D("20040"), ask: D("20050.004") });
    h.advanceTo(30_000);
    h.send({ type: "market", bid: D("19980"), ask: D("19990") });
    h.advanceTo(60_000);
    h.advanceTo(90_000);
    // Entry 19900 is below the guard: held at 20000; re-price 1 joins the ask 20050.004 rounded up; then the one re-price is spent.
    expect(h.placed.map((p) => p.child.price!.toString())).toEqual(["20000", "20050.01"]);
    expect(h.state.status).toBe("done");
    expect(h.state.reason).toMatch(/unfilled after 1 re-prices; remainder cancelled/);
  });

  it("stops chasing once filled, and re-prices only the unfilled rest", () => {
    const h = new Harness(makeSpec(chaser(3)), acceptOnly);
    h.send({ type: "childFilled", clientOrderId: "p1.1", tradeId: "a", qty: D("0.4"), price: D("19900") });
    h.send({ type: "market", bid: D("19920"), ask: D("19921") });
    h.advanceTo(30_000);
    expect(h.placed[1]!.child).toMatchObject({ qty: D("0.6"), price: D("19920") });
    h.send({ type: "childFilled", clientOrderId: "p1.2", tradeId: "b", qty: D("0.6"), price: D("19920") });
    expect(h.state.status).toBe("done");
    h.advanceTo(10 * MIN);
    expect(h.placed).toHaveLength(2);
    expect(parentProgress(h.state).avgPrice!.toString()).toBe("19912");
  });
});

describe("implementation shortfall", () => {
  it.each<["BUY" | "SELL", string, string, string]>([
    ["BUY", "20000", "20010", "5"],
    ["BUY", "20000", "19990", "-5"],
    ["SELL", "20000", "19990", "5"],
    ["SELL", "20000", "20020", "-10"],
  ])("%s arrival %s avg %s → %s bps", (side, arrival, avg, expected) => {
    expect(implementationShortfallBps(side, D(arrival), D(avg)).toString()).toBe(expected);
  });

  it("per parent, from its fills", () => {
    const h = new Harness(makeSpec(twap({ horizonMs: 2 * MIN, intervalMs: MIN }), { side: "SELL" }), fillAt("19980"));
    h.advanceTo(5 * MIN);
    expect(parentProgress(h.state)).toMatchObject({ status: "done", childrenSent: 2, slicesLeft: 0, shortfallBps: D("10") });
  });
});

describe("every algorithm shares the parent's rules", () => {
  const flat = learnVolumeProfile([], 60 * MIN);
  const algos: [string, AlgoConfig, Partial<ParentSpec>][] = [
    ["twap", twap(), {}],
    ["vwap", { kind: "vwap", horizonMs: 60 * MIN, intervalMs: 6 * MIN, profile: flat }, {}],
    ["iceberg", { kind: "iceberg", displayQty: D("0.2"), displayJitter: 0.2, horizonMs: null }, { limitPrice: D("19990") }],
    ["pov", { kind: "pov", rate: D("0.2"), maxSliceQty: D("0.3"), horizonMs: 60 * MIN }, {}],
    ["chaser", { kind: "chaser", entryPrice: D("19990"), timeoutMs: 30_000, retryAttempts: 3 }, {}],
  ];

  /** A parent whose first child is live (accepted, unfilled). */
  function working(algo: AlgoConfig, over: Partial<ParentSpec>, venue: VenueReaction | null = acceptOnly): Harness {
    const h = new Harness(makeSpec(algo, over), venue);
    h.send({ type: "market", bid: D("19995"), ask: D("20000"), tradedVolume: D("1") });
    expect(h.placed).toHaveLength(1);
    return h;
  }

  it.each(algos)("%s: pause cancels the live child first, nothing is placed while paused, resume carries on", (_name, algo, over) => {
    const h = working(algo, over);
    const intents = h.send({ type: "pause" });
    expect(intents[0]).toEqual({ type: "cancelChild", clientOrderId: "p1.1", reason: "parent paused" });
    h.send({ type: "market", bid: D("19995"), ask: D("20000"), tradedVolume: D("2") });
    h.advanceTo(30 * MIN);
    expect(h.placed).toHaveLength(1);
    h.send({ type: "resume" });
    h.advanceTo(59 * MIN);
    expect(h.placed.length).toBeGreaterThan(1);
    expect(h.placed[1]!.at).toBeGreaterThanOrEqual(30 * MIN);
  });

  it.each(algos)("%s: cancel cancels the live child before finishing", (_name, algo, over) => {
    const h = working(algo, over);
    h.ackCancels = false;
    expect(h.send({ type: "cancel" })).toEqual([{ type: "cancelChild", clientOrderId: "p1.1", reason: "cancelled" }]);
    expect(h.send({ type: "childCancelled", clientOrderId: "p1.1" })).toEqual([{ type: "finish", status: "cancelled", reason: "cancelled" }]);
  });

  it.each(algos)("%s: halt cancels and finishes at once, and nothing follows", (_name, algo, over) => {
    const h = working(algo, over);
    expect(h.send({ type: "halt" }).map((i) => i.type)).toEqual(["cancelChild", "finish"]);
    h.send({ type: "market", bid: D("19995"), ask: D("20000"), tradedVolume: D("5") });
    h.advanceTo(2 * 60 * MIN);
    expect(h.placed).toHaveLength(1);
  });

  it.each(algos)("%s: a restart with a child sent and unanswered looks it up and never sends it again", (_name, algo, over) => {
    const h = working(algo, over, null);
    const stored = parseParentState(serializeParentState(h.state));
    if (!stored.ok) throw new Error(stored.error.message);
    const restarted = Harness.fromState(stored.value, h.now + 1, null);
    const intents = restarted.send({ type: "restart" });
    expect(intents.filter((i) => i.type === "placeChild")).toEqual([]);
    expect(intents).toContainEqual({ type: "reconcileChild", clientOrderId: "p1.1" });
    // Found working at the venue and then filled: the parent goes on with new ids only.
    restarted.venue = fillAt("19990");
    restarted.send({ type: "childAccepted", clientOrderId: "p1.1" });
    restarted.send({ type: "childFilled", clientOrderId: "p1.1", tradeId: "r1", qty: h.placed[0]!.child.qty, price: D("19990") });
    restarted.send({ type: "market", bid: D("19995"), ask: D("20000"), tradedVolume: D("10") });
    restarted.advanceTo(2 * 60 * MIN);
    const ids = [...h.placed, ...restarted.placed].map((p) => p.child.clientOrderId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(restarted.state.filledQty.toString()).toBe("1");
  });
});

describe("purity and progress", () => {
  it("never mutates the state it is given", () => {
    const h = new Harness(makeSpec(twap({ sizeJitter: 0.2 })), acceptOnly);
    const before = serializeParentState(h.state);
    const events: ParentEvent[] = [
      { type: "childFilled", clientOrderId: "p1.1", tradeId: "a", qty: D("0.01"), price: D("20000") },
      { type: "market", bid: D("1"), ask: D("2"), tradedVolume: D("3") },
      { type: "pause" },
      { type: "cancel" },
      { type: "halt" },
      { type: "restart" },
      { type: "timer", at: h.state.nextTimerAt! },
    ];
    for (const event of events) stepParent(h.state, event, { now: 6 * MIN, instrument: BTC });
    expect(serializeParentState(h.state)).toBe(before);
  });

  it("reports filled/target, slices done and left, the next slice time and the average price", () => {
    const h = new Harness(makeSpec(twap(), { arrivalPrice: D("19990") }), fillAt("20010"));
    h.advanceTo(13 * MIN);
    expect(parentProgress(h.state)).toEqual({
      status: "working",
      filledQty: D("0.3"),
      targetQty: D("1"),
      remainingQty: D("0.7"),
      avgPrice: D("20010"),
      childrenSent: 3,
      slicesLeft: 7,
      nextSliceAt: 18 * MIN,
      shortfallBps: implementationShortfallBps("BUY", D("19990"), D("20010")),
    });
  });
});

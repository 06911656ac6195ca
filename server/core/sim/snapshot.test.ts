import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { DAY_MS } from "../clock";
import { D } from "../money";
import { seededRng } from "../rng";
import { RollingVolume } from "./commission";
import { RollingVolatility } from "./volatility";
import { BTC, ETH, balanceStrings, book, candle, quote, run, trade, type Step } from "../../../test/sim/core-helpers";
import { snapshotFromParts, type SimOrderRecord, type SimVenueSnapshot } from "./snapshot";
import { MatchingEngine, type MatchingEngineConfig } from "./matching-engine";

/** A fresh config each time: a stateful Rng must not be shared by the original and the restored venue. */
type ConfigFactory = () => Partial<MatchingEngineConfig>;

function full(overrides: Partial<MatchingEngineConfig>): MatchingEngineConfig {
  return { instruments: [BTC, ETH], initialBalances: { USDT: "1000000", BTC: "10", ETH: "10" }, ...overrides };
}

/** Through JSON, as a file would hold it. */
function viaJson(snapshot: SimVenueSnapshot): SimVenueSnapshot {
  return JSON.parse(JSON.stringify(snapshot)) as SimVenueSnapshot;
}

/** Everything observable about a venue, as comparable strings. */
function observe(venue: MatchingEngine, ids: string[]): unknown {
  return {
    balances: balanceStrings(venue),
    open: JSON.stringify(venue.openOrders()),
    orders: JSON.stringify(ids.map((id) => venue.order(id) ?? null)),
    fills: JSON.stringify(venue.fills()),
  };
}

function orderIds(steps: Step[]): string[] {
  return [...new Set(steps.flatMap((step) => ("submit" in step ? [step.submit.clientOrderId] : [])))];
}

/** Runs `steps` on one venue, and on a second restored from a snapshot taken after `split` steps; both must agree. */
function checkSplit(factory: ConfigFactory, steps: Step[], split: number): void {
  const original = new MatchingEngine(full(factory()));
  const before = run(original, steps.slice(0, split));
  const snapshot = viaJson(original.toSnapshot());
  const restored = MatchingEngine.fromSnapshot(full(factory()), snapshot);
  expect(viaJson(restored.toSnapshot())).toEqual(snapshot);
  const ids = orderIds(steps);
  expect(observe(restored, ids)).toEqual(observe(original, ids));
  const rest = steps.slice(split);
  const a = run(original, rest);
  const b = run(restored, rest);
  expect(b, `after a snapshot at step ${split} (events before: ${before.join(" | ")})`).toEqual(a);
  expect(observe(restored, ids)).toEqual(observe(original, ids));
  expect(viaJson(restored.toSnapshot())).toEqual(viaJson(original.toSnapshot()));
}

type Scenario = [name: string, factory: ConfigFactory, steps: Step[], minEvents: number];

const scenarios: Scenario[] = [
  [
    "latency with jitter: requests in flight at the snapshot arrive in order, the Rng resumes",
    () => ({ latencyMs: { fixedMs: 5, jitterMs: 20 }, rng: seededRng(7) }),
    [
      { md: quote(29999, 30001), t: 0 },
      { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "29990" }, t: 1 },
      { submit: { clientOrderId: "b", side: "SELL", type: "MARKET", quantity: "0.5" }, t: 2 },
      { modify: "a", changes: { price: "29995", quantity: "2" }, t: 3 },
      { md: quote(29998, 30000), t: 10 },
      { submit: { clientOrderId: "c", side: "BUY", type: "MARKET", quantity: D("0.25") }, t: 11 },
      { cancel: "b", t: 12 },
      { md: trade(29990, 5), t: 40 },
      { md: quote(29990, 29994), t: 60 },
      { submit: { clientOrderId: "d", side: "SELL", type: "LIMIT", price: "30100", quantity: "0.3" }, t: 61 },
      { cancelAll: undefined, t: 62 },
      { advance: 200 },
    ],
    8,
  ],
  [
    "trailing stop: the extreme seen before the snapshot is kept",
    () => ({}),
    [
      { md: trade(30000), t: 0 },
      { submit: { clientOrderId: "t", side: "SELL", type: "TRAILING_STOP_MARKET", trailingOffset: "100" }, t: 1 },
      { submit: { clientOrderId: "tl", side: "BUY", type: "TRAILING_STOP_LIMIT", trailingOffset: "50", limitOffset: "10", quantity: "0.5" }, t: 1 },
      { md: trade(30200), t: 2 },
      { md: trade(30350), t: 3 },
      { md: trade(30300), t: 4 },
      { md: trade(30240), t: 5 },
      { md: trade(30260), t: 6 },
      { md: trade(30400), t: 7 },
      { md: trade(30420), t: 8 },
    ],
    4,
  ],
  [
    "book: liquidity taken before the snapshot stays taken",
    () => ({ slippage: { model: "VOLUME", baseBps: 1, k: 10 } }),
    [
      {
        md: book(
          [
            [29999, 1],
            [29998, 2],
          ],
          [
            [30000, 1],
            [30001, 2],
            [30003, 5],
          ],
        ),
        t: 0,
      },
      { submit: { clientOrderId: "a", side: "BUY", type: "MARKET", quantity: "1.5" }, t: 1 },
      { submit: { clientOrderId: "b", side: "BUY", type: "LIMIT", price: "30001", quantity: "1", timeInForce: "IOC" }, t: 2 },
      { submit: { clientOrderId: "c", side: "BUY", type: "LIMIT", price: "30002", quantity: "2", timeInForce: "FOK" }, t: 3 },
      { submit: { clientOrderId: "d", side: "SELL", type: "MARKET", quantity: "2.5" }, t: 4 },
      { submit: { clientOrderId: "e", side: "BUY", type: "MARKET", quantity: "3" }, t: 5 },
      { md: book([[29999, 1]], [[30004, 1]]), t: 6 },
    ],
    8,
  ],
  [
    "REALISTIC slippage on candles: the volatility window and waiting orders carry over",
    () => ({
      slippage: { model: "REALISTIC", impactK: 0.7, fixedBps: 1, defaultSpreadBps: 3, defaultVolatility: 0.02 },
      participationCap: 0.3,
      volatilityWindow: 5,
    }),
    [
      { md: candle(30000, 30100, 29900, 30050, 4), t: 0 },
      { md: candle(30050, 30200, 30000, 30150, 4), t: 60 },
      { submit: { clientOrderId: "m", side: "BUY", type: "MARKET", quantity: "2" }, t: 61 },
      { submit: { clientOrderId: "l", side: "SELL", type: "LIMIT", price: "30300", quantity: "1" }, t: 62 },
      { md: candle(30150, 30250, 30100, 30200, 3), t: 120 },
      { md: candle(30200, 30400, 30180, 30390, 5), t: 180 },
      { submit: { clientOrderId: "s", side: "SELL", type: "STOP_MARKET", triggerPrice: "30000", quantity: "1" }, t: 181 },
      { md: candle(30390, 30400, 29800, 29850, 6), t: 240 },
      { md: candle(29850, 29900, 29700, 29750, 6), t: 300 },
    ],
    5,
  ],
  [
    "fee tiers: the 30-day volume window ages out after the snapshot",
    () => ({
      commission: { maker: "0.001", taker: "0.002", tiers: [{ minVolume30d: "50000", maker: "0.0005", taker: "0.001" }] },
      initialVolume30d: "10000",
    }),
    [
      { md: quote(29999, 30000), t: 0 },
      { submit: { clientOrderId: "a", side: "BUY", type: "MARKET", quantity: "1" }, t: 0 },
      { submit: { clientOrderId: "b", side: "BUY", type: "MARKET", quantity: "1" }, t: DAY_MS },
      { submit: { clientOrderId: "c", side: "SELL", type: "MARKET", quantity: "1" }, t: 2 * DAY_MS },
      { md: quote(29999, 30000), t: 31 * DAY_MS + 1 },
      { submit: { clientOrderId: "d", side: "SELL", type: "MARKET", quantity: "1" }, t: 31 * DAY_MS + 2 },
      { submit: { clientOrderId: "e", side: "SELL", type: "MARKET", quantity: "0.5" }, t: 33 * DAY_MS },
    ],
    10,
  ],
  [
    "GTD expiry, stop-limit trigger, take-profit, post-only and cancel-all with triggers",
    () => ({ fillOnTouch: true }),
    [
      { md: quote(29999, 30001), t: 0 },
      { submit: { clientOrderId: "g", side: "BUY", type: "LIMIT", price: "29000", timeInForce: "GTD", expireAt: 500 }, t: 1 },
      { submit: { clientOrderId: "p", side: "BUY", type: "LIMIT", price: "29990", postOnly: true }, t: 2 },
      { submit: { clientOrderId: "pp", side: "BUY", type: "LIMIT", price: "30001", postOnly: true }, t: 2 },
      { submit: { clientOrderId: "sl", side: "SELL", type: "STOP_LIMIT", triggerPrice: "29900", price: "29890", quantity: "0.5" }, t: 3 },
      { submit: { clientOrderId: "tp", side: "SELL", type: "TAKE_PROFIT_MARKET", triggerPrice: "30200", quantity: "0.5" }, t: 3 },
      { submit: { clientOrderId: "st", side: "BUY", type: "STOP_MARKET", triggerPrice: "31000", symbol: "ETH/USDT" }, t: 4 },
      { md: { kind: "mark", symbol: "BTC/USDT", price: 29950 }, t: 5 },
      { md: quote(29895, 29899), t: 10 },
      { md: trade(29890, 1, "SELL"), t: 11 },
      { md: quote(30199, 30201), t: 20 },
      { advance: 600 },
      { cancelAll: "ETH/USDT", t: 601 },
      { cancel: "g", t: 602 },
      { submit: { clientOrderId: "g", side: "BUY", type: "LIMIT", price: "29000" }, t: 603 },
      { modify: "p", changes: { price: "29980" }, t: 604 },
      { md: trade(29980, 3, "SELL"), t: 605 },
    ],
    12,
  ],
];

describe("snapshot and restore", () => {
  it.each(scenarios)("%s: identical from every split point", (_name, factory, steps, minEvents) => {
    expect(run(new MatchingEngine(full(factory())), steps).length).toBeGreaterThanOrEqual(minEvents);
    for (let split = 0; split <= steps.length; split++) checkSplit(factory, steps, split);
  });

  it("in every scenario, the head and the changed orders' records rebuild the full snapshot after every step", () => {
    let rebuiltWithOrders = 0;
    for (const [name, factory, steps] of scenarios) {
      const venue = new MatchingEngine(full(factory()));
      venue.trackTouched();
      const records = new Map<string, SimOrderRecord>();
      steps.forEach((step, i) => {
        run(venue, [step]);
        for (const record of venue.takeTouched()) records.set(record.clientOrderId, record);
        const whole = viaJson(venue.toSnapshot({ history: false }));
        const head = viaJson(venue.toSnapshot({ ordersElsewhere: true }));
        expect(head.orders).toEqual([]);
        expect(viaJson(snapshotFromParts(head, [...records.values()])), `${name}, step ${i}`).toEqual(whole);
        if (whole.orders.length > 1) rebuiltWithOrders++;
      });
    }
    expect(rebuiltWithOrders).toBeGreaterThan(10);
  });

  it("holds for random orders, market data and latency (property)", () => {
    const md = fc.oneof(
      fc.record({ kind: fc.constant("trade" as const), price: fc.integer({ min: 29500, max: 30500 }), qty: fc.integer({ min: 0, max: 4 }) }),
      fc.record({
        kind: fc.constant("candle" as const),
        open: fc.integer({ min: 29500, max: 30500 }),
        range: fc.integer({ min: 0, max: 300 }),
        volume: fc.integer({ min: 0, max: 4 }),
      }),
      fc.record({ kind: fc.constant("quote" as const), bid: fc.integer({ min: 29500, max: 30500 }), spread: fc.integer({ min: 1, max: 20 }) }),
      fc.record({ kind: fc.constant("book" as const), bid: fc.integer({ min: 29500, max: 30500 }), depth: fc.integer({ min: 1, max: 3 }) }),
    );
    const action = fc.oneof(
      fc.record({
        kind: fc.constant("submit" as const),
        side: fc.constantFrom("BUY" as const, "SELL" as const),
        type: fc.constantFrom("MARKET" as const, "LIMIT" as const, "STOP_MARKET" as const, "STOP_LIMIT" as const, "TRAILING_STOP_MARKET" as const),
        price: fc.integer({ min: 29500, max: 30500 }),
        qty: fc.integer({ min: 1, max: 2000 }),
        tif: fc.constantFrom("GTC" as const, "IOC" as const, "GTD" as const),
      }),
      fc.record({ kind: fc.constant("cancel" as const), target: fc.nat(20) }),
      fc.record({ kind: fc.constant("modify" as const), target: fc.nat(20), price: fc.integer({ min: 29500, max: 30500 }) }),
      fc.constant({ kind: "cancelAll" as const }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.option(action, { nil: undefined }), md), { minLength: 2, maxLength: 25 }),
        fc.nat(),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (raw, splitSeed, seed) => {
          const steps: Step[] = [];
          raw.forEach(([a, u], i) => {
            const t = i * 10;
            if (u.kind === "trade") steps.push({ md: trade(u.price, u.qty), t });
            else if (u.kind === "quote") steps.push({ md: quote(u.bid, u.bid + u.spread), t });
            else if (u.kind === "book")
              steps.push({
                md: book(
                  [[u.bid, u.depth]],
                  [
                    [u.bid + 5, u.depth],
                    [u.bid + 10, 1],
                  ],
                ),
                t,
              });
            else steps.push({ md: candle(u.open, u.open + u.range, u.open - u.range, u.open + u.range / 2, u.volume), t });
            if (!a) return;
            if (a.kind === "submit") {
              const limit = a.type.includes("LIMIT");
              steps.push({
                submit: {
                  clientOrderId: `o${i}`,
                  side: a.side,
                  type: a.type,
                  quantity: D(a.qty).dividedBy(1000),
                  price: limit ? a.price : undefined,
                  triggerPrice: a.type.startsWith("STOP") ? a.price : undefined,
                  trailingOffset: a.type.startsWith("TRAILING") ? 40 : undefined,
                  timeInForce: a.type === "LIMIT" ? a.tif : "GTC",
                  expireAt: a.type === "LIMIT" && a.tif === "GTD" ? t + 35 : undefined,
                },
                t: t + 1,
              });
            } else if (a.kind === "cancel") {
              steps.push({ cancel: `o${a.target}`, t: t + 1 });
            } else if (a.kind === "modify") {
              steps.push({ modify: `o${a.target}`, changes: { price: a.price }, t: t + 1 });
            } else {
              steps.push({ cancelAll: undefined, t: t + 1 });
            }
          });
          steps.push({ advance: raw.length * 10 + 100 });
          const factory: ConfigFactory = () => ({
            rng: seededRng(seed),
            latencyMs: { fixedMs: 2, jitterMs: 15 },
            participationCap: 0.5,
            slippage: { model: "REALISTIC", impactK: 0.5, fixedBps: 1, defaultSpreadBps: 2 },
            commission: { maker: "0.001", taker: "0.002", tiers: [{ minVolume30d: "40000", maker: "0", taker: "0.001" }] },
          });
          checkSplit(factory, steps, splitSeed % (steps.length + 1));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("without history: finished orders and fills are left out, and putting them back restores the whole venue", () => {
    const factory: ConfigFactory = () => ({});
    const steps: Step[] = [
      { md: quote(29999, 30001) },
      { submit: { clientOrderId: "done", side: "BUY", type: "MARKET" } },
      { submit: { clientOrderId: "open", side: "BUY", type: "LIMIT", price: "29000" } },
    ];
    const original = new MatchingEngine(full(factory()));
    run(original, steps);
    const lean = viaJson(original.toSnapshot({ history: false }));
    expect(lean.orders.map((o) => o.clientOrderId)).toEqual(["open"]);
    expect(lean.fills).toEqual([]);
    // Matching is unaffected; only what the venue remembers of finished orders differs.
    const forgetful = MatchingEngine.fromSnapshot(full(factory()), lean);
    expect(run(forgetful, [{ cancel: "done", t: 1 }])).toEqual(["done cancelReject UNKNOWN_ORDER t1"]);
    const fullSnapshot = viaJson(original.toSnapshot());
    const merged = { ...lean, orders: [original.orderRecord("done")!, ...lean.orders], fills: fullSnapshot.fills };
    const restored = MatchingEngine.fromSnapshot(full(factory()), viaJson(merged));
    expect(observe(restored, ["done", "open"])).toEqual(observe(original, ["done", "open"]));
    expect(run(restored, [{ cancel: "done", t: 1 }])).toEqual(run(original, [{ cancel: "done", t: 1 }]));
  });

  it("records every fill with its order's symbol and side, bounded", () => {
    const venue = new MatchingEngine(full({ fillHistoryLimit: 2 }));
    run(venue, [
      { md: quote(29999, 30001) },
      { submit: { clientOrderId: "a", side: "BUY", type: "MARKET" }, t: 1 },
      { submit: { clientOrderId: "b", side: "SELL", type: "MARKET" }, t: 2 },
      { submit: { clientOrderId: "c", side: "SELL", type: "MARKET", quantity: "0.5" }, t: 3 },
    ]);
    expect(
      venue
        .fills()
        .map(
          (f) =>
            `${f.tradeId} ${f.clientOrderId} ${f.symbol} ${f.side} ${f.qty.toString()}@${f.price.toString()} ${f.fee.toString()} ${f.feeCurrency} ${f.liquidity} t${f.ts}`,
        ),
    ).toEqual(["sim-2 b BTC/USDT SELL 1@29999 59.998 USDT TAKER t2", "sim-3 c BTC/USDT SELL 0.5@29999 29.999 USDT TAKER t3"]);
    expect(venue.fills(3).map((f) => f.tradeId)).toEqual(["sim-3"]);
  });

  it("lists restored fills and new ones in order, as the original venue lists them", () => {
    const steps: Step[] = [
      { md: quote(29999, 30001) },
      { submit: { clientOrderId: "a", side: "BUY", type: "MARKET" }, t: 1 },
      { submit: { clientOrderId: "b", side: "SELL", type: "MARKET", quantity: "0.5" }, t: 2 },
    ];
    const later: Step[] = [{ submit: { clientOrderId: "c", side: "SELL", type: "MARKET", quantity: "0.5" }, t: 3 }];
    const original = new MatchingEngine(full({ fillHistoryLimit: 2 }));
    run(original, steps);
    const restored = MatchingEngine.fromSnapshot(full({ fillHistoryLimit: 2 }), viaJson(original.toSnapshot()));
    run(original, later);
    run(restored, later);
    const text = (venue: MatchingEngine) =>
      venue.fills().map((f) => `${f.tradeId} ${f.clientOrderId} ${f.symbol} ${f.side} ${f.qty.toString()}@${f.price.toString()} ${f.feeCurrency} t${f.ts}`);
    expect(text(restored)).toEqual(["sim-2 b BTC/USDT SELL 0.5@29999 USDT t2", "sim-3 c BTC/USDT SELL 0.5@29999 USDT t3"]);
    expect(text(restored)).toEqual(text(original));
    expect(viaJson(restored.toSnapshot()).fills).toEqual(viaJson(original.toSnapshot()).fills);
  });

  it("revision moves with orders and balances, not with market data alone", () => {
    const venue = new MatchingEngine(full({}));
    const r0 = venue.revision;
    venue.onMarketData(trade(30000), 0);
    expect(venue.revision).toBe(r0);
    venue.submit({ clientOrderId: "t", symbol: "BTC/USDT", side: "SELL", type: "TRAILING_STOP_MARKET", quantity: "1", trailingOffset: "100" }, 1);
    const r1 = venue.revision;
    expect(r1).toBeGreaterThan(r0);
    venue.onMarketData(trade(30100), 2); // a new high moves the trailing stop: no event, but state changed
    expect(venue.revision).toBeGreaterThan(r1);
    const r2 = venue.revision;
    venue.onMarketData(trade(30050), 3); // no new high: nothing changes
    expect(venue.revision).toBe(r2);
  });

  it.each<[string, (s: SimVenueSnapshot) => SimVenueSnapshot, Partial<MatchingEngineConfig>, string]>([
    ["another version", (s) => ({ ...s, version: 2 as 1 }), {}, "SNAPSHOT_VERSION"],
    ["another id prefix", (s) => s, { idPrefix: "x" }, "SNAPSHOT_MISMATCH"],
    ["an order on a symbol the config does not trade", (s) => s, { instruments: [ETH] }, "SNAPSHOT_MISMATCH"],
    ["a listed order that is missing", (s) => ({ ...s, orders: [] }), {}, "SNAPSHOT_CORRUPT"],
  ])("refuses a snapshot with %s", (_name, mutate, overrides, code) => {
    const venue = new MatchingEngine(full({}));
    run(venue, [{ md: quote(29999, 30001) }, { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "29000" } }]);
    expect(() => MatchingEngine.fromSnapshot(full(overrides), mutate(viaJson(venue.toSnapshot())))).toThrow(code);
  });

  it("a non-capturable Rng is not captured", () => {
    const venue = new MatchingEngine(full({ rng: { next: () => 0.5 } })); // an Rng without capturable state
    expect(venue.toSnapshot().rng).toBeNull();
    expect(new MatchingEngine(full({})).toSnapshot().rng).toBe(0);
  });
});

describe("the rolling helpers and the rng resume exactly from their snapshots", () => {
  it("seededRng resumes from its captured state", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 50 }), (seed, skip) => {
        const a = seededRng(seed);
        const b = seededRng(seed);
        for (let i = 0; i < skip; i++) expect(b.next()).toBe(a.next());
        const c = seededRng(0);
        c.setState(b.getState());
        for (let i = 0; i < 5; i++) expect(c.next()).toBe(a.next());
      }),
    );
  });

  it("RollingVolume totals the same after a JSON round trip", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 * DAY_MS }), fc.integer({ min: 1, max: 10 ** 6 })), { maxLength: 40 }),
        fc.nat(),
        (raw, cut) => {
          const entries = raw.map(([dt, n]) => [dt, D(n).dividedBy(7)] as const);
          const a = new RollingVolume(123, 2 * DAY_MS);
          let b = new RollingVolume(123, 2 * DAY_MS);
          let ts = 0;
          entries.forEach(([dt, notional], i) => {
            if (i === cut % (entries.length + 1)) b = RollingVolume.fromSnapshot(viaJsonValue(b.toSnapshot()), 2 * DAY_MS);
            ts += dt;
            a.add(ts, notional);
            b.add(ts, notional);
            expect(b.total(ts + 1).toString()).toBe(a.total(ts + 1).toString());
          });
        },
      ),
    );
  });

  it("RollingVolatility gives the same σ after a JSON round trip", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1, max: 100_000, noNaN: true }), { maxLength: 60 }),
        fc.integer({ min: 2, max: 10 }),
        fc.nat(),
        (prices, window, cut) => {
          const a = new RollingVolatility(window);
          let b = new RollingVolatility(window);
          prices.forEach((price, i) => {
            if (i === cut % (prices.length + 1)) b = RollingVolatility.fromSnapshot(viaJsonValue(b.toSnapshot()));
            a.add(price);
            b.add(price);
            expect(b.value()).toBe(a.value());
          });
        },
      ),
    );
  });
});

function viaJsonValue<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

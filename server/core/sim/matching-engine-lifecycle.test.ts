import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { D, ZERO } from "../money";
import { seededRng } from "../rng";
import { balanceStrings, candle, lines, makeVenue, quote, run, trade, BTC, type Step } from "../../../test/sim/core-helpers";
import { makeInstrument } from "../instrument";
import { MatchingEngine } from "./matching-engine";
import { type VenueEvent } from "../orders/events";

describe("latency", () => {
  it("an order arrives latency ms after it is sent and executes against the quote standing then", () => {
    const venue = makeVenue({ latencyMs: 50 });
    expect(
      run(venue, [
        { md: quote(29999.5, 30000.5), t: 0 },
        { submit: { clientOrderId: "a", side: "BUY", type: "MARKET" }, t: 10 },
        { md: quote(30099.5, 30100.5), t: 40 },
      ]),
    ).toEqual([]);
    expect(venue.openOrders()).toEqual([]);
    expect(run(venue, [{ md: quote(30199.5, 30200.5), t: 70 }])).toEqual(["a accept t60", "a fill 1@30100.5 fee 60.201 TAKER sim-1 t60"]);
  });

  it("a trade before the order arrives does not fill it", () => {
    const venue = makeVenue({ latencyMs: 50 });
    expect(
      run(venue, [
        { submit: { clientOrderId: "a", side: "SELL", type: "MARKET" }, t: 0 },
        { md: trade(30000), t: 20 },
        { md: trade(30010), t: 60 },
      ]),
    ).toEqual(["a accept t50", "a fill 1@30010 fee 60.02 TAKER sim-1 t60"]);
  });

  it("a cancel that arrives after the order filled is refused", () => {
    const venue = makeVenue({ latencyMs: 50 });
    expect(
      run(venue, [
        { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "29900" }, t: 0 },
        { md: trade(29950), t: 60 },
        { cancel: "a", t: 100 },
        { md: trade(29800), t: 120 },
        { md: trade(29800), t: 150 },
      ]),
    ).toEqual(["a accept t50", "a fill 1@29900 fee 29.9 MAKER sim-1 t120", "a cancelReject ORDER_CLOSED t150"]);
  });

  it("a cancel that arrives before the market reaches the order cancels it", () => {
    const venue = makeVenue({ latencyMs: 50 });
    expect(
      run(venue, [
        { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "29900" }, t: 0 },
        { cancel: "a", t: 60 },
        { md: trade(29800), t: 110 },
        { md: trade(29800), t: 120 },
      ]),
    ).toEqual(["a accept t50", "a cancel t110"]);
  });

  it("cancel of an unknown order is refused", () => {
    expect(run(makeVenue(), [{ cancel: "nope" }])).toEqual(["nope cancelReject UNKNOWN_ORDER t0"]);
  });

  it("jitter comes from the seeded rng; requests stay in the order sent", () => {
    const arrivals = (seed: number): number[] => {
      const venue = makeVenue({ latencyMs: { fixedMs: 10, jitterMs: 100 }, rng: seededRng(seed) });
      for (let i = 0; i < 6; i++) venue.submit({ clientOrderId: `o${i}`, symbol: "BTC/USDT", side: "BUY", type: "LIMIT", price: "100", quantity: "1" }, i);
      return venue.advanceTo(10_000).map((e) => e.event.ts!);
    };
    const first = arrivals(42);
    expect(first).toEqual(arrivals(42));
    expect(first).not.toEqual(arrivals(7));
    expect(first).toHaveLength(6);
    first.forEach((ts, i) => {
      expect(ts).toBeGreaterThanOrEqual(i + 10);
      if (i > 0) expect(ts).toBeGreaterThanOrEqual(first[i - 1]!);
    });
  });
});

describe("balances", () => {
  it("a buy the free quote cannot cover is rejected with INSUFFICIENT_BALANCE", () => {
    const venue = makeVenue({ initialBalances: { USDT: "1000" } });
    const events = venue.submit({ clientOrderId: "a", symbol: "BTC/USDT", side: "BUY", type: "LIMIT", price: "30000", quantity: "1" }, 0);
    expect(events).toEqual([
      { clientOrderId: "a", event: { type: "reject", reason: "INSUFFICIENT_BALANCE: buying 1 BTC needs 30060 USDT, only 1000 USDT is free.", ts: 0 } },
    ]);
    expect(balanceStrings(venue)).toEqual({ USDT: "1000/0" });
  });

  it("a sell the free base cannot cover is rejected", () => {
    const venue = makeVenue({ initialBalances: { USDT: "1000", BTC: "0.5" } });
    const [event] = venue.submit({ clientOrderId: "a", symbol: "BTC/USDT", side: "SELL", type: "MARKET", quantity: "1" }, 0);
    expect(event!.event).toEqual({ type: "reject", reason: "INSUFFICIENT_BALANCE: selling 1 BTC needs 1 BTC, only 0.5 BTC is free.", ts: 0 });
  });

  it("a round trip moves free and reserved exactly", () => {
    const venue = makeVenue({ initialBalances: { USDT: "100000" } });
    venue.onMarketData(quote(30000, 30000.5), 0);
    expect(lines(venue.submit({ clientOrderId: "buy", symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.5" }, 0))).toEqual([
      "buy accept t0",
      "buy fill 0.5@30000.5 fee 30.0005 TAKER sim-1 t0",
    ]);
    // 100000 − 0.5 × 30000.5 − 30.0005
    expect(balanceStrings(venue)).toEqual({ BTC: "0.5/0", USDT: "84969.7495/0" });
    venue.submit({ clientOrderId: "sell", symbol: "BTC/USDT", side: "SELL", type: "LIMIT", price: "31000", quantity: "0.5" }, 1);
    expect(balanceStrings(venue)).toEqual({ BTC: "0/0.5", USDT: "84969.7495/0" });
    expect(lines(venue.onMarketData(trade(31000.01), 2))).toEqual(["sell fill 0.5@31000 fee 15.5 MAKER sim-2 t2"]);
    // + 0.5 × 31000 − 15.5
    expect(balanceStrings(venue)).toEqual({ BTC: "0/0", USDT: "100454.2495/0" });
  });

  it("a resting buy reserves limit × qty × (1 + fee); partial fills and the cancel release exactly", () => {
    const venue = makeVenue({ initialBalances: { USDT: "100000" }, participationCap: 0.1 });
    venue.submit({ clientOrderId: "a", symbol: "BTC/USDT", side: "BUY", type: "LIMIT", price: "29000", quantity: "1" }, 0);
    expect(balanceStrings(venue)).toEqual({ USDT: "70942/29058" });
    expect(lines(venue.onMarketData(trade(28999, 4), 1))).toEqual(["a fill 0.4@29000 fee 11.6 MAKER sim-1 t1"]);
    expect(balanceStrings(venue)).toEqual({ BTC: "0.4/0", USDT: "70953.6/17434.8" });
    const view = venue.order("a")!;
    expect(view.status).toBe("PARTIALLY_FILLED");
    expect(view.remainingQty.toString()).toBe("0.6");
    expect(view.avgFillPrice!.toString()).toBe("29000");
    expect(view.feesPaid.toString()).toBe("11.6");
    expect(lines(venue.cancel("a", 2))).toEqual(["a cancel t2"]);
    expect(balanceStrings(venue)).toEqual({ BTC: "0.4/0", USDT: "88388.4/0" });
    expect(venue.order("a")!.status).toBe("CANCELED");
  });

  it("market buys reserve with a buffer over the ask", () => {
    const tight = makeVenue({ initialBalances: { USDT: "30500" } });
    tight.onMarketData(quote(29999, 30000), 0);
    // 30000 × 1.02 × 1.002 = 30661.2 > 30500
    expect(lines(tight.submit({ clientOrderId: "a", symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "1" }, 0))).toEqual([
      "a reject INSUFFICIENT_BALANCE t0",
    ]);
    const noBuffer = makeVenue({ initialBalances: { USDT: "30500" }, marketReserveBufferBps: 0 });
    noBuffer.onMarketData(quote(29999, 30000), 0);
    expect(lines(noBuffer.submit({ clientOrderId: "a", symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "1" }, 0))).toEqual([
      "a accept t0",
      "a fill 1@30000 fee 60 TAKER sim-1 t0",
    ]);
    expect(balanceStrings(noBuffer)).toEqual({ BTC: "1/0", USDT: "440/0" });
  });

  it("a fill that costs more than reserved plus free cancels the order instead", () => {
    const venue = makeVenue({ initialBalances: { USDT: "30700" }, slippage: { model: "FIXED", bps: 500 } });
    venue.onMarketData(quote(29999, 30000), 0);
    const events = venue.submit({ clientOrderId: "a", symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "1" }, 0);
    expect(lines(events)).toEqual(["a accept t0", "a cancel t0"]);
    const cancel = events[1]!.event;
    expect(cancel.type === "cancel" ? cancel.reason : "").toBe(
      "INSUFFICIENT_BALANCE: buying 1 BTC at 31500 costs 31563 USDT, more than the order reserved and the free balance.",
    );
    expect(balanceStrings(venue)).toEqual({ USDT: "30700/0" });
  });

  it("fee tiers follow the 30-day volume, and a negative maker rate pays a rebate", () => {
    const venue = makeVenue({
      initialBalances: { USDT: "100000" },
      commission: { maker: "0.001", taker: "0.002", tiers: [{ minVolume30d: "10000", maker: "-0.0001", taker: "0.001" }] },
    });
    venue.onMarketData(quote(29999, 30000), 0);
    expect(lines(venue.submit({ clientOrderId: "a", symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "1" }, 0))).toEqual([
      "a accept t0",
      "a fill 1@30000 fee 60 TAKER sim-1 t0",
    ]);
    venue.submit({ clientOrderId: "b", symbol: "BTC/USDT", side: "SELL", type: "LIMIT", price: "30100", quantity: "1" }, 1);
    expect(lines(venue.onMarketData(trade(30100.5), 2))).toEqual(["b fill 1@30100 fee -3.01 MAKER sim-2 t2"]);
    // 100000 − 30060 + 30100 + 3.01
    expect(balanceStrings(venue)).toEqual({ BTC: "0/0", USDT: "100043.01/0" });
  });
});

describe("cancelAll", () => {
  it("cancels limits, trigger orders and waiting orders of one symbol, then of all", () => {
    const venue = makeVenue();
    const steps: Step[] = [
      { submit: { clientOrderId: "limit", side: "BUY", type: "LIMIT", price: "29000" } },
      { submit: { clientOrderId: "stop", side: "SELL", type: "STOP_MARKET", triggerPrice: "28000" } },
      { submit: { clientOrderId: "trail", side: "SELL", type: "TRAILING_STOP_LIMIT", trailingOffset: "100", limitOffset: "10" } },
      { submit: { clientOrderId: "tp", side: "SELL", type: "TAKE_PROFIT_LIMIT", triggerPrice: "32000", price: "32000" } },
      { submit: { clientOrderId: "waiting", side: "SELL", type: "MARKET" } },
      { submit: { clientOrderId: "eth", side: "BUY", type: "LIMIT", price: "2000", symbol: "ETH/USDT" } },
    ];
    run(venue, steps);
    expect(venue.openOrders().map((o) => o.clientOrderId)).toEqual(["limit", "stop", "trail", "tp", "waiting", "eth"]);
    expect(run(venue, [{ cancelAll: "BTC/USDT", t: 1 }])).toEqual([
      "limit cancel t1",
      "stop cancel t1",
      "trail cancel t1",
      "tp cancel t1",
      "waiting cancel t1",
    ]);
    expect(venue.openOrders().map((o) => o.clientOrderId)).toEqual(["eth"]);
    // 2000 × 1.002 still reserved for the ETH bid; BTC fully released
    expect(balanceStrings(venue)).toEqual({ BTC: "10/0", ETH: "10/0", USDT: "997996/2004" });
    expect(run(venue, [{ cancelAll: undefined, t: 2 }])).toEqual(["eth cancel t2"]);
    expect(balanceStrings(venue)).toEqual({ BTC: "10/0", ETH: "10/0", USDT: "1000000/0" });
    // nothing left to fill
    expect(
      run(venue, [
        { md: trade(27000), t: 3 },
        { md: trade(33000), t: 4 },
      ]),
    ).toEqual([]);
  });
});

describe("modify", () => {
  it("moves a resting limit and re-reserves for the new price", () => {
    const venue = makeVenue({ initialBalances: { USDT: "100000" } });
    venue.submit({ clientOrderId: "a", symbol: "BTC/USDT", side: "BUY", type: "LIMIT", price: "29900", quantity: "1" }, 0);
    expect(lines(venue.modify("a", { price: "29800" }, 1))).toEqual(["a modified price=29800 t1"]);
    expect(balanceStrings(venue)).toEqual({ USDT: "70140.4/29859.6" });
    expect(venue.order("a")!.price!.toString()).toBe("29800");
    expect(
      run(venue, [
        { md: trade(29850), t: 2 },
        { md: trade(29799), t: 3 },
      ]),
    ).toEqual(["a fill 1@29800 fee 29.8 MAKER sim-1 t3"]);
  });

  it("a modify that makes the limit marketable fills it at once as taker", () => {
    const venue = makeVenue();
    expect(
      run(venue, [
        { md: quote(29950, 29951) },
        { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "29900" } },
        { modify: "a", changes: { price: "30000" }, t: 1 },
      ]),
    ).toEqual(["a accept t0", "a modified price=30000 t1", "a fill 1@29951 fee 59.902 TAKER sim-1 t1"]);
  });

  it("refuses a quantity at or below what has filled, accepts a larger one", () => {
    const venue = makeVenue({ participationCap: 0.1, initialBalances: { USDT: "100000" } });
    run(venue, [{ submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "29900" } }, { md: trade(29800, 5), t: 1 }]);
    expect(venue.order("a")!.filledQty.toString()).toBe("0.5");
    expect(lines(venue.modify("a", { quantity: "0.4" }, 2))).toEqual(["a modifyReject INVALID_QUANTITY t2"]);
    expect(lines(venue.modify("a", { quantity: "2" }, 3))).toEqual(["a modified qty=2 t3"]);
    // 1.5 remaining × 29900 × 1.002
    expect(venue.balances().USDT!.reserved.toString()).toBe("44939.7");
  });

  it("refuses to modify a filled or unknown order, or to make a post-only order take", () => {
    const venue = makeVenue();
    expect(
      run(venue, [
        { md: quote(29950, 29951) },
        { submit: { clientOrderId: "a", side: "BUY", type: "MARKET" } },
        { submit: { clientOrderId: "p", side: "BUY", type: "LIMIT", price: "29900", postOnly: true } },
        { modify: "a", changes: { quantity: "2" } },
        { modify: "zz", changes: { quantity: "2" } },
        { modify: "p", changes: { price: "29960" } },
      ]),
    ).toEqual([
      "a accept t0",
      "a fill 1@29951 fee 59.902 TAKER sim-1 t0",
      "p accept t0",
      "a modifyReject ORDER_CLOSED t0",
      "zz modifyReject UNKNOWN_ORDER t0",
      "p modifyReject POST_ONLY_WOULD_TAKE t0",
    ]);
    expect(venue.order("p")!.price!.toString()).toBe("29900");
  });

  it("a new trigger price already through the market triggers at once", () => {
    const venue = makeVenue();
    expect(
      run(venue, [
        { md: quote(29499, 29500) },
        { submit: { clientOrderId: "s", side: "SELL", type: "STOP_MARKET", triggerPrice: "29000", triggerSource: "BID_ASK" } },
        { modify: "s", changes: { triggerPrice: "29600" }, t: 1 },
      ]),
    ).toEqual(["s accept t0", "s modified trigger=29600 t1", "s fill 1@29499 fee 58.998 TAKER sim-1 t1"]);
  });

  it("a modified order loses its time priority", () => {
    const venue = makeVenue({ participationCap: 0.1 });
    expect(
      run(venue, [
        { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "29900" } },
        { submit: { clientOrderId: "b", side: "BUY", type: "LIMIT", price: "29900" } },
        { modify: "a", changes: { quantity: "1.5" } },
        { md: trade(29800, 10), t: 1 },
      ]),
    ).toEqual(["a accept t0", "b accept t0", "a modified qty=1.5 t0", "b fill 1@29900 fee 29.9 MAKER sim-1 t1"]);
  });
});

describe("order views", () => {
  it("show a trailing stop's trigger as it ratchets, and the final state", () => {
    const venue = makeVenue();
    run(venue, [
      { submit: { clientOrderId: "t", side: "SELL", type: "TRAILING_STOP_LIMIT", trailingOffset: "100", limitOffset: "20" } },
      { md: trade(30000), t: 1 },
      { md: trade(30500), t: 2 },
      { md: trade(30450), t: 3 },
    ]);
    const view = venue.order("t")!;
    expect(view.triggerPrice!.toString()).toBe("30400");
    expect(view.price!.toString()).toBe("30380");
    expect(view.status).toBe("ACCEPTED");
    expect(view.triggered).toBe(false);
    expect(run(venue, [{ md: trade(30390), t: 4 }])).toEqual(["t trigger t4", "t fill 1@30390 fee 60.78 TAKER sim-1 t4"]);
    const done = venue.order("t")!;
    expect(done.status).toBe("FILLED");
    expect(done.triggered).toBe(true);
    expect(done.remainingQty.toString()).toBe("0");
    expect(done.reserved.toString()).toBe("0");
    expect(venue.openOrders()).toEqual([]);
  });
});

describe("determinism and ids", () => {
  const scenario = (seed: number): VenueEvent[] => {
    const venue = makeVenue({
      rng: seededRng(seed),
      latencyMs: { fixedMs: 5, jitterMs: 20 },
      participationCap: 0.25,
      slippage: { model: "REALISTIC", impactK: 0.5, fixedBps: 1, defaultSpreadBps: 2, defaultVolatility: 0.01 },
    });
    const events: VenueEvent[] = [];
    let price = 30000;
    for (let t = 0; t < 400; t += 10) {
      price += ((t * 7919) % 13) - 6;
      events.push(...venue.onMarketData(t % 30 === 0 ? candle(price, price + 20, price - 20, price + 5, 3) : trade(price, 2), t));
      if (t % 40 === 0)
        events.push(...venue.submit({ clientOrderId: `m${t}`, symbol: "BTC/USDT", side: t % 80 === 0 ? "BUY" : "SELL", type: "MARKET", quantity: "0.5" }, t));
      if (t % 50 === 0)
        events.push(...venue.submit({ clientOrderId: `l${t}`, symbol: "BTC/USDT", side: "BUY", type: "LIMIT", price: String(price - 10), quantity: "0.7" }, t));
      if (t === 100)
        events.push(
          ...venue.submit({ clientOrderId: "trail", symbol: "BTC/USDT", side: "SELL", type: "TRAILING_STOP_MARKET", trailingOffset: "15", quantity: "0.5" }, t),
        );
    }
    return events;
  };

  it("same inputs and seed → identical events", () => {
    const a = scenario(11);
    expect(lines(a).length).toBeGreaterThan(30);
    expect(lines(a)).toEqual(lines(scenario(11)));
    expect(lines(a)).not.toEqual(lines(scenario(12)));
  });

  it("trade ids are unique and sequential", () => {
    const ids = scenario(3).flatMap((e) => (e.event.type === "fill" ? [e.event.tradeId] : []));
    expect(ids.length).toBeGreaterThan(5);
    expect(ids).toEqual(ids.map((_, i) => `sim-${i + 1}`));
  });
});

describe("property: fills never exceed the order and accounting is exact", () => {
  const update = fc.oneof(
    fc.record({ kind: fc.constant("trade" as const), price: fc.integer({ min: 29000, max: 31000 }), qty: fc.integer({ min: 0, max: 5 }) }),
    fc.record({
      kind: fc.constant("candle" as const),
      open: fc.integer({ min: 29000, max: 31000 }),
      range: fc.integer({ min: 0, max: 500 }),
      volume: fc.integer({ min: 0, max: 5 }),
    }),
    fc.record({ kind: fc.constant("quote" as const), bid: fc.integer({ min: 29000, max: 31000 }), spread: fc.integer({ min: 1, max: 20 }) }),
  );
  const order = fc.record({
    side: fc.constantFrom("BUY" as const, "SELL" as const),
    type: fc.constantFrom("MARKET" as const, "LIMIT" as const, "STOP_MARKET" as const, "STOP_LIMIT" as const, "TRAILING_STOP_MARKET" as const),
    price: fc.integer({ min: 29000, max: 31000 }),
    qty: fc.integer({ min: 1, max: 3000 }),
    tif: fc.constantFrom("GTC" as const, "IOC" as const, "FOK" as const),
  });

  it("holds for random orders and market data", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.option(order, { nil: undefined }), update), { minLength: 1, maxLength: 40 }),
        fc.constantFrom(0.1, 0.5, 1),
        (steps, cap) => {
          const venue = new MatchingEngine({ instruments: [BTC], initialBalances: { USDT: "200000", BTC: "5" }, participationCap: cap });
          const events: VenueEvent[] = [];
          steps.forEach(([o, u], i) => {
            if (u.kind === "trade") events.push(...venue.onMarketData({ kind: "trade", symbol: "BTC/USDT", price: u.price, qty: u.qty }, i));
            else if (u.kind === "quote") events.push(...venue.onMarketData(quote(u.bid, u.bid + u.spread), i));
            else events.push(...venue.onMarketData(candle(u.open, u.open + u.range, u.open - u.range, u.open + u.range / 2, u.volume), i));
            if (o) {
              events.push(
                ...venue.submit(
                  {
                    clientOrderId: `o${i}`,
                    symbol: "BTC/USDT",
                    side: o.side,
                    type: o.type,
                    quantity: D(o.qty).dividedBy(1000),
                    price: o.type.includes("LIMIT") ? o.price : undefined,
                    triggerPrice: o.type.startsWith("STOP") ? o.price : undefined,
                    trailingOffset: o.type.startsWith("TRAILING") ? 50 : undefined,
                    timeInForce: o.type.includes("STOP") ? "GTC" : o.tif,
                  },
                  i,
                ),
              );
            }
          });
          let usdt = D("200000");
          let btc = D("5");
          const filled = new Map<string, ReturnType<typeof D>>();
          for (const { clientOrderId, event } of events) {
            if (event.type !== "fill") continue;
            const qty = D(event.qty);
            const notional = qty.times(D(event.price));
            const view = venue.order(clientOrderId)!;
            if (view.side === "BUY") {
              usdt = usdt.minus(notional).minus(D(event.fee!));
              btc = btc.plus(qty);
            } else {
              usdt = usdt.plus(notional).minus(D(event.fee!));
              btc = btc.minus(qty);
            }
            filled.set(clientOrderId, (filled.get(clientOrderId) ?? ZERO).plus(qty));
          }
          for (const [id, qty] of filled) {
            const view = venue.order(id)!;
            expect(qty.lessThanOrEqualTo(view.quantity)).toBe(true);
            expect(qty.toString()).toBe(view.filledQty.toString());
          }
          const balances = venue.balances();
          expect(balances.USDT!.total.toString()).toBe(usdt.toString());
          expect(balances.BTC!.total.toString()).toBe(btc.toString());
          expect(balances.USDT!.free.isNegative()).toBe(false);
          expect(balances.BTC!.free.isNegative()).toBe(false);
          venue.cancelAll(undefined, steps.length);
          expect(venue.balances().USDT!.reserved.toString()).toBe("0");
          expect(venue.balances().BTC!.reserved.toString()).toBe("0");
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("a buy's reservation per unit", () => {
  const twoProducts = (price: string): string => D(price).times("1.02").times("1.002").toString();

  it("is the market price × the market buffer × the fee factor", () => {
    const venue = makeVenue();
    for (const [i, price] of [30000.5, 0.30000000000000004, 12345.678901234567].entries()) {
      venue.onMarketData(trade(price), i);
      venue.submit({ clientOrderId: `m${i}`, symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "1" }, i);
      expect(venue.order(`m${i}`)!.reserved.toString()).toBe(twoProducts(String(price)));
    }
  });

  it("of a 40-digit trigger price rounds as two products in a row (one product by buffer × fee factor would round otherwise)", () => {
    const fine = makeInstrument({ symbol: "FINE/USDT", priceTick: "1e-39", qtyStep: "1", makerFee: "0.001", takerFee: "0.002" });
    const venue = new MatchingEngine({ instruments: [fine], initialBalances: { USDT: "1000" } });
    venue.onMarketData(trade(1, 10, undefined, "FINE/USDT"), 0);
    const trigger = "6.298899775353350895669733765530116275792";
    venue.submit({ clientOrderId: "s", symbol: "FINE/USDT", side: "BUY", type: "STOP_MARKET", triggerPrice: trigger, quantity: "1" }, 0);
    expect(venue.order("s")!.reserved.toString()).toBe(twoProducts(trigger));
    expect(twoProducts(trigger)).not.toBe(D(trigger).times(D("1.02").times("1.002")).toString());
  });
});

describe("an order's fill cost", () => {
  it("reads the same after one fill, after two, and from a restored snapshot", () => {
    const venue = makeVenue({ participationCap: 0.5 });
    venue.submit({ clientOrderId: "b", symbol: "BTC/USDT", side: "BUY", type: "LIMIT", price: "30000.25", quantity: "3" }, 0);
    venue.onMarketData(trade(30000, 2), 1); // fills 1 (half the trade's 2)
    expect(venue.orderRecord("b")!.filledNotional).toBe("30000.25");
    expect(venue.order("b")!.avgFillPrice!.toString()).toBe("30000.25");
    venue.onMarketData(trade(29999, 3), 2); // fills 1.5
    expect(venue.orderRecord("b")!.filledNotional).toBe("75000.625");
    expect(venue.order("b")!.avgFillPrice!.toString()).toBe("30000.25");
    const restored = MatchingEngine.fromSnapshot({ instruments: [BTC], initialBalances: {}, participationCap: 0.5 }, venue.toSnapshot());
    expect(restored.orderRecord("b")!.filledNotional).toBe("75000.625");
    restored.onMarketData(trade(29999, 1), 3); // fills the last 0.5
    expect(restored.orderRecord("b")).toMatchObject({ filled: "3", filledNotional: "90000.75", status: "FILLED" });
  });
});

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { summarizeEvent } from "../../services/orders";
import { callerFor, openTestDesk, T0, trpcError, type TestDesk } from "../../../test/desk-support";
import { FakeScheduler } from "../../../test/replay/fake-scheduler";
import type { OrderSpec } from "../../core/orders/types";

let desk: TestDesk;
beforeEach(async () => {
  desk = await openTestDesk();
});
afterEach(async () => {
  await desk.close();
});

const restingBuy = { symbol: "BTC/USDT", side: "BUY" as const, type: "LIMIT" as const, quantity: "0.01", price: "19000" };

async function placeResting(extra: { price?: string } = {}): Promise<string> {
  const result = await callerFor("trader").orders.place({ ...restingBuy, ...extra });
  return String(result.data?.clientOrderId);
}

describe("orders.place", () => {
  it("sends a manual limit order that rests, shows it in orders.open, and audits it", async () => {
    const result = await callerFor("trader").orders.place({ ...restingBuy, reason: "dip buy" });
    expect(result.message).toMatch(/BUY 0.01 BTC\/USDT LIMIT sent \(ACCEPTED\)/);
    const open = await callerFor("viewer").orders.open();
    expect(open.orders).toHaveLength(1);
    expect(open.orders[0]).toMatchObject({
      clientOrderId: result.data?.clientOrderId,
      symbol: "BTC/USDT",
      side: "BUY",
      type: "LIMIT",
      status: "ACCEPTED",
      quantity: "0.01",
      price: "19000",
      strategy: "manual",
    });
    expect(open.instruments.map((i) => i.symbol).sort()).toEqual(["BTC/USDT", "ETH/USDT"]);
    expect(await desk.tdb.client.auditLog.findFirst()).toMatchObject({ action: "manual_order", actor: "tina", reason: "dip buy", result: "OK" });
  });

  it("a market order fills and opens a position", async () => {
    await callerFor("trader").orders.place({ symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.01" });
    const positions = await callerFor("viewer").positions.list();
    expect(positions.positions[0]).toMatchObject({ symbol: "BTC/USDT", quantity: "0.01" });
  });

  it.each([
    ["below the minimum notional", { quantity: "0.0001" }, "MIN_NOTIONAL"],
    ["too many decimals", { quantity: "0.0000001" }, "QTY_PRECISION"],
    ["a price off the tick", { price: "19000.001" }, "PRICE_PRECISION"],
    ["a stop without a trigger", { type: "STOP_MARKET", price: undefined }, "MISSING_TRIGGER_PRICE"],
    ["a market order with a price", { type: "MARKET" }, "UNEXPECTED_PRICE"],
    ["an unknown symbol", { symbol: "DOGE/USDT" }, "UNKNOWN_SYMBOL"],
    ["a spot short", { side: "SELL", price: "21000" }, "SHORT_NOT_SUPPORTED"],
  ])("refuses %s with the engine's code and a plain message", async (_name, extra, code) => {
    const e = await trpcError(callerFor("trader").orders.place({ ...restingBuy, ...extra } as never));
    expect(e.domainCode).toBe(code);
    expect(e.message.length).toBeGreaterThan(10);
    expect(await desk.tdb.client.auditLog.findFirst()).toMatchObject({ action: "manual_order", result: "REFUSED" });
  });

  it("refuses while trading is halted (TRADING_HALTED)", async () => {
    await callerFor("trader").breaker.emergencyStop({ reason: "test halt", flatten: false });
    const e = await trpcError(callerFor("trader").orders.place(restingBuy));
    expect(e.domainCode).toBe("TRADING_HALTED");
    expect(e.code).toBe("PRECONDITION_FAILED");
  });

  it.each([
    ["NaN quantity", { quantity: "NaN" }, /quantity must be a positive decimal number/],
    ["negative quantity", { quantity: -1 }, /quantity must be a positive decimal number/],
    ["Infinity quantity", { quantity: Number.POSITIVE_INFINITY }, /quantity must be a number/],
    ["absurd quantity", { quantity: "5000000000000" }, /absurdly large/],
    ["zero price", { price: "0" }, /price must be above 0/],
    ["bad symbol", { symbol: "btc-usdt" }, /symbol must look like BTC\/USDT/],
    ["an order type there is none of", { type: "TRAILING_TAKE_PROFIT" }, /type must be one of/],
    [
      "a trailing offset unit there is none of",
      { type: "TRAILING_STOP_MARKET", trailingOffset: "100", trailingOffsetType: "PERCENT" },
      /trailingOffsetType must be PRICE or BASIS_POINTS/,
    ],
    ["a time in force there is none of", { timeInForce: "GTX" }, /timeInForce must be GTC, IOC, FOK or GTD/],
    ["GTD without its expiry", { timeInForce: "GTD" }, /a GTD order needs expireAt/],
    ["an expiry on a GTC order", { timeInForce: "GTC", expireAt: T0 + 60_000 }, /expireAt is only for GTD orders/],
    ["an expiry without a time in force", { expireAt: T0 + 60_000 }, /expireAt is only for GTD orders/],
    ["an expiry that is not epoch ms", { timeInForce: "GTD", expireAt: "tomorrow" }, /expireAt must be epoch milliseconds/],
    ["a fractional expiry", { timeInForce: "GTD", expireAt: T0 + 0.5 }, /expireAt must be epoch milliseconds/],
    ["extra field", { leverage: 100 }, /leverage/],
  ])("refuses %s at the edge", async (_name, extra, message) => {
    const e = await trpcError(callerFor("trader").orders.place({ ...restingBuy, ...extra } as never));
    expect(e.code).toBe("BAD_REQUEST");
    expect(JSON.stringify((e.cause as { issues?: unknown }).issues ?? e.message)).toMatch(message);
  });
});

describe("role enforcement", () => {
  it("a viewer is FORBIDDEN on every mutation, and reads everything", async () => {
    const id = await placeResting();
    const viewer = callerFor("viewer");
    for (const call of [viewer.orders.cancel({ clientOrderId: id }), viewer.orders.cancelAll({ reason: "clean the book" }), viewer.orders.place(restingBuy)]) {
      const e = await trpcError(call);
      expect(e.code).toBe("FORBIDDEN");
    }
    expect((await viewer.orders.open()).orders).toHaveLength(1);
    expect((await viewer.orders.list({})).orders).toHaveLength(1);
    expect((await viewer.orders.detail({ clientOrderId: id })).order.status).toBe("ACCEPTED");
    for (const call of [callerFor(null).orders.open(), callerFor(null).orders.list({}), callerFor(null).orders.detail({ clientOrderId: id })]) {
      expect((await trpcError(call)).code).toBe("UNAUTHORIZED");
    }
  });
});

describe("orders.cancel / cancelAll", () => {
  it("cancels one order, audited with its reason", async () => {
    const id = await placeResting();
    const result = await callerFor("trader").orders.cancel({ clientOrderId: id, reason: "changed my mind" });
    expect(result.message).toMatch(/Cancel requested/);
    expect((await callerFor("viewer").orders.open()).orders).toHaveLength(0);
    expect((await desk.tdb.client.order.findUnique({ where: { clientOrderId: id } }))?.status).toBe("CANCELED");
    expect(await desk.tdb.client.auditLog.findFirst({ where: { action: "cancel_order" } })).toMatchObject({
      target: id,
      reason: "changed my mind",
      result: "OK",
    });
  });

  it("refuses unknown and already-closed orders with NOT_FOUND", async () => {
    const trader = callerFor("trader");
    const unknown = await trpcError(trader.orders.cancel({ clientOrderId: "bst-nope" }));
    expect(unknown.code).toBe("NOT_FOUND");
    expect(unknown.message).toBe("Order bst-nope is not open.");
    const id = await placeResting();
    await trader.orders.cancel({ clientOrderId: id });
    expect((await trpcError(trader.orders.cancel({ clientOrderId: id }))).code).toBe("NOT_FOUND");
  });

  it("cancels all (optionally one symbol), with a required reason", async () => {
    await placeResting();
    await placeResting({ price: "18000" });
    await callerFor("trader").orders.place({ symbol: "ETH/USDT", side: "BUY", type: "LIMIT", quantity: "0.1", price: "1900" });
    const trader = callerFor("trader");
    expect((await trpcError(trader.orders.cancelAll({ reason: "x" }))).code).toBe("BAD_REQUEST");
    const btc = await trader.orders.cancelAll({ symbol: "BTC/USDT", reason: "flat BTC book" });
    expect(btc.message).toBe("Canceled 2 of 2 open order(s).");
    expect((await callerFor("viewer").orders.open()).orders.map((o) => o.symbol)).toEqual(["ETH/USDT"]);
    await trader.orders.cancelAll({ reason: "flat book" });
    expect((await callerFor("viewer").orders.open()).orders).toHaveLength(0);
  });
});

describe("a named venue on orders and controls", () => {
  it("places at, cancels all at and pauses the desk's own venue by name; an unknown venue is refused naming the venues", async () => {
    const trader = callerFor("trader");
    const venue = (await callerFor("viewer").overview.summary()).venues[0]!.id;
    expect(await trader.orders.place({ ...restingBuy, venue })).toMatchObject({ data: { status: "ACCEPTED" } });
    const unknown = await trpcError(trader.orders.place({ ...restingBuy, venue: "kraken" }));
    expect(unknown.message).toBe(`There is no venue 'kraken' on this desk; its venues are ${venue}.`);
    expect((await trpcError(trader.orders.place({ ...restingBuy, venue: "not a venue!" }))).code).toBe("BAD_REQUEST");
    expect((await trader.orders.cancelAll({ venue, reason: "flat at the venue" })).message).toBe("Canceled 1 of 1 open order(s).");
    expect((await trpcError(trader.breaker.pause({ venue: "kraken" }))).message).toContain("There is no venue 'kraken'");
    await trader.breaker.pause({ venue });
    expect((await callerFor("viewer").breaker.status()).tradingState).toBe("REDUCING");
  });
});

describe("orders.list", () => {
  it("filters by symbol, status (one or several), side and time, newest first, with cursor pagination", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      desk.clock.advance(60_000);
      ids.push(await placeResting({ price: String(19000 - i) }));
    }
    desk.clock.advance(60_000);
    await callerFor("trader").orders.place({ symbol: "ETH/USDT", side: "BUY", type: "MARKET", quantity: "0.1" });
    await callerFor("trader").orders.cancel({ clientOrderId: ids[0]! });
    const viewer = callerFor("viewer");

    const all = await viewer.orders.list({});
    expect(all.orders).toHaveLength(6);
    expect(all.orders.map((o) => o.createdAt)).toEqual([...all.orders.map((o) => o.createdAt)].sort((a, b) => b - a));
    expect(all.nextCursor).toBeNull();

    expect((await viewer.orders.list({ symbol: "ETH/USDT" })).orders.map((o) => o.status)).toEqual(["FILLED"]);
    expect((await viewer.orders.list({ status: "CANCELED" })).orders.map((o) => o.clientOrderId)).toEqual([ids[0]]);
    expect((await viewer.orders.list({ status: ["CANCELED", "FILLED"] })).orders).toHaveLength(2);
    expect((await viewer.orders.list({ side: "SELL" })).orders).toHaveLength(0);
    expect((await viewer.orders.list({ fromMs: T0 + 2 * 60_000, toMs: T0 + 4 * 60_000 + 5_000 })).orders.map((o) => o.clientOrderId)).toEqual([
      ids[3],
      ids[2],
      ids[1],
    ]);

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await viewer.orders.list({ limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...res.orders.map((o) => o.clientOrderId));
      if (!res.nextCursor) break;
      cursor = res.nextCursor;
    }
    expect(seen).toEqual(all.orders.map((o) => o.clientOrderId));
  });

  it("carries venue, symbol and strategy on every row (manual for a person's) and filters by each in the query", async () => {
    await placeResting();
    desk.clock.advance(60_000);
    await desk.signal("BUY", { symbol: "ETH/USDT", strategy: "sma-cross" });
    const viewer = callerFor("viewer");
    const venue = desk.engine.venueId();

    const all = await viewer.orders.list({});
    expect(all.orders.map((o) => ({ venue: o.venue, symbol: o.symbol, strategy: o.strategy }))).toEqual([
      { venue, symbol: "ETH/USDT", strategy: "sma-cross" },
      { venue, symbol: "BTC/USDT", strategy: "manual" },
    ]);
    expect((await viewer.orders.list({ strategy: "sma-cross" })).orders.map((o) => o.symbol)).toEqual(["ETH/USDT"]);
    expect((await viewer.orders.list({ strategy: "manual" })).orders.map((o) => o.symbol)).toEqual(["BTC/USDT"]);
    expect((await viewer.orders.list({ strategy: "rsi" })).orders).toHaveLength(0);
    expect((await viewer.orders.list({ venue })).orders).toHaveLength(2);
    expect((await viewer.orders.list({ venue: "elsewhere" })).orders).toHaveLength(0);
    expect((await viewer.orders.list({ venue, symbol: "BTC/USDT", strategy: "sma-cross" })).orders).toHaveLength(0);

    expect(await viewer.orders.facets()).toEqual({ venues: [venue], symbols: ["BTC/USDT", "ETH/USDT"], strategies: ["manual", "sma-cross"] });

    const open = await viewer.orders.open({ strategy: "manual" });
    expect(open.orders.map((o) => ({ venue: o.venue, symbol: o.symbol, strategy: o.strategy }))).toEqual([{ venue, symbol: "BTC/USDT", strategy: "manual" }]);
    expect((await viewer.orders.open({ strategy: "sma-cross" })).orders).toHaveLength(0);
    expect((await viewer.orders.open({ venue: "elsewhere" })).orders).toHaveLength(0);
  });

  it.each([
    ["a venue with spaces", { venue: "binance main" }, /venue must be a venue id/],
    ["a venue too long", { venue: "v".repeat(41) }, /venue must be a venue id/],
    ["a strategy too long", { strategy: "s".repeat(65) }, /strategy must be at most 64 characters/],
    ["a strategy with a control character", { strategy: "sma\u0000" }, /control characters/],
  ])("refuses %s as a filter", async (_name, input, message) => {
    const e = await trpcError(callerFor("viewer").orders.list(input));
    expect(e.code).toBe("BAD_REQUEST");
    expect(JSON.stringify((e.cause as { issues?: unknown }).issues ?? e.message)).toMatch(message);
  });

  it.each([
    ["limit 0", { limit: 0 }, /limit must be 1 to 500/],
    ["limit 501", { limit: 501 }, /limit must be 1 to 500/],
    ["unknown status", { status: "OPEN" }, /status must be one of/],
    ["NaN time", { fromMs: Number.NaN }, /fromMs/],
    ["reversed range", { fromMs: 10, toMs: 5 }, /fromMs must be before toMs/],
  ])("refuses %s", async (_name, input, message) => {
    const e = await trpcError(callerFor("viewer").orders.list(input as never));
    expect(e.code).toBe("BAD_REQUEST");
    expect(JSON.stringify((e.cause as { issues?: unknown }).issues ?? e.message)).toMatch(message);
  });

  it("refuses a malformed cursor", async () => {
    const e = await trpcError(callerFor("viewer").orders.list({ cursor: "garbage" }));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toMatch(/cursor is malformed/);
  });
});

describe("orders.detail", () => {
  it("shows a filled market order with its journal in order (intent → submit → accept → fill) and its fills", async () => {
    const placed = await callerFor("trader").orders.place({ symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.01" });
    const id = String(placed.data?.clientOrderId);
    const detail = await callerFor("viewer").orders.detail({ clientOrderId: id });
    expect(detail.order).toMatchObject({ clientOrderId: id, status: "FILLED", filledQty: "0.01", side: "BUY", type: "MARKET" });
    expect(detail.venue).toBe("sim");
    expect(detail.instrument?.priceTick).toBe("0.01");
    expect(detail.events.map((e) => [e.type, e.source, e.applied])).toEqual([
      ["intent", "engine", true],
      ["submit", "engine", true],
      ["accept", "venue", true],
      ["fill", "venue", true],
    ]);
    const seqs = detail.events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(detail.events[0]!.summary).toBe("BUY 0.01 BTC/USDT MARKET GTC");
    const fill = detail.fills[0]!;
    expect(detail.fills).toHaveLength(1);
    expect(detail.events[3]!.summary).toBe(`0.01 @ ${fill.price} fee ${fill.fee} (taker) · trade ${fill.tradeId}`);
    expect(JSON.parse(JSON.stringify(detail))).toEqual(detail);
  });

  it("shows a cancel with its reason, and a refused event with the refusal text", async () => {
    const id = await placeResting();
    await callerFor("trader").orders.cancel({ clientOrderId: id });
    // A late venue event the FSM refuses is journaled (applied = false) with the reason.
    desk.store.appendJournal({
      clientOrderId: id,
      type: "accept",
      source: "venue",
      payload: { type: "accept", ts: T0 },
      applied: false,
      refusal: "TERMINAL: order is CANCELED",
      ts: desk.clock.now(),
    });
    const detail = await callerFor("viewer").orders.detail({ clientOrderId: id });
    expect(detail.events.map((e) => e.type)).toEqual(["intent", "submit", "accept", "cancelRequest", "cancel", "accept"]);
    expect(detail.events[0]!.summary).toBe("BUY 0.01 BTC/USDT LIMIT @ 19000 GTC");
    const last = detail.events.at(-1)!;
    expect(last).toMatchObject({ applied: false, refusal: "TERMINAL: order is CANCELED" });
    expect(detail.fills).toEqual([]);
  });

  it("NOT_FOUND for an unknown id, with a clear message", async () => {
    const e = await trpcError(callerFor("viewer").orders.detail({ clientOrderId: "bst-unknown" }));
    expect(e.code).toBe("NOT_FOUND");
    expect(e.message).toMatch(/No order with the id bst-unknown/);
  });

  it("summarizes payloads in plain words", () => {
    expect(summarizeEvent("reject", { type: "reject", reason: "Insufficient balance" })).toBe("Insufficient balance");
    expect(summarizeEvent("cancel", { type: "cancel", reason: "user" })).toBe("user");
    expect(summarizeEvent("cancelRequest", { reason: "expired (GTD)" })).toBe("cancel requested: expired (GTD)");
    expect(summarizeEvent("cancelRequest", {})).toBe("cancel requested");
    expect(summarizeEvent("deny", { type: "deny", reason: "MIN_NOTIONAL" })).toBe("MIN_NOTIONAL");
    expect(summarizeEvent("modified", { type: "modified", price: "10" })).toBe("price 10");
    expect(summarizeEvent("reopen", { type: "reopen", reason: "open at binance (ACCEPTED) although the books had it REJECTED: tracked again" })).toBe(
      "open at binance (ACCEPTED) although the books had it REJECTED: tracked again",
    );
    expect(summarizeEvent("reopen", { type: "reopen" })).toBe("still open at the venue: tracked again");
    expect(summarizeEvent("unknownThing", null)).toBe("");
  });
});

describe("orders.list as an infinite query", () => {
  it("accepts tRPC's direction field", async () => {
    await placeResting();
    expect((await callerFor("viewer").orders.list({ direction: "forward" })).orders).toHaveLength(1);
  });
});

describe("order lists, trailing stops and amends through the API", () => {
  const bracket = {
    kind: "BRACKET" as const,
    entry: { symbol: "BTC/USDT", side: "BUY" as const, type: "LIMIT" as const, quantity: "0.01", price: "19000" },
    stopLoss: { type: "STOP_MARKET" as const, triggerPrice: "18500" },
    takeProfit: { type: "LIMIT" as const, price: "19800" },
  };

  it("places a bracket: one unit in orders.lists, the entry's list id and role in orders.list; the legs appear on fill", async () => {
    const placed = await callerFor("trader").orders.placeList({ ...bracket, reason: "breakout" });
    const listId = String(placed.data?.listId);
    const lists = await callerFor("viewer").orders.lists();
    expect(lists.lists).toHaveLength(1);
    expect(lists.lists[0]).toMatchObject({ listId, kind: "BRACKET", status: "WORKING", mode: "EMULATED", execution: "emulated" });
    expect(lists.lists[0]!.legs.map((l) => [l.role, l.sent])).toEqual([
      ["entry", true],
      ["stop_loss", false],
      ["take_profit", false],
    ]);
    const rows = (await callerFor("viewer").orders.list({})).orders;
    expect(rows[0]).toMatchObject({ listId, listRole: "entry" });
    await desk.quote(18990);
    const after = (await callerFor("viewer").orders.lists()).lists[0]!;
    expect(after.legs.map((l) => [l.role, l.order?.status])).toEqual([
      ["entry", "FILLED"],
      ["stop_loss", "EMULATED"], // held by the engine: on spot the venue reserves the coins for the take-profit
      ["take_profit", "ACCEPTED"],
    ]);
    expect(await desk.tdb.client.auditLog.findFirst()).toMatchObject({ action: "place_order_list", target: "BRACKET", reason: "breakout", result: "OK" });
    await callerFor("trader").orders.cancelList({ listId });
    expect((await callerFor("viewer").orders.lists()).lists).toHaveLength(0);
  });

  it("refuses a bracket with its prices on the wrong side, and bad input at the edge", async () => {
    const e = await trpcError(callerFor("trader").orders.placeList({ ...bracket, stopLoss: { type: "STOP_MARKET", triggerPrice: "19500" } }));
    expect(e.domainCode).toBe("BRACKET_PRICES");
    const edge = await trpcError(callerFor("trader").orders.placeList({ kind: "OCA" } as never));
    expect(edge.code).toBe("BAD_REQUEST");
    expect(JSON.stringify((edge.cause as { issues?: unknown }).issues ?? edge.message)).toMatch(/kind must be OCO, OTO or BRACKET/);
  });

  it("places a trailing stop with its offset in basis points", async () => {
    await callerFor("trader").orders.place({ symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.01" });
    const result = await callerFor("trader").orders.place({
      symbol: "BTC/USDT",
      side: "SELL",
      type: "TRAILING_STOP_MARKET",
      quantity: "0.01",
      trailingOffset: "50",
      trailingOffsetType: "BASIS_POINTS",
    });
    const open = (await callerFor("viewer").orders.open()).orders.find((o) => o.clientOrderId === result.data?.clientOrderId);
    expect(open).toMatchObject({ type: "TRAILING_STOP_MARKET", trailingOffset: "50", trailingOffsetType: "BASIS_POINTS" });
  });

  it("amends a working order's price, audited; refuses an amend with nothing to change at the edge", async () => {
    const id = await placeResting();
    await callerFor("trader").orders.amend({ clientOrderId: id, price: "19100", reason: "closer" });
    const open = (await callerFor("viewer").orders.open()).orders;
    expect(open).toHaveLength(1);
    expect(open[0]!.price).toBe("19100");
    expect(await desk.tdb.client.auditLog.findFirst({ where: { action: "modify_order" } })).toMatchObject({ target: id, reason: "closer", result: "OK" });
    const e = await trpcError(callerFor("trader").orders.amend({ clientOrderId: id }));
    expect(e.code).toBe("BAD_REQUEST");
    expect((await trpcError(callerFor("viewer").orders.amend({ clientOrderId: id, price: "19200" }))).code).toBe("FORBIDDEN");
  });
});

describe("GTD orders through the API", () => {
  const gtdBuy = { ...restingBuy, timeInForce: "GTD" as const };

  it("a venue that cannot hold a GTD: sent as GTC, and the engine cancels it at its expiry on the desk clock", async () => {
    await desk.close();
    let scheduler: FakeScheduler | undefined;
    desk = await openTestDesk({
      // Like Binance spot through ccxt: no GTD at the venue (server/venues/ccxt/orders.ts), so the engine expires it.
      wrapVenue: (venue) => Object.assign(venue, { holdsNatively: (spec: OrderSpec) => spec.timeInForce !== "GTD" }),
      timers: (clock) => (scheduler = new FakeScheduler(clock)),
    });
    const expireAt = desk.clock.now() + 5 * 60_000;
    const placed = await callerFor("trader").orders.place({ ...gtdBuy, expireAt, reason: "until the close" });
    const id = String(placed.data?.clientOrderId);
    expect((await callerFor("viewer").orders.open()).orders).toEqual([expect.objectContaining({ clientOrderId: id, timeInForce: "GTD", expireAt })]);
    scheduler!.advance(5 * 60_000 - 1);
    await desk.engine.run(() => undefined);
    expect((await callerFor("viewer").orders.open()).orders.map((o) => o.clientOrderId)).toEqual([id]);
    scheduler!.advance(1);
    await desk.engine.run(() => undefined);
    expect((await callerFor("viewer").orders.open()).orders).toHaveLength(0);
    const detail = await callerFor("viewer").orders.detail({ clientOrderId: id });
    expect(detail.order).toMatchObject({ status: "CANCELED", timeInForce: "GTD", expireAt });
    expect(detail.events[0]!.summary).toBe(`BUY 0.01 BTC/USDT LIMIT @ 19000 GTD until ${new Date(expireAt).toISOString()}`);
    expect(detail.events.find((e) => e.type === "cancelRequest")?.summary).toBe("cancel requested: expired (GTD)");
  });

  it("a venue that holds GTD (the simulator) expires it itself on the first update at its expiry", async () => {
    const expireAt = desk.clock.now() + 60_000;
    const placed = await callerFor("trader").orders.place({ ...gtdBuy, expireAt });
    const id = String(placed.data?.clientOrderId);
    desk.clock.advance(60_000);
    await desk.quote(20000);
    expect((await callerFor("viewer").orders.detail({ clientOrderId: id })).order.status).toBe("EXPIRED");
  });

  it.each([
    ["in the past on the desk clock", -1, "GTD_IN_PAST"],
    ["at the desk's now", 0, "GTD_IN_PAST"],
    ["more than 90 days ahead", 90 * 86_400_000 + 1, "GTD_TOO_FAR"],
  ])("refuses an expiry %s with the engine's code", async (_name, ahead, code) => {
    const e = await trpcError(callerFor("trader").orders.place({ ...gtdBuy, expireAt: desk.clock.now() + ahead }));
    expect(e.domainCode).toBe(code);
    expect(e.message).toMatch(/expiry/);
  });
});

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { callerFor, openTestDesk, trpcError, type TestDesk } from "../../../test/desk-support";

let desk: TestDesk;
beforeEach(async () => {
  desk = await openTestDesk();
});
afterEach(async () => {
  await desk.close();
});

async function openOne(): Promise<string> {
  await desk.signal("BUY");
  const list = await callerFor("viewer").positions.list();
  expect(list.positions).toHaveLength(1);
  return list.positions[0]!.id;
}

describe("positions.list", () => {
  it("shows open positions with mark, unrealized PnL, exit levels, ladder and totals (plain JSON)", async () => {
    await desk.signal("BUY");
    await desk.quote(20100);
    const view = await callerFor("viewer").positions.list();
    const p = view.positions[0]!;
    expect(p).toMatchObject({ symbol: "BTC/USDT", side: "LONG", state: "OPEN", mark: 20100 });
    // 10% of 100000 at the ask 20000.5 → 0.49998 (0.00001 step)
    expect(p.quantity).toBe("0.49998");
    expect(typeof p.avgEntryPrice).toBe("string");
    expect(Number(p.unrealizedPnl)).toBeGreaterThan(0);
    expect(p.stopLoss).toBeCloseTo(20000.5 * 0.98, 4);
    expect(p.ladder.map((l) => l.closeFraction)).toEqual([0.5, 1]);
    expect(view.totals).toMatchObject({ count: 1, long: 1, short: 0 });
    expect(view.totals.unrealized).toBe(p.unrealizedPnl);
    expect(view.totals.exposure).toBe(p.notional);
    expect(view.instruments.map((i) => i.symbol)).toEqual(["BTC/USDT"]);
    expect(JSON.parse(JSON.stringify(view))).toEqual(view);
  });

  it("sorts by symbol then opening time", async () => {
    await desk.signal("BUY", { symbol: "ETH/USDT" });
    await desk.signal("BUY");
    const view = await callerFor("viewer").positions.list();
    expect(view.positions.map((p) => p.symbol)).toEqual(["BTC/USDT", "ETH/USDT"]);
  });

  it("carries venue, symbol and strategy (manual for a person's), filters by each, and lists the facets of the whole book", async () => {
    await desk.signal("BUY", { strategy: "sma-cross" });
    await desk.order({ symbol: "ETH/USDT", side: "BUY", type: "MARKET", quantity: "0.1" });
    const viewer = callerFor("viewer");
    const venue = desk.engine.venueId();
    const all = await viewer.positions.list();
    expect(all.positions.map((p) => ({ venue: p.venue, symbol: p.symbol, strategy: p.strategy }))).toEqual([
      { venue, symbol: "BTC/USDT", strategy: "sma-cross" },
      { venue, symbol: "ETH/USDT", strategy: "manual" },
    ]);
    expect(all.facets).toEqual({ venues: [venue], symbols: ["BTC/USDT", "ETH/USDT"], strategies: ["manual", "sma-cross"] });

    const manual = await viewer.positions.list({ strategy: "manual" });
    expect(manual.positions.map((p) => p.symbol)).toEqual(["ETH/USDT"]);
    expect(manual.totals.count).toBe(1);
    expect(manual.totals.exposure).toBe(manual.positions[0]!.notional ?? "0");
    // the menus still offer every value while a filter is applied
    expect(manual.facets.strategies).toEqual(["manual", "sma-cross"]);
    expect((await viewer.positions.list({ symbol: "BTC/USDT" })).positions.map((p) => p.strategy)).toEqual(["sma-cross"]);
    expect((await viewer.positions.list({ venue })).positions).toHaveLength(2);
    expect((await viewer.positions.list({ venue: "elsewhere" })).positions).toHaveLength(0);
    expect((await trpcError(viewer.positions.list({ venue: "no spaces please" }))).code).toBe("BAD_REQUEST");
  });

  it("needs a session", async () => {
    expect((await trpcError(callerFor(null).positions.list())).code).toBe("UNAUTHORIZED");
  });
});

describe("role enforcement", () => {
  it("a viewer is FORBIDDEN on every mutation, and nothing changes", async () => {
    const id = await openOne();
    const viewer = callerFor("viewer");
    const calls = [
      viewer.positions.close({ positionId: id }),
      viewer.positions.partialClose({ positionId: id, percent: 50 }),
      viewer.positions.setExits({ positionId: id, stopLoss: 19000 }),
      viewer.positions.closeAll({ reason: "flatten for the night" }),
    ];
    for (const call of calls) {
      const e = await trpcError(call);
      expect(e.code).toBe("FORBIDDEN");
      expect(e.message).toMatch(/needs the trader role; you are a viewer/);
    }
    expect((await callerFor("viewer").positions.list()).positions[0]!.quantity).toBe("0.49998");
    const audit = await desk.tdb.client.auditLog.count();
    expect(audit).toBe(0);
  });
});

describe("positions.close", () => {
  it("closes at market; the trade lands in History with exit reason manual; the action is audited", async () => {
    const id = await openOne();
    await desk.quote(20200);
    const result = await callerFor("trader").positions.close({ positionId: id, reason: "taking profit by hand" });
    expect(result.message).toMatch(/Closing 0.49998 of BTC\/USDT/);
    expect((await callerFor("viewer").positions.list()).positions).toHaveLength(0);
    const trades = await desk.tdb.client.trade.findMany();
    expect(trades).toHaveLength(1);
    expect(trades[0]).toMatchObject({ positionId: id, exitReason: "manual", symbol: "BTC/USDT", side: "LONG", quantity: "0.49998", outcome: "WIN" });
    const audit = await desk.tdb.client.auditLog.findMany();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: "tina", role: "trader", action: "close_position", target: id, reason: "taking profit by hand", result: "OK" });
  });

  it("refuses an unknown position with NOT_FOUND and a clear message", async () => {
    const e = await trpcError(callerFor("trader").positions.close({ positionId: "pos-nope" }));
    expect(e.code).toBe("NOT_FOUND");
    expect(e.message).toBe("Position pos-nope is not open.");
  });

  it("refuses malformed ids", async () => {
    const e = await trpcError(callerFor("trader").positions.close({ positionId: "'; drop table" }));
    expect(e.code).toBe("BAD_REQUEST");
  });
});

describe("positions.partialClose", () => {
  it("closes a percentage (rounded down to the step) and keeps the rest open", async () => {
    const id = await openOne();
    await callerFor("trader").positions.partialClose({ positionId: id, percent: 25 });
    const p = (await callerFor("viewer").positions.list()).positions[0]!;
    // 25% of 0.49998 = 0.124995 → 0.12499 closed
    expect(p.quantity).toBe("0.37499");
    expect(await desk.tdb.client.trade.count()).toBe(0);
  });

  it("closes an exact quantity", async () => {
    const id = await openOne();
    await callerFor("trader").positions.partialClose({ positionId: id, quantity: "0.1", reason: "trim" });
    expect((await callerFor("viewer").positions.list()).positions[0]!.quantity).toBe("0.39998");
  });

  it.each([
    ["percent 0", { percent: 0 }, /percent must be above 0/],
    ["percent 150", { percent: 150 }, /below 100/],
    ["percent 100", { percent: 100 }, /use Close/],
    ["percent NaN", { percent: Number.NaN }, /percent/],
    ["quantity NaN", { quantity: "NaN" }, /quantity must be a positive decimal number/],
    ["negative quantity", { quantity: "-0.1" }, /quantity must be a positive decimal number/],
    ["absurd quantity", { quantity: "1e20" }, /quantity must be a positive decimal number/],
    ["huge quantity", { quantity: "99999999999999" }, /absurdly large/],
    ["both", { percent: 10, quantity: "0.1" }, /either percent or quantity/],
    ["neither", {}, /either percent or quantity/],
  ])("refuses %s", async (_name, extra, message) => {
    const id = await openOne();
    const e = await trpcError(callerFor("trader").positions.partialClose({ positionId: id, ...extra }));
    expect(e.code).toBe("BAD_REQUEST");
    expect(JSON.stringify((e.cause as { issues?: unknown }).issues ?? e.message)).toMatch(message);
  });

  it("refuses more than held, the whole position, and unknown positions, with the engine's codes", async () => {
    const id = await openOne();
    const trader = callerFor("trader");
    const tooMuch = await trpcError(trader.positions.partialClose({ positionId: id, quantity: "5" }));
    expect(tooMuch.domainCode).toBe("QUANTITY_TOO_LARGE");
    expect(tooMuch.message).toMatch(/holds 0.49998; 5 cannot be closed/);
    const whole = await trpcError(trader.positions.partialClose({ positionId: id, quantity: "0.49998" }));
    expect(whole.domainCode).toBe("NOT_PARTIAL");
    const unknown = await trpcError(trader.positions.partialClose({ positionId: "pos-x", percent: 50 }));
    expect(unknown.code).toBe("NOT_FOUND");
  });
});

describe("positions.setExits", () => {
  it("sets, replaces and removes stop-loss and take-profit (a single TP replaces the ladder)", async () => {
    const id = await openOne();
    const trader = callerFor("trader");
    await trader.positions.setExits({ positionId: id, stopLoss: 19500, takeProfit: 21000, reason: "tighter" });
    let p = (await callerFor("viewer").positions.list()).positions[0]!;
    expect(p).toMatchObject({ stopLoss: 19500, takeProfit: 21000, ladder: [] });
    await trader.positions.setExits({ positionId: id, stopLoss: null });
    p = (await callerFor("viewer").positions.list()).positions[0]!;
    expect(p).toMatchObject({ stopLoss: null, takeProfit: 21000 });
    const audit = await desk.tdb.client.auditLog.findMany({ orderBy: { id: "asc" } });
    expect(audit.map((a) => [a.action, a.result])).toEqual([
      ["set_exits", "OK"],
      ["set_exits", "OK"],
    ]);
  });

  it.each([
    ["negative stop", { stopLoss: -5 }, "BAD_REQUEST", /stopLoss must be a positive price/],
    ["NaN stop", { stopLoss: Number.NaN }, "BAD_REQUEST", /stopLoss/],
    ["Infinity TP", { takeProfit: Number.POSITIVE_INFINITY }, "BAD_REQUEST", /takeProfit/],
    ["absurdly large TP", { takeProfit: 1e15 }, "BAD_REQUEST", /absurdly large/],
    ["TP 50× the market", { takeProfit: 1_000_000 }, "PRECONDITION_FAILED", /absurd for BTC\/USDT/],
    ["stop above the market", { stopLoss: 20500 }, "PRECONDITION_FAILED", /would fire at once/],
    ["TP below the market", { takeProfit: 19000 }, "PRECONDITION_FAILED", /would fire at once/],
    ["nothing", {}, "BAD_REQUEST", /Nothing to change/],
  ])("refuses %s", async (_name, extra, code, message) => {
    const id = await openOne();
    const e = await trpcError(callerFor("trader").positions.setExits({ positionId: id, ...extra }));
    expect(e.code).toBe(code);
    expect(JSON.stringify((e.cause as { issues?: unknown }).issues ?? e.message)).toMatch(message);
  });
});

describe("positions.closeAll", () => {
  it("needs a reason, then closes every position as manual", async () => {
    await desk.signal("BUY");
    await desk.signal("BUY", { symbol: "ETH/USDT" });
    const trader = callerFor("trader");
    expect((await trpcError(trader.positions.closeAll({ reason: "" }))).code).toBe("BAD_REQUEST");
    const result = await trader.positions.closeAll({ reason: "end of day" });
    expect(result.message).toMatch(/Closing 2 position/);
    expect((await callerFor("viewer").positions.list()).positions).toHaveLength(0);
    const trades = await desk.tdb.client.trade.findMany();
    expect(trades.map((t) => t.exitReason)).toEqual(["manual", "manual"]);
    expect(await desk.tdb.client.auditLog.findFirst({ where: { action: "close_all" } })).toMatchObject({ reason: "end of day", result: "OK", actor: "tina" });
  });
});

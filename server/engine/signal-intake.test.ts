/**
 * Intake refuses signals whose own facts are wrong: exits on the wrong side of the market (they would fire at once)
 * and timestamps outside the window around the engine's clock (1970, beyond the date range, stale, from the future).
 */
import { afterEach, describe, expect, it } from "vitest";
import { callerFor, openTestDesk, trpcError, T0, type TestDesk } from "../../test/desk-support";

let desk: TestDesk;
afterEach(async () => {
  await desk.close();
});

let n = 0;
const buy = (extra: Record<string, unknown> = {}) => ({
  id: `in-${++n}`,
  symbol: "BTC/USDT",
  action: "BUY" as const,
  confidence: 0.9,
  strategy: "model",
  ...extra,
});

describe("signal intake (the market is at 20 000)", () => {
  it.each([
    ["a BUY's stopLoss above the market", { stopLoss: 20_500 }, "STOP_LOSS_WRONG_SIDE", /stopLoss 20500 is at or above the market/],
    ["a BUY's takeProfit below the market", { takeProfit: 19_000 }, "TAKE_PROFIT_WRONG_SIDE", /takeProfit 19000 is at or below the market/],
    ["both the wrong way round", { stopLoss: 21_000, takeProfit: 19_000 }, "STOP_LOSS_WRONG_SIDE", /would fire at once/],
    ["a SELL's stopLoss below the market", { action: "SELL", stopLoss: 19_000 }, "STOP_LOSS_WRONG_SIDE", /short's stop is above/],
    ["a signal stamped 1970", { ts: 1 }, "SIGNAL_TOO_OLD", /stamped 1970-01-01T00:00:00.001Z/],
    ["a signal 10 minutes old", { ts: "old" }, "SIGNAL_TOO_OLD", /more than 5 minutes before/],
    ["a signal at the end of the date range", { ts: 8.64e15 }, "SIGNAL_FROM_FUTURE", /check the sender's clock/],
  ] as const)("refuses %s with its code, and places nothing", async (_name, extra, code, message) => {
    desk = await openTestDesk();
    const input = buy({ ...extra, ...("ts" in extra && extra.ts === "old" ? { ts: desk.clock.now() - 10 * 60_000 } : {}) });
    const e = await trpcError(callerFor("trader").signals.submit(input));
    expect(e.domainCode).toBe(code);
    expect(e.message).toMatch(message);
    expect(desk.engine.state().positions).toHaveLength(0);
    expect(await desk.tdb.client.order.count()).toBe(0);
    expect(await desk.tdb.client.signal.findUnique({ where: { id: input.id } })).toMatchObject({ status: "DENIED", denyCode: code });
  });

  it("a signal sent by a person is audited with its outcome, in the engine's command", async () => {
    desk = await openTestDesk();
    const trader = callerFor("trader");
    await trader.signals.submit(buy({ id: "by-hand-1", stopLoss: 19_500 }));
    await trpcError(trader.signals.submit(buy({ id: "by-hand-2", stopLoss: 20_500 })));
    const rows = await desk.tdb.client.auditLog.findMany({ where: { action: "submit_signal" }, orderBy: { id: "asc" } });
    expect(rows.map((r) => [r.actor, r.target, r.result, r.detail?.split(":")[0]])).toEqual([
      ["tina", "by-hand-1", "OK", "accepted"],
      ["tina", "by-hand-2", "REFUSED", "STOP_LOSS_WRONG_SIDE"],
    ]);
    // Written with the order's intent, before the venue call: it says what had committed then.
    expect(rows[0]!.detail).toMatch(/^accepted: order \S+ journaled before it is sent to /);
    expect(JSON.parse(rows[1]!.params!)).toMatchObject({ id: "by-hand-2", stopLoss: 20_500, action: "BUY" });
  });

  it("refuses a timestamp beyond JavaScript's date range at the edge", async () => {
    desk = await openTestDesk();
    const e = await trpcError(callerFor("trader").signals.submit(buy({ ts: 8.64e15 + 1 })));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toMatch(/ts is beyond the range of dates/);
  });

  it("takes exits on the right side and times inside the window", async () => {
    desk = await openTestDesk();
    const trader = callerFor("trader");
    await trader.signals.submit(buy({ stopLoss: 19_500, takeProfit: 21_000, ts: desk.clock.now() - 4 * 60_000 }));
    await trader.signals.submit(buy({ symbol: "ETH/USDT", ts: desk.clock.now() + 20_000 }));
    expect(desk.engine.state().positions).toHaveLength(2);
  });

  it("the window is a setting", async () => {
    desk = await openTestDesk({ engine: { signalWindow: { maxAgeMs: 60_000, maxAheadMs: 0 } } });
    const trader = callerFor("trader");
    expect((await trpcError(trader.signals.submit(buy({ ts: desk.clock.now() - 2 * 60_000 })))).domainCode).toBe("SIGNAL_TOO_OLD");
    expect((await trpcError(trader.signals.submit(buy({ ts: desk.clock.now() + 1 })))).domainCode).toBe("SIGNAL_FROM_FUTURE");
    expect(T0).toBeLessThan(desk.clock.now());
  });
});

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { callerFor, openTestDesk, type TestDesk } from "../../test/desk-support";

let desk: TestDesk;
beforeEach(async () => {
  desk = await openTestDesk();
});
afterEach(async () => {
  await desk.close();
});

describe("overview.summary per strategy", () => {
  it("shows each strategy's exposure, unrealized and today's realized PnL, and its signals accepted and refused", async () => {
    await desk.signal("BUY", { strategy: "sma-cross" });
    const refused = await desk.trySignal("BUY", { strategy: "rsi", symbol: "DOGE/USDT" });
    expect(refused.ok).toBe(false);
    await desk.order({ symbol: "ETH/USDT", side: "BUY", type: "MARKET", quantity: "0.1" });
    await desk.quote(20100);

    const s = await callerFor("viewer").overview.summary();
    const venue = desk.engine.venueId();
    expect(s.positions.map((p) => [p.venue, p.symbol, p.strategy])).toEqual(
      expect.arrayContaining([
        [venue, "BTC/USDT", "sma-cross"],
        [venue, "ETH/USDT", "manual"],
      ]),
    );
    const byName = Object.fromEntries(s.strategies.map((r) => [r.strategy, r]));
    expect(s.strategies.map((r) => r.strategy)).toEqual(["manual", "rsi", "sma-cross"]);
    const btc = s.positions.find((p) => p.symbol === "BTC/USDT")!;
    expect(byName["sma-cross"]).toMatchObject({
      openPositions: 1,
      exposure: btc.notional,
      unrealized: btc.unrealizedPnl,
      realizedToday: "0",
      tradesToday: 0,
      signalsAccepted: 1,
      signalsRefused: 0,
    });
    expect(byName.rsi).toMatchObject({ openPositions: 0, exposure: "0", signalsAccepted: 0, signalsRefused: 1 });
    expect(byName.manual).toMatchObject({ openPositions: 1, signalsAccepted: 0, signalsRefused: 0 });

    // fills carry venue, symbol and strategy too
    expect(s.recentFills.map((f) => [f.venue, f.symbol, f.strategy]).sort()).toEqual([
      [venue, "BTC/USDT", "sma-cross"],
      [venue, "ETH/USDT", "manual"],
    ]);

    // closing the strategy's position books its realized PnL today
    await desk.signal("CLOSE", { strategy: "sma-cross" });
    const after = await callerFor("viewer").overview.summary();
    const sma = after.strategies.find((r) => r.strategy === "sma-cross")!;
    expect(sma).toMatchObject({ openPositions: 0, exposure: "0", tradesToday: 1, signalsAccepted: 2 });
    const trade = await desk.tdb.client.trade.findFirstOrThrow({ where: { strategy: "sma-cross" } });
    expect(sma.realizedToday).toBe(trade.pnl);
  });
});

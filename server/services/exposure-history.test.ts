import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { callerFor, openTestDesk, trpcError, type TestDesk } from "../../test/desk-support";

let desk: TestDesk;
beforeEach(async () => {
  desk = await openTestDesk();
});
afterEach(async () => {
  await desk.close();
});

describe("risk.exposureHistory", () => {
  it("derives exposure per symbol over time from the fills, stepping at each fill", async () => {
    await desk.order({ symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.1" });
    desk.clock.advance(60_000);
    await desk.order({ symbol: "ETH/USDT", side: "BUY", type: "MARKET", quantity: "1" });
    desk.clock.advance(60_000);
    await desk.order({ symbol: "BTC/USDT", side: "SELL", type: "MARKET", quantity: "0.1" });
    const h = await callerFor("viewer").risk.exposureHistory();
    const fills = await desk.tdb.client.fill.findMany({ orderBy: { ts: "asc" } });
    expect(h.fills).toBe(3);
    expect(h.symbols.sort()).toEqual(["BTC/USDT", "ETH/USDT"]);
    const at = (ts: number) => h.points.find((p) => p.ts === ts)!;
    const [buyBtc, buyEth, sellBtc] = fills;
    // before the first fill: nothing; after it: 0.1 × its price
    expect(at(buyBtc!.ts - 1)).toMatchObject({ "BTC/USDT": 0, "ETH/USDT": 0 });
    expect(at(buyBtc!.ts)["BTC/USDT"]).toBeCloseTo(0.1 * Number(buyBtc!.price), 2);
    expect(at(buyEth!.ts)["ETH/USDT"]).toBeCloseTo(1 * Number(buyEth!.price), 2);
    // the sell flattens BTC; ETH is still held
    expect(at(sellBtc!.ts)["BTC/USDT"]).toBe(0);
    expect(h.points.at(-1)!["ETH/USDT"]).toBeGreaterThan(0);
    expect(h.points.map((p) => p.ts)).toEqual([...h.points.map((p) => p.ts)].sort((a, b) => a - b));
  });

  it("thins long histories and names the top symbols, summing the rest as other", async () => {
    await desk.order({ symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.1" });
    await desk.order({ symbol: "ETH/USDT", side: "BUY", type: "MARKET", quantity: "0.1" });
    const h = await callerFor("viewer").risk.exposureHistory({ top: 1, points: 3 });
    expect(h.symbols).toEqual(["BTC/USDT"]);
    expect(h.hasOther).toBe(true);
    expect(h.points).toHaveLength(3);
    expect(h.points.at(-1)!.other).toBeGreaterThan(0);
    expect((await trpcError(callerFor("viewer").risk.exposureHistory({ top: 0 }))).code).toBe("BAD_REQUEST");
  });
});

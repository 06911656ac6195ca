import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ScriptedVenue, USDC_USD_PAIR } from "../../../test/arb-venue";
import { callerFor, openTestDesk, trpcError, type TestDesk } from "../../../test/desk-support";
import { makeInstrument } from "../../core/instrument";

const rules = { priceTick: "0.01", qtyStep: "0.00001", minQty: "0.00001", minNotional: "5" };
const USDC = makeInstrument({ symbol: "BTC/USDC", ...rules, takerFee: "0.001" });
const USD = makeInstrument({ symbol: "BTC/USD", ...rules, makerFee: "0.0016", takerFee: "0.0026" });

let desk: TestDesk;
beforeEach(async () => {
  desk = await openTestDesk({
    engine: {
      venues: [new ScriptedVenue("sim-a", [USDC], { BTC: "1", USDC: "50000" }), new ScriptedVenue("sim-b", [USD], { BTC: "1", USD: "50000" })],
      quoteCurrency: "USDC",
      // The pair compares USDC and USD at par; the gate weighs a BTC/USD leg in the desk's USDC at the same peg.
      conversionRates: { USD: "1" },
      arbitrage: [{ ...USDC_USD_PAIR }],
    },
  });
});
afterEach(async () => {
  await desk.close();
});

async function quotes(midA: number, midB: number) {
  desk.clock.advance(1000);
  await desk.engine.marketData({ kind: "quote", symbol: "BTC/USDC", bid: midA - 0.5, ask: midA + 0.5, venue: "sim-a" });
  await desk.engine.marketData({ kind: "quote", symbol: "BTC/USD", bid: midB - 0.5, ask: midB + 0.5, venue: "sim-b" });
}

describe("arbitrage.view / setPair", () => {
  it("a viewer reads the pairs, the opportunities (taken, skipped and why) and the round trips with PnL net of fees", async () => {
    await quotes(20_000, 20_001); // noise: skipped
    desk.clock.advance(1000);
    // BTC/USDC jumps 500 bp over BTC/USD (the de-peg): taken.
    await desk.engine.marketData({ kind: "quote", symbol: "BTC/USDC", bid: 20_999.5, ask: 21_000.5, venue: "sim-a" });
    const view = await callerFor("viewer").arbitrage.view();
    expect(view.now).toBe(desk.clock.now());
    expect(view.pairs).toHaveLength(1);
    expect(view.pairs[0]).toMatchObject({ id: "usdc-usd", enabled: true, thresholdBps: 20, legs: "taker-taker", taken: 1, openRoundTrip: null });
    expect(view.pairs[0]!.quotes.map((q) => [q.venue, q.symbol, q.bid, q.ask])).toEqual([
      ["sim-a", "BTC/USDC", 20_999.5, 21_000.5],
      ["sim-b", "BTC/USD", 20_000.5, 20_001.5],
    ]);
    expect(view.opportunities.map((o) => [o.outcome, o.code])).toEqual([
      ["taken", "TAKEN"],
      ["skipped", "BELOW_THRESHOLD"],
      ["skipped", "NO_QUOTE"],
    ]);
    expect(view.roundTrips).toHaveLength(1);
    expect(view.roundTrips[0]).toMatchObject({ status: "done", buyVenue: "sim-b", sellVenue: "sim-a", boughtQty: "0.1", soldQty: "0.1" });
    expect(view.roundTrips[0]!.legs.map((l) => [l.role, l.status])).toEqual([
      ["buy", "filled"],
      ["sell", "filled"],
    ]);
    expect(Number(view.roundTrips[0]!.pnl)).toBeGreaterThan(90);
    expect(view.totals).toMatchObject({ seen: 3, taken: 1, skipped: 2, roundTrips: 1, open: 0, pnl: view.roundTrips[0]!.pnl });
  });

  it("a trader turns a pair off and on (audited); a viewer cannot; an unknown pair is refused in words", async () => {
    expect((await trpcError(callerFor("viewer").arbitrage.setPair({ pairId: "usdc-usd", enabled: false }))).code).toBe("FORBIDDEN");
    const off = await callerFor("trader").arbitrage.setPair({ pairId: "usdc-usd", enabled: false, reason: "venue maintenance" });
    expect(off.message).toContain("disabled");
    await quotes(21_000, 19_943);
    expect((await callerFor("viewer").arbitrage.view()).roundTrips).toEqual([]);
    // The page says who turned it off, when and why (the choice is stored: a restart keeps it).
    expect((await callerFor("viewer").arbitrage.view()).pairs[0]).toMatchObject({ enabled: false, changedBy: { by: "tina", reason: "venue maintenance" } });
    const unknown = await trpcError(callerFor("trader").arbitrage.setPair({ pairId: "nope", enabled: true }));
    expect(unknown.domainCode).toBe("NOT_FOUND");
    expect(unknown.message).toContain("the pairs are usdc-usd");
    const bad = await trpcError(callerFor("trader").arbitrage.setPair({ pairId: "Bad Id", enabled: true }));
    expect(bad.message).toContain("pairId must be the id of a pair");
    const audit = await desk.tdb.client.auditLog.findMany({ orderBy: { id: "asc" } });
    expect(audit.map((a) => [a.action, a.target, a.result])).toEqual([
      ["disable_arbitrage_pair", "usdc-usd", "OK"],
      ["enable_arbitrage_pair", "nope", "REFUSED"],
    ]);
  });
});

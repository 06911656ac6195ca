/** The Risk page on a desk with several venues: each venue's exposure at its own venue's price. */
import { afterEach, describe, expect, it } from "vitest";
import { BTC, callerFor, ETH, openTestDesk, type TestDesk } from "../../test/desk-support";
import { D } from "../core/money";
import { SimVenue } from "../venues/sim/sim-venue";

let desk: TestDesk | null = null;
afterEach(async () => {
  await desk?.close();
  desk = null;
});

const sim = (id: string) => new SimVenue({ instruments: [BTC, ETH], initialBalances: { USDT: "100000" } }, { id });

describe("risk.summary with several venues", () => {
  it("counts each venue's positions at that venue's mark", async () => {
    desk = await openTestDesk({ engine: { venues: [sim("sim-a"), sim("sim-b")] } });
    const d = desk;
    const quoteAt = async (venue: string, mid: number) => {
      d.clock.advance(1000);
      await d.engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: mid - 0.5, ask: mid + 0.5, venue });
    };
    await quoteAt("sim-a", 20000);
    await quoteAt("sim-b", 21000);
    await d.signal("BUY", { venue: "sim-a", strategy: "one" });
    await d.signal("BUY", { venue: "sim-b", strategy: "two" });
    await quoteAt("sim-a", 20100); // sim-a's quote comes last: one desk-wide mark would value sim-b's position at it
    const positions = d.engine.state().positions.filter((p) => p.position.quantity.greaterThan(0));
    const qty = (venue: string) => positions.find((p) => p.venue === venue)!.position.quantity;
    const summary = await callerFor("viewer").risk.summary();
    const gross = Object.fromEntries(summary.exposure.byVenue.map((v) => [v.venue, v.gross]));
    expect(gross["sim-a"]).toBe(qty("sim-a").times(20100).toString());
    expect(gross["sim-b"]).toBe(qty("sim-b").times(21000).toString());
    expect(D(summary.exposure.gross).toString()).toBe(qty("sim-a").times(20100).plus(qty("sim-b").times(21000)).toString());
  });
});

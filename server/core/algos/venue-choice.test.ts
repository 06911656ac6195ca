import { describe, expect, it } from "vitest";
import { D } from "../money";
import { chooseVenue } from "./venue-choice";

describe("chooseVenue", () => {
  it.each([
    // A cheaper ask with a higher fee loses to a dearer ask with a lower fee when the net says so.
    { side: "BUY" as const, a: ["100", "0.01"], b: ["100.5", "0.001"], chosen: "b" },
    { side: "BUY" as const, a: ["100", "0.001"], b: ["100.5", "0.001"], chosen: "a" },
    // A sell takes the highest bid net of the fee.
    { side: "SELL" as const, a: ["100", "0.001"], b: ["100.5", "0.01"], chosen: "a" },
    { side: "SELL" as const, a: ["100", "0.001"], b: ["100.5", "0.001"], chosen: "b" },
  ])("$side: chooses $chosen", ({ side, a, b, chosen }) => {
    const choice = chooseVenue(side, [
      { venue: "a", price: D(a[0]!), takerFee: D(a[1]!) },
      { venue: "b", price: D(b[0]!), takerFee: D(b[1]!) },
    ]);
    expect(choice.chosen).toBe(chosen);
    expect(choice.offers.map((o) => o.status).sort()).toEqual(["chosen", "passed"]);
  });

  it("ties go to the first listed; skipped venues say why; none available says so", () => {
    const tie = chooseVenue("BUY", [
      { venue: "a", price: D("100"), takerFee: D("0.001") },
      { venue: "b", price: D("100"), takerFee: D("0.001") },
    ]);
    expect(tie.chosen).toBe("a");
    const skipped = chooseVenue("BUY", [
      { venue: "a", price: D("99"), takerFee: D("0.001"), unavailable: "down (timeout)" },
      { venue: "b", price: null, takerFee: D("0.001") },
      { venue: "c", price: D("101"), takerFee: D("0.001") },
    ]);
    expect(skipped.chosen).toBe("c");
    expect(skipped.offers).toMatchObject([
      { venue: "a", status: "skipped", reason: "down (timeout)" },
      { venue: "b", status: "skipped", reason: "no price quoted yet" },
      { venue: "c", status: "chosen", reason: "best net price: buy 101 + 0.1% fee = 101.101 net" },
    ]);
    expect(skipped.summary).toBe(
      "Routed to c (a skipped: down (timeout); b skipped: no price quoted yet; c chosen: best net price: buy 101 + 0.1% fee = 101.101 net).",
    );
    const none = chooseVenue("SELL", [{ venue: "a", price: D("1"), takerFee: D("0"), unavailable: "paused" }]);
    expect(none).toMatchObject({ chosen: null, summary: "No venue can take it (a skipped: paused)." });
  });
});

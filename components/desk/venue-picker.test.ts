import { describe, expect, it } from "vitest";
import { lastPriceAt, ROUTED, venueChoices, venueField, venueWords } from "./venue-picker";

describe("the order form's venue menu", () => {
  it("offers no menu on a one-venue desk", () => {
    expect(venueChoices([])).toEqual([]);
    expect(venueChoices(["sim"])).toEqual([]);
    expect(venueWords(ROUTED, ["sim"])).toBe("");
  });

  it("lists 'best (routed)' first, then the desk's venues", () => {
    expect(venueChoices(["sim-binanceus", "sim-kraken"])).toEqual([
      { value: ROUTED, label: "best (routed)" },
      { value: "sim-binanceus", label: "sim-binanceus" },
      { value: "sim-kraken", label: "sim-kraken" },
    ]);
  });

  it("sends the venue only when one of the desk's is named", () => {
    const venues = ["sim-a", "sim-b"];
    expect(venueField(ROUTED, venues)).toEqual({});
    expect(venueField("sim-b", venues)).toEqual({ venue: "sim-b" });
    // A stale choice (the venue left the desk) is routed rather than refused.
    expect(venueField("gone", venues)).toEqual({});
    expect(venueWords("sim-b", venues)).toBe(" at sim-b");
    expect(venueWords(ROUTED, venues)).toBe(" (routed to the best venue)");
  });

  it("shows the named venue's own last price, else the desk's", () => {
    const marks = { "BTC/USDT": 28000 };
    const venueMarks = { "sim-kraken": { "BTC/USDT": 28050 } };
    expect(lastPriceAt("BTC/USDT", "sim-kraken", marks, venueMarks)).toBe(28050);
    expect(lastPriceAt("BTC/USDT", "sim-binanceus", marks, venueMarks)).toBe(28000);
    expect(lastPriceAt("BTC/USDT", ROUTED, marks, venueMarks)).toBe(28000);
    expect(lastPriceAt("ETH/USDT", "sim-kraken", marks, venueMarks)).toBeUndefined();
  });
});

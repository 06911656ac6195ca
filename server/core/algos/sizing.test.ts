import { describe, expect, it } from "vitest";
import { makeInstrument } from "../instrument";
import { D, sumDec } from "../money";
import { meetsMinimums, sliceQty, splitQuantity } from "./sizing";

const BTC = makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.001", minQty: "0.002", minNotional: "10", maxQty: "5" });
const PRICE = D("20000");

describe("splitQuantity", () => {
  it.each<[string, string, number[], string[]]>([
    ["even", "1", [1, 1, 1, 1], ["0.25", "0.25", "0.25", "0.25"]],
    ["thirds round to the nearest step and the last closes the sum", "1", [1, 1, 1], ["0.333", "0.334", "0.333"]],
    ["weights", "1.2", [1, 1, 3, 1], ["0.2", "0.2", "0.6", "0.2"]],
    ["a zero weight gets nothing", "1", [1, 0, 1], ["0.5", "0.5"]],
    ["all zero weights split evenly", "0.9", [0, 0, 0], ["0.3", "0.3", "0.3"]],
    ["pieces below the minimum carry into the next", "0.006", [1, 1, 1, 1, 1, 1], ["0.002", "0.002", "0.002"]],
    ["the last piece's carry goes back", "0.005", [1, 1, 1, 1, 1], ["0.002", "0.003"]],
    ["a total below the minimum is one piece", "0.001", [1, 1], ["0.001"]],
  ])("%s", (_name, total, weights, expected) => {
    const pieces = splitQuantity(BTC, D(total), weights, PRICE);
    expect(pieces.map((p) => p.qty.toString())).toEqual(expected);
    expect(sumDec(pieces.map((p) => p.qty)).toString()).toBe(D(total).toString());
  });

  it("sums exactly for awkward float weights", () => {
    const weights = Array.from({ length: 37 }, (_, i) => 1 / (i + 3));
    for (const total of ["1", "2.345", "0.111", "4.999"]) {
      const pieces = splitQuantity(BTC, D(total), weights, PRICE);
      expect(sumDec(pieces.map((p) => p.qty)).toString()).toBe(D(total).toString());
      for (const p of pieces) expect(meetsMinimums(BTC, p.qty, PRICE)).toBe(true);
    }
  });
});

describe("sliceQty", () => {
  it.each<[string, string, string, string]>([
    ["down to the step", "0.12345", "1", "0.123"],
    ["takes a rest that could not be sent alone", "0.999", "1", "1"],
    ["below the minimum notional: nothing", "0.0004", "1", "0"],
    ["capped at the maximum quantity", "7", "10", "5"],
    ["never more than remains", "2", "0.5", "0.5"],
  ])("%s", (_name, wanted, remaining, expected) => {
    expect(sliceQty(BTC, D(wanted), D(remaining), PRICE).toString()).toBe(expected);
  });
});

import { describe, expect, it } from "vitest";
import { D } from "../money";
import { scaled } from "./sim-order";

describe("scaled", () => {
  it.each([
    ["a price", "23133.38"],
    ["35 significant digits", "1234567.8901234567890123456789012345"],
    // 45 digits: a product rounds them to the 40-digit precision, and so must a factor of one.
    ["more digits than the precision", "12345.0000000000000000000000000000000000000001"],
    ["a long quantity", "0.4322757850344394117936937879376035840849"],
  ])("a null factor is exactly one: %s", (_name, text) => {
    const x = D(text);
    expect(scaled(x, null).toString()).toBe(x.times(1).toString());
  });

  it("multiplies by a factor", () => {
    expect(scaled(D("100"), D("1.001")).toString()).toBe("100.1");
  });
});

/** desk.conversion_rates: fixed rates of pegged currencies into the desk's quote, bounded (a peg, not a market price). */
import { describe, expect, it } from "vitest";
import { DeskFileError, parseDeskFile } from "./desk-file";

function problemsOf(text: string): readonly string[] {
  try {
    parseDeskFile(text, { source: "config/desk.yaml" });
  } catch (e) {
    if (e instanceof DeskFileError) return e.problems;
    throw e;
  }
  return [];
}

describe("desk.conversion_rates", () => {
  it("reads pegs as exact decimal text", () => {
    const desk = parseDeskFile("desk:\n  conversion_rates: { USDC: 1, USD: '0.9995' }\n", { source: "config/desk.yaml" });
    expect(desk.conversionRates).toEqual({ USDC: "1", USD: "0.9995" });
    expect(desk.desk).not.toHaveProperty("conversion_rates");
  });

  it("no key, no rates", () => {
    expect(parseDeskFile("desk:\n  mode: replay\n", { source: "config/desk.yaml" }).conversionRates).toBeUndefined();
  });

  it.each<[string, string, string]>([
    ["a rate far from a peg", "desk:\n  conversion_rates: { BTC: 30000 }\n", "desk.conversion_rates.BTC: must be a number from 0.5 to 2"],
    ["a currency that is not a code", "desk:\n  conversion_rates: { usdc: 1 }\n", "a currency code such as USDC"],
    ["not a map", "desk:\n  conversion_rates: 1\n", "must be a map of currency: rate such as { USDC: 1 }"],
  ])("refuses %s, by key", (_what, text, expected) => {
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });
});

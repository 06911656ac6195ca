import { describe, expect, it } from "vitest";
import type { PositionSide } from "./book";
import { exitsWrongSide } from "./exit-side";

describe("exitsWrongSide", () => {
  it.each<[string, PositionSide, number | null, number | null, string | null]>([
    ["a long's stop below and take-profit above the market", "LONG", 95, 110, null],
    ["a long's stop at the market", "LONG", 100, null, "STOP_WRONG_SIDE"],
    ["a long's stop above the market", "LONG", 101, null, "STOP_WRONG_SIDE"],
    ["a long's take-profit at the market", "LONG", null, 100, "TAKE_PROFIT_WRONG_SIDE"],
    ["a long's take-profit below the market", "LONG", null, 99, "TAKE_PROFIT_WRONG_SIDE"],
    ["both wrong: the stop is reported", "LONG", 105, 95, "STOP_WRONG_SIDE"],
    ["a short's stop above and take-profit below the market", "SHORT", 105, 90, null],
    ["a short's stop at the market", "SHORT", 100, null, "STOP_WRONG_SIDE"],
    ["a short's stop below the market", "SHORT", 99, null, "STOP_WRONG_SIDE"],
    ["a short's take-profit above the market", "SHORT", null, 101, "TAKE_PROFIT_WRONG_SIDE"],
    ["no exits", "SHORT", null, null, null],
  ])("%s", (_name, side, stopLoss, takeProfit, code) => {
    expect(exitsWrongSide(side, { stopLoss, takeProfit }, 100)?.code ?? null).toBe(code);
  });

  it("says which price and where the market is", () => {
    expect(exitsWrongSide("LONG", { stopLoss: 101 }, 100)?.message).toBe("A long stop-loss at 101 would fire at once: the market is at 100.");
    expect(exitsWrongSide("SHORT", { takeProfit: 101 }, 100)?.message).toBe("A short take-profit at 101 would fire at once: the market is at 100.");
  });
});

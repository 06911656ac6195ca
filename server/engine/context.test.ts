import { describe, expect, it } from "vitest";
import { done, doneLazily, resultMessage } from "./context";

describe("doneLazily", () => {
  it("reads like done(): the sentence is built once, on first read, and serializes with the result", () => {
    let built = 0;
    const lazy = doneLazily(
      () => {
        built++;
        return "BUY 0.5 BTC/USDT MARKET sent (FILLED).";
      },
      { clientOrderId: "bst-1" },
    );
    expect(built).toBe(0);
    const eager = done("BUY 0.5 BTC/USDT MARKET sent (FILLED).", { clientOrderId: "bst-1" });
    expect(lazy).toEqual(eager);
    expect(resultMessage(lazy)).toBe(resultMessage(eager));
    expect(JSON.parse(JSON.stringify(lazy))).toEqual(JSON.parse(JSON.stringify(eager)));
    expect({ ...lazy, data: undefined }).toEqual({ ...eager, data: undefined });
    expect(built).toBe(1);
  });

  it("has no data key without data, as done() has none", () => {
    const lazy = doneLazily(() => "ok");
    expect(Object.keys(lazy).sort()).toEqual(Object.keys(done("ok")).sort());
    expect("data" in lazy).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { D, Decimal } from "../core/money";
import { createOrder } from "../core/orders";
import { addTrade, addTradeKeepingSums, EMPTY_TALLY } from "../core/strategy-metrics/tally";
import { decodeJson, encodeJson } from "./codec";

describe("Decimal-safe JSON", () => {
  it("round-trips an order exactly, Decimals as Decimals", () => {
    const order = createOrder({
      clientOrderId: "bst-1",
      symbol: "BTC/USDT",
      side: "SELL",
      type: "TRAILING_STOP_MARKET",
      quantity: "0.12345678901234567890123456789",
      trailingOffset: "25",
      trailingOffsetType: "BASIS_POINTS",
      ts: 5,
      tags: { positionId: "pos-1" },
    });
    const back = decodeJson<typeof order>(encodeJson(order));
    expect(back).toEqual(order);
    expect(Decimal.isDecimal(back.quantity)).toBe(true);
    expect(back.quantity.toString()).toBe("0.12345678901234567890123456789");
    expect(Decimal.isDecimal(back.trailing?.offset)).toBe(true);
  });

  it.each([
    ["nested arrays", { a: [D("1.5"), [D("-2"), null, "x"]] }],
    ["a plain decimal-looking string stays a string", { price: "1.5" }],
    ["an object with $d and other keys stays an object", { $d: "1", other: 2 }],
    ["a non-string $d stays an object", { $d: 5 }],
    ["top-level Decimal", D("3.14")],
    ["null", null],
  ])("%s", (_name, value) => {
    const back = decodeJson(encodeJson(value));
    expect(JSON.stringify(back)).toBe(JSON.stringify(value));
    if (Decimal.isDecimal(value)) expect(Decimal.isDecimal(back)).toBe(true);
  });

  it.each([
    ["an order", createOrder({ clientOrderId: "bst-2", symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.5", price: "30000.1", ts: 7 })],
    ["undefined and function properties are left out", { a: undefined, b: () => 1, c: [undefined, D("2")] }],
    ["a Date takes its toJSON", { at: new Date(0), q: D("1") }],
    ["an object with toJSON", { inner: { toJSON: () => "custom" }, q: D("1") }],
    [
      "a class instance",
      {
        inner: new (class Box {
          v = D("4");
        })(),
      },
    ],
    ["an own __proto__ key", JSON.parse('{"__proto__":{"x":1},"q":"1"}') as unknown],
  ])("writes the same text as a JSON.stringify replacer: %s", (_name, value) => {
    const reference = JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
      const original = key === "" ? value : this[key];
      return Decimal.isDecimal(original) ? { $d: original.toString() } : v;
    });
    expect(encodeJson(value)).toBe(reference);
  });

  it("writes a strategy's running tally (sums kept as Decimals) as the plain tally's text", () => {
    const pnls = ["1.25", "0", "-0.3333333333333333333333333333333333333333", "123456789.987654321"];
    const running = pnls.reduce((t, p) => addTradeKeepingSums(t, D(p)), EMPTY_TALLY);
    const plain = pnls.reduce((t, p) => addTrade(t, D(p)), EMPTY_TALLY);
    expect(encodeJson({ "sma-cross": running })).toBe(encodeJson({ "sma-cross": plain }));
    expect(decodeJson(encodeJson({ "sma-cross": running }))).toEqual({ "sma-cross": plain });
  });

  it("never assigns through a parsed __proto__ key", () => {
    const back = decodeJson<Record<string, unknown>>('{"__proto__":{"$d":"1"},"a":1}');
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(back.a).toBe(1);
  });
});

import { describe, expect, it } from "vitest";
import { checkAgainstInstrument, makeInstrument, roundPrice, roundQty } from "./instrument";
import { D } from "./money";

describe("rounding and limit checks", () => {
  const btc = makeInstrument({
    symbol: "BTC/USDT",
    priceTick: "0.01",
    qtyStep: "0.00001",
    minQty: "0.00001",
    maxQty: "9000",
    minNotional: "5",
    maxNotional: "9000000",
  });

  it("rounds prices to the tick and quantities down to the step", () => {
    expect(roundPrice(btc, "16727.345").toString()).toBe("16727.35");
    expect(roundPrice(btc, "16727.345", "down").toString()).toBe("16727.34");
    expect(roundQty(btc, "0.123456789").toString()).toBe("0.12345");
    expect(roundQty(btc, "0.123456789", "up").toString()).toBe("0.12346");
  });

  it.each([
    ["0.001", "20000", null],
    ["0.000015", "20000", "QTY_PRECISION"],
    ["0.001", "20000.005", "PRICE_PRECISION"],
    ["0", "20000", "MIN_QUANTITY"],
    ["9000.1", "1", "MAX_QUANTITY"],
    ["0.0002", "20000", "MIN_NOTIONAL"],
    ["1000", "20000", "MAX_NOTIONAL"],
  ])("qty %s at %s → %s", (qty, price, code) => {
    const r = checkAgainstInstrument(btc, D(qty), D(price));
    if (code === null) expect(r.ok).toBe(true);
    else {
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe(code);
        expect(r.error.message).toContain("BTC/USDT");
      }
    }
  });

  it("skips notional checks without a price", () => {
    expect(checkAgainstInstrument(btc, D("0.0002"), null).ok).toBe(true);
  });

  it("refuses a non-positive tick", () => {
    expect(() => makeInstrument({ symbol: "X/Y", priceTick: 0, qtyStep: 1 })).toThrow(RangeError);
  });
});

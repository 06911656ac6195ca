import { describe, expect, it } from "vitest";
import {
  currencyDecimals,
  decimalsOf,
  fmtAxis,
  fmtAxisTime,
  fmtDuration,
  fmtMoney,
  fmtMoneySigned,
  fmtNum,
  fmtPct,
  fmtPrice,
  fmtQty,
  fmtSigned,
  fmtTime,
  instrumentDecimals,
  moneyCurrencyOf,
  quoteOfSymbol,
} from "./format";

describe("desk formatting", () => {
  it.each([
    ["0.01", 2],
    ["0.00001", 5],
    ["1", 0],
    ["0.10", 1],
    [1e-8, 8],
    [null, 2],
  ] as const)("decimalsOf(%j) = %i", (step, dp) => expect(decimalsOf(step)).toBe(dp));

  it("formats numbers with fixed decimals and signs", () => {
    expect(fmtNum("12345.678", 2)).toBe("12,345.68");
    expect(fmtNum("0.5", 5)).toBe("0.50000");
    expect(fmtNum(null)).toBe("—");
    expect(fmtNum("NaN")).toBe("—");
    expect(fmtSigned("-3.2", 2)).toBe("−3.20");
    expect(fmtSigned(3.2, 1)).toBe("+3.2");
    expect(fmtPct(-1.234, 2, true)).toBe("−1.23%");
  });

  it.each([
    ["a minute-old desk: seconds, no date", 90_000, "03:04:05"],
    ["just under half an hour", 30 * 60_000 - 1, "03:04:05"],
    ["half an hour and more: date and minute", 30 * 60_000, "01-02 03:04"],
    ["a backtest's weeks", 40 * 86_400_000, "01-02 03:04"],
  ] as const)("an axis tick for %s", (_, spanMs, tick) => expect(fmtAxisTime(Date.UTC(2024, 0, 2, 3, 4, 5), spanMs)).toBe(tick));

  it("formats times and durations", () => {
    expect(fmtTime(Date.UTC(2024, 0, 2, 3, 4, 5))).toBe("2024-01-02 03:04:05");
    expect(fmtDuration(12_000)).toBe("12s");
    expect(fmtDuration(250_000)).toBe("4m 10s");
    expect(fmtDuration(2 * 3600_000 + 5 * 60_000)).toBe("2h 05m");
    expect(fmtDuration(3 * 86_400_000 + 4 * 3600_000)).toBe("3d 4h");
  });
});

describe("money by its currency, prices by the instrument", () => {
  it.each([
    ["BTC", 8],
    ["ETH", 8],
    ["USDT", 2],
    ["usd", 2],
    ["EUR", 2],
    [null, 2],
  ] as const)("currencyDecimals(%j) = %i", (currency, dp) => expect(currencyDecimals(currency)).toBe(dp));

  it("shows a BTC desk's equity and PnL to the satoshi and a USDT desk's to the cent", () => {
    expect(fmtMoney("1", "BTC")).toBe("1.00000000");
    expect(fmtMoney("0.00012345", "BTC")).toBe("0.00012345");
    expect(fmtMoneySigned("-0.00012345", "BTC")).toBe("−0.00012345");
    expect(fmtMoney("10000.456", "USDT")).toBe("10,000.46");
    expect(fmtMoneySigned("3.2", "USDT")).toBe("+3.20");
    expect(fmtMoney(null, "BTC")).toBe("—");
  });

  it("reads the quote from a symbol, a perpetual or a portfolio list", () => {
    expect(quoteOfSymbol("ETH/BTC")).toBe("BTC");
    expect(quoteOfSymbol("BTC/USDT:USDT")).toBe("USDT");
    expect(quoteOfSymbol("ETH/BTC,LTC/BTC")).toBe("BTC");
    expect(quoteOfSymbol("BTCUSDT")).toBeNull();
    expect(quoteOfSymbol(undefined)).toBeNull();
  });

  it("puts a symbol's money in its quote, or the desk's currency when the symbol names none", () => {
    expect(moneyCurrencyOf("ADA/BTC")).toBe("BTC");
    expect(moneyCurrencyOf("BTC/USDT:USDT")).toBe("USDT");
    expect(moneyCurrencyOf("BTCUSDT")).toBeUndefined();
  });

  it("formats prices by the tick and quantities by the step, falling back to the quote's precision", () => {
    const ethBtc = { priceTick: "0.00000001", qtyStep: "0.00000001", quote: "BTC" };
    expect(fmtPrice("0.0912", ethBtc)).toBe("0.09120000");
    expect(fmtQty("1.5", ethBtc)).toBe("1.50000000");
    expect(fmtPrice("16727.3", { priceTick: "0.01", qtyStep: "0.00001", quote: "USDT" })).toBe("16,727.30");
    // Instrument unknown (a symbol no longer traded): a BTC-quoted price still gets 8 decimals, a quantity 5.
    expect(fmtPrice("0.0912", null, "ETH/BTC")).toBe("0.09120000");
    expect(fmtQty("2", undefined, "ETH/BTC")).toBe("2.00000");
    expect(instrumentDecimals(null, "BTC/USDT")).toEqual({ price: 2, qty: 5, money: 2 });
  });

  it("labels chart axes with significant digits below 1,000", () => {
    expect(fmtAxis(1.00234)).toBe("1.002");
    expect(fmtAxis(0.0004567)).toBe("0.0004567");
    expect(fmtAxis(12345.6)).toBe("12,346");
    expect(fmtAxis(Number.NaN)).toBe("—");
  });
});

/** A live desk's starting capital over venues whose accounts are in different currencies (runtime-live.ts deskCapital). */
import { describe, expect, it } from "vitest";
import { deskCapital } from "./runtime-live";

describe("deskCapital", () => {
  it("sums venues in the desk's currency as they are", () => {
    expect(
      deskCapital(
        [
          { id: "binance-main", quote: "USDT", capital: "100000" },
          { id: "bitget-1", quote: "USDT", capital: "2500.5" },
        ],
        {},
      ),
    ).toEqual({ ok: true, value: "102500.5" });
  });

  it("converts a venue in another currency at its configured peg, exactly", () => {
    expect(
      deskCapital(
        [
          { id: "binance-main", quote: "USDT", capital: "1000" },
          { id: "kraken-1", quote: "USD", capital: "333.33" },
        ],
        { USD: "0.9995" },
      ),
    ).toEqual({ ok: true, value: "1333.163335" });
  });

  it("refuses, by venue, a currency it has no rate for (never counted 1:1)", () => {
    const result = deskCapital(
      [
        { id: "binance-main", quote: "USDT", capital: "1000" },
        { id: "kraken-1", quote: "USD", capital: "1000" },
      ],
      { USDC: "1" },
    );
    expect(result).toEqual({
      ok: false,
      error:
        "LIVE_MIXED_QUOTES: venue kraken-1 holds its capital in USD and the desk counts in USDT; set desk.conversion_rates.USD (a peg) or BASTION_CAPITAL.",
    });
  });
});

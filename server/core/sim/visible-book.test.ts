import { describe, expect, it } from "vitest";
import type { MarketUpdate } from "../market-data";
import type { OrderSpec } from "../orders/types";
import { book, candle, makeVenue, quote, trade } from "../../../test/sim/core-helpers";

const buy = (qty: string): OrderSpec => ({ clientOrderId: `m-${qty}`, symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: qty, timeInForce: "GTC" });
const show = (levels: readonly (readonly [{ toString(): string }, { toString(): string }])[]) => levels.map(([p, s]) => `${p.toString()}x${s.toString()}`);

describe("the simulator's visible book (routing reads it)", () => {
  it.each<[string, MarketUpdate[], OrderSpec[], number, { bids: string[]; asks: string[]; source: string } | null]>([
    [
      "a book snapshot, cut to the depth",
      [
        book(
          [
            [99, 1],
            [98, 2],
            [97, 3],
          ],
          [
            [100, 1],
            [101, 2],
            [102, 3],
          ],
        ),
      ],
      [],
      2,
      { bids: ["99x1", "98x2"], asks: ["100x1", "101x2"], source: "book" },
    ],
    [
      "what a market buy took is gone until the next snapshot",
      [
        book(
          [[99, 1]],
          [
            [100, 1],
            [101, 2],
          ],
        ),
      ],
      [buy("1.5")],
      5,
      { bids: ["99x1"], asks: ["101x1.5"], source: "book" },
    ],
    [
      "a quote with sizes: one level a side",
      [quote(99, 100, { bidSize: 0.5, askSize: 0.25 })],
      [],
      5,
      { bids: ["99x0.5"], asks: ["100x0.25"], source: "quote" },
    ],
    ["a quote without sizes shows no depth", [quote(99, 100)], [], 5, null],
    [
      "a quote after a book replaces it",
      [book([[99, 1]], [[100, 1]]), quote(98, 99, { bidSize: 1, askSize: 2 })],
      [],
      5,
      { bids: ["98x1"], asks: ["99x2"], source: "quote" },
    ],
    ["candles and trades show no depth", [candle(100, 101, 99, 100), trade(100)], [], 5, null],
  ])("%s", (_name, updates, orders, depth, expected) => {
    const venue = makeVenue();
    updates.forEach((u, i) => venue.onMarketData(u, 1000 + i));
    orders.forEach((o) => venue.submit(o, 2000));
    const seen = venue.visibleBook("BTC/USDT", depth);
    expect(seen && { bids: show(seen.bids), asks: show(seen.asks), source: seen.source }).toEqual(expected);
  });

  it("an unknown symbol has no book", () => {
    expect(makeVenue().visibleBook("DOGE/USDT", 5)).toBeNull();
  });
});

import { describe, expect, it } from "vitest";
import { makeInstrument } from "../core/instrument";
import { D } from "../core/money";
import type { VisibleBook } from "../core/algos/routing";
import type { MarketUpdate } from "../core/market-data";
import { SimVenue } from "../venues/sim/sim-venue";
import { RoutingTestVenue } from "../../test/routing-venues";
import { VenueSet } from "./venue-set";

const BTC = makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.001", minQty: "0.001", minNotional: "5", takerFee: "0.001" });

function venue(id: string): RoutingTestVenue {
  return new RoutingTestVenue(new SimVenue({ instruments: [BTC], initialBalances: { USDT: "100000" } }, { id }));
}

const show = (book: VisibleBook | null) =>
  book && { bids: book.bids.map(([p, s]) => [p.toString(), s.toString()]), asks: book.asks.map(([p, s]) => [p.toString(), s.toString()]), source: book.source };

const book = (venueId: string, asks: [number, number][], bids: [number, number][]): MarketUpdate => ({
  kind: "book",
  symbol: "BTC/USDT",
  venue: venueId,
  asks,
  bids,
});

describe("the visible book per (venue, symbol)", () => {
  it.each<[string, { hideBook: boolean; updates: MarketUpdate[]; depth: number; expected: ReturnType<typeof show> }]>([
    [
      "the simulator's own book, cut to the depth",
      {
        hideBook: false,
        updates: [
          book(
            "a",
            [
              [100, 1],
              [101, 2],
              [102, 3],
            ],
            [
              [99, 1],
              [98, 2],
            ],
          ),
        ],
        depth: 2,
        expected: {
          asks: [
            ["100", "1"],
            ["101", "2"],
          ],
          bids: [
            ["99", "1"],
            ["98", "2"],
          ],
          source: "book",
        },
      },
    ],
    [
      "a quote with sizes is one level a side",
      {
        hideBook: false,
        updates: [{ kind: "quote", symbol: "BTC/USDT", venue: "a", bid: 99, ask: 100, bidSize: 0.5, askSize: 0.7 }],
        depth: 10,
        expected: { asks: [["100", "0.7"]], bids: [["99", "0.5"]], source: "quote" },
      },
    ],
    [
      "a quote without sizes shows no depth",
      { hideBook: false, updates: [{ kind: "quote", symbol: "BTC/USDT", venue: "a", bid: 99, ask: 100 }], depth: 10, expected: null },
    ],
    [
      "candles show no depth",
      {
        hideBook: true,
        updates: [{ kind: "candle", symbol: "BTC/USDT", venue: "a", open: 1, high: 2, low: 1, close: 2, volume: 3 }],
        depth: 10,
        expected: null,
      },
    ],
    [
      "a venue without its own book: the last book its market data carried",
      {
        hideBook: true,
        updates: [
          book(
            "a",
            [
              [100, 1],
              [101, 2],
            ],
            [[99, 1]],
          ),
          { kind: "trade", symbol: "BTC/USDT", venue: "a", price: 100, qty: 1 },
        ],
        depth: 1,
        expected: { asks: [["100", "1"]], bids: [["99", "1"]], source: "book" },
      },
    ],
    [
      "a quote without sizes after a book drops the stale book (venue without its own)",
      {
        hideBook: true,
        updates: [book("a", [[100, 1]], [[99, 1]]), { kind: "quote", symbol: "BTC/USDT", venue: "a", bid: 98, ask: 99 }],
        depth: 5,
        expected: null,
      },
    ],
  ])("%s", (_name, { hideBook, updates, depth, expected }) => {
    const a = venue("a");
    a.hideBook = hideBook;
    const set = new VenueSet([a, venue("b")]);
    updates.forEach((u, i) => set.onMarketData(u, 1000 + i));
    expect(show(set.visibleBookAt("a", "BTC/USDT", depth))).toEqual(expected);
    expect(set.visibleBookAt("b", "BTC/USDT", depth)).toBeNull(); // data addressed to a is a's alone
  });

  it("a book the venue shows itself (the simulator's, with no time) is as old as the last book or quote it was fed", () => {
    const set = new VenueSet([venue("a"), venue("b")]);
    expect(venue("a").visibleBook("BTC/USDT", 5)).toBeNull();
    set.onMarketData(book("a", [[100, 1]], [[99, 1]]), 1000);
    expect(set.visibleBookAt("a", "BTC/USDT", 5)!.ts).toBe(1000);
    set.onMarketData({ kind: "trade", symbol: "BTC/USDT", venue: "a", price: 100, qty: 0.1, aggressor: "BUY" }, 2000); // no depth: not fresher
    expect(set.visibleBookAt("a", "BTC/USDT", 5)!.ts).toBe(1000);
    set.onMarketData({ kind: "quote", symbol: "BTC/USDT", bid: 99, ask: 100, bidSize: 1, askSize: 1 }, 3000); // addressed to every venue
    expect(set.visibleBookAt("a", "BTC/USDT", 5)!.ts).toBe(3000);
  });

  it("keeps at most MAX_VISIBLE_DEPTH levels a side", () => {
    const a = venue("a");
    a.hideBook = true;
    const set = new VenueSet([a]);
    const deep = Array.from({ length: 80 }, (_, i) => [100 + i, 1] as [number, number]);
    set.onMarketData(book("a", deep, [[99, 1]]), 1);
    expect(set.visibleBookAt("a", "BTC/USDT", 500)!.asks).toHaveLength(50);
  });

  it("fetches the book from venues that can be asked; a failed fetch is kept as the venue's reason", async () => {
    const a = venue("a");
    const b = venue("b");
    a.hideBook = true;
    b.hideBook = true;
    a.fetched = { bids: [[D("99"), D("2")]], asks: [[D("100"), D("3")]], source: "book", ts: 5 };
    b.fetched = new Error("b timed out");
    const set = new VenueSet([a, b]);
    await set.refreshBooks("BTC/USDT", 20);
    expect(show(set.visibleBookAt("a", "BTC/USDT", 20))).toEqual({ asks: [["100", "3"]], bids: [["99", "2"]], source: "book" });
    expect(set.visibleBookAt("b", "BTC/USDT", 20)).toBeNull();
    expect(set.books.fetchErrors.get("b")).toBe("b timed out");
  });
});

/**
 * The book snapshot and best bid/ask loaders (csv.ts) on the recorded microstructure files of ../shared/data (see its
 * README) and on small inline files: every row checked, the file and the line named.
 */
import { describe, expect, it } from "vitest";
import { BBO_HEADER, bookHeader, loadBboCsv, loadBookSnapshotsCsv, parseBboCsv, parseBookSnapshotsCsv } from "./csv";

const MICRO = "/work/shared/data/market/microstructure";
const BTC_BOOK = `${MICRO}/btc-usdt_binance-spot_book-snapshot-25_2024-08-08_2024-08-09.csv`;
const BTC_BBO = `${MICRO}/btc-usdt_bbo_binance-spot_2024-08-08_2024-08-09.csv`;

describe("recorded book snapshots", () => {
  it("loads the BTCUSDT one-second 25-level snapshots", () => {
    const books = loadBookSnapshotsCsv(BTC_BOOK);
    expect(books).toHaveLength(650);
    const first = books[0]!;
    // binance,BTCUSDT,1723161256008000,1723161254738306,61828.02,2.54402,61828.01,0.03448,61828.74,0.23012,61826.01,0.00009,…
    expect(first).toMatchObject({
      ts: 1723161256008,
      timestampUs: 1723161256008000,
      localTimestampUs: 1723161254738306,
      exchange: "binance",
      symbol: "BTCUSDT",
    });
    expect(first.asks.slice(0, 2)).toEqual([
      [61828.02, 2.54402],
      [61828.74, 0.23012],
    ]);
    expect(first.bids.slice(0, 2)).toEqual([
      [61828.01, 0.03448],
      [61826.01, 0.00009],
    ]);
    for (const book of books) {
      expect(book.asks).toHaveLength(25);
      expect(book.bids).toHaveLength(25);
    }
    expect(new Date(books.at(-1)!.ts).toISOString()).toBe("2024-08-09T00:05:05.009Z");
  });

  it("loads the older futures book file with the same layout", () => {
    const books = loadBookSnapshotsCsv("/work/shared/data/market/btc-usdt_book25_binance-futures_2020-09-01.csv");
    expect(books).toHaveLength(10);
    expect(books[0]).toMatchObject({ exchange: "binance-futures", ts: 1598918403696 });
    expect(books[0]!.asks[0]).toEqual([11657.08, 1.714]);
  });

  it("agrees with the separately recorded best bid/ask at nearly every snapshot", () => {
    const books = loadBookSnapshotsCsv(BTC_BOOK);
    const quotes = loadBboCsv(BTC_BBO);
    let j = 0;
    let matched = 0;
    let compared = 0;
    for (const book of books) {
      while (j + 1 < quotes.length && quotes[j + 1]!.ts <= book.ts) j++;
      const quote = quotes[j]!;
      if (quote.ts > book.ts) continue;
      compared++;
      if (quote.bid === book.bids[0]![0] && quote.ask === book.asks[0]![0]) matched++;
    }
    expect(compared).toBeGreaterThan(640);
    // The README: 99.4–100 % of the snapshots match the best bid/ask recorded beside them.
    expect(matched / compared).toBeGreaterThan(0.99);
  });

  const header = bookHeader(2);
  const cases: [string, string, string][] = [
    ["a header of another depth layout", "exchange,symbol,timestamp,local_timestamp,asks[0].price,asks[0].amount,bids[0].price", "line 1: the header is"],
    ["too few fields", `${header}\nb,X,1000,1000,2,1,1,1,3,1,0.5`, "line 2: expected 12 fields, found 11"],
    ["a price that is not a number", `${header}\nb,X,1000,1000,2,1,1,1,x,1,0.5,1`, `line 2: asks[1].price "x" is not a number`],
    ["a zero size", `${header}\nb,X,1000,1000,2,0,1,1,3,1,0.5,1`, "line 2: asks[0].amount 0 is not positive"],
    ["asks not rising", `${header}\nb,X,1000,1000,2,1,1,1,2,1,0.5,1`, "line 2: asks[1].price 2 is not above the level before it (2)"],
    ["bids not falling", `${header}\nb,X,1000,1000,2,1,1,1,3,1,1.5,1`, "line 2: bids[1].price 1.5 is not below the level before it (1)"],
    ["a crossed book", `${header}\nb,X,1000,1000,2,1,2,1,3,1,1,1`, "line 2: the book is crossed: best bid 2 is not below best ask 2"],
    ["time going back", `${header}\nb,X,2000,1000,2,1,1,1,3,1,0.5,1\nb,X,1000,1000,2,1,1,1,3,1,0.5,1`, "line 3: timestamp 1000 is before"],
    ["a level after an empty one", `${header}\nb,X,1000,1000,,,1,1,3,1,0.5,1`, "line 2: asks[1] follows an empty level of the same side"],
    ["a fractional timestamp", `${header}\nb,X,1000.5,1000,2,1,1,1,3,1,0.5,1`, "line 2: timestamp 1000.5 is not a whole number"],
    ["an empty symbol", `${header}\nb,,1000,1000,2,1,1,1,3,1,0.5,1`, "line 2: symbol is empty"],
  ];
  it.each(cases)("refuses %s, naming the file and line", (_what, text, message) => {
    expect(() => parseBookSnapshotsCsv(text, "book.csv")).toThrow(`CSV_INVALID: book.csv, ${message}`);
  });

  it("reads the depth from the header and accepts a thin side (empty trailing levels)", () => {
    const books = parseBookSnapshotsCsv(`${header}\r\nb,X,1500,1400,2,1,1,0.5,,,0.5,2\r\n`, "book.csv");
    expect(books).toEqual([
      {
        ts: 1,
        timestampUs: 1500,
        localTimestampUs: 1400,
        exchange: "b",
        symbol: "X",
        asks: [[2, 1]],
        bids: [
          [1, 0.5],
          [0.5, 2],
        ],
      },
    ]);
  });

  it("says which file is missing", () => {
    expect(() => loadBookSnapshotsCsv("/nonexistent/book.csv")).toThrow("CSV_UNREADABLE: /nonexistent/book.csv: the file does not exist.");
  });
});

describe("recorded best bid/ask", () => {
  it("loads the BTCUSDT quotes (no exchange time in this recording)", () => {
    const quotes = loadBboCsv(BTC_BBO);
    expect(quotes).toHaveLength(73_174);
    // 1723161255361,1723161254088,,50093239212,61837.63,3.78826,61837.64,1.54698
    expect(quotes[0]).toEqual({
      ts: 1723161255361,
      recvTs: 1723161254088,
      exchangeTs: null,
      updateId: "50093239212",
      bid: 61837.63,
      bidSize: 3.78826,
      ask: 61837.64,
      askSize: 1.54698,
    });
  });

  const cases: [string, string, string][] = [
    ["a wrong header", "ts,bid,ask\n1,1,2", `line 1: the header is "ts,bid,ask", expected "${BBO_HEADER}"`],
    ["a bid above the ask", `${BBO_HEADER}\n1000,900,,7,2,1,1,1`, "line 2: bid_price 2 is above ask_price 1"],
    ["a negative size", `${BBO_HEADER}\n1000,900,,7,1,-1,2,1`, "line 2: bid_qty -1 is negative"],
    ["an update id that is not a whole number", `${BBO_HEADER}\n1000,900,,x7,1,1,2,1`, `line 2: update_id "x7" is not a whole number`],
    ["time going back", `${BBO_HEADER}\n1000,900,,7,1,1,2,1\n999,900,,8,1,1,2,1`, "line 3: ts 999 is before the previous row's ts 1000"],
  ];
  it.each(cases)("refuses %s, naming the file and line", (_what, text, message) => {
    expect(() => parseBboCsv(text, "bbo.csv")).toThrow(`CSV_INVALID: bbo.csv, ${message}`);
  });

  it("keeps the exchange time when the feed gave one", () => {
    expect(parseBboCsv(`${BBO_HEADER}\n1000,900,950,7,1,1,2,0`, "bbo.csv")[0]).toMatchObject({ exchangeTs: 950, askSize: 0 });
  });
});

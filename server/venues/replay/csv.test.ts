import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type CandleColumns,
  candleColumnsOf,
  candlesOfColumns,
  CsvFormatError,
  loadCandleColumns,
  loadCandlesCsv,
  loadTradesCsv,
  parseCandlesCsv,
  parseTradesCsv,
  plainColumnsOfFile,
  recordedFilePath,
} from "./csv";

const H = "ts,open,high,low,close,volume";
const TH = "ts,trade_id,price,quantity,buyer_maker";

describe("recorded files", () => {
  it("loads the BTC/USDT 5m candles: 10,999 rows, 5 minutes apart, no gaps", () => {
    const candles = loadCandlesCsv(recordedFilePath("btcUsdt5m"));
    expect(candles).toHaveLength(10_999);
    expect(candles[0]).toEqual({ ts: 1672677900000, open: 16727.3, high: 16728.8, low: 16726, close: 16726.1, volume: 691.508 });
    expect(candles.at(-1)).toEqual({ ts: 1675977300000, open: 21918, high: 21960.7, low: 21914, close: 21925.7, volume: 2058.74 });
    expect(new Date(candles[0]!.ts).toISOString()).toBe("2023-01-02T16:45:00.000Z");
    expect(new Date(candles.at(-1)!.ts).toISOString()).toBe("2023-02-09T21:15:00.000Z");
    for (let i = 1; i < candles.length; i++) expect(candles[i]!.ts - candles[i - 1]!.ts).toBe(300_000);
  });

  it("loads the Binance trades with the aggressor from buyer_maker", () => {
    const trades = loadTradesCsv(recordedFilePath("btcUsdtTrades"));
    expect(trades).toHaveLength(2001);
    // 1610064000278,553287559,39432.48,0.000263,True → the buyer was the maker, the seller took liquidity
    expect(trades[0]).toEqual({ ts: 1610064000278, tradeId: "553287559", price: 39432.48, qty: 0.000263, aggressor: "SELL" });
    expect(trades[1]).toMatchObject({ tradeId: "553287560", aggressor: "BUY" });
    expect(new Set(trades.map((t) => t.aggressor))).toEqual(new Set(["BUY", "SELL"]));
  });

  // A file is read as bytes and decoded only when it is not plain: the checked reader still names the line, and reads
  // text that is not ASCII (a BOM, a character in the header) as the text it is.
  it.each([
    ["a bad row", `${H}\n1000,1,2,0.5,1.5,3\n2000,1.3,1.2,1,1.1,1\n`, "CSV_INVALID: {file}, line 3: high 1.2 is below open 1.3."],
    [
      "a header that is not ASCII",
      `ts,öpen,high,low,close,volume\n1000,1,2,0.5,1.5,3\n`,
      'CSV_INVALID: {file}, line 1: the header is "ts,öpen,high,low,close,volume", expected "ts,open,high,low,close,volume".',
    ],
  ])("loads a file with %s through the checked reader", (_name, text, message) => {
    const dir = mkdtempSync(join(tmpdir(), "csv-test-"));
    try {
      const file = join(dir, "c.csv");
      writeFileSync(file, text);
      expect(() => loadCandlesCsv(file)).toThrow(message.replace("{file}", file));
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it("loads a file with a BOM and CRLF, with an exponent (the checked reader) or without (the fast one)", () => {
    const dir = mkdtempSync(join(tmpdir(), "csv-test-"));
    try {
      const file = join(dir, "c.csv");
      writeFileSync(file, `\ufeff${H}\r\n1000,1,2,0.5,1.5,3\r\n2000,1.5,1.5,1.5,1.5,1e1\r\n`);
      expect(loadCandlesCsv(file)).toEqual([
        { ts: 1000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 },
        { ts: 2000, open: 1.5, high: 1.5, low: 1.5, close: 1.5, volume: 10 },
      ]);
      writeFileSync(file, `\ufeff${H}\r\n1000,1,2,0.5,1.5,3\r\n`);
      expect(loadCandlesCsv(file)).toEqual([{ ts: 1000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 }]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it("says which file is missing", () => {
    expect(() => loadCandlesCsv("/nonexistent/x.csv")).toThrow("CSV_UNREADABLE: /nonexistent/x.csv: the file does not exist.");
  });
});

describe("loadCandleColumns", () => {
  const rows = (c: CandleColumns) => candlesOfColumns(c);
  const withFile = (text: string, check: (file: string) => void) => {
    const dir = mkdtempSync(join(tmpdir(), "csv-test-"));
    try {
      const file = join(dir, "c.csv");
      writeFileSync(file, text);
      check(file);
    } finally {
      rmSync(dir, { recursive: true });
    }
  };

  it("reads the recorded 5m file as the candles, one column a field, with the 5-minute gap", () => {
    const file = recordedFilePath("btcUsdt5m");
    const columns = loadCandleColumns(file);
    expect(columns.length).toBe(10_999);
    for (const column of [columns.ts, columns.open, columns.high, columns.low, columns.close, columns.volume]) expect(column).toHaveLength(10_999);
    expect(columns.smallestGap).toBe(300_000);
    expect(rows(columns)).toEqual(loadCandlesCsv(file));
  });

  it("grows its columns when the rows get shorter than the first (the room is guessed from the first row)", () => {
    const first = "1000,123456.789012,123456.789012,123456.789012,123456.789012,123456.789012";
    const rest = Array.from({ length: 200 }, (_, i) => `${2000 + 60 * i},1,2,0.5,1.5,${i}`);
    withFile([H, first, ...rest].join("\n") + "\n", (file) => {
      const columns = loadCandleColumns(file);
      expect(columns.length).toBe(201);
      expect(rows(columns)).toEqual(loadCandlesCsv(file));
      expect(columns.smallestGap).toBe(60);
      expect(columns.volume[200]).toBe(199);
    });
  });

  // The plain reader reads a file in chunks of 64 KiB: rows cross from one chunk into the next at every offset.
  it.each([
    { lineEnd: "\n", finalNewline: true },
    { lineEnd: "\r\n", finalNewline: true },
    { lineEnd: "\n", finalNewline: false },
    { lineEnd: "\r\n", finalNewline: false },
  ])("reads a file of many chunks as its text (line end $lineEnd, final newline $finalNewline)", ({ lineEnd, finalNewline }) => {
    const lines = [H];
    for (let i = 0; i < 30_000; i++) {
      // Rows of 21 to ~60 bytes, so the chunk edges fall anywhere in a row.
      const base = 1 + (i % 97) * 1.25;
      const tail = "7".repeat(i % 9);
      lines.push(`${1_600_000_000_000 + i * 60_000 + (i % 3)},${base},${Math.floor(base) + 3}.5${tail},${base / 2},${base + 1},${i % 11}.${tail}1`);
    }
    const text = lines.join(lineEnd) + (finalNewline ? lineEnd : "");
    withFile(text, (file) => {
      // The plain reader itself reads it (not the checked one after it gave up).
      const plain = plainColumnsOfFile(file);
      expect(plain).not.toBeNull();
      const columns = loadCandleColumns(file);
      expect(rows(plain!)).toEqual(rows(columns));
      expect(columns.length).toBe(30_000);
      expect(rows(columns)).toEqual(parseCandlesCsv(text, "inline"));
      expect(columns.smallestGap).toBe(59_998);
      expect(columns.volume[29_999]).toBe(Number(`${29_999 % 11}.${"7".repeat(29_999 % 9)}1`));
      expect(loadCandlesCsv(file)).toEqual(rows(columns));
    });
  });

  it("gives a line longer than a chunk to the checked reader, and a directory is unreadable", () => {
    withFile(`${H}\n1000,1,2,0.5,1.5,3${" ".repeat(300_000)}\n`, (file) => {
      expect(plainColumnsOfFile(file)).toBeNull();
      expect(() => loadCandleColumns(file)).toThrow(`CSV_INVALID: ${file}, line 2: volume "3      `);
    });
    const dir = mkdtempSync(join(tmpdir(), "csv-test-"));
    try {
      expect(() => loadCandleColumns(dir)).toThrow(`CSV_UNREADABLE: ${dir}: the file cannot be read (EISDIR).`);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it("reads a file that is not plain through the checked reader, and names a bad line", () => {
    withFile(`\ufeff${H}\r\n1000,1,2,0.5,1.5,3\r\n3000,1.5,1.5,1.5,1.5,1e1\r\n`, (file) => {
      const columns = loadCandleColumns(file);
      expect(rows(columns)).toEqual([
        { ts: 1000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 },
        { ts: 3000, open: 1.5, high: 1.5, low: 1.5, close: 1.5, volume: 10 },
      ]);
      expect(columns.smallestGap).toBe(2000);
    });
    withFile(`${H}\n1000,1,2,0.5,1.5,3\n2000,1.3,1.2,1,1.1,1\n`, (file) => {
      expect(() => loadCandleColumns(file)).toThrow(`CSV_INVALID: ${file}, line 3: high 1.2 is below open 1.3.`);
    });
  });

  it("gives a single candle a gap of 0, and counts only forward gaps of objects", () => {
    const one = { ts: 1000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 };
    expect(candleColumnsOf([one]).smallestGap).toBe(0);
    expect(candleColumnsOf([]).length).toBe(0);
    expect(candleColumnsOf([one, { ...one, ts: 1000 }, { ...one, ts: 1500 }, { ...one, ts: 2500 }]).smallestGap).toBe(500);
  });
});

describe("parseCandlesCsv", () => {
  it("accepts CRLF, a BOM, a final newline and exponents", () => {
    const text = `\ufeff${H}\r\n1000,1,2,0.5,1.5,1e3\r\n2000,1.5,1.5,1.5,1.5,0\r\n`;
    expect(parseCandlesCsv(text, "a.csv")).toEqual([
      { ts: 1000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 1000 },
      { ts: 2000, open: 1.5, high: 1.5, low: 1.5, close: 1.5, volume: 0 },
    ]);
  });

  const cases: [string, string, string][] = [
    ["empty file", "", 'CSV_INVALID: m.csv: the file is empty; expected the header "ts,open,high,low,close,volume".'],
    ["header only", `${H}\n`, "CSV_INVALID: m.csv: the file has a header but no rows."],
    ["wrong header", "time,o,h,l,c,v\n1,1,1,1,1,1", 'CSV_INVALID: m.csv, line 1: the header is "time,o,h,l,c,v", expected "ts,open,high,low,close,volume".'],
    ["too few fields", `${H}\n1000,1,1,1,1`, "CSV_INVALID: m.csv, line 2: expected 6 fields, found 5."],
    ["blank line inside", `${H}\n1000,1,1,1,1,1\n\n3000,1,1,1,1,1`, "CSV_INVALID: m.csv, line 3: the line is blank."],
    ["not a number", `${H}\n1000,abc,1,1,1,1`, 'CSV_INVALID: m.csv, line 2: open "abc" is not a number.'],
    ["empty field", `${H}\n1000,,1,1,1,1`, 'CSV_INVALID: m.csv, line 2: open "" is not a number.'],
    ["hex is not a number", `${H}\n1000,0x10,1,1,1,1`, 'CSV_INVALID: m.csv, line 2: open "0x10" is not a number.'],
    ["Infinity", `${H}\n1000,1,Infinity,1,1,1`, 'CSV_INVALID: m.csv, line 2: high "Infinity" is not a number.'],
    ["overflow", `${H}\n1000,1,1e999,1,1,1`, "CSV_INVALID: m.csv, line 2: high 1e999 is not a finite number."],
    ["fractional ts", `${H}\n1000.5,1,1,1,1,1`, "CSV_INVALID: m.csv, line 2: ts 1000.5 is not a whole number of epoch milliseconds."],
    ["zero price", `${H}\n1000,0,1,0,1,1`, "CSV_INVALID: m.csv, line 2: open 0 is not positive."],
    [
      "ts repeats",
      `${H}\n1000,1,1,1,1,1\n1000,1,1,1,1,1`,
      "CSV_INVALID: m.csv, line 3: ts 1000 is not after the previous row's ts 1000 (candles must be strictly increasing).",
    ],
    [
      "ts goes back",
      `${H}\n2000,1,1,1,1,1\n1000,1,1,1,1,1`,
      "CSV_INVALID: m.csv, line 3: ts 1000 is not after the previous row's ts 2000 (candles must be strictly increasing).",
    ],
    ["high below open", `${H}\n1000,1.3,1.2,1,1.1,1`, "CSV_INVALID: m.csv, line 2: high 1.2 is below open 1.3."],
    ["high below close", `${H}\n1000,1.1,1.2,1,1.3,1`, "CSV_INVALID: m.csv, line 2: high 1.2 is below close 1.3."],
    ["low above open", `${H}\n1000,1,1.5,1.1,1.2,1`, "CSV_INVALID: m.csv, line 2: low 1.1 is above open 1."],
    ["low above close", `${H}\n1000,1.2,1.5,1.1,1,1`, "CSV_INVALID: m.csv, line 2: low 1.1 is above close 1."],
    ["negative volume", `${H}\n1000,1,1,1,1,-2`, "CSV_INVALID: m.csv, line 2: volume -2 is negative."],
  ];
  it.each(cases)("refuses %s", (_name, text, message) => {
    expect(() => parseCandlesCsv(text, "m.csv")).toThrow(CsvFormatError);
    expect(() => parseCandlesCsv(text, "m.csv")).toThrow(message);
  });

  // A seeded generator of decimals: up to 15 digits, leading and trailing zeros, and (unless plainOnly) the other
  // forms the format allows ("1.", ".5", exponents, longer numbers), which send the file to the checked reader.
  function generated(plainOnly: boolean, lineEnd: string) {
    let seed = 12345;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor(seed / 65536) % n; // the high bits: an LCG's low bits cycle
    };
    const digitsOf = (n: number) => Array.from({ length: n }, () => String(next(10))).join("");
    const decimal = () => {
      // At most 15 digits in the plain forms (the fast reader's limit; one longer number sends the file to the checked one).
      const whole = `${1 + next(9)}${digitsOf(next(7))}`;
      const frac = digitsOf(next(7));
      const plain = [whole, `${whole}.${frac || "0"}`, `0.${frac}1`, `0${whole}.${frac}0`];
      const other = [`${whole}.`, `.${frac}5`, `${whole}e${next(5)}`, `${whole}${digitsOf(10)}.${digitsOf(5)}`];
      const forms = plainOnly ? plain : [...plain, ...other];
      return forms[next(forms.length)]!;
    };
    const rows: string[] = [];
    const expected: { ts: number; open: number; high: number; low: number; close: number; volume: number }[] = [];
    for (let i = 0; i < 2000; i++) {
      const price = decimal();
      const volume = next(4) === 0 ? "-0" : decimal();
      rows.push(`${1000 + i},${price},${price},${price},${price},${volume}`);
      const p = Number(price);
      expected.push({ ts: 1000 + i, open: p, high: p, low: p, close: p, volume: Number(volume) });
    }
    return { text: [H, ...rows].join(lineEnd) + lineEnd, rows, expected };
  }

  it.each([
    { plainOnly: true, lineEnd: "\n" },
    { plainOnly: true, lineEnd: "\r\n" },
    { plainOnly: false, lineEnd: "\n" },
  ])("reads every number as Number() does (plain numbers only: $plainOnly, line end $lineEnd)", ({ plainOnly, lineEnd }) => {
    const { text, rows, expected } = generated(plainOnly, lineEnd);
    const candles = parseCandlesCsv(text, "gen.csv");
    expect(candles).toHaveLength(rows.length);
    for (let i = 0; i < rows.length; i++) {
      expect(candles[i], rows[i]).toEqual(expected[i]);
      expect(Object.is(candles[i]!.volume, expected[i]!.volume), rows[i]).toBe(true);
    }
  });

  it.each([
    ["no final newline", `${H}\n1000,1,2,0.5,1.5,3`],
    ["a final CR without LF", `${H}\r\n1000,1,2,0.5,1.5,3\r`],
    ["trailing blank lines", `${H}\n1000,1,2,0.5,1.5,3\n\n\n`],
    ["a header with spaces around it", ` ${H} \n1000,1,2,0.5,1.5,3\n`],
  ])("accepts %s", (_name, text) => {
    expect(parseCandlesCsv(text, "e.csv")).toEqual([{ ts: 1000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 }]);
  });

  it("reports the 57th line of a long file", () => {
    const rows = Array.from({ length: 100 }, (_, i) => (i === 55 ? `${1000 + i},1.1,1.2,1,1.3,1` : `${1000 + i},1,1,1,1,1`));
    let error: unknown;
    try {
      parseCandlesCsv([H, ...rows].join("\n"), "big.csv");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CsvFormatError);
    expect(error).toMatchObject({ file: "big.csv", line: 57, code: "CSV_INVALID", message: "CSV_INVALID: big.csv, line 57: high 1.2 is below close 1.3." });
  });
});

describe("parseTradesCsv", () => {
  it("keeps equal timestamps in file order", () => {
    const trades = parseTradesCsv(`${TH}\n5,1,10,0.5,False\n5,2,11,0.25,true\n`, "t.csv");
    expect(trades).toEqual([
      { ts: 5, tradeId: "1", price: 10, qty: 0.5, aggressor: "BUY" },
      { ts: 5, tradeId: "2", price: 11, qty: 0.25, aggressor: "SELL" },
    ]);
  });

  it.each([
    [
      "wrong header",
      "ts,id,price,qty,side\n5,1,10,1,True",
      'CSV_INVALID: t.csv, line 1: the header is "ts,id,price,qty,side", expected "ts,trade_id,price,quantity,buyer_maker".',
    ],
    ["bad flag", `${TH}\n5,1,10,1,yes`, 'CSV_INVALID: t.csv, line 2: buyer_maker "yes" is not True or False.'],
    [
      "ts goes back",
      `${TH}\n5,1,10,1,True\n4,2,10,1,True`,
      "CSV_INVALID: t.csv, line 3: ts 4 is before the previous row's ts 5 (trades must be in time order).",
    ],
    ["duplicate id", `${TH}\n5,1,10,1,True\n6,1,10,1,True`, "CSV_INVALID: t.csv, line 3: trade_id 1 appears twice."],
    ["empty id", `${TH}\n5,,10,1,True`, "CSV_INVALID: t.csv, line 2: trade_id is empty."],
    ["zero quantity", `${TH}\n5,1,10,0,True`, "CSV_INVALID: t.csv, line 2: quantity 0 is not positive."],
    ["negative price", `${TH}\n5,1,-10,1,True`, "CSV_INVALID: t.csv, line 2: price -10 is not positive."],
  ])("refuses %s", (_name, text, message) => {
    expect(() => parseTradesCsv(text, "t.csv")).toThrow(message);
  });
});

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SIM_USAGE, parseSimArgs, parseSimOrders, type SimRunArgs } from "./sim-args";

const dir = mkdtempSync(join(tmpdir(), "bastion-sim-args-"));
const bookFile = join(dir, "book.csv");
const tradesFile = join(dir, "trades.csv");
const ordersFile = join(dir, "orders.json");
for (const file of [bookFile, tradesFile, ordersFile]) writeFileSync(file, "");
mkdirSync(join(dir, "a-folder"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function parseOk(argv: string[]): SimRunArgs {
  const r = parseSimArgs(argv, { cwd: dir });
  if (!r.ok) throw new Error(r.error.message);
  if (r.value.help) throw new Error("unexpected help");
  return r.value;
}

function problems(argv: string[]): string[] {
  const r = parseSimArgs(argv, { cwd: dir });
  if (r.ok) throw new Error("expected a refusal");
  expect(r.error.code).toBe("SIM_ARGS_INVALID");
  expect(r.error.message).toBe((r.error.details?.problems as string[]).join("\n"));
  return r.error.details?.problems as string[];
}

const REQUIRED = ["--book", "book.csv", "--orders", "orders.json"];

describe("parseSimArgs", () => {
  it("reads the issue's example, relative paths against the directory npm started in", () => {
    const a = parseOk(["--book", "book.csv", "--trades", "trades.csv", "--orders", "orders.json", "--json"]);
    expect({ ...a, priceTick: a.priceTick.toFixed(), qtyStep: a.qtyStep.toFixed() }).toEqual({
      help: false,
      book: bookFile,
      trades: tradesFile,
      orders: ordersFile,
      symbol: "BTC/USDT",
      priceTick: "0.01",
      qtyStep: "0.00001",
      latencyMs: 0,
      jitterMs: 0,
      seed: 0,
      impactBps: null,
      json: true,
    });
  });

  it("takes every option, with = or as the next argument", () => {
    const a = parseOk([
      `--book=${bookFile}`,
      "--orders",
      ordersFile,
      "--symbol=ETH/USDT",
      "--price-tick",
      "0.1",
      "--qty-step=0.0001",
      "--latency",
      "25",
      "--jitter=10",
      "--seed",
      "7",
      "--impact-bps",
      "2.5",
    ]);
    expect(a).toMatchObject({ book: bookFile, trades: null, symbol: "ETH/USDT", latencyMs: 25, jitterMs: 10, seed: 7, impactBps: 2.5, json: false });
    expect([a.priceTick.toFixed(), a.qtyStep.toFixed()]).toEqual(["0.1", "0.0001"]);
  });

  it("--help wins over every problem", () => {
    expect(parseSimArgs(["--nope", "--help"])).toEqual({ ok: true, value: { help: true } });
    expect(SIM_USAGE).toContain("--book FILE");
  });

  const cases: [string, string[], string[]][] = [
    [
      "nothing",
      [],
      [
        "--book is required: the book snapshots CSV (e.g. --book ../shared/data/market/microstructure/btc-usdt_binance-spot_book-snapshot-25_….csv).",
        "--orders is required: a JSON file with the orders to simulate, [{ ts, side, type, qty, price? }].",
      ],
    ],
    [
      "a missing file",
      ["--book", "nope.csv", "--orders", "orders.json"],
      [`--book must be an existing file, got 'nope.csv' (looked for ${join(dir, "nope.csv")}).`],
    ],
    ["a folder", [...REQUIRED, "--trades", "a-folder"], [`--trades must be an existing file, got 'a-folder' (looked for ${join(dir, "a-folder")}).`]],
    [
      "an unknown option",
      [...REQUIRED, "--fast", "3"],
      ["Unknown option --fast (see --help).", "Unexpected argument '3': options start with -- (see --help)."],
    ],
    ["an option given twice", [...REQUIRED, "--book", "book.csv"], ["--book was given twice."]],
    ["a value missing", [...REQUIRED, "--latency"], ["--latency needs a value."]],
    ["a value on a flag", [...REQUIRED, "--json=yes"], ["--json takes no value, got 'yes'."]],
    ["a negative latency", [...REQUIRED, "--latency=-5"], ["--latency must be a whole number from 0 to 3600000, got '-5'."]],
    ["a fractional jitter", [...REQUIRED, "--jitter", "1.5"], ["--jitter must be a whole number from 0 to 3600000, got '1.5'."]],
    ["a zero tick", [...REQUIRED, "--price-tick", "0"], ["--price-tick must be a number greater than 0, got '0'."]],
    ["a step that is not a number", [...REQUIRED, "--qty-step", "abc"], ["--qty-step must be a number greater than 0, got 'abc'."]],
    ["a lower-case symbol", [...REQUIRED, "--symbol", "btc/usdt"], ["--symbol must look like BASE/QUOTE in capitals (e.g. BTC/USDT), got 'btc/usdt'."]],
    ["a negative impact", [...REQUIRED, "--impact-bps", "-1"], ["--impact-bps must be a number of basis points from 0 to 10000, got '-1'."]],
    ["an empty impact", [...REQUIRED, "--impact-bps="], ["--impact-bps must be a number of basis points from 0 to 10000, got ''."]],
  ];
  it.each(cases)("refuses %s with a sentence per problem", (_what, argv, expected) => {
    expect(problems(argv)).toEqual(expected);
  });
});

describe("parseSimOrders", () => {
  it("reads orders, upper-cases side and type, numbers and decimal strings alike, ids by position", () => {
    const r = parseSimOrders(
      JSON.stringify([
        { ts: 1000, side: "buy", type: "market", qty: 0.5 },
        { id: "mine", ts: 2000, side: "SELL", type: "LIMIT", qty: "0.25", price: "61000.5", timeInForce: "ioc" },
      ]),
      "orders.json",
    );
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.map((o) => ({ ...o, qty: o.qty.toFixed(), price: o.price?.toFixed() ?? null }))).toEqual([
      { index: 0, id: "o1", ts: 1000, side: "BUY", type: "MARKET", qty: "0.5", price: null, timeInForce: "GTC" },
      { index: 1, id: "mine", ts: 2000, side: "SELL", type: "LIMIT", qty: "0.25", price: "61000.5", timeInForce: "IOC" },
    ]);
  });

  const cases: [string, string, string][] = [
    ["not JSON", "[{", "SIM_ORDERS_INVALID: orders.json is not valid JSON ("],
    ["not an array", `{"ts":1}`, "SIM_ORDERS_INVALID: orders.json: the file must hold a JSON array of orders."],
    ["an order that is not an object", "[3]", "SIM_ORDERS_INVALID: orders.json: [0]: each order must be an object { ts, side, type, qty, price? }."],
    ["an empty array", "[]", "SIM_ORDERS_INVALID: orders.json: the file holds no orders."],
    ["a limit without price", `[{"ts":1,"side":"BUY","type":"LIMIT","qty":1}]`, "SIM_ORDERS_INVALID: orders.json: [0].price: a LIMIT order needs a price."],
    [
      "a market with a price",
      `[{"ts":1,"side":"BUY","type":"MARKET","qty":1,"price":2}]`,
      "SIM_ORDERS_INVALID: orders.json: [0].price: a MARKET order takes no price.",
    ],
    ["a zero quantity", `[{"ts":1,"side":"BUY","type":"MARKET","qty":0}]`, "SIM_ORDERS_INVALID: orders.json: [0].qty: qty must be greater than 0, got 0."],
    ["a bad side", `[{"ts":1,"side":"LONG","type":"MARKET","qty":1}]`, "SIM_ORDERS_INVALID: orders.json: [0].side: side must be one of BUY, SELL."],
    ["a fractional ts", `[{"ts":1.5,"side":"BUY","type":"MARKET","qty":1}]`, "SIM_ORDERS_INVALID: orders.json: [0].ts: ts must be a whole number of epoch ms."],
    [
      "an unknown field",
      `[{"ts":1,"side":"BUY","type":"MARKET","qty":1,"stop":3}]`,
      "SIM_ORDERS_INVALID: orders.json: [0]: unknown field stop: an order has ts, side, type, qty, price, id, timeInForce.",
    ],
    [
      "a repeated id",
      `[{"id":"a","ts":1,"side":"BUY","type":"MARKET","qty":1},{"id":"a","ts":2,"side":"BUY","type":"MARKET","qty":1}]`,
      "SIM_ORDERS_INVALID: orders.json: [1].id: a is used twice.",
    ],
  ];
  it.each(cases)("refuses %s, naming the order and the field", (_what, text, message) => {
    const r = parseSimOrders(text, "orders.json");
    if (r.ok) throw new Error("expected a refusal");
    expect(r.error.code).toBe("SIM_ORDERS_INVALID");
    expect(r.error.message.startsWith(message)).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
import { makeInstrument } from "../instrument";
import { createOrder } from "./fsm";
import { type OrderSpec } from "./types";
import { MAX_GTD_AHEAD_MS, validateOrderSpec, type OrderValidationCode, type ValidationContext } from "./validation";

const NOW = 1_700_000_000_000;
const btc = makeInstrument({
  symbol: "BTC/USDT",
  priceTick: "0.1",
  qtyStep: "0.001",
  minQty: "0.001",
  maxQty: "100",
  minNotional: "5",
  maxNotional: "1000000",
});
const market = { bid: 99, ask: 101, last: 100 };

const limit: OrderSpec = { clientOrderId: "ord-1", symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.5", price: "100" };
const spec = (over: Partial<OrderSpec>): OrderSpec => ({ ...limit, ...over });
const ctx = (over: Partial<ValidationContext> = {}): ValidationContext => ({ now: NOW, instrument: btc, market, ...over });

interface Row {
  name: string;
  spec: OrderSpec;
  ctx?: Partial<ValidationContext>;
  code: OrderValidationCode;
  /** A fragment the message must contain (the numbers a trader needs). */
  says?: string;
}

const rows: Row[] = [
  { name: "client order id too long", spec: spec({ clientOrderId: "x".repeat(37) }), code: "INVALID_CLIENT_ORDER_ID" },
  { name: "client order id with spaces", spec: spec({ clientOrderId: "my order" }), code: "INVALID_CLIENT_ORDER_ID", says: "my order" },
  { name: "empty client order id", spec: spec({ clientOrderId: "" }), code: "INVALID_CLIENT_ORDER_ID" },
  { name: "invalid linked id", spec: spec({ linkedClientOrderIds: ["ok-1", "bad id"] }), code: "INVALID_CLIENT_ORDER_ID", says: "bad id" },
  { name: "invalid parent id", spec: spec({ parentClientOrderId: "p#1" }), code: "INVALID_CLIENT_ORDER_ID" },
  { name: "invalid side", spec: spec({ side: "LONG" as never }), code: "INVALID_SIDE", says: "LONG" },
  { name: "invalid type", spec: spec({ type: "ICEBERG" as never }), code: "INVALID_ORDER_TYPE" },
  { name: "invalid time in force", spec: spec({ timeInForce: "DAY" as never }), code: "INVALID_TIME_IN_FORCE" },
  {
    name: "invalid trigger source",
    spec: spec({ type: "STOP_MARKET", price: undefined, triggerPrice: "110", triggerSource: "INDEX" as never }),
    code: "INVALID_TRIGGER_SOURCE",
  },
  { name: "symbol differs from the instrument", spec: spec({ symbol: "ETH/USDT" }), code: "UNKNOWN_SYMBOL", says: "ETH/USDT" },
  { name: "empty symbol", spec: spec({ symbol: "" }), ctx: { instrument: undefined }, code: "UNKNOWN_SYMBOL" },
  { name: "zero quantity", spec: spec({ quantity: 0 }), code: "INVALID_QUANTITY" },
  { name: "negative quantity", spec: spec({ quantity: "-1" }), code: "INVALID_QUANTITY", says: "-1" },
  { name: "NaN quantity", spec: spec({ quantity: Number.NaN }), code: "INVALID_QUANTITY" },
  { name: "infinite quantity", spec: spec({ quantity: Infinity }), code: "INVALID_QUANTITY" },
  { name: "malformed quantity string", spec: spec({ quantity: "1.2.3" }), code: "INVALID_QUANTITY", says: "1.2.3" },
  { name: "absurd quantity", spec: spec({ quantity: "2e15" }), ctx: { instrument: undefined }, code: "INVALID_QUANTITY" },
  { name: "negative price", spec: spec({ price: "-100" }), code: "INVALID_PRICE", says: "-100" },
  { name: "malformed price", spec: spec({ price: "abc" }), code: "INVALID_PRICE" },
  { name: "limit without price", spec: spec({ price: undefined }), code: "MISSING_PRICE" },
  { name: "stop limit without price", spec: spec({ type: "STOP_LIMIT", price: undefined, triggerPrice: "110" }), code: "MISSING_PRICE" },
  {
    name: "trailing stop limit without price or limit offset",
    spec: spec({ type: "TRAILING_STOP_LIMIT", price: undefined, trailingOffset: "5" }),
    code: "MISSING_PRICE",
  },
  { name: "market with a price", spec: spec({ type: "MARKET", price: "100" }), code: "UNEXPECTED_PRICE" },
  { name: "stop market with a price", spec: spec({ type: "STOP_MARKET", price: "100", triggerPrice: "110" }), code: "UNEXPECTED_PRICE" },
  { name: "stop without trigger", spec: spec({ type: "STOP_MARKET", price: undefined }), code: "MISSING_TRIGGER_PRICE" },
  { name: "take-profit limit without trigger", spec: spec({ type: "TAKE_PROFIT_LIMIT" }), code: "MISSING_TRIGGER_PRICE" },
  { name: "zero trigger", spec: spec({ type: "STOP_MARKET", price: undefined, triggerPrice: "0" }), code: "INVALID_TRIGGER_PRICE" },
  { name: "infinite trigger", spec: spec({ type: "STOP_MARKET", price: undefined, triggerPrice: Infinity }), code: "INVALID_TRIGGER_PRICE" },
  { name: "limit with a trigger", spec: spec({ triggerPrice: "90" }), code: "UNEXPECTED_TRIGGER_PRICE" },
  { name: "trailing stop without offset", spec: spec({ type: "TRAILING_STOP_MARKET", price: undefined }), code: "MISSING_TRAILING_OFFSET" },
  { name: "negative trailing offset", spec: spec({ type: "TRAILING_STOP_MARKET", price: undefined, trailingOffset: "-5" }), code: "INVALID_TRAILING_OFFSET" },
  {
    name: "trailing offset of 100%",
    spec: spec({ type: "TRAILING_STOP_MARKET", price: undefined, trailingOffset: "10000", trailingOffsetType: "BASIS_POINTS" }),
    code: "INVALID_TRAILING_OFFSET",
    says: "10000",
  },
  {
    name: "invalid trailing offset type",
    spec: spec({ type: "TRAILING_STOP_MARKET", price: undefined, trailingOffset: "5", trailingOffsetType: "PERCENT" as never }),
    code: "INVALID_TRAILING_OFFSET",
  },
  {
    name: "negative limit offset",
    spec: spec({ type: "TRAILING_STOP_LIMIT", price: undefined, trailingOffset: "5", limitOffset: "-1" }),
    code: "INVALID_TRAILING_OFFSET",
  },
  { name: "trailing offset on a limit", spec: spec({ trailingOffset: "5" }), code: "UNEXPECTED_TRAILING_OFFSET" },
  {
    name: "limit offset on a trailing stop market",
    spec: spec({ type: "TRAILING_STOP_MARKET", price: undefined, trailingOffset: "5", limitOffset: "1" }),
    code: "UNEXPECTED_TRAILING_OFFSET",
  },
  {
    name: "bad activation price",
    spec: spec({ type: "TRAILING_STOP_MARKET", price: undefined, trailingOffset: "5", activationPrice: "x" }),
    code: "INVALID_ACTIVATION_PRICE",
  },
  { name: "GTD without expiry", spec: spec({ timeInForce: "GTD" }), code: "GTD_WITHOUT_EXPIRY" },
  { name: "GTD with a NaN expiry", spec: spec({ timeInForce: "GTD", expireAt: Number.NaN }), code: "GTD_WITHOUT_EXPIRY" },
  { name: "GTD in the past", spec: spec({ timeInForce: "GTD", expireAt: NOW - 1 }), code: "GTD_IN_PAST", says: "2023-11-14T22:13:19.999Z" },
  { name: "GTD expiring now", spec: spec({ timeInForce: "GTD", expireAt: NOW }), code: "GTD_IN_PAST" },
  { name: "GTD beyond 90 days", spec: spec({ timeInForce: "GTD", expireAt: NOW + MAX_GTD_AHEAD_MS + 1 }), code: "GTD_TOO_FAR", says: "90 days" },
  { name: "GTD with seconds sent as ms", spec: spec({ timeInForce: "GTD", expireAt: NOW * 1000 }), code: "GTD_TOO_FAR" },
  { name: "expiry without GTD", spec: spec({ expireAt: NOW + 60_000 }), code: "EXPIRY_WITHOUT_GTD", says: "GTC" },
  { name: "post-only market", spec: spec({ type: "MARKET", price: undefined, postOnly: true }), code: "POST_ONLY_NOT_LIMIT" },
  { name: "post-only stop market", spec: spec({ type: "STOP_MARKET", price: undefined, triggerPrice: "110", postOnly: true }), code: "POST_ONLY_NOT_LIMIT" },
  { name: "post-only IOC", spec: spec({ postOnly: true, timeInForce: "IOC" }), code: "POST_ONLY_WITH_IOC_FOK", says: "IOC" },
  { name: "post-only FOK", spec: spec({ postOnly: true, timeInForce: "FOK" }), code: "POST_ONLY_WITH_IOC_FOK" },
  // trigger side: last = 100, bid 99, ask 101
  {
    name: "BUY stop below the market",
    spec: spec({ type: "STOP_MARKET", price: undefined, triggerPrice: "95" }),
    code: "TRIGGER_WRONG_SIDE",
    says: "above the market price 100",
  },
  { name: "BUY stop at the market", spec: spec({ type: "STOP_MARKET", price: undefined, triggerPrice: "100" }), code: "TRIGGER_WRONG_SIDE" },
  {
    name: "SELL stop above the market",
    spec: spec({ side: "SELL", type: "STOP_LIMIT", price: "104", triggerPrice: "105" }),
    code: "TRIGGER_WRONG_SIDE",
    says: "below",
  },
  {
    name: "BUY take-profit above the market",
    spec: spec({ type: "TAKE_PROFIT_MARKET", price: undefined, triggerPrice: "105" }),
    code: "TRIGGER_WRONG_SIDE",
    says: "below",
  },
  {
    name: "SELL take-profit below the market",
    spec: spec({ side: "SELL", type: "TAKE_PROFIT_LIMIT", price: "94", triggerPrice: "95" }),
    code: "TRIGGER_WRONG_SIDE",
  },
  { name: "SELL LIT below the market", spec: spec({ side: "SELL", type: "LIMIT_IF_TOUCHED", price: "94", triggerPrice: "95" }), code: "TRIGGER_WRONG_SIDE" },
  {
    name: "SELL trailing stop with an initial trigger above",
    spec: spec({ side: "SELL", type: "TRAILING_STOP_MARKET", price: undefined, triggerPrice: "102", trailingOffset: "2" }),
    code: "TRIGGER_WRONG_SIDE",
  },
  {
    name: "BUY stop on BID_ASK compared with the ask",
    spec: spec({ type: "STOP_MARKET", price: undefined, triggerPrice: "100.5", triggerSource: "BID_ASK" }),
    code: "TRIGGER_WRONG_SIDE",
    says: "101",
  },
  {
    name: "trigger compared with the ask when there is no last",
    spec: spec({ type: "STOP_MARKET", price: undefined, triggerPrice: "100.5" }),
    ctx: { market: { bid: 99, ask: 101 } },
    code: "TRIGGER_WRONG_SIDE",
  },
  // instrument
  { name: "quantity off the step", spec: spec({ quantity: "0.0005" }), code: "QTY_PRECISION", says: "0.0005" },
  { name: "zero quantity written with decimals", spec: spec({ quantity: "0.000" }), code: "INVALID_QUANTITY" },
  { name: "quantity above the maximum", spec: spec({ quantity: "150" }), code: "MAX_QUANTITY", says: "100" },
  { name: "price off the tick", spec: spec({ price: "100.05" }), code: "PRICE_PRECISION", says: "100.05" },
  {
    name: "trigger off the tick",
    spec: spec({ type: "STOP_LIMIT", price: "110", triggerPrice: "109.95" }),
    code: "PRICE_PRECISION",
    says: "trigger price 109.95",
  },
  { name: "min notional at the limit price", spec: spec({ quantity: "0.01", price: "100" }), code: "MIN_NOTIONAL", says: "1" },
  {
    name: "min notional at the trigger",
    spec: spec({ type: "STOP_MARKET", price: undefined, quantity: "0.04", triggerPrice: "110" }),
    code: "MIN_NOTIONAL",
    says: "4.4",
  },
  { name: "min notional of a market buy at the ask", spec: spec({ type: "MARKET", price: undefined, quantity: "0.049" }), code: "MIN_NOTIONAL", says: "4.949" },
  { name: "max notional", spec: spec({ quantity: "99", price: "20000" }), code: "MAX_NOTIONAL" },
];

describe("validateOrderSpec refusals", () => {
  it.each(rows)("$name → $code", (row) => {
    const result = validateOrderSpec(row.spec, ctx(row.ctx));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe(row.code);
      expect(result.error.message.length).toBeGreaterThan(15);
      if (row.says !== undefined) expect(result.error.message).toContain(row.says);
    }
  });

  it("covers every validation code", () => {
    const codes: OrderValidationCode[] = [
      "INVALID_CLIENT_ORDER_ID",
      "INVALID_SIDE",
      "INVALID_ORDER_TYPE",
      "INVALID_TIME_IN_FORCE",
      "INVALID_TRIGGER_SOURCE",
      "UNKNOWN_SYMBOL",
      "INVALID_QUANTITY",
      "INVALID_PRICE",
      "MISSING_PRICE",
      "UNEXPECTED_PRICE",
      "MISSING_TRIGGER_PRICE",
      "INVALID_TRIGGER_PRICE",
      "UNEXPECTED_TRIGGER_PRICE",
      "MISSING_TRAILING_OFFSET",
      "INVALID_TRAILING_OFFSET",
      "UNEXPECTED_TRAILING_OFFSET",
      "INVALID_ACTIVATION_PRICE",
      "GTD_WITHOUT_EXPIRY",
      "GTD_IN_PAST",
      "GTD_TOO_FAR",
      "EXPIRY_WITHOUT_GTD",
      "POST_ONLY_NOT_LIMIT",
      "POST_ONLY_WITH_IOC_FOK",
      "TRIGGER_WRONG_SIDE",
      "PRICE_PRECISION",
      "QTY_PRECISION",
      "MIN_QUANTITY",
      "MAX_QUANTITY",
      "MIN_NOTIONAL",
      "MAX_NOTIONAL",
    ];
    const tested = new Set(rows.map((r) => r.code));
    tested.add("MIN_QUANTITY"); // covered by its own test below (needs an instrument whose minimum is above the step)
    expect(codes.filter((c) => !tested.has(c))).toEqual([]);
  });

  it("refuses a quantity below the instrument minimum", () => {
    const eth = makeInstrument({ symbol: "ETH/USDT", priceTick: "0.01", qtyStep: "0.001", minQty: "0.01" });
    const result = validateOrderSpec(spec({ symbol: "ETH/USDT", quantity: "0.005" }), { now: NOW, instrument: eth });
    expect(result).toMatchObject({ ok: false, error: { code: "MIN_QUANTITY" } });
  });
});

describe("validateOrderSpec precedence", () => {
  it.each<[string, OrderSpec, OrderValidationCode]>([
    ["client order id before quantity", spec({ clientOrderId: "bad id", quantity: -1 }), "INVALID_CLIENT_ORDER_ID"],
    ["symbol before quantity", spec({ symbol: "ETH/USDT", quantity: -1 }), "UNKNOWN_SYMBOL"],
    ["quantity before price", spec({ quantity: "x", price: "y" }), "INVALID_QUANTITY"],
    ["price before trigger", spec({ type: "STOP_LIMIT", price: undefined, triggerPrice: undefined }), "MISSING_PRICE"],
    ["expiry before post-only", spec({ timeInForce: "GTD", postOnly: true, type: "MARKET", price: undefined }), "GTD_WITHOUT_EXPIRY"],
    ["post-only before the trigger side", spec({ type: "STOP_MARKET", price: undefined, triggerPrice: "50", postOnly: true }), "POST_ONLY_NOT_LIMIT"],
    ["trigger side before the instrument", spec({ type: "STOP_MARKET", price: undefined, triggerPrice: "50.05" }), "TRIGGER_WRONG_SIDE"],
    ["quantity step before price tick", spec({ quantity: "0.0005", price: "100.05" }), "QTY_PRECISION"],
  ])("%s", (_name, s, code) => {
    expect(validateOrderSpec(s, ctx())).toMatchObject({ ok: false, error: { code } });
  });
});

describe("validateOrderSpec accepts and normalizes", () => {
  it("normalizes a limit order to Decimals with defaults", () => {
    const result = validateOrderSpec(spec({ quantity: "0.500", price: 100.5 }), ctx());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const n = result.value;
    expect(n.quantity.toString()).toBe("0.5");
    expect(n.price?.toString()).toBe("100.5");
    expect(n.triggerPrice).toBeUndefined();
    expect(n.timeInForce).toBe("GTC");
    expect(n.triggerSource).toBe("LAST");
    expect(n.postOnly).toBe(false);
    expect(n.reduceOnly).toBe(false);
    expect(n.ts).toBe(NOW);
    // The normalized spec builds an order directly.
    const order = createOrder(n);
    expect(order.quantity.toString()).toBe("0.5");
    expect(order.createdAt).toBe(NOW);
  });

  it.each<[string, OrderSpec, Partial<ValidationContext>?]>([
    ["market buy", spec({ type: "MARKET", price: undefined, quantity: "0.05" })],
    ["BUY stop above the market", spec({ type: "STOP_MARKET", price: undefined, triggerPrice: "100.1" })],
    ["SELL stop below the market", spec({ side: "SELL", type: "STOP_LIMIT", price: "94.5", triggerPrice: "95" })],
    ["BUY take-profit below the market", spec({ type: "TAKE_PROFIT_LIMIT", price: "95.5", triggerPrice: "95" })],
    ["SELL LIT above the market", spec({ side: "SELL", type: "LIMIT_IF_TOUCHED", price: "105", triggerPrice: "105" })],
    ["BUY stop on LAST uses last, not the ask", spec({ type: "STOP_MARKET", price: undefined, triggerPrice: "100.5" })],
    ["trigger side skipped without market data", spec({ type: "STOP_MARKET", price: undefined, triggerPrice: "50" }), { market: undefined }],
    ["trailing stop with an offset only", spec({ type: "TRAILING_STOP_MARKET", price: undefined, trailingOffset: "50", quantity: "0.1" })],
    [
      "trailing stop limit with a limit offset",
      spec({ side: "SELL", type: "TRAILING_STOP_LIMIT", price: undefined, trailingOffset: "25", trailingOffsetType: "BASIS_POINTS", limitOffset: "0" }),
    ],
    ["post-only GTD limit", spec({ postOnly: true, timeInForce: "GTD", expireAt: NOW + 1 })],
    ["GTD expiring exactly 90 days ahead", spec({ timeInForce: "GTD", expireAt: NOW + MAX_GTD_AHEAD_MS })],
    ["no instrument: no precision checks", spec({ quantity: "0.0000001", price: "0.000001" }), { instrument: undefined }],
    ["linked and parent ids", spec({ linkedClientOrderIds: ["a-1"], parentClientOrderId: "p-1", listId: "L1", contingency: "OCO" })],
  ])("%s", (_name, s, over) => {
    const result = validateOrderSpec(s, ctx(over));
    if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
    expect(result.ok).toBe(true);
  });

  it("keeps a trailing stop's offsets as Decimals", () => {
    const result = validateOrderSpec(
      spec({
        side: "SELL",
        type: "TRAILING_STOP_LIMIT",
        price: undefined,
        trailingOffset: "25",
        trailingOffsetType: "BASIS_POINTS",
        activationPrice: "110",
        limitOffset: "1.5",
      }),
      ctx(),
    );
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.trailingOffset?.toString()).toBe("25");
    expect(result.value.trailingOffsetType).toBe("BASIS_POINTS");
    expect(result.value.activationPrice?.toString()).toBe("110");
    expect(result.value.limitOffset?.toString()).toBe("1.5");
    expect(createOrder(result.value).trailing?.activated).toBe(false);
  });

  it("keeps the spec's own timestamp", () => {
    const result = validateOrderSpec(spec({ ts: 42 }), ctx());
    expect(result.ok && result.value.ts).toBe(42);
  });
});

describe("validateOrderSpec: a plain market order", () => {
  it("is normalized to the fields it uses, read and printed as the full spec reads", () => {
    const tags = { positionId: "pos-1", reason: "entry" };
    const r = validateOrderSpec({ clientOrderId: "ord-2", symbol: "BTC/USDT", side: "SELL", type: "MARKET", quantity: "0.25", tags, venue: "sim" }, ctx());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const v = r.value;
    expect(JSON.stringify(v)).toBe(
      '{"clientOrderId":"ord-2","symbol":"BTC/USDT","side":"SELL","type":"MARKET","quantity":"0.25","triggerSource":"LAST","timeInForce":"GTC","postOnly":false,"reduceOnly":false,"tags":{"positionId":"pos-1","reason":"entry"},"venue":"sim","ts":1700000000000}',
    );
    expect([v.price, v.triggerPrice, v.trailingOffset, v.expireAt, v.listId, v.linkedClientOrderIds]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(v.tags).toBe(tags);
    // A market order with a list's fields keeps them (the full spec).
    const leg = validateOrderSpec(
      { clientOrderId: "ord-3", symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "1", listId: "l-1", contingency: "OCO" },
      ctx(),
    );
    expect(leg.ok && [leg.value.listId, leg.value.contingency]).toEqual(["l-1", "OCO"]);
  });
});

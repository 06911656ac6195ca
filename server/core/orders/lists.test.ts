import { describe, expect, it } from "vitest";
import { applyOrderEvent, createOrder } from "./fsm";
import { bracketReaction, createBracket, createOcoList, ocoReaction, type Bracket, type BracketCode, type BracketInput } from "./lists";
import { type Order, type OrderEvent, type OrderSpec } from "./types";

/** Applies events that must all succeed. */
function step(order: Order, ...events: OrderEvent[]): Order {
  for (const event of events) {
    const result = applyOrderEvent(order, event);
    if (!result.ok) throw new Error(`${event.type} refused: ${result.error.message}`);
    order = result.order;
  }
  return order;
}
const live = (o: Order): Order => step(o, { type: "submit" }, { type: "accept" });
const fill = (tradeId: string, qty: string, price = "100"): OrderEvent => ({ type: "fill", tradeId, qty, price });

describe("OCO lists", () => {
  const tp: OrderSpec = { clientOrderId: "tp-1", symbol: "BTC/USDT", side: "SELL", type: "LIMIT", quantity: "1", price: "110" };
  const sl: OrderSpec = { clientOrderId: "sl-1", symbol: "BTC/USDT", side: "SELL", type: "STOP_MARKET", quantity: "1", triggerPrice: "90" };

  it("links the two specs to each other", () => {
    const [a, b] = createOcoList("L1", tp, sl);
    expect(a).toMatchObject({ clientOrderId: "tp-1", listId: "L1", contingency: "OCO", linkedClientOrderIds: ["sl-1"], price: "110" });
    expect(b).toMatchObject({ clientOrderId: "sl-1", listId: "L1", contingency: "OCO", linkedClientOrderIds: ["tp-1"], triggerPrice: "90" });
    expect(tp.listId).toBeUndefined(); // inputs untouched
  });

  it("throws on two legs with the same id", () => {
    expect(() => createOcoList("L1", tp, { ...sl, clientOrderId: "tp-1" })).toThrow(TypeError);
  });

  const [tpSpec, slSpec] = createOcoList("L1", tp, sl);
  const tpLive = live(createOrder(tpSpec));
  const slLive = live(createOrder(slSpec));

  it.each<[string, Order, Order[], string[]]>([
    ["full fill cancels the sibling", step(tpLive, fill("t1", "1")), [slLive], ["sl-1"]],
    ["partial fill cancels the sibling", step(tpLive, fill("t1", "0.4")), [slLive], ["sl-1"]],
    ["a cancel of one leg cancels the other", step(tpLive, { type: "cancel" }), [slLive], ["sl-1"]],
    ["an expiry of one leg cancels the other", step(tpLive, { type: "expire" }), [slLive], ["sl-1"]],
    ["a rejection cancels the other", step(createOrder(tpSpec), { type: "submit" }, { type: "reject", reason: "x" }), [slLive], ["sl-1"]],
    ["an unsent sibling is canceled too", step(tpLive, fill("t1", "1")), [createOrder(slSpec)], ["sl-1"]],
    ["an accept does nothing", tpLive, [slLive], []],
    ["a pending cancel does nothing", step(tpLive, { type: "cancelRequest" }), [slLive], []],
    ["a sibling already canceled is left alone", step(tpLive, fill("t1", "1")), [step(slLive, { type: "cancel" })], []],
    ["a sibling already being canceled is left alone", step(tpLive, fill("t1", "1")), [step(slLive, { type: "cancelRequest" })], []],
    ["a sibling that filled is left alone", step(tpLive, fill("t1", "1")), [step(slLive, fill("t2", "1"))], []],
    ["a non-OCO order does nothing", step(live(createOrder(tp)), fill("t1", "1")), [slLive], []],
  ])("%s", (_name, changed, others, expected) => {
    expect(ocoReaction([...others, tpLive], changed)).toEqual(expected);
  });

  it("uses the changed order's own version over a stale copy in the list", () => {
    const filled = step(tpLive, fill("t1", "1"));
    // The stale copy of tp in the list must not make tp its own sibling or be canceled.
    expect(ocoReaction([tpLive, slLive], filled)).toEqual(["sl-1"]);
  });
});

describe("brackets", () => {
  const input: BracketInput = {
    listId: "B1",
    entry: { clientOrderId: "en-1", symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "2", price: "100" },
    stopLoss: { clientOrderId: "sl-1", symbol: "BTC/USDT", type: "STOP_MARKET", triggerPrice: "95" },
    takeProfit: { clientOrderId: "tp-1", symbol: "BTC/USDT", type: "LIMIT", price: "110" },
  };

  function build(over: Partial<BracketInput> = {}): Bracket {
    const result = createBracket({ ...input, ...over });
    if (!result.ok) throw new Error(result.error.message);
    return result.value;
  }

  it("links entry and legs", () => {
    const b = build();
    expect(b.entry).toMatchObject({ listId: "B1", contingency: "OTO", linkedClientOrderIds: ["sl-1", "tp-1"], tags: { reason: "entry" } });
    expect(b.stopLoss).toMatchObject({
      side: "SELL",
      quantity: "2",
      reduceOnly: true,
      listId: "B1",
      contingency: "OCO",
      linkedClientOrderIds: ["tp-1"],
      parentClientOrderId: "en-1",
      tags: { reason: "stop_loss" },
    });
    expect(b.takeProfit).toMatchObject({
      side: "SELL",
      quantity: "2",
      reduceOnly: true,
      contingency: "OCO",
      linkedClientOrderIds: ["sl-1"],
      parentClientOrderId: "en-1",
      tags: { reason: "take_profit" },
    });
  });

  it("builds a short bracket with BUY legs", () => {
    const b = build({
      entry: { ...input.entry, side: "SELL" },
      stopLoss: { ...input.stopLoss, triggerPrice: "105" },
      takeProfit: { ...input.takeProfit, price: "90" },
    });
    expect(b.stopLoss.side).toBe("BUY");
    expect(b.takeProfit.side).toBe("BUY");
  });

  it("accepts a market entry and keeps caller tags", () => {
    const b = build({ entry: { ...input.entry, type: "MARKET", price: undefined, tags: { reason: "signal", signalId: "s1" } } });
    expect(b.entry.tags).toEqual({ reason: "signal", signalId: "s1" });
  });

  it.each<[string, Partial<BracketInput>, BracketCode]>([
    ["duplicate ids", { takeProfit: { ...input.takeProfit, clientOrderId: "sl-1" } }, "DUPLICATE_CLIENT_ORDER_ID"],
    ["leg on another symbol", { stopLoss: { ...input.stopLoss, symbol: "ETH/USDT" } }, "BRACKET_SYMBOL"],
    ["leg on the entry's side", { takeProfit: { ...input.takeProfit, side: "BUY" } }, "BRACKET_SIDE"],
    ["leg quantity differs", { stopLoss: { ...input.stopLoss, quantity: "1" } }, "BRACKET_QUANTITY"],
    ["a limit as stop-loss", { stopLoss: { ...input.stopLoss, type: "LIMIT", triggerPrice: undefined, price: "95" } }, "BRACKET_LEG_TYPE"],
    ["a stop as take-profit", { takeProfit: { ...input.takeProfit, type: "STOP_MARKET", price: undefined, triggerPrice: "110" } }, "BRACKET_LEG_TYPE"],
    ["long stop-loss above the entry", { stopLoss: { ...input.stopLoss, triggerPrice: "101" } }, "BRACKET_PRICES"],
    ["long take-profit below the entry", { takeProfit: { ...input.takeProfit, price: "99" } }, "BRACKET_PRICES"],
    [
      "market entry with stop above take-profit",
      { entry: { ...input.entry, type: "MARKET", price: undefined }, stopLoss: { ...input.stopLoss, triggerPrice: "120" } },
      "BRACKET_PRICES",
    ],
  ])("refuses %s", (_name, over, code) => {
    const result = createBracket({ ...input, ...over });
    expect(result).toMatchObject({ ok: false, error: { code } });
  });

  // Orders of a built bracket, legs held INITIALIZED until the entry fills.
  const b = build();
  const entry = live(createOrder(b.entry));
  const stopLoss = createOrder(b.stopLoss);
  const takeProfit = createOrder(b.takeProfit);
  const sizes = (xs: { clientOrderId: string; quantity: { toString(): string } }[]) => xs.map((x) => `${x.clientOrderId}:${x.quantity.toString()}`);

  it("submits both legs with the entry's quantity when it fills", () => {
    const filled = step(entry, fill("t1", "2"));
    const intents = bracketReaction([entry, stopLoss, takeProfit], filled);
    expect(sizes(intents.submit)).toEqual(["sl-1:2", "tp-1:2"]);
    expect(intents.resize).toEqual([]);
    expect(intents.cancel).toEqual([]);
  });

  it("activates legs sized to a partial entry fill, then grows them with later fills", () => {
    const partial = step(entry, fill("t1", "0.5"));
    const first = bracketReaction([entry, stopLoss, takeProfit], partial);
    expect(sizes(first.submit)).toEqual(["sl-1:0.5", "tp-1:0.5"]);

    // The engine submitted the legs at 0.5; a second fill grows them.
    const slLive = live(createOrder({ ...b.stopLoss, quantity: "0.5" }));
    const tpLive = live(createOrder({ ...b.takeProfit, quantity: "0.5" }));
    const more = step(partial, fill("t2", "1"));
    const second = bracketReaction([more, slLive, tpLive], more);
    expect(second.submit).toEqual([]);
    expect(sizes(second.resize)).toEqual(["sl-1:1.5", "tp-1:1.5"]);
    expect(second.cancel).toEqual([]);
  });

  it("does not resize legs that already cover the fill", () => {
    const slLive = live(createOrder(b.stopLoss));
    const tpLive = live(createOrder(b.takeProfit));
    const intents = bracketReaction([slLive, tpLive], step(entry, fill("t1", "1")));
    expect(intents).toEqual({ submit: [], resize: [], cancel: [] });
  });

  it.each<[string, OrderEvent[]]>([
    ["canceled", [{ type: "cancel" }]],
    ["expired", [{ type: "expire" }]],
  ])("cancels both legs when the entry is %s without a fill", (_name, events) => {
    const intents = bracketReaction([stopLoss, takeProfit], step(entry, ...events));
    expect(intents).toEqual({ submit: [], resize: [], cancel: ["sl-1", "tp-1"] });
  });

  it("cancels both legs when the entry is rejected", () => {
    const rejected = step(createOrder(b.entry), { type: "submit" }, { type: "reject", reason: "insufficient balance" });
    expect(bracketReaction([stopLoss, takeProfit], rejected).cancel).toEqual(["sl-1", "tp-1"]);
  });

  it("keeps legs sized to the fill when a partially filled entry is canceled", () => {
    const canceled = step(entry, fill("t1", "0.5"), { type: "cancel" });
    const intents = bracketReaction([stopLoss, takeProfit], canceled);
    expect(sizes(intents.submit)).toEqual(["sl-1:0.5", "tp-1:0.5"]);
    expect(intents.cancel).toEqual([]);
  });

  it("does nothing while the entry is merely accepted", () => {
    expect(bracketReaction([stopLoss, takeProfit], entry)).toEqual({ submit: [], resize: [], cancel: [] });
  });

  it("cancels the sibling when a leg fills, and the entry's remainder if still working", () => {
    const partialEntry = step(entry, fill("t1", "1"));
    const slLive = live(createOrder({ ...b.stopLoss, quantity: "1" }));
    const tpLive = live(createOrder({ ...b.takeProfit, quantity: "1" }));
    const slFilled = step(slLive, { type: "trigger" }, fill("t2", "1", "95"));
    expect(bracketReaction([partialEntry, slLive, tpLive], slFilled)).toEqual({ submit: [], resize: [], cancel: ["tp-1", "en-1"] });
  });

  it("cancels the sibling on a partial leg fill; a filled entry is not canceled", () => {
    const filledEntry = step(entry, fill("t1", "2"));
    const slLive = live(createOrder(b.stopLoss));
    const tpLive = live(createOrder(b.takeProfit));
    const tpPartial = step(tpLive, fill("t2", "0.5", "110"));
    expect(bracketReaction([filledEntry, slLive, tpLive], tpPartial)).toEqual({ submit: [], resize: [], cancel: ["sl-1"] });
  });

  it("leaves the other leg when a leg is canceled without a fill", () => {
    const filledEntry = step(entry, fill("t1", "2"));
    const slLive = live(createOrder(b.stopLoss));
    const tpCanceled = step(live(createOrder(b.takeProfit)), { type: "cancel" });
    expect(bracketReaction([filledEntry, slLive], tpCanceled)).toEqual({ submit: [], resize: [], cancel: [] });
  });
});

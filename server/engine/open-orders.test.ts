import { describe, expect, it } from "vitest";
import { seededRng } from "../core/rng";
import { D, Decimal } from "../core/money";
import { applyOrderEvent, createOrder, type Order, type OrderSide } from "../core/orders";
import { OpenOrderBook, reservedFromScratch, workingReduceOnlyFromScratch } from "./open-orders";

interface Rec {
  order: Order;
  meta: { tag: number };
}

const SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT"];

type Exits = Map<string, Partial<Record<OrderSide, Decimal>>>;
const plain = (m: Map<string, Decimal>) => Object.fromEntries([...m].map(([k, v]) => [k, v.toString()]));
const plainExits = (m: Exits) => Object.fromEntries([...m].map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([s, q]) => [s, q.toString()]))]));

function step(order: Order, event: Parameters<typeof applyOrderEvent>[1]): Order {
  const r = applyOrderEvent(order, event);
  if (!r.ok) throw new Error(r.error.message);
  return r.order;
}

describe("OpenOrderBook running sums", () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])("equal a from-scratch sum after a random sequence of placements, fills, cancels and restarts (seed %i)", (seed) => {
    const source = seededRng(seed);
    const rng = () => source.next();
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
    const decimal = (max: number, places: number) => D((Math.floor(rng() * max * 10 ** places) + 1) / 10 ** places).toDecimalPlaces(places);
    let book = new OpenOrderBook<Rec>();
    const marks = new Map<string, Decimal>();
    const markOf = (s: string) => marks.get(s) ?? null;
    let seq = 0;
    let fills = 0;
    const check = () => {
      const orders = [...book.values()].map((r) => r.order);
      expect(plain(book.reserved(markOf).bySymbol)).toEqual(plain(reservedFromScratch(orders, markOf)));
      const total = [...reservedFromScratch(orders, markOf).values()].reduce((a, b) => a.plus(b), D(0));
      expect(book.reserved(markOf).total.toString()).toBe(total.toString());
      expect(plainExits(book.workingReduceOnly())).toEqual(plainExits(workingReduceOnlyFromScratch(orders)));
      const some = orders.length > 0 ? pick(orders).clientOrderId : "none";
      expect(plainExits(book.workingReduceOnly(some))).toEqual(plainExits(workingReduceOnlyFromScratch(orders, some)));
    };
    for (let i = 0; i < 400; i++) {
      const roll = rng();
      const records = [...book.values()].filter((r) => !["FILLED", "CANCELED", "EXPIRED", "REJECTED"].includes(r.order.status));
      if (roll < 0.35 || records.length === 0) {
        const type = pick(["LIMIT", "LIMIT", "MARKET", "STOP_MARKET"] as const);
        const base = {
          clientOrderId: `c${++seq}`,
          symbol: pick(SYMBOLS),
          side: pick(["BUY", "SELL"] as const),
          type,
          quantity: decimal(5, 5),
          reduceOnly: rng() < 0.3,
        };
        const spec = type === "LIMIT" ? { ...base, price: decimal(30000, 2) } : type === "STOP_MARKET" ? { ...base, triggerPrice: decimal(30000, 2) } : base;
        const order = step(createOrder(spec), { type: "submit" });
        book.set(order.clientOrderId, { order, meta: { tag: i } });
      } else if (roll < 0.55) {
        // A fill for part (or all) of what is left, replacing the record's order in place, as the engine does.
        const record = pick(records);
        if (record.order.status === "SUBMITTED")
          book.replaceOrder(record, step(record.order, { type: "accept", venueOrderId: `v${record.order.clientOrderId}` }));
        const leaves = record.order.quantity.minus(record.order.filledQty);
        const qty = rng() < 0.3 ? leaves : leaves.times(rng()).toDecimalPlaces(5, Decimal.ROUND_DOWN);
        if (qty.greaterThan(0)) book.replaceOrder(record, step(record.order, { type: "fill", tradeId: `t${++fills}`, qty: qty.toString(), price: 20000 }));
        if (record.order.status === "FILLED" && rng() < 0.7) book.delete(record.order.clientOrderId);
      } else if (roll < 0.7) {
        const record = pick(records);
        if (record.order.status === "SUBMITTED")
          book.replaceOrder(record, step(record.order, { type: "accept", venueOrderId: `v${record.order.clientOrderId}` }));
        if (record.order.status !== "PENDING_CANCEL") book.replaceOrder(record, step(record.order, { type: "cancelRequest" }));
        if (rng() < 0.8) {
          book.replaceOrder(record, step(record.order, { type: "cancel" }));
          book.delete(record.order.clientOrderId);
        }
      } else if (roll < 0.78) {
        // An emulated trailing stop moves its limit price: the order replaced in place, no set().
        const record = pick(records);
        if (record.order.price) book.replaceOrder(record, { ...record.order, price: decimal(30000, 2) });
      } else if (roll < 0.86) {
        // set() again with the same record, and with a fresh record for the same order (restore paths).
        const record = pick(records);
        if (rng() < 0.5) book.set(record.order.clientOrderId, record);
        else book.set(record.order.clientOrderId, { order: record.order, meta: record.meta });
      } else if (roll < 0.94) {
        marks.set(pick(SYMBOLS), decimal(30000, 2));
      } else {
        // A restart: a new book from the open records, as the engine restores them from the store.
        const open = [...book.values()].filter((r) => !["FILLED", "CANCELED", "EXPIRED", "REJECTED"].includes(r.order.status));
        const old = book;
        book = new OpenOrderBook<Rec>();
        old.clear();
        for (const r of open) book.set(r.order.clientOrderId, { order: r.order, meta: r.meta });
      }
      check();
    }
  });

  it("a record taken out of the book no longer changes the sums when its order is replaced", () => {
    const book = new OpenOrderBook<Rec>();
    const order = step(createOrder({ clientOrderId: "a", symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "2", price: "100" }), { type: "submit" });
    const record: Rec = { order, meta: { tag: 1 } };
    book.set("a", record);
    expect(book.reserved(() => null).total.toString()).toBe("200");
    book.replaceOrder(record, { ...order, price: D(50) });
    expect(book.reserved(() => null).total.toString()).toBe("100");
    book.delete("a");
    book.replaceOrder(record, { ...order, price: D(10) });
    expect(book.reserved(() => null).total.toString()).toBe("0");
    expect(record.order.price?.toString()).toBe("10");
  });

  it("prices orders without a limit price at the mark when read, and leaves them out without one", () => {
    const book = new OpenOrderBook<Rec>();
    const order = step(createOrder({ clientOrderId: "m", symbol: "ETH/USDT", side: "BUY", type: "MARKET", quantity: "1.5" }), { type: "submit" });
    book.set("m", { order, meta: { tag: 1 } });
    expect(book.reserved(() => null).bySymbol.size).toBe(0);
    expect(plain(book.reserved(() => D("2000.5")).bySymbol)).toEqual({ "ETH/USDT": "3000.75" });
  });

  it("answers nothing held with one shared map that refuses writes, and a map of its own once something is held", () => {
    const book = new OpenOrderBook<Rec>();
    const empty = book.reserved(() => null).bySymbol;
    expect(book.workingReduceOnly()).toBe(empty);
    expect(() => empty.set("BTC/USDT", D(1))).toThrow(TypeError);
    expect(empty.size).toBe(0);
    const order = step(createOrder({ clientOrderId: "x", symbol: "BTC/USDT", side: "SELL", type: "LIMIT", quantity: "1", price: "100", reduceOnly: true }), {
      type: "submit",
    });
    book.set("x", { order, meta: { tag: 1 } });
    const exits = book.workingReduceOnly();
    expect(exits).not.toBe(empty);
    expect(plainExits(exits)).toEqual({ "BTC/USDT": { SELL: "1" } });
    // Its own map: changing it changes no later answer.
    exits.delete("BTC/USDT");
    expect(plainExits(book.workingReduceOnly())).toEqual({ "BTC/USDT": { SELL: "1" } });
    book.delete("x");
    expect(book.workingReduceOnly()).toBe(empty);
  });
});

describe("OpenOrderBook.heldFor (the records of one group, e.g. a position)", () => {
  interface Grouped {
    order: Order;
    meta: { positionId: string | null };
  }
  const GROUPS = ["p1", "p2", "p3", null];

  it.each([1, 2, 3, 4, 5, 6])("lists what a scan of the whole book finds after random sets, re-sets to other groups, deletes and clears (seed %i)", (seed) => {
    const source = seededRng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(source.next() * xs.length)]!;
    const book = new OpenOrderBook<Grouped>((record) => record.meta.positionId);
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    for (let i = 0; i < 500; i++) {
      const roll = source.next();
      const key = pick(keys);
      if (roll < 0.6) {
        const order = createOrder({ clientOrderId: key, symbol: pick(SYMBOLS), side: "BUY", type: "LIMIT", quantity: "1", price: "10" });
        book.set(key, { order, meta: { positionId: pick(GROUPS) } }); // a re-set may move a key to another group
      } else if (roll < 0.97) {
        book.delete(key);
      } else {
        book.clear();
      }
      for (const group of ["p1", "p2", "p3"]) {
        const byKey = (a: Grouped, b: Grouped) => a.order.clientOrderId.localeCompare(b.order.clientOrderId);
        const scanned = [...book.values()].filter((r) => r.meta.positionId === group).sort(byKey);
        expect([...book.heldFor(group)].sort(byKey)).toEqual(scanned);
      }
    }
  });

  it("lists a group's records in the book's own order while none moves between groups", () => {
    const book = new OpenOrderBook<Grouped>((record) => record.meta.positionId);
    const add = (key: string, positionId: string) =>
      book.set(key, {
        order: createOrder({ clientOrderId: key, symbol: "BTC/USDT", side: "SELL", type: "LIMIT", quantity: "1", price: "10" }),
        meta: { positionId },
      });
    for (const [key, positionId] of [
      ["a", "p1"],
      ["b", "p2"],
      ["c", "p1"],
      ["d", "p1"],
    ] as const)
      add(key, positionId);
    book.delete("a");
    add("a", "p1");
    add("c", "p1"); // set again in place (a new event), as the engine does
    const scanned = [...book.values()].filter((r) => r.meta.positionId === "p1").map((r) => r.order.clientOrderId);
    expect([...book.heldFor("p1")].map((r) => r.order.clientOrderId)).toEqual(scanned);
    expect(scanned).toEqual(["c", "d", "a"]);
  });

  it("lists nothing for a book built without a group function", () => {
    const book = new OpenOrderBook<Grouped>();
    book.set("a", { order: createOrder({ clientOrderId: "a", symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "1" }), meta: { positionId: "p1" } });
    expect([...book.heldFor("p1")]).toEqual([]);
  });
});

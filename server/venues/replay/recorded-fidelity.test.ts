/**
 * The simulator against the recorded Binance BTCUSDT microstructure (../shared/data/market/microstructure, see its
 * README): market orders of several sizes cost what an independent walk of the recorded book costs; liquidity taken
 * is missing from the next snapshot until the book refills; resting limits fill only when recorded trades reach them,
 * behind the queue that was ahead of them; latency decides which book an order meets. The walks, the refill rule and
 * the queue are written here again, apart from the simulator, from the rules in core/sim/book-fidelity.ts.
 */
import { describe, expect, it } from "vitest";
import { makeInstrument } from "../../core/instrument";
import type { BookLevel, MarketUpdate } from "../../core/market-data";
import { D, Decimal } from "../../core/money";
import type { VenueEvent } from "../../core/orders/events";
import type { OrderSpec } from "../../core/orders/types";
import { MatchingEngine, type MatchingEngineConfig } from "../../core/sim/matching-engine";
import { loadBookSnapshotsCsv, loadTradesCsv, type RecordedBook } from "./csv";

const MICRO = "/work/shared/data/market/microstructure";
const BOOKS = loadBookSnapshotsCsv(`${MICRO}/btc-usdt_binance-spot_book-snapshot-25_2024-08-08_2024-08-09.csv`);
const TRADES = loadTradesCsv(`${MICRO}/btc-usdt_trades_binance-spot_2024-08-08_2024-08-09.csv`);
const BTC = makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.00001" });
const SYMBOL = BTC.symbol;

function engine(overrides: Partial<MatchingEngineConfig> = {}): MatchingEngine {
  return new MatchingEngine({ instruments: [BTC], initialBalances: { USDT: "1000000000", BTC: "100000" }, bookFidelity: {}, ...overrides });
}

const bookUpdate = (book: RecordedBook): MarketUpdate => ({ kind: "book", symbol: SYMBOL, bids: book.bids, asks: book.asks });

/** Feeds the recording between two times (trades before a book of the same millisecond, as npm run sim does). */
function feed(venue: MatchingEngine, after: number, upTo: number, out: VenueEvent[], withBooks = true): void {
  const updates: { ts: number; order: number; update: MarketUpdate }[] = [];
  for (const trade of TRADES) {
    if (trade.ts > after && trade.ts <= upTo)
      updates.push({ ts: trade.ts, order: 0, update: { kind: "trade", symbol: SYMBOL, price: trade.price, qty: trade.qty, aggressor: trade.aggressor } });
  }
  if (withBooks) for (const book of BOOKS) if (book.ts > after && book.ts <= upTo) updates.push({ ts: book.ts, order: 1, update: bookUpdate(book) });
  updates.sort((a, b) => a.ts - b.ts || a.order - b.order);
  for (const { ts, update } of updates) out.push(...venue.onMarketData(update, ts));
}

const market = (clientOrderId: string, side: "BUY" | "SELL", quantity: string): OrderSpec => ({
  clientOrderId,
  symbol: SYMBOL,
  side,
  type: "MARKET",
  quantity,
});
const limit = (clientOrderId: string, side: "BUY" | "SELL", quantity: string, price: number): OrderSpec => ({
  clientOrderId,
  symbol: SYMBOL,
  side,
  type: "LIMIT",
  quantity,
  price: String(price),
});

interface Fill {
  ts: number;
  qty: number;
  price: number;
  liquidity: string;
}
function fillsOf(events: VenueEvent[], clientOrderId: string): Fill[] {
  const fills: Fill[] = [];
  for (const { clientOrderId: id, event } of events) {
    if (id === clientOrderId && event.type === "fill")
      fills.push({ ts: event.ts ?? Number.NaN, qty: D(event.qty).toNumber(), price: D(event.price).toNumber(), liquidity: event.liquidity ?? "?" });
  }
  return fills;
}
function averagePrice(fills: readonly Fill[]): number {
  let qty = new Decimal(0);
  let cost = new Decimal(0);
  for (const fill of fills) {
    qty = qty.plus(fill.qty);
    cost = cost.plus(new Decimal(fill.qty).times(fill.price));
  }
  return cost.dividedBy(qty).toNumber();
}

/** The independent walk: take each level in turn until `qty` is done or the levels run out. */
function walk(levels: readonly BookLevel[], qty: number): { filled: number; average: number } {
  let left = qty;
  let cost = 0;
  for (const [price, size] of levels) {
    if (left <= 1e-12) break;
    const take = Math.min(size, left);
    cost += take * price;
    left -= take;
  }
  const filled = qty - Math.max(0, left);
  return { filled, average: cost / filled };
}
const bpsApart = (a: number, b: number): number => (Math.abs(a - b) / b) * 10_000;
const round5 = (x: number): number => Number(x.toFixed(5));
const depthOf = (levels: readonly BookLevel[]): number => round5(levels.reduce((sum, [, size]) => sum + size, 0));

describe("market orders walk the recorded book", () => {
  const sampled = BOOKS.filter((_, index) => index % 5 === 0);

  it.each([
    ["BUY", "small (0.001 BTC)"],
    ["BUY", "the first level's size"],
    ["BUY", "five levels' size"],
    ["SELL", "small (0.001 BTC)"],
    ["SELL", "the first level's size"],
    ["SELL", "five levels' size"],
  ] as const)("%s %s costs the independent walk, within 2 bps, at every 5th snapshot", (side, size) => {
    let worst = 0;
    for (const book of sampled) {
      const levels = side === "BUY" ? book.asks : book.bids;
      const qty = size.startsWith("small") ? 0.001 : size.startsWith("the first") ? levels[0]![1] : depthOf(levels.slice(0, 5));
      const venue = engine();
      venue.onMarketData(bookUpdate(book), book.ts);
      const fills = fillsOf(venue.submit(market("m", side, String(qty)), book.ts), "m");
      const expected = walk(levels, qty);
      expect(expected.filled).toBeCloseTo(qty, 9);
      expect(fills.every((fill) => fill.ts === book.ts && fill.liquidity === "TAKER")).toBe(true);
      expect(round5(fills.reduce((sum, fill) => sum + fill.qty, 0))).toBe(qty);
      worst = Math.max(worst, bpsApart(averagePrice(fills), expected.average));
    }
    expect(worst).toBeLessThanOrEqual(2);
    // Level by level at the recorded prices: the only difference left is float rounding in the test's own walk.
    expect(worst).toBeLessThan(1e-6);
  });

  it.each(["BUY", "SELL"] as const)("%s beyond the shown depth: the whole book at its prices, then the rest at the stated impact price", (side) => {
    for (const book of sampled) {
      const levels = side === "BUY" ? book.asks : book.bids;
      const depth = depthOf(levels);
      const qty = round5(depth * 1.5);
      const venue = engine();
      venue.onMarketData(bookUpdate(book), book.ts);
      const fills = fillsOf(venue.submit(market("m", side, String(qty)), book.ts), "m");
      const shown = fills.slice(0, -1);
      const beyond = fills.at(-1)!;
      expect(shown).toHaveLength(levels.length);
      expect(bpsApart(averagePrice(shown), walk(levels, depth).average)).toBeLessThan(1e-6);
      // p = p_last × (1 ± η √(r / D)), η the shown side's width in bps (≥ 1), rounded to the tick against the trader.
      const best = levels[0]![0];
      const last = levels.at(-1)![0];
      const eta = Math.max(1, (Math.abs(last - best) / best) * 10_000);
      const rest = round5(qty - depth);
      const impact = last * (1 + ((side === "BUY" ? 1 : -1) * eta * Math.sqrt(rest / depth)) / 10_000);
      expect(beyond.qty).toBe(rest);
      expect(Math.abs(beyond.price - impact)).toBeLessThanOrEqual(0.01 + 1e-9);
      expect(side === "BUY" ? beyond.price >= impact - 1e-9 : beyond.price <= impact + 1e-9).toBe(true);
      // Dearer than the shown book's last level, and the whole order dearer than the shown book.
      expect(side === "BUY" ? beyond.price > last : beyond.price < last).toBe(true);
      const average = averagePrice(fills);
      expect(side === "BUY" ? average > walk(levels, depth).average : average < walk(levels, depth).average).toBe(true);
    }
  });
});

describe("liquidity taken is missing from the next snapshot until the book refills", () => {
  it("a second order right after the first pays more", () => {
    for (const book of BOOKS.filter((_, index) => index % 50 === 0)) {
      const venue = engine();
      venue.onMarketData(bookUpdate(book), book.ts);
      const first = round5(book.asks[0]![1] + book.asks[1]![1]);
      venue.submit(market("a", "BUY", String(first)), book.ts);
      const second = fillsOf(venue.submit(market("b", "BUY", "0.01"), book.ts), "b");
      // The first two levels are gone: the second pays the book from its third level on.
      expect(bpsApart(averagePrice(second), walk(book.asks.slice(2), 0.01).average)).toBeLessThan(1e-6);
      expect(averagePrice(second)).toBeGreaterThan(walk(book.asks, 0.01).average);
    }
  });

  it("after the next snapshot an order pays that snapshot less what is still owed: all of it where the book refilled", () => {
    let refilled = 0;
    let stillOwed = 0;
    for (let k = 0; k + 1 < BOOKS.length; k += 5) {
      const book = BOOKS[k]!;
      const next = BOOKS[k + 1]!;
      const venue = engine();
      const events: VenueEvent[] = [];
      venue.onMarketData(bookUpdate(book), book.ts);
      const taken = round5(book.asks[0]![1] + book.asks[1]![1]);
      venue.submit(market("a", "BUY", String(taken)), book.ts);
      feed(venue, book.ts, next.ts, events);

      // The refill rule, written out: what was taken per level, repaid by recorded buys at the level, cleared by buys
      // through it, by the touch moving past it or by its leaving the shown range, and repaid by growth.
      const owed = new Map<number, number>([
        [book.asks[0]![0], book.asks[0]![1]],
        [book.asks[1]![0], book.asks[1]![1]],
      ]);
      for (const trade of TRADES) {
        if (trade.ts <= book.ts || trade.ts > next.ts || trade.aggressor !== "BUY") continue;
        for (const [price, left] of [...owed]) {
          if (price < trade.price) owed.delete(price);
          else if (price === trade.price) owed.set(price, left - trade.qty);
        }
      }
      const lastShown = next.asks.at(-1)![0];
      for (const [price, left] of [...owed]) {
        if (price > lastShown) continue;
        const now = next.asks.find(([p]) => p === price)?.[1];
        const before = book.asks.find(([p]) => p === price)?.[1];
        const rest = left - (now !== undefined && before !== undefined ? Math.max(0, now - before) : 0);
        if (price < next.asks[0]![0] || now === undefined || rest <= 1e-12) owed.delete(price);
        else owed.set(price, rest);
      }
      const effective = next.asks.map(([price, size]): BookLevel => [price, Math.max(0, size - (owed.get(price) ?? 0))]);
      // Three levels of the new book, within what is left of it (beyond it the impact model prices, tested above).
      const qty = round5(Math.min(next.asks[0]![1] + next.asks[1]![1] + next.asks[2]![1], depthOf(effective) * 0.9));
      const fills = fillsOf(venue.submit(market("b", "BUY", String(qty)), next.ts), "b");
      const expected = walk(effective, qty);
      expect(bpsApart(averagePrice(fills), expected.average)).toBeLessThan(1e-6);
      const raw = walk(next.asks, qty).average;
      if (bpsApart(expected.average, raw) < 1e-9) refilled++;
      else {
        stillOwed++;
        expect(averagePrice(fills)).toBeGreaterThan(raw);
      }
    }
    // The recording has both: books that refilled within a second, and levels still short after it.
    expect(refilled).toBeGreaterThan(10);
    expect(stillOwed).toBeGreaterThan(0);
  });
});

describe("resting limits fill only when recorded trades reach them", () => {
  it("over the whole recording, every fill is at the limit, as maker, when a trade at or through the price (or a crossing book) came, and never more than traded", () => {
    const venue = engine();
    const events: VenueEvent[] = [];
    const orders: { id: string; side: "BUY" | "SELL"; price: number; since: number }[] = [];
    let from = 0;
    for (let k = 0; k < BOOKS.length; k += 40) {
      const book = BOOKS[k]!;
      feed(venue, from, book.ts, events);
      from = book.ts;
      for (const [side, levels] of [
        ["BUY", book.bids],
        ["SELL", book.asks],
      ] as const) {
        for (const level of [0, 3, 10]) {
          const id = `${side}-${k}-${level}`;
          orders.push({ id, side, price: levels[level]![0], since: book.ts });
          events.push(...venue.submit(limit(id, side, "0.05", levels[level]![0]), book.ts));
        }
      }
    }
    feed(venue, from, Number.POSITIVE_INFINITY, events);

    let filledOrders = 0;
    let unfilledOrders = 0;
    for (const order of orders) {
      const fills = fillsOf(events, order.id);
      if (fills.length === 0) unfilledOrders++;
      else filledOrders++;
      const reaches = (price: number, aggressor: "BUY" | "SELL"): "through" | "at" | null => {
        if (order.side === "BUY" ? price < order.price : price > order.price) return "through";
        return price === order.price && aggressor !== order.side ? "at" : null;
      };
      let filled = 0;
      for (const fill of fills) {
        expect(fill.price).toBe(order.price);
        expect(fill.liquidity).toBe("MAKER");
        const tradesThen = TRADES.filter((trade) => trade.ts === fill.ts && reaches(trade.price, trade.aggressor) !== null);
        const crossingBook = BOOKS.some(
          (book) => book.ts === fill.ts && (order.side === "BUY" ? book.asks[0]![0] <= order.price : book.bids[0]![0] >= order.price),
        );
        expect(tradesThen.length > 0 || crossingBook).toBe(true);
        filled += fill.qty;
        if (!crossingBook) {
          const traded = TRADES.filter((trade) => trade.ts > order.since && trade.ts <= fill.ts && reaches(trade.price, trade.aggressor) !== null).reduce(
            (sum, trade) => sum + trade.qty,
            0,
          );
          expect(filled).toBeLessThanOrEqual(traded + 1e-9);
        }
      }
    }
    expect(filledOrders).toBeGreaterThan(5);
    expect(unfilledOrders).toBeGreaterThan(3);
  });

  it("at the best bid, the order waits for the recorded size ahead of it to trade, then fills by traded size", () => {
    let delayed = 0;
    let checked = 0;
    for (let k = 0; k < BOOKS.length; k += 20) {
      const book = BOOKS[k]!;
      const [price, ahead] = book.bids[0]!;
      const venue = engine();
      venue.onMarketData(bookUpdate(book), book.ts);
      const events = venue.submit(limit("b", "BUY", "0.5", price), book.ts);
      // Trades only from here: the queue moves by trades alone (books would also cap it).
      feed(venue, book.ts, book.ts + 60_000, events, false);
      const fills = fillsOf(events, "b");

      const expected: { ts: number; qty: number }[] = [];
      let queue = ahead;
      let left = 0.5;
      let firstAtPrice: number | null = null;
      for (const trade of TRADES) {
        if (trade.ts <= book.ts || trade.ts > book.ts + 60_000 || left <= 1e-12) continue;
        let qty = 0;
        if (trade.price < price) qty = Math.min(left, trade.qty);
        else if (trade.price === price && trade.aggressor === "SELL") {
          firstAtPrice ??= trade.ts;
          qty = Math.min(left, Math.max(0, trade.qty - queue));
          queue = Math.max(0, queue - trade.qty);
        }
        if (qty > 1e-12) {
          expected.push({ ts: trade.ts, qty: round5(qty) });
          left -= qty;
        }
      }
      expect(fills.map((fill) => ({ ts: fill.ts, qty: fill.qty }))).toEqual(expected);
      if (expected.length > 0) checked++;
      if (firstAtPrice !== null && (expected.length === 0 || expected[0]!.ts > firstAtPrice)) delayed++;
    }
    expect(checked).toBeGreaterThan(5);
    // The queue matters on this data: orders that would have filled on the first trade at their price waited.
    expect(delayed).toBeGreaterThan(3);
  });

  it("fills partially, by traded size", () => {
    // The first order whose fills add up to less than its size, and whose fills each equal what traded beyond the queue.
    let partial = 0;
    for (let k = 0; k < BOOKS.length; k += 20) {
      const book = BOOKS[k]!;
      const venue = engine();
      venue.onMarketData(bookUpdate(book), book.ts);
      const events = venue.submit(limit("s", "SELL", "5", book.asks[0]![0]), book.ts);
      feed(venue, book.ts, book.ts + 30_000, events, false);
      const filled = fillsOf(events, "s").reduce((sum, fill) => sum + fill.qty, 0);
      if (filled > 0 && filled < 5) partial++;
      expect(venue.order("s")?.status).toBe(filled === 0 ? "ACCEPTED" : filled < 5 - 1e-9 ? "PARTIALLY_FILLED" : "FILLED");
    }
    expect(partial).toBeGreaterThan(3);
  });
});

describe("latency from signal to arrival", () => {
  it("decides which recorded book the order meets, and the fill carries the arrival time", () => {
    let differing = 0;
    for (let k = 1; k < BOOKS.length; k += 10) {
      const previous = BOOKS[k - 1]!;
      const book = BOOKS[k]!;
      const signal = book.ts - 10;
      const run = (latencyMs: number): Fill[] => {
        const venue = engine({ latencyMs });
        const events: VenueEvent[] = [];
        venue.onMarketData(bookUpdate(previous), previous.ts);
        events.push(...venue.submit(market("m", "BUY", "1"), signal));
        venue.onMarketData(bookUpdate(book), book.ts);
        // The arrival is processed when the venue next hears of time passing: it meets the last book before it.
        events.push(...venue.advanceTo(book.ts + 1000));
        return fillsOf(events, "m");
      };
      const instant = run(0);
      const late = run(20);
      expect(instant.every((fill) => fill.ts === signal)).toBe(true);
      expect(bpsApart(averagePrice(instant), walk(previous.asks, 1).average)).toBeLessThan(1e-6);
      expect(late.every((fill) => fill.ts === signal + 20)).toBe(true);
      expect(bpsApart(averagePrice(late), walk(book.asks, 1).average)).toBeLessThan(1e-6);
      if (bpsApart(walk(previous.asks, 1).average, walk(book.asks, 1).average) > 0.01) differing++;
    }
    expect(differing).toBeGreaterThan(20);
  });
});

import { describe, expect, it } from "vitest";
import { D, Decimal } from "../money";
import { seededRng } from "../rng";
import { MAX_BOOK_AGE_MS, routeOrder, untrustedVenue, type Level, type RouteRequest, type Untrusted, type VenueBook, type VenueTrustInput } from "./routing";

const lv = (...pairs: [string, string][]): Level[] => pairs.map(([p, s]) => [D(p), D(s)] as const);

function book(venue: string, asks: Level[], bids: Level[], fee = "0.001", over: Partial<VenueBook> = {}): VenueBook {
  return { venue, asks, bids, takerFee: D(fee), minQty: D("0"), minNotional: D("0"), ...over };
}

/** Net amount of taking `qty` from one side of a book, walking its levels (independent of the router), or null. */
function walk(levels: readonly Level[], qty: Decimal, fee: Decimal, side: "BUY" | "SELL"): Decimal | null {
  let left = qty;
  let gross = D(0);
  for (const [price, size] of levels) {
    if (left.isZero()) break;
    const take = Decimal.min(left, size);
    gross = gross.plus(take.times(price));
    left = left.minus(take);
  }
  if (!left.isZero()) return null;
  return side === "BUY" ? gross.times(D(1).plus(fee)) : gross.times(D(1).minus(fee));
}

/** Every split of `qty` over the venues on the step grid; the best net amount. */
function bruteForce(request: RouteRequest): Decimal | null {
  const steps = request.qty.dividedBy(request.qtyStep).toNumber();
  const venues = request.venues.filter((v) => v.unavailable === undefined);
  let best: Decimal | null = null;
  const assign = (i: number, left: number, total: Decimal): void => {
    if (i === venues.length) {
      if (left === 0 && (best === null || (request.side === "BUY" ? total.lessThan(best) : total.greaterThan(best)))) best = total;
      return;
    }
    const v = venues[i]!;
    for (let n = 0; n <= left; n++) {
      const amount = n === 0 ? D(0) : walk(request.side === "BUY" ? v.asks : v.bids, request.qtyStep.times(n), v.takerFee, request.side);
      if (amount === null) break;
      assign(i + 1, left - n, total.plus(amount));
    }
  };
  assign(0, steps, D(0));
  return best;
}

describe("smart order routing", () => {
  const a = book("binance", lv(["100", "0.3"], ["101", "0.5"], ["103", "2"]), lv(["99", "0.4"], ["98", "1"]), "0.001");
  const b = book("kraken", lv(["100.05", "0.25"], ["100.5", "1"]), lv(["99.2", "0.2"], ["98.5", "2"]), "0.0026");
  const c = book("bitget", lv(["100.2", "0.15"], ["100.3", "0.35"], ["104", "5"]), lv(["98.9", "1"], ["97", "1"]), "0.0006");

  it.each<["BUY" | "SELL", string]>([
    ["BUY", "0.1"],
    ["BUY", "0.6"],
    ["BUY", "1.2"],
    ["BUY", "2.5"],
    ["SELL", "0.3"],
    ["SELL", "1.1"],
    ["SELL", "3"],
  ])("the split of a %s of %s matches the brute-force optimum", (side, qty) => {
    const request: RouteRequest = { side, qty: D(qty), qtyStep: D("0.05"), mode: "split", limitPrice: null, venues: [a, b, c] };
    const decision = routeOrder(request);
    expect(decision.filledQty.toString()).toBe(D(qty).toString());
    expect(decision.netAmount.toString()).toBe(bruteForce(request)!.toString());
    // Each allocation costs what walking that venue's own book costs.
    for (const allocation of decision.allocations) {
      const venue = [a, b, c].find((v) => v.venue === allocation.venue)!;
      expect(allocation.netAmount.toString()).toBe(walk(side === "BUY" ? venue.asks : venue.bids, allocation.qty, venue.takerFee, side)!.toString());
    }
  });

  it("matches the brute force on random small books (levels off the step grid too)", () => {
    const rng = seededRng(11);
    const pick = (lo: number, hi: number, places: number) => D((lo + rng.next() * (hi - lo)).toFixed(places));
    for (let trial = 0; trial < 60; trial++) {
      const venues = Array.from({ length: 3 }, (_, v) => {
        let ask = 100 + rng.next();
        const asks: Level[] = [];
        const bids: Level[] = [];
        let bid = 99.5 - rng.next();
        for (let i = 0; i < 3; i++) {
          asks.push([D(ask.toFixed(2)), pick(0.01, 0.5, 3)]);
          bids.push([D(bid.toFixed(2)), pick(0.01, 0.5, 3)]);
          ask += rng.next();
          bid -= rng.next();
        }
        return book(`v${v}`, asks, bids, pick(0, 0.003, 4).toString());
      });
      const side = trial % 2 === 0 ? "BUY" : "SELL";
      const request: RouteRequest = {
        side,
        qty: D("0.02").times(1 + Math.floor(rng.next() * 30)),
        qtyStep: D("0.02"),
        mode: "split",
        limitPrice: null,
        venues,
      };
      const best = bruteForce(request);
      const decision = routeOrder(request);
      if (best === null) {
        expect(decision.unfilledQty.isPositive() && !decision.unfilledQty.isZero()).toBe(true);
      } else {
        expect({ trial, net: decision.netAmount.toString() }).toEqual({ trial, net: best.toString() });
      }
    }
  });

  it("fees decide: a cheaper price with a higher fee can lose", () => {
    const cheapButCostly = book("x", lv(["100", "10"]), [], "0.003"); // 100.3 net
    const dearButCheap = book("y", lv(["100.2", "10"]), [], "0.0005"); // 100.2501 net
    const decision = routeOrder({ side: "BUY", qty: D("1"), qtyStep: D("0.01"), mode: "split", limitPrice: null, venues: [cheapButCostly, dearButCheap] });
    expect(decision.allocations.map((x) => x.venue)).toEqual(["y"]);
  });

  it("single mode picks the venue cheapest for the whole quantity and says why for the others", () => {
    const decision = routeOrder({ side: "BUY", qty: D("1"), qtyStep: D("0.05"), mode: "single", limitPrice: null, venues: [a, b, c] });
    expect(decision.allocations).toHaveLength(1);
    const amounts = decision.venues.map((v) => v.wholeQtyNetAmount).filter((x): x is Decimal => x !== null);
    expect(decision.netAmount.toString()).toBe(Decimal.min(...amounts).toString());
    for (const v of decision.venues) expect(v.reason).not.toBe("");
  });

  it("skips a venue that is down with its reason, and one whose share is below its minimum", () => {
    const down = { ...a, unavailable: "venue unreachable: 3 timeouts" };
    const tiny = book("tiny", lv(["99", "0.05"]), [], "0.001", { minNotional: D("10") });
    const decision = routeOrder({ side: "BUY", qty: D("0.5"), qtyStep: D("0.05"), mode: "split", limitPrice: null, venues: [down, tiny, b] });
    expect(decision.venues[0]).toMatchObject({ status: "skipped", reason: "venue unreachable: 3 timeouts" });
    expect(decision.venues[1]).toMatchObject({ status: "skipped", reason: expect.stringMatching(/below its minimum/) as unknown });
    expect(decision.allocations.map((x) => [x.venue, x.qty.toString()])).toEqual([["kraken", "0.5"]]);
  });

  it("takes nothing beyond the limit price and reports what is left", () => {
    const decision = routeOrder({ side: "BUY", qty: D("2"), qtyStep: D("0.05"), mode: "split", limitPrice: D("100.1"), venues: [a, b, c] });
    for (const allocation of decision.allocations) expect(allocation.worstPrice.lessThanOrEqualTo(D("100.1"))).toBe(true);
    expect(decision.filledQty.toString()).toBe("0.55");
    expect(decision.unfilledQty.toString()).toBe("1.45");
    expect(decision.venues[2]).toMatchObject({ status: "skipped", reason: expect.stringMatching(/no asks within the limit/) as unknown });
    expect(decision.summary).toMatch(/left unrouted/);
  });
});

describe("which venues the router may trust now", () => {
  const NOW = 1_700_000_000_000;
  it.each<[string, VenueTrustInput, number | undefined, Untrusted | null]>([
    ["connected, book just seen", { connected: true, lastError: null, bookTs: NOW }, undefined, null],
    ["connected, book exactly at the bound", { connected: true, lastError: null, bookTs: NOW - MAX_BOOK_AGE_MS }, undefined, null],
    [
      "connected, book 1 ms past the bound",
      { connected: true, lastError: null, bookTs: NOW - MAX_BOOK_AGE_MS - 1 },
      undefined,
      { kind: "stale", reason: `stale: its book is ${MAX_BOOK_AGE_MS + 1} ms old (the limit is ${MAX_BOOK_AGE_MS} ms)` },
    ],
    [
      "a tighter bound given",
      { connected: true, lastError: null, bookTs: NOW - 600 },
      500,
      { kind: "stale", reason: "stale: its book is 600 ms old (the limit is 500 ms)" },
    ],
    ["a book stamped after now (clock skew) is fresh", { connected: true, lastError: null, bookTs: NOW + 50 }, undefined, null],
    [
      "a book of unknown age",
      { connected: true, lastError: null, bookTs: null },
      500,
      { kind: "stale", reason: "its book's age is unknown (the limit is 500 ms)" },
    ],
    ["no book: not judged here", { connected: true, lastError: null, bookTs: undefined }, undefined, null],
    ["down, with its error", { connected: false, lastError: "x is unreachable", bookTs: NOW }, undefined, { kind: "down", reason: "down (x is unreachable)" }],
    [
      "down without an error, book stale too: down wins",
      { connected: false, lastError: null, bookTs: 0 },
      undefined,
      { kind: "down", reason: "down (not connected)" },
    ],
  ])("%s", (_name, input, bound, expected) => {
    expect(untrustedVenue(input, NOW, bound)).toEqual(expected);
  });
});

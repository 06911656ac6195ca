/**
 * Smart order routing, pure: given several venues' visible books and taker fees, split a quantity across them at the
 * least total cost (or pick the single best venue), and say why — what each venue offered, what was chosen, what was
 * skipped and the reason. The engine records the decision with the order; each routed order still passes the gate.
 *
 * Split: the cost of taking one more step of quantity at a venue never falls as its book is walked, so taking the
 * cheapest next step across all venues, again and again, is optimal (separable convex costs). The book is walked in
 * runs of whole steps at one level's price (a step straddling two levels is a run of one), so it is exact on the step
 * grid without visiting every step.
 */
import { add, cmp, Decimal, isPositive, roundToStep, sub, ZERO } from "../money";
import { type OrderSide } from "../orders/types";

/** [price, size], best first: asks lowest first, bids highest first. */
export type Level = readonly [price: Decimal, size: Decimal];

/** What a venue shows of one symbol's book, at a bounded depth: the router's input per venue. */
export interface VisibleBook {
  bids: readonly Level[];
  asks: readonly Level[];
  /** "book": depth from a book snapshot; "quote": only the touch with its sizes. */
  source: "book" | "quote";
  /** When it was seen (epoch ms), or null when the venue does not say. */
  ts: number | null;
}

/** The most levels a side of a visible book carries (deeper levels rarely change a split and cost a walk). */
export const MAX_VISIBLE_DEPTH = 50;

/**
 * The oldest a venue's book may be for the router to trust it (ms on the desk's clock). No desk setting bounds a
 * routed book's age (the arbitrage pairs' `max_quote_age_seconds` is per pair), so this is that setting's default:
 * a book older than a quote the arbitrage executor would still act on is not priced against either.
 */
export const MAX_BOOK_AGE_MS = 10_000;

/** What the router needs to know of a venue right now to trust its book. */
export interface VenueTrustInput {
  connected: boolean;
  lastError: string | null;
  /**
   * When its book for the symbol was seen (epoch ms): null when nobody can say, undefined when it shows no book
   * (the caller says so in its own words).
   */
  bookTs: number | null | undefined;
}

export interface Untrusted {
  kind: "down" | "stale";
  reason: string;
}

/**
 * Why a venue cannot get a slice of a route now, or null when it can: it must be connected and its book for the
 * symbol no older than `maxAgeMs` at `now` (a book of unknown age is not taken as fresh).
 */
export function untrustedVenue(input: VenueTrustInput, now: number, maxAgeMs: number = MAX_BOOK_AGE_MS): Untrusted | null {
  if (!input.connected) return { kind: "down", reason: `down (${input.lastError ?? "not connected"})` };
  if (input.bookTs === undefined) return null;
  if (input.bookTs === null) return { kind: "stale", reason: `its book's age is unknown (the limit is ${maxAgeMs} ms)` };
  const age = now - input.bookTs;
  return age > maxAgeMs ? { kind: "stale", reason: `stale: its book is ${age} ms old (the limit is ${maxAgeMs} ms)` } : null;
}

export interface VenueBook {
  venue: string;
  /** Set when the venue is down or refused the last order: it is skipped with this reason. */
  unavailable?: string;
  bids: readonly Level[];
  asks: readonly Level[];
  /** Taker fee as a fraction (0.001 = 10 bps). */
  takerFee: Decimal;
  minQty: Decimal;
  minNotional: Decimal;
}

export interface RouteRequest {
  side: OrderSide;
  qty: Decimal;
  /** The step every venue's quantity must be a multiple of (the coarsest of the venues'). */
  qtyStep: Decimal;
  mode: "split" | "single";
  /** No level beyond this price is taken (buy: above, sell: below). */
  limitPrice: Decimal | null;
  venues: readonly VenueBook[];
}

export interface VenueAllocation {
  venue: string;
  qty: Decimal;
  /** Average price before fees. */
  avgPrice: Decimal;
  /** The last level touched: a limit at it fills the allocation from the book as seen. */
  worstPrice: Decimal;
  fees: Decimal;
  /** Quote paid including fees (buy) or received net of fees (sell). */
  netAmount: Decimal;
}

export interface VenueReasoning {
  venue: string;
  status: "allocated" | "unused" | "skipped";
  reason: string;
  bestPrice: Decimal | null;
  /** Visible quantity on the side taken, within the limit price. */
  visibleQty: Decimal;
  takerFee: Decimal;
  allocatedQty: Decimal;
  /** What taking the whole quantity here alone would pay/receive net of fees, or null when not enough is shown. */
  wholeQtyNetAmount: Decimal | null;
}

export interface RouteDecision {
  side: OrderSide;
  mode: "split" | "single";
  requestedQty: Decimal;
  allocations: VenueAllocation[];
  filledQty: Decimal;
  unfilledQty: Decimal;
  /** Σ netAmount over the allocations. */
  netAmount: Decimal;
  /** Net amount per unit (fees included), or null when nothing is allocated. */
  avgNetPrice: Decimal | null;
  summary: string;
  venues: VenueReasoning[];
}

/** A run of `count` steps at `unitCost` each (quote per step, fees included; proceeds for a sell). */
interface Run {
  venue: number;
  order: number;
  unitCost: Decimal;
  /** Gross (pre-fee) quote per step and the price of the deepest level it reaches. */
  unitGross: Decimal;
  worstPrice: Decimal;
  count: number;
}

function sideLevels(book: VenueBook, side: OrderSide, limit: Decimal | null): Level[] {
  const levels = side === "BUY" ? book.asks : book.bids;
  return levels.filter(
    ([price, size]) => isPositive(size) && isPositive(price) && (limit === null || (side === "BUY" ? cmp(price, limit) <= 0 : cmp(price, limit) >= 0)),
  );
}

/** The venue's book as runs of whole steps (see the header). Stops where less than a step is left. */
function runsOf(levels: readonly Level[], step: Decimal, fee: Decimal, side: OrderSide, venue: number, maxSteps: number): Run[] {
  const feeFactor = side === "BUY" ? new Decimal(1).plus(fee) : new Decimal(1).minus(fee);
  const runs: Run[] = [];
  let level = 0;
  let usedInLevel = ZERO; // quantity of `levels[level]` already assigned to steps
  let steps = 0;
  while (level < levels.length && steps < maxSteps) {
    const [price, size] = levels[level]!;
    const left = sub(size, usedInLevel);
    const whole = Math.min(left.dividedBy(step).floor().toNumber(), maxSteps - steps);
    if (whole >= 1) {
      const gross = step.times(price);
      runs.push({ venue, order: runs.length, unitCost: gross.times(feeFactor), unitGross: gross, worstPrice: price, count: whole });
      usedInLevel = add(usedInLevel, step.times(whole));
      steps += whole;
      if (cmp(usedInLevel, size) === 0) {
        level++;
        usedInLevel = ZERO;
      }
      continue;
    }
    // A step straddling levels: fill it from this level's rest and the next ones.
    let need = step;
    let gross = ZERO;
    let worst = price;
    let at = level;
    let used = usedInLevel;
    while (isPositive(need) && at < levels.length) {
      const [p, s] = levels[at]!;
      const take = Decimal.min(need, sub(s, used));
      gross = gross.plus(take.times(p));
      need = sub(need, take);
      worst = p;
      if (cmp(add(used, take), s) === 0) {
        at++;
        used = ZERO;
      } else {
        used = add(used, take);
      }
    }
    if (isPositive(need)) break; // less than a step left in the whole book
    runs.push({ venue, order: runs.length, unitCost: gross.times(feeFactor), unitGross: gross, worstPrice: worst, count: 1 });
    steps += 1;
    level = at;
    usedInLevel = used;
  }
  return runs;
}

function fmt(d: Decimal): string {
  return d.toDecimalPlaces(8).toString();
}

interface Eligible {
  index: number;
  book: VenueBook;
  levels: Level[];
  visibleQty: Decimal;
}

/** Greedy over the merged runs of `eligible` for `steps` steps: per venue, steps taken, gross and net amounts, worst price. */
function allocate(
  eligible: readonly Eligible[],
  request: RouteRequest,
  steps: number,
): Map<number, { steps: number; gross: Decimal; net: Decimal; worst: Decimal }> {
  const runs = eligible.flatMap((e) => runsOf(e.levels, request.qtyStep, e.book.takerFee, request.side, e.index, steps));
  // Cheapest first for a buy, best proceeds first for a sell; ties keep the venues' order (stable sort).
  runs.sort((a, b) => (request.side === "BUY" ? cmp(a.unitCost, b.unitCost) : cmp(b.unitCost, a.unitCost)) || a.venue - b.venue || a.order - b.order);
  const taken = new Map<number, { steps: number; gross: Decimal; net: Decimal; worst: Decimal }>();
  let left = steps;
  for (const run of runs) {
    if (left === 0) break;
    const n = Math.min(run.count, left);
    const current = taken.get(run.venue) ?? { steps: 0, gross: ZERO, net: ZERO, worst: run.worstPrice };
    taken.set(run.venue, {
      steps: current.steps + n,
      gross: current.gross.plus(run.unitGross.times(n)),
      net: current.net.plus(run.unitCost.times(n)),
      worst: run.worstPrice,
    });
    left -= n;
  }
  return taken;
}

/** The net amount of taking `qty` at one venue alone, or null when it does not show enough. */
function wholeAt(e: Eligible, request: RouteRequest, steps: number): Decimal | null {
  const taken = allocate([e], request, steps).get(e.index);
  return taken && taken.steps === steps ? taken.net : null;
}

function better(side: OrderSide, a: Decimal, b: Decimal): boolean {
  return side === "BUY" ? cmp(a, b) < 0 : cmp(a, b) > 0;
}

/** Routes `request.qty` (rounded down to the step) across the venues; see the module header. */
export function routeOrder(request: RouteRequest): RouteDecision {
  const { side } = request;
  const qty = roundToStep(request.qty, request.qtyStep, "down");
  const steps = qty.dividedBy(request.qtyStep).toNumber();
  const reasoning: VenueReasoning[] = request.venues.map((book) => {
    const levels = sideLevels(book, side, request.limitPrice);
    return {
      venue: book.venue,
      status: "unused",
      reason: "",
      bestPrice: levels[0]?.[0] ?? null,
      visibleQty: levels.reduce((sum, [, size]) => sum.plus(size), ZERO),
      takerFee: book.takerFee,
      allocatedQty: ZERO,
      wholeQtyNetAmount: null,
    };
  });
  const eligible: Eligible[] = [];
  request.venues.forEach((book, index) => {
    const r = reasoning[index]!;
    if (book.unavailable !== undefined) {
      r.status = "skipped";
      r.reason = book.unavailable;
    } else if (r.bestPrice === null) {
      r.status = "skipped";
      r.reason = `no ${side === "BUY" ? "asks" : "bids"}${request.limitPrice ? ` within the limit ${request.limitPrice.toString()}` : ""}`;
    } else {
      eligible.push({ index, book, levels: sideLevels(book, side, request.limitPrice), visibleQty: r.visibleQty });
    }
  });
  for (const e of eligible) reasoning[e.index]!.wholeQtyNetAmount = wholeAt(e, request, steps);

  let allocations: VenueAllocation[] = [];
  let working = eligible;
  if (request.mode === "single") {
    let best: Eligible | null = null;
    for (const e of working) {
      const amount = reasoning[e.index]!.wholeQtyNetAmount;
      if (amount === null) continue;
      const bestAmount = best ? reasoning[best.index]!.wholeQtyNetAmount! : null;
      if (bestAmount === null || better(side, amount, bestAmount)) best = e;
    }
    working = best ? [best] : [];
  }
  // A venue whose share falls below its minimum is dropped and the split redone without it.
  for (let round = 0; round <= request.venues.length; round++) {
    const taken = allocate(working, request, steps);
    const tooSmall = working.filter((e) => {
      const t = taken.get(e.index);
      if (!t) return false;
      const venueQty = request.qtyStep.times(t.steps);
      return cmp(venueQty, e.book.minQty) < 0 || cmp(t.gross, e.book.minNotional) < 0;
    });
    if (tooSmall.length > 0 && round < request.venues.length) {
      for (const e of tooSmall) {
        const r = reasoning[e.index]!;
        r.status = "skipped";
        r.reason = `its share ${fmt(request.qtyStep.times(taken.get(e.index)!.steps))} would be below its minimum (qty ${e.book.minQty.toString()}, notional ${e.book.minNotional.toString()})`;
      }
      working = working.filter((e) => !tooSmall.includes(e));
      continue;
    }
    allocations = [...taken.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, t]) => {
        const allocated = request.qtyStep.times(t.steps);
        return {
          venue: request.venues[index]!.venue,
          qty: allocated,
          avgPrice: t.gross.dividedBy(allocated),
          worstPrice: t.worst,
          fees: side === "BUY" ? t.net.minus(t.gross) : t.gross.minus(t.net),
          netAmount: t.net,
        };
      });
    break;
  }

  const filledQty = allocations.reduce((sum, a) => sum.plus(a.qty), ZERO);
  const netAmount = allocations.reduce((sum, a) => sum.plus(a.netAmount), ZERO);
  for (const allocation of allocations) {
    const index = request.venues.findIndex((v) => v.venue === allocation.venue);
    const r = reasoning[index]!;
    r.status = "allocated";
    r.allocatedQty = allocation.qty;
    r.reason = `${fmt(allocation.qty)} at avg ${fmt(allocation.avgPrice)} (to ${allocation.worstPrice.toString()}), fees ${fmt(allocation.fees)}`;
  }
  for (const e of eligible) {
    const r = reasoning[e.index]!;
    if (r.status !== "unused") continue;
    if (request.mode === "single") {
      r.reason =
        r.wholeQtyNetAmount === null
          ? `shows only ${fmt(e.visibleQty)}`
          : `the whole quantity here nets ${fmt(r.wholeQtyNetAmount)}, worse than the chosen venue`;
    } else {
      r.reason = "its prices net of fees were worse than what the quantity needed";
    }
  }
  const bestSingle = eligible
    .map((e) => ({ venue: e.book.venue, amount: reasoning[e.index]!.wholeQtyNetAmount }))
    .filter((x): x is { venue: string; amount: Decimal } => x.amount !== null)
    .reduce<{ venue: string; amount: Decimal } | null>((best, x) => (best === null || better(side, x.amount, best.amount) ? x : best), null);
  const unfilledQty = sub(request.qty, filledQty);
  let summary: string;
  if (allocations.length === 0) {
    summary = request.mode === "single" ? "no single venue shows the whole quantity" : "no venue can take any of the quantity";
  } else {
    const where = allocations.map((a) => `${a.venue} ${fmt(a.qty)}`).join(", ");
    summary = `${request.mode === "single" ? "single venue" : `split over ${allocations.length} venue${allocations.length > 1 ? "s" : ""}`}: ${where}; net ${fmt(netAmount)}`;
    if (request.mode === "split" && bestSingle && allocations.length > 1) {
      const saving = side === "BUY" ? bestSingle.amount.minus(netAmount) : netAmount.minus(bestSingle.amount);
      summary += `; ${fmt(saving)} better than all at ${bestSingle.venue}`;
    }
    if (isPositive(unfilledQty)) summary += `; ${fmt(unfilledQty)} left unrouted (not enough visible)`;
  }
  return {
    side,
    mode: request.mode,
    requestedQty: request.qty,
    allocations,
    filledQty,
    unfilledQty: isPositive(unfilledQty) ? unfilledQty : ZERO,
    netAmount,
    avgNetPrice: isPositive(filledQty) ? netAmount.dividedBy(filledQty) : null,
    summary,
    venues: reasoning,
  };
}

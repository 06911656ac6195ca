/**
 * Book fidelity: how the simulator treats recorded order books when MatchingEngineConfig.bookFidelity is set, so that
 * an order costs what it would have cost on the recorded market. Without that option (and whenever the data carries
 * no books) none of this applies and the rules of matching-engine.ts stand unchanged.
 *
 * 1. A market order walks the current book level by level (that part is matching.ts's usual walk). What is left
 *    after the last shown level fills at once, as one taker fill, at the impact price
 *
 *        p = p_last × (1 ± η · √(r / D) / 10⁴)      (+ for a buy, − for a sell; rounded to the tick against the trader)
 *
 *    r the quantity left, D the depth the recording shows on that side (sum of its sizes), p_last its last shown price,
 *    η = bookFidelity.impactBps, by default the shown side's own width in bps, |p_last − p_best| / p_best × 10⁴, at
 *    least 1 bp: walking as much again as the book shows costs about what the shown book's span costs, and the
 *    square root makes it concave beyond that. Only market kinds go beyond the shown depth: a limit rests its rest.
 * 2. Liquidity our fills take (market orders walking, resting orders a crossing book fills) is remembered per price
 *    level ("consumed") and taken out of the following snapshots, which were recorded without us. It refills when:
 *    - a later snapshot shows the level larger than the previous snapshot did: the growth is new liquidity and
 *      first repays what we took;
 *    - the recording trades at that level against that side (its takers ate the liquidity we had taken already; not
 *      repaying it would count the same missing size twice), or trades through it (the level is gone anyway);
 *    - the level disappears from inside the shown range, or the touch moves past it: whatever rests there later is new.
 *    A level beyond the last shown one keeps its debt until it is shown again.
 * 3. A resting limit placed while a book is known remembers the quantity queued ahead of it: the recorded size at its
 *    price on its own side when it arrived (0 inside the spread; unknown beyond the shown depth, and then it fills
 *    only when a trade goes through its price). A recorded trade strictly through its price fills it by the traded
 *    size; a trade at its price (by an aggressor from the other side, or of unknown side) first works off the queue
 *    ahead and fills it by what is left of the traded size. A snapshot showing the level smaller caps the queue ahead
 *    at the new size (those ahead cancelled); a level gone from the shown range leaves nobody ahead. A new book that
 *    crosses the order still fills it with the crossing depth (the sellers at or below a bid would have hit it).
 *
 * Sizes are plain numbers on the way in (market data); what is taken and what is queued are Decimals.
 */
import { Decimal, maxDec, roundToStep, ZERO } from "../money";
import type { BookLevel } from "../market-data";
import type { OrderSide } from "../orders/types";
import type { Level } from "./sim-order";

export interface BookFidelityConfig {
  /** η of the impact beyond the shown depth, in bps (see the header). Default: the shown side's width in bps, at least 1. */
  impactBps?: number;
}

/** Which side of the book a side of order takes from: a buy takes asks, a sell takes bids. */
export type BookSide = "bids" | "asks";

/** The recorded levels worth keeping (a positive price and size), best first as recorded. */
export function recordedLevels(levels: readonly BookLevel[]): BookLevel[] {
  return levels.filter(([price, size]) => price > 0 && size > 0).map(([price, size]) => [price, size] as const);
}

function sizeAt(levels: readonly BookLevel[], price: number): number | undefined {
  for (const [p, size] of levels) if (p === price) return size;
  return undefined;
}

/** Is `price` better than `best` on this side of the book (a higher bid, a lower ask)? */
function isBetter(side: BookSide, price: number, than: number): boolean {
  return side === "bids" ? price > than : price < than;
}

/**
 * A new recorded snapshot side seen through what we consumed: repays debts from growth, drops the debts of levels that
 * are gone (rule 2), and returns the levels as the venue walks them (recorded size minus what is still owed, ≥ 0).
 */
export function applyConsumed(side: BookSide, raw: readonly BookLevel[], previousRaw: readonly BookLevel[] | null, consumed: Map<number, Decimal>): Level[] {
  if (consumed.size > 0 && raw.length > 0) {
    const best = raw[0]![0];
    const last = raw[raw.length - 1]![0];
    for (const [price, owed] of [...consumed]) {
      if (isBetter(side, last, price)) continue; // beyond the shown depth: unknown, keep the debt
      if (isBetter(side, price, best)) {
        consumed.delete(price); // the touch moved past it
        continue;
      }
      const now = sizeAt(raw, price);
      if (now === undefined) {
        consumed.delete(price); // emptied inside the shown range
        continue;
      }
      const before = previousRaw === null ? undefined : sizeAt(previousRaw, price);
      const growth = before === undefined ? ZERO : maxDec(ZERO, new Decimal(now).minus(before));
      const left = owed.minus(growth);
      if (left.isPositive() && !left.isZero()) consumed.set(price, left);
      else consumed.delete(price);
    }
  }
  return raw.map(([price, size]) => {
    const owed = consumed.get(price);
    const recorded = new Decimal(size);
    return { price, priceDec: new Decimal(price), size: owed === undefined ? recorded : maxDec(ZERO, recorded.minus(owed)) };
  });
}

/** Remembers `qty` taken from the level at `price` (rule 2). */
export function recordConsumed(consumed: Map<number, Decimal>, price: number, qty: Decimal): void {
  if (qty.isZero()) return;
  consumed.set(price, (consumed.get(price) ?? ZERO).plus(qty));
}

/** A recorded trade repays or clears the debts of the side its aggressor took from (rule 2). */
export function repayOnTrade(
  consumed: { bids: Map<number, Decimal>; asks: Map<number, Decimal> },
  price: number,
  qty: number,
  aggressor: OrderSide | undefined,
): void {
  if (aggressor === undefined) return; // which side it took from is unknown
  const side: BookSide = aggressor === "BUY" ? "asks" : "bids";
  const map = consumed[side];
  if (map.size === 0) return;
  for (const [level, owed] of [...map]) {
    if (level === price) {
      const left = owed.minus(qty);
      if (left.isPositive() && !left.isZero()) map.set(level, left);
      else map.delete(level);
    } else if (isBetter(side, level, price)) {
      map.delete(level); // traded through
    }
  }
}

/**
 * The quantity queued ahead of a limit arriving at `price` on its own side of the recorded book (rule 3): the recorded
 * size there, 0 when the price is at least as good as the best level but not shown, null beyond the shown depth.
 */
export function queueAheadAt(ownSide: BookSide, raw: readonly BookLevel[], price: number): Decimal | null {
  const size = sizeAt(raw, price);
  if (size !== undefined) return new Decimal(size);
  if (raw.length === 0) return null;
  const last = raw[raw.length - 1]![0];
  return isBetter(ownSide, last, price) ? null : ZERO;
}

/** The queue ahead after a new snapshot (rule 3): capped at the level's size, 0 if the level left the shown range. */
export function capQueueAhead(ownSide: BookSide, raw: readonly BookLevel[], price: number, ahead: Decimal): Decimal {
  const now = queueAheadAt(ownSide, raw, price);
  return now === null ? ahead : Decimal.min(ahead, now);
}

/** The price of `remaining` beyond the shown depth (rule 1), or null when the side shows nothing to extend. */
export function beyondDepthPrice(side: OrderSide, raw: readonly BookLevel[], remaining: Decimal, tick: Decimal, impactBps: number | undefined): Decimal | null {
  if (raw.length === 0) return null;
  const best = raw[0]![0];
  const last = raw[raw.length - 1]![0];
  let depth = 0;
  for (const [, size] of raw) depth += size;
  if (!(depth > 0)) return null;
  // Impact is a statistic of the shown book, not money: floats until the price is formed.
  const eta = impactBps ?? Math.max(1, (Math.abs(last - best) / best) * 10_000);
  const move = (eta / 10_000) * Math.sqrt(remaining.toNumber() / depth);
  const lastDec = new Decimal(last);
  const price = side === "BUY" ? lastDec.times(1 + move) : lastDec.times(1 - move);
  // A sell so large that the formula passes zero still gets a price: one tick.
  return maxDec(tick, roundToStep(price, tick, side === "BUY" ? "up" : "down"));
}

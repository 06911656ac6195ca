/**
 * The engine's working orders (clientOrderId → record) with running sums of what they hold, so the risk gate
 * reads them in O(symbols) instead of summing every open order for each new one (placing the 10 000th resting
 * order must cost what the 10th did).
 *
 * Per symbol it keeps, over the orders that are not terminal:
 *  - entries with a price (limit, stop-limit): count and Σ leaves × price (exact Decimals);
 *  - entries without one (market, stop): count and Σ leaves, priced at the symbol's mark when read (Σ leaves ×
 *    mark = Σ (leaves × mark), exactly, without walking the orders);
 *  - reduce-only orders, per side: count and Σ leaves (pending exits count against what they close).
 *
 * Every change goes through the book: `set` counts a record, `delete`/`clear` uncount it, and `replaceOrder` is the
 * one way to change the order of a record held here (the engine does it on every event: fills, cancel requests, a
 * trailing emulated stop moving its limit price). Records stay plain objects: an accessor per record (tried first)
 * put every record in dictionary mode and cost the backtest a fifth of its speed.
 *
 * `reservedFromScratch` / `workingReduceOnlyFromScratch` are the definitions (what the gate counted before the
 * running sums; the Risk page still computes this way): the tests check that the running sums equal them after
 * random sequences of placements, fills, cancels and restarts.
 */
import { add, sub, timesCompact, ZERO, type Decimal } from "../core/money";
import { isTerminal, leavesQty, type Order, type OrderSide } from "../core/orders";

interface Slot {
  count: number;
  sum: Decimal;
}

interface SymbolSums {
  priced: Slot;
  unpriced: Slot;
  exits: Record<OrderSide, Slot>;
}

/** What one order adds to its symbol's sums (null: nothing, e.g. terminal). */
interface Contribution {
  /** The order it was computed from: orders are immutable values, so the same one adds the same again. */
  order: Order;
  symbol: string;
  kind: "priced" | "unpriced" | "BUY" | "SELL";
  amount: Decimal;
}

function contributionOf(order: Order): Contribution | null {
  if (isTerminal(order)) return null;
  const leaves = leavesQty(order);
  if (order.reduceOnly) return { order, symbol: order.symbol, kind: order.side, amount: leaves };
  // Kept while the order rests: at its exact size (money.ts timesCompact, the same value as times).
  if (order.price) return { order, symbol: order.symbol, kind: "priced", amount: timesCompact(leaves, order.price) };
  return { order, symbol: order.symbol, kind: "unpriced", amount: leaves };
}

const emptySlot = (): Slot => ({ count: 0, sum: ZERO });

/**
 * The answer of `reserved`/`workingReduceOnly` when nothing is held (most reads of a backtest: the gate asks before
 * every order, and one order at a time rests): one shared map, so no map is built per read. It refuses writes,
 * so a caller that changed it could not change every later answer.
 */
class NothingHeld extends Map<string, never> {
  override set(): this {
    throw new TypeError("open-orders: the shared empty answer is read-only");
  }
}
const NOTHING_HELD: Map<string, never> = new NothingHeld();
/** `reserved`'s whole answer when nothing is held (total zero): one frozen object, not one per order placed. */
const NOTHING_RESERVED: { bySymbol: Map<string, Decimal>; total: Decimal } = Object.freeze({ bySymbol: NOTHING_HELD, total: ZERO });

export class OpenOrderBook<R extends { order: Order }> extends Map<string, R> {
  private readonly counted = new Map<string, Contribution>();
  private readonly bySymbol = new Map<string, SymbolSums>();
  /**
   * The keys held per group (the engine's: per position), in the order they were first set, and each key's group. A
   * group of one key holds the key itself (most positions have one working order at a time): no Set made and dropped
   * per order.
   */
  private readonly groups = new Map<string, string | Set<string>>();
  private readonly groupOfKey = new Map<string, string>();

  /**
   * `groupOf` names a record's group (null: none), read when the record is set: a record whose group changes is set
   * again (as the ledger does when it books an order's fill to a new position). `heldFor` lists a group's records.
   */
  constructor(private readonly groupOf: ((record: R) => string | null) | null = null) {
    super();
  }

  override set(key: string, record: R): this {
    super.set(key, record);
    this.recount(key, record.order);
    if (this.groupOf) this.regroup(key, this.groupOf(record));
    return this;
  }

  override delete(key: string): boolean {
    const record = super.get(key);
    if (record === undefined) return false;
    this.recount(key, null);
    this.regroup(key, null);
    super.delete(key);
    return true;
  }

  override clear(): void {
    super.clear();
    this.counted.clear();
    this.bySymbol.clear();
    this.groups.clear();
    this.groupOfKey.clear();
  }

  /**
   * The records held in `group` (terminal ones too, until deleted), in the order they joined it — the book's own order
   * unless a record was set again under another group: a close asks for its position's orders without walking every
   * open order (10,000 resting limits elsewhere cost nothing).
   */
  *heldFor(group: string): IterableIterator<R> {
    const keys = this.groups.get(group);
    if (keys === undefined) return;
    if (typeof keys === "string") yield super.get(keys)!;
    else for (const key of keys) yield super.get(key)!;
  }

  private regroup(key: string, group: string | null): void {
    const before = this.groupOfKey.get(key);
    if (before === group) return;
    if (before !== undefined) {
      const keys = this.groups.get(before)!;
      if (typeof keys === "string") this.groups.delete(before);
      else {
        keys.delete(key);
        if (keys.size === 0) this.groups.delete(before);
      }
      this.groupOfKey.delete(key);
    }
    if (group !== null) {
      const keys = this.groups.get(group);
      if (keys === undefined) this.groups.set(group, key);
      else if (typeof keys === "string") this.groups.set(group, new Set([keys, key]));
      else keys.add(key);
      this.groupOfKey.set(key, group);
    }
  }

  /** Gives `record` its new `order` and, while the record is held here under its clientOrderId, re-counts it. */
  replaceOrder(record: R, order: Order): void {
    record.order = order;
    if (super.get(order.clientOrderId) === record) this.recount(order.clientOrderId, order);
  }

  /**
   * Notional reserved by open entries per symbol (priced at their limit price, else at `markOf(symbol)`; an
   * entry without either counts nothing), as the gate's `reservedNotionalBySymbol`, and its total.
   */
  reserved(markOf: (symbol: string) => Decimal | null): { bySymbol: Map<string, Decimal>; total: Decimal } {
    let bySymbol: Map<string, Decimal> | null = null;
    let total = ZERO;
    for (const [symbol, sums] of this.bySymbol) {
      const mark = sums.unpriced.count > 0 ? markOf(symbol) : null;
      if (sums.priced.count === 0 && mark === null) continue;
      const amount = mark === null ? sums.priced.sum : add(sums.priced.sum, sums.unpriced.sum.times(mark));
      (bySymbol ??= new Map()).set(symbol, amount);
      total = add(total, amount);
    }
    return bySymbol === null ? NOTHING_RESERVED : { bySymbol, total };
  }

  /** Leaves of working reduce-only orders per symbol and side; `exceptClientOrderId` is left out (an order checked again). */
  workingReduceOnly(exceptClientOrderId?: string): Map<string, Partial<Record<OrderSide, Decimal>>> {
    const except = exceptClientOrderId === undefined ? undefined : this.counted.get(exceptClientOrderId);
    let out: Map<string, Partial<Record<OrderSide, Decimal>>> | null = null;
    for (const [symbol, sums] of this.bySymbol) {
      let bySide: Partial<Record<OrderSide, Decimal>> | null = null;
      for (const side of ["BUY", "SELL"] as const) {
        const slot = sums.exits[side];
        let { count, sum } = slot;
        if (except && except.symbol === symbol && except.kind === side) {
          count -= 1;
          sum = sub(sum, except.amount);
        }
        if (count > 0) (bySide ??= {})[side] = sum;
      }
      if (bySide) (out ??= new Map()).set(symbol, bySide);
    }
    return out ?? NOTHING_HELD;
  }

  private recount(key: string, order: Order | null): void {
    const before = this.counted.get(key);
    // The engine re-sets a record after every event (settleOrder) with the order replaceOrder counted already.
    if (before !== undefined && before.order === order) return;
    const after = order ? contributionOf(order) : null;
    // Most events (submit, accept, a cancel request) leave what an order holds as it was: nothing to re-add.
    if (before && after && before.symbol === after.symbol && before.kind === after.kind && (before.amount === after.amount || before.amount.eq(after.amount))) {
      before.order = after.order;
      return;
    }
    if (before) {
      // The key is set again below when the order still holds something: deleting first would shrink and regrow the map.
      if (!after) this.counted.delete(key);
      // A symbol's sums stay once made, empty or not (reads skip a zero count): dropping and re-making them for every
      // order of a one-order-at-a-time backtest was a share of its garbage.
      const slot = this.slotOf(this.bySymbol.get(before.symbol)!, before.kind);
      slot.count -= 1;
      slot.sum = slot.count === 0 ? ZERO : sub(slot.sum, before.amount);
    }
    if (after) {
      this.counted.set(key, after);
      let sums = this.bySymbol.get(after.symbol);
      if (!sums) {
        sums = { priced: emptySlot(), unpriced: emptySlot(), exits: { BUY: emptySlot(), SELL: emptySlot() } };
        this.bySymbol.set(after.symbol, sums);
      }
      const slot = this.slotOf(sums, after.kind);
      slot.count += 1;
      slot.sum = add(slot.sum, after.amount);
    }
  }

  private slotOf(sums: SymbolSums, kind: Contribution["kind"]): Slot {
    return kind === "priced" ? sums.priced : kind === "unpriced" ? sums.unpriced : sums.exits[kind];
  }
}

/** The definition: Σ leaves × (price, else the mark) over open non-reduce-only orders, per symbol. */
export function reservedFromScratch(orders: Iterable<Order>, markOf: (symbol: string) => Decimal | null): Map<string, Decimal> {
  const reserved = new Map<string, Decimal>();
  for (const order of orders) {
    if (isTerminal(order) || order.reduceOnly) continue;
    const price = order.price ?? markOf(order.symbol);
    if (!price) continue;
    reserved.set(order.symbol, add(reserved.get(order.symbol) ?? ZERO, leavesQty(order).times(price)));
  }
  return reserved;
}

/** The definition: Σ leaves of open reduce-only orders per symbol and side, but `exceptClientOrderId`. */
export function workingReduceOnlyFromScratch(orders: Iterable<Order>, exceptClientOrderId?: string): Map<string, Partial<Record<OrderSide, Decimal>>> {
  const exits = new Map<string, Partial<Record<OrderSide, Decimal>>>();
  for (const order of orders) {
    if (isTerminal(order) || !order.reduceOnly || order.clientOrderId === exceptClientOrderId) continue;
    const bySide = exits.get(order.symbol) ?? {};
    bySide[order.side] = add(bySide[order.side] ?? ZERO, leavesQty(order));
    exits.set(order.symbol, bySide);
  }
  return exits;
}

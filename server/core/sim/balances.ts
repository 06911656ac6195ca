/** Spot balances of the simulated account: free and reserved per currency, exact Decimals. */
import { add, cmp, D, minusCompact, sub, ZERO, type Decimal, type DecimalInput } from "../money";

export interface BalanceView {
  free: Decimal;
  reserved: Decimal;
  total: Decimal;
}

interface Balance {
  free: Decimal;
  reserved: Decimal;
}

export class SimBalances {
  private readonly byCurrency = new Map<string, Balance>();

  constructor(initial: Record<string, DecimalInput>) {
    for (const [currency, amount] of Object.entries(initial)) {
      const value = D(amount);
      if (value.isNegative()) throw new RangeError(`initial ${currency} balance ${value.toString()} must not be negative`);
      this.byCurrency.set(currency, { free: value, reserved: ZERO });
    }
  }

  private get(currency: string): Balance {
    let balance = this.byCurrency.get(currency);
    if (!balance) {
      balance = { free: ZERO, reserved: ZERO };
      this.byCurrency.set(currency, balance);
    }
    return balance;
  }

  has(currency: string): boolean {
    return this.byCurrency.has(currency);
  }

  free(currency: string): Decimal {
    return this.byCurrency.get(currency)?.free ?? ZERO;
  }

  /** Moves `amount` from free to reserved; false (and nothing moves) when free is short. */
  reserve(currency: string, amount: Decimal): boolean {
    const balance = this.get(currency);
    const order = cmp(balance.free, amount);
    if (order < 0) return false;
    // The comparison above already says whether free is used up: no second one inside sub().
    balance.free = order === 0 ? ZERO : amount.isZero() ? balance.free : minusCompact(balance.free, amount);
    balance.reserved = add(balance.reserved, amount);
    return true;
  }

  /** Moves `amount` from reserved back to free. */
  release(currency: string, amount: Decimal): void {
    if (amount.isZero()) return;
    const balance = this.get(currency);
    balance.reserved = sub(balance.reserved, amount);
    balance.free = add(balance.free, amount);
  }

  /**
   * Settles a spend: `fromReserved` leaves the reservation, and `spent` leaves the account; the
   * difference goes back to (or, when the spend exceeds the reservation, comes out of) free.
   */
  spend(currency: string, fromReserved: Decimal, spent: Decimal): void {
    const balance = this.get(currency);
    balance.reserved = sub(balance.reserved, fromReserved);
    // One operation when the reservation was exact (the usual case): free does not move at all.
    const back = sub(fromReserved, spent);
    balance.free = add(balance.free, back);
  }

  credit(currency: string, amount: Decimal): void {
    const balance = this.get(currency);
    balance.free = add(balance.free, amount);
  }

  view(): Record<string, BalanceView> {
    const out: Record<string, BalanceView> = {};
    for (const currency of [...this.byCurrency.keys()].sort()) {
      const balance = this.byCurrency.get(currency)!;
      out[currency] = { free: balance.free, reserved: balance.reserved, total: balance.free.plus(balance.reserved) };
    }
    return out;
  }
}

/**
 * Accounting: realized and unrealized PnL, equity and exposure at the marks, and the equity points recorded on a
 * schedule and on fills (the breaker's drawdown and the dashboard's curve read them).
 */
import { add, type Decimal, ZERO } from "../core/money";
import { unrealizedPnl } from "../core/positions";
import type { EquityPoint, StoredAccounting } from "./types";
import { markDecimal, type EngineContext } from "./context";

export class Accounting {
  constructor(private readonly cx: EngineContext) {}

  // ---------------------------------------------------------------------------------------------
  // Accounting

  private realizedNet(): Decimal {
    let total = this.cx.closedRealizedNet;
    for (const { position } of this.cx.books.positions.values()) total = add(total, position.realizedPnlNet);
    return total;
  }

  /** Initial equity + realized PnL net of fees: equity before marking open positions (equity itself when flat). */
  realizedEquity(): Decimal {
    // initial + closed, kept as one sum, then the open positions' realized net (their fees so far).
    let total = this.closedEquity();
    for (const { position } of this.cx.books.positions.values()) total = add(total, position.realizedPnlNet);
    return total;
  }

  private closedEquitySum: { initial: Decimal; closed: Decimal; sum: Decimal } | null = null;

  /** initialEquity + closedRealizedNet, added once per change of either (they change when a trade closes). */
  private closedEquity(): Decimal {
    const cached = this.closedEquitySum;
    if (cached && cached.initial === this.cx.initialEquity && cached.closed === this.cx.closedRealizedNet) return cached.sum;
    const sum = add(this.cx.initialEquity, this.cx.closedRealizedNet);
    this.closedEquitySum = { initial: this.cx.initialEquity, closed: this.cx.closedRealizedNet, sum };
    return sum;
  }

  /** Equity = initial + realized (net of fees) + unrealized at the marks. */
  equity(): EquityPoint {
    let unrealized = ZERO;
    let exposure = ZERO;
    for (const record of this.cx.books.positions.values()) {
      const position = record.position;
      if (position.quantity.isZero()) continue;
      // At the position's own venue's mark (a desk with several venues quotes one symbol at several prices).
      const mark = this.cx.books.markOfPosition(record);
      const price = mark ? markDecimal(mark) : (position.avgEntryPrice ?? ZERO);
      unrealized = add(unrealized, unrealizedPnl(position, price));
      exposure = add(exposure, position.quantity.times(price));
    }
    const realizedNet = this.realizedNet();
    return { ts: this.cx.clock.now(), equity: add(add(this.cx.initialEquity, realizedNet), unrealized), realizedNet, unrealized, exposure };
  }

  recordEquity(cause: "schedule" | "fill" | "start"): EquityPoint {
    const point = this.equity();
    this.cx.store.appendEquity({
      ts: point.ts,
      equity: point.equity,
      cash: this.cx.initialEquity.plus(point.realizedNet),
      unrealized: point.unrealized,
      realized: point.realizedNet,
      fees: [...this.cx.books.positions.values()].reduce((sum, r) => sum.plus(r.position.fees), ZERO),
      exposure: point.exposure,
      cause,
    });
    this.cx.bus.publish({ type: "equity", point });
    return point;
  }

  saveAccounting(): void {
    this.cx.store.setState("accounting", { initialEquity: this.cx.initialEquity, closedRealizedNet: this.cx.closedRealizedNet } satisfies StoredAccounting);
  }
}

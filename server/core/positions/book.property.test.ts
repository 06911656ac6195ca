import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { type Decimal, D, ZERO } from "../money";
import { type Position, type PositionSide, applyFill, entrySide, exitSide, openPosition, totalPnl } from "./book";

interface Op {
  entry: boolean;
  /** In 0.001 units. */
  qty: number;
  /** In 0.01 units. */
  price: number;
  /** In 0.0001 units; negative = rebate. */
  fee: number;
}

const opArb: fc.Arbitrary<Op> = fc.record({
  entry: fc.boolean(),
  qty: fc.integer({ min: 1, max: 5_000 }),
  price: fc.integer({ min: 1, max: 10_000_000 }),
  fee: fc.integer({ min: -100, max: 10_000 }),
});

const opsArb = fc.tuple(
  opArb.map((o) => ({ ...o, entry: true })),
  fc.array(opArb, { maxLength: 30 }),
);

interface CashFlows {
  position: Position;
  signedQty: Decimal;
  buyNotional: Decimal;
  sellNotional: Decimal;
  fees: Decimal;
}

/** Applies the ops in order (stopping once the position closes), tracking what actually hit the position. */
function run(side: PositionSide, ops: Op[]): CashFlows {
  let position = openPosition({ id: "p", symbol: "BTC/USDT", side, ts: 0 });
  let signedQty = ZERO;
  let buyNotional = ZERO;
  let sellNotional = ZERO;
  let fees = ZERO;
  ops.forEach((op, i) => {
    if (position.state === "CLOSED") return;
    const orderSide = op.entry ? entrySide(side) : exitSide(side);
    const qty = D(op.qty).dividedBy(1000);
    const price = D(op.price).dividedBy(100);
    const fee = D(op.fee).dividedBy(10_000);
    const r = applyFill(position, { tradeId: `t${i}`, side: orderSide, qty, price, fee, ts: i });
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    const applied = op.entry ? qty : r.value.closedQty;
    const notional = applied.times(price);
    if (orderSide === "BUY") buyNotional = buyNotional.plus(notional);
    else sellNotional = sellNotional.plus(notional);
    signedQty = op.entry ? signedQty.plus(applied) : signedQty.minus(applied);
    fees = fees.plus(fee.minus(r.value.excessFee));
    expect(r.value.closedQty.plus(r.value.excess).toString()).toBe(op.entry ? "0" : qty.toString());
    position = r.value.position;
  });
  return { position, signedQty, buyNotional, sellNotional, fees };
}

describe("accounting invariants (property)", () => {
  for (const side of ["LONG", "SHORT"] as const) {
    it(`${side}: quantity = Σ signed fills, and realized + unrealized − fees = cash flows + value at mark`, () => {
      fc.assert(
        fc.property(opsArb, fc.integer({ min: 1, max: 10_000_000 }), ([first, rest], markCents) => {
          const { position, signedQty, buyNotional, sellNotional, fees } = run(side, [first, ...rest]);
          const mark = D(markCents).dividedBy(100);
          expect(position.quantity.toString()).toBe(signedQty.toString());
          expect(position.quantity.isNegative()).toBe(false);
          expect(position.fees.toString()).toBe(fees.toString());
          const value = position.quantity.times(mark);
          const expected = sellNotional
            .minus(buyNotional)
            .minus(fees)
            .plus(side === "LONG" ? value : value.negated());
          expect(totalPnl(position, mark).toString()).toBe(expected.toString());
        }),
        { numRuns: 300 },
      );
    });

    it(`${side}: once fully closed, net realized PnL = Σ sell notional − Σ buy notional − Σ fees, exactly`, () => {
      fc.assert(
        fc.property(opsArb, fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 0, max: 3_000 }), ([first, rest], closeCents, extra) => {
          const partial = run(side, [first, ...rest]);
          // Close whatever is left, possibly with an excess.
          const remainingUnits = partial.position.quantity.times(1000).toNumber();
          const ops = [first, ...rest];
          if (partial.position.state !== "CLOSED") ops.push({ entry: false, qty: remainingUnits + extra, price: closeCents, fee: 7 });
          const { position, buyNotional, sellNotional, fees } = run(side, ops);
          expect(position.state).toBe("CLOSED");
          expect(position.quantity.toString()).toBe("0");
          expect(position.costBasis.toString()).toBe("0");
          expect(position.realizedPnlNet.toString()).toBe(sellNotional.minus(buyNotional).minus(fees).toString());
          expect(position.realizedPnl.toString()).toBe(sellNotional.minus(buyNotional).toString());
        }),
        { numRuns: 300 },
      );
    });
  }
});

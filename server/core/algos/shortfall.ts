/**
 * Implementation shortfall: what execution cost against the price when the order was asked for (the arrival price),
 * in basis points, signed by side so that positive is always a cost (bought above / sold below the arrival).
 */
import { Decimal, isPositive } from "../money";
import { type OrderSide } from "../orders/types";

const BPS = new Decimal(10_000);

/** (avg − arrival) / arrival × 10,000 for a buy, the negation for a sell. Exact; round for display at the edge. */
export function implementationShortfallBps(side: OrderSide, arrivalPrice: Decimal, avgPrice: Decimal): Decimal {
  if (!isPositive(arrivalPrice)) throw new RangeError("implementationShortfallBps: the arrival price must be above zero");
  const diff = side === "BUY" ? avgPrice.minus(arrivalPrice) : arrivalPrice.minus(avgPrice);
  return diff.dividedBy(arrivalPrice).times(BPS);
}

/** The volume-weighted average price of fills, or null without any. */
export function averagePrice(fills: readonly { qty: Decimal; price: Decimal }[]): Decimal | null {
  let qty = new Decimal(0);
  let notional = new Decimal(0);
  for (const fill of fills) {
    qty = qty.plus(fill.qty);
    notional = notional.plus(fill.qty.times(fill.price));
  }
  return isPositive(qty) ? notional.dividedBy(qty) : null;
}

/**
 * The port's order vocabulary: what a venue (the simulator, a ccxt exchange) tells the engine about an
 * order, and what a modify request may change. Every venue speaks it; the engine journals and applies it.
 */
import type { DecimalInput } from "../money";
import type { VenueFill } from "../venue-records";
import type { OrderEvent } from "./types";

/** One event for the engine to journal and apply to the order's FSM. */
export interface VenueEvent {
  clientOrderId: string;
  event: OrderEvent;
}

export interface OrderChanges {
  /** New total quantity (must exceed what has filled). */
  quantity?: DecimalInput;
  price?: DecimalInput;
  triggerPrice?: DecimalInput;
}

/** The venue has the order (its snapshot says so): accepted, with the venue's id when it gave one. */
export function acceptEvent(clientOrderId: string, venueOrderId: string | null, ts: number): VenueEvent {
  return { clientOrderId, event: { type: "accept", ...(venueOrderId ? { venueOrderId } : {}), ts } };
}

/**
 * A fill found in the venue's reads (recovery, reconciliation, an in-doubt lookup, an adopted order) as the event the
 * engine books, with its fee already in the currency Bastion counts it in.
 */
export function venueFillEvent(clientOrderId: string, fill: VenueFill, fee: DecimalInput): VenueEvent {
  return {
    clientOrderId,
    event: {
      type: "fill",
      tradeId: fill.tradeId,
      qty: fill.qty,
      price: fill.price,
      fee,
      ...(fill.liquidity ? { liquidity: fill.liquidity } : {}),
      ts: fill.ts,
    },
  };
}

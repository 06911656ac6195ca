/**
 * The port's order vocabulary: what a venue (the simulator, a ccxt exchange) tells the engine about an
 * order, and what a modify request may change. Every venue speaks it; the engine journals and applies it.
 */
import type { DecimalInput } from "../money";
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

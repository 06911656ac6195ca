/**
 * What a venue reports besides order events — an order's state, an execution, a balance, a derivatives position — in
 * the words of the Venue port (server/venues/venue.ts). Here, below the port, so the store can journal them without
 * importing the venues layer.
 */
import type { Decimal } from "./money";
import type { OrderSide, OrderStatus, OrderType } from "./orders/types";

/** The venue's view of one order, for recovery and reconciliation. */
export interface VenueOrderSnapshot {
  clientOrderId: string;
  venueOrderId: string | null;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  status: OrderStatus;
  quantity: Decimal;
  filledQty: Decimal;
  price: Decimal | null;
  triggerPrice: Decimal | null;
  avgFillPrice: Decimal | null;
  reason: string | null;
}

/** One execution as the venue reports it. Unique per (venue, tradeId). */
export interface VenueFill {
  tradeId: string;
  clientOrderId: string;
  symbol: string;
  side: OrderSide;
  qty: Decimal;
  price: Decimal;
  fee: Decimal;
  feeCurrency: string;
  liquidity: "MAKER" | "TAKER" | null;
  ts: number;
}

export interface VenueBalance {
  currency: string;
  free: Decimal;
  reserved: Decimal;
  total: Decimal;
}

/** A derivatives position as Bastion shows it. */
export interface VenuePosition {
  symbol: string;
  side: "LONG" | "SHORT";
  /** Absolute size in contracts (Binance USD-M: contract size 1, so in base units). */
  contracts: Decimal;
  /** contracts × contract size, in base units. */
  quantity: Decimal;
  entryPrice: Decimal | null;
  markPrice: Decimal | null;
  unrealizedPnl: Decimal | null;
  /** The exchange's leverage setting; without it (Binance positionRisk v3), notional ÷ initial margin. */
  leverage: Decimal | null;
  liquidationPrice: Decimal | null;
  marginMode: "cross" | "isolated" | null;
}

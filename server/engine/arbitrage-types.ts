/**
 * The arbitrage room's records and constants: a round trip and its legs as journaled (the store's `data` column), the
 * operator's on/off choice per pair, and the small helpers every arbitrage file shares (owner, market label, open set).
 */
import type { Decimal } from "../core/money";
import type { OrderSide } from "../core/orders";

/** Skips of one reason are written at most this often per pair (desk time). */
export const SKIP_FLUSH_MS = 60_000;

/** How many of the newest round trips a restart looks through for a halted one not yet booked. */
export const HALTED_LOOKBACK = 200;

/** A pair's leg time limit when the desk file no longer has the pair (a round trip restored after a reload). */
export const DEFAULT_LEG_TIMEOUT_MS = 30_000;

/** The engine-state key of the operator's on/off choices per pair (the desk file's `enabled` is the default for a pair never touched). */
export const PAIR_CHOICES_KEY = "arbitragePairs";

/** Who turned a pair on or off, and when (desk time). */
export interface PairChoice {
  enabled: boolean;
  by: string;
  at: number;
  reason: string | null;
}

/** done: both sides filled and matched (a repair may have helped); failed: nothing traded; escalated: a person decides. */
export type RoundTripStatus = "open" | "repairing" | "done" | "failed" | "escalated" | "halted";
export type LegRole = "buy" | "sell" | "hedge" | "unwind";
export type LegStatus = "pending" | "sent" | "working" | "filled" | "failed" | "cancelled";

export interface RoundTripLeg {
  role: LegRole;
  venue: string;
  symbol: string;
  side: OrderSide;
  clientOrderId: string;
  type: "LIMIT" | "MARKET";
  timeInForce: "IOC" | "GTC";
  qty: Decimal;
  price: Decimal | null;
  status: LegStatus;
  filledQty: Decimal;
  avgPrice: Decimal | null;
  /** In the market's quote currency. */
  fees: Decimal;
  reason: string | null;
  sentAt: number | null;
}

export interface RoundTrip {
  id: string;
  pairId: string;
  status: RoundTripStatus;
  openedAt: number;
  updatedAt: number;
  /** When the legs in flight count as too slow (reset when maker-taker sends its taker leg). */
  legsSentAt: number;
  buy: { venue: string; symbol: string };
  sell: { venue: string; symbol: string };
  qty: Decimal;
  netBps: Decimal;
  expectedProfit: Decimal;
  legs: RoundTripLeg[];
  attempted: ("hedge" | "unwind")[];
  events: { ts: number; text: string }[];
  pnl: Decimal | null;
  boughtQty: Decimal;
  soldQty: Decimal;
  /**
   * A halted round trip, once its legs have ended: the quantity bought and not sold (or sold and not bought) that the
   * room left to the emergency stop, and whether that stop flattens positions (it took this quantity) or leaves them.
   * Absent on round trips that were not halted (and on those stored before this was recorded).
   */
  halt?: { openQty: Decimal; flattened: boolean };
}

/** The strategy that owns a pair's orders and positions. */
export const owner = (pairId: string) => `arb:${pairId}`;
/** A market as detectArbitrage names it (and as the balances are keyed). */
export const label = (m: { venue: string; symbol: string }) => `${m.venue} ${m.symbol}`;
/** The round trip statuses that may still send or wait for a leg. */
export const OPEN: ReadonlySet<RoundTripStatus> = new Set(["open", "repairing"]);
/** A leg whose order may still fill. */
export const live = (leg: RoundTripLeg) => leg.status === "sent" || leg.status === "working";

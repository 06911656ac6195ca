/**
 * Order model shared by validation, the FSM, the risk gate and the simulator.
 * Status and event names follow NautilusTrader / FIX 4.4 (see DESIGN.md "Order lifecycle").
 */
import type { Decimal, DecimalInput } from "../money";
import type { Refusal } from "../errors";

export const ORDER_SIDES = ["BUY", "SELL"] as const;
export type OrderSide = (typeof ORDER_SIDES)[number];

export const ORDER_TYPES = [
  "MARKET",
  "LIMIT",
  "STOP_MARKET", // stop-loss: market order once price moves against the trigger
  "STOP_LIMIT",
  "TAKE_PROFIT_MARKET", // market order once price moves favourably to the trigger
  "TAKE_PROFIT_LIMIT",
  "TRAILING_STOP_MARKET",
  "TRAILING_STOP_LIMIT",
  "LIMIT_IF_TOUCHED",
] as const;
export type OrderType = (typeof ORDER_TYPES)[number];

export const TIME_IN_FORCE = ["GTC", "IOC", "FOK", "GTD"] as const;
export type TimeInForce = (typeof TIME_IN_FORCE)[number];

/** Which price a trigger watches. */
export const TRIGGER_SOURCES = ["LAST", "BID_ASK", "MARK"] as const;
export type TriggerSource = (typeof TRIGGER_SOURCES)[number];

export const TRAILING_OFFSET_TYPES = ["PRICE", "BASIS_POINTS"] as const;
export type TrailingOffsetType = (typeof TRAILING_OFFSET_TYPES)[number];

export const ORDER_STATUSES = [
  "INITIALIZED",
  "DENIED",
  "EMULATED",
  "RELEASED",
  "SUBMITTED",
  "ACCEPTED",
  "TRIGGERED",
  "PENDING_UPDATE",
  "PENDING_CANCEL",
  "PARTIALLY_FILLED",
  "FILLED",
  "CANCELED",
  "EXPIRED",
  "REJECTED",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set(["DENIED", "FILLED", "CANCELED", "EXPIRED", "REJECTED"]);

/** Order types whose trigger turns them into a resting limit order (the only ones that can be TRIGGERED). */
export const TRIGGERABLE_LIMIT_TYPES: ReadonlySet<OrderType> = new Set(["STOP_LIMIT", "TAKE_PROFIT_LIMIT", "LIMIT_IF_TOUCHED", "TRAILING_STOP_LIMIT"]);

/** Order types that carry a trigger price (or a trailing offset that computes one). */
export const TRIGGER_TYPES: ReadonlySet<OrderType> = new Set([
  "STOP_MARKET",
  "STOP_LIMIT",
  "TAKE_PROFIT_MARKET",
  "TAKE_PROFIT_LIMIT",
  "TRAILING_STOP_MARKET",
  "TRAILING_STOP_LIMIT",
  "LIMIT_IF_TOUCHED",
]);

/** Order types with a limit price. */
export const LIMIT_PRICE_TYPES: ReadonlySet<OrderType> = new Set(["LIMIT", "STOP_LIMIT", "TAKE_PROFIT_LIMIT", "TRAILING_STOP_LIMIT", "LIMIT_IF_TOUCHED"]);

export const TRAILING_TYPES: ReadonlySet<OrderType> = new Set(["TRAILING_STOP_MARKET", "TRAILING_STOP_LIMIT"]);

/** Free-form labels that travel with an order: where it came from and why. */
export interface OrderTags {
  signalId?: string;
  strategy?: string;
  /** e.g. "entry", "stop_loss", "take_profit", "manual", "emergency_stop". */
  reason?: string;
  positionId?: string;
  [key: string]: string | undefined;
}

/** Contingency between orders of one list. */
export type ContingencyType = "NONE" | "OCO" | "OTO" | "OUO";

/** What a caller asks for. Numbers may be decimal strings, numbers or Decimals; validation refuses non-finite ones. */
export interface OrderSpec {
  clientOrderId: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  quantity: DecimalInput;
  /** Limit price (LIMIT, *_LIMIT, LIMIT_IF_TOUCHED). */
  price?: DecimalInput;
  /** Trigger price (stop, take-profit, LIT; for trailing stops, an optional initial trigger). */
  triggerPrice?: DecimalInput;
  triggerSource?: TriggerSource;
  /** Trailing stops: distance of the trigger from the best price seen. */
  trailingOffset?: DecimalInput;
  trailingOffsetType?: TrailingOffsetType;
  /** Trailing stops: the trailing starts only once the market reaches this price. */
  activationPrice?: DecimalInput;
  /** TRAILING_STOP_LIMIT: the limit price sits this far from the trigger (same unit as trailingOffset). */
  limitOffset?: DecimalInput;
  timeInForce?: TimeInForce;
  /** GTD only: expiry time in epoch ms. */
  expireAt?: number;
  postOnly?: boolean;
  reduceOnly?: boolean;
  tags?: OrderTags;
  /** Order-list membership (OCO, bracket). */
  listId?: string;
  contingency?: ContingencyType;
  /** Orders this one is linked to (OCO sibling, bracket parent/children). */
  linkedClientOrderIds?: string[];
  /** Bracket child: activated when this parent fills. */
  parentClientOrderId?: string;
  venue?: string;
  /** Creation time, epoch ms (injected clock). */
  ts?: number;
}

export interface TrailingState {
  offset: Decimal;
  offsetType: TrailingOffsetType;
  activationPrice: Decimal | null;
  /** Activated once the market has reached the activation price (or immediately without one). */
  activated: boolean;
  /** Best (most favourable) market price seen since activation. */
  extremePrice: Decimal | null;
  limitOffset: Decimal | null;
}

export interface Order {
  clientOrderId: string;
  venueOrderId: string | null;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  quantity: Decimal;
  price: Decimal | null;
  triggerPrice: Decimal | null;
  triggerSource: TriggerSource;
  trailing: TrailingState | null;
  timeInForce: TimeInForce;
  expireAt: number | null;
  postOnly: boolean;
  reduceOnly: boolean;
  tags: OrderTags;
  listId: string | null;
  contingency: ContingencyType;
  linkedClientOrderIds: readonly string[];
  parentClientOrderId: string | null;
  venue: string | null;

  status: OrderStatus;
  /** Status before PENDING_CANCEL / PENDING_UPDATE, restored when the venue refuses the request. */
  previousStatus: OrderStatus | null;
  /**
   * Modify requests sent and not yet answered (confirmed or refused). The venue answers chained requests in order
   * (FIX 4.4 Appendix D, D16), so the order stays pending until the last answer. Absent on orders stored before
   * it existed, which counts as none (or one, in PENDING_UPDATE).
   */
  pendingModifies?: number;
  /** True once a trigger order has triggered (it now rests as a limit, or went to market). */
  isTriggered: boolean;
  filledQty: Decimal;
  /** Volume-weighted average fill price, null before the first fill. */
  avgFillPrice: Decimal | null;
  /** Total fees paid, in quote currency (negative = rebate). */
  feesPaid: Decimal;
  /** Trade ids already applied (exactly-once fills). */
  tradeIds: string[];
  /** Set when a fill arrived on a terminal order (late fill): the engine must reconcile. */
  reconciliationNeeded: boolean;
  /** Last refusal/denial/rejection reason, for people. */
  reason: string | null;
  createdAt: number;
  updatedAt: number;
  /** Number of events applied (including the creation). */
  eventCount: number;
}

/** Events that drive the order FSM (a discriminated union on `type`). `ts` is epoch ms from the injected clock. */
export type OrderEvent =
  | { type: "deny"; reason: string; ts?: number }
  | { type: "emulate"; ts?: number }
  | { type: "release"; ts?: number }
  | { type: "submit"; ts?: number }
  | { type: "accept"; venueOrderId?: string; ts?: number }
  | { type: "reject"; reason: string; ts?: number }
  | { type: "trigger"; ts?: number }
  | { type: "fill"; tradeId: string; qty: DecimalInput; price: DecimalInput; fee?: DecimalInput; liquidity?: "MAKER" | "TAKER"; ts?: number }
  | { type: "cancelRequest"; ts?: number }
  | { type: "cancel"; reason?: string; ts?: number }
  | { type: "cancelReject"; reason: string; ts?: number }
  | { type: "modifyRequest"; qty?: DecimalInput; price?: DecimalInput; triggerPrice?: DecimalInput; ts?: number }
  | { type: "modified"; qty?: DecimalInput; price?: DecimalInput; triggerPrice?: DecimalInput; ts?: number }
  | { type: "modifyReject"; reason: string; ts?: number }
  | { type: "expire"; ts?: number }
  /**
   * Reconciliation found an order the books call terminal (not FILLED) still open at the venue: it is tracked
   * again (ACCEPTED, or PARTIALLY_FILLED when fills were booked). Never sent by a venue adapter.
   */
  | { type: "reopen"; reason: string; venueOrderId?: string; ts?: number };

export type OrderEventType = OrderEvent["type"];

export type OrderRefusalCode = "INVALID_TRANSITION" | "TERMINAL" | "DUPLICATE_FILL" | "OVERFILL" | "INVALID_EVENT" | "NOT_TRIGGERABLE";

export type OrderRefusal = Refusal<OrderRefusalCode>;

/** Result of applying an event. A refusal leaves the order unchanged and never throws. */
export type ApplyResult = { ok: true; order: Order; reconciliationNeeded?: boolean } | { ok: false; order: Order; error: OrderRefusal };
